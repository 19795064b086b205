/*
 * The two-stage path (core/jsonfast.c): what it accepts, core/json.c's
 * parser accepts too, with the same bytes written and the same count of
 * removed members, and the root members it lists are the parser's; it
 * accepts the valid records it is for, so that a fast path that
 * declined everything would fail here; and it declines each kind of bad
 * text, limit and shape. On a CPU without the fast path, everything must
 * be declined.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonfast.h"
#include "linesref.h"
#include "path.h"
#include "testutil.h"

static struct inf_paths *ps;
static struct inf_dropkeys dk;

static void setup(void)
{
	static const char *const keys[] = { "price", "discount", "a", "caf\xc3\xa9" };
	char e[256];

	ck_assert_msg(inf_paths_compile(keys, 4, &ps, e, sizeof e) == 0, "%s", e);
	ck_assert(inf_paths_dropkeys(ps, &dk));
}

static void teardown(void)
{
	inf_paths_free(ps);
}

/* That the root members inf_jsonfast_members gives, when it accepts, are
 * the parser's: key, value and the root's end, from the tokens. */
static void members_same(const char *js, size_t len, unsigned depth, size_t max_key)
{
	struct inf_jsonfast *s = NULL;
	struct inf_tokens t = { 0 };
	struct inf_json_err e = { 0 };
	const struct inf_jsonfast_member *m;
	size_t nm, close, i = 0;

	t.max_key = max_key;
	if (inf_jsonfast_members(&s, js, len, depth, max_key, &m, &nm, &close) == 0) {
		ck_assert_msg(inf_json_parse(&t, js, len, depth, &e) == 0 &&
			      t.tok[0].type == JSMN_OBJECT, "listed what the parser refuses "
			      "(%s at %zu): '%.*s'", e.msg, e.offset, (int)len, js);
		ck_assert_uint_eq(nm, (size_t)t.tok[0].size);
		ck_assert_uint_eq(close, (size_t)t.tok[0].end - 1);
		for (int k = 1; k < t.n; k = inf_tok_skip(&t, k + 1), i++) {
			const jsmntok_t *kt = &t.tok[k], *vt = &t.tok[k + 1];
			int q = vt->type == JSMN_STRING;

			ck_assert_ptr_null(memchr(js + kt->start, '\\', (size_t)(kt->end - kt->start)));
			ck_assert_uint_eq(m[i].key, (unsigned)kt->start - 1);
			ck_assert_uint_eq(m[i].klen, (unsigned)(kt->end - kt->start));
			ck_assert_uint_eq(m[i].v, (unsigned)(vt->start - q));
			ck_assert_uint_eq(m[i].vend, (unsigned)(vt->end + q));
		}
		ck_assert_uint_eq(i, nm);
	}
	inf_jsonfast_free(s);
	inf_tokens_free(&t);
}

/* Runs both ways on a copy of exactly len bytes (so that a read past
 * the record shows under ASan); asserts that an accept by the fast path
 * is one by the parser, bytes and count. Returns the fast path's answer. */
static int both(const char *js, size_t len, unsigned depth, size_t max_key)
{
	struct inf_jsonfast *s = NULL;
	struct inf_tokens t = { 0 };
	struct inf_buf fast = { 0 }, ref = { 0 };
	struct inf_json_err e = { 0 };
	size_t rf = 99, rr = 98;
	char *exact = malloc(len ? len : 1);
	int f, r;

	ck_assert_ptr_nonnull(exact);
	memcpy(exact, js, len);
	ck_assert_int_eq(inf_buf_append(&fast, "kept|", 5), 0);
	ck_assert_int_eq(inf_buf_append(&ref, "kept|", 5), 0);
	t.max_key = max_key;
	f = inf_jsonfast_drop_top(&s, exact, len, depth, max_key, &dk, &fast, &rf);
	r = inf_json_drop_top_tokens(&t, exact, len, depth, &dk, &ref, &rr, &e);
	ck_assert_msg(f == 0 || f == 1, "%d", f);
	if (f == 0) {
		ck_assert_msg(r == 0, "accepted what the parser refuses (%d: %s at %zu): '%.*s'",
			      r, e.msg, e.offset, (int)len, js);
		ck_assert_msg(fast.len == ref.len && !memcmp(fast.data, ref.data, ref.len),
			      "'%.*s': wrote '%.*s', the parser '%.*s'", (int)len, js,
			      (int)fast.len, fast.data, (int)ref.len, ref.data);
		ck_assert_uint_eq(rf, rr);
	} else {
		ck_assert_uint_eq(fast.len, 5); /* nothing appended */
	}
	members_same(exact, len, depth, max_key);
	inf_jsonfast_free(s);
	inf_tokens_free(&t);
	inf_buf_free(&fast);
	inf_buf_free(&ref);
	free(exact);
	return f;
}

