/*
 * The JSON tokenizer: one pass over the text that checks RFC 8259 grammar
 * (separators, numbers, literals, escapes, UTF-8, surrogate pairs, one
 * root value, nesting depth) while it emits jsmn-layout tokens.
 *
 * Why not jsmn's own parser: jsmn reads one byte per loop iteration and
 * accepts text that is not JSON (missing commas, bad numbers, raw control
 * characters, invalid UTF-8), so it needed a second validation pass; the
 * two were 70 % of the drop path's instructions (tools/bench/PROFILE.md).
 * The tokens keep jsmn's layout and meaning exactly (string tokens exclude
 * the quotes, a key's size is 1 and its value's parent is the key), and
 * tests/check_json.c compares them with jsmn's on every valid case.
 *
 * The same parser, built a third time without tokens, validates a record
 * for inf_json_drop_top and writes it without the root members it removes
 * (tools/bench/PROFILE.md, item 11); a fourth build does the same and
 * emits the tokens of what it writes, for inf_json_drop_top_tokens (item
 * 15); a fifth also rewrites root values and adds root members, for
 * inf_json_fuse_top (item 18). Those two try core/jsonfast.c's two
 * stages first, on CPUs with AVX-512 (item 23): this parser reads what
 * that path declines, and gives every message.
 */
#include "json.h"
#include "jsonfast.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "inflight/plugin.h"
#include "utf8.h"

/* What came just before a value or key is expected, for messages. */
enum after { AT_ROOT, AT_OPEN, AT_COMMA, AT_COLON };

static int fail(struct inf_json_err *err, size_t off, const char *msg)
{
	err->offset = off;
	snprintf(err->msg, sizeof err->msg, "%s", msg);
	return INF_ERR_INVALID;
}

/* "unexpected character 'x'" (or the NUL message) for the byte at p. */
static int unexpected(struct inf_json_err *err, const char *js, const char *p,
		      const char *hint)
{
	unsigned char c = (unsigned char)*p;

	err->offset = (size_t)(p - js);
	if (c == 0)
		snprintf(err->msg, sizeof err->msg, "NUL byte in JSON text");
	else if (c == '\'')
		snprintf(err->msg, sizeof err->msg,
			 "unexpected \"'\"%s (JSON strings take double quotes)", hint);
	else if (c > 0x20 && c < 0x7f)
		snprintf(err->msg, sizeof err->msg, "unexpected '%c'%s", c, hint);
	else
		snprintf(err->msg, sizeof err->msg, "unexpected byte 0x%02x%s", c, hint);
	return INF_ERR_INVALID;
}

static int truncated(struct inf_json_err *err, size_t off)
{
	return fail(err, off, "truncated JSON (unexpected end of record)");
}

static int too_deep(struct inf_json_err *err, size_t off, unsigned max_depth)
{
	err->offset = off;
	snprintf(err->msg, sizeof err->msg, "nesting deeper than max_depth (%u)",
		 max_depth);
	return INF_ERR_LIMIT;
}

static inline const char *skip_ws(const char *p, const char *end)
{
	/* separators are mostly followed by nothing or one space */
	if (p < end && *p == ' ')
		p++;
	/* every byte that is not whitespace is above ' ' but control bytes */
	if (p < end && (unsigned char)*p <= ' ')
		while (p < end && inf_json_ws(*p))
			p++;
	return p;
}

static inline int is_digit(char c)
{
	return (unsigned)(c - '0') < 10u;
}

static inline int is_hex(char c)
{
	return is_digit(c) || (unsigned)((c | 0x20) - 'a') < 6u;
}

/* Bytes that may continue a number or literal: what makes "1a", "01",
 * "1.5.2" or "nulll" one bad token instead of two good ones. */
static const unsigned char word_byte[256] = {
	['0' ... '9'] = 1, ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1,
	['.'] = 1, ['+'] = 1, ['-'] = 1, ['_'] = 1,
};

static inline int is_word(char c)
{
	return word_byte[(unsigned char)c];
}

/* Checks the escape at s (a backslash, s < end) and returns its length,
 * or 0 with err filled (truncated when the text ends inside it). */
