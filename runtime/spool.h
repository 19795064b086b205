/*
 * A spool for a transformed object: kept in memory up to a threshold, then
 * in an unlinked temporary file, so its length is known before anything
 * is sent (Content-Length, Range) and memory stays bounded whatever the
 * object's size. Nothing reaches the caller until the whole object has
 * been transformed.
 */
#ifndef INF_SPOOL_H
#define INF_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct inf_spool {
	struct inf_buf mem; /* the bytes while they fit under the threshold */
	int fd;             /* the temporary file once they did not, else -1 */
	uint64_t len;       /* bytes written */
	size_t threshold;
	const char *dir;    /* where the temporary file goes */
};

/* Prepares an empty spool; `dir` NULL means $TMPDIR or /tmp. */
void inf_spool_init(struct inf_spool *s, size_t threshold, const char *dir);
/* inf_sink_fn: appends bytes. */
int inf_spool_write(void *ctx, const char *data, size_t len,
		    struct inf_error *err);
/* Copies up to `n` bytes at `off` into `dst`; returns the count, 0 at the
 * end, or -1 on a read error. */
long inf_spool_read(struct inf_spool *s, uint64_t off, char *dst, size_t n);
/* Empties the spool for reuse (keeps the memory buffer). */
void inf_spool_reset(struct inf_spool *s);
void inf_spool_free(struct inf_spool *s);

#endif
