#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

enum seg_kind { SEG_KEY, SEG_INDEX, SEG_ANY_KEY, SEG_ANY_INDEX, SEG_DEEP };

struct inf_seg {
	enum seg_kind kind;
	char *name; /* SEG_KEY: decoded key */
	size_t len;
	long index; /* SEG_INDEX */
};

struct inf_path {
	struct inf_seg *segs;
	int nsegs;
	size_t segs_cap;
	size_t base; /* its states' (i = 0 .. nsegs) first index in the set's */
};

struct inf_paths {
	struct inf_path *paths;
	size_t n;
	int top_keys; /* every path is one plain key: the fast walk applies */
	int roots; /* bit INF_OBJECT / INF_ARRAY: some path starts there */
	size_t nstates; /* every path's states: sum of nsegs + 1 */
	/* top_keys: the keys' lengths and first bytes, for the fast walk and
	 * for inf_json_drop_top (match and ctx are set by inf_paths_dropkeys) */
	struct inf_dropkeys top;
};

static inline uint64_t len_bit(size_t len)
{
	return 1ull << (len & 63);
}

/* A matcher state: path `p` has consumed its first `i` segments. */
struct inf_walk_state {
	int p;
	int i;
};

size_t inf_paths_count(const struct inf_paths *ps)
{
	return ps ? ps->n : 0;
}

const char *inf_paths_key(const struct inf_paths *ps, size_t i, size_t *len)
{
	*len = ps->paths[i].segs[0].len;
	return ps->paths[i].segs[0].name;
}

void inf_paths_free(struct inf_paths *ps)
{
	if (!ps)
		return;
	for (size_t k = 0; k < ps->n; k++) {
		for (int j = 0; j < ps->paths[k].nsegs; j++)
			free(ps->paths[k].segs[j].name);
		free(ps->paths[k].segs);
	}
	free(ps->paths);
	free(ps);
}

struct parser {
	const char *s;
	size_t pos, len;
	char *err;
	size_t errlen;
};

static int perr(struct parser *p, const char *what)
{
	snprintf(p->err, p->errlen, "bad path \"%s\": %s at column %zu", p->s,
		 what, p->pos + 1);
	return INF_ERR_INVALID;
}

static int add_seg(struct inf_path *path, enum seg_kind kind, char *name,
		   size_t len, long index)
{
	if (inf_array_grow(&path->segs, &path->segs_cap, (size_t)path->nsegs + 1,
			   sizeof *path->segs)) {
		free(name);
		return INF_ERR_NOMEM;
	}
	path->segs[path->nsegs++] = (struct inf_seg){ kind, name, len, index };
	return 0;
}

/* A quoted key at p->pos: JSON string syntax, decoded. */
static int parse_quoted(struct parser *p, struct inf_path *path)
{
	size_t start = p->pos, i = p->pos + 1, dlen;
	struct inf_tokens toks = { 0 };
	struct inf_json_err je;
	struct inf_buf scratch = { 0 };
	const char *dec;
	char *name;
	int rc;

	while (i < p->len && p->s[i] != '"')
		i += p->s[i] == '\\' ? 2 : 1;
	if (i >= p->len)
		return perr(p, "unterminated quoted key");
	rc = inf_json_parse(&toks, p->s + start, i + 1 - start, 4, &je);
	inf_tokens_free(&toks);
	if (rc) {
		p->pos = start + je.offset;
		return rc == INF_ERR_NOMEM ? rc : perr(p, "invalid quoted key");
	}
	dec = inf_json_unescape(p->s + start + 1, i - start - 1, &scratch, &dlen);
	name = dec ? malloc(dlen + 1) : NULL;
	if (!name) {
		inf_buf_free(&scratch);
		return INF_ERR_NOMEM;
	}
	memcpy(name, dec, dlen);
	name[dlen] = '\0';
	inf_buf_free(&scratch);
	p->pos = i + 1;
	return add_seg(path, SEG_KEY, name, dlen, 0);
}

static int parse_bracket(struct parser *p, struct inf_path *path)
{
	size_t i = p->pos + 1;
	long v = 0;

	if (i < p->len && p->s[i] == '*') {
		if (i + 1 >= p->len || p->s[i + 1] != ']')
			return p->pos = i + 1, perr(p, "expected ']'");
		p->pos = i + 2;
		return add_seg(path, SEG_ANY_INDEX, NULL, 0, 0);
	}
	if (i >= p->len || p->s[i] < '0' || p->s[i] > '9')
		return p->pos = i, perr(p, "expected an index or '*' in brackets");
	while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
		if (v > 100000000L)
			return p->pos = i, perr(p, "index too large");
		v = v * 10 + (p->s[i] - '0');
		i++;
	}
	if (i >= p->len || p->s[i] != ']')
		return p->pos = i, perr(p, "expected ']'");
	p->pos = i + 1;
	return add_seg(path, SEG_INDEX, NULL, 0, v);
}

