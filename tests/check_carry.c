/*
 * Carried edits (core/commit.c inf_record_step_done, inf_record_flush;
 * core/host.c): a step's scalar replacements left pending for the next
 * step read, through every host service, exactly as if they had been
 * committed, and give the same bytes in the end. Each test runs the same
 * steps on two records, one committing between steps and one carrying,
 * and compares every answer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cond.h"
#include "host.h"
#include "path.h"
#include "record.h"
#include "testutil.h"

static struct inf_record a, b; /* a carries, b commits */
static const struct inf_host *h;

static void setup(void)
{
	inf_record_init(&a, 32);
	inf_record_init(&b, 32);
	h = inf_host_table();
}

static void teardown(void)
{
	inf_record_free(&a);
	inf_record_free(&b);
}

static void load_both(const char *js, size_t len)
{
	struct inf_json_err e;

	ck_assert_msg(inf_record_load(&a, js, len, &e) == 0, "%.*s: %s", (int)len, js, e.msg);
	ck_assert_int_eq(inf_record_load(&b, js, len, &e), 0);
}

/* Ends a step: a carries what it can, b commits. */
static void step_done(void)
{
	struct inf_json_err e;

	ck_assert_int_eq(inf_record_step_done(&a, &e), 0);
	ck_assert_int_eq(inf_record_commit(&b, &e), 0);
}

/* The two records emit the same bytes. */
static void same_output(const char *what)
{
	struct inf_buf oa = { 0 }, ob = { 0 };

	ck_assert_int_eq(inf_record_emit(&a, &oa), 0);
	ck_assert_int_eq(inf_record_emit(&b, &ob), 0);
	ck_assert_msg(oa.len == ob.len && !memcmp(oa.data, ob.data, oa.len),
		      "%s:\ncarried: %.*s\ncommitted: %.*s", what, (int)oa.len, oa.data,
		      (int)ob.len, ob.data);
	inf_buf_free(&oa);
	inf_buf_free(&ob);
}

/* a's tokens are a fresh parse of its bytes (after a flush, or with
 * nothing carried). */
static void tokens_fresh(void)
{
	struct inf_tokens fresh = { 0 };
	struct inf_json_err e;

	ck_assert_int_eq(inf_json_parse(&fresh, a.js, a.len, 32, &e), 0);
	ck_assert_int_eq(fresh.n, a.toks.n);
	ck_assert(!memcmp(fresh.tok, a.toks.tok, (size_t)fresh.n * sizeof *fresh.tok));
	inf_tokens_free(&fresh);
}

static void text_is(const char *s, size_t n, const char *want)
{
	ck_assert_msg(s && n == strlen(want) && !memcmp(s, want, n), "%.*s, want %s",
		      (int)n, s ? s : "", want);
}

static int replace_at(struct inf_record *r, const char *path, const char *json)
{
	const char *p[] = { path };
	struct inf_paths *ps = NULL;
	char e[256];
	int node, rc;

	ck_assert_int_eq(inf_paths_compile(p, 1, &ps, e, sizeof e), 0);
	node = inf_find(r, ps);
	inf_paths_free(ps);
	ck_assert_int_ge(node, 0);
	rc = h->replace_json(r, node, json, strlen(json));
	ck_assert_int_eq(rc, 0);
	return node;
}

/* Loads `js` into both records and ends a step that replaced the value
 * at `path` by `json` (both carry or commit it): its node. */
static int masked(const char *js, const char *path, const char *json)
{
	int node;

	load_both(js, strlen(js));
	replace_at(&a, path, json);
	node = replace_at(&b, path, json);
	step_done();
	return node;
}

/* The bench's case: a mask, then inserts without overwrite, which see the
 * record without applying the carried edits; the emit applies both. */
