#include "rapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <time.h>

#include "env.h"
#include "json.h"
#include "source.h"

#define EVENT_MAX (6u * 1024u * 1024u + 1024u)

/* How long the Runtime API may be unreachable before the process gives
 * up (Lambda restarts it then): $INFLIGHT_RAPI_RETRY_MS, default 10 s. */
static long long retry_budget_ms(void)
{
	long long ms = inf_env_whole(INF_ENV_RAPI_RETRY_MS);

	return ms < 0 ? 10000 : ms; /* inf_env_check refused it at start */
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Whether a libcurl failure means "nobody answered" (worth a retry). */
static int unreachable(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_RECV_ERROR ||
	       cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING ||
	       cc == CURLE_OPERATION_TIMEDOUT;
}

/* host:port as Lambda sets it: a name or IPv4 address (letters, digits,
 * '.', '-', and '_' as a container's name may have), or an IPv6 one in
 * brackets, then a port 1..65535; anything else (a scheme, user@, a path
 * or query, a space) would be pasted into every URL the loop asks. */
static int host_port_ok(const char *api)
{
	const char *colon = strrchr(api, ':'), *p;
	size_t hl = colon ? (size_t)(colon - api) : 0;
	long port = 0;

	if (!colon || hl == 0 || hl > 253 || !colon[1] || strlen(colon + 1) > 5)
		return 0;
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return 0;
	if (api[0] == '[')
		return hl > 2 && api[hl - 1] == ']' &&
		       strspn(api + 1, "0123456789abcdefABCDEF:.") == hl - 2;
	return strspn(api, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == hl;
}

int inf_rapi_init(struct inf_rapi *r, const char *api)
{
	memset(r, 0, sizeof *r);
	if (!api || !host_port_ok(api))
		return -1;
	snprintf(r->base, sizeof r->base, "http://%s/2018-06-01", api);
	r->curl = curl_easy_init();
	return r->curl ? 0 : -2;
}

void inf_rapi_free(struct inf_rapi *r)
{
	if (r->curl)
		curl_easy_cleanup(r->curl);
	inf_buf_free(&r->id);
	inf_buf_free(&r->invocation_id);
	memset(r, 0, sizeof *r);
}

/* When header line [p, p+len) is `name`, its value, trimmed, in *v and
 * *vlen; returns 0 for another header. */
static int header_is(const char *p, size_t len, const char *name,
		     const char **v, size_t *vlen)
{
	size_t nl = strlen(name), vs, ve;

	if (len <= nl || strncasecmp(p, name, nl) || p[nl] != ':')
		return 0;
	vs = nl + 1;
	while (vs < len && p[vs] == ' ')
		vs++;
	ve = len;
	while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' || p[ve - 1] == ' '))
		ve--;
	*v = p + vs;
	*vlen = ve - vs;
	return 1;
}

/* Copies [v, v+n) into out when it fits, else leaves out "". */
static void copy_fit(const char *v, size_t n, char *out, size_t outlen)
{
	if (n < outlen)
		snprintf(out, outlen, "%.*s", (int)n, v);
	else
		out[0] = '\0';
}

/* Keeps an id whole in `whole` (NUL-terminated) and, when it fits, in
 * out. Returns 0 or -1 (out of memory). */
static int keep_id(const char *v, size_t n, struct inf_buf *whole, char *out, size_t outlen)
{
	inf_buf_reset(whole);
	copy_fit(v, n, out, outlen);
	if (inf_buf_append(whole, v, n) || inf_buf_putc(whole, '\0'))
		return -1;
	whole->len--; /* the NUL stays after the id */
	return 0;
}

/* What one /next gathers. */
struct next_ctx {
	struct inf_rapi *r;
	struct inf_invocation *inv;
	int too_big;  /* the body was over EVENT_MAX */
	int answered; /* a status line came: the Runtime API is there */
	int stalled;  /* the body did not come in time (body_due) */
	long long headed_ms; /* when the request id came; 0 before */
};

/* Epoch ms by which an invocation's event must have come whole once its
 * request id did: early enough to post its /error before the deadline
 * (libcurl looks about once a second while nothing comes), never more
 * than 30 s after the id, never less than 1 s. Before the id, /next
 * blocks as long as Lambda has nothing to give. */
static long long body_due(const struct next_ctx *c)
{
	long long due = c->headed_ms + 30000;
	long long d = c->inv->deadline_ms - 1000 - INF_RAPI_POST_MIN_MS;

	if (c->inv->deadline_ms > 0 && d < due)
		due = d;
	return due < c->headed_ms + 1000 ? c->headed_ms + 1000 : due;
}

/* libcurl's progress callback, called about once a second while nothing
 * comes: ends a /next whose event stalls after its headers. */
static int next_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			 curl_off_t ulnow)
{
	struct next_ctx *c = ud;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (!c->headed_ms)
		return 0;
	c->stalled = inf_clock_ms() >= body_due(c);
	return c->stalled;
}

static size_t next_header(char *p, size_t size, size_t n, void *ud)
{
	struct next_ctx *c = ud;
	struct inf_invocation *inv = c->inv;
	size_t len = size * n, vl;
	const char *v;
	char deadline[32];

	if (len >= 5 && !memcmp(p, "HTTP/", 5))
		c->answered = 1;
	if (header_is(p, len, "Lambda-Runtime-Aws-Request-Id", &v, &vl)) {
		if (keep_id(v, vl, &c->r->id, inv->request_id, sizeof inv->request_id))
			return 0;
		c->headed_ms = inf_clock_ms();
	} else if (header_is(p, len, "Lambda-Runtime-Invocation-Id", &v, &vl)) {
		if (keep_id(v, vl, &c->r->invocation_id, inv->invocation_id,
			    sizeof inv->invocation_id))
			return 0;
	} else if (header_is(p, len, "Lambda-Runtime-Trace-Id", &v, &vl)) {
		copy_fit(v, vl, inv->trace_id, sizeof inv->trace_id);
	} else if (header_is(p, len, "Lambda-Runtime-Invoked-Function-Arn", &v, &vl)) {
		copy_fit(v, vl, inv->function_arn, sizeof inv->function_arn);
	} else if (header_is(p, len, "Lambda-Runtime-Deadline-Ms", &v, &vl)) {
		copy_fit(v, vl, deadline, sizeof deadline);
		inv->deadline_ms = strtoll(deadline, NULL, 10);
	}
	return len;
}

static size_t body_cb(char *p, size_t size, size_t n, void *ud)
{
	struct next_ctx *c = ud;
	struct inf_buf *b = &c->inv->event;
	size_t len = size * n;

	if (b->len + len > EVENT_MAX) {
		c->too_big = 1;
		return 0;
	}
	return inf_buf_append(b, p, len) ? 0 : len;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* The handle for one Runtime API call. The API is the sandbox's own
 * 127.0.0.1 endpoint: never through a proxy, which a function may set in
 * http_proxy or ALL_PROXY for its outbound calls (libcurl would follow
 * them, and every /next would fail at init), as AWS's runtime clients do. */
static void reset_handle(CURL *c, const char *url)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
}

/* One /next. Returns 0 with an invocation to serve, -1 with err set when
 * the Runtime API failed, or 1 when it gave an invocation (r->id) that
 * cannot be served, with the reason in why. */
static int next_once(struct inf_rapi *r, struct inf_invocation *inv, char *why,
		     size_t whylen, struct inf_error *err)
{
	struct next_ctx c = { .r = r, .inv = inv };
	char url[400];
	long status = 0;
	CURLcode cc;

	inv->request_id[0] = inv->invocation_id[0] = inv->trace_id[0] = '\0';
	inv->function_arn[0] = '\0';
	inv->deadline_ms = 0;
	inf_buf_reset(&inv->event);
	inf_buf_reset(&r->id);
	inf_buf_reset(&r->invocation_id);
	snprintf(url, sizeof url, "%s/runtime/invocation/next", r->base);
	for (long long waited = 0, step = 50;; waited += step, step = step < 1000 ? step * 2 : 1000) {
		reset_handle(r->curl, url);
		curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, next_header);
		curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, &c);
		curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, body_cb);
		curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &c);
		curl_easy_setopt(r->curl, CURLOPT_XFERINFOFUNCTION, next_progress);
		curl_easy_setopt(r->curl, CURLOPT_XFERINFODATA, &c);
		curl_easy_setopt(r->curl, CURLOPT_NOPROGRESS, 0L);
		cc = curl_easy_perform(r->curl);
		/* once an answer began, another /next could leave the
		 * invocation it carried unanswered (its id unread: headers
		 * over libcurl's limits); only one that never came is retried */
		if (cc == CURLE_OK || r->id.len || c.answered || !unreachable(cc) ||
		    waited >= retry_budget_ms())
			break;
		inf_buf_reset(&inv->event);
		pause_ms((long)step);
	}
	r->deadline_ms = inv->deadline_ms;
	if (cc != CURLE_OK && r->id.len) {
		if (c.too_big)
			snprintf(why, whylen, "the event is over %u bytes", EVENT_MAX);
		else if (c.stalled)
			snprintf(why, whylen, "the event stopped coming after its headers");
		else
			snprintf(why, whylen, "the event could not be read whole: %s",
				 curl_easy_strerror(cc));
		return 1;
	}
	if (cc != CURLE_OK)
		return inf_error_set(err, INF_FAIL_SOURCE, "runtime API /next failed: %s",
				     curl_easy_strerror(cc));
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return inf_error_set(err, INF_FAIL_SOURCE, "runtime API /next answered %ld", status);
	if (!r->id.len)
		return inf_error_set(err, INF_FAIL_EVENT,
				     "runtime API /next gave no Lambda-Runtime-Aws-Request-Id");
	if (!inv->request_id[0] || (r->invocation_id.len && !inv->invocation_id[0])) {
		snprintf(why, whylen, "the %s id is over %zu bytes",
			 inv->request_id[0] ? "invocation" : "request",
			 (inv->request_id[0] ? sizeof inv->invocation_id : sizeof inv->request_id) - 1);
		return 1;
	}
	return 0;
}

