/* GET through the access point: fetch inputS3Url, run the chain into the
 * spool, then send what the caller asked for (all, a Range or a part) to
 * WriteGetObjectResponse with a declared length. Nothing is sent before
 * the whole object transformed, so a failure is always an error status,
 * never a truncated body that looks complete. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "conditions.h"
#include "forward.h"
#include "json.h"
#include "lambda.h"
#include "range.h"
#include "source.h"
#include "wgor.h"

struct feed_ctx {
	struct inf_transform *t;
	long long abandon_at;
	int timed_out;
};

static int feed(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	struct feed_ctx *f = ctx;

	if (inf_clock_ms() >= f->abandon_at) {
		f->timed_out = 1;
		return inf_error_set(err, INF_FAIL_SOURCE,
				     "deadline: the object could not be transformed in time");
	}
	return inf_transform_write(f->t, data, len);
}

/* When a WriteGetObjectResponse must have ended: up to 500 ms after the
 * work was abandoned, but within the first half of the margin lambda.c
 * keeps between abandon_at and the answer's deadline (Lambda's, or the
 * end of S3 Object Lambda's window), so that the /error or /response that
 * follows is posted in time too (the margin is under 500 ms for budgets
 * under 2 s). */
static long long send_by(const struct inf_outcome *o)
{
	long long by = o->abandon_at + 500, deadline = o->deadline_ms;

	if (deadline - (deadline - o->abandon_at) / 2 < by)
		by = deadline - (deadline - o->abandon_at) / 2;
	return by;
}

/* Sends an answer without a body: an error, or 304. */
static int send_status(struct inf_lambda *L, const struct inf_event *ev,
		       struct inf_outcome *o, int status, const char *code,
		       const char *message)
{
	struct inf_wgor w = { 0 };
	struct inf_error err = { 0 };
	int rc;

	o->status = status;
	inf_outcome_code(o, code);
	if (message && message != o->message)
		snprintf(o->message, sizeof o->message, "%s", message);
	w.route = ev->output_route;
	w.token = ev->output_token;
	w.status = status;
	w.error_code = code;
	w.error_message = code ? o->message : NULL;
	rc = inf_wgor_send(L->wgor, &w, send_by(o), &err);
	inf_wgor_clear(&w);
	if (rc) {
		snprintf(o->message, sizeof o->message, "%s", err.msg);
		return -1;
	}
	o->delivered = 1;
	return 0;
}

/* The source answered an error: forward its status and S3 code. */
static int forward_source_error(struct inf_lambda *L, const struct inf_event *ev,
				struct inf_outcome *o,
				const struct inf_source_result *res,
				const struct inf_error *err)
{
	const char *code;
	int st = inf_source_caller_status(res, &code);

	if (res->timed_out || res->transport_failed || res->status < 300)
		return send_status(L, ev, o, st, code, err->msg); /* no answer to quote */
	return send_status(L, ev, o, st, code, code ? res->message : NULL);
}

/* Says in the log (without names or values: they come from the source)
 * how many of the source's headers could not be forwarded. */
static void log_skipped(const struct inf_event *ev, size_t skipped)
{
	struct inf_buf b = { 0 };

	inf_buf_puts(&b, "{\"level\":\"warn\",\"xAmzRequestId\":");
	if (inf_json_quote(&b, ev->request_id, strlen(ev->request_id)))
		inf_buf_puts(&b, "null");
	inf_buf_printf(&b, ",\"msg\":\"source headers not forwarded: their names are not HTTP tokens or too long\","
		       "\"count\":%zu}\n", skipped);
	if (b.data)
		fwrite(b.data, 1, b.len, stderr);
	inf_buf_free(&b);
}

/* Adds the source's forwardable headers. A name that is not an RFC 7230
 * token (control bytes, spaces, UTF-8) would be put as it is into the
 * signed request, so it is skipped, as is one too long to copy whole;
 * those are counted in the log. */
static int add_forwarded(struct inf_wgor *w, const struct inf_event *ev,
			 const struct inf_source_result *res)
{
	char name[2304]; /* S3 user metadata is at most 2 KB */
	size_t skipped = 0;
	int n;

	for (size_t i = 0; i < res->nheaders; i++) {
		const char *h = res->headers[i].name;
		if (!inf_header_name_ok(h)) {
			skipped++;
			continue;
		}
		if (!inf_forwardable(h))
			continue;
		if (!strncasecmp(h, "x-amz-meta-", 11))
			n = snprintf(name, sizeof name, "%s", h);
		else
			n = snprintf(name, sizeof name, "x-amz-fwd-header-%s", h);
		if (n < 0 || (size_t)n >= sizeof name) {
			skipped++;
			continue;
		}
		if (inf_wgor_add_header(w, name, res->headers[i].value))
			return -1;
	}
	if (skipped)
		log_skipped(ev, skipped);
	return 0;
}

