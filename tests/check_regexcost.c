/*
 * The size regcomp gives a pattern once its repetitions are spelled out
 * (core/regexcost.c): atoms, bracket expressions, escapes, groups,
 * alternations and every repetition form, saturating at the limit.
 */
#include <check.h>
#include <stdlib.h>

#include "regexcost.h"
#include "testutil.h"

START_TEST(test_costs)
{
	static const struct {
		const char *re;
		unsigned long cost;
	} cases[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "^[0-9]{3}-[0-9]{4}$", 12 },      /* ^ [..]x4 - [..]x5 $ */
		{ "[]a]*", 1 },                      /* a leading ']' is a member */
		{ "[[:alpha:]x]+", 2 },
		{ "\\(a\\)", 3 },                    /* escaped parentheses are atoms */
		{ "a|bc", 3 },
		{ "(ab|cd)+", 8 },
		{ "()", 1 },
		{ "a{2,5}", 6 },
		{ "a{3,}", 4 },
		{ "a{x}", 4 },                       /* not an interval: atoms */
		{ "(a{9}){9}", 100 },
		{ "a++", 4 },
		{ "a+++", 8 },
		/* copies of what can match empty count squared: regcomp's
		 * closures over them grow so (e*+++++++++++ took 1.9 s) */
		{ "a*+", 4 },
		{ "a?{2}", 9 },
		{ "a{0,1}+", 8 },                    /* 2 copies, then 2 squared */
		{ "a{1,2}+", 6 },                    /* {1,..} cannot match empty */
		{ "a{00,1}+", 8 },                   /* a zero is a zero */
		{ "(a|)+", 4 },                      /* an empty alternative can */
		{ "(|a)+", 4 },
		{ "(a|b)+", 4 },
		{ "(ab*)+", 4 },
		{ "(a*b*)+", 8 },
		{ "((a*))+", 4 },
		{ "a**", 1 },                        /* '*' and '?' copy nothing */
		{ "a*b+", 3 },                       /* b cannot match empty */
		{ "(a", 1 },                         /* unclosed: measured as far as read */
		{ "a)", 2 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(inf_regex_cost(cases[i].re, 1000) == cases[i].cost,
			      "%s: %lu, want %lu", cases[i].re, inf_regex_cost(cases[i].re, 1000),
			      cases[i].cost);
}
END_TEST

START_TEST(test_saturates)
{
	/* 2^43 copies, and 10^12: both read as just over the limit */
	ck_assert_uint_eq(inf_regex_cost("1+++++++++++++++++++++++++++++++++++++++++++", 20000),
			  20001);
	ck_assert_uint_eq(inf_regex_cost("((((a{999}){999}){999}){999})", 20000), 20001);
	ck_assert_uint_eq(inf_regex_cost("a{4294967295}", 20000), 20001);
	ck_assert_uint_eq(inf_regex_cost("a{20000}", 20000), 20001);
	ck_assert_uint_eq(inf_regex_cost("a{19999}", 20000), 20000);
	/* found by fuzz_cond: regcomp ran for minutes on it */
	ck_assert_uint_eq(inf_regex_cost("whe+*++++++++++++$", 20000), 20001);
	ck_assert_uint_eq(inf_regex_cost("e*+++", 20000), 64);
	ck_assert_uint_eq(inf_regex_cost("e*++++", 20000), 20001);
	ck_assert_uint_eq(inf_regex_cost("e*++++++++", 20000), 20001);
}
END_TEST

/* More than 3 repetitions of parts that can match empty are too large
 * whatever their copies: regcomp ran for minutes on these (fuzz_cond
 * found the first), though each counts well under the limit in copies. */
START_TEST(test_empty_loops)
{
	static const char *const slow[] = {
		"^1++++*******************************************************************************"
		"+++++[0-9]+$",
		"(a|b*)+++++", "1**++++", "(1*)*++++", "(a*b*)*++++", "1?*++++",
		"^1************************************************************************"
		"************************************************",
	};
	static const struct {
		const char *re;
		unsigned long cost;
	} fast[] = { { "(a|b*)+++", 128 }, { "1**++", 16 }, { "(((a*)*)*)", 1 },
		     { "(a*b*c*d*e*f*g*h*)+++", 512 }, { "a***", 1 } };

	for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++)
		ck_assert_msg(inf_regex_cost(slow[i], 20000) == 20001, "%s: %lu", slow[i],
			      inf_regex_cost(slow[i], 20000));
	for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++)
		ck_assert_msg(inf_regex_cost(fast[i].re, 20000) == fast[i].cost, "%s: %lu, want %lu",
			      fast[i].re, inf_regex_cost(fast[i].re, 20000), fast[i].cost);
	ck_assert_uint_eq(inf_regex_cost("((((((((e?)+)+)+)+)+)+)+)+", 20000), 20001);
}
END_TEST

/* Back-references: glibc takes them, and backtracks exponentially. */
START_TEST(test_backrefs)
{
	static const char *const with[] = { "((a*)(a*))*\\2\\3b", "(a*)*\\1b", "(a|aa)+\\1+c",
					    "x\\9", "[a]\\1" };
	static const char *const without[] = { "a\\\\1", "[\\1]", "[]\\1]", "[[:digit:]\\1]",
					       "\\0", "\\.", "a\\", "" };

	for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
		ck_assert_msg(inf_regex_has_backref(with[i]), "%s", with[i]);
	for (size_t i = 0; i < sizeof without / sizeof without[0]; i++)
		ck_assert_msg(!inf_regex_has_backref(without[i]), "%s", without[i]);
}
END_TEST

static Suite *regexcost_suite(void)
{
	Suite *s = suite_create("regexcost");
	TCase *tc = tcase_create("cost");

	tcase_add_test(tc, test_costs);
	tcase_add_test(tc, test_saturates);
	tcase_add_test(tc, test_backrefs);
	tcase_add_test(tc, test_empty_loops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(regexcost_suite());
}
