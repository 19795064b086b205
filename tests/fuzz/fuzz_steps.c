/*
 * Fuzz target: multi-step chains whose modifying steps feed each other,
 * so that every record is committed (core/commit.c: its bytes rewritten,
 * its tokens relocated) between steps; fuzz builds abort when the
 * relocated tokens differ from a fresh parse (INF_VERIFY_COMMIT).
 *
 * Input: byte 0 picks the access point of fuzz_steps.cfg (the chain, and
 * on_error fail or drop_record), byte 1 the size of the chunks the object
 * is also written in (1..64); the rest is NDJSON.
 *
 * Each record line is also run alone, and a reference interpreter of the
 * chain (the table `chains`, mirroring fuzz_steps.cfg, and refmask.h)
 * predicts what becomes of it, member by member of the root object:
 *  - a line that is not JSON within max_depth fails; a scalar record
 *    fails under a chain that runs keep_fields on every record, else
 *    passes byte for byte; an object record is dropped exactly when the
 *    filter says, fails when an op cannot take a value's type, and may
 *    fail only where round or truncate_date may refuse a value; when it
 *    passes, its root members are exactly the predicted ones in order:
 *    drops and keep_fields applied, enrich's members added or replaced
 *    (a lookup table's row or its default: lookup_rows),
 *    hash and hmac the exact hex digest (OpenSSL, from the README's
 *    definition), partial, redact, null and truncate_date exact, round
 *    of the right shape, every other value as it came (less `password`
 *    at any depth);
 *  - every output record is JSON by fuzzutil.h's reader and holds no
 *    `password` at any depth (when a drop names it), no member a drop
 *    names at its root, and under keep_fields only the kept members and
 *    what enrich adds after;
 *  - failing alone under on_error fail writes nothing and names record 1,
 *    line 1.
 * Then the whole object: under drop_record it succeeds with the lines'
 * outputs back to back and the counters summed; under fail it succeeds
 * exactly when every line does (with the same output) and otherwise
 * writes nothing and names the first failing record and line. Writing it
 * in chunks, and sequentially instead of on 2 workers, gives the same; a
 * chain the core runs fused (core/fuse.c) gives the same with the fused
 * pass taken away, on its steps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "fuzzutil.h"
#include "fzrun.h"
#include "policy.h"
#include "refmask.h"

#define KEY "fuzz-steps-key" /* INFLIGHT_FUZZ_STEPS_KEY */
#define MAX_DEPTH 16u

enum skind { S_END, S_DROP, S_KEEP, S_ENRICH, S_MASK, S_FILTER, S_LOOKUP };
enum mop { M_REDACT, M_PARTIAL, M_HASH, M_HMAC, M_NULL, M_ROUND, M_DATE };

/* One step as the reference sees it: member names of the root (ENRICH:
 * name and JSON value pairs), the mask op and its options. A FILTER drops
 * the records whose `kind` is "drop" (the cfg says it as keep ne or drop
 * eq); `when_vip`: the step runs only where `kind` is "vip". */
struct sstep {
	int kind, op;
	const char *keys[8];
	const char *text; /* redact: with; hash, hmac: prefix */
	const char *salt;
	size_t kf, kl;
	char ch;
	int overwrite, when_vip;
};

struct schain {
	const char *name;
	struct sstep s[8];
};

