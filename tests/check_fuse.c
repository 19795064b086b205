/*
 * Fused chains (core/fuse.c, inf_json_fuse_top in core/json.c): which
 * chains the core runs while it reads each record, what the pass answers
 * for each kind of record, and that its output, errors and counters are
 * byte for byte those of the steps run one by one, on random records
 * through random chains of drop_fields, mask_fields and enrich.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "fuse.h"
#include "loader.h"
#include "testutil.h"

static struct tu_step pol; /* the policy, its directory */
static struct inf_buf out;
static struct inf_error err;
static struct inf_stats st;

/* Lookup tables beside the policy: CSV keyed on its first column, whose
 * values include the records' (the scalars below, unescaped), and NDJSON
 * keyed on "k", rows of different members. */
static const char csv_table[] =
	"s,c,zone\nv,A,z1\n1,B,z2\ntrue,,z3\n12345,D,\"z,4\"\n"
	"2026-01-02T03:04:05Z,F,z6\n";
static const char ndjson_table[] =
	"{\"k\":\"v\",\"x\":1,\"y\":[1,{\"z\":2}]}\n"
	"{\"k\":\"esc\\n\\u00e9\\\"\",\"y\":null}\n"
	"{\"k\":\"-0.5\",\"n\":\"from the table\",\"x\":3}\n"
	"{\"k\":\"false\",\"x\":4,\"c\":5}\n";

static void setup(void)
{
	char file[4096];

	memset(&pol, 0, sizeof pol);
	memset(&out, 0, sizeof out);
	memset(&err, 0, sizeof err);
	memset(&st, 0, sizeof st);
	ck_assert_int_eq(setenv("FUSE_TEST_KEY", "fuse-key", 1), 0);
	ck_assert_ptr_nonnull(pol.tmp = tu_tmpdir());
	ck_assert_int_eq(tu_write(pol.tmp, "t.csv", csv_table, strlen(csv_table), file,
				  sizeof file), 0);
	ck_assert_int_eq(tu_write(pol.tmp, "u.ndjson", ndjson_table, strlen(ndjson_table), file,
				  sizeof file), 0);
}

static void teardown(void)
{
	inf_buf_free(&out);
	tu_step_free(&pol);
}

/* Loads policy text; returns access point `name`, writable so that a
 * test can take its fused chain away. */
static struct inf_access_point *policy(const char *text, const char *name)
{
	const struct inf_access_point *ap;

	ck_assert_msg(tu_policy_text(&pol, "p.cfg", text, NULL, 0) == 0, "%s\n%s",
		      tu_errs_text(&pol.errs), text);
	ap = inf_policy_find(pol.pol, name);
	ck_assert_ptr_nonnull(ap);
	return (struct inf_access_point *)ap;
}

#define AP(settings, steps) \
	"access_points = ( { name = \"t\"; " settings " chain = ( " steps " ); } );\n"
#define DROP(p) "{ plugin = \"drop_fields\"; paths = [ " p " ]; }"
#define MASK(p, op) "{ plugin = \"mask_fields\"; paths = [ " p " ]; " op " }"
#define HMAC "op = \"hmac\"; key_env = \"FUSE_TEST_KEY\";"
#define SET(f) "{ plugin = \"enrich\"; " f " }"
#define KEEP(p) "{ plugin = \"keep_fields\"; paths = [ " p " ]; }"
#define FILTER(how, c) "{ plugin = \"filter_records\"; " how " = " c "; }"
#define RULE(p, op, v) "{ path = \"" p "\"; op = \"" op "\"; value = " v "; }"
#define CSV(more) SET("lookup_file = \"t.csv\"; lookup_key = \"s\"; " more)
#define NDJ(more) SET("lookup_file = \"u.ndjson\"; lookup_column = \"k\"; lookup_key = \"b\"; " more)

/* Chains the core fuses, and the same chain changed so that it cannot;
 * both give the same records (fuse.h). */
