/*
 * Committing a step's edits: the record's bytes are rewritten once with
 * the edits applied (inf_record_emit_ranges) and its tokens are relocated
 * instead of read again. A kept token moves by what the edits before it
 * added or removed; tokens inside a removed or replaced span go; the
 * tokens of inserted text (a replacement value, or an inserted member)
 * come from tokenizing only that text, which the edit already validated.
 * Sizes are adjusted for the children dropped and added. When every
 * edit replaces a scalar by a scalar (mask_fields), no token comes or
 * goes: they move where they are, and a replaced one reads its type and
 * place from its new text. Such edits need not even be applied before
 * the next step (inf_record_step_done): they wait for the final emit, or
 * for the first host service that could see them (inf_record_flush,
 * which moves the tokens in place, so the nodes a step holds stay valid).
 *
 * The result is exactly the token array inf_json_parse would give for
 * the new bytes: tests/check_record.c compares the two on random edits,
 * and the fuzz build (INF_VERIFY_COMMIT) checks it on every commit.
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for `more` tokens in t. */
static inline int room(struct inf_tokens *t, size_t more)
{
	size_t cap = t->cap;
	int rc = inf_array_grow(&t->tok, &cap, (size_t)t->n + more, sizeof *t->tok);

	t->cap = (unsigned)cap;
	return rc;
}

/* Appends the tokens of the JSON value `text` found at new offset `at`,
 * its root under `parent` (whose size it adds to), nested under `depth`
 * containers. */
static int add_value(struct inf_record *r, const char *text, size_t len,
		     int at, int parent, unsigned depth, struct inf_json_err *err)
{
	struct inf_tokens *nt = &r->next;
	int rc, base;

	if ((rc = inf_record_check_value(r, text, len, depth, err)))
		return rc;
	/* room for these and for every old token still to come */
	if ((rc = room(nt, (size_t)r->snippet.n + (size_t)r->toks.n)))
		return rc;
	base = nt->n;
	for (int k = 0; k < r->snippet.n; k++) {
		jsmntok_t t = r->snippet.tok[k];
		t.start += at;
		t.end += at;
		t.parent = t.parent < 0 ? parent : base + t.parent;
		nt->tok[nt->n++] = t;
	}
	if (parent >= 0)
		nt->tok[parent].size++;
	nt->key_escapes |= r->snippet.key_escapes;
	return 0;
}

/* Appends the tokens a range inserts, its text starting at new offset
 * `at`. */
static int add_range_tokens(struct inf_record *r, const struct inf_range *g,
			    int at, struct inf_json_err *err)
{
	const struct inf_tokens *ot = &r->toks;
	struct inf_tokens *nt = &r->next;
	size_t q = 1;
	int key, obj, rc;

	if (g->kind == INF_EDIT_REPLACE) {
		int p = ot->tok[g->node].parent;
		return add_value(r, g->text, g->tlen, at, p < 0 ? -1 : r->map[p],
				 inf_tok_depth(ot, g->node), err);
	}
	if (g->kind != INF_EDIT_INSERT)
		return 0;
	/* "key":value, the key quoted by the core */
	while (g->text[q] != '"')
		q += g->text[q] == '\\' ? 2 : 1;
	if ((rc = room(nt, 1 + (size_t)r->toks.n)))
		return rc;
	obj = r->map[g->node];
	key = nt->n++;
	nt->tok[key] = (jsmntok_t){ JSMN_STRING, at + 1, at + (int)q, 0, obj };
	nt->tok[obj].size++;
	if (memchr(g->text + 1, '\\', q - 1))
		nt->key_escapes = 1;
	return add_value(r, g->text + q + 2, g->tlen - q - 2, at + (int)q + 2, key,
			 inf_tok_depth(ot, g->node) + 1, err);
}

/* Bytes the applied ranges ending at or before old offset `b` add (a
 * negative count removes). */
static long shift_at(const struct inf_record *r, size_t n, size_t b)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* ranges are in order and do not overlap */
		size_t mid = lo + (hi - lo) / 2;
		if (r->ranges[mid].end <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? r->shift[lo - 1] : 0;
}

/* Builds r->next from r->toks and the `n` applied ranges. Old tokens are
 * visited once, in order; between two ranges they all move by the same
 * amount, so the common token costs two compares besides its copy. Sizes
 * are kept and adjusted: a dropped token takes one from its kept parent,
 * an inserted root adds one to its parent. */
