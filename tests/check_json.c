/*
 * JSON tokenizing and validation (core/json.c): every shape of RFC 8259
 * JSON is accepted with the right tokens, every kind of bad text is
 * refused with INF_ERR_INVALID (or INF_ERR_LIMIT for depth), a message
 * saying what is wrong and the offset where it is; the depth and key
 * length limits hold to the byte; subtree skipping gives exact indexes.
 * jsmn's own parser, compiled into this test only, is the reference for
 * the tokens of every valid document. The string helpers of
 * core/jsonstr.c are tested in check_jsonstr.c.
 */
/* jsmn's parser, static in this file, with the options the tokens follow */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_STATIC
#include <jsmn.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "json.h"
#include "path.h"
#include "record.h"
#include "testutil.h"

#define S(lit) lit, sizeof(lit) - 1

/* Parses with fresh token storage; *ntok gets the token count. */
static int parse(const char *js, size_t len, unsigned depth, struct inf_json_err *err, int *ntok)
{
	struct inf_tokens t = {0};
	int rc;

	memset(err, 0, sizeof *err);
	rc = inf_json_parse(&t, js, len, depth, err);
	if (ntok)
		*ntok = t.n;
	inf_tokens_free(&t);
	return rc;
}

/* Tokens of `js` from jsmn's parser; jsmn's strict mode wants a
 * delimiter after a root primitive, so roots are containers or strings. */
static int jsmn_tokens(const char *js, size_t len, jsmntok_t *tok, unsigned cap)
{
	jsmn_parser p;

	jsmn_init(&p);
	return jsmn_parse(&p, js, len, tok, cap);
}

/* Asserts that inf_json_parse accepts `js` with exactly jsmn's tokens. */
static void assert_same_as_jsmn(const char *js, size_t len)
{
	struct inf_tokens t = {0};
	struct inf_json_err e = {0};
	unsigned cap = (unsigned)len + 2;
	jsmntok_t *ref = calloc(cap, sizeof *ref);
	int nref;

	ck_assert_ptr_nonnull(ref);
	ck_assert_msg(inf_json_parse(&t, js, len, 10000, &e) == 0, "%.*s: %s at %zu",
	              (int)len, js, e.msg, e.offset);
	nref = jsmn_tokens(js, len, ref, cap);
	ck_assert_int_eq(t.n, nref);
	for (int i = 0; i < nref; i++) {
		const jsmntok_t *a = &t.tok[i], *b = &ref[i];
		ck_assert_msg(a->type == b->type && a->start == b->start && a->end == b->end &&
		                  a->size == b->size && a->parent == b->parent,
		              "%.*s: token %d is {%d %d %d %d %d}, jsmn {%d %d %d %d %d}",
		              (int)len, js, i, a->type, a->start, a->end, a->size, a->parent,
		              b->type, b->start, b->end, b->size, b->parent);
	}
	free(ref);
	inf_tokens_free(&t);
}

/* ---- valid documents ---- */

struct valid_case {
	const char *js;
	size_t len;
	int ntok;
	jsmntype_t root;
};

static const struct valid_case valid[] = {
    {S("{}"), 1, JSMN_OBJECT},
    {S("[]"), 1, JSMN_ARRAY},
    {S("{\"a\":1}"), 3, JSMN_OBJECT},
    {S("[1,\"two\",true,false,null,{\"x\":[]}]"), 9, JSMN_ARRAY},
    {S(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" :{} }\r\n\t "), 7, JSMN_OBJECT},
    {S("{\"a\":{\"b\":{\"c\":[[],[{}]]}}}"), 10, JSMN_OBJECT},
    {S("[[[[[[[[[[\"deep\"]]]]]]]]]]"), 11, JSMN_ARRAY},
    {S("{\"a\":1,\"a\":2}"), 5, JSMN_OBJECT},
    {S("0"), 1, JSMN_PRIMITIVE},
    {S("-0"), 1, JSMN_PRIMITIVE},
    {S("1e5"), 1, JSMN_PRIMITIVE},
    {S("1.5E-3"), 1, JSMN_PRIMITIVE},
    {S("-12.5e+10"), 1, JSMN_PRIMITIVE},
    {S("1E+2"), 1, JSMN_PRIMITIVE},
    {S("0.0e0"), 1, JSMN_PRIMITIVE},
    {S("123456789012345678901234567890"), 1, JSMN_PRIMITIVE},
    {S("true"), 1, JSMN_PRIMITIVE},
    {S("false"), 1, JSMN_PRIMITIVE},
    {S("null"), 1, JSMN_PRIMITIVE},
    {S("  42 \n"), 1, JSMN_PRIMITIVE},
    {S("\"str\""), 1, JSMN_STRING},
    {S("\"\""), 1, JSMN_STRING},
    {S(" \"x\" "), 1, JSMN_STRING},
    {S("[-0,0.5,-1.25e-7,1E400,10]"), 6, JSMN_ARRAY},
    {S("{\"n\":[true,false,null]}"), 6, JSMN_OBJECT},
    /* every escape */
    {S("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\""), 1, JSMN_STRING},
    /* surrogate pairs, lowest and highest */
    {S("[\"\\ud800\\udc00\",\"\\uDBFF\\uDFFF\"]"), 3, JSMN_ARRAY},
    /* raw UTF-8: U+0080, U+07FF, U+0800, U+20AC, U+FFFF, U+10000,
     * U+1F600, U+10FFFF */
    {S("\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xE2\x82\xAC\xEF\xBF\xBF\xF0\x90\x80\x80\xF0\x9F\x98\x80\xF4"
       "\x8F\xBF\xBF\""),
     1, JSMN_STRING},
    /* UTF-8 in a key, long enough for the word-at-a-time path */
    {S("{\"caf\xC3\xA9 cr\xC3\xA8me br\xC3\xBBl\xC3\xA9"
       "e\":\"\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\"}"),
     3, JSMN_OBJECT},
    /* DEL is not a control character for JSON */
    {S("\"\x7f\""), 1, JSMN_STRING},
    /* a long plain string crossing many 8-byte words */
    {S("\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\""), 1, JSMN_STRING},
};

START_TEST(test_valid)
{
	const struct valid_case *c = &valid[_i];
	struct inf_tokens t = {0};
	struct inf_json_err e = {0};
	int rc = inf_json_parse(&t, c->js, c->len, 64, &e);

	ck_assert_msg(rc == 0, "case %d (%s): rc %d: %s at %zu", _i, c->js, rc, e.msg, e.offset);
	ck_assert_int_eq(t.n, c->ntok);
	ck_assert_int_eq(t.tok[0].type, c->root);
	ck_assert_int_eq(t.tok[0].parent, -1);
	inf_tokens_free(&t);
	if (c->root != JSMN_PRIMITIVE)
		assert_same_as_jsmn(c->js, c->len);
}
END_TEST

/* A seeded generator of valid documents of every shape, whitespace and
 * string content, for the comparison with jsmn. */
static unsigned long rng_state;

static unsigned rnd(unsigned n)
{
	return tu_rnd(&rng_state, n);
}

static void gen_ws(struct inf_buf *b)
{
	static const char ws[] = " \t\r\n";
	if (rnd(4) == 0)
		for (unsigned k = rnd(3) + 1; k > 0; k--)
			ck_assert_int_eq(inf_buf_putc(b, ws[rnd(4)]), 0);
}

static void gen_string(struct inf_buf *b)
{
	static const char *const parts[] = {
	    "a", "key", "0123456789abcdefghijklmnop", "\\\"", "\\n", "\\u00e9", "\\ud83d\\ude00",
	    "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", " ", "[{}]:,", "\\/",
	};
	ck_assert_int_eq(inf_buf_putc(b, '"'), 0);
	for (unsigned k = rnd(6); k > 0; k--)
		ck_assert_int_eq(inf_buf_puts(b, parts[rnd(sizeof parts / sizeof parts[0])]), 0);
	ck_assert_int_eq(inf_buf_putc(b, '"'), 0);
}

