/* The NextMarker a LIST v1 page gets when it ends in keys the access point
 * hides (runtime/listmarker.c; runtime/listfilter.c uses it). */
#ifndef INF_LISTMARKER_H
#define INF_LISTMARKER_H

#include <stddef.h>

#include "buf.h"
#include "policy.h"

/* S3's longest key, in bytes of UTF-8. */
#define INF_KEY_MAX 1024

/* What inf_list_marker found. */
enum inf_marker_verdict {
	INF_MARKER_NEXT, /* page on from the marker it wrote */
	INF_MARKER_END,  /* nothing the access point shows lies further on */
	INF_MARKER_NONE  /* no marker can be made: leave the page as it is */
};

/* Where a client listing with marker= goes on after `last` (decoded, a
 * key or common prefix the access point hides): with q the smallest of
 * the access point's prefixes greater than `last`, the greatest key of at
 * most INF_KEY_MAX bytes of UTF-8 less than q, written to `m` (emptied
 * first; NUL-terminated, m->len without the NUL). It depends on the
 * prefixes alone. `xml` asks for a key XML 1.0 can carry as text (the list
 * did not ask for encoding-type=url): code points XML has no character for
 * are passed over. Returns INF_MARKER_NEXT (last <= m < q), INF_MARKER_END
 * (no prefix after `last`), INF_MARKER_NONE (a prefix that would end in NUL
 * or is too long, `last` under a prefix or past m), or -1 when memory ran
 * out. `m` stays the caller's. */
int inf_list_marker(const struct inf_access_point *ap, const char *last, int xml,
		    struct inf_buf *m);

/* Appends <NextMarker>m</NextMarker> to `out`: m (n bytes) URL-encoded
 * when `url` (every byte but letters, digits, "-._~/" as %XX), else with
 * &, <, > and CR escaped. Returns 0, or -1 when memory ran out. */
int inf_list_marker_element(struct inf_buf *out, const char *m, size_t n, int url);

#endif
