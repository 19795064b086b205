/*
 * Directory sink: each object becomes the file DIR/<key>. Missing
 * directories are created (like mkdir -p, the last one created is
 * remembered so a run of keys in one directory costs no extra syscalls);
 * the body goes to "DIR/.../.<name>.<pid>.tmp", created anew (never
 * opened through a link), which is then renamed over the final name, so a
 * reader never sees a partial object. See sink.h.
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

struct sink_dir {
	struct prod_sink base;  /* first, so the sink pointer casts back */
	char *dir;
	struct inf_buf path;    /* DIR/<key>, NUL-terminated */
	struct inf_buf tmp;     /* the temporary name, NUL-terminated */
	struct inf_buf made;    /* the last directory known to exist */
	long pid;
};

/* Creates every directory of `path` up to `len` bytes (mkdir -p). The
 * bytes of `path` are restored before returning. */
static int make_dirs(char *path, size_t len, struct prod_err *err)
{
	for (size_t i = 1; i <= len; i++) {
		char saved;

		if (i < len && path[i] != '/')
			continue;
		saved = path[i];
		path[i] = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			prod_err_set(err, "cannot create directory: %s (%s)",
				     strerror(errno), path);
			path[i] = saved;
			return -1;
		}
		path[i] = saved;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Builds DIR/<key> in s->path and the temporary name in s->tmp; returns
 * the length of the parent directory within s->path. */
static int build_names(struct sink_dir *s, const char *key, size_t *parent_len)
{
	const char *slash;
	size_t plen;

	inf_buf_reset(&s->path);
	inf_buf_reset(&s->tmp);
	if (inf_buf_puts(&s->path, s->dir) || inf_buf_putc(&s->path, '/') ||
	    inf_buf_puts(&s->path, key) || inf_buf_putc(&s->path, '\0'))
		return -1;
	slash = strrchr(s->path.data, '/');
	plen = (size_t)(slash - s->path.data);
	if (prod_tmp_name(&s->tmp, s->path.data, s->pid))
		return -1;
	*parent_len = plen;
	return 0;
}

static int dir_put(struct prod_sink *base, const char *key, const char *body,
		   size_t len, struct prod_err *err)
{
	struct sink_dir *s = (struct sink_dir *)base;
	size_t plen;
	int fd = -1, rc = -1, created = 0;

	if (build_names(s, key, &plen)) {
		prod_err_set(err, "out of memory (%s)", key);
		goto out;
	}
	if (s->made.len != plen || memcmp(s->made.data, s->path.data, plen)) {
		if (make_dirs(s->path.data, plen, err))
			goto out;
		inf_buf_reset(&s->made);
		if (inf_buf_append(&s->made, s->path.data, plen)) {
			prod_err_set(err, "out of memory (%s)", key);
			goto out;
		}
	}
	fd = prod_tmp_create(s->tmp.data);
	if (fd < 0) {
		prod_err_set(err, "cannot create file: %s (%s)", strerror(errno),
			     s->tmp.data);
		goto out;
	}
	created = 1;
	if (write_all(fd, body, len)) {
		prod_err_set(err, "write failed: %s (%s)", strerror(errno),
			     s->tmp.data);
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		prod_err_set(err, "close failed: %s (%s)", strerror(errno),
			     s->tmp.data);
		goto out;
	}
	fd = -1;
	if (rename(s->tmp.data, s->path.data)) {
		prod_err_set(err, "rename failed: %s (%s)", strerror(errno),
			     s->path.data);
		goto out;
	}
	prod_tmp_done();
	base->bytes += len;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && created) {
		unlink(s->tmp.data);
		prod_tmp_done();
	}
	return rc;
}

static int dir_finish(struct prod_sink *base, struct prod_err *err)
{
	(void)base;
	(void)err;
	return 0;
}

static void dir_destroy(struct prod_sink *base)
{
	struct sink_dir *s = (struct sink_dir *)base;

	inf_buf_free(&s->path);
	inf_buf_free(&s->tmp);
	inf_buf_free(&s->made);
	free(s->dir);
	free(s);
}

static const struct prod_sink_ops dir_ops = {
	.put = dir_put,
	.finish = dir_finish,
	.destroy = dir_destroy,
};

int prod_sink_dir_open(struct prod_sink **out, const char *dir,
		       struct prod_err *err)
{
	struct sink_dir *s;
	size_t n = strlen(dir);
	int rc = -1;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		prod_err_set(err, "out of memory (%s)", dir);
		goto out;
	}
	s->base.ops = &dir_ops;
	s->base.per_object = 1;
	s->pid = (long)getpid();
	while (n > 1 && dir[n - 1] == '/')
		n--;
	s->dir = strndup(dir, n);
	if (!s->dir) {
		prod_err_set(err, "out of memory (%s)", dir);
		goto out;
	}
	*out = &s->base;
	s = NULL;
	rc = 0;
out:
	if (s)
		dir_destroy(&s->base);
	return rc;
}
