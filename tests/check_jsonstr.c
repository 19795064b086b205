/*
 * String helpers for validated JSON text (core/jsonstr.c): unescaping
 * (every escape, surrogate pairs, every code point against an independent
 * encoder), quoting (the exact escape of each control byte, '"' and '\\',
 * every byte at every position of the eight-byte fast scan, refusal of
 * bad UTF-8 with nothing appended), inf_utf8_valid_prefix against an
 * RFC 3629 reference decoder, and inf_json_is_ws.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testutil.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- inf_json_flatten, inf_json_left_open ---- */

/* inf_json_flatten: every CR and LF, the last byte's too, becomes a
 * space; nothing else changes. */
START_TEST(test_flatten)
{
	char s[] = "[1,\r\n2]\n\r";

	inf_json_flatten(s, sizeof s - 1);
	ck_assert_str_eq(s, "[1,  2]  ");
	char one[] = "\n";
	inf_json_flatten(one, 1);
	ck_assert_str_eq(one, " ");
	inf_json_flatten(one, 0);
	ck_assert_str_eq(one, " ");
}
END_TEST

/* inf_json_left_open: brackets counted outside strings, an escaped quote
 * not ending one. */
START_TEST(test_left_open)
{
	static const struct {
		const char *js;
		int open;
	} cases[] = {
		{ "{\"a\":1}", 0 }, { "{\"a\":[1", 1 }, { "[\"\\\"]\"", 1 }, { "[\"\\\\\"]", 0 },
		{ "\"{[\"", 0 }, { "{\"a\":\"}\"", 1 }, { "", 0 }, { "]", 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(inf_json_left_open(cases[i].js, strlen(cases[i].js)) == cases[i].open,
			      "%s", cases[i].js);
}
END_TEST

/* ---- inf_json_unescape ---- */

START_TEST(test_unescape_plain_returns_input)
{
	static const char s[] = "no escapes here \xE2\x82\xAC";
	struct inf_buf scratch = {0};
	size_t n = 99;
	const char *d = inf_json_unescape(s, strlen(s), &scratch, &n);

	ck_assert_ptr_eq(d, s);
	ck_assert_uint_eq(n, strlen(s));
	ck_assert_ptr_null(scratch.data); /* nothing allocated */
	d = inf_json_unescape(s, 0, &scratch, &n);
	ck_assert_ptr_eq(d, s);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static const struct {
	const char *in;
	const char *out;
	size_t outlen;
} unesc[] = {
    {"\\\"", "\"", 1},
    {"\\\\", "\\", 1},
    {"\\/", "/", 1},
    {"\\b\\f\\n\\r\\t", "\b\f\n\r\t", 5},
    {"a\\nb", "a\nb", 3},
    {"prefix \\t suffix", "prefix \t suffix", 15},
    {"\\u0041", "A", 1},
    {"\\u0000", "\0", 1},
    {"\\u007f", "\x7f", 1},
    {"\\u0080", "\xC2\x80", 2},
    {"\\u00e9", "\xC3\xA9", 2},
    {"\\u07FF", "\xDF\xBF", 2},
    {"\\u0800", "\xE0\xA0\x80", 3},
    {"\\u20ac", "\xE2\x82\xAC", 3},
    {"\\uFFFF", "\xEF\xBF\xBF", 3},
    {"\\ud800\\udc00", "\xF0\x90\x80\x80", 4},
    {"\\ud83d\\ude00", "\xF0\x9F\x98\x80", 4},
    {"\\uDBFF\\uDFFF", "\xF4\x8F\xBF\xBF", 4},
    {"x\\ud83d\\ude00y", "x\xF0\x9F\x98\x80y", 6},
    {"\\ud83d\\ude00\\ud83d\\ude00", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80", 8},
    {"\\u00e9\\u0041\\n\\\"\\\\\xE2\x82\xAC",
     "\xC3\xA9"
     "A\n\"\\\xE2\x82\xAC",
     9},
    {"caf\\u00e9", "caf\xC3\xA9", 5},
};

START_TEST(test_unescape)
{
	struct inf_buf scratch = {0};
	const char *in = unesc[_i].in;
	size_t n = 0;
	const char *d = inf_json_unescape(in, strlen(in), &scratch, &n);

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_eq(d, scratch.data);
	ck_assert_msg(n == unesc[_i].outlen, "case %d (%s): length %zu", _i, in, n);
	ck_assert_mem_eq(d, unesc[_i].out, n);
	/* the scratch buffer is reused, not appended to */
	d = inf_json_unescape(in, strlen(in), &scratch, &n);
	ck_assert_uint_eq(n, unesc[_i].outlen);
	ck_assert_mem_eq(d, unesc[_i].out, n);
	inf_buf_free(&scratch);
}
END_TEST

/* Every escaped string the parser accepts decodes to what it means. */
START_TEST(test_unescape_parsed_tokens)
{
	static const char js[] =
	    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\",\"plain\"]";
	static const char want[] = "\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
	struct inf_tokens t = {0};
	struct inf_buf scratch = {0};
	struct inf_json_err e;
	const char *d;
	size_t n;

	ck_assert_int_eq(inf_json_parse(&t, js, strlen(js), 4, &e), 0);
	d = inf_json_unescape(js + t.tok[1].start, (size_t)(t.tok[1].end - t.tok[1].start),
	                      &scratch, &n);
	ck_assert_uint_eq(n, sizeof want - 1);
	ck_assert_mem_eq(d, want, n);
	d = inf_json_unescape(js + t.tok[2].start, (size_t)(t.tok[2].end - t.tok[2].start),
	                      &scratch, &n);
	ck_assert_ptr_eq(d, js + t.tok[2].start);
	ck_assert_uint_eq(n, 5);
	inf_tokens_free(&t);
	inf_buf_free(&scratch);
}
END_TEST

/* ---- inf_json_quote ---- */

static const struct {
	const char *in;
	size_t len;
	const char *out;
} quotes[] = {
    {S(""), "\"\""},
    {S("plain"), "\"plain\""},
    {S("a\"b\\c"), "\"a\\\"b\\\\c\""},
    {S("\"\""), "\"\\\"\\\"\""},
    {S("/ stays"), "\"/ stays\""},
    {S("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\""},
    {S("\x01\x02\x1f\x0b"), "\"\\u0001\\u0002\\u001f\\u000b\""},
    {S("nul\0in"), "\"nul\\u0000in\""},
    {S("del\x7f"), "\"del\x7f\""},
    {S("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"),
     "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\""},
    {S("mixed \xC3\xA9 \"q\" \\ \x1f end"), "\"mixed \xC3\xA9 \\\"q\\\" \\\\ \\u001f end\""},
};

START_TEST(test_quote)
{
	struct inf_buf out = {0};

	ck_assert_int_eq(inf_buf_puts(&out, "k:"), 0);
	ck_assert_int_eq(inf_json_quote(&out, quotes[_i].in, quotes[_i].len), 0);
	ck_assert_str_eq(tu_cstr(&out) + 2, quotes[_i].out);
	ck_assert_mem_eq(out.data, "k:", 2); /* appended, not replaced */
	inf_buf_free(&out);
}
END_TEST

/* Every special byte at every position of a string longer than the
 * eight-byte fast scan is escaped; the rest is copied as it is. */
START_TEST(test_quote_special_anywhere)
{
	static const char *const special[] = {"\"", "\\", "\x1f", "\n", "\xC3\xA9", "\x7f"};
	static const char *const escaped[] = {"\\\"", "\\\\", "\\u001f", "\\n", "\xC3\xA9", "\x7f"};
	struct inf_buf in = {0}, out = {0}, want = {0};

	for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
		for (size_t at = 0; at <= 20; at++) {
			inf_buf_reset(&in);
			inf_buf_reset(&out);
			inf_buf_reset(&want);
			for (size_t i = 0; i < 20; i++) {
				if (i == at) {
					ck_assert_int_eq(inf_buf_puts(&in, special[k]), 0);
					ck_assert_int_eq(inf_buf_puts(&want, escaped[k]), 0);
				}
				ck_assert_int_eq(inf_buf_putc(&in, (char)('a' + i)), 0);
				ck_assert_int_eq(inf_buf_putc(&want, (char)('a' + i)), 0);
			}
			if (at == 20) {
				ck_assert_int_eq(inf_buf_puts(&in, special[k]), 0);
				ck_assert_int_eq(inf_buf_puts(&want, escaped[k]), 0);
			}
			ck_assert_int_eq(inf_json_quote(&out, in.data, in.len), 0);
			ck_assert_uint_eq(out.len, want.len + 2);
			ck_assert_mem_eq(out.data + 1, want.data, want.len);
			ck_assert(out.data[0] == '"' && out.data[out.len - 1] == '"');
		}
	}
	inf_buf_free(&in);
	inf_buf_free(&out);
	inf_buf_free(&want);
}
END_TEST

/* An empty string may come as NULL (a plugin's buffer never filled):
 * "" without reading it (the sanitizer build checks the NULL). */
START_TEST(test_quote_empty_null)
{
	struct inf_buf out = {0};

	ck_assert_int_eq(inf_json_quote(&out, NULL, 0), 0);
	ck_assert_uint_eq(out.len, 2);
	ck_assert_mem_eq(out.data, "\"\"", 2);
	inf_buf_free(&out);
}
END_TEST

/* Quoting lengths that end at, before and past the buffer's growth
 * points (256, 512), into an empty buffer and after one byte: every byte
 * lands within the capacity reserved, plain strings (copied whole) and
 * escaped ones alike. */
START_TEST(test_quote_within_capacity)
{
	struct inf_buf in = {0}, out = {0};

	ck_assert_int_eq(inf_buf_reserve(&in, 600), 0); /* in.data is never NULL */
	for (size_t n = 0; n <= 600; n++) {
		for (size_t pre = 0; pre <= 1; pre++) {
			for (int esc = 0; esc <= 1; esc++) {
				size_t want = pre + n + 2 + (esc && n ? 1 : 0);
				inf_buf_reset(&in); /* room for 600 reserved above */
				for (size_t i = 0; i < n; i++)
					in.data[i] = (char)('a' + i % 26);
				in.len = n;
				if (esc && n)
					in.data[n - 1] = '\n';
				inf_buf_free(&out);
				if (pre)
					ck_assert_int_eq(inf_buf_putc(&out, 'k'), 0);
				ck_assert_int_eq(inf_json_quote(&out, in.data, in.len), 0);
				ck_assert_msg(out.len == want && out.len <= out.cap,
				              "n %zu pre %zu esc %d: len %zu cap %zu", n, pre, esc,
				              out.len, out.cap);
				ck_assert(out.data[pre] == '"' && out.data[out.len - 1] == '"');
			}
		}
	}
	inf_buf_free(&in);
	inf_buf_free(&out);
}
END_TEST

START_TEST(test_quote_refuses_bad_utf8)
{
	static const struct {
		const char *s;
		size_t n;
	} bads[] = {
	    {S("\xFF")},
	    {S("ok\xC0\x80")},
	    {S("\xE0\x80\x80")},
	    {S("\xED\xA0\x80")},
	    {S("\xF5\x80\x80\x80")},
	    {S("\xE2\x82")},
	    {S("tail \xF0\x9F\x98")},
	    {S("\x80")},
	    {S("\xF4\x90\x80\x80")},
	};
	struct inf_buf out = {0};

	ck_assert_int_eq(inf_buf_puts(&out, "keep"), 0);
	for (unsigned i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		ck_assert_int_eq(inf_json_quote(&out, bads[i].s, bads[i].n), INF_ERR_INVALID);
		ck_assert_uint_eq(out.len, 4); /* nothing appended */
	}
	inf_buf_free(&out);
}
END_TEST

/* quote, then parse and unescape, gives back the bytes. */
START_TEST(test_quote_round_trip)
{
	struct inf_buf q = {0}, scratch = {0}, in = {0};
	struct inf_tokens t = {0};
	struct inf_json_err e;
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	static const char *const multi[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
	                                    "\xDF\xBF", "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF"};

	for (int round = 0; round < 600; round++) {
		const char *d;
		size_t n;

		inf_buf_reset(&in);
		if (round < 128) {
			/* every ASCII byte, NUL included, alone and in context */
			char c = (char)round;
			ck_assert_int_eq(inf_buf_puts(&in, "<"), 0);
			ck_assert_int_eq(inf_buf_append(&in, &c, 1), 0);
			ck_assert_int_eq(inf_buf_puts(&in, ">"), 0);
		} else {
			int len = (int)(tu_rand(&seed) % 40);
			for (int k = 0; k < len; k++) {
				uint64_t r = tu_rand(&seed);
				if (r % 4 == 0)
					ck_assert_int_eq(inf_buf_puts(&in, multi[(r >> 8) % 6]), 0);
				else
					ck_assert_int_eq(inf_buf_putc(&in, (char)((r >> 8) % 128)),
					                 0);
			}
		}
		inf_buf_reset(&q);
		ck_assert_int_eq(inf_json_quote(&q, in.data ? in.data : "", in.len), 0);
		ck_assert_int_eq(inf_json_parse(&t, q.data, q.len, 1, &e), 0);
		ck_assert_int_eq(t.n, 1);
		ck_assert_int_eq(t.tok[0].type, JSMN_STRING);
		d = inf_json_unescape(q.data + t.tok[0].start,
		                      (size_t)(t.tok[0].end - t.tok[0].start), &scratch, &n);
		ck_assert_uint_eq(n, in.len);
		if (n)
			ck_assert_mem_eq(d, in.data, n);
	}
	inf_buf_free(&q);
	inf_buf_free(&scratch);
	inf_buf_free(&in);
	inf_tokens_free(&t);
}
END_TEST

/* ---- small helpers ---- */

START_TEST(test_utf8_prefix_and_ws)
{
	ck_assert_uint_eq(inf_utf8_valid_prefix(S("abc")), 3);
	ck_assert_uint_eq(inf_utf8_valid_prefix(S("ab\xC3\xA9\xFF"
	                                          "c")),
	                  4);
	ck_assert_uint_eq(inf_utf8_valid_prefix(S("\xE2\x82")), 0);
	ck_assert_uint_eq(inf_utf8_valid_prefix(S("x\xF0\x9F\x98\x80")), 5);
	ck_assert_uint_eq(inf_utf8_valid_prefix(S("x\xED\xA0\x80")), 1);
	ck_assert_uint_eq(inf_utf8_valid_prefix("", 0), 0);
	ck_assert_int_eq(inf_json_is_ws(S(" \t\r\n")), 1);
	ck_assert_int_eq(inf_json_is_ws("", 0), 1);
	ck_assert_int_eq(inf_json_is_ws(S(" \f")), 0);
	ck_assert_int_eq(inf_json_is_ws(S(" x ")), 0);
	ck_assert_int_eq(inf_json_is_ws(S("\v")), 0);
}
END_TEST

/* ---- against independent references ---- */

/* UTF-8 of code point cp (any value up to 0x10FFFF) into o; returns its
 * length. Written from RFC 3629's table. */
static size_t ref_encode(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 + cp / 64);
		o[1] = (char)(0x80 + cp % 64);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 + cp / 4096);
		o[1] = (char)(0x80 + cp / 64 % 64);
		o[2] = (char)(0x80 + cp % 64);
		return 3;
	}
	o[0] = (char)(0xF0 + cp / 262144);
	o[1] = (char)(0x80 + cp / 4096 % 64);
	o[2] = (char)(0x80 + cp / 64 % 64);
	o[3] = (char)(0x80 + cp % 64);
	return 4;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes, n >= 1) or 0,
 * by decoding: the code point must need exactly that many bytes, be at
 * most U+10FFFF and not a surrogate (RFC 3629 §3). */
static size_t ref_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, min;
	size_t len;

	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		len = 2, cp = c & 0x1F, min = 0x80;
	else if ((c & 0xF0) == 0xE0)
		len = 3, cp = c & 0x0F, min = 0x800;
	else if ((c & 0xF8) == 0xF0)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static size_t ref_prefix(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && (k = ref_seq((const unsigned char *)s + i, n - i)))
		i += k;
	return i;
}