START_TEST(test_insert_after_carried)
{
	static const char js[] = "{\"id\":1,\"cust\":932,\"x\":{\"y\":\"z\"}}";
	int node = masked(js, "cust", "\"p:abc\"");

	ck_assert_uint_eq(a.carried, 1);
	ck_assert_int_eq(h->type(&a, 0), INF_OBJECT);
	ck_assert_int_eq(h->set_json(&a, 0, "tag", 3, "\"t\"", 3, 0), 0);
	ck_assert_int_eq(h->set_json(&a, 0, "cust", 4, "0", 1, 0), 0); /* exists: kept */
	ck_assert_int_eq(h->set_json(&b, 0, "tag", 3, "\"t\"", 3, 0), 0);
	ck_assert_int_eq(h->set_json(&b, 0, "cust", 4, "0", 1, 0), 0);
	ck_assert_uint_eq(a.carried, 1); /* nothing read the replaced value */
	same_output("inserts after a carried replacement");
	/* then a read of the replaced node applies it, the insert pending */
	ck_assert_int_eq(h->type(&a, node), INF_STRING);
	ck_assert_uint_eq(a.carried, 0);
	ck_assert_uint_eq(a.nedits, 1);
	tokens_fresh();
	same_output("the insert left pending by the flush");
	/* the flush moved the insert down the edits: found there again */
	ck_assert_int_eq(h->set_json(&a, 0, "tag", 3, "\"u\"", 3, 1), 0);
	ck_assert_int_eq(h->set_json(&b, 0, "tag", 3, "\"u\"", 3, 1), 0);
	ck_assert_uint_eq(a.nedits, 1);
	same_output("an insert overwritten after the flush");
}
END_TEST

/* What reads a carried value or edits applies the carried edits first,
 * on the tokens in place: a node found before still names the same node. */
START_TEST(test_reads_flush)
{
	static const char js[] = "{\"a\":\"x\",\"b\":[1,2],\"c\":true}";
	size_t n;
	const char *s;
	double d;
	int node = masked(js, "a", "12.5");

	ck_assert_uint_eq(a.carried, 1);
	s = h->raw(&a, 0, &n);
	ck_assert_uint_eq(a.carried, 0);
	text_is(s, n, "{\"a\":12.5,\"b\":[1,2],\"c\":true}");
	ck_assert_int_eq(h->type(&a, node), INF_NUMBER);
	ck_assert_int_eq(h->number(&a, node, &d), 0);
	ck_assert(d == 12.5);
	tokens_fresh();
	/* overwrite and removal of the carried node itself */
	masked(js, "a", "\"first\"");
	ck_assert_int_eq(h->set_json(&a, 0, "a", 1, "\"second\"", 8, 1), 0);
	ck_assert_int_eq(h->set_json(&b, 0, "a", 1, "\"second\"", 8, 1), 0);
	same_output("overwrite of a carried member");
	node = masked(js, "c", "null");
	ck_assert_int_eq(h->remove(&a, node), 0);
	ck_assert_int_eq(h->remove(&b, node), 0);
	same_output("removal of a carried node");
}
END_TEST

/* Edits that are not all scalar replacements are committed as before. */
START_TEST(test_other_edits_commit)
{
	static const char js[] = "{\"a\":1,\"b\":{\"c\":2}}";
	const char *p[] = { "b" };
	struct inf_paths *ps = NULL;
	char e[256];

	load_both(js, sizeof js - 1);
	replace_at(&a, "a", "[1]"); /* a container */
	step_done();
	ck_assert_uint_eq(a.carried, 0);
	ck_assert_uint_eq(a.nedits, 0);
	load_both(js, sizeof js - 1);
	ck_assert_int_eq(inf_paths_compile(p, 1, &ps, e, sizeof e), 0);
	replace_at(&a, "a", "2");
	ck_assert_int_eq(h->remove(&a, inf_find(&a, ps)), 0);
	inf_paths_free(ps);
	step_done();
	ck_assert_uint_eq(a.carried, 0);
	text_is(a.js, a.len, "{\"a\":2}");
}
END_TEST

/* ---- random steps on both records ---- */

static unsigned long seed;

static unsigned rnd(unsigned n)
{
	return tu_rnd(&seed, n);
}

static const char *const scalars[] = {
	"1", "\"\"", "\"a longer string than most\"", "true", "null", " 7 ", "\"e\\u00e9\"",
	"-0.5e-3", "false", "\"x\"",
};
static const char *const values[] = { "2", "\"v\"", "[1,{\"k\":null}]", "{}", "false" };
static const char *const keys[] = { "a", "b", "new", "m0", "" };