static size_t scan_escape(const char *js, const unsigned char *s,
			  const unsigned char *end, struct inf_json_err *err)
{
	size_t off = (size_t)((const char *)s - js), have = (size_t)(end - s);
	unsigned u, lo;

	if (have < 2)
		return truncated(err, (size_t)((const char *)end - js)), 0;
	switch (s[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return 2;
	case 'u':
		break;
	default:
		return fail(err, off, "invalid escape in string"), 0;
	}
	for (size_t i = 2; i < 6; i++) {
		if (i >= have)
			return truncated(err, (size_t)((const char *)end - js)), 0;
		if (!is_hex((char)s[i]))
			return fail(err, off, "invalid \\u escape in string"), 0;
	}
	u = inf_hex4((const char *)s + 2);
	if (u >= 0xDC00 && u <= 0xDFFF)
		return fail(err, off, "lone low surrogate escape"), 0;
	if (u < 0xD800 || u > 0xDBFF)
		return 6;
	if (have < 12 || s[6] != '\\' || s[7] != 'u')
		return fail(err, off, "lone high surrogate escape"), 0;
	for (size_t i = 8; i < 12; i++)
		if (!is_hex((char)s[i]))
			return fail(err, off, "lone high surrogate escape"), 0;
	lo = inf_hex4((const char *)s + 8);
	if (lo < 0xDC00 || lo > 0xDFFF)
		return fail(err, off, "lone high surrogate escape"), 0;
	return 12;
}

/* Scans a string body from p (after the opening quote). Returns its
 * closing quote, or NULL with err filled; sets *esc when the body holds
 * an escape. */
static inline __attribute__((always_inline)) const char *
scan_string(const char *js, const char *p, const char *end, int *esc,
	    struct inf_json_err *err)
{
	const unsigned char *s = (const unsigned char *)p;
	const unsigned char *e = (const unsigned char *)end;

	for (;;) {
#if defined(__SSE2__)
		/* 16 bytes at a time to the first '"', '\\', control byte or
		 * byte >= 0x80; strings are mostly plain ASCII */
		const __m128i quote = _mm_set1_epi8('"');
		const __m128i bslash = _mm_set1_epi8('\\');
		const __m128i ctl = _mm_set1_epi8(0x1f);
		while (e - s >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
			__m128i m = _mm_or_si128(
				_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
				_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
			unsigned bits = (unsigned)_mm_movemask_epi8(m) |
					(unsigned)_mm_movemask_epi8(v);
			if (bits) {
				s += __builtin_ctz(bits);
				goto special;
			}
			s += 16;
		}
#endif
		while (s < e && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		if (s >= e)
			return truncated(err, (size_t)(end - js)), NULL;
#if defined(__SSE2__)
	special:
#endif
		if (*s == '"')
			return (const char *)s;
		if (*s == '\\') {
			size_t k = scan_escape(js, s, e, err);
			*esc = 1;
			if (!k)
				return NULL;
			s += k;
		} else if (*s < 0x20) {
			return fail(err, (size_t)((const char *)s - js),
				    *s ? "control character in string"
				       : "NUL byte in JSON text"), NULL;
		} else {
			size_t k = inf_utf8_seq(s, (size_t)(e - s));
			if (!k)
				return fail(err, (size_t)((const char *)s - js),
					    "invalid UTF-8 in string"), NULL;
			s += k;
		}
	}
}

const char *inf_json_number_end(const char *p, const char *end)
{
	if (*p == '-' && ++p == end)
		return NULL;
	if (*p == '0')
		p++;
	else if (is_digit(*p))
		do
			p++;
		while (p < end && is_digit(*p));
	else
		return NULL;
	if (p < end && *p == '.') {
		if (++p == end || !is_digit(*p))
			return NULL;
		do
			p++;
		while (p < end && is_digit(*p));
	}
	if (p < end && (*p | 0x20) == 'e') {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return NULL;
		do
			p++;
		while (p < end && is_digit(*p));
	}
	return p;
}

/* inf_json_number_end's answer; numbers whose integer and fraction fit in
 * 16 bytes without an exponent are read from one mask of their digits. */
static inline __attribute__((always_inline)) const char *
scan_number(const char *p, const char *end)
{
#if defined(__SSE2__)
	if (end - p >= 16) {
		const __m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
					       _mm_set1_epi8('0'));
		const __m128i d = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(9)), v);
		const unsigned other = ~(unsigned)_mm_movemask_epi8(d); /* bit 16 set */
		const unsigned i = *p == '-';
		unsigned j = (unsigned)__builtin_ctz(other >> i << i);

		if (j == i)
			return NULL;
		if (p[i] == '0' && j > i + 1)
			return p + i + 1; /* "01": the caller refuses the digit */
		if (j < 15 && p[j] == '.') {
			unsigned k = (unsigned)__builtin_ctz(other >> (j + 1) << (j + 1));
			if (k == j + 1)
				return NULL;
			j = k;
		}
		/* else: an exponent, a '.' still to read, or more than 16 bytes */
		if (j < 16 && p[j] != '.' && (p[j] | 0x20) != 'e')
			return p + j;
	}
#endif
	return inf_json_number_end(p, end);
}

