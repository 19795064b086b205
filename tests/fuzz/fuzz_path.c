/*
 * Fuzz target: path compilation and the shared walker (core/path.c), and
 * removals applied by core/record.c.
 *
 * Input: up to 8 path texts separated by NUL bytes, compiled as one set.
 *
 * Invariants:
 *  - the set compiles exactly when every path is valid by the reference
 *    grammar (refpath.h); a refused set says "bad path" and which one;
 *  - walking fixed records (fuzzutil.h) visits exactly the members and
 *    elements the reference predicts, in document order, each with its
 *    match class, its key (decoded as the reference decodes it), its type
 *    and its string value; the same when the visitor skips some nodes;
 *    inf_find returns the first node a path ends at;
 *  - removing every node a path ends at (as drop_fields does) emits JSON
 *    whose tokens are the record's less the removed members and elements,
 *    made only by deleting bytes; a second walk does not see them; the
 *    commit gives the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "path.h"
#include "record.h"
#include "refpath.h"

#define MAX_PATHS 8
#define MAX_DEPTH 64

enum { WALK_ALL, WALK_SKIP_SOME, WALK_REMOVE };

struct visit {
	size_t off;
	int m;
};

struct walk {
	int mode;
	const char *base;            /* the record's bytes */
	const struct fz_tree *t;
	struct visit *v;
	size_t n, cap;
	int removed;
	struct fz_buf dec;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The reference node whose value starts at `off`, or -1. */
static int node_at(const struct fz_tree *t, size_t off)
{
	for (size_t k = 0; k < t->count; k++)
		if (t->n[k].off == off)
			return (int)k;
	return -1;
}

static int skip_rule(size_t off)
{
	return off % 3 == 1;
}

static enum inf_type ref_type(int fz)
{
	switch (fz) {
	case FZ_OBJECT: return INF_OBJECT;
	case FZ_ARRAY: return INF_ARRAY;
	case FZ_STRING: return INF_STRING;
	case FZ_NUMBER: return INF_NUMBER;
	case FZ_TRUE: return INF_TRUE;
	case FZ_FALSE: return INF_FALSE;
	default: return INF_NULL;
	}
}

static int visitor(void *ctx, struct inf_record *rec, int node, int key, enum inf_match m)
{
	struct walk *w = ctx;
	size_t len, off;
	const char *raw = inf_record_raw(rec, node, &len);
	const struct fz_node *nd;
	int k;

	FZ_CHECK(raw && raw >= w->base && raw < w->base + rec->len,
		 "walk: node %d has no raw text in the record", node);
	off = (size_t)(raw - w->base);
	FZ_CHECK((k = node_at(w->t, off)) > 0, "walk: visited something at byte %zu that is no "
						"member or element", off);
	nd = &w->t->n[k];
	FZ_CHECK(len == nd->end - nd->off, "walk: node at %zu spans %zu bytes, not %zu", off, len,
		 nd->end - nd->off);
	FZ_CHECK(inf_record_type(rec, node) == ref_type(nd->type), "walk: node at %zu: wrong type",
		 off);
	FZ_CHECK(m == INF_MATCH_NONE || m == INF_MATCH_PARTIAL || m == INF_MATCH_FULL,
		 "walk: match class %d", (int)m);
	if (nd->is_member) {
		size_t klen, rlen;
		const char *kraw, *kd;
		FZ_CHECK(key >= 0, "walk: member at %zu visited without its key", off);
		kraw = inf_record_raw(rec, key, &rlen);
		FZ_CHECK(kraw == w->base + nd->key_off && rlen == nd->key_end - nd->key_off,
			 "walk: member at %zu: key node is not its key", off);
		kd = inf_record_key(rec, key, &klen);
		FZ_CHECK(kd && klen == nd->klen && (!klen || !memcmp(kd, w->t->keys.p + nd->kdec, klen)),
			 "walk: member at %zu: key decodes to [%.*s], expected [%.*s]", off,
			 (int)klen, kd ? kd : "", (int)nd->klen, w->t->keys.p + nd->kdec);
	} else {
		FZ_CHECK(key == -1, "walk: element at %zu visited with key %d", off, key);
	}
	if (nd->type == FZ_STRING) {
		struct fz_json j;
		size_t slen;
		const char *s = inf_record_string(rec, node, &slen);
		fz_json_init(&j, w->base, nd->end, 1);
		j.i = nd->off;
		if (fz_string(&j, &w->dec))
			fz_fail("walk: string at %zu went bad", off);
		FZ_CHECK(s && slen == w->dec.len && (!slen || !memcmp(s, w->dec.p, slen)),
			 "walk: string at %zu decodes to [%.*s], expected [%.*s]", off, (int)slen,
			 s ? s : "", (int)w->dec.len, w->dec.p);
		fz_json_free(&j);
	} else {
		size_t slen;
		FZ_CHECK(!inf_record_string(rec, node, &slen), "walk: a %d node has a string value",
			 nd->type);
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		if (!(w->v = realloc(w->v, w->cap * sizeof *w->v)))
			fz_fail("out of memory");
	}
	w->v[w->n].off = off;
	w->v[w->n].m = (int)m;
	w->n++;
	switch (w->mode) {
	case WALK_SKIP_SOME:
		return skip_rule(off) ? INF_WALK_SKIP : INF_WALK_DESCEND;
	case WALK_REMOVE:
		if (m != INF_MATCH_FULL)
			return INF_WALK_DESCEND;
		FZ_CHECK(inf_record_remove(rec, node) == 0, "walk: cannot remove the node at %zu",
			 off);
		w->removed++;
		return INF_WALK_SKIP;
	default:
		return INF_WALK_DESCEND;
	}
}

