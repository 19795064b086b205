/*
 * Paths: where in a record a plugin acts. Compiled once when the policy
 * loads, matched against records by one walker that every plugin shares.
 *
 * Syntax: segments joined by '.', each a key (`price`), a quoted key with
 * JSON escapes (`"a.b"`, for keys holding dots, brackets or quotes), `*`
 * (any key), or `**` (any number of levels, objects and arrays alike),
 * each followed by any number of `[N]` (element N) or `[*]` (any element).
 * Examples: `price`, `customer.address.zip`, `items[*].price`, `items[0]`,
 * `**.password`, `"a.b".c`. Keys compare after JSON unescaping, and every
 * occurrence of a duplicated key matches. An unquoted key has no space at
 * its start or end, and the first is not `$` (JSONPath's root): such paths
 * would match nothing, so they are refused.
 */
#ifndef INF_PATH_H
#define INF_PATH_H

#include <stddef.h>

#include "inflight/plugin.h"
#include "record.h"

/* Compiles `n` path texts into a set. Returns 0 with *out owned by the
 * caller (free with inf_paths_free), or INF_ERR_INVALID with a message
 * naming the path and column in err (errlen bytes), or INF_ERR_NOMEM. */
int inf_paths_compile(const char *const *texts, size_t n,
		      struct inf_paths **out, char *err, size_t errlen);
void inf_paths_free(struct inf_paths *ps);
/* Number of paths in the set. */
size_t inf_paths_count(const struct inf_paths *ps);

/* Walks `r` against `ps`, calling `visit` for each member or element of a
 * container reached (see inf_visit_fn). Returns 0, INF_ERR_NOMEM, or the
 * first negative value `visit` returned. Hidden (removed or replaced)
 * nodes are not visited. */
int inf_walk(struct inf_record *r, const struct inf_paths *ps,
	     inf_visit_fn visit, void *ctx);

/* As inf_walk, visiting only the nodes where a path ends
 * (INF_MATCH_FULL); the walk goes below partial matches by itself. */
int inf_walk_matches(struct inf_record *r, const struct inf_paths *ps,
		     inf_visit_fn visit, void *ctx);

/* First node (document order) where a path of `ps` ends, or -1: none,
 * or out of memory, which also sets r->service_rc (the record fails). */
int inf_find(struct inf_record *r, const struct inf_paths *ps);

/* When every path of `ps` is one plain key (`price`, not `a.b`, `*` or
 * `x[0]`), fills `out` with those keys for inf_json_drop_top, borrowing
 * `ps`, and returns 1; else 0. */
int inf_paths_dropkeys(const struct inf_paths *ps, struct inf_dropkeys *out);
/* The key of path i of a set inf_paths_dropkeys takes (i below
 * inf_paths_count), `len` bytes of UTF-8. */
const char *inf_paths_key(const struct inf_paths *ps, size_t i, size_t *len);

/* 0 when some path of `ps` can reach into the root of `r` and into every
 * non-empty container the paths go through below it (or the root
 * is not a container); else INF_ERR_TYPE with a one-line reason in err
 * (INF_ERR_MAX bytes): an array record under paths that all start with a
 * member name (or an object record under paths that all start with an
 * element), which no path could touch. */
int inf_paths_check_root(struct inf_record *r, const struct inf_paths *ps,
			 char *err);

/* As inf_paths_check_root, for the paths of a condition (all its rules'
 * paths in one set): the message says "no path of the condition" and
 * "decided without looking inside", and the check goes on below a value
 * where a path ends, which another rule's path may still go through
 * ("customer" exists, "customer.is_test" eq true). */
int inf_paths_check_cond(struct inf_record *r, const struct inf_paths *ps,
			 char *err);

#endif
