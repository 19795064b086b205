/* HEAD through the access point: the presigned HEAD gives the status and
 * metadata; the length is that of the consumer's view, so the object is
 * read with the function's own credentials and transformed into a
 * counter. That read is pinned to the version the HEAD described: it
 * sends If-Match with the HEAD's ETag, and an object replaced in between
 * is answered 503 ObjectChanged (a client retries), never with the
 * metadata of one version and the length of another. The answer is the
 * JSON shape of shared docs §2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conditions.h"
#include "forward.h"
#include "json.h"
#include "lambda.h"
#include "range.h"
#include "source.h"

static const char *const number_headers[] = { "x-amz-missing-meta",
	"x-amz-tagging-count", NULL };
static const char *const bool_headers[] = { "x-amz-delete-marker",
	"x-amz-server-side-encryption-bucket-key-enabled", NULL };

static int listed(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcasecmp(*list, name))
			return 1;
	return 0;
}

int inf_lambda_error_answer(struct inf_lambda *L, struct inf_outcome *o, int status,
			const char *code, const char *message)
{
	struct inf_buf *b = &L->response;

	o->status = status;
	inf_outcome_code(o, code);
	if (message != o->message)
		snprintf(o->message, sizeof o->message, "%s", message ? message : "");
	inf_buf_reset(b);
	inf_buf_printf(b, "{\"statusCode\":%d", status);
	if (code) {
		inf_buf_puts(b, ",\"errorCode\":");
		inf_json_quote(b, code, strlen(code));
		inf_buf_puts(b, ",\"errorMessage\":");
		if (inf_json_quote(b, o->message, strlen(o->message)))
			inf_buf_puts(b, "\"\"");
	}
	inf_buf_puts(b, "}");
	o->delivered = 1;
	return b->data ? 0 : -1;
}

int inf_lambda_source_error(struct inf_lambda *L, struct inf_outcome *o,
			    const struct inf_source_result *res,
			    const struct inf_error *err)
{
	const char *code;
	int st;

	if (res->timed_out)
		return inf_lambda_error_answer(L, o, 503, "DeadlineExceeded", err->msg);
	if (res->transport_failed || res->status < 300)
		return inf_lambda_error_answer(L, o, err->kind == INF_FAIL_SOURCE ? 503 : 500,
				    err->kind == INF_FAIL_SOURCE ? "SourceUnavailable"
								 : inf_fail_code(err->kind),
				    err->msg);
	if (res->status == 304)
		return inf_lambda_error_answer(L, o, 304, NULL, NULL);
	/* as for GET: a status S3 Object Lambda cannot forward becomes 400
	 * (another 4xx) or 500 (a 301, a 502), the source's code kept */
	st = inf_source_caller_status(res, &code);
	return inf_lambda_error_answer(L, o, st, code, res->message[0] ? res->message : code);
}

static int count_sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	(void)err;
	return 0; /* the transform counts bytes_out itself */
}

static int feed(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)err;
	return inf_transform_write(ctx, data, len);
}

/* The caller's headers the measuring read sends, as the presigned HEAD
 * did, to reach the object as the caller may: the customer key of an
 * object under SSE-C, the requester-pays consent, the expected owner,
 * and the conditions, which a read pinned to the HEAD's ETag leaves out
 * (see caller_read_headers). */
static const char *const read_headers[] = {
	"x-amz-server-side-encryption-customer-algorithm",
	"x-amz-server-side-encryption-customer-key",
	"x-amz-server-side-encryption-customer-key-MD5",
	"x-amz-request-payer", "x-amz-expected-bucket-owner",
	"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
};
#define NREAD (sizeof read_headers / sizeof read_headers[0])
#define READ_VALUE_MAX 4096

/* The ETag the measuring read is pinned to: that of the presigned HEAD's
 * answer `head`, cleaned into `out` (READ_VALUE_MAX bytes). Returns out,
 * or NULL when there is none to pin to: no ETag, two, a weak one
 * (If-Match compares strongly, so it would never hold) or one that cannot
 * be sent and signed. S3 always answers one strong ETag. */
static const char *pin_etag(const struct inf_source_result *head, char *out)
{
	if (head->netags != 1 || !head->etag[0] || !strncmp(head->etag, "W/", 2) ||
	    inf_sigv4_clean(head->etag, out, READ_VALUE_MAX))
		return NULL;
	return out;
}

/* Fills h (room for NREAD + 1) with the read_headers the caller sent,
 * values cleaned (freed by the caller), and *n with their count; with
 * `pin`, the caller's If-* conditions are checked but not sent, and
 * If-Match: pin is sent instead: the HEAD has already evaluated the
 * caller's conditions on the version it described, and the read must
 * measure that version or fail with 412, not evaluate them again on
 * another (an If-None-Match naming a newer version would make it 304).
 * With a versionId in the URL the pin stays: versionId=null names the
 * null version, which a write to a bucket whose versioning is suspended
 * replaces; any other version never changes, so the If-Match holds.
 * Without `pin` (a source without a usable ETag) the conditions are sent,
 * so the read fails as that HEAD would have. Returns 0; -1 out of memory;
 * or 1 with *bad naming a header whose value cannot be sent and signed (a
 * control byte, CR, LF or a byte that is not ASCII, empty, over
 * READ_VALUE_MAX): sent otherwise it would be wrong or refused, and left
 * out S3 answers 400 or 403 (or reads another object state); a condition
 * the presigned HEAD could not carry was not evaluated either. */