/* A bad number or literal at p: truncated when it runs to the end of a
 * text whose container is still open, else `msg` at p. */
static int bad_word(struct inf_json_err *err, const char *js, const char *p,
		    const char *end, unsigned sp, const char *msg)
{
	const char *q = p;

	while (q < end && is_word(*q))
		q++;
	if (q == end && sp > 0)
		return truncated(err, (size_t)(end - js));
	return fail(err, (size_t)(p - js), msg);
}

static int grow_tokens(struct inf_tokens *t, size_t want)
{
	unsigned cap = t->cap ? t->cap : 64;
	jsmntok_t *p;

	while (cap < want) {
		if (cap > (1u << 30))
			return INF_ERR_NOMEM;
		cap *= 2;
	}
	if (cap == t->cap)
		return 0;
	p = realloc(t->tok, (size_t)cap * sizeof *p);
	if (!p)
		return INF_ERR_NOMEM;
	t->tok = p;
	t->cap = cap;
	return 0;
}

/* The stack holds, per open container, the enclosing container and its
 * child count so far (two ints a level). */
static int grow_stack(struct inf_tokens *t)
{
	unsigned cap = t->stack_cap ? t->stack_cap * 2 : 32;
	int *p = realloc(t->stack, 2 * (size_t)cap * sizeof *p);

	if (!p)
		return INF_ERR_NOMEM;
	t->stack = p;
	t->stack_cap = cap;
	return 0;
}

/* Appends a token with size 0. *tk and *cap mirror t's storage in the
 * caller's registers. Returns its index or a negative inf_status; with
 * `notok` (a constant: inf_json_drop_top builds no tokens), 0. */
static inline __attribute__((always_inline)) int
emit(struct inf_tokens *t, jsmntok_t **tk, unsigned *cap, int *n, const int roomy,
     const int notok, jsmntype_t type, int start, int end, int parent)
{
	jsmntok_t *k;

	if (notok)
		return 0;
	if (!roomy && (unsigned)*n == *cap) {
		if (grow_tokens(t, (size_t)*cap + 1))
			return INF_ERR_NOMEM;
		*tk = t->tok;
		*cap = t->cap;
	}
	k = &(*tk)[*n];
	k->type = type;
	k->start = start;
	k->end = end;
	k->size = 0;
	k->parent = parent;
	return (*n)++;
}

/* inf_json_drop_top's removals, made while parse() reads the root's
 * members: the input is copied to `o` up to each removed range. Only a
 * removed member costs more than a test of its key. */
struct drop_pass {
	const struct inf_dropkeys *keys;
	char *o;            /* where the output goes on */
	const char *copied; /* the input before it is written or removed */
	const char *member; /* the current root member's key, if removed */
	int after_kept;     /* and a kept member precedes it */
	int member_tok;     /* with tokens: the index its key took */
	char *start;        /* where the output starts */
	size_t removed;
	/* inf_json_fuse_top (drop 3) only: */
	const struct inf_topedit *te;
	struct inf_buf *out;
	const char *in;     /* js */
	const char *in_end; /* js + len */
	const char *vstart; /* the current root member's value */
	int vkey;           /* its keys.match code, if kept and te sees it */
	int tkey;           /* or if removed and te->test sees it */
	uint64_t seen;      /* te's keys among the kept root members */
};

/* Starts d writing at out's end, which has room. Sets what the parse
 * reads before it writes it, no more: zeroing the whole struct cost a rep
 * stos a record, 3 % of the drop's time. */
static inline void pass_start(struct drop_pass *d, const struct inf_dropkeys *keys,
			      const char *js, struct inf_buf *out)
{
	d->keys = keys;
	d->copied = js;
	d->member = NULL;
	d->removed = 0;
	d->o = d->start = out->data + out->len;
	d->vkey = d->tkey = 0;
	d->seen = 0;
}

