/*
 * Fuzz target: the LIST filter (inf_list_filter, runtime/listfilter.c).
 *
 * Input: byte 0 picks the options: bit 0 says the list asked for
 * encoding-type=url, bits 1-2 the access point's prefixes (one of
 * PREFIX_SETS below), bit 3 that it is a v1 list (INF_LIST_V1), bits 4-7
 * a prefix added to them (EXTRA: a space, control bytes, U+FFFF, 1023 to
 * 1025 bytes); the rest is the source's list answer.
 *
 * Invariants, checked against scans of the answer and of the output
 * written here from the README (LIST under "On AWS Lambda"), not with
 * runtime/xml.c or runtime/listmarker.c:
 *  - on failure err is set (kind and message);
 *  - on success the output reads as tags and text (no comment, CDATA,
 *    DOCTYPE, balanced tags under one root); every Key element and every
 *    Prefix inside a CommonPrefixes, decoded (the five entities, &#N; and
 *    &#xH;, then %XX and '+' when url is set and the answer has a root
 *    child EncodingType "url", anywhere), lies inside the prefixes
 *    (a Prefix: inside one or on the way to one), compared as bytes with
 *    their length; a NextMarker (at most one) lies inside them, names a
 *    CommonPrefixes Prefix shown, or is the one the reference makes;
 *  - the paging elements are exactly those the reference predicts from
 *    the answer (ref_paging): S3's NextMarker element, byte for byte, when
 *    it lies inside the prefixes or names the page's last entry, shown;
 *    for a v1 page with IsTruncated "true" whose last entry is hidden, the
 *    NextMarker element made from the smallest prefix after it
 *    (ref_marker: the greatest key of at most 1024 bytes below it;
 *    ref_marker_element), before the root's end tag when S3 sent none, or
 *    IsTruncated "false" and no NextMarker when no prefix lies after it,
 *    or the page as it was when no marker can be made; IsTruncated's text
 *    otherwise as the answer has it;
 *  - KeyCount (at most one) says how many Contents and CommonPrefixes the
 *    output has under its root;
 *  - the output is the answer with bytes deleted (a subsequence), but for
 *    KeyCount's and IsTruncated's text and a NextMarker made from the
 *    prefixes;
 *  - filtering the output again gives the same bytes.
 * INFLIGHT_FUZZ_VERBOSE=1 prints the output or the error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzzutil.h"
#include "list.h"

/* ---- the access points ---- */

static char *set0[] = { "store_events/", "a b/" };
static char *set1[] = { "store_events/sales/" };
static char *set2[] = { "50%/", "x+y/", "&<" };
static char *set3[] = { "\xc3\xa9/", "k" };
static char **const PREFIX_SETS[4] = { set0, set1, set2, set3 };
static const size_t PREFIX_N[4] = { 2, 1, 3, 2 };

/* The prefix bits 4-7 of the options byte add to the set (0: none): the
 * ways a v1 marker is made from a prefix, or cannot be (README). The long
 * ones are written by LLVMFuzzerInitialize. */
static char long1023[1024], long1024[1025], long1025[1026];
static char *const EXTRA[16] = {
	NULL,
	"m ",			/* lowered to U+001F; in XML text to CR */
	"c\x01" "d/",		/* a control byte XML cannot carry: no marker in XML text */
	"e\x01",		/* ends in U+0001: no marker */
	"t\x0b",		/* ends in U+000B; in XML text lowered to LF */
	"p\t",			/* ends in a tab; in XML text no marker */
	"g\xef\xbf\xbf",	/* ends in U+FFFF: U+FFFE; in XML text U+FFFD */
	"f\xef\xbf\xbf/",	/* holds U+FFFF: no marker in XML text */
	"h\xee\x80\x80",	/* ends in U+E000: lowered past the surrogates */
	"i\xf0\x90\x80\x80",	/* ends in U+10000 */
	"u\xe0\xa0\x80",	/* ends in U+0800: the marker's last code point is shorter */
	"r<&>\r/",		/* bytes the element escapes */
	long1023,		/* 1023 bytes: one left, U+007F */
	long1024,		/* 1024 bytes, ends in U+00E9: nothing left */
	long1025,		/* 1025 bytes: no marker */
	"v\xc3\xa9 /",		/* a space inside */
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(long1023, 'l', 1022);
	long1023[1022] = '/';
	memset(long1024, 'n', 1022);
	memcpy(long1024 + 1022, "\xc3\xa9", 2);
	memset(long1025, 'o', 1024);
	long1025[1024] = '/';
	return 0;
}