/* The visits the reference predicts for the children of `parent`. */
static void predict(const struct fz_tree *t, const int *cls, int mode, int parent,
		    struct walk *want, int *removed)
{
	for (size_t k = (size_t)parent + 1; k < t->count; k++) {
		const struct fz_node *nd = &t->n[k];
		int descend;
		if (nd->parent != parent || (removed && removed[k] && mode != WALK_REMOVE))
			continue;
		if (want->n == want->cap) {
			want->cap = want->cap ? want->cap * 2 : 64;
			if (!(want->v = realloc(want->v, want->cap * sizeof *want->v)))
				fz_fail("out of memory");
		}
		want->v[want->n].off = nd->off;
		want->v[want->n].m = cls[k];
		want->n++;
		switch (mode) {
		case WALK_SKIP_SOME: descend = !skip_rule(nd->off); break;
		case WALK_REMOVE:
			descend = cls[k] != 2;
			if (cls[k] == 2)
				removed[k] = 1;
			break;
		default: descend = 1; break;
		}
		if (descend && cls[k] != 0 && (nd->type == FZ_OBJECT || nd->type == FZ_ARRAY))
			predict(t, cls, mode, (int)k, want, removed);
	}
}

static void compare_walks(const char *what, const char *rec, const struct walk *got,
			  const struct walk *want)
{
	size_t n = got->n < want->n ? got->n : want->n;

	for (size_t i = 0; i < n; i++)
		FZ_CHECK(got->v[i].off == want->v[i].off && got->v[i].m == want->v[i].m,
			 "%s over %s: visit %zu is byte %zu class %d, expected byte %zu class %d",
			 what, rec, i, got->v[i].off, got->v[i].m, want->v[i].off, want->v[i].m);
	FZ_CHECK(got->n == want->n, "%s over %s: %zu visits, expected %zu", what, rec, got->n,
		 want->n);
}

/* Canonical form of the tree's node `k`, removed nodes left out. */
static void canon_tree(const struct fz_tree *t, const char *src, const int *removed, size_t k,
		       struct fz_buf *out)
{
	const struct fz_node *nd = &t->n[k];
	int first = 1;

	if (nd->type != FZ_OBJECT && nd->type != FZ_ARRAY) {
		fz_put(out, src + nd->off, nd->end - nd->off);
		return;
	}
	fz_putc(out, nd->type == FZ_OBJECT ? '{' : '[');
	for (size_t c = k + 1; c < t->count; c++) {
		if (t->n[c].parent != (int)k || removed[c])
			continue;
		if (!first)
			fz_putc(out, ',');
		first = 0;
		if (t->n[c].is_member) {
			fz_put(out, src + t->n[c].key_off, t->n[c].key_end - t->n[c].key_off);
			fz_putc(out, ':');
		}
		canon_tree(t, src, removed, c, out);
	}
	fz_putc(out, nd->type == FZ_OBJECT ? '}' : ']');
}

