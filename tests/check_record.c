/*
 * Records and their edits (core/record.c): removals, replacements and
 * inserted members give the exact output bytes, commas and whitespace
 * included, and every output is JSON again; commit starts a new round on
 * the new bytes; node access reports each type; one record serves many
 * loads. Nodes are found with paths (core/path.c) so the tests read as
 * the edits a plugin makes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "record.h"
#include "testutil.h"

/* 33 levels: one more than the records here allow */
static const char deep33[] = "[[[[[[[[[["
                             "[[[[[[[[[["
                             "[[[[[[[[[["
                             "[[["
                             "]]]"
                             "]]]]]]]]]]"
                             "]]]]]]]]]]"
                             "]]]]]]]]]]";

static struct inf_record rec;
static struct inf_buf out;

static void setup(void)
{
	inf_record_init(&rec, 32);
	memset(&out, 0, sizeof out);
}

static void teardown(void)
{
	inf_record_free(&rec);
	inf_buf_free(&out);
}

static void load(const char *js)
{
	struct inf_json_err e;
	int rc = inf_record_load(&rec, js, strlen(js), &e);
	ck_assert_msg(rc == 0, "load %s: %s", js, e.msg);
}

/* The node `path` leads to in the record (the first one). */
static int node(const char *path)
{
	struct inf_paths *ps = NULL;
	char err[128];
	int n;

	ck_assert_msg(inf_paths_compile(&path, 1, &ps, err, sizeof err) == 0, "%s", err);
	n = inf_find(&rec, ps);
	inf_paths_free(ps);
	ck_assert_msg(n > 0, "no node at %s", path);
	return n;
}

static void rm(const char *path)
{
	ck_assert_int_eq(inf_record_remove(&rec, node(path)), 0);
}

/* Emits the record; the output must be `want` and parse as JSON. */
static void expect(const char *want)
{
	struct inf_tokens t = {0};
	struct inf_json_err e;
	int rc;

	inf_buf_reset(&out);
	ck_assert_int_eq(inf_record_emit(&rec, &out), 0);
	ck_assert_str_eq(tu_cstr(&out), want);
	rc = inf_json_parse(&t, out.data, out.len, 64, &e);
	ck_assert_msg(rc == 0, "output %s does not parse: %s at %zu", want, e.msg, e.offset);
	inf_tokens_free(&t);
}

/* ---- removals ---- */

START_TEST(test_remove_members)
{
	static const struct {
		const char *rm[3];
		const char *want;
	} cases[] = {
	    {{"b"}, "{\"a\":1,\"c\":3}"}, {{"a"}, "{\"b\":2,\"c\":3}"},
	    {{"c"}, "{\"a\":1,\"b\":2}"}, {{"a", "c"}, "{\"b\":2}"},
	    {{"c", "a"}, "{\"b\":2}"},    {{"a", "b"}, "{\"c\":3}"},
	    {{"b", "a"}, "{\"c\":3}"},    {{"b", "c"}, "{\"a\":1}"},
	    {{"c", "b"}, "{\"a\":1}"},    {{"a", "b", "c"}, "{}"},
	    {{"c", "b", "a"}, "{}"},      {{"b", "c", "a"}, "{}"},
	};

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		load("{\"a\":1,\"b\":2,\"c\":3}");
		for (int k = 0; k < 3 && cases[i].rm[k]; k++)
			rm(cases[i].rm[k]);
		expect(cases[i].want);
	}
}
END_TEST

START_TEST(test_remove_elements)
{
	static const struct {
		int rm[3];
		const char *want;
	} cases[] = {
	    {{1}, "[20,30]"}, {{2}, "[10,30]"},  {{3}, "[10,20]"},
	    {{1, 3}, "[20]"}, {{1, 2}, "[30]"},  {{2, 3}, "[10]"},
	    {{3, 2}, "[10]"}, {{1, 2, 3}, "[]"}, {{3, 1, 2}, "[]"},
	};

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		load("[10,20,30]");
		for (int k = 0; k < 3 && cases[i].rm[k]; k++)
			ck_assert_int_eq(inf_record_remove(&rec, cases[i].rm[k]), 0);
		expect(cases[i].want);
	}
}
END_TEST

/* Every subset of members removed, in compact, spaced and pretty layouts:
 * compact output is exact; the others keep the remaining members in order
 * with their own bytes and stay JSON. */
START_TEST(test_remove_every_subset)
{
	static const char *const layouts[][3] = {
	    /* open, separator, close */
	    {"{", ",", "}"},
	    {"{ ", " , ", " }"},
	    {"{\n  ", ",\n  ", "\n}"},
	    {"{\r\n\t", "\r\n\t,\r\n\t", "\r\n}"},
	};
	static const char *const members[] = {"\"a\":1", "\"b\" : [2, {\"x\":2}]", "\"c\":\"3,]}\"",
	                                      "\"d\":{}", "\"e\":null"};
	char js[512], want[512], kept[512];

	for (unsigned l = 0; l < 4; l++) {
		for (unsigned n = 1; n <= 5; n++) {
			for (unsigned mask = 0; mask < (1u << n); mask++) {
				size_t jl = 0, kl = 0;
				jl +=
				    (size_t)snprintf(js + jl, sizeof js - jl, "%s", layouts[l][0]);
				for (unsigned i = 0; i < n; i++)
					jl += (size_t)snprintf(js + jl, sizeof js - jl, "%s%s",
					                       i ? layouts[l][1] : "", members[i]);
				snprintf(js + jl, sizeof js - jl, "%s", layouts[l][2]);
				load(js);
				kept[0] = '\0';
				for (unsigned i = 0, c = 1; i < n; i++) {
					char p[2] = {(char)('a' + i), 0};
					if (mask & (1u << i)) {
						rm(p);
					} else {
						kl += (size_t)snprintf(kept + kl, sizeof kept - kl,
						                       "%s%s", c ? "" : ",",
						                       members[i]);
						c = 0;
					}
				}
				inf_buf_reset(&out);
				ck_assert_int_eq(inf_record_emit(&rec, &out), 0);
				if (l == 0) {
					snprintf(want, sizeof want, "{%s}", kept);
					expect(want);
				} else {
					/* same members: output less whitespace equals kept
					 * less whitespace */
					struct inf_tokens t = {0};
					struct inf_json_err e;
					char a[512], b[512];
					size_t ai = 0, bi = 0;
					const char *o = tu_cstr(&out);
					ck_assert_msg(
					    inf_json_parse(&t, out.data, out.len, 64, &e) == 0,
					    "layout %u mask %u: %s: %s", l, mask, o, e.msg);
					inf_tokens_free(&t);
					for (const char *q = o; *q; q++)
						if (!strchr(" \t\r\n", *q))
							a[ai++] = *q;
					a[ai] = '\0';
					b[bi++] = '{';
					for (const char *q = kept; *q; q++)
						if (!strchr(" \t\r\n", *q))
							b[bi++] = *q;
					b[bi++] = '}';
					b[bi] = '\0';
					ck_assert_msg(!strcmp(a, b), "layout %u mask %u: %s", l,
					              mask, o);
					/* the first line is untouched */
					ck_assert_mem_eq(o, layouts[l][0], 1);
				}
			}
		}
	}
}
END_TEST

/* The value nodes of container `ct`'s children, in document order;
 * returns how many (at most `cap`). */
static int children(int ct, int *kids, int cap)
{
	int is_obj = rec.toks.tok[ct].type == JSMN_OBJECT, c = ct + 1, n = 0;

	for (int i = 0; i < rec.toks.tok[ct].size && n < cap; i++) {
		kids[n++] = is_obj ? c + 1 : c;
		c = inf_tok_skip(&rec.toks, c);
	}
	return n;
}

