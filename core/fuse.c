#include "fuse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "loader.h"
#include "path.h"
#include "policy.h"
#include "table.h"

#define MAX_KEYS 63 /* a bit each in inf_topedit's `seen` */
#define MAX_MAPS 8  /* map steps on one key */
#define MAX_FILTERS 8
#define MAX_LOOKUPS 4
#define MAX_TESTS 16 /* root members the filters and lookups read, duplicates counted */
#define MEMO_SLOTS 16 /* a power of two */
#define MEMO_TEXT 64
#define SLOTS 64    /* a power of two */

/* A root key some step names, and what the chain does to a member with
 * it, step after step. */
struct fkey {
	const char *name; /* borrowed from a path or a field */
	size_t len;
	int removed;      /* a removal comes first: the member goes */
	unsigned nmaps;   /* else the maps it goes through, in order */
	unsigned map[MAX_MAPS];
	const char *json; /* then an overwriting set's value, or NULL */
	size_t json_len;
	int add;          /* the member a set adds when none is kept, or -1;
			     -2 - j: lookup j's rows or default have it */
	size_t kept;      /* the last keep step that named it, + 1 */
	int test;         /* a filter or lookup reads it, as the input has it */
	int filtered;     /* a filter does: held twice, the steps refuse it */
	size_t qname;     /* then its "name": in inf_fuse's `qnames` */
	size_t qname_len;
	int code;         /* what keys.match returns (json.h) */
	int next;         /* the next key in its slot, + 1 */
};

struct fmap {
	const struct inf_step *st;
	int (*map)(void *, const struct inf_value *, struct inf_mapped *, char *);
};

struct ffilter {
	const struct inf_cond *cond;
	int keep; /* keep the records that match, else drop them */
};

/* A worker's last answers of the filters, by the text of the record
 * they read (filters_keep): the same text, the same answer. */
struct fmemo {
	unsigned char len[MEMO_SLOTS]; /* 0: empty (a text is 2 bytes at least) */
	unsigned char keep[MEMO_SLOTS];
	char text[MEMO_SLOTS][MEMO_TEXT];
};

/* A set step's lookup: the rows it may add, by the value of a key. */
struct flookup {
	const struct inf_step *st;
	const struct inf_fields *(*lookup)(void *, const char *, size_t);
	int key; /* the key whose first member's value is looked up */
	const struct inf_table *table; /* the rows checked at load */
	struct inf_fields dflt;	       /* lookup_default as checked at load */
};

struct fadd {
	int key;
	char *text; /* "name":json */
	size_t len;
	int lookup; /* or, when >= 0, the row of this lookup */
};

struct inf_fuse {
	struct fkey k[MAX_KEYS];
	size_t nk;
	int slot[SLOTS]; /* the first key (+ 1) of each slot_of */
	struct fmap maps[MAX_KEYS];
	size_t nmaps;
	struct fadd *adds;
	size_t nadds, adds_cap;
	uint64_t added;  /* the keys of adds, a bit each */
	struct inf_buf all; /* ",text" of every add, in order */
	int set;   /* a set step came */
	int early; /* a removal or keep step came before any set */
	int late;  /* a removal step came after a set (see add_step) */
	size_t nearly; /* adds[0..nearly) came before that removal */
	int early_lookup; /* a lookup is one of them */
	int keeping; /* a keep step came: a key no step names is removed */
	struct ffilter filters[MAX_FILTERS];
	size_t nfilters;
	struct flookup lookups[MAX_LOOKUPS];
	size_t nlookups;
	struct fmemo *memo; /* one a worker, with filters */
	struct inf_buf qnames;
	struct inf_dropkeys keys;
};

/* The slot of a key of n bytes at k in inf_fuse's `slot`. */
static inline unsigned slot_of(const char *k, size_t n)
{
	unsigned char a = n ? (unsigned char)k[0] : 0, z = n ? (unsigned char)k[n - 1] : 0;

	return (unsigned)(n * 7u + a + z * 3u) & (SLOTS - 1);
}

/* Whether n bytes at a and b are the same: two overlapping loads a side
 * for the usual short keys. */
