/*
 * plugins/drop_fields.c through the real loader and chain: a policy with
 * one drop_fields step is written to a temporary directory and records
 * run through inf_transform. Outputs are exact: everything not dropped
 * keeps its bytes, whitespace and key spellings included.
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

/* Loads drop_fields with `paths` (policy text inside [ ]). */
static void paths(const char *p)
{
	ck_assert_msg(tu_step_load(&step, "drop_fields", p) == 0, "%s",
		      tu_errs_text(&step.errs));
}

/* Expects `in` (one record, no newline) to come out as `want`, with the
 * verdict saying whether anything was dropped. */
static void drops(const char *in, const char *want)
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

/* Expects `in` (one record, no newline) to be refused with `what`. */
static void refuses(const char *in, const char *what)
{
	char line[4096];

	snprintf(line, sizeof line, "%s\n", in);
	ck_assert_msg(tu_step_run(&step, line) == NULL, "%s passed", in);
	ck_assert_msg(strstr(step.err.msg, what), "[%s] lacks [%s]", step.err.msg, what);
}

#define INNER_ARRAY(member) "the value of member \"" member "\" is an array and no path naming it reaches into one"
#define INNER_OBJECT(member) "the value of member \"" member "\" is an object and no path naming it reaches into one"

START_TEST(test_top_level)
{
	paths("\"price\"");
	drops("{\"id\":1,\"price\":2,\"sku\":\"a\"}", "{\"id\":1,\"sku\":\"a\"}");
	drops("{\"price\":2,\"id\":1}", "{\"id\":1}");
	drops("{\"id\":1,\"price\":2}", "{\"id\":1}");
	drops("{\"price\":{\"a\":[1,2]}}", "{}");
	drops("{ \"a\" : 1 , \"price\" : 2 , \"b\" : 3 }", "{ \"a\" : 1 , \"b\" : 3 }");
}
END_TEST

START_TEST(test_root_no_path_reaches)
{
	const char *msg = "the record is an array and no path reaches into one";

	/* member paths over an array record: refused, not passed untouched */
	paths("\"price\", \"discount\"");
	ck_assert_ptr_null(tu_step_run(&step, "[{\"price\":1,\"discount\":2}]\n"));
	ck_assert_msg(strstr(step.err.msg, msg), "%s", step.err.msg);
	ck_assert_ptr_null(tu_step_run(&step, "[]\n"));
	/* records that are not containers hold no member to leak */
	ck_assert_str_eq(tu_step_run(&step, "5\n\"price\"\n"), "5\n\"price\"\n");
	/* element paths reach into arrays, `**` into both */
	paths("\"[*].price\"");
	drops("[{\"price\":1,\"a\":2},{\"price\":3}]", "[{\"a\":2},{}]");
	ck_assert_ptr_null(tu_step_run(&step, "{\"price\":1}\n"));
	ck_assert_msg(strstr(step.err.msg, "the record is an object and no path reaches into one"),
		      "%s", step.err.msg);
	paths("\"**.price\"");
	drops("[{\"price\":1,\"a\":[{\"price\":2}]}]", "[{\"a\":[{}]}]");
	drops("{\"price\":1,\"b\":2}", "{\"b\":2}");
	/* one path reaching in is enough */
	paths("\"price\", \"[0]\"");
	drops("[1,2]", "[2]");
	drops("{\"price\":1}", "{}");
}
END_TEST

START_TEST(test_several_paths)
{
	paths("\"price\", \"discount\"");
	drops("{\"price\":1,\"discount\":2}", "{}");
	drops("{\"a\":0,\"price\":1,\"b\":0,\"discount\":2,\"c\":0}", "{\"a\":0,\"b\":0,\"c\":0}");
	/* overlapping paths remove the outer value once */
	paths("\"customer\", \"customer.name\"");
	drops("{\"customer\":{\"name\":\"n\"},\"id\":1}", "{\"id\":1}");
	/* ... whatever it holds: an array where "customer.name" names a
	 * member is dropped with it, not refused */
	drops("{\"customer\":[{\"name\":\"n\"}],\"id\":1}", "{\"id\":1}");
}
END_TEST

