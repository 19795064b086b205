/*
 * Chains end to end (core/chain.c over core/frame.c and core/record.c):
 * a policy is loaded with the real loader and inf_transform runs objects
 * through it. Outputs are compared byte for byte: what the chain does
 * not touch must come out exactly as it went in.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "testutil.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

/* The core's realloc (linked with -Wl,--wrap=realloc) fails while
 * BOOM_NO_MEMORY is set: the boom plugin sets it around a host service
 * (its "starved" record). */
void *__wrap_realloc(void *p, size_t n)
{
	return getenv("BOOM_NO_MEMORY") ? NULL : __real_realloc(p, n);
}

static char *tmp;
static char dirs[2 * PATH_MAX];
static struct inf_policy *pol;
static struct inf_policy_errors errs;
static struct inf_buf out;
static struct inf_error err;
static struct inf_stats st;

static void setup(void)
{
	tmp = tu_tmpdir();
	ck_assert_ptr_nonnull(tmp);
	tu_plugin_dirs(dirs, sizeof dirs);
	pol = NULL;
	memset(&errs, 0, sizeof errs);
	memset(&out, 0, sizeof out);
	memset(&err, 0, sizeof err);
	memset(&st, 0, sizeof st);
}

static void teardown(void)
{
	inf_buf_free(&out);
	inf_policy_free(pol);
	pol = NULL;
	inf_policy_errors_free(&errs);
	tu_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

/* Loads policy text (written to tmp/p.cfg); returns access point `name`. */
static const struct inf_access_point *policy(const char *text, const char *name)
{
	char path[PATH_MAX];
	const struct inf_access_point *ap;

	inf_policy_free(pol);
	pol = NULL;
	ck_assert_int_eq(tu_write(tmp, "p.cfg", text, strlen(text), path, sizeof path), 0);
	ck_assert_msg(inf_policy_load(path, dirs, &pol, &errs) == 0, "%s", tu_errs_text(&errs));
	ap = inf_policy_find(pol, name);
	ck_assert_ptr_nonnull(ap);
	return ap;
}

static const struct inf_access_point *store_events(void)
{
	char path[PATH_MAX];
	const struct inf_access_point *ap;

	snprintf(path, sizeof path, "%s/policies/store-events.cfg", tu_src());
	ck_assert_msg(inf_policy_load(path, dirs, &pol, &errs) == 0, "%s", tu_errs_text(&errs));
	ap = inf_policy_find(pol, "lambda-consumer");
	ck_assert_ptr_nonnull(ap);
	return ap;
}

/* Runs `ap` over `in` fed `chunk` bytes at a time; output in `out`. */
static int run(const struct inf_access_point *ap, const struct inf_request *req,
	       const char *in, size_t chunk)
{
	inf_buf_reset(&out);
	return tu_transform(ap, req, in, strlen(in), chunk, &out, &err, &st);
}

/* Runs and expects success with exactly `want`, whatever the chunking. */
static void expect(const struct inf_access_point *ap, const char *in, const char *want)
{
	static const size_t chunks[] = { 0, 1, 2, 7, 64 };

	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		ck_assert_msg(run(ap, NULL, in, chunks[i]) == 0, "chunk %zu: %s", chunks[i], err.msg);
		ck_assert_msg(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0,
			      "chunk %zu:\n got: %s\nwant: %s", chunks[i], out.data, want);
		ck_assert_uint_eq(st.bytes_in, strlen(in));
		ck_assert_uint_eq(st.bytes_out, strlen(want));
	}
}

/* One access point "t" with the given settings and steps. */
#define AP(settings, steps) \
	"access_points = ( { name = \"t\"; " settings " chain = ( " steps " ); } );\n"
#define DROP(p) "{ plugin = \"drop_fields\"; paths = [ " p " ]; }"
#define KEEP(p) "{ plugin = \"keep_fields\"; paths = [ " p " ]; }"
#define BOOM "{ plugin = \"boom\"; }"

/* ---- store-events.cfg ---- */

START_TEST(test_store_events_ndjson)
{
	static const char in[] =
		"{\"id\":1,\"price\":9.5,\"sku\":\"a\"}\n"
		"{\"discount\":0.1,\"id\":2, \"price\" : 3 }\r\n"
		"\n"
		"{\"id\":3,\"nested\":{\"price\":1},\"prices\":[1]}\n"
		"  {\"price\":1}\t\n"
		"{\"id\":5,\"price\":null}";
	static const char want[] =
		"{\"id\":1,\"sku\":\"a\"}\n"
		"{\"id\":2 }\r\n"
		"\n"
		"{\"id\":3,\"nested\":{\"price\":1},\"prices\":[1]}\n"
		"  {}\t\n"
		"{\"id\":5}";
	const struct inf_access_point *ap = store_events();

	expect(ap, in, want);
	ck_assert_uint_eq(st.records_in, 5);
	ck_assert_uint_eq(st.records_out, 5);
	ck_assert_uint_eq(st.records_dropped, 0);
	ck_assert_uint_eq(st.records_failed, 0);
}
END_TEST

START_TEST(test_store_events_array)
{
	static const char in[] =
		"[\n  {\"id\":1,\"price\":2},\n  {\"discount\":3,\"id\":2} ,{\"id\":3, \"x\": [\"price\"]}\n]\n";
	static const char want[] =
		"[\n  {\"id\":1},\n  {\"id\":2} ,{\"id\":3, \"x\": [\"price\"]}\n]\n";
	const struct inf_access_point *ap = store_events();
	struct inf_transform *t;

	expect(ap, in, want);
	ck_assert_uint_eq(st.records_in, 3);
	ck_assert_uint_eq(st.records_out, 3);
	t = inf_transform_new(ap, NULL, tu_sink, &out, &err);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(inf_transform_write(t, in, 3), 0);
	ck_assert_int_eq(inf_transform_format(t), INF_FMT_ARRAY);
	inf_transform_free(t);
}
END_TEST

START_TEST(test_store_events_document)
{
	static const char in[] =
		"\xEF\xBB\xBF{\n"
		"  \"event\": \"sale\",\n"
		"  \"price\": 12.50,\n"
		"  \"lines\": [ {\"sku\": \"a\", \"price\": 1} ],\n"
		"  \"discount\": { \"pct\": 10 }\n"
		"}\n";
	static const char want[] =
		"{\n"
		"  \"event\": \"sale\",\n"
		"  \"lines\": [ {\"sku\": \"a\", \"price\": 1} ]\n"
		"}\n";
	const struct inf_access_point *ap = store_events();

	expect(ap, in, want);
	ck_assert_uint_eq(st.records_in, 1);
	ck_assert_uint_eq(st.records_out, 1);
}
END_TEST

START_TEST(test_untouched_is_identical)
{
	static const char in[] =
		"{ \"a\" : 1.0e3 , \"s\" : \"\\u00e9\\/\" , \"n\":[ ] }\r\n"
		"{\"l\":[1,2]}\n"
		"\"just a string\"\n"
		"null\n";
	const struct inf_access_point *ap = store_events();

	expect(ap, in, in);
	ck_assert_uint_eq(st.records_in, 4);
	ck_assert_uint_eq(st.records_out, 4);
}
END_TEST

START_TEST(test_empty_object)
{
	const struct inf_access_point *ap = store_events();

	expect(ap, "", "");
	ck_assert_uint_eq(st.records_in, 0);
	expect(ap, "\n\n", "\n\n");
	ck_assert_uint_eq(st.records_in, 0);
}
END_TEST

/* ---- failures ---- */

