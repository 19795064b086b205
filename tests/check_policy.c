/*
 * Policy loading (core/policy.c) and plugin options (core/options.c):
 * good policies load with the right values, and every bad one is refused
 * with "file:line: message" for each problem found. Policies are written
 * to a temporary directory; plugins come from $BUILD/plugins and the
 * test-only ones from $BUILD/test-plugins (tests/fixtures.mk).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"
#include "policy.h"
#include "testutil.h"

/* Mirror of the config block of tests/fixtures/plugins/opts.c. */
struct opts_config {
	long long i;
	double f;
	int b;
	const char *s;
	struct inf_strings ss;
	int e;
	const char *file;
	const struct inf_paths *paths;
};

static char *tmp;
static char dirs[2 * PATH_MAX];
static char file[PATH_MAX];
static struct inf_policy *pol;
static struct inf_policy_errors errs;

static void setup(void)
{
	tmp = tu_tmpdir();
	ck_assert_ptr_nonnull(tmp);
	tu_plugin_dirs(dirs, sizeof dirs);
	pol = NULL;
	memset(&errs, 0, sizeof errs);
}

static void teardown(void)
{
	inf_policy_free(pol);
	pol = NULL;
	inf_policy_errors_free(&errs);
	tu_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

/* Writes `text` to tmp/name; `file` holds its path afterwards. */
static void put(const char *name, const char *text)
{
	ck_assert_int_eq(tu_write(tmp, name, text, strlen(text), file, sizeof file), 0);
}

/* Writes `text` as tmp/name and loads it. */
static int load_text(const char *name, const char *text)
{
	put(name, text);
	return inf_policy_load(file, dirs, &pol, &errs);
}

/* Loads `text` as bad.cfg and expects exactly one error line, starting
 * with "<path>/bad.cfg:<line>: " and containing `what`. */
static void expect_error_n(const char *text, int line, const char *what,
			   size_t nerrs)
{
	char where[PATH_MAX + 32];

	ck_assert_int_eq(load_text("bad.cfg", text), -1);
	ck_assert_ptr_null(pol);
	snprintf(where, sizeof where, "%s:%d: ", file, line);
	ck_assert_msg(errs.n == nerrs, "want %zu error line(s), got %s", nerrs,
		      tu_errs_text(&errs));
	ck_assert_msg(tu_errs_find(&errs, where, what, NULL) >= 0,
		      "want \"%s...%s\", got %s", where, what, tu_errs_text(&errs));
	ck_assert_msg(strncmp(errs.lines[tu_errs_find(&errs, where, NULL)], where,
			      strlen(where)) == 0,
		      "error does not start with \"%s\": %s", where, tu_errs_text(&errs));
}

static void expect_error(const char *text, int line, const char *what)
{
	expect_error_n(text, line, what, 1);
}

/* A chain of one step, for the tests about everything but the chain. */
#define ONE_STEP "( { plugin = \"drop_fields\"; paths = \"zz\"; } )"

/* A one-access-point policy around one step line (line 4). */
#define STEP(step)                             \
	"version = 1;\n"                       \
	"access_points = (\n"                  \
	"  { name = \"a\"; chain = (\n"        \
	"    " step "\n"                       \
	"  ); }\n"                             \
	");\n"

/* A one-access-point policy with one extra setting on line 4. */
#define APSET(setting)                                                   \
	"version = 1;\n"                                                 \
	"access_points = (\n"                                            \
	"  { name = \"a\";\n"                                            \
	"    " setting "\n"                                              \
	"    chain = ( { plugin = \"drop_fields\"; paths = [\"x\"]; } );\n" \
	"  }\n"                                                          \
	");\n"

/* ---- good policies ---- */

/* "path:N" of the first line of `path` that contains `needle`. */
static void line_of(const char *path, const char *needle, char *out, size_t n)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int no = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		no++;
		if (strstr(line, needle))
			break;
	}
	fclose(f);
	snprintf(out, n, "%s:%d", path, no);
}

START_TEST(test_store_events_loads)
{
	char path[PATH_MAX], where[PATH_MAX + 16];
	const struct inf_access_point *ap;

	snprintf(path, sizeof path, "%s/policies/store-events.cfg", tu_src());
	line_of(path, "plugin = \"drop_fields\"", where, sizeof where);
	ck_assert_msg(inf_policy_load(path, dirs, &pol, &errs) == 0, "%s",
		      tu_errs_text(&errs));
	ck_assert_ptr_nonnull(pol);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(pol->naps, 1);
	ap = inf_policy_find(pol, "lambda-consumer");
	ck_assert_ptr_nonnull(ap);
	ck_assert_ptr_eq(ap, &pol->aps[0]);
	ck_assert_ptr_null(inf_policy_find(pol, "lambda"));
	ck_assert_ptr_null(inf_policy_find(pol, "Lambda-Consumer"));
	ck_assert_int_eq(ap->format, INF_FMT_AUTO);
	ck_assert_int_eq(ap->on_error, INF_ON_ERROR_FAIL);
	ck_assert_uint_eq(ap->nprefixes, 1);
	ck_assert_str_eq(ap->prefixes[0], "store_events/");
	ck_assert_uint_eq(ap->max_record, INF_DEFAULT_MAX_RECORD);
	ck_assert_uint_eq(ap->max_depth, INF_DEFAULT_MAX_DEPTH);
	ck_assert_uint_eq(ap->nsteps, 1);
	ck_assert_str_eq(ap->steps[0].plugin->name, "drop_fields");
	ck_assert_msg(strcmp(ap->steps[0].where, where) == 0, "step at %s, want %s",
		      ap->steps[0].where, where);
}
END_TEST

START_TEST(test_settings_values)
{
	const struct inf_access_point *ap;

	ck_assert_msg(load_text("p.cfg",
				"access_points = (\n"
				"  { name = \"x\"; format = \"ndjson\"; on_error = \"drop_record\";\n"
				"    max_record_bytes = 16; max_depth = 10000; max_key_bytes = 1;\n"
				"    chain = ( { plugin = \"drop_fields\"; paths = \"a\"; },\n"
				"              { plugin = \"keep_fields\"; paths = [\"b\"]; } ); },\n"
				"  { name = \"y\"; format = \"array\"; max_record_bytes = 1073741824;\n"
				"    max_key_bytes = 1073741824;\n"
				"    max_depth = 1; chain = " ONE_STEP "; },\n"
				"  { name = \"z\"; format = \"document\"; max_record_bytes = 1073741824L;\n"
				"    chain = " ONE_STEP "; }\n"
				");\n") == 0,
		      "%s", tu_errs_text(&errs));
	ck_assert_uint_eq(pol->naps, 3);
	ap = inf_policy_find(pol, "x");
	ck_assert_int_eq(ap->format, INF_FMT_NDJSON);
	ck_assert_int_eq(ap->on_error, INF_ON_ERROR_DROP_RECORD);
	ck_assert_uint_eq(ap->max_record, 16);
	ck_assert_uint_eq(ap->max_depth, 10000);
	ck_assert_uint_eq(ap->max_key, 1);
	ck_assert_ptr_null(ap->prefixes);
	ck_assert_uint_eq(ap->nsteps, 2);
	ck_assert_str_eq(ap->steps[0].plugin->name, "drop_fields");
	ck_assert_str_eq(ap->steps[1].plugin->name, "keep_fields");
	ap = inf_policy_find(pol, "y");
	ck_assert_int_eq(ap->format, INF_FMT_ARRAY);
	ck_assert_int_eq(ap->on_error, INF_ON_ERROR_FAIL);
	ck_assert_uint_eq(ap->max_record, 1073741824u);
	ck_assert_uint_eq(ap->max_depth, 1);
	ck_assert_uint_eq(ap->max_key, 1073741824u);
	ck_assert_uint_eq(ap->nsteps, 1);
	ap = inf_policy_find(pol, "z");
	ck_assert_int_eq(ap->format, INF_FMT_DOCUMENT);
	ck_assert_uint_eq(ap->max_record, 1073741824u);
	ck_assert_uint_eq(ap->max_key, INF_DEFAULT_MAX_KEY);
}
END_TEST

START_TEST(test_directory_loads_all)
{
	char sub[PATH_MAX];

	snprintf(sub, sizeof sub, "%s/pol", tmp);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put("pol/b.cfg", "access_points = ( { name = \"two\"; chain = ( { plugin = \"keep_fields\"; paths = [\"k\"]; } ); } );\n");
	put("pol/a.cfg", "version = 1;\naccess_points = ( { name = \"one\"; chain = " ONE_STEP "; } );\n");
	/* neither of these is a policy file */
	put("pol/.hidden.cfg", "this is { not libconfig\n");
	put("pol/notes.txt", "nor { this\n");
	ck_assert_msg(inf_policy_load(sub, dirs, &pol, &errs) == 0, "%s",
		      tu_errs_text(&errs));
	ck_assert_uint_eq(pol->naps, 2);
	ck_assert_str_eq(pol->aps[0].name, "one"); /* name order: a.cfg first */
	ck_assert_str_eq(pol->aps[1].name, "two");
	ck_assert_str_eq(inf_policy_find(pol, "two")->steps[0].plugin->name, "keep_fields");
	ck_assert_ptr_nonnull(strstr(pol->aps[1].where, "b.cfg:1"));
}
END_TEST