static void gen_value(struct inf_buf *b, unsigned depth)
{
	static const char *const scalars[] = {"0", "-1", "12.5e-3", "1E+9", "true", "false",
	                                      "null", "-0.0", "123456789"};
	unsigned kind = depth > 6 ? rnd(2) : rnd(4);

	gen_ws(b);
	if (kind == 0) {
		gen_string(b);
	} else if (kind == 1) {
		ck_assert_int_eq(inf_buf_puts(b, scalars[rnd(sizeof scalars / sizeof scalars[0])]), 0);
	} else {
		int obj = kind == 2;
		ck_assert_int_eq(inf_buf_putc(b, obj ? '{' : '['), 0);
		for (unsigned k = rnd(5), i = 0; i < k; i++) {
			if (i)
				ck_assert_int_eq(inf_buf_putc(b, ','), 0);
			if (obj) {
				gen_ws(b);
				gen_string(b);
				gen_ws(b);
				ck_assert_int_eq(inf_buf_putc(b, ':'), 0);
			}
			gen_value(b, depth + 1);
		}
		gen_ws(b);
		ck_assert_int_eq(inf_buf_putc(b, obj ? '}' : ']'), 0);
	}
	gen_ws(b);
}

START_TEST(test_same_tokens_as_jsmn)
{
	struct inf_buf b = {0};

	rng_state = 42;
	for (int i = 0; i < 3000; i++) {
		inf_buf_reset(&b);
		ck_assert_int_eq(inf_buf_putc(&b, i % 2 ? '{' : '['), 0);
		for (unsigned k = rnd(4), j = 0; j < k; j++) {
			if (j)
				ck_assert_int_eq(inf_buf_putc(&b, ','), 0);
			if (i % 2) {
				gen_string(&b);
				ck_assert_int_eq(inf_buf_putc(&b, ':'), 0);
			}
			gen_value(&b, 1);
		}
		ck_assert_int_eq(inf_buf_putc(&b, i % 2 ? '}' : ']'), 0);
		assert_same_as_jsmn(b.data, b.len);
	}
	inf_buf_free(&b);
}
END_TEST

/* Tokens are offsets into the caller's bytes with parents and sizes. */
START_TEST(test_token_layout)
{
	static const char js[] = " {\"k\" : [1, \"s\"], \"e\":{}} ";
	struct inf_tokens t = {0};
	struct inf_json_err e;
	const jsmntok_t *k;

	ck_assert_int_eq(inf_json_parse(&t, js, strlen(js), 8, &e), 0);
	ck_assert_int_eq(t.n, 7);
	k = t.tok;
	/* object */
	ck_assert_int_eq(k[0].type, JSMN_OBJECT);
	ck_assert_int_eq(k[0].start, 1);
	ck_assert_int_eq(k[0].end, 25);
	ck_assert_int_eq(k[0].size, 2);
	/* key "k": contents only, raw span with quotes */
	ck_assert_int_eq(k[1].type, JSMN_STRING);
	ck_assert_int_eq(k[1].start, 3);
	ck_assert_int_eq(k[1].end, 4);
	ck_assert_int_eq(inf_tok_raw_start(&k[1]), 2);
	ck_assert_int_eq(inf_tok_raw_end(&k[1]), 5);
	ck_assert_int_eq(k[1].size, 1);
	ck_assert_int_eq(k[1].parent, 0);
	/* array value of "k" */
	ck_assert_int_eq(k[2].type, JSMN_ARRAY);
	ck_assert_int_eq(k[2].parent, 1);
	ck_assert_int_eq(k[2].size, 2);
	ck_assert_int_eq(k[2].start, 8);
	ck_assert_int_eq(k[2].end, 16);
	ck_assert_int_eq(k[3].type, JSMN_PRIMITIVE);
	ck_assert_int_eq(k[3].parent, 2);
	ck_assert_int_eq(k[3].start, 9);
	ck_assert_int_eq(k[3].end, 10);
	ck_assert_int_eq(k[4].type, JSMN_STRING);
	ck_assert_int_eq(k[4].start, 13);
	ck_assert_int_eq(k[4].end, 14);
	ck_assert_int_eq(inf_tok_raw_start(&k[3]), 9); /* primitives: no change */
	ck_assert_int_eq(inf_tok_raw_end(&k[3]), 10);
	ck_assert_int_eq(k[5].parent, 0);
	ck_assert_int_eq(k[6].type, JSMN_OBJECT);
	ck_assert_int_eq(k[6].parent, 5);
	ck_assert_int_eq(k[6].size, 0);
	inf_tokens_free(&t);
}
END_TEST

/* A scalar root token covers exactly the value, whitespace trimmed. */
START_TEST(test_scalar_root_span)
{
	static const char js[] = "\n -1.5e3 \t";
	struct inf_tokens t = {0};
	struct inf_json_err e;

	ck_assert_int_eq(inf_json_parse(&t, js, strlen(js), 1, &e), 0);
	ck_assert_int_eq(t.n, 1);
	ck_assert_int_eq(t.tok[0].start, 2);
	ck_assert_int_eq(t.tok[0].end, 8);
	ck_assert_int_eq(t.tok[0].size, 0);
	inf_tokens_free(&t);
}
END_TEST

/* One inf_tokens reused for big, small, bad and good documents. */
START_TEST(test_tokens_reused)
{
	struct inf_tokens t = {0};
	struct inf_json_err e;

	ck_assert_int_eq(inf_json_parse(&t, S("[1,2,3,4,5,6,7,8,9,10,[[[[]]]]]"), 8, &e), 0);
	ck_assert_int_eq(t.n, 15);
	ck_assert_int_eq(inf_json_parse(&t, S("{\"a\":1}"), 8, &e), 0);
	ck_assert_int_eq(t.n, 3);
	ck_assert_int_eq(inf_json_parse(&t, S("[1,]"), 8, &e), INF_ERR_INVALID);
	ck_assert_int_eq(inf_json_parse(&t, S("true"), 8, &e), 0);
	ck_assert_int_eq(t.n, 1);
	ck_assert_int_eq(t.tok[0].type, JSMN_PRIMITIVE);
	ck_assert_int_eq(inf_json_parse(&t, S("[[1]]"), 8, &e), 0);
	ck_assert_int_eq(t.n, 3);
	inf_tokens_free(&t);
	ck_assert_ptr_null(t.tok);
	ck_assert_int_eq(t.n, 0);
}
END_TEST

/* Token storage sized for a small record grows for a big one: jsmn stops
 * where it ran out (inside objects, on strings, keys and numbers alike)
 * and goes on from there. */
START_TEST(test_tokens_grow_mid_parse)
{
	struct inf_tokens t = {0};
	struct inf_json_err e;
	struct inf_buf b = {0};

	ck_assert_int_eq(inf_json_parse(&t, S("[1]"), 8, &e), 0);
	ck_assert_int_eq(inf_buf_putc(&b, '['), 0);
	for (int i = 0; i < 5000; i++)
		ck_assert_int_eq(inf_buf_printf(&b, "%s{\"k%d\":\"v\\n%d\",\"n\":[%d,true]}",
		                                i ? "," : "", i, i, i),
		                 0);
	ck_assert_int_eq(inf_buf_putc(&b, ']'), 0);
	ck_assert_int_eq(inf_json_parse(&t, b.data, b.len, 8, &e), 0);
	ck_assert_int_eq(t.n, 1 + 5000 * 7);
	for (int i = 0; i < 5000; i++) {
		const jsmntok_t *o = &t.tok[1 + i * 7];
		char want[32];
		int n = snprintf(want, sizeof want, "k%d", i);
		ck_assert_int_eq(o->type, JSMN_OBJECT);
		ck_assert_int_eq(o->parent, 0);
		ck_assert_int_eq(o[1].end - o[1].start, n);
		ck_assert_mem_eq(b.data + o[1].start, want, (size_t)n);
		ck_assert_int_eq(o[1].parent, 1 + i * 7);
		ck_assert_int_eq(o[4].type, JSMN_ARRAY);
		ck_assert_int_eq(o[4].size, 2);
		ck_assert_int_eq(o[6].type, JSMN_PRIMITIVE);
	}
	inf_tokens_free(&t);
	inf_buf_free(&b);
}
END_TEST

/* ---- invalid documents ---- */

struct bad_case {
	const char *js;
	size_t len;
	const char *msg; /* a substring of err.msg */
	size_t offset;
};

