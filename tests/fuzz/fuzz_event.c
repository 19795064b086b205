/*
 * Fuzz target: the S3 Object Lambda event parser and the URL helpers
 * (core/event.c).
 *
 * Input: the event's bytes; the same bytes, up to the first NUL, are also
 * used as a URL.
 *
 * Invariants:
 *  - the event parses only when it is JSON (the reader of fuzzutil.h
 *    agrees with the core), and then every string is there and
 *    NUL-terminated, the kind is one of the four contexts, the input URL
 *    and the access point are not empty, a GET has its output route and
 *    token and both can be sent as they are (a host label, a header
 *    value without CR, LF or controls), every header is found by its
 *    name in any case, and the access
 *    point is the payload's "policy" when the payload is a JSON object
 *    naming one, else the ARN's last name;
 *  - a refused event says why ("event: ...") and leaves the event empty;
 *  - inf_url_redact keeps the URL up to its query (from the first '?',
 *    '#', ';', '&', "%3F" or "%23"), never the query ("?<redacted>"
 *    instead) and never the user information before an '@' in the
 *    authority ("<redacted>@" instead);
 *  - inf_url_query gives what a reference parser of the query finds,
 *    decoded, for a few names, truncated to the buffer.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "fuzzutil.h"
#include "redact.h"

#define MAX_URL 4096

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_str(const char *field, const char *s, int nonempty)
{
	FZ_CHECK(s != NULL, "parsed event: %s is NULL", field);
	FZ_CHECK(!nonempty || s[0], "parsed event: %s is empty", field);
	(void)strlen(s); /* ASan: NUL-terminated inside its allocation */
}

/* The payload's "policy": the decoded string of the first such member of
 * a JSON object payload, "" when it is no string, NULL when there is none. */
static char *payload_policy(const char *payload, int *has)
{
	struct fz_tree t;
	char *out = NULL;

	*has = 0;
	if (fz_build_tree(payload, strlen(payload), 16, &t) || t.n[0].type != FZ_OBJECT) {
		fz_tree_free(&t);
		return NULL;
	}
	for (size_t k = 1; k < t.count; k++) {
		const struct fz_node *nd = &t.n[k];
		if (nd->parent == 0 && nd->klen == 6 && !memcmp(t.keys.p + nd->kdec, "policy", 6)) {
			struct fz_json j;
			*has = 1;
			if (nd->type != FZ_STRING)
				break;
			fz_json_init(&j, payload, nd->end, 1);
			j.i = nd->off;
			if (fz_string(&j, &j.key) == 0 && (out = malloc(j.key.len + 1))) {
				memcpy(out, j.key.p ? j.key.p : "", j.key.len);
				out[j.key.len] = '\0';
			}
			fz_json_free(&j);
			break;
		}
	}
	fz_tree_free(&t);
	return out;
}