static int is_delim(char c)
{
	return c == '.' || c == '[' || c == '\0';
}

/* Whether the n bytes at u are one of the code points that show as a
 * space or as nothing: U+00A0, U+00AD, U+1680, U+180E, U+2000-U+200F
 * (spaces, zero widths, direction marks), U+2028-U+202F (separators,
 * embeddings), U+205F-U+206F (word joiner, invisible operators,
 * isolates), U+3000, U+FEFF. */
static int invisible(const unsigned char *u, size_t n)
{
	if (n == 2)
		return u[0] == 0xc2 && (u[1] == 0xa0 || u[1] == 0xad);
	if (n != 3)
		return 0;
	if (u[0] == 0xe1)
		return (u[1] == 0x9a && u[2] == 0x80) || (u[1] == 0xa0 && u[2] == 0x8e);
	if (u[0] == 0xe2)
		return (u[1] == 0x80 && ((u[2] >= 0x80 && u[2] <= 0x8f) || (u[2] >= 0xa8 && u[2] <= 0xaf))) ||
		       (u[1] == 0x81 && u[2] >= 0x9f && u[2] <= 0xaf);
	return (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80) ||
	       (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf);
}

/* Whether the key `k` (n bytes of UTF-8) starts or ends with a code point
 * that shows as a space or as nothing (invisible()). */
static int edge_space(const char *k, size_t n)
{
	const unsigned char *u = (const unsigned char *)k;
	size_t last = n;

	while (last > 0 && (u[last - 1] & 0xc0) == 0x80) /* the last one's start */
		last--;
	if (last > 0)
		last--;
	for (size_t l = 2; l <= 3 && l <= n; l++)
		if (invisible(u, l))
			return 1;
	return n - last >= 2 && invisible(u + last, n - last);
}

/* The bytes of the n at s that hold at most max, cut at a code point. */
static int cut_utf8(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (int)max;
}

static int parse_name(struct parser *p, struct inf_path *path)
{
	const char *s = p->s;
	size_t i = p->pos;
	char *name;

	if (s[i] == '"')
		return parse_quoted(p, path);
	if (s[i] == '*' && s[i + 1] == '*' && is_delim(s[i + 2])) {
		p->pos = i + 2;
		return add_seg(path, SEG_DEEP, NULL, 0, 0);
	}
	if (s[i] == '*' && is_delim(s[i + 1])) {
		p->pos = i + 1;
		return add_seg(path, SEG_ANY_KEY, NULL, 0, 0);
	}
	while (!is_delim(s[i])) {
		if (s[i] == '"' || s[i] == ']' || s[i] == '*' ||
		    (unsigned char)s[i] < 0x20)
			return p->pos = i, perr(p, "unexpected character (quote keys like \"a*b\")");
		i++;
	}
	if (i == p->pos)
		return perr(p, "empty key");
	/* " price", "price\u00a0" or "$.price" would match nothing and drop
	 * nothing: said with the key as it must be written */
	if (s[p->pos] == ' ' || s[p->pos] == '\t' || s[i - 1] == ' ' || s[i - 1] == '\t' ||
	    edge_space(s + p->pos, i - p->pos)) {
		char what[160];
		snprintf(what, sizeof what, "a key with a space%s at its start or end must be "
			 "quoted (\"%.*s\")", edge_space(s + p->pos, i - p->pos) ?
			 " or an invisible character" : "",
			 cut_utf8(s + p->pos, i - p->pos, 64), s + p->pos);
		return perr(p, what);
	}
	if (!path->nsegs && i - p->pos == 1 && s[p->pos] == '$')
		return perr(p, "'$' is no root: a path starts at the record's members (price, not "
			    "$.price); quote a key named $ (\"$\")");
	name = strndup(s + p->pos, i - p->pos);
	if (!name)
		return INF_ERR_NOMEM;
	p->pos = i;
	return add_seg(path, SEG_KEY, name, strlen(name), 0);
}

static int compile_one(const char *text, struct inf_path *path, char *err,
		       size_t errlen)
{
	struct parser p = { text, 0, strlen(text), err, errlen };
	int rc;

	if (p.len == 0)
		return perr(&p, "empty path");
	if (text[0] != '[' && (rc = parse_name(&p, path)))
		return rc;
	while (p.pos < p.len) {
		char c = text[p.pos];
		if (c == '[') {
			if ((rc = parse_bracket(&p, path)))
				return rc;
		} else if (c == '.') {
			p.pos++;
			if (p.pos >= p.len || text[p.pos] == '.' || text[p.pos] == '[')
				return perr(&p, "expected a key after '.'");
			if ((rc = parse_name(&p, path)))
				return rc;
		} else {
			return perr(&p, "expected '.' or '['");
		}
	}
	if (path->segs[path->nsegs - 1].kind == SEG_DEEP)
		return p.pos = p.len - 1, perr(&p, "a path cannot end with '**'");
	return 0;
}

