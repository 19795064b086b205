/*
 * Paths (core/path.c): which texts compile and which are refused (with
 * the path and the column in the message), and what a walk reports. A
 * recording visitor writes one "key=raw:CLASS" entry per visit (key "#"
 * for an array element, CLASS N, P or F) so each test compares the whole
 * walk with the expected sequence.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "record.h"
#include "testutil.h"

static struct inf_record rec;
static struct inf_paths *paths;
static struct inf_buf seen;

static void setup(void)
{
	inf_record_init(&rec, 64);
	paths = NULL;
	memset(&seen, 0, sizeof seen);
}

static void teardown(void)
{
	inf_record_free(&rec);
	inf_paths_free(paths);
	paths = NULL;
	inf_buf_free(&seen);
}

/* Compiles `n` texts into `paths`, which must succeed. */
static void compile_set(const char *const *texts, size_t n)
{
	char err[256] = "";

	inf_paths_free(paths);
	paths = NULL;
	ck_assert_msg(inf_paths_compile(texts, n, &paths, err, sizeof err) == 0, "compile %s: %s",
	              texts[0], err);
	ck_assert_ptr_nonnull(paths);
	ck_assert_uint_eq(inf_paths_count(paths), n);
}

static void compile(const char *text)
{
	compile_set(&text, 1);
}

static void load(const char *js)
{
	struct inf_json_err e;
	int rc = inf_record_load(&rec, js, strlen(js), &e);
	ck_assert_msg(rc == 0, "load %s: %s", js, e.msg);
}

static const char cls[] = {'N', 'P', 'F'};

static int record_visit(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	size_t rl, kl;
	const char *raw = inf_record_raw(r, node, &rl);
	const char *k = key >= 0 ? inf_record_string(r, key, &kl) : "#";

	(void)ctx;
	if (key < 0)
		kl = 1;
	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(k);
	if (seen.len)
		ck_assert_int_eq(inf_buf_putc(&seen, ' '), 0);
	ck_assert_int_eq(inf_buf_printf(&seen, "%.*s=%.*s:%c", (int)kl, k, (int)rl, raw, cls[m]),
	                 0);
	return INF_WALK_DESCEND;
}

/* Walks `js` with the compiled `paths`; the visits must be `want`. */
static void expect_walk(const char *js, const char *want)
{
	load(js);
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	ck_assert_str_eq(tu_cstr(&seen), want);
}

/* Raw text of the node inf_find returns, or "-" when none. */
static const char *found(void)
{
	static char text[256];
	size_t n;
	int node = inf_find(&rec, paths);
	const char *raw;

	if (node < 0)
		return "-";
	raw = inf_record_raw(&rec, node, &n);
	snprintf(text, sizeof text, "%.*s", (int)n, raw);
	return text;
}

/* ---- compiling ---- */

static const char *const good_paths[] = {
    "price",
    "customer.address.zip",
    "items[*].price",
    "items[0]",
    "**.password",
    "*",
    "a.*.b",
    "\"a.b\".c",
    "\"we\\\"ird\"",
    "[0]",
    "a[1][2]",
    "[*]",
    "**.a.**.b",
    "a.**.b[*]",
    "*.*",
    "\"\"",
    "\"caf\\u00e9\"",
    "a b",
    "x[*][*].y",
    "**[0]",
    "items[123456]",
    /* next to the invisible ranges of edge_space(): U+2027, U+2030,
     * U+205E, U+2070, U+1681 show */
    "x\xe2\x80\xa7",
    "x\xe2\x80\xb0",
    "x\xe2\x81\x9e",
    "x\xe2\x81\xb0",
    "\xe1\x9a\x81x",
    /* and three bytes that are not one code point are not U+2000-U+200F */
    "\xe2\x80$\xc3\xa9",
};

START_TEST(test_compile_good)
{
	char err[256] = "";
	struct inf_paths *ps = NULL;
	const char *t = good_paths[_i];

	ck_assert_msg(inf_paths_compile(&t, 1, &ps, err, sizeof err) == 0, "%s refused: %s", t,
	              err);
	ck_assert_uint_eq(inf_paths_count(ps), 1);
	inf_paths_free(ps);
}
END_TEST

static const struct {
	const char *path;
	int column;
} bad_paths[] = {
    {"", 1},        {"a.", 3},          {".a", 1},     {"a..b", 3},
    {"a[", 3},      {"a[x]", 3},        {"a[-1]", 3},  {"a[1", 4},
    {"a[*", 4},     {"a[]", 3},         {"a]", 2},     {"\"unterminated", 1},
    {"a*b", 2},     {"**", 2},          {"a.**", 4},   {"a.b.**", 6},
    {"***", 1},     {"a.[0]", 3},       {"\"a\"b", 4}, {"a[0]b", 5},
    {"\"\\x\"", 2}, {"\"\\ud800\"", 2}, {"a.\"b", 3},  {"items[9999999999]", 16},
    /* what follows `[*` or the digits must be the `]`, not skipped */
    {"a[*x", 4},    {"a[*x].b", 4},     {"a[1x]", 4},  {"a[12x.b", 5},
    {"a\x1f", 2},
    /* would match nothing: spaces at a key's ends, a JSONPath root */
    {" price", 1},  {"price ", 1},      {"a.b ", 3},     {"$.price", 1},
    {"$", 1},
    /* ... or an invisible one: no-break, zero-width, ideographic space */
    {"price\xc2\xa0", 1}, {"\xe2\x80\x8bprice", 1}, {"a.\xe3\x80\x80\x62", 3},
    {"a.b\xef\xbb\xbf", 3}, {"\xe2\x80\x8d", 1}, {"\xe2\x80\x8e", 1},
    {"x\xe2\x80\x8f", 1}, {"x\xc2\xad", 1}, {"\xe2\x81\xa3x", 1}, {"\xe1\xa0\x8ex", 1},
    {"\xe2\x80\xaex", 1}, {"x\xe2\x81\xa9", 1},
    /* each end of each range: U+1680, U+2000, U+2028, U+202F, U+205F,
     * U+206F; a 2-byte one (U+00A0) at the start */
    {"\xe1\x9a\x80x", 1}, {"\xe2\x80\x80x", 1}, {"x\xe2\x80\xa8", 1},
    {"x\xe2\x80\xaf", 1}, {"x\xe2\x81\x9f", 1}, {"x\xe2\x81\xaf", 1},
    {"\xc2\xa0price", 1},
};

