/*
 * plugins/filter_records.c through the real loader and chain, and the
 * core's `when` on a step (core/policy.c, core/chain.c): policies are
 * written to a temporary directory and objects run through inf_transform
 * in each framing.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static struct tu_step s;

static void setup(void)
{
	memset(&s, 0, sizeof s);
}

static void teardown(void)
{
	tu_step_free(&s);
}

static void load(const char *format, const char *steps)
{
	ck_assert_msg(tu_chain_load(&s, format, steps) == 0, "%s", tu_errs_text(&s.errs));
}

static void out_is(const char *in, const char *want)
{
	const char *got = tu_step_run(&s, in);

	ck_assert_msg(got != NULL, "%s: %s", in, s.err.msg);
	ck_assert_str_eq(got, want);
}

/* Expects the chain to be refused with an error on `line` of chain.cfg
 * that holds `what`. */
static void refused(const char *steps, int line, const char *what)
{
	char where[64];

	ck_assert_int_eq(tu_chain_load(&s, "ndjson", steps), -1);
	snprintf(where, sizeof where, "/chain.cfg:%d: ", line);
	ck_assert_msg(tu_errs_find(&s.errs, where, what, NULL) >= 0, "want [%s...%s] in %s",
		      where, what, tu_errs_text(&s.errs));
}

#define INVENTORY "keep = { path = \"evnt_type\"; op = \"eq\"; value = \"inventory_event\"; };"

START_TEST(test_keep_ndjson)
{
	struct inf_stats st;
	struct inf_buf out = { 0 };
	struct inf_error err;
	const char *in = "{\"evnt_type\": \"inventory_event\", \"n\": 1}\n"
			 "{\"evnt_type\": \"sales_event\", \"n\": 2}\r\n"
			 "{\"n\": 3}\n"
			 "{\"evnt_type\": \"inventory_event\", \"n\": 4}";

	load("ndjson", "{ plugin = \"filter_records\"; " INVENTORY " }");
	ck_assert_int_eq(tu_transform(&s.pol->aps[0], NULL, in, strlen(in), 7, &out, &err, &st), 0);
	ck_assert_str_eq(out.data, "{\"evnt_type\": \"inventory_event\", \"n\": 1}\n"
				   "{\"evnt_type\": \"inventory_event\", \"n\": 4}");
	ck_assert_uint_eq(st.records_in, 4);
	ck_assert_uint_eq(st.records_out, 2);
	ck_assert_uint_eq(st.records_dropped, 2);
	inf_buf_free(&out);
}
END_TEST

START_TEST(test_keep_array_and_document)
{
	load("array", "{ plugin = \"filter_records\"; " INVENTORY " }");
	out_is("[{\"evnt_type\": \"sales_event\"}, {\"evnt_type\": \"inventory_event\"}, 3]",
	       "[ {\"evnt_type\": \"inventory_event\"}]");
	out_is("[{\"evnt_type\": \"sales_event\"}]", "[]");
	load("document", "{ plugin = \"filter_records\"; " INVENTORY " }");
	out_is("{\n  \"evnt_type\": \"inventory_event\"\n}\n", "{\n  \"evnt_type\": \"inventory_event\"\n}\n");
	out_is("{\n  \"evnt_type\": \"sales_event\"\n}\n", "");
	load("auto", "{ plugin = \"filter_records\"; " INVENTORY " }");
	out_is("{\"evnt_type\": \"sales_event\"}", "");
	out_is("[{\"evnt_type\": \"inventory_event\"},{\"evnt_type\": \"x\"}]",
	       "[{\"evnt_type\": \"inventory_event\"}]");
}
END_TEST

START_TEST(test_drop)
{
	load("ndjson", "{ plugin = \"filter_records\";\n"
		       "  drop = { any = ( { path = \"is_return\"; op = \"eq\"; value = true; },\n"
		       "                   { path = \"store_id\"; op = \"missing\"; } ); }; }");
	out_is("{\"store_id\":1}\n{\"store_id\":2,\"is_return\":true}\n{\"x\":1}\n"
	       "{\"store_id\":3,\"is_return\":false}\n",
	       "{\"store_id\":1}\n{\"store_id\":3,\"is_return\":false}\n");
}
END_TEST