#define BOTH(lit, depth, key) both(lit, sizeof(lit) - 1, depth, key)

START_TEST(test_accepts)
{
	static const char *const ok[] = {
		"{}", " { } ", "{\"a\":1}", "{\"price\":1,\"x\":2}", "{\"x\":2,\"price\":1}",
		"{ \"x\" : 2 , \"price\" : 1 , \"y\" : [ ] }\t",
		"{\"price\":{\"a\":[1,{\"b\":null}]},\"discount\":[true,false],\"k\":\"v\"}",
		"{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"caf\xc3\xa9\":1}",
		"{\"s\":\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\",\"price\":-0.5e+10}",
		"{\"n\":[0,-0,1.5,1e5,1E-5,12345678901234567890,0.000001,-12.75e3]}",
		"{\"id\":\"e-1\",\"store_id\":12,\"price\":12.5,\"discount\":0.1,\"qty\":3,"
		"\"is_return\":false,\"card\":null,\"items\":[{\"sku\":\"A\",\"price\":2}]}",
		"{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"price\":1234567890123456}",
		"{\"\":1,\"a\":2,\"a\":3}",
	};

	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		int f = both(ok[i], strlen(ok[i]), 64, 0);

		ck_assert_msg(f == !inf_jsonfast_available(), "'%s': %d", ok[i], f);
	}
}
END_TEST

