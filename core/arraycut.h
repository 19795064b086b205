/*
 * Cutting a JSON array into batches for the parallel runner (core/
 * arraycut.c), ahead of the framers that run them (core/frame.h,
 * inf_framer_batch).
 */
#ifndef INF_ARRAYCUT_H
#define INF_ARRAYCUT_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* Finds where an array can be cut into batches: at the end of an element
 * that a ',' follows, or anywhere before the '[' or after the ']'. It follows the
 * framer's states and limits over bytes that arrive in pieces, so that
 * where the framer would fail the cut says so, and the batch cut there
 * fails with the framer's own message. */
struct inf_cut {
	size_t at;  /* the next batch starts here (0: no place yet) ... */
	size_t run; /* ... and this one's worker reads [0, run) */
	enum inf_batch_start next; /* the next batch's start */
};
struct inf_array_cut;
struct inf_array_cut *inf_array_cut_new(size_t max_record);
void inf_array_cut_free(struct inf_array_cut *c);
/* Scans d[0, len), the bytes of the batch being filled, of which those
 * scanned by an earlier call are unchanged. Returns 1 with *out the last
 * place found, 0 when there is none yet, or -1 when the framer fails
 * within them: a batch of out->run bytes fails there. */
int inf_array_cut_scan(struct inf_array_cut *c, const char *d, size_t len,
		       struct inf_cut *out);
/* The ends of the elements found since the last inf_array_cut_moved (the
 * ',' or ']' after each), in order, for inf_batch_at; *n 0 when none, or
 * when they were too many to note (elements of under 8 bytes on
 * average) or there was no memory to. */
const uint32_t *inf_array_cut_ends(const struct inf_array_cut *c, size_t *n);
/* The first n bytes (n = out->at) left for a batch; the rest stay. */
void inf_array_cut_moved(struct inf_array_cut *c, size_t n);

#endif