/* Removals of one container's children made in document order take a
 * shorter way to their byte ranges (rec.ordered: nothing sorted or
 * merged); the output, and the record after a commit, must be what the
 * same removals made in reverse order give, which take the general way. */
START_TEST(test_ordered_removals_as_general)
{
	static const struct {
		const char *js;
		const char *ct; /* path to the container, NULL: the root */
	} docs[] = {
	    {"{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", NULL},
	    {"{ \"a\" : [1,{\"x\":2}] ,\n\"b\":\"x,}\" , \"c\":{}\t,\"d\":null }", NULL},
	    {"{\r\n\t\"a\":1\r\n\t,\r\n\t\"b\":[]\r\n}", NULL},
	    {"[1, [2, 3] ,{\"e\":4}, \"5,]\" ]", NULL},
	    {"{\"k\":0,\"a\":{ \"p\":1 , \"q\":[2] ,\"r\":3,\"s\":{}},\"z\":9}", "a"},
	    {"{\"a\":[ 1,2 , [3], 4 ],\"b\":0}", "a"},
	    {"{\"a\":1,\"a\":2,\"b\":3,\"a\":4}", NULL},
	};
	struct inf_buf fwd = {0};
	struct inf_json_err e;

	for (unsigned d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		int kids[8], n, ct;
		load(docs[d].js);
		ct = docs[d].ct ? node(docs[d].ct) : 0;
		n = children(ct, kids, 8);
		for (unsigned mask = 1; mask < (1u << n); mask++) {
			load(docs[d].js);
			for (int i = 0; i < n; i++)
				if (mask & (1u << i))
					ck_assert_int_eq(inf_record_remove(&rec, kids[i]), 0);
			ck_assert_int_eq(rec.ordered, 1);
			inf_buf_reset(&fwd);
			ck_assert_int_eq(inf_record_emit(&rec, &fwd), 0);
			load(docs[d].js);
			for (int i = n - 1; i >= 0; i--)
				if (mask & (1u << i))
					ck_assert_int_eq(inf_record_remove(&rec, kids[i]), 0);
			ck_assert_int_eq(rec.ordered, (mask & (mask - 1)) == 0);
			expect(tu_cstr(&fwd));
			/* a commit applies the same ranges and relocates tokens */
			load(docs[d].js);
			for (int i = 0; i < n; i++)
				if (mask & (1u << i))
					ck_assert_int_eq(inf_record_remove(&rec, kids[i]), 0);
			ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
			ck_assert_mem_eq(rec.js, fwd.data, fwd.len);
			expect(tu_cstr(&fwd));
		}
	}
	inf_buf_free(&fwd);
}
END_TEST

/* Edits that are not all in-order removals in one container leave the
 * shorter way: removals in two containers, a removal after a
 * replacement or an insert, a repeated removal. */
START_TEST(test_unordered_edits_leave_ordered)
{
	static const char js[] = "{\"a\":{\"x\":1,\"y\":2},\"b\":2,\"c\":3}";
	int b;

	load(js);
	rm("b");
	rm("c");
	ck_assert_int_eq(rec.ordered, 1);
	rm("a.x");
	ck_assert_int_eq(rec.ordered, 0);
	expect("{\"a\":{\"y\":2}}");
	load(js);
	rm("a.x");
	rm("b");
	ck_assert_int_eq(rec.ordered, 0);
	expect("{\"a\":{\"y\":2},\"c\":3}");
	load(js);
	ck_assert_int_eq(inf_record_replace_json(&rec, node("b"), "7", 1), 0);
	rm("c");
	ck_assert_int_eq(rec.ordered, 0);
	expect("{\"a\":{\"x\":1,\"y\":2},\"b\":7}");
	load(js);
	rm("b");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "d", 1, "4", 1, 0), 0);
	ck_assert_int_eq(rec.ordered, 0);
	expect("{\"a\":{\"x\":1,\"y\":2},\"c\":3,\"d\":4}");
	load(js);
	b = node("b");
	ck_assert_int_eq(inf_record_remove(&rec, b), 0);
	ck_assert_int_eq(inf_record_remove(&rec, b), 0);
	rm("c");
	ck_assert_int_eq(rec.ordered, 1);
	expect("{\"a\":{\"x\":1,\"y\":2}}");
}
END_TEST

/* More than 8 edits whose order is wrong at one end only: at the first
 * pair or the last, among one object's keys or among the ranges of two
 * containers. Each must be sorted (a check for order that skipped an end
 * would emit them as they came, leaving members in place). */
START_TEST(test_sort_checks_both_ends)
{
	static const char *const mid[] = { "c", "d", "e", "f", "g", "h", "i", "j" };
	static const char flat[] = "{\"a\":0,\"b\":1,\"c\":2,\"d\":3,\"e\":4,\"f\":5,\"g\":6,"
				   "\"h\":7,\"i\":8,\"j\":9,\"k\":10,\"l\":11}";
	struct inf_buf js = { 0 }, want = { 0 };

	load(flat); /* b, a, c .. j: the first pair out of order */
	rm("b");
	rm("a");
	for (int i = 0; i < 8; i++)
		rm(mid[i]);
	expect("{\"k\":10,\"l\":11}");
	load(flat); /* b .. j, a: the last pair */
	rm("b");
	for (int i = 0; i < 8; i++)
		rm(mid[i]);
	rm("a");
	expect("{\"k\":10,\"l\":11}");
	/* ranges: removals at the root, then an insert into an object
	 * before them (the last range out of order) */
	ck_assert_int_eq(inf_buf_puts(&js, "{\"o\":{}"), 0);
	for (char c = 'a'; c <= 'i'; c++)
		ck_assert_int_eq(inf_buf_printf(&js, ",\"%c\":1,\"x%c\":0", c, c), 0);
	ck_assert_int_eq(inf_buf_printf(&js, "}%c", 0), 0);
	load(js.data);
	for (char c = 'a'; c <= 'i'; c++)
		rm((char[]){ c, 0 });
	ck_assert_int_eq(inf_record_set_json(&rec, node("o"), "k", 1, "1", 1, 0), 0);
	ck_assert_int_eq(inf_buf_puts(&want, "{\"o\":{\"k\":1}"), 0);
	for (char c = 'a'; c <= 'i'; c++)
		ck_assert_int_eq(inf_buf_printf(&want, ",\"x%c\":0", c), 0);
	ck_assert_int_eq(inf_buf_printf(&want, "}%c", 0), 0);
	expect(want.data);
	/* a removal after an object, then removals inside it (the first) */
	inf_buf_reset(&js);
	ck_assert_int_eq(inf_buf_puts(&js, "{\"o\":{\"y\":0"), 0);
	for (char c = 'a'; c <= 'i'; c++)
		ck_assert_int_eq(inf_buf_printf(&js, ",\"%c\":1,\"x%c\":0", c, c), 0);
	ck_assert_int_eq(inf_buf_printf(&js, "},\"z\":0}%c", 0), 0);
	load(js.data);
	rm("z");
	for (char c = 'a'; c <= 'i'; c++)
		rm((char[]){ 'o', '.', c, 0 });
	inf_buf_reset(&want);
	ck_assert_int_eq(inf_buf_puts(&want, "{\"o\":{\"y\":0"), 0);
	for (char c = 'a'; c <= 'i'; c++)
		ck_assert_int_eq(inf_buf_printf(&want, ",\"x%c\":0", c), 0);
	ck_assert_int_eq(inf_buf_printf(&want, "}}%c", 0), 0);
	expect(want.data);
	inf_buf_free(&js);
	inf_buf_free(&want);
}
END_TEST

