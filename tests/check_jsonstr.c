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

static Suite *jsonstr_suite(void)
{
	Suite *s = suite_create("jsonstr");
	TCase *ts = tcase_create("strings");

	tcase_add_test(ts, test_unescape_plain_returns_input);
	tcase_add_loop_test(ts, test_unescape, 0, (int)(sizeof unesc / sizeof unesc[0]));
	tcase_add_test(ts, test_unescape_parsed_tokens);
	tcase_add_loop_test(ts, test_quote, 0, (int)(sizeof quotes / sizeof quotes[0]));
	tcase_add_test(ts, test_quote_special_anywhere);
	tcase_add_test(ts, test_quote_refuses_bad_utf8);
	tcase_add_test(ts, test_quote_round_trip);
	tcase_add_test(ts, test_utf8_prefix_and_ws);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	return tu_run_suite(jsonstr_suite());
}