START_TEST(test_compile_bad)
{
	char err[256] = "";
	char col[32];
	struct inf_paths *ps = (struct inf_paths *)&err; /* must become NULL */
	const char *t = bad_paths[_i].path;
	int rc = inf_paths_compile(&t, 1, &ps, err, sizeof err);

	ck_assert_msg(rc == INF_ERR_INVALID, "\"%s\" accepted", t);
	ck_assert_ptr_null(ps);
	ck_assert_msg(strstr(err, t) != NULL, "\"%s\": message lacks the path: %s", t, err);
	snprintf(col, sizeof col, "column %d", bad_paths[_i].column);
	ck_assert_msg(strstr(err, col) != NULL, "\"%s\": want %s in: %s", t, col, err);
}
END_TEST

START_TEST(test_compile_messages)
{
	char err[256];
	struct inf_paths *ps;
	const char *t = "a..b";

	ck_assert_int_eq(inf_paths_compile(&t, 1, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "bad path \"a..b\": expected a key after '.' at column 3");
	t = "a.**";
	ck_assert_int_eq(inf_paths_compile(&t, 1, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "bad path \"a.**\": a path cannot end with '**' at column 4");
	t = "$.price";
	ck_assert_int_eq(inf_paths_compile(&t, 1, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "bad path \"$.price\": '$' is no root: a path starts at the "
			 "record's members (price, not $.price); quote a key named $ (\"$\") at column 1");
	/* the key as it must be written */
	t = "a. b";
	ck_assert_int_eq(inf_paths_compile(&t, 1, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "bad path \"a. b\": a key with a space at its start or end must "
			 "be quoted (\" b\") at column 3");
	t = "price\xc2\xa0";
	ck_assert_int_eq(inf_paths_compile(&t, 1, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "bad path \"price\xc2\xa0\": a key with a space or an invisible "
			 "character at its start or end must be quoted (\"price\xc2\xa0\") at column 1");
	/* a long key is shown cut at a character, never inside one */
	t = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc2\xa0";
	ck_assert_int_eq(inf_paths_compile(&t, 1, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(strstr(err, "(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\")"),
		      "%s", err);
	/* quoted, each is a key; inside a key, a space or '$' is a byte */
	const char *ok[] = { "\" price\"", "\"$\".price", "a.$", "a b", "$a",
			     "\"price\xc2\xa0\"", "a\xc2\xa0\x62", "caf\xc3\xa9", "\"\xe2\x80\x8e\"",
			     "\xe2\x82\xac", "a\xe2\x80\x90" };
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		ck_assert_msg(inf_paths_compile(&ok[i], 1, &ps, err, sizeof err) == 0, "%s: %s",
			      ok[i], err);
		inf_paths_free(ps);
	}
}
END_TEST

/* A set fails as a whole when one of its paths is bad, naming that one. */
START_TEST(test_compile_set)
{
	const char *texts[] = {"a", "b.c", "d[*]", "e..f", "g"};
	char err[256];
	struct inf_paths *ps = NULL;

	ck_assert_int_eq(inf_paths_compile(texts, 3, &ps, err, sizeof err), 0);
	ck_assert_uint_eq(inf_paths_count(ps), 3);
	inf_paths_free(ps);
	ck_assert_int_eq(inf_paths_compile(texts, 5, &ps, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_null(ps);
	ck_assert_ptr_nonnull(strstr(err, "\"e..f\""));
	ck_assert_ptr_null(strstr(err, "\"g\""));
	ck_assert_int_eq(inf_paths_compile(texts, 0, &ps, err, sizeof err), 0);
	ck_assert_uint_eq(inf_paths_count(ps), 0);
	inf_paths_free(ps);
	ck_assert_uint_eq(inf_paths_count(NULL), 0);
	inf_paths_free(NULL);
}
END_TEST

/* ---- matching ---- */

START_TEST(test_top_level_key)
{
	compile("price");
	expect_walk("{\"id\":1,\"price\":9.5,\"name\":\"x\"}", "id=1:N price=9.5:F name=\"x\":N");
	ck_assert_str_eq(found(), "9.5");
	/* the key alone: "price" nested deeper is not at the top */
	expect_walk("{\"a\":{\"price\":1}}", "a={\"price\":1}:N");
	ck_assert_str_eq(found(), "-");
}
END_TEST

START_TEST(test_nested_keys)
{
	compile("customer.address.zip");
	expect_walk("{\"customer\":{\"name\":\"a\",\"address\":{\"zip\":\"123\",\"city\":\"c\"}},"
	            "\"zip\":0}",
	            "customer={\"name\":\"a\",\"address\":{\"zip\":\"123\",\"city\":\"c\"}}:P "
	            "name=\"a\":N "
	            "address={\"zip\":\"123\",\"city\":\"c\"}:P "
	            "zip=\"123\":F city=\"c\":N zip=0:N");
	ck_assert_str_eq(found(), "\"123\"");
	/* a key on the way that is not an object: nothing below */
	expect_walk("{\"customer\":[{\"address\":{\"zip\":1}}]}",
	            "customer=[{\"address\":{\"zip\":1}}]:P #={\"address\":{\"zip\":1}}:N");
}
END_TEST

START_TEST(test_any_element)
{
	compile("items[*].price");
	expect_walk("{\"items\":[{\"price\":1,\"q\":2},{\"price\":3},5],\"price\":4}",
	            "items=[{\"price\":1,\"q\":2},{\"price\":3},5]:P "
	            "#={\"price\":1,\"q\":2}:P price=1:F q=2:N "
	            "#={\"price\":3}:P price=3:F #=5:P price=4:N");
	ck_assert_str_eq(found(), "1");
	/* [*] on an object value matches nothing */
	expect_walk("{\"items\":{\"price\":1}}", "items={\"price\":1}:P price=1:N");
}
END_TEST

START_TEST(test_index)
{
	compile("items[1]");
	expect_walk("{\"items\":[10,20,30]}", "items=[10,20,30]:P #=10:N #=20:F #=30:N");
	ck_assert_str_eq(found(), "20");
	expect_walk("{\"items\":[10]}", "items=[10]:P #=10:N");
	ck_assert_str_eq(found(), "-");
	compile("a[1][2]");
	expect_walk("{\"a\":[0,[1,2,3],[4,5,6]]}",
	            "a=[0,[1,2,3],[4,5,6]]:P #=0:N #=[1,2,3]:P #=1:N #=2:N #=3:F "
	            "#=[4,5,6]:N");
	ck_assert_str_eq(found(), "3");
}
END_TEST

/* A path that starts with [N] or [*] applies to a root array. */
START_TEST(test_root_array)
{
	compile("[0]");
	expect_walk("[[1,2],[3]]", "#=[1,2]:F #=1:N #=2:N #=[3]:N");
	ck_assert_str_eq(found(), "[1,2]");
	expect_walk("{\"0\":1}", "0=1:N");
	compile("[*].id");
	expect_walk("[{\"id\":1},{\"x\":{\"id\":2}}]",
	            "#={\"id\":1}:P id=1:F #={\"x\":{\"id\":2}}:P x={\"id\":2}:N");
}
END_TEST

/* `*` is any member of an object, never an array element; the children
 * of a FULL match are visited with NONE. */
START_TEST(test_star_members_only)
{
	compile("*");
	expect_walk("{\"a\":1,\"b\":[2,{\"c\":3}]}", "a=1:F b=[2,{\"c\":3}]:F #=2:N #={\"c\":3}:N");
	ck_assert_str_eq(found(), "1");
	expect_walk("[1,{\"a\":2}]", "#=1:N #={\"a\":2}:N");
	ck_assert_str_eq(found(), "-");
	compile("a.*.b");
	expect_walk("{\"a\":{\"x\":{\"b\":1,\"c\":2},\"y\":[{\"b\":3}],\"z\":{\"b\":4}},\"b\":5}",
	            "a={\"x\":{\"b\":1,\"c\":2},\"y\":[{\"b\":3}],\"z\":{\"b\":4}}:P "
	            "x={\"b\":1,\"c\":2}:P b=1:F c=2:N "
	            "y=[{\"b\":3}]:P #={\"b\":3}:N "
	            "z={\"b\":4}:P b=4:F b=5:N");
}
END_TEST

START_TEST(test_deep_password)
{
	compile("**.password");
	expect_walk(
	    "{\"password\":\"p0\",\"user\":{\"password\":\"p1\",\"list\":[{\"password\":\"p2\"},"
	    "\"x\",[\"y\",{\"password\":{\"password\":\"p4\"}}]]}}",
	    "password=\"p0\":F "
	    "user={\"password\":\"p1\",\"list\":[{\"password\":\"p2\"},\"x\",[\"y\",{\"password\":{"
	    "\"password\":\"p4\"}}]]}:P "
	    "password=\"p1\":F "
	    "list=[{\"password\":\"p2\"},\"x\",[\"y\",{\"password\":{\"password\":\"p4\"}}]]:P "
	    "#={\"password\":\"p2\"}:P password=\"p2\":F #=\"x\":P "
	    "#=[\"y\",{\"password\":{\"password\":\"p4\"}}]:P #=\"y\":P "
	    "#={\"password\":{\"password\":\"p4\"}}:P "
	    "password={\"password\":\"p4\"}:F password=\"p4\":F");
	ck_assert_str_eq(found(), "\"p0\"");
	/* only inside arrays, under a root array */
	expect_walk("[[{\"password\":1}]]",
	            "#=[{\"password\":1}]:P #={\"password\":1}:P password=1:F");
	ck_assert_str_eq(found(), "1");
	/* not there at all: everything is on a live path, nothing FULL */
	expect_walk("{\"a\":{\"pass\":1}}", "a={\"pass\":1}:P pass=1:P");
	ck_assert_str_eq(found(), "-");
}
END_TEST

START_TEST(test_deep_in_the_middle)
{
	compile("a.**.b");
	expect_walk("{\"a\":{\"b\":1,\"x\":{\"y\":[{\"b\":2}]}},\"b\":3}",
	            "a={\"b\":1,\"x\":{\"y\":[{\"b\":2}]}}:P b=1:F "
	            "x={\"y\":[{\"b\":2}]}:P y=[{\"b\":2}]:P #={\"b\":2}:P b=2:F "
	            "b=3:N");
	compile("**[1]");
	expect_walk("{\"a\":[5,6],\"b\":{\"c\":[7,[8,9]]}}",
	            "a=[5,6]:P #=5:P #=6:F b={\"c\":[7,[8,9]]}:P c=[7,[8,9]]:P "
	            "#=7:P #=[8,9]:F #=8:P #=9:F");
}
END_TEST

/* "**" also matches zero levels, at the top and in the middle. */
START_TEST(test_deep_zero_levels)
{
	compile("**.a");
	expect_walk("{\"a\":{\"a\":1},\"b\":2}", "a={\"a\":1}:F a=1:F b=2:P");
	compile("x.**.**.y");
	expect_walk("{\"x\":{\"y\":1}}", "x={\"y\":1}:P y=1:F");
}
END_TEST

/* Keys compare after JSON unescaping, on both sides. */
START_TEST(test_keys_unescaped)
{
	compile("price");
	expect_walk("{\"pr\\u0069ce\":1}", "price=1:F");
	compile("\"a/b\"");
	expect_walk("{\"a\\/b\":2,\"a/b\":3}", "a/b=2:F a/b=3:F");
	compile("\"we\\\"ird\"");
	expect_walk("{\"we\\\"ird\":3,\"we\\u0022ird\":4,\"weird\":5}",
	            "we\"ird=3:F we\"ird=4:F weird=5:N");
	compile("\"caf\\u00e9\"");
	expect_walk("{\"caf\xC3\xA9\":1,\"cafe\":2}", "caf\xC3\xA9=1:F cafe=2:N");
	compile("\"a.b\".c");
	expect_walk("{\"a.b\":{\"c\":1},\"a\":{\"b\":{\"c\":2}}}",
	            "a.b={\"c\":1}:P c=1:F a={\"b\":{\"c\":2}}:N");
	compile("\"\"");
	expect_walk("{\"\":1,\"x\":2}", "=1:F x=2:N");
	/* an unquoted key is literal: no escapes are decoded in it */
	compile("pr\\u0069ce");
	expect_walk("{\"price\":1}", "price=1:N");
}
END_TEST

/* Every occurrence of a duplicated key is visited and matches. */
START_TEST(test_duplicate_keys)
{
	compile("a.b");
	expect_walk("{\"a\":{\"b\":1},\"x\":0,\"a\":{\"b\":2,\"b\":3}}",
	            "a={\"b\":1}:P b=1:F x=0:N a={\"b\":2,\"b\":3}:P b=2:F b=3:F");
	ck_assert_str_eq(found(), "1");
}
END_TEST

/* With several paths, a node is FULL when any path ends there. */
START_TEST(test_several_paths)
{
	static const char *const set[] = {"a.b", "a", "c[*]"};

	compile_set(set, 3);
	expect_walk("{\"a\":{\"b\":1,\"c\":2},\"c\":[3],\"d\":4}",
	            "a={\"b\":1,\"c\":2}:F b=1:F c=2:N c=[3]:P #=3:F d=4:N");
}
END_TEST

/* Removed and replaced nodes, and what is below them, are not visited. */
START_TEST(test_hidden_not_visited)
{
	struct inf_paths *find_b = NULL, *all = NULL;
	const char *tb = "b", *td = "d";
	char err[128];

	compile("**.x");
	load("{\"a\":1,\"b\":{\"x\":2},\"c\":[3,{\"x\":4},5],\"d\":{\"x\":6}}");
	ck_assert_int_eq(inf_paths_compile(&tb, 1, &find_b, err, sizeof err), 0);
	ck_assert_int_eq(inf_paths_compile(&td, 1, &all, err, sizeof err), 0);
	ck_assert_int_eq(inf_record_remove(&rec, inf_find(&rec, find_b)), 0);
	ck_assert_int_eq(inf_record_replace_json(&rec, inf_find(&rec, all), "0", 1), 0);
	/* c[0] */
	ck_assert_int_eq(inf_record_remove(&rec, 9), 0);
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	ck_assert_str_eq(tu_cstr(&seen), "a=1:P c=[3,{\"x\":4},5]:P #={\"x\":4}:P x=4:F #=5:P");
	/* inf_find skips them too */
	ck_assert_str_eq(found(), "4");
	inf_paths_free(find_b);
	inf_paths_free(all);
}
END_TEST

/* Indexes count every element of the record as loaded, removed ones
 * included, until the edits are committed. */
START_TEST(test_index_after_remove)
{
	struct inf_json_err e;

	compile("[1]");
	load("[10,20,30]");
	ck_assert_int_eq(inf_record_remove(&rec, 1), 0); /* 10 */
	ck_assert_str_eq(found(), "20");
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	ck_assert_str_eq(found(), "30");
}
END_TEST

START_TEST(test_scalar_root_visits_nothing)
{
	static const char *const roots[] = {"\"str\"", "42", "null", "true", " -1.5 "};
	static const char *const set[] = {"*", "**.a", "[0]"};

	compile_set(set, 3);
	for (unsigned i = 0; i < 5; i++) {
		expect_walk(roots[i], "");
		ck_assert_str_eq(found(), "-");
	}
	/* nor empty containers, nor a root that was replaced */
	expect_walk("{}", "");
	expect_walk("[]", "");
	load("{\"a\":1}");
	ck_assert_int_eq(inf_record_replace_json(&rec, 0, "[1]", 3), 0);
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	ck_assert_str_eq(tu_cstr(&seen), "");
	/* no path set: no walk */
	load("{\"a\":1}");
	ck_assert_int_eq(inf_walk(&rec, NULL, record_visit, NULL), 0);
	ck_assert_str_eq(tu_cstr(&seen), "");
}
END_TEST

/* SKIP keeps the walk out of a node; a negative return stops it. */
static int skip_b(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	size_t n;
	const char *k = key >= 0 ? inf_record_string(r, key, &n) : NULL;
	int rc = record_visit(ctx, r, node, key, m);

	return k && n == 1 && *k == 'b' ? INF_WALK_SKIP : rc;
}

static int stop_third(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	int *calls = ctx;

	record_visit(NULL, r, node, key, m);
	return ++*calls == 3 ? INF_ERR_INTERNAL : INF_WALK_DESCEND;
}

START_TEST(test_visitor_controls_walk)
{
	int calls = 0;

	compile("**.z");
	load("{\"a\":{\"z\":1},\"b\":{\"z\":2},\"c\":[{\"z\":3}]}");
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, skip_b, NULL), 0);
	ck_assert_str_eq(tu_cstr(&seen), "a={\"z\":1}:P z=1:F b={\"z\":2}:P c=[{\"z\":3}]:P "
	                                 "#={\"z\":3}:P z=3:F");
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, stop_third, &calls), INF_ERR_INTERNAL);
	ck_assert_int_eq(calls, 3);
	ck_assert_str_eq(tu_cstr(&seen), "a={\"z\":1}:P z=1:F b={\"z\":2}:P");
}
END_TEST

/* A wide and deep record: states are reused, the walk stays right. */
START_TEST(test_wide_and_deep)
{
	struct inf_buf js = {0};
	int count = 0;

	compile("**.k");
	ck_assert_int_eq(inf_buf_putc(&js, '['), 0);
	for (int i = 0; i < 2000; i++)
		ck_assert_int_eq(
		    inf_buf_printf(&js, "%s{\"k\":%d,\"o\":{\"k\":[%d]}}", i ? "," : "", i, i), 0);
	ck_assert_int_eq(inf_buf_putc(&js, ']'), 0);
	load(tu_cstr(&js));
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	for (const char *p = tu_cstr(&seen); (p = strstr(p, ":F")); p++)
		count++;
	ck_assert_int_eq(count, 4000);
	inf_buf_free(&js);
}
END_TEST

/* inf_walk_matches visits exactly the full matches inf_walk visits, in
 * the same order, and nothing else. */
START_TEST(test_walk_matches)
{
	static const char *const sets[][3] = {
	    {"price", "discount", NULL}, {"a.b", NULL, NULL},     {"**.k", NULL, NULL},
	    {"items[*].price", NULL, NULL}, {"[1]", "*", NULL},   {"a", "a.b", "**.c"},
	    {"*.*", NULL, NULL},          {"x[*][*].y", NULL, NULL},
	};
	static const char *const docs[] = {
	    "{\"price\":1,\"q\":2,\"discount\":{\"price\":3}}",
	    "{\"a\":{\"b\":[1,{\"b\":2}],\"c\":{\"k\":3}},\"k\":{\"k\":4}}",
	    "[{\"k\":1},[{\"k\":[{\"k\":2}]}],3]",
	    "{\"items\":[{\"price\":1},{\"price\":2,\"c\":5},7],\"x\":[[{\"y\":1}],[2]]}",
	    "{}", "[]", "{\"a\":1,\"a\":{\"b\":2}}",
	};
	struct inf_buf full = {0};

	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		size_t n = 0;
		while (n < 3 && sets[i][n])
			n++;
		compile_set(sets[i], n);
		for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
			const char *w;
			load(docs[d]);
			inf_buf_reset(&seen);
			ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
			inf_buf_reset(&full);
			for (w = tu_cstr(&seen); *w;) { /* keep the ":F" visits */
				const char *e = strchr(w, ' ');
				size_t len = e ? (size_t)(e - w) : strlen(w);
				if (len >= 2 && w[len - 1] == 'F' && w[len - 2] == ':')
					ck_assert_int_eq(inf_buf_printf(&full, "%s%.*s", full.len ? " " : "",
					                                (int)len, w), 0);
				w += len + (e != NULL);
			}
			inf_buf_reset(&seen);
			ck_assert_int_eq(inf_walk_matches(&rec, paths, record_visit, NULL), 0);
			ck_assert_msg(strcmp(tu_cstr(&seen), tu_cstr(&full)) == 0,
			              "set %zu doc %zu: matches [%s], full matches of walk [%s]", i, d,
			              seen.data, full.data);
		}
	}
	inf_buf_free(&full);
}
END_TEST

/* Paths that are all plain top-level keys take a walk of their own
 * (filters on a key's length and first byte; raw bytes when no key holds
 * an escape). Adding a path that never matches here ("zz.never") sends
 * the same set through the general matcher: both walks must report the
 * same visits, for inf_walk and inf_walk_matches, and hidden members
 * must stay unvisited in both. */
static const char *walk_text(int matches_only)
{
	inf_buf_reset(&seen);
	ck_assert_int_eq((matches_only ? inf_walk_matches : inf_walk)(&rec, paths, record_visit, NULL),
	                 0);
	return tu_cstr(&seen);
}

START_TEST(test_top_keys_as_general)
{
	static const char *const sets[][4] = {
	    {"price", "discount", NULL},
	    {"a", NULL},
	    {"\"\"", "x", NULL},
	    {"\"caf\\u00e9\"", "\"we\\\"ird\"", NULL},
	    /* 69 bytes: the same length filter bit as a 5-byte key */
	    {"k23456789012345678901234567890123456789012345678901234567890123456789", "price",
	     NULL},
	    /* "pr" passes both filters (the length of "px", the first byte
	     * of "price") and is a prefix of "price": only equal bytes match */
	    {"price", "px", NULL},
	    /* keys whose first byte is past 0x7f: the upper half of the
	     * first-byte filter ("\u00e9t\u00e9", "\u540d") */
	    {"\xC3\xA9t\xC3\xA9", "\xE5\x90\x8D", NULL},
	};
	static const char *const docs[] = {
	    "{\"price\":1,\"discount\":2}",
	    "{\"id\":1,\"price\":2,\"discount\":3,\"z\":4}",
	    "{\"price\":1}",
	    "{}",
	    "{\"price2\":1,\"pric\":2,\"prices\":3,\"prize\":4,\"Price\":5,\"discount\":6}",
	    "{\"price\":1,\"x\":0,\"price\":2,\"price\":{\"price\":3}}",
	    "{\"pr\\u0069ce\":1,\"discount\":2,\"pri\\\\ce\":3}",
	    "{ \"a\" : [1,{\"a\":2}] ,\n\"price\" :\t{\"b\":[]} , \"discount\":null }",
	    "{\"\":1,\"x\":{\"\":2},\"a\":[[\"a\"]],\"a\":{}}",
	    "{\"caf\xC3\xA9\":1,\"cafe\":2,\"we\\\"ird\":3,\"we\\u0022ird\":4,\"weird\":5}",
	    "{\"k23456789012345678901234567890123456789012345678901234567890123456789\":1,"
	    "\"k2345678901234567890123456789012345678901234567890123456789012345678X\":2,"
	    "\"pricX\":3,\"price\":4}",
	    "{\"pr\":1,\"px\":2,\"p\":3,\"pxx\":4,\"price\":5,\"pric\":6}",
	    "{\"\xC3\xA9t\xC3\xA9\":1,\"ete\":2,\"\xE5\x90\x8D\":3,\"\xC3\xA9\":4}",
	    "{\"\\u00e9t\xC3\xA9\":1,\"\\u540d\":2,\"x\":3}",
	};
	struct inf_buf fast = {0};

	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		const char *set[5];
		size_t n = 0;
		while (sets[i][n]) {
			set[n] = sets[i][n];
			n++;
		}
		for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
			for (int mo = 0; mo < 2; mo++) {
				compile_set(set, n);
				load(docs[d]);
				inf_buf_reset(&fast);
				ck_assert_int_eq(inf_buf_puts(&fast, walk_text(mo)), 0);
				set[n] = "zz.never";
				compile_set(set, n + 1);
				ck_assert_msg(strcmp(walk_text(mo), tu_cstr(&fast)) == 0,
				              "set %zu doc %zu %s: fast [%s], general [%s]", i, d,
				              mo ? "matches" : "walk", fast.data, seen.data);
			}
		}
	}
	/* members removed before the walk are not visited by either */
	compile("price");
	load("{\"price\":1,\"a\":2,\"price\":3,\"price\":4}");
	ck_assert_int_eq(inf_record_remove(&rec, 6), 0); /* the second price */
	ck_assert_str_eq(walk_text(1), "price=1:F price=4:F");
	ck_assert_str_eq(walk_text(0), "price=1:F a=2:N price=4:F");
	/* nor below a full match the visitor descends into (raw text is
	 * the record as loaded) */
	load("{\"price\":{\"a\":1,\"b\":2,\"c\":3}}");
	ck_assert_int_eq(inf_record_remove(&rec, 6), 0); /* b */
	ck_assert_str_eq(walk_text(0), "price={\"a\":1,\"b\":2,\"c\":3}:F a=1:N c=3:N");
	inf_buf_free(&fast);
}
END_TEST