static inline int same(const char *a, const char *b, size_t n)
{
	uint64_t w[4];
	uint32_t h[4];

	if (n >= 8 && n <= 16) {
		memcpy(&w[0], a, 8), memcpy(&w[1], a + n - 8, 8);
		memcpy(&w[2], b, 8), memcpy(&w[3], b + n - 8, 8);
		return w[0] == w[2] && w[1] == w[3];
	}
	if (n >= 4 && n < 8) {
		memcpy(&h[0], a, 4), memcpy(&h[1], a + n - 4, 4);
		memcpy(&h[2], b, 4), memcpy(&h[3], b + n - 4, 4);
		return h[0] == h[2] && h[1] == h[3];
	}
	return !memcmp(a, b, n);
}

/* The index of a key some step names, by the slot of its length and end
 * bytes, or -1. */
static inline int key_index(const struct inf_fuse *f, const char *k, size_t n)
{
	for (int i = f->slot[slot_of(k, n)]; i; i = f->k[i - 1].next) {
		const struct fkey *x = &f->k[i - 1];
		if (n == x->len && same(k, x->name, n))
			return i - 1;
	}
	return -1;
}

/* The code of a key some step names (keys.match), or `miss`: key_index's
 * loop, returning the code from where it is (five instructions a record
 * fewer on the bench chain than through the index). */
static inline int lookup(const struct inf_fuse *f, const char *k, size_t n, int miss)
{
	for (int i = f->slot[slot_of(k, n)]; i; i = f->k[i - 1].next) {
		const struct fkey *x = &f->k[i - 1];
		if (n == x->len && same(k, x->name, n))
			return x->code;
	}
	return miss;
}

static int match(const void *ctx, const char *k, size_t n)
{
	return lookup(ctx, k, n, 0);
}

/* After a keep step: a key no step names is removed. */
static int match_keeping(const void *ctx, const char *k, size_t n)
{
	return lookup(ctx, k, n, INF_TOP_REMOVE);
}

static struct fkey *key_get(struct inf_fuse *f, const char *name, size_t len)
{
	for (size_t i = 0; i < f->nk; i++)
		if (len == f->k[i].len && !memcmp(name, f->k[i].name, len))
			return &f->k[i];
	if (f->nk == MAX_KEYS)
		return NULL;
	/* a key first named after a keep step was removed by it */
	f->k[f->nk] = (struct fkey){ .name = name, .len = len, .removed = f->keeping,
				     .add = -1 };
	return &f->k[f->nk++];
}

/* Whether every path of `ps` is one plain key. */
static int plain_keys(const struct inf_paths *ps)
{
	struct inf_dropkeys dk;

	return inf_paths_dropkeys(ps, &dk);
}

/* key_get for path i of `ps`, one plain key (plain_keys). */
static struct fkey *path_key(struct inf_fuse *f, const struct inf_paths *ps, size_t i)
{
	size_t len;
	const char *name = inf_paths_key(ps, i, &len);

	return key_get(f, name, len);
}

/* A removal (map < 0) or map step over `ps`. */
static int add_paths(struct inf_fuse *f, const struct inf_paths *ps, int map)
{
	if (!plain_keys(ps))
		return -1;
	for (size_t i = 0; i < inf_paths_count(ps); i++) {
		struct fkey *k = path_key(f, ps, i);

		if (!k || k->add != -1)
			return -1; /* a member a step sets, named after it */
		if (k->removed)
			continue; /* gone before this step */
		if (map < 0 && k->nmaps)
			return -1; /* a map's error would not be seen */
		if (map < 0)
			k->removed = 1;
		else if (k->nmaps && k->map[k->nmaps - 1] == (unsigned)map)
			continue; /* a path given twice */
		else if (k->nmaps == MAX_MAPS)
			return -1;
		else
			k->map[k->nmaps++] = (unsigned)map;
	}
	return 0;
}

/* Keep step `step` over `ps`: every key it does not name is removed. */
static int add_keep(struct inf_fuse *f, const struct inf_paths *ps, size_t step)
{
	if (!plain_keys(ps))
		return -1;
	for (size_t i = 0; i < inf_paths_count(ps); i++) {
		struct fkey *k = path_key(f, ps, i);

		if (!k)
			return -1;
		k->kept = step + 1;
	}
	for (size_t i = 0; i < f->nk; i++) {
		struct fkey *k = &f->k[i];

		if (k->kept == step + 1 || k->removed)
			continue;
		if (k->nmaps)
			return -1; /* a map's error would not be seen */
		k->removed = 1;
	}
	f->keeping = 1;
	return 0;
}

/* A key whose members a step reads (a filter's, a lookup's): none of
 * them removed or changed by an earlier step, they are seen as the input
 * has them. */
