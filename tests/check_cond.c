/*
 * Conditions (core/cond.c): compiling from policy text, with file:line
 * errors, and matching records with every op, on missing paths, type
 * mismatches and paths that reach several values. Conditions are read
 * from libconfig text written to a temporary file (so errors carry real
 * lines); records are loaded with inf_record_load.
 */
#include <check.h>
#include <libconfig.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "record.h"
#include "testutil.h"

int __real_regexec(const regex_t *re, const char *s, size_t n, regmatch_t *m, int flags);
int __wrap_regexec(const regex_t *re, const char *s, size_t n, regmatch_t *m, int flags);

static int regexec_fails; /* while set, regexec answers REG_ESPACE */

/* The core's regexec (linked with -Wl,--wrap=regexec). */
int __wrap_regexec(const regex_t *re, const char *s, size_t n, regmatch_t *m, int flags)
{
	return regexec_fails ? REG_ESPACE : __real_regexec(re, s, n, m, flags);
}

static char *tmp;
static char file[PATH_MAX];
static char err[1024];

static void setup(void)
{
	tmp = tu_tmpdir();
	ck_assert_ptr_nonnull(tmp);
}

static void teardown(void)
{
	tu_rmtree(tmp);
	free(tmp);
}

/* Compiles the setting `c` of the libconfig text; returns the status and
 * the condition in *out (NULL on failure). */
static int compile(const char *text, struct inf_cond **out)
{
	config_t cfg;
	int rc;

	ck_assert_int_eq(tu_write(tmp, "cond.cfg", text, strlen(text), file, sizeof file), 0);
	config_init(&cfg);
	ck_assert_msg(config_read_file(&cfg, file), "libconfig: %s:%d: %s", file,
		      config_error_line(&cfg), config_error_text(&cfg));
	err[0] = '\0';
	rc = inf_cond_compile(config_lookup(&cfg, "c"), "when", out, err, sizeof err);
	config_destroy(&cfg);
	return rc;
}

/* Compiles `c = <cond>;` and loads record `json`, then runs
 * inf_cond_check_root (the status, the message in err) when `root`, else
 * inf_cond_match (asserted to be 0 or 1). */
static int run_cond(const char *cond, const char *json, int root)
{
	char text[2048];
	struct inf_cond *c;
	struct inf_record rec;
	struct inf_json_err je;
	int rc;

	snprintf(text, sizeof text, "c = %s;\n", cond);
	ck_assert_msg(compile(text, &c) == 0, "%s: %s", cond, err);
	inf_record_init(&rec, 64);
	ck_assert_msg(inf_record_load(&rec, json, strlen(json), &je) == 0, "%s", json);
	err[0] = '\0';
	rc = root ? inf_cond_check_root(&rec, c, err) : inf_cond_match(&rec, c);
	inf_record_free(&rec);
	inf_cond_free(c);
	ck_assert_msg(root || rc == 0 || rc == 1 || regexec_fails, "match returned %d", rc);
	return rc;
}

/* Whether record `json` matches the condition `c = <cond>;`. */
static int match(const char *cond, const char *json)
{
	return run_cond(cond, json, 0);
}

#define YES(cond, json) ck_assert_msg(match(cond, json) == 1, "%s should match %s", cond, json)
#define NO(cond, json) ck_assert_msg(match(cond, json) == 0, "%s should not match %s", cond, json)

/* Expects the condition text (after "c = ", may span lines) to be refused
 * with "<file>:<line>: when: " and `what` in the message. */
static void refused(const char *cond, int line, const char *what)
{
	char text[2048], where[PATH_MAX + 32];
	struct inf_cond *c = (struct inf_cond *)1;

	snprintf(text, sizeof text, "c = %s;\n", cond);
	ck_assert_int_eq(compile(text, &c), INF_ERR_INVALID);
	ck_assert_ptr_null(c);
	snprintf(where, sizeof where, "%s:%d: when: ", file, line);
	ck_assert_msg(strncmp(err, where, strlen(where)) == 0, "[%s] does not start with [%s]",
		      err, where);
	ck_assert_msg(strstr(err, what) != NULL, "[%s] lacks [%s]", err, what);
}

START_TEST(test_eq)
{
	YES("{ path = \"t\"; op = \"eq\"; value = \"inventory_event\"; }",
	    "{\"t\":\"inventory_event\"}");
	NO("{ path = \"t\"; op = \"eq\"; value = \"inventory_event\"; }", "{\"t\":\"sales_event\"}");
	NO("{ path = \"t\"; op = \"eq\"; value = \"inv\"; }", "{\"t\":\"inventory\"}");
	YES("{ path = \"n\"; op = \"eq\"; value = 5; }", "{\"n\":5}");
	YES("{ path = \"n\"; op = \"eq\"; value = 5; }", "{\"n\":5.0}");
	YES("{ path = \"n\"; op = \"eq\"; value = 500; }", "{\"n\":5e2}");
	YES("{ path = \"n\"; op = \"eq\"; value = 0.5; }", "{\"n\":0.50}");
	YES("{ path = \"n\"; op = \"eq\"; value = 0; }", "{\"n\":-0}");
	YES("{ path = \"n\"; op = \"eq\"; value = 10000000000L; }", "{\"n\":10000000000}");
	YES("{ path = \"b\"; op = \"eq\"; value = true; }", "{\"b\":true}");
	NO("{ path = \"b\"; op = \"eq\"; value = true; }", "{\"b\":false}");
	YES("{ path = \"b\"; op = \"eq\"; value = false; }", "{\"b\":false}");
	/* strings compare unescaped */
	YES("{ path = \"s\"; op = \"eq\"; value = \"caf\xc3\xa9\"; }", "{\"s\":\"caf\\u00e9\"}");
	YES("{ path = \"s\"; op = \"eq\"; value = \"a\\\"b\"; }", "{\"s\":\"a\\\"b\"}");
	YES("{ path = \"s\"; op = \"eq\"; value = \"\"; }", "{\"s\":\"\"}");
	/* a value longer than the literal, its next byte the literal's
	 * terminator: compared over the literal's length only (an ASan
	 * build sees any read past it) */
	NO("{ path = \"s\"; op = \"eq\"; value = \"a\"; }", "{\"s\":\"a\\u0000z\"}");
	YES("{ path = \"s\"; op = \"gt\"; value = \"a\"; }", "{\"s\":\"a\\u0000z\"}");
	/* nested and quoted paths */
	YES("{ path = \"a.b\"; op = \"eq\"; value = 1; }", "{\"a\":{\"b\":1}}");
	YES("{ path = \"\\\"a.b\\\"\"; op = \"eq\"; value = 1; }", "{\"a.b\":1}");
}
END_TEST