/* Notes a one-key path in the filters of the fast walk. */
static void add_top_key(struct inf_paths *ps, const struct inf_seg *seg)
{
	unsigned char c = seg->len ? (unsigned char)seg->name[0] : 0;

	ps->top.lens |= len_bit(seg->len);
	ps->top.first[c >> 6] |= 1ull << (c & 63);
}

int inf_paths_compile(const char *const *texts, size_t n,
		      struct inf_paths **out, char *err, size_t errlen)
{
	struct inf_paths *ps = calloc(1, sizeof *ps);
	int rc = 0;

	*out = NULL;
	if (!ps || !(ps->paths = calloc(n ? n : 1, sizeof *ps->paths))) {
		free(ps);
		return INF_ERR_NOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		ps->n = k + 1;
		if ((rc = compile_one(texts[k], &ps->paths[k], err, errlen)))
			break;
	}
	if (rc) {
		inf_paths_free(ps);
		return rc;
	}
	ps->top_keys = 1;
	for (size_t k = 0; k < n; k++) {
		enum seg_kind first = ps->paths[k].segs[0].kind;

		ps->paths[k].base = ps->nstates;
		ps->nstates += (size_t)ps->paths[k].nsegs + 1;
		if (first == SEG_KEY || first == SEG_ANY_KEY || first == SEG_DEEP)
			ps->roots |= 1 << INF_OBJECT;
		if (first == SEG_INDEX || first == SEG_ANY_INDEX || first == SEG_DEEP)
			ps->roots |= 1 << INF_ARRAY;
		if (ps->paths[k].nsegs != 1 || ps->paths[k].segs[0].kind != SEG_KEY)
			ps->top_keys = 0;
		else
			add_top_key(ps, &ps->paths[k].segs[0]);
	}
	*out = ps;
	return 0;
}

static int match_top_key(const void *ctx, const char *k, size_t n)
{
	const struct inf_paths *ps = ctx;

	for (size_t p = 0; p < ps->n; p++) {
		const struct inf_seg *seg = &ps->paths[p].segs[0];
		if (n == seg->len && !memcmp(k, seg->name, n))
			return 1;
	}
	return 0;
}

int inf_paths_dropkeys(const struct inf_paths *ps, struct inf_dropkeys *out)
{
	if (!ps || !ps->top_keys)
		return 0;
	*out = ps->top;
	out->match = match_top_key;
	out->ctx = ps;
	return 1;
}

/* ---- matching ---- */

struct walker {
	struct inf_record *r;
	const struct inf_paths *ps;
	inf_visit_fn visit;
	void *ctx;
	size_t top; /* states in use in r->states */
	int only_full; /* visit full matches only (inf_walk_matches) */
	/* the last array looked through in vain for seen_want (uncovered) */
	int seen;
	const struct inf_seg *seen_want;
};

static int push_state(struct walker *w, int p, int i)
{
	struct inf_record *r = w->r;
	const struct inf_path *path = &w->ps->paths[p];

	for (;;) {
		if (w->top == r->states_cap &&
		    inf_array_grow(&r->states, &r->states_cap, r->states_cap + 1,
				   sizeof *r->states))
			return INF_ERR_NOMEM;
		r->states[w->top++] = (struct inf_walk_state){ p, i };
		/* `**` also matches zero levels */
		if (i < path->nsegs && path->segs[i].kind == SEG_DEEP)
			i++;
		else
			return 0;
	}
}

/* Starts a new round of the states' stamps (has_state, mark_states):
 * none is stamped with the new generation. 0 or INF_ERR_NOMEM. */
static int new_stamps(struct walker *w)
{
	struct inf_record *r = w->r;

	if (r->stamp_cap < w->ps->nstates) {
		uint32_t *st = calloc(w->ps->nstates, sizeof *st);

		if (!st)
			return INF_ERR_NOMEM;
		free(r->stamp);
		r->stamp = st;
		r->stamp_cap = w->ps->nstates;
		r->stamp_gen = 0;
	}
	if (++r->stamp_gen == 0) { /* wrapped: old stamps would come alive */
		memset(r->stamp, 0, r->stamp_cap * sizeof *r->stamp);
		r->stamp_gen = 1;
	}
	return 0;
}