START_TEST(test_every_op_through_the_plugin)
{
	static const struct {
		const char *cond, *want;
	} cases[] = {
		{ "path = \"v\"; op = \"eq\"; value = 2;", "{\"v\":2}\n" },
		{ "path = \"v\"; op = \"ne\"; value = 2;", "{\"v\":1}\n{\"v\":\"2\"}\n{\"v\":\"b\"}\n{}\n{\"v\":null}\n" },
		{ "path = \"v\"; op = \"in\"; value = ( 1, \"b\" );", "{\"v\":1}\n{\"v\":\"b\"}\n" },
		{ "path = \"v\"; op = \"not_in\"; value = ( 1, \"b\" );", "{\"v\":2}\n{\"v\":\"2\"}\n{}\n{\"v\":null}\n" },
		{ "path = \"v\"; op = \"gt\"; value = 1;", "{\"v\":2}\n" },
		{ "path = \"v\"; op = \"ge\"; value = 1;", "{\"v\":1}\n{\"v\":2}\n" },
		{ "path = \"v\"; op = \"lt\"; value = 2;", "{\"v\":1}\n" },
		{ "path = \"v\"; op = \"le\"; value = \"b\";", "{\"v\":\"2\"}\n{\"v\":\"b\"}\n" },
		{ "path = \"v\"; op = \"exists\";", "{\"v\":1}\n{\"v\":2}\n{\"v\":\"2\"}\n{\"v\":\"b\"}\n{\"v\":null}\n" },
		{ "path = \"v\"; op = \"missing\";", "{}\n" },
		{ "path = \"v\"; op = \"matches\"; value = \"^[a-z]$\";", "{\"v\":\"b\"}\n" },
	};
	const char *in = "{\"v\":1}\n{\"v\":2}\n{\"v\":\"2\"}\n{\"v\":\"b\"}\n{}\n{\"v\":null}\n";
	char step[512];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(step, sizeof step, "{ plugin = \"filter_records\"; keep = { %s }; }", cases[i].cond);
		load("ndjson", step);
		out_is(in, cases[i].want);
	}
}
END_TEST

START_TEST(test_option_errors)
{
	refused("{ plugin = \"filter_records\"; }", 3, "give exactly one of 'keep' and 'drop'");
	refused("{ plugin = \"filter_records\";\n " INVENTORY "\n drop = { path = \"a\"; op = \"exists\"; }; }",
		3, "give exactly one of 'keep' and 'drop'");
	refused("{ plugin = \"filter_records\";\n keep = { path = \"a\"; op = \"like\"; value = 1; }; }",
		4, "plugin 'filter_records': option 'keep': unknown op 'like'");
	refused("{ plugin = \"filter_records\";\n keep = {\n  all = (\n   { path = \"a\"; op = \"matches\"; value = \"(\"; }\n  ); }; }",
		6, "option 'keep': bad regex");
	refused("{ plugin = \"filter_records\"; keep = \"evnt_type == 1\"; }", 3,
		"a condition must be a group");
}
END_TEST

START_TEST(test_when_on_filter_records)
{
	/* drop sales events, but only for store 1 */
	load("ndjson", "{ plugin = \"filter_records\";\n"
		       "  when = { path = \"store_id\"; op = \"eq\"; value = 1; };\n"
		       "  drop = { path = \"evnt_type\"; op = \"eq\"; value = \"sales_event\"; }; }");
	out_is("{\"store_id\":1,\"evnt_type\":\"sales_event\"}\n"
	       "{\"store_id\":2,\"evnt_type\":\"sales_event\"}\n"
	       "{\"store_id\":1,\"evnt_type\":\"inventory_event\"}\n",
	       "{\"store_id\":2,\"evnt_type\":\"sales_event\"}\n"
	       "{\"store_id\":1,\"evnt_type\":\"inventory_event\"}\n");
}
END_TEST