static const struct bad_case bad[] = {
    /* commas */
    {S("{\"a\":1,}"), "trailing or leading comma", 6},
    {S("[1,]"), "trailing or leading comma", 2},
    {S("[1, 2 ,\n]"), "trailing or leading comma", 6},
    {S("[,1]"), "trailing or leading comma", 1},
    {S("{,\"a\":1}"), "trailing or leading comma", 1},
    {S(","), "unexpected ',' (trailing or leading comma)", 0},
    {S("[,]"), "trailing or leading comma", 1},
    {S("[1,,2]"), "unexpected ','", 3},
    {S("{\"a\":1,,\"b\":2}"), "unexpected ','", 7},
    {S("[1 2]"), "missing ','", 3},
    {S("[\"a\" \"b\"]"), "missing ','", 5},
    {S("[[1] [2]]"), "missing ','", 5},
    {S("{\"a\":1 \"b\":2}"), "missing ','", 7},
    {S("{\"a\":[1] \"b\":2}"), "missing ','", 9},
    /* colons and keys */
    {S("{\"a\" 1}"), "missing ':' after key", 5},
    {S("{\"a\"}"), "missing ':' after key", 4},
    {S("{\"a\":}"), "unexpected '}': expected a value", 5},
    {S("{\"a\":1,\"b\"}"), "missing ':' after key", 10},
    {S("{\"a\"::1}"), "unexpected ':'", 5},
    {S("{\"a\":1:2}"), "unexpected ':': expected ',' or '}'", 6},
    {S("{\"a\":\"b\":\"c\"}"), "unexpected ':': expected ',' or '}'", 8},
    {S("[1:2]"), "unexpected ':': expected ',' or ']'", 2},
    {S("[\"a\":2]"), "unexpected ':': expected ',' or ']'", 4},
    {S("[:1]"), "unexpected ':'", 1},
    {S("{:1}"), "unexpected ':': expected a quoted key", 1},
    {S("{a:1}"), "unexpected 'a': expected a quoted key", 1},
    {S("{true:1}"), "unexpected 't': expected a quoted key", 1},
    {S("{1:1}"), "unexpected '1': expected a quoted key", 1},
    {S("{{}:1}"), "unexpected '{': expected a quoted key", 1},
    {S("{'a':1}"), "unexpected \"'\": expected a quoted key (JSON strings take double quotes)", 1},
    {S("['a']"), "unexpected \"'\": expected a value (JSON strings take double quotes)", 1},
    {S("'a'"), "unexpected \"'\" (JSON strings take double quotes)", 0},
    /* numbers and literals */
    /* '_' is a word byte: read as part of the number or literal */
    {S("1_"), "invalid number", 0},
    {S("[true_]"), "invalid literal", 1},
    {S("NaN"), "invalid literal or number", 0},
    {S("[NaN]"), "invalid literal or number", 1},
    {S("Infinity"), "invalid literal or number", 0},
    {S("-Infinity"), "invalid number", 0},
    {S("[1,-Infinity]"), "invalid number", 3},
    {S("01"), "invalid number", 0},
    {S("[01]"), "invalid number", 1},
    {S("-01"), "invalid number", 0},
    {S("1."), "invalid number", 0},
    {S("[1.]"), "invalid number", 1},
    {S(".5"), "invalid literal or number", 0},
    {S("[.5]"), "invalid literal or number", 1},
    {S("-"), "invalid number", 0},
    {S("[-]"), "invalid number", 1},
    {S("1e"), "invalid number", 0},
    {S("1e+"), "invalid number", 0},
    {S("[1E-]"), "invalid number", 1},
    {S("+1"), "invalid literal or number", 0},
    {S("0x10"), "invalid number", 0},
    {S("1.5.2"), "invalid number", 0},
    {S("--1"), "invalid number", 0},
    {S("1e5.5"), "invalid number", 0},
    {S("{\"a\":1a}"), "invalid number", 5},
    {S("tru"), "invalid literal", 0},
    {S("[tru]"), "invalid literal", 1},
    {S("nulll"), "invalid literal", 0},
    {S("{\"a\":nulll}"), "invalid literal", 5},
    {S("True"), "invalid literal or number", 0},
    {S("[fals]"), "invalid literal", 1},
    {S("[truex]"), "invalid literal", 1},
    /* more than one root value */
    {S("{} {}"), "more than one value", 3},
    {S("{}{}"), "more than one value", 2},
    {S("[] []"), "more than one value", 3},
    {S("\"a\" \"b\""), "more than one value", 4},
    {S("1 2"), "more than one value in a record", 2},
    {S("1,2"), "more than one value", 1},
    {S("true false"), "more than one value in a record", 5},
    {S("[] 1"), "more than one value", 3},
    {S("{\"a\":1}true"), "more than one value", 7},
    {S("\"a\" 1"), "more than one value", 4},
    /* brackets */
    {S("]"), "unexpected ']'", 0},
    {S("[1}"), "unexpected '}': expected ',' or ']'", 2},
    {S("{]"), "unexpected ']': expected a quoted key", 1},
    {S("[1]]"), "unexpected ']' after the value", 3},
    {S("{\"a\":1}}"), "unexpected '}' after the value", 7},
    {S("{\"a\":1]"), "unexpected ']': expected ',' or '}'", 6},
    {S("[1]x"), "unexpected 'x' after the value", 3},
    /* a byte that starts no value is named, not taken for a second one */
    {S("{\"a\":1}\f"), "unexpected byte 0x0c after the value", 7},
    {S("1\x01"), "unexpected byte 0x01 after the value", 1},
    {S("[]\xff"), "unexpected byte 0xff after the value", 2},
    /* truncated documents */
    {S("{"), "truncated", 1},
    {S("["), "truncated", 1},
    {S("{\"a\":1"), "truncated", 6},
    {S("{\"a\":"), "truncated", 5},
    {S("{\"a\""), "truncated", 4},
    {S("[1,2"), "truncated", 4},
    {S("[1,2,  \n"), "truncated", 5},
    {S("\"abc"), "truncated", 4},
    {S("{\"a\":\"b"), "truncated", 7},
    {S("[\"a\\\"]"), "truncated", 6},
    {S("{\"a\":tr"), "truncated", 7},
    {S("[[[{\"a\":[]}]"), "truncated", 12},
    /* raw control characters in strings */
    {S("\"a\x01"
       "b\""),
     "control character", 2},
    {S("\"a\tb\""), "control character", 2},
    {S("\"a\nb\""), "control character", 2},
    {S("{\"k\x1f\":1}"), "control character", 3}, /* keys too */
    {S("{\"a\":{\"k\tey\":1}}"), "control character", 8},
    {S("[\"0123456789abcdef\x1f\"]"), "control character", 18},
    /* ... inside a string's first 16 bytes, which are checked together */
    {S("[\"ab\x1f"
       "cdefghijklmnopqrstuvwxyz\"]"),
     "control character", 4},
    /* control characters outside strings */
    {S("[1,\x01"
       "2]"),
     "unexpected byte 0x01: expected a value", 3},
    {S("[1\x7f]"), "unexpected byte 0x7f: expected ',' or ']'", 2},
    {S("[1,\f2]"), "unexpected byte 0x0c: expected a value", 3},
    /* invalid UTF-8 in strings */
    {S("\"\xFF\""), "invalid UTF-8", 1},
    {S("\"\xFE\""), "invalid UTF-8", 1},
    {S("\"\x80\""), "invalid UTF-8", 1},
    {S("\"\xC0\x80\""), "invalid UTF-8", 1},
    {S("\"\xC1\xBF\""), "invalid UTF-8", 1},
    {S("\"\xE0\x80\x80\""), "invalid UTF-8", 1},
    {S("\"\xE0\x9F\xBF\""), "invalid UTF-8", 1},
    {S("\"\xED\xA0\x80\""), "invalid UTF-8", 1},
    {S("\"\xED\xBF\xBF\""), "invalid UTF-8", 1},
    {S("\"\xF0\x80\x80\x80\""), "invalid UTF-8", 1},
    {S("\"\xF0\x8F\xBF\xBF\""), "invalid UTF-8", 1},
    {S("\"\xF4\x90\x80\x80\""), "invalid UTF-8", 1},
    {S("\"\xF5\x80\x80\x80\""), "invalid UTF-8", 1},
    {S("\"\xF8\x88\x80\x80\x80\""), "invalid UTF-8", 1},
    {S("\"\xC3\""), "invalid UTF-8", 1},
    {S("\"\xC3x\""), "invalid UTF-8", 1},
    {S("\"\xE2\x82\""), "invalid UTF-8", 1},
    {S("\"\xF0\x9F\x98\""), "invalid UTF-8", 1},
    {S("\"\xF0\x9F\x98x\""), "invalid UTF-8", 1},
    {S("\"abcdefghij\xFF\""), "invalid UTF-8", 11},
    {S("{\"ok\":\"\xE2\x82\xAC\",\"k\xFF\":1}"), "invalid UTF-8", 14},
    {S("[\xFF]"), "unexpected byte 0xff: expected a value", 1},
    {S("{\"\xC0\x80\":1}"), "invalid UTF-8", 2},
    /* lone surrogate escapes */
    {S("\"\\ud800\""), "lone high surrogate", 1},
    {S("\"\\uDBFF\""), "lone high surrogate", 1},
    {S("\"\\udc00\""), "lone low surrogate", 1},
    {S("\"\\uDFFF\""), "lone low surrogate", 1},
    {S("\"\\ud800\\u0041\""), "lone high surrogate", 1},
    {S("\"\\ud800\\ud800\""), "lone high surrogate", 1},
    {S("\"\\ud800x\""), "lone high surrogate", 1},
    {S("\"\\ud800\\n\\udc00\""), "lone high surrogate", 1},
    {S("\"\\udc00\\ud800\""), "lone low surrogate", 1},
    {S("\"ab\\ud83dcd\""), "lone high surrogate", 3},
    {S("[\"\\ud83d\\ude00\",\"\\ude00\"]"), "lone low surrogate", 17},
    {S("{\"\\ud800\":1}"), "lone high surrogate", 2},
    {S("{\"a\":1,\"\\ud800\\u0041\":2}"), "lone high surrogate", 8},
    /* bad escapes */
    {S("\"\\x\""), "invalid escape in string", 1},
    {S("\"\\'\""), "invalid escape in string", 1},
    {S("\"\\u12G4\""), "invalid \\u escape in string", 1},
    /* every hex digit of a pair's low half is checked, the last too */
    {S("\"\\ud83d\\udG00\""), "lone high surrogate", 1},
    {S("\"\\ud83d\\ude0G\""), "lone high surrogate", 1},
    {S("[\"\\U0041\"]"), "invalid escape in string", 2},
    /* NUL bytes */
    {S("\0"), "NUL byte", 0},
    {S("\0{}"), "NUL byte", 0},
    {S("{}\0"), "NUL byte", 2},
    {S("{\"a\":\0}"), "NUL byte", 5},
    {S("\"a\0b\""), "NUL byte", 2},
    {S("{\"a\0\":1}"), "NUL byte", 3},
    {S("[1,2]\0 "), "NUL byte", 5},
    {S("1\0"), "NUL byte", 1},
    {S("[1\0]"), "NUL byte", 2},
    /* nothing */
    {S(""), "empty", 0},
    {S(" "), "empty", 1},
    {S(" \t\r\n \n"), "empty", 6},
};