START_TEST(test_nested)
{
	paths("\"customer.address.zip\"");
	drops("{\"customer\":{\"name\":\"n\",\"address\":{\"zip\":\"123\",\"city\":\"c\"}},\"zip\":1}",
	      "{\"customer\":{\"name\":\"n\",\"address\":{\"city\":\"c\"}},\"zip\":1}");
	/* the path stops where the record does: a scalar or an empty
	 * container holds nothing it could miss */
	drops("{\"customer\":{\"address\":\"12 Main St\"}}", "{\"customer\":{\"address\":\"12 Main St\"}}");
	drops("{\"address\":{\"zip\":1}}", "{\"address\":{\"zip\":1}}");
	drops("{\"customer\":[],\"b\":{}}", "{\"customer\":[],\"b\":{}}");
	/* a container of the other kind on the way is refused: the zip
	 * inside passed on untouched */
	refuses("{\"customer\":[{\"address\":{\"zip\":1}}]}", INNER_ARRAY("customer"));
	refuses("{\"customer\":{\"address\":[{\"zip\":1}]}}", INNER_ARRAY("address"));
}
END_TEST

START_TEST(test_every_element)
{
	paths("\"items[*].price\"");
	drops("{\"items\":[{\"sku\":\"a\",\"price\":1},{\"price\":2},{\"sku\":\"c\"},5],\"price\":9}",
	      "{\"items\":[{\"sku\":\"a\"},{},{\"sku\":\"c\"},5],\"price\":9}");
	refuses("{\"items\":{\"price\":1}}", INNER_OBJECT("items"));
	/* what [*] meets is taken as it comes, unless it holds what the
	 * path names next */
	drops("{\"items\":[[{\"sku\":1}],\"x\"]}", "{\"items\":[[{\"sku\":1}],\"x\"]}");
	refuses("{\"items\":[[{\"price\":1}]]}",
		"an array element, met by [*], is an array holding member \"price\"");
	paths("\"items[0].price\"");
	refuses("{\"items\":[[{\"price\":1}]]}", "an array element is an array and no path naming it reaches into one");
	drops("{\"items\":[]}", "{\"items\":[]}");
	drops("{\"items\":{}}", "{\"items\":{}}");
	/* one path that steps in is enough */
	paths("\"items[*].price\", \"items.*.price\"");
	drops("{\"items\":{\"a\":{\"price\":1}}}", "{\"items\":{\"a\":{}}}");
	drops("{\"items\":[{\"price\":1}]}", "{\"items\":[{}]}");
}
END_TEST

/* Only a path that names the value counts: one that merely meets it
 * (`**.password`, `*.x`) says nothing of the shape the named path
 * expected, so the email inside "customer": [...] is refused, not
 * passed on because a broad path sits beside it. */
START_TEST(test_meeting_path_does_not_count)
{
	paths("\"customer.email\", \"**.password\"");
	refuses("{\"customer\":[{\"email\":1}]}", INNER_ARRAY("customer"));
	drops("{\"customer\":{\"email\":1,\"password\":2}}", "{\"customer\":{}}");
	paths("\"customer.email\", \"*.email\"");
	refuses("{\"customer\":[{\"email\":1}]}", INNER_ARRAY("customer"));
	/* a name after ** names the value too */
	paths("\"**.card.number\"");
	refuses("{\"card\":[{\"number\":\"4111\"}]}", INNER_ARRAY("card"));
	refuses("{\"a\":{\"card\":[{\"number\":\"4111\"}]}}", INNER_ARRAY("card"));
	drops("{\"a\":{\"card\":{\"number\":\"4111\"}}}", "{\"a\":{\"card\":{}}}");
	/* both shapes named: the record is decided */
	paths("\"customer.email\", \"customer[*].email\"");
	drops("{\"customer\":[{\"email\":1,\"n\":2}]}", "{\"customer\":[{\"n\":2}]}");
	paths("\"customer.email\", \"customer.**.email\"");
	drops("{\"customer\":[{\"email\":1,\"n\":2}]}", "{\"customer\":[{\"n\":2}]}");
	paths("\"customer.email\", \"customer[*]\"");
	drops("{\"customer\":[{\"email\":1}],\"n\":2}", "{\"customer\":[],\"n\":2}");
	/* ... or by a ** path that reaches the same member everywhere */
	paths("\"customer.email\", \"**.email\"");
	drops("{\"customer\":[{\"email\":\"x\"}]}", "{\"customer\":[{}]}");
	paths("\"users.*.ssn\", \"**.ssn\"");
	drops("{\"users\":{\"u2\":[{\"ssn\":2}]}}", "{\"users\":{\"u2\":[{}]}}");
	/* a path that steps in but reaches another member decides nothing */
	paths("\"customer.email\", \"customer[*].name\"");
	refuses("{\"customer\":[{\"email\":\"e\",\"name\":\"x\"}]}", INNER_ARRAY("customer"));
	paths("\"users.*.ssn\", \"users.u2[*].name\"");
	refuses("{\"users\":{\"u2\":[{\"ssn\":1,\"name\":\"x\"}]}}",
		"the value of member \"u2\", met by *, is an array holding member \"ssn\"");
	/* one element named is not all of them */
	paths("\"customer.email\", \"customer[0].email\"");
	refuses("{\"customer\":[{\"email\":1},{\"email\":2}]}", INNER_ARRAY("customer"));
}
END_TEST