/* Deep nesting with several "**" paths: matcher states grow past their
 * first allocation and the walk stays right at every level. */
START_TEST(test_deep_states)
{
	static const char *const set[] = {"**.k", "**.x.**.k", "**.x.**.x.**.k", "x.x.x.x.k"};
	struct inf_buf js = {0};
	int full = 0, partial = 0;

	compile_set(set, 4);
	for (int i = 0; i < 60; i++)
		ck_assert_int_eq(inf_buf_puts(&js, "{\"k\":1,\"x\":"), 0);
	ck_assert_int_eq(inf_buf_puts(&js, "0"), 0);
	for (int i = 0; i < 60; i++)
		ck_assert_int_eq(inf_buf_putc(&js, '}'), 0);
	load(tu_cstr(&js));
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	for (const char *p = tu_cstr(&seen); *p; p++) {
		if (p[0] == ':' && p[1] == 'F')
			full++;
		if (p[0] == ':' && p[1] == 'P')
			partial++;
	}
	/* every "k" ends a path, every "x" continues one, the last x is 0 */
	ck_assert_int_eq(full, 60);
	ck_assert_int_eq(partial, 60);
	ck_assert_uint_ge(rec.states_cap, 64);
	inf_buf_free(&js);
}
END_TEST

/* Watches the matcher's state array during a walk: stops the walk (with
 * INF_ERR_LIMIT) as soon as its capacity passes `bound`, so a walker
 * whose states multiply fails here at once instead of running for
 * minutes; counts full matches. */