/* Stamps the states [from, w->top) with this round's generation. */
static void mark_states(struct walker *w, size_t from)
{
	struct inf_record *r = w->r;

	for (size_t k = from; k < w->top; k++)
		r->stamp[w->ps->paths[r->states[k].p].base + (size_t)r->states[k].i] =
			r->stamp_gen;
}

/* Whether this round pushed state (p, i) already: O(1), so that many
 * paths alive at once (P paths under `**`) cost P, not P^2, a child. */
static int has_state(const struct walker *w, int p, int i)
{
	return w->r->stamp[w->ps->paths[p].base + (size_t)i] == w->r->stamp_gen;
}

/* Advances the states [beg, end) over one child (member `key` or element
 * `index`) and pushes the results; returns the child's match class. */
static int advance(struct walker *w, size_t beg, size_t end, int key,
		   long index, enum inf_match *m)
{
	struct inf_record *r = w->r;
	const char *kname = NULL;
	size_t klen = 0, from = w->top;
	int rc, full = 0, live = 0;

	if ((rc = new_stamps(w)))
		return rc;
	for (size_t k = beg; k < end; k++) {
		int p = r->states[k].p, i = r->states[k].i, next = -1;
		const struct inf_path *path = &w->ps->paths[p];
		const struct inf_seg *seg;

		if (i >= path->nsegs)
			continue;
		seg = &path->segs[i];
		switch (seg->kind) {
		case SEG_DEEP:
			next = i; /* stays; push_state adds the i + 1 closure */
			break;
		case SEG_ANY_KEY:
			next = key >= 0 ? i + 1 : -1;
			break;
		case SEG_ANY_INDEX:
			next = key < 0 ? i + 1 : -1;
			break;
		case SEG_INDEX:
			next = key < 0 && index == seg->index ? i + 1 : -1;
			break;
		case SEG_KEY:
			if (key < 0)
				break;
			if (!kname && !(kname = inf_record_key(r, key, &klen)))
				return INF_ERR_NOMEM;
			if (klen == seg->len && !memcmp(kname, seg->name, klen))
				next = i + 1;
			break;
		}
		size_t pushed = w->top;

		if (next < 0 || has_state(w, p, next))
			continue;
		if ((rc = push_state(w, p, next)))
			return rc;
		mark_states(w, pushed);
	}
	for (size_t k = from; k < w->top; k++) {
		if (r->states[k].i >= w->ps->paths[r->states[k].p].nsegs)
			full = 1;
		else
			live = 1;
	}
	*m = full ? INF_MATCH_FULL : live ? INF_MATCH_PARTIAL : INF_MATCH_NONE;
	return 0;
}

static int walk_container(struct walker *w, int ct, size_t beg, size_t end)
{
	struct inf_record *r = w->r;
	const jsmntok_t *tk = r->toks.tok;
	int is_obj = tk[ct].type == JSMN_OBJECT, c = ct + 1, rc;

	for (int i = 0; i < tk[ct].size; i++) {
		int value = is_obj ? c + 1 : c, next = inf_tok_skip(&r->toks, c);
		size_t mark = w->top;
		enum inf_match m = INF_MATCH_NONE;

		if (!inf_record_hidden(r, value)) {
			rc = advance(w, beg, end, is_obj ? c : -1, i, &m);
			if (rc == 0 && w->only_full && m != INF_MATCH_FULL)
				rc = INF_WALK_DESCEND; /* below: only partial matches */
			else if (rc == 0) {
				r->states_busy = w->top;
				rc = w->visit(w->ctx, r, value, is_obj ? c : -1, m);
			}
			if (rc < 0)
				return rc;
			if (rc == INF_WALK_DESCEND && m != INF_MATCH_NONE &&
			    !inf_record_hidden(r, value) &&
			    (tk[value].type == JSMN_OBJECT || tk[value].type == JSMN_ARRAY)) {
				rc = walk_container(w, value, mark, w->top);
				if (rc < 0)
					return rc;
			}
		}
		w->top = mark;
		c = next;
	}
	return 0;
}

/* Below a full match of a one-segment path the general walk visits each
 * child once, as INF_MATCH_NONE, and nothing deeper. */
static int visit_children(struct inf_record *r, int ct, inf_visit_fn visit,
			  void *ctx)
{
	const jsmntok_t *tk = r->toks.tok;
	int is_obj = tk[ct].type == JSMN_OBJECT, c = ct + 1, rc;

	for (int i = 0; i < tk[ct].size; i++) {
		int value = is_obj ? c + 1 : c, next = inf_tok_skip(&r->toks, c);
		if (!inf_record_hidden(r, value) &&
		    (rc = visit(ctx, r, value, is_obj ? c : -1, INF_MATCH_NONE)) < 0)
			return rc;
		c = next;
	}
	return 0;
}

