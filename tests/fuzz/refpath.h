/*
 * A reference for paths (core/path.h), written from the syntax the header
 * documents, for fuzz_path.c and fuzz_cond.c: segments joined by '.', each
 * a key, a quoted key (JSON string syntax, compared decoded), `*` or `**`,
 * each followed by any number of `[N]` or `[*]`; a path may start with a
 * bracket; it may not end with `**`. An unquoted key has no space or tab
 * at its start or end, nor a code point that shows as a space or as
 * nothing (README "Paths"), and the first is not `$`.
 *
 * Matching is a table, not the core's list of matcher states: for a node
 * reached by steps s1..sd (keys or indexes), reach[i] says whether the
 * first i segments match s1..sd exactly (`**` matching any number of
 * steps, zero included). A path ends at the node (FULL) when
 * reach[nsegs]; it goes on below it (PARTIAL) when some reach[i], i <
 * nsegs. A node's table follows from its parent's.
 */
#ifndef FZ_REFPATH_H
#define FZ_REFPATH_H

#include "fuzzutil.h"

enum rp_kind { RP_KEY, RP_ANY_KEY, RP_INDEX, RP_ANY_INDEX, RP_DEEP };

struct rp_seg {
	int kind;
	char *name; /* RP_KEY: decoded */
	size_t len;
	unsigned long long index;
};

struct rp_path {
	struct rp_seg *seg;
	size_t n;
};

static inline void rp_free(struct rp_path *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->seg[i].name);
	free(p->seg);
	memset(p, 0, sizeof *p);
}

static inline void rp_add(struct rp_path *p, int kind, const char *name, size_t len,
			  unsigned long long index)
{
	struct rp_seg *s = realloc(p->seg, (p->n + 1) * sizeof *s);

	if (!s)
		fz_fail("out of memory");
	p->seg = s;
	s[p->n].kind = kind;
	s[p->n].name = NULL;
	s[p->n].len = len;
	s[p->n].index = index;
	if (name) {
		if (!(s[p->n].name = malloc(len + 1)))
			fz_fail("out of memory");
		memcpy(s[p->n].name, name, len);
		s[p->n].name[len] = '\0';
	}
	p->n++;
}

/* The index limit is not documented; the core takes up to 1000000009.
 * Below 10^8 is surely fine, above 1000000009 surely refused; between,
 * the reference does not decide. */
#define RP_INDEX_SURE 100000000ull
#define RP_INDEX_MAX 1000000009ull

static inline int rp_delim(char c)
{
	return c == '.' || c == '[' || c == '\0';
}

/* The number of bytes the UTF-8 lead byte c announces, 0 when it is not
 * one. */
static inline size_t rp_utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
}

/* The code point of the n bytes at s when they are exactly one UTF-8
 * sequence, else -1. */
static inline long rp_code_point(const unsigned char *s, size_t n)
{
	size_t len = rp_utf8_len(s[0]);
	long c = len == 1 ? s[0] : len == 2 ? s[0] & 0x1f : len == 3 ? s[0] & 0x0f : s[0] & 0x07;

	if (!len || len != n)
		return -1;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	return c;
}

/* The code points that show as a space or as nothing, as README "Paths"
 * lists them: no-break space, soft hyphen, Ogham space, Mongolian vowel
 * separator, U+2000-U+200F, U+2028-U+202F, U+205F-U+206F, ideographic
 * space, U+FEFF. */
static inline int rp_unseen(long c)
{
	return c == 0xa0 || c == 0xad || c == 0x1680 || c == 0x180e || (c >= 0x2000 && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) || c == 0x3000 ||
	       c == 0xfeff;
}

/* Whether the key s[0..k) starts or ends with such a code point. */
static inline int rp_unseen_edge(const char *s, size_t k)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t first = rp_utf8_len(u[0]), last = k - 1;

	while (last > 0 && (u[last] & 0xc0) == 0x80)
		last--;
	return (first && first <= k && rp_unseen(rp_code_point(u, first))) ||
	       rp_unseen(rp_code_point(u + last, k - last));
}

/* Parses `text` into *p. Returns 1 valid, 0 invalid, -1 undecided (an
 * index in the zone above). *p is filled only when valid. */
