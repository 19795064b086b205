/* The Lambda Runtime API loop and what every handler shares: the access
 * point an event names, the Range it asks for, the deadline, and the log
 * and metrics lines. */
#include "lambda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "env.h"
#include "forward.h"
#include "json.h"
#include "source.h"

const struct inf_access_point *inf_lambda_access_point(struct inf_lambda *L,
						       const struct inf_event *ev,
						       struct inf_outcome *o)
{
	const struct inf_access_point *ap = inf_policy_find(L->pol, ev->access_point);

	o->access_point = ev->access_point;
	if (!ap) {
		o->status = 403;
		inf_outcome_code(o, "AccessDenied");
		snprintf(o->message, sizeof o->message,
			 "access point '%s' has no policy: refused", ev->access_point);
		return NULL;
	}
	if (ev->kind != INF_EV_LIST && ev->kind != INF_EV_LIST_V2 &&
	    !inf_ap_allows_key(ap, ev->object_key)) {
		o->status = 403;
		inf_outcome_code(o, "AccessDenied");
		snprintf(o->message, sizeof o->message,
			 "key '%.300s' is outside the prefixes of access point '%s'",
			 ev->object_key, ap->name);
		return NULL;
	}
	return ap;
}

/* Query parameter `name` of the caller's URL into buf, or NULL when
 * absent. A value that fills the buffer may have been cut, and a cut
 * value can read as another valid one ("bytes=0-5" + spaces + "junk"):
 * it comes back as "", which both parsers take as malformed. */
static const char *query_whole(const struct inf_event *ev, const char *name,
			       char *buf, size_t n)
{
	const char *v = inf_url_query(ev->user_url, name, buf, n);

	if (v && strlen(v) + 1 >= n)
		buf[0] = '\0';
	return v;
}

void inf_lambda_range_request(const struct inf_event *ev, char *range,
			      size_t rlen, char *part, size_t plen,
			      const char **range_out, const char **part_out)
{
	const char *h = inf_event_header(ev, "Range");

	*range_out = h ? h : query_whole(ev, "Range", range, rlen);
	*part_out = query_whole(ev, "partNumber", part, plen);
}

const char *inf_lambda_source_name(const struct inf_event *ev)
{
	return ev->object_key && *ev->object_key ? ev->object_key : "the object";
}

void inf_outcome_code(struct inf_outcome *o, const char *code)
{
	if (code && code != o->code_copy)
		snprintf(o->code_copy, sizeof o->code_copy, "%s", code);
	o->code = code ? o->code_copy : NULL;
}

static void put_str(struct inf_buf *b, const char *name, const char *v)
{
	inf_buf_printf(b, ",\"%s\":", name);
	if (!v || inf_json_quote(b, v, strlen(v)))
		inf_buf_puts(b, "null");
}