START_TEST(test_fused_when_declared)
{
	static const char *const yes[] = {
		DROP("\"price\", \"discount\"") ", " MASK("\"cust_id\"", HMAC) ", "
			SET("set = { pipeline = \"p\"; };"),
		MASK("\"a\"", "op = \"redact\";"),
		SET("set = { x = 1; }; set_json = { y = \"null\"; }; overwrite = true;"),
		DROP("\"a\"") ", " DROP("\"b\""),
		MASK("\"a\"", "op = \"partial\";") ", " MASK("\"a\"", HMAC),
		MASK("\"a\"", "op = \"null\";") ", " SET("set = { a = 1; }; overwrite = true;"),
		DROP("\"a\"") ", " SET("set = { a = 1; };"),
		SET("set = { x = 1; };") ", " MASK("\"y\"", "op = \"hash\";"),
		MASK("\"a\", \"a\"", "op = \"char_class\";"),
		KEEP("\"a\""),
		KEEP("\"a\", \"b\"") ", " MASK("\"a\"", HMAC) ", " KEEP("\"a\"") ", "
			SET("set = { b = 1; };"),
		MASK("\"a\"", HMAC) ", " KEEP("\"a\", \"b\""),
		DROP("\"a\"") ", " KEEP("\"a\", \"b\""),
		FILTER("keep", "{ path = \"a\"; op = \"exists\"; }"),
		FILTER("drop", RULE("a", "eq", "1")) ", " DROP("\"a\"") ", " MASK("\"b\"", HMAC),
		MASK("\"b\"", HMAC) ", " FILTER("drop", "{ any = ( " RULE("a", "eq", "1") ", "
						  RULE("c", "gt", "2") " ); }") ", " KEEP("\"b\""),
		FILTER("keep", RULE("a", "eq", "1")) ", " FILTER("drop", RULE("a", "eq", "2")),
		SET("set = { a = 1; };") ", " DROP("\"b\""),
		SET("set = { n = 1; };") ", " DROP("\"a\"") ", " SET("set = { m = 1; };") ", "
			DROP("\"b\""),
		CSV(""),
		CSV("lookup_default = { zone = \"none\"; q = 1; }; set = { t = 2; };") ", "
			DROP("\"s\", \"a\""),
		NDJ("") ", " FILTER("drop", RULE("b", "eq", "1")) ", " DROP("\"a\""),
		MASK("\"x\"", HMAC) ", " CSV(""),
	};
	static const char *const no[] = {
		DROP("\"a\""), /* inf_json_drop_top's */
		MASK("\"a\"", "op = \"round\"; digits = 1;"),
		MASK("\"a.b\"", "op = \"redact\";"),
		DROP("\"**.password\"") ", " MASK("\"a\"", "op = \"redact\";"),
		KEEP("\"a.b\""),
		KEEP("\"*\""),
		MASK("\"a\"", HMAC) ", " KEEP("\"b\""),
		SET("set = { a = 1; };") ", " KEEP("\"a\""),
		SET("add_time = \"t\";"),
		SET("set = { a = 1; };") ", " MASK("\"a\"", "op = \"redact\";"),
		SET("set = { a = 1; };") ", " SET("set = { a = 2; };"),
		DROP("\"a\"") ", " SET("set = { n = 1; };") ", " DROP("\"b\""),
		KEEP("\"a\"") ", " SET("set = { n = 1; };") ", " DROP("\"b\""),
		MASK("\"a\"", HMAC) ", " DROP("\"a\""),
		MASK("\"a\"", "op = \"redact\"; when = { path = \"b\"; op = \"exists\"; };"),
		FILTER("keep", RULE("a.b", "eq", "1")),
		FILTER("keep", RULE("**.a", "eq", "1")),
		DROP("\"a\"") ", " FILTER("keep", RULE("a", "eq", "1")),
		MASK("\"a\"", HMAC) ", " FILTER("keep", RULE("a", "eq", "1")),
		SET("set = { a = 1; };") ", " FILTER("keep", RULE("a", "eq", "1")),
		KEEP("\"b\"") ", " FILTER("keep", RULE("a", "eq", "1")),
		CSV("overwrite = true;"),
		CSV("add_time = \"t\";"),
		SET("lookup_file = \"t.csv\"; lookup_key = \"s.x\";"),
		DROP("\"s\"") ", " CSV(""),
		MASK("\"s\"", HMAC) ", " CSV(""),
		CSV("") ", " DROP("\"zone\""),
		CSV("") ", " SET("set = { c = 1; };"),
		SET("set = { zone = 1; };") ", " CSV(""),
		NDJ("") ", " NDJ(""),
		NDJ("") ", " CSV(""), /* both may add c */

		FILTER("keep", RULE("a", "eq", "1")) ", "
			MASK("\"b\"", "op = \"redact\"; when = { path = \"b\"; op = \"exists\"; };"),
		"{ plugin = \"removes_v1\"; paths = [ \"a\" ]; }, " MASK("\"b\"", "op = \"null\";"),
	};
	char text[2048];

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		snprintf(text, sizeof text, AP("", "%s"), yes[i]);
		ck_assert_msg(policy(text, "t")->fused != NULL, "not fused: %s", yes[i]);
	}
	for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
		snprintf(text, sizeof text, AP("", "%s"), no[i]);
		ck_assert_msg(policy(text, "t")->fused == NULL, "fused: %s", no[i]);
	}
	/* what a set adds must be within the access point's limits */
	ck_assert_ptr_nonnull(policy(AP("max_depth = 2;", SET("set = { o = { p = 1; }; };")),
				     "t")->fused);
	ck_assert_ptr_null(policy(AP("max_depth = 1;", SET("set = { o = { p = 1; }; };")),
				  "t")->fused);
	ck_assert_ptr_null(policy(AP("max_key_bytes = 3;", SET("set = { long = 1; };")),
				  "t")->fused);
	/* and so must every row a lookup may add, and its default */
	ck_assert_ptr_nonnull(policy(AP("max_depth = 3;", NDJ("")), "t")->fused);
	ck_assert_ptr_null(policy(AP("max_depth = 2;", NDJ("")), "t")->fused);
	ck_assert_ptr_nonnull(policy(AP("max_key_bytes = 4;", CSV("")), "t")->fused);
	ck_assert_ptr_null(policy(AP("max_key_bytes = 3;", CSV("")), "t")->fused);
	ck_assert_ptr_null(policy(AP("max_key_bytes = 4;", CSV("lookup_default = { longer = 1; };")),
				  "t")->fused);
}
END_TEST

/* Runs `ap` over `in` on the steps (fused taken away) and fused, and
 * asserts the same answer. */
static void same(struct inf_access_point *ap, const char *in, const char *chain)
{
	struct inf_fuse *f = ap->fused;
	struct inf_buf want = { 0 };
	struct inf_error err_ref;
	struct inf_stats st_ref;
	int rc_ref, rc;

	ap->fused = NULL;
	rc_ref = tu_transform(ap, NULL, in, strlen(in), 0, &want, &err_ref, &st_ref);
	ap->fused = f;
	inf_buf_reset(&out);
	rc = tu_transform(ap, NULL, in, strlen(in), 0, &out, &err, &st);
	ck_assert_msg(rc == rc_ref, "%s: rc %d, on the steps %d (%s)", chain, rc, rc_ref,
		      err_ref.msg);
	if (out.len != want.len || memcmp(out.data, want.data, out.len)) {
		size_t at = 0; /* the line where they part */
		for (size_t i = 0; i < out.len && i < want.len && out.data[i] == want.data[i]; i++)
			if (out.data[i] == '\n')
				at = i + 1;
		ck_abort_msg("%.600s\nfused: %.*s\nsteps: %.*s", chain,
			     (int)(out.len - at < 300 ? out.len - at : 300), out.data + at,
			     (int)(want.len - at < 300 ? want.len - at : 300), want.data + at);
	}
	ck_assert_str_eq(err.msg, err_ref.msg);
	ck_assert_int_eq(err.kind, err_ref.kind);
	ck_assert_mem_eq(&st, &st_ref, sizeof st);
	inf_buf_free(&want);
}

