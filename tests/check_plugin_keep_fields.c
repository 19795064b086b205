/*
 * plugins/keep_fields.c through the real loader and chain: an allowlist
 * step in a policy written to a temporary directory, records run through
 * inf_transform, outputs compared byte for byte.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static struct tu_step step;

static void setup(void)
{
	memset(&step, 0, sizeof step);
}

static void teardown(void)
{
	tu_step_free(&step);
}

/* Loads keep_fields with `paths` (policy text inside [ ]). */
static void paths(const char *p)
{
	ck_assert_msg(tu_step_load(&step, "keep_fields", p) == 0, "%s",
		      tu_errs_text(&step.errs));
}

/* Expects `in` (one record, no newline) to come out as `want`, with the
 * verdict saying whether anything was removed. */
static void keeps(const char *in, const char *want)
{
	char line[4096], wline[4096];
	const char *got;

	snprintf(line, sizeof line, "%s\n", in);
	snprintf(wline, sizeof wline, "%s\n", want);
	got = tu_step_run(&step, line);
	ck_assert_msg(got != NULL, "%s: %s", in, step.err.msg);
	ck_assert_str_eq(got, wline);
	ck_assert_int_eq(tu_step_verdict(&step, in),
			 strcmp(in, want) ? INF_MODIFIED : INF_KEEP);
}

START_TEST(test_top_level_only)
{
	paths("\"id\", \"sku\"");
	keeps("{\"id\":1,\"price\":2,\"sku\":\"a\"}", "{\"id\":1,\"sku\":\"a\"}");
	keeps("{\"price\":2,\"discount\":1}", "{}");
	keeps("{ \"x\" : 0 , \"id\" : 1 , \"y\" : 0 }", "{ \"id\" : 1 }");
	/* the same listed key inside something unlisted goes with it */
	keeps("{\"meta\":{\"id\":1},\"sku\":\"a\"}", "{\"sku\":\"a\"}");
}
END_TEST

START_TEST(test_new_fields_removed)
{
	paths("\"id\", \"sku\"");
	keeps("{\"id\":1,\"sku\":\"a\",\"added_later\":{\"card\":\"4111\"},\"also_new\":[1]}",
	      "{\"id\":1,\"sku\":\"a\"}");
	keeps("{\"ID\":1,\"id2\":2,\"xsku\":3}", "{}");
}
END_TEST

START_TEST(test_nested_allowlist)
{
	paths("\"customer.name\"");
	keeps("{\"customer\":{\"name\":\"n\",\"email\":\"e\",\"address\":{\"zip\":1}},\"id\":1}",
	      "{\"customer\":{\"name\":\"n\"}}");
	/* a container on the way keeps only what leads there, maybe nothing */
	keeps("{\"customer\":{\"email\":\"e\"}}", "{\"customer\":{}}");
	/* a name holding an object is kept whole: the path ends there */
	keeps("{\"customer\":{\"name\":{\"first\":\"a\",\"last\":\"b\"}}}",
	      "{\"customer\":{\"name\":{\"first\":\"a\",\"last\":\"b\"}}}");
	paths("\"customer.name\", \"customer.address.zip\", \"id\"");
	keeps("{\"customer\":{\"name\":\"n\",\"email\":\"e\",\"address\":{\"zip\":1,\"street\":\"s\"}},\"id\":1,\"x\":2}",
	      "{\"customer\":{\"name\":\"n\",\"address\":{\"zip\":1}},\"id\":1}");
}
END_TEST

START_TEST(test_every_element)
{
	paths("\"items[*].sku\"");
	keeps("{\"items\":[{\"sku\":\"a\",\"price\":1},{\"price\":2},{\"sku\":\"c\"}],\"total\":3}",
	      "{\"items\":[{\"sku\":\"a\"},{},{\"sku\":\"c\"}]}");
	/* scalars where objects were wanted go; containers keep what leads on */
	keeps("{\"items\":[{\"sku\":\"a\"},\"str\",7,[{\"sku\":1}]]}",
	      "{\"items\":[{\"sku\":\"a\"},[]]}");
	keeps("{\"items\":{\"sku\":1}}", "{\"items\":{}}");
	paths("\"items[1]\"");
	keeps("{\"items\":[1,{\"a\":2},3]}", "{\"items\":[{\"a\":2}]}");
}
END_TEST