START_TEST(test_invalid)
{
	const struct bad_case *c = &bad[_i];
	struct inf_json_err e;
	int rc = parse(c->js, c->len, 64, &e, NULL);

	ck_assert_msg(rc == INF_ERR_INVALID, "case %d: rc %d for %.*s", _i, rc, (int)c->len, c->js);
	ck_assert_msg(strstr(e.msg, c->msg) != NULL, "case %d (%.*s): message \"%s\" lacks \"%s\"",
	              _i, (int)c->len, c->js, e.msg, c->msg);
	ck_assert_msg(e.offset == c->offset, "case %d (%.*s): offset %zu, expected %zu (%s)", _i,
	              (int)c->len, c->js, e.offset, c->offset, e.msg);
}
END_TEST

/* inf_json_is_value says what the parser says, without tokens for an
 * object: every valid case is one value, every invalid case is not, and
 * an object whose root keys hold escapes is read through too. */
START_TEST(test_is_value)
{
	static const char esc[] = "{\"pr\\u0069ce\": [1, {\"\\n\": 2}], \"b\": \"\\\"\"}";

	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		ck_assert_msg(inf_json_is_value(valid[i].js, valid[i].len, 64) == 1, "valid %zu", i);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(inf_json_is_value(bad[i].js, bad[i].len, 64) == 0, "bad %zu: %.*s",
			      i, (int)bad[i].len, bad[i].js);
	ck_assert_int_eq(inf_json_is_value(esc, strlen(esc), 64), 1);
	ck_assert_int_eq(inf_json_is_value(esc, strlen(esc) - 1, 64), 0);
	ck_assert_int_eq(inf_json_is_value("{\"a\":{\"b\":1}}", 13, 2), 1);
	ck_assert_int_eq(inf_json_is_value("{\"a\":{\"b\":1}}", 13, 1), 0);
	ck_assert_int_eq(inf_json_is_value("  ", 2, 64), 0);
}
END_TEST

/* A copy of js[0, len) that ends where an unreadable page starts, so
 * reading one byte past it faults; *map and *maplen are for munmap. */
static const char *guarded_copy(const char *js, size_t len, void **map, size_t *maplen)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + page - 1) / page * page;
	char *m;

	*maplen = body + page;
	m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m + body, page, PROT_NONE), 0);
	*map = m;
	return memcpy(m + body - len, js, len);
}

/* Every prefix of a valid document is refused, none crashes, none is
 * read past its end (each ends at an unreadable page: an escape, a
 * \u escape or a surrogate pair cut short must not look at the byte
 * after it), and the complete one passes. */
START_TEST(test_every_prefix_refused)
{
	static const char js[] =
	    "{\"a\":[1,-2.5e3,true,false,null],\"b\":{\"c\":\"x\\u00e9\\ud83d\\ude00\"},\"d\":[]}";
	size_t n = strlen(js), maplen;
	struct inf_tokens t = {0};
	struct inf_json_err e;
	void *map;

	for (size_t k = 0; k < n; k++) {
		const char *p = guarded_copy(js, k, &map, &maplen);
		int rc = inf_json_parse(&t, p, k, 64, &e);
		ck_assert_msg(rc == INF_ERR_INVALID, "prefix %zu: rc %d", k, rc);
		ck_assert_msg(e.offset <= k, "prefix %zu: offset %zu", k, e.offset);
		munmap(map, maplen);
	}
	ck_assert_int_eq(inf_json_parse(&t, guarded_copy(js, n, &map, &maplen), n, 64, &e), 0);
	ck_assert_int_eq(t.n, 14);
	munmap(map, maplen);
	inf_tokens_free(&t);
}
END_TEST