/* Whether the last `same` succeeded (its output NUL-terminated). */
static int run_ok(void)
{
	ck_assert_int_eq(inf_buf_putc(&out, '\0'), 0);
	return err.kind == INF_FAIL_NONE;
}

/* That the fused pass takes the record `in` (a line) and the object of
 * that one line comes out as `want` and as the steps make it. */
static void fused_gives(struct inf_access_point *ap, const char *in, const char *want)
{
	char line[256], wline[256];
	struct inf_record r;
	struct inf_json_err je;

	inf_record_init(&r, ap->max_depth);
	inf_buf_reset(&out);
	ck_assert_msg(inf_fuse_record(ap->fused, 0, &r, in, strlen(in), &out, &je) == 0,
		      "not fused: %s", in);
	inf_record_free(&r);
	snprintf(line, sizeof line, "%s\n", in);
	snprintf(wline, sizeof wline, "%s\n", want);
	same(ap, line, in);
	ck_assert_int_eq(run_ok(), 1);
	ck_assert_str_eq(out.data, wline);
}

/* What inf_fuse_record answers: 0 and the output for the records it
 * takes, 1 for those the steps must take, the parser's error for text
 * that is not JSON. */
START_TEST(test_fuse_record_answers)
{
	static const struct {
		const char *in, *out; /* out NULL: rc */
		int rc;
	} cases[] = {
		{ "{\"a\":1,\"b\":2,\"c\":3}", "{\"b\":\"[x]\",\"c\":3,\"n\":1}", 0 },
		{ "{ \"a\" : 1 , \"b\" : \"v\" }", "{ \"b\" : \"[x]\",\"n\":1 }", 0 },
		{ "{\"a\":1}", "{\"n\":1}", 0 },
		{ " { \"a\": 1 }\t", " {\"n\":1  }\t", 0 },
		{ "{}", "{\"n\":1}", 0 },
		{ "{\"n\":0,\"b\":null}", "{\"n\":0,\"b\":\"[x]\"}", 0 },
		{ "{\"c\":{\"a\":1,\"b\":2}}", "{\"c\":{\"a\":1,\"b\":2},\"n\":1}", 0 },
		{ "{\"b\":[1,{\"b\":2}],\"a\":[]}", "{\"b\":\"[x]\",\"n\":1}", 0 },
		{ "{\"\\u0061\":1}", NULL, 1 },   /* an escaped root key */
		{ "[1]", NULL, 1 },              /* not an object */
		{ "5", NULL, 1 },
		{ "{\"a\":}", NULL, INF_ERR_INVALID },
		{ "{\"b\":1", NULL, INF_ERR_INVALID },
		{ "{\"c\":[[[[[[1]]]]]]}", NULL, INF_ERR_LIMIT }, /* max_depth 4 */
	};
	struct inf_access_point *ap = policy(AP("max_depth = 4;",
						DROP("\"a\"") ", " MASK("\"b\"", "op = \"redact\"; with = \"[x]\";")
						", " SET("set = { n = 1; };")), "t");
	struct inf_record r;
	struct inf_json_err je;

	ck_assert_ptr_nonnull(ap->fused);
	inf_record_init(&r, ap->max_depth);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int rc;

		inf_buf_reset(&out);
		ck_assert_int_eq(inf_buf_append(&out, "<", 1), 0);
		rc = inf_fuse_record(ap->fused, 0, &r, cases[i].in, strlen(cases[i].in), &out, &je);
		ck_assert_msg(rc == cases[i].rc, "%s: %d", cases[i].in, rc);
		if (cases[i].out) {
			char line[256];
			ck_assert_msg(out.len == strlen(cases[i].out) + 1 &&
					      !memcmp(out.data + 1, cases[i].out, out.len - 1),
				      "%s: got %.*s", cases[i].in, (int)out.len, out.data);
			snprintf(line, sizeof line, "%s\n", cases[i].in);
			same(ap, line, cases[i].in); /* what the steps make */
		} else {
			ck_assert_uint_eq(out.len, 1); /* nothing appended */
		}
	}
	inf_record_free(&r);

	/* a map that refuses a value sends the record to the steps */
	ap = policy(AP("", MASK("\"d\"", "op = \"truncate_date\";")), "t");
	inf_record_init(&r, ap->max_depth);
	inf_buf_reset(&out);
#define FUSE(js) inf_fuse_record(ap->fused, 0, &r, js, strlen(js), &out, &je)
	ck_assert_int_eq(FUSE("{\"d\":\"2026-11-30T13:00:00Z\"}"), 0);
	ck_assert_int_eq(FUSE("{\"d\":\"no\"}"), 1);
	ck_assert_int_eq(FUSE("{\"d\":{}}"), 1);
#undef FUSE
	ck_assert_int_eq(inf_buf_putc(&out, '\0'), 0); /* only the first appended */
	ck_assert_str_eq(out.data, "{\"d\":\"2026-11-30T00:00:00Z\"}");
	inf_record_free(&r);
}
END_TEST