static int relocate(struct inf_record *r, size_t n, struct inf_json_err *err)
{
	const struct inf_tokens *ot = &r->toks;
	struct inf_tokens *nt = &r->next;
	const jsmntok_t *old = ot->tok;
	size_t ri = 0, next = n ? r->ranges[0].start : SIZE_MAX, cut = 0;
	long before = 0; /* what the ranges applied so far add */
	int rc, i, nn, *map; /* nn: nt->n, kept out of memory in the loop */
	jsmntok_t *dst;

	nt->n = 0;
	nt->key_escapes = ot->key_escapes;
	if ((rc = inf_array_grow(&r->map, &r->map_cap, (size_t)ot->n, sizeof *r->map)) ||
	    (rc = inf_array_grow(&r->shift, &r->shift_cap, n, sizeof *r->shift)) ||
	    (rc = room(nt, (size_t)ot->n)))
		return rc;
	for (size_t k = 0; k < n; k++)
		r->shift[k] = (k ? r->shift[k - 1] : 0) + (long)r->ranges[k].tlen -
			      (long)(r->ranges[k].end - r->ranges[k].start);
	map = r->map;
	dst = nt->tok;
	/* before the first range nothing moves: a straight copy, and only
	 * the containers that hold an edit get a new end */
	for (i = 0; i < ot->n && (size_t)inf_tok_raw_start(&old[i]) < next; i++) {
		map[i] = i;
		dst[i] = old[i];
		if ((dst[i].type == JSMN_OBJECT || dst[i].type == JSMN_ARRAY) &&
		    (size_t)dst[i].end - 1 >= next)
			dst[i].end += (int)shift_at(r, n, (size_t)dst[i].end - 1);
	}
	nn = i;
	for (; i < ot->n; i++) {
		jsmntok_t tt = old[i];
		size_t rs = (size_t)inf_tok_raw_start(&tt), last;

		if (rs >= next) {
			/* inserted text comes before the first token at or
			 * after it; room is made again for the old tokens */
			nt->n = nn;
			for (; ri < n && r->ranges[ri].start <= rs; ri++) {
				const struct inf_range *g = &r->ranges[ri];
				if ((rc = add_range_tokens(r, g, (int)((long)g->start + before), err)))
					return rc;
				before = r->shift[ri];
			}
			cut = r->ranges[ri - 1].end;
			next = ri < n ? r->ranges[ri].start : SIZE_MAX;
			dst = nt->tok;
			nn = nt->n;
		}
		if (rs < cut) { /* inside a removed or replaced span */
			map[i] = -1;
			if (tt.parent >= 0 && map[tt.parent] >= 0)
				dst[map[tt.parent]].size--;
			continue;
		}
		/* only a container with an edit inside moves its end further */
		last = (size_t)inf_tok_raw_end(&tt) - 1;
		tt.end += (int)(last < next ? before : shift_at(r, n, last));
		tt.start += (int)before;
		if (tt.parent >= 0)
			tt.parent = map[tt.parent];
		map[i] = nn;
		dst[nn++] = tt;
	}
	nt->n = nn;
	for (; ri < n; ri++) { /* text inserted after the last token */
		const struct inf_range *g = &r->ranges[ri];
		if ((rc = add_range_tokens(r, g, (int)((long)g->start + before), err)))
			return rc;
		before = r->shift[ri];
	}
	return 0;
}

/* The first and last byte of JSON text that is not whitespace. */
static void trim(const char *text, size_t len, size_t *a, size_t *b)
{
	*a = 0;
	*b = len;
	while (*a < *b && inf_json_ws(text[*a]))
		(*a)++;
	while (*b > *a && inf_json_ws(text[*b - 1]))
		(*b)--;
}

/* Whether each of the `n` applied ranges replaces a string, number,
 * boolean or null by another: the tokens then keep their number, order,
 * parents and sizes, and only move (mask_fields' usual edits). */
static int scalars_replaced(const struct inf_record *r, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		const struct inf_range *g = &r->ranges[k];
		size_t a, b;
		int type;
		if (g->kind != INF_EDIT_REPLACE)
			return 0;
		type = r->toks.tok[g->node].type;
		trim(g->text, g->tlen, &a, &b);
		if (type == JSMN_OBJECT || type == JSMN_ARRAY || a == b ||
		    g->text[a] == '{' || g->text[a] == '[')
			return 0;
	}
	return 1;
}

/* relocate for scalars_replaced edits, on r->toks itself: a replaced
 * token takes its new text's type and place (the text is one scalar the
 * edit validated: a string when it starts with a quote), the others move
 * by what the ranges before them add, a container's end by what the
 * ranges inside it add too. Returns 0 or INF_ERR_NOMEM. */
static int relocate_scalars(struct inf_record *r, size_t n)
{
	jsmntok_t *tk = r->toks.tok;
	long before = 0;
	size_t ri = 0, next = r->ranges[0].start;
	int rc;

	if ((rc = inf_array_grow(&r->shift, &r->shift_cap, n, sizeof *r->shift)))
		return rc;
	for (size_t k = 0; k < n; k++)
		r->shift[k] = (k ? r->shift[k - 1] : 0) + (long)r->ranges[k].tlen -
			      (long)(r->ranges[k].end - r->ranges[k].start);
	for (int i = 0; i < r->toks.n; i++) {
		jsmntok_t *t = &tk[i];
		if (ri < n && i == r->ranges[ri].node) {
			const struct inf_range *g = &r->ranges[ri];
			int at = (int)((long)g->start + before);
			size_t a, b;
			trim(g->text, g->tlen, &a, &b);
			if (g->text[a] == '"') {
				t->type = JSMN_STRING;
				t->start = at + (int)a + 1;
				t->end = at + (int)b - 1;
			} else {
				t->type = JSMN_PRIMITIVE;
				t->start = at + (int)a;
				t->end = at + (int)b;
			}
			before = r->shift[ri++];
			next = ri < n ? r->ranges[ri].start : SIZE_MAX;
			continue;
		}
		if ((t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) &&
		    (size_t)t->end - 1 >= next) /* an edit inside it is still to come */
			t->end += (int)shift_at(r, n, (size_t)t->end - 1);
		else
			t->end += (int)before;
		t->start += (int)before;
	}
	return 0;
}

