#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX (1u << 29)

void inf_record_init(struct inf_record *r, unsigned max_depth)
{
	memset(r, 0, sizeof *r);
	r->max_depth = max_depth;
	r->gen = 1;
}

void inf_record_free(struct inf_record *r)
{
	inf_tokens_free(&r->toks);
	inf_tokens_free(&r->snippet);
	inf_buf_free(&r->snippet_text);
	inf_buf_free(&r->edit_text);
	inf_buf_free(&r->scratch);
	inf_buf_free(&r->keybuf);
	inf_buf_free(&r->valbuf);
	inf_buf_free(&r->filtered);
	inf_buf_free(&r->work[0]);
	inf_buf_free(&r->work[1]);
	free(r->edits);
	inf_inserts_free(&r->inserts);
	free(r->mark);
	free(r->states);
	free(r->stamp);
	free(r->ranges);
	inf_tokens_free(&r->next);
	free(r->kids);
	free(r->map);
	free(r->shift);
	memset(r, 0, sizeof *r);
}

int inf_record_reset_marks(struct inf_record *r)
{
	unsigned need = (unsigned)r->toks.n;

	if (++r->gen >= GEN_MAX) {
		if (r->mark)
			memset(r->mark, 0, r->mark_cap * sizeof *r->mark);
		r->gen = 1;
	}
	if (need > r->mark_cap) {
		size_t old = r->mark_cap;
		if (inf_array_grow(&r->mark, &r->mark_cap, need, sizeof *r->mark))
			return INF_ERR_NOMEM;
		memset(r->mark + old, 0, (r->mark_cap - old) * sizeof *r->mark);
	}
	return 0;
}

int inf_record_load(struct inf_record *r, const char *js, size_t len,
		    struct inf_json_err *err)
{
	int rc;

	r->js = js;
	r->len = len;
	r->nedits = 0;
	inf_inserts_forget(&r->inserts);
	r->carried = 0;
	r->service_rc = 0;
	inf_buf_reset(&r->edit_text);
	rc = inf_json_parse(&r->toks, js, len, r->max_depth, err);
	if (rc) {
		r->toks.n = 0;
		return rc;
	}
	return inf_record_reset_marks(r);
}

int inf_record_load_dropping(struct inf_record *r, const char *js, size_t len,
			     const struct inf_dropkeys *keys, struct inf_json_err *err)
{
	struct inf_buf *dst = &r->work[r->cur_work ^ 1];
	size_t removed;
	int rc;

	r->nedits = 0;
	inf_inserts_forget(&r->inserts);
	r->carried = 0;
	r->service_rc = 0;
	inf_buf_reset(&r->edit_text);
	inf_buf_reset(dst);
	rc = inf_json_drop_top_tokens(&r->toks, js, len, r->max_depth, keys, dst,
				      &removed, err);
	if (rc) {
		r->toks.n = 0;
		return rc;
	}
	inf_record_use_work(r);
	return inf_record_reset_marks(r);
}

void inf_record_use_work(struct inf_record *r)
{
	const struct inf_buf *dst = &r->work[r->cur_work ^ 1];

	r->cur_work ^= 1;
	r->js = dst->data;
	r->len = dst->len;
#ifdef INF_VERIFY_COMMIT
	inf_record_verify(r);
#endif
}

static int mark_kind(const struct inf_record *r, int tok)
{
	return inf_record_hidden(r, tok) ? (int)(r->mark[tok] & 3u) : 0;
}

static int container_of(const struct inf_record *r, int node);

/* Keeps r->ordered: whether the edits, with one of `kind` on `tok` added,
 * all remove children of one container in document order. */
static void note_order(struct inf_record *r, int tok, int kind)
{
	int ct;

	if (kind != INF_EDIT_REMOVE) {
		r->ordered = 0;
		return;
	}
	ct = container_of(r, tok);
	if (r->nedits == 0) {
		r->ordered = 1;
		r->ordered_ct = ct;
	} else if (ct != r->ordered_ct || tok <= r->edits[r->nedits - 1].tok) {
		r->ordered = 0;
	}
}

