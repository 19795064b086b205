/*
 * Self-testing policies (core/selftest.c): an access point's `tests` run
 * when the policy loads; passing tests let it load, a failing one refuses
 * it with "file:line: access point 'x': self-test N failed:" and the
 * expected and actual output. Policies are written to a temporary
 * directory and loaded with the real plugins.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static struct tu_step s;
static char path[PATH_MAX];

static void setup(void)
{
	memset(&s, 0, sizeof s);
}

static void teardown(void)
{
	tu_step_free(&s);
}

/* A policy with one access point "t" dropping "price"; `tests` is the
 * text of the tests setting, starting on line 4. */
static int load_tests(const char *tests)
{
	char text[8192];

	snprintf(text, sizeof text,
		 "access_points = (\n"
		 "  { name = \"t\";\n"
		 "    chain = ( { plugin = \"drop_fields\"; paths = [ \"price\" ]; } );\n"
		 "%s\n"
		 "  }\n"
		 ");\n", tests);
	return tu_policy_text(&s, "p.cfg", text, path, sizeof path);
}

/* Expects an error line starting with "<path>:<line>: " holding `what`. */
static void has_error(int line, const char *what)
{
	char where[PATH_MAX + 32];

	snprintf(where, sizeof where, "%s:%d: ", path, line);
	ck_assert_msg(tu_errs_find(&s.errs, where, what, NULL) >= 0, "want [%s...%s] in %s",
		      where, what, tu_errs_text(&s.errs));
}

START_TEST(test_passing_tests_load)
{
	ck_assert_msg(load_tests("    tests = (\n"
				 "      { input = \"{\\\"a\\\": 1, \\\"price\\\": 2}\"; expect = \"{\\\"a\\\": 1}\"; },\n"
				 "      { input = \"{\\\"price\\\": 1}\\n{\\\"b\\\": 2}\\n\"; expect = \"{}\\n{\\\"b\\\": 2}\\n\"; },\n"
				 "      { input = \"[{\\\"price\\\": 1}, 2]\"; expect = \"[{}, 2]\"; },\n"
				 "      { input = \"\"; expect = \"\"; }\n"
				 "    );") == 0,
		      "%s", tu_errs_text(&s.errs));
	ck_assert_uint_eq(s.pol->naps, 1);
	/* the tests leave nothing behind: the access point works as usual */
	ck_assert_str_eq(tu_step_run(&s, "{\"price\":1,\"x\":2}\n"), "{\"x\":2}\n");
}
END_TEST

START_TEST(test_failing_test_refused)
{
	ck_assert_int_eq(load_tests("    tests = (\n"
				    "      { input = \"{\\\"a\\\": 1}\"; expect = \"{\\\"a\\\": 1}\"; },\n"
				    "      { input = \"{\\\"a\\\": 1, \\\"price\\\": 2}\";\n"
				    "        expect = \"{\\\"a\\\": 1, \\\"price\\\": 2}\"; }\n"
				    "    );"),
			 -1);
	ck_assert_ptr_null(s.pol);
	ck_assert_uint_eq(s.errs.n, 1);
	has_error(6, "access point 't': self-test 2 failed:\n"
		     "  expected: {\"a\": 1, \"price\": 2}\n"
		     "  actual:   {\"a\": 1}");
}
END_TEST

START_TEST(test_every_failure_reported)
{
	ck_assert_int_eq(load_tests("    tests = (\n"
				    "      { input = \"{}\"; expect = \"{ }\"; },\n"
				    "      { input = \"{}\"; expect = \"{}\"; },\n"
				    "      { input = \"{\\\"x\\\":1}\\n{\\\"x\\\":2}\\n\"; expect = \"{\\\"x\\\":1}\\n\"; }\n"
				    "    );"),
			 -1);
	ck_assert_uint_eq(s.errs.n, 2);
	has_error(5, "self-test 1 failed:\n  expected: { }\n  actual:   {}\n"
		  "  first difference: byte 2");
	/* line breaks are shown escaped, one line per side */
	has_error(7, "self-test 3 failed:\n  expected: {\"x\":1}\\n\n  actual:   {\"x\":1}\\n{\"x\":2}\\n\n"
		  "  first difference: byte 9, where expected ends");
}
END_TEST

/* A difference that does not show (a space at the end) is named by its
 * byte. */
START_TEST(test_invisible_difference_named)
{
	ck_assert_int_eq(load_tests("    tests = ( { input = \"{}\"; expect = \"{} \"; } );"), -1);
	has_error(4, "self-test 1 failed:\n  expected: {} \n  actual:   {}\n"
		  "  first difference: byte 3, where actual ends");
}
END_TEST

