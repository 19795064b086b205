#include "redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "event.h"

/* The length of s's scheme and its ':' (RFC 3986); 0 if s has none. */
static size_t scheme_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')
		n++;
	return s[n] == ':' ? n + 1 : 0;
}

/* Where the part of a URL that may carry a credential starts: the first
 * '?', '#', ';' or '&', or '?' or '#' %-encoded (a client that encoded
 * the query into the path); the end if none. */
static const char *query_start(const char *url)
{
	for (const char *p = url; *p; p++)
		if (strchr("?#;&", *p) ||
		    (*p == '%' && (!strncasecmp(p, "%3f", 3) || !strncasecmp(p, "%23", 3))))
			return p;
	return url + strlen(url);
}

void inf_url_redact(const char *url, char *buf, size_t buflen)
{
	size_t sl = scheme_len(url);
	const char *a = NULL, *at = NULL, *rest = url, *q, *s;

	/* user:password@ goes too: the authority starts after a leading scheme
	 * and its slashes, else after a "://" before the query (a name with
	 * something before its URL); it holds up to the last '@' before the
	 * path (a password may hold '@', '?' or '#') */
	if (sl)
		a = url + sl + strspn(url + sl, "/\\");
	else if ((s = strstr(url, "://")) && s < query_start(url))
		a = s + 3;
	if (a) {
		const char *slash = strchr(a, '/');
		at = memrchr(a, '@', slash ? (size_t)(slash - a) : strlen(a));
	}
	if (at)
		rest = at + 1;
	q = query_start(rest);
	snprintf(buf, buflen, "%.*s%s%.*s%.*s%s", at ? (int)(a - url) : 0, url,
		 at ? "<redacted>@" : "", (int)(q - rest), rest,
		 *q ? (*q == '%' ? 3 : 1) : 0, q, *q ? "<redacted>" : "");
}

/* One round of decoding [s, s+n) into out (n + 1 bytes): %XX, &#N;,
 * &#xN; (below 0x80; others stay as they are) and &amp;. Returns the
 * length written. */
static size_t decode_once(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		unsigned long v = 0;
		char *end;

		if (s[i] == '%' && i + 2 < n && (hi = inf_hex_digit(s[i + 1])) >= 0 &&
		    (lo = inf_hex_digit(s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		if (s[i] == '&' && i + 4 < n && !strncmp(s + i, "&amp;", 5)) {
			out[o++] = '&';
			i += 4;
			continue;
		}
		if (s[i] == '&' && i + 3 < n && s[i + 1] == '#') {
			int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
			const char *d = s + i + 2 + hex;
			if (isxdigit((unsigned char)*d)) {
				v = strtoul(d, &end, hex ? 16 : 10);
				if (end < s + n && *end == ';' && v && v < 0x80) {
					out[o++] = (char)v;
					i = (size_t)(end - s);
					continue;
				}
			}
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

/* s with every byte but letters and digits left out, in lower case. */
static void fold(const char *s, char *out)
{
	for (; *s; s++)
		if (isalnum((unsigned char)*s))
			*out++ = (char)tolower((unsigned char)*s);
	*out = '\0';
}

/* Whether s has `word` (any case) followed, after quotes and white space,
 * by '=' or ':'. */
static int word_assigned(const char *s, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = s; (p = strcasestr(p, word)); p++) {
		const char *q = p + wl;
		q += strspn(q, "\"' \t\r\n");
		if (*q == '=' || *q == ':')
			return 1;
	}
	return 0;
}

/* s decoded until it stops changing (four rounds at most), malloc'd;
 * NULL without memory. */
static char *decode_all(const char *s)
{
	size_t len = strlen(s);
	char *a = malloc(len + 1), *b = malloc(len + 1), *t;

	if (!a || !b) {
		free(a);
		free(b);
		return NULL;
	}
	memcpy(a, s, len + 1);
	for (int round = 0; round < 4; round++) {
		size_t m = decode_once(a, len, b);
		int same = m == len && !memcmp(a, b, len);
		t = a, a = b, b = t;
		len = m;
		if (same)
			break;
	}
	free(b);
	return a;
}

/* Whether s, decoded, names a query credential of a presigned URL
 * (X-Amz-Signature, -Credential, -Security-Token, any case): anywhere
 * (`word` 0: what a URL has left after redaction is hidden whole), or
 * where a word starts (1: "tax-amz-credentials" is a file name). 1
 * without memory. */
static int names_credential(const char *s, int word)
{
	static const char *const names[] = { "x-amz-signature", "x-amz-credential",
					     "x-amz-security-token" };
	char *d = decode_all(s), *f = d ? malloc(strlen(d) + 1) : NULL;
	int hit = !f;

	for (size_t i = 0; f && word && i < sizeof names / sizeof *names && !hit; i++)
		for (const char *p = d; !hit && (p = strcasestr(p, names[i])); p++)
			hit = p == d || !isalnum((unsigned char)p[-1]);
	if (f && !word) {
		fold(d, f);
		hit = strstr(f, "xamzsignature") || strstr(f, "xamzcredential") ||
		      strstr(f, "xamzsecuritytoken");
	}
	free(d);
	free(f);
	return hit;
}

/* Whether a name reads as a URL: it holds "://", starts with http:,
 * https:, file: or s3: (a URL that lost its slashes, "http:/h/k?..."),
 * or with another scheme and a '/', or names a credential. "notes:v2.json"
 * is a file. */
static int is_url(const char *name)
{
	size_t sl = scheme_len(name);

	if (strstr(name, "://") || (sl && (name[sl] == '/' || name[sl] == '\\')))
		return 1;
	if ((sl == 5 && !strncasecmp(name, "http:", 5)) ||
	    (sl == 6 && !strncasecmp(name, "https:", 6)) ||
	    (sl == 5 && !strncasecmp(name, "file:", 5)) || (sl == 3 && !strncasecmp(name, "s3:", 3)))
		return 1;
	return names_credential(name, 1);
}

void inf_show_name(const char *name, char *buf, size_t buflen)
{
	char url[1024];

	if (!strcmp(name, "-")) {
		snprintf(buf, buflen, "stdin");
		return;
	}
	if (is_url(name)) {
		inf_url_redact(name, url, sizeof url);
		/* a credential's name left before the query: none of it is shown */
		if (names_credential(url, 0))
			snprintf(url, sizeof url, "<redacted>");
		name = url;
	}
	inf_one_line(name, buf, buflen);
}

int inf_may_quote_secret(const char *text, const char *const *values, size_t n)
{
	static const char *const names[] = { "xamzsignature", "xamzcredential",
		"xamzsecuritytoken", "serversideencryptioncustomerkey", "authorization",
		"secretaccesskey", "sessiontoken" };
	char *d = decode_all(text), *f = d ? malloc(strlen(d) + 1) : NULL;
	int hit = !f; /* without memory: unknown, so not printed */

	for (size_t i = 0; i < n && !hit; i++) {
		char *v = values[i] && strlen(values[i]) >= 8 ? decode_all(values[i]) : NULL;
		hit = values[i] && strlen(values[i]) >= 8 &&
		      (!v || strstr(text, values[i]) || strstr(d, values[i]) ||
		       (strlen(v) >= 8 && strstr(d, v)));
		free(v);
	}
	if (!hit)
		hit = word_assigned(d, "signature") || word_assigned(d, "credential");
	if (!hit)
		fold(d, f);
	for (size_t i = 0; i < sizeof names / sizeof *names && !hit; i++)
		hit = strstr(f, names[i]) != NULL;
	free(d);
	free(f);
	return hit;
}