/* A filter reads the members its condition names as the input has them,
 * members a later step removes included; a record it drops gets nothing
 * appended; one that holds such a member twice goes to the steps, which
 * refuse it (core/dupkeys.h). The second round meets the worker's memo
 * of answers. */
START_TEST(test_filter_answers)
{
	static const struct {
		const char *in, *out; /* out NULL: dropped */
	} cases[] = {
		{ "{\"k\":\"x\",\"a\":1}", "{\"a\":1}" },
		{ "{\"a\":1,\"k\" : \"x\"}", "{\"a\":1}" },
		{ "{\"k\":\"y\",\"a\":1}", NULL },
		{ "{\"a\":1}", NULL },
		{ "{}", NULL },
		{ "{\"k\":[\"x\"],\"a\":{\"k\":\"x\"}}", NULL },
		{ "{\"k\":\"\\u0078\"}", "{}" }, /* "x", escaped */
	};
	struct inf_access_point *ap = policy(AP("", FILTER("keep", RULE("k", "eq", "\"x\"")) ", "
						DROP("\"k\"")), "t");
	struct inf_record r;
	struct inf_json_err je;
	struct inf_buf many = { 0 };

	ck_assert_ptr_nonnull(ap->fused);
	inf_record_init(&r, ap->max_depth);
	for (size_t i = 0; i < 2 * sizeof cases / sizeof *cases; i++) {
		const char *in = cases[i % (sizeof cases / sizeof *cases)].in;
		const char *want = cases[i % (sizeof cases / sizeof *cases)].out;
		char line[256];
		int rc;

		inf_buf_reset(&out);
		ck_assert_int_eq(inf_buf_append(&out, "<", 1), 0);
		rc = inf_fuse_record(ap->fused, 0, &r, in, strlen(in), &out, &je);
		ck_assert_msg(rc == (want ? 0 : INF_FUSE_DROPPED), "%s: %d", in, rc);
		ck_assert_msg(out.len == 1 + (want ? strlen(want) : 0) &&
				      (!want || !memcmp(out.data + 1, want, out.len - 1)),
			      "%s: got %.*s", in, (int)out.len, out.data);
		snprintf(line, sizeof line, "%s\n", in);
		same(ap, line, in); /* what the steps make */
	}
	/* k twice, or 17 times: to the steps, which refuse it */
	for (int n = 2; n <= 17; n += 15) {
		inf_buf_reset(&many);
		for (int i = 0; i < n - 1; i++)
			inf_buf_printf(&many, "%s\"k\":%d,", i ? "" : "{", i);
		inf_buf_printf(&many, "\"k\":\"x\"}");
		inf_buf_reset(&out);
		ck_assert_int_eq(inf_fuse_record(ap->fused, 0, &r, many.data, many.len, &out, &je), 1);
		inf_buf_printf(&many, "\n");
		ck_assert_int_eq(inf_buf_putc(&many, '\0'), 0);
		same(ap, many.data, "many");
		ck_assert_int_eq(run_ok(), 0);
		ck_assert_msg(strstr(err.msg, "member \"k\" is in one object twice"), "%s", err.msg);
	}
	inf_buf_free(&many);
	inf_record_free(&r);
}
END_TEST

/* A lookup reads the first member with its key as the input has it (a
 * string's text, a number's or boolean's JSON text), even one a later
 * step removes, and adds the row's members that no kept member has. */
START_TEST(test_lookup_answers)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "{\"s\":\"v\",\"a\":1}", "{\"a\":1,\"c\":\"A\",\"zone\":\"z1\"}" },
		{ "{ \"s\": 1 }", "{ \"c\":\"B\",\"zone\":\"z2\" }" },
		{ "{\"s\":\"\\u0076\"}", "{\"c\":\"A\",\"zone\":\"z1\"}" },
		{ "{\"s\":null}", "{}" },
		{ "{\"s\":{\"v\":1}}", "{}" },
		{ "{\"a\":[],\"s\":\"zz\",\"c\":\"mine\"}", "{\"a\":[],\"c\":\"mine\"}" },
		{ "{\"c\":\"mine\",\"s\":\"v\"}", "{\"c\":\"mine\",\"zone\":\"z1\"}" },
		{ "{\"s\":\"1\",\"s\":\"v\"}", "{\"c\":\"B\",\"zone\":\"z2\"}" },
		{ "{\"s\":true}", "{\"c\":\"\",\"zone\":\"z3\"}" },
		{ "{\"s\":12345}", "{\"c\":\"D\",\"zone\":\"z,4\"}" },
	};
	struct inf_access_point *ap = policy(AP("", CSV("") ", " DROP("\"s\"")), "t");
	struct inf_buf many = { 0 };
	struct inf_record r;
	struct inf_json_err je;

	ck_assert_ptr_nonnull(ap->fused);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		fused_gives(ap, cases[i].in, cases[i].out);
	/* 16 members named s are read; a 17th sends the record to the steps */
	inf_record_init(&r, ap->max_depth);
	for (int n = 16; n <= 17; n++) {
		inf_buf_reset(&many);
		for (int i = 0; i < n - 1; i++)
			inf_buf_printf(&many, "%s\"s\":%d,", i ? "" : "{", i + 1);
		inf_buf_printf(&many, "\"s\":\"v\"}");
		inf_buf_reset(&out);
		ck_assert_int_eq(inf_fuse_record(ap->fused, 0, &r, many.data, many.len, &out, &je),
				 n == 16 ? 0 : 1);
		inf_buf_printf(&many, "\n");
		ck_assert_int_eq(inf_buf_putc(&many, '\0'), 0);
		same(ap, many.data, "many");
		ck_assert_int_eq(run_ok(), 1);
		ck_assert_str_eq(out.data, "{\"c\":\"B\",\"zone\":\"z2\"}\n");
	}
	inf_record_free(&r);
	inf_buf_free(&many);
}
END_TEST