/* A commit forgets the step's inserts: a key inserted, committed and
 * removed, then set again is one new member (not taken for the insert
 * of the last round, whose edit is gone). */
START_TEST(test_commit_forgets_inserts)
{
	struct inf_json_err e;

	load("{}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k1", 2, "1", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k2", 2, "1", 1, 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	rm("k2");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k2", 2, "2", 1, 0), 0);
	expect("{\"k1\":1,\"k2\":2}");
}
END_TEST

/* Pretty-printed input keeps the whitespace of what remains. */
START_TEST(test_remove_pretty)
{
	static const char js[] = "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": 3\n}\n";

	load(js);
	rm("b");
	expect("{\n  \"a\": 1,\n  \"c\": 3\n}\n");
	load(js);
	rm("a");
	expect("{\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": 3\n}\n");
	load(js);
	rm("c");
	expect("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}\n");
	load(js);
	rm("b[0]");
	expect("{\n  \"a\": 1,\n  \"b\": [\n    2\n  ],\n  \"c\": 3\n}\n");
	load(js);
	rm("b[1]");
	expect("{\n  \"a\": 1,\n  \"b\": [\n    1\n  ],\n  \"c\": 3\n}\n");
	load(js);
	rm("a");
	rm("b");
	rm("c");
	expect("{\n  \n}\n");
	load("[ 1 , 2 , 3 ]");
	ck_assert_int_eq(inf_record_remove(&rec, 2), 0);
	expect("[ 1 , 3 ]");
	ck_assert_int_eq(inf_record_remove(&rec, 1), 0);
	expect("[ 3 ]");
}
END_TEST

START_TEST(test_remove_nested)
{
	int ay;

	load("{\"a\":{\"x\":1,\"y\":2},\"b\":[1,[2,3]],\"c\":[{\"d\":[4]}]}");
	rm("a.x");
	rm("b[1][0]");
	rm("c[0].d[0]");
	expect("{\"a\":{\"y\":2},\"b\":[1,[3]],\"c\":[{\"d\":[]}]}");
	/* removing the same node twice is removing it once */
	ay = node("a.y");
	ck_assert_int_eq(inf_record_remove(&rec, ay), 0);
	ck_assert_int_eq(inf_record_remove(&rec, ay), 0);
	expect("{\"a\":{},\"b\":[1,[3]],\"c\":[{\"d\":[]}]}");
	ck_assert_int_eq(inf_record_remove(&rec, node("a")), 0);
	ck_assert_int_eq(inf_record_remove(&rec, node("b")), 0);
	expect("{\"c\":[{\"d\":[]}]}");
}
END_TEST

/* Edits inside a removed subtree are dropped with it, whether made
 * before or after the removal. */
START_TEST(test_edits_inside_removed_subtree)
{
	int a, ax, ay, an;

	load("{\"a\":{\"x\":1,\"y\":\"s\",\"n\":{}},\"b\":2}");
	a = node("a");
	ax = node("a.x");
	ay = node("a.y");
	an = node("a.n");
	ck_assert_int_eq(inf_record_remove(&rec, ax), 0);
	ck_assert_int_eq(inf_record_replace_string(&rec, ay, "t", 1), 0);
	ck_assert_int_eq(inf_record_remove(&rec, a), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, an, "k", 1, "1", 1, 1), 0);
	expect("{\"b\":2}");

	load("{\"b\":2,\"a\":[1,{\"x\":[3]}]}");
	a = node("a");
	ax = node("a[1].x[0]");
	ay = node("a[0]");
	an = node("a[1]");
	ck_assert_int_eq(inf_record_remove(&rec, a), 0);
	/* a walk no longer reaches them, but their indexes stay valid */
	ck_assert_int_eq(inf_record_remove(&rec, ax), 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, ay, "9", 1), 0);
	ck_assert_int_eq(inf_record_set_string(&rec, an, "z", 1, "v", 1, 0), 0);
	expect("{\"b\":2}");

	/* and inside a replaced subtree */
	load("{\"a\":{\"x\":1},\"b\":2}");
	a = node("a");
	rm("a.x");
	ck_assert_int_eq(inf_record_replace_json(&rec, a, "[true]", 6), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, a, "k", 1, "1", 1, 1), INF_ERR_INVALID);
	expect("{\"a\":[true],\"b\":2}");
}
END_TEST

START_TEST(test_remove_refused)
{
	load("{\"a\":[1]}");
	ck_assert_int_eq(inf_record_remove(&rec, 0), INF_ERR_INVALID); /* root */
	ck_assert_int_eq(inf_record_remove(&rec, 1), INF_ERR_INVALID); /* a key */
	ck_assert_int_eq(inf_record_remove(&rec, 4), INF_ERR_INVALID); /* no such node */
	ck_assert_int_eq(inf_record_remove(&rec, -1), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_replace_json(&rec, 1, "2", 1), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_replace_string(&rec, 9, "x", 1), INF_ERR_INVALID);
	expect("{\"a\":[1]}");
	load("[]");
	ck_assert_int_eq(inf_record_remove(&rec, 0), INF_ERR_INVALID);
	load("7");
	ck_assert_int_eq(inf_record_remove(&rec, 0), INF_ERR_INVALID);
	expect("7");
}
END_TEST

/* ---- replacements ---- */

START_TEST(test_replace_json)
{
	load("{\"a\":1,\"b\":2}");
	ck_assert_int_eq(inf_record_replace_json(&rec, node("b"), "{\"x\":[1,2]}", 11), 0);
	expect("{\"a\":1,\"b\":{\"x\":[1,2]}}");
	/* the replacement is inserted as given, whitespace included */
	load("[1,2]");
	ck_assert_int_eq(inf_record_replace_json(&rec, 1, " \"s\" ", 5), 0);
	expect("[ \"s\" ,2]");
	/* the root can be replaced */
	load("{\"a\":1}");
	ck_assert_int_eq(inf_record_replace_json(&rec, 0, "null", 4), 0);
	expect("null");
}
END_TEST

START_TEST(test_replace_json_refused)
{
	static const struct {
		const char *js;
		int rc;
	} bads[] = {
	    {"", INF_ERR_INVALID},         {" ", INF_ERR_INVALID},
	    {"{\"x\":", INF_ERR_INVALID},  {"1 2", INF_ERR_INVALID},
	    {"tru", INF_ERR_INVALID},      {"[1,]", INF_ERR_INVALID},
	    {"\"\xFF\"", INF_ERR_INVALID}, {"1,\"b\":2", INF_ERR_INVALID},
	    {"1}", INF_ERR_INVALID},       {deep33, INF_ERR_LIMIT},
	};

	for (unsigned i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		load("{\"a\":1,\"b\":[2]}");
		ck_assert_msg(inf_record_replace_json(&rec, node("a"), bads[i].js,
		                                      strlen(bads[i].js)) == bads[i].rc,
		              "%s accepted", bads[i].js);
		ck_assert_uint_eq(rec.nedits, 0);
		expect("{\"a\":1,\"b\":[2]}");
		/* the record is still usable */
		ck_assert_int_eq(inf_record_replace_json(&rec, node("b"), "0", 1), 0);
		expect("{\"a\":1,\"b\":0}");
	}
}
END_TEST

