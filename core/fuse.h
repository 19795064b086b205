/*
 * A fused chain: when every step of an access point declares what it does
 * to the root's members (plugin.h: `removes`, `plan`), the core does all
 * of it while it reads each record, in one pass with no tokens, instead
 * of calling each step on the record's tokens (tools/bench/PROFILE.md,
 * item 18). The output is byte for byte what the steps would make; a
 * record the pass cannot take goes through the steps.
 */
#ifndef INF_FUSE_H
#define INF_FUSE_H

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "record.h"

struct inf_access_point;
struct inf_fuse;

/* The fused form of `ap`'s chain, or NULL when it has none: a step
 * without a plan or with a `when`, a path that is not one plain key, a
 * member named after a step sets it or removed after a step maps it, a
 * keep step after a set, removals both before and after a set, a
 * filter or lookup on a member an earlier step removed or changed, a
 * lookup with overwrite, an added value (a lookup's rows and default
 * included) over the access point's limits, more than 63 keys, a
 * chain that is one removal step (inf_json_drop_top does it), or no
 * memory. Borrows `ap`'s steps. */
struct inf_fuse *inf_fuse_new(const struct inf_access_point *ap);
void inf_fuse_free(struct inf_fuse *f);

/* Runs the chain on one record with the step instances of `worker`,
 * appending the result to `out`. Returns 0; INF_FUSE_DROPPED when a
 * filter drops it, nothing appended; 1 when the record must go
 * through the steps (its root is not an object, a root key holds an
 * escape, a map failed or gave a value that breaks a limit, filters and
 * lookups read more than 16 members), nothing appended;
 * INF_ERR_INVALID or INF_ERR_LIMIT with `err` filled, as
 * inf_record_load would say; or INF_ERR_NOMEM. Uses r's tokens' stack
 * and limits and its scratch buffers. */
#define INF_FUSE_DROPPED 2
int inf_fuse_record(const struct inf_fuse *f, unsigned worker, struct inf_record *r,
		    const char *js, size_t len, struct inf_buf *out,
		    struct inf_json_err *err);

/* inf_fuse_record for a record core/jsonfast.c has validated and listed
 * the root members of (inf_jsonfast_members: m, nm, close): the same
 * output and returns, but never INF_ERR_INVALID or INF_ERR_LIMIT. */
struct inf_jsonfast_member;
int inf_fuse_members(const struct inf_fuse *f, unsigned worker, struct inf_record *r,
		     const char *js, size_t len, const struct inf_jsonfast_member *m,
		     size_t nm, size_t close, struct inf_buf *out);

#endif