/* Removes [a, b) from the output; ranges come in document order. */
static inline void drop_range(struct drop_pass *d, const char *a, const char *b)
{
	memcpy(d->o, d->copied, (size_t)(a - d->copied));
	d->o += a - d->copied;
	d->copied = b;
}

/* The removed member d->member, whose value ends at e, with its
 * separator: the comma before it when a kept member precedes it, else the
 * comma after it and the space up to the next member, if one follows (as
 * record.c's container_removals does). Only whitespace and one comma lie
 * between members; what follows e is not checked yet, and a text that
 * breaks the grammar there is refused before anything is written. */
static inline __attribute__((always_inline)) void
drop_member(struct drop_pass *d, const char *e, const char *end)
{
	const char *a, *b;

	inf_json_member_cut(d->member, e, end, d->after_kept, &a, &b);
	drop_range(d, a, b);
	d->member = NULL;
}

/* After te's hook appended to d->out: room for the rest of the input. */
static int fuse_reserve(struct drop_pass *d)
{
	if (inf_buf_reserve(d->out, (size_t)(d->in_end - d->copied)))
		return INF_ERR_NOMEM;
	d->o = d->out->data + d->out->len;
	return 0;
}

/* te->test on the value of the root member ending at e, with keys.match
 * code `act`: 0, or 1 when the record goes through the steps. */
static __attribute__((noinline)) int fuse_test(struct drop_pass *d, int act, const char *e)
{
	return d->te->test(d->te->ctx, (act >> INF_TOP_SHIFT) - 1, d->vstart,
			   (size_t)(e - d->vstart));
}

/* The kept root member ending at e, tested and rewritten as d->vkey says:
 * 0, 1 when the record goes through the steps, or INF_ERR_NOMEM. */
static __attribute__((noinline)) int fuse_value(struct drop_pass *d, const char *e)
{
	int rc, act = d->vkey, i = (act >> INF_TOP_SHIFT) - 1;

	d->vkey = 0;
	if ((act & INF_TOP_TEST) && (rc = fuse_test(d, act, e)))
		return rc;
	if (!(act & INF_TOP_VALUE))
		return 0;
	drop_range(d, d->vstart, d->vstart);
	d->out->len = (size_t)(d->o - d->out->data);
	rc = d->te->value(d->te->ctx, i, d->vstart, (size_t)(e - d->vstart), d->out);
	if (rc == 0)
		d->copied = e;
	else if (rc != 1)
		return rc == 2 ? 1 : rc;
	return fuse_reserve(d);
}

/* The members te adds, at the root's '}' at p: after the last kept
 * member, before the whitespace that follows it (what follows it in the
 * output so far is whitespace only: the members after it were removed
 * with the comma before each), or right after '{', or after the
 * whitespace that follows '{' (inf_json_fuse_top). */
static __attribute__((noinline)) int fuse_close(struct drop_pass *d, const char *p,
						 int kept)
{
	struct inf_buf *out = d->out;
	size_t at, ws, len;
	int rc, first = 0;

	drop_range(d, p, p);
	out->len = (size_t)(d->o - out->data);
	for (at = out->len; inf_json_ws(out->data[at - 1]); at--)
		;
	len = out->len;
	if ((rc = d->te->close(d->te->ctx, d->seen, kept, out, &first)))
		return rc;
	if (!kept && d->removed && first) {
		const char *q = d->in; /* past '{' and the whitespace after it */

		while (*q++ != '{')
			;
		for (; inf_json_ws(*q); q++)
			at++;
	}
	ws = len - at;
	if (ws && out->len > len) { /* [ws][added] to [added][ws] */
		if (inf_buf_reserve(out, ws))
			return INF_ERR_NOMEM;
		memcpy(out->data + out->len, out->data + at, ws);
		memmove(out->data + at, out->data + at + ws, out->len - len + ws);
	}
	return fuse_reserve(d);
}

/* The parser; `roomy` (a constant in each copy) says t has room for a
 * token per byte of the text, so emit need not check; `drop` (a constant)
 * that it makes d's removals (the root is then an object): 1 without
 * tokens, 2 with the tokens of what it writes (offsets less what was
 * removed before them, a removed member's tokens taken back when its
 * value ends), 3 without tokens and with d->te's rewrites and additions
 * too. */