START_TEST(test_replace_string)
{
	static const char nul[] = "a\0b";

	load("{\"a\":\"x\",\"n\":5}");
	ck_assert_int_eq(inf_record_replace_string(&rec, node("a"), "he said \"hi\"\n\\", 14), 0);
	ck_assert_int_eq(inf_record_replace_string(&rec, node("n"), "\xE2\x82\xAC\x01", 4), 0);
	expect("{\"a\":\"he said \\\"hi\\\"\\n\\\\\",\"n\":\"\xE2\x82\xAC\\u0001\"}");
	load("[1]");
	ck_assert_int_eq(inf_record_replace_string(&rec, 1, nul, 3), 0);
	expect("[\"a\\u0000b\"]");
	load("[1]");
	ck_assert_int_eq(inf_record_replace_string(&rec, 1, "", 0), 0);
	expect("[\"\"]");
	/* invalid UTF-8 is refused and the record is left alone */
	load("{\"a\":\"x\"}");
	ck_assert_int_eq(inf_record_replace_string(&rec, node("a"), "\xFF", 1), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_replace_string(&rec, node("a"), "ok\xED\xA0\x80", 5),
	                 INF_ERR_INVALID);
	ck_assert_uint_eq(rec.nedits, 0);
	expect("{\"a\":\"x\"}");
}
END_TEST

START_TEST(test_replace_twice_last_wins)
{
	int a;

	load("{\"a\":1,\"b\":2}");
	a = node("a");
	ck_assert_int_eq(inf_record_replace_json(&rec, a, "10", 2), 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, a, "[11]", 4), 0);
	expect("{\"a\":[11],\"b\":2}");
	ck_assert_uint_eq(rec.nedits, 1);
	ck_assert_int_eq(inf_record_replace_string(&rec, a, "12", 2), 0);
	expect("{\"a\":\"12\",\"b\":2}");
	/* a refused third one leaves the second */
	ck_assert_int_eq(inf_record_replace_json(&rec, a, "1 3", 3), INF_ERR_INVALID);
	expect("{\"a\":\"12\",\"b\":2}");
	/* an object a member was set into, then replaced twice: the second
	 * replacement supersedes the first, not the member's insert */
	load("{\"a\":1,\"b\":{\"c\":2}}");
	a = node("b");
	ck_assert_int_eq(inf_record_set_json(&rec, a, "y", 1, "3", 1, 0), 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, a, "10", 2), 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, a, "20", 2), 0);
	expect("{\"a\":1,\"b\":20}");
}
END_TEST

START_TEST(test_remove_after_replace)
{
	int b;

	load("{\"a\":1,\"b\":2,\"c\":3}");
	b = node("b");
	ck_assert_int_eq(inf_record_replace_json(&rec, b, "20", 2), 0);
	ck_assert_int_eq(inf_record_remove(&rec, b), 0);
	expect("{\"a\":1,\"c\":3}");
	/* replace after remove is refused */
	ck_assert_int_eq(inf_record_replace_json(&rec, b, "21", 2), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_replace_string(&rec, b, "x", 1), INF_ERR_INVALID);
	expect("{\"a\":1,\"c\":3}");
	/* neighbours of a replaced node can go */
	load("[1,2,3]");
	ck_assert_int_eq(inf_record_replace_json(&rec, 2, "{}", 2), 0);
	ck_assert_int_eq(inf_record_remove(&rec, 1), 0);
	ck_assert_int_eq(inf_record_remove(&rec, 3), 0);
	expect("[{}]");
	/* the only element: its removal spans exactly the bytes the
	 * replacement did, and the removal, made last, wins */
	load("{\"a\":[1]}");
	b = node("a[0]");
	ck_assert_int_eq(inf_record_replace_json(&rec, b, "2", 1), 0);
	ck_assert_int_eq(inf_record_remove(&rec, b), 0);
	expect("{\"a\":[]}");
}
END_TEST

/* ---- inserted members ---- */

START_TEST(test_set_into_empty)
{
	load("{}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), 0);
	expect("{\"k\":1}");
	load("{ }");
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "k", 1, "v", 1, 1), 0);
	expect("{\"k\":\"v\" }");
	load("{}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "x", 1, "1", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "y", 1, "[2]", 3, 0), 0);
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "z", 1, "3", 1, 0), 0);
	expect("{\"x\":1,\"y\":[2],\"z\":\"3\"}");
}
END_TEST

START_TEST(test_set_into_members)
{
	load("{\"a\":1}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "true", 4, 0), 0);
	expect("{\"a\":1,\"k\":true}");
	load("{\"a\":1,\"b\":{\"c\":[]}}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "x", 1, "1", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, node("b"), "y", 1, "2", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "z", 1, "s", 1, 0), 0);
	expect("{\"a\":1,\"b\":{\"c\":[],\"y\":2},\"x\":1,\"z\":\"s\"}");
	/* pretty input: inserted after the last member */
	load("{\n  \"a\": 1\n}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "2", 1, 0), 0);
	expect("{\n  \"a\": 1,\"k\":2\n}");
	/* keys are quoted */
	load("{}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "a\"b\n", 4, "1", 1, 0), 0);
	expect("{\"a\\\"b\\n\":1}");
}
END_TEST

START_TEST(test_edits_in_many_containers)
{
	/* removals and inserts in 3000 objects, made in an order that is
	 * neither document order nor grouped by object: each object's edits
	 * come out where they belong */
	enum { N = 3000 };
	struct inf_buf in = { 0 }, want = { 0 };
	int *obj = malloc(N * sizeof *obj);

	ck_assert_ptr_nonnull(obj);
	inf_buf_append(&in, "[", 1);
	inf_buf_append(&want, "[", 1);
	for (int i = 0; i < N; i++) {
		inf_buf_printf(&in, "%s{\"a\":%d,\"b\":%d,\"c\":%d}", i ? "," : "", i, i, i);
		if (i % 3 == 0)
			inf_buf_printf(&want, "%s{\"a\":%d,\"c\":%d,\"x\":0}", i ? "," : "", i, i);
		else if (i % 3 == 1)
			inf_buf_printf(&want, "%s{\"x\":0,\"y\":0}", i ? "," : "");
		else
			inf_buf_printf(&want, "%s{\"a\":%d,\"b\":%d,\"c\":%d}", i ? "," : "", i, i, i);
	}
	inf_buf_append(&in, "]", 1);
	inf_buf_append(&want, "]", 1);
	inf_buf_putc(&in, '\0');
	inf_buf_putc(&want, '\0');
	load(in.data);
	for (int i = 0, t = 1; i < N; i++, t += 7) /* each object: 1 + 3 members x 2 tokens */
		obj[i] = t;
	for (int k = 0; k < N; k++) {
		int i = (int)(((long)k * 1237) % N); /* 1237 is prime to 3000: a permutation */
		if (i % 3 == 0) {
			ck_assert_int_eq(inf_record_remove(&rec, obj[i] + 4), 0); /* "b" */
			ck_assert_int_eq(inf_record_set_json(&rec, obj[i], "x", 1, "0", 1, 0), 0);
		} else if (i % 3 == 1) {
			ck_assert_int_eq(inf_record_remove(&rec, obj[i] + 6), 0); /* "c" */
			ck_assert_int_eq(inf_record_set_json(&rec, obj[i], "x", 1, "0", 1, 0), 0);
			ck_assert_int_eq(inf_record_remove(&rec, obj[i] + 2), 0); /* "a" */
			ck_assert_int_eq(inf_record_set_json(&rec, obj[i], "y", 1, "0", 1, 0), 0);
			ck_assert_int_eq(inf_record_remove(&rec, obj[i] + 4), 0); /* "b" */
		}
	}
	expect(want.data);
	inf_buf_free(&in);
	inf_buf_free(&want);
	free(obj);
}
END_TEST

START_TEST(test_set_after_removals)
{
	load("{\"a\":1,\"b\":2}");
	rm("a");
	rm("b");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), 0);
	expect("{\"k\":1}");
	load("{\"a\":1,\"b\":2}");
	rm("b");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), 0);
	expect("{\"a\":1,\"k\":1}");
	load("{\"a\":1,\"b\":2}");
	rm("a");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "l", 1, "2", 1, 0), 0);
	expect("{\"b\":2,\"k\":1,\"l\":2}");
	/* a removed member does not count as present */
	load("{\"k\":1}");
	rm("k");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "2", 1, 0), 0);
	expect("{\"k\":2}");
	load("{\n  \"a\": 1,\n  \"b\": 2\n}");
	rm("a");
	rm("b");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), 0);
	expect("{\n  \"k\":1\n}");
}
END_TEST