START_TEST(test_declines)
{
	static const char *const bad[] = {
		"", " ", "[1]", "1", "\"x\"", "{", "}", "{\"a\":1", "{\"a\":1}x", "{\"a\":1}}",
		"{\"a\":1,}", "{,\"a\":1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\"::1}",
		"{\"a\":}", "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":{\"b\":1}", "{\"a\":[}]}",
		"{1:2}", "{\"a\":'x'}", "{\"a\":tru}", "{\"a\":nulll}", "{\"a\":True}",
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":1e+}",
		"{\"a\":+1}", "{\"a\":0x1}", "{\"a\":NaN}", "{\"a\":1.5.2}", "{\"a\":-01}",
		"{\"a\":12345678901234567.}", "{\"a\":1234567890123456e}",
		"{\"a\":\"\x01\"}", "{\"a\":\"\x1f\"}", "{\"a\":\"\n\"}", "{\"a\":\"x}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\uD800\"}",
		"{\"a\":\"\\uDC00\"}", "{\"a\":\"\\uD800\\u0041\"}", "{\"a\":\"\\uD800\\uD800\"}",
		"{\"a\":\"\\\"}", "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\xe0\x80\x80\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xf8\x88\x80\x80\"}",
		"{\"a\":\"\x80\"}", "{\"a\":\"\xff\"}", "{\"a\":1}\xc3", "{\"a\":\xc3\xa9}",
		"{\"pr\\u0069ce\":1}", "{\"a\":1}\x01", "\x01{\"a\":1}", "{\"a\":1,\"a\"}",
		"{\"a\":\"x\"\"y\"}", "{\"a\":1\x0b}", "{\"a\"\x0c:1}",
		/* lone surrogates written with the digit 9, which hex decoding
		 * must read as 9 */
		"{\"a\":\"\\ud900\"}", "{\"a\":\"\\uD9FF\"}", "{\"a\":\"\\udb9f\"}",
		"{\"a\":\"\\udc09\"}", "{\"a\":\"\\uD999x\"}",
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(both(bad[i], strlen(bad[i]), 64, 0) == 1, "accepted '%s'", bad[i]);
	/* the string bodies of a NUL */
	ck_assert_int_eq(BOTH("{\"a\":\"\0\"}", 64, 0), 1);
	ck_assert_int_eq(BOTH("{\"a\":1}\0", 64, 0), 1);
	/* the limits: depth and the longest key, to the byte */
	ck_assert_int_eq(BOTH("{\"a\":[[1]]}", 3, 0), !inf_jsonfast_available());
	ck_assert_int_eq(BOTH("{\"a\":[[1]]}", 2, 0), 1);
	ck_assert_int_eq(BOTH("{\"abcd\":1,\"x\":{\"efgh\":2}}", 64, 4), !inf_jsonfast_available());
	ck_assert_int_eq(BOTH("{\"abcd\":1,\"x\":{\"efghi\":2}}", 64, 4), 1);
	ck_assert_int_eq(BOTH("{\"abcde\":1}", 64, 4), 1);
	ck_assert_int_eq(BOTH("{\"a\":1}", 0, 0), 1);
}
END_TEST

/* Blocks of 64 bytes with more than 16, 32 and 48 structural bytes:
 * the index stores each quarter of a block apart. */
START_TEST(test_dense)
{
	static const char *const unit[] = { "1,", "\"\":0,", "[],", "{},", "[1,[]],", "\"a\":[0,1],",
					     "\"\":{},", "true,", "\"\\n\"," };
	struct inf_buf b = { 0 };

	for (size_t u = 0; u < sizeof unit / sizeof *unit; u++)
		for (unsigned lead = 0; lead < 8; lead++) {
			int obj = strchr(unit[u], ':') != NULL;

			inf_buf_reset(&b);
			inf_buf_printf(&b, "%*s{\"price\":1,\"x\":%s", (int)lead, "", obj ? "{" : "[");
			while (b.len < 300)
				inf_buf_puts(&b, unit[u]);
			inf_buf_printf(&b, "%s", obj ? "\"z\":0}" : "0]");
			inf_buf_puts(&b, ",\"discount\":2}");
			ck_assert_ptr_nonnull(b.data);
			ck_assert_int_eq(both(b.data, b.len, 64, 0), !inf_jsonfast_available());
			b.data[b.len - 20] = '\x01'; /* a byte bad in and out of strings */
			ck_assert_int_eq(both(b.data, b.len, 64, 0), 1);
		}
	inf_buf_free(&b);
}
END_TEST

/* The fast path is taken on a CPU with every feature it needs, as the
 * kernel lists them in /proc/cpuinfo, and on no other: a check that
 * always said no would pass every other test here. x86-64 builds only
 * (others have no fast path), and not under valgrind, whose CPU has no
 * AVX-512. */
START_TEST(test_available)
{
#if defined(__x86_64__) && defined(__SSE2__)
	static const char *const need[] = { " avx512f ", " avx512bw ", " avx512vl ",
					    " avx512vbmi ", " avx512_vbmi2 ", " pclmulqdq ",
					    " bmi1 ", " bmi2 ", " popcnt " };
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int all = 1;

	if (!f || tu_valgrind()) {
		if (f)
			fclose(f);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0 && strncmp(line, "flags", 5))
		;
	ck_assert_msg(n > 0, "no flags line in /proc/cpuinfo");
	line[n - 1] = ' '; /* the newline: every flag then ends in a space */
	for (size_t i = 0; i < sizeof need / sizeof *need; i++)
		all &= strstr(line, need[i]) != NULL;
	ck_assert_int_eq(inf_jsonfast_available(), all);
	free(line);
	fclose(f);
#else
	ck_assert_int_eq(inf_jsonfast_available(), 0);
#endif
}
END_TEST

/* Flat records around the one-pass path's widest (64 members): either
 * path may take them, but a member past the widest is still removed,
 * wherever the removed keys stand. */
START_TEST(test_wide)
{
	struct inf_buf b = { 0 };

	for (int n = 60; n <= 70; n++)
		for (int at = 0; at < 3; at++) {
			inf_buf_reset(&b);
			inf_buf_puts(&b, "{");
			for (int k = 0; k < n; k++) {
				int drop = at == 0 ? k == n - 1 : at == 1 ? k == n / 2 : k == 0;

				if (drop)
					inf_buf_printf(&b, "%s\"price\":%d", k ? "," : "", k);
				else
					inf_buf_printf(&b, "%s\"k%d\":%d", k ? "," : "", k, k);
			}
			inf_buf_puts(&b, "}");
			ck_assert_ptr_nonnull(b.data);
			ck_assert_ptr_nonnull(memmem(b.data, b.len, "\"price\":", 8));
			both(b.data, b.len, 64, 0);
		}
	inf_buf_free(&b);
}
END_TEST

/* A record longer than INF_JSONFAST_MAX is left to the parser. */
START_TEST(test_long_record)
{
	struct inf_buf b = { 0 };

	ck_assert_int_eq(inf_buf_puts(&b, "{\"s\":\""), 0);
	while (b.len < INF_JSONFAST_MAX - 10)
		ck_assert_int_eq(inf_buf_putc(&b, 'x'), 0);
	ck_assert_int_eq(inf_buf_puts(&b, "\",\"a\":1}"), 0);
	ck_assert_int_eq(both(b.data, b.len, 8, 0), !inf_jsonfast_available());
	ck_assert_int_eq(inf_buf_puts(&b, "          "), 0);
	ck_assert_int_eq(both(b.data, b.len, 8, 0), 1);
	inf_buf_free(&b);
}
END_TEST

/* ---- random records and their mutations ---- */

static unsigned long rs;

static unsigned rnd(unsigned n)
{
	return tu_rnd(&rs, n);
}

static const char *const keys[] = {
	"price", "discount", "a", "caf\xc3\xa9", "store_id", "cust_id", "items", "sku", "",
	"evnt_time", "pr\\u0069ce", "k\\\"q", "priced", "prices", "discoun", "a b",
};
static const char *const strs[] = {
	"", "x", "hello world", "caf\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80", "a\\\"b",
	"\\\\", "\\n\\t", "\\u00e9", "\\uD83D\\uDE00", "2026-11-28T20:15:03Z",
	"0123456789abcdef0123456789", "}{][,:", "\\/",
};
static const char *const nums[] = {
	"0", "-0", "7", "12.5", "-3.25", "1e5", "2E-3", "-0.0e+0", "123456789012345678",
	"1234567890123456.5", "0.000000000000001", "99", "-1234567890123.5",
};
static const char *const ws[] = { "", "", "", " ", "\t", "\r\n", "  " };

static void value(struct inf_buf *b, int depth);

static void object(struct inf_buf *b, int depth)
{
	unsigned n = rnd(depth ? 5 : 18);

	inf_buf_printf(b, "{%s", ws[rnd(7)]);
	for (unsigned i = 0; i < n; i++) {
		inf_buf_printf(b, "%s\"%s\"%s:%s", i ? "," : "", keys[rnd(sizeof keys / sizeof *keys)],
			       ws[rnd(7)], ws[rnd(7)]);
		value(b, depth + 1);
		inf_buf_printf(b, "%s", ws[rnd(7)]);
	}
	inf_buf_printf(b, "}");
}

static void value(struct inf_buf *b, int depth)
{
	unsigned w = rnd(12);

	if (depth < 4 && w == 0) {
		object(b, depth);
	} else if (depth < 4 && w == 1) {
		unsigned n = rnd(4);

		inf_buf_printf(b, "[");
		for (unsigned i = 0; i < n; i++) {
			inf_buf_printf(b, "%s%s", i ? "," : "", ws[rnd(7)]);
			value(b, depth + 1);
		}
		inf_buf_printf(b, "]");
	} else if (w < 7) {
		inf_buf_printf(b, "\"%s\"", strs[rnd(sizeof strs / sizeof *strs)]);
	} else if (w < 10) {
		inf_buf_printf(b, "%s", nums[rnd(sizeof nums / sizeof *nums)]);
	} else {
		static const char *const lit[] = { "true", "false", "null" };

		inf_buf_printf(b, "%s", lit[rnd(3)]);
	}
}

/* Bytes and snippets that make text invalid, or nearly. */
static const char noise[] = "\"\\{}[],: \t\r\n0123456789-+.eEtrufalsn/bu\x01\x1f\x7f\x80\xbf"
			    "\xc0\xc1\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xff";
static const char *const snips[] = {
	"\xc3\xa9", "\xc0\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xef\xbf\xbf", "\xf0\x8f\xbf\xbf",
	"\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\x80",
	"\\u00e9", "\\u0000", "\\uD800", "\\uDC00", "\\uD800\\u0041", "\\uDBFF\\uDFFF", "\\u12",
	"\\x41", "\\", "\\\\\\", "\\uD800\\", "-0", "01", "1.", ".5", "-", "1e", "1e+", "1.5.2",
	"12345678901234567890", "1234567890123456.5", "123456789012345e3", "[]", "{}", "[",
	"]", "{", "}", "tru", "nul", "truex", "True", ",", ":", "\"\"", "\"price\": 1, ",
	"\"discount\": {\"a\": [1]}, ", ", \"price\": 2", "\"pr\\u0069ce\": 3, ", "NaN", "+1",
};

static void mutate(struct inf_buf *b)
{
	for (unsigned m = 1 + rnd(3); m; m--) {
		size_t pos = rnd((unsigned)b->len + 1);
		const char *s;

		switch (rnd(6)) {
		case 0: /* a byte changed */
			if (b->len)
				b->data[pos < b->len ? pos : b->len - 1] =
					rnd(3) ? noise[rnd(sizeof noise - 1)] : (char)rnd(256);
			break;
		case 1: /* bytes taken out */
			if (pos + 3 <= b->len) {
				memmove(b->data + pos, b->data + pos + 3, b->len - pos - 3);
				b->len -= 3;
			}
			break;
		case 2: /* cut short */
			b->len = pos;
			break;
		default: /* a snippet put in */
			s = snips[rnd(sizeof snips / sizeof *snips)];
			ck_assert_int_eq(inf_buf_reserve(b, strlen(s)), 0);
			memmove(b->data + pos + strlen(s), b->data + pos, b->len - pos);
			memcpy(b->data + pos, s, strlen(s));
			b->len += strlen(s);
		}
	}
}

/* Lines inf_jsonfast_member_lines took in lines_same. */
static size_t member_taken;

/* inf_jsonfast_drop_lines, then inf_jsonfast_member_lines, against the
 * parser (tests/linesref.h); returns the lines the drop took, *total all
 * of them. */
static size_t lines_same(const char *text, size_t len, unsigned depth, size_t max_key,
			 size_t max_record, size_t *total)
{
	size_t taken, mtaken, mtotal;
	const char *bad = linesref_check(text, len, depth, max_key, max_record, &dk, &taken,
					 total);

	ck_assert_msg(!bad, "drop: %s", bad);
	bad = linesref_check(text, len, depth, max_key, max_record, NULL, &mtaken, &mtotal);
	ck_assert_msg(!bad, "members: %s", bad);
	ck_assert_uint_eq(mtotal, *total);
	member_taken += mtaken;
	return taken;
}

START_TEST(test_lines)
{
	/* after a line it does not take, the framer runs the rest of the
	 * window (here all of it) its own way */
	static const struct {
		const char *text;
		size_t max_record, taken; /* on a CPU with the fast path */
	} cases[] = {
		{ "{\"a\":1}\n{\"price\":2,\"b\":3}\n", 100, 2 },
		{ "{\"a\":1}\r\n {\"price\":2} \r\n\r\n{}\n", 100, 4 }, /* a CRLF blank */
		{ "{\"a\":1}\n{\"b\":2}", 100, 1 },             /* no '\n' after it */
		{ "{\"a\":1}\n\n{\"b\":2}\n", 100, 3 },          /* a blank line */
		{ "\n \t \n{\"b\":2}\n  \n", 100, 4 },          /* whitespace only */
		{ "{\"a\":1}\n          \n{\"b\":2}\n", 9, 1 }, /* blank, over max_record */
		{ "{\"a\":1}\n         \r\n{\"b\":2}\n", 9, 3 }, /* the CR is not counted */
		{ "{\"b\":2}\n{\"a\":\"x\ny\"}\n{\"b\":2}\n", 100, 1 }, /* '\n' in a string */
		{ "{\"b\":2}\n{\"a\":\"x\\\ny\"}\n", 100, 1 },   /* escaped '\n' */
		{ "{\"b\":2}\n{\"a\":\"\xc3\n\"}\n", 100, 1 },   /* UTF-8 cut by '\n' */
		{ "{\"a\":\"\xc3\"}\n{\"b\":\"\xa9\"}\n", 100, 0 },
		{ "{\"b\":2}\n{\"a\":1}\\\n{\"b\":2}\n", 100, 1 }, /* '\\' before '\n' */
		{ "{\"a\":1}\n{\"c\":3}\n[1]\n\"s\"\n{\"b\":2}\n", 100, 2 },
		{ "{\"a\":1}\n{\"abcdef\":1}\n{\"b\":2}\r\n", 11, 1 }, /* max_record */
		{ "{\"a\":1}\n{\"b\":22}\r\n", 8, 2 },          /* the CR is not counted */
		{ "{\"a\":1}\n{\"b\":222}\r\n", 8, 1 },
		{ "{\"a\":\"\\u00e9\",\"pr\\u0069ce\":1}\n{\"b\":\"\\q\"}\n", 100, 0 },
		{ "{\"a\":\"\\u00e9\"}\n{\"b\":\"\\uD800\"}\n{\"c\":1}\n", 100, 1 },
	};
	const int on = inf_jsonfast_available();

	member_taken = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t total, taken = lines_same(cases[i].text, strlen(cases[i].text), 64, 0,
						 cases[i].max_record, &total);

		ck_assert_msg(taken == (on ? cases[i].taken : 0), "case %zu: took %zu lines", i,
			      taken);
	}
	ck_assert(on ? member_taken > 0 : member_taken == 0);
}
END_TEST

/* Lines of random records, some mutated, blank, long or split by a '\n'
 * in a string, taken as the parser takes them; on a CPU with the fast
 * path, a text of valid lines it is for is taken whole. */
START_TEST(test_lines_random)
{
	static const char *const ends[] = { "\n", "\n", "\n", "\r\n", " \n", "\n\n" };
	const unsigned rounds = tu_valgrind() ? 100 : tu_sanitized() ? 1000 : 2000;
	struct inf_buf b = { 0 }, one = { 0 };
	size_t all = 0, whole = 0, dtaken = 0;

	rs = 0x11e5UL + (unsigned long)_i;
	member_taken = 0;
	for (unsigned i = 0; i < rounds; i++) {
		/* clean: no mutation, no escape, no blank line, a '\n' at the end */
		int clean = rnd(3) == 0;
		unsigned nlines = 1 + rnd(clean ? 8 : 40), depth = rnd(4) ? 64 : 1 + rnd(4);
		size_t max_key = rnd(4) ? 0 : 1 + rnd(12), total, taken, good = 0;
		size_t max_record = rnd(4) ? SIZE_MAX : 50 + rnd(400);

		inf_buf_reset(&b);
		for (unsigned l = 0; l < nlines; l++) {
			int mutated = !clean && rnd(8) == 0;

			for (unsigned tries = 0; tries < (clean ? 50 : 1); tries++) {
				inf_buf_reset(&one);
				object(&one, 0);
				ck_assert_ptr_nonnull(one.data);
				if (!memchr(one.data, '\\', one.len))
					break;
			}
			if (rnd(50) == 0) /* longer than a window */
				while (one.len < 10000)
					inf_buf_printf(&one, "%s", "                ");
			if (mutated)
				mutate(&one);
			good += !mutated && !memchr(one.data, '\n', one.len) &&
				!memchr(one.data, '\\', one.len) && one.len <= max_record;
			ck_assert_int_eq(inf_buf_append(&b, one.data, one.len), 0);
			if (l + 1 < nlines || clean || rnd(2))
				inf_buf_printf(&b, "%s", ends[rnd(sizeof ends / sizeof *ends - clean)]);
		}
		taken = lines_same(b.data, b.len, depth, max_key, max_record, &total);
		if (clean && good == nlines && depth == 64 && !max_key) {
			ck_assert_msg(taken == (inf_jsonfast_available() ? nlines : 0),
				      "took %zu of %u valid lines: '%.*s'", taken, nlines,
				      (int)b.len, b.data);
			whole++;
		}
		all += total;
		dtaken += taken;
	}
	ck_assert(whole > rounds / 100 || tu_valgrind()); /* such texts were made */
	ck_assert_msg(inf_jsonfast_available() ? member_taken > dtaken / 2 : member_taken == 0,
		      "%zu of %zu (drop %zu)", member_taken, all, dtaken);
	ck_assert_uint_gt(all, rounds);
	inf_buf_free(&b);
	inf_buf_free(&one);
}
END_TEST

START_TEST(test_random)
{
	const unsigned rounds = tu_valgrind() ? 3000 : tu_sanitized() ? 50000 : 150000;
	unsigned accepted = 0, valid = 0;
	struct inf_buf b = { 0 };

	rs = 0xfa57UL + (unsigned long)_i;
	for (unsigned i = 0; i < rounds; i++) {
		unsigned depth = rnd(4) ? 64 : 1 + rnd(4);
		size_t max_key = rnd(4) ? 0 : 1 + rnd(12);
		int mutated = rnd(3) != 0;

		inf_buf_reset(&b);
		inf_buf_printf(&b, "%s", ws[rnd(7)]);
		object(&b, 0);
		inf_buf_printf(&b, "%s", ws[rnd(7)]);
		ck_assert_ptr_nonnull(b.data);
		if (mutated)
			mutate(&b);
		if (both(b.data, b.len, depth, max_key) == 0)
			accepted++;
		else if (!mutated && depth == 64 && !max_key && !memchr(b.data, '\\', b.len))
			ck_assert_msg(!inf_jsonfast_available(), "declined '%.*s'", (int)b.len, b.data);
		valid += !mutated;
	}
	if (inf_jsonfast_available())
		ck_assert_uint_gt(accepted, valid / 3);
	else
		ck_assert_uint_eq(accepted, 0);
	inf_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("jsonfast");
	TCase *tc = tcase_create("core");

	if (!inf_jsonfast_available())
		fprintf(stderr, "check_jsonfast: no fast path on this CPU: only that it declines\n");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_accepts);
	tcase_add_test(tc, test_declines);
	tcase_add_test(tc, test_dense);
	tcase_add_test(tc, test_long_record);
	tcase_add_test(tc, test_wide);
	tcase_add_test(tc, test_available);
	tcase_add_loop_test(tc, test_random, 0, 2);
	tcase_add_test(tc, test_lines);
	tcase_add_loop_test(tc, test_lines_random, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(suite());
}