/* The parser reads only `len` bytes: what follows does not count. */
START_TEST(test_length_bounds_input)
{
	static const char js[] = "[1,2]garbage";
	struct inf_json_err e;
	int n;

	ck_assert_int_eq(parse(js, 5, 8, &e, &n), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(parse("12345", 2, 8, &e, &n), 0); /* "12" */
	ck_assert_int_eq(parse("truex", 4, 8, &e, &n), 0);
}
END_TEST

/* ---- depth ---- */

static char *nest(unsigned depth, const char *open, const char *inner, const char *close)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *s = malloc(depth * (lo + lc) + li + 1), *p = s;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (unsigned i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

/* Nesting `depth` containers; shape 0: arrays, 1: objects, 2: both in
 * turn. The innermost holds `1` (or nothing with empty). Caller frees. */
static char *nest_shape(unsigned depth, int shape, int empty)
{
	struct inf_buf b = {0};

	for (unsigned i = 0; i < depth; i++) {
		int obj = shape == 1 || (shape == 2 && i % 2);
		ck_assert_int_eq(inf_buf_puts(&b, obj ? "{\"k\":" : "["), 0);
	}
	if (!empty || (depth && (shape == 1 || (shape == 2 && (depth - 1) % 2))))
		ck_assert_int_eq(inf_buf_putc(&b, '1'), 0);
	for (unsigned i = depth; i-- > 0;) {
		int obj = shape == 1 || (shape == 2 && i % 2);
		ck_assert_int_eq(inf_buf_putc(&b, obj ? '}' : ']'), 0);
	}
	ck_assert_ptr_nonnull(tu_cstr(&b));
	return b.data;
}

/* Offset of the opening bracket of level `level` (0-based) in `s`, which
 * holds no brackets in strings. */
static size_t offset_of_level(const char *s, unsigned level)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((s[i] == '[' || s[i] == '{') && level-- == 0)
			break;
	return i;
}

START_TEST(test_depth_limit)
{
	struct inf_json_err e;

	for (int shape = 0; shape < 3; shape++) {
		for (int empty = 0; empty < 2; empty++) {
			for (unsigned max = 1; max <= 40; max++) {
				char *ok = nest_shape(max, shape, empty);
				char *over = nest_shape(max + 1, shape, empty);
				int rc = parse(ok, strlen(ok), max, &e, NULL);

				ck_assert_msg(rc == 0, "%s at max_depth %u: rc %d %s", ok, max, rc,
				              e.msg);
				rc = parse(over, strlen(over), max, &e, NULL);
				ck_assert_msg(rc == INF_ERR_LIMIT, "%s at max_depth %u: rc %d",
				              over, max, rc);
				ck_assert_ptr_nonnull(strstr(e.msg, "max_depth"));
				/* the first container too deep is where it fails */
				ck_assert_msg(over[e.offset] == '[' || over[e.offset] == '{',
				              "offset %zu in %s", e.offset, over);
				ck_assert_uint_eq(e.offset, offset_of_level(over, max));
				free(ok);
				free(over);
			}
		}
	}
}
END_TEST

START_TEST(test_depth_exact_messages)
{
	struct inf_json_err e;

	ck_assert_int_eq(parse(S("[[[1]]]"), 3, &e, NULL), 0);
	ck_assert_int_eq(parse(S("[[[[1]]]]"), 3, &e, NULL), INF_ERR_LIMIT);
	ck_assert_str_eq(e.msg, "nesting deeper than max_depth (3)");
	ck_assert_uint_eq(e.offset, 3);
	ck_assert_int_eq(parse(S("{\"a\":{\"b\":[1]}}"), 3, &e, NULL), 0);
	ck_assert_int_eq(parse(S("{\"a\":{\"b\":[1]}}"), 2, &e, NULL), INF_ERR_LIMIT);
	ck_assert_uint_eq(e.offset, 10);
	/* the limit is on containers: a scalar root needs none */
	ck_assert_int_eq(parse(S("1"), 0, &e, NULL), 0);
	ck_assert_int_eq(parse(S("\"s\""), 0, &e, NULL), 0);
	ck_assert_int_eq(parse(S("[]"), 0, &e, NULL), INF_ERR_LIMIT);
	/* brackets inside strings are not nesting */
	ck_assert_int_eq(parse(S("[\"[[[[[[{{{{{\"]"), 1, &e, NULL), 0);
	ck_assert_int_eq(parse(S("[\"\\\"[[[[[[\"]"), 1, &e, NULL), 0);
	/* a string ending in escaped backslashes ends there */
	ck_assert_int_eq(parse(S("[\"a\\\\\",[[\"]]]]\"]]]"), 3, &e, NULL), 0);
	ck_assert_int_eq(parse(S("[\"a\\\\\",[[[\"x\"]]]]"), 3, &e, NULL), INF_ERR_LIMIT);
	ck_assert_uint_eq(e.offset, 9);
	ck_assert_int_eq(parse(S("[\"\\\\\\\"[[[\",[[1]]]"), 3, &e, NULL), 0);
	/* siblings do not add up */
	ck_assert_int_eq(parse(S("[[1],[2],[[3]],{\"a\":[]}]"), 3, &e, NULL), 0);
}
END_TEST

/* ---- key length ---- */

/* A key of exactly max_key raw bytes (between the quotes, escapes as
 * written) is accepted, one more is refused with INF_ERR_LIMIT at the
 * key's opening quote; values are not keys; 0 means no limit. */
START_TEST(test_max_key)
{
	struct inf_tokens t = {0};
	struct inf_json_err e;
	struct inf_buf js = {0};
	char key[64];

	for (size_t max = 1; max <= 40; max++) {
		t.max_key = max;
		for (size_t len = max; len <= max + 1; len++) {
			for (int where = 0; where < 3; where++) {
				size_t at;
				int rc;

				for (size_t i = 0; i < len; i++)
					key[i] = (char)('a' + i % 26);
				if (len >= 2 && where == 2) /* an escape counts as written */
					memcpy(key + len - 2, "\\n", 2);
				key[len] = '\0';
				inf_buf_reset(&js);
				/* where 0: the root's only key; 1 and 2: a nested key
				 * after a short one, beside a long string value */
				if (where)
					ck_assert_int_eq(inf_buf_printf(&js, "{\"k\":[1,{\"v\":\"%s%s\",",
					                                key, key), 0);
				else
					ck_assert_int_eq(inf_buf_putc(&js, '{'), 0);
				at = js.len;
				ck_assert_int_eq(inf_buf_printf(&js, "\"%s\":1}%s", key, where ? "]}" : ""),
				                 0);
				memset(&e, 0, sizeof e);
				rc = inf_json_parse(&t, js.data, js.len, 8, &e);
				if (len == max) {
					ck_assert_msg(rc == 0, "max_key %zu, %s: rc %d %s", max,
					              tu_cstr(&js), rc, e.msg);
				} else {
					ck_assert_msg(rc == INF_ERR_LIMIT, "max_key %zu, %s: rc %d", max,
					              tu_cstr(&js), rc);
					ck_assert_uint_eq(e.offset, at);
					ck_assert_int_eq(js.data[e.offset], '"');
					snprintf(key, sizeof key, "key longer than max_key_bytes (%zu)", max);
					ck_assert_str_eq(e.msg, key);
				}
			}
		}
	}
	/* no limit */
	t.max_key = 0;
	inf_buf_reset(&js);
	ck_assert_int_eq(inf_buf_putc(&js, '{'), 0);
	ck_assert_int_eq(inf_buf_putc(&js, '"'), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(inf_buf_putc(&js, 'k'), 0);
	ck_assert_int_eq(inf_buf_puts(&js, "\":1}"), 0);
	ck_assert_int_eq(inf_json_parse(&t, js.data, js.len, 8, &e), 0);
	inf_tokens_free(&t);
	inf_buf_free(&js);
}
END_TEST

/* Very deep nesting is refused at the limit, whatever its shape: at the
 * first container too deep, with the parse stack grown for max_depth
 * levels, not for the input's million. No clock is read: work per level
 * of the input or rescanning would show as a hang on a million levels,
 * which the "limits" test case's 30 s timeout turns into a failure. */
START_TEST(test_very_deep_refused_at_limit)
{
	static const struct {
		const char *open, *close;
	} shapes[] = {
	    {"[", "]"}, {"{\"a\":", "}"}, {"[", ""}, /* truncated: never closed */
	};
	struct inf_json_err e;

	for (unsigned s = 0; s < 3; s++) {
		char *js = nest(1000000, shapes[s].open, "1", shapes[s].close);
		struct inf_tokens t = {0};
		int rc = inf_json_parse(&t, js, strlen(js), 512, &e);

		ck_assert_int_eq(rc, INF_ERR_LIMIT);
		ck_assert_uint_eq(e.offset, 512 * strlen(shapes[s].open));
		ck_assert_msg(t.stack_cap >= 512 && t.stack_cap <= 2 * 512, "shape %u: stack for %u",
		              s, t.stack_cap);
		inf_tokens_free(&t);
		free(js);
	}
}
END_TEST

/* ---- numbers: read with room after them or without ---- */

/* Whether [t] and [t,"...24 bytes"] get the same answer: the first reads
 * the number near the text's end, the second with 16 bytes in sight. */
static void same_with_room(const char *t, size_t n)
{
	char a[64], b[64];
	struct inf_json_err ea = { 0 }, eb = { 0 };
	int ra, rb;

	snprintf(a, sizeof a, "[%.*s]", (int)n, t);
	snprintf(b, sizeof b, "[%.*s,\"0123456789abcdefghij\"]", (int)n, t);
	ra = parse(a, n + 2, 8, &ea, NULL);
	rb = parse(b, n + 25, 8, &eb, NULL);
	ck_assert_msg(ra == rb && (ra == 0 || (ea.offset == eb.offset && !strcmp(ea.msg, eb.msg))),
		      "%s: %d at %zu (%s), with room %d at %zu (%s)", a, ra, ea.offset, ea.msg, rb,
		      eb.offset, eb.msg);
}

/* Every text of up to five bytes from the number grammar's alphabet that
 * starts as a number does gets the same answer whether the tokenizer has 16 bytes to look at or not,
 * and numbers longer than that are read whole. */
START_TEST(test_numbers_any_room)
{
	static const char alpha[] = "-019.eE+ x";
	static const struct {
		const char *t;
		int ok;
	} longer[] = {
		{ "12345678901234567890", 1 },    { "-0.12345678901234567", 1 },
		{ "1234567890123.45e-7", 1 },     { "123456789012345.", 0 },
		{ "0.000000000000001", 1 },       { "-123456789012345", 1 },
		{ "123456789012345.6", 1 },       { "12345678901234.5e", 0 },
		{ "00000000000000000", 0 },       { "-1234567890123456789.5", 1 },
		{ "1.23456789012345678e+300", 1 }, { "123456789012345x", 0 },
	};
	char t[5];

	for (size_t n = 1; n <= sizeof t; n++) {
		size_t total = 1;
		for (size_t k = 0; k < n; k++)
			total *= sizeof alpha - 1;
		for (size_t i = 0; i < total; i++) {
			size_t x = i;
			for (size_t k = 0; k < n; k++, x /= sizeof alpha - 1)
				t[k] = alpha[x % (sizeof alpha - 1)];
			if (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')) /* a number's start */
				same_with_room(t, n);
		}
	}
	for (size_t i = 0; i < sizeof longer / sizeof *longer; i++) {
		char js[64];
		struct inf_json_err e;
		int ntok = 0;
		size_t n = (size_t)snprintf(js, sizeof js, "[%s, 1]", longer[i].t);

		same_with_room(longer[i].t, strlen(longer[i].t));
		ck_assert_msg((parse(js, n, 8, &e, &ntok) == 0) == longer[i].ok, "%s", js);
	}
}
END_TEST

/* ---- token array growth ---- */

START_TEST(test_million_numbers)
{
	enum { N = 1000000 };
	struct inf_buf b = {0};
	struct inf_tokens t = {0};
	struct inf_json_err e;
	int rc = inf_buf_putc(&b, '[');

	for (int i = 0; i < N; i++) /* one assertion, not a million */
		rc |= inf_buf_printf(&b, i ? ",%d" : "%d", i % 1000);
	ck_assert_int_eq(rc | inf_buf_putc(&b, ']'), 0);
	ck_assert_int_eq(inf_json_parse(&t, b.data, b.len, 8, &e), 0);
	ck_assert_int_eq(t.n, N + 1);
	ck_assert_int_eq(t.tok[0].size, N);
	ck_assert_uint_ge(t.cap, N + 1);
	/* spot checks: the last element is "999" and ends before ']' */
	ck_assert_int_eq(t.tok[N].type, JSMN_PRIMITIVE);
	ck_assert_int_eq(t.tok[N].end, (int)b.len - 1);
	ck_assert_int_eq(t.tok[N].end - t.tok[N].start, 3);
	ck_assert_mem_eq(b.data + t.tok[N].start, "999", 3);
	ck_assert_int_eq(t.tok[N].parent, 0);
	ck_assert_int_eq(inf_tok_skip(&t, 0), N + 1);
	/* a trailing comma at the very end is still found */
	b.data[b.len - 1] = ',';
	ck_assert_int_eq(inf_buf_putc(&b, ']'), 0);
	ck_assert_int_eq(inf_json_parse(&t, b.data, b.len, 8, &e), INF_ERR_INVALID);
	ck_assert_uint_eq(e.offset, b.len - 2);
	inf_tokens_free(&t);
	inf_buf_free(&b);
}
END_TEST

/* "[0,0,...,0]" in exactly len bytes (len >= 3; a space after '[' when
 * len is even); returns the element count. */
static size_t dense_array(char *js, size_t len)
{
	size_t k = 0, m = 0;

	js[k++] = '[';
	if (len % 2 == 0)
		js[k++] = ' ';
	while (k < len - 1) {
		js[k++] = '0';
		m++;
		if (k < len - 1)
			js[k++] = ',';
	}
	js[k] = ']';
	return m;
}

/* The densest texts around the size up to which the parser reserves a
 * token per byte and stops checking room: an unclosed "[[[..." emits a
 * token at every byte (the most any text can), "[0,0,...]" one at every
 * other. Storage is reused from a small record each time, so it must
 * grow first (ASan builds see any write past it). */
START_TEST(test_densest_texts_fit)
{
	static const size_t sizes[] = { 3, 4, 100, 16383, 16384, 16385, 16386, 40000 };
	struct inf_tokens t = {0};
	struct inf_json_err e;

	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t len = sizes[i], m;
		char *js = malloc(len);

		ck_assert_ptr_nonnull(js);
		memset(js, '[', len);
		ck_assert_int_eq(inf_json_parse(&t, S("[1]"), 8, &e), 0);
		ck_assert_int_eq(inf_json_parse(&t, js, len, (unsigned)len + 1, &e), INF_ERR_INVALID);
		ck_assert_str_eq(e.msg, "truncated JSON (unexpected end of record)");
		m = dense_array(js, len);
		ck_assert_int_eq(inf_json_parse(&t, S("[1]"), 8, &e), 0);
		ck_assert_int_eq(inf_json_parse(&t, js, len, 8, &e), 0);
		ck_assert_int_eq(t.n, (int)m + 1);
		ck_assert_int_eq(t.tok[0].size, (int)m);
		ck_assert_int_eq(t.tok[m].end, (int)len - 1);
		free(js);
	}
	inf_tokens_free(&t);
}
END_TEST

/* ---- inf_json_cut_doubt ---- */

START_TEST(test_cut_doubt)
{
	static const struct {
		const char *js;
		long at; /* where the doubt is, or -1 */
	} cases[] = {
		{ "{\"a\":[1,{\"b\":[]}]}", -1 },
		{ " \"s\" ", -1 },
		{ "{\"a\" : \"b\" , \"c\":[\"d\",\"e\"]}", -1 },
		{ "{\"a\":[}", 6 },
		{ "[{]", 2 },
		{ "}", 0 },
		{ "{\"a\":\"[}\"}", -1 },         /* brackets in strings */
		{ "{\"a\":\"\\\"]\"}", -1 },      /* after an escaped quote */
		{ "{\"a\":\"\\\\\"]}", 8 },      /* the string ends after an escaped backslash */
		{ "{\"a\":[[", -1 },            /* left open: not in doubt */
		{ "{\"a\":\"x", -1 },
		{ "", -1 },
		{ "{\"a\":tru}", -1 },          /* bad, but where it ends is sure */
		{ "{\"a\":}", -1 },
		{ "{\"a\":\"x\"y\"}, {\"b\":1}, {\"c\":\"z\"w\"}", 7 }, /* stray quotes */
		{ "{\"a\":true\"b\":1}", 9 },    /* a string after a literal */
		{ "{\"a\" \"b\"}", 3 },           /* a string after a string */
		{ "{\"a\":\"b\"1}", 7 },          /* a string before a literal */
		{ "{\"id\":1, {\"id\":2}, {\"id\":3}}", 9 }, /* a value where a key goes */
		{ "[1 [2]]", 3 },
		{ "{\"a\",\"b\":1}", 3 },         /* a key before ',' */
		{ "[\"a\":1]", 3 },              /* a value in an array before ':' */
		{ "{\"a\":\"b\":1}", 7 },         /* a value in an object before ':' */
		{ "{\"a\":[\"b\"}", 8 },          /* a value in an array before '}' */
		/* a stray quote that keeps every string beside punctuation:
		 * "x}, {" a value, then ":1}, {" a key before ',' */
		{ "{\"a\":\"x}, {\",\":1}, {\",\":\"}", 20 },
		{ " \"s\"", -1 },
		{ "{\"a\":[1,[2],{}],\"b\":{\"c\":[]}}", -1 },
		/* a close at the element's root, after a value or none */
		{ "]", 0 },
		{ "[1]]", 3 },
		{ "1],[", 1 },
		{ "\"a\"]", 3 },
	};
	struct inf_buf scratch = { 0 };
	struct inf_buf deep = { 0 };
	size_t at = 0, open;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc = inf_json_cut_doubt(cases[i].js, strlen(cases[i].js), &scratch, &at);

		ck_assert_msg(rc == (cases[i].at >= 0), "%s: %d", cases[i].js, rc);
		if (cases[i].at >= 0)
			ck_assert_msg(at == (size_t)cases[i].at, "%s: at %zu", cases[i].js, at);
	}
	/* deeper than a byte of the stack: each kind kept across its bits */
	for (size_t i = 0; i < 2000; i++)
		ck_assert_int_eq(inf_buf_printf(&deep, "%s", i % 3 ? "[" : "{\"\":"), 0);
	open = deep.len;
	for (size_t i = 2000; i-- > 0;)
		ck_assert_int_eq(inf_buf_putc(&deep, i % 3 ? ']' : '}'), 0);
	ck_assert_int_eq(inf_json_cut_doubt(deep.data, deep.len, &scratch, &at), 0);
	deep.data[open + 999] = '}'; /* level 1000's ']' */
	ck_assert_int_eq(inf_json_cut_doubt(deep.data, deep.len, &scratch, &at), 1);
	ck_assert_uint_eq(at, open + 999);
	inf_buf_free(&deep);
	inf_buf_free(&scratch);
}
END_TEST

/* ---- inf_tok_skip ---- */

START_TEST(test_tok_skip)
{
	static const char js[] = "{\"a\":{\"b\":[1,2]},\"c\":3,\"d\":[[],[{}]],\"e\":\"s\"}";
	/* 0 {  1 "a"  2 {  3 "b"  4 [  5 1  6 2  7 "c"  8 3  9 "d"  10 [
	 * 11 [  12 [  13 {  14 "e"  15 "s" */
	static const int want[16] = {16, 7, 7, 7, 7, 6, 7, 9, 9, 14, 14, 12, 14, 14, 16, 16};
	static const char *const keys[] = {"a", "c", "d", "e"};
	struct inf_tokens t = {0};
	struct inf_json_err e;
	int k, i;

	ck_assert_int_eq(inf_json_parse(&t, js, strlen(js), 8, &e), 0);
	ck_assert_int_eq(t.n, 16);
	for (i = 0; i < 16; i++)
		ck_assert_msg(inf_tok_skip(&t, i) == want[i], "skip(%d) = %d, want %d", i,
		              inf_tok_skip(&t, i), want[i]);
	/* members of the root, key by key */
	for (k = 1, i = 0; i < t.tok[0].size; i++, k = inf_tok_skip(&t, k)) {
		ck_assert_int_eq(t.tok[k].end - t.tok[k].start, 1);
		ck_assert_int_eq(js[t.tok[k].start], keys[i][0]);
	}
	ck_assert_int_eq(i, 4);
	ck_assert_int_eq(k, 16);
	inf_tokens_free(&t);
}
END_TEST

/* ---- inf_json_drop_top: what the tokens and host->remove make ---- */

static int remove_match(void *ctx, struct inf_record *rec, int node, int key,
			enum inf_match m)
{
	(void)ctx;
	(void)key;
	(void)m;
	return inf_record_remove(rec, node) ? -1 : INF_WALK_SKIP;
}

/* Asserts that inf_json_drop_top_tokens and inf_record_load_dropping
 * answer `js` as inf_json_drop_top did (rg, eg, the bytes `got` holds after
 * its first 5), and that their tokens are what inf_json_parse makes of
 * those bytes. */
static void assert_drop_tokens_same(const char *js, size_t len, unsigned depth,
				    size_t max_key, const struct inf_dropkeys *dk, int rg,
				    const struct inf_json_err *eg, const struct inf_buf *got)
{
	struct inf_tokens t = {0}, fresh = {0};
	struct inf_buf out = {0};
	struct inf_record r;
	struct inf_json_err e = {0}, ef = {0};
	size_t removed = 99;
	int rc;

	t.max_key = fresh.max_key = max_key;
	ck_assert_int_eq(inf_buf_append(&out, "kept|", 5), 0);
	rc = inf_json_drop_top_tokens(&t, js, len, depth, dk, &out, &removed, &e);
	ck_assert_msg(rc == rg && ((rc != INF_ERR_INVALID && rc != INF_ERR_LIMIT) ||
				   (e.offset == eg->offset && !strcmp(e.msg, eg->msg))),
		      "%.*s: tokens %d '%s' at %zu, without %d '%s' at %zu", (int)len, js, rc,
		      e.msg, e.offset, rg, eg->msg, eg->offset);
	ck_assert_uint_eq(out.len, rc ? 5 : got->len);
	inf_record_init(&r, depth);
	r.toks.max_key = max_key;
	ck_assert_int_eq(inf_record_load_dropping(&r, js, len, dk, &e), rc);
	if (rc == 0) {
		ck_assert_msg(!memcmp(out.data, got->data, got->len), "%.*s: bytes differ",
			      (int)len, js);
		ck_assert_int_eq(inf_json_parse(&fresh, out.data + 5, out.len - 5, depth, &ef), 0);
		ck_assert_msg(t.n == fresh.n &&
			      !memcmp(t.tok, fresh.tok, (size_t)t.n * sizeof *t.tok) &&
			      t.key_escapes == fresh.key_escapes,
			      "%.*s: tokens differ from a parse of '%.*s' (%d, %d)", (int)len, js,
			      (int)(out.len - 5), out.data + 5, t.n, fresh.n);
		ck_assert_uint_eq(r.len, out.len - 5);
		ck_assert(!memcmp(r.js, out.data + 5, r.len));
		ck_assert_int_eq(r.toks.n, fresh.n);
		ck_assert(!memcmp(r.toks.tok, fresh.tok, (size_t)t.n * sizeof *t.tok));
		ck_assert_int_eq(r.toks.key_escapes, fresh.key_escapes);
	} else {
		ck_assert_int_eq(t.n, 0);
		ck_assert_int_eq(r.toks.n, 0);
	}
	inf_record_free(&r);
	inf_buf_free(&out);
	inf_tokens_free(&t);
	inf_tokens_free(&fresh);
}

/* Asserts that inf_json_drop_top gives `js` what drop_fields' way gives
 * it (load, walk_matches, remove, emit): the same bytes after what `out`
 * held, or the same error, message and offset; or that it declines (1)
 * exactly when the root is not an object or a root key holds an escape.
 * Then the same of the ways with tokens (assert_drop_tokens_same). */
static void assert_drop_same(const char *js, size_t len, unsigned depth, size_t max_key,
			     const struct inf_paths *ps)
{
	struct inf_record r;
	struct inf_tokens t = {0};
	struct inf_buf want = {0}, got = {0};
	struct inf_json_err ew = {0}, eg = {0};
	struct inf_dropkeys dk;
	size_t removed = 99, nrm = 0;
	int rw, rg, decline = 0;

	inf_record_init(&r, depth);
	r.toks.max_key = t.max_key = max_key;
	ck_assert_int_eq(inf_buf_append(&want, "kept|", 5), 0);
	ck_assert_int_eq(inf_buf_append(&got, "kept|", 5), 0);
	rw = inf_record_load(&r, js, len, &ew);
	if (rw == 0) {
		decline = r.toks.tok[0].type != JSMN_OBJECT;
		for (int k = 1; !decline && k < r.toks.n; k = inf_tok_skip(&r.toks, k))
			decline = memchr(js + r.toks.tok[k].start, '\\',
					 (size_t)(r.toks.tok[k].end - r.toks.tok[k].start)) != NULL;
		ck_assert_int_eq(inf_walk_matches(&r, ps, remove_match, NULL), 0);
		nrm = r.nedits;
		ck_assert_int_eq(inf_record_emit(&r, &want), 0);
	}
	ck_assert(inf_paths_dropkeys(ps, &dk));
	rg = inf_json_drop_top(&t, js, len, depth, &dk, &got, &removed, &eg);
	if (rg == 1) {
		size_t a = 0;
		while (a < len && inf_json_ws(js[a]))
			a++;
		ck_assert_msg(rw ? (a < len && js[a] != '{') || memchr(js, '\\', len) : decline,
			      "%.*s: declined (the tokens: %d %s)", (int)len, js, rw, ew.msg);
		ck_assert_uint_eq(got.len, 5);
	} else if (rw) {
		ck_assert_msg(rg == rw && eg.offset == ew.offset && !strcmp(eg.msg, ew.msg),
			      "%.*s: %d '%s' at %zu, the tokens %d '%s' at %zu", (int)len, js, rg,
			      eg.msg, eg.offset, rw, ew.msg, ew.offset);
		ck_assert_uint_eq(got.len, 5);
	} else {
		ck_assert_msg(rg == 0 && !decline, "%.*s: %d (%s)", (int)len, js, rg, eg.msg);
		ck_assert_msg(got.len == want.len && !memcmp(got.data, want.data, want.len),
			      "%.*s: '%.*s', the tokens '%.*s'", (int)len, js, (int)got.len,
			      got.data, (int)want.len, want.data);
		ck_assert_uint_eq(removed, nrm);
	}
	assert_drop_tokens_same(js, len, depth, max_key, &dk, rg, &eg, &got);
	inf_buf_free(&want);
	inf_buf_free(&got);
	inf_tokens_free(&t);
	inf_record_free(&r);
}

static struct inf_paths *drop_paths(void)
{
	static const char *const keys[] = {"a", "b", "price", "\"\""};
	struct inf_paths *ps = NULL;
	char e[256];

	ck_assert_msg(inf_paths_compile(keys, 4, &ps, e, sizeof e) == 0, "%s", e);
	return ps;
}

START_TEST(test_drop_top_tables)
{
	struct inf_paths *ps = drop_paths();

	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		assert_drop_same(valid[i].js, valid[i].len, 64, 0, ps);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_drop_same(bad[i].js, bad[i].len, 64, 0, ps);
	inf_paths_free(ps);
}
END_TEST

/* Members in every order and spacing: each removed one first, last,
 * alone, beside others removed or kept, duplicated; the keys nested too. */
START_TEST(test_drop_top_cases)
{
	static const char *const cases[] = {
		"{\"a\":1}", "{}", "{ }", "{\"a\":1,\"x\":2}", "{\"x\":2,\"a\":1}",
		"{\"x\":1,\"a\":2,\"y\":3}", "{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":2,\"x\":3}",
		"{\"x\":3,\"a\":1,\"b\":2}", "{\"a\":1,\"x\":2,\"b\":3}", "{\"a\":1,\"a\":2,\"a\":3}",
		" { \"a\" : 1 , \"x\" : 2 , \"b\" : [ 3 ] } \n", "{\n\t\"a\": {\"a\": 1},\n\t\"x\": 2\n}",
		"{\"x\":{\"a\":1,\"b\":2},\"y\":[{\"a\":1}]}", "{\"\":0,\"x\":1}", "{\"price\":1.5}",
		"{\"pricey\":1,\"pric\":2,\"Price\":3}", "{\"x\":\"a\",\"y\":\"\\\"a\\\"\"}",
		"{\"\\u0061\":1,\"x\":2}", "{\"x\":{\"\\u0061\":1},\"a\":2}", "[{\"a\":1}]", "\"a\"",
		"{\"a\":1", "{\"a\":1,}", "{\"x\":1,\"a\":}", "{\"a\":1}x", "{\"a\":1} {}",
		"{\"a\":[1,2}", "{\"a\" 1}", "{\"b\":1,\"\\u00zz\":2}", "{\"x\":[[[[1]]]],\"a\":2}",
	};
	struct inf_paths *ps = drop_paths();

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_drop_same(cases[i], strlen(cases[i]), 64, 0, ps);
		assert_drop_same(cases[i], strlen(cases[i]), 2, 0, ps); /* depth limit */
		assert_drop_same(cases[i], strlen(cases[i]), 64, 1, ps); /* key limit */
	}
	inf_paths_free(ps);
}
END_TEST

