/*
 * The sorted literals of an `in` list (core/valset.c): every literal
 * added is found after sealing, whatever the order it came in, and
 * nothing else is; strings by bytes and length, integers exactly,
 * doubles among the floats alone or among every number; an empty group
 * answers no.
 */
#include <check.h>
#include <string.h>

#include "testutil.h"
#include "valset.h"

START_TEST(test_empty)
{
	struct inf_valset *s = inf_valset_new();

	ck_assert_ptr_nonnull(s);
	inf_valset_seal(s);
	ck_assert(!inf_valset_has_string(s, "", 0));
	ck_assert(!inf_valset_has_int(s, 0));
	ck_assert(!inf_valset_has_double(s, 0, 1));
	ck_assert(!inf_valset_has_bool(s, 0));
	ck_assert(!inf_valset_has_bool(s, 1));
	ck_assert_uint_eq(inf_valset_floats(s), 0);
	inf_valset_free(s);
	inf_valset_free(NULL);
}
END_TEST

START_TEST(test_strings)
{
	/* borrowed: these outlive the set */
	static const char *const in[] = { "b", "", "ab", "a", "a\0z", "caf\xc3\xa9", "zz" };
	static const size_t len[] = { 1, 0, 2, 1, 3, 5, 2 };
	struct inf_valset *s = inf_valset_new();

	for (size_t i = 0; i < 7; i++)
		ck_assert_int_eq(inf_valset_add_string(s, in[i], len[i]), 0);
	inf_valset_seal(s);
	for (size_t i = 0; i < 7; i++)
		ck_assert_msg(inf_valset_has_string(s, in[i], len[i]), "%zu", i);
	ck_assert(!inf_valset_has_string(s, "abc", 3)); /* a literal's prefix */
	ck_assert(!inf_valset_has_string(s, "a\0", 2));  /* length counts */
	ck_assert(!inf_valset_has_string(s, "z", 1));
	ck_assert(!inf_valset_has_string(s, "zzz", 3));
	ck_assert(!inf_valset_has_bool(s, 1));
	inf_valset_free(s);
}
END_TEST

START_TEST(test_numbers)
{
	struct inf_valset *s = inf_valset_new();
	const long long big = 9007199254740993LL; /* 2^53 + 1: no double */

	for (long long n = 1000; n > -1000; n -= 3) /* descending, 667 of them */
		ck_assert_int_eq(inf_valset_add_int(s, n), 0);
	ck_assert_int_eq(inf_valset_add_int(s, big), 0);
	ck_assert_int_eq(inf_valset_add_float(s, 0.5), 0);
	ck_assert_int_eq(inf_valset_add_float(s, -1e300), 0);
	inf_valset_seal(s);
	for (long long n = 1000; n > -1000; n -= 3) {
		ck_assert(inf_valset_has_int(s, n));
		ck_assert(!inf_valset_has_int(s, n - 1));
		ck_assert(inf_valset_has_double(s, (double)n, 1));
		ck_assert(!inf_valset_has_double(s, (double)n, 0)); /* not a float */
	}
	ck_assert(inf_valset_has_int(s, big));
	ck_assert(!inf_valset_has_int(s, big - 1)); /* exact, though the doubles tie */
	ck_assert(inf_valset_has_double(s, 9007199254740992.0, 1));
	ck_assert(inf_valset_has_double(s, 0.5, 0));
	ck_assert(inf_valset_has_double(s, -1e300, 1));
	ck_assert(!inf_valset_has_double(s, 0.25, 1));
	ck_assert(!inf_valset_has_int(s, 0) == !inf_valset_has_double(s, 0, 1));
	ck_assert_uint_eq(inf_valset_floats(s), 2);
	inf_valset_free(s);
}
END_TEST

START_TEST(test_bools)
{
	struct inf_valset *s = inf_valset_new();

	inf_valset_add_bool(s, 0);
	inf_valset_add_bool(s, 0);
	inf_valset_seal(s);
	ck_assert(inf_valset_has_bool(s, 0));
	ck_assert(!inf_valset_has_bool(s, 1));
	ck_assert(!inf_valset_has_int(s, 0));
	inf_valset_free(s);
}
END_TEST

static Suite *valset_suite(void)
{
	Suite *s = suite_create("valset");
	TCase *tc = tcase_create("set");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_bools);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(valset_suite());
}