START_TEST(test_one_element)
{
	paths("\"items[0]\"");
	drops("{\"items\":[1,2,3]}", "{\"items\":[2,3]}");
	drops("{\"items\":[[1],2]}", "{\"items\":[2]}");
	drops("{\"items\":[]}", "{\"items\":[]}");
	refuses("{\"items\":{\"0\":1}}", INNER_OBJECT("items"));
	paths("\"items[2]\"");
	drops("{\"items\":[1, 2, 3]}", "{\"items\":[1, 2]}");
	drops("{\"items\":[1, 2]}", "{\"items\":[1, 2]}");
	paths("\"[1]\"");
	drops("[\"a\",\"b\",\"c\"]", "[\"a\",\"c\"]");
}
END_TEST

START_TEST(test_any_depth)
{
	paths("\"**.password\"");
	drops("{\"password\":\"p\",\"user\":{\"password\":\"q\",\"name\":\"n\","
	      "\"keys\":[{\"password\":\"r\"},{\"k\":{\"password\":\"s\"}}]},\"passwords\":1}",
	      "{\"user\":{\"name\":\"n\",\"keys\":[{},{\"k\":{}}]},\"passwords\":1}");
	drops("[{\"password\":1},[[{\"a\":{\"password\":2}}]]]", "[{},[[{\"a\":{}}]]]");
	drops("{\"a\":[\"password\"],\"b\":{\"Password\":1}}", "{\"a\":[\"password\"],\"b\":{\"Password\":1}}");
	/* a password holding a password goes as one */
	drops("{\"password\":{\"password\":1},\"x\":2}", "{\"x\":2}");
	/* `**` after a named member steps into an array there too */
	paths("\"user.**.password\"");
	drops("{\"user\":[{\"password\":1,\"n\":2}],\"password\":3}",
	      "{\"user\":[{\"n\":2}],\"password\":3}");
}
END_TEST

START_TEST(test_any_key)
{
	paths("\"*.secret\"");
	drops("{\"a\":{\"secret\":1,\"b\":2},\"secret\":3,\"c\":[{\"x\":4}],\"t\":[\"a\"]}",
	      "{\"a\":{\"b\":2},\"secret\":3,\"c\":[{\"x\":4}],\"t\":[\"a\"]}");
	/* what * meets and cannot step into is taken as it comes, unless it
	 * holds what the path names next: the secret inside "c" is refused,
	 * not passed on (escaped or nested deeper too) */
	refuses("{\"a\":{\"secret\":1},\"c\":[{\"secret\":4}]}",
		"the value of member \"c\", met by *, is an array holding member \"secret\", "
		"which no path reaches into (a path with [*] or ** there does)");
	refuses("{\"c\":[[{\"s\\u0065cret\":4}]]}", "holding member \"secret\"");
	/* one level in, seen through arrays, is what * would have met:
	 * deeper, or under another name, is taken as it comes */
	drops("{\"lines\":[{\"sku\":{\"secret\":5}}]}", "{\"lines\":[{\"sku\":{\"secret\":5}}]}");
	refuses("{\"c\":[[[{\"secret\":4}]]]}", "holding member \"secret\"");
	paths("\"*[*].card\"");
	drops("{\"x\":{\"y\":[1]}}", "{\"x\":{\"y\":[1]}}");
	refuses("{\"x\":{\"y\":{\"card\":1}}}", "met by *, is an object holding member \"card\"");
	/* a path that steps in decides it */
	paths("\"*.secret\", \"*[*].secret\"");
	drops("{\"a\":{\"secret\":1},\"c\":[{\"secret\":4}]}", "{\"a\":{},\"c\":[{}]}");
	/* [*] likewise: an element that is an object holding elements */
	paths("\"items[*][0]\"");
	refuses("{\"items\":[{\"a\":[1]}]}",
		"an array element, met by [*], is an object holding elements");
	drops("{\"items\":[{\"a\":1},[1,2]]}", "{\"items\":[{\"a\":1},[2]]}");
}
END_TEST

