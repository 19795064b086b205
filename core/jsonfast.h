/*
 * A two-stage (simdjson-style) validator for the drop of root members and
 * the fused chain's edits (core/jsonfast.c): AVX-512 on CPUs that have
 * it, nothing elsewhere.
 */
#ifndef INF_JSONFAST_H
#define INF_JSONFAST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct inf_dropkeys;
struct inf_jsonfast; /* scratch of one thread, grown to its records */

/* Records longer than this are left to core/json.c's own parser: the
 * scratch holds 13 bytes per byte of a record. */
#define INF_JSONFAST_MAX (64 * 1024)

/* Whether this CPU runs the fast path (AVX-512 BW, VL, VBMI, VBMI2 and
 * PCLMULQDQ, enabled by the OS). */
int inf_jsonfast_available(void);

/* Accepts only what inf_json_drop_top accepts, and then appends to `out`
 * the same bytes (the root members whose key `keys` holds removed) and
 * counts them in *removed: returns 0. Returns 1 with nothing appended
 * for everything else: text it refuses or is not sure of, a root that is
 * not an object, a root key with an escape, max_depth or max_key (the
 * longest key in raw bytes, 0 for any) exceeded, a record past
 * INF_JSONFAST_MAX, no memory, or no fast path on this CPU;
 * inf_json_drop_top's own parser then gives the answer. *s is created on
 * first use; inf_jsonfast_free releases it. */
int inf_jsonfast_drop_top(struct inf_jsonfast **s, const char *js, size_t len,
			  unsigned max_depth, size_t max_key,
			  const struct inf_dropkeys *keys, struct inf_buf *out,
			  size_t *removed);

/* A member of the root object, as offsets into the record: its key's
 * opening quote, the key's length in raw bytes, its value's first byte
 * and the byte after its last. */
struct inf_jsonfast_member {
	uint32_t key, klen, v, vend;
};

/* Accepts what inf_json_drop_top would accept with keys of no member
 * (the same text, limits and roots), and gives the root's members in
 * order (*m, valid until the next call with *s) and the offset of the
 * root's closing '}': returns 0. Returns 1 for everything else, as
 * inf_jsonfast_drop_top does. */
int inf_jsonfast_members(struct inf_jsonfast **s, const char *js, size_t len,
			 unsigned max_depth, size_t max_key,
			 const struct inf_jsonfast_member **m, size_t *nm, size_t *close);

/* NDJSON lines from the start of [js, js + len), each run as the framer
 * runs a line through a chain of one drop (inf_json_drop_top on the line
 * less a '\r' before its '\n', then the line ending copied; a line of
 * whitespace copied as it is), until the first line this path does not
 * take: one over max_record, one without a '\n' after it, any
 * inf_jsonfast_drop_top declines. Returns the bytes of the lines taken
 * (0: none), their output appended to `out`, *lines their count, *blank
 * how many of them were whitespace, and in *read the bytes it read (a
 * window of whole lines, at most INF_JSONFAST_MAX, 0 when none): a
 * caller runs the lines up to there itself before it asks again, so
 * that no byte is read twice. */
size_t inf_jsonfast_drop_lines(struct inf_jsonfast **s, const char *js, size_t len,
			       unsigned max_depth, size_t max_key, size_t max_record,
			       const struct inf_dropkeys *keys, struct inf_buf *out,
			       size_t *lines, size_t *blank, size_t *read);

/* What a lines path does with a line's members (as inf_jsonfast_members
 * gives them, offsets from the line's start; the line less its line
 * ending in [line, line + len)): appends the record's output to `out` and
 * returns 0; returns INF_JSONFAST_LINE_DROP, nothing appended, when the
 * record is dropped (no line ending is written then); anything else,
 * nothing appended, when the line must go the caller's own way. */
#define INF_JSONFAST_LINE_DROP 2
typedef int (*inf_jsonfast_line_fn)(void *ctx, const char *line, size_t len,
				    const struct inf_jsonfast_member *m, size_t nm,
				    size_t close, struct inf_buf *out);

/* As inf_jsonfast_drop_lines, each record's line given to fn instead of
 * dropped from, and taken only when fn takes it; *dropped counts the
 * lines fn dropped. */
size_t inf_jsonfast_member_lines(struct inf_jsonfast **s, const char *js, size_t len,
				 unsigned max_depth, size_t max_key, size_t max_record,
				 inf_jsonfast_line_fn fn, void *ctx, struct inf_buf *out,
				 size_t *lines, size_t *blank, size_t *dropped, size_t *read);

void inf_jsonfast_free(struct inf_jsonfast *s);

#endif
