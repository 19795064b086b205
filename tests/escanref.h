/*
 * What core/escan.c's inf_escan_run must do, one byte at a time, written
 * from its contract (core/escan.h): the reference check_escan.c and
 * fuzz_cut.c compare it with.
 */
#ifndef INF_TEST_ESCANREF_H
#define INF_TEST_ESCANREF_H

#include <stddef.h>

#include "escan.h"

static inline size_t escan_reference(struct inf_escan *s, const char *d, size_t at, size_t e)
{
	for (; at < e; at++) {
		char c = d[at];
		if (s->in_str) {
			if (s->esc)
				s->esc = 0;
			else if (c == '\\')
				s->esc = 1;
			else if (c == '"')
				s->in_str = 0;
		} else if (c == '"') {
			s->in_str = 1;
		} else if (c == '{' || c == '[') {
			s->depth++;
		} else if (c == ',' || c == ']' || c == '}') {
			if (s->depth == 0)
				return at;
			if (c != ',')
				s->depth--;
		}
	}
	return e;
}

/* Scans d[0, n) element after element from a zeroed state with both,
 * inf_escan_run's calls cut where next_limit(ctx, at) says (a limit past
 * at); returns the offset where they first disagree, or n when they
 * never do (the end states compared too). */
static inline size_t escan_compare(const char *d, size_t n,
				   size_t (*next_limit)(void *ctx, size_t at), void *ctx)
{
	size_t at = 0;

	while (at < n) {
		struct inf_escan a = { 0, 0, 0 }, b = { 0, 0, 0 };
		size_t ka = at, kb = escan_reference(&b, d, at, n);

		for (;;) { /* the same element, in pieces */
			size_t lim = next_limit(ctx, ka);
			if (lim > n)
				lim = n;
			ka = inf_escan_run(&a, d, ka, lim);
			if (ka < lim || lim == n)
				break;
		}
		if (ka != kb)
			return at;
		if (ka == n)
			return a.depth == b.depth && a.in_str == b.in_str && a.esc == b.esc ? n : at;
		at = ka + 1;
	}
	return n;
}

#endif