/* The member after member `k` (a key token) of the root object. */
static inline int next_member(const struct inf_tokens *t, int k)
{
	int type = t->tok[k + 1].type;

	return type == JSMN_OBJECT || type == JSMN_ARRAY
		       ? inf_tok_skip_container(t, k + 1) : k + 2;
}

/* Whether raw key bytes [kname, kname + klen) are a key of `ps`. */
static inline int is_top_key(const struct inf_paths *ps, const char *kname,
			     size_t klen)
{
	return inf_dropkeys_may_hold(&ps->top, kname, klen) && match_top_key(ps, kname, klen);
}

/* walk_top_keys for matches only when no key holds an escape, so raw
 * bytes are the keys: most members are passed over on their length and
 * first byte, in a loop of a few instructions. */
static int top_matches_raw(struct inf_record *r, const struct inf_paths *ps,
			   inf_visit_fn visit, void *ctx)
{
	const jsmntok_t *tk = r->toks.tok; /* visitors never re-tokenize */
	/* the root's members are all the later tokens; `key` steps over
	 * them by pointer, which spares an index multiply per member */
	const jsmntok_t *key = tk + 1, *end = tk + r->toks.n;
	const uint64_t lens = ps->top.lens;
	int rc;

	while (key < end) {
		const jsmntok_t *t = key;
		size_t klen = (size_t)(t->end - t->start);
		int k;

		key = t[1].type == JSMN_OBJECT || t[1].type == JSMN_ARRAY
			      ? tk + inf_tok_skip_container(&r->toks, (int)(t - tk) + 1) : t + 2;
		/* `lens` first: kept in a register, unlike ps->top.lens */
		if (!(lens & len_bit(klen)) || !is_top_key(ps, r->js + t->start, klen))
			continue;
		k = (int)(t - tk);
		if (r->nedits && inf_record_hidden(r, k + 1))
			continue;
		if ((rc = visit(ctx, r, k + 1, k, INF_MATCH_FULL)) < 0)
			return rc;
	}
	return 0;
}

/* The walk for a set of plain top-level keys (the common "drop price
 * and discount" case): one pass over the root's members, no matcher
 * states. Visits exactly what the general walk would. */
static int walk_top_keys(struct inf_record *r, const struct inf_paths *ps,
			 inf_visit_fn visit, void *ctx, int only_full)
{
	const jsmntok_t *tk = r->toks.tok;
	/* the root object's members are all the tokens after it */
	const int n = r->toks.n;
	/* fixed for the walk: visitors edit, they never re-tokenize */
	const int escapes = r->toks.key_escapes;
	int k = 1, next, rc;

	if (only_full && !escapes)
		return top_matches_raw(r, ps, visit, ctx);
	for (; k < n; k = next) {
		size_t klen = (size_t)(tk[k].end - tk[k].start);
		const char *kname;
		enum inf_match m = INF_MATCH_NONE;

		next = next_member(&r->toks, k);
		if (r->nedits && inf_record_hidden(r, k + 1))
			continue;
		/* most records hold no escaped key: raw bytes are the keys */
		kname = r->js + tk[k].start;
		if (escapes && memchr(kname, '\\', klen) &&
		    !(kname = inf_record_key(r, k, &klen)))
			return INF_ERR_NOMEM;
		if (is_top_key(ps, kname, klen))
			m = INF_MATCH_FULL;
		else if (only_full)
			continue;
		if ((rc = visit(ctx, r, k + 1, k, m)) < 0)
			return rc;
		if (rc == INF_WALK_DESCEND && m == INF_MATCH_FULL && !only_full &&
		    !inf_record_hidden(r, k + 1) &&
		    (tk[k + 1].type == JSMN_OBJECT || tk[k + 1].type == JSMN_ARRAY) &&
		    (rc = visit_children(r, k + 1, visit, ctx)) < 0)
			return rc;
	}
	return 0;
}

static int walk(struct inf_record *r, const struct inf_paths *ps,
		inf_visit_fn visit, void *ctx, int only_full)
{
	/* a walk from a visitor keeps clear of the states of the walks
	 * around it, and leaves the mark as it found it */
	size_t busy = r->states_busy;
	struct walker w = { .r = r, .ps = ps, .visit = visit, .ctx = ctx, .top = busy,
			    .only_full = only_full, .seen = -1 };
	int rc;

	if (!ps || r->toks.n == 0 || inf_record_hidden(r, 0))
		return 0;
	if (r->toks.tok[0].type != JSMN_OBJECT && r->toks.tok[0].type != JSMN_ARRAY)
		return 0;
	/* a root array's elements are visited too (as INF_MATCH_NONE, which
	 * keep_fields removes): only an object root takes the fast walk */
	if (ps->top_keys && r->toks.tok[0].type == JSMN_OBJECT)
		return walk_top_keys(r, ps, visit, ctx, only_full);
	for (size_t p = 0; p < ps->n; p++)
		if ((rc = push_state(&w, (int)p, 0)))
			return rc;
	rc = walk_container(&w, 0, busy, w.top);
	r->states_busy = busy;
	return rc;
}