static int add_edit(struct inf_record *r, int tok, int kind, size_t off,
		    size_t len)
{
	if (r->nedits == r->edits_cap &&
	    inf_array_grow(&r->edits, &r->edits_cap, r->nedits + 1, sizeof *r->edits))
		return INF_ERR_NOMEM;
	note_order(r, tok, kind);
	r->edits[r->nedits].tok = tok;
	r->edits[r->nedits].kind = kind;
	r->edits[r->nedits].off = off;
	r->edits[r->nedits].len = len;
	r->nedits++;
	if (kind != INF_EDIT_INSERT)
		r->mark[tok] = (r->gen << 2) | (uint32_t)kind;
	return 0;
}

static int valid_node(const struct inf_record *r, int node)
{
	return node >= 0 && node < r->toks.n;
}

/* A value node: the root, an array element or a member's value. */
static int is_value_node(const struct inf_record *r, int node)
{
	int p;

	if (!valid_node(r, node))
		return 0;
	p = r->toks.tok[node].parent;
	return p < 0 || r->toks.tok[p].type != JSMN_OBJECT;
}

/* The object or array that holds value node `node`, or -1 for the root. */
static int container_of(const struct inf_record *r, int node)
{
	int p = r->toks.tok[node].parent;

	if (p >= 0 && r->toks.tok[p].type == JSMN_STRING)
		p = r->toks.tok[p].parent;
	return p;
}

int inf_record_remove(struct inf_record *r, int node)
{
	if (!is_value_node(r, node) || node == 0)
		return INF_ERR_INVALID;
	if (mark_kind(r, node) == INF_EDIT_REMOVE)
		return 0;
	return add_edit(r, node, INF_EDIT_REMOVE, 0, 0);
}

/* Records `text` as the new value of `node`; a second replacement of the
 * same node supersedes the first. */
static int replace_text(struct inf_record *r, int node, size_t off, size_t len)
{
	if (mark_kind(r, node) == INF_EDIT_REPLACE) {
		for (size_t i = 0; i < r->nedits; i++)
			if (r->edits[i].tok == node &&
			    r->edits[i].kind == INF_EDIT_REPLACE) {
				r->edits[i].off = off;
				r->edits[i].len = len;
				return 0;
			}
	}
	return add_edit(r, node, INF_EDIT_REPLACE, off, len);
}

int inf_record_check_value(struct inf_record *r, const char *json, size_t len,
			   unsigned depth, struct inf_json_err *err)
{
	unsigned max_depth = depth < r->max_depth ? r->max_depth - depth : 0;
	int rc;

	/* a step that sets the same value in every record parses it once */
	if (r->snippet_ok && len == r->snippet_text.len && max_depth == r->snippet_depth &&
	    r->toks.max_key == r->snippet_key && memcmp(json, r->snippet_text.data, len) == 0)
		return 0;
	r->snippet_ok = 0;
	r->snippet.max_key = r->toks.max_key; /* keys inside count too */
	rc = inf_json_parse(&r->snippet, json, len, max_depth, err);
	r->snippet.max_key = 0;
	if (rc == 0) {
		inf_buf_reset(&r->snippet_text);
		/* without memory for the copy, the next check parses again */
		r->snippet_ok = inf_buf_append(&r->snippet_text, json, len) == 0;
		r->snippet_depth = max_depth;
		r->snippet_key = r->toks.max_key;
	}
	if (rc == INF_ERR_LIMIT && strstr(err->msg, "max_depth"))
		snprintf(err->msg, sizeof err->msg,
			 "an inserted value nests deeper than max_depth (%u)", r->max_depth);
	else if (rc == INF_ERR_LIMIT && strstr(err->msg, "max_key_bytes"))
		snprintf(err->msg, sizeof err->msg,
			 "an inserted key is longer than max_key_bytes (%zu)", r->toks.max_key);
	return rc;
}

/* Whether an inserted key of `raw` bytes between its quotes is within
 * max_key: 0, or INF_ERR_LIMIT with `err` saying why. */
static int check_key(const struct inf_record *r, size_t raw,
		     struct inf_json_err *err)
{
	if (!r->toks.max_key || raw <= r->toks.max_key)
		return 0;
	snprintf(err->msg, sizeof err->msg,
		 "an inserted key is longer than max_key_bytes (%zu)", r->toks.max_key);
	return INF_ERR_LIMIT;
}