START_TEST(test_set_existing_key)
{
	load("{\"a\":1,\"k\":2}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "3", 1, 1), 0);
	expect("{\"a\":1,\"k\":3}");
	load("{\"a\":1,\"k\":2}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "3", 1, 0), 0);
	ck_assert_uint_eq(rec.nedits, 0);
	expect("{\"a\":1,\"k\":2}");
	/* every duplicate is replaced */
	load("{\"k\":1,\"a\":0,\"k\":2}");
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "k", 1, "v", 1, 1), 0);
	expect("{\"k\":\"v\",\"a\":0,\"k\":\"v\"}");
	/* keys compare decoded */
	load("{\"a\\u0022b\":1}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "a\"b", 3, "2", 1, 1), 0);
	expect("{\"a\\u0022b\":2}");
	/* a replaced value is replaced again */
	load("{\"k\":1}");
	ck_assert_int_eq(inf_record_replace_json(&rec, node("k"), "5", 1), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "6", 1, 1), 0);
	expect("{\"k\":6}");
	/* a key that is a prefix is another key */
	load("{\"kk\":1,\"k2\":2}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "3", 1, 1), 0);
	expect("{\"kk\":1,\"k2\":2,\"k\":3}");
}
END_TEST

/* A key a step inserts twice is one member: the second value with
 * overwrite, else the first; in another object, or another key that
 * starts the same, it is another member. */
START_TEST(test_set_twice)
{
	load("{\"a\":1,\"o\":{}}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "x", 1, "1", 1, 1), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "x", 1, "2", 1, 1), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "xy", 2, "3", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, node("o"), "x", 1, "4", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "x", 1, "s", 1, 0), 0);
	expect("{\"a\":1,\"o\":{\"x\":4},\"x\":2,\"xy\":3}");
	load("{}");
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "k\"", 2, "v", 1, 0), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k\"", 2, "[1, 2]", 6, 1), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k\"", 2, "3", 1, 0), 0);
	expect("{\"k\\\"\":[1, 2]}");
}
END_TEST

/* Thousands of keys inserted into one object, each twice, and each into
 * a second object too: one member per key and object, the later value
 * where overwrite asks for it. */
START_TEST(test_set_twice_many)
{
	enum { KEYS = 3000 };
	struct inf_buf want = {0};
	char key[16];
	int o;

	load("{\"o\":{}}");
	o = node("o");
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < KEYS; i++) {
			int n = snprintf(key, sizeof key, "k%d", i);
			ck_assert_int_eq(inf_record_set_json(&rec, 0, key, (size_t)n,
							     pass ? "2" : "1", 1, i % 2), 0);
			ck_assert_int_eq(inf_record_set_json(&rec, o, key, (size_t)n,
							     pass ? "4" : "3", 1, 0), 0);
		}
	}
	ck_assert_uint_eq(rec.nedits, 2 * KEYS);
	ck_assert_int_eq(inf_buf_puts(&want, "{\"o\":{"), 0);
	for (int i = 0; i < KEYS; i++)
		ck_assert_int_eq(inf_buf_printf(&want, "%s\"k%d\":3", i ? "," : "", i), 0);
	ck_assert_int_eq(inf_buf_puts(&want, "}"), 0);
	for (int i = 0; i < KEYS; i++)
		ck_assert_int_eq(inf_buf_printf(&want, ",\"k%d\":%d", i, i % 2 ? 2 : 1), 0);
	ck_assert_int_eq(inf_buf_putc(&want, '}'), 0);
	ck_assert_int_eq(inf_buf_putc(&want, 0), 0);
	expect(want.data);
	inf_buf_free(&want);
}
END_TEST

START_TEST(test_set_refused)
{
	int o;

	load("{\"a\":[1],\"o\":{}}");
	ck_assert_int_eq(inf_record_set_json(&rec, node("a"), "k", 1, "1", 1, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, node("a[0]"), "k", 1, "1", 1, 0),
	                 INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 1, "k", 1, "1", 1, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 99, "k", 1, "1", 1, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "{", 1, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1,\"x\":2", 7, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "k", 1, "\xC0\x80", 2, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "\xFF", 1, "1", 1, 0), INF_ERR_INVALID);
	o = node("o");
	ck_assert_int_eq(inf_record_remove(&rec, o), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, o, "k", 1, "1", 1, 0), INF_ERR_INVALID);
	expect("{\"a\":[1]}");
	load("[]");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), INF_ERR_INVALID);
}
END_TEST

/* Appends s to the NUL-terminated d of cap bytes. */
static void cat(char *d, size_t cap, const char *s)
{
	size_t l = strlen(d);
	snprintf(d + l, cap - l, "%s", s);
}

/* Removals and inserts in one object, every combination, compact. */
START_TEST(test_remove_and_insert_combinations)
{
	static const char *const members[] = {"\"a\":1", "\"b\":2", "\"c\":3", "\"d\":4"};

	for (unsigned n = 0; n <= 4; n++) {
		for (unsigned mask = 0; mask < (1u << n); mask++) {
			for (unsigned ins = 0; ins <= 2; ins++) {
				char js[128] = "{", want[128] = "{";
				int first = 1;
				for (unsigned i = 0; i < n; i++) {
					cat(js, sizeof js, i ? "," : "");
					cat(js, sizeof js, members[i]);
				}
				cat(js, sizeof js, "}");
				load(js);
				for (unsigned i = 0; i < n; i++) {
					char p[2] = {(char)('a' + i), 0};
					if (mask & (1u << i)) {
						rm(p);
					} else {
						cat(want, sizeof want, first ? "" : ",");
						cat(want, sizeof want, members[i]);
						first = 0;
					}
				}
				for (unsigned k = 0; k < ins; k++) {
					char key[2] = {(char)('x' + k), 0};
					ck_assert_int_eq(
					    inf_record_set_json(&rec, 0, key, 1, "0", 1, 0), 0);
					cat(want, sizeof want, first ? "" : ",");
					cat(want, sizeof want, k ? "\"y\":0" : "\"x\":0");
					first = 0;
				}
				cat(want, sizeof want, "}");
				expect(want);
			}
		}
	}
}
END_TEST

/* Hundreds of edits in one record: every other element removed, members
 * inserted, values replaced; the output is exact. */
START_TEST(test_many_edits)
{
	struct inf_buf js = {0}, want = {0};
	struct inf_json_err e;

	ck_assert_int_eq(inf_buf_puts(&js, "{\"a\":["), 0);
	ck_assert_int_eq(inf_buf_puts(&want, "{\"a\":["), 0);
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(inf_buf_printf(&js, "%s%d", i ? "," : "", i), 0);
		if (i % 2)
			ck_assert_int_eq(inf_buf_printf(&want, "%s\"%d\"", i > 1 ? "," : "", i), 0);
	}
	ck_assert_int_eq(inf_buf_puts(&js, "]}"), 0);
	ck_assert_int_eq(inf_buf_puts(&want, "]"), 0);
	load(tu_cstr(&js));
	/* tokens: 0 root, 1 "a", 2 the array, 3 + i element i */
	for (int i = 0; i < 1000; i++) {
		char v[16];
		int n = snprintf(v, sizeof v, "%d", i);
		if (i % 2)
			ck_assert_int_eq(inf_record_replace_string(&rec, 3 + i, v, (size_t)n), 0);
		else
			ck_assert_int_eq(inf_record_remove(&rec, 3 + i), 0);
	}
	for (int k = 0; k < 300; k++) {
		char key[16];
		int n = snprintf(key, sizeof key, "k%d", k);
		ck_assert_int_eq(inf_record_set_json(&rec, 0, key, (size_t)n, "null", 4, 0), 0);
		ck_assert_int_eq(inf_buf_printf(&want, ",\"k%d\":null", k), 0);
	}
	ck_assert_int_eq(inf_buf_putc(&want, '}'), 0);
	expect(tu_cstr(&want));
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	ck_assert_int_eq(rec.toks.n, 3 + 500 + 600);
	expect(want.data);
	inf_buf_free(&js);
	inf_buf_free(&want);
}
END_TEST