int inf_walk(struct inf_record *r, const struct inf_paths *ps,
	     inf_visit_fn visit, void *ctx)
{
	return walk(r, ps, visit, ctx, 0);
}

int inf_walk_matches(struct inf_record *r, const struct inf_paths *ps,
		     inf_visit_fn visit, void *ctx)
{
	return walk(r, ps, visit, ctx, 1);
}

struct finder {
	int found;
};

#define FIND_STOP (-1000)

static int find_visit(void *ctx, struct inf_record *r, int node, int key,
		      enum inf_match m)
{
	struct finder *f = ctx;
	(void)r;
	(void)key;
	if (m == INF_MATCH_FULL) {
		f->found = node;
		return FIND_STOP;
	}
	return INF_WALK_DESCEND;
}

int inf_find(struct inf_record *r, const struct inf_paths *ps)
{
	struct finder f = { -1 };
	int rc = inf_walk_matches(r, ps, find_visit, &f);

	if (rc < 0 && rc != FIND_STOP) {
		r->service_rc = rc;
		return -1;
	}
	return f.found;
}

/* How the reach check goes for one kind of user: how a refusal names the
 * paths and what refusing avoids (" of the condition", "decided without
 * looking inside"), and whether it goes on below a value where a path
 * ends. A plugin acts on such a value whole (drop_fields drops
 * "customer" with all that "customer.email" would have reached), but a
 * condition's other rules still look below it. */
struct reach_how {
	const char *whose;
	const char *instead;
	int below_full;
};

/* Whether n segments at a and b are the same. */
static int same_segs(const struct inf_seg *a, const struct inf_seg *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i].kind != b[i].kind || a[i].index != b[i].index || a[i].len != b[i].len ||
		    (a[i].len && memcmp(a[i].name, b[i].name, a[i].len)))
			return 0;
	return 1;
}

/* Whether live state k steps into a container (an object when is_obj)
 * and reaches there all that `want` (nwant segments) names inside it: by
 * `*` or `[*]` followed by a prefix of want ("customer[*].email" or
 * "customer[*]" for "customer.email" over an array), or by `**` followed
 * by segments found in want ("**.email"). A step by name ("items[0]")
 * reaches one member or element, not all; "**.password" is not found in
 * "email". */
static int covers(const struct walker *w, size_t k, int is_obj, const struct inf_seg *want,
		  int nwant)
{
	const struct inf_path *path = &w->ps->paths[w->r->states[k].p];
	int i = w->r->states[k].i, nrest = path->nsegs - i - 1;
	const struct inf_seg *rest = path->segs + i + 1;

	if (i >= path->nsegs)
		return 0; /* ends here: acts on the value, sees nothing inside */
	if (path->segs[i].kind == SEG_DEEP) {
		for (int at = 0; at + nrest <= nwant; at++)
			if (same_segs(rest, want + at, nrest))
				return 1;
		return 0;
	}
	return path->segs[i].kind == (is_obj ? SEG_ANY_KEY : SEG_ANY_INDEX) && nrest <= nwant &&
	       same_segs(rest, want, nrest);
}

/* Whether what `want` names first would be met one level inside
 * container ct, which the path could not step into, seen through any
 * arrays on the way: in ct's elements or member values, an object with
 * the member `want` names (or any, for `*`), a non-empty array for an
 * element, a non-empty container for `**`; anything at all when the path
 * ends there. 1, 0 or INF_ERR_NOMEM. Objects are not looked into. */
static int holds_missed(struct inf_record *r, int ct, const struct inf_seg *want, int nwant)
{
	const jsmntok_t *tk = r->toks.tok;
	int end = inf_tok_skip(&r->toks, ct);

	if (nwant == 0)
		return 1;
	for (int t = ct + 1; t < end;) {
		if (tk[ct].type == JSMN_OBJECT && tk[t].parent == ct) {
			t++; /* a key of ct: its value next */
		} else if (tk[t].type == JSMN_ARRAY) {
			if (tk[t].size > 0 && want->kind != SEG_KEY && want->kind != SEG_ANY_KEY)
				return 1;
			t++; /* seen through */
		} else if (tk[t].type == JSMN_OBJECT) {
			int m = t + 1;
			if (tk[t].size > 0 && (want->kind == SEG_ANY_KEY || want->kind == SEG_DEEP))
				return 1;
			for (int n = 0; want->kind == SEG_KEY && n < tk[t].size; n++) {
				size_t kl;
				const char *k = inf_record_key(r, m, &kl);
				if (!k)
					return INF_ERR_NOMEM;
				if (kl == want->len && !memcmp(k, want->name, kl))
					return 1;
				m = inf_tok_skip(&r->toks, m + 1);
			}
			t = inf_tok_skip(&r->toks, t);
		} else {
			t++;
		}
	}
	return 0;
}

