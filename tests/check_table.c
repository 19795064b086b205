/*
 * Lookup tables (core/table.c): CSV and NDJSON files are loaded, indexed
 * and searched, and every malformed table is refused with its file and
 * line. Tables are written to a temporary directory.
 */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table.h"
#include "testutil.h"

static char *tmp;
static char file[PATH_MAX];
static char err[INF_ERR_MAX];
static struct inf_table *t;

static void setup(void)
{
	tmp = tu_tmpdir();
	ck_assert_ptr_nonnull(tmp);
	t = NULL;
}

static void teardown(void)
{
	inf_table_free(t);
	tu_rmtree(tmp);
	free(tmp);
}

/* Writes the `len` bytes of `text` as tmp/name and loads it keyed by `key`. */
static struct inf_table *load_n(const char *name, const char *text, size_t len,
				const char *key, const char *const *reserved)
{
	inf_table_free(t);
	ck_assert_int_eq(tu_write(tmp, name, text, len, file, sizeof file), 0);
	err[0] = '\0';
	t = inf_table_load(file, key, reserved, err);
	return t;
}

static struct inf_table *load(const char *name, const char *text, const char *key,
			      const char *const *reserved)
{
	return load_n(name, text, strlen(text), key, reserved);
}

/* Expects the row keyed `key` to have exactly the fields given as
 * "name=json" strings, in order, NULL-terminated. */
static void row_is(const char *key, ...)
{
	const struct inf_fields *f = inf_table_find(t, key, strlen(key));
	const char *want;
	va_list ap;
	size_t i = 0;

	ck_assert_msg(f != NULL, "no row \"%s\"", key);
	va_start(ap, key);
	while ((want = va_arg(ap, const char *))) {
		char got[512];
		ck_assert_msg(i < f->count, "row \"%s\" has only %zu fields", key, f->count);
		snprintf(got, sizeof got, "%s=%s", f->items[i].name, f->items[i].json);
		ck_assert_str_eq(got, want);
		ck_assert_uint_eq(f->items[i].json_len, strlen(f->items[i].json));
		i++;
	}
	va_end(ap);
	ck_assert_uint_eq(f->count, i);
}

/* Expects the table to be refused with "<file>:<line>: " and `what`. */
static void refused(const char *name, const char *text, const char *key,
		    int line, const char *what)
{
	char where[PATH_MAX + 32];

	ck_assert_ptr_null(load(name, text, key, NULL));
	if (line)
		snprintf(where, sizeof where, "%s:%d: ", file, line);
	else
		snprintf(where, sizeof where, "%s: ", file);
	ck_assert_msg(strncmp(err, where, strlen(where)) == 0, "[%s] does not start with [%s]",
		      err, where);
	ck_assert_msg(strstr(err, what) != NULL, "[%s] lacks [%s]", err, what);
}

START_TEST(test_csv)
{
	ck_assert_ptr_nonnull(load("s.csv",
				   "store_id,store_city,region\n"
				   "1,Seattle,us-west\n"
				   "10,\"Washington, D.C.\",us-east\n"
				   "3,\"The \"\"Big\"\" One\",\"two\nlines\"\n"
				   "4,,\n"
				   "5,M\xc3\xbcnchen,eu \\ x\n", NULL, NULL));
	ck_assert_uint_eq(inf_table_rows(t), 5);
	row_is("1", "store_city=\"Seattle\"", "region=\"us-west\"", NULL);
	row_is("10", "store_city=\"Washington, D.C.\"", "region=\"us-east\"", NULL);
	row_is("3", "store_city=\"The \\\"Big\\\" One\"", "region=\"two\\nlines\"", NULL);
	row_is("4", "store_city=\"\"", "region=\"\"", NULL);
	row_is("5", "store_city=\"M\xc3\xbcnchen\"", "region=\"eu \\\\ x\"", NULL);
	ck_assert_ptr_null(inf_table_find(t, "2", 1));
	ck_assert_ptr_null(inf_table_find(t, "", 0));
	ck_assert_ptr_nonnull(inf_table_find(t, "10", 2));
}
END_TEST