int inf_record_replace_json(struct inf_record *r, int node, const char *json,
			    size_t len)
{
	size_t off = r->edit_text.len;
	int rc;

	if (!is_value_node(r, node) || mark_kind(r, node) == INF_EDIT_REMOVE)
		return INF_ERR_INVALID;
	if ((rc = inf_record_check_value(r, json, len,
					 inf_tok_depth(&r->toks, node), &r->edit_err)))
		return rc;
	if ((rc = inf_buf_append(&r->edit_text, json, len)))
		return rc;
	inf_json_flatten(r->edit_text.data + off, len);
	return replace_text(r, node, off, len);
}

int inf_record_replace_string(struct inf_record *r, int node, const char *s,
			      size_t len)
{
	size_t off = r->edit_text.len;
	int rc;

	if (!is_value_node(r, node) || mark_kind(r, node) == INF_EDIT_REMOVE)
		return INF_ERR_INVALID;
	if ((rc = inf_json_quote(&r->edit_text, s, len)))
		return rc;
	return replace_text(r, node, off, r->edit_text.len - off);
}

const char *inf_record_key(struct inf_record *r, int key, size_t *len)
{
	const jsmntok_t *t = &r->toks.tok[key];

	if (!r->toks.key_escapes) { /* no key holds a backslash: raw is decoded */
		*len = (size_t)(t->end - t->start);
		return r->js + t->start;
	}
	return inf_json_unescape(r->js + t->start, (size_t)(t->end - t->start),
				 &r->keybuf, len);
}

struct same_insert {
	const struct inf_record *r;
	int obj;
	const char *kq;
	size_t q;
};

/* Whether edit e inserts into the object the member whose text starts
 * with the same quoted key. */
static int same_insert(size_t e, void *ctx)
{
	const struct same_insert *c = ctx;
	const struct inf_edit *ed = &c->r->edits[e];

	return ed->kind == INF_EDIT_INSERT && ed->tok == c->obj && ed->len >= c->q &&
	       !memcmp(c->r->edit_text.data + ed->off, c->kq, c->q);
}

int inf_record_set_json(struct inf_record *r, int obj, const char *key,
			size_t keylen, const char *json, size_t len,
			int overwrite)
{
	struct same_insert same;
	const jsmntok_t *o;
	int found = 0, rc, limit, k, i;
	size_t off, e;
	uint64_t hash;

	if (!valid_node(r, obj) || r->toks.tok[obj].type != JSMN_OBJECT ||
	    mark_kind(r, obj))
		return INF_ERR_INVALID;
	/* the limits are the output's: over one, a member that is there
	 * and stays as it is fails nothing */
	limit = inf_record_check_value(r, json, len, inf_tok_depth(&r->toks, obj) + 1,
				       &r->edit_err);
	if (limit && limit != INF_ERR_LIMIT)
		return limit;
	o = &r->toks.tok[obj];
	for (k = obj + 1, i = 0; i < o->size; i++, k = inf_tok_skip(&r->toks, k + 1)) {
		size_t kl;
		const char *kn;
		if (!r->toks.key_escapes && (size_t)(r->toks.tok[k].end - r->toks.tok[k].start) != keylen)
			continue; /* its raw bytes are its key, of another length */
		if (mark_kind(r, k + 1) == INF_EDIT_REMOVE)
			continue;
		kn = inf_record_key(r, k, &kl);
		if (!kn)
			return INF_ERR_NOMEM;
		if (kl != keylen || memcmp(kn, key, keylen))
			continue;
		found = 1;
		if (overwrite && limit)
			return limit;
		if (overwrite && (rc = inf_record_replace_json(r, k + 1, json, len)))
			return rc;
	}
	if (found)
		return 0;
	if (limit)
		return limit;
	off = r->edit_text.len;
	if ((rc = inf_json_quote(&r->edit_text, key, keylen)))
		return rc;
	if ((rc = check_key(r, r->edit_text.len - off - 2, &r->edit_err))) {
		r->edit_text.len = off;
		return rc;
	}
	if ((rc = inf_buf_putc(&r->edit_text, ':')) ||
	    (rc = inf_buf_append(&r->edit_text, json, len)))
		return rc;
	inf_json_flatten(r->edit_text.data + r->edit_text.len - len, len);
	/* the key inserted into obj once already, by this step: one member,
	 * never two (readers would take either); overwrite gives it this
	 * value, else the first stays */
	same = (struct same_insert){ r, obj, r->edit_text.data + off,
				     r->edit_text.len - off - len };
	hash = inf_inserts_hash(obj, same.kq, same.q);
	if ((e = inf_inserts_find(&r->inserts, hash, same_insert, &same)) != (size_t)-1) {
		if (overwrite) {
			r->edits[e].off = off;
			r->edits[e].len = r->edit_text.len - off;
		} else {
			r->edit_text.len = off;
		}
		return 0;
	}
	if ((rc = inf_inserts_reserve(&r->inserts)) ||
	    (rc = add_edit(r, obj, INF_EDIT_INSERT, off, r->edit_text.len - off))) {
		r->edit_text.len = off;
		return rc;
	}
	inf_inserts_add(&r->inserts, hash, r->nedits - 1);
	return 0;
}

