#include "dupkeys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define SMALL 64     /* matches kept on the stack */
#define PAIRWISE 16  /* at most this many are compared pair by pair */

/* A member a path reaches or passes through: its object, key token, and
 * key text at `off` (into the record's text, or into `texts` when keys
 * hold escapes). */
struct dkey {
	int parent;
	int tok;
	size_t off, len;
};

struct dups {
	struct dkey small[SMALL], *k;
	size_t n, cap;
	struct inf_buf texts; /* unescaped keys, when any key holds an escape */
	const char *base;     /* where the `off`s point, once all are in */
};

static int collect(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	struct dups *d = ctx;
	const jsmntok_t *t = &r->toks.tok[key];
	struct dkey *k;
	const char *s;
	size_t len;

	(void)node;
	if (m == INF_MATCH_NONE || key < 0)
		return INF_WALK_DESCEND;
	if (d->n == d->cap) {
		k = d->k == d->small ? malloc(2 * d->cap * sizeof *k)
				     : realloc(d->k, 2 * d->cap * sizeof *k);
		if (!k)
			return INF_ERR_NOMEM;
		if (d->k == d->small)
			memcpy(k, d->small, sizeof d->small);
		d->k = k;
		d->cap *= 2;
	}
	k = &d->k[d->n++];
	k->parent = t->parent;
	k->tok = key;
	k->off = (size_t)t->start;
	k->len = (size_t)(t->end - t->start);
	if (r->toks.key_escapes) {
		if (!(s = inf_json_unescape(r->js + t->start, k->len, &r->keybuf, &len)))
			return INF_ERR_NOMEM;
		k->off = d->texts.len;
		k->len = len;
		if (inf_buf_append(&d->texts, s, len))
			return INF_ERR_NOMEM;
	}
	return INF_WALK_DESCEND; /* `**` may reach more below */
}

/* Two matches in one object with the same key text (not the same member). */
static int same(const struct dups *d, const struct dkey *a, const struct dkey *b)
{
	return a->parent == b->parent && a->tok != b->tok && a->len == b->len &&
	       !memcmp(d->base + a->off, d->base + b->off, a->len);
}

static int by_object_and_key(const void *x, const void *y, void *ctx)
{
	const struct dups *d = ctx;
	const struct dkey *a = x, *b = y;
	int c;

	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if ((c = memcmp(d->base + a->off, d->base + b->off, a->len)))
		return c;
	return (a->tok > b->tok) - (a->tok < b->tok);
}

/* A key two matches of one object share, or NULL. */
static const struct dkey *find_dup(struct dups *d)
{
	if (d->n <= PAIRWISE) {
		for (size_t i = 0; i < d->n; i++)
			for (size_t j = i + 1; j < d->n; j++)
				if (same(d, &d->k[i], &d->k[j]))
					return &d->k[i];
		return NULL;
	}
	qsort_r(d->k, d->n, sizeof *d->k, by_object_and_key, d);
	for (size_t i = 1; i < d->n; i++)
		if (same(d, &d->k[i - 1], &d->k[i]))
			return &d->k[i];
	return NULL;
}

int inf_paths_check_dups(struct inf_record *r, const struct inf_paths *ps, char *err)
{
	struct dups d = { .cap = SMALL };
	const struct dkey *k;
	int rc;

	d.k = d.small;
	rc = inf_walk(r, ps, collect, &d);
	if (rc == 0 && d.n > 1) {
		d.base = r->toks.key_escapes ? d.texts.data : r->js;
		if ((k = find_dup(&d))) {
			/* the message is made one line where it is printed */
			snprintf(err, INF_ERR_MAX,
				 "member \"%.*s\" is in one object twice, and readers take "
				 "either value: refused rather than decided on one of them",
				 (int)(k->len > 64 ? 64 : k->len), d.base + k->off);
			rc = INF_ERR_TYPE;
		}
	}
	if (d.k != d.small)
		free(d.k);
	inf_buf_free(&d.texts);
	return rc;
}