START_TEST(test_escaped_keys)
{
	paths("\"price\"");
	drops("{\"pr\\u0069ce\":1,\"a\":2}", "{\"a\":2}");
	drops("{\"a\":2,\"\\u0070\\u0072\\u0069\\u0063\\u0065\":1}", "{\"a\":2}");
	/* a key spelled with an escape in the policy matches the plain one */
	paths("\"\\\"pr\\\\u0069ce\\\"\"");
	drops("{\"price\":1,\"a\":2}", "{\"a\":2}");
	/* a quoted key may hold a dot */
	paths("\"\\\"a.b\\\"\"");
	drops("{\"a.b\":1,\"a\":{\"b\":2}}", "{\"a\":{\"b\":2}}");
	/* non-ASCII keys compare as UTF-8 */
	paths("\"pr\xc3\xa9" "ce\"");
	drops("{\"pr\\u00e9ce\":1,\"pr\xc3\xa9" "ce\":2,\"prece\":3}", "{\"prece\":3}");
	/* and a key that starts with a non-ASCII character is found by the
	 * fast walk over plain keys, with or without an escape */
	paths("\"\xc3\xa9tat\"");
	drops("{\"\xc3\xa9tat\":1,\"etat\":2}", "{\"etat\":2}");
	drops("{\"\\u00e9tat\":1,\"etat\":2}", "{\"etat\":2}");
}
END_TEST

START_TEST(test_duplicate_keys)
{
	paths("\"price\"");
	drops("{\"price\":1,\"id\":2,\"price\":3,\"price\":4}", "{\"id\":2}");
	drops("{\"price\":1,\"pr\\u0069ce\":3}", "{}");
	paths("\"a.price\"");
	drops("{\"a\":{\"price\":1},\"a\":{\"price\":2,\"b\":3}}", "{\"a\":{},\"a\":{\"b\":3}}");
}
END_TEST

START_TEST(test_similar_names_kept)
{
	paths("\"price\"");
	drops("{\"price2\":1,\"xprice\":2,\"Price\":3,\"pric\":4,\"price \":5,\"price\":6}",
	      "{\"price2\":1,\"xprice\":2,\"Price\":3,\"pric\":4,\"price \":5}");
	drops("{\"a\":\"price\",\"b\":[\"price\"]}", "{\"a\":\"price\",\"b\":[\"price\"]}");
}
END_TEST

START_TEST(test_nested_name_not_looked_at)
{
	paths("\"price\"");
	drops("{\"a\":{\"price\":1},\"b\":[{\"price\":2}]}", "{\"a\":{\"price\":1},\"b\":[{\"price\":2}]}");
	paths("\"items[*].price\"");
	drops("{\"items\":[{\"sub\":{\"price\":1}}],\"other\":[{\"price\":2}]}",
	      "{\"items\":[{\"sub\":{\"price\":1}}],\"other\":[{\"price\":2}]}");
}
END_TEST

/* Plain top-level keys over object records take the core's fast walk
 * (raw keys filtered on length and first byte) and in-order removals
 * their direct ranges. Exact outputs for where the removed members sit
 * and how the record is spaced; and every record comes out as it does
 * when a path that never matches ("zz.never") sends the same keys
 * through the general matcher. */