void inf_lambda_report(const struct inf_invocation *inv,
		       const struct inf_event *ev, const struct inf_outcome *o,
		       long long started_ms)
{
	struct inf_buf b = { 0 };
	long long ms = inf_clock_ms() - started_ms;
	int failed = !o->delivered || o->status >= 400;
	const char *op = o->op ? o->op : "Unknown";

	inf_buf_puts(&b, "{\"level\":");
	inf_buf_puts(&b, failed ? "\"error\"" : "\"info\"");
	put_str(&b, "requestId", inv->request_id);
	put_str(&b, "xAmzRequestId", ev ? ev->request_id : NULL);
	put_str(&b, "accessPoint", o->access_point);
	put_str(&b, "op", op);
	put_str(&b, "key", ev ? ev->object_key : NULL);
	put_str(&b, "outcome", !o->delivered ? "failed" : o->status >= 400 ? "error" : "ok");
	inf_buf_printf(&b, ",\"status\":%d", o->status);
	put_str(&b, "code", o->code);
	if (o->message[0])
		put_str(&b, "message", o->message);
	if (o->first_failed[0])
		put_str(&b, "firstFailed", o->first_failed);
	inf_buf_printf(&b, ",\"recordsIn\":%llu,\"recordsOut\":%llu,\"recordsDropped\":%llu,"
		       "\"recordsFailed\":%llu,\"bytesIn\":%llu,\"bytesOut\":%llu,\"durationMs\":%lld}\n",
		       (unsigned long long)o->stats.records_in,
		       (unsigned long long)o->stats.records_out,
		       (unsigned long long)o->stats.records_dropped,
		       (unsigned long long)o->stats.records_failed,
		       (unsigned long long)o->stats.bytes_in,
		       (unsigned long long)o->stats.bytes_out, ms);
	if (b.data)
		fwrite(b.data, 1, b.len, stderr);
	inf_buf_reset(&b);
	/* CloudWatch embedded metric format: one JSON object per stdout line */
	inf_buf_printf(&b, "{\"_aws\":{\"Timestamp\":%lld,\"CloudWatchMetrics\":[{\"Namespace\":\"inflight\","
		       "\"Dimensions\":[[\"AccessPoint\",\"Op\"]],\"Metrics\":["
		       "{\"Name\":\"Duration\",\"Unit\":\"Milliseconds\"},"
		       "{\"Name\":\"RecordsIn\",\"Unit\":\"Count\"},"
		       "{\"Name\":\"RecordsOut\",\"Unit\":\"Count\"},"
		       "{\"Name\":\"RecordsDropped\",\"Unit\":\"Count\"},"
		       "{\"Name\":\"BytesIn\",\"Unit\":\"Bytes\"},"
		       "{\"Name\":\"BytesOut\",\"Unit\":\"Bytes\"},"
		       "{\"Name\":\"Errors\",\"Unit\":\"Count\"}]}]}",
		       inf_clock_ms());
	put_str(&b, "AccessPoint", o->access_point ? o->access_point : "unknown");
	put_str(&b, "Op", op);
	inf_buf_printf(&b, ",\"Duration\":%lld,\"RecordsIn\":%llu,\"RecordsOut\":%llu,"
		       "\"RecordsDropped\":%llu,\"BytesIn\":%llu,\"BytesOut\":%llu,\"Errors\":%d",
		       ms, (unsigned long long)o->stats.records_in,
		       (unsigned long long)o->stats.records_out,
		       (unsigned long long)(o->stats.records_dropped + o->stats.records_failed),
		       (unsigned long long)o->stats.bytes_in,
		       (unsigned long long)o->stats.bytes_out, failed);
	put_str(&b, "requestId", inv->request_id);
	inf_buf_puts(&b, "}\n");
	if (b.data) {
		fwrite(b.data, 1, b.len, stdout);
		fflush(stdout);
	}
	fflush(stderr);
	inf_buf_free(&b);
}

/* How long S3 Object Lambda waits for an invocation's answer (shared
 * docs §3): past it the caller has 500 LambdaTimeout and the WGOR token
 * is void, however long the function may still run. */
#define S3OL_WINDOW_MS 60000LL

/* When the caller's answer must be in: the Lambda deadline (0: none) or
 * the end of S3 Object Lambda's window from `from` (when the invocation
 * began), whichever comes first. $INFLIGHT_S3OL_WINDOW_MS (whole ms,
 * 1 .. 60000) shortens the window for tests; any other value is ignored. */
static long long answer_by(long long deadline_ms, long long from)
{
	long long window = inf_env_whole(INF_ENV_S3OL_WINDOW_MS);

	if (window < 0) /* inf_env_check refused it at start */
		window = S3OL_WINDOW_MS;
	return deadline_ms > 0 && deadline_ms < from + window ? deadline_ms : from + window;
}

/* Epoch ms this process started (Linux: its start time in
 * /proc/self/stat against CLOCK_BOOTTIME, 10 ms steps), or `fallback`
 * when that cannot be read or is later. A cold start's init (this
 * process started by the invoke, policies and plugins loaded) is part of
 * S3 Object Lambda's 60 s, which runs from the invoke, not from /next. */
static long long process_start_ms(long long fallback)
{
	char buf[1024], *p;
	unsigned long long ticks = 0;
	struct timespec boot;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	long long age;

	if (f)
		fclose(f);
	buf[n] = '\0';
	/* starttime is the 20th field after the command name's ')' */
	if (!(p = strrchr(buf, ')')) || hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot))
		return fallback;
	for (int field = 0; field < 20 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return fallback;
	age = (long long)boot.tv_sec * 1000 + boot.tv_nsec / 1000000 -
	      (long long)(ticks * 1000 / (unsigned long long)hz);
	return age > 0 && inf_clock_ms() - age < fallback ? inf_clock_ms() - age : fallback;
}