static int caller_read_headers(const struct inf_event *ev, const char *pin,
			       struct inf_sigv4_header *h, size_t *n, const char **bad)
{
	char v[READ_VALUE_MAX];
	char *copy;

	*n = 0;
	for (size_t i = 0; i < NREAD; i++) {
		const char *raw = inf_event_header(ev, read_headers[i]);
		if (!raw)
			continue;
		if (inf_sigv4_clean(raw, v, sizeof v)) {
			*bad = read_headers[i];
			return 1;
		}
		if (!strncasecmp(read_headers[i], "If-", 3) &&
		    (pin || !inf_condition_sent(ev, read_headers[i])))
			continue;
		if (!(copy = strdup(v)))
			return -1;
		h[*n].name = read_headers[i];
		h[(*n)++].value = copy;
	}
	if (pin) {
		if (!(copy = strdup(pin)))
			return -1;
		h[*n].name = "If-Match";
		h[(*n)++].value = copy;
	}
	return 0;
}

/* Length of the consumer's view of the object the presigned HEAD
 * answered `head` for. Returns 0 with it in o->stats.bytes_out, or -1
 * with the error answer in L->response. */
static int view_length(struct inf_lambda *L, const struct inf_access_point *ap,
		       const struct inf_event *ev, const struct inf_source_result *head,
		       struct inf_outcome *o)
{
	/* a slow plugin step fails the measuring in time, as a GET's */
	struct inf_request req = { .access_point = ap->name, .object_key = ev->object_key,
				   .request_id = ev->request_id, .deadline_ms = o->abandon_at };
	struct inf_fetch_opts fo = { 0 };
	struct inf_source_result res = { 0 };
	struct inf_error err = { 0 };
	struct inf_sigv4_header h[NREAD + 1];
	struct inf_transform *t = NULL;
	const char *bad = NULL;
	char msg[256], etag[READ_VALUE_MAX];
	const char *pin = pin_etag(head, etag);
	size_t nh = 0;
	int rc = caller_read_headers(ev, pin, h, &nh, &bad);

	if (rc) {
		if (rc < 0)
			inf_lambda_error_answer(L, o, 500, "InternalError", "out of memory");
		else { /* the name only: the value may be the customer key */
			snprintf(msg, sizeof msg, "the request's %s header cannot be sent on the read "
				 "that measures the object: printable ASCII only, at most %d bytes",
				 bad, READ_VALUE_MAX - 1);
			inf_lambda_error_answer(L, o, 400, "InvalidArgument", msg);
		}
		rc = -1;
		goto out;
	}
	if (!(t = inf_transform_new(ap, &req, count_sink, NULL, &err))) {
		inf_lambda_error_answer(L, o, 500, "InternalError", "out of memory");
		rc = -1;
		goto out;
	}
	fo.deadline_ms = o->abandon_at;
	fo.name = inf_lambda_source_name(ev);
	fo.sign_s3 = 1;
	fo.sign_headers = h;
	fo.nsign_headers = nh;
	rc = inf_source_fetch(L->src, ev->input_url, &fo, feed, t, &res, &err);
	if (rc == 0)
		rc = inf_transform_finish(t);
	o->stats = inf_transform_stats(t);
	inf_transform_first_skip(t, o->first_failed, sizeof o->first_failed);
	inf_transform_free(t);
	if (rc) {
		if (err.kind == INF_FAIL_SOURCE && inf_clock_ms() >= o->abandon_at)
			res.timed_out = 1; /* the read's deadline, or a step's */
		if (pin && res.status == 412 && !res.transport_failed && !res.timed_out)
			/* only the pin was a condition: another version is there */
			inf_lambda_error_answer(L, o, 503, "ObjectChanged",
				    "the object changed while it was being measured "
				    "(its ETag is no longer the one the HEAD answered): "
				    "send the request again");
		else if (err.kind == INF_FAIL_SOURCE)
			inf_lambda_source_error(L, o, &res, &err);
		else
			inf_lambda_error_answer(L, o, ap->error_status, inf_fail_code(err.kind), err.msg);
	}
	inf_source_result_free(&res);
out:
	for (size_t i = 0; i < nh; i++)
		free((char *)h[i].value);
	return rc;
}

/* Appends to the "headers" object being written in b (its '{' or a
 * member last) the source's headers a HEAD answer carries, as members. A
 * header the source repeated is one member, its values joined with ',' as
 * the GET's forwarded headers are (wgor.c); a number header holding only
 * digits is a JSON number, leading zeros left out. The source is not
 * trusted: a name or value that cannot be a JSON string (not UTF-8)
 * leaves the header out, whole. */