static int send_object(struct inf_lambda *L, const struct inf_event *ev,
		       struct inf_outcome *o, const struct inf_source_result *res,
		       const struct inf_slice *s)
{
	struct inf_wgor w = { 0 };
	struct inf_error err = { 0 };
	char v[128];
	int rc = -1;

	w.route = ev->output_route;
	w.token = ev->output_token;
	w.status = s->status;
	w.body = &L->spool;
	w.off = s->start;
	w.len = s->len;
	if (add_forwarded(&w, ev, res))
		goto out;
	if (s->status == 206) {
		inf_slice_content_range(s, v, sizeof v);
		if (inf_wgor_add_header(&w, "x-amz-fwd-header-Content-Range", v))
			goto out;
	}
	if (inf_wgor_add_header(&w, "x-amz-fwd-header-accept-ranges", "bytes"))
		goto out;
	if (s->parts) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)s->parts);
		if (inf_wgor_add_header(&w, "x-amz-fwd-header-x-amz-mp-parts-count", v))
			goto out;
	}
	o->status = s->status;
	if (inf_wgor_send(L->wgor, &w, send_by(o), &err)) {
		snprintf(o->message, sizeof o->message, "%s", err.msg);
		goto out;
	}
	o->delivered = 1;
	rc = 0;
out:
	inf_wgor_clear(&w);
	return rc;
}

static int get_object(struct inf_lambda *L, const struct inf_event *ev,
		      struct inf_outcome *o)
{
	const struct inf_access_point *ap;
	struct inf_request req = { 0 };
	struct inf_source_result res = { 0 };
	struct inf_fetch_opts fo = { 0 };
	struct inf_error err = { 0 };
	struct feed_ctx fc = { 0 };
	struct inf_slice slice;
	char rbuf[256], pbuf[64];
	const char *range, *part;
	int rc;

	o->op = "GetObject";
	if (!(ap = inf_lambda_access_point(L, ev, o)))
		return send_status(L, ev, o, o->status, o->code, o->message);
	inf_lambda_range_request(ev, rbuf, sizeof rbuf, pbuf, sizeof pbuf, &range, &part);
	if (range && part)
		return send_status(L, ev, o, 400, "InvalidRequest",
				   "Range and partNumber cannot both be given");
	if (inf_view_precondition(ev, &res, &err)) {
		rc = forward_source_error(L, ev, o, &res, &err);
		inf_source_result_free(&res);
		return rc;
	}
	req.access_point = ap->name;
	req.object_key = ev->object_key;
	req.request_id = ev->request_id;
	req.deadline_ms = o->abandon_at; /* between a plugin's steps, as feed() between chunks */
	inf_spool_reset(&L->spool);
	fc.abandon_at = o->abandon_at;
	fc.t = inf_transform_new(ap, &req, inf_spool_write, &L->spool, &err);
	if (!fc.t)
		return send_status(L, ev, o, 500, "InternalError", "out of memory");
	fo.ev = ev;
	fo.deadline_ms = o->abandon_at;
	fo.name = inf_lambda_source_name(ev);
	rc = inf_source_fetch(L->src, ev->input_url, &fo, feed, &fc, &res, &err);
	if (rc == 0)
		rc = inf_transform_finish(fc.t);
	o->stats = inf_transform_stats(fc.t);
	inf_transform_first_skip(fc.t, o->first_failed, sizeof o->first_failed);
	inf_transform_free(fc.t);
	if (rc) {
		if (fc.timed_out || (err.kind == INF_FAIL_SOURCE && inf_clock_ms() >= fc.abandon_at))
			res.timed_out = 1;
		if (err.kind == INF_FAIL_SOURCE) {
			rc = forward_source_error(L, ev, o, &res, &err);
		} else {
			/* a record's error names the object by its key, as event
			 * mode's does */
			inf_error_name_object(&err, fo.name);
			rc = send_status(L, ev, o,
					 err.kind == INF_FAIL_OUTPUT || err.kind == INF_FAIL_NOMEM
						 ? 500 : ap->error_status,
					 inf_fail_code(err.kind), err.msg);
		}
		inf_source_result_free(&res);
		return rc;
	}
	inf_slice_compute(range, part, L->spool.len, &slice);
	if (slice.code) {
		char msg[160];
		inf_slice_message(&slice, msg, sizeof msg);
		rc = send_status(L, ev, o, slice.status, slice.code, msg);
	} else {
		rc = send_object(L, ev, o, &res, &slice);
	}
	inf_source_result_free(&res);
	return rc;
}

int inf_lambda_get(struct inf_lambda *L, const struct inf_event *ev,
		   struct inf_outcome *o)
{
	int rc = get_object(L, ev, o);

	/* the spool's file goes now, not at the next GET: a frozen sandbox
	 * would otherwise keep the largest object's bytes in its /tmp */
	inf_spool_reset(&L->spool);
	return rc;
}