START_TEST(test_when_sees_previous_steps)
{
	/* `when` is evaluated on the record as the previous step left it */
	load("ndjson", "{ plugin = \"drop_fields\"; paths = [ \"secret\" ]; },\n"
		       "{ plugin = \"example_stamp\"; field = \"had_secret\";\n"
		       "  when = { path = \"secret\"; op = \"exists\"; }; },\n"
		       "{ plugin = \"example_stamp\"; field = \"plain\";\n"
		       "  when = { not = { path = \"secret\"; op = \"exists\"; }; }; }");
	out_is("{\"secret\":1,\"a\":2}\n", "{\"a\":2,\"plain\":\"\"}\n");
}
END_TEST

START_TEST(test_when_errors)
{
	refused("{ plugin = \"drop_fields\"; paths = [ \"a\" ];\n"
		"  when = { path = \"a\"; op = \"eqq\"; value = 1; }; }",
		4, "when: unknown op 'eqq'");
	refused("{ plugin = \"drop_fields\"; paths = [ \"a\" ]; when = true; }", 3,
		"when: a condition must be a group");
	refused("{ plugin = \"drop_fields\"; paths = [ \"a\" ];\n"
		"  when = { path = \"a\"; op = \"matches\"; value = \"[\"; }; }",
		4, "when: bad regex \"[\"");
}
END_TEST

/* Expects `in` to fail with a message holding `what`. */
static void fails(const char *in, const char *what)
{
	ck_assert_msg(tu_step_run(&s, in) == NULL, "%s passed", in);
	ck_assert_msg(strstr(s.err.msg, what) != NULL, "[%s] lacks [%s]", s.err.msg, what);
}

/* A condition whose paths all name members cannot look inside an array
 * record: every path is missing there, so `drop` kept
 * [{"is_return":true}], `keep` with ne kept [{"dept":"hr"}], and a
 * `when` that did not hold skipped the mask_fields step that would have
 * refused the record. Such a record is refused; a scalar record, which
 * holds no field, is decided as before. */
#define ARRAY_REFUSED "record 1 (line 1): step 1 (filter_records) failed: the record is an " \
	"array and no path of the condition reaches into one (paths like [*].name or **.name do)"

START_TEST(test_condition_cannot_look_inside)
{
	load("ndjson", "{ plugin = \"filter_records\"; drop = { path = \"is_return\"; op = \"eq\"; value = true; }; }");
	fails("[{\"is_return\":true}]\n", ARRAY_REFUSED);
	out_is("5\n\"x\"\n{\"is_return\":false}\n", "5\n\"x\"\n{\"is_return\":false}\n");
	load("ndjson", "{ plugin = \"filter_records\"; keep = { path = \"dept\"; op = \"ne\"; value = \"hr\"; }; }");
	fails("[{\"dept\":\"hr\"}]\n", ARRAY_REFUSED);
	load("ndjson", "{ plugin = \"filter_records\"; keep = { path = \"[0]\"; op = \"exists\"; }; }");
	fails("{\"a\":1}\n", "the record is an object and no path of the condition reaches into one");
	/* one path that reaches in is enough */
	load("ndjson", "{ plugin = \"filter_records\"; drop = { any = (\n"
		       "  { path = \"is_return\"; op = \"eq\"; value = true; },\n"
		       "  { path = \"[*].is_return\"; op = \"eq\"; value = true; } ); }; }");
	out_is("[{\"is_return\":true}]\n[{\"is_return\":false}]\n{\"is_return\":true}\n",
	       "[{\"is_return\":false}]\n");
	/* `when` on a step refuses it too, instead of skipping the step */
	load("ndjson", "{ plugin = \"mask_fields\"; paths = [ \"cust_id\" ]; op = \"redact\";\n"
		       "  when = { path = \"country\"; op = \"eq\"; value = \"DE\"; }; }");
	out_is("{\"country\":\"DE\",\"cust_id\":1}\n{\"country\":\"US\",\"cust_id\":2}\n7\n",
	       "{\"country\":\"DE\",\"cust_id\":\"****\"}\n{\"country\":\"US\",\"cust_id\":2}\n7\n");
	fails("[{\"country\":\"DE\",\"cust_id\":1}]\n",
	      "record 1 (line 1): step 1 (mask_fields): when: the record is an array and no path "
	      "of the condition reaches into one");
}
END_TEST