static void walk_record(const struct inf_paths *ps, const struct rp_path *ref, size_t np,
			const char *src)
{
	struct inf_record r;
	struct inf_json_err je;
	struct fz_tree t;
	unsigned char *reach[MAX_PATHS];
	int *cls, *removed;
	struct walk got = { 0 }, want = { 0 };
	struct inf_buf out = { 0 };
	struct fz_buf wantc = { 0 }, gotc = { 0 };
	size_t len = strlen(src);
	int first_full = -1;

	if (fz_build_tree(src, len, MAX_DEPTH, &t))
		fz_fail("fixed record is not JSON: %s", src);
	for (size_t k = 0; k < np; k++)
		reach[k] = rp_reach(&ref[k], &t);
	cls = calloc(t.count, sizeof *cls);
	removed = calloc(t.count, sizeof *removed);
	if (!cls || !removed)
		fz_fail("out of memory");
	for (size_t k = 1; k < t.count; k++)
		cls[k] = rp_class(ref, np, reach, k);
	inf_record_init(&r, MAX_DEPTH);

	for (int mode = WALK_ALL; mode <= WALK_REMOVE; mode++) {
		static const char *const names[] = { "walk", "walk skipping some", "removing walk" };
		int rc;
		if (inf_record_load(&r, src, len, &je))
			fz_fail("the core rejects fixed record %s: %s", src, je.msg);
		got.n = want.n = 0;
		got.mode = mode;
		got.base = src;
		got.t = &t;
		if ((rc = inf_walk(&r, ps, visitor, &got)))
			fz_fail("inf_walk returned %d", rc);
		if (t.n[0].type == FZ_OBJECT || t.n[0].type == FZ_ARRAY)
			predict(&t, cls, mode, 0, &want, removed);
		compare_walks(names[mode], src, &got, &want);
		if (mode == WALK_ALL) {
			int found = inf_find(&r, ps);
			size_t flen;
			for (size_t i = 0; i < want.n && first_full < 0; i++)
				if (want.v[i].m == 2)
					first_full = (int)want.v[i].off;
			FZ_CHECK((found < 0 && first_full < 0) ||
					 (found >= 0 && inf_record_raw(&r, found, &flen) == src + first_full),
				 "inf_find over %s: found node %d, first full match at byte %d", src,
				 found, first_full);
		}
	}
	/* the removals of the last walk: emit, walk again, commit */
	inf_buf_reset(&out);
	if (inf_record_emit(&r, &out))
		fz_fail("inf_record_emit: out of memory");
	canon_tree(&t, src, removed, 0, &wantc);
	if (fz_canon_record(out.data ? out.data : "", out.len, MAX_DEPTH, 0, &gotc, NULL))
		fz_fail("removing over %s left invalid JSON: [%.*s]", src, (int)out.len, out.data);
	FZ_CHECK(fz_buf_eq(&wantc, &gotc), "removing over %s: tokens [%s], expected [%s]", src,
		 gotc.p, wantc.p);
	FZ_CHECK(fz_subsequence(out.data, out.len, src, len),
		 "removing over %s gave [%.*s], not a deletion", src, (int)out.len, out.data);
	got.n = want.n = 0;
	got.mode = WALK_ALL;
	if (inf_walk(&r, ps, visitor, &got))
		fz_fail("inf_walk after removals failed");
	if (t.n[0].type == FZ_OBJECT || t.n[0].type == FZ_ARRAY)
		predict(&t, cls, WALK_ALL, 0, &want, removed);
	compare_walks("walk after removals", src, &got, &want);
	if (inf_record_commit(&r, &je))
		fz_fail("commit after removals over %s: %s", src, je.msg);
	FZ_CHECK(r.len == out.len && !memcmp(r.js, out.data, out.len),
		 "commit over %s differs from emit", src);

	inf_record_free(&r);
	inf_buf_free(&out);
	fz_buf_free(&wantc);
	fz_buf_free(&gotc);
	fz_buf_free(&got.dec);
	free(got.v);
	free(want.v);
	free(cls);
	free(removed);
	for (size_t k = 0; k < np; k++)
		free(reach[k]);
	fz_tree_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), err[512];
	const char *texts[MAX_PATHS];
	struct rp_path ref[MAX_PATHS];
	struct inf_paths *ps = NULL;
	size_t n = 0, at = 0;
	int want = 1, rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (n < MAX_PATHS) {
		texts[n++] = buf + at;
		at += strlen(buf + at) + 1;
		if (at > size)
			break;
	}
	/* the core stops at the first bad path */
	for (size_t k = 0; k < n && want == 1; k++)
		if ((want = rp_parse(texts[k], &ref[k])) != 1)
			for (size_t j = 0; j < k; j++)
				rp_free(&ref[j]);
	err[0] = '\0';
	rc = inf_paths_compile(texts, n, &ps, err, sizeof err);
	if (rc == INF_ERR_NOMEM)
		goto out;
	if (want >= 0)
		FZ_CHECK((rc == 0) == (want == 1), "paths %s by the core, %s by the reference: %s",
			 rc ? "refused" : "compiled", want ? "valid" : "invalid", rc ? err : texts[0]);
	if (rc) {
		FZ_CHECK(rc == INF_ERR_INVALID && ps == NULL, "refused paths: rc %d", rc);
		FZ_CHECK(!strncmp(err, "bad path \"", 10), "refused paths: message [%s]", err);
		goto out;
	}
	FZ_CHECK(ps && inf_paths_count(ps) == n, "compiled %zu paths into %zu", n,
		 inf_paths_count(ps));
	if (want == 1)
		for (size_t k = 0; k < FZ_NRECORDS; k++)
			walk_record(ps, ref, n, fz_records[k]);
	for (size_t k = 0; k < n && want == 1; k++)
		rp_free(&ref[k]);
out:
	inf_paths_free(ps);
	free(buf);
	return 0;
}
