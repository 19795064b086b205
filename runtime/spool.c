#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void inf_spool_init(struct inf_spool *s, size_t threshold, const char *dir)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->threshold = threshold;
	s->dir = dir;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Moves the in-memory bytes to an unlinked temporary file. */
static int to_file(struct inf_spool *s, struct inf_error *err)
{
	const char *dir = s->dir ? s->dir : getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		char tmpl[4096];
		snprintf(tmpl, sizeof tmpl, "%s/inflight-spool-XXXXXX", dir);
		s->fd = mkostemp(tmpl, O_CLOEXEC);
		if (s->fd >= 0)
			unlink(tmpl);
	}
	if (s->fd < 0)
		return inf_error_set(err, INF_FAIL_OUTPUT, "cannot create a spool file in %s: %s",
				     dir, strerror(errno));
	if (write_all(s->fd, s->mem.data, s->mem.len))
		return inf_error_set(err, INF_FAIL_OUTPUT, "spool file write failed: %s",
				     strerror(errno));
	inf_buf_reset(&s->mem);
	return 0;
}

int inf_spool_write(void *ctx, const char *data, size_t len,
		    struct inf_error *err)
{
	struct inf_spool *s = ctx;

	if (s->fd < 0 && s->mem.len + len > s->threshold && to_file(s, err))
		return -1;
	if (s->fd >= 0) {
		if (write_all(s->fd, data, len))
			return inf_error_set(err, INF_FAIL_OUTPUT,
					     "spool file write failed (is the temporary directory full?): %s",
					     strerror(errno));
	} else if (inf_buf_append(&s->mem, data, len)) {
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	}
	s->len += len;
	return 0;
}

long inf_spool_read(struct inf_spool *s, uint64_t off, char *dst, size_t n)
{
	ssize_t r;

	if (off >= s->len)
		return 0;
	if (n > s->len - off)
		n = (size_t)(s->len - off);
	else if (n > INF_BUF_PHASE) { /* the next read into dst starts in phase */
		uint64_t from = s->fd < 0 ? (uintptr_t)(s->mem.data + off) : off;
		n -= (size_t)((from + n - (uintptr_t)dst) % INF_BUF_PHASE);
	}
	if (s->fd < 0) {
		inf_copy(dst, s->mem.data + off, n);
		return (long)n;
	}
	do
		r = pread(s->fd, dst, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : (long)r; /* 0: the file is shorter than written */
}

int inf_spool_send(struct inf_spool *s, uint64_t off, uint64_t len,
		   inf_sink_fn sink, void *ctx, struct inf_error *err)
{
	char chunk[64 * 1024];

	if (off > s->len || len > s->len - off)
		return inf_error_set(err, INF_FAIL_OUTPUT, "spool: bytes %llu+%llu are past its end",
				     (unsigned long long)off, (unsigned long long)len);
	if (s->fd < 0)
		return len ? sink(ctx, s->mem.data + off, (size_t)len, err) : 0;
	while (len > 0) {
		long got = inf_spool_read(s, off, chunk,
					  len < sizeof chunk ? (size_t)len : sizeof chunk);
		if (got <= 0)
			return inf_error_set(err, INF_FAIL_OUTPUT, "spool file read failed: %s",
					     got < 0 ? strerror(errno) : "short file");
		if (sink(ctx, chunk, (size_t)got, err))
			return -1;
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	return 0;
}

void inf_spool_reset(struct inf_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->len = 0;
	/* a large object's bytes are not kept for the rest of the process */
	if (s->mem.cap > (1u << 20))
		inf_buf_free(&s->mem);
	else
		inf_buf_reset(&s->mem);
}

void inf_spool_free(struct inf_spool *s)
{
	inf_spool_reset(s);
	inf_buf_free(&s->mem);
}
