/*
 * Fuzz target: the LIST filter (inf_list_filter, runtime/listfilter.c).
 *
 * Input: byte 0 picks the options: bit 0 says the list asked for
 * encoding-type=url, bits 1-2 the access point's prefixes (one of
 * PREFIX_SETS below), bit 3 that it is a v1 list (INF_LIST_V1); the rest
 * is the source's list answer.
 *
 * Invariants, checked against a scan of the output written here from the
 * README (LIST under "On AWS Lambda"), not with runtime/xml.c:
 *  - on failure err is set (kind and message);
 *  - on success the output reads as tags and text (no comment, CDATA,
 *    DOCTYPE, balanced tags under one root); every Key element and every
 *    Prefix inside a CommonPrefixes, decoded (the five entities, &#N; and
 *    &#xH;, then %XX and '+' when url is set), lies inside the prefixes
 *    (a Prefix: inside one or on the way to one), compared as bytes with
 *    their length; a NextMarker (at most one) lies inside them, names a
 *    CommonPrefixes Prefix shown, or (v1) is the marker made from one of
 *    the prefixes (ref_marker, from the README: the greatest key of at
 *    most 1024 bytes below it);
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
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

/* The marker before the prefix q, from the README: q with its last code
 * point lowered (past the surrogates; in XML text, to the greatest
 * character XML 1.0 has), then U+10FFFF while four bytes fit in 1024, then
 * U+007F, U+07FF or U+FFFF (U+FFFD in XML text) for the bytes left.
 * Returns 0, or -1 when there is none. */