int inf_rapi_id_ok(const char *id)
{
	if (!*id || !strcmp(id, ".") || !strcmp(id, ".."))
		return 0;
	for (; *id; id++)
		if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
		      (*id >= '0' && *id <= '9') || *id == '-' || *id == '_' || *id == '.'))
			return 0;
	return 1;
}

static long post_error(struct inf_rapi *r, const char *request_id,
		       const char *invocation_id, long long deadline_ms,
		       const char *type, const char *message);

/* Answers /error for the invocation /next gave last (its ids whole in r)
 * that cannot be served, and logs it. Returns 0, or -1 with err set when
 * it cannot be answered (an id unfit for a URL, the Runtime API failing). */
static int refuse(struct inf_rapi *r, const char *why, struct inf_error *err)
{
	struct inf_buf b = { 0 };
	long st = -1;

	if (inf_rapi_id_ok(r->id.data))
		st = post_error(r, r->id.data, r->invocation_id.len ? r->invocation_id.data : NULL,
				r->deadline_ms, "Inflight.InvalidInvocation", why);
	inf_buf_puts(&b, "{\"level\":\"error\",\"requestId\":");
	if (inf_json_quote(&b, r->id.data, r->id.len))
		inf_buf_puts(&b, "null");
	inf_buf_puts(&b, ",\"msg\":\"runtime API /next: invocation refused\",\"why\":");
	if (inf_json_quote(&b, why, strlen(why)))
		inf_buf_puts(&b, "null");
	inf_buf_printf(&b, ",\"errorStatus\":%ld}\n", st);
	if (b.data)
		fwrite(b.data, 1, b.len, stderr);
	inf_buf_free(&b);
	if (!inf_rapi_id_ok(r->id.data))
		return inf_error_set(err, INF_FAIL_EVENT,
				     "runtime API /next: %s, and its request id cannot be answered", why);
	if (st == -1 || st >= 500)
		return inf_error_set(err, INF_FAIL_SOURCE,
				     "runtime API /next: %s; its /error got %ld", why, st);
	return 0;
}

