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
#include "frame.h"

/* What a transformed object may keep in memory before it goes to a file. */
#define INF_SPOOL_IN_MEMORY (8u * 1024u * 1024u)

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
 * end, or -1 on a read error. Short of the end it may copy up to 63 bytes
 * less than asked, so that the next read into the same dst copies in
 * phase (INF_BUF_PHASE): up to 10 times faster, libc's or the kernel's. */
long inf_spool_read(struct inf_spool *s, uint64_t off, char *dst, size_t n);
/* Passes the `len` bytes at `off` (within the spool) to `sink`, in pieces.
 * Returns 0, or -1 with `err` set (by the sink, or INF_FAIL_OUTPUT when
 * the spool file cannot be read). */
int inf_spool_send(struct inf_spool *s, uint64_t off, uint64_t len,
		   inf_sink_fn sink, void *ctx, struct inf_error *err);
/* Empties the spool for reuse (keeps the memory buffer). */
void inf_spool_reset(struct inf_spool *s);
void inf_spool_free(struct inf_spool *s);

#endif