static inline __attribute__((always_inline)) int
parse(struct inf_tokens *t, const char *js, size_t len, unsigned max_depth,
      struct inf_json_err *err, const int roomy, const int drop,
      struct drop_pass *d)
{
	const char *p = js, *end = js + len, *q, *comma = NULL;
	const int notok = drop == 1 || drop == 3;
	int n = 0, parent = -1, cur = -1, tok, esc = 0, kesc, sh = 0;
	int cur_obj = 0, count = 0; /* the open container's kind, children */
	jsmntok_t *tk;
	unsigned cap;
	size_t max_key = t->max_key;
	unsigned sp = 0;
	enum after at = AT_ROOT;

	t->n = 0;
	t->key_escapes = 0;
	if (len > (size_t)INT32_MAX - 2)
		return fail(err, 0, "record too large for the tokenizer");
	while (end > p && inf_json_ws(end[-1]))
		end--;
	p = skip_ws(p, end);
	if (p == end)
		return fail(err, len, "empty record");
	if (drop && *p != '{')
		return 1;
	if (!notok && !t->cap && grow_tokens(t, len / 16 + 16))
		return INF_ERR_NOMEM;
	tk = t->tok;
	cap = t->cap;

value: /* p < end, at the first byte of a value */
	if (*p == '"') { /* the most common value, before the jump table */
		if (!(q = scan_string(js, p + 1, end, &esc, err)))
			return INF_ERR_INVALID;
		tok = emit(t, &tk, &cap, &n, roomy, notok, JSMN_STRING, (int)(p + 1 - js) - sh,
			   (int)(q - js) - sh, parent);
		if (tok < 0)
			return tok;
		p = q + 1;
		goto after;
	}
	switch (*p) {
	case '{':
	case '[':
		if (sp >= max_depth)
			return too_deep(err, (size_t)(p - js), max_depth);
		if (sp == t->stack_cap && grow_stack(t))
			return INF_ERR_NOMEM;
		tok = emit(t, &tk, &cap, &n, roomy, notok, *p == '{' ? JSMN_OBJECT : JSMN_ARRAY,
			   (int)(p - js) - sh, -1, parent);
		if (tok < 0)
			return tok;
		t->stack[2 * sp] = notok ? cur_obj : cur;
		t->stack[2 * sp + 1] = count;
		sp++;
		cur = tok;
		cur_obj = *p == '{';
		count = 0;
		if ((p = skip_ws(p + 1, end)) == end)
			return truncated(err, (size_t)(end - js));
		if (*p == (cur_obj ? '}' : ']'))
			goto close;
		at = AT_OPEN;
		if (cur_obj)
			goto key;
		parent = cur;
		count++;
		goto value;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		q = scan_number(p, end);
		if (!q || (q < end && is_word(*q)))
			return bad_word(err, js, p, end, sp, "invalid number");
		tok = emit(t, &tk, &cap, &n, roomy, notok, JSMN_PRIMITIVE, (int)(p - js) - sh,
			   (int)(q - js) - sh, parent);
		p = q;
		break;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
		size_t ll = *p == 'f' ? 5 : 4;
		uint32_t have = 0, want = 1;
		if ((size_t)(end - p) >= ll) {
			memcpy(&have, p + ll - 4, 4); /* "true", "null", "alse" */
			memcpy(&want, lit + ll - 4, 4);
		}
		if (have != want ||
		    (p + ll < end && is_word(p[ll])))
			return bad_word(err, js, p, end, sp, "invalid literal");
		tok = emit(t, &tk, &cap, &n, roomy, notok, JSMN_PRIMITIVE, (int)(p - js) - sh,
			   (int)(p + ll - js) - sh, parent);
		p += ll;
		break;
	}
	case ',':
		if (at == AT_OPEN || at == AT_ROOT)
			return fail(err, (size_t)(p - js),
				    "unexpected ',' (trailing or leading comma)");
		return fail(err, (size_t)(p - js), "unexpected ','");
	case ']':
	case '}':
		if (at == AT_COMMA)
			return fail(err, (size_t)(comma - js),
				    "unexpected ',' (trailing or leading comma)");
		return unexpected(err, js, p, at == AT_COLON ? ": expected a value" : "");
	default:
		if (is_word(*p))
			return bad_word(err, js, p, end, sp, "invalid literal or number");
		return unexpected(err, js, p, at == AT_ROOT ? "" : ": expected a value");
	}
	if (tok < 0)
		return tok;