int inf_rapi_next(struct inf_rapi *r, struct inf_invocation *inv,
		  struct inf_error *err)
{
	char why[200];
	int rc;

	while ((rc = next_once(r, inv, why, sizeof why, err)) == 1)
		if (refuse(r, why, err))
			return -1;
	return rc;
}

/* Milliseconds a post may take from now: until `deadline_ms` (epoch ms, 0
 * = none: 30 s), at least INF_RAPI_POST_MIN_MS. */
static long post_budget_ms(long long deadline_ms)
{
	long long left = deadline_ms > 0 ? deadline_ms - inf_clock_ms() : 30000;

	return left < INF_RAPI_POST_MIN_MS ? INF_RAPI_POST_MIN_MS
	       : left > 30000		   ? 30000L
					   : (long)left;
}

/* Appends header "name: value" to *h. Returns 0 or -1. */
static int add_header(struct curl_slist **h, const char *name, const char *value)
{
	struct inf_buf b = { 0 };
	struct curl_slist *t = NULL;

	if (inf_buf_printf(&b, "%s: %s", name, value) == 0)
		t = curl_slist_append(*h, b.data);
	inf_buf_free(&b);
	if (!t)
		return -1;
	*h = t;
	return 0;
}

/* POSTs body to base + path. The invocation id, when given, is always
 * echoed: without memory for it nothing is posted (-1). */