/* Every code point of the BMP but the surrogates, as \uXXXX (upper and
 * lower case hex, alone and between other bytes), decodes to its UTF-8. */
START_TEST(test_unescape_every_bmp_code_point)
{
	struct inf_buf scratch = {0};
	char in[32], want[16];

	for (unsigned cp = 0; cp <= 0xFFFF; cp++) {
		const char *d;
		size_t n, wl;

		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		snprintf(in, sizeof in, cp % 2 ? "\\u%04X" : "<\\u%04x>", cp);
		wl = 0;
		if (cp % 2 == 0)
			want[wl++] = '<';
		wl += ref_encode(cp, want + wl);
		if (cp % 2 == 0)
			want[wl++] = '>';
		d = inf_json_unescape(in, strlen(in), &scratch, &n);
		ck_assert_ptr_nonnull(d);
		ck_assert_msg(n == wl && !memcmp(d, want, wl), "U+%04X: %zu bytes", cp, n);
	}
	inf_buf_free(&scratch);
}
END_TEST

/* Surrogate pairs across the supplementary planes, the pair's high and
 * low halves at their extremes, with the pair first, last or alone. */
START_TEST(test_unescape_surrogate_pairs)
{
	static const char *const around[][2] = {{"", ""}, {"a", ""}, {"", "b"}, {"\\n", "\\t"}};
	struct inf_buf scratch = {0};
	char in[64], want[32];

	for (unsigned cp = 0x10000; cp <= 0x10FFFF; cp += cp < 0x10400 ? 1 : 0x3FF) {
		unsigned hi = 0xD800 + ((cp - 0x10000) >> 10), lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);

		for (size_t a = 0; a < sizeof around / sizeof around[0]; a++) {
			const char *d;
			size_t n, wl = 0;

			snprintf(in, sizeof in, "%s\\u%04x\\u%04X%s", around[a][0], hi, lo,
			         around[a][1]);
			if (a == 1)
				want[wl++] = 'a';
			if (a == 3)
				want[wl++] = '\n';
			wl += ref_encode(cp, want + wl);
			if (a == 2)
				want[wl++] = 'b';
			if (a == 3)
				want[wl++] = '\t';
			d = inf_json_unescape(in, strlen(in), &scratch, &n);
			ck_assert_ptr_nonnull(d);
			ck_assert_msg(n == wl && !memcmp(d, want, wl), "%s: %zu bytes", in, n);
		}
	}
	/* the last code point of all, and two pairs back to back */
	{
		const char *d;
		size_t n;

		d = inf_json_unescape(S("\\uDBFF\\uDFFF\\uD800\\uDC00"), &scratch, &n);
		ck_assert_uint_eq(n, 8);
		ck_assert_mem_eq(d, "\xF4\x8F\xBF\xBF\xF0\x90\x80\x80", 8);
	}
	inf_buf_free(&scratch);
}
END_TEST

