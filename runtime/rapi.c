#include "rapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <time.h>

#include "json.h"
#include "source.h"

#define EVENT_MAX (6u * 1024u * 1024u + 1024u)

/* How long the Runtime API may be unreachable before the process gives
 * up (Lambda restarts it then): $INFLIGHT_RAPI_RETRY_MS, default 10 s. */
static long long retry_budget_ms(void)
{
	const char *v = getenv("INFLIGHT_RAPI_RETRY_MS");
	char *end;
	long long ms = v ? strtoll(v, &end, 10) : 10000;

	return v && (*end || ms < 0) ? 10000 : ms;
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

int inf_rapi_init(struct inf_rapi *r, const char *api)
{
	memset(r, 0, sizeof *r);
	if (!api || !*api || strlen(api) > 200)
		return -1;
	snprintf(r->base, sizeof r->base, "http://%s/2018-06-01", api);
	r->curl = curl_easy_init();
	return r->curl ? 0 : -1;
}

void inf_rapi_free(struct inf_rapi *r)
{
	if (r->curl)
		curl_easy_cleanup(r->curl);
	memset(r, 0, sizeof *r);
}

static void header_value(const char *p, size_t len, const char *name,
			 char *out, size_t outlen)
{
	size_t nl = strlen(name), vs, ve;

	if (len <= nl || strncasecmp(p, name, nl) || p[nl] != ':')
		return;
	vs = nl + 1;
	while (vs < len && p[vs] == ' ')
		vs++;
	ve = len;
	while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' || p[ve - 1] == ' '))
		ve--;
	if (ve - vs < outlen)
		snprintf(out, outlen, "%.*s", (int)(ve - vs), p + vs);
}

static size_t next_header(char *p, size_t size, size_t n, void *ud)
{
	struct inf_invocation *inv = ud;
	size_t len = size * n;
	char deadline[32] = "";

	header_value(p, len, "Lambda-Runtime-Aws-Request-Id", inv->request_id,
		     sizeof inv->request_id);
	header_value(p, len, "Lambda-Runtime-Invocation-Id", inv->invocation_id,
		     sizeof inv->invocation_id);
	header_value(p, len, "Lambda-Runtime-Trace-Id", inv->trace_id, sizeof inv->trace_id);
	header_value(p, len, "Lambda-Runtime-Invoked-Function-Arn", inv->function_arn,
		     sizeof inv->function_arn);
	header_value(p, len, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
	if (deadline[0])
		inv->deadline_ms = strtoll(deadline, NULL, 10);
	return len;
}

static size_t body_cb(char *p, size_t size, size_t n, void *ud)
{
	struct inf_buf *b = ud;
	size_t len = size * n;

	if (b->len + len > EVENT_MAX || inf_buf_append(b, p, len))
		return 0;
	return len;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

int inf_rapi_next(struct inf_rapi *r, struct inf_invocation *inv,
		  struct inf_error *err)
{
	char url[400];
	long status = 0;
	CURLcode cc;

	inv->request_id[0] = inv->invocation_id[0] = inv->trace_id[0] = '\0';
	inv->function_arn[0] = '\0';
	inv->deadline_ms = 0;
	inf_buf_reset(&inv->event);
	snprintf(url, sizeof url, "%s/runtime/invocation/next", r->base);
	for (long long waited = 0, step = 50;; waited += step, step = step < 1000 ? step * 2 : 1000) {
		curl_easy_reset(r->curl);
		curl_easy_setopt(r->curl, CURLOPT_URL, url);
		curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, next_header);
		curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, inv);
		curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, body_cb);
		curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &inv->event);
		cc = curl_easy_perform(r->curl);
		if (cc == CURLE_OK || !unreachable(cc) || waited >= retry_budget_ms())
			break;
		inf_buf_reset(&inv->event);
		pause_ms((long)step);
	}
	if (cc != CURLE_OK)
		return inf_error_set(err, INF_FAIL_SOURCE, "runtime API /next failed: %s",
				     curl_easy_strerror(cc));
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return inf_error_set(err, INF_FAIL_SOURCE, "runtime API /next answered %ld", status);
	if (!inv->request_id[0])
		return inf_error_set(err, INF_FAIL_EVENT,
				     "runtime API /next gave no Lambda-Runtime-Aws-Request-Id");
	r->deadline_ms = inv->deadline_ms;
	return 0;
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

static long post(struct inf_rapi *r, const char *url, const char *body,
		 size_t len, const char *ctype, const char *error_type,
		 const char *invocation_id, long long deadline_ms)
{
	struct curl_slist *h = NULL, *t;
	char line[300];
	long status = 0, budget = post_budget_ms(deadline_ms);
	long long end = inf_clock_ms() + budget;
	CURLcode cc;

	snprintf(line, sizeof line, "Content-Type: %s", ctype);
	h = curl_slist_append(NULL, line);
	if (h && error_type) {
		snprintf(line, sizeof line, "Lambda-Runtime-Function-Error-Type: %s", error_type);
		if ((t = curl_slist_append(h, line)))
			h = t;
	}
	if (h && invocation_id && *invocation_id) {
		snprintf(line, sizeof line, "Lambda-Runtime-Invocation-Id: %s", invocation_id);
		if ((t = curl_slist_append(h, line)))
			h = t;
	}
	curl_easy_reset(r->curl);
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
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
	curl_slist_free_all(h);
	return cc == CURLE_OK ? status : -1;
}

long inf_rapi_response(struct inf_rapi *r, const struct inf_invocation *inv,
		       const char *body, size_t len)
{
	char url[600];

	snprintf(url, sizeof url, "%s/runtime/invocation/%s/response", r->base,
		 inv->request_id);
	return post(r, url, body, len, "application/json", NULL, inv->invocation_id,
		    inv->deadline_ms);
}

/* {"errorMessage":..., "errorType":..., "stackTrace":[]} */
static long post_error(struct inf_rapi *r, const char *url, const char *type,
		       const char *message, const char *header_type,
		       const char *invocation_id, long long deadline_ms)
{
	struct inf_buf b = { 0 };
	long st;

	inf_buf_puts(&b, "{\"errorMessage\":");
	if (inf_json_quote(&b, message, strlen(message)))
		inf_buf_puts(&b, "\"(message not UTF-8)\"");
	inf_buf_puts(&b, ",\"errorType\":");
	inf_json_quote(&b, type, strlen(type));
	inf_buf_puts(&b, ",\"stackTrace\":[]}");
	st = b.data ? post(r, url, b.data, b.len, "application/vnd.aws.lambda.error+json",
			   header_type, invocation_id, deadline_ms)
		    : -1;
	inf_buf_free(&b);
	return st;
}

long inf_rapi_error(struct inf_rapi *r, const struct inf_invocation *inv,
		    const char *type, const char *message)
{
	char url[600];

	snprintf(url, sizeof url, "%s/runtime/invocation/%s/error", r->base,
		 inv->request_id);
	return post_error(r, url, type, message, "Runtime.Unhandled", inv->invocation_id,
			  inv->deadline_ms);
}

long inf_rapi_init_error(struct inf_rapi *r, const char *type,
			 const char *message)
{
	char url[400];

	snprintf(url, sizeof url, "%s/runtime/init/error", r->base);
	return post_error(r, url, type, message, "Runtime.InitError", NULL, 0);
}