START_TEST(test_error_is_actual)
{
	ck_assert_int_eq(load_tests("    tests = ( { input = \"{\\\"a\\\": \"; expect = \"{}\"; } );"), -1);
	has_error(4, "self-test 1 failed:\n  expected: {}\n  actual:   error: record 1 (line 1): invalid JSON");
}
END_TEST

START_TEST(test_long_output_window)
{
	char tests[4096], in[1100];

	/* the difference is far into a long record: both sides are cut
	 * around it */
	memset(in, 'a', 1000);
	in[1000] = '\0';
	snprintf(tests, sizeof tests,
		 "    tests = ( { input = \"[\\\"%sX\\\"]\"; expect = \"[\\\"%sY\\\"]\"; } );", in, in);
	ck_assert_int_eq(load_tests(tests), -1);
	has_error(4, "  expected: ...aaaa");
	has_error(4, "aaY\"]\n  actual:   ...aaa");
	ck_assert_msg(strlen(s.errs.lines[0]) < 1000, "%zu", strlen(s.errs.lines[0]));
}
END_TEST

START_TEST(test_malformed_tests)
{
	ck_assert_int_eq(load_tests("    tests = { input = \"{}\"; expect = \"{}\"; };"), -1);
	has_error(4, "access point 't': tests must be a list");
	ck_assert_int_eq(load_tests("    tests = ( \"{}\" );"), -1);
	has_error(4, "self-test 1 must be a group");
	ck_assert_int_eq(load_tests("    tests = (\n { input = \"{}\"; } );"), -1);
	has_error(5, "self-test 1 needs 'input' and 'expect' strings");
	ck_assert_int_eq(load_tests("    tests = ( { input = \"{}\"; expect = \"{}\"; },\n"
				    "      { input = \"{}\";\n expect = \"{}\";\n want = 1; } );"),
			 -1);
	has_error(7, "self-test 2: unknown key 'want'");
	ck_assert_int_eq(load_tests("    tests = ( { input = 1; expect = \"{}\"; } );"), -1);
	has_error(4, "needs 'input' and 'expect' strings");
}
END_TEST

START_TEST(test_not_run_when_chain_fails)
{
	char text[1024];

	snprintf(text, sizeof text,
		 "access_points = ( { name = \"t\";\n"
		 "  chain = ( { plugin = \"drop_fields\"; paths = [ \"a..b\" ]; } );\n"
		 "  tests = ( { input = \"{}\"; expect = \"x\"; } ); } );\n");
	ck_assert_int_eq(tu_policy_text(&s, "p.cfg", text, path, sizeof path), -1);
	ck_assert_uint_eq(s.errs.n, 1);
	has_error(2, "bad path");
}
END_TEST

START_TEST(test_shipped_policies_pass)
{
	char dir[PATH_MAX], dirs[2 * PATH_MAX];
	struct inf_policy *pol = NULL;
	struct inf_policy_errors errs = { 0 };

	/* the analytics key is a test key: its self-tests do not depend on it */
	setenv("INFLIGHT_ANALYTICS_KEY", "check-selftest-key", 1);
	snprintf(dir, sizeof dir, "%s/policies", tu_src());
	ck_assert_msg(inf_policy_load(dir, tu_plugin_dirs(dirs, sizeof dirs), &pol, &errs) == 0,
		      "%s", tu_errs_text(&errs));
	ck_assert_ptr_nonnull(inf_policy_find(pol, "inventory"));
	ck_assert_ptr_nonnull(inf_policy_find(pol, "analytics"));
	ck_assert_ptr_nonnull(inf_policy_find(pol, "store-ops"));
	ck_assert_ptr_nonnull(inf_policy_find(pol, "partner"));
	inf_policy_free(pol);
	inf_policy_errors_free(&errs);
}
END_TEST

static Suite *selftest_suite(void)
{
	Suite *su = suite_create("selftest");
	TCase *tc = tcase_create("selftest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_passing_tests_load);
	tcase_add_test(tc, test_failing_test_refused);
	tcase_add_test(tc, test_every_failure_reported);
	tcase_add_test(tc, test_error_is_actual);
	tcase_add_test(tc, test_invisible_difference_named);
	tcase_add_test(tc, test_long_output_window);
	tcase_add_test(tc, test_malformed_tests);
	tcase_add_test(tc, test_not_run_when_chain_fails);
	tcase_add_test(tc, test_shipped_policies_pass);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_run_suite(selftest_suite());
}
