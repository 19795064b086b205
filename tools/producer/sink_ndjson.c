/*
 * NDJSON sink: every event is one line of a single stream (a file, or
 * standard output for "-"). Lines are gathered in a 1 MiB buffer and
 * written with write(2), so the file is streamed, never held in memory,
 * and the buffer stops growing after the first flush. A regular file (or
 * a new one) is written under a temporary name beside it, with its mode,
 * owner and group, and renamed over it when every event is written, so a
 * failed run leaves no partial file and an existing one as it was;
 * anything else (a device, a pipe, a symbolic link, a file of several
 * links), or where the temporary file cannot be made so, is written in
 * place. See sink.h.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "tmpname.h"

#define FLUSH_AT (1u << 20)
#define SLACK 4096 /* room for the line that crosses FLUSH_AT */

struct sink_ndjson {
	struct prod_sink base;  /* first, so the sink pointer casts back */
	struct inf_buf out;
	int fd;
	int close_fd;           /* 0 for standard output */
	char *path;
	struct inf_buf tmp;     /* the temporary name, or empty */
};

static int flush_out(struct sink_ndjson *s, struct prod_err *err)
{
	size_t off = 0;

	while (off < s->out.len) {
		ssize_t n = write(s->fd, s->out.data + off, s->out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return prod_err_set(err, "write failed: %s (%s)",
					    strerror(errno), s->path);
		off += (size_t)n;
	}
	inf_buf_reset(&s->out);
	return 0;
}

static int ndjson_put(struct prod_sink *base, const char *key, const char *body,
		      size_t len, struct prod_err *err)
{
	struct sink_ndjson *s = (struct sink_ndjson *)base;

	(void)key;
	if (inf_buf_reserve(&s->out, len + 1))
		return prod_err_set(err, "out of memory (%s)", s->path);
	memcpy(s->out.data + s->out.len, body, len);
	s->out.len += len;
	s->out.data[s->out.len++] = '\n';
	base->bytes += len + 1;
	if (s->out.len >= FLUSH_AT)
		return flush_out(s, err);
	return 0;
}

static int ndjson_finish(struct prod_sink *base, struct prod_err *err)
{
	struct sink_ndjson *s = (struct sink_ndjson *)base;
	int fd = s->fd;

	if (flush_out(s, err))
		return -1;
	if (!s->close_fd)
		return 0;
	s->close_fd = 0;
	s->fd = -1;
	if (close(fd))
		return prod_err_set(err, "close failed: %s (%s)", strerror(errno),
				    s->tmp.len ? s->tmp.data : s->path);
	if (s->tmp.len && rename(s->tmp.data, s->path))
		return prod_err_set(err, "rename failed: %s (%s)", strerror(errno),
				    s->path);
	prod_tmp_done();
	inf_buf_reset(&s->tmp); /* renamed: nothing to remove */
	return 0;
}

static void ndjson_destroy(struct prod_sink *base)
{
	struct sink_ndjson *s = (struct sink_ndjson *)base;

	if (s->close_fd)
		close(s->fd);
	if (s->tmp.len) { /* not finished: no partial file */
		unlink(s->tmp.data);
		prod_tmp_done();
	}
	inf_buf_free(&s->tmp);
	inf_buf_free(&s->out);
	free(s->path);
	free(s);
}

static const struct prod_sink_ops ndjson_ops = {
	.put = ndjson_put,
	.finish = ndjson_finish,
	.destroy = ndjson_destroy,
};

/* The descriptor of a temporary file that will replace `path` (s->tmp
 * names it): when path is a regular file of one link, or none, and the
 * temporary one can be created beside it with path's mode, owner and
 * group. -2 when path is to be written in place instead (anything else,
 * or a directory where no file can be created, a name too long for the
 * temporary one, an owner this user cannot give); -1 with err set. */
static int open_tmp(struct sink_ndjson *s, const char *path, struct prod_err *err)
{
	struct stat sb;
	int fd, have = lstat(path, &sb) == 0;

	if (have ? !S_ISREG(sb.st_mode) || sb.st_nlink != 1 : errno != ENOENT)
		return -2;
	if (prod_tmp_name(&s->tmp, path, (long)getpid())) {
		inf_buf_reset(&s->tmp); /* no file of that name is ours */
		prod_err_set(err, "out of memory (%s)", path);
		return -1;
	}
	fd = prod_tmp_create(s->tmp.data);
	if (fd < 0) {
		inf_buf_reset(&s->tmp); /* not ours to remove */
		return -2;
	}
	if (have && (fchmod(fd, sb.st_mode & 07777) ||
		     ((sb.st_uid != geteuid() || sb.st_gid != getegid()) &&
		      fchown(fd, sb.st_uid, sb.st_gid)))) {
		close(fd);
		unlink(s->tmp.data);
		prod_tmp_done();
		inf_buf_reset(&s->tmp);
		return -2;
	}
	return fd;
}

int prod_sink_ndjson_open(struct prod_sink **out, const char *path,
			  struct prod_err *err)
{
	struct sink_ndjson *s;
	int rc = -1;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		prod_err_set(err, "out of memory (%s)", path);
		goto out;
	}
	s->base.ops = &ndjson_ops;
	s->fd = -1;
	s->path = strdup(strcmp(path, "-") ? path : "stdout");
	if (!s->path || inf_buf_reserve(&s->out, FLUSH_AT + SLACK)) {
		prod_err_set(err, "out of memory (%s)", path);
		goto out;
	}
	if (!strcmp(path, "-")) {
		s->fd = STDOUT_FILENO;
	} else if ((s->fd = open_tmp(s, path, err)) == -1) {
		goto out;
	} else if (s->fd == -2) { /* written in place */
		s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s->fd < 0) {
			prod_err_set(err, "cannot create file: %s (%s)",
				     strerror(errno), path);
			goto out;
		}
		s->close_fd = 1;
	} else {
		s->close_fd = 1;
	}
	*out = &s->base;
	s = NULL;
	rc = 0;
out:
	if (s)
		ndjson_destroy(&s->base);
	return rc;
}