/* A string far longer than the scratch buffer's first allocation, with
 * escapes at both ends, decodes whole into a buffer that holds it: the
 * room is reserved from the escaped length before any byte is written. */
START_TEST(test_unescape_long)
{
	enum { N = 100000 };
	struct inf_buf in = {0}, want = {0}, scratch = {0};
	const char *d;
	size_t n;

	ck_assert_int_eq(inf_buf_puts(&in, "\\n\\u00e9"), 0);
	ck_assert_int_eq(inf_buf_puts(&want, "\n\xC3\xA9"), 0);
	for (int i = 0; i < N; i++) { /* one assertion, not 200,000 */
		char c = (char)('a' + i % 26);
		if (inf_buf_putc(&in, c) || inf_buf_putc(&want, c))
			ck_abort_msg("out of memory at %d", i);
	}
	ck_assert_int_eq(inf_buf_puts(&in, "\\ud83d\\ude00\\t"), 0);
	ck_assert_int_eq(inf_buf_puts(&want, "\xF0\x9F\x98\x80\t"), 0);
	d = inf_json_unescape(in.data, in.len, &scratch, &n);
	ck_assert_ptr_eq(d, scratch.data);
	ck_assert_uint_eq(n, want.len);
	ck_assert_uint_le(scratch.len, scratch.cap);
	ck_assert_mem_eq(d, want.data, n);
	inf_buf_free(&in);
	inf_buf_free(&want);
	inf_buf_free(&scratch);
}
END_TEST