START_TEST(test_type_mismatch_is_false)
{
	NO("{ path = \"n\"; op = \"eq\"; value = 5; }", "{\"n\":\"5\"}");
	NO("{ path = \"n\"; op = \"eq\"; value = \"5\"; }", "{\"n\":5}");
	NO("{ path = \"n\"; op = \"eq\"; value = 1; }", "{\"n\":true}");
	NO("{ path = \"n\"; op = \"eq\"; value = true; }", "{\"n\":1}");
	NO("{ path = \"n\"; op = \"eq\"; value = \"null\"; }", "{\"n\":null}");
	NO("{ path = \"n\"; op = \"eq\"; value = \"x\"; }", "{\"n\":{\"x\":1}}");
	NO("{ path = \"n\"; op = \"eq\"; value = 1; }", "{\"n\":[1]}");
	NO("{ path = \"n\"; op = \"gt\"; value = 1; }", "{\"n\":\"2\"}");
	NO("{ path = \"n\"; op = \"lt\"; value = \"b\"; }", "{\"n\":1}");
	NO("{ path = \"n\"; op = \"ge\"; value = 0; }", "{\"n\":true}");
	NO("{ path = \"n\"; op = \"le\"; value = 0; }", "{\"n\":null}");
	NO("{ path = \"n\"; op = \"matches\"; value = \"1\"; }", "{\"n\":1}");
	NO("{ path = \"n\"; op = \"matches\"; value = \".*\"; }", "{\"n\":[\"a\"]}");
	/* ne and not_in are the negations: a mismatch is "not equal" */
	YES("{ path = \"n\"; op = \"ne\"; value = 5; }", "{\"n\":\"5\"}");
	YES("{ path = \"n\"; op = \"not_in\"; value = [5, 6]; }", "{\"n\":\"5\"}");
}
END_TEST

START_TEST(test_ne)
{
	YES("{ path = \"t\"; op = \"ne\"; value = \"a\"; }", "{\"t\":\"b\"}");
	NO("{ path = \"t\"; op = \"ne\"; value = \"a\"; }", "{\"t\":\"a\"}");
	NO("{ path = \"n\"; op = \"ne\"; value = 1; }", "{\"n\":1.0}");
	YES("{ path = \"b\"; op = \"ne\"; value = true; }", "{\"b\":false}");
}
END_TEST

START_TEST(test_in_not_in)
{
	const char *in = "{ path = \"c\"; op = \"in\"; value = ( \"Books\", \"Games\", 7, true ); }";
	const char *out = "{ path = \"c\"; op = \"not_in\"; value = ( \"Books\", 7 ); }";

	YES(in, "{\"c\":\"Games\"}");
	YES(in, "{\"c\":7}");
	YES(in, "{\"c\":7.0}");
	YES(in, "{\"c\":true}");
	NO(in, "{\"c\":\"Shoes\"}");
	NO(in, "{\"c\":\"7\"}");
	NO(in, "{\"c\":false}");
	NO(in, "{\"c\":null}");
	NO(out, "{\"c\":\"Books\"}");
	NO(out, "{\"c\":7}");
	YES(out, "{\"c\":\"Games\"}");
	YES(out, "{\"c\":[\"Books\"]}");
	YES("{ path = \"c\"; op = \"in\"; value = [ 1 ]; }", "{\"c\":1}");
}
END_TEST

START_TEST(test_order)
{
	/* numbers as numbers */
	YES("{ path = \"n\"; op = \"gt\"; value = 9; }", "{\"n\":10}");
	NO("{ path = \"n\"; op = \"gt\"; value = 10; }", "{\"n\":10}");
	YES("{ path = \"n\"; op = \"ge\"; value = 10; }", "{\"n\":10}");
	YES("{ path = \"n\"; op = \"ge\"; value = 10; }", "{\"n\":1e1}");
	YES("{ path = \"n\"; op = \"lt\"; value = 0; }", "{\"n\":-0.5}");
	NO("{ path = \"n\"; op = \"lt\"; value = 0; }", "{\"n\":0}");
	YES("{ path = \"n\"; op = \"le\"; value = 0; }", "{\"n\":0}");
	YES("{ path = \"n\"; op = \"gt\"; value = 2.5; }", "{\"n\":2.51}");
	YES("{ path = \"n\"; op = \"gt\"; value = 1e300; }", "{\"n\":1e400}");
	/* strings as strings: bytes, so "10" < "9" and code point order */
	YES("{ path = \"s\"; op = \"lt\"; value = \"9\"; }", "{\"s\":\"10\"}");
	YES("{ path = \"s\"; op = \"gt\"; value = \"a\"; }", "{\"s\":\"ab\"}");
	NO("{ path = \"s\"; op = \"gt\"; value = \"ab\"; }", "{\"s\":\"a\"}");
	YES("{ path = \"s\"; op = \"ge\"; value = \"2026-11-01\"; }",
	    "{\"s\":\"2026-11-28T20:15:03\"}");
	NO("{ path = \"s\"; op = \"lt\"; value = \"2026-11-01\"; }",
	   "{\"s\":\"2026-11-28T20:15:03\"}");
	YES("{ path = \"s\"; op = \"gt\"; value = \"z\"; }", "{\"s\":\"\\u00e9\"}");
	YES("{ path = \"s\"; op = \"le\"; value = \"b\"; }", "{\"s\":\"b\"}");
}
END_TEST