static void random_doc(struct inf_buf *d, unsigned depth)
{
	unsigned kind = depth > 3 ? 2 : rnd(3);

	if (kind == 2) {
		ck_assert_int_eq(inf_buf_puts(d, scalars[rnd(sizeof scalars / sizeof *scalars)]), 0);
		return;
	}
	ck_assert_int_eq(inf_buf_putc(d, kind ? '{' : '['), 0);
	for (unsigned i = 0, n = rnd(5); i < n; i++) {
		if (i)
			ck_assert_int_eq(inf_buf_puts(d, rnd(2) ? "," : " , "), 0);
		if (kind)
			ck_assert_int_eq(inf_buf_printf(d, "\"%s\":", keys[rnd(4)]), 0);
		random_doc(d, depth + 1);
	}
	ck_assert_int_eq(inf_buf_putc(d, kind ? '}' : ']'), 0);
}

/* A step of scalar replacements (now and then a removal among them, so
 * that nothing is carried). */
static void masking_step(void)
{
	for (unsigned k = 1 + rnd(3); k > 0; k--) {
		int node = (int)rnd((unsigned)b.toks.n);
		const jsmntok_t *t = &b.toks.tok[node];
		const char *v = scalars[rnd(sizeof scalars / sizeof *scalars)];

		if (rnd(12) == 0) {
			ck_assert_int_eq(h->remove(&a, node), h->remove(&b, node));
			continue;
		}
		if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY)
			continue;
		ck_assert_int_eq(h->replace_json(&a, node, v, strlen(v)),
				 h->replace_json(&b, node, v, strlen(v)));
	}
}

static struct inf_paths *walk_paths[3];
static struct inf_cond *conds[3];

static struct inf_cond *compile(const char *text)
{
	struct inf_cond *c = NULL;
	config_t cfg;
	char err[256];

	config_init(&cfg);
	ck_assert(config_read_string(&cfg, text));
	ck_assert_int_eq(inf_cond_compile(config_lookup(&cfg, "c"), "when", &c, err, sizeof err), 0);
	config_destroy(&cfg);
	return c;
}

static int collect(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	struct inf_buf *seen = ctx;

	(void)r;
	ck_assert_int_eq(inf_buf_printf(seen, "%d:%d:%d ", node, key, (int)m), 0);
	return INF_WALK_DESCEND;
}

/* The nodes a walk visits, what find finds, what a condition or a root
 * check says, on both records (one of them: the first flushes what the
 * others would). */
static void same_walks(void)
{
	struct inf_buf sa = { 0 }, sb = { 0 };
	struct inf_paths *ps = walk_paths[rnd(3)];

	char ea[INF_ERR_MAX] = "", eb[INF_ERR_MAX] = "";
	const struct inf_cond *c = conds[rnd(3)];

	switch (rnd(6)) {
	case 0:
		ck_assert_int_eq(h->find(&a, ps), h->find(&b, ps));
		break;
	case 3:
		ck_assert_int_eq(h->cond_match(&a, c), h->cond_match(&b, c));
		break;
	case 4:
		ck_assert_int_eq(h->cond_check_root(&a, c, ea), h->cond_check_root(&b, c, eb));
		ck_assert_str_eq(ea, eb);
		break;
	case 5:
		ck_assert_int_eq(h->paths_check_root(&a, ps, ea), h->paths_check_root(&b, ps, eb));
		ck_assert_str_eq(ea, eb);
		break;
	case 1:
		ck_assert_int_eq(h->walk(&a, ps, collect, &sa), h->walk(&b, ps, collect, &sb));
		break;
	default:
		ck_assert_int_eq(h->walk_matches(&a, ps, collect, &sa),
				 h->walk_matches(&b, ps, collect, &sb));
	}
	ck_assert_msg(sa.len == sb.len && (!sa.len || !memcmp(sa.data, sb.data, sa.len)),
		      "walks: %s, committed %s", tu_cstr(&sa), tu_cstr(&sb));
	inf_buf_free(&sa);
	inf_buf_free(&sb);
}