struct state_watch {
	size_t bound, max_cap;
	int full;
};

static int watch_states(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	struct state_watch *w = ctx;

	(void)node;
	(void)key;
	if (r->states_cap > w->max_cap)
		w->max_cap = r->states_cap;
	if (r->states_cap > w->bound)
		return INF_ERR_LIMIT;
	if (m == INF_MATCH_FULL)
		w->full++;
	return INF_WALK_DESCEND;
}

/* Several "**" in a row over a deep record: equal matcher states at one
 * level are kept once (has_state() in path.c, by generation stamps). A level then holds at
 * most one state per path segment position, nsegs + 1 = 6 here, and the
 * walk keeps the states of the levels above it: at most 6 x (300 + 2)
 * in use, so the array (doubling) never needs more than twice that.
 * Without de-duplication the states at depth d number about C(d+4, 4)
 * (a 1.5 KB record took 17 s), and pass the bound within 20 levels. */
START_TEST(test_deep_repeated_star_states_bounded)
{
	enum { DEPTH = 300, SEGS = 5 };
	struct inf_buf js = {0};
	struct state_watch w = {2 * (SEGS + 1) * (DEPTH + 2), 0, 0};
	int rc;

	inf_record_free(&rec);
	inf_record_init(&rec, DEPTH + 8);
	compile("**.**.**.**.x");
	for (int i = 0; i < DEPTH; i++)
		ck_assert_int_eq(inf_buf_puts(&js, "{\"a\":"), 0);
	ck_assert_int_eq(inf_buf_puts(&js, "{\"x\":1}"), 0);
	for (int i = 0; i < DEPTH; i++)
		ck_assert_int_eq(inf_buf_putc(&js, '}'), 0);
	ck_assert_uint_lt(js.len, 2048);
	load(tu_cstr(&js));
	rc = inf_walk(&rec, paths, watch_states, &w);
	ck_assert_msg(rc == 0, "walk stopped: %zu states allocated, bound %zu", w.max_cap, w.bound);
	ck_assert_int_eq(w.full, 1); /* the one "x" */
	ck_assert_uint_le(rec.states_cap, w.bound);
	/* the walk over full matches only shares the matcher */
	w.full = 0;
	rc = inf_walk_matches(&rec, paths, watch_states, &w);
	ck_assert_msg(rc == 0, "matches walk stopped: %zu states, bound %zu", w.max_cap, w.bound);
	ck_assert_int_eq(w.full, 1);
	ck_assert_uint_le(rec.states_cap, w.bound);
	inf_buf_free(&js);
}
END_TEST

