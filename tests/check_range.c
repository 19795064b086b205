/*
 * Range and partNumber slicing (runtime/range.c) against the shared docs
 * §4 table: bytes=a-b, a-, -n give 206 with the exact bytes; a >= L, -0
 * or an empty object give 416 InvalidRange; malformed, other units, a > b
 * and several ranges are ignored (200, the whole object); numbers past
 * 2^64 saturate but are still ordered by their digits; partNumber cuts
 * parts of 5 MiB; Range and partNumber together are 400 InvalidRequest.
 * Every case checks status, code, start, length, total and part count.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "range.h"
#include "testutil.h"

#define P INF_PART_SIZE
#define MAX UINT64_MAX
/* 2^64 and its neighbours, as text: past what uint64_t holds */
#define TWO64 "18446744073709551616"
#define TWO64_PLUS1 "18446744073709551617"
#define U64MAX "18446744073709551615"

struct slice_case {
	const char *range, *part;
	uint64_t total;
	int status;
	const char *code; /* NULL for 200 and 206 */
	uint64_t start, len, parts;
};

static const struct slice_case cases[] = {
    /* neither: the whole object */
    {NULL, NULL, 10, 200, NULL, 0, 10, 0},
    {NULL, NULL, 0, 200, NULL, 0, 0, 0},

    /* bytes=a-b */
    {"bytes=0-0", NULL, 10, 206, NULL, 0, 1, 0},
    {"bytes=2-5", NULL, 10, 206, NULL, 2, 4, 0},
    {"bytes=0-9", NULL, 10, 206, NULL, 0, 10, 0},
    {"bytes=9-9", NULL, 10, 206, NULL, 9, 1, 0},
    {"bytes=5-100", NULL, 10, 206, NULL, 5, 5, 0}, /* b past the end: clamped */
    {"bytes=0-8", NULL, 10, 206, NULL, 0, 9, 0},
    {"bytes=10-10", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=10-20", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=0-0", NULL, 0, 416, "InvalidRange", 0, 0, 0},
    /* bytes=a- */
    {"bytes=3-", NULL, 10, 206, NULL, 3, 7, 0},
    {"bytes=0-", NULL, 10, 206, NULL, 0, 10, 0},
    {"bytes=9-", NULL, 10, 206, NULL, 9, 1, 0},
    {"bytes=10-", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=0-", NULL, 0, 416, "InvalidRange", 0, 0, 0},
    /* bytes=-n: the last n bytes */
    {"bytes=-3", NULL, 10, 206, NULL, 7, 3, 0},
    {"bytes=-1", NULL, 10, 206, NULL, 9, 1, 0},
    {"bytes=-10", NULL, 10, 206, NULL, 0, 10, 0},
    {"bytes=-11", NULL, 10, 206, NULL, 0, 10, 0},
    {"bytes=-0", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=-000", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=-5", NULL, 0, 416, "InvalidRange", 0, 0, 0},

    /* the unit in any case, blanks around the parts */
    {"BYTES=1-2", NULL, 10, 206, NULL, 1, 2, 0},
    {"Bytes=1-2", NULL, 10, 206, NULL, 1, 2, 0},
    {" bytes = 1 - 2 ", NULL, 10, 206, NULL, 1, 2, 0},
    {"\tbytes=\t-2\t", NULL, 10, 206, NULL, 8, 2, 0},
    {"bytes=0001-0002", NULL, 10, 206, NULL, 1, 2, 0},
    /* leading zeros do not overflow however many */
    {"bytes=000000000000000000000000001-000000000000000000000000002", NULL, 10, 206, NULL,
     1, 2, 0},

    /* malformed: ignored, the whole object with 200 */
    {"", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=-", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=5", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes 1-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes:1-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"items=1-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"byte=1-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=a-b", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=1-2x", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=1x-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=+1-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=--1", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=1--2", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=1-2;", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=5-2", NULL, 10, 200, NULL, 0, 10, 0},   /* a > b: not a range */
    {"bytes=20-10", NULL, 10, 200, NULL, 0, 10, 0}, /* ... even past the end */
    {"bytes=5-2", NULL, 0, 200, NULL, 0, 0, 0},
    {"bytes=", NULL, 0, 200, NULL, 0, 0, 0},
    /* several ranges: ignored */
    {"bytes=0-1,3-4", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=0-1, 3-4", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=-1,-2", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=0-1,", NULL, 10, 200, NULL, 0, 10, 0},

    /* up to 2^64 - 1 exactly */
    {"bytes=" U64MAX "-" U64MAX, NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" U64MAX "-", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=5-" U64MAX, NULL, 10, 206, NULL, 5, 5, 0},
    {"bytes=-" U64MAX, NULL, 10, 206, NULL, 0, 10, 0},
    /* past it: saturated, ordered by the digits */
    {"bytes=" TWO64 "-" TWO64, NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" TWO64 "-" TWO64, NULL, MAX, 416, "InvalidRange", 0, 0, 0},
    {"bytes=99999999999999999999999-99999999999999999999999", NULL, 10, 416, "InvalidRange",
     0, 0, 0},
    {"bytes=000" TWO64 "-" TWO64, NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" TWO64 "-000" TWO64, NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" TWO64 "-" TWO64_PLUS1, NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" TWO64 "-99999999999999999999999", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" TWO64 "-", NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" U64MAX "-" TWO64, NULL, 10, 416, "InvalidRange", 0, 0, 0},
    {"bytes=" TWO64_PLUS1 "-" TWO64, NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=99999999999999999999999-" TWO64, NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=" TWO64 "-" U64MAX, NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=" TWO64 "-5", NULL, 10, 200, NULL, 0, 10, 0},
    {"bytes=0-" TWO64, NULL, 10, 206, NULL, 0, 10, 0},
    {"bytes=3-99999999999999999999999", NULL, 10, 206, NULL, 3, 7, 0},
    {"bytes=-" TWO64, NULL, 10, 206, NULL, 0, 10, 0},
    {"bytes=-" TWO64, NULL, 0, 416, "InvalidRange", 0, 0, 0},
    /* the largest object */
    {"bytes=0-", NULL, MAX, 206, NULL, 0, MAX, 0},
    {"bytes=-1", NULL, MAX, 206, NULL, MAX - 1, 1, 0},
    {"bytes=" U64MAX "-", NULL, MAX, 416, "InvalidRange", 0, 0, 0},
    {"bytes=18446744073709551614-" TWO64, NULL, MAX, 206, NULL, MAX - 1, 1, 0},

    /* partNumber: parts of 5 MiB, an empty object has one empty part */
    {NULL, "1", 0, 200, NULL, 0, 0, 1},
    {NULL, "2", 0, 416, "InvalidPartNumber", 0, 0, 1},
    {NULL, "1", 10, 206, NULL, 0, 10, 1},
    {NULL, "2", 10, 416, "InvalidPartNumber", 0, 0, 1},
    {NULL, "0", 10, 416, "InvalidPartNumber", 0, 0, 1},
    {NULL, "1", P, 206, NULL, 0, P, 1},
    {NULL, "2", P, 416, "InvalidPartNumber", 0, 0, 1},
    {NULL, "1", P + 1, 206, NULL, 0, P, 2},
    {NULL, "2", P + 1, 206, NULL, P, 1, 2},
    {NULL, "3", P + 1, 416, "InvalidPartNumber", 0, 0, 2},
    {NULL, "2", 3 * P, 206, NULL, P, P, 3},
    {NULL, "3", 3 * P, 206, NULL, 2 * P, P, 3},
    {NULL, "3", 3 * P - 1, 206, NULL, 2 * P, P - 1, 3},
    {NULL, "01", 10, 206, NULL, 0, 10, 1},
    {NULL, " 1 ", 10, 206, NULL, 0, 10, 1},
    {NULL, TWO64, 10, 416, "InvalidPartNumber", 0, 0, 1},
    {NULL, U64MAX, 10, 416, "InvalidPartNumber", 0, 0, 1},
    /* the part count of the largest object is rounded up without wrapping */
    {NULL, "3518437208884", MAX, 206, NULL, 3518437208883ull * P, MAX - 3518437208883ull * P,
     3518437208884ull},
    {NULL, "3518437208885", MAX, 416, "InvalidPartNumber", 0, 0, 3518437208884ull},
    /* not a number */
    {NULL, "", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, " ", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, "x", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, "1x", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, "-1", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, "+1", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, "1.0", 10, 400, "InvalidArgument", 0, 0, 0},
    {NULL, "1 2", 10, 400, "InvalidArgument", 0, 0, 0},

    /* both, valid or not: refused before anything else */
    {"bytes=0-1", "1", 10, 400, "InvalidRequest", 0, 0, 0},
    {"junk", "junk", 10, 400, "InvalidRequest", 0, 0, 0},
    {"", "", 0, 400, "InvalidRequest", 0, 0, 0},
};

START_TEST(test_slice)
{
	const struct slice_case *c = &cases[_i];
	struct inf_slice s;

	memset(&s, 0xA5, sizeof s); /* every field is set, whatever it held */
	inf_slice_compute(c->range, c->part, c->total, &s);
	ck_assert_msg(s.status == c->status, "range [%s] part [%s] total %llu: status %d, want %d",
	              c->range ? c->range : "(none)", c->part ? c->part : "(none)",
	              (unsigned long long)c->total, s.status, c->status);
	if (c->code)
		ck_assert_msg(s.code && !strcmp(s.code, c->code), "case %d: code %s, want %s", _i,
		              s.code ? s.code : "NULL", c->code);
	else
		ck_assert_msg(s.code == NULL, "case %d: code %s", _i, s.code);
	ck_assert_msg(s.start == c->start && s.len == c->len,
	              "case %d [%s]: start %llu len %llu, want %llu %llu", _i,
	              c->range ? c->range : c->part, (unsigned long long)s.start,
	              (unsigned long long)s.len, (unsigned long long)c->start,
	              (unsigned long long)c->len);
	ck_assert_uint_eq(s.total, c->total);
	if (c->part && !c->range && c->status != 400)
		ck_assert_uint_eq(s.parts, c->parts);
	if (!c->part)
		ck_assert_uint_eq(s.parts, 0);
}
END_TEST

/* Every a-b over a small object: 206 exactly when a <= b and a < L, the
 * bytes a..min(b, L-1); 416 when a <= b and a >= L; else 200. */
START_TEST(test_every_small_range)
{
	char r[64];
	struct inf_slice s;

	for (uint64_t total = 0; total <= 6; total++) {
		for (uint64_t a = 0; a <= 8; a++) {
			for (uint64_t b = 0; b <= 8; b++) {
				snprintf(r, sizeof r, "bytes=%llu-%llu", (unsigned long long)a,
				         (unsigned long long)b);
				inf_slice_compute(r, NULL, total, &s);
				if (a > b) {
					ck_assert_int_eq(s.status, 200);
					ck_assert_uint_eq(s.len, total);
				} else if (a >= total) {
					ck_assert_int_eq(s.status, 416);
				} else {
					uint64_t e = b < total - 1 ? b : total - 1;
					ck_assert_msg(s.status == 206, "%s of %llu: %d", r,
					              (unsigned long long)total, s.status);
					ck_assert_uint_eq(s.start, a);
					ck_assert_uint_eq(s.len, e - a + 1);
				}
			}
			/* a- and -n alike */
			snprintf(r, sizeof r, "bytes=%llu-", (unsigned long long)a);
			inf_slice_compute(r, NULL, total, &s);
			ck_assert_int_eq(s.status, a < total ? 206 : 416);
			if (a < total)
				ck_assert_uint_eq(s.start + s.len, total);
			snprintf(r, sizeof r, "bytes=-%llu", (unsigned long long)a);
			inf_slice_compute(r, NULL, total, &s);
			ck_assert_int_eq(s.status, a > 0 && total > 0 ? 206 : 416);
			if (s.status == 206) {
				ck_assert_uint_eq(s.len, a < total ? a : total);
				ck_assert_uint_eq(s.start + s.len, total);
			}
		}
	}
}
END_TEST

/* bytes=N-N past 2^64: equal digit strings are a range (416 past the
 * end), not "first after last" (which would serve 200). */
START_TEST(test_equal_numbers_past_2_64)
{
	static const char *const nums[] = {
	    TWO64, TWO64_PLUS1, "99999999999999999999", "100000000000000000000",
	    "123456789012345678901234567890",
	};
	char r[160];
	struct inf_slice s;

	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		snprintf(r, sizeof r, "bytes=%s-%s", nums[i], nums[i]);
		inf_slice_compute(r, NULL, 1000, &s);
		ck_assert_msg(s.status == 416, "%s: %d", r, s.status);
		ck_assert_str_eq(s.code, "InvalidRange");
		/* one more on the first: after the last, ignored */
		snprintf(r, sizeof r, "bytes=%s0-%s", nums[i], nums[i]);
		inf_slice_compute(r, NULL, 1000, &s);
		ck_assert_msg(s.status == 200, "%s: %d", r, s.status);
	}
}
END_TEST

START_TEST(test_content_range)
{
	/* the longest: three 20-digit numbers, 68 characters */
	static const char longest[] =
	    "bytes 18446744073709551614-18446744073709551614/18446744073709551615";
	char buf[128];
	struct inf_slice s;

	inf_slice_compute("bytes=2-5", NULL, 10, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "bytes 2-5/10");
	inf_slice_compute("bytes=-3", NULL, 10, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "bytes 7-9/10");
	inf_slice_compute("bytes=0-", NULL, 1, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "bytes 0-0/1");
	inf_slice_compute(NULL, "2", P + 1, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "bytes 5242880-5242880/5242881");
	inf_slice_compute(NULL, "1", 3 * P, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "bytes 0-5242879/15728640");
	inf_slice_compute("bytes=0-", NULL, MAX, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "bytes 0-18446744073709551614/18446744073709551615");
	inf_slice_compute("bytes=-1", NULL, MAX, &s);
	inf_slice_content_range(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, longest);
	ck_assert_uint_eq(strlen(buf), sizeof longest - 1);
	/* a short buffer is cut, never overrun, and stays terminated */
	memset(buf, 'z', sizeof buf);
	inf_slice_content_range(&s, buf, 8);
	ck_assert_str_eq(buf, "bytes 1");
	ck_assert_int_eq(buf[8], 'z');
}
END_TEST

/* Each refusal says what was asked and why, a part as a part */
START_TEST(test_slice_message)
{
	char buf[160];
	struct inf_slice s;

	inf_slice_compute("bytes=30-", NULL, 30, &s);
	inf_slice_message(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "Range is not satisfiable for the transformed object of 30 bytes");
	inf_slice_compute(NULL, "2", 30, &s);
	ck_assert_str_eq(s.code, "InvalidPartNumber");
	inf_slice_message(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "partNumber is outside 1..1, the parts of the transformed object of 30 bytes");
	inf_slice_compute(NULL, "x", 30, &s);
	inf_slice_message(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "partNumber is not a number");
	inf_slice_compute("bytes=0-1", "1", 30, &s);
	inf_slice_message(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "Range and partNumber cannot both be given");
}
END_TEST

static Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("slice");

	tcase_add_loop_test(tc, test_slice, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_every_small_range);
	tcase_add_test(tc, test_equal_numbers_past_2_64);
	tcase_add_test(tc, test_content_range);
	tcase_add_test(tc, test_slice_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(range_suite());
}