START_TEST(test_bad_record_fails)
{
	static const char in[] = "{\"a\":1}\n{\"a\":}\n{\"a\":3}\n";
	const struct inf_access_point *ap = policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t");

	ck_assert_int_eq(run(ap, NULL, in, 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
	ck_assert_msg(strstr(err.msg, "record 2 (line 2): invalid JSON") != NULL, "%s", err.msg);
	ck_assert_ptr_null(strstr(out.data ? out.data : "", "{\"a\":3}"));
	ck_assert_uint_eq(st.records_failed, 0);

	/* the line counts blank lines; the record number does not */
	ck_assert_int_eq(run(ap, NULL, "{}\n\n\n[1,]\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
	ck_assert_msg(strstr(err.msg, "record 2 (line 4)") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_bad_record_dropped)
{
	static const char in[] = "{\"a\":1}\n{\"a\":}\n{\"a\":3,\"price\":1}\n[1,,2]\n";
	const struct inf_access_point *ap =
		policy(AP("format = \"ndjson\"; on_error = \"drop_record\";", DROP("\"price\"")), "t");

	expect(ap, in, "{\"a\":1}\n{\"a\":3}\n");
	ck_assert_uint_eq(st.records_in, 4);
	ck_assert_uint_eq(st.records_out, 2);
	ck_assert_uint_eq(st.records_failed, 2);
	ck_assert_uint_eq(st.records_dropped, 0);
	ck_assert_int_eq(err.kind, INF_FAIL_NONE);

	/* in ndjson framing a whole array line is one record */
	expect(ap, "[{\"a\":1},{\"a\":tru},{\"a\":2}]\n{}\n", "{}\n");
	ck_assert_uint_eq(st.records_failed, 1);

	ap = policy(AP("format = \"array\"; on_error = \"drop_record\";", DROP("\"price\"")), "t");
	expect(ap, "[{\"a\":1},{\"a\":tru},{\"a\":2}]", "[{\"a\":1},{\"a\":2}]");
	ck_assert_uint_eq(st.records_failed, 1);
	expect(ap, "[{\"a\":tru},{\"a\":2}]", "[{\"a\":2}]");
}
END_TEST

/* Under auto a first line that is not a JSON value makes the object a
 * document; when that does not load either, the framing cannot be told
 * (a damaged first record of ndjson looks the same), and on_error =
 * drop_record, which is about records, does not drop the whole object:
 * it fails, naming the line. */
START_TEST(test_auto_bad_first_line)
{
	const struct inf_access_point *ap =
		policy(AP("format = \"auto\"; on_error = \"drop_record\";", DROP("\"price\"")), "t");
	static const size_t chunks[] = { 0, 1, 7 };

	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		ck_assert_int_eq(run(ap, NULL, "{\"a\":1,\n{\"b\":2,\"price\":1}\n", chunks[i]), -1);
		ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
		ck_assert_msg(strstr(err.msg, "cannot tell the framing (format auto): line 1 is not "
					      "a JSON value") != NULL, "%s", err.msg);
		ck_assert_uint_eq(out.len, 0);
		ck_assert_int_eq(run(ap, NULL, "\n\n{\n\"a\":[1,\n", chunks[i]), -1);
		ck_assert_msg(strstr(err.msg, "line 3 is not a JSON value") != NULL, "%s", err.msg);
	}
	/* a document that loads is one, and a later bad line of ndjson is a
	 * record like any */
	expect(ap, "{\n\"a\":1, \"price\":2}\n", "{\n\"a\":1}\n");
	expect(ap, "{\"a\":1}\n{\"a\":}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n");
	ck_assert_uint_eq(st.records_failed, 1);
	/* but not one that leaves an object or array open: it may be a value
	 * written across lines, whose next lines ("41.5", {"cust_id":1})
	 * would pass as records; the object fails, whatever the chunks */
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"sku\":1,\"price\":\n41.5\n}\n",
				     chunks[i]), -1);
		ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
		ck_assert_str_eq(err.msg, "record 2 (line 2) leaves an object or array open at the "
			"line's end: a value written across lines, whose other lines would pass "
			"as records of their own, is not a record to skip (on_error = "
			"\"drop_record\"): invalid JSON: truncated JSON (unexpected end of record) "
			"(byte 17 of the record)");
		ck_assert_uint_eq(out.len, 0);
		/* however it is broken, and with strings holding brackets and
		 * quotes; closed, or closing more than it opens, it is skipped */
		ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\nx{\"s\":\"}]\\\"\",\"t\":[\n2\n",
				     chunks[i]), -1);
		ck_assert_msg(strstr(err.msg, "record 2 (line 2) leaves an object or array open")
			      != NULL, "%s", err.msg);
	}
	expect(ap, "{\"a\":1}\n{\"s\":\"{[\", ]}\n]}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n");
	ck_assert_uint_eq(st.records_failed, 2);
	/* a document named as such is still dropped, as README says */
	ap = policy(AP("format = \"document\"; on_error = \"drop_record\";", DROP("\"price\"")), "t");
	expect(ap, "{\"a\":1,\n{\"b\":2}\n", "");
	ck_assert_uint_eq(st.records_failed, 1);
	/* and under on_error = fail auto says what document says */
	ap = policy(AP("format = \"auto\";", DROP("\"price\"")), "t");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1,\n{\"b\":2}\n", 0), -1);
	ck_assert_msg(strstr(err.msg, "record 1 (line 1): invalid JSON") != NULL, "%s", err.msg);
}
END_TEST

/* An object that starts as a compressed or binary format does fails as
 * any bad first record, and the error says what it looks like; a later
 * record with the same bytes is only bad JSON. */
START_TEST(test_binary_object_named)
{
	static const struct {
		const char *in, *name;
	} cases[] = {
		{ "\x1f\x8b\x08\x08\x9a\x31\x2b\x69\x02\x03{\"a\":1}\n", "gzip" },
		{ "\x28\xb5\x2f\xfd\x04\x58", "zstd" },
		{ "BZh91AY&SY", "bzip2" },
		{ "\xfd" "7zXZ", "xz" },
		{ "PK\x03\x04\x14\x08", "zip" },
		{ "PAR1\x15\x04", "Parquet" },
	};
	static const char *const fmts[] = { "auto", "ndjson", "document" };
	char text[256], want[96];

	for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
		const struct inf_access_point *ap;
		snprintf(text, sizeof text, AP("format = \"%s\";", DROP("\"price\"")), fmts[f]);
		ap = policy(text, "t");
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			snprintf(want, sizeof want, "; the object starts as %s data does", cases[i].name);
			ck_assert_int_eq(run(ap, NULL, cases[i].in, 0), -1);
			ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
			ck_assert_msg(strstr(err.msg, "record 1 (line 1): invalid JSON") &&
				      strstr(err.msg, want), "%s: %s", fmts[f], err.msg);
			ck_assert_uint_eq(out.len, 0);
		}
	}
	/* an array names it too, on one thread and through the cutter of
	 * a parallel run, whose batch of bad bytes holds the signature,
	 * however few bytes each write brings */
	for (int threads = 1; threads <= 2; threads++) {
		const struct inf_access_point *ap;

		ck_assert_int_eq(setenv("INFLIGHT_THREADS", threads == 1 ? "1" : "2", 1), 0);
		ap = policy(AP("format = \"array\";", DROP("\"price\"")), "t");
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			for (size_t chunk = 0; chunk <= 4; chunk++) {
				snprintf(want, sizeof want,
					 "byte 0; the object starts as %s data does", cases[i].name);
				ck_assert_int_eq(run(ap, NULL, cases[i].in, chunk), -1);
				ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
				ck_assert_msg(strstr(err.msg, "expected '[' to open the array") &&
					      strstr(err.msg, want), "%d threads, chunk %zu: %s",
					      threads, chunk, err.msg);
				ck_assert_uint_eq(out.len, 0);
			}
		/* past the object's first byte it is only a wrong byte */
		ck_assert_int_eq(run(ap, NULL, " \x1f\x8b\x08\x08", 0), -1);
		ck_assert_msg(strstr(err.msg, "byte 1") && !strstr(err.msg, "gzip"),
			      "%s", err.msg);
	}
	unsetenv("INFLIGHT_THREADS");
	ck_assert_int_eq(run(policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t"), NULL,
			     "{\"a\":1}\n\x1f\x8b\x08\n", 0), -1);
	ck_assert_msg(strstr(err.msg, "record 2 (line 2): invalid JSON") &&
		      !strstr(err.msg, "gzip"), "%s", err.msg);
	/* the first batch of a parallel run holds the first record too */
	ck_assert_int_eq(setenv("INFLIGHT_THREADS", "2", 1), 0);
	ck_assert_int_eq(run(policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t"), NULL,
			     cases[0].in, 0), -1);
	unsetenv("INFLIGHT_THREADS");
	ck_assert_msg(strstr(err.msg, "starts as gzip data does"), "%s", err.msg);
	/* text that merely starts with those letters is not called one */
	ck_assert_int_eq(run(policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t"), NULL,
			     "BZ\n", 0), -1);
	ck_assert_msg(!strstr(err.msg, "starts as"), "%s", err.msg);
}
END_TEST

START_TEST(test_plugin_error_fails)
{
	static const char in[] = "{\"a\":1}\n{\"x\":\"boom\",\"price\":2}\n{\"a\":3}\n";
	const struct inf_access_point *ap = policy(AP("", DROP("\"price\"") ", " BOOM), "t");

	ck_assert_int_eq(run(ap, NULL, in, 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(err.msg, "record 2 (line 2): step 2 (boom) failed: found boom");
	/* a plugin that gives no message: its status is named, not "error" */
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"x\":\"mute\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(err.msg, "record 2 (line 2): step 2 (boom) failed: over a limit "
				  "(no message from the plugin)");
	/* out of memory in a plugin fails the record like any other status:
	 * never passed on as if the step had kept it */
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"x\":\"nomem\",\"price\":2}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(err.msg, "record 2 (line 2): step 2 (boom) failed: out of memory "
				  "(no message from the plugin)");
	ck_assert_str_eq(out.data, "");
}
END_TEST

/* A host service that ran out of memory under a step whose plugin took
 * its answer (string's NULL) for "not a string" and kept the record: the
 * record fails, out of memory, whatever the plugin returned; nothing of it
 * is passed on. */