/* The stamps that say a state was pushed at this level carry a
 * generation; when it wraps, a stamp left from generation 1 long ago
 * must not read as pushed at the new generation 1. */
START_TEST(test_state_stamps_wrap)
{
	struct state_watch w = {1000, 0, 0};

	compile("a.b");
	load("{\"a\":{\"b\":1}}");
	rec.stamp_gen = 0; /* "a" steps to (a.b, 1) at generation 1 */
	ck_assert_int_eq(inf_walk(&rec, paths, watch_states, &w), 0);
	ck_assert_int_eq(w.full, 1);
	rec.stamp_gen = UINT32_MAX; /* the next step wraps to 1 */
	w.full = 0;
	ck_assert_int_eq(inf_walk(&rec, paths, watch_states, &w), 0);
	ck_assert_int_eq(w.full, 1);
	ck_assert_uint_lt(rec.stamp_gen, 10);
}
END_TEST

/* A walk works on the committed bytes after an edit round. */
START_TEST(test_walk_after_commit)
{
	struct inf_json_err e;

	compile("a.b");
	load("{\"x\":1,\"a\":{\"c\":1}}");
	ck_assert_int_eq(inf_record_set_json(&rec, 4, "b", 1, "[7]", 3, 0), 0);
	ck_assert_int_eq(inf_record_commit(&rec, &e), 0);
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	ck_assert_str_eq(tu_cstr(&seen), "x=1:N a={\"c\":1,\"b\":[7]}:P c=1:N b=[7]:F #=7:N");
}
END_TEST