/* filter_records writes its condition only when the core's plan has
 * room for it: an older core's shorter plan is left as it came. */
START_TEST(test_filter_plan_honours_size)
{
	struct inf_access_point *ap = policy(AP("", FILTER("keep", RULE("a", "eq", "1"))), "t");
	inf_plan_fn fn = inf_plugin_plan(ap->steps[0].plugin);
	struct {
		struct inf_plan p;
		unsigned char guard[32];
	} old;
	struct inf_plan p = { .size = sizeof p };
	const size_t cut = offsetof(struct inf_plan, cond);

	ck_assert_ptr_nonnull(fn);
	memset(&old, 0xa5, sizeof old);
	memset(&old.p, 0, cut);
	old.p.size = (uint32_t)cut;
	fn(ap->steps[0].instances[0], &old.p);
	ck_assert_int_eq(old.p.kind, INF_PLAN_NONE);
	for (size_t i = cut; i < sizeof old; i++)
		ck_assert_uint_eq(((const unsigned char *)&old)[i], 0xa5);
	fn(ap->steps[0].instances[0], &p);
	ck_assert_int_eq(p.kind, INF_PLAN_FILTER);
	ck_assert_ptr_nonnull(p.cond);
	ck_assert_int_eq(p.keep, 1);
}
END_TEST

/* Removals after a set: the steps add the members after the last one
 * and then remove; with every member removed, the added ones are where
 * the first one was. */