static void check_event(const uint8_t *data, size_t size)
{
	struct inf_event ev, zero;
	char err[512];
	int rc, valid = fz_valid_record((const char *)data, size, 64);

	memset(err, 'x', sizeof err);
	err[sizeof err - 1] = '\0';
	rc = inf_event_parse((const char *)data, size, &ev, err, sizeof err);
	if (valid == 0)
		FZ_CHECK(rc != 0 && !strncmp(err, "event: not valid JSON", 21),
			 "an event that is not JSON was %s: %s", rc ? "refused for another reason" : "parsed",
			 rc ? err : "");
	if (rc) {
		memset(&zero, 0, sizeof zero);
		FZ_CHECK(!strncmp(err, "event: ", 7) && err[7],
			 "refused event: message [%.80s] does not say why", err);
		FZ_CHECK(!memcmp(&ev, &zero, sizeof ev), "refused event: not left empty");
		FZ_CHECK(valid != 1 || strncmp(err, "event: not valid JSON", 21),
			 "an event that is JSON was refused as not JSON: %s", err);
		return;
	}
	FZ_CHECK(valid != 0, "an event that is not JSON was parsed");
	FZ_CHECK(ev.kind >= INF_EV_GET && ev.kind <= INF_EV_LIST_V2, "kind %d", (int)ev.kind);
	check_str("xAmzRequestId", ev.request_id, 0);
	check_str("inputS3Url", ev.input_url, 1);
	check_str("outputRoute", ev.output_route, ev.kind == INF_EV_GET);
	check_str("outputToken", ev.output_token, ev.kind == INF_EV_GET);
	FZ_CHECK(ev.kind != INF_EV_GET ||
			 (inf_event_route_ok(ev.output_route) && inf_event_token_ok(ev.output_token)),
		 "a GET parsed with a route or token WriteGetObjectResponse cannot take");
	check_str("accessPointArn", ev.access_point_arn, 0);
	check_str("supportingAccessPointArn", ev.supporting_arn, 0);
	check_str("payload", ev.payload, 0);
	check_str("userRequest.url", ev.user_url, 0);
	check_str("protocolVersion", ev.protocol_version, 0);
	check_str("access point", ev.access_point, 1);
	check_str("object key", ev.object_key, 0);
	FZ_CHECK(ev.nheaders == 0 || ev.headers, "headers missing");
	for (size_t i = 0; i < ev.nheaders; i++) {
		const char *v;
		size_t first = i;
		check_str("header name", ev.headers[i].name, 0);
		check_str("header value", ev.headers[i].value, 0);
		for (size_t k = 0; k < i; k++)
			if (!strcasecmp(ev.headers[k].name, ev.headers[i].name)) {
				first = k;
				break;
			}
		v = inf_event_header(&ev, ev.headers[i].name);
		FZ_CHECK(v == ev.headers[first].value, "header %s: not found by its name",
			 ev.headers[i].name);
	}
	{
		int has;
		char *pol = payload_policy(ev.payload, &has);
		const char *slash = strrchr(ev.access_point_arn, '/');
		if (has)
			FZ_CHECK(pol && !strcmp(pol, ev.access_point),
				 "access point [%s], the payload names [%s]", ev.access_point,
				 pol ? pol : "(not a string)");
		else
			FZ_CHECK(slash && !strcmp(slash + 1, ev.access_point),
				 "access point [%s], the ARN is [%s]", ev.access_point,
				 ev.access_point_arn);
		free(pol);
	}
	inf_event_free(&ev);
}

/* ---- URLs ---- */

static int hexv(char c)
{
	return isxdigit((unsigned char)c) ? (isdigit((unsigned char)c) ? c - '0'
								      : (tolower((unsigned char)c) - 'a' + 10))
					  : -1;
}

/* The query value of `name` by a reference reading: after the first '?',
 * '&'-separated parameters, the first whose name matches in any case;
 * its value percent-decoded ("%" and two hex digits), as a C string, or
 * "" (malformed) when it decodes to a NUL byte. */
