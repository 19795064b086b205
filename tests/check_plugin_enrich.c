/*
 * plugins/enrich.c through the real loader and chain: static members
 * (core/fields.c converts them), computed members, lookups in CSV and
 * NDJSON tables shipped beside the policy, and the load errors, each
 * naming the policy's file and line (and the table's, for table errors).
 */
#include <check.h>
#include <limits.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "loader.h"
#include "testutil.h"

static struct tu_step s;
static char table[PATH_MAX];

static void setup(void)
{
	memset(&s, 0, sizeof s);
	s.tmp = tu_tmpdir();
	ck_assert_ptr_nonnull(s.tmp);
}

static void teardown(void)
{
	tu_step_free(&s);
}

/* Writes a table beside the policy. */
static void put_table(const char *name, const char *text)
{
	ck_assert_int_eq(tu_write(s.tmp, name, text, strlen(text), table, sizeof table), 0);
}

/* Loads one enrich step with `opts`. */
static void enrich(const char *opts)
{
	char step[2048];

	snprintf(step, sizeof step, "{ plugin = \"enrich\"; %s }", opts);
	ck_assert_msg(tu_chain_load(&s, "ndjson", step) == 0, "%s: %s", opts, tu_errs_text(&s.errs));
}

static void out_is(const char *in, const char *want)
{
	char line[4096], wline[4096];
	const char *got;

	snprintf(line, sizeof line, "%s\n", in);
	snprintf(wline, sizeof wline, "%s\n", want);
	got = tu_step_run(&s, line);
	ck_assert_msg(got != NULL, "%s: %s", in, s.err.msg);
	ck_assert_str_eq(got, wline);
}

/* Expects the step (its options starting on chain.cfg line 3) to be
 * refused with an error holding every NULL-ended needle. */
static void refused(const char *opts, ...)
{
	char step[2048];
	const char *needle;
	va_list ap;

	snprintf(step, sizeof step, "{ plugin = \"enrich\"; %s }", opts);
	ck_assert_int_eq(tu_chain_load(&s, "ndjson", step), -1);
	ck_assert_uint_eq(s.errs.n, 1);
	va_start(ap, opts);
	while ((needle = va_arg(ap, const char *)))
		ck_assert_msg(strstr(s.errs.lines[0], needle) != NULL, "[%s] lacks [%s]",
			      s.errs.lines[0], needle);
	va_end(ap);
}

START_TEST(test_set)
{
	enrich("set = { team = \"ops\"; n = 5; big = 10000000000L; f = 1.5; tiny = 0.1; yes = true;\n"
	       "  obj = { a = 1; b = [ \"x\", \"y\" ]; c = ( 1, \"two\", { d = false; } ); };\n"
	       "  name = \"caf\xc3\xa9 \\\"q\\\"\"; };");
	out_is("{\"id\":1}",
	       "{\"id\":1,\"team\":\"ops\",\"n\":5,\"big\":10000000000,\"f\":1.5,\"tiny\":0.1,"
	       "\"yes\":true,\"obj\":{\"a\":1,\"b\":[\"x\",\"y\"],\"c\":[1,\"two\",{\"d\":false}]},"
	       "\"name\":\"caf\xc3\xa9 \\\"q\\\"\"}");
	out_is("{}", "{\"team\":\"ops\",\"n\":5,\"big\":10000000000,\"f\":1.5,\"tiny\":0.1,"
		     "\"yes\":true,\"obj\":{\"a\":1,\"b\":[\"x\",\"y\"],\"c\":[1,\"two\",{\"d\":false}]},"
		     "\"name\":\"caf\xc3\xa9 \\\"q\\\"\"}");
	/* records that are not objects pass untouched */
	out_is("[1,2]", "[1,2]");
	out_is("\"s\"", "\"s\"");
	ck_assert_int_eq(tu_step_verdict(&s, "[1]"), INF_KEEP);
	ck_assert_int_eq(tu_step_verdict(&s, "{}"), INF_MODIFIED);
	enrich("set_json = { gone = \"null\"; geo = \"{\\\"lat\\\": 47.6, \\\"tags\\\": []}\"; };");
	out_is("{\"a\":1}", "{\"a\":1,\"gone\":null,\"geo\":{\"lat\": 47.6, \"tags\": []}}");
	/* JSON text nested deeper than two levels */
	enrich("set_json = { deep = \"[[[{\\\"a\\\": [1]}]]]\"; };");
	out_is("{}", "{\"deep\":[[[{\"a\": [1]}]]]}");
	/* a double that needs all 17 digits to read back as itself */
	enrich("set = { x = 0.30000000000000004; y = 1e300; };");
	out_is("{}", "{\"x\":0.30000000000000004,\"y\":1e+300}");
}
END_TEST