/* Finds, among the live states [beg, end) at non-empty container ct (an
 * object when is_obj), one that cannot step into ct and that no state
 * covers (above): one that came to ct by a member or element name (it
 * expected to go on into this very value: refused whatever ct holds), or
 * by `*` or `[*]` when ct holds what it would have reached there (else
 * what a wildcard meets is taken as it comes: "*.secret" over "tags":
 * ["a"]). A state that came by `**` only meets ct. Returns 1 with the
 * state in *stuck, 0, or INF_ERR_NOMEM. A negative look into an array
 * also answers for the arrays that are its elements (w->seen), which it
 * looked through: nested arrays are looked through once, not once per
 * level. */
static int uncovered(struct walker *w, int ct, size_t beg, size_t end, int is_obj,
		     size_t *stuck)
{
	const jsmntok_t *tk = w->r->toks.tok;

	for (size_t k = beg; k < end; k++) {
		const struct inf_path *path = &w->ps->paths[w->r->states[k].p];
		int i = w->r->states[k].i, nwant, covered = 0, rc;
		const struct inf_seg *want;
		enum seg_kind came, kind;

		if (i >= path->nsegs || i == 0)
			continue;
		came = path->segs[i - 1].kind;
		kind = path->segs[i].kind;
		if (came == SEG_DEEP || kind == SEG_DEEP ||
		    (is_obj ? kind == SEG_KEY || kind == SEG_ANY_KEY
			    : kind == SEG_INDEX || kind == SEG_ANY_INDEX))
			continue; /* only meets ct, or steps in */
		/* what it meant to reach inside: "email" of customer.email,
		 * "price" of items[*].price over an object */
		nwant = path->nsegs - i;
		want = path->segs + i;
		if (kind == SEG_ANY_KEY || kind == SEG_ANY_INDEX)
			want++, nwant--;
		for (size_t c = beg; c < end && !covered; c++)
			covered = c != k && covers(w, c, is_obj, want, nwant);
		if (covered)
			continue;
		if (came == SEG_ANY_KEY || came == SEG_ANY_INDEX) {
			if (!is_obj && tk[ct].parent >= 0 && tk[ct].parent == w->seen &&
			    want == w->seen_want) {
				w->seen = ct; /* inside an array already looked through */
				continue;
			}
			if ((rc = holds_missed(w->r, ct, want, nwant)) < 0)
				return rc;
			if (!rc) {
				w->seen = ct;
				w->seen_want = want;
				continue;
			}
		}
		*stuck = k;
		return 1;
	}
	return 0;
}

/* Writes into err the refusal of container `ct`'s value, the value of
 * member key `key` (-1: an array element): its name, `why`, and what
 * would reach into it (an object when is_obj). Returns INF_ERR_TYPE, or
 * INF_ERR_NOMEM. */
static int refuse_value(struct inf_record *r, int key, int is_obj, const char *why,
			const struct reach_how *say, char *err)
{
	const char *k = NULL;
	size_t klen = 0;

	if (key >= 0 && !(k = inf_record_key(r, key, &klen)))
		return INF_ERR_NOMEM;
	/* a long key's name is cut; a message past INF_ERR_MAX too */
	if (snprintf(err, INF_ERR_MAX, "%s%.*s%s%s (a path with %s or ** there does): refused "
		     "rather than %s", k ? "the value of member \"" : "an array element",
		     (int)(klen > 64 ? 64 : klen), k ? k : "", k ? "\"" : "", why,
		     is_obj ? "a member name" : "[*]", say->instead) < 0)
		err[0] = '\0';
	return INF_ERR_TYPE;
}

/* Below container `ct`, reached by the states [beg, end) through member
 * key `key` (-1: an element), finds a non-empty container that paths
 * name and go through but cannot step into: an array where they name
 * members ("customer.email" over "customer": [...]) or an object where
 * they name elements ("items[*].price" over "items": {...}). A value
 * reached through `*`, `[*]` or `**` is only what the wildcard happens
 * to meet ("tags": ["a"] under "*.secret"), not refused. Returns 0,
 * INF_ERR_TYPE with the reason in err (worded by `say`), or
 * INF_ERR_NOMEM. */