static struct fkey *read_key(struct inf_fuse *f, struct fkey *k)
{
	if (!k || k->removed || k->nmaps || k->add != -1)
		return NULL;
	if (k->test++)
		return k;
	k->qname = f->qnames.len;
	if (inf_json_quote(&f->qnames, k->name, k->len) || inf_buf_putc(&f->qnames, ':'))
		return NULL;
	k->qname_len = f->qnames.len - k->qname;
	return k;
}

/* A filter step. */
static int add_filter(struct inf_fuse *f, const struct inf_plan *plan)
{
	const struct inf_paths *ps = inf_cond_paths(plan->cond);

	if (f->nfilters == MAX_FILTERS || !plain_keys(ps))
		return -1;
	for (size_t i = 0; i < inf_paths_count(ps); i++) {
		struct fkey *k = read_key(f, path_key(f, ps, i));

		if (!k)
			return -1;
		k->filtered = 1;
	}
	f->filters[f->nfilters++] = (struct ffilter){ plan->cond, plan->keep };
	return 0;
}

/* The fields a lookup may add, each within the limits set_json checks
 * (a table's values are JSON, so a scalar is); `prev`, the row before,
 * whose names a CSV table's rows share. */
static int lookup_fields(struct inf_fuse *f, const struct inf_access_point *ap,
			 const struct inf_fields *fs, const struct inf_fields *prev,
			 struct inf_record *r, struct inf_buf *q)
{
	const int add = -2 - (int)f->nlookups;
	struct inf_json_err je;
	struct fkey *k;

	if (fs->count && !fs->items)
		return -1;
	for (size_t i = 0; i < fs->count; i++) {
		const struct inf_field *fi = &fs->items[i];

		/* every value, as set_json would check it: lookup_default is
		 * the plugin's own */
		if (!fi->name || !fi->json || inf_record_check_value(r, fi->json, fi->json_len, 1, &je))
			return -1;
		if (prev && i < prev->count && prev->items[i].name == fi->name)
			continue;
		inf_buf_reset(q);
		if (!(k = key_get(f, fi->name, strlen(fi->name))) || (k->add != -1 && k->add != add) ||
		    inf_json_quote(q, k->name, k->len) || (ap->max_key && q->len - 2 > ap->max_key))
			return -1;
		k->add = add;
	}
	return 0;
}

/* A set step's lookup (after its fields): the rows of plan->table and
 * plan->lookup_default, added by the value of one plain key. */
static int add_lookup(struct inf_fuse *f, const struct inf_access_point *ap,
		      const struct inf_step *st, const struct inf_plan *plan,
		      struct inf_record *r)
{
	const struct inf_paths *ps = plan->lookup_key;
	const struct inf_fields *prev = NULL;
	struct inf_buf q = { 0 };
	struct fadd *adds;
	struct fkey *k;
	int bad = 0;

	/* an overwrite would rewrite members before the row is known */
	if (plan->overwrite || !plan->table || f->nlookups == MAX_LOOKUPS ||
	    inf_paths_count(ps) != 1 || !plain_keys(ps) || !(k = read_key(f, path_key(f, ps, 0))))
		return -1;
	for (size_t i = 0; i < inf_table_rows(plan->table) && !bad; i++) {
		bad = lookup_fields(f, ap, inf_table_row(plan->table, i), prev, r, &q);
		prev = inf_table_row(plan->table, i);
	}
	bad = bad || lookup_fields(f, ap, &plan->lookup_default, NULL, r, &q);
	inf_buf_free(&q);
	if (bad || inf_array_grow(&f->adds, &f->adds_cap, f->nadds + 1, sizeof *f->adds))
		return -1;
	adds = f->adds;
	adds[f->nadds++] = (struct fadd){ .key = -1, .lookup = (int)f->nlookups };
	f->lookups[f->nlookups++] = (struct flookup){ st, plan->lookup, (int)(k - f->k),
						      plan->table, plan->lookup_default };
	return 0;
}