START_TEST(test_csv_framing)
{
	/* BOM, CRLF, blank lines, no final newline, a key column not first */
	ck_assert_ptr_nonnull(load("f.csv",
				   "\xef\xbb\xbf" "city,id\r\n\r\nOslo,7\r\n\nRome,8", "id", NULL));
	row_is("7", "city=\"Oslo\"", NULL);
	row_is("8", "city=\"Rome\"", NULL);
	ck_assert_uint_eq(inf_table_rows(t), 2);
	/* a header only: no rows */
	ck_assert_ptr_nonnull(load("h.csv", "a,b\n", NULL, NULL));
	ck_assert_uint_eq(inf_table_rows(t), 0);
	ck_assert_ptr_null(inf_table_find(t, "a", 1));
	/* many rows: the index grows */
	{
		char big[65536];
		size_t n = (size_t)snprintf(big, sizeof big, "k,v\n");
		for (int i = 0; i < 2000; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "%d,v%d\n", i, i);
		ck_assert_ptr_nonnull(load("big.csv", big, NULL, NULL));
		ck_assert_uint_eq(inf_table_rows(t), 2000);
		row_is("1999", "v=\"v1999\"", NULL);
		row_is("0", "v=\"v0\"", NULL);
	}
}
END_TEST

START_TEST(test_csv_errors)
{
	refused("a.csv", "", NULL, 1, "no header row");
	refused("a.csv", "\n\n", NULL, 1, "no header row");
	refused("a.csv", "id,city\n1,a\n2\n", NULL, 3, "row has 1 fields, the header has 2");
	refused("a.csv", "id,city\n1,a\n\n\n2,b,c\n", NULL, 5, "row has 3 fields, the header has 2");
	refused("a.csv", "id,city\n1,a\n2,b\n1,c\n", NULL, 4, "duplicate key \"1\" (first on line 2)");
	refused("a.csv", "id,city\n,a\n", NULL, 2, "empty key");
	refused("a.csv", "id,city\n1,\"a\n2,b\n", NULL, 2, "unterminated quoted field");
	refused("a.csv", "id,city\n1,a\"b\n", NULL, 2, "quote inside an unquoted field");
	refused("a.csv", "id,city\n1,\"a\"b\n", NULL, 2, "unexpected character after a field");
	/* lines count inside quoted fields */
	refused("a.csv", "id,city\n1,\"a\nb\"\n2\n", NULL, 4, "row has 1 fields");
	refused("a.csv", "id,city\n1,\xff\xfe\n", NULL, 2, "column \"city\" is not valid UTF-8");
	refused("a.csv", "id,city\n", "zip", 1, "no key column \"zip\"");
	refused("a.csv", "id,city,city\n", NULL, 1, "column \"city\" named twice");
	refused("a.csv", "id,,x\n", NULL, 1, "column 2 has no name");
	/* a column's name becomes a member name: refused here, not record
	 * after record */
	refused("a.csv", "id,ci\xfft\n1,a\n", NULL, 1, "the name of column 2 is not valid UTF-8");
	refused("a.csv", "\xef\xbb\xbfid,\"\xc3\x28\"\n", NULL, 1, "the name of column 2 is not valid UTF-8");
	/* a NUL would cut the name short: "a\0b" would add member "a" */
	ck_assert_ptr_null(load_n("a.csv", "id,a\0b\n1,x\n", 11, NULL, NULL));
	ck_assert_msg(strstr(err, "a.csv:1: column 2 has no name") != NULL, "%s", err);
	/* a byte-order mark and nothing else is no header */
	refused("a.csv", "\xef\xbb\xbf", NULL, 1, "no header row");
	/* a carriage return not before a line feed ends no line: not at the
	 * end of the file, nor at the start of a row */
	refused("a.csv", "id,city\n1,a\r", NULL, 2, "unexpected character after a field");
	refused("a.csv", "id,city\n\r1,a\n", NULL, 2, "unexpected character after a field");
}
END_TEST