/* ---- the reference ---- */

static int ref_inside(const struct inf_access_point *ap, const char *k, size_t n)
{
	for (size_t i = 0; i < ap->nprefixes; i++) {
		size_t pl = strlen(ap->prefixes[i]);
		if (n >= pl && !memcmp(k, ap->prefixes[i], pl))
			return 1;
	}
	return 0;
}

/* inside a prefix, or on the way to one */
static int ref_visible(const struct inf_access_point *ap, const char *p, size_t n)
{
	if (!n)
		return 0;
	if (ref_inside(ap, p, n))
		return 1;
	for (size_t i = 0; i < ap->nprefixes; i++)
		if (n <= strlen(ap->prefixes[i]) && !memcmp(ap->prefixes[i], p, n))
			return 1;
	return 0;
}

static void put_utf8(struct fz_buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		fz_putc(b, (char)cp);
	} else if (cp < 0x800) {
		fz_putc(b, (char)(0xC0 | (cp >> 6)));
		fz_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		fz_putc(b, (char)(0xE0 | (cp >> 12)));
		fz_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		fz_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		fz_putc(b, (char)(0xF0 | (cp >> 18)));
		fz_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		fz_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		fz_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* XML text [a, z) as the key it names: references, then (url) %XX and
 * '+'. Returns 0, or -1 when it cannot be decoded. */
static int ref_decode(const char *a, const char *z, int url, struct fz_buf *out)
{
	static const char *const ents[] = { "lt;<", "gt;>", "amp;&", "quot;\"", "apos;'" };
	struct fz_buf x = { 0 };

	fz_put(&x, "", 0);
	while (a < z) {
		const char *semi;
		size_t i;
		if (*a != '&') {
			fz_putc(&x, *a++);
			continue;
		}
		if (!(semi = memchr(a, ';', (size_t)(z - a))))
			goto bad;
		for (i = 0; i < 5; i++) {
			size_t l = strlen(ents[i]) - 1;
			if ((size_t)(semi + 1 - (a + 1)) == l && !memcmp(a + 1, ents[i], l))
				break;
		}
		if (i < 5) {
			fz_putc(&x, ents[i][strlen(ents[i]) - 1]);
		} else {
			int hex = a + 2 < semi && a[1] == '#' && a[2] == 'x';
			const char *d = a + 2 + hex;
			unsigned long cp = 0;
			if (a[1] != '#' || d >= semi)
				goto bad;
			for (; d < semi; d++) {
				int v = hex ? hexval(*d) : (*d >= '0' && *d <= '9' ? *d - '0' : -1);
				if (v < 0)
					goto bad;
				cp = cp * (hex ? 16u : 10u) + (unsigned)v;
				if (cp > 0x10FFFF)
					goto bad;
			}
			if (!cp || (cp >= 0xD800 && cp <= 0xDFFF))
				goto bad;
			put_utf8(&x, cp);
		}
		a = semi + 1;
	}
	for (size_t i = 0; i < x.len; i++) {
		if (!url || (x.p[i] != '%' && x.p[i] != '+')) {
			fz_putc(out, x.p[i]);
		} else if (x.p[i] == '+') {
			fz_putc(out, ' ');
		} else {
			int hi, lo;
			if (i + 2 >= x.len || (hi = hexval(x.p[i + 1])) < 0 ||
			    (lo = hexval(x.p[i + 2])) < 0)
				goto bad;
			fz_putc(out, (char)(hi * 16 + lo));
			i += 2;
		}
	}
	fz_buf_free(&x);
	return 0;
bad:
	fz_buf_free(&x);
	return -1;
}

/* Whether XML 1.0 has a character for the code point c (its Char). */
static int ref_xml_char(unsigned long c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* The code point of the UTF-8 at s[*i] (the prefixes are UTF-8), *i
 * moved past it. */
static unsigned long ref_code_point(const char *s, size_t *i)
{
	static const unsigned char lead[4] = { 0x7F, 0x1F, 0x0F, 0x07 };
	unsigned char b = (unsigned char)s[*i];
	size_t more = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
	unsigned long c = b & lead[more];

	for ((*i)++; more--; (*i)++)
		c = c << 6 | ((unsigned char)s[*i] & 0x3F);
	return c;
}

/* The marker before the prefix q, from the README: the greatest S3 key
 * (at most 1024 bytes; in XML text, of characters XML 1.0 has) below q:
 * q with its last code point lowered (past the surrogates; in XML text,
 * to the greatest character XML 1.0 has), then U+10FFFF while four bytes
 * fit in 1024, then U+007F, U+07FF or U+FFFF (U+FFFD in XML text) for the
 * bytes left. Returns 0, or -1 when there is none: the lowered code point
 * would be U+0000, q lowered is longer than 1024 bytes, or (XML text) the
 * code points of q kept are not all XML characters. */
static int ref_marker(const char *q, int url, struct fz_buf *m)
{
	size_t n = strlen(q), at = 0, i = 0, left;
	unsigned long c = 0;

	m->len = 0;
	fz_put(m, "", 0);
	while (i < n) {
		at = i;
		c = ref_code_point(q, &i);
		if (!url && i < n && !ref_xml_char(c))
			return -1;
	}
	if (!n)
		return -1;
	c = c - 1 >= 0xD800 && c - 1 <= 0xDFFF ? 0xD7FF : c - 1;
	if (!url) {
		if (c == 0xFFFE || c == 0xFFFF)
			c = 0xFFFD;
		while (c && !ref_xml_char(c))
			c--;
	}
	if (!c)
		return -1;
	fz_put(m, q, at);
	put_utf8(m, c);
	if (m->len > 1024)
		return -1;
	for (left = 1024 - m->len; left >= 4; left -= 4)
		put_utf8(m, 0x10FFFF);
	if (left)
		put_utf8(m, left == 1 ? 0x7F : left == 2 ? 0x7FF : url ? 0xFFFF : 0xFFFD);
	return 0;
}

/* Appends the NextMarker element holding the made marker m
 * (listmarker.h): URL-encoded when url (%XX, upper case, for every byte
 * but letters, digits and "-._~/"), else with &, <, > and CR as
 * references. */
static void ref_marker_element(const struct fz_buf *m, int url, struct fz_buf *e)
{
	static const char hex[] = "0123456789ABCDEF";

	fz_put(e, "<NextMarker>", 12);
	for (size_t i = 0; i < m->len; i++) {
		unsigned char c = (unsigned char)m->p[i];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			    c == '~' || c == '/';
		if (url && !plain) {
			char x[3] = { '%', hex[c >> 4], hex[c & 15] };
			fz_put(e, x, 3);
		} else if (!url && c == '&') {
			fz_put(e, "&amp;", 5);
		} else if (!url && c == '<') {
			fz_put(e, "&lt;", 4);
		} else if (!url && c == '>') {
			fz_put(e, "&gt;", 4);
		} else if (!url && c == '\r') {
			fz_put(e, "&#13;", 5);
		} else {
			fz_putc(e, (char)c);
		}
	}
	fz_put(e, "</NextMarker>", 13);
}

static int named(const char *name, size_t n, const char *want)
{
	const char *c = memrchr(name, ':', n);

	if (c) {
		n -= (size_t)(c + 1 - name);
		name = c + 1;
	}
	return n == strlen(want) && !strncasecmp(name, want, n);
}

static int ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#define STACK 64

/* The first 60 bytes of [p, p + n) for a message, other bytes than
 * printable ASCII as \xNN, "..." after a cut; in `b` (fz_show_n bytes). */
enum { fz_show_n = 60 * 4 + 4 };
static const char *show(const char *p, size_t n, char *b)
{
	size_t k = 0;

	for (size_t i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7F)
			b[k++] = (char)c;
		else
			k += (size_t)snprintf(b + k, 5, "\\x%02X", c);
	}
	memcpy(b + k, n > 60 ? "..." : "", n > 60 ? 4 : 1);
	return b;
}

/* A tag of a text the scans read (the answer or the output). */
struct tag {
	const char *name;
	size_t nlen;
	size_t gt; /* its '>' */
	int end, empty;
};

/* Reads the tag at s[i], a '<' not followed by '?', of `what` (the
 * "answer" the filter accepted or its "output"), which holds no comment,
 * CDATA or DOCTYPE and no unclosed tag. */
static void read_tag(const char *s, size_t n, size_t i, const char *what, struct tag *t)
{
	const char *q;

	FZ_CHECK(i + 1 < n, "%s ends in '<'", what);
	FZ_CHECK(s[i + 1] != '!', "%s has a comment, CDATA or DOCTYPE at %zu", what, i);
	t->end = s[i + 1] == '/';
	t->name = s + i + 1 + t->end;
	for (q = t->name; q < s + n && !ws(*q) && *q != '/' && *q != '>'; q++)
		;
	t->nlen = (size_t)(q - t->name);
	FZ_CHECK(t->nlen, "%s has a tag without a name at %zu", what, i);
	for (; q < s + n && *q != '>'; q++)
		if (*q == '"' || *q == '\'') {
			const char *z = memchr(q + 1, *q, (size_t)(s + n - q - 1));
			FZ_CHECK(z, "%s has an unclosed attribute at %zu", what, i);
			q = z;
		}
	FZ_CHECK(q < s + n, "%s has an unclosed tag at %zu", what, i);
	t->gt = (size_t)(q - s);
	t->empty = !t->end && s[t->gt - 1] == '/';
}

/* Where the text of the element `t` starts ends: at its end tag, or where
 * it starts when it is empty. */
static size_t text_end(const char *s, size_t n, const struct tag *t)
{
	const char *z = t->empty ? NULL : memchr(s + t->gt + 1, '<', n - t->gt - 1);

	return t->empty ? t->gt + 1 : z ? (size_t)(z - s) : n;
}

/* What the answer says of its paging, read as the README says the filter
 * reads it: the greatest Key or CommonPrefixes Prefix of its blocks
 * (decoded) and whether a block holding it is shown; S3's NextMarker
 * (decoded) and its element; IsTruncated's text. */
struct page {
	struct fz_buf last, nm;
	int has_last, last_shown, has_nm, has_tr, truncated;
	size_t nm_a, nm_z; /* the NextMarker element */
	size_t tr_a, tr_z; /* IsTruncated's text */
};

/* Keeps the block value v as the page's last entry when it is the
 * greatest yet. */
static void page_note(struct page *pg, const struct fz_buf *v, int shown)
{
	int c = pg->has_last ? strcmp(v->p, pg->last.p) : 1;

	if (c > 0) {
		pg->last.len = 0;
		fz_put(&pg->last, v->p, v->len);
		pg->has_last = 1;
		pg->last_shown = shown;
	} else if (!c) {
		pg->last_shown |= shown;
	}
}

/* The next tag of the answer s (n bytes), which the filter accepted, from
 * s[*i], past text and the XML declaration (only at its start): 1 with
 * t filled and *i past it, or 0 at the end; *at is where it starts. */
static int next_tag(const char *s, size_t n, size_t *i, size_t *at, struct tag *t)
{
	while (*i < n) {
		if (s[*i] != '<') {
			const char *z = memchr(s + *i, '<', n - *i);
			*i = z ? (size_t)(z - s) : n;
			continue;
		}
		if (*i + 1 < n && s[*i + 1] == '?') {
			const char *q = memmem(s + *i, n - *i, "?>", 2);
			FZ_CHECK(q && *i == 0, "answer has a processing instruction at %zu", *i);
			*i = (size_t)(q - s) + 2;
			continue;
		}
		read_tag(s, n, *at = *i, "answer", t);
		*i = t->gt + 1;
		return 1;
	}
	return 0;
}

/* Whether the answer s (n bytes), which the filter accepted, has a child
 * of its root <EncodingType> whose text is "url" (any case). */
static int ref_says_url(const char *s, size_t n)
{
	size_t depth = 0, i = 0, at;
	struct tag t;
	int url = 0;

	while (!url && next_tag(s, n, &i, &at, &t)) {
		struct fz_buf v = { 0 };

		if (t.end) {
			depth--;
			continue;
		}
		if (depth == 1 && !t.empty && named(t.name, t.nlen, "EncodingType") &&
		    !ref_decode(s + t.gt + 1, s + text_end(s, n, &t), 0, &v))
			url = v.len == 3 && !strncasecmp(v.p, "url", 3);
		fz_buf_free(&v);
		depth += !t.empty;
	}
	return url;
}

/* Reads the answer s (n bytes), which the filter accepted, into pg. */
static void scan_answer(const struct inf_access_point *ap, int url, const char *s, size_t n,
			struct page *pg)
{
	size_t depth = 0, i = 0, at;
	int blk = 0, has_v = 0; /* blk: 1 in a Contents, 2 in a CommonPrefixes */
	struct fz_buf v = { 0 };
	struct tag t;

	memset(pg, 0, sizeof *pg);
	fz_put(&pg->last, "", 0);
	fz_put(&pg->nm, "", 0);
	while (next_tag(s, n, &i, &at, &t)) {
		size_t tz;

		if (t.end) {
			FZ_CHECK(depth, "answer has an end tag too many");
			if (--depth == 1 && blk) {
				if (has_v)
					page_note(pg, &v, blk == 1 ? ref_inside(ap, v.p, v.len)
								   : ref_visible(ap, v.p, v.len));
				blk = has_v = 0;
			}
			continue;
		}
		tz = text_end(s, n, &t);
		if (depth == 1 && !t.empty &&
		    (named(t.name, t.nlen, "Contents") || named(t.name, t.nlen, "CommonPrefixes"))) {
			blk = named(t.name, t.nlen, "Contents") ? 1 : 2;
		} else if (depth == 2 && blk && named(t.name, t.nlen, blk == 1 ? "Key" : "Prefix")) {
			v.len = 0;
			FZ_CHECK(!ref_decode(s + t.gt + 1, s + tz, url, &v),
				 "answer has a Key or Prefix the reference cannot decode at %zu", at);
			fz_put(&v, "", 0);
			has_v = 1;
		} else if (depth == 1 && named(t.name, t.nlen, "NextMarker")) {
			const char *e = t.empty ? NULL : memchr(s + tz, '>', n - tz);
			FZ_CHECK(!ref_decode(s + t.gt + 1, s + tz, url, &pg->nm),
				 "answer has a NextMarker the reference cannot decode at %zu", at);
			fz_put(&pg->nm, "", 0);
			pg->has_nm = 1;
			pg->nm_a = at;
			pg->nm_z = e ? (size_t)(e - s) + 1 : t.gt + 1;
		} else if (depth == 1 && named(t.name, t.nlen, "IsTruncated")) {
			struct fz_buf tr = { 0 };
			FZ_CHECK(!ref_decode(s + t.gt + 1, s + tz, 0, &tr),
				 "answer has an IsTruncated the reference cannot decode at %zu", at);
			pg->has_tr = 1;
			pg->truncated = tr.len == 4 && !memcmp(tr.p, "true", 4);
			pg->tr_a = t.gt + 1;
			pg->tr_z = tz;
			fz_buf_free(&tr);
		}
		if (!t.empty) {
			FZ_CHECK(depth < STACK, "answer nests deeper than %d", STACK);
			depth++;
		}
	}
	fz_buf_free(&v);
}

/* What the output's paging elements must be (README, LIST): the
 * NextMarker element's bytes (none when nm.len is 0), whether it is one
 * made from the prefixes, and IsTruncated's text. */
struct paging {
	struct fz_buf nm;
	int made, at_root_end; /* made, before the root's end tag */
	int has_tr;
	const char *tr;
	size_t trlen;
};

/* The paging of the page pg, read from the answer s: S3's NextMarker stays
 * when it lies inside the prefixes or names the page's last entry L (the
 * greatest of its keys, common prefixes and NextMarker), shown. A v1 page
 * with IsTruncated "true" whose L is hidden gets the marker of q, the
 * smallest prefix greater than L, in place of S3's NextMarker (or before
 * the root's end tag); with no such prefix, IsTruncated "false" and no
 * NextMarker; when q has no marker, or L lies under a prefix or past the
 * marker, the page stays as it is. */
static void ref_paging(const struct inf_access_point *ap, int url, int v1, const char *s,
		       const struct page *pg, struct paging *pp)
{
	const struct fz_buf *last = pg->has_last ? &pg->last : NULL, *nm = &pg->nm;
	int shown = pg->last_shown;
	const char *q = NULL;
	struct fz_buf m = { 0 };

	memset(pp, 0, sizeof *pp);
	fz_put(&pp->nm, "", 0);
	pp->has_tr = pg->has_tr;
	pp->tr = s + pg->tr_a;
	pp->trlen = pg->tr_z - pg->tr_a;
	if (pg->has_nm && (!last || strcmp(nm->p, last->p) >= 0)) {
		shown = ref_inside(ap, nm->p, nm->len) || (last && fz_buf_eq(nm, last) && shown);
		last = nm;
	}
	if (pg->has_nm && (ref_inside(ap, nm->p, nm->len) || (last == nm && shown)))
		fz_put(&pp->nm, s + pg->nm_a, pg->nm_z - pg->nm_a);
	if (!v1 || !pg->truncated || !last || shown || ref_inside(ap, last->p, last->len))
		return;
	for (size_t i = 0; i < ap->nprefixes; i++) {
		const char *p = ap->prefixes[i];
		if (strcmp(p, last->p) > 0 && (!q || strcmp(p, q) < 0))
			q = p;
	}
	if (!q) {
		pp->nm.len = 0;
		pp->tr = "false";
		pp->trlen = 5;
	} else if (!ref_marker(q, url, &m) && strcmp(last->p, m.p) <= 0) {
		pp->nm.len = 0;
		ref_marker_element(&m, url, &pp->nm);
		pp->made = 1;
		pp->at_root_end = !pg->has_nm;
	}
	fz_buf_free(&m);
}

/* The spans of the output that need not come from the answer: KeyCount's
 * and IsTruncated's text, a NextMarker made from the prefixes. */
struct spans {
	size_t a[3], z[3];
	size_t n;
};

/* Adds [a, z), keeping the spans in order. */
static void span_add(struct spans *sp, size_t a, size_t z)
{
	size_t k;

	FZ_CHECK(sp->n < 3, "output has more than one KeyCount, IsTruncated or NextMarker");
	for (k = sp->n++; k && sp->a[k - 1] > a; k--) {
		sp->a[k] = sp->a[k - 1];
		sp->z[k] = sp->z[k - 1];
	}
	sp->a[k] = a;
	sp->z[k] = z;
}

/* Scans the filter's output `s` and checks the second and third
 * invariants, and that its NextMarker and IsTruncated are those of `pp`;
 * fills `sp` with the spans that are not the answer's. */
static void check_output(const struct inf_access_point *ap, int url, const struct paging *pp,
			 const char *s, size_t n, struct spans *sp)
{
	struct { const char *name; size_t len; } st[STACK];
	size_t depth = 0, blocks = 0, i = 0, nm_a = 0, nm_z = 0, tr_a = 0, tr_z = 0;
	size_t root_end = 0;
	int roots = 0, kcs = 0, nms = 0, trs = 0, nm_named = 0;
	long kc = -1;
	struct fz_buf nm = { 0 }, cps = { 0 }; /* cps: the Prefixes shown, NUL after each */
	char b1[fz_show_n], b2[fz_show_n];

	sp->n = 0;
	while (i < n) {
		const char *name, *q;
		size_t nlen, gt;
		int empty;
		struct tag t;

		if (s[i] != '<') {
			const char *z = memchr(s + i, '<', n - i);
			i = z ? (size_t)(z - s) : n;
			continue;
		}
		if (i + 1 < n && s[i + 1] == '?') {
			q = memmem(s + i, n - i, "?>", 2);
			FZ_CHECK(q && i == 0, "output has a processing instruction at %zu", i);
			i = (size_t)(q - s) + 2;
			continue;
		}
		read_tag(s, n, i, "output", &t);
		name = t.name;
		nlen = t.nlen;
		gt = t.gt;
		empty = t.empty;
		if (t.end) {
			FZ_CHECK(depth && st[depth - 1].len == nlen &&
					 !memcmp(st[depth - 1].name, name, nlen),
				 "output has a mismatched end tag at %zu", i);
			if (--depth == 0)
				root_end = i;
			i = gt + 1;
			continue;
		}
		if (!depth) {
			FZ_CHECK(!roots++ && named(name, nlen, "ListBucketResult"),
				 "output's root is not one ListBucketResult (at %zu)", i);
		}
		if (depth == 1 && (named(name, nlen, "Contents") || named(name, nlen, "CommonPrefixes")))
			blocks++;
		if (depth == 1 && named(name, nlen, "IsTruncated")) {
			FZ_CHECK(!trs++, "output has two IsTruncated");
			tr_a = gt + 1;
			tr_z = text_end(s, n, &t);
			if (!empty)
				span_add(sp, tr_a, tr_z);
		}
		if (named(name, nlen, "Key") || named(name, nlen, "NextMarker") ||
		    named(name, nlen, "Prefix") || named(name, nlen, "KeyCount")) {
			size_t ta = gt + 1, tz = text_end(s, n, &t);
			struct fz_buf v = { 0 };
			int in_cp = 0;

			for (size_t d = 0; d < depth; d++)
				in_cp |= named(st[d].name, st[d].len, "CommonPrefixes");
			if (named(name, nlen, "KeyCount")) {
				FZ_CHECK(!kcs++, "output has two KeyCount");
				span_add(sp, ta, tz);
				kc = 0;
				for (size_t k = ta; k < tz; k++) {
					FZ_CHECK(s[k] >= '0' && s[k] <= '9' && kc < 100000000,
						 "KeyCount text is not a count");
					kc = kc * 10 + (s[k] - '0');
				}
				FZ_CHECK(tz > ta, "KeyCount is empty");
			} else if (!named(name, nlen, "Prefix") || in_cp) {
				FZ_CHECK(!ref_decode(s + ta, s + tz, url, &v),
					 "output has a %.*s the reference cannot decode at %zu",
					 (int)nlen, name, ta);
				fz_put(&v, "", 0);
				if (named(name, nlen, "Prefix")) {
					FZ_CHECK(ref_visible(ap, v.p, v.len),
						 "output shows the CommonPrefixes Prefix \"%s\" (%zu bytes) at %zu",
						 v.p, v.len, ta);
					fz_put(&cps, v.p, v.len + 1);
				} else if (named(name, nlen, "NextMarker")) {
					FZ_CHECK(!nms++, "output has two NextMarker");
					fz_put(&nm, v.p, v.len);
					nm_named = ref_inside(ap, v.p, v.len);
					const char *e = empty ? NULL : memchr(s + tz, '>', n - tz);
					nm_a = i;
					nm_z = e ? (size_t)(e - s) + 1 : gt + 1;
				} else
					FZ_CHECK(ref_inside(ap, v.p, v.len),
						 "output shows the %.*s \"%s\" (%zu bytes) at %zu",
						 (int)nlen, name, v.p, v.len, ta);
			}
			fz_buf_free(&v);
		}
		if (!empty) {
			FZ_CHECK(depth < STACK, "output nests deeper than %d", STACK);
			st[depth].name = name;
			st[depth++].len = nlen;
		}
		i = gt + 1;
	}
	FZ_CHECK(roots == 1 && depth == 0, "output is not one closed root");
	for (size_t k = 0; nms && !nm_named && k < cps.len; k += strlen(cps.p + k) + 1)
		nm_named = strlen(cps.p + k) == nm.len && !memcmp(cps.p + k, nm.p, nm.len);
	if (nms && pp->made) {
		nm_named = 1;
		span_add(sp, nm_a, nm_z);
	}
	FZ_CHECK(!nms || nm_named, "output shows the NextMarker \"%s\" (%zu bytes)",
		 show(nm.p, nm.len, b1), nm.len);
	FZ_CHECK(nms ? nm_z - nm_a == pp->nm.len && !memcmp(s + nm_a, pp->nm.p, pp->nm.len)
		     : !pp->nm.len,
		 "output's NextMarker is \"%s\" (%zu bytes), the reference's \"%s\" (%zu bytes)",
		 show(s + nm_a, nms ? nm_z - nm_a : 0, b1), nms ? nm_z - nm_a : 0,
		 show(pp->nm.p, pp->nm.len, b2), pp->nm.len);
	FZ_CHECK(!pp->made || !pp->at_root_end || nm_z == root_end,
		 "output's made NextMarker is not before the root's end tag");
	FZ_CHECK(trs == pp->has_tr &&
			 (!trs || (tr_z - tr_a == pp->trlen && !memcmp(s + tr_a, pp->tr, pp->trlen))),
		 "output's IsTruncated says \"%s\", the reference's \"%s\"",
		 show(s + tr_a, trs ? tr_z - tr_a : 0, b1), show(pp->tr, pp->has_tr ? pp->trlen : 0, b2));
	fz_buf_free(&nm);
	fz_buf_free(&cps);
	FZ_CHECK(kc < 0 || (size_t)kc == blocks, "KeyCount %ld, but %zu blocks shown", kc, blocks);
}

static int run(const struct inf_access_point *ap, const char *data, size_t size, unsigned flags,
	       struct inf_buf *out, struct inf_error *err)
{
	/* exactly the bytes, no NUL after them, so that ASan sees a read past */
	struct inf_buf xml = { .data = malloc(size ? size : 1), .len = size, .cap = size };
	int rc;

	if (!xml.data)
		abort();
	if (size)
		memcpy(xml.data, data, size);
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	rc = inf_list_filter(ap, &xml, flags, out, err);
	free(xml.data);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inf_access_point ap = { 0 };
	char *prefixes[4];
	struct inf_buf out, again;
	struct inf_error err;
	struct fz_buf cut = { 0 };
	struct spans sp;
	struct page pg;
	struct paging pp;
	size_t from = 0;
	unsigned flags;
	int url, v1, set, extra, rc;
	char b1[fz_show_n];

	if (size < 1)
		return 0;
	url = data[0] & 1;
	set = (data[0] >> 1) & 3;
	v1 = (data[0] >> 3) & 1;
	extra = data[0] >> 4;
	flags = (url ? INF_LIST_URL : 0) | (v1 ? INF_LIST_V1 : 0);
	ap.name = "fuzz";
	memcpy(prefixes, PREFIX_SETS[set], PREFIX_N[set] * sizeof prefixes[0]);
	ap.prefixes = prefixes;
	ap.nprefixes = PREFIX_N[set];
	if (extra)
		prefixes[ap.nprefixes++] = EXTRA[extra];
	data++;
	size--;

	rc = run(&ap, (const char *)data, size, flags, &out, &err);
	FZ_CHECK(rc == 0 || rc == -1, "inf_list_filter returned %d", rc);
	if (getenv("INFLIGHT_FUZZ_VERBOSE"))
		fprintf(stderr, "url %d, v1 %d, prefixes %d + %d: %s\n", url, v1, set, extra,
			rc ? err.msg : out.data ? out.data : "");
	if (rc) {
		FZ_CHECK(err.kind != INF_FAIL_NONE && err.msg[0], "a failure without an error");
		inf_buf_free(&out);
		return 0;
	}
	FZ_CHECK(err.kind == INF_FAIL_NONE, "success with an error set: %s", err.msg);
	/* a made NextMarker: 1024 bytes, each %XX at worst, and its tags */
	FZ_CHECK(out.len <= size + 20 + (v1 ? 3 * 1024 + 30 : 0), "output longer than the answer");

	/* keys are decoded when asked for and answered so (README) */
	url = url && ref_says_url((const char *)data, size);
	scan_answer(&ap, url, (const char *)data, size, &pg);
	ref_paging(&ap, url, v1, (const char *)data, &pg, &pp);
	if (getenv("INFLIGHT_FUZZ_VERBOSE"))
		fprintf(stderr, "expected: %s, IsTruncated %.*s\n",
			pp.nm.len ? show(pp.nm.p, pp.nm.len, b1) : "no NextMarker",
			pp.has_tr ? (int)pp.trlen : 0, pp.tr);
	check_output(&ap, url, &pp, out.data, out.len, &sp);
	fz_buf_free(&pg.last);
	fz_buf_free(&pg.nm);
	fz_buf_free(&pp.nm);

	for (size_t k = 0; k < sp.n; k++) { /* the spans, in order */
		fz_put(&cut, out.data + from, sp.a[k] - from);
		from = sp.z[k];
	}
	fz_put(&cut, out.data + from, out.len - from);
	FZ_CHECK(fz_subsequence(cut.p, cut.len, (const char *)data, size),
		 "the output (KeyCount's, IsTruncated's text and a made NextMarker aside) is not the "
		 "answer with bytes deleted");
	fz_buf_free(&cut);

	FZ_CHECK(run(&ap, out.data, out.len, flags, &again, &err) == 0,
		 "the output filtered again fails: %s", err.msg);
	FZ_CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len),
		 "the output filtered again changes");
	inf_buf_free(&again);
	inf_buf_free(&out);
	return 0;
}