/* Safety margin before the deadline: time kept for telling the caller. */
static long long abandon_at(long long deadline_ms, long long now)
{
	long long budget = deadline_ms - now;
	long long margin = budget / 4 < 1000 ? budget / 4 : 1000;

	return deadline_ms - (margin > 0 ? margin : 0);
}

/* Lambda reads inputS3Url only over http or https: a file:// URL (which
 * event mode reads from disk) would hand the caller any file the function
 * can open, /proc/self/environ and its credentials among them. */
static int lambda_url_ok(const char *url)
{
	return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
}

/* Longest init Lambda allows before it retries it within the invocation:
 * a process start further back is not the invoke's (a pre-warmed one). */
#define INIT_MAX_MS 10000LL

/* Exports the invocation's trace id as _X_AMZN_TRACE_ID, as Lambda's own
 * runtimes do (none: unset), from one buffer: setenv keeps every value
 * it is given for the life of the process, and each trace id is new
 * (about 150 bytes an invocation, without end). */
static void export_trace(const char *id)
{
	static char env[sizeof "_X_AMZN_TRACE_ID=" + sizeof ((struct inf_invocation *)0)->trace_id];

	if (!id[0]) {
		unsetenv("_X_AMZN_TRACE_ID");
		return;
	}
	snprintf(env, sizeof env, "_X_AMZN_TRACE_ID=%s", id);
	putenv(env);
}

/* Handles one invocation; returns -1 only when the Runtime API is gone.
 * `began` is when S3 Object Lambda's window opened at the latest: the
 * process start for the first invocation of an on-demand cold start,
 * else 0 (it arrived from /next). */
static int invoke(struct inf_lambda *L, struct inf_invocation *inv, long long began)
{
	struct inf_event ev = { 0 };
	struct inf_outcome o = { 0 };
	long long started = inf_clock_ms();
	char perr[512];
	long st;
	int rc = -1;

	export_trace(inv->trace_id);
	o.deadline_ms = answer_by(inv->deadline_ms,
				  began && began < started && started - began <= INIT_MAX_MS ? began : started);
	o.abandon_at = abandon_at(o.deadline_ms, started);
	if (inf_event_parse(inv->event.data ? inv->event.data : "", inv->event.len,
			    &ev, perr, sizeof perr)) {
		snprintf(o.message, sizeof o.message, "%s", perr);
		inf_lambda_report(inv, NULL, &o, started);
		st = inf_rapi_error(&L->rapi, inv, "InvalidEvent", perr);
		return st == -1 || st >= 500 ? -1 : 0;
	}
	if (!lambda_url_ok(ev.input_url)) { /* refused as a malformed event */
		snprintf(o.message, sizeof o.message,
			 "inputS3Url must be an http or https URL");
		o.access_point = ev.access_point;
		inf_lambda_report(inv, &ev, &o, started);
		st = inf_rapi_error(&L->rapi, inv, "InvalidEvent", o.message);
		inf_event_free(&ev);
		return st == -1 || st >= 500 ? -1 : 0;
	}
	inf_buf_reset(&L->response);
	switch (ev.kind) {
	case INF_EV_GET: rc = inf_lambda_get(L, &ev, &o); break;
	case INF_EV_HEAD: rc = inf_lambda_head(L, &ev, &o); break;
	case INF_EV_LIST:
	case INF_EV_LIST_V2: rc = inf_lambda_list(L, &ev, &o); break;
	}
	/* the log line first: once the answer is posted, Lambda may freeze
	 * or end the process */
	inf_lambda_report(inv, &ev, &o, started);
	if (rc == 0 && ev.kind == INF_EV_GET)
		st = inf_rapi_response(&L->rapi, inv, "{}", 2);
	else if (rc == 0)
		st = inf_rapi_response(&L->rapi, inv, L->response.data, L->response.len);
	else
		st = inf_rapi_error(&L->rapi, inv, "Inflight.Failed",
				    o.message[0] ? o.message : "the invocation failed");
	if (st == 413 && rc == 0)
		st = inf_rapi_error(&L->rapi, inv, "Inflight.ResponseTooLarge",
				    "the response is larger than Lambda allows (6 MB)");
	if (st != 202 && st != -1 && st < 500)
		fprintf(stderr, "{\"level\":\"warn\",\"requestId\":\"%s\",\"msg\":\"runtime API answered %ld to the result\"}\n",
			inv->request_id, st);
	inf_event_free(&ev);
	return st == -1 || st >= 500 ? -1 : 0;
}

