/*
 * Naming what an object is when it is not JSON text: the signatures of
 * the compressed and binary formats a bucket is likely to hold, so that
 * the error for such an object says why, not only which byte failed.
 */
#ifndef INF_SNIFF_H
#define INF_SNIFF_H

#include <stddef.h>

/* The signatures are at most this many bytes: a caller that holds fewer
 * of the object's first bytes and expects more waits for them, so that
 * the note does not depend on how the bytes arrive. */
#define INF_SNIFF_BYTES 8

/* "; the object starts as <format> data does: ..." when the object's
 * first `len` bytes at d begin with a known signature, else "" (also
 * when fewer bytes than the signature are given). Static text. */
const char *inf_sniff_note(const char *d, size_t len);

#endif