/* A set step's fields, each within the limits set_json checks. */
static int add_fields(struct inf_fuse *f, const struct inf_access_point *ap,
		      const struct inf_plan *plan, struct inf_record *r)
{
	struct inf_json_err je;
	struct inf_buf text = { 0 };
	struct fadd *adds;

	if (!plan->fields.count)
		return plan->lookup ? 0 : -1;
	if (!plan->fields.items ||
	    inf_array_grow(&f->adds, &f->adds_cap, f->nadds + plan->fields.count,
			   sizeof *f->adds))
		return -1;
	adds = f->adds;
	for (size_t i = 0; i < plan->fields.count; i++) {
		const struct inf_field *fi = &plan->fields.items[i];
		struct fkey *k = fi->name && fi->json ? key_get(f, fi->name, strlen(fi->name)) : NULL;

		if (!k || k->add != -1 ||
		    inf_record_check_value(r, fi->json, fi->json_len, 1, &je) ||
		    inf_json_quote(&text, k->name, k->len) ||
		    (ap->max_key && text.len - 2 > ap->max_key) || inf_buf_putc(&text, ':') ||
		    inf_buf_append(&text, fi->json, fi->json_len)) {
			inf_buf_free(&text);
			return -1;
		}
		inf_json_flatten(text.data + text.len - fi->json_len, fi->json_len);
		k->add = (int)f->nadds;
		if (plan->overwrite) { /* the copy, on one line */
			k->json = text.data + text.len - fi->json_len;
			k->json_len = fi->json_len;
		}
		adds[f->nadds++] = (struct fadd){ (int)(k - f->k), text.data, text.len, -1 };
		text = (struct inf_buf){ 0 };
	}
	return 0;
}

static int add_step(struct inf_fuse *f, const struct inf_access_point *ap, size_t i,
		    struct inf_record *r)
{
	const struct inf_step *st = &ap->steps[i];
	const struct inf_option *o = inf_plugin_removes_option(st->plugin);
	inf_plan_fn plan_fn = inf_plugin_plan(st->plugin);
	struct inf_plan plan = { .size = sizeof plan };
	const struct inf_paths *paths;

	if (st->when)
		return -1;
	/* removals both before and after a set: where the set's members go
	 * depends on what was left then, which this pass does not know */
	if (o && f->set && f->early)
		return -1;
	/* nor removals on both sides of a set after the first ones when a
	 * lookup came before those: a row not found adds nothing, and then
	 * where the set's members go depends on what the first removals
	 * left (the sets before them otherwise leave their members) */
	if (o && f->late && f->nadds != f->nearly && f->early_lookup)
		return -1;
	if (o) {
		if (f->set && !f->late) {
			f->nearly = f->nadds;
			f->early_lookup = f->nlookups > 0;
		}
		f->late |= f->set;
		f->early |= !f->set;
		memcpy(&paths, (const char *)st->config + o->offset, sizeof paths);
		return add_paths(f, paths, -1);
	}
	if (!plan_fn)
		return -1;
	plan_fn(st->instances[0], &plan);
	if (plan.kind == INF_PLAN_SET) {
		f->set = 1;
		if (add_fields(f, ap, &plan, r))
			return -1;
		return plan.lookup ? add_lookup(f, ap, st, &plan, r) : 0;
	}
	if (plan.kind == INF_PLAN_KEEP)
		return f->set ? -1 : (f->early = 1, add_keep(f, plan.paths, i));
	if (plan.kind == INF_PLAN_FILTER)
		return plan.cond ? add_filter(f, &plan) : -1;
	if (plan.kind != INF_PLAN_MAP || !plan.map || f->nmaps == MAX_KEYS)
		return -1;
	f->maps[f->nmaps] = (struct fmap){ st, plan.map };
	return add_paths(f, plan.paths, (int)f->nmaps++);
}

struct inf_fuse *inf_fuse_new(const struct inf_access_point *ap)
{
	struct inf_fuse *f;
	struct inf_record r;
	int bad = 0;