int inf_mode_lambda(const struct inf_cli *cli)
{
	struct inf_lambda L = { 0 };
	struct inf_invocation inv = { 0 };
	struct inf_error err = { 0 };
	char why[256];
	const char *init_type = getenv("AWS_LAMBDA_INITIALIZATION_TYPE");
	/* provisioned concurrency and SnapStart init long before the invoke */
	long long began = !init_type || !*init_type || !strcmp(init_type, "on-demand")
				  ? process_start_ms(inf_clock_ms()) : 0;
	int rc;

	if (inf_curl_load(why, sizeof why)) {
		fprintf(stderr, "runtime: %s\n", why);
		return INF_EXIT_INTERNAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "runtime: cannot initialise libcurl\n");
		return INF_EXIT_INTERNAL;
	}
	if ((rc = inf_rapi_init(&L.rapi, getenv("AWS_LAMBDA_RUNTIME_API")))) {
		const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
		/* shown only when it holds nothing a credential could be in
		 * (user:password@, a query) */
		int plain = api && strlen(api) <= 300 &&
			    strspn(api, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789.:[]-_") == strlen(api);

		if (rc == -1)
			fprintf(stderr, "runtime: AWS_LAMBDA_RUNTIME_API%s%s%s is not a host:port%s\n",
				plain ? "='" : "", plain ? api : "", plain ? "'" : "",
				plain ? "" : " (not shown: it may hold a credential)");
		else
			fprintf(stderr, "runtime: cannot create a curl handle\n");
		curl_global_cleanup();
		return rc == -1 ? INF_EXIT_USAGE : INF_EXIT_INTERNAL;
	}
	if ((rc = inf_env_check())) {
		inf_rapi_init_error(&L.rapi, "Inflight.ConfigError",
				    "a setting in the environment is not valid; see the log");
		inf_rapi_free(&L.rapi);
		curl_global_cleanup();
		return rc;
	}
	if ((rc = inf_cli_load_policy(cli, 1, &L.pol))) {
		inf_rapi_init_error(&L.rapi, "Inflight.PolicyError",
				    "the policy or a plugin failed to load; see the log");
		inf_rapi_free(&L.rapi);
		curl_global_cleanup();
		return rc;
	}
	L.src = curl_easy_init();
	L.wgor = curl_easy_init();
	inf_spool_init(&L.spool, INF_SPOOL_IN_MEMORY, NULL);
	if (!L.src || !L.wgor) {
		inf_rapi_init_error(&L.rapi, "Inflight.InitError", "cannot create curl handles");
		rc = INF_EXIT_INTERNAL;
		goto out;
	}
	for (;;) {
		if (inf_rapi_next(&L.rapi, &inv, &err)) {
			fprintf(stderr, "runtime: %s\n", err.msg);
			rc = INF_EXIT_SOURCE;
			break;
		}
		if (!inf_rapi_id_ok(inv.request_id)) {
			fprintf(stderr, "runtime: runtime API gave a malformed request id\n");
			rc = INF_EXIT_EVENT;
			break;
		}
		rc = invoke(&L, &inv, began);
		began = 0; /* later invocations arrive warm, their window opens at /next */
		if (rc) {
			fprintf(stderr, "runtime: the runtime API went away\n");
			rc = INF_EXIT_SOURCE;
			break;
		}
	}
out:
	inf_crash_decided(rc); /* before the plugins' fini */
	inf_buf_free(&inv.event);
	inf_buf_free(&L.response);
	inf_spool_free(&L.spool);
	if (L.src)
		curl_easy_cleanup(L.src);
	if (L.wgor)
		curl_easy_cleanup(L.wgor);
	inf_policy_free(L.pol);
	inf_rapi_free(&L.rapi);
	curl_global_cleanup();
	return rc;
}