START_TEST(test_integers_exact)
{
	/* integers compare exactly, past 2^53 where doubles are equal */
	NO("{ path = \"n\"; op = \"eq\"; value = 9007199254740993L; }", "{\"n\":9007199254740992}");
	YES("{ path = \"n\"; op = \"eq\"; value = 9007199254740993L; }", "{\"n\":9007199254740993}");
	YES("{ path = \"n\"; op = \"ne\"; value = 9007199254740993L; }", "{\"n\":9007199254740992}");
	NO("{ path = \"n\"; op = \"in\"; value = [ 9007199254740993L, 1L ]; }",
	   "{\"n\":9007199254740992}");
	YES("{ path = \"n\"; op = \"gt\"; value = 9007199254740992L; }", "{\"n\":9007199254740993}");
	YES("{ path = \"n\"; op = \"lt\"; value = -9007199254740992L; }", "{\"n\":-9007199254740993}");
	/* the ends of 64 bits, and integers past them */
	YES("{ path = \"n\"; op = \"eq\"; value = 9223372036854775807L; }",
	    "{\"n\":9223372036854775807}");
	NO("{ path = \"n\"; op = \"eq\"; value = 9223372036854775807L; }",
	   "{\"n\":9223372036854775808}");
	YES("{ path = \"n\"; op = \"gt\"; value = 9223372036854775807L; }",
	    "{\"n\":9223372036854775808}");
	YES("{ path = \"n\"; op = \"eq\"; value = -9223372036854775807L; }",
	    "{\"n\":-9223372036854775807}");
	YES("{ path = \"n\"; op = \"lt\"; value = -9223372036854775807L; }",
	    "{\"n\":-9223372036854775808}");
	/* the most negative 64-bit integer is one, not past them */
	YES("{ path = \"n\"; op = \"eq\"; value = -9223372036854775808L; }",
	    "{\"n\":-9223372036854775808}");
	NO("{ path = \"n\"; op = \"lt\"; value = -9223372036854775808L; }",
	   "{\"n\":-9223372036854775808}");
	YES("{ path = \"n\"; op = \"lt\"; value = -9223372036854775808L; }",
	    "{\"n\":-9223372036854775809}");
	YES("{ path = \"n\"; op = \"lt\"; value = -9223372036854775807L; }",
	    "{\"n\":-99999999999999999999}");
	NO("{ path = \"n\"; op = \"lt\"; value = 0; }", "{\"n\":99999999999999999999}");
	/* a fraction or an exponent on either side: as doubles */
	YES("{ path = \"n\"; op = \"eq\"; value = 5; }", "{\"n\":5.0}");
	YES("{ path = \"n\"; op = \"eq\"; value = 5.0; }", "{\"n\":5}");
	YES("{ path = \"n\"; op = \"eq\"; value = 20; }", "{\"n\":2E1}");
}
END_TEST

START_TEST(test_exists_missing)
{
	const char *ex = "{ path = \"a.b\"; op = \"exists\"; }";
	const char *mi = "{ path = \"a.b\"; op = \"missing\"; }";

	YES(ex, "{\"a\":{\"b\":1}}");
	YES(ex, "{\"a\":{\"b\":null}}");
	YES(ex, "{\"a\":{\"b\":{}}}");
	NO(ex, "{\"a\":{\"c\":1}}");
	NO(ex, "{\"a\":1}");
	NO(ex, "{\"a\":[{\"b\":1}]}");
	NO(ex, "[1]");
	NO(ex, "\"a\"");
	NO(mi, "{\"a\":{\"b\":null}}");
	YES(mi, "{\"a\":{\"c\":1}}");
	YES(mi, "{}");
	YES(mi, "7");
}
END_TEST

START_TEST(test_missing_path)
{
	/* every op is false on a missing path except the negations */
	NO("{ path = \"x\"; op = \"eq\"; value = 1; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"in\"; value = [1]; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"gt\"; value = 0; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"ge\"; value = 0; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"lt\"; value = 0; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"le\"; value = 0; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"matches\"; value = \"\"; }", "{\"y\":1}");
	NO("{ path = \"x\"; op = \"exists\"; }", "{\"y\":1}");
	YES("{ path = \"x\"; op = \"ne\"; value = 1; }", "{\"y\":1}");
	YES("{ path = \"x\"; op = \"not_in\"; value = [1]; }", "{\"y\":1}");
	YES("{ path = \"x\"; op = \"missing\"; }", "{\"y\":1}");
}
END_TEST

/* glibc's matcher out of memory (REG_ESPACE, a pattern whose states blow
 * up over a long value) is out of memory, never "no match": a drop rule
 * or a `when` that protects a field would otherwise let the record by. */
START_TEST(test_matches_out_of_memory)
{
	const char *re = "{ path = \"s\"; op = \"matches\"; value = \"^a\"; }";

	YES(re, "{\"s\":\"ab\"}");
	regexec_fails = 1;
	ck_assert_int_eq(match(re, "{\"s\":\"ab\"}"), INF_ERR_NOMEM);
	ck_assert_int_eq(match(re, "{\"s\":\"b\"}"), INF_ERR_NOMEM);
	ck_assert_int_eq(match("{ not = { path = \"s\"; op = \"matches\"; value = \"^a\"; }; }",
			       "{\"s\":\"b\"}"), INF_ERR_NOMEM);
	/* no string, no regexec: nothing to fail */
	ck_assert_int_eq(match(re, "{\"s\":1}"), 0);
	regexec_fails = 0;
}
END_TEST