START_TEST(test_directory_duplicate_name)
{
	char sub[PATH_MAX], where[PATH_MAX + 32];

	snprintf(sub, sizeof sub, "%s/pol", tmp);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put("pol/a.cfg", "access_points = ( { name = \"one\"; chain = " ONE_STEP "; } );\n");
	put("pol/b.cfg", "access_points = (\n  { name = \"two\"; chain = " ONE_STEP "; },\n  { name = \"one\"; chain = " ONE_STEP "; }\n);\n");
	ck_assert_int_eq(inf_policy_load(sub, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	ck_assert_uint_eq(errs.n, 1);
	snprintf(where, sizeof where, "%s/b.cfg:3: ", sub);
	ck_assert_msg(tu_errs_find(&errs, where, "access point 'one' is defined twice", NULL) == 0,
		      "%s", tu_errs_text(&errs));
	/* and the first definition, in another file, is named too */
	snprintf(where, sizeof where, "(first at %s/a.cfg:1)", sub);
	ck_assert_msg(tu_errs_find(&errs, where, NULL) == 0, "%s", tu_errs_text(&errs));
	/* the directory given with its '/': the files are named without "//" */
	inf_policy_errors_free(&errs);
	snprintf(sub, sizeof sub, "%s/pol/", tmp);
	ck_assert_int_eq(inf_policy_load(sub, dirs, &pol, &errs), -1);
	snprintf(where, sizeof where, "%sb.cfg:3: ", sub);
	ck_assert_msg(tu_errs_find(&errs, where, "defined twice", NULL) == 0, "%s",
		      tu_errs_text(&errs));
}
END_TEST

/* At most INF_POLICY_MAX_APS access points in all of a directory's files,
 * each under the text's limit: the duplicate check is quadratic. (Not
 * under valgrind: 10,000 chains built are the point.) */
START_TEST(test_directory_access_point_limit)
{
	char sub[PATH_MAX];
	struct inf_buf t = { 0 };

	if (tu_valgrind())
		return;
	snprintf(sub, sizeof sub, "%s/pol", tmp);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	for (int f = 0; f < 3; f++) {
		char name[32];
		inf_buf_reset(&t);
		ck_assert_int_eq(inf_buf_puts(&t, "access_points = (\n"), 0);
		for (int i = 0; i < (f < 2 ? INF_POLICY_MAX_APS / 2 : 1); i++)
			ck_assert_int_eq(inf_buf_printf(&t, "%s{ name = \"a%d_%d\"; chain = " ONE_STEP
							" }\n", i ? "," : "", f, i), 0);
		ck_assert_int_eq(inf_buf_puts(&t, ");\n"), 0);
		ck_assert_int_eq(inf_buf_putc(&t, '\0'), 0);
		snprintf(name, sizeof name, "pol/%c.cfg", 'a' + f);
		put(name, t.data);
		if (f == 1) { /* 10,000 in two files: loaded */
			ck_assert_msg(inf_policy_load(sub, dirs, &pol, &errs) == 0, "%s",
				      tu_errs_text(&errs));
			ck_assert_uint_eq(pol->naps, INF_POLICY_MAX_APS);
			inf_policy_free(pol);
			pol = NULL;
		}
	}
	ck_assert_int_eq(inf_policy_load(sub, dirs, &pol, &errs), -1);
	ck_assert_msg(tu_errs_find(&errs, "c.cfg: ", "more than 10000 access points in the policy",
				   NULL) == 0, "%s", tu_errs_text(&errs));
	inf_buf_free(&t);
}
END_TEST

START_TEST(test_duplicate_name_in_one_file)
{
	expect_error("access_points = (\n"
		     "  { name = \"one\"; chain = " ONE_STEP "; },\n"
		     "  { name = \"one\"; chain = " ONE_STEP "; }\n"
		     ");\n",
		     3, "access point 'one' is defined twice");
}
END_TEST

START_TEST(test_missing_and_empty)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/nope.cfg", tmp);
	ck_assert_int_eq(inf_policy_load(path, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.lines[0], path));
	ck_assert_ptr_nonnull(strstr(errs.lines[0], "No such file or directory"));
	inf_policy_errors_free(&errs);

	ck_assert_int_eq(inf_policy_load(tmp, dirs, &pol, &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.lines[0], "no *.cfg policy files"));
}
END_TEST

/* ---- refused, with file and line ---- */

START_TEST(test_syntax_error)
{
	expect_error("version = 1;\n"
		     "access_points = (\n"
		     "  { name = \"a\";\n"
		     "    chain = ( { plugin = = \"x\"; } );\n"
		     "  }\n"
		     ");\n",
		     4, "syntax error");
	inf_policy_errors_free(&errs);
	/* libconfig's parser gives up on deep nesting with "memory
	 * exhausted": said for what it is */
	{
		struct inf_buf text = { 0 };
		const unsigned deep = 6000;

		ck_assert_int_eq(inf_buf_printf(&text, "version = 1;\naccess_points = (\n"
						"  { name = \"a\"; chain = " ONE_STEP "; x = "), 0);
		for (unsigned i = 0; i < deep; i++)
			ck_assert_int_eq(inf_buf_append(&text, "{ a = ", 6), 0);
		ck_assert_int_eq(inf_buf_append(&text, "1;", 2), 0);
		for (unsigned i = 0; i < deep; i++)
			ck_assert_int_eq(inf_buf_append(&text, " };", 3), 0);
		ck_assert_int_eq(inf_buf_printf(&text, " }\n);\n%c", 0), 0);
		expect_error(text.data, 3, "nested too deep for libconfig's parser (it ran out "
			     "of parse stack: \"memory exhausted\")");
		inf_buf_free(&text);
	}
}
END_TEST

/* libconfig's message names no setting; the line's one name is given,
 * or the one it holds twice, and none when the line holds several */
START_TEST(test_duplicate_setting)
{
	expect_error("version = 1;\n"
		     "access_points = (\n"
		     "  { name = \"a\"; chain = " ONE_STEP ";\n"
		     "    name = \"b\"; # other = 1; \"x\" = 2\n"
		     "  }\n"
		     ");\n",
		     4, "duplicate setting name 'name' (a group holds each setting once)");
	inf_policy_errors_free(&errs);
	expect_error("version = 1;\n"
		     "access_points = (\n"
		     "  { name = \"a\"; chain = " ONE_STEP ";\n"
		     "    format = \"ndjson\";\n"
		     "    /* a = 1 */ format /* b = 2 */\n"
		     "    = \"array\"; }\n"
		     ");\n",
		     5, "duplicate setting name 'format' (");
	inf_policy_errors_free(&errs);
	expect_error("version = 1;\n"
		     "access_points = (\n"
		     "  { name = \"a\"; chain = " ONE_STEP ";\n"
		     "    on_error\n"
		     "    = \"fail\"; on_error = \"drop_record\"; }\n"
		     ");\n",
		     5, "duplicate setting name 'on_error' (");
	inf_policy_errors_free(&errs);
	expect_error("version = 1;\n"
		     "access_points = (\n"
		     "  { name = \"a\"; chain = " ONE_STEP ";\n"
		     "    format = \"ndjson\"; name = \"b = 1\"; }\n"
		     ");\n",
		     4, "duplicate setting name");
	ck_assert_msg(!strstr(errs.lines[0], "'"), "named one of two: %s", errs.lines[0]);
}
END_TEST

START_TEST(test_unknown_top_level)
{
	expect_error("version = 1;\n"
		     "colour = \"blue\";\n"
		     "access_points = ( { name = \"a\"; chain = " ONE_STEP "; } );\n",
		     2, "unknown top-level setting 'colour'");
}
END_TEST

START_TEST(test_no_access_points)
{
	/* an empty file is read as empty text, not as one holding a NUL */
	ck_assert_int_eq(load_text("bad.cfg", ""), -1);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, "bad.cfg: ", "no 'access_points' list", NULL) == 0,
		      "%s", tu_errs_text(&errs));
	inf_policy_errors_free(&errs);
	ck_assert_int_eq(load_text("bad.cfg", "version = 1;\n"), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.lines[0], "bad.cfg"));
	ck_assert_ptr_nonnull(strstr(errs.lines[0], "no 'access_points' list"));
	inf_policy_errors_free(&errs);
	expect_error("version = 1;\n"
		     "access_points = { name = \"a\"; };\n",
		     2, "'access_points'");
	inf_policy_errors_free(&errs);
	/* an empty list loaded: "ok: bad.cfg: 0 access points:" */
	expect_error("version = 1;\n\naccess_points = (\n);\n", 3,
		     "'access_points' is empty: the file defines no access point");
}
END_TEST

START_TEST(test_unknown_ap_setting)
{
	expect_error(APSET("formt = \"ndjson\";"), 4,
		     "access point 'a': unknown setting 'formt'");
}
END_TEST

