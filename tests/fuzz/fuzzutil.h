/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_*.c): how an invariant
 * fails, where the plugins and the shipped fuzz policy are, a small
 * growable buffer, and an independent JSON reader.
 *
 * The JSON reader is a recursive-descent parser written from RFC 8259, not
 * from core/json.c, so "the output is JSON" is never checked by the code
 * under test alone. Besides validating it can
 *  - write a canonical form of a value (the tokens with no whitespace
 *    between them; strings and numbers byte for byte, as the core copies
 *    them), optionally leaving out the members the fuzz chain drops, so a
 *    target can predict the chain's output;
 *  - build a tree of the value (offsets, keys, indexes) for the path and
 *    condition targets.
 * Everything here is static: each target includes what it uses.
 */
#ifndef FZ_UTIL_H
#define FZ_UTIL_H

#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the plugins (.so) and this directory are; fuzz.mk passes both.
 * INFLIGHT_FUZZ_PLUGINS and INFLIGHT_FUZZ_SRC override them. */
#ifndef FZ_PLUGIN_DIR
#define FZ_PLUGIN_DIR "build/plugins"
#endif
#ifndef FZ_SRC_DIR
#define FZ_SRC_DIR "tests/fuzz"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant does not hold: says which and aborts, so libFuzzer keeps
 * the input as a crash and the replay counts a failure. */
static void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz invariant broken: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FZ_CHECK(cond, ...)               \
	do {                              \
		if (!(cond))              \
			fz_fail(__VA_ARGS__); \
	} while (0)

static inline const char *fz_plugin_dir(void)
{
	const char *d = getenv("INFLIGHT_FUZZ_PLUGINS");
	return d && *d ? d : FZ_PLUGIN_DIR;
}

static inline const char *fz_src_dir(void)
{
	const char *d = getenv("INFLIGHT_FUZZ_SRC");
	return d && *d ? d : FZ_SRC_DIR;
}

/* Opens every plugin of the plugin directory once, for good: the loader's
 * dlclose then never unmaps a plugin, which libFuzzer needs (it keeps the
 * coverage counters of every module it has seen) and which makes a run's
 * behaviour independent of how many policies were loaded before. */
static inline void fz_pin_plugins(void)
{
	const char *dir = fz_plugin_dir();
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[4096];

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 3 && !strcmp(e->d_name + n - 3, ".so")) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			(void)dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
		}
	}
	closedir(d);
}

/* ---- a growable buffer (aborts when out of memory) ---- */

struct fz_buf {
	char *p;
	size_t len, cap;
};

static inline void fz_put(struct fz_buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap)))
			fz_fail("out of memory");
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void fz_putc(struct fz_buf *b, char c)
{
	fz_put(b, &c, 1);
}