START_TEST(test_missing_file)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof path, "%s/none.csv", tmp);
	ck_assert_ptr_null(inf_table_load(path, NULL, NULL, err));
	ck_assert_msg(strstr(err, "none.csv: cannot open the table") != NULL, "%s", err);
	/* one that opens but cannot be read is refused, not an empty table */
	snprintf(path, sizeof path, "%s/dir.ndjson", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(inf_table_load(path, "id", NULL, err));
	ck_assert_msg(strstr(err, "dir.ndjson: cannot read the table") != NULL, "%s", err);
}
END_TEST

START_TEST(test_reserved)
{
	static const char *const res[] = { "region", "x", NULL };

	ck_assert_ptr_null(load("r.csv", "id,city,region\n1,a,b\n", NULL, res));
	ck_assert_msg(strstr(err, "r.csv:1: column \"region\" is also set by the step") != NULL,
		      "%s", err);
	/* the key column is never added, so it may be reserved */
	ck_assert_ptr_nonnull(load("r.csv", "x,city\n1,a\n", NULL, res));
	ck_assert_ptr_null(load("r.ndjson", "{\"id\":1,\"region\":2}\n", "id", res));
	ck_assert_msg(strstr(err, "r.ndjson:1: column \"region\" is also set") != NULL, "%s", err);
}
END_TEST

START_TEST(test_ndjson)
{
	ck_assert_ptr_nonnull(load("s.ndjson",
				   "{\"store_id\": 1, \"city\": \"Seattle\", \"geo\": {\"lat\": 47.6}}\n"
				   "\n"
				   "  \r\n"
				   "{\"store_id\": \"2\", \"open\": true, \"tags\": [1, 2], \"n\": null}\n"
				   "{\"city\": \"Caf\\u00e9\", \"store_id\": \"x\\u00e9\"}\n"
				   "{\"store_id\": -3.5e1}", "store_id", NULL));
	ck_assert_uint_eq(inf_table_rows(t), 4);
	row_is("1", "city=\"Seattle\"", "geo={\"lat\": 47.6}", NULL);
	row_is("2", "open=true", "tags=[1, 2]", "n=null", NULL);
	row_is("x\xc3\xa9", "city=\"Caf\\u00e9\"", NULL);
	row_is("-3.5e1", NULL);
	/* members whose names are a prefix of the key's, "" among them, are
	 * columns, not the key */
	ck_assert_msg(load("p.ndjson", "{\"i\": 5, \"\": 6, \"id\": 1}\n", "id", NULL) != NULL,
		      "%s", err);
	row_is("1", "i=5", "=6", NULL);
}
END_TEST

/* A key is found only whole: not "1" where "10" is, not "" where any key
 * is (with FNV-1a and 8 slots, "1" starts at "10"'s slot and "" at "2"'s,
 * as a record's "1" or "" would). A table of 8 or 16 rows, a power of
 * two, still leaves free slots: a key not in it ends its search. */
START_TEST(test_index)
{
	char text[256];
	size_t n;

	ck_assert_ptr_nonnull(load("p.csv", "k,v\n10,a\n2,b\n", NULL, NULL));
	ck_assert_ptr_null(inf_table_find(t, "1", 1));
	ck_assert_ptr_null(inf_table_find(t, "", 0));
	row_is("10", "v=\"a\"", NULL);
	row_is("2", "v=\"b\"", NULL);
	for (int rows = 8; rows <= 16; rows *= 2) {
		n = (size_t)snprintf(text, sizeof text, "k,v\n");
		for (int i = 0; i < rows; i++)
			n += (size_t)snprintf(text + n, sizeof text - n, "%d,v%d\n", i, i);
		ck_assert_ptr_nonnull(load("full.csv", text, NULL, NULL));
		ck_assert_uint_eq(inf_table_rows(t), (size_t)rows);
		row_is("7", "v=\"v7\"", NULL);
		ck_assert_ptr_null(inf_table_find(t, "missing", 7));
		ck_assert_ptr_null(inf_table_find(t, "16", 2));
	}
}
END_TEST