/* ---- commit ---- */

START_TEST(test_commit_rounds)
{
	struct inf_json_err e;
	const char *before;

	load("{\"a\":1,\"b\":{\"c\":2},\"d\":[1,2]}");
	/* nothing to commit: same bytes, same tokens */
	before = rec.js;
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	ck_assert_ptr_eq(rec.js, before);

	rm("a");
	ck_assert_int_eq(inf_record_set_json(&rec, node("b"), "x", 1, "[3]", 3, 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	ck_assert_uint_eq(rec.nedits, 0);
	ck_assert_uint_eq(rec.len, strlen("{\"b\":{\"c\":2,\"x\":[3]},\"d\":[1,2]}"));
	ck_assert_mem_eq(rec.js, "{\"b\":{\"c\":2,\"x\":[3]},\"d\":[1,2]}", rec.len);
	ck_assert_int_eq(rec.toks.n, 12);
	expect("{\"b\":{\"c\":2,\"x\":[3]},\"d\":[1,2]}");

	/* round two works on the new tokens */
	rm("b.x[0]");
	rm("d[1]");
	ck_assert_int_eq(inf_record_replace_string(&rec, node("b.c"), "two", 3), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	expect("{\"b\":{\"c\":\"two\",\"x\":[]},\"d\":[1]}");

	/* round three: nothing removed is visible, everything new is */
	rm("b");
	ck_assert_int_eq(inf_record_set_string(&rec, 0, "e", 1, "f", 1, 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	expect("{\"d\":[1],\"e\":\"f\"}");
	ck_assert_int_eq(inf_record_type(&rec, node("e")), INF_STRING);

	/* many rounds alternate the work buffers without mixing them */
	for (int i = 0; i < 50; i++) {
		char v[16];
		snprintf(v, sizeof v, "%d", i);
		ck_assert_int_eq(inf_record_set_json(&rec, 0, "e", 1, v, strlen(v), 1), 0);
		ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	}
	expect("{\"d\":[1],\"e\":49}");
}
END_TEST

/* Commit relocates tokens instead of parsing again: after random
 * removals, replacements and inserted members, over several rounds, the
 * tokens are exactly those a fresh parse of the new bytes gives. */
static unsigned long seed;

static unsigned rnd(unsigned n)
{
	return tu_rnd(&seed, n);
}

static const char *const values[] = {
    "1", "-2.5e3", "true", "null", "\"s\"", "\"e\\u00e9\\n\"", "[]", "{}", "[1,[2,{\"k\":3}]]",
    "{\"a\":{\"b\":[true,false]},\"c\\\"q\":\"x\"}", " [ 1 , 2 ] ", "\"\xC3\xA9\"", "{ }",
};
static const char *const keys[] = {"a", "b", "new", "k\"q", "caf\xC3\xA9", "", "x"};

static void random_doc(struct inf_buf *b, unsigned depth)
{
	unsigned kind = depth > 4 ? 2 : rnd(3);

	if (kind == 2) {
		ck_assert_int_eq(inf_buf_puts(b, values[rnd(sizeof values / sizeof values[0])]), 0);
		return;
	}
	ck_assert_int_eq(inf_buf_puts(b, kind ? "{ " : "["), 0);
	for (unsigned i = 0, n = rnd(5); i < n; i++) {
		if (i)
			ck_assert_int_eq(inf_buf_puts(b, rnd(2) ? "," : " ,\n"), 0);
		if (kind)
			ck_assert_int_eq(inf_buf_printf(b, "\"m%u\\t%u\" : ", i, rnd(9)), 0);
		random_doc(b, depth + 1);
	}
	ck_assert_int_eq(inf_buf_puts(b, kind ? " }" : "]"), 0);
}

static void random_edit(struct inf_record *r)
{
	int node = (int)rnd((unsigned)r->toks.n);
	const char *v = values[rnd(sizeof values / sizeof values[0])];
	const char *k = keys[rnd(sizeof keys / sizeof keys[0])];

	switch (rnd(5)) { /* refusals (a key node, a removed one) are fine */
	case 0:
		inf_record_remove(r, node);
		break;
	case 1:
		inf_record_replace_json(r, node, v, strlen(v));
		break;
	case 2:
		inf_record_replace_string(r, node, k, strlen(k));
		break;
	default:
		inf_record_set_json(r, node, k, strlen(k), v, strlen(v), (int)rnd(2));
	}
}

START_TEST(test_commit_relocates_tokens)
{
	struct inf_buf doc = {0};
	struct inf_tokens fresh = {0};
	struct inf_json_err e;

	seed = 7;
	for (int d = 0; d < 1500; d++) {
		inf_buf_reset(&doc);
		ck_assert_int_eq(inf_buf_putc(&doc, '{'), 0);
		ck_assert_int_eq(inf_buf_puts(&doc, "\"root\":"), 0);
		random_doc(&doc, 1);
		ck_assert_int_eq(inf_buf_putc(&doc, '}'), 0);
		ck_assert_int_eq(inf_record_load(&rec, doc.data, doc.len, &e), 0);
		for (int round = 0; round < 4; round++) {
			for (unsigned k = rnd(6); k > 0; k--)
				random_edit(&rec);
			ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
			ck_assert_msg(inf_json_parse(&fresh, rec.js, rec.len, 32, &e) == 0,
			              "doc %d round %d: %.*s: %s", d, round, (int)rec.len, rec.js, e.msg);
			ck_assert_int_eq(rec.toks.n, fresh.n);
			for (int i = 0; i < fresh.n; i++) {
				const jsmntok_t *a = &rec.toks.tok[i], *b = &fresh.tok[i];
				ck_assert_msg(a->type == b->type && a->start == b->start &&
				                  a->end == b->end && a->size == b->size &&
				                  a->parent == b->parent,
				              "doc %d round %d token %d of %.*s: {%d %d %d %d %d}, "
				              "parsed {%d %d %d %d %d}",
				              d, round, i, (int)rec.len, rec.js, a->type, a->start, a->end,
				              a->size, a->parent, b->type, b->start, b->end, b->size,
				              b->parent);
			}
			ck_assert_int_eq(rec.toks.key_escapes, rec.toks.key_escapes || fresh.key_escapes);
		}
	}
	inf_tokens_free(&fresh);
	inf_buf_free(&doc);
}
END_TEST

/* Replacing only scalars by scalars (mask_fields' edits) commits on the
 * tokens in place (commit.c, relocate_scalars): types change, strings
 * grow and shrink, text comes padded with whitespace, containers around
 * and after the edits move; the tokens must still be a fresh parse's. */
static const char *const scalars[] = {
	"1", "\"\"", "\"a much longer string than the one it replaces\"", "true", "null",
	" 7 ", "\n\"padded\"\t", "\"e\\u00e9\\n\"", "-0.5e-3", "false",
};

START_TEST(test_commit_scalars_in_place)
{
	struct inf_buf doc = {0};
	struct inf_tokens fresh = {0};
	struct inf_json_err e;

	seed = 11;
	for (int d = 0; d < 3000; d++) {
		inf_buf_reset(&doc);
		if (d % 50 == 0) { /* a scalar root */
			ck_assert_int_eq(inf_buf_puts(&doc, values[rnd(6)]), 0);
		} else {
			ck_assert_int_eq(inf_buf_puts(&doc, "{\"root\":"), 0);
			random_doc(&doc, 1);
			ck_assert_int_eq(inf_buf_puts(&doc, ",\"after\":[1,{\"z\":\"y\"}]}"), 0);
		}
		ck_assert_int_eq(inf_record_load(&rec, doc.data, doc.len, &e), 0);
		for (int round = 0; round < 3; round++) {
			int edits = 0;
			for (unsigned k = 1 + rnd(5); k > 0; k--) {
				int node = (int)rnd((unsigned)rec.toks.n);
				const jsmntok_t *t = &rec.toks.tok[node];
				const char *v = scalars[rnd(sizeof scalars / sizeof scalars[0])];
				if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY ||
				    (t->parent >= 0 && rec.toks.tok[t->parent].type == JSMN_OBJECT))
					continue; /* a container or a key */
				edits += inf_record_replace_json(&rec, node, v, strlen(v)) == 0;
			}
			ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
			ck_assert_int_eq(inf_json_parse(&fresh, rec.js, rec.len, 32, &e), 0);
			ck_assert_int_eq(rec.toks.n, fresh.n);
			ck_assert_msg(!memcmp(rec.toks.tok, fresh.tok, (size_t)fresh.n * sizeof *fresh.tok),
				      "doc %d round %d (%d edits): %.*s", d, round, edits,
				      (int)rec.len, rec.js);
		}
	}
	inf_tokens_free(&fresh);
	inf_buf_free(&doc);
}
END_TEST

/* Commit keeps the record's limits for what was inserted. */
/* An edit whose text would take the record over max_key or max_depth is
 * refused when it is made, the reason in rec.edit_err: the last step's
 * edits are never committed, so a check at commit alone let them out. */
START_TEST(test_edit_limits)
{
	struct inf_json_err e;

	rec.toks.max_key = 4;
	load("{\"a\":[[1]]}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "longkey", 7, "1", 1, 0), INF_ERR_LIMIT);
	ck_assert_msg(strstr(rec.edit_err.msg, "key is longer than max_key_bytes (4)") != NULL,
	              "%s", rec.edit_err.msg);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "{\"longer\":1}", 12, 0),
	                 INF_ERR_LIMIT);
	ck_assert_msg(strstr(rec.edit_err.msg, "key is longer than max_key_bytes") != NULL,
	              "%s", rec.edit_err.msg);
	/* escapes count: "\\\"" is 2 bytes between the quotes, so 3 are 6 */
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "\"\"\"", 3, "1", 1, 0), INF_ERR_LIMIT);
	/* one byte over is over */
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "fives", 5, "1", 1, 0), INF_ERR_LIMIT);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "keys", 4, "{\"four\":1}", 10, 0), 0);
	expect("{\"a\":[[1]],\"keys\":{\"four\":1}}");
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	rec.toks.max_key = 0;
	/* 32 levels allowed: a[0][0] is inside 3, so it may hold 29, not 30 */
	load("{\"a\":[[1]]}");
	ck_assert_int_eq(inf_record_replace_json(&rec, node("a[0][0]"), deep33 + 3, 60),
	                 INF_ERR_LIMIT);
	ck_assert_msg(strstr(rec.edit_err.msg, "nests deeper than max_depth (32)") != NULL,
	              "%s", rec.edit_err.msg);
	ck_assert_uint_eq(rec.nedits, 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, node("a[0][0]"), deep33 + 4, 58), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	/* a member of the root is inside 1: it may hold 31, not 32 */
	load("{\"a\":[[1]]}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, deep33 + 1, 64, 0), INF_ERR_LIMIT);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, deep33 + 2, 62, 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	/* the limits are the output's: a member that is there and is not
	 * overwritten takes nothing over them; overwriting it does */
	load("{\"a\":[[1]]}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "a", 1, deep33 + 1, 64, 0), 0);
	ck_assert_uint_eq(rec.nedits, 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "a", 1, deep33 + 1, 64, 1), INF_ERR_LIMIT);
	ck_assert_uint_eq(rec.nedits, 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "a", 1, "[1", 2, 0), INF_ERR_INVALID);
	expect("{\"a\":[[1]]}");
}
END_TEST