static void put_headers(struct inf_buf *b, const struct inf_source_result *res)
{
	struct inf_buf v = { 0 };

	for (size_t i = 0; i < res->nheaders; i++) {
		const char *n = res->headers[i].name;
		size_t mark = b->len, j, reps = 0;

		if (!inf_forwardable(n) && strcasecmp(n, "x-amz-archive-status"))
			continue;
		for (j = 0; j < i && strcasecmp(res->headers[j].name, n); j++)
			;
		if (j < i) /* joined into the first one */
			continue;
		inf_buf_reset(&v);
		for (j = i; j < res->nheaders; j++) {
			if (strcasecmp(res->headers[j].name, n))
				continue;
			if (reps++)
				inf_buf_putc(&v, ',');
			inf_buf_puts(&v, res->headers[j].value);
		}
		if (inf_buf_putc(&v, '\0') == 0) /* a C string, for the tests below */
			v.len--;
		if (!v.data || (b->len && b->data[b->len - 1] != '{' && inf_buf_putc(b, ',')) ||
		    inf_json_quote(b, n, strlen(n)) || inf_buf_putc(b, ':')) {
			b->len = mark;
			continue;
		}
		if (listed(number_headers, n) && v.len && strspn(v.data, "0123456789") == v.len)
			inf_buf_puts(b, v.data + strspn(v.data, "0") - (strspn(v.data, "0") == v.len));
		else if (listed(bool_headers, n))
			inf_buf_puts(b, strcasecmp(v.data, "true") ? "false" : "true");
		else if (inf_json_quote(b, v.data, v.len))
			b->len = mark;
	}
	inf_buf_free(&v);
}

int inf_lambda_head(struct inf_lambda *L, const struct inf_event *ev,
		    struct inf_outcome *o)
{
	const struct inf_access_point *ap;
	struct inf_source_result res = { 0 };
	struct inf_fetch_opts fo = { 0 };
	struct inf_error err = { 0 };
	struct inf_slice slice;
	struct inf_buf *b = &L->response;
	char rbuf[256], pbuf[64];
	const char *range, *part;
	int rc;

	o->op = "HeadObject";
	if (!(ap = inf_lambda_access_point(L, ev, o)))
		return inf_lambda_error_answer(L, o, o->status, o->code, o->message);
	inf_lambda_range_request(ev, rbuf, sizeof rbuf, pbuf, sizeof pbuf, &range, &part);
	if (range && part) /* refused before the object is read, as for GET */
		return inf_lambda_error_answer(L, o, 400, "InvalidRequest",
					       "Range and partNumber cannot both be given");
	if (inf_view_precondition(ev, &res, &err)) {
		rc = inf_lambda_source_error(L, o, &res, &err);
		inf_source_result_free(&res);
		return rc;
	}
	fo.ev = ev;
	fo.head = 1;
	fo.deadline_ms = o->abandon_at;
	fo.name = inf_lambda_source_name(ev);
	/* a HEAD has no body; should one come anyway, it is not fed to anything */
	if (inf_source_fetch(L->src, ev->input_url, &fo, count_sink, NULL, &res, &err)) {
		if (res.status == 304 && !res.transport_failed && !res.timed_out) {
			/* not modified: no code, but the headers, as S3 answers */
			o->status = 304;
			inf_buf_reset(b);
			inf_buf_puts(b, "{\"statusCode\":304,\"headers\":{");
			put_headers(b, &res);
			inf_buf_puts(b, "}}");
			o->delivered = 1;
			rc = b->data ? 0 : -1;
		} else {
			rc = inf_lambda_source_error(L, o, &res, &err);
		}
		inf_source_result_free(&res);
		return rc;
	}
	if (view_length(L, ap, ev, &res, o)) {
		inf_source_result_free(&res);
		return 0; /* the error answer is in L->response */
	}
	inf_slice_compute(range, part, o->stats.bytes_out, &slice);
	if (slice.code) {
		char msg[160];
		inf_slice_message(&slice, msg, sizeof msg);
		inf_source_result_free(&res);
		return inf_lambda_error_answer(L, o, slice.status, slice.code, msg);
	}
	o->status = 200;
	inf_buf_reset(b);
	/* the view serves ranges whatever the source said, as GET's
	 * x-amz-fwd-header-accept-ranges says */
	inf_buf_printf(b, "{\"statusCode\":200,\"headers\":{\"Content-Length\":%llu,"
		       "\"Accept-Ranges\":\"bytes\"", (unsigned long long)slice.len);
	if (slice.parts)
		inf_buf_printf(b, ",\"x-amz-mp-parts-count\":%llu",
			       (unsigned long long)slice.parts);
	put_headers(b, &res);
	inf_buf_puts(b, "}}");
	inf_source_result_free(&res);
	o->delivered = 1;
	return b->data ? 0 : -1;
}