START_TEST(test_matches)
{
	const char *re = "{ path = \"s\"; op = \"matches\"; value = \"^[A-Z][a-z]+s$\"; }";

	YES(re, "{\"s\":\"Books\"}");
	NO(re, "{\"s\":\"books\"}");
	NO(re, "{\"s\":\"Books!\"}");
	/* unanchored by default */
	YES("{ path = \"s\"; op = \"matches\"; value = \"ook\"; }", "{\"s\":\"Books\"}");
	/* extended syntax: alternation, counts */
	YES("{ path = \"s\"; op = \"matches\"; value = \"^(sales|inventory)_event$\"; }",
	    "{\"s\":\"sales_event\"}");
	YES("{ path = \"s\"; op = \"matches\"; value = \"^[0-9]{3}-[0-9]{4}$\"; }",
	    "{\"s\":\"555-1234\"}");
	/* the unescaped value is matched */
	YES("{ path = \"s\"; op = \"matches\"; value = \"^a\\\"b$\"; }", "{\"s\":\"a\\\"b\"}");
	YES("{ path = \"s\"; op = \"matches\"; value = \"^caf\xc3\xa9$\"; }", "{\"s\":\"caf\\u00e9\"}");
	YES("{ path = \"s\"; op = \"matches\"; value = \"^a\nb$\"; }", "{\"s\":\"a\\nb\"}");
	/* a NUL inside the string does not end it */
	YES("{ path = \"s\"; op = \"matches\"; value = \"z$\"; }", "{\"s\":\"a\\u0000z\"}");
	NO("{ path = \"s\"; op = \"matches\"; value = \"^a$\"; }", "{\"s\":\"a\\u0000z\"}");
	/* ... and a '.' matches it, as any other byte: a drop rule is not
	 * passed by a value holding one */
	YES("{ path = \"s\"; op = \"matches\"; value = \"^.*@internal[.]example$\"; }",
	    "{\"s\":\"bob\\u0000@internal.example\"}");
	YES("{ path = \"s\"; op = \"matches\"; value = \"^.{5}$\"; }", "{\"s\":\"ab\\u0000de\"}");
	YES("{ path = \"s\"; op = \"matches\"; value = \"^a[^x]b$\"; }", "{\"s\":\"a\\u0000b\"}");
	/* ^ and $ are the string's ends, not a line's (regcomp without
	 * REG_NEWLINE), and '.' matches a newline too */
	NO("{ path = \"s\"; op = \"matches\"; value = \"^b\"; }", "{\"s\":\"a\\nb\"}");
	NO("{ path = \"s\"; op = \"matches\"; value = \"a$\"; }", "{\"s\":\"a\\nb\"}");
	YES("{ path = \"s\"; op = \"matches\"; value = \"^a.b$\"; }", "{\"s\":\"a\\nb\"}");
}
END_TEST

/* A pattern is compiled as "^.*(P)" with '^' the text's start: the same
 * strings match as an unanchored search, in time linear in the value's
 * length (inf_regex_anchored). */
START_TEST(test_matches_anchored_form)
{
	static const char *const pats[] = { "ook", "^ook", "ok$", "^(a|b)+$", "(^|,)b",
		"x[^a]y", "a\\^b", "[]^]", "[[:alpha:]^]z", "a|^b|c$", "" };
	static const char *const vals[] = { "Books", "ook", "ab", "a,b", "b", "xby",
		"xay", "a^b", "^", "]", "q^z", "cb", "ac", "zb", "" };
	size_t big = 300000;
	char *json = malloc(big + 32);

	/* against glibc's own unanchored search, with the runtime's syntax
	 * (a pattern without '^' after a newline, where glibc differs) */
	for (size_t i = 0; i < sizeof pats / sizeof *pats; i++)
		for (size_t j = 0; j < sizeof vals / sizeof *vals; j++) {
			char cond[256], rec[128];
			regex_t re = { 0 };
			regmatch_t m[1] = { { 0, (regoff_t)strlen(vals[j]) } };
			int want;
			re.fastmap = malloc(256);
			re_syntax_options = (RE_SYNTAX_POSIX_EXTENDED &
					     ~(RE_DOT_NOT_NULL | RE_UNMATCHED_RIGHT_PAREN_ORD)) | RE_NO_SUB;
			ck_assert_ptr_null(re_compile_pattern(pats[i], strlen(pats[i]), &re));
			re.newline_anchor = 0;
			want = regexec(&re, vals[j], 1, m, REG_STARTEND) == 0;
			regfree(&re);
			snprintf(cond, sizeof cond, "{ path = \"s\"; op = \"matches\"; value = \"%s\"; }",
				 pats[i]);
			snprintf(rec, sizeof rec, "{\"s\":\"%s\"}", vals[j]);
			ck_assert_msg(match(cond, rec) == want, "%s on %s: want %d", cond, rec, want);
		}
	/* '^' is the text's start wherever it stands: glibc let one inside a
	 * pattern match after a newline */
	NO("{ path = \"s\"; op = \"matches\"; value = \"a\\n^b\"; }", "{\"s\":\"a\\nb\"}");
	NO("{ path = \"s\"; op = \"matches\"; value = \"(^|,)b\"; }", "{\"s\":\"a\\nb\"}");
	/* a search that would start again at each of 300000 bytes (minutes
	 * unanchored) ends: the test's timeout is the bound */
	memcpy(json, "{\"s\":\"", 6);
	memset(json + 6, 'x', big);
	memcpy(json + 6 + big, "\"}", 3);
	NO("{ path = \"s\"; op = \"matches\"; value = \"x.*@corp$\"; }", json);
	NO("{ path = \"s\"; op = \"matches\"; value = \"(x+x+)+y\"; }", json);
	free(json);
}
END_TEST

START_TEST(test_several_values)
{
	const char *sku = "{ path = \"items[*].sku\"; op = \"eq\"; value = \"b\"; }";

	/* any value that holds is enough */
	YES(sku, "{\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}");
	NO(sku, "{\"items\":[{\"sku\":\"a\"},{\"sku\":\"c\"}]}");
	NO(sku, "{\"items\":[]}");
	YES("{ path = \"items[*].qty\"; op = \"gt\"; value = 10; }",
	    "{\"items\":[{\"qty\":1},{\"qty\":\"50\"},{\"qty\":11}]}");
	/* ne: no value equals */
	NO("{ path = \"items[*].sku\"; op = \"ne\"; value = \"b\"; }",
	   "{\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"}]}");
	YES("{ path = \"items[*].sku\"; op = \"ne\"; value = \"b\"; }",
	    "{\"items\":[{\"sku\":\"a\"},{\"sku\":\"c\"}]}");
	/* any depth, duplicate keys (which inf_cond_check_root refuses) */
	YES("{ path = \"**.password\"; op = \"exists\"; }", "{\"a\":[{\"b\":{\"password\":1}}]}");
	YES("{ path = \"**.id\"; op = \"eq\"; value = 2; }", "{\"id\":1,\"x\":{\"id\":{\"id\":2}}}");
	YES("{ path = \"k\"; op = \"eq\"; value = 2; }", "{\"k\":1,\"k\":2}");
	YES("{ path = \"items[1]\"; op = \"eq\"; value = 2; }", "{\"items\":[1,2]}");
}
END_TEST