after: /* a value ended just before p */
	if (drop && sp == 1 && d->member) { /* a removed root member's value */
		if (drop == 3 && d->tkey && (tok = fuse_test(d, d->tkey, p)))
			return tok;
		drop_member(d, p, end);
		if (drop == 2) {
			n = d->member_tok; /* bytes removed so far: */
			sh = (int)((d->copied - js) - (d->o - d->start));
		}
	} else if (drop == 3 && sp == 1 && d->vkey && (tok = fuse_value(d, p))) {
		return tok;
	}
	if (sp == 0)
		goto done;
	/* the common `,"` or `, "` between members: straight to the key */
	if (cur_obj && end - p > 2 && p[0] == ',') {
		const char *k = p + 1 + (p[1] == ' ');
		if (*k == '"') {
			comma = p;
			p = k;
			at = AT_COMMA;
			goto key;
		}
	}
	if ((p = skip_ws(p, end)) == end)
		return truncated(err, (size_t)(end - js));
	if (*p == ',') {
		comma = p;
		if ((p = skip_ws(p + 1, end)) == end)
			return truncated(err, (size_t)(end - js));
		at = AT_COMMA;
		if (cur_obj)
			goto key;
		parent = cur;
		count++;
		goto value;
	}
	if (*p == (cur_obj ? '}' : ']'))
		goto close;
	if (*p == '"' || *p == '[' || *p == '{' || is_word(*p))
		return fail(err, (size_t)(p - js),
			    cur_obj ? "missing ',' between members" : "missing ',' between values");
	return unexpected(err, js, p, cur_obj ? ": expected ',' or '}'" : ": expected ',' or ']'");

close: /* *p closes the container cur */
	if (drop == 3 && sp == 1 && (tok = fuse_close(d, p, count > (int)d->removed)))
		return tok;
	if (!notok) {
		tk[cur].end = (int)(p + 1 - js) - sh;
		tk[cur].size = drop && sp == 1 ? count - (int)d->removed : count;
	}
	p++;
	sp--;
	count = t->stack[2 * sp + 1];
	if (notok) {
		cur_obj = t->stack[2 * sp];
		goto after;
	}
	cur = t->stack[2 * sp];
	cur_obj = cur >= 0 && tk[cur].type == JSMN_OBJECT;
	goto after;

key: /* p < end, where a member of the object cur starts */
	if (*p != '"') {
		if (*p == '}' && at == AT_COMMA)
			return fail(err, (size_t)(comma - js),
				    "unexpected ',' (trailing or leading comma)");
		if (*p == ',')
			return fail(err, (size_t)(p - js),
				    at == AT_OPEN ? "unexpected ',' (trailing or leading comma)"
						  : "unexpected ','");
		return unexpected(err, js, p, ": expected a quoted key");
	}
	kesc = 0;
	if (!(q = scan_string(js, p + 1, end, drop ? &kesc : &t->key_escapes, err)))
		return INF_ERR_INVALID;
	if (max_key && (size_t)(q - p - 1) > max_key) {
		err->offset = (size_t)(p - js);
		snprintf(err->msg, sizeof err->msg,
			 "key longer than max_key_bytes (%zu)", t->max_key);
		return INF_ERR_LIMIT;
	}
	if (drop && sp == 1) { /* a root member's key */
		/* a validation with no key held (inf_json_is_value) has
		 * nothing to compare an escaped key with */
		if (kesc && (drop != 1 || d->keys->lens))
			return 1;
		int act = inf_dropkeys_may_hold(d->keys, p + 1, (size_t)(q - p - 1))
			? d->keys->match(d->keys->ctx, p + 1, (size_t)(q - p - 1)) : 0;
		if (act && (drop != 3 || (act & INF_TOP_REMOVE))) {
			d->member = p;
			d->member_tok = n;
			/* `count` members precede it, d->removed of them removed */
			d->after_kept = (size_t)count > d->removed;
			d->removed++;
			if (drop == 3)
				d->tkey = act & INF_TOP_TEST ? act : 0;
		} else if (drop == 3 && act) { /* kept: seen, maybe rewritten */
			d->seen |= 1ull << ((act >> INF_TOP_SHIFT) - 1);
			d->vkey = act & (INF_TOP_VALUE | INF_TOP_TEST) ? act : 0;
		}
	} else if (drop == 2 && kesc && !d->member) { /* a kept nested key's escape */
		t->key_escapes = 1;
	}
	tok = emit(t, &tk, &cap, &n, roomy, notok, JSMN_STRING, (int)(p + 1 - js) - sh,
		   (int)(q - js) - sh, cur);
	if (tok < 0)
		return tok;
	if (!notok)
		tk[tok].size = 1; /* its value follows, or the text is refused */
	count++;
	if (end - q > 3 && q[1] == ':') { /* the common `:` or `: ` */
		const char *v = q + 2 + (q[2] == ' ');
		if ((unsigned char)*v > ' ') {
			p = v;
			parent = tok;
			at = AT_COLON;
			if (drop == 3 && sp == 1)
				d->vstart = p;
			goto value;
		}
	}
	if ((p = skip_ws(q + 1, end)) == end)
		return truncated(err, (size_t)(end - js));
	if (*p != ':')
		return *p ? fail(err, (size_t)(p - js), "missing ':' after key")
			  : unexpected(err, js, p, "");
	if ((p = skip_ws(p + 1, end)) == end)
		return truncated(err, (size_t)(end - js));
	parent = tok;
	at = AT_COLON;
	if (drop == 3 && sp == 1)
		d->vstart = p;
	goto value;