#ifdef INF_VERIFY_COMMIT
void inf_record_verify(const struct inf_record *r)
{
	struct inf_tokens fresh = { 0 };
	struct inf_json_err e;

	if (inf_json_parse(&fresh, r->js, r->len, r->max_depth, &e) ||
	    fresh.n != r->toks.n ||
	    memcmp(fresh.tok, r->toks.tok, (size_t)fresh.n * sizeof *fresh.tok))
		abort();
	inf_tokens_free(&fresh);
}
#endif

/* Applies the first r->nedits edits: the bytes rewritten into the other
 * work buffer, the tokens relocated (in place when `in_place`, which the
 * edits must then allow: INF_ERR_INVALID otherwise, nothing changed). */
static int apply(struct inf_record *r, int in_place, struct inf_json_err *err)
{
	struct inf_buf *dst;
	struct inf_tokens swap;
	size_t n;
	int rc, scalars;

	if ((rc = inf_record_ranges(r, &n)))
		return rc;
	scalars = scalars_replaced(r, n);
	if (in_place && !scalars)
		return INF_ERR_INVALID;
	dst = &r->work[r->cur_work ^ 1];
	inf_buf_reset(dst);
	if ((rc = inf_record_emit_ranges(r, n, dst)))
		return rc;
	if (dst->len > (size_t)INT32_MAX - 2) {
		err->offset = 0;
		snprintf(err->msg, sizeof err->msg, "record too large for the tokenizer");
		return INF_ERR_LIMIT;
	}
	if (scalars) {
		if ((rc = relocate_scalars(r, n)))
			return rc;
	} else {
		if ((rc = relocate(r, n, err)))
			return rc;
		/* the new tokens become current; the old array is the next
		 * scratch */
		swap = r->toks;
		r->toks.tok = r->next.tok;
		r->toks.cap = r->next.cap;
		r->toks.n = r->next.n;
		r->toks.key_escapes = r->next.key_escapes;
		r->next.tok = swap.tok;
		r->next.cap = swap.cap;
		r->next.n = 0;
	}
	inf_record_use_work(r);
	return 0;
}

int inf_record_commit(struct inf_record *r, struct inf_json_err *err)
{
	int rc;

	if (r->nedits == 0)
		return 0;
	if ((rc = apply(r, 0, err)))
		return rc;
	r->nedits = 0;
	inf_inserts_forget(&r->inserts);
	r->carried = 0;
	inf_buf_reset(&r->edit_text);
	return inf_record_reset_marks(r);
}

/* Whether every pending edit replaces a string, number, boolean or null
 * by another (a node replaced and then removed has a removal too). */
static int edits_scalar(const struct inf_record *r)
{
	for (size_t i = 0; i < r->nedits; i++) {
		const struct inf_edit *e = &r->edits[i];
		const char *text;
		int type = r->toks.tok[e->tok].type;
		size_t a, b;

		if (e->kind != INF_EDIT_REPLACE || type == JSMN_OBJECT || type == JSMN_ARRAY)
			return 0;
		text = r->edit_text.data + e->off; /* a replacement has text */
		trim(text, e->len, &a, &b);
		if (a == b || text[a] == '{' || text[a] == '[')
			return 0;
	}
	return 1;
}

int inf_record_step_done(struct inf_record *r, struct inf_json_err *err)
{
	if (r->nedits == 0)
		return 0;
	if (edits_scalar(r)) {
		r->carried = r->nedits;
		return 0;
	}
	return inf_record_commit(r, err);
}

int inf_record_flush(struct inf_record *r, struct inf_json_err *err)
{
	size_t total = r->nedits, k = r->carried;
	int rc;

	if (k == 0)
		return 0;
	/* the carried edits come first; after them only inserts (record.h) */
	r->nedits = k;
	rc = apply(r, 1, err);
	r->nedits = total;
	if (rc)
		return rc;
	memmove(r->edits, r->edits + k, (total - k) * sizeof *r->edits);
	r->nedits = total - k;
	inf_inserts_shift(&r->inserts, k);
	r->carried = 0;
	/* only the carried nodes were marked; edit_text keeps the inserts' */
	return inf_record_reset_marks(r);
}