/* The scratch buffer is emptied, not appended to, and the decoded text
 * is never longer than the escaped one. */
START_TEST(test_unescape_reuses_scratch)
{
	struct inf_buf scratch = {0};
	const char *d;
	size_t n;

	ck_assert_int_eq(inf_buf_puts(&scratch, "old contents that are longer"), 0);
	d = inf_json_unescape(S("\\u0800x"), &scratch, &n);
	ck_assert_ptr_eq(d, scratch.data);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(scratch.len, 4);
	ck_assert_mem_eq(d, "\xE0\xA0\x80x", 4);
	d = inf_json_unescape(S("\\\\"), &scratch, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_mem_eq(d, "\\", 1);
	inf_buf_free(&scratch);
}
END_TEST

/* The exact escape of each control byte: the short forms JSON has, the
 * rest as \u00xx in lower case. */
START_TEST(test_quote_control_bytes)
{
	static const char *const want[32] = {
	    "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
	    "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
	    "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
	    "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	struct inf_buf out = {0};
	char w[16];

	for (unsigned c = 0; c < 32; c++) {
		char in = (char)c;

		inf_buf_reset(&out);
		ck_assert_int_eq(inf_json_quote(&out, &in, 1), 0);
		snprintf(w, sizeof w, "\"%s\"", want[c]);
		ck_assert_msg(!strcmp(tu_cstr(&out), w), "byte %02x: %s", c, out.data);
	}
	inf_buf_free(&out);
}
END_TEST

/* Each byte value at each position of a 41-byte text (both sides of the
 * 16- and 8-byte blocks the fast scan reads): control bytes, '"' and '\\'
 * escaped, other ASCII copied, a lone byte from 0x80 up refused with
 * nothing appended. */
START_TEST(test_quote_every_byte_everywhere)
{
	struct inf_buf out = {0};
	char in[41], w[64]; /* two 16-byte blocks, an 8-byte one, a tail */

	ck_assert_int_eq(inf_buf_puts(&out, "pre"), 0);
	for (unsigned c = 0; c < 256; c++) {
		for (size_t at = 0; at < sizeof in; at++) {
			int rc;

			memset(in, 'a', sizeof in);
			in[at] = (char)c;
			out.len = 3;
			rc = inf_json_quote(&out, in, sizeof in);
			if (c >= 0x80) {
				ck_assert_msg(rc == INF_ERR_INVALID, "byte %02x at %zu: %d", c, at, rc);
				ck_assert_uint_eq(out.len, 3);
				continue;
			}
			ck_assert_int_eq(rc, 0);
			if (c < 0x20 || c == '"' || c == '\\') {
				ck_assert_uint_gt(out.len, 3 + sizeof in + 2);
				ck_assert_int_eq(out.data[3 + 1 + at], '\\');
			} else {
				memcpy(w, "pre\"", 4);
				memcpy(w + 4, in, sizeof in);
				w[4 + sizeof in] = '"';
				ck_assert_uint_eq(out.len, 3 + sizeof in + 2);
				ck_assert_msg(!memcmp(out.data, w, out.len), "byte %02x at %zu", c, at);
			}
		}
	}
	inf_buf_free(&out);
}
END_TEST

/* Bad UTF-8 anywhere, also past a long plain prefix or after a byte that
 * needs an escape: refused, the output untouched. */
START_TEST(test_quote_refuses_bad_utf8_anywhere)
{
	static const char *const bad[] = {
	    "\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xF0\x8F\xBF\xBF", /* overlong */
	    "\xED\xA0\x80", "\xED\xBF\xBF",                             /* surrogates */
	    "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF8", "\xFE", "\xFF",
	    "\x80", "\xBF", "\xC2", "\xE2\x82", "\xF0\x9F\x98", "\xC2\x41",
	};
	static const char *const before[] = {"", "0123456789abcdef", "\"", "\n", "\xC3\xA9"};
	struct inf_buf out = {0}, in = {0};

	ck_assert_int_eq(inf_buf_puts(&out, "untouched"), 0);
	for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
		for (size_t p = 0; p < sizeof before / sizeof before[0]; p++) {
			inf_buf_reset(&in);
			ck_assert_int_eq(inf_buf_puts(&in, before[p]), 0);
			ck_assert_int_eq(inf_buf_puts(&in, bad[b]), 0);
			ck_assert_int_eq(inf_buf_puts(&in, "tail"), 0);
			ck_assert_msg(inf_json_quote(&out, in.data, in.len) == INF_ERR_INVALID,
			              "bad %zu after %zu accepted", b, p);
			ck_assert_uint_eq(out.len, 9);
			ck_assert_mem_eq(out.data, "untouched", 9);
		}
	}
	inf_buf_free(&out);
	inf_buf_free(&in);
}
END_TEST

/* Each boundary of RFC 3629's table, alone and after two ASCII bytes. */
START_TEST(test_utf8_boundaries)
{
	static const struct {
		const char *s;
		size_t n, ok;
	} seqs[] = {
	    {S("\x7F"), 1},
	    {S("\x80"), 0},
	    {S("\xC1\xBF"), 0},
	    {S("\xC2\x80"), 2},
	    {S("\xDF\xBF"), 2},
	    {S("\xC2\x7F"), 0},
	    {S("\xC2\xC0"), 0},
	    {S("\xE0\x9F\xBF"), 0},
	    {S("\xE0\xA0\x80"), 3},
	    {S("\xEC\xBF\xBF"), 3},
	    {S("\xED\x80\x80"), 3},
	    {S("\xED\x9F\xBF"), 3}, /* U+D7FF */
	    {S("\xED\xA0\x80"), 0}, /* U+D800 */
	    {S("\xED\xBF\xBF"), 0}, /* U+DFFF */
	    {S("\xEE\x80\x80"), 3}, /* U+E000 */
	    {S("\xEF\xBF\xBF"), 3},
	    {S("\xE1\x80\x7F"), 0},
	    {S("\xF0\x8F\xBF\xBF"), 0},
	    {S("\xF0\x90\x80\x80"), 4},
	    {S("\xF3\xBF\xBF\xBF"), 4},
	    {S("\xF4\x8F\xBF\xBF"), 4}, /* U+10FFFF */
	    {S("\xF4\x90\x80\x80"), 0},
	    {S("\xF5\x80\x80\x80"), 0},
	    {S("\xF1\x80\x80\xC0"), 0},
	    {S("\xF8\x88\x80\x80\x80"), 0},
	};
	char in[16];

	for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		ck_assert_msg(inf_utf8_valid_prefix(seqs[i].s, seqs[i].n) == seqs[i].ok,
		              "sequence %zu", i);
		memcpy(in, "ab", 2);
		memcpy(in + 2, seqs[i].s, seqs[i].n);
		ck_assert_uint_eq(inf_utf8_valid_prefix(in, seqs[i].n + 2), 2 + seqs[i].ok);
		/* cut one byte short (the byte is there, n says it is not) */
		if (seqs[i].ok > 1)
			ck_assert_msg(inf_utf8_valid_prefix(in, seqs[i].n + 1) == 2,
			              "sequence %zu read past n", i);
	}
}
END_TEST