START_TEST(test_bad_format)
{
	expect_error(APSET("format = \"csv\";"), 4,
		     "access point 'a': format must be \"auto\", \"ndjson\", \"array\" or \"document\"");
	inf_policy_errors_free(&errs);
	expect_error(APSET("format = 1;"), 4, "format must be");
}
END_TEST

START_TEST(test_bad_on_error)
{
	expect_error(APSET("on_error = \"ignore\";"), 4,
		     "on_error must be \"fail\" or \"drop_record\"");
	inf_policy_errors_free(&errs);
	expect_error(APSET("on_error = true;"), 4, "on_error must be");
}
END_TEST

START_TEST(test_bad_max_record_bytes)
{
	static const char *const bad[] = {
		APSET("max_record_bytes = 15;"),
		APSET("max_record_bytes = 1073741825;"),
		APSET("max_record_bytes = 5000000000L;"),
		APSET("max_record_bytes = -1;"),
		APSET("max_record_bytes = \"64k\";"),
		APSET("max_record_bytes = 1024.0;"),
		APSET("max_record_bytes = [ 1024 ];"),
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i], 4,
			     "max_record_bytes must be an integer from 16 to 1073741824");
		inf_policy_errors_free(&errs);
	}
}
END_TEST

/* libconfig 1.5 keeps the low 32 bits of an integer without L
 * (4294967312 is 16, a valid max_record_bytes; 3000000000 a negative
 * value to compare with), saturates one with L past 64 bits and reads
 * 1e400 as infinity: each is refused with its line, wherever it is. */