int inf_record_set_string(struct inf_record *r, int obj, const char *key,
			  size_t keylen, const char *s, size_t len,
			  int overwrite)
{
	int rc;

	inf_buf_reset(&r->valbuf);
	if ((rc = inf_json_quote(&r->valbuf, s, len)))
		return rc;
	return inf_record_set_json(r, obj, key, keylen, r->valbuf.data,
				   r->valbuf.len, overwrite);
}

enum inf_type inf_record_type(struct inf_record *r, int node)
{
	const jsmntok_t *t;

	if (!valid_node(r, node))
		return INF_NONE;
	t = &r->toks.tok[node];
	switch (t->type) {
	case JSMN_OBJECT: return INF_OBJECT;
	case JSMN_ARRAY: return INF_ARRAY;
	case JSMN_STRING: return INF_STRING;
	case JSMN_PRIMITIVE: return inf_json_type(r->js[t->start]);
	default: return INF_NONE;
	}
}

const char *inf_record_raw(struct inf_record *r, int node, size_t *len)
{
	const jsmntok_t *t;

	if (!valid_node(r, node))
		return NULL;
	t = &r->toks.tok[node];
	*len = (size_t)(inf_tok_raw_end(t) - inf_tok_raw_start(t));
	return r->js + inf_tok_raw_start(t);
}

const char *inf_record_string(struct inf_record *r, int node, size_t *len)
{
	const jsmntok_t *t;

	if (!valid_node(r, node) || r->toks.tok[node].type != JSMN_STRING)
		return NULL;
	t = &r->toks.tok[node];
	return inf_json_unescape(r->js + t->start, (size_t)(t->end - t->start),
				 &r->scratch, len);
}

/* ---- applying edits ---- */

static int add_range(struct inf_record *r, size_t *n, size_t start, size_t end,
		     const char *text, size_t tlen, int kind, int node)
{
	if (*n == r->ranges_cap &&
	    inf_array_grow(&r->ranges, &r->ranges_cap, *n + 1, sizeof *r->ranges))
		return INF_ERR_NOMEM;
	r->ranges[*n] = (struct inf_range){ start, end, text, tlen, *n, kind, node };
	(*n)++;
	return 0;
}

/* Removals and inserts are keyed by the container they change, sorted,
 * and each container handled once: a record with removals in many
 * containers (every element of a long array) costs n log n, not n^2.
 * Key: INSERT_KEY for an insert, the container's token << 32, then the
 * removed child (its key token in an object) or the insert's edit index. */
#define INSERT_KEY (1ull << 63)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Whether k[0..n) is in order already: one step's inserts into one
 * object, or removals made front to back, need no sort. */
static int keys_sorted(const uint64_t *k, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (k[i - 1] > k[i])
			return 0;
	return 1;
}

static void sort_keys(uint64_t *k, size_t n)
{
	if (n > 8) {
		if (keys_sorted(k, n))
			return;
		qsort(k, n, sizeof *k, cmp_u64);
		return;
	}
	for (size_t i = 1; i < n; i++) /* a record's edits are few */
		for (size_t j = i; j > 0 && k[j - 1] > k[j]; j--) {
			uint64_t t = k[j];
			k[j] = k[j - 1];
			k[j - 1] = t;
		}
}

/* Deletion ranges for the removed children `kids` (nk, in document
 * order) of container `ct`, chosen so that the commas left behind stay
 * right and ranges never overlap: a removed child takes the comma before
 * it when a kept child precedes it, else the comma after it (none when it
 * is the last).
 *
 * Only the removed children are looked at, not all of them: between two
 * siblings the text holds whitespace and one comma, so a child's
 * neighbours are found by stepping over those bytes. */