/* A value checked once is not parsed again while the same text comes
 * at the same limits; other text, a deeper place or a tighter max_key
 * is checked afresh, and a commit after a remembered check inserts the
 * value's own tokens. */
START_TEST(test_value_check_remembered)
{
	struct inf_json_err e;
	char v[8];

	load("{\"a\":[[1]]}");
	snprintf(v, sizeof v, "%s", "[1,{}]");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, v, strlen(v), 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "l", 1, v, strlen(v), 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	expect("{\"a\":[[1]],\"k\":[1,{}],\"l\":[1,{}]}");
	ck_assert_int_eq(inf_record_type(&rec, node("l[1]")), INF_OBJECT);
	ck_assert_int_eq(inf_record_type(&rec, node("k[0]")), INF_NUMBER);
	/* a beginning of the text */
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "m", 1, v, 2, 0), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "m", 1, v, strlen(v), 0), 0);
	/* the same buffer with other bytes in it */
	snprintf(v, sizeof v, "%s", "[1,{]}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "m", 1, v, strlen(v), 0), INF_ERR_INVALID);
	/* the same text deeper: 32 levels fit under the root, not under a[0] */
	load("{\"a\":[[1]]}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, deep33 + 2, 62, 0), 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, node("a[0]"), deep33 + 2, 62),
			 INF_ERR_LIMIT);
	/* the same text under a tighter max_key */
	load("{\"a\":1}");
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "{\"long\":1}", 10, 0), 0);
	rec.toks.max_key = 3;
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "l", 1, "{\"long\":1}", 10, 0),
			 INF_ERR_LIMIT);
	rec.toks.max_key = 0;
}
END_TEST

/* ---- node access ---- */