START_TEST(test_lossy_numbers)
{
	static const char *const bad[] = {
		APSET("max_record_bytes = 4294967312;"),
		APSET("max_record_bytes = 0x100000010;"),
		APSET("max_depth = -4294967295;"),
		STEP("{ plugin = \"filter_records\"; keep = { path = \"n\"; op = \"eq\"; value = 99999999999999999999L; }; }"),
		STEP("/* 1 */ { plugin = \"filter_records\";\n"
		     "    keep = { path = \"n\"; op = \"gt\"; value = 3000000000; }; }"),
		STEP("{ plugin = \"filter_records\"; # 4294967312\n"
		     "    keep = { path = \"n\"; op = \"lt\"; value = -1e400; }; }"),
		/* a tiny float where 0 is no error of its own (mask_fields'
		 * step, read as 0, would be refused as no step too) */
		STEP("{ plugin = \"filter_records\";\n"
		     "    keep = { path = \"n\"; op = \"gt\"; value = 1e-400; }; }"),
	};
	static const int line[] = { 4, 4, 4, 4, 5, 5, 5 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i], line[i], i == 3 ? "does not fit in 64 bits"
			     : i == 5 ? "the number -1e400 is too large"
			     : i == 6 ? "the number 1e-400 is too small (libconfig would read 0)"
			     : "does not fit in 32 bits: libconfig would keep only its low bits");
		inf_policy_errors_free(&errs);
	}
	/* the same digits in a string, a comment or a name, and the largest
	 * literals that fit, load */
	ck_assert_msg(load_text("p.cfg", STEP("{ plugin = \"filter_records\"; /* 4294967312\n"
					      " 3000000000 */ keep = { all = (\n"
					      "  { path = \"n4294967312\"; op = \"ne\"; value = \"4294967312\"; },\n"
					      "  { path = \"n\"; op = \"in\"; value = ( 2147483647, -2147483648,\n"
					      "    0x7fffffff, 4294967312L, 0xFFFFFFFFFL, 1.5e308, -.5, 0.0, 0e5, 4.9e-324 ); } ); }; }")) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* The scanner reads literals as libconfig's lexer does: an exponent
 * with a capital E and a sign, a hex literal past INT_MAX (libconfig
 * keeps its low 32 bits as a signed int), and lines counted inside
 * strings and block comments that span lines; an escaped quote does not
 * end a string, so digits after it are text. */
START_TEST(test_lossy_numbers_scanned)
{
	static const struct {
		const char *text, *what;
		int line;
	} bad[] = {
		{ STEP("{ plugin = \"filter_records\"; keep = { path = \"n\"; op = \"gt\"; value = 1E+400; }; }"),
		  "the number 1E+400 is too large", 4 },
		{ STEP("{ plugin = \"filter_records\"; keep = { path = \"n\"; op = \"eq\"; value = 0x80000000; }; }"),
		  "the number 0x80000000 does not fit in 32 bits", 4 },
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"a\" ]; when = { all = (\n"
		       "    { path = \"s\"; op = \"ne\"; value = \"b\nc\"; },\n"
		       "    { path = \"n\"; op = \"eq\"; value = 4294967312; } ); }; }"),
		  "the number 4294967312 does not fit in 32 bits", 7 },
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"a\" ]; /* one\n two\n */\n"
		       "    when = { path = \"n\"; op = \"eq\"; value = 4294967312; }; }"),
		  "the number 4294967312 does not fit in 32 bits", 7 },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i].text, bad[i].line, bad[i].what);
		inf_policy_errors_free(&errs);
	}
	ck_assert_msg(load_text("p.cfg", STEP("{ plugin = \"filter_records\"; keep = { path = \"n\"; "
					      "op = \"ne\"; value = \"a\\\" 4294967312 1e400\"; }; }")) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* libconfig joins strings with only space or comments between them: in
 * a list or an array that is a forgotten comma, and drop_fields would
 * drop one member "pricediscount" and leave both. Refused with the line
 * of the second string, in paths, prefixes and a condition's `in` list
 * alike; a group member written in pieces (a self-test's expect) and
 * strings that a comma, a bracket or a name separate load. */
START_TEST(test_joined_strings_in_lists)
{
	static const struct {
		const char *text;
		int line;
	} bad[] = {
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"price\" \"discount\" ]; }"), 4 },
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"a\",\n  \"price\"\n  \"discount\" ]; }"), 6 },
		{ STEP("{ plugin = \"drop_fields\"; paths = ( \"price\" # a comment\n \"x\" ); }"), 5 },
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"price\"/* c */\"x\" ]; }"), 4 },
		{ STEP("{ plugin = \"filter_records\"; keep = { path = \"s\"; op = \"in\";\n"
		       "    value = [ \"a\", \"b\" \"c\" ]; }; }"), 5 },
		{ "version = 1;\naccess_points = ( { name = \"a\"; prefixes = [ \"x/\"\n\"y/\" ];\n"
		  "  chain = " ONE_STEP "; } );\n", 3 },
		/* a single string is a list of one: joined, it is one path */
		{ STEP("{ plugin = \"mask_fields\"; op = \"redact\";\n  paths = \"card\" # c\n"
		       "          \"ssn\"; }"), 6 },
		{ STEP("{ plugin = \"drop_fields\"; paths = \"price\" \"discount\"; }"), 4 },
		{ STEP("{ plugin = \"filter_records\"; keep = { path = \"s\"; op = \"eq\";\n"
		       "    value = \"a\" \"b\"; }; }"), 5 },
		/* input and expect are self-tests' only: a member of that name
		 * elsewhere is no exception */
		{ STEP("{ plugin = \"enrich\"; set = { input = \"a\" \"b\"; }; }"), 4 },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i].text, bad[i].line, "two strings with no ',' between them: "
			     "libconfig would join them into one");
		inf_policy_errors_free(&errs);
	}
	ck_assert_msg(load_text("p.cfg", "version = 1;\naccess_points = ( { name = \"a\";\n"
				"  chain = ( { plugin = \"drop_fields\"; paths = [ \"p\", \"q\" ]; } );\n"
				"  tests = ( { input = \"{\\\"p\\\": 1, \" \"\\\"k\\\": 2}\";\n"
				"              expect = \"{\" /* joined */ \"\\\"k\\\": 2}\"; } ); },\n"
				"  { name = \"b\"; chain = ( { plugin = \"drop_fields\"; paths = [ \"p\" ]; } ); } );\n") == 0,
		      "%s", tu_errs_text(&errs));
	inf_policy_free(pol);
	pol = NULL;
	/* a set_json member's JSON text may be written in pieces too */
	ck_assert_msg(load_text("p.cfg", STEP("{ plugin = \"enrich\"; set_json = { meta = "
					      "\"{\\\"a\\\": 1, \" \"\\\"b\\\": 2}\"; }; }")) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* One access point whose step is `head`, n items (item i is pre, i,
 * post), then `close`, the step on line 4, into t (NUL-terminated). */
static const char *step_items(struct inf_buf *t, const char *head, const char *pre,
			      const char *post, int n, const char *close)
{
	inf_buf_reset(t);
	ck_assert_int_eq(inf_buf_printf(t, "version = 1;\naccess_points = (\n  { name = \"a\"; "
					"chain = (\n    %s", head), 0);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(inf_buf_printf(t, "%s%d%s", pre, i, post), 0);
	ck_assert_int_eq(inf_buf_printf(t, "%s\n  ); }\n);\n", close), 0);
	ck_assert_int_eq(inf_buf_putc(t, '\0'), 0);
	return t->data;
}

/* Expects `text` loaded when `line` is 0, else refused there with `what`. */
static void loads_or_refused(const char *text, int line, const char *what)
{
	if (!line) {
		ck_assert_msg(load_text("p.cfg", text) == 0, "%s", tu_errs_text(&errs));
		inf_policy_free(pol);
		pol = NULL;
	} else {
		expect_error(text, line, what);
		inf_policy_errors_free(&errs);
	}
}

/* A group of over 1,000 settings or a list of over 10,000 elements is
 * refused before libconfig, whose load time grows with their square; at
 * the limits they load. Settings need no ';': each counts by its '='. */
START_TEST(test_too_many_elements)
{
	static const char set[] = "{ plugin = \"enrich\"; set = {", group[] =
		"more than 1000 settings in one group";
	struct inf_buf t = { 0 };

	loads_or_refused(step_items(&t, set, " f", " = 1;", 1000, " }; }"), 0, NULL);
	loads_or_refused(step_items(&t, set, " f", " = 1;", 1001, " }; }"), 4, group);
	loads_or_refused(step_items(&t, set, " f", " = \"a;b,c\" # ;;\n", 1001, " }; }"), 1004,
			 group);
	loads_or_refused(step_items(&t, "{ plugin = \"drop_fields\"; paths = [ \"p\"",
				    ", \"p", "\"", 9999, " ]; }"), 0, NULL);
	loads_or_refused(step_items(&t, "{ plugin = \"drop_fields\"; paths = [ \"p\"",
				    ", \"p", "\"", 10000, " ]; }"), 4,
			 "more than 10000 elements in one list or array");
	inf_buf_free(&t);
}
END_TEST

/* libconfig takes "@include" after blanks as an include too (and exits
 * the process on one it cannot read): refused wherever the line starts */
START_TEST(test_include_refused)
{
	static const char *const lead[] = { "", " ", "\t", " \t " };
	char text[512];

	for (size_t i = 0; i < sizeof lead / sizeof lead[0]; i++) {
		snprintf(text, sizeof text, "version = 1;\n%s@include \"/\"\n%s", lead[i],
			 "access_points = ( { name = \"a\"; chain = " ONE_STEP "; } );\n");
		expect_error(text, 2, "@include is not supported: a policy is one file");
		inf_policy_errors_free(&errs);
	}
}
END_TEST

/* A policy saved as Latin-1 holds "pr\xe9nom" where records hold
 * "pr\xc3\xa9nom": its paths never matched, so drop_fields dropped
 * nothing, silently. The file must be UTF-8, and so must every path,
 * condition value and prefix written with libconfig's \\x escapes. */
START_TEST(test_not_utf8)
{
	static const struct {
		const char *text, *what;
		int line;
		size_t n;
	} bad[] = {
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"pr\xe9nom\" ]; }"),
		  "byte 0xe9 is not UTF-8: a policy is UTF-8 text", 4, 1 },
		{ "# caf\xe9\n" STEP("{ plugin = \"drop_fields\"; paths = [ \"a\" ]; }"),
		  "byte 0xe9 is not UTF-8", 1, 1 },
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"a\", \"pr\\xe9nom\" ]; }"),
		  "plugin 'drop_fields': option 'paths': path 2 is not valid UTF-8", 4, 1 },
		{ STEP("{ plugin = \"filter_records\"; drop = { path = \"pr\\xe9nom\"; op = \"exists\"; }; }"),
		  "option 'drop': the path is not valid UTF-8", 4, 1 },
		{ STEP("{ plugin = \"filter_records\"; drop = { path = \"a\"; op = \"in\"; value = ( 1, \"\\xe9\" ); }; }"),
		  "option 'drop': a string value is not valid UTF-8", 4, 1 },
		{ STEP("{ plugin = \"drop_fields\"; paths = [ \"a\" ]; when = { path = \"a\"; op = \"eq\"; value = \"\\xc3\"; }; }"),
		  "when: a string value is not valid UTF-8", 4, 1 },
		{ APSET("prefixes = [ \"a/\", \"caf\\xe9/\" ];"),
		  "access point 'a': prefix 2 is not valid UTF-8", 4, 1 },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error_n(bad[i].text, bad[i].line, bad[i].what, bad[i].n);
		inf_policy_errors_free(&errs);
	}
	expect_error("\xef\xbb\xbf" STEP("{ plugin = \"drop_fields\"; paths = [ \"a\" ]; }"), 1,
		     "the file starts with a byte-order mark");
	inf_policy_errors_free(&errs);
	ck_assert_msg(load_text("p.cfg", STEP("{ plugin = \"drop_fields\"; paths = [ \"pr\xc3\xa9nom\" ]; }")) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* libconfig parses the text read once; it would stop at a NUL byte and
 * take the rest as missing, so a NUL is refused with its line. */
START_TEST(test_nul_byte)
{
	static const char text[] = "version = 1;\n# \0 x\n" STEP("{ plugin = \"drop_fields\"; paths = \"a\"; }");
	char where[PATH_MAX + 32];

	ck_assert_int_eq(tu_write(tmp, "bad.cfg", text, sizeof text - 1, file, sizeof file), 0);
	ck_assert_int_eq(inf_policy_load(file, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	snprintf(where, sizeof where, "%s:2: ", file);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, where, "a NUL byte", NULL) == 0, "%s",
		      tu_errs_text(&errs));
}
END_TEST

/* The file's last byte is checked too: a NUL there hides nothing from
 * libconfig, but the file is not text and is refused like any other. */
START_TEST(test_nul_last_byte)
{
	static const char text[] = STEP("{ plugin = \"drop_fields\"; paths = \"a\"; }") "\0";
	char where[PATH_MAX + 32];
	int line = 1;

	for (const char *p = text; *p; p++)
		line += *p == '\n';
	ck_assert_int_eq(tu_write(tmp, "bad.cfg", text, sizeof text - 1, file, sizeof file), 0);
	ck_assert_int_eq(inf_policy_load(file, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	snprintf(where, sizeof where, "%s:%d: ", file, line);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, where, "a NUL byte", NULL) == 0, "%s",
		      tu_errs_text(&errs));
}
END_TEST

/* A read that fails after the open (here EIO: /proc/self/mem is a
 * regular file whose first page is not mapped) is an error of its own,
 * not an empty policy that libconfig would then complain about. */
START_TEST(test_read_error)
{
	ck_assert_int_eq(inf_policy_load("/proc/self/mem", dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, "/proc/self/mem: cannot read policy: ",
						  strerror(EIO), NULL) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* libconfig 1.5 reads a comment that ends the file without a newline as
 * a syntax error; an editor that leaves no final newline must not make a
 * policy fail. */
START_TEST(test_last_line_comment)
{
	static const char *const ends[] = { "# end", "// end", "/* end */", "" };

	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "%s%s", STEP("{ plugin = \"drop_fields\"; paths = \"a\"; }"), ends[i]);
		inf_policy_free(pol);
		pol = NULL;
		ck_assert_msg(load_text("p.cfg", text) == 0, "ending \"%s\": %s", ends[i],
			      tu_errs_text(&errs));
	}
}
END_TEST

START_TEST(test_bad_max_depth)
{
	static const char *const bad[] = {
		APSET("max_depth = 0;"),
		APSET("max_depth = 10001;"),
		APSET("max_depth = \"5\";"),
		APSET("max_depth = 5.0;"),
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i], 4, "max_depth must be an integer from 1 to 10000");
		inf_policy_errors_free(&errs);
	}
}
END_TEST

/* 0 is not "the default": a policy that writes max_key_bytes = 0 meant
 * something, and is told it cannot have it */
START_TEST(test_bad_max_key_bytes)
{
	static const char *const bad[] = {
		APSET("max_key_bytes = 0;"),
		APSET("max_key_bytes = 1073741825;"),
		APSET("max_key_bytes = \"64\";"),
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i], 4, "max_key_bytes must be an integer from 1 to 1073741824");
		inf_policy_errors_free(&errs);
	}
}
END_TEST

/* error_status is what a failed request answers: only the statuses the
 * README lists, as an integer; 500 when absent */
START_TEST(test_error_status)
{
	static const char *const bad[] = {
		APSET("error_status = 401;"),
		APSET("error_status = 502;"),
		APSET("error_status = 200;"),
		APSET("error_status = \"500\";"),
		APSET("error_status = 500.0;"),
	};
	static const int good[] = { 400, 403, 404, 409, 500, 503 };
	char text[1024];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i], 4, "access point 'a': error_status must be one of "
			     "400, 403, 404, 409, 500, 503");
		inf_policy_errors_free(&errs);
	}
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char setting[64];
		snprintf(setting, sizeof setting, "error_status = %d;", good[i]);
		snprintf(text, sizeof text, APSET("%s"), setting);
		inf_policy_free(pol);
		pol = NULL;
		ck_assert_msg(load_text("p.cfg", text) == 0, "%s", tu_errs_text(&errs));
		ck_assert_int_eq(inf_policy_find(pol, "a")->error_status, good[i]);
	}
	inf_policy_free(pol);
	pol = NULL;
	ck_assert_msg(load_text("p.cfg", STEP("{ plugin = \"drop_fields\"; paths = \"a\"; }")) == 0,
		      "%s", tu_errs_text(&errs));
	ck_assert_int_eq(inf_policy_find(pol, "a")->error_status, 500);
}
END_TEST