START_TEST(test_all_any_not)
{
	const char *all = "{ all = ( { path = \"a\"; op = \"eq\"; value = 1; },"
			  "          { path = \"b\"; op = \"eq\"; value = 2; } ); }";
	const char *any = "{ any = ( { path = \"a\"; op = \"eq\"; value = 1; },"
			  "          { path = \"b\"; op = \"eq\"; value = 2; } ); }";

	YES(all, "{\"a\":1,\"b\":2}");
	NO(all, "{\"a\":1,\"b\":3}");
	NO(all, "{\"b\":2}");
	YES(any, "{\"a\":1,\"b\":3}");
	YES(any, "{\"b\":2}");
	NO(any, "{\"a\":2,\"b\":3}");
	NO(any, "{}");
	YES("{ not = { path = \"a\"; op = \"eq\"; value = 1; }; }", "{\"a\":2}");
	NO("{ not = { path = \"a\"; op = \"eq\"; value = 1; }; }", "{\"a\":1}");
	YES("{ not = { path = \"a\"; op = \"eq\"; value = 1; }; }", "{}");
	/* nesting */
	YES("{ all = ( { any = ( { path = \"t\"; op = \"eq\"; value = \"x\"; },"
	    "                    { path = \"t\"; op = \"eq\"; value = \"y\"; } ); },"
	    "          { not = { path = \"r\"; op = \"eq\"; value = true; }; } ); }",
	    "{\"t\":\"y\",\"r\":false}");
	NO("{ all = ( { any = ( { path = \"t\"; op = \"eq\"; value = \"x\"; },"
	   "                    { path = \"t\"; op = \"eq\"; value = \"y\"; } ); },"
	   "          { not = { path = \"r\"; op = \"eq\"; value = true; }; } ); }",
	   "{\"t\":\"y\",\"r\":true}");
	YES("{ all = ( { path = \"a\"; op = \"exists\"; } ); }", "{\"a\":0}");
}
END_TEST

START_TEST(test_pending_edits_not_seen)
{
	struct inf_cond *c;
	struct inf_record rec;
	struct inf_json_err je;
	const char *json = "{\"a\":1,\"b\":2}";

	ck_assert_int_eq(compile("c = { path = \"a\"; op = \"exists\"; };", &c), 0);
	inf_record_init(&rec, 64);
	ck_assert_int_eq(inf_record_load(&rec, json, strlen(json), &je), 0);
	ck_assert_int_eq(inf_cond_match(&rec, c), 1);
	ck_assert_int_eq(inf_record_remove(&rec, 2), 0); /* the value of "a" */
	ck_assert_int_eq(inf_cond_match(&rec, c), 0);
	inf_record_free(&rec);
	inf_cond_free(c);
}
END_TEST

/* inf_cond_check_root of `c = <cond>;` over record `json`: the status,
 * the message in err. */
static int reach(const char *cond, const char *json)
{
	return run_cond(cond, json, 1);
}

#define LOOKS(cond, json) ck_assert_msg(reach(cond, json) == 0, "%s refused %s: %s", cond, json, err)
#define BLIND(cond, json, what)                                                        \
	do {                                                                           \
		ck_assert_msg(reach(cond, json) == INF_ERR_TYPE, "%s looked inside %s", \
			      cond, json);                                             \
		ck_assert_msg(strstr(err, what) != NULL, "[%s] lacks [%s]", err, what);   \
	} while (0)

#define TEST_RULE "{ path = \"customer.is_test\"; op = \"eq\"; value = true; }"
#define CUST_ARRAY "the value of member \"customer\" is an array and no path of the " \
	"condition naming it reaches into one (a path with [*] or ** there does): refused " \
	"rather than decided without looking inside"

/* Below the root as at it: a path that names a member of "customer"
 * cannot look inside "customer": [{...}], which every op would decide
 * as a missing path (eq false, so a drop filter passed the record).
 * exists and missing too: a `when` on "customer.email" exists would skip
 * the mask_fields step that refuses the record. Scalars, empty
 * containers, full matches and what a wildcard meets are looked at. */
