#include "wgor.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "source.h"

/* A value S3 can sign: printable ASCII, trimmed, single spaces. Writes
 * the cleaned value into out; returns 0 or -1 when it cannot be sent. */
static int clean_value(const char *v, char *out, size_t n)
{
	size_t o = 0;
	int space = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == ' ' || c == '\t') {
			space = 1;
			continue;
		}
		if (c < 0x21 || c > 0x7e)
			return -1;
		if (o + 2 >= n)
			return -1;
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int inf_wgor_add_header(struct inf_wgor *w, const char *name, const char *value)
{
	char v[2048];
	struct inf_header *h;

	if (clean_value(value, v, sizeof v))
		return 0;
	if (w->nheaders == INF_WGOR_MAX_HEADERS)
		return -1;
	h = &w->headers[w->nheaders];
	h->name = strdup(name);
	h->value = strdup(v);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return -1;
	}
	w->nheaders++;
	return 0;
}

void inf_wgor_clear(struct inf_wgor *w)
{
	for (size_t i = 0; i < w->nheaders; i++) {
		free(w->headers[i].name);
		free(w->headers[i].value);
	}
	memset(w, 0, sizeof *w);
}

struct upload {
	struct inf_wgor *w;
	uint64_t pos; /* bytes of the slice sent */
	struct inf_buf resp;
};

static size_t read_cb(char *dst, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t want = size * n;
	long got;

	if (!u->w->body || u->pos >= u->w->len)
		return 0;
	if (want > u->w->len - u->pos)
		want = (size_t)(u->w->len - u->pos);
	got = inf_spool_read(u->w->body, u->w->off + u->pos, dst, want);
	if (got <= 0)
		return CURL_READFUNC_ABORT; /* never end a short body cleanly */
	u->pos += (uint64_t)got;
	return (size_t)got;
}

static int seek_cb(void *ud, curl_off_t off, int origin)
{
	struct upload *u = ud;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > u->w->len)
		return CURL_SEEKFUNC_CANTSEEK;
	u->pos = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t resp_cb(char *p, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	if (u->resp.len < 16384)
		inf_buf_append(&u->resp, p, size * n);
	return size * n;
}

/* Whether `a` is a case-insensitive prefix of `b` (libcurl 7.88 sorts such
 * pairs wrongly when signing). */
static int prefix_of(const char *a, const char *b)
{
	size_t n = strlen(a);
	return strlen(b) > n && !strncasecmp(a, b, n);
}

/* The request's headers. A line that does not fit is an error, never
 * sent cut. */
static struct curl_slist *build_headers(const struct inf_wgor *w, int *bad)
{
	struct curl_slist *l = NULL, *t;
	char line[8192], msg[1024];
	const char *token = getenv("AWS_SESSION_TOKEN");

#define ADD(...)                                                   \
	do {                                                       \
		int n_ = snprintf(line, sizeof line, __VA_ARGS__); \
		if (n_ < 0 || (size_t)n_ >= sizeof line)           \
			goto nomem;                                \
		if (!(t = curl_slist_append(l, line)))             \
			goto nomem;                                \
		l = t;                                             \
	} while (0)

	*bad = 0;
	ADD("x-amz-content-sha256: UNSIGNED-PAYLOAD");
	ADD("Content-Type: application/octet-stream");
	if (token && *token)
		ADD("x-amz-security-token: %s", token);
	ADD("x-amz-request-route: %s", w->route);
	ADD("x-amz-request-token: %s", w->token);
	ADD("x-amz-fwd-status: %d", w->status);
	if (w->error_code)
		ADD("x-amz-fwd-error-code: %s", w->error_code);
	if (w->error_message && clean_value(w->error_message, msg, sizeof msg) == 0 && *msg)
		ADD("x-amz-fwd-error-message: %s", msg);
	for (size_t i = 0; i < w->nheaders; i++) {
		int skip = 0;
		for (size_t j = 0; j < w->nheaders && !skip; j++)
			skip = j != i && prefix_of(w->headers[j].name, w->headers[i].name);
		if (!skip)
			ADD("%s: %s", w->headers[i].name, w->headers[i].value);
	}
	return l;
#undef ADD
nomem:
	curl_slist_free_all(l);
	*bad = 1;
	return NULL;
}