static int container_removals(struct inf_record *r, int ct, const uint64_t *kids,
			      size_t nk, size_t *n)
{
	const jsmntok_t *tk = r->toks.tok;
	const char *js = r->js;
	int is_obj = tk[ct].type == JSMN_OBJECT, leading = 1, rc;
	size_t last_end = 0;

	for (size_t i = 0; i < nk; i++) {
		int c = (int)(uint32_t)kids[i], is_first, is_last;
		size_t s = (size_t)inf_tok_raw_start(&tk[c]);
		size_t e = (size_t)inf_tok_raw_end(&tk[is_obj ? c + 1 : c]);
		size_t prev_end = s, next_start = e;

		while (inf_json_ws(js[prev_end - 1]))
			prev_end--;
		is_first = js[prev_end - 1] != ',';
		if (!is_first)
			for (prev_end--; inf_json_ws(js[prev_end - 1]); prev_end--)
				;
		while (inf_json_ws(js[next_start]))
			next_start++;
		is_last = js[next_start] != ',';
		if (!is_last)
			for (next_start++; inf_json_ws(js[next_start]); next_start++)
				;
		/* no kept child before this one: it is the first, or its
		 * previous sibling is the previous removal and none was kept
		 * before that one either */
		leading = is_first || (leading && i > 0 && prev_end == last_end);
		if (!leading)
			rc = add_range(r, n, prev_end, e, "", 0, 0, -1);
		else if (!is_last)
			rc = add_range(r, n, s, next_start, "", 0, 0, -1);
		else
			rc = add_range(r, n, s, e, "", 0, 0, -1);
		if (rc)
			return rc;
		last_end = e;
	}
	return 0;
}

/* The inserts `keys` (ni, in edit order) into object `obj`: each goes
 * after the object's last member, with a comma when a kept member or an
 * earlier insert precedes it. */