START_TEST(test_overwrite)
{
	enrich("set = { team = \"ops\"; };");
	out_is("{\"team\":\"hr\",\"x\":1}", "{\"team\":\"hr\",\"x\":1}");
	enrich("set = { team = \"ops\"; }; overwrite = true;");
	out_is("{\"team\":\"hr\",\"x\":1}", "{\"team\":\"ops\",\"x\":1}");
	/* every occurrence of a duplicated member */
	out_is("{\"team\":1,\"te\\u0061m\":2}", "{\"team\":\"ops\",\"te\\u0061m\":\"ops\"}");
}
END_TEST

/* Seconds of CLOCK_REALTIME, which add_time reads: time() reads the coarse
 * clock, which can still show the previous second for a few milliseconds
 * after it ended, and a stamp would then seem to come from the future. */
static time_t realtime(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	return ts.tv_sec;
}

START_TEST(test_computed)
{
	struct inf_request req = { .access_point = "store-ops", .object_key = "store_events/a b.json",
				   .request_id = "req-\xc3\xa9-1" };
	const char *got;
	regex_t re;
	char before[32], after[32], stamp[32];
	time_t t0 = realtime(), t1;
	struct tm tm;

	enrich("add_access_point = \"ap\"; add_object_key = \"key\"; add_request_id = \"rid\";");
	got = tu_step_run_req(&s, &req, "{\"a\":1}\n");
	ck_assert_str_eq(got, "{\"a\":1,\"ap\":\"store-ops\",\"key\":\"store_events/a b.json\","
			      "\"rid\":\"req-\xc3\xa9-1\"}\n");
	/* a member that cannot be added fails the record, even when the
	 * add_* after it succeeds: no record leaves without it */
	req.object_key = "a\xff" "b.json";
	ck_assert_ptr_null(tu_step_run_req(&s, &req, "{\"a\":1}\n"));
	ck_assert_uint_eq(s.out.len, 0);
	ck_assert_msg(strstr(s.err.msg, "add_object_key: the object key is not UTF-8") != NULL,
		      "%s", s.err.msg);
	/* without a request: empty strings */
	ck_assert_str_eq(tu_step_run(&s, "{}\n"), "{\"ap\":\"\",\"key\":\"\",\"rid\":\"\"}\n");
	enrich("add_time = \"processed_at\";");
	got = tu_step_run(&s, "{\"a\":1}\n{\"b\":2}\n");
	t1 = realtime();
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(regcomp(&re, "^\\{\"a\":1,\"processed_at\":\"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)\"\\}\n"
				      "\\{\"b\":2,\"processed_at\":\"[0-9TZ:-]{20}\"\\}\n$", REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, got, 0, NULL, 0) == 0, "%s", got);
	regfree(&re);
	strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
	strftime(after, sizeof after, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
	snprintf(stamp, sizeof stamp, "%.20s", got + strlen("{\"a\":1,\"processed_at\":\""));
	ck_assert_msg(strcmp(stamp, before) >= 0 && strcmp(stamp, after) <= 0, "%s not in [%s, %s]",
		      stamp, before, after);
}
END_TEST

START_TEST(test_lookup_csv)
{
	put_table("stores.csv", "store_id,store_city,region\n1,Seattle,us-west\n"
				"10,\"Washington, D.C.\",us-east\ntrue,T,t\nfalse,F,f\n");
	enrich("lookup_file = \"stores.csv\"; lookup_key = \"store_id\";");
	out_is("{\"store_id\":10}", "{\"store_id\":10,\"store_city\":\"Washington, D.C.\",\"region\":\"us-east\"}");
	out_is("{\"store_id\":\"1\"}", "{\"store_id\":\"1\",\"store_city\":\"Seattle\",\"region\":\"us-west\"}");
	out_is("{\"store_id\":true}", "{\"store_id\":true,\"store_city\":\"T\",\"region\":\"t\"}");
	out_is("{\"store_id\":false}", "{\"store_id\":false,\"store_city\":\"F\",\"region\":\"f\"}");
	/* numbers match by their JSON text */
	out_is("{\"store_id\":1.0}", "{\"store_id\":1.0}");
	/* a missing key or one not in the table adds nothing */
	out_is("{\"store_id\":11}", "{\"store_id\":11}");
	out_is("{\"x\":1}", "{\"x\":1}");
	out_is("{\"store_id\":null}", "{\"store_id\":null}");
	out_is("{\"store_id\":[1]}", "{\"store_id\":[1]}");
	enrich("lookup_file = \"stores.csv\"; lookup_key = \"store_id\";\n"
	       "lookup_default = { store_city = \"unknown\"; region = \"unknown\"; };");
	out_is("{\"store_id\":11}", "{\"store_id\":11,\"store_city\":\"unknown\",\"region\":\"unknown\"}");
	out_is("{}", "{\"store_city\":\"unknown\",\"region\":\"unknown\"}");
	out_is("{\"store_id\":1}", "{\"store_id\":1,\"store_city\":\"Seattle\",\"region\":\"us-west\"}");
	/* a nested key path, another key column, overwrite */
	put_table("by_city.csv", "region,city\nEU,Berlin\n");
	enrich("lookup_file = \"by_city.csv\"; lookup_key = \"store.city\"; lookup_column = \"city\";"
	       " overwrite = true;");
	out_is("{\"store\":{\"city\":\"Berlin\"},\"region\":\"?\"}",
	       "{\"store\":{\"city\":\"Berlin\"},\"region\":\"EU\"}");
	/* the key is the record's, read before the step sets its members */
	enrich("lookup_file = \"stores.csv\"; lookup_key = \"store_id\"; set = { store_id = 10; };"
	       " overwrite = true;");
	out_is("{\"store_id\":1}", "{\"store_id\":10,\"store_city\":\"Seattle\",\"region\":\"us-west\"}");
}
END_TEST

START_TEST(test_lookup_ndjson)
{
	put_table("stores.ndjson", "{\"id\": 1, \"geo\": {\"lat\": 47.6}, \"open\": true}\n"
				   "{\"id\": \"b\", \"tags\": [\"x\"], \"n\": null}\n");
	enrich("lookup_file = \"stores.ndjson\"; lookup_key = \"k\"; lookup_column = \"id\";");
	out_is("{\"k\":1}", "{\"k\":1,\"geo\":{\"lat\": 47.6},\"open\":true}");
	out_is("{\"k\":\"b\"}", "{\"k\":\"b\",\"tags\":[\"x\"],\"n\":null}");
	out_is("{\"k\":\"1\"}", "{\"k\":\"1\",\"geo\":{\"lat\": 47.6},\"open\":true}");
	out_is("{\"k\":2}", "{\"k\":2}");
}
END_TEST

/* The README's order of new members, whatever the options' order. */
START_TEST(test_order)
{
	struct inf_request req = { .access_point = "ap1", .object_key = "k.json",
				   .request_id = "r1" };

	put_table("t.csv", "id,zcity,acountry\n1,Paris,FR\n");
	enrich("lookup_key = \"id\"; lookup_file = \"t.csv\"; add_request_id = \"rq\";\n"
	       "add_object_key = \"ok\"; add_access_point = \"ap\"; set_json = { n = \"null\"; };\n"
	       "set = { b = 1; a = 2; };");
	ck_assert_str_eq(tu_step_run_req(&s, &req, "{\"id\":\"1\"}\n"),
			 "{\"id\":\"1\",\"b\":1,\"a\":2,\"n\":null,\"ap\":\"ap1\",\"ok\":\"k.json\","
			 "\"rq\":\"r1\",\"zcity\":\"Paris\",\"acountry\":\"FR\"}\n");
	put_table("t.ndjson", "{\"z\":2,\"id\":\"1\",\"a\":[1]}\n");
	enrich("lookup_file = \"t.ndjson\"; lookup_key = \"id\"; lookup_column = \"id\"; set = { m = 0; };");
	out_is("{\"id\":\"1\"}", "{\"id\":\"1\",\"m\":0,\"z\":2,\"a\":[1]}");
}
END_TEST

START_TEST(test_table_errors)
{
	put_table("bad.csv", "store_id,store_city\n1,a\n2\n");
	refused("lookup_file = \"bad.csv\";\n lookup_key = \"store_id\";",
		"/chain.cfg:3: plugin 'enrich': ", "/bad.csv:3: row has 1 fields, the header has 2", NULL);
	put_table("dup.csv", "store_id,store_city\n1,a\n\n1,b\n");
	refused("lookup_file = \"dup.csv\"; lookup_key = \"store_id\";",
		"/chain.cfg:3: plugin 'enrich': ", "/dup.csv:4: duplicate key \"1\" (first on line 2)", NULL);
	put_table("bad.ndjson", "{\"id\":1}\n{\"id\":\n");
	refused("lookup_file = \"bad.ndjson\"; lookup_key = \"k\"; lookup_column = \"id\";",
		"/bad.ndjson:2: invalid JSON", NULL);
	refused("lookup_file = \"bad.ndjson\"; lookup_key = \"k\";",
		"/bad.ndjson: an NDJSON table needs a key column", NULL);
	refused("lookup_file = \"none.csv\"; lookup_key = \"k\";",
		"/chain.cfg:3: plugin 'enrich': option 'lookup_file': cannot read file", NULL);
	put_table("s.csv", "id,team\n1,a\n");
	refused("lookup_file = \"s.csv\"; lookup_key = \"id\"; set = { team = \"x\"; };",
		"/s.csv:1: column \"team\" is also set by the step", NULL);
	refused("lookup_file = \"s.csv\"; lookup_key = \"id\"; lookup_column = \"zip\";",
		"/s.csv:1: no key column \"zip\"", NULL);
}
END_TEST

START_TEST(test_option_errors)
{
	put_table("s.csv", "id,team\n1,a\n");
	refused("lookup_file = \"s.csv\";", "lookup_file and lookup_key go together", NULL);
	refused("lookup_key = \"id\";", "lookup_file and lookup_key go together", NULL);
	refused("lookup_default = { a = 1; };", "lookup_column and lookup_default need lookup_file", NULL);
	refused("set = { a = 1; }; lookup_column = \"id\";",
		"lookup_column and lookup_default need lookup_file", NULL);
	refused("set = { t = 1; }; add_time = \"t\";", "member added twice: \"t\"", NULL);
	refused("set = { t = 1; }; set_json = { t = \"1\"; };", "member added twice", NULL);
	refused("add_time = \"\";", "a member name is empty", NULL);
	refused("lookup_file = \"s.csv\"; lookup_key = \"id\"; add_time = \"x\";\n"
		" lookup_default = { x = 1; };", "lookup_default repeats a member the step sets: \"x\"", NULL);
	refused("set = \"x\";", "/chain.cfg:3: plugin 'enrich': option 'set': must be a group", NULL);
	refused("set = {\n ok = 1;\n bad = \"\\xff\"; };",
		"/chain.cfg:5: plugin 'enrich': option 'set': string is not valid UTF-8", NULL);
	refused("set_json = {\n j = \"{\\\"a\\\":}\"; };",
		"/chain.cfg:4: plugin 'enrich': option 'set_json': not valid JSON", NULL);
	refused("set_json = { j = 1; };", "option 'set_json': value must be a string holding JSON text", NULL);
	refused("sett = { a = 1; };", "unknown option 'sett'", NULL);
	/* a step that adds nothing passes every record as it came */
	refused("", "/chain.cfg:3: plugin 'enrich': nothing to add", NULL);
	refused("set = { }; overwrite = true;", "nothing to add", NULL);
}
END_TEST

START_TEST(test_when)
{
	enrich("set = { priority = true; };\n"
	       "when = { all = ( { path = \"qty\"; op = \"ge\"; value = 10; },\n"
	       "                 { path = \"gift_wrap\"; op = \"eq\"; value = true; } ); };");
	ck_assert_str_eq(tu_step_run(&s, "{\"qty\":12,\"gift_wrap\":true}\n{\"qty\":12}\n"
					 "{\"qty\":\"12\",\"gift_wrap\":true}\n"),
			 "{\"qty\":12,\"gift_wrap\":true,\"priority\":true}\n{\"qty\":12}\n"
			 "{\"qty\":\"12\",\"gift_wrap\":true}\n");
}
END_TEST

static int table_free_calls;

static void counted_table_free(struct inf_table *t)
{
	(void)t;
	table_free_calls++;
}

/* A core from before lookup tables hands a host table that ends before
 * table_free: init refuses it, and fini (which the core calls on a
 * refused instance too) must not call through the missing service. */
START_TEST(test_older_host)
{
	char dirs[2 * PATH_MAX], err[1024], perr[INF_ERR_MAX] = "";
	struct inf_loader *l = inf_loader_new(tu_plugin_dirs(dirs, sizeof dirs));
	const struct inf_plugin *p;
	struct inf_host old;
	void *config, *instance;

	ck_assert_ptr_nonnull(l);
	ck_assert_msg(inf_loader_get(l, "enrich", &p, err, sizeof err) == 0, "%s", err);
	old = *inf_host_table();
	old.size = (uint32_t)offsetof(struct inf_host, cond_match);
	old.table_free = counted_table_free; /* beyond size: not the core's */
	config = calloc(1, p->config_size);
	instance = calloc(1, p->instance_size);
	ck_assert_ptr_nonnull(config);
	ck_assert_ptr_nonnull(instance);
	ck_assert_int_lt(p->init(&old, config, instance, perr), 0);
	ck_assert_msg(strstr(perr, "too old") != NULL, "%s", perr);
	p->fini(instance);
	ck_assert_int_eq(table_free_calls, 0);
	free(instance);
	free(config);
	inf_loader_free(l);
}
END_TEST

static Suite *enrich_suite(void)
{
	Suite *su = suite_create("plugin_enrich");
	TCase *tc = tcase_create("enrich");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_overwrite);
	tcase_add_test(tc, test_computed);
	tcase_add_test(tc, test_lookup_csv);
	tcase_add_test(tc, test_lookup_ndjson);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_table_errors);
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_when);
	tcase_add_test(tc, test_older_host);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_run_suite(enrich_suite());
}