	if (ap->nsteps == 1 && ap->drop_top.match)
		return NULL;
	if (!(f = calloc(1, sizeof *f)))
		return NULL;
	inf_record_init(&r, ap->max_depth);
	r.toks.max_key = ap->max_key;
	for (size_t i = 0; i < ap->nsteps && !bad; i++)
		bad = add_step(f, ap, i, &r);
	inf_record_free(&r);
	if (bad) {
		inf_fuse_free(f);
		return NULL;
	}
	for (size_t i = 0; i < f->nk; i++) {
		struct fkey *k = &f->k[i];
		unsigned char c = k->len ? (unsigned char)k->name[0] : 0;

		f->keys.lens |= 1ull << (k->len & 63);
		f->keys.first[c >> 6] |= 1ull << (c & 63);
		if (k->removed && !k->test)
			k->code = INF_TOP_REMOVE;
		else
			k->code = (int)(i + 1) << INF_TOP_SHIFT | (k->test ? INF_TOP_TEST : 0) |
				  (k->removed ? INF_TOP_REMOVE
				   : k->nmaps || k->json ? INF_TOP_VALUE : 0);
		k->next = f->slot[slot_of(k->name, k->len)];
		f->slot[slot_of(k->name, k->len)] = (int)i + 1;
	}
	for (size_t i = 0; i < f->nadds && !f->nlookups; i++) {
		f->added |= 1ull << f->adds[i].key;
		if (inf_buf_putc(&f->all, ',') ||
		    inf_buf_append(&f->all, f->adds[i].text, f->adds[i].len)) {
			inf_fuse_free(f);
			return NULL;
		}
	}
	if (f->nfilters && !(f->memo = calloc(ap->workers, sizeof *f->memo))) {
		inf_fuse_free(f);
		return NULL;
	}
	if (f->keeping) /* every key goes to match */
		f->keys = (struct inf_dropkeys){ .lens = ~0ull,
						 .first = { ~0ull, ~0ull, ~0ull, ~0ull } };
	f->keys.match = f->keeping ? match_keeping : match;
	f->keys.ctx = f;
	return f;
}

void inf_fuse_free(struct inf_fuse *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nadds; i++)
		free(f->adds[i].text);
	free(f->adds);
	inf_buf_free(&f->all);
	inf_buf_free(&f->qnames);
	free(f->memo);
	free(f);
}

/* One record's pass. */
struct run {
	const struct inf_fuse *f;
	unsigned worker;
	struct inf_record *r;
	size_t ntests;
	struct { /* the members filters and lookups read, in order */
		int key;
		const char *v;
		size_t n;
	} tests[MAX_TESTS];
};

/* The type of the value v (n bytes), leading whitespace passed over. */
static inline enum inf_type type_of(const char *v, size_t n)
{
	while (n && inf_json_ws(*v))
		v++, n--;
	return n ? inf_json_type(*v) : INF_NONE;
}

/* The member's value through its maps, then an overwriting set. */
static int rewrite(void *ctx, int i, const char *v, size_t n, struct inf_buf *out)
{
	const struct run *x = ctx;
	const struct fkey *k = &x->f->k[i];
	struct inf_record *r = x->r;
	struct inf_value val = { .key = k->name, .key_len = k->len };
	struct inf_json_err je;
	struct inf_buf *in = NULL; /* the buffer v is in, when it is one of r's */
	int changed = 0, rc;

	for (unsigned j = 0; j < k->nmaps; j++) {
		const struct fmap *m = &x->f->maps[k->map[j]];
		struct inf_mapped mv = { 0 };
		char err[INF_ERR_MAX] = "";

		val.type = type_of(v, n);
		val.raw = val.text = v;
		val.raw_len = val.text_len = n;
		if (val.type == INF_STRING && /* a string's text, as host->string has it */
		    !(val.text = inf_json_unescape(v + 1, n - 2, &r->scratch, &val.text_len)))
			return INF_ERR_NOMEM;
		if (m->map(m->st->instances[x->worker], &val, &mv, err))
			return 2; /* the steps fail the record, with their message */
		if (!mv.text)
			continue;
		/* as replace_json (a root member's value is 1 deep) or
		 * replace_string, into the other buffer: a map may answer
		 * with the text it was given, which may lie in the one v is in */
		if (mv.json && inf_record_check_value(r, mv.text, mv.len, 1, &je))
			return 2;
		in = in == &r->valbuf ? &r->keybuf : &r->valbuf;
		inf_buf_reset(in);
		rc = mv.json ? inf_buf_append(in, mv.text, mv.len) : inf_json_quote(in, mv.text, mv.len);
		if (rc)
			return rc == INF_ERR_NOMEM ? rc : 2;
		if (mv.json) /* a quoted string holds no raw line break */
			inf_json_flatten(in->data, in->len);
		v = in->data;
		n = in->len;
		changed = 1;
	}
	if (k->json) {
		v = k->json;
		n = k->json_len;
	} else if (!changed) {
		return 1;
	}
	return inf_buf_append(out, v, n) ? INF_ERR_NOMEM : 0;
}

/* Whether a and b hold the same names and values (another worker's
 * instance answers its own lookup_default). */