static long post(struct inf_rapi *r, const char *path, const char *body,
		 size_t len, const char *ctype, const char *error_type,
		 const char *invocation_id, long long deadline_ms)
{
	struct curl_slist *h = NULL;
	struct inf_buf url = { 0 };
	long status = -1, budget = post_budget_ms(deadline_ms);
	long long end = inf_clock_ms() + budget;
	CURLcode cc;

	if (inf_buf_printf(&url, "%s%s", r->base, path) || add_header(&h, "Content-Type", ctype) ||
	    (error_type && add_header(&h, "Lambda-Runtime-Function-Error-Type", error_type)) ||
	    (invocation_id && *invocation_id &&
	     add_header(&h, "Lambda-Runtime-Invocation-Id", invocation_id)))
		goto out;
	reset_handle(r->curl, url.data);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, discard_cb);
	for (long long waited = 0, step = 50;; waited += step, step = step < 1000 ? step * 2 : 1000) {
		long long left = end - inf_clock_ms();
		curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS,
				 left > INF_RAPI_POST_MIN_MS ? (long)left : (long)INF_RAPI_POST_MIN_MS);
		cc = curl_easy_perform(r->curl);
		if (cc == CURLE_OK || !unreachable(cc) || waited >= retry_budget_ms() ||
		    inf_clock_ms() + step + INF_RAPI_POST_MIN_MS > end)
			break;
		pause_ms((long)step);
	}
	if (cc == CURLE_OK)
		curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_slist_free_all(h);
	inf_buf_free(&url);
	return status;
}

long inf_rapi_response(struct inf_rapi *r, const struct inf_invocation *inv,
		       const char *body, size_t len)
{
	char path[200];

	snprintf(path, sizeof path, "/runtime/invocation/%s/response", inv->request_id);
	return post(r, path, body, len, "application/json", NULL, inv->invocation_id,
		    inv->deadline_ms);
}

/* {"errorMessage":..., "errorType":..., "stackTrace":[]} to the
 * invocation's /error, or to /init/error when request_id is NULL. */
static long post_error(struct inf_rapi *r, const char *request_id,
		       const char *invocation_id, long long deadline_ms,
		       const char *type, const char *message)
{
	struct inf_buf b = { 0 }, path = { 0 };
	long st = -1;

	inf_buf_puts(&b, "{\"errorMessage\":");
	if (inf_json_quote(&b, message, strlen(message)))
		inf_buf_puts(&b, "\"(message not UTF-8)\"");
	inf_buf_puts(&b, ",\"errorType\":");
	inf_json_quote(&b, type, strlen(type));
	inf_buf_puts(&b, ",\"stackTrace\":[]}");
	if (request_id)
		inf_buf_printf(&path, "/runtime/invocation/%s/error", request_id);
	else
		inf_buf_printf(&path, "/runtime/init/error"); /* NUL-terminated */
	if (b.data && path.data)
		st = post(r, path.data, b.data, b.len, "application/vnd.aws.lambda.error+json",
			  request_id ? "Runtime.Unhandled" : "Runtime.InitError", invocation_id,
			  deadline_ms);
	inf_buf_free(&b);
	inf_buf_free(&path);
	return st;
}

long inf_rapi_error(struct inf_rapi *r, const struct inf_invocation *inv,
		    const char *type, const char *message)
{
	return post_error(r, inv->request_id, inv->invocation_id, inv->deadline_ms, type,
			  message);
}

long inf_rapi_init_error(struct inf_rapi *r, const char *type,
			 const char *message)
{
	return post_error(r, NULL, NULL, 0, type, message);
}
