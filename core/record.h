/*
 * A record being transformed: its bytes, its tokens and the edits plugins
 * asked for. Edits are kept as a list and applied in one pass of span
 * copies (`inf_record_emit`), so untouched bytes are copied exactly once
 * and nothing is re-serialised. Between steps the edits are committed
 * (applied and re-tokenized) so that each step sees the previous one's
 * result.
 */
#ifndef INF_RECORD_H
#define INF_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "inflight/plugin.h"
#include "inserts.h"
#include "json.h"

/* Facts about the request a record belongs to; all may be "". */
struct inf_request {
	const char *access_point;
	const char *object_key;
	const char *request_id;
	/* 0, or the wall-clock time (CLOCK_REALTIME, ms since the epoch: a
	 * Lambda deadline's) past which no record is given to a plugin's
	 * step: the object fails INF_FAIL_SOURCE, "deadline: ..." */
	long long deadline_ms;
};

enum inf_edit_kind { INF_EDIT_REMOVE = 1, INF_EDIT_REPLACE = 2, INF_EDIT_INSERT = 3 };

struct inf_edit {
	int tok;       /* removed/replaced node, or the object inserted into */
	int kind;      /* enum inf_edit_kind */
	size_t off;    /* text in edit_text (replace, insert) */
	size_t len;
};

/* What an edit does to the bytes: [start, end) of the current record is
 * replaced by `text`. `kind` tells what the text holds, for commit:
 * INF_EDIT_REPLACE a value for node `node`, INF_EDIT_INSERT a member
 * `"key":value` of object `node`, 0 nothing but separators. */
struct inf_range {
	size_t start, end;
	const char *text; /* may be empty */
	size_t tlen;
	size_t seq; /* keeps edits at one position in the order made */
	int kind;
	int node;
};

struct inf_walk_state; /* path matcher state, see path.c */

struct inf_record {
	const char *js; /* current bytes: borrowed input or one of work[] */
	size_t len;
	struct inf_tokens toks;
	unsigned max_depth;
	const struct inf_request *req;

	struct inf_edit *edits;
	size_t nedits, edits_cap;
	/* the first `carried` edits are scalar replacements that earlier
	 * steps left pending (inf_record_step_done); their nodes are marked
	 * and every other pending edit is an insert. Until inf_record_flush
	 * applies them, only the host services that cannot see the
	 * difference run without it (host.c). */
	size_t carried;
	/* the pending inserts, by (object, key): forgotten with the edits */
	struct inf_inserts inserts;
	int service_rc; /* a host service failed (a flush, or out of memory
			   where its answer cannot say so): the record fails */
	int edit_rc;  /* an edit a step asked for and the host refused: the
			 record fails, whatever the step did with it */
	/* every pending edit removes a child of container `ordered_ct`, in
	 * document order: the ranges need no sorting (record.c) */
	int ordered;
	int ordered_ct;
	struct inf_buf edit_text;
	uint32_t *mark; /* per token: (gen << 2) | edit kind */
	size_t mark_cap;
	uint32_t gen;

	struct inf_buf scratch;  /* unescaped strings handed to plugins */
	struct inf_buf keybuf;   /* unescaped keys while matching */
	struct inf_buf valbuf;   /* quoted values for set_string */
	struct inf_buf filtered; /* the record a fused chain's filters read */
	struct inf_buf work[2];  /* committed bytes, alternating */
	int cur_work;
	struct inf_tokens snippet; /* validating replacement JSON */
	/* the text snippet holds the tokens of, and the limits it passed
	 * (inf_record_check_value); snippet_ok is 0 when it holds none */
	struct inf_buf snippet_text;
	unsigned snippet_depth;
	size_t snippet_key;
	int snippet_ok;
	struct inf_json_err edit_err; /* why the last edit hit a limit */

	struct inf_walk_state *states; /* matcher scratch */
	size_t states_cap;
	/* states held by walks in progress: a walk started from a visitor
	 * (find, cond_match) takes its states above them (path.c) */
	size_t states_busy;
	/* which states a step of the walk pushed already: stamped with
	 * stamp_gen, by state index of the path set (path.c) */
	uint32_t *stamp;
	size_t stamp_cap;
	uint32_t stamp_gen;

	/* ranges scratch for emit */
	struct inf_range *ranges;
	size_t ranges_cap;
	uint64_t *kids; /* removals and inserts keyed by container (record.c) */
	size_t kids_cap;

	/* commit scratch: the relocated tokens and the old-to-new map */
	struct inf_tokens next;
	int *map;
	size_t map_cap;
	long *shift; /* per applied range: bytes it and those before add */
	size_t shift_cap;
};

