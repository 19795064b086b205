/*
 * JSON tokenizing with validation (core/json.c) and string helpers
 * (core/jsonstr.c).
 *
 * A record that passes is RFC 8259 JSON: separators and their places,
 * number and literal grammar, string contents (control characters, UTF-8,
 * escape sequences and surrogate pairs), a single root value and a depth
 * limit. Tokens use jsmn's type and layout (jsmn.h, types only): offsets
 * into the caller's bytes, nothing copied.
 */
#ifndef INF_JSON_H
#define INF_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_HEADER
#include <jsmn.h>

#include "buf.h"
#include "inflight/plugin.h"

/* Reusable token storage; grows to the largest record seen. */
struct inf_tokens {
	jsmntok_t *tok;
	unsigned cap;
	int n;
	/* open containers while parsing, grows to the deepest record seen */
	int *stack;
	unsigned stack_cap;
	/* longest key accepted, in raw bytes between the quotes; 0: any.
	 * Set by the owner; inf_json_parse refuses longer keys with
	 * INF_ERR_LIMIT. */
	size_t max_key;
	/* set by inf_json_parse when some key holds an escape: keys can then
	 * not be compared as raw bytes */
	int key_escapes;
	/* inf_json_drop_top's and inf_json_fuse_top's two-stage path
	 * (core/jsonfast.h) */
	struct inf_jsonfast *fast;
};

struct inf_json_err {
	size_t offset; /* byte offset in the parsed text */
	char msg[160];
};

/* Tokenizes and validates `len` bytes holding exactly one JSON value with
 * optional whitespace around it. Nesting deeper than `max_depth` is an
 * error. Returns 0 with t->n tokens (token 0 is the root), INF_ERR_INVALID
 * or INF_ERR_LIMIT with `err` filled, or INF_ERR_NOMEM. */
int inf_json_parse(struct inf_tokens *t, const char *js, size_t len,
		   unsigned max_depth, struct inf_json_err *err);

/* Whether `len` bytes are one JSON value, as inf_json_parse would say
 * (without max_key_bytes), without its tokens for an object: about a
 * byte of memory per byte, where tokens take up to ten (framing
 * detection reads a first line of up to max_record_bytes). Returns 1, 0,
 * or INF_ERR_NOMEM. */
int inf_json_is_value(const char *js, size_t len, unsigned max_depth);

/* Root keys for inf_json_drop_top: a key of n raw bytes at k is one when
 * bit n % 64 of `lens` and bit k[0] of `first` are set (no key of
 * another length or first byte is looked at further) and match() says so.
 * The empty key's first byte counts as 0. */
struct inf_dropkeys {
	uint64_t lens;
	uint64_t first[4];
	int (*match)(const void *ctx, const char *k, size_t n);
	const void *ctx;
};

/* Whether a key of n raw bytes at k passes the length and first-byte
 * test of `keys` (k is read only when n > 0). */
static inline __attribute__((always_inline)) int
inf_dropkeys_may_hold(const struct inf_dropkeys *keys, const char *k,
		      size_t n)
{
	unsigned char c = n ? (unsigned char)k[0] : 0;

	return (keys->lens >> (n & 63) & 1) && (keys->first[c >> 6] >> (c & 63) & 1);
}

/* Validates `len` bytes as inf_json_parse does (the same grammar, limits,
 * messages and offsets; no tokens are built, only t's stack and max_key
 * are used) and appends them to `out` with every member of the root
 * object whose key `keys` holds removed, separators and whitespace left
 * exactly as inf_record_emit leaves them after host->remove of those
 * members. Returns 0 with *removed members counted; 1 when the record
 * needs the tokens instead (its root is not an object, or a root key holds
 * an escape, which raw bytes cannot be compared with); INF_ERR_INVALID or
 * INF_ERR_LIMIT with err filled; or INF_ERR_NOMEM. Only a 0 appends. */
int inf_json_drop_top(struct inf_tokens *t, const char *js, size_t len,
		      unsigned max_depth, const struct inf_dropkeys *keys,
		      struct inf_buf *out, size_t *removed, struct inf_json_err *err);

/* As inf_json_drop_top, and t then holds the tokens of what was appended,
 * as inf_json_parse would make them from it (offsets from where it starts
 * in `out`). On any other return t holds no tokens. */