START_TEST(test_ndjson_errors)
{
	refused("a.ndjson", "{\"id\":1}\n", NULL, 0, "an NDJSON table needs a key column");
	/* bytes counted from 0, as in every record message */
	refused("a.ndjson", "{\"id\":1}\n{\"id\":2,}\n", "id", 2, "invalid JSON: unexpected ','");
	refused("a.ndjson", "{\"id\":1}\n{\"id\":2,}\n", "id", 2, "(byte 7 of the line)");
	refused("a.ndjson", "{\"id\":1}\n\n[1]\n", "id", 3, "not a JSON object");
	refused("a.ndjson", "{\"id\":1}\n{\"x\":1}\n", "id", 2, "no key member \"id\"");
	refused("a.ndjson", "{\"id\":null}\n", "id", 1, "the key is not a string or a number");
	refused("a.ndjson", "{\"id\":true}\n", "id", 1, "the key is not a string or a number");
	refused("a.ndjson", "{\"id\":{\"a\":1}}\n", "id", 1, "the key is not a string or a number");
	refused("a.ndjson", "{\"id\":\"\"}\n", "id", 1, "empty key");
	refused("a.ndjson", "{\"id\":1}\n{\"id\":\"1\"}\n", "id", 2, "duplicate key \"1\" (first on line 1)");
	refused("a.ndjson", "{\"id\":1,\"a\":1,\"a\":2}\n", "id", 1, "member \"a\" given twice");
	refused("a.ndjson", "{\"id\":1,\"id\":2}\n", "id", 1, "member \"id\" given twice");
	refused("a.ndjson", "{\"id\":1,\"a\\u0000\":2}\n", "id", 1, "NUL");
}
END_TEST

/* One row of `n` columns c0 .. c<n-1> (and id): a CSV header and row,
 * or an NDJSON line, with `extra` appended to the header or the line. */
static char *wide(int csv, size_t n, const char *extra)
{
	size_t cap = 32 * n + 64, len = 0;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	len += (size_t)snprintf(b + len, cap - len, csv ? "id" : "{\"id\":1");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, csv ? ",c%zu" : ",\"c%zu\":%zu", i, i);
	len += (size_t)snprintf(b + len, cap - len, "%s%s", extra, csv ? "\n1" : "}\n");
	for (size_t i = 0; csv && i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, ",v");
	snprintf(b + len, cap - len, csv ? "\n" : "");
	return b;
}

/* A name given twice is found without comparing each name with every
 * one before it: 300,000 columns took about 2 x 4.5e10 comparisons
 * (minutes), now one hash each. No clock is read: the "wide" test case's
 * 30 s timeout is the bound that turns the quadratic search into a
 * failure. */
START_TEST(test_wide_rows)
{
	enum { N = 300000 };
	const struct inf_fields *f;
	char *text;

	text = wide(1, N, "");
	ck_assert_msg(load("w.csv", text, NULL, NULL) != NULL, "%s", err);
	free(text);
	f = inf_table_find(t, "1", 1);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->count, N);
	ck_assert_str_eq(f->items[N - 1].name, "c299999");
	text = wide(1, N, ",c123456");
	refused("w.csv", text, NULL, 1, "column \"c123456\" named twice");
	free(text);

	text = wide(0, N, "");
	ck_assert_msg(load("w.ndjson", text, "id", NULL) != NULL, "%s", err);
	free(text);
	f = inf_table_find(t, "1", 1);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->count, N);
	ck_assert_str_eq(f->items[N - 1].json, "299999");
	text = wide(0, N, ",\"c12345\\u0036\":0");
	refused("w.ndjson", text, "id", 1, "member \"c123456\" given twice");
	free(text);
}
END_TEST