static int ref_query(const char *url, const char *name, struct fz_buf *out)
{
	const char *q = strchr(url, '?');
	size_t nl = strlen(name);

	if (!q)
		return 0;
	for (const char *p = q + 1;; ) {
		const char *end = strchr(p, '&'), *eq;
		size_t plen = end ? (size_t)(end - p) : strlen(p), klen;
		eq = memchr(p, '=', plen);
		klen = eq ? (size_t)(eq - p) : plen;
		if (klen == nl && !strncasecmp(p, name, nl)) {
			out->len = 0;
			fz_put(out, "", 0);
			if (eq)
				for (const char *v = eq + 1; v < p + plen; v++) {
					if (*v == '%' && v + 2 < p + plen && hexv(v[1]) >= 0 && hexv(v[2]) >= 0) {
						fz_putc(out, (char)(hexv(v[1]) * 16 + hexv(v[2])));
						v += 2;
					} else {
						fz_putc(out, *v);
					}
				}
			if (memchr(out->p, '\0', out->len)) {
				out->len = 0;
				fz_put(out, "", 0);
			}
			return 1;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* Where a credential may start in s: its first '?', '#', ';' or '&', or
 * "%3F" or "%23" in any case; its length if none. */
static size_t ref_cut(const char *s)
{
	size_t i = 0;

	for (; s[i]; i++) {
		if (s[i] == '?' || s[i] == '#' || s[i] == ';' || s[i] == '&')
			break;
		if (s[i] == '%' && s[i + 1] && s[i + 2] &&
		    ((s[i + 1] == '3' && (s[i + 2] == 'f' || s[i + 2] == 'F')) ||
		     (s[i + 1] == '2' && s[i + 2] == '3')))
			break;
	}
	return i;
}

static void check_url(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "X-Amz-Signature", "partNumber", "range",
					     "x-amz-signedheaders", "a", "" };
	size_t n = strnlen((const char *)data, size < MAX_URL ? size : MAX_URL);
	char *url = malloc(n + 1), *red = malloc(n + 64), small[12], big[MAX_URL + 64];
	const char *q, *s, *auth, *at, *rest;
	struct fz_buf want = { 0 }, exp = { 0 };
	size_t pre, sl;

	if (!url || !red)
		fz_fail("out of memory");
	memcpy(url, data, n);
	url[n] = '\0';

	/* redaction, by a reference reading: what may carry a credential
	 * starts at the first '?', '#', ';', '&', "%3F" or "%23" (any case);
	 * the authority after a leading scheme's ':' and its slashes, else
	 * after a "://" before that; user information is what the authority
	 * holds before its last '@' ahead of the next '/' */
	inf_url_redact(url, red, n + 64);
	pre = ref_cut(url);
	for (sl = 0; isalpha((unsigned char)url[0]) &&
		     (isalnum((unsigned char)url[sl]) || strchr("+-.", url[sl])) && url[sl];)
		sl++;
	auth = NULL;
	if (sl && url[sl] == ':')
		for (auth = url + sl + 1; *auth == '/' || *auth == '\\';)
			auth++;
	else if ((s = strstr(url, "://")) && (size_t)(s - url) < pre)
		auth = s + 3;
	at = NULL;
	for (const char *p = auth; p && *p && *p != '/'; p++)
		if (*p == '@')
			at = p;
	rest = at ? at + 1 : url;
	q = rest + ref_cut(rest);
	if (at) {
		fz_put(&exp, url, (size_t)(auth - url));
		fz_put(&exp, "<redacted>@", 11);
	}
	fz_put(&exp, rest, (size_t)(q - rest));
	if (*q) {
		fz_put(&exp, q, *q == '%' ? 3 : 1);
		fz_put(&exp, "<redacted>", 10);
	}
	fz_put(&exp, "", 0); /* terminated even when empty */
	FZ_CHECK(!strcmp(red, exp.p), "inf_url_redact([%s]) = [%s], expected [%s]", url, red,
		 exp.p);

	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		int found = ref_query(url, names[k], &want);
		const char *got = inf_url_query(url, names[k], big, sizeof big);
		FZ_CHECK(!found == !got, "inf_url_query([%s], %s): %s, expected %s", url, names[k],
			 got ? "found" : "absent", found ? "found" : "absent");
		if (!found)
			continue;
		FZ_CHECK(got == big && !strcmp(big, want.p),
			 "inf_url_query([%s], %s) = [%s], expected [%s]", url, names[k], big, want.p);
		got = inf_url_query(url, names[k], small, sizeof small);
		FZ_CHECK(got == small && strlen(small) < sizeof small &&
				 !strncmp(small, want.p, sizeof small - 1),
			 "inf_url_query([%s], %s) into %zu bytes = [%s]", url, names[k],
			 sizeof small, small);
	}
	fz_buf_free(&want);
	fz_buf_free(&exp);
	free(url);
	free(red);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_event(data, size);
	check_url(data, size);
	return 0;
}