START_TEST(test_check_below_root)
{
	BLIND(TEST_RULE, "{\"customer\":[{\"is_test\":true}]}", CUST_ARRAY);
	BLIND("{ path = \"customer.email\"; op = \"exists\"; }",
	      "{\"customer\":[{\"email\":\"a@b\"}]}", CUST_ARRAY);
	BLIND("{ path = \"customer.email\"; op = \"missing\"; }",
	      "{\"customer\":[{\"email\":\"a@b\"}]}", CUST_ARRAY);
	BLIND("{ path = \"customer.email\"; op = \"ne\"; value = \"x\"; }",
	      "{\"n\":1,\"customer\":[1]}", CUST_ARRAY);
	BLIND("{ path = \"items[*].price\"; op = \"gt\"; value = 100; }",
	      "{\"items\":{\"a\":{\"price\":500}}}",
	      "the value of member \"items\" is an object and no path of the condition");
	BLIND("{ path = \"a[0].b\"; op = \"exists\"; }", "{\"a\":[[{\"b\":1}]]}",
	      "an array element is an array and no path of the condition");
	/* what [*] meets and cannot step into, holding what comes next */
	BLIND("{ path = \"it[*].s\"; op = \"exists\"; }", "{\"it\":[[{\"s\":1}]]}",
	      "an array element, met by [*], is an array holding member \"s\", which no path "
	      "of the condition reaches into");
	ck_assert_int_eq(reach("{ path = \"it[*].s\"; op = \"exists\"; }", "{\"it\":[[{\"t\":1}],2]}"), 0);
	/* a path that only meets "customer" (**) does not decide it */
	BLIND("{ any = ( " TEST_RULE ", { path = \"**.debug\"; op = \"exists\"; } ); }",
	      "{\"customer\":[{\"is_test\":true}]}", CUST_ARRAY);
	/* ... but one that reaches the same member everywhere does */
	ck_assert_int_eq(reach("{ any = ( " TEST_RULE ", { path = \"**.is_test\"; op = \"eq\"; "
			       "value = true; } ); }", "{\"customer\":[{\"is_test\":true}]}"), 0);
	/* wherever the rule stands in the condition */
	BLIND("{ not = " TEST_RULE "; }", "{\"customer\":[{\"is_test\":true}]}", CUST_ARRAY);
	BLIND("{ any = ( { path = \"t\"; op = \"eq\"; value = 1; }, " TEST_RULE " ); }",
	      "{\"t\":1,\"customer\":[{\"is_test\":true}]}", CUST_ARRAY);
	/* a rule ending at "customer" does not make the other one see inside */
	BLIND("{ all = ( { path = \"customer\"; op = \"exists\"; }, " TEST_RULE " ); }",
	      "{\"customer\":[{\"is_test\":true}]}", CUST_ARRAY);
	/* the root rule is worded as before */
	BLIND(TEST_RULE, "[{\"customer\":{\"is_test\":true}}]",
	      "the record is an array and no path of the condition reaches into one");
	/* nothing hidden */
	LOOKS(TEST_RULE, "{\"customer\":{\"is_test\":true}}");
	LOOKS(TEST_RULE, "{\"customer\":[]}");
	LOOKS(TEST_RULE, "{\"customer\":{}}");
	LOOKS(TEST_RULE, "{\"customer\":\"c1\"}");
	LOOKS(TEST_RULE, "{\"customer\":null,\"x\":[1]}");
	LOOKS(TEST_RULE, "{}");
	LOOKS(TEST_RULE, "7");
	LOOKS("{ path = \"customer\"; op = \"exists\"; }", "{\"customer\":[{\"is_test\":true}]}");
	LOOKS("{ path = \"*.secret\"; op = \"exists\"; }", "{\"tags\":[\"a\"]}");
	LOOKS("{ path = \"**.is_test\"; op = \"eq\"; value = true; }",
	      "{\"customer\":[{\"is_test\":true}]}");
	/* one path of the condition that reaches in is enough */
	LOOKS("{ any = ( " TEST_RULE ", { path = \"customer[*].is_test\"; op = \"eq\"; value = true; } ); }",
	      "{\"customer\":[{\"is_test\":true}]}");
}
END_TEST

START_TEST(test_compile_errors)
{
	refused("{ path = \"a\"; op = \"eqq\"; value = 1; }", 1, "unknown op 'eqq'");
	refused("{\n path = \"a\";\n op = \"matches\";\n value = \"([a-z\"; }", 4, "bad regex \"([a-z\"");
	/* a ')' that opens nothing (glibc would take it as a character) */
	refused("{ path = \"a\"; op = \"matches\"; value = \"a)b\"; }", 1,
		"bad regex \"a)b\": Unmatched ) or \\)");
	/* regcomp would take gigabytes (and minutes) for these: refused first */
	refused("{ path = \"a\"; op = \"matches\"; value = \"^1+++++++++++++++++++++++++++++++++++++++++++[0-9]+$\"; }",
		1, "is too large once its repetitions are spelled out");
	refused("{ path = \"a\"; op = \"matches\"; value = \"((a{100}){100}){100}\"; }", 1,
		"too large");
	refused("{ path = \"a\"; op = \"matches\"; value = \"(a|b*)++++\"; }", 1,
		"or repeats parts that can match empty more than 3 times");
	/* a back-reference could stall a worker on one record: refused */
	refused("{ path = \"a\"; op = \"matches\"; value = \"((a*)(a*))*\\\\2\\\\3b\"; }", 1,
		"holds a back-reference");
	refused("{ op = \"eq\"; value = 1; }", 1, "a rule needs 'path'");
	refused("{ path = \"a\"; value = 1; }", 1, "a rule needs 'op'");
	refused("{ path = 1; op = \"eq\"; value = 1; }", 1, "a rule needs 'path'");
	refused("{ path = \"a..b\"; op = \"eq\"; value = 1; }", 1, "bad path \"a..b\"");
	refused("{ path = \"a\"; op = \"eq\"; }", 1, "op 'eq' needs a value");
	refused("{ path = \"a\";\n op = \"exists\";\n value = 1; }", 3, "op 'exists' takes no value");
	refused("{ path = \"a\"; op = \"in\"; value = 1; }", 1, "op 'in' needs a list");
	refused("{ path = \"a\"; op = \"not_in\"; value = []; }", 1, "needs at least one value");
	refused("{ path = \"a\"; op = \"gt\"; value = true; }", 1, "compares numbers or strings");
	refused("{ path = \"a\"; op = \"matches\"; value = 1; }", 1, "regular expression string");
	refused("{ path = \"a\"; op = \"eq\"; value = [1]; }", 1, "a string, a number or a boolean");
	refused("{ path = \"a\"; op = \"in\"; value = ( { x = 1; } ); }", 1, "a string, a number or a boolean");
	refused("{ path = \"a\"; op = \"eq\"; value = 1; when = 2; }", 1, "unknown key 'when'");
	refused("{ all = (); }", 1, "'all' needs at least one condition");
	refused("{ any = { path = \"a\"; op = \"exists\"; }; }", 1, "'any' needs a list");
	refused("{ not = ( { path = \"a\"; op = \"exists\"; } ); }", 1, "'not' needs one condition group");
	refused("{ all = ( { path = \"a\"; op = \"exists\"; } ); any = ( { path = \"a\"; op = \"exists\"; } ); }",
		1, "not both 'all' and 'any'");
	refused("{ all = ( { path = \"a\"; op = \"exists\"; } ); path = \"b\"; }", 1, "either all, any, not or a rule");
	refused("{ }", 1, "empty condition");
	refused("\"a == 1\"", 1, "a condition must be a group");
	/* a nested error names the nested line */
	refused("{ all = (\n  { path = \"a\"; op = \"exists\"; },\n  { path = \"b\"; op = \"like\"; value = 1; }\n); }",
		3, "unknown op 'like'");
}
END_TEST