static inline void fz_buf_free(struct fz_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static inline int fz_buf_eq(const struct fz_buf *a, const struct fz_buf *b)
{
	return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

/* Whether `sub` can be obtained from `s` by deleting bytes: what a
 * transform that only removes members or elements must leave. */
static inline int fz_subsequence(const char *sub, size_t sn, const char *s, size_t n)
{
	size_t i = 0;

	for (size_t k = 0; k < sn; k++) {
		const char *q = i < n ? memchr(s + i, sub[k], n - i) : NULL;
		if (!q)
			return 0;
		i = (size_t)(q - s) + 1;
	}
	return 1;
}

static inline int fz_is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether a bad line leaves an object or array open at its end (README
 * "What bad input gets": under drop_record such a line fails the object):
 * brackets counted outside strings, a closing one of either kind closing
 * the last open, one with none open not counted. */
static inline int fz_left_open(const char *s, size_t n)
{
	long open = 0;
	int str = 0;

	for (size_t i = 0; i < n; i++) {
		if (str && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			str = !str;
		else if (!str && (s[i] == '{' || s[i] == '['))
			open++;
		else if (!str && (s[i] == '}' || s[i] == ']') && open > 0)
			open--;
	}
	return open > 0;
}

static inline int fz_all_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!fz_is_ws((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ---- the independent JSON reader ---- */

/* Whether the fuzz chain drops `password` (every access point of
 * fuzz_chain.cfg but the fused ones, which drop plain keys only). */
static int fz_drop_password = 1;

/* What the fuzz chain drops: `price` and `discount` members of a record's
 * root object, `password` members at any depth (fz_drop_password). */
static inline int fz_chain_drops(const char *key, size_t len, int top)
{
	if (fz_drop_password && len == 8 && !memcmp(key, "password", 8))
		return 1;
	return top && ((len == 5 && !memcmp(key, "price", 5)) ||
		       (len == 8 && !memcmp(key, "discount", 8)));
}

enum fz_type { FZ_OBJECT = 1, FZ_ARRAY, FZ_STRING, FZ_NUMBER, FZ_TRUE, FZ_FALSE, FZ_NULL };

/* A node of the tree built by the reader: every value, in document order;
 * node 0 is the root. */
struct fz_node {
	int type;        /* enum fz_type */
	int parent;      /* -1 for the root */
	size_t off, end; /* raw span of the value (quotes included) */
	int is_member;   /* 1: member of an object, 0: array element or root */
	size_t key_off, key_end; /* raw span of the key, quotes included */
	size_t kdec;     /* decoded key: offset in fz_tree.keys */
	size_t klen;
	long index;      /* position among its parent's children */
	int depth;       /* 0 for the root */
	int removed;     /* scratch for the targets */
};

struct fz_tree {
	struct fz_node *n;
	size_t count, cap;
	struct fz_buf keys; /* decoded keys, back to back */
};

static inline void fz_tree_free(struct fz_tree *t)
{
	free(t->n);
	fz_buf_free(&t->keys);
	memset(t, 0, sizeof *t);
}

struct fz_json {
	const unsigned char *s;
	size_t n, i;
	unsigned max_depth; /* containers inside one record */
	unsigned depth;
	int too_deep;       /* failed only because of max_depth */
	int drop;           /* leave the chain's drops out of `out` */
	int drop_seen;      /* a member the chain drops was read */
	struct fz_buf *out; /* canonical form, or NULL */
	struct fz_buf key;  /* the member name being read, decoded */
	struct fz_tree *tree; /* built when not NULL */
	/* the array framing: the elements' starts and where the delimiter
	 * after each (',' or ']') is */
	size_t *elem_start, *elem_delim;
	size_t nelem, elem_cap;
};

static int fz_value(struct fz_json *j, int level, int parent, int is_member,
		    size_t key_off, size_t key_end, long index);

static inline void fz_json_init(struct fz_json *j, const void *s, size_t n, unsigned max_depth)
{
	memset(j, 0, sizeof *j);
	j->s = s;
	j->n = n;
	j->max_depth = max_depth;
}

static inline void fz_json_free(struct fz_json *j)
{
	fz_buf_free(&j->key);
	free(j->elem_start);
	free(j->elem_delim);
	j->elem_start = j->elem_delim = NULL;
}

static inline void fz_skip_ws(struct fz_json *j)
{
	while (j->i < j->n && fz_is_ws(j->s[j->i]))
		j->i++;
}

static inline void fz_emit(struct fz_json *j, const void *p, size_t n)
{
	if (j->out)
		fz_put(j->out, p, n);
}

static inline int fz_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static inline int fz_hex4(const unsigned char *p, size_t avail, unsigned *v)
{
	*v = 0;
	if (avail < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = fz_hex(p[k]);
		if (h < 0)
			return -1;
		*v = *v << 4 | (unsigned)h;
	}
	return 0;
}

static inline void fz_put_cp(struct fz_buf *b, unsigned cp)
{
	unsigned char o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		o[0] = (unsigned char)(0xF0 | cp >> 18);
		o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	fz_put(b, o, n);
}

/* One UTF-8 character at s (n bytes available): decodes it and checks the
 * code point (no overlong forms, no surrogates, at most U+10FFFF).
 * Returns its length, or 0 when invalid. */
static inline size_t fz_utf8(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], v, min;
	size_t need;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
		need = 1, v = c & 0x1F, min = 0x80;
	else if ((c & 0xF0) == 0xE0)
		need = 2, v = c & 0x0F, min = 0x800;
	else if ((c & 0xF8) == 0xF0)
		need = 3, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < need + 1)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return need + 1;
}

/* A string at j->i (on its opening quote). Decodes it into `dec` when not
 * NULL. Returns 0, or -1 when it is not a valid JSON string. */
static inline int fz_string(struct fz_json *j, struct fz_buf *dec)
{
	const unsigned char *s = j->s;
	size_t i = j->i + 1;

	if (dec)
		dec->len = 0;
	for (;;) {
		unsigned c, cp;
		if (i >= j->n)
			return -1;
		c = s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (i + 1 >= j->n)
				return -1;
			switch (s[i + 1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u': {
				unsigned lo;
				if (fz_hex4(s + i + 2, j->n - i - 2, &cp))
					return -1;
				i += 6;
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return -1; /* a low surrogate first */
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (i + 1 >= j->n || s[i] != '\\' || s[i + 1] != 'u' ||
					    fz_hex4(s + i + 2, j->n - i - 2, &lo) ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return -1;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				}
				if (dec)
					fz_put_cp(dec, cp);
				continue;
			}
			default:
				return -1;
			}
			if (dec)
				fz_putc(dec, (char)cp);
			i += 2;
			continue;
		}
		size_t k = fz_utf8(s + i, j->n - i, &cp);
		if (!k)
			return -1;
		if (dec)
			fz_put(dec, s + i, k);
		i += k;
	}
	j->i = i + 1;
	return 0;
}

static inline int fz_digit(const struct fz_json *j, size_t i)
{
	return i < j->n && j->s[i] >= '0' && j->s[i] <= '9';
}

static inline int fz_number(struct fz_json *j)
{
	size_t i = j->i;

	if (i < j->n && j->s[i] == '-')
		i++;
	if (!fz_digit(j, i))
		return -1;
	if (j->s[i] == '0')
		i++;
	else
		while (fz_digit(j, i))
			i++;
	if (i < j->n && j->s[i] == '.') {
		if (!fz_digit(j, ++i))
			return -1;
		while (fz_digit(j, i))
			i++;
	}
	if (i < j->n && (j->s[i] == 'e' || j->s[i] == 'E')) {
		i++;
		if (i < j->n && (j->s[i] == '+' || j->s[i] == '-'))
			i++;
		if (!fz_digit(j, i))
			return -1;
		while (fz_digit(j, i))
			i++;
	}
	j->i = i;
	return 0;
}

static inline int fz_literal(struct fz_json *j, const char *w)
{
	size_t n = strlen(w);

	if (j->n - j->i < n || memcmp(j->s + j->i, w, n))
		return -1;
	j->i += n;
	return 0;
}

/* Adds a node for the value at j->i; returns its index or -1. */
static inline int fz_add_node(struct fz_json *j, int type, int parent, int is_member,
			      size_t key_off, size_t key_end, long index, int level)
{
	struct fz_tree *t = j->tree;
	struct fz_node *nd;

	if (!t)
		return -1;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct fz_node *p = realloc(t->n, cap * sizeof *p);
		if (!p)
			fz_fail("out of memory");
		t->n = p;
		t->cap = cap;
	}
	nd = &t->n[t->count];
	memset(nd, 0, sizeof *nd);
	nd->type = type;
	nd->parent = parent;
	nd->off = j->i;
	nd->is_member = is_member;
	nd->key_off = key_off;
	nd->key_end = key_end;
	nd->index = index;
	nd->depth = level;
	if (is_member) {
		nd->kdec = t->keys.len;
		nd->klen = j->key.len;
		fz_put(&t->keys, j->key.p ? j->key.p : "", j->key.len);
	}
	return (int)t->count++;
}

static inline int fz_enter(struct fz_json *j, int level)
{
	if (level < 0)
		return 0;
	if (++j->depth > j->max_depth) {
		j->too_deep = 1;
		return -1;
	}
	return 0;
}

/* A container at j->i ('{' or '['). `level` is -1 for the array of the
 * array framing (not part of any record), 0 for a record's root. */
static inline int fz_container(struct fz_json *j, int level, int me)
{
	int obj = j->s[j->i] == '{', first = 1;
	char close = obj ? '}' : ']';
	long idx = 0;

	if (fz_enter(j, level))
		return -1;
	fz_emit(j, obj ? "{" : "[", 1);
	j->i++;
	fz_skip_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		goto done;
	}
	for (;;) {
		size_t ko = 0, ke = 0;
		int dropped = 0;
		struct fz_buf *saved = j->out;

		fz_skip_ws(j);
		if (obj) {
			if (j->i >= j->n || j->s[j->i] != '"')
				return -1;
			ko = j->i;
			if (fz_string(j, &j->key))
				return -1;
			ke = j->i;
			if (fz_chain_drops(j->key.p ? j->key.p : "", j->key.len, level == 0)) {
				j->drop_seen = 1;
				dropped = j->drop;
			}
			fz_skip_ws(j);
			if (j->i >= j->n || j->s[j->i] != ':')
				return -1;
			j->i++;
			fz_skip_ws(j);
		}
		if (level < 0 && j->elem_cap == j->nelem) {
			size_t cap = j->elem_cap ? j->elem_cap * 2 : 16;
			size_t *a = realloc(j->elem_start, cap * sizeof *a);
			size_t *b = a ? realloc(j->elem_delim, cap * sizeof *b) : NULL;
			if (!a || !b)
				fz_fail("out of memory");
			j->elem_start = a;
			j->elem_delim = b;
			j->elem_cap = cap;
		}
		if (level < 0)
			j->elem_start[j->nelem] = j->i;
		if (dropped) {
			j->out = NULL;
		} else {
			if (!first)
				fz_emit(j, ",", 1);
			if (obj) {
				fz_emit(j, j->s + ko, ke - ko);
				fz_emit(j, ":", 1);
			}
			first = 0;
		}
		if (fz_value(j, level + 1, me, obj, ko, ke, idx++)) {
			j->out = saved;
			return -1;
		}
		j->out = saved;
		fz_skip_ws(j);
		if (level < 0)
			j->elem_delim[j->nelem++] = j->i;
		if (j->i < j->n && j->s[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->s[j->i] == close) {
			j->i++;
			break;
		}
		return -1;
	}
done:
	fz_emit(j, &close, 1);
	if (level >= 0)
		j->depth--;
	return 0;
}

static int fz_value(struct fz_json *j, int level, int parent, int is_member,
		    size_t key_off, size_t key_end, long index)
{
	size_t start;
	int type, me, rc;

	if (j->i >= j->n)
		return -1;
	switch (j->s[j->i]) {
	case '{': type = FZ_OBJECT; break;
	case '[': type = FZ_ARRAY; break;
	case '"': type = FZ_STRING; break;
	case 't': type = FZ_TRUE; break;
	case 'f': type = FZ_FALSE; break;
	case 'n': type = FZ_NULL; break;
	default: type = FZ_NUMBER; break;
	}
	start = j->i;
	me = level >= 0 ? fz_add_node(j, type, parent, is_member, key_off, key_end, index, level) : -1;
	switch (type) {
	case FZ_OBJECT:
	case FZ_ARRAY: rc = fz_container(j, level, me); break;
	case FZ_STRING: rc = fz_string(j, NULL); break;
	case FZ_TRUE: rc = fz_literal(j, "true"); break;
	case FZ_FALSE: rc = fz_literal(j, "false"); break;
	case FZ_NULL: rc = fz_literal(j, "null"); break;
	default: rc = fz_number(j); break;
	}
	if (rc)
		return -1;
	if (type != FZ_OBJECT && type != FZ_ARRAY)
		fz_emit(j, j->s + start, j->i - start);
	if (me >= 0)
		j->tree->n[me].end = j->i;
	return 0;
}

/* Reads one record: a value with optional whitespace around it. Returns 0
 * or -1 (j->too_deep tells whether only max_depth was in the way). */
static inline int fz_record(struct fz_json *j)
{
	fz_skip_ws(j);
	if (fz_value(j, 0, -1, 0, 0, 0, 0))
		return -1;
	fz_skip_ws(j);
	return j->i == j->n ? 0 : -1;
}

/* Reads the array framing: '[' records ']' with whitespace around; the
 * elements are records. */
static inline int fz_framed_array(struct fz_json *j)
{
	fz_skip_ws(j);
	if (j->i >= j->n || j->s[j->i] != '[')
		return -1;
	if (fz_container(j, -1, -1))
		return -1;
	fz_skip_ws(j);
	return j->i == j->n ? 0 : -1;
}

/* Convenience: whether [s, s+n) is one valid record within max_depth.
 * Returns 1 valid, 0 invalid, -1 too deep (and otherwise unknown). */
static inline int fz_valid_record(const char *s, size_t n, unsigned max_depth)
{
	struct fz_json j;
	int rc;

	fz_json_init(&j, s, n, max_depth);
	rc = fz_record(&j);
	fz_json_free(&j);
	return rc == 0 ? 1 : j.too_deep ? -1 : 0;
}

/* Canonical form of the record [s, s+n) into `out` (reset first), with
 * the chain's drops left out when `drop`. Returns 0, or -1 when it is not
 * a valid record within max_depth. *seen (may be NULL) tells whether a
 * member the chain drops was read. */
static inline int fz_canon_record(const char *s, size_t n, unsigned max_depth, int drop,
				  struct fz_buf *out, int *seen)
{
	struct fz_json j;
	int rc;

	fz_json_init(&j, s, n, max_depth);
	out->len = 0;
	fz_put(out, "", 0);
	j.out = out;
	j.drop = drop;
	rc = fz_record(&j);
	if (seen)
		*seen = j.drop_seen;
	fz_json_free(&j);
	return rc;
}

/* Builds the tree of the record [s, s+n). Returns 0 or -1. */
static inline int fz_build_tree(const char *s, size_t n, unsigned max_depth, struct fz_tree *t)
{
	struct fz_json j;
	int rc;

	memset(t, 0, sizeof *t);
	fz_json_init(&j, s, n, max_depth);
	j.tree = t;
	rc = fz_record(&j);
	fz_json_free(&j);
	return rc;
}

/* ---- records the path and condition targets walk ---- */

static const char *const fz_records[] = {
	"{\"price\": 12.5, \"discount\": 1, \"qty\": 2, \"store_id\": \"s-1\", "
	"\"items\": [{\"sku\": \"a\", \"price\": 3}, {\"sku\": \"b\", \"price\": -4e2, "
	"\"tags\": [\"x\", \"y\"]}, 7, null], \"customer\": {\"id\": 42, \"address\": "
	"{\"zip\": \"1010\", \"city\": \"Wien\"}, \"password\": \"p\"}}",
	"{\"a\": 1, \"a\": {\"a\": [1, {\"a\": 2}]}, \"pr\\u0069ce\": true, \"a.b\": false, "
	"\"\": \"empty\", \"*\": 1, \"**\": 2, \"[0]\": 3, \"q\\\"k\": 4, \"\\u00e9t\\u00e9\": 5, "
	"\"\\ud83d\\ude00\": 6, \"nul\\u0000key\": 7, \"n\": 1e400, \"m\": -0, \"s\": \"10\", "
	"\"t\": \"\\u0031\\u0030\", \"big\": 12345678901234567890}",
	"[{\"price\": 1, \"password\": {\"password\": 2}}, [[[\"deep\", {\"x\": {\"password\": 3}}]]], "
	"\"str\", 0, {}, [], {\"items\": [{\"price\": 5}]}]",
	"{\"x\": {\"y\": {\"z\": {\"w\": {\"v\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}}}, "
	"\"items\": [], \"store_id\": null, \"qty\": 0.5, \"kind\": \"sale\", \"ok\": false}",
	"\"a scalar root\"",
	"{}",
};

#define FZ_NRECORDS (sizeof fz_records / sizeof fz_records[0])

#endif