static inline int rp_parse(const char *text, struct rp_path *p)
{
	size_t len = strlen(text), pos = 0;
	int expect_name = text[0] != '[', undecided = 0;

	memset(p, 0, sizeof *p);
	if (len == 0)
		goto bad;
	for (;;) {
		if (expect_name) {
			const char *s = text + pos;
			if (s[0] == '"') {
				struct fz_json j;
				fz_json_init(&j, text, len, 1);
				j.i = pos;
				if (fz_string(&j, &j.key)) {
					fz_json_free(&j);
					goto bad;
				}
				rp_add(p, RP_KEY, j.key.p ? j.key.p : "", j.key.len, 0);
				fz_json_free(&j);
				pos = j.i;
			} else if (s[0] == '*' && s[1] == '*' && rp_delim(s[2])) {
				rp_add(p, RP_DEEP, NULL, 0, 0);
				pos += 2;
			} else if (s[0] == '*' && rp_delim(s[1])) {
				rp_add(p, RP_ANY_KEY, NULL, 0, 0);
				pos += 1;
			} else {
				size_t k = 0;
				while (!rp_delim(s[k])) {
					unsigned char c = (unsigned char)s[k];
					if (c == '"' || c == ']' || c == '*' || c < 0x20)
						goto bad;
					k++;
				}
				if (k == 0 || s[0] == ' ' || s[0] == '\t' || s[k - 1] == ' ' ||
				    s[k - 1] == '\t' || rp_unseen_edge(s, k) ||
				    (!p->n && k == 1 && s[0] == '$'))
					goto bad;
				rp_add(p, RP_KEY, s, k, 0);
				pos += k;
			}
			expect_name = 0;
		}
		if (pos == len)
			break;
		if (text[pos] == '.') {
			pos++;
			expect_name = 1;
			if (pos == len)
				goto bad;
			continue;
		}
		if (text[pos] != '[')
			goto bad;
		pos++;
		if (text[pos] == '*' && text[pos + 1] == ']') {
			rp_add(p, RP_ANY_INDEX, NULL, 0, 0);
			pos += 2;
			continue;
		}
		{
			unsigned long long v = 0;
			size_t digits = 0;
			while (text[pos] >= '0' && text[pos] <= '9') {
				if (v <= RP_INDEX_MAX)
					v = v * 10 + (unsigned)(text[pos] - '0');
				pos++;
				digits++;
			}
			if (!digits || text[pos] != ']')
				goto bad;
			pos++;
			if (v > RP_INDEX_MAX)
				goto bad;
			if (v > RP_INDEX_SURE)
				undecided = 1;
			rp_add(p, RP_INDEX, NULL, 0, v);
		}
	}
	if (p->seg[p->n - 1].kind == RP_DEEP)
		goto bad;
	if (undecided) {
		rp_free(p);
		return -1;
	}
	return 1;
bad:
	rp_free(p);
	return 0;
}

/* Whether segment `s` takes the step to node `nd` of tree `t`. */
static inline int rp_step(const struct rp_seg *s, const struct fz_tree *t, const struct fz_node *nd)
{
	switch (s->kind) {
	case RP_KEY:
		return nd->is_member && nd->klen == s->len &&
		       (s->len == 0 || !memcmp(t->keys.p + nd->kdec, s->name, s->len));
	case RP_ANY_KEY: return nd->is_member;
	case RP_INDEX: return !nd->is_member && (unsigned long long)nd->index == s->index;
	case RP_ANY_INDEX: return !nd->is_member;
	default: return 0;
	}
}

/* reach tables of path p for every node of t: reach[node * (p->n + 1) + i].
 * Returns a malloc'd table. */
static inline unsigned char *rp_reach(const struct rp_path *p, const struct fz_tree *t)
{
	size_t w = p->n + 1;
	unsigned char *r = calloc(t->count ? t->count * w : 1, 1);

	if (!r)
		fz_fail("out of memory");
	for (size_t k = 0; k < t->count; k++) {
		const struct fz_node *nd = &t->n[k];
		unsigned char *col = r + k * w;
		const unsigned char *up = nd->parent >= 0 ? r + (size_t)nd->parent * w : NULL;
		col[0] = up == NULL; /* no segment matches the root's empty step list only */
		for (size_t i = 1; i <= p->n; i++) {
			const struct rp_seg *s = &p->seg[i - 1];
			if (s->kind == RP_DEEP)
				col[i] = col[i - 1] || (up && up[i]);
			else
				col[i] = up && up[i - 1] && rp_step(s, t, nd);
		}
	}
	return r;
}

/* Match class of a node over several paths: 0 none, 1 partial, 2 full. */
static inline int rp_class(const struct rp_path *ps, size_t np, unsigned char *const *reach,
			   size_t node)
{
	int partial = 0;

	for (size_t k = 0; k < np; k++) {
		const unsigned char *col = reach[k] + node * (ps[k].n + 1);
		if (col[ps[k].n])
			return 2;
		for (size_t i = 0; i < ps[k].n; i++)
			partial |= col[i];
	}
	return partial;
}

#endif