static int check_shapes(struct walker *w, int ct, size_t beg, size_t end,
			int key, const struct reach_how *say, char *err)
{
	struct inf_record *r = w->r;
	const jsmntok_t *tk = r->toks.tok;
	int is_obj = tk[ct].type == JSMN_OBJECT, c = ct + 1, rc;
	size_t missed = 0;
	char why[200];

	if (tk[ct].size > 0 && (rc = uncovered(w, ct, beg, end, is_obj, &missed))) {
		const struct inf_path *path;
		const struct inf_seg *seg;
		enum seg_kind came;

		if (rc < 0) /* out of memory: `missed` names no state */
			return rc;
		path = &w->ps->paths[r->states[missed].p];
		seg = &path->segs[r->states[missed].i];
		came = seg[-1].kind;
		/* what it would have met: "card" of *[*].card */
		if ((seg->kind == SEG_ANY_KEY || seg->kind == SEG_ANY_INDEX) &&
		    seg + 1 < path->segs + path->nsegs)
			seg++;
		if (came == SEG_KEY || came == SEG_INDEX)
			snprintf(why, sizeof why, " is %s and no path%s naming it reaches into one",
				 is_obj ? "an object" : "an array", say->whose);
		else
			snprintf(why, sizeof why, ", met by %s, is %s holding %s%.*s%s, which no "
				 "path%s reaches into", came == SEG_ANY_KEY ? "*" : "[*]",
				 is_obj ? "an object" : "an array",
				 seg->kind == SEG_KEY ? "member \""
				 : seg->kind == SEG_ANY_KEY ? "members"
				 : seg->kind == SEG_DEEP ? "values" : "elements",
				 seg->kind == SEG_KEY ? (int)(seg->len > 64 ? 64 : seg->len) : 0,
				 seg->kind == SEG_KEY ? seg->name : "",
				 seg->kind == SEG_KEY ? "\"" : "", say->whose);
		return refuse_value(r, key, is_obj, why, say, err);
	}
	for (int i = 0; i < tk[ct].size; i++) {
		int value = is_obj ? c + 1 : c, next = inf_tok_skip(&r->toks, c);
		size_t mark = w->top;
		enum inf_match m = INF_MATCH_NONE;

		/* a full match is the plugin's to act on whole (but a
		 * condition's other paths go on below it); a scalar holds
		 * nothing a path could miss */
		if (!inf_record_hidden(r, value) &&
		    (tk[value].type == JSMN_OBJECT || tk[value].type == JSMN_ARRAY)) {
			if ((rc = advance(w, beg, end, is_obj ? c : -1, i, &m)))
				return rc;
			if ((m == INF_MATCH_PARTIAL || (m == INF_MATCH_FULL && say->below_full)) &&
			    (rc = check_shapes(w, value, mark, w->top, is_obj ? c : -1, say, err)))
				return rc;
		}
		w->top = mark;
		c = next;
	}
	return 0;
}

static int check_reach(struct inf_record *r, const struct inf_paths *ps,
		       const struct reach_how *say, char *err)
{
	enum inf_type root = inf_record_type(r, 0);
	/* above the states of any walk in progress (a visitor's call) */
	struct walker w = { .r = r, .ps = ps, .top = r->states_busy, .seen = -1 };
	const char *want;
	int rc;

	if (!ps || (root != INF_OBJECT && root != INF_ARRAY))
		return 0;
	if (!(ps->roots & (1 << root))) {
		want = root == INF_ARRAY ? "[*].name or **.name" : "name or **.name";
		snprintf(err, INF_ERR_MAX,
			 "the record is %s and no path%s reaches into one (paths like %s do): "
			 "refused rather than %s",
			 root == INF_ARRAY ? "an array" : "an object", say->whose, want,
			 say->instead);
		return INF_ERR_TYPE;
	}
	if (ps->top_keys || inf_record_hidden(r, 0))
		return 0; /* one plain key each: nothing below the root to go through */
	for (size_t p = 0; p < ps->n; p++)
		if ((rc = push_state(&w, (int)p, 0)))
			return rc;
	return check_shapes(&w, 0, r->states_busy, w.top, -1, say, err);
}

int inf_paths_check_root(struct inf_record *r, const struct inf_paths *ps,
			 char *err)
{
	static const struct reach_how say = { "", "passed on untouched", 0 };

	return check_reach(r, ps, &say, err);
}

int inf_paths_check_cond(struct inf_record *r, const struct inf_paths *ps,
			 char *err)
{
	static const struct reach_how say = { " of the condition",
						"decided without looking inside", 1 };

	return check_reach(r, ps, &say, err);
}