/* One host call, the same on both records, with the same answer. */
static void random_call(int d)
{
	int node = (int)rnd((unsigned)b.toks.n + 1) - (rnd(20) == 0);
	const char *k = keys[rnd(sizeof keys / sizeof *keys)];
	const char *v = values[rnd(sizeof values / sizeof *values)];
	const char *sa, *sb;
	size_t na = 0, nb = 0;
	double da = 0, db = 0;
	int ow = (int)rnd(3) == 0;

	switch (rnd(10)) {
	case 0:
		ck_assert_int_eq(h->type(&a, node), h->type(&b, node));
		break;
	case 9:
		same_walks();
		break;
	case 1:
		sa = h->raw(&a, node, &na);
		sb = h->raw(&b, node, &nb);
		ck_assert_msg(!sa == !sb && na == nb && (!sa || !memcmp(sa, sb, na)),
			      "doc %d: raw of node %d: %.*s, committed %.*s", d, node,
			      (int)na, sa ? sa : "", (int)nb, sb ? sb : "");
		break;
	case 2:
		sa = h->string(&a, node, &na);
		sb = h->string(&b, node, &nb);
		ck_assert(!sa == !sb && na == nb && (!sa || !memcmp(sa, sb, na)));
		break;
	case 3:
		ck_assert_int_eq(h->number(&a, node, &da), h->number(&b, node, &db));
		ck_assert(da == db);
		break;
	case 4:
	case 5: /* the set the bench's enrich makes: often, and on the root */
		if (rnd(2))
			node = 0;
		ck_assert_int_eq(h->set_json(&a, node, k, strlen(k), v, strlen(v), ow),
				 h->set_json(&b, node, k, strlen(k), v, strlen(v), ow));
		break;
	case 6:
		ck_assert_int_eq(h->set_string(&a, node, k, strlen(k), v, strlen(v), ow),
				 h->set_string(&b, node, k, strlen(k), v, strlen(v), ow));
		break;
	case 7:
		ck_assert_int_eq(h->remove(&a, node), h->remove(&b, node));
		break;
	default:
		ck_assert_int_eq(h->replace_string(&a, node, k, strlen(k)),
				 h->replace_string(&b, node, k, strlen(k)));
	}
}

/* Masking steps, then steps of random calls, on random records: every
 * answer and the final bytes agree, whether a flush came or not, and a
 * flushed record's tokens are a fresh parse's. */
START_TEST(test_random_steps)
{
	static const char *const wp[] = { "m0", "*", "**.z" };
	struct inf_buf doc = { 0 };
	unsigned docs = tu_valgrind() ? 300 : 4000, flushed = 0, kept = 0;
	char e[256];

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(inf_paths_compile(wp + i, 1, &walk_paths[i], e, sizeof e), 0);
	conds[0] = compile("c = { path = \"m0\"; op = \"eq\"; value = 1; };");
	conds[1] = compile("c = { path = \"m0\"; op = \"eq\"; value = \"x\"; };");
	conds[2] = compile("c = { path = \"**.z\"; op = \"exists\"; };");
	seed = 5;
	for (unsigned d = 0; d < docs; d++) {
		inf_buf_reset(&doc);
		ck_assert_int_eq(inf_buf_puts(&doc, "{\"m0\":"), 0);
		random_doc(&doc, 1);
		ck_assert_int_eq(inf_buf_puts(&doc, ",\"m1\":[1,{\"z\":\"y\"}]}"), 0);
		load_both(doc.data, doc.len);
		for (int step = 0; step < 3; step++) {
			if (step == 0 || rnd(2))
				masking_step();
			else
				for (unsigned c = rnd(4); c > 0; c--)
					random_call((int)d);
			if (step < 2)
				step_done();
			if (a.carried)
				kept++;
			else if (a.nedits == 0)
				tokens_fresh();
		}
		flushed += a.carried == 0;
		same_output(doc.data);
	}
	/* both ways were taken */
	ck_assert_uint_gt(kept, docs / 4);
	ck_assert_uint_gt(flushed, docs / 4);
	inf_buf_free(&doc);
	for (int i = 0; i < 3; i++) {
		inf_paths_free(walk_paths[i]);
		inf_cond_free(conds[i]);
	}
}
END_TEST

static Suite *carry_suite(void)
{
	Suite *s = suite_create("carry");
	TCase *tc = tcase_create("carry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_insert_after_carried);
	tcase_add_test(tc, test_reads_flush);
	tcase_add_test(tc, test_other_edits_commit);
	tcase_add_test(tc, test_random_steps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(carry_suite());
}