START_TEST(test_path_ending_at_object)
{
	paths("\"customer\"");
	keeps("{\"customer\":{\"name\":\"n\",\"email\":\"e\",\"cards\":[{\"n\":1}]},\"id\":1}",
	      "{\"customer\":{\"name\":\"n\",\"email\":\"e\",\"cards\":[{\"n\":1}]}}");
	keeps("{\"customer\":[1,{\"a\":2}]}", "{\"customer\":[1,{\"a\":2}]}");
	paths("\"items[*]\"");
	keeps("{\"items\":[{\"a\":1},2,[3]],\"x\":1}", "{\"items\":[{\"a\":1},2,[3]]}");
}
END_TEST

START_TEST(test_scalar_where_deeper_wanted)
{
	paths("\"customer.name\"");
	keeps("{\"customer\":\"just text\",\"id\":1}", "{}");
	keeps("{\"customer\":null}", "{}");
	keeps("{\"customer\":[{\"name\":1}]}", "{\"customer\":[]}");
}
END_TEST

START_TEST(test_arrays_of_objects)
{
	paths("\"[*].a\"");
	keeps("[{\"a\":1,\"b\":2},{\"b\":3},{\"a\":{\"x\":1}},4]", "[{\"a\":1},{},{\"a\":{\"x\":1}}]");
	paths("\"**.id\"");
	keeps("{\"id\":1,\"a\":{\"id\":2,\"x\":3},\"b\":[{\"id\":3,\"y\":4},5],\"z\":5}",
	      "{\"id\":1,\"a\":{\"id\":2},\"b\":[{\"id\":3}]}");
}
END_TEST

/* Expects `in` (one record, no newline) to be refused with `what`. */
static void refuses(const char *in, const char *what)
{
	char line[4096];

	snprintf(line, sizeof line, "%s\n", in);
	ck_assert_msg(tu_step_run(&step, line) == NULL, "%s passed", in);
	ck_assert_msg(strstr(step.err.msg, what), "[%s] lacks [%s]", step.err.msg, what);
}

/* A record that is a string, number, boolean or null has nothing a path
 * can name: an allowlist refuses it rather than pass it whole (a string
 * record "cust_id=512 card=4111..." passed the partner's view). */
START_TEST(test_scalar_root_refused)
{
	paths("\"id\"");
	refuses("\"cust_id=512 card=4111111111111111\"",
		"the record is a string, in which no path names anything to keep: refused "
		"rather than passed on whole");
	refuses("42", "the record is a number,");
	refuses("null", "the record is null,");
	refuses("true", "the record is a boolean,");
	refuses("false", "the record is a boolean,");
	keeps("{}", "{}");
	keeps("[]", "[]");
	/* a root array has no member "id": every element goes */
	keeps("[1,{\"id\":1}]", "[]");
}
END_TEST

START_TEST(test_escapes_and_duplicates)
{
	paths("\"name\"");
	/* the key keeps its own spelling */
	keeps("{\"n\\u0061me\":1,\"x\":2}", "{\"n\\u0061me\":1}");
	keeps("{\"name\":1,\"x\":2,\"name\":3}", "{\"name\":1,\"name\":3}");
	paths("\"\\\"a.b\\\"\"");
	keeps("{\"a.b\":1,\"a\":{\"b\":2}}", "{\"a.b\":1}");
}
END_TEST

START_TEST(test_keep_is_byte_identical)
{
	static const char in[] =
		"{ \"a\" : 1.50 , \"b\" : [ \"\\u00e9\" , { } ] }\r\n"
		"[]\n"
		"{\"a\":{\"deep\":[1,2,{\"x\":null}]}}";

	paths("\"a\", \"b\"");
	ck_assert_str_eq(tu_step_run(&step, in), in);
	ck_assert_int_eq(tu_step_verdict(&step, "{ \"a\" : 1.50 }"), INF_KEEP);
	ck_assert_int_eq(tu_step_verdict(&step, "{\"c\":1}"), INF_MODIFIED);
}
END_TEST

static Suite *keep_fields_suite(void)
{
	Suite *s = suite_create("plugin_keep_fields");
	TCase *tc = tcase_create("keep_fields");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_top_level_only);
	tcase_add_test(tc, test_new_fields_removed);
	tcase_add_test(tc, test_nested_allowlist);
	tcase_add_test(tc, test_every_element);
	tcase_add_test(tc, test_path_ending_at_object);
	tcase_add_test(tc, test_scalar_where_deeper_wanted);
	tcase_add_test(tc, test_arrays_of_objects);
	tcase_add_test(tc, test_scalar_root_refused);
	tcase_add_test(tc, test_escapes_and_duplicates);
	tcase_add_test(tc, test_keep_is_byte_identical);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(keep_fields_suite());
}