START_TEST(test_bad_prefixes)
{
	expect_error(APSET("prefixes = \"a/\";"), 4, "prefixes must be a list of strings");
	inf_policy_errors_free(&errs);
	expect_error(APSET("prefixes = [ 1, 2 ];"), 4, "prefixes must be a list of strings");
	inf_policy_errors_free(&errs);
	/* a path's '/', or a glob: no key would match, every read denied */
	expect_error(APSET("prefixes = [ \"a/\", \"/store_events/\" ];"), 4,
		     "access point 'a': prefix 2 starts with '/': a prefix is the literal start "
		     "of the S3 keys it serves");
	inf_policy_errors_free(&errs);
	expect_error(APSET("prefixes = [ \"store_events/*\" ];"), 4, "prefix 1 holds '*' or '?'");
	inf_policy_errors_free(&errs);
	expect_error(APSET("prefixes = [ \"a?\" ];"), 4, "prefix 1 holds '*' or '?'");
	inf_policy_errors_free(&errs);
	/* a '/' after the start is the usual folder separator */
	ck_assert_msg(load_text("p.cfg", APSET("prefixes = [ \"a/b/\", \"c\" ];")) == 0, "%s",
		      tu_errs_text(&errs));
}
END_TEST

START_TEST(test_missing_name)
{
	expect_error_n("access_points = (\n"
		     "  { chain = " ONE_STEP "; },\n"
		     "  {\n"
		     "    name = 5; chain = " ONE_STEP "; },\n"
		     "  { name = \"has space\"; chain = " ONE_STEP "; },\n"
		     "  { name = \"a/b\"; chain = " ONE_STEP "; },\n"
		     "  { name = \"\"; chain = " ONE_STEP "; },\n"
		     "  { name = \"caf\\xe9\"; chain = " ONE_STEP "; }\n"
		     ");\n",
		     2, "access point without a 'name' (", 6);
	/* the others at the name's own line, with the name as it is */
	ck_assert_int_ge(tu_errs_find(&errs, "bad.cfg:4: ", "'name' must be a string", NULL), 0);
	ck_assert_int_ge(tu_errs_find(&errs, "bad.cfg:5: ", "name 'has space' is not one", NULL), 0);
	ck_assert_int_ge(tu_errs_find(&errs, "bad.cfg:6: ", "name 'a/b' is not one", NULL), 0);
	ck_assert_int_ge(tu_errs_find(&errs, "bad.cfg:7: ", "name '' is not one", NULL), 0);
	/* a Latin-1 name loaded, then failed every record under enrich's
	 * add_access_point */
	ck_assert_int_ge(tu_errs_find(&errs, "bad.cfg:8: ", "name 'caf\\xe9' is not one", NULL), 0);
}
END_TEST

/* 255 bytes is the longest name; DEL is a control character too */
START_TEST(test_name_bounds)
{
	char name[257], text[1024];

	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(text, sizeof text, "access_points = (\n  { name = \"%s\"; chain = " ONE_STEP "; }\n);\n",
		 name);
	ck_assert_msg(load_text("p.cfg", text) == 0, "%s", tu_errs_text(&errs));
	ck_assert_ptr_nonnull(inf_policy_find(pol, name));
	inf_policy_free(pol);
	pol = NULL;
	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(text, sizeof text, "access_points = (\n  { name = \"%s\"; chain = " ONE_STEP "; }\n);\n",
		 name);
	expect_error(text, 2, "' is not one (1 to 255 bytes");
	inf_policy_errors_free(&errs);
	expect_error("access_points = (\n  { name = \"a\\x7fb\"; chain = " ONE_STEP "; }\n);\n",
		     2, "access point name 'a\\x7fb' is not one");
	inf_policy_errors_free(&errs);
	expect_error("access_points = (\n  { name = \"a\\tb\"; chain = " ONE_STEP "; }\n);\n",
		     2, "access point name 'a\\x09b' is not one");
}
END_TEST

START_TEST(test_ap_not_a_group)
{
	/* libconfig dates a scalar list element by the token after it: keep
	 * that token on the same line */
	expect_error("access_points = (\n"
		     "  \"a\", { name = \"b\"; chain = " ONE_STEP "; }\n"
		     ");\n",
		     2, "an access point must be a group");
}
END_TEST

START_TEST(test_missing_chain)
{
	expect_error("access_points = (\n"
		     "  { name = \"a\";\n"
		     "    format = \"ndjson\"; }\n"
		     ");\n",
		     2, "access point 'a' needs a 'chain' list");
}
END_TEST

START_TEST(test_empty_chain)
{
	expect_error("access_points = (\n"
		     "  { name = \"a\";\n"
		     "    chain = ( ); }\n"
		     ");\n",
		     3, "access point 'a' has an empty chain: it would pass every record unchanged");
}
END_TEST

START_TEST(test_not_a_regular_file)
{
	char path[PATH_MAX], where[PATH_MAX + 8];

	/* a FIFO would block the load forever: the suite's timeout fails it */
	snprintf(path, sizeof path, "%s/fifo.cfg", tmp);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(inf_policy_load(path, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	snprintf(where, sizeof where, "%s: ", path);
	ck_assert_msg(tu_errs_find(&errs, where, "not a regular file", NULL) == 0, "%s",
		      tu_errs_text(&errs));
	inf_policy_errors_free(&errs);
	/* in a directory of policies too */
	snprintf(path, sizeof path, "%s/pol", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/pol/f.cfg", tmp);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(path, sizeof path, "%s/pol", tmp);
	ck_assert_int_eq(inf_policy_load(path, dirs, &pol, &errs), -1);
	ck_assert_msg(tu_errs_find(&errs, "f.cfg: ", "not a regular file", NULL) == 0, "%s",
		      tu_errs_text(&errs));
}
END_TEST

START_TEST(test_chain_not_a_list)
{
	expect_error("access_points = (\n"
		     "  { name = \"a\";\n"
		     "    chain = \"drop_fields\"; }\n"
		     ");\n",
		     3, "access point 'a' needs a 'chain' list");
	inf_policy_errors_free(&errs);
	expect_error("access_points = (\n"
		     "  { name = \"a\";\n"
		     "    chain = { plugin = \"drop_fields\"; paths = [\"x\"]; }; }\n"
		     ");\n",
		     3, "needs a 'chain' list");
	inf_policy_errors_free(&errs);
	expect_error("access_points = (\n"
		     "  { name = \"a\";\n"
		     "    chain = [ \"drop_fields\" ]; }\n"
		     ");\n",
		     3, "needs a 'chain' list");
}
END_TEST

START_TEST(test_step_not_a_group)
{
	expect_error(STEP("\"drop_fields\", { plugin = \"keep_fields\"; paths = \"a\"; }"), 4,
		     "a chain step must be a group");
}
END_TEST

START_TEST(test_step_without_plugin)
{
	expect_error(STEP("{ paths = [\"x\"]; }"), 4, "chain step without a 'plugin' string");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = 3; }"), 4, "chain step without a 'plugin' string");
}
END_TEST

START_TEST(test_unknown_plugin)
{
	expect_error(STEP("{ plugin = \"nope\"; }"), 4, "unknown plugin 'nope': no nope.so in ");
	ck_assert_ptr_nonnull(strstr(errs.lines[0], dirs));
}
END_TEST

START_TEST(test_plugin_name_not_allowed)
{
	static const char *const bad[] = {
		STEP("{ plugin = \"../test-plugins/boom\"; }"),
		STEP("{ plugin = \"test-plugins/../boom\"; }"),
		STEP("{ plugin = \"..\"; }"),
		STEP("{ plugin = \"boom.so\"; }"),
		STEP("{ plugin = \"\"; }"),
	};
	char abs[PATH_MAX + 64], text[2 * PATH_MAX];

	/* Only $BUILD/plugins is searched, yet $BUILD/plugins/../test-plugins/boom.so
	 * exists: a loader that joined the name onto the directory would find it. */
	snprintf(dirs, sizeof dirs, "%s/plugins", tu_build());
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i], 4, "is not allowed (1 to 64 letters, digits, '_' and '-')");
		inf_policy_errors_free(&errs);
	}
	/* an absolute path to a real plugin is refused the same way */
	snprintf(abs, sizeof abs, "%s/test-plugins/boom", tu_build());
	if (abs[0] != '/') {
		char cwd[PATH_MAX];
		ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
		snprintf(abs, sizeof abs, "%s/%s/test-plugins/boom", cwd, tu_build());
	}
	snprintf(text, sizeof text, STEP("{ plugin = \"%s\"; }"), abs);
	expect_error(text, 4, "is not allowed");
}
END_TEST