done:
	if ((p = skip_ws(p, end)) != end) {
		/* another value, or a ',' before one; any other byte (a \f, a
		 * control byte, 'x') is named as itself */
		if (!strchr("{[\"-0123456789tfn,", *p) || *p == '\0')
			return unexpected(err, js, p, " after the value");
		return fail(err, (size_t)(p - js), "more than one value in a record");
	}
	if (drop)
		drop_range(d, js + len, js + len);
	if (!notok)
		t->n = n;
	return 0;
}

/* Records up to this size get a token of room per byte: every token starts
 * at a byte of its own, so the parse cannot outgrow it. */
#define ROOMY_MAX (16u << 10)

int inf_json_parse(struct inf_tokens *t, const char *js, size_t len,
		   unsigned max_depth, struct inf_json_err *err)
{
	if (len <= ROOMY_MAX && (t->cap > len || !grow_tokens(t, len + 1)))
		return parse(t, js, len, max_depth, err, 1, 0, NULL);
	return parse(t, js, len, max_depth, err, 0, 0, NULL);
}

/* inf_json_drop_top and inf_json_drop_top_tokens. */
static int drop_top(struct inf_tokens *t, const char *js, size_t len,
		    unsigned max_depth, const struct inf_dropkeys *keys,
		    struct inf_buf *out, size_t *removed, struct inf_json_err *err,
		    int tokens)
{
	struct drop_pass d;
	int rc;

	/* what is written is never longer than what is read; one byte at
	 * least, so that an empty text on a new buffer has somewhere to point */
	if (inf_buf_reserve(out, len ? len : 1))
		return INF_ERR_NOMEM;
	pass_start(&d, keys, js, out);
	if (!tokens)
		rc = parse(t, js, len, max_depth, err, 0, 1, &d);
	else if (len <= ROOMY_MAX && (t->cap > len || !grow_tokens(t, len + 1)))
		rc = parse(t, js, len, max_depth, err, 1, 2, &d);
	else
		rc = parse(t, js, len, max_depth, err, 0, 2, &d);
	if (rc == 0) {
		out->len = (size_t)(d.o - out->data);
		*removed = d.removed;
	}
	return rc;
}

int inf_json_drop_top(struct inf_tokens *t, const char *js, size_t len,
		      unsigned max_depth, const struct inf_dropkeys *keys,
		      struct inf_buf *out, size_t *removed, struct inf_json_err *err)
{
	if (inf_jsonfast_drop_top(&t->fast, js, len, max_depth, t->max_key, keys, out,
				  removed) == 0)
		return 0;
	return drop_top(t, js, len, max_depth, keys, out, removed, err, 0);
}

int inf_json_drop_top_tokens(struct inf_tokens *t, const char *js, size_t len,
			     unsigned max_depth, const struct inf_dropkeys *keys,
			     struct inf_buf *out, size_t *removed,
			     struct inf_json_err *err)
{
	return drop_top(t, js, len, max_depth, keys, out, removed, err, 1);
}