START_TEST(test_node_number)
{
	struct inf_record rec;
	struct inf_json_err je;
	char big[400], digits[301], edge[160];
	double d = 0;

	memset(digits, '0', 300);
	digits[0] = '1';
	digits[300] = '\0';
	snprintf(big, sizeof big, "[1.5, 1e400, \"7\", %s.5, -2e-400]", digits);
	inf_record_init(&rec, 8);
	ck_assert_int_eq(inf_record_load(&rec, big, strlen(big), &je), 0);
	ck_assert_int_eq(inf_node_number(&rec, 1, &d), 0);
	ck_assert(d == 1.5);
	ck_assert_int_eq(inf_node_number(&rec, 2, &d), INF_ERR_LIMIT);
	ck_assert_int_eq(inf_node_number(&rec, 3, &d), INF_ERR_TYPE);
	ck_assert_int_eq(inf_node_number(&rec, 4, &d), 0); /* 300 digits */
	ck_assert(d > 0.99e299 && d < 1.01e299);
	ck_assert_int_eq(inf_node_number(&rec, 5, &d), 0); /* underflow is 0 */
	ck_assert(d == 0);
	ck_assert_int_eq(inf_node_number(&rec, 0, &d), INF_ERR_TYPE);
	inf_record_free(&rec);
	/* 63 and 64 bytes, either side of the small copy's size: the
	 * terminator of a 64-byte number goes to the heap copy, not one past
	 * the stack buffer (an ASan build sees such a write) */
	memset(digits, '0', 64);
	digits[0] = '1';
	digits[64] = '\0';
	snprintf(edge, sizeof edge, "[%s, %.63s]", digits, digits);
	inf_record_init(&rec, 8);
	ck_assert_int_eq(inf_record_load(&rec, edge, strlen(edge), &je), 0);
	ck_assert_int_eq(inf_node_number(&rec, 1, &d), 0);
	ck_assert(d > 0.99e63 && d < 1.01e63);
	ck_assert_int_eq(inf_node_number(&rec, 2, &d), 0);
	ck_assert(d > 0.99e62 && d < 1.01e62);
	inf_record_free(&rec);
}
END_TEST

/* A member a path reaches whole, held twice by one object: readers take
 * either value, so the condition refuses the record (inf_cond_check_root;
 * inf_cond_match alone still reads it as any value: test_several_values).
 * Copies in different objects, or of a key no path reads, are fine. */
START_TEST(test_duplicate_keys)
{
	const char *type = "{ path = \"evnt_type\"; op = \"eq\"; value = \"inventory_event\"; }";
	const char *twice = "member \"evnt_type\" is in one object twice, and readers take "
			    "either value: refused rather than decided on one of them";
	struct inf_buf big = { 0 };

	BLIND(type, "{\"evnt_type\":\"inventory_event\",\"qty\":1,\"evnt_type\":\"sales_event\"}",
	      twice);
	BLIND(type, "{\"evnt_type\":\"a\",\"evnt_type\":\"a\"}", twice);
	/* compared unescaped */
	BLIND(type, "{\"evnt_type\":\"a\",\"evnt_\\u0074ype\":\"b\"}", twice);
	BLIND(type, "{\"evnt\\u005ftype\":\"a\",\"evnt_\\u0074ype\":\"b\"}", twice);
	/* below the root, by any path of the condition */
	BLIND("{ any = ( { path = \"x\"; op = \"exists\"; }, "
	      "{ path = \"c.country\"; op = \"ne\"; value = \"US\"; } ); }",
	      "{\"c\":{\"country\":\"US\",\"country\":\"DE\"}}", "member \"country\" is in one");
	BLIND("{ path = \"**.id\"; op = \"exists\"; }", "{\"a\":[{\"b\":{\"id\":1,\"id\":2}}]}",
	      "member \"id\" is in one object twice");
	/* a key a path passes through, held twice */
	BLIND("{ path = \"customer.country\"; op = \"ne\"; value = \"US\"; }",
	      "{\"customer\":{\"country\":\"US\"},\"customer\":{\"country\":\"DE\"}}",
	      "member \"customer\" is in one object twice");
	BLIND("{ path = \"**.type\"; op = \"eq\"; value = 1; }",
	      "[{\"x\":{\"type\":1},\"x\":{\"type\":2}}]", "member \"x\" is in one object twice");
	/* each once in its object: fine */
	LOOKS(type, "{\"evnt_type\":\"a\",\"qty\":1,\"qty\":2}");
	LOOKS(type, "{\"evnt_type\":\"a\",\"evnt_typ\":\"b\",\"evnt_types\":\"c\"}");
	LOOKS("{ path = \"[*].id\"; op = \"eq\"; value = 1; }", "[{\"id\":1},{\"id\":2}]");
	LOOKS("{ path = \"**.id\"; op = \"eq\"; value = 1; }", "{\"id\":1,\"x\":{\"id\":{\"id\":2}}}");
	LOOKS("{ all = ( { path = \"a\"; op = \"exists\"; }, { path = \"a\"; op = \"ne\"; value = 1; } ); }",
	      "{\"a\":2}");
	/* more matches than are compared pair by pair: sorted */
	ck_assert_int_eq(inf_buf_putc(&big, '{'), 0);
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(inf_buf_printf(&big, "%s\"k%d\":%d", i ? "," : "", (i * 7919) % 300, i), 0);
	ck_assert_int_eq(inf_buf_printf(&big, "}%c", 0), 0);
	LOOKS("{ path = \"*\"; op = \"eq\"; value = 1; }", big.data);
	big.len -= 2;
	ck_assert_int_eq(inf_buf_printf(&big, ",\"k\\u0031\":1}%c", 0), 0);
	BLIND("{ path = \"*\"; op = \"eq\"; value = 1; }", big.data, "member \"k1\" is in one object twice");
	inf_buf_free(&big);
}
END_TEST

