/*
 * Finding where a JSON array's elements end without parsing them: the
 * scanner the array framer (frame.c) and the cutting of arrays into
 * batches (arraycut.c) share. It tracks nesting and strings only; the
 * element itself is validated when it is run as a record.
 */
#ifndef INF_ESCAN_H
#define INF_ESCAN_H

#include <stddef.h>

/* Where an array scan is: before '[', before the first element, in an
 * element, after a ',' (before the next element), after the closing ']',
 * and, for batches cut after an element, before the ',' that follows. */
enum inf_astate { INF_AS_OPEN, INF_AS_FIRST, INF_AS_ELEM, INF_AS_GAP,
		  INF_AS_AFTER, INF_AS_SEP };

/* Where an element's scan is: nesting, inside a string, after a
 * backslash in one. Zeroed at the element's first byte. */
struct inf_escan {
	int depth, in_str, esc;
};

/* Scans d[at, e) from the state s: returns the offset of the first byte
 * that ends the element (',' or ']' at depth 0, or a '}' there, which is
 * not JSON), or e with s kept for the bytes that follow. 64 bytes at a
 * time where a block holds no backslash (classified with AVX-512 BW on
 * CPUs that have it, SSE2 otherwise). */
size_t inf_escan_run(struct inf_escan *s, const char *d, size_t at, size_t e);

#endif