START_TEST(test_unknown_option)
{
	expect_error("access_points = (\n"
		     "  { name = \"a\"; chain = (\n"
		     "    { plugin = \"drop_fields\"; paths = [\"x\"];\n"
		     "      pathz = [\"y\"]; }\n"
		     "  ); }\n"
		     ");\n",
		     4, "plugin 'drop_fields': unknown option 'pathz'");
}
END_TEST

START_TEST(test_option_wrong_type)
{
	expect_error(STEP("{ plugin = \"drop_fields\"; paths = 5; }"), 4,
		     "plugin 'drop_fields': option 'paths' must be a list of path strings");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"drop_fields\"; paths = (\"a\", 5); }"), 4,
		     "option 'paths' must be a list of path strings");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"drop_fields\"; paths = { a = \"b\"; }; }"), 4,
		     "option 'paths' must be a list of path strings");
}
END_TEST

START_TEST(test_empty_paths)
{
	expect_error(STEP("{ plugin = \"drop_fields\"; paths = []; }"), 4,
		     "plugin 'drop_fields': option 'paths' must list at least one path");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"keep_fields\"; paths = (); }"), 4,
		     "option 'paths' must list at least one path");
}
END_TEST

START_TEST(test_missing_required_paths)
{
	expect_error("access_points = (\n"
		     "  { name = \"a\"; chain = (\n"
		     "    { plugin = \"drop_fields\";\n"
		     "    }\n"
		     "  ); }\n"
		     ");\n",
		     3, "plugin 'drop_fields': missing required option 'paths'");
}
END_TEST

START_TEST(test_bad_path)
{
	expect_error(STEP("{ plugin = \"drop_fields\"; paths = [ \"ok\", \"a..b\" ]; }"), 4,
		     "bad path \"a..b\": expected a key after '.' at column 3");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"keep_fields\"; paths = [ \"items[x]\" ]; }"), 4,
		     "column 7");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"drop_fields\"; paths = [ \"a.**\" ]; }"), 4,
		     "a path cannot end with '**'");
}
END_TEST

START_TEST(test_init_fails)
{
	expect_error(STEP("{ plugin = \"init_fail\"; reason = \"the moon is full\"; }"), 4,
		     "plugin 'init_fail': init_fail says: the moon is full");
	inf_policy_errors_free(&errs);
	/* no message: the status is named, not a bare "init failed" */
	expect_error(STEP("{ plugin = \"init_fail\"; reason = \"\"; }"), 4,
		     "plugin 'init_fail': init failed with status -2 (no message from the plugin)");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"example_stamp\"; field = \"\"; }"), 4,
		     "plugin 'example_stamp': field must not be empty");
	inf_policy_errors_free(&errs);
	/* a message about one option, in a step written over several lines,
	 * points at that option's line */
	expect_error(STEP("{ plugin = \"example_stamp\";\n"
			  "      overwrite = true;\n"
			  "      field = \"\"; }"), 6,
		     "plugin 'example_stamp': field must not be empty");
	inf_policy_errors_free(&errs);
	expect_error(STEP("{ plugin = \"mask_fields\"; paths = \"p\"; op = \"hash\";\n"
			  "      with = \"x\"; }"), 5,
		     "plugin 'mask_fields': option 'with' does not apply to op 'hash'");
	inf_policy_errors_free(&errs);
	/* a message that names no option stays at the step */
	expect_error(STEP("{ plugin = \"init_fail\";\n"
			  "      reason = \"the moon is full\"; }"), 4,
		     "plugin 'init_fail': init_fail says: the moon is full");
}
END_TEST

/* ---- strdup, made to fail for one value (linked -Wl,--wrap=strdup) ---- */

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);

static const char *strdup_fails_for; /* a strdup of this text returns NULL */

char *__wrap_strdup(const char *s)
{
	if (strdup_fails_for && !strcmp(s, strdup_fails_for))
		return NULL;
	return __real_strdup(s);
}

/* The option filler fails without a message when out of memory: the
 * error still names the step, not an empty or stale text. */
START_TEST(test_option_out_of_memory)
{
	strdup_fails_for = "nomem-probe";
	expect_error(STEP("{ plugin = \"example_stamp\"; field = \"nomem-probe\"; }"), 4,
		     "out of memory");
	strdup_fails_for = NULL;
}
END_TEST

START_TEST(test_version_2)
{
	expect_error("version = 2;\n"
		     "access_points = ( { name = \"a\"; chain = " ONE_STEP "; } );\n",
		     1, "policy version 2 is not supported (this runtime reads version 1)");
	inf_policy_errors_free(&errs);
	/* below it too: there was never a version 0 */
	expect_error("version = 0;\n"
		     "access_points = ( { name = \"a\"; chain = " ONE_STEP "; } );\n",
		     1, "policy version 0 is not supported (this runtime reads version 1)");
	inf_policy_errors_free(&errs);
	expect_error("# comment\n"
		     "version = \"1\";\n"
		     "access_points = ( { name = \"a\"; chain = " ONE_STEP "; } );\n",
		     2, "version");
}
END_TEST

START_TEST(test_every_bad_ap_reported)
{
	ck_assert_int_eq(load_text("bad.cfg",
				   "version = 1;\n"
				   "access_points = (\n"
				   "  { name = \"good\"; chain = " ONE_STEP "; },\n"
				   "  { name = \"b1\"; format = \"xml\"; chain = " ONE_STEP "; },\n"
				   "  { name = \"b2\"; chain = (\n"
				   "      { plugin = \"nope\"; }\n"
				   "  ); },\n"
				   "  { name = \"b3\"; chain = (\n"
				   "      { plugin = \"drop_fields\"; paths = [\"x\"]; },\n"
				   "      { plugin = \"drop_fields\"; paths = [\"[\"]; }\n"
				   "  ); },\n"
				   "  { name = \"b4\"; }\n"
				   ");\n"),
			 -1);
	ck_assert_ptr_null(pol);
	ck_assert_msg(errs.n == 4, "%s", tu_errs_text(&errs));
	ck_assert_int_eq(tu_errs_find(&errs, "bad.cfg:4: ", "access point 'b1': format", NULL), 0);
	ck_assert_int_eq(tu_errs_find(&errs, "bad.cfg:6: ", "unknown plugin 'nope'", NULL), 1);
	ck_assert_int_eq(tu_errs_find(&errs, "bad.cfg:10: ", "bad path \"[\"", NULL), 2);
	ck_assert_int_eq(tu_errs_find(&errs, "bad.cfg:12: ", "access point 'b4' needs a 'chain'", NULL), 3);
}
END_TEST

