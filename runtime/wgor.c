#include "wgor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "env.h"
#include "sigv4.h"
#include "source.h"

int inf_wgor_add_header(struct inf_wgor *w, const char *name, const char *value)
{
	char v[2048], *joined;
	struct inf_header *h;
	size_t i, n;

	if (inf_sigv4_clean(value, v, sizeof v))
		return 0;
	for (i = 0; i < w->nheaders && strcasecmp(w->headers[i].name, name); i++)
		;
	if (i < w->nheaders) { /* a repeat: one line, values joined, as HTTP folds them */
		h = &w->headers[i];
		n = strlen(h->value) + 1 + strlen(v) + 1;
		if (!(joined = malloc(n)))
			return -1;
		snprintf(joined, n, "%s,%s", h->value, v);
		free(h->value);
		h->value = joined;
		return 0;
	}
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

/* The headers WGOR signs besides Host, x-amz-date, x-amz-content-sha256
 * and the session token (inf_sigv4_sign's own): the content type, route,
 * token, status, error code and message. */
#define OWN_HEADERS 6

/* Fills h with every header to sign and send: OWN_HEADERS at most, then
 * w->headers (the caller's, prefix-named pairs such as
 * ...-server-side-encryption and its -aws-kms-key-id included: signed
 * here, not by libcurl). `status` and `msg` are the caller's buffers the
 * entries point into. Returns the count. */
static size_t request_headers(const struct inf_wgor *w, struct inf_sigv4_header *h,
			      char *status, size_t status_n, char *msg, size_t msg_n)
{
	size_t n = 0;

	h[n++] = (struct inf_sigv4_header){ "Content-Type", "application/octet-stream" };
	h[n++] = (struct inf_sigv4_header){ "x-amz-request-route", w->route };
	h[n++] = (struct inf_sigv4_header){ "x-amz-request-token", w->token };
	snprintf(status, status_n, "%d", w->status);
	h[n++] = (struct inf_sigv4_header){ "x-amz-fwd-status", status };
	if (w->error_code)
		h[n++] = (struct inf_sigv4_header){ "x-amz-fwd-error-code", w->error_code };
	if (w->error_message && inf_sigv4_escape(w->error_message, msg, msg_n) == 0)
		h[n++] = (struct inf_sigv4_header){ "x-amz-fwd-error-message", msg };
	for (size_t i = 0; i < w->nheaders; i++)
		h[n++] = (struct inf_sigv4_header){ w->headers[i].name, w->headers[i].value };
	return n;
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
		len = snprintf(url, n, "https://%s.s3-object-lambda%s.%s.amazonaws.com/WriteGetObjectResponse",
			       w->route, inf_env_fips() ? "-fips" : "", *region);
	if (len < 0 || (size_t)len >= n)
		return inf_error_set(err, INF_FAIL_OUTPUT,
				     "WriteGetObjectResponse: the endpoint URL is too long");
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

/* The pause after failed attempt `attempt` (0, 1), as the AWS SDKs
 * back off: 100 ms, then 400 ms; none when the deadline leaves less than
 * four times that, where trying again at once is all there is time for. */
static void pause_before_retry(int attempt, long long deadline_ms)
{
	long long ms = 100LL << (2 * attempt);
	long long left = deadline_ms ? deadline_ms - inf_clock_ms() : 60000;
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	if (attempt < 2 && left > 4 * ms)
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
}

int inf_wgor_send(CURL *curl, struct inf_wgor *w, long long deadline_ms,
		  struct inf_error *err)
{
	struct upload u = { w, 0, { 0 } };
	struct curl_slist *hdrs = NULL;
	struct inf_sigv4_header h[OWN_HEADERS + INF_WGOR_MAX_HEADERS];
	struct inf_sigv4 sig = { .method = "POST", .service = "s3-object-lambda",
		.payload = INF_SIGV4_UNSIGNED, .headers = h };
	char url[512], status_v[16], msg[1024], code[128];
	long status = 0;
	int attempt, rc = -1;
	CURLcode cc = CURLE_OK;

	/* the event parser refuses these already; checked again because the
	 * route is pasted into the host name and the token into a signed
	 * header */
	if (!inf_event_route_ok(w->route) || !inf_event_token_ok(w->token))
		return inf_error_set(err, INF_FAIL_EVENT,
				     "WriteGetObjectResponse: the event's output route or token cannot be sent");
	if (endpoint_url(w, url, sizeof url, &sig.region, err))
		return -1;
	if (!w->body)
		w->len = 0;
	/* signed once: the date it signs stays valid far longer (15 min)
	 * than the retries can last (the invocation's 60 s) */
	sig.url = url;
	sig.key_id = getenv("AWS_ACCESS_KEY_ID");
	sig.secret = getenv("AWS_SECRET_ACCESS_KEY");
	sig.token = getenv("AWS_SESSION_TOKEN");
	sig.when = time(NULL);
	sig.nheaders = request_headers(w, h, status_v, sizeof status_v, msg, sizeof msg);
	if (inf_sigv4_sign(&sig, inf_curl_add_line, &hdrs, err)) {
		if (err->kind != INF_FAIL_NOMEM)
			err->kind = INF_FAIL_OUTPUT;
		inf_error_prefix(err, "WriteGetObjectResponse");
		goto out;
	}
	for (attempt = 0; attempt < 3; attempt++) {
		long long left = deadline_ms ? deadline_ms - inf_clock_ms() : 60000;
		if (left <= 0) {
			inf_error_set(err, INF_FAIL_OUTPUT, "WriteGetObjectResponse: no time left before the deadline");
			goto out;
		}
		inf_curl_reset(curl);
		u.pos = 0;
		inf_buf_reset(&u.resp);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		if (getenv("CURL_CA_BUNDLE") && *getenv("CURL_CA_BUNDLE"))
			curl_easy_setopt(curl, CURLOPT_CAINFO, getenv("CURL_CA_BUNDLE"));
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
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
		pause_before_retry(attempt, deadline_ms);
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
	inf_curl_free_lines(hdrs);
	inf_buf_free(&u.resp);
	return rc;
}