static int same_fields(const struct inf_fields *a, const struct inf_fields *b)
{
	if (a->count != b->count || (a->count && !a->items))
		return 0;
	if (a->items == b->items)
		return 1;
	for (size_t i = 0; i < a->count; i++) {
		const struct inf_field *p = &a->items[i], *q = &b->items[i];
		if (!p->name || !p->json || p->json_len != q->json_len || strcmp(p->name, q->name) ||
		    memcmp(p->json, q->json, p->json_len))
			return 0;
	}
	return 1;
}

/* The row lookup j answers for the value of the record's first member
 * with its key (as enrich's record_key reads it), each member that no
 * kept one (`seen`) has the key of, as set_json adds it. A row's names
 * are its own and no other set's (add_lookup), so none repeats. */
static int add_row(const struct run *x, int j, uint64_t seen, int *comma,
		   struct inf_buf *out)
{
	const struct flookup *l = &x->f->lookups[j];
	const struct inf_fields *row;
	const char *v = NULL, *key = NULL;
	size_t n = 0;

	for (size_t i = 0; i < x->ntests && !v; i++)
		if (x->tests[i].key == l->key)
			v = x->tests[i].v, n = x->tests[i].n;
	switch (v ? type_of(v, n) : INF_NONE) {
	case INF_STRING:
		if (!(key = inf_json_unescape(v + 1, n - 2, &x->r->scratch, &n)))
			return INF_ERR_NOMEM;
		break;
	case INF_NUMBER: case INF_TRUE: case INF_FALSE:
		key = v;
		break;
	default: /* missing, null, an object or array: no text */
		n = 0;
	}
	row = l->lookup(l->st->instances[x->worker], key, n);
	if (row && !inf_table_has_row(l->table, row) && !same_fields(row, &l->dflt))
		return 1; /* not a row checked at load: the steps check it */
	for (size_t i = 0; row && i < row->count; i++) {
		const struct inf_field *fi = &row->items[i];
		size_t len = strlen(fi->name);
		int k = key_index(x->f, fi->name, len);

		if (k < 0)
			return 1; /* a row inf_fuse_new did not see */
		if (seen >> k & 1)
			continue;
		if ((*comma && inf_buf_putc(out, ',')) || inf_json_quote(out, fi->name, len) ||
		    inf_buf_putc(out, ':') || inf_buf_append(out, fi->json, fi->json_len))
			return INF_ERR_NOMEM;
		inf_json_flatten(out->data + out->len - fi->json_len, fi->json_len);
		*comma = 1;
	}
	return 0;
}

/* add_members one by one: each one no kept member has the key of, a
 * comma before each but a first one that nothing precedes. */
static __attribute__((noinline)) int add_each(const struct run *x, uint64_t seen, int comma,
					      struct inf_buf *out, int *first)
{
	size_t start = out->len;
	int rc;

	for (size_t i = 0; i < x->f->nadds; i++) {
		const struct fadd *a = &x->f->adds[i];

		if (out->len == start) /* nothing appended yet: this may be the first */
			*first = i < x->f->nearly;

		if (a->lookup >= 0) {
			if ((rc = add_row(x, a->lookup, seen, &comma, out)))
				return rc;
			continue;
		}
		if (seen >> a->key & 1)
			continue;
		if ((comma && inf_buf_putc(out, ',')) || inf_buf_append(out, a->text, a->len))
			return INF_ERR_NOMEM;
		comma = 1;
	}
	return 0;
}

/* The members the set steps add when the record keeps none with their key. */
static int add_members(void *ctx, uint64_t seen, int comma, struct inf_buf *out, int *first)
{
	const struct run *x = ctx;

	if (x->f->nlookups || (seen & x->f->added))
		return add_each(x, seen, comma, out, first);
	/* the common case: all of them */
	*first = x->f->nearly > 0;
	return x->f->all.len && inf_buf_append(out, x->f->all.data + !comma,
					       x->f->all.len - !comma) ? INF_ERR_NOMEM : 0;
}

/* te.test: a member a filter or lookup reads. */
static int test(void *ctx, int i, const char *v, size_t n)
{
	struct run *x = ctx;

	if (x->ntests == MAX_TESTS)
		return 1;
	/* a key a filter reads, held twice: the steps refuse the record
	 * (core/dupkeys.h); a lookup reads the first */
	if (x->f->k[i].filtered)
		for (size_t j = 0; j < x->ntests; j++)
			if (x->tests[j].key == i)
				return 1;
	x->tests[x->ntests].key = i;
	x->tests[x->ntests].v = v;
	x->tests[x->ntests++].n = n;
	return 0;
}