/* A visitor may call find, walk or paths_check_root on the record it is
 * visiting: they take matcher states above the outer walk's, so the
 * outer walk goes on exactly as it would have (plugin.h, host->walk).
 * They used to start at state 0 and overwrite it, and the outer walk
 * then missed the matches below (a drop_fields left them in). */
static int nested_visit(void *ctx, struct inf_record *r, int node, int key,
			enum inf_match m)
{
	const struct inf_paths *inner = ctx;
	char err[INF_ERR_MAX] = "";

	ck_assert_int_ge(inf_find(r, inner), 0);
	ck_assert_int_eq(inf_paths_check_root(r, inner, err), 0);
	return record_visit(NULL, r, node, key, m);
}

START_TEST(test_find_inside_visitor)
{
	static const char *const outer[] = { "a[*].x", "b.y" };
	const char *inner_text = "b.**.z";
	struct inf_paths *inner = NULL;
	char err[256] = "";
	const char *js = "{\"a\":[{\"x\":1},{\"x\":2}],\"b\":{\"y\":3,\"w\":{\"z\":4}}}";
	char want[512];

	compile_set(outer, 2);
	ck_assert_int_eq(inf_paths_compile(&inner_text, 1, &inner, err, sizeof err), 0);
	load(js);
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, record_visit, NULL), 0);
	snprintf(want, sizeof want, "%s", tu_cstr(&seen));
	inf_buf_reset(&seen);
	ck_assert_int_eq(inf_walk(&rec, paths, nested_visit, inner), 0);
	ck_assert_str_eq(tu_cstr(&seen), want);
	inf_paths_free(inner);
}
END_TEST