/* Every one-, two- and three-byte text, and four-byte texts over every
 * first two bytes, agree with the reference decoder. */
START_TEST(test_utf8_exhaustive)
{
	static const unsigned char tails[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0, 0xFF};
	unsigned char s[4];

	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		ck_assert_uint_eq(inf_utf8_valid_prefix((char *)s, 1), ref_prefix((char *)s, 1));
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			if (inf_utf8_valid_prefix((char *)s, 2) != ref_prefix((char *)s, 2))
				ck_abort_msg("%02x %02x", a, b);
			for (unsigned c = 0; c < 256; c++) {
				s[2] = (unsigned char)c;
				if (a >= 0xC0 &&
				    inf_utf8_valid_prefix((char *)s, 3) != ref_prefix((char *)s, 3))
					ck_abort_msg("%02x %02x %02x", a, b, c);
			}
			for (unsigned c = 0; a >= 0xF0 && c < sizeof tails; c++) {
				for (unsigned d = 0; d < sizeof tails; d++) {
					s[2] = tails[c];
					s[3] = tails[d];
					if (inf_utf8_valid_prefix((char *)s, 4) !=
					    ref_prefix((char *)s, 4))
						ck_abort_msg("%02x %02x %02x %02x", a, b, s[2], s[3]);
				}
			}
		}
	}
}
END_TEST