/* One table between identical loads: enrich loads its lookup_file in
 * init, once per worker instance of the step, and each load held its
 * own copy (four of a large table). Identical loads now share one,
 * counted: freeing one leaves the others usable, and the last frees it
 * (make asan / valgrind: no leak, no double free). */
START_TEST(test_identical_loads_share)
{
	static const char *const res[] = { "region", NULL };
	static const char *const res2[] = { "other", NULL };
	char link[PATH_MAX + 16], again[PATH_MAX + 32], e2[INF_ERR_MAX];
	struct inf_table *a, *b, *c, *k, *r, *r2, *n;
	const struct inf_fields *f;

	ck_assert_ptr_nonnull(load("s.csv", "id,city\n1,Oslo\n2,Rome\n", NULL, NULL));
	a = t;
	t = NULL;
	b = inf_table_load(file, NULL, NULL, err);
	ck_assert_ptr_eq(a, b);
	/* the same file by another name: a symlink, a path with "." */
	snprintf(link, sizeof link, "%s/link.csv", tmp);
	ck_assert_int_eq(symlink(file, link), 0);
	snprintf(again, sizeof again, "%s/./s.csv", tmp);
	ck_assert_ptr_eq(inf_table_load(link, NULL, NULL, err), a);
	c = inf_table_load(again, NULL, NULL, err);
	ck_assert_ptr_eq(c, a);
	/* another key column, other reserved names: loads of their own */
	k = inf_table_load(file, "city", NULL, err);
	r = inf_table_load(file, NULL, res, err);
	r2 = inf_table_load(file, NULL, res2, err);
	ck_assert(k && r && r2 && k != a && r != a && r2 != a && r2 != r);
	ck_assert_ptr_eq(inf_table_load(file, NULL, res, err), r);
	ck_assert_ptr_nonnull(inf_table_find(k, "Rome", 4));
	/* freeing some loads leaves the others' table whole */
	inf_table_free(a);
	inf_table_free(b);
	inf_table_free(a); /* the symlink's load */
	ck_assert_ptr_nonnull((f = inf_table_find(c, "2", 1)));
	ck_assert_str_eq(f->items[0].json, "\"Rome\"");
	ck_assert_uint_eq(inf_table_rows(c), 2);
	inf_table_free(c); /* the last: freed */
	inf_table_free(k);
	inf_table_free(r);
	inf_table_free(r);
	inf_table_free(r2);
	/* once every load is freed nothing is kept: a new load reads anew */
	ck_assert_ptr_nonnull(load("s.csv", "id,city\n1,Oslo\n2,Rome\n3,Kyiv\n", NULL, NULL));
	ck_assert_uint_eq(inf_table_rows(t), 3);
	/* a file changed while its table is held is another table */
	ck_assert_int_eq(tu_write(tmp, "s.csv", "id,city\n9,Lima\n", 15, file, sizeof file), 0);
	n = inf_table_load(file, NULL, NULL, err);
	ck_assert(n && n != t);
	ck_assert_uint_eq(inf_table_rows(n), 1);
	ck_assert_ptr_nonnull(inf_table_find(n, "9", 1));
	ck_assert_ptr_nonnull(inf_table_find(t, "3", 1));
	inf_table_free(n);
	/* the same bytes read as NDJSON under another name are not shared */
	ck_assert_int_eq(tu_write(tmp, "s.ndjson", "{\"id\":1}\n", 9, file, sizeof file), 0);
	snprintf(link, sizeof link, "%s/s.csv", tmp);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink(file, link), 0);
	n = inf_table_load(file, "id", NULL, err);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_null(inf_table_load(link, "id", NULL, e2));
	ck_assert_msg(strstr(e2, "s.csv:1: ") != NULL, "%s", e2);
	inf_table_free(n);
}
END_TEST