START_TEST(test_service_failure_under_step_fails)
{
	const struct inf_access_point *ap =
		policy(AP("format = \"document\";", DROP("\"price\"") ", " BOOM), "t");

	ck_assert_int_eq(run(ap, NULL, "{\"x\":\"starved\\u0041\",\"price\":2}", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_NOMEM);
	ck_assert_str_eq(err.msg, "out of memory");
	ck_assert_str_eq(out.data, "");
	/* with memory, the same record passes, price dropped */
	expect(ap, "{\"x\":\"keep\\u0041\",\"price\":2}", "{\"x\":\"keep\\u0041\"}");
}
END_TEST

/* A plugin that fills err to the last byte without a NUL: the message is
 * cut to INF_ERR_MAX - 1 bytes, nothing read past the plugin's buffer. */
START_TEST(test_plugin_error_unterminated)
{
	const struct inf_access_point *ap = policy(AP("", BOOM), "t");
	const char *m;

	ck_assert_int_eq(run(ap, NULL, "{\"x\":\"fullerr\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	m = strstr(err.msg, "step 1 (boom) failed: ");
	ck_assert_msg(m != NULL, "%s", err.msg);
	m += strlen("step 1 (boom) failed: ");
	ck_assert_uint_eq(strlen(m), INF_ERR_MAX - 1);
	ck_assert_uint_eq(strspn(m, "x"), INF_ERR_MAX - 1);
}
END_TEST

/* A plugin that breaks the contract, returning a positive value (its
 * verdict as the status) or setting a verdict that is none of keep,
 * modified and drop, fails the record: the record used to pass on, so a
 * step that meant to drop or mask it let it through. */
START_TEST(test_plugin_contract_breach_fails)
{
	const struct inf_access_point *ap = policy(AP("", BOOM), "t");

	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"x\":\"positive\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(err.msg, "record 2 (line 2): step 1 (boom) failed: returned 1, "
				  "not 0 or a negative inf_status");
	ck_assert_int_eq(run(ap, NULL, "{\"x\":\"badverdict\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(err.msg, "record 1 (line 1): step 1 (boom) failed: set verdict 7, "
				  "not INF_KEEP, INF_MODIFIED or INF_DROP");
	ck_assert_str_eq(out.data ? out.data : "", "");
	/* an edit the host refused, which the step ignored: the record is
	 * not what the step meant (a value left unmasked), so it fails */
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"x\":\"ignored\",\"m\":\"secret\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(err.msg, "record 2 (line 2): step 1 (boom) failed: an edit it asked for "
				  "was refused (unexpected '*') and it went on as if made");
	ck_assert_str_eq(out.data ? out.data : "", "");
	/* ... and returned as the step's status: the host's reason, not "no
	 * message from the plugin" */
	ck_assert_int_eq(run(ap, NULL, "{\"x\":\"passrefusal\"}\n", 0), -1);
	ck_assert_str_eq(err.msg, "record 1 (line 1): step 1 (boom) failed: an edit it asked for "
				  "was refused (unexpected '*')");
	/* a refusal without a message is named by its status, as the
	 * host's, not as a plugin that gave no message */
	ck_assert_int_eq(run(ap, NULL, "{\"x\":\"badutf8\"}\n", 0), -1);
	ck_assert_str_eq(err.msg, "record 1 (line 1): step 1 (boom) failed: an edit it asked for "
				  "was refused (invalid data) and it went on as if made");
	/* a status outside inf_status is named */
	ck_assert_int_eq(run(ap, NULL, "{\"x\":\"status99\"}\n", 0), -1);
	ck_assert_str_eq(err.msg, "record 1 (line 1): step 1 (boom) failed: status -99 "
				  "(no message from the plugin)");
}
END_TEST

/* A `when` whose paths cannot look into the record (a member it names
 * holds an array) fails the record, as a plugin's own paths would: the
 * condition decided blind would be false and the step, here the one
 * that removes "price", skipped, passing the record on unredacted. */
START_TEST(test_when_refused)
{
	static const char in[] = "{\"customer\":{\"is_test\":false},\"price\":1}\n"
				 "{\"customer\":[{\"is_test\":false}],\"price\":2}\n";
#define WHEN_DROP "{ plugin = \"drop_fields\"; paths = [ \"price\" ]; " \
	"when = { path = \"customer.is_test\"; op = \"eq\"; value = false; }; }"
	const struct inf_access_point *ap = policy(AP("", WHEN_DROP), "t");

	ck_assert_int_eq(run(ap, NULL, in, 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_msg(strstr(err.msg, "record 2 (line 2): step 1 (drop_fields): when: the value of "
				      "member \"customer\" is an array") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(out.data, "\"price\":2") == NULL, "%s", out.data);

	ap = policy(AP("on_error = \"drop_record\";", WHEN_DROP), "t");
	expect(ap, in, "{\"customer\":{\"is_test\":false}}\n");
	ck_assert_uint_eq(st.records_failed, 1);
	ck_assert_uint_eq(st.records_out, 1);
#undef WHEN_DROP
}
END_TEST

/* A removal step over plain keys that starts a chain is made by the core
 * as it reads each record (policy.c fuse_removals): with no tokens when it
 * is the whole chain (inf_json_drop_top, access point "one"), with the
 * tokens of what is left when steps follow (inf_record_load_dropping,
 * "two"). A first step with a path that is not a plain key ("zz.never",
 * which these records never hold) goes through the tokens and a commit
 * ("ref"). All three give the same bytes, counts and errors, in each
 * framing, on one thread and two. */
START_TEST(test_fused_removal)
{
	static const char *const formats[] = { "ndjson", "array" };
	static const char *const recs[] = {
		"{\"a\":1,\"price\":2,\"b\":3}", "{\"price\":1}", "{ \"a\" : 1 , \"x\" : 2 }",
		"{\"\\u0061\":1,\"x\":[{\"a\":1}]}", "{\"x\":{\"price\":1}}", "5", "\"a\"",
		"{\"a\":}", "[1,2]", "{\"x\":1,\"price\":2,\"a\":3}", "{\"a\":[1,{\"b\":2}]}",
		"{\"caf\xC3\xA9\":1,\"a\":\"\xE2\x82\xAC\"}", "{\"a\":1,\"a\":2,\"y\":3}",
	};
	struct inf_buf in = { 0 }, want = { 0 };
	struct inf_stats st_ref;
	struct inf_error err_ref;
	const struct inf_access_point *fused[2], *ref;
	char text[2048];
	/* past one 256 KiB batch, so that two threads run batches at once */
	const unsigned nrec = tu_valgrind() ? 600 : 16000;

	for (unsigned i = 0; i < 2 * 2 * 2; i++) {
		const char *fmt = formats[i & 1];
		int array = i & 1, drop_record = (i >> 1) & 1;

		ck_assert_int_eq(setenv("INFLIGHT_THREADS", i >> 2 ? "2" : "1", 1), 0);
		inf_buf_reset(&in);
		if (array)
			ck_assert_int_eq(inf_buf_putc(&in, '['), 0);
		for (unsigned k = 0; k < nrec; k++) {
			const char *r = recs[(k * 7 + k / 13) % (sizeof recs / sizeof recs[0])];
			/* in the fail runs the first two thirds are valid, and on */
			if (!drop_record && (k < nrec / 3 * 2 || !strcmp(r, "{\"a\":}")))
				r = recs[k % 3];
			ck_assert_int_eq(inf_buf_printf(&in, "%s%s", k ? (array ? ",\n" : "\n") : "", r),
					 0);
		}
		if (array)
			ck_assert_int_eq(inf_buf_putc(&in, ']'), 0);
		ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
		snprintf(text, sizeof text,
			 "access_points = (\n"
			 "  { name = \"one\"; format = \"%s\"; %s chain = ( %s ); },\n"
			 "  { name = \"two\"; format = \"%s\"; %s chain = ( %s, %s ); },\n"
			 "  { name = \"ref\"; format = \"%s\"; %s chain = ( %s, %s ); } );\n",
			 fmt, drop_record ? "on_error = \"drop_record\";" : "",
			 DROP("\"price\", \"a\""), fmt,
			 drop_record ? "on_error = \"drop_record\";" : "", DROP("\"price\""),
			 DROP("\"a\""), fmt, drop_record ? "on_error = \"drop_record\";" : "",
			 DROP("\"price\", \"zz.never\""), DROP("\"a\""));
		fused[0] = policy(text, "one");
		fused[1] = inf_policy_find(pol, "two");
		ref = inf_policy_find(pol, "ref");
		ck_assert_ptr_null(ref->drop_top.match);
		inf_buf_reset(&want);
		ck_assert_int_eq(tu_transform(ref, NULL, in.data, strlen(in.data), 0, &want,
					      &err_ref, &st_ref) == 0, drop_record);
		for (int f = 0; f < 2; f++) {
			ck_assert_ptr_nonnull(fused[f]->drop_top.match);
			ck_assert_int_eq(run(fused[f], NULL, in.data, 0) == 0, drop_record);
			ck_assert_msg(out.len == want.len && !memcmp(out.data, want.data, out.len),
				      "%s, on_error %d, %s: the outputs differ", fmt, drop_record,
				      fused[f]->name);
			ck_assert_str_eq(err.msg, err_ref.msg);
			ck_assert_int_eq(err.kind, err_ref.kind);
			ck_assert_mem_eq(&st, &st_ref, sizeof st);
			if (drop_record) {
				ck_assert_uint_gt(st.records_failed, 0);
			} else { /* the first bad record is past the first two thirds */
				unsigned bad = 0;
				ck_assert_msg(sscanf(err.msg, "record %u", &bad) == 1 &&
					      bad > nrec / 3 * 2, "%s", err.msg);
			}
		}
	}
	unsetenv("INFLIGHT_THREADS");
	inf_buf_free(&in);
	inf_buf_free(&want);
}
END_TEST

/* Under on_error = drop_record the first record skipped is named as
 * on_error = fail names the record it fails on: number, line and why,
 * word for word; on two threads too, where it lies in a later batch
 * than the first, or in the batch where the object then fails (a record
 * over max_record_bytes), and in both framings. Nothing skipped names
 * nothing. */
START_TEST(test_first_skip)
{
	static const char *const formats[] = { "ndjson", "array" };
	enum { TWO_BAD, CLEAN, BAD_THEN_TOO_LARGE };
	struct inf_buf in = { 0 };
	char text[1024], first[sizeof tu_first_skip];
	/* about 1 MiB: the bad records lie past the first 256 KiB batch */
	const unsigned nrec = tu_valgrind() ? 600 : 16000;

	for (unsigned i = 0; i < 2 * 2 * 3; i++) {
		int array = i & 1, kind = (int)(i >> 2);
		unsigned bad1 = kind == TWO_BAD ? nrec / 3 * 2 + 5 : kind == CLEAN ? nrec : nrec - 5;

		ck_assert_int_eq(setenv("INFLIGHT_THREADS", (i >> 1) & 1 ? "2" : "1", 1), 0);
		inf_buf_reset(&in);
		if (array)
			ck_assert_int_eq(inf_buf_putc(&in, '['), 0);
		for (unsigned k = 0; k < nrec; k++) {
			const char *sep = k ? (array ? ",\n" : "\n") : "";

			if (k == bad1)
				ck_assert_int_eq(inf_buf_printf(&in, "%s{\"a\":}", sep), 0);
			else if (kind == TWO_BAD && k == nrec - 3)
				ck_assert_int_eq(inf_buf_printf(&in, "%s{\"a\":1 2}", sep), 0);
			else
				ck_assert_int_eq(inf_buf_printf(&in, "%s{\"a\":%u,\"price\":1,"
								 "\"pad\":\"%0*u\"}", sep, k,
								 kind == BAD_THEN_TOO_LARGE &&
								 k == nrec - 2 ? 200 : 32, k), 0);
		}
		if (array)
			ck_assert_int_eq(inf_buf_putc(&in, ']'), 0);
		ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
		snprintf(text, sizeof text,
			 "access_points = (\n"
			 "  { name = \"skip\"; format = \"%s\"; max_record_bytes = 100; "
			 "on_error = \"drop_record\"; chain = ( %s ); },\n"
			 "  { name = \"fail\"; format = \"%s\"; chain = ( %s ); } );\n",
			 formats[array], DROP("\"price\""), formats[array], DROP("\"price\""));
		ck_assert_int_eq(run(policy(text, "skip"), NULL, in.data, 0) == 0,
				 kind != BAD_THEN_TOO_LARGE);
		ck_assert_uint_eq(st.records_failed, kind == TWO_BAD ? 2 : kind == CLEAN ? 0 : 1);
		snprintf(first, sizeof first, "%s", tu_first_skip);
		if (kind == CLEAN) {
			ck_assert_str_eq(first, "");
			continue;
		}
		ck_assert_int_ne(run(inf_policy_find(pol, "fail"), NULL, in.data, 0), 0);
		ck_assert_str_eq(first, err.msg);
		ck_assert_str_eq(tu_first_skip, "");
		snprintf(text, sizeof text, "record %u (line %u): invalid JSON: ", bad1 + 1,
			 bad1 + 1);
		ck_assert_msg(!strncmp(first, text, strlen(text)), "%s", first);
	}
	unsetenv("INFLIGHT_THREADS");
	inf_buf_free(&in);
}
END_TEST

#define ROUND_ALL "{ plugin = \"mask_fields\"; paths = [ \"*\" ]; op = \"round\"; }"
#define E3 "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"
#define E30 E3 E3 E3 E3 E3 E3 E3 E3 E3 E3

/* A step's message about a key with control bytes, or cut inside a
 * character, names the first skip as on_error = fail's: on one line. */
START_TEST(test_first_skip_one_line)
{
	char first[sizeof tu_first_skip];
	static const char *const ins[] = {
		"{\"a\":1}\n{\"\\u0001\\u0001\\u001b[2J\":\"x\"}\n",
		"{\"a\":1}\n{\"" E30 "\":\"x\"}\n{\"\\u0001\":\"x\"}\n",
	};

	for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
		policy("access_points = (\n"
		       "  { name = \"skip\"; on_error = \"drop_record\"; chain = ( " ROUND_ALL " ); },\n"
		       "  { name = \"fail\"; chain = ( " ROUND_ALL " ); } );\n", "skip");
		ck_assert_int_eq(run(inf_policy_find(pol, "skip"), NULL, ins[i], 0), 0);
		ck_assert_uint_eq(st.records_failed, i + 1);
		ck_assert_msg(strstr(tu_first_skip, "record 2 (line 2): step 1 (mask_fields) failed"),
			      "%s", tu_first_skip);
		for (const char *c = tu_first_skip; *c; c++)
			ck_assert_msg((unsigned char)*c >= 0x20, "a control byte in %s", tu_first_skip);
		ck_assert_msg(strstr(tu_first_skip, i ? "\\xe2" : "\\x01\\x01\\x1b[2J"), "%s",
			      tu_first_skip);
		snprintf(first, sizeof first, "%s", tu_first_skip);
		ck_assert_int_ne(run(inf_policy_find(pol, "fail"), NULL, ins[i], 0), 0);
		ck_assert_str_eq(first, err.msg);
	}
}
END_TEST

/* Only a first removal step, without `when`, over plain keys, of a plugin
 * that declares `removes` within its size, is made by the core;
 * removes_v1 says so past its size and is called. The steps after a fused
 * one see the record without what it removed. */
START_TEST(test_fused_only_when_declared)
{
	static const char *const chains[] = {
		DROP("\"price\", \"a.b\""),
		DROP("\"price\", \"a.b\"") ", " DROP("\"a\""),
		KEEP("\"price\", \"a\"") ", " DROP("\"a\""),
		DROP("\"**.price\""),
		DROP("\"items[*]\""),
		KEEP("\"price\""),
		("{ plugin = \"drop_fields\"; paths = [ \"price\" ]; "
		 "when = { path = \"a\"; op = \"exists\"; }; }"),
		"{ plugin = \"removes_v1\"; paths = [ \"price\" ]; }",
	};
	char text[1024];
	const struct inf_access_point *ap;

	for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++) {
		snprintf(text, sizeof text, AP("", "%s"), chains[i]);
		ap = policy(text, "t");
		ck_assert_msg(ap->drop_top.match == NULL, "fused: %s", chains[i]);
	}
	expect(ap, "{\"price\":1,\"a\":2}\n", "{\"price\":\"v1\",\"a\":2}\n");
	ap = policy(AP("", DROP("\"price\", \"\\\"a.b\\\"\"")), "t");
	ck_assert_ptr_nonnull(ap->drop_top.match);
	expect(ap, "{\"price\":1,\"a.b\":2,\"a\":{\"b\":3}}\n", "{\"a\":{\"b\":3}}\n");
	/* the commit after enrich grows the record the fused step left */
	ap = policy(AP("", DROP("\"price\"") ", "
		       "{ plugin = \"enrich\"; set = { n = \"a longer value than the record\"; }; }, "
		       KEEP("\"price\", \"a\", \"n\"")), "t");
	ck_assert_ptr_nonnull(ap->drop_top.match);
	expect(ap, "{\"x\":0, \"price\":1,\"a\":{\"price\":2}}\n{\"price\":1}\n",
	       "{\"a\":{\"price\":2},\"n\":\"a longer value than the record\"}\n"
	       "{\"n\":\"a longer value than the record\"}\n");
}
END_TEST

/* A step's scalar replacements wait for the next step that reads them
 * (record.h, `carried`): its `when`, its condition, its walk and its
 * inserts all see the record as the replacements left it. */
START_TEST(test_carried_replacements_read)
{
#define H4 "69bf0bc46f51b33377c4f3d92caf876714f6bbbe99e7544487327920873f9820"
#define MASK_A "{ plugin = \"mask_fields\"; paths = [ \"a\" ]; op = \"redact\"; }"
	static const char in[] = "{\"a\":\"secret\",\"b\":1}\n{\"a\":5,\"b\":2}\n";
	const struct inf_access_point *ap;

	ap = policy(AP("", MASK_A ", "
		       "{ plugin = \"drop_fields\"; paths = [ \"b\" ]; "
		       "when = { path = \"a\"; op = \"eq\"; value = \"****\"; }; }"), "t");
	expect(ap, in, "{\"a\":\"****\"}\n{\"a\":\"****\"}\n");
	ap = policy(AP("", MASK_A ", "
		       "{ plugin = \"filter_records\"; drop = { path = \"a\"; op = \"eq\"; "
		       "value = \"secret\"; }; }"), "t");
	expect(ap, in, "{\"a\":\"****\",\"b\":1}\n{\"a\":\"****\",\"b\":2}\n");
	ap = policy(AP("", MASK_A ", "
		       "{ plugin = \"mask_fields\"; paths = [ \"a\" ]; op = \"hash\"; prefix = \"h:\"; }, "
		       "{ plugin = \"enrich\"; set = { a = 1; c = 2; }; }"), "t");
	/* SHA-256 of "****", on the redacted value */
	expect(ap, in,
	       "{\"a\":\"h:" H4 "\",\"b\":1,\"c\":2}\n{\"a\":\"h:" H4 "\",\"b\":2,\"c\":2}\n");
#undef MASK_A
#undef H4
}
END_TEST

START_TEST(test_plugin_error_dropped)
{
	static const char in[] = "{\"a\":1}\n{\"x\":\"boom\",\"price\":2}\n{\"a\":3}\n";
	const struct inf_access_point *ap =
		policy(AP("on_error = \"drop_record\";", DROP("\"price\"") ", " BOOM), "t");

	expect(ap, in, "{\"a\":1}\n{\"a\":3}\n");
	ck_assert_uint_eq(st.records_in, 3);
	ck_assert_uint_eq(st.records_out, 2);
	ck_assert_uint_eq(st.records_failed, 1);
	ck_assert_uint_eq(st.records_dropped, 0);
}
END_TEST

START_TEST(test_verdict_drop)
{
	const struct inf_access_point *ap = policy(AP("", BOOM), "t");

	expect(ap, "{\"a\":1}\n{\"a\":\"drop\"}\r\n{\"a\":3}\n{\"drop\":1}",
	       "{\"a\":1}\n{\"a\":3}\n");
	ck_assert_uint_eq(st.records_in, 4);
	ck_assert_uint_eq(st.records_out, 2);
	ck_assert_uint_eq(st.records_dropped, 2);
	ck_assert_uint_eq(st.records_failed, 0);

	expect(ap, "[{\"a\":1},{\"a\":\"drop\"},{\"a\":3}]", "[{\"a\":1},{\"a\":3}]");
	ck_assert_uint_eq(st.records_dropped, 1);
	expect(ap, "[ {\"a\":\"drop\"}, {\"a\":2} ]\n", "[ {\"a\":2} ]\n");
	expect(ap, "[{\"a\":1}, {\"a\":\"drop\"}]", "[{\"a\":1}]");
	expect(ap, "[{\"a\":\"drop\"},{\"b\":\"drop\"}]", "[]");
	ck_assert_uint_eq(st.records_dropped, 2);
	ck_assert_uint_eq(st.records_out, 0);
	expect(ap, "{\n\"drop\": true\n}\n", "");
	ck_assert_uint_eq(st.records_dropped, 1);
}
END_TEST

START_TEST(test_two_steps_see_each_other)
{
	struct inf_request req = { .access_point = "ap", .object_key = "k", .request_id = "r" };
	const struct inf_access_point *ap;

	/* boom would fail on "boom" if it saw the record before drop_fields */
	ap = policy(AP("", DROP("\"price\"") ", " BOOM), "t");
	expect(ap, "{\"price\":\"boom\",\"a\":1}\n", "{\"a\":1}\n");
	/* ... and drops a record that the step before made say "drop" */
	ap = policy(AP("", "{ plugin = \"example_stamp\"; field = \"drop\"; }, " BOOM), "t");
	expect(ap, "{\"a\":1}\n", "");
	ck_assert_uint_eq(st.records_dropped, 1);

	/* the stamp would leave "b" alone if it still saw it */
	ap = policy(AP("", KEEP("\"a\"") ", { plugin = \"example_stamp\"; field = \"b\"; }"), "t");
	ck_assert_int_eq(run(ap, &req, "{\"a\":1,\"b\":2,\"c\":3}\n", 0), 0);
	ck_assert_str_eq(out.data, "{\"a\":1,\"b\":\"ap\"}\n");

	/* keep then drop: the second step works on what the first kept */
	ap = policy(AP("", KEEP("\"a\", \"b\"") ", " DROP("\"b.x\"")), "t");
	expect(ap, "{\"a\":1,\"b\":{\"x\":1,\"y\":2},\"c\":3}\n", "{\"a\":1,\"b\":{\"y\":2}}\n");

	/* three steps, each on the one before */
	ap = policy(AP("", "{ plugin = \"example_stamp\"; field = \"s\"; }, "
			   DROP("\"a\"") ", "
			   "{ plugin = \"example_stamp\"; field = \"a\"; overwrite = true; }"), "t");
	ck_assert_int_eq(run(ap, &req, "{\"a\":0}\n", 0), 0);
	ck_assert_str_eq(out.data, "{\"s\":\"ap\",\"a\":\"ap\"}\n");
}
END_TEST

START_TEST(test_max_record_bytes)
{
	const struct inf_access_point *ap;

	ap = policy(AP("format = \"ndjson\"; max_record_bytes = 16;", DROP("\"price\"")), "t");
	expect(ap, "{\"a\":\"01234567\"}\n", "{\"a\":\"01234567\"}\n"); /* 16 bytes */
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"a\":\"012345678\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TOO_LARGE);
	ck_assert_msg(strstr(err.msg, "record larger than max_record_bytes (16) at line 2") != NULL,
		      "%s", err.msg);

	/* an oversized record fails the object even under drop_record */
	ap = policy(AP("format = \"ndjson\"; max_record_bytes = 16; on_error = \"drop_record\";",
		       DROP("\"price\"")), "t");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n{\"a\":\"012345678\"}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TOO_LARGE);

	ap = policy(AP("format = \"document\"; max_record_bytes = 16;", DROP("\"price\"")), "t");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":\"0123456789\"}", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TOO_LARGE);
	ck_assert_msg(strstr(err.msg, "document larger than max_record_bytes") != NULL, "%s", err.msg);

	ap = policy(AP("format = \"array\"; max_record_bytes = 16;", DROP("\"price\"")), "t");
	expect(ap, "[{\"price\":1},{\"b\":3}]", "[{},{\"b\":3}]");
	ck_assert_int_eq(run(ap, NULL, "[{\"b\":3},{\"a\":\"0123456789abc\"}]", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TOO_LARGE);
}
END_TEST

START_TEST(test_max_depth)
{
	const struct inf_access_point *ap;

	ap = policy(AP("max_depth = 2;", DROP("\"a.b\"")), "t");
	expect(ap, "{\"a\":{\"b\":1,\"c\":2}}\n", "{\"a\":{\"c\":2}}\n");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":{\"c\":2}}\n{\"a\":{\"b\":[1]}}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TOO_LARGE);
	ck_assert_msg(strstr(err.msg, "record 2 (line 2): over a limit") != NULL, "%s", err.msg);

	ap = policy(AP("max_depth = 2; on_error = \"drop_record\";", DROP("\"a.b\"")), "t");
	expect(ap, "{\"a\":{\"b\":1}}\n{\"a\":{\"b\":[1]}}\n{\"x\":[1]}\n", "{\"a\":{}}\n{\"x\":[1]}\n");
	ck_assert_uint_eq(st.records_failed, 1);
	ck_assert_uint_eq(st.records_out, 2);

	/* what a step inserts counts too, once the next step must read it */
	ap = policy(AP("max_depth = 2;", "{ plugin = \"enrich\"; set = { x = { y = { z = 1; }; }; }; }, "
				     DROP("\"a\"")), "t");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_msg(strstr(err.msg, "record 1 (line 1): step 1 (enrich) went over a limit: "
				      "an inserted value nests deeper than max_depth (2)") != NULL,
		      "%s", err.msg);
	ap = policy(AP("max_depth = 2;", "{ plugin = \"enrich\"; set = { x = { y = 1; }; }; }, "
				     DROP("\"a\"")), "t");
	expect(ap, "{\"a\":1}\n", "{\"x\":{\"y\":1}}\n");
	/* and when the last step inserts it, which no commit follows */
	ap = policy(AP("max_depth = 2;", DROP("\"a\"") ", "
		       "{ plugin = \"enrich\"; set = { x = { y = { z = 1; }; }; }; }"), "t");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_TRANSFORM);
	ck_assert_msg(strstr(err.msg, "record 1 (line 1): step 2 (enrich) went over a limit: "
				      "an inserted value nests deeper than max_depth (2)") != NULL,
		      "%s", err.msg);
	/* a member the record has, and keeps, inserts nothing over them */
	ap = policy(AP("max_depth = 2;", "{ plugin = \"enrich\"; set = { x = { y = { z = 1; }; }; }; }"), "t");
	expect(ap, "{\"x\":1}\n", "{\"x\":1}\n");
	ck_assert_int_eq(run(ap, NULL, "{\"x\":1}\n{\"a\":1}\n", 0), -1);
	ck_assert_msg(strstr(err.msg, "record 2 (line 2): step 1 (enrich) went over a limit") != NULL,
		      "%s", err.msg);
	ap = policy(AP("max_key_bytes = 4;", "{ plugin = \"enrich\"; set = { longer = 1; }; }"), "t");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n", 0), -1);
	ck_assert_msg(strstr(err.msg, "step 1 (enrich) went over a limit: "
				      "an inserted key is longer than max_key_bytes (4)") != NULL,
		      "%s", err.msg);
}
END_TEST

START_TEST(test_stats)
{
	static const char in[] =
		"{\"a\":\"drop\"}\n{\"price\":1,\"b\":2}\n{\"c\":\"boom\"}\n{\"d\":}\n\n{\"e\":5}\n";
	static const char want[] = "{\"b\":2}\n\n{\"e\":5}\n";
	const struct inf_access_point *ap =
		policy(AP("on_error = \"drop_record\";", DROP("\"price\"") ", " BOOM), "t");

	expect(ap, in, want);
	ck_assert_uint_eq(st.records_in, 5);
	ck_assert_uint_eq(st.records_out, 2);
	ck_assert_uint_eq(st.records_dropped, 1);
	ck_assert_uint_eq(st.records_failed, 2);
	ck_assert_uint_eq(st.bytes_in, sizeof in - 1);
	ck_assert_uint_eq(st.bytes_out, sizeof want - 1);
}
END_TEST

/* ndjson of n records: {"a":"drop"} at every 1000th from the 500th, a
 * failing {"c":"boom"} at record `boom` (0: none), else {"i":k,"price":1}. */
static char *numbered(unsigned n, unsigned boom)
{
	struct inf_buf b = { 0 };

	for (unsigned k = 1; k <= n; k++)
		ck_assert_int_eq(k == boom ? inf_buf_puts(&b, "{\"c\":\"boom\"}\n")
				 : k % 1000 == 500 ? inf_buf_puts(&b, "{\"a\":\"drop\"}\n")
				 : inf_buf_printf(&b, "{\"i\":%u,\"price\":1}\n", k), 0);
	ck_assert_int_eq(inf_buf_putc(&b, '\0'), 0);
	return b.data;
}

/* On several threads the counts are those of a sequential run: a failed
 * batch is run again to name its record, and batches after it may have
 * run already; neither may be counted (the Lambda log reports these). */
START_TEST(test_stats_parallel)
{
	const struct inf_access_point *ap;
	char *in;

	ck_assert_int_eq(setenv("INFLIGHT_THREADS", "2", 1), 0);
	ap = policy(AP("format = \"ndjson\"; on_error = \"drop_record\";", DROP("\"price\"") ", " BOOM), "t");
	ck_assert_uint_eq(ap->workers, 2);
	in = numbered(60000, 30000);
	ck_assert_int_eq(run(ap, NULL, in, 65536), 0);
	ck_assert_uint_eq(st.records_in, 60000);
	ck_assert_uint_eq(st.records_dropped, 60);
	ck_assert_uint_eq(st.records_failed, 1);
	ck_assert_uint_eq(st.records_out, 60000 - 60 - 1);
	free(in);

	/* record 45000 fails the object: 45000 read, 45 dropped before it */
	ap = policy(AP("format = \"ndjson\";", DROP("\"price\"") ", " BOOM), "t");
	in = numbered(60000, 45000);
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(run(ap, NULL, in, 65536), -1);
		ck_assert_msg(strstr(err.msg, "record 45000 (line 45000)") != NULL, "%s", err.msg);
		ck_assert_uint_eq(st.records_in, 45000);
		ck_assert_uint_eq(st.records_dropped, 45);
		ck_assert_uint_eq(st.records_failed, 0);
		ck_assert_uint_eq(st.records_out, 45000 - 45 - 1);
	}
	free(in);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

/* Runs `ap` over `in` the way the filter mode reads a file: into the
 * memory inf_transform_space lends, at most `chunk` bytes at a time. */
static int run_lent(const struct inf_access_point *ap, const char *in, size_t chunk)
{
	struct inf_transform *t;
	size_t len = strlen(in), at = 0, room, n;
	char *p;
	int rc = 0;

	inf_buf_reset(&out);
	memset(&err, 0, sizeof err);
	t = inf_transform_new(ap, NULL, tu_sink, &out, &err);
	ck_assert_ptr_nonnull(t);
	while (at < len && rc == 0) {
		p = inf_transform_space(t, &room);
		ck_assert_ptr_nonnull(p);
		n = len - at < chunk ? len - at : chunk;
		n = n < room ? n : room;
		memcpy(p, in + at, n);
		rc = inf_transform_commit(t, n);
		at += n;
	}
	if (rc == 0)
		rc = inf_transform_finish(t);
	st = inf_transform_stats(t);
	inf_transform_free(t);
	return rc;
}

/* Bytes handed over in lent memory count as written ones do, on one
 * thread and on several (where they go to the batches directly). */
START_TEST(test_stats_lent_memory)
{
	const struct inf_access_point *ap;
	char *in;
	size_t len;

	in = numbered(20000, 0);
	len = strlen(in);
	for (int threads = 2; threads >= 1; threads--) {
		ck_assert_int_eq(setenv("INFLIGHT_THREADS", threads == 2 ? "2" : "1", 1), 0);
		ap = policy(AP("format = \"ndjson\";", DROP("\"price\"") ", " BOOM), "t");
		ck_assert_uint_eq(ap->workers, (unsigned)threads);
		ck_assert_int_eq(run_lent(ap, in, 100000), 0);
		ck_assert_uint_eq(st.bytes_in, len);
		ck_assert_uint_eq(st.bytes_out, out.len);
		ck_assert_uint_eq(st.records_in, 20000);
		ck_assert_uint_eq(st.records_dropped, 20);
		ck_assert_uint_eq(st.records_out, 20000 - 20);
	}
	free(in);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

/* On several threads a byte-order mark is skipped however the object
 * arrives: fed a byte at a time, the first one or two bytes of the mark
 * are held until it is known whether the third completes it. */
START_TEST(test_parallel_bom)
{
	const struct inf_access_point *ap;

	ck_assert_int_eq(setenv("INFLIGHT_THREADS", "2", 1), 0);
	ap = policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t");
	ck_assert_uint_eq(ap->workers, 2);
	expect(ap, "\xEF\xBB\xBF{\"a\":1,\"price\":2}\n{\"b\":2}\n", "{\"a\":1}\n{\"b\":2}\n");
	/* two bytes of a mark and no third: not a mark, and no JSON either */
	ck_assert_int_eq(run(ap, NULL, "\xEF\xBB", 1), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

/* A sink that refuses every write, as a failed upload would. */
static int refusing_sink(void *ctx, const char *data, size_t len, struct inf_error *e)
{
	(void)ctx;
	(void)data;
	(void)len;
	return inf_error_set(e, INF_FAIL_OUTPUT, "refused");
}

/* Stats of `ap` over `in` (one write) when the sink refuses the output. */
static struct inf_stats refused_run(const struct inf_access_point *ap, const char *in)
{
	struct inf_transform *t;
	struct inf_stats s;
	int rc;

	memset(&err, 0, sizeof err);
	t = inf_transform_new(ap, NULL, refusing_sink, NULL, &err);
	ck_assert_ptr_nonnull(t);
	rc = inf_transform_write(t, in, strlen(in));
	if (rc == 0)
		rc = inf_transform_finish(t);
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err.msg, "refused");
	s = inf_transform_stats(t);
	inf_transform_free(t);
	return s;
}

/* When the sink refuses a write, the records whose output it was handed
 * were read and transformed: they count as bytes_out counts their bytes,
 * on one thread (the framer's flush fails) and on several (the batch's
 * write fails) alike. */
START_TEST(test_stats_sink_refused)
{
	static const char in[] = "{\"i\":1,\"price\":1}\n{\"a\":\"drop\"}\n{\"i\":3}\n";
	struct inf_stats one, two;

	ck_assert_int_eq(setenv("INFLIGHT_THREADS", "1", 1), 0);
	one = refused_run(policy(AP("format = \"ndjson\";", DROP("\"price\"") ", " BOOM), "t"),
			  in);
	ck_assert_int_eq(setenv("INFLIGHT_THREADS", "2", 1), 0);
	two = refused_run(policy(AP("format = \"ndjson\";", DROP("\"price\"") ", " BOOM), "t"),
			  in);
	unsetenv("INFLIGHT_THREADS");
	ck_assert_uint_eq(one.records_in, 3);
	ck_assert_uint_eq(one.records_dropped, 1);
	ck_assert_uint_eq(one.records_out, 2);
	ck_assert_uint_eq(one.bytes_out, strlen("{\"i\":1}\n{\"i\":3}\n"));
	ck_assert_uint_eq(two.records_in, one.records_in);
	ck_assert_uint_eq(two.records_dropped, one.records_dropped);
	ck_assert_uint_eq(two.records_out, one.records_out);
	ck_assert_uint_eq(two.bytes_out, one.bytes_out);
}
END_TEST

/* A sink that refuses its first write and takes every later one, as an
 * upload that fails once would; counts its writes. */
static unsigned sink_writes;

static int refuse_first_sink(void *ctx, const char *data, size_t len, struct inf_error *e)
{
	(void)ctx;
	(void)data;
	(void)len;
	if (sink_writes++ == 0)
		return inf_error_set(e, INF_FAIL_OUTPUT, "refused");
	return 0;
}

/* The first failure is final: once the sink refused a write, a caller
 * that goes on (another write, finish) gets -1 and the sink is handed
 * nothing more, so a body with a hole in it never ends as a success; on
 * one thread (the framer keeps its failure) and on several (the runner
 * does; the input is more batches than it holds, so the refusal comes
 * inside the write). */
START_TEST(test_sink_refusal_is_final)
{
	const struct inf_access_point *ap;
	struct inf_transform *t;
	char *in = numbered(100000, 0);

	for (int threads = 1; threads <= 2; threads++) {
		ck_assert_int_eq(setenv("INFLIGHT_THREADS", threads == 2 ? "2" : "1", 1), 0);
		ap = policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t");
		ck_assert_uint_eq(ap->workers, (unsigned)threads);
		memset(&err, 0, sizeof err);
		sink_writes = 0;
		t = inf_transform_new(ap, NULL, refuse_first_sink, NULL, &err);
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(inf_transform_write(t, in, strlen(in)), -1);
		ck_assert_str_eq(err.msg, "refused");
		ck_assert_int_eq(inf_transform_write(t, "{\"i\":0}\n", 8), -1);
		ck_assert_int_eq(inf_transform_finish(t), -1);
		ck_assert_uint_eq(sink_writes, 1);
		inf_transform_free(t);
	}
	free(in);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

/* numbered(n, boom), then the start of a record {"a":" that never ends. */
static char *unended(unsigned n, unsigned boom)
{
	struct inf_buf b = { 0 };
	char *lines = numbered(n, boom);

	ck_assert_int_eq(inf_buf_puts(&b, lines), 0);
	ck_assert_int_eq(inf_buf_puts(&b, "{\"a\":\""), 0);
	ck_assert_int_eq(inf_buf_putc(&b, '\0'), 0);
	free(lines);
	return b.data;
}

/* Runs `ap` over `in`, then over up to `pieces` writes of 64 KB of the
 * never-ending string; returns how many of those were taken before a
 * write failed (-1: `in` itself failed), or `pieces` if none did. */
static int run_unended(const struct inf_access_point *ap, const char *in, int pieces)
{
	static char piece[65536];
	struct inf_transform *t;
	int k = -1;

	memset(piece, 'x', sizeof piece);
	memset(&err, 0, sizeof err);
	inf_buf_reset(&out);
	t = inf_transform_new(ap, NULL, tu_sink, &out, &err);
	ck_assert_ptr_nonnull(t);
	if (inf_transform_write(t, in, strlen(in)) == 0)
		for (k = 0; k < pieces && inf_transform_write(t, piece, sizeof piece) == 0; k++)
			;
	inf_transform_free(t);
	return k;
}

/* A record that outgrows max_record_bytes with no line end in sight
 * fails the object once a batch of it is held, on several threads as on
 * one, not when it ends (it may never: the object would be held whole).
 * The batches before it are finished first: the message names its line
 * as one thread does, and an error in one of them is the one reported. */
START_TEST(test_parallel_unended_record)
{
	char *clean = unended(20000, 0), *bad = unended(20000, 15000);
	char *bom = malloc(strlen(clean) + 4);
	char first[sizeof err.msg], first_bom[sizeof err.msg];
	const struct inf_access_point *ap;
	int k;

	ck_assert_ptr_nonnull(bom);
	snprintf(bom, strlen(clean) + 4, "\xEF\xBB\xBF%s", clean);

	for (int threads = 1; threads <= 2; threads++) {
		ck_assert_int_eq(setenv("INFLIGHT_THREADS", threads == 2 ? "2" : "1", 1), 0);
		ap = policy(AP("format = \"ndjson\"; max_record_bytes = 1000;",
			       DROP("\"price\"") ", " BOOM), "t");
		ck_assert_uint_eq(ap->workers, (unsigned)threads);
		k = run_unended(ap, clean, 64);
		ck_assert_msg(k >= 0 && k < 16, "%d threads: failed after %d pieces: %s", threads,
			      k, err.msg);
		ck_assert_int_eq(err.kind, INF_FAIL_TOO_LARGE);
		ck_assert_msg(strstr(err.msg, "record larger than max_record_bytes (1000) at line 20001,") != NULL,
			      "%s", err.msg);
		if (threads == 1)
			snprintf(first, sizeof first, "%s", err.msg);
		else
			ck_assert_str_eq(err.msg, first);
		/* after a byte-order mark: the same byte offsets */
		k = run_unended(ap, bom, 64);
		ck_assert_msg(k >= 0 && k < 16, "%d threads: failed after %d pieces: %s", threads,
			      k, err.msg);
		if (threads == 1)
			snprintf(first_bom, sizeof first_bom, "%s", err.msg);
		else
			ck_assert_str_eq(err.msg, first_bom);
		ck_assert_str_ne(first_bom, first);
		run_unended(ap, bad, 64);
		ck_assert_msg(strstr(err.msg, "record 15000 (line 15000): step 2 (boom) failed") != NULL,
			      "%d threads: %s", threads, err.msg);
	}
	free(clean);
	free(bad);
	free(bom);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

/* The last batch's output is written however short: a final record of
 * one byte, "7" with no line end, cut off alone when the object is two
 * 256 KB batches long (the runner's batch size). */
START_TEST(test_parallel_short_last_batch)
{
	enum { LEN = 2 * 256 * 1024 };
	struct inf_buf in = { 0 }, want = { 0 };
	const struct inf_access_point *ap;
	unsigned k = 0;

	while (in.len + 64 < LEN)
		ck_assert_int_eq(inf_buf_printf(&in, "{\"i\":%u,\"price\":1}\n", ++k), 0);
	ck_assert_int_eq(inf_buf_puts(&in, "{\"p\":\""), 0);
	while (in.len < LEN - 4)
		ck_assert_int_eq(inf_buf_putc(&in, 'x'), 0);
	ck_assert_int_eq(inf_buf_puts(&in, "\"}\n7"), 0);
	ck_assert_uint_eq(in.len, LEN);
	ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
	for (int threads = 1; threads <= 2; threads++) {
		ck_assert_int_eq(setenv("INFLIGHT_THREADS", threads == 2 ? "2" : "1", 1), 0);
		ap = policy(AP("format = \"ndjson\";", DROP("\"price\"")), "t");
		ck_assert_uint_eq(ap->workers, (unsigned)threads);
		ck_assert_msg(run(ap, NULL, in.data, 0) == 0, "%s", err.msg);
		ck_assert_msg(out.len > 3 && !memcmp(out.data + out.len - 3, "}\n7", 3),
			      "%d threads: the output ends [%s]", threads,
			      out.data + (out.len > 16 ? out.len - 16 : 0));
		if (threads == 1)
			ck_assert_int_eq(inf_buf_append(&want, out.data, out.len), 0);
		else
			ck_assert(out.len == want.len && !memcmp(out.data, want.data, out.len));
	}
	inf_buf_free(&in);
	inf_buf_free(&want);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

START_TEST(test_request_context)
{
	struct inf_request req = { .access_point = "lambda-consumer", .object_key = "store_events/a.json",
				   .request_id = "RID" };
	const struct inf_access_point *ap =
		policy(AP("", "{ plugin = \"example_stamp\"; }"), "t");

	ck_assert_int_eq(run(ap, &req, "{\"a\":1}\n{}\n[]\n{\"_via\":\"x\"}\n", 3), 0);
	ck_assert_str_eq(out.data,
			 "{\"a\":1,\"_via\":\"lambda-consumer\"}\n"
			 "{\"_via\":\"lambda-consumer\"}\n"
			 "[]\n"
			 "{\"_via\":\"x\"}\n");
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}\n", 0), 0);
	ck_assert_str_eq(out.data, "{\"a\":1,\"_via\":\"\"}\n");
	req.access_point = "needs \"escaping\"\n";
	ck_assert_int_eq(run(ap, &req, "{}", 0), 0);
	ck_assert_str_eq(out.data, "{\"_via\":\"needs \\\"escaping\\\"\\n\"}");
}
END_TEST

START_TEST(test_framing_errors)
{
	const struct inf_access_point *ap =
		policy(AP("format = \"array\"; on_error = \"drop_record\";", DROP("\"price\"")), "t");

	ck_assert_int_eq(run(ap, NULL, "[{\"a\":1},]", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
	ck_assert_msg(strstr(err.msg, "trailing comma in array") != NULL, "%s", err.msg);
	ck_assert_int_eq(run(ap, NULL, "[{\"a\":1}", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
	ck_assert_msg(strstr(err.msg, "truncated array") != NULL, "%s", err.msg);
	ck_assert_int_eq(run(ap, NULL, "{\"a\":1}", 0), -1);
	ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
	/* two elements with no ',' between them: not one bad record to skip */
	for (size_t chunk = 0; chunk < 4; chunk += 3) {
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":1},\n {\"b\":2}\n {\"c\":3}]", chunk), -1);
		ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
		ck_assert_str_eq(err.msg, "missing ',' between array elements at line 3, byte 20");
		ck_assert_int_eq(run(ap, NULL, "[1, 5 6]", chunk), -1);
		ck_assert_str_eq(err.msg, "missing ',' between array elements at line 1, byte 6");
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":1} x]", chunk), -1);
		ck_assert_str_eq(err.msg, "missing ',' between array elements at line 1, byte 9");
	}
	/* brackets of two kinds the cut paired, elements run together: not
	 * one bad record to skip (the elements between them would go with it) */
	for (size_t chunk = 0; chunk < 4; chunk += 3) {
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":[},\n {\"b\":2},\n {\"c\":]}, 4]", chunk), -1);
		ck_assert_int_eq(err.kind, INF_FAIL_INPUT);
		ck_assert_str_eq(err.msg, "mismatched '}' at line 1, byte 7 in an array element: "
					  "where the elements end is unknown");
		ck_assert_int_eq(run(ap, NULL, "[1, {\"x\":\"[}\",\n\"y\":[1}], 2]", chunk), -1);
		ck_assert_str_eq(err.msg, "mismatched '}' at line 2, byte 21 in an array element: "
					  "where the elements end is unknown");
	}
	/* a '{' where a key goes, balanced by a '}' elements later */
	ck_assert_int_eq(run(ap, NULL, "[{\"id\":1, {\"id\":2}, {\"id\":3}}, {\"id\":4}]", 0), -1);
	ck_assert_str_eq(err.msg, "mismatched '{' at line 1, byte 10 in an array element: "
				  "where the elements end is unknown");
	/* a stray quote after a number: the cut reads '"}, {"' as a string */
	for (size_t chunk = 0; chunk < 4; chunk += 3) {
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":1\"}, {\":2}, 4]", chunk), -1);
		ck_assert_str_eq(err.msg, "stray '\"' at line 1, byte 7 in an array element: "
					  "where the elements end is unknown");
	}
	/* two stray quotes: the strings between them swallow element ends */
	ck_assert_int_eq(run(ap, NULL, "[{\"a\":\"x\"y\"}, {\"b\":1}, {\"c\":\"z\"w\"}, 4]", 0), -1);
	ck_assert_str_eq(err.msg, "stray '\"' at line 1, byte 8 in an array element: "
				  "where the elements end is unknown");
	/* ... and where the count never closes again, the array ends inside
	 * the element: the bracket or quote is named, not the end */
	for (size_t chunk = 0; chunk < 4; chunk += 3) {
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":[}, {\"b\":1}]", chunk), -1);
		ck_assert_str_eq(err.msg, "mismatched '}' at line 1, byte 7 in an array element: "
					  "where the elements end is unknown");
		ck_assert_int_eq(run(ap, NULL, "[1,\n{\"a\":\"x\"y\"}]", chunk), -1);
		ck_assert_str_eq(err.msg, "stray '\"' at line 2, byte 11 in an array element: "
					  "where the elements end is unknown");
		/* the line counts the lines before the element too */
		ck_assert_int_eq(run(ap, NULL, "[1,\n2,\n3,\n{\"a\":[}, {\"b\":1}]", chunk), -1);
		ck_assert_str_eq(err.msg, "mismatched '}' at line 4, byte 16 in an array element: "
					  "where the elements end is unknown");
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":1}, {\"b\":\"x", chunk), -1);
		ck_assert_str_eq(err.msg, "truncated array: missing ']' at line 1, byte 17");
		/* a whole value and more: the missing ',' the closed array gets */
		ck_assert_int_eq(run(ap, NULL, "[1,\n\"a\"\n\n\"b\"", chunk), -1);
		ck_assert_str_eq(err.msg, "missing ',' between array elements at line 4, byte 9");
		ck_assert_int_eq(run(ap, NULL, "[{\"a\":1} {\"b\":2}", chunk), -1);
		ck_assert_str_eq(err.msg, "missing ',' between array elements at line 1, byte 9");
	}
	/* a bad element alone is still a record to skip, brackets in its
	 * strings not counted */
	ck_assert_int_eq(run(ap, NULL, "[{\"a\":1}, {\"a\":}, 5]", 0), 0);
	ck_assert_str_eq(out.data, "[{\"a\":1}, 5]");
	ck_assert_int_eq(run(ap, NULL, "[{\"a\":1}, {\"a\":\"]\\\"}\",}, 5]", 0), 0);
	ck_assert_str_eq(out.data, "[{\"a\":1}, 5]");
}
END_TEST

