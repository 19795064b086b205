/* jsmn is compiled here, once, with parent links and strict primitives. */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>

#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflight/plugin.h"

struct inf_json_frame {
	int tok;   /* the open container */
	int pos;   /* byte offset after the last thing consumed inside it */
	int count; /* members or elements seen */
};

static int fail(struct inf_json_err *err, size_t off, const char *msg)
{
	err->offset = off;
	snprintf(err->msg, sizeof err->msg, "%s", msg);
	return INF_ERR_INVALID;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int inf_json_is_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws(s[i]))
			return 0;
	return 1;
}

/* Checks that [a, b) is whitespace around exactly one `sep`, or only
 * whitespace when sep is 0. */
static int check_gap(const char *js, int a, int b, char sep,
		     struct inf_json_err *err)
{
	int i = a, seen = 0;

	for (; i < b; i++) {
		char c = js[i];
		if (is_ws(c))
			continue;
		if (sep && c == sep && !seen) {
			seen = 1;
			continue;
		}
		if (c == ',' && !sep)
			return fail(err, (size_t)i, "unexpected ',' (trailing or leading comma)");
		if (c == ',')
			return fail(err, (size_t)i, "unexpected ','");
		if (c == ':')
			return fail(err, (size_t)i, "unexpected ':'");
		return fail(err, (size_t)i, "unexpected character");
	}
	if (sep && !seen)
		return fail(err, (size_t)b,
			    sep == ',' ? "missing ',' between values"
				       : "missing ':' after key");
	return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* RFC 8259 number or literal. */
static int check_primitive(const char *p, int n, size_t off,
			   struct inf_json_err *err)
{
	int i = 0;

	switch (p[0]) {
	case 't':
		if (n == 4 && !memcmp(p, "true", 4))
			return 0;
		return fail(err, off, "invalid literal");
	case 'f':
		if (n == 5 && !memcmp(p, "false", 5))
			return 0;
		return fail(err, off, "invalid literal");
	case 'n':
		if (n == 4 && !memcmp(p, "null", 4))
			return 0;
		return fail(err, off, "invalid literal");
	}
	if (p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && is_digit(p[i]))
		while (i < n && is_digit(p[i]))
			i++;
	else
		return fail(err, off, "invalid number");
	if (i < n && p[i] == '.') {
		i++;
		if (i >= n || !is_digit(p[i]))
			return fail(err, off, "invalid number");
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || !is_digit(p[i]))
			return fail(err, off, "invalid number");
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i != n)
		return fail(err, off, "invalid number");
	return 0;
}

/* Length of the UTF-8 sequence starting at s (at most n bytes), 0 if
 * invalid: overlongs, surrogates and values past U+10FFFF are refused. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0;
		if (c == 0xED && s[1] >= 0xA0)
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;
		if (c == 0xF4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

size_t inf_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq(u + i, n - i);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any byte of w is < 0x20, >= 0x80, or a backslash. */
static int word_special(uint64_t w)
{
	uint64_t lt20 = (w - ONES * 0x20) & ~w;
	uint64_t bs = w ^ (ONES * 0x5C);
	bs = (bs - ONES) & ~bs;
	return ((lt20 | bs) & HIGHS) != 0 || (w & HIGHS) != 0;
}

/* Contents of a string token (jsmn already checked escape letters and
 * \u hex digits): no raw control characters, valid UTF-8, surrogate
 * escapes in pairs. */
static int check_string(const char *js, int start, int end,
			struct inf_json_err *err)
{
	const unsigned char *s = (const unsigned char *)js;
	int i = start;