static int endpoint_url(const struct inf_wgor *w, char *url, size_t n,
			const char **region, struct inf_error *err)
{
	const char *ep = getenv("INFLIGHT_WGOR_ENDPOINT");
	int len;

	*region = getenv("AWS_REGION");
	if (!*region || !**region)
		*region = "us-east-1";
	if (ep && *ep)
		len = snprintf(url, n, "%s/WriteGetObjectResponse", ep);
	else
		len = snprintf(url, n, "https://%s.s3-object-lambda.%s.amazonaws.com/WriteGetObjectResponse",
			       w->route, *region);
	if (len < 0 || (size_t)len >= n)
		return inf_error_set(err, INF_FAIL_OUTPUT,
				     "WriteGetObjectResponse: the endpoint URL is too long");
	if (!getenv("AWS_ACCESS_KEY_ID") || !getenv("AWS_SECRET_ACCESS_KEY"))
		return inf_error_set(err, INF_FAIL_OUTPUT,
				     "no credentials for WriteGetObjectResponse (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
	return 0;
}

static void s3_code(const struct inf_buf *b, char *out, size_t n)
{
	const char *s, *e;

	out[0] = '\0';
	if (!b->len)
		return;
	s = memmem(b->data, b->len, "<Code>", 6);
	e = s ? memmem(s, b->len - (size_t)(s - b->data), "</Code>", 7) : NULL;
	if (s && e && e - s - 6 < (long)n)
		snprintf(out, n, "%.*s", (int)(e - s - 6), s + 6);
}

int inf_wgor_send(CURL *curl, struct inf_wgor *w, long long deadline_ms,
		  struct inf_error *err)
{
	struct upload u = { w, 0, { 0 } };
	struct curl_slist *hdrs = NULL;
	const char *region;
	char url[512], sigv4[128], code[128];
	long status = 0;
	int bad, attempt, rc = -1;
	CURLcode cc = CURLE_OK;

	/* the event parser refuses these already; checked again because the
	 * route is pasted into the host name and the token into a signed
	 * header */
	if (!inf_event_route_ok(w->route) || !inf_event_token_ok(w->token))
		return inf_error_set(err, INF_FAIL_EVENT,
				     "WriteGetObjectResponse: the event's output route or token cannot be sent");
	if (endpoint_url(w, url, sizeof url, &region, err))
		return -1;
	if (!w->body)
		w->len = 0;
	hdrs = build_headers(w, &bad);
	if (bad)
		return inf_error_set(err, INF_FAIL_NOMEM,
				     "WriteGetObjectResponse: out of memory, or a header too long to send");
	snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3-object-lambda", region);
	for (attempt = 0; attempt < 3; attempt++) {
		long long left = deadline_ms ? deadline_ms - inf_clock_ms() : 60000;
		if (left <= 0) {
			inf_error_set(err, INF_FAIL_OUTPUT, "WriteGetObjectResponse: no time left before the deadline");
			goto out;
		}
		curl_easy_reset(curl);
		u.pos = 0;
		inf_buf_reset(&u.resp);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		if (getenv("CURL_CA_BUNDLE") && *getenv("CURL_CA_BUNDLE"))
			curl_easy_setopt(curl, CURLOPT_CAINFO, getenv("CURL_CA_BUNDLE"));
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
		curl_easy_setopt(curl, CURLOPT_USERNAME, getenv("AWS_ACCESS_KEY_ID"));
		curl_easy_setopt(curl, CURLOPT_PASSWORD, getenv("AWS_SECRET_ACCESS_KEY"));
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)w->len);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(curl, CURLOPT_READDATA, &u);
		curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(curl, CURLOPT_SEEKDATA, &u);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, resp_cb);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &u);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 500L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, left < 10000 ? left : 10000L);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)left);
		cc = curl_easy_perform(curl);
		status = 0;
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status == 200) {
			rc = 0;
			goto out;
		}
		if (cc == CURLE_ABORTED_BY_CALLBACK || (cc == CURLE_OK && status < 500))
			break; /* not retryable */
	}
	if (cc != CURLE_OK)
		inf_error_set(err, INF_FAIL_OUTPUT, "WriteGetObjectResponse failed: %s",
			      curl_easy_strerror(cc));
	else {
		s3_code(&u.resp, code, sizeof code);
		inf_error_set(err, INF_FAIL_OUTPUT, "WriteGetObjectResponse answered %ld%s%s",
			      status, code[0] ? " " : "", code);
	}
out:
	curl_slist_free_all(hdrs);
	inf_buf_free(&u.resp);
	return rc;
}