START_TEST(test_removal_after_set)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "{ \"x\":1 }", "{ \"n\":1 }" },
		{ "{\"x\":1}", "{\"n\":1}" },
		{ "{ \"x\" : 1 ,\t\"y\": 2\t}", "{ \"n\":1\t}" },
		{ "  {\n\t\"x\":[1] , \"k\":2 }", "  {\n\t\"k\":2,\"n\":1 }" },
		{ "{ \"k\":2 , \"x\":1 }", "{ \"k\":2,\"n\":1 }" },
		{ "{ }", "{\"n\":1 }" },
		{ "{ \"n\":0, \"x\":1 }", "{ \"n\":0 }" },
	};
	struct inf_access_point *ap = policy(AP("", SET("set = { n = 1; };") ", "
						DROP("\"x\", \"y\"")), "t");

	ck_assert_ptr_nonnull(ap->fused);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		fused_gives(ap, cases[i].in, cases[i].out);
	/* only when something was added before the removals: a lookup that
	 * finds no row adds nothing, and a set after the removals then adds
	 * right after '{' */
	ap = policy(AP("", CSV("") ", " DROP("\"x\", \"s\"") ", " SET("set = { n = 1; };")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{ \"s\":\"q\", \"x\":1 }", "{\"n\":1  }");
	fused_gives(ap, "{\t\"x\":1\t}", "{\"n\":1\t\t}");
	fused_gives(ap, "{ \"s\":\"v\", \"x\":1 }", "{ \"c\":\"A\",\"zone\":\"z1\",\"n\":1 }");
	fused_gives(ap, "{ \"s\":\"v\", \"x\":1, \"k\":2 }",
		    "{ \"k\":2,\"c\":\"A\",\"zone\":\"z1\",\"n\":1 }");
	/* removals on both sides of a set after the first ones, and a lookup
	 * before those: where m goes depends on whether x was all there was */
	ap = policy(AP("", CSV("") ", " DROP("\"x\"") ", " SET("set = { m = 1; };") ", "
		       DROP("\"y\"")), "t");
	ck_assert_ptr_null(ap->fused);
	ap = policy(AP("", SET("set = { n = 1; };") ", " DROP("\"x\"") ", "
		       SET("set = { m = 1; };") ", " DROP("\"y\"")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{ \"x\":1, \"y\":2 }", "{ \"n\":1,\"m\":1 }");
	fused_gives(ap, "{ \"y\":1, \"n\":2 }", "{ \"n\":2,\"m\":1 }");
	ap = policy(AP("", SET("set = { n = 1; };") ", " DROP("\"x\"") ", " DROP("\"y\"") ", "
		       SET("set = { m = 1; };")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{ \"x\":1, \"y\":2 }", "{ \"n\":1,\"m\":1 }");
	/* a key the first of two keeps names and the second does not goes */
	ap = policy(AP("", KEEP("\"a\", \"b\"") ", " KEEP("\"a\"")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{\"a\":1,\"b\":2,\"c\":3}", "{\"a\":1}");
	fused_gives(ap, "{\"b\":2,\"a\":1}", "{\"a\":1}");
}
END_TEST

/* What a map returns is checked as replace_json checks it: text that is
 * not JSON, or too deep, sends the record to the steps, which fail it;
 * the fused pass never writes it. */
/* Records past 64 KiB, which the fused pass reads member by member:
 * every member removed, or none there but blanks, and a member set after
 * the removals comes right after '{', with no comma before it. */
START_TEST(test_large_all_removed)
{
	struct inf_access_point *ap = policy(AP("", DROP("\"price\"") ", "
						SET("set = { n = 1; };")), "t");
	struct inf_buf in = { 0 };

	ck_assert_ptr_nonnull(ap->fused);
	inf_buf_puts(&in, "{\"price\":\"");
	for (int i = 0; i < 70000; i++)
		inf_buf_putc(&in, 'x');
	inf_buf_puts(&in, "\"}\n{");
	for (int i = 0; i < 70000; i++)
		inf_buf_putc(&in, ' ');
	inf_buf_puts(&in, "}\n");
	inf_buf_putc(&in, '\0');
	ck_assert_ptr_nonnull(in.data);
	same(ap, in.data, "drop every member of a large record, then set");
	ck_assert_int_eq(run_ok(), 1);
	ck_assert_int_eq(strncmp(out.data, "{\"n\":1}\n{\"n\":1 ", 15), 0);
	inf_buf_free(&in);
}
END_TEST

START_TEST(test_map_output_checked)
{
	static const struct {
		const char *json;
		int ok;
	} cases[] = { /* as the policy writes them */
		{ "[1]", 1 }, { " null ", 1 }, { "[[1]]", 1 }, { "{", 0 }, { "1 2", 0 },
		{ "[[[1]]]", 0 }, { "\\\"\\x01\\\"", 0 }, /* "\x01": a raw control byte */
	};
	char text[1024];
	struct inf_record r;
	struct inf_json_err je;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct inf_access_point *ap;
		char want[64];

		snprintf(text, sizeof text,
			 AP("max_depth = 3;", "{ plugin = \"map_json\"; paths = [ \"a\" ]; "
			    "json = \"%s\"; }"), cases[i].json);
		ap = policy(text, "t");
		ck_assert_ptr_nonnull(ap->fused);
		inf_record_init(&r, ap->max_depth);
		inf_buf_reset(&out);
		ck_assert_int_eq(inf_fuse_record(ap->fused, 0, &r, "{\"a\":1,\"b\":2}", 13, &out,
						 &je), cases[i].ok ? 0 : 1);
		inf_record_free(&r);
		same(ap, "{\"a\":1,\"b\":2}\n", text);
		ck_assert_int_eq(run_ok(), cases[i].ok);
		snprintf(want, sizeof want, "{\"a\":%s,\"b\":2}\n", cases[i].json);
		if (cases[i].ok)
			ck_assert_str_eq(out.data, want);
	}
	/* JSON on lines of its own is written on one, fused as by the steps */
	{
		struct inf_access_point *ap = policy(AP("", "{ plugin = \"map_json\"; "
							"paths = [ \"a\" ]; json = \"[1,\\n2]\"; }"), "t");

		ck_assert_ptr_nonnull(ap->fused);
		same(ap, "{\"a\":1,\"b\":2}\n", "map JSON on two lines");
		ck_assert_int_eq(run_ok(), 1);
		ck_assert_str_eq(out.data, "{\"a\":[1, 2],\"b\":2}\n");
	}
}
END_TEST

/* A set plan's lookup is held to what the core checked at load: a
 * lookup_default that is not JSON, or fields without a name, are not
 * fused; a row that is neither the table's nor the default sends the
 * record to the steps, whose set_json refuses what is not JSON. */
#define ROGUE(more) "{ plugin = \"rogue_lookup\"; file = \"t.csv\"; key = \"s\"; " more " }"
START_TEST(test_lookup_contract)
{
	struct inf_access_point *ap;
	struct inf_record r;
	struct inf_json_err je;

	ap = policy(AP("", ROGUE("")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{\"s\":\"v\"}", "{\"s\":\"v\",\"c\":\"A\",\"zone\":\"z1\"}");
	fused_gives(ap, "{\"s\":\"w\"}", "{\"s\":\"w\",\"region\":null}");
	ap = policy(AP("", ROGUE("dflt = \"\\\"unterminated\";")), "t");
	ck_assert_ptr_null(ap->fused);
	ap = policy(AP("", ROGUE("null_name = true;")), "t");
	ck_assert_ptr_null(ap->fused);
	/* a rogue row: the fused pass declines, the steps fail the record */
	ap = policy(AP("", ROGUE("rogue = \"\\\"unterminated\";")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	inf_record_init(&r, ap->max_depth);
	inf_buf_reset(&out);
	ck_assert_int_eq(inf_fuse_record(ap->fused, 0, &r, "{\"s\":\"w\"}", 9, &out, &je), 1);
	inf_record_free(&r);
	same(ap, "{\"s\":\"v\"}\n{\"s\":\"w\"}\n", "rogue");
	ck_assert_int_eq(run_ok(), 0);
	/* ... and one that is JSON, on lines of its own, is written on one */
	ap = policy(AP("", ROGUE("rogue = \"[1,\\n2]\"; dflt = \"{\\\"a\\\":\\r\\n1}\";")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	same(ap, "{\"s\":\"w\"}\n", "rogue JSON");
	ck_assert_int_eq(run_ok(), 1);
	ck_assert_str_eq(out.data, "{\"s\":\"w\",\"region\":[1, 2]}\n");
	/* the default's JSON, and a set's, on lines of their own: on one */
	ap = policy(AP("", ROGUE("dflt = \"{\\\"a\\\":\\r\\n1}\";")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{\"s\":\"w\"}", "{\"s\":\"w\",\"region\":{\"a\":  1}}");
	ap = policy(AP("", "{ plugin = \"enrich\"; set_json = { x = \"[1,\\n2]\"; }; }"), "t");
	ck_assert_ptr_nonnull(ap->fused);
	fused_gives(ap, "{\"s\":1}", "{\"s\":1,\"x\":[1, 2]}");
}
END_TEST

/* A map that answers anything but 0, a positive status too, leaves the
 * record to the steps: the value is never kept as it was. */
START_TEST(test_map_status)
{
	static const long long statuses[] = { 1, 7, INF_ERR_INVALID };
	char text[1024];
	struct inf_record r;
	struct inf_json_err je;

	for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
		struct inf_access_point *ap;

		snprintf(text, sizeof text,
			 AP("", "{ plugin = \"map_json\"; paths = [ \"a\" ]; status = %lld; }"),
			 statuses[i]);
		ap = policy(text, "t");
		ck_assert_ptr_nonnull(ap->fused);
		inf_record_init(&r, ap->max_depth);
		inf_buf_reset(&out);
		ck_assert_int_eq(inf_fuse_record(ap->fused, 0, &r, "{\"a\":1}", 7, &out, &je), 1);
		inf_record_free(&r);
		same(ap, "{\"a\":\"secret\"}\n", text);
		ck_assert_int_eq(run_ok(), 0);
	}
}
END_TEST

/* A map may answer with the very text it was given, which may lie in a
 * buffer of the core's: the next map's answer must not be written over
 * it (map_json's echo: each step makes the value the string of its JSON
 * text, longer each time; a sanitizer build sees the overlap). */
START_TEST(test_map_answers_with_its_input)
{
#define ECHO "{ plugin = \"map_json\"; paths = [ \"a\" ]; echo = true; }"
	struct inf_access_point *ap = policy(AP("", ECHO ", " ECHO), "t");

	ck_assert_ptr_nonnull(ap->fused);
	same(ap, "{\"a\":\"x\",\"b\":1}\n{\"a\":12.5}\n{\"a\":{\"x\":[true]}}\n", "echo");
	ck_assert_int_eq(run_ok(), 1);
	ck_assert_str_eq(out.data,
			 "{\"a\":\"\\\"\\\\\\\"x\\\\\\\"\\\"\",\"b\":1}\n"
			 "{\"a\":\"\\\"12.5\\\"\"}\n"
			 "{\"a\":\"\\\"{\\\\\\\"x\\\\\\\":[true]}\\\"\"}\n");
#undef ECHO
}
END_TEST

/* ---- random records through random chains, fused and not ---- */

/* short keys, and long ones that share a slot of core/fuse.c (length,
 * first and last byte) with another */
static const char *const keys[] = {
	"a", "b", "c", "price", "s", "d", "caf\xC3\xA9", "n", "discount", "dixcount",
	"priority_shipping", "priorXty_shipping", "priority_shipXing", "request_id_x",
	"request_iX_x", "rXquest_id_x", "statXs", "statYs",
};
#define NKEYS (sizeof keys / sizeof *keys)
static const char *const scalars[] = {
	"1", "-0.5", "1e3", "0", "\"v\"", "\"\"", "\"esc\\n\\u00e9\\\"\"", "\"2026-01-02T03:04:05Z\"",
	"\"\xC3\xBC\xE2\x82\xAC\"", "true", "false", "null", "\"1999-12-31\"", "\"12345\"",
};
static const char *const ws[] = { "", "", "", " ", "  ", "\t", " \t " };

static void value(struct inf_buf *b, unsigned long *rs, int depth);

static void object(struct inf_buf *b, unsigned long *rs, int depth)
{
	unsigned n = tu_rnd(rs, 6);

	inf_buf_printf(b, "{%s", ws[tu_rnd(rs, 7)]);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = tu_rnd(rs, (unsigned)NKEYS + 1);
		if (i)
			inf_buf_printf(b, "%s,%s", ws[tu_rnd(rs, 7)], ws[tu_rnd(rs, 7)]);
		if (k == NKEYS) /* an escaped key now and then */
			inf_buf_printf(b, "\"\\u0062\"");
		else
			inf_buf_printf(b, "\"%s\"", keys[k]);
		inf_buf_printf(b, "%s:%s", ws[tu_rnd(rs, 7)], ws[tu_rnd(rs, 7)]);
		value(b, rs, depth + 1);
	}
	inf_buf_printf(b, "%s}", ws[tu_rnd(rs, 7)]);
}

static void value(struct inf_buf *b, unsigned long *rs, int depth)
{
	unsigned w = tu_rnd(rs, 10);

	if (depth < 3 && w == 0) {
		object(b, rs, depth);
	} else if (depth < 3 && w == 1) {
		inf_buf_printf(b, "[");
		value(b, rs, depth + 1);
		inf_buf_printf(b, ",%s", ws[tu_rnd(rs, 7)]);
		value(b, rs, depth + 1);
		inf_buf_printf(b, "]");
	} else {
		inf_buf_printf(b, "%s", scalars[tu_rnd(rs, sizeof scalars / sizeof *scalars)]);
	}
}

/* A line of NDJSON: mostly objects, some other values, some not JSON. */
static void record(struct inf_buf *b, unsigned long *rs)
{
	/* bad ones that leave nothing open: under drop_record, one that does
	 * fails the object (a value written across lines) */
	static const char *const odd[] = { "5", "\"x\"", "[1,{\"a\":2}]", "{\"a\":}",
		"{\"a\" 1}", "{\"a\":1,}", "{\"a\":[1,2]]", "{\"b\":tru}" };
	unsigned w = tu_rnd(rs, 40);

	inf_buf_printf(b, "%s", ws[tu_rnd(rs, 7)]);
	if (w < 8)
		inf_buf_printf(b, "%s", odd[w]);
	else
		object(b, rs, 0);
	inf_buf_printf(b, "%s\n", ws[tu_rnd(rs, 7)]);
}

/* The steps fuse.c can take, each naming members of `keys`. */
static const char *const steps[] = {
	DROP("\"a\""),
	DROP("\"price\", \"b\""),
	DROP("\"caf\xC3\xA9\""),
	MASK("\"b\"", HMAC " prefix = \"h:\";"),
	MASK("\"a\", \"s\"", "op = \"hash\";"),
	MASK("\"s\"", "op = \"redact\"; with = \"[x]\";"),
	MASK("\"c\"", "op = \"null\";"),
	MASK("\"b\", \"c\"", "op = \"partial\"; keep_last = 2;"),
	MASK("\"s\"", "op = \"char_class\";"),
	MASK("\"d\"", "op = \"truncate_date\"; unit = \"month\";"),
	SET("set = { n = 1; t = \"tag\"; };"),
	SET("set = { c = { x = [ 1, 2 ]; }; }; overwrite = true;"),
	SET("set_json = { d = \"null\"; }; set = { price = 0.5; };"),
	DROP("\"discount\", \"priority_shipping\""),
	MASK("\"dixcount\", \"request_id_x\"", "op = \"null\";"),
	SET("set = { priorXty_shipping = true; };"),
	SET("set = { x1 = 1; x2 = [ ]; c = 3; };"), /* some records hold c */
	MASK("\"statXs\"", "op = \"redact\";"),
	KEEP("\"a\", \"b\", \"s\", \"c\", \"d\", \"priorXty_shipping\""),
	KEEP("\"b\", \"caf\xC3\xA9\", \"statXs\", \"price\", \"n\""),
	FILTER("drop", RULE("s", "eq", "\"v\"")),
	FILTER("keep", "{ not = " RULE("b", "in", "( 1, \"v\", true )") "; }"),
	FILTER("drop", "{ any = ( " RULE("n", "gt", "0") ", { path = \"caf\xC3\xA9\"; op = "
			"\"matches\"; value = \"^[0-9]\"; } ); }"),
	FILTER("keep", "{ all = ( { path = \"d\"; op = \"missing\"; }, "
			RULE("statYs", "ne", "false") " ); }"),
	CSV("lookup_default = { zone = \"none\"; };"),
	NDJ("set = { t = \"x\"; }; lookup_default = { y = \"no\"; n = 0; };"),
	CSV(""),
};

START_TEST(test_fused_same_as_steps)
{
	unsigned long rs = 0x5eed0000UL + (unsigned long)_i;
	const unsigned chains = tu_valgrind() ? 40 : 400, recs = 60;
	struct inf_buf in = { 0 }, chain = { 0 }, text = { 0 };
	unsigned fused = 0;

	for (unsigned c = 0; c < chains; c++) {
		unsigned n = 1 + tu_rnd(&rs, 4);
		int drop_record = tu_rnd(&rs, 2);
		struct inf_access_point *ap;

		inf_buf_reset(&chain);
		for (unsigned i = 0; i < n; i++)
			inf_buf_printf(&chain, "%s%s", i ? ", " : "",
				       steps[tu_rnd(&rs, sizeof steps / sizeof *steps)]);
		inf_buf_reset(&text);
		inf_buf_printf(&text,
			       "access_points = ( { name = \"t\"; format = \"ndjson\"; max_depth = %u; "
			       "%s chain = ( %.*s ); } );\n",
			       4 + tu_rnd(&rs, 3), drop_record ? "on_error = \"drop_record\";" : "",
			       (int)chain.len, chain.data);
		ap = policy(text.data, "t");
		if (!ap->fused)
			continue; /* a set key named after it, say */
		fused++;
		inf_buf_reset(&in);
		for (unsigned k = 0; k < recs; k++)
			record(&in, &rs);
		ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
		same(ap, in.data, text.data);
		/* each record alone: under on_error = fail one bad record
		 * hides what the fused pass makes of the rest */
		for (char *line = in.data, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			char one[4096];
			snprintf(one, sizeof one, "%.*s", (int)(nl + 1 - line), line);
			same(ap, one, text.data);
		}
	}
	ck_assert_uint_gt(fused, chains / 3);
	inf_buf_free(&in);
	inf_buf_free(&chain);
	inf_buf_free(&text);
}
END_TEST

/* The same on two threads, past one batch, so that each worker's own
 * step instances and memo of filter answers are used. */
START_TEST(test_fused_parallel)
{
	struct inf_access_point *ap;
	struct inf_buf in = { 0 };
	unsigned long rs = 7;

	ck_assert_int_eq(setenv("INFLIGHT_THREADS", "2", 1), 0);
	ap = policy(AP("format = \"ndjson\"; on_error = \"drop_record\";",
		       DROP("\"price\"") ", " MASK("\"b\"", HMAC) ", "
		       FILTER("drop", RULE("s", "eq", "\"v\"")) ", "
		       MASK("\"d\"", "op = \"truncate_date\";") ", " SET("set = { n = 1; };")), "t");
	ck_assert_ptr_nonnull(ap->fused);
	ck_assert_uint_eq(ap->workers, 2);
	/* past two 256 KiB batches (records average under 100 bytes) */
	for (unsigned k = 0; k < 40000 && in.len < 600u * 1024u; k++)
		record(&in, &rs);
	ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
	ck_assert_uint_gt(in.len, 512u * 1024u);
	same(ap, in.data, "parallel");
	ck_assert_uint_gt(st.records_failed, 0);
	ck_assert_uint_gt(st.records_dropped, 0);
	unsetenv("INFLIGHT_THREADS");
	inf_buf_free(&in);
}
END_TEST

static Suite *fuse_suite(void)
{
	Suite *s = suite_create("fuse");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fused_when_declared);
	tcase_add_test(tc, test_fuse_record_answers);
	tcase_add_test(tc, test_filter_answers);
	tcase_add_test(tc, test_removal_after_set);
	tcase_add_test(tc, test_large_all_removed);
	tcase_add_test(tc, test_filter_plan_honours_size);
	tcase_add_test(tc, test_lookup_answers);
	tcase_add_test(tc, test_map_output_checked);
	tcase_add_test(tc, test_lookup_contract);
	tcase_add_test(tc, test_map_answers_with_its_input);
	tcase_add_test(tc, test_map_status);
	tcase_add_loop_test(tc, test_fused_same_as_steps, 0, 2);
	tcase_add_test(tc, test_fused_parallel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(fuse_suite());
}