static const struct schain chains[] = {
	{ "mix",
	  { { S_MASK, M_HMAC, { "h" }, "p:", NULL, 0, 0, 0, 0, 0 },
	    { S_ENRICH, 0, { "tag", "\"t\"", "n", "1" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "price", "discount", "password" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_REDACT, { "r" }, "[x]", NULL, 0, 0, 0, 0, 0 } } },
	{ "keep-enrich",
	  { { S_DROP, 0, { "password" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_KEEP, 0, { "id", "kind", "h", "r", "tag", "s" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_ENRICH, 0, { "tag", "\"t\"", "extra", "2" }, NULL, NULL, 0, 0, 0, 1, 0 },
	    { S_MASK, M_HASH, { "h" }, "", "s:", 0, 0, 0, 0, 0 },
	    { S_FILTER, 0, { NULL }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_REDACT, { "r" }, "****", NULL, 0, 0, 0, 0, 0 } } },
	{ "enrich-keep",
	  { { S_ENRICH, 0, { "tag", "\"t\"", "extra", "2" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_KEEP, 0, { "id", "kind", "tag", "p", "z", "password" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_PARTIAL, { "p" }, NULL, NULL, 0, 2, '*', 0, 0 },
	    { S_MASK, M_NULL, { "z" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "password" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	{ "when",
	  { { S_FILTER, 0, { NULL }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_DATE, { "d" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_ROUND, { "x" }, NULL, NULL, 0, 0, 0, 0, 1 },
	    { S_ENRICH, 0, { "x", "5" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "price", "discount", "password" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	{ "same-key",
	  { { S_MASK, M_PARTIAL, { "s" }, NULL, NULL, 1, 3, '#', 0, 0 },
	    { S_MASK, M_HMAC, { "s" }, "k:", NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_HASH, { "s" }, "h:", NULL, 0, 0, 0, 0, 0 },
	    { S_ENRICH, 0, { "added", "\"a\"" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_REDACT, { "added" }, "[x]", NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "h", "password" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	/* its first step the core makes as it reads (inf_record_load_dropping) */
	{ "lead-drop",
	  { { S_DROP, 0, { "price", "discount" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_HMAC, { "h" }, "p:", NULL, 0, 0, 0, 0, 0 },
	    { S_ENRICH, 0, { "tag", "\"t\"" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "password" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	/* the whole chain the core runs as it reads (core/fuse.c) */
	{ "fused",
	  { { S_DROP, 0, { "price", "discount" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_HMAC, { "h" }, "p:", NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_PARTIAL, { "s" }, NULL, NULL, 1, 3, '#', 0, 0 },
	    { S_MASK, M_DATE, { "d" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_ENRICH, 0, { "tag", "\"t\"", "r", "2" }, NULL, NULL, 0, 0, 0, 1, 0 },
	    { S_MASK, M_NULL, { "z" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	/* the same, with a filter on a member the allowlist then removes */
	{ "fused-keep",
	  { { S_MASK, M_HMAC, { "h" }, "p:", NULL, 0, 0, 0, 0, 0 },
	    { S_FILTER, 0, { NULL }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_KEEP, 0, { "id", "h", "s", "z", "tag" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_PARTIAL, { "s" }, NULL, NULL, 1, 3, '#', 0, 0 },
	    { S_ENRICH, 0, { "tag", "\"t\"" }, NULL, NULL, 0, 0, 0, 1, 0 },
	    { S_MASK, M_NULL, { "z" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	/* and with removals after a set */
	{ "fused-late",
	  { { S_ENRICH, 0, { "tag", "\"t\"" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "price", "discount" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_HMAC, { "h" }, "p:", NULL, 0, 0, 0, 0, 0 },
	    { S_FILTER, 0, { NULL }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "z" }, NULL, NULL, 0, 0, 0, 0, 0 } } },
	/* a lookup table's row (lookup_rows), then removals and a map */
	{ "fused-lookup",
	  { { S_LOOKUP, 0, { NULL }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_DROP, 0, { "price", "discount" }, NULL, NULL, 0, 0, 0, 0, 0 },
	    { S_MASK, M_HMAC, { "h" }, "p:", NULL, 0, 0, 0, 0, 0 } } },
};

/* S_LOOKUP: fuzz_steps.csv as the reference holds it, looked up by the
 * root's first `id` (a string by its text, a number or boolean by its JSON
 * text); each row's members as JSON; without a row, region "none". */
static const struct {
	const char *key, *region, *tier;
} lookup_rows[] = {
	{ "1", "\"north\"", "\"2\"" },      { "true", "\"bool\"", "\"b\"" },
	{ "q\"uote", "\"quoted\"", "\"a,b\"" }, { "2.5", "\"frac\"", "\"x\\ny\"" },
	{ "h", "\"aitch\"", "\"e\"" },
};

#define NCHAINS (sizeof chains / sizeof chains[0])

static struct inf_policy *pol;
static const struct inf_access_point *aps[NCHAINS][2]; /* [chain][drop] */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct inf_policy_errors errs = { 0 };
	char path[4096], name[64];

	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "%s/fuzz_steps.cfg", fz_src_dir());
	setenv("INFLIGHT_FUZZ_STEPS_KEY", KEY, 1);
	setenv("INFLIGHT_THREADS", "2", 0);
	fz_pin_plugins();
	if (inf_policy_load(path, fz_plugin_dir(), &pol, &errs)) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		fz_fail("cannot load %s with plugins from %s", path, fz_plugin_dir());
	}
	for (size_t c = 0; c < NCHAINS; c++)
		for (int d = 0; d < 2; d++) {
			snprintf(name, sizeof name, "%s-%s", chains[c].name, d ? "drop" : "fail");
			if (!(aps[c][d] = inf_policy_find(pol, name)))
				fz_fail("%s has no access point %s", path, name);
			if (!aps[c][d]->drop_top.match != (!!strcmp(chains[c].name, "lead-drop") &&
							   !!strcmp(chains[c].name, "fused")))
				fz_fail("%s: %s is%s fused", path, name,
					aps[c][d]->drop_top.match ? "" : " not");
			if (!aps[c][d]->fused != !!strncmp(chains[c].name, "fused", 5))
				fz_fail("%s: %s does%s run fused", path, name,
					aps[c][d]->fused ? "" : " not");
		}
	return 0;
}

/* ---- values and records as the reference holds them ---- */

#define MV_ROUNDED 100 /* round's result: the input number's text in b */

struct mv {
	int t; /* enum fz_type, or MV_ROUNDED */
	struct fz_buf b; /* string: decoded; number, literal: text; container:
			    canonical, `password` members left out */
};

struct mem {
	struct fz_buf key; /* decoded */
	struct mv v;
};

struct model {
	struct mem *m;
	size_t n, cap;
	int dropped, fails, mayfail;
};

static int name_is(const char *p, size_t len, const char *s)
{
	return len == strlen(s) && !memcmp(p, s, len);
}

static int key_is(const struct fz_buf *k, const char *s)
{
	return name_is(k->p, k->len, s);
}

static int name_in(const char *p, size_t len, const char *const *set)
{
	for (; *set; set++)
		if (name_is(p, len, *set))
			return 1;
	return 0;
}

static int key_in(const struct fz_buf *k, const char *const *set)
{
	return name_in(k->p, k->len, set);
}

/* The value of node `nd` of a tree over [s, s+n). */
static void mv_read(const char *s, size_t n, const struct fz_node *nd, struct mv *v)
{
	struct fz_json j;

	v->t = nd->type;
	v->b.len = 0;
	fz_put(&v->b, "", 0);
	fz_json_init(&j, s, n, 10000);
	switch (nd->type) {
	case FZ_STRING:
		j.i = nd->off;
		if (fz_string(&j, &v->b))
			fz_fail("a string of a valid record does not read");
		break;
	case FZ_OBJECT:
	case FZ_ARRAY:
		/* below the root only `password` is dropped: level 1 */
		fz_json_init(&j, s + nd->off, nd->end - nd->off, 10000);
		j.out = &v->b;
		j.drop = 1;
		if (fz_value(&j, 1, -1, 0, 0, 0, 0))
			fz_fail("a container of a valid record does not read");
		break;
	default:
		fz_put(&v->b, s + nd->off, nd->end - nd->off);
		break;
	}
	fz_json_free(&j);
}

static void model_free(struct model *md)
{
	for (size_t i = 0; i < md->n; i++) {
		fz_buf_free(&md->m[i].key);
		fz_buf_free(&md->m[i].v.b);
	}
	free(md->m);
	memset(md, 0, sizeof *md);
}

static struct mem *model_add(struct model *md)
{
	if (md->n == md->cap) {
		size_t cap = md->cap ? md->cap * 2 : 16;
		struct mem *p = realloc(md->m, cap * sizeof *p);
		if (!p)
			fz_fail("out of memory");
		md->m = p;
		md->cap = cap;
	}
	memset(&md->m[md->n], 0, sizeof md->m[md->n]);
	return &md->m[md->n++];
}

/* The root members of the object record [s, s+n), its tree built. */
static void model_load(struct model *md, const char *s, size_t n, const struct fz_tree *t)
{
	memset(md, 0, sizeof *md);
	for (size_t i = 1; i < t->count; i++) {
		const struct fz_node *nd = &t->n[i];
		struct mem *m;
		if (nd->parent != 0)
			continue;
		m = model_add(md);
		fz_put(&m->key, t->keys.p + nd->kdec, nd->klen);
		mv_read(s, n, nd, &m->v);
	}
}

static void model_remove_if(struct model *md, const char *const *set, int in)
{
	size_t k = 0;

	for (size_t i = 0; i < md->n; i++) {
		if (key_in(&md->m[i].key, set) == in) {
			fz_buf_free(&md->m[i].key);
			fz_buf_free(&md->m[i].v.b);
		} else {
			md->m[k++] = md->m[i];
		}
	}
	md->n = k;
}

/* Whether a root `kind` member is the string `what` (a condition on a
 * path reaching several values holds when any value does). */
static int kind_is(const struct model *md, const char *what)
{
	for (size_t i = 0; i < md->n; i++)
		if (key_is(&md->m[i].key, "kind") && md->m[i].v.t == FZ_STRING &&
		    key_is(&md->m[i].v.b, what))
			return 1;
	return 0;
}

/* Whether the record holds "kind", which the filters and `when` read,
 * more than once: they refuse it (core/dupkeys.h). */
static int kind_twice(const struct model *md)
{
	int n = 0;

	for (size_t i = 0; i < md->n; i++)
		n += key_is(&md->m[i].key, "kind");
	return n > 1;
}

static void set_json(struct mv *v, const char *json)
{
	struct fz_tree t;

	if (fz_build_tree(json, strlen(json), MAX_DEPTH, &t))
		fz_fail("bad enrich value %s in the table", json);
	mv_read(json, strlen(json), &t.n[0], v);
	fz_tree_free(&t);
}

/* Applies mask op `st` to v. Returns 0, 1 when the plugin may refuse the
 * value (the prediction assumes it did not), -1 when it must. */
static int mask(const struct sstep *st, struct mv *v)
{
	struct fz_buf r = { 0 };
	const char *text = v->b.p;
	size_t n = v->b.len;

	if (st->op == M_REDACT || st->op == M_NULL) {
		v->b.len = 0;
		fz_put(&v->b, st->op == M_NULL ? "null" : st->text,
		       strlen(st->op == M_NULL ? "null" : st->text));
		v->t = st->op == M_NULL ? FZ_NULL : FZ_STRING;
		return 0;
	}
	if (v->t == FZ_NULL)
		return 0;
	if (v->t == FZ_OBJECT || v->t == FZ_ARRAY)
		return -1;
	switch (st->op) {
	case M_PARTIAL:
		if (v->t != FZ_STRING && v->t != FZ_NUMBER)
			return -1;
		rm_partial(text, n, st->kf, st->kl, st->ch, &r);
		break;
	case M_HASH:
	case M_HMAC:
		rm_digest(st->text, st->op == M_HMAC ? KEY : NULL, st->salt, text, n, &r);
		break;
	case M_ROUND:
		if (v->t != FZ_NUMBER)
			return -1;
		v->t = MV_ROUNDED;
		return 1;
	case M_DATE:
		if (v->t != FZ_STRING)
			return -1;
		rm_truncate_day(v->b.p, n);
		return 1;
	default:
		fz_fail("unknown op");
	}
	fz_buf_free(&v->b);
	v->b = r;
	v->t = FZ_STRING;
	return 0;
}

/* Adds member `name` with the JSON value `json` unless the record has it
 * (enrich without overwrite). */
static void model_add_absent(struct model *md, const char *name, const char *json)
{
	struct mem *m;

	for (size_t i = 0; i < md->n; i++)
		if (key_is(&md->m[i].key, name))
			return;
	m = model_add(md);
	fz_put(&m->key, name, strlen(name));
	set_json(&m->v, json);
}

/* S_LOOKUP over the model (lookup_rows). */
static void model_lookup(struct model *md)
{
	const struct mv *id = NULL;
	size_t row = sizeof lookup_rows / sizeof *lookup_rows;

	for (size_t i = 0; i < md->n && !id; i++)
		if (key_is(&md->m[i].key, "id"))
			id = &md->m[i].v;
	if (id && (id->t == FZ_STRING || id->t == FZ_NUMBER || id->t == FZ_TRUE ||
		   id->t == FZ_FALSE))
		for (row = 0; row < sizeof lookup_rows / sizeof *lookup_rows; row++)
			if (key_is(&id->b, lookup_rows[row].key))
				break;
	if (row == sizeof lookup_rows / sizeof *lookup_rows) {
		model_add_absent(md, "region", "\"none\"");
		return;
	}
	model_add_absent(md, "region", lookup_rows[row].region);
	model_add_absent(md, "tier", lookup_rows[row].tier);
}

/* Whether the chain runs keep_fields on every record (no `when`): a
 * record that is a string, number, boolean or null is then refused; the
 * other steps pass one as it is. */
static int keeps_all(const struct schain *c)
{
	for (const struct sstep *st = c->s; st->kind != S_END; st++)
		if (st->kind == S_KEEP && !st->when_vip)
			return 1;
	return 0;
}

/* Runs the chain over the model of an object record. */
static void model_run(const struct schain *c, struct model *md)
{
	for (const struct sstep *st = c->s; st->kind != S_END; st++) {
		if ((st->when_vip || st->kind == S_FILTER) && kind_twice(md)) {
			md->fails = 1;
			return;
		}
		if (st->when_vip && !kind_is(md, "vip"))
			continue;
		switch (st->kind) {
		case S_DROP: model_remove_if(md, st->keys, 1); break;
		case S_KEEP: model_remove_if(md, st->keys, 0); break;
		case S_FILTER:
			if (kind_is(md, "drop")) {
				md->dropped = 1;
				return;
			}
			break;
		case S_LOOKUP:
			model_lookup(md);
			break;
		case S_ENRICH:
			for (const char *const *p = st->keys; *p; p += 2) {
				int found = 0;
				for (size_t i = 0; i < md->n; i++)
					if (key_is(&md->m[i].key, p[0])) {
						found = 1;
						if (st->overwrite)
							set_json(&md->m[i].v, p[1]);
					}
				if (!found) {
					struct mem *m = model_add(md);
					fz_put(&m->key, p[0], strlen(p[0]));
					set_json(&m->v, p[1]);
				}
			}
			break;
		case S_MASK:
			for (size_t i = 0; i < md->n; i++) {
				int rc;
				if (!key_in(&md->m[i].key, st->keys))
					continue;
				if ((rc = mask(st, &md->m[i].v)) < 0) {
					md->fails = 1;
					return;
				}
				md->mayfail |= rc;
			}
			break;
		default:
			break;
		}
	}
}

/* ---- checks of output records ---- */

static void show(const char *what, const char *s, size_t n, const char *why)
{
	fz_fail("%s: %s: record [%.*s]", what, why, (int)n, s);
}

/* Whether a drop of chain c names `password` (at any depth: the cfg says
 * "**.password"). */
static int drops_password(const struct schain *c)
{
	static const char *const pw[] = { "password", NULL };

	for (const struct sstep *st = c->s; st->kind != S_END; st++)
		for (const char *const *k = st->keys; st->kind == S_DROP && *k; k++)
			if (name_in(*k, strlen(*k), pw))
				return 1;
	return 0;
}

/* What holds of any output record: JSON, no `password` anywhere (when a
 * drop names it), no member a drop names at its root, only kept members
 * under keep_fields (and what enrich adds after). Builds *t. */
static void check_out_generic(const char *what, const struct schain *c, const char *s, size_t n,
			      struct fz_tree *t)
{
	const int no_password = drops_password(c);

	if (fz_build_tree(s, n, MAX_DEPTH, t))
		show(what, s, n, "an output record is not JSON within max_depth");
	for (size_t i = 1; i < t->count; i++) {
		const struct fz_node *nd = &t->n[i];
		const char *k = t->keys.p + nd->kdec;
		const struct sstep *keep = NULL;
		if (!nd->is_member)
			continue;
		if (no_password && name_is(k, nd->klen, "password"))
			show(what, s, n, "a password member is left");
		for (const struct sstep *st = c->s; nd->parent == 0 && st->kind != S_END; st++) {
			if (st->kind == S_DROP && name_in(k, nd->klen, st->keys))
				show(what, s, n, "a member a drop names is left at the root");
			if (st->kind == S_KEEP)
				keep = name_in(k, nd->klen, st->keys) ? NULL : st;
			if (keep && st->kind == S_ENRICH && t->n[0].type == FZ_OBJECT)
				for (const char *const *p = st->keys; *p; p += 2)
					if (name_is(k, nd->klen, p[0]))
						keep = NULL;
		}
		if (keep)
			show(what, s, n, "keep_fields left a member it does not keep");
	}
}

/* The output record [s, s+n) against the model: the same root members in
 * the same order with the predicted values. */
static void check_out_model(const char *what, const struct model *md, const char *s, size_t n,
			    const struct fz_tree *t)
{
	struct mv got = { 0 };
	size_t k = 0;

	if (t->n[0].type != FZ_OBJECT)
		show(what, s, n, "an object record came out as another type");
	for (size_t i = 1; i < t->count; i++) {
		const struct fz_node *nd = &t->n[i];
		const struct mem *want;
		int same;
		if (nd->parent != 0)
			continue;
		if (k >= md->n)
			show(what, s, n, "more root members than predicted");
		want = &md->m[k++];
		if (nd->klen != want->key.len || memcmp(t->keys.p + nd->kdec, want->key.p, nd->klen))
			fz_fail("%s: root member %zu is [%.*s], predicted [%s]: record [%.*s]", what,
				k, (int)nd->klen, t->keys.p + nd->kdec, want->key.p, (int)n, s);
		mv_read(s, n, nd, &got);
		if (want->v.t == MV_ROUNDED)
			same = got.t == FZ_NUMBER &&
			       rm_rounded_1(want->v.b.p, want->v.b.len, got.b.p, got.b.len);
		else
			same = got.t == want->v.t && fz_buf_eq(&got.b, &want->v.b);
		if (!same)
			fz_fail("%s: member \"%s\" is [%.*s], predicted type %d [%s]: record [%.*s]",
				what, want->key.p, (int)(nd->end - nd->off), s + nd->off,
				want->v.t, want->v.b.p, (int)n, s);
	}
	if (k != md->n)
		fz_fail("%s: %zu root members, predicted %zu (first missing: \"%s\"): record [%.*s]",
			what, k, md->n, md->m[k].key.p, (int)n, s);
	fz_buf_free(&got.b);
}

/* ---- one line alone ---- */

/* O_BROKEN: under drop_record, a bad line that leaves an object or array
 * open fails the object (it may be a value written across lines) */
enum outcome { O_OUT, O_DROPPED, O_FAILED, O_BROKEN };

/* A fused chain answers as its steps do: the object run again with the
 * fused pass taken away gives the same status, message, bytes and
 * counters. */
static void check_steps_agree(const char *what, const struct inf_access_point *ap,
			      const char *in, size_t n, const struct fz_run *fused)
{
	struct inf_access_point *m = (struct inf_access_point *)ap;
	struct inf_fuse *f = m->fused;
	struct fz_run steps;

	m->fused = NULL;
	fz_run(ap, in, n, n ? n : 1, &steps);
	m->fused = f;
	FZ_CHECK(steps.ok == fused->ok && !strcmp(steps.err.msg, fused->err.msg) &&
			 fz_buf_eq(&steps.out, &fused->out),
		 "%s: fused %s [%.*s] (%s), the steps %s [%.*s] (%s)", what,
		 fused->ok ? "wrote" : "failed", (int)fused->out.len, fused->out.p, fused->err.msg,
		 steps.ok ? "wrote" : "failed", (int)steps.out.len, steps.out.p, steps.err.msg);
	FZ_CHECK(steps.st.records_in == fused->st.records_in &&
			 steps.st.records_out == fused->st.records_out &&
			 steps.st.records_dropped == fused->st.records_dropped &&
			 steps.st.records_failed == fused->st.records_failed,
		 "%s: fused and the steps count records differently", what);
	fz_run_free(&steps);
}

/* Runs the line [d, d+next) (record [d, d+le), then its line ending)
 * alone and checks it against the model; returns what became of it and
 * appends its output to *all. */
static enum outcome check_line(const char *what, const struct schain *c,
			       const struct inf_access_point *ap, int drop, const char *d,
			       size_t le, size_t next, struct fz_buf *all)
{
	struct fz_run r;
	struct fz_buf lone = { 0 };
	struct fz_tree t = { 0 }, ot = { 0 };
	struct model md = { 0 };
	enum outcome o;
	int valid = fz_valid_record(d, le, MAX_DEPTH) == 1, obj = 0, scalar = 0;
	size_t end = next - le;

	/* alone, a line starting with a byte-order mark would lose it: the
	 * framer skips one at the object's start, so give it one to skip */
	fz_put(&lone, "\xEF\xBB\xBF", 3);
	fz_put(&lone, d, next);
	fz_run(ap, lone.p, lone.len, lone.len, &r);
	if (ap->fused)
		check_steps_agree(what, ap, lone.p, lone.len, &r);
	fz_buf_free(&lone);
	FZ_CHECK(!r.after_fail_ok, "%s: a call after a failure succeeded", what);
	fz_put(all, r.out.p, r.out.len);
	if (drop && !valid && fz_left_open(d, le)) {
		static const char want[] = "record 1 (line 1) leaves an object or array open";
		FZ_CHECK(!r.ok && r.out.len == 0 && r.sink_calls == 0 &&
				 !strncmp(r.err.msg, want, sizeof want - 1),
			 "%s: a bad line left open should fail the object under drop_record: "
			 "%s, wrote [%.*s]: %s", what, r.ok ? "succeeded" : "failed",
			 (int)r.out.len, r.out.p, r.err.msg);
		o = O_BROKEN;
	} else if (!r.ok || r.st.records_failed) {
		FZ_CHECK(drop ? r.ok && r.out.len == 0 && r.st.records_failed == 1
			      : r.out.len == 0 && r.sink_calls == 0 &&
					!strncmp(r.err.msg, "record 1 (line 1): ", 19),
			 "%s: a failed record wrote [%.*s] or was misreported: %s", what,
			 (int)r.out.len, r.out.p, r.err.msg);
		o = O_FAILED;
	} else {
		o = r.st.records_dropped ? O_DROPPED : O_OUT;
		FZ_CHECK(o == O_OUT ? r.st.records_out == 1 : r.out.len == 0,
			 "%s: counters: %llu out, %llu dropped, output [%.*s]", what,
			 (unsigned long long)r.st.records_out,
			 (unsigned long long)r.st.records_dropped, (int)r.out.len, r.out.p);
	}
	if (valid && fz_build_tree(d, le, MAX_DEPTH, &t) == 0) {
		obj = t.n[0].type == FZ_OBJECT;
		scalar = t.n[0].type != FZ_ARRAY && !obj;
	}
	if (!valid)
		FZ_CHECK(o == O_FAILED || o == O_BROKEN,
			 "%s: a line that is not JSON within max_depth passed: [%.*s]",
			 what, (int)le, d);
	if (scalar && keeps_all(c))
		FZ_CHECK(o == O_FAILED,
			 "%s: a scalar record passed keep_fields: [%.*s] gave [%.*s]", what,
			 (int)le, d, (int)r.out.len, r.out.p);
	else if (scalar)
		FZ_CHECK(o == O_OUT && r.out.len == next && !memcmp(r.out.p, d, next),
			 "%s: a scalar record did not pass as it was: [%.*s] gave [%.*s] (%s)", what,
			 (int)le, d, (int)r.out.len, r.out.p, r.err.msg);
	if (obj) {
		model_load(&md, d, le, &t);
		model_run(c, &md);
		if (md.fails || md.dropped)
			FZ_CHECK(o == (md.fails ? O_FAILED : O_DROPPED),
				 "%s: record [%.*s] should be %s: %s", what, (int)le, d,
				 md.fails ? "refused" : "filtered out", r.err.msg);
		else
			FZ_CHECK(o == O_OUT || (o == O_FAILED && md.mayfail),
				 "%s: record [%.*s] should pass: %s", what, (int)le, d, r.err.msg);
	}
	if (o == O_OUT) {
		FZ_CHECK(r.out.len >= end && !memcmp(r.out.p + r.out.len - end, d + le, end),
			 "%s: the line ending is not kept: [%.*s]", what, (int)r.out.len, r.out.p);
		check_out_generic(what, c, r.out.p, r.out.len - end, &ot);
		if (obj && !md.fails && !md.dropped)
			check_out_model(what, &md, r.out.p, r.out.len - end, &ot);
	}
	fz_tree_free(&ot);
	fz_tree_free(&t);
	model_free(&md);
	fz_run_free(&r);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct schain *c;
	const struct inf_access_point *ap;
	const char *in = (const char *)data + 2, *d;
	size_t n, dn, chunk;
	int drop;
	struct fz_run whole;
	struct fz_buf all = { 0 };
	uint64_t recs = 0, line = 0, bad_rec = 0, bad_line = 0, out = 0, dropped = 0, failed = 0;
	uint64_t broken_rec = 0, broken_line = 0;
	char what[96];

	if (size < 2)
		return 0;
	c = &chains[data[0] / 2 % NCHAINS];
	drop = data[0] & 1;
	ap = aps[c - chains][drop];
	chunk = 1 + data[1] % 64u;
	n = size - 2;
	/* the framer skips a byte-order mark; the lines alone must too */
	d = in, dn = n;
	if (n >= 3 && !memcmp(in, "\xEF\xBB\xBF", 3))
		d += 3, dn -= 3;

	fz_put(&all, "", 0);
	for (size_t ls = 0; ls < dn;) {
		const char *nl = memchr(d + ls, '\n', dn - ls);
		size_t end = nl ? (size_t)(nl - d) : dn, le = end, next = end + (nl != NULL);
		le -= nl && le > ls && d[le - 1] == '\r';
		line++;
		if (fz_all_ws(d + ls, le - ls)) {
			fz_put(&all, d + ls, next - ls);
		} else {
			snprintf(what, sizeof what, "%s, line %llu alone", ap->name,
				 (unsigned long long)line);
			recs++;
			switch (check_line(what, c, ap, drop, d + ls, le - ls, next - ls, &all)) {
			case O_OUT: out++; break;
			case O_DROPPED: dropped++; break;
			case O_FAILED:
				if (failed++ == 0)
					bad_rec = recs, bad_line = line;
				break;
			case O_BROKEN:
				if (!broken_rec)
					broken_rec = recs, broken_line = line;
				break;
			}
		}
		ls = next;
	}

	snprintf(what, sizeof what, "%s, whole", ap->name);
	fz_run(ap, in, n, n ? n : 1, &whole);
	FZ_CHECK(!whole.after_fail_ok, "%s: a call after a failure succeeded", what);
	if ((drop && broken_rec) || (!drop && failed)) {
		/* the object fails at the first line left open (drop_record) or
		 * the first that fails alone (fail), names it, writes nothing */
		uint64_t rec = drop ? broken_rec : bad_rec, at = drop ? broken_line : bad_line;
		char want[96];
		snprintf(want, sizeof want, drop ? "record %llu (line %llu) leaves an object or array open"
						 : "record %llu (line %llu): ",
			 (unsigned long long)rec, (unsigned long long)at);
		FZ_CHECK(!whole.ok && whole.out.len == 0 && whole.sink_calls == 0 &&
				 !strncmp(whole.err.msg, want, strlen(want)),
			 "%s: record %llu should fail the object, named, and nothing written: "
			 "%s, wrote [%.*s]: %s",
			 what, (unsigned long long)rec, whole.ok ? "succeeded" : "failed",
			 (int)whole.out.len, whole.out.p, whole.err.msg);
	} else {
		FZ_CHECK(whole.ok, "%s: failed though every line passes alone: %s", what,
			 whole.err.msg);
		FZ_CHECK(fz_buf_eq(&whole.out, &all),
			 "%s: the output [%.*s] is not the lines' outputs back to back [%.*s]", what,
			 (int)whole.out.len, whole.out.p, (int)all.len, all.p);
		FZ_CHECK(whole.st.records_in == recs && whole.st.records_out == out &&
				 whole.st.records_dropped == dropped &&
				 whole.st.records_failed == failed,
			 "%s: counters %llu in, %llu out, %llu dropped, %llu failed; lines alone: "
			 "%llu, %llu, %llu, %llu",
			 what, (unsigned long long)whole.st.records_in,
			 (unsigned long long)whole.st.records_out,
			 (unsigned long long)whole.st.records_dropped,
			 (unsigned long long)whole.st.records_failed, (unsigned long long)recs,
			 (unsigned long long)out, (unsigned long long)dropped,
			 (unsigned long long)failed);
	}

	if (ap->fused)
		check_steps_agree(what, ap, in, n, &whole);
	fz_check_variants(ap, in, n, chunk, &whole);
	fz_run_free(&whole);
	fz_buf_free(&all);
	return 0;
}