START_TEST(test_node_access)
{
	static const struct {
		const char *path;
		enum inf_type type;
		const char *raw;
	} nodes[] = {
	    {"o", INF_OBJECT, "{\"x\":[]}"},
	    {"o.x", INF_ARRAY, "[]"},
	    {"s", INF_STRING, "\"a\\nb\\u00e9\""},
	    {"n", INF_NUMBER, "-1.5e3"},
	    {"z", INF_NUMBER, "0"},
	    {"t", INF_TRUE, "true"},
	    {"f", INF_FALSE, "false"},
	    {"u", INF_NULL, "null"},
	    {"e", INF_STRING, "\"\""},
	};
	size_t n;
	const char *p;

	load("{\"o\":{\"x\":[]},\"s\":\"a\\nb\\u00e9\",\"n\":-1.5e3,\"z\":0,\"t\":true,"
	     "\"f\":false,\"u\":null,\"e\":\"\"}");
	ck_assert_int_eq(inf_record_type(&rec, 0), INF_OBJECT);
	for (unsigned i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		int k = node(nodes[i].path);
		ck_assert_int_eq(inf_record_type(&rec, k), nodes[i].type);
		p = inf_record_raw(&rec, k, &n);
		ck_assert_uint_eq(n, strlen(nodes[i].raw));
		ck_assert_mem_eq(p, nodes[i].raw, n);
		if (nodes[i].type != INF_STRING)
			ck_assert_ptr_null(inf_record_string(&rec, k, &n));
	}
	p = inf_record_string(&rec, node("s"), &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(p, "a\nb\xC3\xA9", 5);
	p = inf_record_string(&rec, node("e"), &n);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(n, 0);
	/* keys are strings too */
	ck_assert_int_eq(inf_record_type(&rec, 1), INF_STRING);
	p = inf_record_string(&rec, 1, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_mem_eq(p, "o", 1);
	p = inf_record_raw(&rec, 1, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(p, "\"o\"", 3);
	p = inf_record_key(&rec, 1, &n);
	ck_assert_uint_eq(n, 1);
	/* bad nodes */
	ck_assert_int_eq(inf_record_type(&rec, -1), INF_NONE);
	ck_assert_int_eq(inf_record_type(&rec, rec.toks.n), INF_NONE);
	ck_assert_ptr_null(inf_record_raw(&rec, -1, &n));
	ck_assert_ptr_null(inf_record_raw(&rec, 1000, &n));
	ck_assert_ptr_null(inf_record_string(&rec, 1000, &n));
}
END_TEST

START_TEST(test_scalar_roots)
{
	static const struct {
		const char *js;
		enum inf_type type;
		const char *raw;
	} roots[] = {
	    {" \"x\\ty\" ", INF_STRING, "\"x\\ty\""},
	    {"12", INF_NUMBER, "12"},
	    {"-0.5", INF_NUMBER, "-0.5"},
	    {"true", INF_TRUE, "true"},
	    {"false", INF_FALSE, "false"},
	    {"\nnull\n", INF_NULL, "null"},
	};
	size_t n;

	for (unsigned i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		const char *p;
		load(roots[i].js);
		ck_assert_int_eq(inf_record_type(&rec, 0), roots[i].type);
		p = inf_record_raw(&rec, 0, &n);
		ck_assert_uint_eq(n, strlen(roots[i].raw));
		ck_assert_mem_eq(p, roots[i].raw, n);
		expect(roots[i].js);
	}
	load("\"x\\ty\"");
	ck_assert_ptr_nonnull(inf_record_string(&rec, 0, &n));
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(inf_record_replace_string(&rec, 0, "new", 3), 0);
	expect("\"new\"");
}
END_TEST

/* A failed load leaves no node behind, and the next load works. */
START_TEST(test_failed_load)
{
	struct inf_json_err e;
	size_t n;

	load("{\"a\":1}");
	rm("a");
	ck_assert_int_eq(inf_record_load(&rec, "{\"a\":", 5, &e), INF_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.msg, "truncated"));
	ck_assert_int_eq(inf_record_type(&rec, 0), INF_NONE);
	ck_assert_ptr_null(inf_record_raw(&rec, 0, &n));
	ck_assert_int_eq(inf_record_remove(&rec, 1), INF_ERR_INVALID);
	ck_assert_int_eq(inf_record_set_json(&rec, 0, "k", 1, "1", 1, 0), INF_ERR_INVALID);
	ck_assert_uint_eq(rec.nedits, 0);
	ck_assert_int_eq(inf_record_load(&rec, deep33, strlen(deep33), &e), INF_ERR_LIMIT);
	load("{\"a\":1,\"b\":2}");
	expect("{\"a\":1,\"b\":2}"); /* nothing of the old edits */
	rm("b");
	expect("{\"a\":1}");
}
END_TEST

/* One record, 10,000 different loads, each with its own edits. */
START_TEST(test_many_loads)
{
	char js[512], want[512];

	for (int i = 0; i < 10000; i++) {
		size_t jl = 0, wl = 0;
		int tags = i % 7;
		jl += (size_t)snprintf(js + jl, sizeof js - jl,
		                       "{\"id\":%d,\"name\":\"n%d\",\"tags\":[", i, i);
		wl += (size_t)snprintf(want + wl, sizeof want - wl, "{\"id\":%d,", i);
		if (i % 2 == 0)
			wl += (size_t)snprintf(want + wl, sizeof want - wl, "\"name\":\"n%d\",", i);
		wl += (size_t)snprintf(want + wl, sizeof want - wl, "\"tags\":[");
		for (int t = 0; t < tags; t++) {
			jl +=
			    (size_t)snprintf(js + jl, sizeof js - jl, "%s%d", t ? "," : "", t * i);
			if (t != 0)
				wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%d",
				                       t > 1 ? "," : "", t * i);
		}
		jl += (size_t)snprintf(js + jl, sizeof js - jl, "]%s}", i % 3 ? ",\"x\":{}" : "");
		wl += (size_t)snprintf(want + wl, sizeof want - wl, "]%s",
		                       i % 3 ? ",\"x\":{\"i\":" : "");
		if (i % 3)
			wl += (size_t)snprintf(want + wl, sizeof want - wl, "%d}", i);
		wl += (size_t)snprintf(want + wl, sizeof want - wl, ",\"s\":\"%d\"}", i);
		load(js);
		if (i % 2)
			rm("name");
		if (tags)
			rm("tags[0]");
		if (i % 3) {
			char v[16];
			snprintf(v, sizeof v, "%d", i);
			ck_assert_int_eq(
			    inf_record_set_json(&rec, node("x"), "i", 1, v, strlen(v), 0), 0);
		}
		{
			char v[16];
			snprintf(v, sizeof v, "%d", i);
			ck_assert_int_eq(inf_record_set_string(&rec, 0, "s", 1, v, strlen(v), 0),
			                 0);
		}
		expect(want);
	}
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tr = tcase_create("remove");
	TCase *tp = tcase_create("replace");
	TCase *ts = tcase_create("set");
	TCase *ta = tcase_create("access");

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_remove_members);
	tcase_add_test(tr, test_remove_elements);
	tcase_add_test(tr, test_remove_every_subset);
	tcase_add_test(tr, test_ordered_removals_as_general);
	tcase_add_test(tr, test_unordered_edits_leave_ordered);
	tcase_add_test(tr, test_sort_checks_both_ends);
	tcase_add_test(tr, test_commit_forgets_inserts);
	tcase_add_test(tr, test_remove_pretty);
	tcase_add_test(tr, test_remove_nested);
	tcase_add_test(tr, test_edits_inside_removed_subtree);
	tcase_add_test(tr, test_remove_refused);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, test_replace_json);
	tcase_add_test(tp, test_replace_json_refused);
	tcase_add_test(tp, test_replace_string);
	tcase_add_test(tp, test_replace_twice_last_wins);
	tcase_add_test(tp, test_remove_after_replace);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_set_into_empty);
	tcase_add_test(ts, test_set_into_members);
	tcase_add_test(ts, test_set_after_removals);
	tcase_add_test(ts, test_edits_in_many_containers);
	tcase_add_test(ts, test_set_existing_key);
	tcase_add_test(ts, test_set_twice);
	tcase_add_test(ts, test_set_twice_many);
	tcase_add_test(ts, test_set_refused);
	tcase_add_test(ts, test_remove_and_insert_combinations);
	tcase_add_test(ts, test_many_edits);
	tcase_add_test(ts, test_commit_rounds);
	tcase_add_test(ts, test_commit_relocates_tokens);
	tcase_add_test(ts, test_commit_scalars_in_place);
	tcase_add_test(ts, test_edit_limits);
	tcase_add_test(ts, test_value_check_remembered);
	suite_add_tcase(s, ts);

	tcase_add_checked_fixture(ta, setup, teardown);
	tcase_set_timeout(ta, 30);
	tcase_add_test(ta, test_node_access);
	tcase_add_test(ta, test_scalar_roots);
	tcase_add_test(ta, test_failed_load);
	tcase_add_test(ta, test_many_loads);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	return tu_run_suite(record_suite());
}