/* ---- reach checks ---- */

#define K10 "kkkkkkkkkk"
#define K64 K10 K10 K10 K10 K10 K10 "kkkk"
#define K100 K10 K10 K10 K10 K10 K10 K10 K10 K10 K10
#define B10 "bbbbbbbbbb"
#define B64 B10 B10 B10 B10 B10 B10 "bbbb"
#define B100 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10

/* inf_paths_check_root (inf_paths_check_cond when `cond`) of a path set
 * over a record: passes when `refusal` is NULL, else INF_ERR_TYPE with
 * `refusal` in the message. */
static const struct {
	const char *set[3];
	int cond;
	const char *js, *refusal;
} reaches[] = {
    /* a stuck path is decided only by one that steps in and goes on with
     * the same segments: same index, same name (length and bytes), same
     * kind ([*] beside [0] does not count either) */
    {{"a.b[0]", "a[*].b[1]"}, 0, "{\"a\":[{\"b\":[1,2]}]}",
     "the value of member \"a\" is an array and no path naming it reaches into one"},
    {{"a.b[0]", "a[*].b[0]"}, 0, "{\"a\":[{\"b\":[1,2]}]}", NULL},
    {{"customer.email", "customer[*].phone"}, 0, "{\"customer\":[{\"email\":1}]}",
     "member \"customer\" is an array"},
    {{"a.b[0]", "a[*].b[*]"}, 0, "{\"a\":[{\"b\":[1,2]}]}", "member \"a\" is an array"},
    {{"customer.emails", "customer[*].email"}, 0, "{\"customer\":[{\"emails\":1}]}",
     "member \"customer\" is an array"},
    /* a condition's other path ending at "customer" does not look inside;
     * a plugin acts on "customer" whole */
    {{"customer.email", "customer"}, 1, "{\"customer\":[{\"email\":1}]}",
     "the value of member \"customer\" is an array and no path of the condition naming it "
     "reaches into one (a path with [*] or ** there does): refused rather than decided "
     "without looking inside"},
    {{"customer.email", "customer"}, 0, "{\"customer\":[{\"email\":1}]}", NULL},
    /* what a wildcard meets, by what the path names next */
    {{"*[*]"}, 0, "{\"x\":{\"y\":1}}",
     "the value of member \"x\", met by *, is an object holding elements, which no path "
     "reaches into (a path with a member name or ** there does): refused rather than "
     "passed on untouched"},
    {{"items[*][0]"}, 0, "{\"items\":[{\"a\":[]}]}", NULL},
    {{"*.*.*"}, 0, "{\"x\":[[1]]}", NULL},
    {{"*.*.*"}, 0, "{\"x\":[{}]}", NULL},
    {{"*[*].**.a"}, 0, "{\"x\":{\"y\":{\"a\":1}}}", "is an object holding values, which"},
    {{"*[*].abc"}, 0, "{\"x\":{\"y\":{\"ab\":1}}}", NULL},
    {{"*[*].card"}, 0, "{\"x\":{\"y\":{\"a\":{\"b\":1},\"card\":1}}}",
     "the value of member \"x\", met by *, is an object holding member \"card\""},
    /* an array looked through for one path's member is not looked
     * through for another's */
    {{"a[*].x", "a[*][*].y"}, 0, "{\"a\":[[[{\"y\":1}]]]}",
     "an array element, met by [*], is an array holding member \"y\", which"},
    /* long names are cut at 64 bytes */
    {{K100 ".email"}, 0, "{\"" K100 "\":[{\"email\":1}]}",
     "the value of member \"" K64 "\" is an array"},
    {{"*[*]." B100}, 0, "{\"x\":{\"y\":{\"" B100 "\":1}}}",
     "an object holding member \"" B64 "\", which"},
};