/* The generator of test_same_tokens_as_jsmn (rnd) with keys that paths
 * name, near misses of them, and escaped ones. */
static void put_ws(struct inf_buf *b)
{
	static const char *const ws[] = {"", "", "", " ", "\n", "\t ", "  ", "\r\n"};
	inf_buf_puts(b, ws[rnd(8)]);
}

static void put_value(struct inf_buf *b, int depth);

static void put_object(struct inf_buf *b, int depth)
{
	static const char *const keys[] = {"a", "b", "x", "price", "", "ab", "\\u0061", "b\\n",
					   "\xC3\xA9", "pricee"};
	unsigned n = rnd(6);

	inf_buf_putc(b, '{');
	put_ws(b);
	for (unsigned i = 0; i < n; i++) {
		if (i) {
			inf_buf_putc(b, ',');
			put_ws(b);
		}
		/* escaped keys are rarer at the root, where they decline */
		inf_buf_printf(b, "\"%s\"", keys[rnd(depth ? 10 : (rnd(20) ? 6 : 10))]);
		put_ws(b);
		inf_buf_putc(b, ':');
		put_ws(b);
		put_value(b, depth + 1);
		put_ws(b);
	}
	inf_buf_putc(b, '}');
}

static void put_value(struct inf_buf *b, int depth)
{
	static const char *const scalars[] = {"1", "-0.5e3", "true", "false", "null", "\"a\"",
					      "\"x,y:}\"", "\"\\\"\\\\\"", "\"\xE2\x82\xAC\""};
	unsigned k = rnd(depth > 3 ? 9 : 12);

	if (k < 9) {
		inf_buf_puts(b, scalars[k]);
	} else if (k < 11) {
		put_object(b, depth);
	} else {
		unsigned n = rnd(4);
		inf_buf_putc(b, '[');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				inf_buf_putc(b, ',');
			put_ws(b);
			put_value(b, depth + 1);
		}
		inf_buf_putc(b, ']');
	}
}