	while (i < end) {
		if (end - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!word_special(w)) {
				i += 8;
				continue;
			}
		}
		unsigned c = s[i];
		if (c < 0x20)
			return fail(err, (size_t)i, "control character in string");
		if (c == '\\') {
			if (s[i + 1] != 'u') {
				i += 2;
				continue;
			}
			unsigned u = hex4(js + i + 2);
			if (u >= 0xDC00 && u <= 0xDFFF)
				return fail(err, (size_t)i, "lone low surrogate escape");
			if (u >= 0xD800 && u <= 0xDBFF) {
				unsigned lo;
				if (end - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u')
					return fail(err, (size_t)i, "lone high surrogate escape");
				lo = hex4(js + i + 8);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return fail(err, (size_t)i, "lone high surrogate escape");
				i += 12;
				continue;
			}
			i += 6;
			continue;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq(s + i, (size_t)(end - i));
		if (!k)
			return fail(err, (size_t)i, "invalid UTF-8 in string");
		i += (int)k;
	}
	return 0;
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

static int push(struct inf_tokens *t, unsigned sp, int tok, int pos)
{
	if (sp >= t->stack_cap) {
		unsigned cap = t->stack_cap ? t->stack_cap * 2 : 32;
		struct inf_json_frame *p = realloc(t->stack, cap * sizeof *p);
		if (!p)
			return INF_ERR_NOMEM;
		t->stack = p;
		t->stack_cap = cap;
	}
	t->stack[sp].tok = tok;
	t->stack[sp].pos = pos;
	t->stack[sp].count = 0;
	return 0;
}

static int too_deep(struct inf_json_err *err, size_t off, unsigned max_depth)
{
	err->offset = off;
	snprintf(err->msg, sizeof err->msg, "nesting deeper than max_depth (%u)",
		 max_depth);
	return INF_ERR_LIMIT;
}

/* Offset of the first container nested deeper than max_depth in [a, b),
 * or -1. jsmn closes a container in time proportional to the depth, so
 * a record that is too deep is refused here, in one pass, before jsmn
 * sees it. What else is wrong is left to jsmn and validate(). */
static long first_too_deep(const char *js, size_t a, size_t b,
			   unsigned max_depth)
{
	const char *p = js + a, *e = js + b;
	unsigned d = 0;

	while (p < e) {
		switch (*p) {
		case '"':
			/* to the closing quote: one not preceded by an odd
			 * number of backslashes */
			for (;;) {
				const char *q = memchr(p + 1, '"', (size_t)(e - p - 1));
				const char *bs;
				if (!q)
					return -1;
				for (bs = q; bs[-1] == '\\'; bs--)
					;
				p = q;
				if ((q - bs) % 2 == 0)
					break;
			}
			break;
		case '[':
		case '{':
			if (++d > max_depth)
				return (long)(p - js);
			break;
		case ']':
		case '}':
			if (d)
				d--;
			break;
		case '\0':
			return -1;
		}
		p++;
	}
	return -1;
}

/* Walks the tokens in document order with a stack of open containers and
 * checks every byte between tokens. */
static int validate(struct inf_tokens *t, const char *js, unsigned max_depth,
		    struct inf_json_err *err)
{
	jsmntok_t *tk = t->tok;
	unsigned sp = 0;
	int rc, i;

	for (i = 0; i < t->n; i++) {
		jsmntok_t *k = &tk[i];
		int rs = inf_tok_raw_start(k), re = inf_tok_raw_end(k);

		while (sp > 0 && tk[t->stack[sp - 1].tok].end <= rs) {
			struct inf_json_frame *f = &t->stack[--sp];
			int cend = tk[f->tok].end;
			if ((rc = check_gap(js, f->pos, cend - 1, 0, err)))
				return rc;
			if (sp > 0)
				t->stack[sp - 1].pos = cend;
		}
		if (i > 0) {
			struct inf_json_frame *f;
			if (sp == 0)
				return fail(err, (size_t)rs, "more than one value in a record");
			f = &t->stack[sp - 1];
			if (tk[f->tok].type == JSMN_OBJECT && k->parent == f->tok) {
				if (k->type == JSMN_STRING && k->size > 1) {
					/* jsmn hangs a member with no ',' before it
					 * on the previous key */
					int nx = inf_tok_skip(t, i);
					return fail(err, (size_t)inf_tok_raw_start(&tk[nx]),
						    "missing ',' between members");
				}
				if (k->type != JSMN_STRING || k->size != 1)
					return fail(err, (size_t)rs, "expected a key and a value");
				rc = check_gap(js, f->pos, rs, f->count ? ',' : 0, err);
				if (rc)
					return rc;
				if ((rc = check_string(js, k->start, k->end, err)))
					return rc;
				if (t->max_key && (size_t)(k->end - k->start) > t->max_key) {
					err->offset = (size_t)rs;
					snprintf(err->msg, sizeof err->msg,
						 "key longer than max_key_bytes (%zu)", t->max_key);
					return INF_ERR_LIMIT;
				}
				f->count++;
				f->pos = re;
				continue; /* the key's value follows */
			} else if (tk[f->tok].type == JSMN_OBJECT) {
				if (k->parent < 0 || tk[k->parent].parent != f->tok)
					return fail(err, (size_t)rs, "value without a key");
				if ((rc = check_gap(js, f->pos, rs, ':', err)))
					return rc;
			} else {
				if (k->parent != f->tok)
					return fail(err, (size_t)rs, "unexpected value in array");
				rc = check_gap(js, f->pos, rs, f->count ? ',' : 0, err);
				if (rc)
					return rc;
				f->count++;
			}
		}
		if (k->type == JSMN_OBJECT || k->type == JSMN_ARRAY) {
			if (sp >= max_depth)
				return too_deep(err, (size_t)rs, max_depth);
			if ((rc = push(t, sp, i, k->start + 1)))
				return rc;
			sp++;
			continue;
		}
		if (k->type == JSMN_PRIMITIVE)
			rc = check_primitive(js + k->start, k->end - k->start,
					     (size_t)k->start, err);
		else
			rc = check_string(js, k->start, k->end, err);
		if (rc)
			return rc;
		if (sp > 0)
			t->stack[sp - 1].pos = re;
	}
	while (sp > 0) {
		struct inf_json_frame *f = &t->stack[--sp];
		int cend = tk[f->tok].end;
		if ((rc = check_gap(js, f->pos, cend - 1, 0, err)))
			return rc;
		if (sp > 0)
			t->stack[sp - 1].pos = cend;
	}
	return 0;
}

static int jsmn_error(const char *js, size_t len, int r, const jsmn_parser *p,
		      struct inf_json_err *err)
{
	const char *nul = memchr(js, '\0', len);

	if (nul)
		return fail(err, (size_t)(nul - js), "NUL byte in JSON text");
	/* nothing open, yet jsmn wants more: a second value at the end */
	if (r == JSMN_ERROR_PART && p->toksuper == -1 && p->toknext > 0)
		return fail(err, p->pos, "more than one value in a record");
	if (r == JSMN_ERROR_PART)
		return fail(err, len, "truncated JSON (unexpected end of record)");
	return fail(err, p->pos, "invalid JSON");
}

/* A root that is a bare number or literal: jsmn's strict mode wants a
 * delimiter after it, so it is checked here as one token. */
static int parse_scalar_root(struct inf_tokens *t, const char *js, int a,
			     int b, struct inf_json_err *err)
{
	int rc;

	if ((rc = grow_tokens(t, 1)))
		return rc;
	if ((rc = check_primitive(js + a, b - a, (size_t)a, err)))
		return rc;
	t->tok[0].type = JSMN_PRIMITIVE;
	t->tok[0].start = a;
	t->tok[0].end = b;
	t->tok[0].size = 0;
	t->tok[0].parent = -1;
	t->n = 1;
	return 0;
}

int inf_json_parse(struct inf_tokens *t, const char *js, size_t len,
		   unsigned max_depth, struct inf_json_err *err)
{
	jsmn_parser p;
	size_t a = 0, b = len;
	int r, rc;

	t->n = 0;
	if (len > (size_t)INT32_MAX - 2)
		return fail(err, 0, "record too large for the tokenizer");
	while (a < b && is_ws(js[a]))
		a++;
	while (b > a && is_ws(js[b - 1]))
		b--;
	if (a == b)
		return fail(err, len, "empty record");
	if (js[a] != '{' && js[a] != '[' && js[a] != '"') {
		if (memchr(js + a, '\0', b - a))
			return fail(err, (size_t)((const char *)memchr(js + a, '\0', b - a) - js),
				    "NUL byte in JSON text");
		for (size_t i = a; i < b; i++)
			if (is_ws(js[i]) || js[i] == ',' || js[i] == '{' || js[i] == '[')
				return fail(err, i, "more than one value in a record");
		return parse_scalar_root(t, js, (int)a, (int)b, err);
	}
	if (b - a > max_depth) {
		long deep = first_too_deep(js, a, b, max_depth);
		if (deep >= 0)
			return too_deep(err, (size_t)deep, max_depth);
	}
	if (!t->cap && (rc = grow_tokens(t, len / 8 + 16)))
		return rc;
	jsmn_init(&p);
	for (;;) {
		r = jsmn_parse(&p, js, b, t->tok, t->cap);
		if (r != JSMN_ERROR_NOMEM)
			break;
		if ((rc = grow_tokens(t, (size_t)t->cap * 2)))
			return rc;
	}
	if (r < 0)
		return jsmn_error(js, b, r, &p, err);
	if (p.pos != b)
		return jsmn_error(js, b, JSMN_ERROR_INVAL, &p, err);
	t->n = (int)p.toknext;
	if (t->n == 0)
		return fail(err, a, "empty record");
	if ((rc = validate(t, js, max_depth, err)))
		return rc;
	/* jsmn swallows a ':' or ',' after the root value: only whitespace
	 * may follow it (b is already past the trailing whitespace) */
	return check_gap(js, inf_tok_raw_end(&t->tok[0]), (int)b, 0, err);
}

void inf_tokens_free(struct inf_tokens *t)
{
	free(t->tok);
	free(t->stack);
	memset(t, 0, sizeof *t);
}

int inf_tok_skip(const struct inf_tokens *t, int i)
{
	const jsmntok_t *tk = t->tok;
	int lo, hi, end;

	if (tk[i].type == JSMN_STRING) {
		if (tk[i].size == 0)
			return i + 1;
		i++; /* a key: its value belongs to the member */
	}
	if (tk[i].type != JSMN_OBJECT && tk[i].type != JSMN_ARRAY)
		return i + 1;
	/* tokens are in document order: the first one starting at or after
	 * the container's end is its next sibling */
	end = tk[i].end;
	lo = i + 1;
	hi = t->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (tk[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void put_utf8(struct inf_buf *b, unsigned cp)
{
	char *o = b->data + b->len;

	if (cp < 0x80) {
		o[0] = (char)cp;
		b->len += 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		b->len += 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		b->len += 3;
	} else {
		o[0] = (char)(0xF0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		b->len += 4;
	}
}

const char *inf_json_unescape(const char *s, size_t n, struct inf_buf *scratch,
			      size_t *outlen)
{
	const char *bs = memchr(s, '\\', n);
	size_t i;

	if (!bs) {
		*outlen = n;
		return s;
	}
	inf_buf_reset(scratch);
	if (inf_buf_reserve(scratch, n + 1))
		return NULL;
	inf_buf_append(scratch, s, (size_t)(bs - s));
	for (i = (size_t)(bs - s); i < n; i++) {
		char c = s[i];
		if (c != '\\') {
			scratch->data[scratch->len++] = c;
			continue;
		}
		c = s[++i];
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned cp = hex4(s + i + 1);
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n &&
			    s[i + 1] == '\\' && s[i + 2] == 'u') {
				unsigned lo = hex4(s + i + 3);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			put_utf8(scratch, cp);
			continue;
		}
		default: break; /* " \ / */
		}
		scratch->data[scratch->len++] = c;
	}
	*outlen = scratch->len;
	return scratch->data;
}

int inf_json_quote(struct inf_buf *out, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i, run = 0;

	if (inf_utf8_valid_prefix(s, n) != n)
		return INF_ERR_INVALID;
	if (inf_buf_reserve(out, n + 2))
		return INF_ERR_NOMEM;
	out->data[out->len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t el = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (inf_buf_append(out, s + run, i - run))
			return INF_ERR_NOMEM;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 15];
			el = 6;
		}
		if (inf_buf_append(out, esc, el))
			return INF_ERR_NOMEM;
	}
	if (inf_buf_append(out, s + run, n - run) || inf_buf_putc(out, '"'))
		return INF_ERR_NOMEM;
	return 0;
}