START_TEST(test_every_bad_file_reported)
{
	char sub[PATH_MAX];

	snprintf(sub, sizeof sub, "%s/pol", tmp);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put("pol/a.cfg", "access_points = ( { name = \"a\"; format = \"x\"; chain = " ONE_STEP "; } );\n");
	put("pol/b.cfg", "access_points = ( { name = \"b\"; chain = " ONE_STEP "; } );\n");
	put("pol/c.cfg", "\n\naccess_points = ( { name = \"c\" chain = " ONE_STEP "; } ;\n");
	ck_assert_int_eq(inf_policy_load(sub, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	ck_assert_msg(errs.n == 2, "%s", tu_errs_text(&errs));
	ck_assert_int_eq(tu_errs_find(&errs, "a.cfg:1: ", "format must be", NULL), 0);
	ck_assert_int_eq(tu_errs_find(&errs, "c.cfg:3: ", "syntax error", NULL), 1);
	inf_policy_errors_free(&errs);
	/* a good file read after the bad one does not make the load good */
	snprintf(sub, sizeof sub, "%s/pol/c.cfg", tmp);
	ck_assert_int_eq(unlink(sub), 0);
	snprintf(sub, sizeof sub, "%s/pol", tmp);
	ck_assert_int_eq(inf_policy_load(sub, dirs, &pol, &errs), -1);
	ck_assert_ptr_null(pol);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, "a.cfg:1: ", "format must be", NULL) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* ---- options ---- */

/* The one step's config block of access point "a". */
static const struct opts_config *opts_of(void)
{
	const struct inf_access_point *ap = inf_policy_find(pol, "a");

	ck_assert_ptr_nonnull(ap);
	ck_assert_uint_eq(ap->nsteps, 1);
	ck_assert_str_eq(ap->steps[0].plugin->name, "opts");
	return ap->steps[0].config;
}

START_TEST(test_opts_defaults)
{
	const struct opts_config *c;
	struct inf_buf out = { 0 };
	struct inf_error err;
	struct inf_request req = { .access_point = "a", .object_key = "k", .request_id = "r" };
	static const char in[] = "{\"x\":{\"y\":[1,2]}}\n";

	ck_assert_msg(load_text("p.cfg", STEP("{ plugin = \"opts\"; paths = [\"x.y\"]; }")) == 0,
		      "%s", tu_errs_text(&errs));
	c = opts_of();
	ck_assert_int_eq(c->i, 10);
	ck_assert_double_eq(c->f, 2.5);
	ck_assert_int_eq(c->b, 1);
	ck_assert_str_eq(c->s, "dflt");
	ck_assert_uint_eq(c->ss.count, 0);
	ck_assert_int_eq(c->e, 1);
	ck_assert_ptr_null(c->file);
	ck_assert_ptr_nonnull(c->paths);
	/* and the plugin sees the same block at process time */
	ck_assert_int_eq(tu_transform(&pol->aps[0], &req, in, sizeof in - 1, 0, &out, &err, NULL), 0);
	ck_assert_str_eq(out.data, "{\"x\":{\"y\":[1,2]},\"p\":[1,2],\"i\":10,\"f\":2.5,"
				   "\"b\":true,\"s\":\"dflt\",\"ss\":\"\",\"n\":0,\"e\":1,"
				   "\"file\":null}\n");
	inf_buf_free(&out);
}
END_TEST

START_TEST(test_opts_values)
{
	const struct opts_config *c;
	char want[PATH_MAX + 16], text[2 * PATH_MAX];
	struct stat st;

	put("data.txt", "hello\n");
	ck_assert_msg(load_text("p.cfg",
				STEP("{ plugin = \"opts\"; paths = \"a\"; i = -42; f = 3; b = false;"
				     " s = \"h\\\"i\"; ss = [\"x\", \"y\", \"\"]; e = \"c\"; file = \"data.txt\"; }")) == 0,
		      "%s", tu_errs_text(&errs));
	c = opts_of();
	ck_assert_int_eq(c->i, -42);
	ck_assert_double_eq(c->f, 3.0);
	ck_assert_int_eq(c->b, 0);
	ck_assert_str_eq(c->s, "h\"i");
	ck_assert_uint_eq(c->ss.count, 3);
	ck_assert_str_eq(c->ss.items[0], "x");
	ck_assert_str_eq(c->ss.items[1], "y");
	ck_assert_str_eq(c->ss.items[2], "");
	ck_assert_int_eq(c->e, 2);
	snprintf(want, sizeof want, "%s/data.txt", tmp);
	ck_assert_str_eq(c->file, want);
	ck_assert_int_eq(stat(c->file, &st), 0);
	inf_policy_free(pol);
	pol = NULL;

	snprintf(text, sizeof text,
		 STEP("{ plugin = \"opts\"; paths = [\"a\"]; i = 5000000000L; f = 0.25;"
		      " ss = \"solo\"; e = \"a\"; file = \"%s\"; }"),
		 want);
	ck_assert_msg(load_text("q.cfg", text) == 0, "%s", tu_errs_text(&errs));
	c = opts_of();
	ck_assert_int_eq(c->i, 5000000000LL);
	ck_assert_double_eq(c->f, 0.25);
	ck_assert_uint_eq(c->ss.count, 1);
	ck_assert_str_eq(c->ss.items[0], "solo");
	ck_assert_int_eq(c->e, 0);
	ck_assert_str_eq(c->file, want); /* absolute: used as it is */
}
END_TEST

START_TEST(test_opts_wrong_types)
{
	static const struct {
		const char *step, *what;
	} bad[] = {
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; i = 1.5; }"), "option 'i' must be an integer" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; i = \"5\"; }"), "option 'i' must be an integer" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; f = \"x\"; }"), "option 'f' must be a number" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; b = 1; }"), "option 'b' must be true or false" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; b = \"true\"; }"), "option 'b' must be true or false" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; s = 1; }"), "option 's' must be a string" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; s = [\"x\"]; }"), "option 's' must be a string" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; ss = [1, 2]; }"), "option 'ss' must be a list of strings" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; ss = 7; }"), "option 'ss' must be a list of strings" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; e = 1; }"), "option 'e' must be a string" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; e = \"d\"; }"), "option 'e' must be one of a|b|c, not \"d\"" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; e = \"A\"; }"), "option 'e' must be one of a|b|c" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; file = 3; }"), "option 'file' must be a file name string" },
		{ STEP("{ plugin = \"example_stamp\"; overwrite = \"yes\"; }"), "plugin 'example_stamp': option 'overwrite' must be true or false" },
		{ STEP("{ plugin = \"example_stamp\"; field = false; }"), "option 'field' must be a string" },
		/* a name, value or text that is not UTF-8 failed record after
		 * record ("failed: error"), or never matched */
		{ STEP("{ plugin = \"example_stamp\"; field = \"\\xff\"; }"), "option 'field' is not valid UTF-8" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; s = \"a\\xc3\\x28\"; }"), "option 's' is not valid UTF-8" },
		{ STEP("{ plugin = \"opts\"; paths = [\"a\"]; ss = [\"a\", \"\\xed\\xa0\\x80\"]; }"), "option 'ss': string 2 is not valid UTF-8" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_error(bad[i].step, 4, bad[i].what);
		inf_policy_errors_free(&errs);
	}
}
END_TEST

START_TEST(test_opts_file_refused)
{
	char want[PATH_MAX + 64], sub[PATH_MAX];

	snprintf(want, sizeof want, "option 'file': cannot read file %s/nope.txt: No such file or directory", tmp);
	expect_error(STEP("{ plugin = \"opts\"; paths = [\"a\"]; file = \"nope.txt\"; }"), 4, want);
	inf_policy_errors_free(&errs);
	/* a directory is not a file */
	snprintf(sub, sizeof sub, "%s/adir", tmp);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	expect_error(STEP("{ plugin = \"opts\"; paths = [\"a\"]; file = \"adir\"; }"), 4,
		     "/adir: not a regular file");
}
END_TEST

/* A plugin's own mistakes in its option table are refused by name
 * before anything is written: a default that is no value of its type,
 * and an option whose slot lies past the config block. */
START_TEST(test_bad_option_table)
{
	ck_assert_int_eq(load_text("bad.cfg", STEP("{ plugin = \"bad_table\"; }")), -1);
	ck_assert_ptr_null(pol);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, "bad.cfg:", "plugin 'bad_table': bad default \"\" for option 'n'",
						  NULL) == 0,
		      "%s", tu_errs_text(&errs));
	inf_policy_errors_free(&errs);
	ck_assert_int_eq(load_text("bad.cfg", STEP("{ plugin = \"bad_table\"; n = 1; }")), -1);
	ck_assert_ptr_null(pol);
	ck_assert_msg(errs.n == 1 && tu_errs_find(&errs, "bad.cfg:", "plugin 'bad_table': option 'late' lies outside "
						  "its config block", NULL) == 0,
		      "%s", tu_errs_text(&errs));
}
END_TEST

/* Option tables the loader cannot honour are refused at load, naming the
 * plugin: an option declared twice (which one would the step set?), an
 * enum without choices, a type this runtime does not know. */
START_TEST(test_bad_option_tables)
{
	struct cfg {
		const char *a;
		int e;
	};
	static const struct inf_option twice[] = {
		{ "a", INF_OPT_STRING, 0, NULL, offsetof(struct cfg, a), NULL, "" },
		{ "a", INF_OPT_STRING, 0, NULL, offsetof(struct cfg, a), NULL, "" },
		{ NULL, 0, 0, NULL, 0, NULL, NULL } };
	static const struct inf_option nochoice[] = {
		{ "e", INF_OPT_ENUM, 0, NULL, offsetof(struct cfg, e), NULL, "" },
		{ NULL, 0, 0, NULL, 0, NULL, NULL } };
	static const struct inf_option badtype[] = {
		{ "e", (enum inf_opt_type)99, 0, NULL, offsetof(struct cfg, e), NULL, "" },
		{ NULL, 0, 0, NULL, 0, NULL, NULL } };
	static const struct {
		const struct inf_option *opts;
		const char *want;
	} cases[] = {
		{ twice, "plugin 't': declares option 'a' twice" },
		{ nochoice, "plugin 't': enum option 'e' lists no choices" },
		{ badtype, "plugin 't': option 'e' has type 99, which this runtime does not know" },
	};
	config_t c;
	char msg[512];

	config_init(&c);
	ck_assert_int_eq(config_read_string(&c, "step = { plugin = \"t\"; };"), CONFIG_TRUE);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct inf_plugin p = { .abi_version = INF_PLUGIN_ABI_VERSION,
					.size = sizeof p, .name = "t", .options = cases[i].opts,
					.config_size = sizeof(struct cfg) };
		struct cfg conf = { 0 };
		struct inf_owned own = { 0 };
		static const char *const reserved[] = { "plugin", "when", NULL };

		msg[0] = '\0';
		ck_assert_int_eq(inf_options_fill(&p, config_lookup(&c, "step"), reserved, &conf,
						  &own, ".", msg, sizeof msg), INF_ERR_INVALID);
		ck_assert_msg(strstr(msg, cases[i].want) != NULL, "%s", msg);
		inf_owned_free(&own);
	}
	config_destroy(&c);
}
END_TEST

/* `plugin` and `when` belong to the core: a plugin that declares them as
 * options is refused, whether or not the step sets them, instead of
 * being handed the step's condition or its own name as values. */