/* Below the root as at it: "customer.is_test" cannot look inside
 * "customer": [{...}], so a drop filter passed {"customer":[{"is_test":
 * true}]} as if the path were missing, and a `when` on "customer.country"
 * skipped the step, whatever the op (missing too). Refused instead. */
#define CUST_REFUSED "the value of member \"customer\" is an array and no path of the " \
	"condition naming it reaches into one (a path with [*] or ** there does)"

START_TEST(test_condition_cannot_look_below_root)
{
	load("ndjson", "{ plugin = \"filter_records\";\n"
		       "  drop = { path = \"customer.is_test\"; op = \"eq\"; value = true; }; }");
	fails("{\"customer\":[{\"is_test\":true}]}\n",
	      "record 1 (line 1): step 1 (filter_records) failed: " CUST_REFUSED);
	out_is("{\"customer\":{\"is_test\":true}}\n{\"customer\":[]}\n{\"customer\":\"c\"}\n",
	       "{\"customer\":[]}\n{\"customer\":\"c\"}\n");
	load("ndjson", "{ plugin = \"filter_records\";\n"
		       "  keep = { path = \"customer.email\"; op = \"missing\"; }; }");
	fails("{\"customer\":[{\"email\":\"a@b\"}]}\n", CUST_REFUSED);
	out_is("{\"customer\":{\"email\":\"a@b\"}}\n{\"customer\":{}}\n", "{\"customer\":{}}\n");
	/* both shapes written out: decided */
	load("ndjson", "{ plugin = \"filter_records\"; drop = { any = (\n"
		       "  { path = \"customer.is_test\"; op = \"eq\"; value = true; },\n"
		       "  { path = \"customer[*].is_test\"; op = \"eq\"; value = true; } ); }; }");
	out_is("{\"customer\":[{\"is_test\":true}]}\n{\"customer\":[{\"is_test\":false}]}\n",
	       "{\"customer\":[{\"is_test\":false}]}\n");
	/* `when` refuses the record rather than skip the step */
	load("ndjson", "{ plugin = \"drop_fields\"; paths = [ \"card\" ];\n"
		       "  when = { path = \"customer.country\"; op = \"eq\"; value = \"DE\"; }; }");
	out_is("{\"customer\":{\"country\":\"DE\"},\"card\":1}\n{\"customer\":{\"country\":\"US\"},\"card\":2}\n",
	       "{\"customer\":{\"country\":\"DE\"}}\n{\"customer\":{\"country\":\"US\"},\"card\":2}\n");
	fails("{\"customer\":[{\"country\":\"DE\"}],\"card\":1}\n",
	      "record 1 (line 1): step 1 (drop_fields): when: " CUST_REFUSED);
}
END_TEST

static Suite *filter_suite(void)
{
	Suite *su = suite_create("plugin_filter_records");
	TCase *tc = tcase_create("filter_records");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keep_ndjson);
	tcase_add_test(tc, test_keep_array_and_document);
	tcase_add_test(tc, test_drop);
	tcase_add_test(tc, test_every_op_through_the_plugin);
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_when_on_filter_records);
	tcase_add_test(tc, test_when_sees_previous_steps);
	tcase_add_test(tc, test_when_errors);
	tcase_add_test(tc, test_condition_cannot_look_inside);
	tcase_add_test(tc, test_condition_cannot_look_below_root);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_run_suite(filter_suite());
}