/* Initialises an empty record; `max_depth` bounds nesting. */
void inf_record_init(struct inf_record *r, unsigned max_depth);
/* Releases every buffer of the record. */
void inf_record_free(struct inf_record *r);

/* Parses `len` bytes at `js` (borrowed until the next load) as the record.
 * Returns 0, or INF_ERR_INVALID / INF_ERR_LIMIT with `err` filled, or
 * INF_ERR_NOMEM. Pending edits are dropped. */
int inf_record_load(struct inf_record *r, const char *js, size_t len,
		    struct inf_json_err *err);

/* As inf_record_load of the text inf_json_drop_top_tokens writes: the
 * record without the members of its root object that `keys` holds, as a
 * step that removes them would leave it after a commit. Returns 1 (and
 * loads nothing) when the root is not an object or a root key holds an
 * escape; else as inf_record_load. */
int inf_record_load_dropping(struct inf_record *r, const char *js, size_t len,
			     const struct inf_dropkeys *keys, struct inf_json_err *err);

/* Makes the other work buffer, which a commit or a fused load has just
 * written, the record's bytes (the tokens must already be its own). */
void inf_record_use_work(struct inf_record *r);

#ifdef INF_VERIFY_COMMIT
/* Fuzz builds: aborts unless the tokens are what a fresh parse of the
 * record's bytes gives (after a commit, and after a fused load). */
void inf_record_verify(const struct inf_record *r);
#endif

/* Applies pending edits, so the next reader sees them: the bytes are
 * rewritten and the tokens relocated, not re-read (core/commit.c).
 * Returns 0, INF_ERR_LIMIT when an inserted value breaks max_depth or
 * max_key (a guard: the edits refuse such text when they are made), or
 * INF_ERR_NOMEM; `err` says which. */
int inf_record_commit(struct inf_record *r, struct inf_json_err *err);

/* Between two steps: commits the pending edits, or, when every one
 * replaces a scalar by a scalar, leaves them pending as `carried`, to be
 * applied by the final emit, the next commit or inf_record_flush,
 * whichever comes first. Returns as inf_record_commit. */
int inf_record_step_done(struct inf_record *r, struct inf_json_err *err);

/* Applies the carried edits on the tokens in place (no node changes its
 * number), leaving the later pending edits (inserts) pending. Returns 0,
 * INF_ERR_LIMIT with `err` filled, or INF_ERR_NOMEM. */
int inf_record_flush(struct inf_record *r, struct inf_json_err *err);

/* Appends the record, pending edits applied, to `out`. */
int inf_record_emit(struct inf_record *r, struct inf_buf *out);

/* The pending edits as byte ranges, in order, none inside another, in
 * r->ranges[0, *count) until the next edit; and the record with the
 * first `n` of them applied, appended to `out`. For commit (commit.c). */
int inf_record_ranges(struct inf_record *r, size_t *count);
int inf_record_emit_ranges(struct inf_record *r, size_t n, struct inf_buf *out);

/* Starts a new generation of edit marks after the tokens changed. */
int inf_record_reset_marks(struct inf_record *r);

/* Whether a token is hidden by a pending remove or replace. */
static inline int inf_record_hidden(const struct inf_record *r, int tok)
{
	return r->mark && (r->mark[tok] >> 2) == r->gen;
}

/* Edits (the host table's remove/replace/set, see inflight/plugin.h). */
int inf_record_remove(struct inf_record *r, int node);
int inf_record_replace_json(struct inf_record *r, int node, const char *json,
			    size_t len);
int inf_record_replace_string(struct inf_record *r, int node, const char *s,
			      size_t len);
int inf_record_set_json(struct inf_record *r, int obj, const char *key,
			size_t keylen, const char *json, size_t len,
			int overwrite);
int inf_record_set_string(struct inf_record *r, int obj, const char *key,
			  size_t keylen, const char *s, size_t len,
			  int overwrite);

/* Checks JSON text that an edit puts `depth` containers deep: whether it
 * parses and stays within max_depth and max_key. Returns 0,
 * INF_ERR_INVALID, INF_ERR_LIMIT or INF_ERR_NOMEM, `err` saying why.
 * The edits above refuse such text with the reason in r->edit_err, so
 * no step, the last one included, can emit a record over the limits. */
int inf_record_check_value(struct inf_record *r, const char *json, size_t len,
			   unsigned depth, struct inf_json_err *err);

/* Node access. */
enum inf_type inf_record_type(struct inf_record *r, int node);
const char *inf_record_raw(struct inf_record *r, int node, size_t *len);
const char *inf_record_string(struct inf_record *r, int node, size_t *len);
/* Decoded key of member key token `key` (uses r->keybuf). */
const char *inf_record_key(struct inf_record *r, int key, size_t *len);

#endif