START_TEST(test_reserved_option_refused)
{
	static const char *const steps[] = {
		STEP("{ plugin = \"reserved_opt\"; }"),
		STEP("{ plugin = \"reserved_opt\"; when = { path = \"a\"; op = \"exists\"; }; }"),
	};

	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		ck_assert_int_eq(load_text("bad.cfg", steps[i]), -1);
		ck_assert_ptr_null(pol);
		ck_assert_msg(errs.n == 1 &&
				      tu_errs_find(&errs, "bad.cfg:", "plugin 'reserved_opt': declares option 'when', "
							  "a step key that belongs to the core",
						   NULL) == 0,
			      "%s", tu_errs_text(&errs));
		inf_policy_errors_free(&errs);
	}
}
END_TEST

START_TEST(test_opts_required_missing)
{
	expect_error("access_points = (\n"
		     "  { name = \"a\"; chain = (\n"
		     "    { plugin = \"opts\";\n"
		     "      i = 1; }\n"
		     "  ); }\n"
		     ");\n",
		     3, "plugin 'opts': missing required option 'paths'");
}
END_TEST

START_TEST(test_stamp_options)
{
	struct inf_buf out = { 0 };
	struct inf_error err;
	struct inf_request req = { .access_point = "ap1", .object_key = "", .request_id = "" };
	static const char in[] = "{\"a\":1}\n{\"_via\":\"old\",\"who\":\"old\"}\n";

	ck_assert_msg(load_text("p.cfg",
				"access_points = (\n"
				"  { name = \"dflt\"; chain = ( { plugin = \"example_stamp\"; } ); },\n"
				"  { name = \"set\"; chain = ( { plugin = \"example_stamp\"; field = \"who\"; overwrite = true; } ); }\n"
				");\n") == 0,
		      "%s", tu_errs_text(&errs));
	ck_assert_int_eq(tu_transform(inf_policy_find(pol, "dflt"), &req, in, sizeof in - 1, 0,
				      &out, &err, NULL), 0);
	ck_assert_str_eq(out.data, "{\"a\":1,\"_via\":\"ap1\"}\n{\"_via\":\"old\",\"who\":\"old\"}\n");
	inf_buf_reset(&out);
	ck_assert_int_eq(tu_transform(inf_policy_find(pol, "set"), &req, in, sizeof in - 1, 0,
				      &out, &err, NULL), 0);
	ck_assert_str_eq(out.data, "{\"a\":1,\"who\":\"ap1\"}\n{\"_via\":\"old\",\"who\":\"ap1\"}\n");
	inf_buf_free(&out);
}
END_TEST

/* ---- worker threads ---- */

/* INFLIGHT_THREADS: a whole number from 1, capped at INF_MAX_WORKERS.
 * 0 would give every step no instance at all; a sign or a blank, which
 * strtol would skip, is not a whole number. */
START_TEST(test_threads_parse)
{
	static const char *const bad[] = { "0", "00", "-1", "+2", " 2", "2 ", "2x", "x", "",
					   "99999999999999999999x" };
	unsigned n;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = 77;
		ck_assert_msg(inf_threads_parse(bad[i], &n) == -1, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(n, 77);
	}
	ck_assert_int_eq(inf_threads_parse(NULL, &n), -1);
	ck_assert_int_eq(inf_threads_parse("1", &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(inf_threads_parse("03", &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(inf_threads_parse("4", &n), 0);
	ck_assert_uint_eq(n, INF_MAX_WORKERS);
	ck_assert_int_eq(inf_threads_parse("5000", &n), 0);
	ck_assert_uint_eq(n, INF_MAX_WORKERS);
	/* past what a long holds is still "above 4" */
	ck_assert_int_eq(inf_threads_parse("99999999999999999999", &n), 0);
	ck_assert_uint_eq(n, INF_MAX_WORKERS);
}
END_TEST

/* ---- prefixes ---- */

START_TEST(test_allows_key)
{
	const struct inf_access_point *ap;

	ck_assert_msg(load_text("p.cfg",
				"access_points = (\n"
				"  { name = \"all\"; chain = " ONE_STEP "; },\n"
				"  { name = \"some\"; prefixes = [ \"store_events/\", \"x/\" ]; chain = " ONE_STEP "; },\n"
				"  { name = \"list\"; prefixes = ( \"a\" ); chain = " ONE_STEP "; }\n"
				");\n") == 0,
		      "%s", tu_errs_text(&errs));
	ap = inf_policy_find(pol, "all");
	ck_assert_int_eq(inf_ap_allows_key(ap, "anything/at/all"), 1);
	ck_assert_int_eq(inf_ap_allows_key(ap, ""), 1);
	ap = inf_policy_find(pol, "some");
	ck_assert_uint_eq(ap->nprefixes, 2);
	ck_assert_int_eq(inf_ap_allows_key(ap, "store_events/2026/a.json"), 1);
	ck_assert_int_eq(inf_ap_allows_key(ap, "store_events/"), 1);
	ck_assert_int_eq(inf_ap_allows_key(ap, "x/y"), 1);
	ck_assert_int_eq(inf_ap_allows_key(ap, "store_events"), 0);
	ck_assert_int_eq(inf_ap_allows_key(ap, "store_eventsX/a"), 0);
	ck_assert_int_eq(inf_ap_allows_key(ap, "Store_events/a"), 0);
	ck_assert_int_eq(inf_ap_allows_key(ap, "other/store_events/a"), 0);
	ck_assert_int_eq(inf_ap_allows_key(ap, ""), 0);
	ap = inf_policy_find(pol, "list");
	ck_assert_int_eq(inf_ap_allows_key(ap, "abc"), 1);
	ck_assert_int_eq(inf_ap_allows_key(ap, "b"), 0);
	inf_policy_free(pol);
	pol = NULL;
	/* an empty list would allow nothing: a typo more likely than a view */
	expect_error("access_points = (\n"
		     "  { name = \"none\";\n"
		     "    prefixes = [];\n"
		     "    chain = " ONE_STEP "; }\n"
		     ");\n",
		     3, "access point 'none': prefixes is empty");
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_store_events_loads);
	tcase_add_test(tc, test_settings_values);
	tcase_add_test(tc, test_directory_loads_all);
	tcase_add_test(tc, test_empty_chain);
	tcase_add_test(tc, test_not_a_regular_file);
	tcase_add_test(tc, test_directory_duplicate_name);
	tcase_add_test(tc, test_directory_access_point_limit);
	tcase_add_test(tc, test_duplicate_name_in_one_file);
	tcase_add_test(tc, test_missing_and_empty);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_duplicate_setting);
	tcase_add_test(tc, test_unknown_top_level);
	tcase_add_test(tc, test_no_access_points);
	tcase_add_test(tc, test_unknown_ap_setting);
	tcase_add_test(tc, test_bad_format);
	tcase_add_test(tc, test_bad_on_error);
	tcase_add_test(tc, test_bad_max_record_bytes);
	tcase_add_test(tc, test_lossy_numbers);
	tcase_add_test(tc, test_not_utf8);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_last_line_comment);
	tcase_add_test(tc, test_nul_last_byte);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_bad_max_depth);
	tcase_add_test(tc, test_bad_max_key_bytes);
	tcase_add_test(tc, test_error_status);
	tcase_add_test(tc, test_bad_prefixes);
	tcase_add_test(tc, test_name_bounds);
	tcase_add_test(tc, test_lossy_numbers_scanned);
	tcase_add_test(tc, test_joined_strings_in_lists);
	tcase_add_test(tc, test_too_many_elements);
	tcase_add_test(tc, test_include_refused);
	tcase_add_test(tc, test_missing_name);
	tcase_add_test(tc, test_ap_not_a_group);
	tcase_add_test(tc, test_missing_chain);
	tcase_add_test(tc, test_chain_not_a_list);
	tcase_add_test(tc, test_step_not_a_group);
	tcase_add_test(tc, test_step_without_plugin);
	tcase_add_test(tc, test_unknown_plugin);
	tcase_add_test(tc, test_plugin_name_not_allowed);
	tcase_add_test(tc, test_unknown_option);
	tcase_add_test(tc, test_option_wrong_type);
	tcase_add_test(tc, test_empty_paths);
	tcase_add_test(tc, test_missing_required_paths);
	tcase_add_test(tc, test_bad_path);
	tcase_add_test(tc, test_init_fails);
	tcase_add_test(tc, test_option_out_of_memory);
	tcase_add_test(tc, test_version_2);
	tcase_add_test(tc, test_every_bad_ap_reported);
	tcase_add_test(tc, test_every_bad_file_reported);
	tcase_add_test(tc, test_opts_defaults);
	tcase_add_test(tc, test_opts_values);
	tcase_add_test(tc, test_opts_wrong_types);
	tcase_add_test(tc, test_opts_file_refused);
	tcase_add_test(tc, test_opts_required_missing);
	tcase_add_test(tc, test_bad_option_table);
	tcase_add_test(tc, test_reserved_option_refused);
	tcase_add_test(tc, test_bad_option_tables);
	tcase_add_test(tc, test_stamp_options);
	tcase_add_test(tc, test_threads_parse);
	tcase_add_test(tc, test_allows_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(policy_suite());
}