int inf_json_drop_top_tokens(struct inf_tokens *t, const char *js, size_t len,
			     unsigned max_depth, const struct inf_dropkeys *keys,
			     struct inf_buf *out, size_t *removed,
			     struct inf_json_err *err);

/* The edits of inf_json_fuse_top. keys.match returns 0 for a root key it
 * does not hold, INF_TOP_REMOVE for a member to remove and nothing more,
 * or (i + 1) << INF_TOP_SHIFT for key i (0 <= i < 63) with any of
 * INF_TOP_REMOVE (the member is removed), INF_TOP_VALUE (`value` rewrites
 * the kept member's value) and INF_TOP_TEST (`test` sees its value first,
 * kept or removed). */
#define INF_TOP_REMOVE 1
#define INF_TOP_VALUE 2
#define INF_TOP_TEST 4
#define INF_TOP_SHIFT 3
struct inf_topedit {
	struct inf_dropkeys keys;
	/* For the value [v, v + n) of a member with key i: appends its new
	 * text to `out` and returns 0; returns 1 to keep it (nothing
	 * appended), 2 when the record must go through the steps instead,
	 * or INF_ERR_NOMEM. */
	int (*value)(void *ctx, int i, const char *v, size_t n, struct inf_buf *out);
	/* At the root's end: appends the members to add, given the keys
	 * `seen` (bit i: a member with key i is kept) and whether a member
	 * precedes them (`comma`, for the first one), and sets *first when
	 * the first one it appends is one the steps add before they remove
	 * any (see inf_json_fuse_top); returns 0, 1 when the record must go
	 * through the steps instead, or INF_ERR_NOMEM. */
	int (*close)(void *ctx, uint64_t seen, int comma, struct inf_buf *out, int *first);
	/* For the value [v, v + n) of a member with key i, as the input has
	 * it: returns 0, or 1 when the record must go through the steps. */
	int (*test)(void *ctx, int i, const char *v, size_t n);
	void *ctx;
};

/* As inf_json_drop_top, with the removals, value rewrites and added
 * members of `te`: added members go after the last kept member, before
 * the whitespace that follows it, as inf_record_emit places a set_json
 * insert, or right after '{' when no member is kept; but when every
 * member is removed and the first added one was added before the
 * removals (te->close's *first), where the first removed one was, after
 * the whitespace that follows '{'. Also returns 1 when `value` does. */
int inf_json_fuse_top(struct inf_tokens *t, const char *js, size_t len,
		      unsigned max_depth, const struct inf_topedit *te,
		      struct inf_buf *out, struct inf_json_err *err);

/* inf_json_fuse_top's answer for a record core/jsonfast.c has validated
 * and listed the root members of (inf_jsonfast_members: m, nm, close):
 * the same output and returns, but never INF_ERR_INVALID or
 * INF_ERR_LIMIT. */
struct inf_jsonfast_member;
int inf_json_fuse_members(const char *js, size_t len, const struct inf_jsonfast_member *m,
			  size_t nm, size_t close, const struct inf_topedit *te,
			  struct inf_buf *out);

/* The end of the number starting at p (p < end), or NULL if its grammar
 * is wrong where it stops: a byte at a time (inf_json_parse has a faster
 * way for numbers with 16 bytes in sight). */
const char *inf_json_number_end(const char *p, const char *end);

/* Releases the storage of `t`. */
void inf_tokens_free(struct inf_tokens *t);

/* Raw span of a token, quotes included for strings. */
static inline int inf_tok_raw_start(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->start - 1 : t->start;
}
static inline int inf_tok_raw_end(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->end + 1 : t->end;
}

int inf_tok_skip_container(const struct inf_tokens *t, int i);

/* Containers that enclose token `i`, not counting itself. */
static inline unsigned inf_tok_depth(const struct inf_tokens *t, int i)
{
	unsigned d = 0;

	for (int p = t->tok[i].parent; p >= 0; p = t->tok[p].parent)
		if (t->tok[p].type == JSMN_OBJECT || t->tok[p].type == JSMN_ARRAY)
			d++;
	return d;
}

/* Index of the token after the subtree rooted at `i`; for a key, after
 * its value. */