static int object_inserts(struct inf_record *r, int obj, const uint64_t *keys,
			  size_t ni, size_t *n)
{
	const jsmntok_t *tk = r->toks.tok;
	int c = obj + 1, last = -1, comma = 0, rc;
	size_t pos;

	if (tk[obj].size > 0) {
		/* the last member's key: the last token of the object's
		 * subtree whose parent it is, found from the end */
		for (last = inf_tok_skip_container(&r->toks, obj) - 1; tk[last].parent != obj; last--)
			;
		comma = mark_kind(r, last + 1) != INF_EDIT_REMOVE;
	}
	for (int i = 0; !comma && i < tk[obj].size; i++) { /* it is removed: another kept? */
		if (mark_kind(r, c + 1) != INF_EDIT_REMOVE)
			comma = 1;
		c = inf_tok_skip(&r->toks, c);
	}
	pos = last < 0 ? (size_t)tk[obj].start + 1 : (size_t)inf_tok_raw_end(&tk[last + 1]);
	for (size_t k = 0; k < ni; k++) {
		const struct inf_edit *e = &r->edits[(uint32_t)keys[k]];
		if (comma && (rc = add_range(r, n, pos, pos, ",", 1, 0, -1)))
			return rc;
		if ((rc = add_range(r, n, pos, pos, r->edit_text.data + e->off, e->len,
				    INF_EDIT_INSERT, obj)))
			return rc;
		comma = 1;
	}
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct inf_range *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static int build_ranges(struct inf_record *r, size_t *count)
{
	const jsmntok_t *tk = r->toks.tok;
	size_t n = 0, nk = 0;
	int rc;

	if (r->nedits > r->kids_cap &&
	    inf_array_grow(&r->kids, &r->kids_cap, r->nedits, sizeof *r->kids))
		return INF_ERR_NOMEM;
	for (size_t i = 0; i < r->nedits; i++) {
		const struct inf_edit *e = &r->edits[i];
		int ct;

		switch (e->kind) {
		case INF_EDIT_REPLACE:
			if (mark_kind(r, e->tok) != INF_EDIT_REPLACE)
				break;
			/* no text yet when every edit is a removal: NULL + 0 is UB */
			rc = add_range(r, &n, (size_t)inf_tok_raw_start(&tk[e->tok]),
				       (size_t)inf_tok_raw_end(&tk[e->tok]),
				       r->edit_text.data ? r->edit_text.data + e->off : "",
				       e->len, INF_EDIT_REPLACE, e->tok);
			if (rc)
				return rc;
			break;
		case INF_EDIT_REMOVE:
			if (mark_kind(r, e->tok) != INF_EDIT_REMOVE)
				break;
			ct = container_of(r, e->tok);
			r->kids[nk++] = (uint64_t)ct << 32 |
					(uint32_t)(tk[ct].type == JSMN_OBJECT ? tk[e->tok].parent : e->tok);
			break;
		case INF_EDIT_INSERT:
			r->kids[nk++] = INSERT_KEY | (uint64_t)e->tok << 32 | (uint32_t)i;
			break;
		}
	}
	sort_keys(r->kids, nk);
	for (size_t a = 0, b; a < nk; a = b) {
		uint64_t group = r->kids[a] >> 32;
		int ct = (int)(uint32_t)(group & 0x7fffffffu);
		for (b = a + 1; b < nk && r->kids[b] >> 32 == group; b++)
			;
		rc = r->kids[a] & INSERT_KEY ? object_inserts(r, ct, r->kids + a, b - a, &n)
					     : container_removals(r, ct, r->kids + a, b - a, &n);
		if (rc)
			return rc;
	}
	if (n > 8) {
		size_t i = 1;
		while (i < n && cmp_range(&r->ranges[i - 1], &r->ranges[i]) <= 0)
			i++;
		if (i < n) /* out of order: sort (else in order already) */
			qsort(r->ranges, n, sizeof *r->ranges, cmp_range);
	} else { /* a record's edits are few: insertion sort, no call overhead */
		for (size_t i = 1; i < n; i++) {
			struct inf_range x = r->ranges[i];
			size_t j = i;
			for (; j > 0 && cmp_range(&r->ranges[j - 1], &x) > 0; j--)
				r->ranges[j] = r->ranges[j - 1];
			r->ranges[j] = x;
		}
	}
	*count = n;
	return 0;
}

/* build_ranges when the edits remove children of one container in
 * document order (r->ordered): the ranges come out in order and apart,
 * with nothing to sort or merge. */
static int ordered_ranges(struct inf_record *r, size_t *count)
{
	const jsmntok_t *tk = r->toks.tok;
	int in_obj = tk[r->ordered_ct].type == JSMN_OBJECT;

	*count = 0;
	if (r->nedits > r->kids_cap &&
	    inf_array_grow(&r->kids, &r->kids_cap, r->nedits, sizeof *r->kids))
		return INF_ERR_NOMEM;
	for (size_t i = 0; i < r->nedits; i++) {
		int c = r->edits[i].tok;
		r->kids[i] = (uint32_t)(in_obj ? tk[c].parent : c);
	}
	return container_removals(r, r->ordered_ct, r->kids, r->nedits, count);
}

int inf_record_ranges(struct inf_record *r, size_t *count)
{
	size_t n, kept = 0, pos = 0;
	int rc;

	/* `ordered` is only kept while edits are added: with none it is stale */
	if (r->ordered && r->nedits)
		return ordered_ranges(r, count);
	if ((rc = build_ranges(r, &n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct inf_range *g = &r->ranges[i];
		if (g->start < pos)
			continue; /* inside a range already replaced */
		r->ranges[kept++] = *g;
		pos = g->end;
	}
	*count = kept;
	return 0;
}

int inf_record_emit(struct inf_record *r, struct inf_buf *out)
{
	size_t n;
	int rc;

	if (r->nedits == 0)
		return inf_buf_append(out, r->js, r->len);
	if ((rc = inf_record_ranges(r, &n)))
		return rc;
	return inf_record_emit_ranges(r, n, out);
}

int inf_record_emit_ranges(struct inf_record *r, size_t n, struct inf_buf *out)
{
	size_t pos = 0, total = r->len;
	char *o;

	for (size_t i = 0; i < n; i++)
		total += r->ranges[i].tlen;
	if (inf_buf_reserve(out, total))
		return INF_ERR_NOMEM;
	o = out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		const struct inf_range *g = &r->ranges[i];
		memcpy(o, r->js + pos, g->start - pos);
		o += g->start - pos;
		if (g->tlen)
			memcpy(o, g->text, g->tlen);
		o += g->tlen;
		pos = g->end;
	}
	memcpy(o, r->js + pos, r->len - pos);
	o += r->len - pos;
	out->len = (size_t)(o - out->data);
	return 0;
}