/* A list of many literals of every type (looked up sorted, core/valset.c)
 * answers each value as the eq of each of its literals would: a
 * differential over near misses (one more, one less, another spelling of
 * a number, a prefix of a string, a type that differs). */
START_TEST(test_in_many_equals_eq)
{
	static const char *const lits[] = {
		"\"\"", "\"a\"", "\"ab\"", "\"b\"", "\"caf\xc3\xa9\"", "\"10\"", "\"9\"",
		"0", "-1", "7", "1000", "9007199254740992L", "9007199254740993L",
		"9223372036854775807L", "-9223372036854775807L",
		"922337203685477580L", /* the digits an integer past 64 bits stops at */
		"0.5", "-2.25", "1e+300",
		"1e+19", "true",
	};
	static const char *const probes[] = {
		"\"\"", "\"a\"", "\"ab\"", "\"abc\"", "\"b\"", "\"caf\\u00e9\"", "\"10\"", "\"9\"",
		"\"7\"", "\"true\"", "0", "-0", "0.0", "-1", "-1e0", "7", "7.0", "70e-1", "8",
		"1000", "1e3", "999", "9007199254740992", "9007199254740993",
		"9007199254740994", "9223372036854775807", "9223372036854775808",
		"-9223372036854775807", "-9223372036854775808", "0.5", "5e-1", "0.25",
		"-2.25", "1e300", "1e400", "10000000000000000000", "1e19", "true", "false",
		"null", "{}", "[]", "[7]",
	};
	const size_t nl = sizeof lits / sizeof *lits;
	struct inf_cond *in, *not_in, *eq[sizeof lits / sizeof *lits];
	struct inf_buf text = { 0 };

	/* each literal several times over, and in the order given reversed */
	ck_assert_int_eq(inf_buf_printf(&text, "c = { path = \"v\"; op = \"in\"; value = ("), 0);
	for (int rep = 0; rep < 50; rep++)
		for (size_t i = 0; i < nl; i++)
			ck_assert_int_eq(inf_buf_printf(&text, "%s %s", rep || i ? "," : "",
							lits[rep % 2 ? nl - 1 - i : i]), 0);
	ck_assert_int_eq(inf_buf_printf(&text, " ); };\n%c", 0), 0);
	ck_assert_msg(compile(text.data, &in) == 0, "%s", err);
	text.len = 0;
	ck_assert_int_eq(inf_buf_printf(&text, "c = { path = \"v\"; op = \"not_in\"; value = ("), 0);
	for (size_t i = 0; i < nl; i++)
		ck_assert_int_eq(inf_buf_printf(&text, "%s %s", i ? "," : "", lits[i]), 0);
	ck_assert_int_eq(inf_buf_printf(&text, " ); };\n%c", 0), 0);
	ck_assert_msg(compile(text.data, &not_in) == 0, "%s", err);
	for (size_t i = 0; i < nl; i++) {
		text.len = 0;
		ck_assert_int_eq(inf_buf_printf(&text, "c = { path = \"v\"; op = \"eq\"; value = %s; };\n%c",
						lits[i], 0), 0);
		ck_assert_msg(compile(text.data, &eq[i]) == 0, "%s: %s", lits[i], err);
	}
	for (size_t p = 0; p < sizeof probes / sizeof *probes; p++) {
		struct inf_record rec;
		struct inf_json_err je;
		char json[128];
		int want = 0, hits = 0;

		snprintf(json, sizeof json, "{\"v\":%s}", probes[p]);
		inf_record_init(&rec, 16);
		ck_assert_msg(inf_record_load(&rec, json, strlen(json), &je) == 0, "%s", json);
		for (size_t i = 0; i < nl; i++)
			if (inf_cond_match(&rec, eq[i]) == 1) {
				want = 1;
				hits++;
			}
		ck_assert_msg(inf_cond_match(&rec, in) == want, "in, %s: want %d", json, want);
		ck_assert_msg(inf_cond_match(&rec, not_in) == !want, "not_in, %s", json);
		inf_record_free(&rec);
		/* the probes are near misses on purpose: some must hit */
		if (!strcmp(probes[p], "70e-1") || !strcmp(probes[p], "-0") ||
		    !strcmp(probes[p], "1e19") || !strcmp(probes[p], "\"caf\\u00e9\""))
			ck_assert_msg(hits == 1, "%s: %d hits", json, hits);
		if (!strcmp(probes[p], "9007199254740994") || !strcmp(probes[p], "\"abc\"") ||
		    !strcmp(probes[p], "9223372036854775808") || !strcmp(probes[p], "false"))
			ck_assert_msg(hits == 0, "%s: %d hits", json, hits);
	}
	for (size_t i = 0; i < nl; i++)
		inf_cond_free(eq[i]);
	inf_cond_free(in);
	inf_cond_free(not_in);
	inf_buf_free(&text);
}
END_TEST

static Suite *cond_suite(void)
{
	Suite *s = suite_create("cond");
	TCase *tc = tcase_create("cond");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_eq);
	tcase_add_test(tc, test_type_mismatch_is_false);
	tcase_add_test(tc, test_ne);
	tcase_add_test(tc, test_in_not_in);
	tcase_add_test(tc, test_in_many_equals_eq);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_integers_exact);
	tcase_add_test(tc, test_exists_missing);
	tcase_add_test(tc, test_missing_path);
	tcase_add_test(tc, test_matches);
	tcase_add_test(tc, test_matches_out_of_memory);
	tcase_add_test(tc, test_matches_anchored_form);
	tcase_add_test(tc, test_several_values);
	tcase_add_test(tc, test_all_any_not);
	tcase_add_test(tc, test_pending_edits_not_seen);
	tcase_add_test(tc, test_check_below_root);
	tcase_add_test(tc, test_duplicate_keys);
	tcase_add_test(tc, test_compile_errors);
	tcase_add_test(tc, test_node_number);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(cond_suite());
}