START_TEST(test_top_keys_fast_path)
{
	static const char *const in[] = {
	    "{\"price\":1}",
	    "{\"price\":1,\"a\":2}",
	    "{\"a\":2,\"discount\":1}",
	    "{\"price\":1,\"a\":2,\"discount\":3}",
	    "{\"a\":0,\"price\":1,\"discount\":2,\"b\":3}",
	    "{\"discount\":2,\"price\":1}",
	    "{ \"price\" : 1 , \"a\" : 2 }",
	    "{  \"a\": 1,  \"price\": 2  }",
	    "{\t\"a\"\t:\t1\t,\t\"discount\"\t:\t{\"price\":[1]}\t,\t\"b\":[]\t}",
	    "{\"price2\":1,\"pric\":2,\"prize\":3,\"discounts\":4,\"Price\":5}",
	    "{\"price\":1,\"price\":2,\"x\":0,\"price\":3}",
	    "{\"pr\\u0069ce\":1,\"discount\":2,\"a\":3}",
	    "{\"a\":{\"x\\u0041\":1},\"price\":2}",
	    ("{\"request_id\":\"7e3a\",\"cust_id\":932,\"category\":\"Furniture\",\"store_id\":8,"
	     "\"price\":85.0,\"discount\":15.2,\"sku\":118325,\"gift_wrap\":false}"),
	    "{}",
	};
	static const char *const want[] = {
	    "{}",
	    "{\"a\":2}",
	    "{\"a\":2}",
	    "{\"a\":2}",
	    "{\"a\":0,\"b\":3}",
	    "{}",
	    "{ \"a\" : 2 }",
	    "{  \"a\": 1  }",
	    "{\t\"a\"\t:\t1\t,\t\"b\":[]\t}",
	    "{\"price2\":1,\"pric\":2,\"prize\":3,\"discounts\":4,\"Price\":5}",
	    "{\"x\":0}",
	    "{\"a\":3}",
	    "{\"a\":{\"x\\u0041\":1}}",
	    ("{\"request_id\":\"7e3a\",\"cust_id\":932,\"category\":\"Furniture\",\"store_id\":8,"
	     "\"sku\":118325,\"gift_wrap\":false}"),
	    "{}",
	};
	char fast[4096], line[4096];
	const char *got;

	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		paths("\"price\", \"discount\"");
		drops(in[i], want[i]);
		snprintf(fast, sizeof fast, "%s\n", want[i]);
		paths("\"price\", \"discount\", \"zz.never\"");
		snprintf(line, sizeof line, "%s\n", in[i]);
		got = tu_step_run(&step, line);
		ck_assert_msg(got != NULL, "%s: %s", in[i], step.err.msg);
		ck_assert_str_eq(got, fast);
	}
}
END_TEST

START_TEST(test_keep_is_byte_identical)
{
	static const char in[] =
		"{ \"a\" : 1.50 , \"b\" : \"\\u00e9\\/\" }\r\n"
		"[ 1 , { \"c\" : null } ]\n"
		"\"price\"\n"
		"42\n"
		"{}";

	paths("\"price\", \"**.secret\", \"items[*].x\"");
	ck_assert_str_eq(tu_step_run(&step, in), in);
	ck_assert_int_eq(tu_step_verdict(&step, "{ \"a\" : 1.50 }"), INF_KEEP);
	ck_assert_int_eq(tu_step_verdict(&step, "\"price\""), INF_KEEP);
	ck_assert_int_eq(tu_step_verdict(&step, "{\"price\":1}"), INF_MODIFIED);
}
END_TEST

START_TEST(test_many_records_one_step)
{
	/* the step's state carries nothing from one record to the next */
	paths("\"price\"");
	ck_assert_str_eq(tu_step_run(&step,
				     "{\"price\":1,\"a\":1}\n{\"a\":2}\n{\"b\":{\"price\":3},\"price\":4}\n"),
			 "{\"a\":1}\n{\"a\":2}\n{\"b\":{\"price\":3}}\n");
}
END_TEST

static Suite *drop_fields_suite(void)
{
	Suite *s = suite_create("plugin_drop_fields");
	TCase *tc = tcase_create("drop_fields");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_top_level);
	tcase_add_test(tc, test_several_paths);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_every_element);
	tcase_add_test(tc, test_meeting_path_does_not_count);
	tcase_add_test(tc, test_one_element);
	tcase_add_test(tc, test_any_depth);
	tcase_add_test(tc, test_any_key);
	tcase_add_test(tc, test_escaped_keys);
	tcase_add_test(tc, test_duplicate_keys);
	tcase_add_test(tc, test_similar_names_kept);
	tcase_add_test(tc, test_top_keys_fast_path);
	tcase_add_test(tc, test_nested_name_not_looked_at);
	tcase_add_test(tc, test_keep_is_byte_identical);
	tcase_add_test(tc, test_many_records_one_step);
	tcase_add_test(tc, test_root_no_path_reaches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(drop_fields_suite());
}