static inline int inf_tok_skip(const struct inf_tokens *t, int i)
{
	const jsmntok_t *tk = t->tok;

	if (tk[i].type == JSMN_STRING) {
		if (tk[i].size == 0)
			return i + 1;
		i++; /* a key: its value belongs to the member */
	}
	if (tk[i].type != JSMN_OBJECT && tk[i].type != JSMN_ARRAY)
		return i + 1;
	return inf_tok_skip_container(t, i);
}

/* Decodes the contents of a validated JSON string (no quotes) into UTF-8.
 * Returns a pointer to the decoded bytes, which is `s` itself when there is
 * nothing to decode and `scratch->data` otherwise; NULL on NOMEM. */
const char *inf_json_unescape(const char *s, size_t n, struct inf_buf *scratch,
			      size_t *outlen);

/* Appends `s` as a quoted JSON string (`s` may be NULL when n is 0).
 * Returns 0, INF_ERR_INVALID when `s` is not valid UTF-8, or
 * INF_ERR_NOMEM. */
int inf_json_quote(struct inf_buf *out, const char *s, size_t n);

/* Length of the valid UTF-8 prefix of `s`; equal to n when all is valid. */
size_t inf_utf8_valid_prefix(const char *s, size_t n);

/* Whether c is JSON whitespace (space, tab, LF, CR). */
static inline int inf_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The bytes [*a, *b) a removed member [m, e) of an object takes with it:
 * the comma before it (and the whitespace around that comma) when a
 * kept member precedes it (after_kept), else the comma after it and the
 * whitespace up to the next member, if one follows, as record.c's
 * container_removals places them. `end` bounds the text; only
 * whitespace and one comma may lie between members. */
static inline void inf_json_member_cut(const char *m, const char *e, const char *end,
				       int after_kept, const char **a, const char **b)
{
	const char *q;

	if (after_kept) {
		for (q = m; inf_json_ws(q[-1]); q--)
			;
		for (q--; inf_json_ws(q[-1]); q--) /* q[0] is the comma */
			;
		*a = q, *b = e;
		return;
	}
	for (q = e; q < end && inf_json_ws(*q); q++)
		;
	if (q < end && *q == ',')
		for (q++; q < end && inf_json_ws(*q); q++)
			;
	else
		q = e;
	*a = m, *b = q;
}

/* Whether text that failed to parse leaves in doubt where it ends, as
 * an array's cut found it by counting brackets outside strings: a closing
 * bracket of the other kind than the one it closes (or with none open),
 * one that opens where no value may stand (after anything but ':' in an
 * object, '[' or ',' in an array: '{"a":1, {"b":2}' is balanced by a '}'
 * elements later), a string that opens after anything but '{', '[', ','
 * or ':', or one followed by what cannot follow it there: a key by
 * anything but ':', a value by anything but ',' or its container's end
 * (a stray quote moves every string after it; the element's own value
 * may be followed by ':', ',', '}' or ']'). 0; or 1 with *at the
 * bracket or quote in doubt; or INF_ERR_NOMEM. scratch: len / 8 + 1
 * bytes of stack. What is left open at the end is not in doubt here. */
int inf_json_cut_doubt(const char *js, size_t len, struct inf_buf *scratch, size_t *at);

/* Whether text that does not load leaves an object or array open at its
 * end: counted outside strings (a backslash escaping the byte after it),
 * a '}' or ']' closing the last open bracket of either kind, one with
 * none open ignored. An NDJSON line that does is the first line of a
 * value written across lines, or may be: a JSON writer breaks lines
 * between tokens, inside an open container. */
int inf_json_left_open(const char *js, size_t len);

/* Writes each CR and LF in s as a space. In valid JSON text they stand
 * only between tokens, where a space means the same; inserted text goes
 * through this so that an NDJSON record stays on its line. */
void inf_json_flatten(char *s, size_t n);

/* Whether [s, s+n) is only JSON whitespace. */
int inf_json_is_ws(const char *s, size_t n);

/* The type of the valid JSON value whose first byte is c. */
static inline enum inf_type inf_json_type(char c)
{
	switch (c) {
	case '"': return INF_STRING;
	case '{': return INF_OBJECT;
	case '[': return INF_ARRAY;
	case 't': return INF_TRUE;
	case 'f': return INF_FALSE;
	case 'n': return INF_NULL;
	default: return INF_NUMBER;
	}
}

#endif