START_TEST(test_reach)
{
	char err[INF_ERR_MAX] = "";
	size_t n = 0;
	int rc;

	while (n < 3 && reaches[_i].set[n])
		n++;
	compile_set(reaches[_i].set, n);
	load(reaches[_i].js);
	rc = (reaches[_i].cond ? inf_paths_check_cond : inf_paths_check_root)(&rec, paths, err);
	if (!reaches[_i].refusal) {
		ck_assert_msg(rc == 0, "%s over %s refused: %s", reaches[_i].set[0], reaches[_i].js,
			      err);
		return;
	}
	ck_assert_msg(rc == INF_ERR_TYPE, "%s over %s passed", reaches[_i].set[0], reaches[_i].js);
	ck_assert_msg(strstr(err, reaches[_i].refusal), "[%s] lacks [%s]", err,
		      reaches[_i].refusal);
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("compile");
	TCase *tm = tcase_create("match");

	tcase_add_loop_test(tc, test_compile_good, 0,
	                    (int)(sizeof good_paths / sizeof good_paths[0]));
	tcase_add_loop_test(tc, test_compile_bad, 0, (int)(sizeof bad_paths / sizeof bad_paths[0]));
	tcase_add_test(tc, test_compile_messages);
	tcase_add_test(tc, test_compile_set);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, test_top_level_key);
	tcase_add_test(tm, test_walk_matches);
	tcase_add_test(tm, test_top_keys_as_general);
	tcase_add_test(tm, test_nested_keys);
	tcase_add_test(tm, test_any_element);
	tcase_add_test(tm, test_index);
	tcase_add_test(tm, test_root_array);
	tcase_add_test(tm, test_star_members_only);
	tcase_add_test(tm, test_deep_password);
	tcase_add_test(tm, test_deep_in_the_middle);
	tcase_add_test(tm, test_deep_zero_levels);
	tcase_add_test(tm, test_keys_unescaped);
	tcase_add_test(tm, test_duplicate_keys);
	tcase_add_test(tm, test_several_paths);
	tcase_add_test(tm, test_hidden_not_visited);
	tcase_add_test(tm, test_index_after_remove);
	tcase_add_test(tm, test_scalar_root_visits_nothing);
	tcase_add_test(tm, test_visitor_controls_walk);
	tcase_add_test(tm, test_wide_and_deep);
	tcase_add_test(tm, test_deep_states);
	tcase_add_test(tm, test_deep_repeated_star_states_bounded);
	tcase_add_test(tm, test_state_stamps_wrap);
	tcase_add_test(tm, test_walk_after_commit);
	tcase_add_test(tm, test_find_inside_visitor);
	tcase_add_loop_test(tm, test_reach, 0, (int)(sizeof reaches / sizeof reaches[0]));
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	return tu_run_suite(path_suite());
}