/* A file rewritten in place with the same size is another table: its
 * times say so. The first version's modification time is set far back,
 * as two writes within one clock tick may share one. */
START_TEST(test_same_size_rewrite_not_shared)
{
	const struct timespec long_ago[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct inf_table *a;
	const struct inf_fields *f;

	ck_assert_int_eq(tu_write(tmp, "s.csv", "id,city\n1,Oslo\n", 15, file, sizeof file), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, file, long_ago, 0), 0);
	a = inf_table_load(file, NULL, NULL, err);
	ck_assert_msg(a != NULL, "%s", err);
	ck_assert_ptr_nonnull(load("s.csv", "id,city\n1,Rome\n", NULL, NULL));
	ck_assert_ptr_ne(t, a);
	ck_assert_ptr_nonnull((f = inf_table_find(t, "1", 1)));
	ck_assert_str_eq(f->items[0].json, "\"Rome\"");
	ck_assert_ptr_nonnull((f = inf_table_find(a, "1", 1)));
	ck_assert_str_eq(f->items[0].json, "\"Oslo\"");
	inf_table_free(a);
}
END_TEST

/* A load that fails is not kept: an identical one reports the same. */
START_TEST(test_failed_load_not_shared)
{
	char e1[INF_ERR_MAX];

	ck_assert_ptr_null(load("d.csv", "id,c\n1,a\n1,b\n", NULL, NULL));
	snprintf(e1, sizeof e1, "%s", err);
	ck_assert_msg(strstr(e1, "d.csv:3: duplicate key \"1\"") != NULL, "%s", e1);
	ck_assert_ptr_null(inf_table_load(file, NULL, NULL, err));
	ck_assert_str_eq(err, e1);
}
END_TEST

struct loader_arg {
	const char *file;
	pthread_barrier_t *held; /* all loaded: each then frees its own */
	struct inf_table *t;
	char err[INF_ERR_MAX];
};

static void *load_thread(void *p)
{
	struct loader_arg *a = p;

	a->t = inf_table_load(a->file, NULL, NULL, a->err);
	pthread_barrier_wait(a->held);
	inf_table_free(a->t);
	return NULL;
}

/* Workers' instances may load and free at the same time: still one copy,
 * counted under the lock (make tsan runs this under ThreadSanitizer; a
 * lost count would leak it or free it twice under make asan). */
START_TEST(test_concurrent_loads_share)
{
	struct loader_arg args[4];
	pthread_barrier_t held;
	pthread_t th[4];

	ck_assert_int_eq(tu_write(tmp, "c.csv", "id,v\n1,a\n2,b\n", 13, file, sizeof file), 0);
	ck_assert_int_eq(pthread_barrier_init(&held, NULL, 4), 0);
	for (int i = 0; i < 4; i++) {
		args[i].file = file;
		args[i].held = &held;
		ck_assert_int_eq(pthread_create(&th[i], NULL, load_thread, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&held);
	for (int i = 0; i < 4; i++) {
		ck_assert_msg(args[i].t != NULL, "%s", args[i].err);
		ck_assert_ptr_eq(args[i].t, args[0].t);
	}
}
END_TEST

static Suite *table_suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("table"), *tw;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_csv_framing);
	tcase_add_test(tc, test_csv_errors);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_reserved);
	tcase_add_test(tc, test_ndjson);
	tcase_add_test(tc, test_ndjson_errors);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_identical_loads_share);
	tcase_add_test(tc, test_same_size_rewrite_not_shared);
	tcase_add_test(tc, test_failed_load_not_shared);
	tcase_add_test(tc, test_concurrent_loads_share);
	suite_add_tcase(s, tc);
	tw = tcase_create("wide");
	tcase_add_checked_fixture(tw, setup, teardown);
	tcase_set_timeout(tw, 30);
	tcase_add_test(tw, test_wide_rows);
	suite_add_tcase(s, tw);
	return s;
}

int main(void)
{
	return tu_run_suite(table_suite());
}
