/* The LIST filter (runtime/listfilter.c): what runtime/list.c passes on,
 * and what tests/fuzz/fuzz_list.c checks. */
#ifndef INF_LIST_H
#define INF_LIST_H

#include "buf.h"
#include "error.h"
#include "policy.h"

#define INF_LIST_URL 1u /* the list asked for encoding-type=url */
#define INF_LIST_V1 2u  /* a ListObjects (v1): it pages with marker= */

/* Copies the list answer `xml` to `out` without what the access point `ap`
 * (which has prefixes) may not show; `flags` (INF_LIST_URL, INF_LIST_V1)
 * say what the list asked for (see the top of runtime/listfilter.c).
 * Returns 0, or -1 with `err` set when the answer cannot be read; `out`
 * then holds a part and is the caller's to free. */
int inf_list_filter(const struct inf_access_point *ap, const struct inf_buf *xml,
		    unsigned flags, struct inf_buf *out, struct inf_error *err);

#endif