/* Whether the filters keep the record: 1, 0, 2 when it must go through
 * the steps, or INF_ERR_NOMEM. They read the members they name, as the
 * input has them (add_filter) and in its order: the same answer from
 * inf_cond_match on a record of those members only, which is also what
 * the worker's memo holds answers by. */
static __attribute__((noinline)) int filters_keep(const struct run *x)
{
	const struct inf_fuse *f = x->f;
	struct inf_record *r = x->r;
	struct inf_buf *doc = &r->filtered; /* r's scratch is the walk's */
	struct fmemo *m = &f->memo[x->worker];
	struct inf_json_err je;
	unsigned slot;
	size_t i;
	int rc = 0;

	inf_buf_reset(doc);
	rc |= inf_buf_putc(doc, '{');
	for (i = 0; i < x->ntests; i++) {
		const struct fkey *k = &f->k[x->tests[i].key];

		rc |= (i && inf_buf_putc(doc, ',')) ||
		      inf_buf_append(doc, f->qnames.data + k->qname, k->qname_len) ||
		      inf_buf_append(doc, x->tests[i].v, x->tests[i].n);
	}
	if (rc || inf_buf_putc(doc, '}'))
		return INF_ERR_NOMEM;
	/* its length, middle byte and last value's end pick the slot */
	slot = (unsigned)(doc->len * 7 + (unsigned char)doc->data[doc->len - 2] * 3 +
			  (unsigned char)doc->data[doc->len / 2]) & (MEMO_SLOTS - 1);
	if (doc->len <= MEMO_TEXT && m->len[slot] == doc->len &&
	    !memcmp(m->text[slot], doc->data, doc->len))
		return m->keep[slot];
	if ((rc = inf_record_load(r, doc->data, doc->len, &je)))
		return rc == INF_ERR_NOMEM ? rc : 2;
	for (i = 0; i < f->nfilters; i++) {
		if ((rc = inf_cond_match(r, f->filters[i].cond)) < 0)
			return rc;
		if (rc != f->filters[i].keep)
			break;
	}
	if (doc->len <= MEMO_TEXT) {
		m->len[slot] = (unsigned char)doc->len;
		m->keep[slot] = i == f->nfilters;
		memcpy(m->text[slot], doc->data, doc->len);
	}
	return i == f->nfilters;
}

/* What inf_fuse_record returns for a record the pass made (rc 0, its
 * output after `start` in out) when the chain has filters. */
static __attribute__((noinline)) int filtered(struct run *x, struct inf_buf *out, size_t start)
{
	int rc = filters_keep(x);

	if (rc == 1)
		return 0;
	out->len = start;
	return rc == 0 ? INF_FUSE_DROPPED : rc == 2 ? 1 : rc;
}

/* The pass's hooks in te, their state in x (not zeroed: its tests are
 * read up to ntests). */
static inline void run_init(struct run *x, struct inf_topedit *te, const struct inf_fuse *f,
			    unsigned worker, struct inf_record *r)
{
	*te = (struct inf_topedit){ .keys = f->keys, .value = rewrite, .close = add_members,
				    .test = test, .ctx = x };
	x->f = f, x->worker = worker, x->r = r, x->ntests = 0;
}

int inf_fuse_record(const struct inf_fuse *f, unsigned worker, struct inf_record *r,
		    const char *js, size_t len, struct inf_buf *out,
		    struct inf_json_err *err)
{
	struct run x;
	struct inf_topedit te;
	size_t start = out->len;
	int rc;

	run_init(&x, &te, f, worker, r);

	rc = inf_json_fuse_top(&r->toks, js, len, r->max_depth, &te, out, err);
	return rc || !f->nfilters ? rc : filtered(&x, out, start);
}

int inf_fuse_members(const struct inf_fuse *f, unsigned worker, struct inf_record *r,
		     const char *js, size_t len, const struct inf_jsonfast_member *m,
		     size_t nm, size_t close, struct inf_buf *out)
{
	struct run x;
	struct inf_topedit te;
	size_t start = out->len;
	int rc;

	run_init(&x, &te, f, worker, r);

	rc = inf_json_fuse_members(js, len, m, nm, close, &te, out);
	return rc || !f->nfilters ? rc : filtered(&x, out, start);
}