static int ref_marker(const char *q, int url, struct fz_buf *m)
{
	size_t n = strlen(q), at = n, left;
	unsigned long c;

	m->len = 0;
	fz_put(m, "", 0);
	while (at && ((unsigned char)q[at - 1] & 0xC0) == 0x80)
		at--;
	if (!at--)
		return -1;
	c = (unsigned char)q[at];
	if (c >= 0xF0)
		c &= 0x07;
	else if (c >= 0xE0)
		c &= 0x0F;
	else if (c >= 0xC0)
		c &= 0x1F;
	for (size_t i = at + 1; i < n; i++)
		c = c << 6 | ((unsigned char)q[i] & 0x3F);
	c = c - 1 >= 0xD800 && c - 1 <= 0xDFFF ? 0xD7FF : c - 1;
	if (!url) {
		if (c == 0xFFFE || c == 0xFFFF)
			c = 0xFFFD;
		while (c && c < 0x20 && c != 0x9 && c != 0xA && c != 0xD)
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

/* Whether the decoded NextMarker v is one made from the prefixes. */
static int ref_is_marker(const struct inf_access_point *ap, int url, const struct fz_buf *v)
{
	struct fz_buf m = { 0 };
	int yes = 0;

	for (size_t i = 0; i < ap->nprefixes && !yes; i++)
		yes = !ref_marker(ap->prefixes[i], url, &m) && fz_buf_eq(&m, v);
	fz_buf_free(&m);
	return yes;
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
 * invariants; fills `sp` with the spans that are not the answer's. */
static void check_output(const struct inf_access_point *ap, int url, int v1, const char *s,
			 size_t n, struct spans *sp)
{
	struct { const char *name; size_t len; } st[STACK];
	size_t depth = 0, blocks = 0, i = 0, nm_a = 0, nm_z = 0;
	int roots = 0, kcs = 0, nms = 0, nm_named = 0;
	long kc = -1;
	struct fz_buf nm = { 0 }, cps = { 0 }; /* cps: the Prefixes shown, NUL after each */

	sp->n = 0;
	while (i < n) {
		const char *name, *q;
		size_t nlen, gt;
		int end, empty;

		if (s[i] != '<') {
			const char *z = memchr(s + i, '<', n - i);
			i = z ? (size_t)(z - s) : n;
			continue;
		}
		FZ_CHECK(i + 1 < n, "output ends in '<'");
		if (s[i + 1] == '?') {
			q = memmem(s + i, n - i, "?>", 2);
			FZ_CHECK(q && i == 0, "output has a processing instruction at %zu", i);
			i = (size_t)(q - s) + 2;
			continue;
		}
		FZ_CHECK(s[i + 1] != '!', "output has a comment, CDATA or DOCTYPE at %zu", i);
		end = s[i + 1] == '/';
		name = s + i + 1 + end;
		for (q = name; q < s + n && !ws(*q) && *q != '/' && *q != '>'; q++)
			;
		nlen = (size_t)(q - name);
		FZ_CHECK(nlen, "output has a tag without a name at %zu", i);
		for (; q < s + n && *q != '>'; q++)
			if (*q == '"' || *q == '\'') {
				const char *z = memchr(q + 1, *q, (size_t)(s + n - q - 1));
				FZ_CHECK(z, "output has an unclosed attribute at %zu", i);
				q = z;
			}
		FZ_CHECK(q < s + n, "output has an unclosed tag at %zu", i);
		gt = (size_t)(q - s);
		empty = !end && s[gt - 1] == '/';
		if (end) {
			FZ_CHECK(depth && st[depth - 1].len == nlen &&
					 !memcmp(st[depth - 1].name, name, nlen),
				 "output has a mismatched end tag at %zu", i);
			depth--;
			i = gt + 1;
			continue;
		}
		if (!depth) {
			FZ_CHECK(!roots++ && named(name, nlen, "ListBucketResult"),
				 "output's root is not one ListBucketResult (at %zu)", i);
		}
		if (depth == 1 && (named(name, nlen, "Contents") || named(name, nlen, "CommonPrefixes")))
			blocks++;
		if (depth == 1 && named(name, nlen, "IsTruncated") && !empty) {
			const char *z = memchr(s + gt + 1, '<', n - gt - 1);
			span_add(sp, gt + 1, z ? (size_t)(z - s) : n);
		}
		if (named(name, nlen, "Key") || named(name, nlen, "NextMarker") ||
		    named(name, nlen, "Prefix") || named(name, nlen, "KeyCount")) {
			size_t ta = gt + 1, tz;
			const char *z = empty ? NULL : memchr(s + ta, '<', n - ta);
			struct fz_buf v = { 0 };
			int in_cp = 0;

			tz = empty ? ta : z ? (size_t)(z - s) : n;
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
	if (nms && !nm_named && v1 && ref_is_marker(ap, url, &nm)) {
		nm_named = 1;
		span_add(sp, nm_a, nm_z);
	}
	FZ_CHECK(!nms || nm_named, "output shows the NextMarker \"%s\" (%zu bytes)", nm.p, nm.len);
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
	struct inf_buf out, again;
	struct inf_error err;
	struct fz_buf cut = { 0 };
	struct spans sp;
	size_t from = 0;
	unsigned flags;
	int url, v1, set, rc;

	if (size < 1)
		return 0;
	url = data[0] & 1;
	set = (data[0] >> 1) & 3;
	v1 = (data[0] >> 3) & 1;
	flags = (url ? INF_LIST_URL : 0) | (v1 ? INF_LIST_V1 : 0);
	ap.name = "fuzz";
	ap.prefixes = PREFIX_SETS[set];
	ap.nprefixes = PREFIX_N[set];
	data++;
	size--;

	rc = run(&ap, (const char *)data, size, flags, &out, &err);
	FZ_CHECK(rc == 0 || rc == -1, "inf_list_filter returned %d", rc);
	if (getenv("INFLIGHT_FUZZ_VERBOSE"))
		fprintf(stderr, "url %d, v1 %d, prefixes %d: %s\n", url, v1, set,
			rc ? err.msg : out.data ? out.data : "");
	if (rc) {
		FZ_CHECK(err.kind != INF_FAIL_NONE && err.msg[0], "a failure without an error");
		inf_buf_free(&out);
		return 0;
	}
	FZ_CHECK(err.kind == INF_FAIL_NONE, "success with an error set: %s", err.msg);
	/* a made NextMarker: 1024 bytes, each %XX at worst, and its tags */
	FZ_CHECK(out.len <= size + 20 + (v1 ? 3 * 1024 + 30 : 0), "output longer than the answer");

	check_output(&ap, url, v1, out.data, out.len, &sp);

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