/* Random objects, and the same objects cut short or with a byte changed:
 * valid or not, both ways agree. */
START_TEST(test_drop_top_random)
{
	static const char noise[] = "{}[],:\" \\a1";
	struct inf_paths *ps = drop_paths();
	struct inf_buf b = {0};
	unsigned rounds = tu_valgrind() ? 2000 : 20000;

	rng_state = 42;
	for (unsigned i = 0; i < rounds; i++) {
		inf_buf_reset(&b);
		put_ws(&b);
		put_object(&b, 0);
		put_ws(&b);
		ck_assert_ptr_nonnull(b.data);
		switch (rnd(4)) {
		case 0: /* cut short */
			b.len = rnd((unsigned)b.len);
			break;
		case 1: /* a byte changed */
			b.data[rnd((unsigned)b.len)] = noise[rnd(sizeof noise - 1)];
			break;
		}
		assert_drop_same(b.data, b.len, 1 + rnd(5), rnd(3) ? 0 : 1 + rnd(5), ps);
	}
	inf_buf_free(&b);
	inf_paths_free(ps);
}
END_TEST

/* A buffer that never held anything (data NULL): an empty text is
 * refused as empty, a short one written, neither through a null pointer
 * (the sanitizer builds check the arithmetic). */
START_TEST(test_drop_top_new_buffer)
{
	static const struct { const char *js; int rc; const char *out; } t[] = {
		{"", INF_ERR_INVALID, ""}, {" ", INF_ERR_INVALID, ""},
		{"{}", 0, "{}"}, {"{\"a\":1}", 0, "{}"}, {"[1]", 1, ""},
	};
	struct inf_paths *ps = drop_paths();
	struct inf_dropkeys dk;

	ck_assert(inf_paths_dropkeys(ps, &dk));
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct inf_tokens tk = {0};
		struct inf_buf out = {0};
		struct inf_json_err e = {0};
		size_t removed = 0, n = strlen(t[i].out);
		int rc = inf_json_drop_top(&tk, t[i].js, strlen(t[i].js), 8, &dk, &out,
					   &removed, &e);

		ck_assert_msg(rc == t[i].rc, "'%s': %d (%s)", t[i].js, rc, e.msg);
		ck_assert_uint_eq(out.len, n);
		ck_assert(n == 0 || !memcmp(out.data, t[i].out, n));
		if (rc == INF_ERR_INVALID)
			ck_assert_str_eq(e.msg, "empty record");
		inf_buf_free(&out);
		inf_tokens_free(&tk);
	}
	inf_paths_free(ps);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("parse");
	TCase *tl = tcase_create("limits");

	tcase_add_loop_test(tc, test_valid, 0, (int)(sizeof valid / sizeof valid[0]));
	tcase_add_test(tc, test_same_tokens_as_jsmn);
	tcase_add_test(tc, test_token_layout);
	tcase_add_test(tc, test_scalar_root_span);
	tcase_add_test(tc, test_tokens_reused);
	tcase_add_test(tc, test_tokens_grow_mid_parse);
	tcase_add_loop_test(tc, test_invalid, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_is_value);
	tcase_add_test(tc, test_every_prefix_refused);
	tcase_add_test(tc, test_length_bounds_input);
	tcase_add_test(tc, test_tok_skip);
	tcase_add_test(tc, test_cut_doubt);
	tcase_add_test(tc, test_drop_top_tables);
	tcase_add_test(tc, test_drop_top_cases);
	tcase_add_test(tc, test_drop_top_random);
	tcase_add_test(tc, test_drop_top_new_buffer);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tl, 30);
	tcase_add_test(tl, test_depth_limit);
	tcase_add_test(tl, test_depth_exact_messages);
	tcase_add_test(tl, test_max_key);
	tcase_add_test(tl, test_very_deep_refused_at_limit);
	tcase_add_test(tl, test_million_numbers);
	tcase_add_test(tc, test_numbers_any_room);
	tcase_add_test(tl, test_densest_texts_fit);
	suite_add_tcase(s, tl);

	return s;
}

int main(void)
{
	return tu_run_suite(json_suite());
}