/* inf_json_fuse_top on a record core/jsonfast.c has validated, given its
 * root's members and the root's '}': te's hooks called, and the output
 * written, as parse() calls and writes them at each member's key and at
 * the end of its value (drop 3). out has room for len bytes. */
static int fuse_members(const char *js, size_t len, const struct inf_jsonfast_member *m,
			size_t nm, const char *close, const struct inf_topedit *te,
			struct inf_buf *out)
{
	struct drop_pass d;
	size_t start = out->len;
	int rc = 0;

	pass_start(&d, &te->keys, js, out);
	d.te = te;
	d.out = out;
	d.in = js;
	d.in_end = js + len;
	for (size_t i = 0; i < nm && rc == 0; i++) {
		const char *k = js + m[i].key + 1, *e = js + m[i].vend;
		int act = inf_dropkeys_may_hold(d.keys, k, m[i].klen)
			? d.keys->match(d.keys->ctx, k, m[i].klen) : 0;

		d.vstart = js + m[i].v;
		if (act & INF_TOP_REMOVE) {
			d.member = k - 1;
			d.after_kept = i > d.removed; /* i members precede it */
			d.removed++;
			if ((act & INF_TOP_TEST) && (rc = fuse_test(&d, act, e)))
				break;
			drop_member(&d, e, js + len);
		} else if (act) {
			d.seen |= 1ull << ((act >> INF_TOP_SHIFT) - 1);
			d.vkey = act & (INF_TOP_VALUE | INF_TOP_TEST) ? act : 0;
			if (d.vkey)
				rc = fuse_value(&d, e);
		}
	}
	if (rc == 0 && (rc = fuse_close(&d, close, nm > d.removed)) == 0)
		drop_range(&d, js + len, js + len);
	out->len = rc == 0 ? (size_t)(d.o - out->data) : start;
	return rc;
}

int inf_json_fuse_members(const char *js, size_t len, const struct inf_jsonfast_member *m,
			  size_t nm, size_t close, const struct inf_topedit *te,
			  struct inf_buf *out)
{
	/* the input's length, and te's hooks reserve what they add */
	if (inf_buf_reserve(out, len ? len : 1))
		return INF_ERR_NOMEM;
	return fuse_members(js, len, m, nm, js + close, te, out);
}

int inf_json_fuse_top(struct inf_tokens *t, const char *js, size_t len,
		      unsigned max_depth, const struct inf_topedit *te,
		      struct inf_buf *out, struct inf_json_err *err)
{
	struct drop_pass d;
	size_t start = out->len, nm, close;
	const struct inf_jsonfast_member *m;
	int rc;

	/* the input's length, and te's hooks reserve what they add */
	if (inf_buf_reserve(out, len ? len : 1))
		return INF_ERR_NOMEM;
	if (inf_jsonfast_members(&t->fast, js, len, max_depth, t->max_key, &m, &nm, &close) == 0)
		return fuse_members(js, len, m, nm, js + close, te, out);
	pass_start(&d, &te->keys, js, out);
	d.te = te;
	d.out = out;
	d.in = js;
	d.in_end = js + len;
	rc = parse(t, js, len, max_depth, err, 0, 3, &d);
	out->len = rc == 0 ? (size_t)(d.o - out->data) : start;
	return rc;
}

void inf_tokens_free(struct inf_tokens *t)
{
	free(t->tok);
	free(t->stack);
	inf_jsonfast_free(t->fast);
	memset(t, 0, sizeof *t);
}

int inf_tok_skip_container(const struct inf_tokens *t, int i)
{
	const jsmntok_t *tk = t->tok;
	int lo = i + 1, hi = t->n, end = tk[i].end;

	/* tokens are in document order: the first one starting at or after
	 * the container's end is its next sibling */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (tk[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int inf_json_is_value(const char *js, size_t len, unsigned max_depth)
{
	static const struct inf_dropkeys none = { 0 };
	struct inf_tokens t = { 0 };
	struct inf_json_err err;
	struct inf_buf copy = { 0 };
	size_t removed;
	int rc = inf_json_drop_top(&t, js, len, max_depth, &none, &copy, &removed, &err);

	inf_buf_free(&copy);
	if (rc == 1) /* not an object: a scalar, or an array's tokens */
		rc = inf_json_parse(&t, js, len, max_depth, &err);
	inf_tokens_free(&t);
	return rc == INF_ERR_NOMEM ? rc : rc == 0;
}