/* What one run of `policy_text` over `in` gave, on `threads` threads. */
struct outcome {
	int rc;
	struct inf_buf out;
	struct inf_error err;
	struct inf_stats st;
};

static void outcome_of(struct outcome *o, const char *policy_text, int threads,
		       const char *in, size_t chunk)
{
	const struct inf_access_point *ap;

	ck_assert_int_eq(setenv("INFLIGHT_THREADS", threads == 1 ? "1" : threads == 2 ? "2" : "3", 1),
			 0);
	ap = policy(policy_text, "t");
	ck_assert_uint_eq(ap->workers, (unsigned)threads);
	o->rc = run(ap, NULL, in, chunk);
	inf_buf_reset(&o->out);
	ck_assert_int_eq(inf_buf_append(&o->out, out.data, out.len), 0);
	o->err = err;
	o->st = st;
}

/* An array on several threads gives what one thread gives, byte for
 * byte, counts and errors included: batch cuts fall inside strings full
 * of brackets and escapes, between elements laid out every way, and the
 * first kept element (whose comma must go) early, late, or never. */
START_TEST(test_parallel_array)
{
	static const char *const pols[] = {
		AP("format = \"array\";",
		   "{ plugin = \"filter_records\"; keep = { path = \"k\"; op = \"eq\"; value = 1; }; }, "
		   DROP("\"price\"")),
		AP("max_record_bytes = 600; on_error = \"drop_record\";",
		   "{ plugin = \"filter_records\"; keep = { path = \"k\"; op = \"eq\"; value = 1; }; }, "
		   BOOM),
	};
	static const unsigned first_kept[] = { 0, 4000, 9000 };
	struct outcome one = { 0 }, many = { 0 };
	size_t kept_total = 0;

	/* 15 runs of 500 KB: kept small for the valgrind build of CI */
	for (unsigned f = 0; f < 3; f++) {
		char *in = tu_random_array(f + 1, 6000, first_kept[f]);
		for (unsigned pi = 0; pi < 2; pi++) {
			size_t chunk = f % 2 ? 4093 : 0;
			outcome_of(&one, pols[pi], 1, in, chunk);
			ck_assert_msg(one.rc == 0, "%s", one.err.msg);
			kept_total += one.st.records_out;
			for (int threads = 2; threads <= (pi == 0 ? 3 : 2); threads++) {
				outcome_of(&many, pols[pi], threads, in, chunk);
				ck_assert_msg(many.rc == 0, "%s", many.err.msg);
				ck_assert_msg(many.out.len == one.out.len &&
					      !memcmp(many.out.data, one.out.data, one.out.len),
					      "array %u, policy %u, %d threads: the output differs", f, pi,
					      threads);
				ck_assert_uint_eq(many.st.records_in, one.st.records_in);
				ck_assert_uint_eq(many.st.records_out, one.st.records_out);
				ck_assert_uint_eq(many.st.records_dropped, one.st.records_dropped);
				ck_assert_uint_eq(many.st.records_failed, one.st.records_failed);
			}
		}
		free(in);
	}
	ck_assert_uint_gt(kept_total, 1000);
	inf_buf_free(&one.out);
	inf_buf_free(&many.out);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

/* An array that breaks the framing, or holds a bad record, deep in it:
 * the same error on several threads as on one. */
START_TEST(test_parallel_array_errors)
{
	static const char *const breaks[] = {
		",,",                       /* an empty element */
		"}",                        /* '}' where a separator goes */
		",\"",                      /* an element that never ends */
		", {\"k\":1,\"price\":}",   /* a bad record */
		",{\"k\":1,\"s\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}", /* over 600 */
		",                                                                          "
		"                                                                           "
		"                                                                           "
		"                                                                           "
		"                                                                           "
		"                                                                           "
		"                                                                           "
		"                                                                           "
		"                                                                           ",
	};
	static const char *const tails[] = { "]x", ",]", "" }; /* at the end */
	const char *text = AP("format = \"array\"; max_record_bytes = 600;", DROP("\"price\""));
	struct outcome one = { 0 }, two = { 0 };
	char *base = tu_random_array(9, 6000, 0);
	size_t blen = strlen(base);
	struct inf_buf in = { 0 };

	for (size_t i = 0; i < sizeof breaks / sizeof breaks[0] + 3; i++) {
		/* the break after an element two thirds in; a tail at the end */
		const char *cut = strstr(base + blen * 2 / 3, "},");
		inf_buf_reset(&in);
		if (i < sizeof breaks / sizeof breaks[0]) {
			ck_assert_int_eq(inf_buf_append(&in, base, (size_t)(cut + 1 - base)), 0);
			ck_assert_int_eq(inf_buf_puts(&in, breaks[i]), 0);
			ck_assert_int_eq(inf_buf_puts(&in, cut + 1), 0);
		} else {
			ck_assert_int_eq(inf_buf_append(&in, base, (size_t)(strrchr(base, ']') - base)), 0);
			ck_assert_int_eq(inf_buf_puts(&in, tails[i - sizeof breaks / sizeof breaks[0]]), 0);
		}
		ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
		outcome_of(&one, text, 1, in.data, 0);
		outcome_of(&two, text, 2, in.data, 0);
		ck_assert_msg(one.rc == -1, "case %zu: one thread succeeded", i);
		ck_assert_int_eq(two.rc, -1);
		ck_assert_int_eq(two.err.kind, one.err.kind);
		ck_assert_msg(!strcmp(two.err.msg, one.err.msg), "case %zu:\n  one: %s\n  two: %s", i,
			      one.err.msg, two.err.msg);
		ck_assert_uint_eq(two.st.records_in, one.st.records_in);
		ck_assert_uint_eq(two.st.records_out, one.st.records_out);
		ck_assert_uint_eq(two.st.records_failed, one.st.records_failed);
	}
	inf_buf_free(&in);
	inf_buf_free(&one.out);
	inf_buf_free(&two.out);
	free(base);
	unsetenv("INFLIGHT_THREADS");
}
END_TEST

static Suite *chain_suite(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("transform");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_store_events_ndjson);
	tcase_add_test(tc, test_store_events_array);
	tcase_add_test(tc, test_store_events_document);
	tcase_add_test(tc, test_untouched_is_identical);
	tcase_add_test(tc, test_empty_object);
	tcase_add_test(tc, test_bad_record_fails);
	tcase_add_test(tc, test_bad_record_dropped);
	tcase_add_test(tc, test_auto_bad_first_line);
	tcase_add_test(tc, test_binary_object_named);
	tcase_add_test(tc, test_plugin_error_fails);
	tcase_add_test(tc, test_plugin_error_unterminated);
	tcase_add_test(tc, test_service_failure_under_step_fails);
	tcase_add_test(tc, test_plugin_contract_breach_fails);
	tcase_add_test(tc, test_when_refused);
	tcase_add_test(tc, test_plugin_error_dropped);
	tcase_add_test(tc, test_verdict_drop);
	tcase_add_test(tc, test_two_steps_see_each_other);
	tcase_add_test(tc, test_max_record_bytes);
	tcase_add_test(tc, test_max_depth);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_stats_parallel);
	tcase_add_test(tc, test_parallel_bom);
	tcase_add_test(tc, test_stats_lent_memory);
	tcase_add_test(tc, test_stats_sink_refused);
	tcase_add_test(tc, test_sink_refusal_is_final);
	tcase_add_test(tc, test_parallel_unended_record);
	tcase_add_test(tc, test_parallel_short_last_batch);
	tcase_add_test(tc, test_request_context);
	tcase_add_test(tc, test_framing_errors);
	tcase_add_test(tc, test_parallel_array);
	tcase_add_test(tc, test_parallel_array_errors);
	tcase_add_test(tc, test_fused_removal);
	tcase_add_test(tc, test_first_skip);
	tcase_add_test(tc, test_first_skip_one_line);
	tcase_add_test(tc, test_fused_only_when_declared);
	tcase_add_test(tc, test_carried_replacements_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(chain_suite());
}
