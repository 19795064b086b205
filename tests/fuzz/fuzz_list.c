/*
 * Fuzz target: the LIST filter (inf_list_filter, runtime/listfilter.c).
 *
 * Input: byte 0 picks the options: bit 0 says the list asked for
 * encoding-type=url, bits 1-2 the access point's prefixes (one of
 * PREFIX_SETS below); the rest is the source's list answer.
 *
 * Invariants, checked against a scan of the output written here from the
 * README (LIST under "On AWS Lambda"), not with runtime/xml.c:
 *  - on failure err is set (kind and message);
 *  - on success the output reads as tags and text (no comment, CDATA,
 *    DOCTYPE, balanced tags under one root); every Key element, every
 *    NextMarker and every Prefix inside a CommonPrefixes, decoded (the
 *    five entities, &#N; and &#xH;, then %XX and '+' when url is set),
 *    lies inside the prefixes (a Prefix: inside one or on the way to
 *    one), compared as bytes with their length;
 *  - KeyCount (at most one) says how many Contents and CommonPrefixes the
 *    output has under its root;
 *  - the output is the answer with bytes deleted (a subsequence), but for
 *    KeyCount's text;
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

/* Scans the filter's output `s` and checks the second and third
 * invariants; sets [*kc_a, *kc_z) to KeyCount's text (both 0 if none). */
static void check_output(const struct inf_access_point *ap, int url, const char *s, size_t n,
			 size_t *kc_a, size_t *kc_z)
{
	struct { const char *name; size_t len; } st[STACK];
	size_t depth = 0, blocks = 0, i = 0;
	int roots = 0, kcs = 0;
	long kc = -1;

	*kc_a = *kc_z = 0;
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
				*kc_a = ta;
				*kc_z = tz;
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
				if (named(name, nlen, "Prefix"))
					FZ_CHECK(ref_visible(ap, v.p, v.len),
						 "output shows the CommonPrefixes Prefix \"%s\" (%zu bytes) at %zu",
						 v.p, v.len, ta);
				else
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
	FZ_CHECK(kc < 0 || (size_t)kc == blocks, "KeyCount %ld, but %zu blocks shown", kc, blocks);
}

static int run(const struct inf_access_point *ap, const char *data, size_t size, int url,
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
	rc = inf_list_filter(ap, &xml, url, out, err);
	free(xml.data);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inf_access_point ap = { 0 };
	struct inf_buf out, again;
	struct inf_error err;
	struct fz_buf cut = { 0 };
	size_t kc_a, kc_z;
	int url, set, rc;

	if (size < 1)
		return 0;
	url = data[0] & 1;
	set = (data[0] >> 1) & 3;
	ap.name = "fuzz";
	ap.prefixes = PREFIX_SETS[set];
	ap.nprefixes = PREFIX_N[set];
	data++;
	size--;

	rc = run(&ap, (const char *)data, size, url, &out, &err);
	FZ_CHECK(rc == 0 || rc == -1, "inf_list_filter returned %d", rc);
	if (getenv("INFLIGHT_FUZZ_VERBOSE"))
		fprintf(stderr, "url %d, prefixes %d: %s\n", url, set,
			rc ? err.msg : out.data ? out.data : "");
	if (rc) {
		FZ_CHECK(err.kind != INF_FAIL_NONE && err.msg[0], "a failure without an error");
		inf_buf_free(&out);
		return 0;
	}
	FZ_CHECK(err.kind == INF_FAIL_NONE, "success with an error set: %s", err.msg);
	FZ_CHECK(out.len <= size + 20, "output longer than the answer");

	check_output(&ap, url, out.data, out.len, &kc_a, &kc_z);

	fz_put(&cut, out.data, kc_a);
	fz_put(&cut, out.data + kc_z, out.len - kc_z);
	FZ_CHECK(fz_subsequence(cut.p, cut.len, (const char *)data, size),
		 "the output (KeyCount's text aside) is not the answer with bytes deleted");
	fz_buf_free(&cut);

	FZ_CHECK(run(&ap, out.data, out.len, url, &again, &err) == 0,
		 "the output filtered again fails: %s", err.msg);
	FZ_CHECK(again.len == out.len && !memcmp(again.data, out.data, out.len),
		 "the output filtered again changes");
	inf_buf_free(&again);
	inf_buf_free(&out);
	return 0;
}