/* Random texts, mostly of lead and continuation bytes, agree with the
 * reference decoder. */
START_TEST(test_utf8_random)
{
	static const unsigned char picks[] = {0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED,
	                                      0xEF, 0xF0, 0xF4, 0xF5, 0xA0, 0x9F, 0x90, 0x8F};
	uint64_t seed = 0xC0FFEE;
	char s[24];

	for (int round = 0; round < 200000; round++) {
		size_t n = 1 + (size_t)(tu_rand(&seed) % sizeof s);

		for (size_t i = 0; i < n; i++) {
			uint64_t r = tu_rand(&seed);
			s[i] = (char)(r % 3 ? picks[(r >> 8) % sizeof picks] : (r >> 16) & 0xFF);
		}
		if (inf_utf8_valid_prefix(s, n) != ref_prefix(s, n))
			ck_abort_msg("round %d: %zu vs %zu", round, inf_utf8_valid_prefix(s, n),
			             ref_prefix(s, n));
	}
}
END_TEST

static Suite *jsonstr_suite(void)
{
	Suite *s = suite_create("jsonstr");
	TCase *ts = tcase_create("strings");

	tcase_add_test(ts, test_unescape_plain_returns_input);
	tcase_add_loop_test(ts, test_unescape, 0, (int)(sizeof unesc / sizeof unesc[0]));
	tcase_add_test(ts, test_unescape_parsed_tokens);
	tcase_add_loop_test(ts, test_quote, 0, (int)(sizeof quotes / sizeof quotes[0]));
	tcase_add_test(ts, test_quote_special_anywhere);
	tcase_add_test(ts, test_quote_within_capacity);
	tcase_add_test(ts, test_quote_refuses_bad_utf8);
	tcase_add_test(ts, test_quote_round_trip);
	tcase_add_test(ts, test_utf8_prefix_and_ws);
	tcase_add_test(ts, test_unescape_every_bmp_code_point);
	tcase_add_test(ts, test_unescape_surrogate_pairs);
	tcase_add_test(ts, test_unescape_long);
	tcase_add_test(ts, test_unescape_reuses_scratch);
	tcase_add_test(ts, test_quote_control_bytes);
	tcase_add_test(ts, test_quote_every_byte_everywhere);
	tcase_add_test(ts, test_quote_empty_null);
	tcase_add_test(ts, test_quote_refuses_bad_utf8_anywhere);
	tcase_add_test(ts, test_utf8_boundaries);
	tcase_add_test(ts, test_utf8_exhaustive);
	tcase_add_test(ts, test_utf8_random);
	tcase_add_test(ts, test_flatten);
	tcase_add_test(ts, test_left_open);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	return tu_run_suite(jsonstr_suite());
}
