/* LIST (v1 and v2) through the access point: the presigned list answer is
 * read whole and passed on as listResultXml, filtered by the access
 * point's prefixes (runtime/listfilter.c says what is left out). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "lambda.h"
#include "list.h"
#include "source.h"

#define LIST_MAX (16u * 1024u * 1024u)

static int collect(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	struct inf_buf *b = ctx;

	if (b->len + len > LIST_MAX)
		return inf_error_set(err, INF_FAIL_SOURCE, "list answer larger than %u bytes", LIST_MAX);
	if (inf_buf_append(b, data, len))
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	return 0;
}

int inf_lambda_list(struct inf_lambda *L, const struct inf_event *ev,
		    struct inf_outcome *o)
{
	const struct inf_access_point *ap;
	struct inf_source_result res = { 0 };
	struct inf_fetch_opts fo = { 0 };
	struct inf_error err = { 0 };
	struct inf_buf xml = { 0 }, shown = { 0 };
	int rc;

	o->op = ev->kind == INF_EV_LIST ? "ListObjects" : "ListObjectsV2";
	if (!(ap = inf_lambda_access_point(L, ev, o)))
		return inf_lambda_error_answer(L, o, o->status, o->code, o->message);
	fo.ev = ev;
	fo.deadline_ms = o->abandon_at;
	fo.name = "the list";
	if (inf_source_fetch(L->src, ev->input_url, &fo, collect, &xml, &res, &err)) {
		rc = inf_lambda_source_error(L, o, &res, &err);
		goto out;
	}
	if (ap->prefixes) {
		char enc[8];
		const char *e = inf_url_query(ev->input_url, "encoding-type", enc, sizeof enc);
		unsigned flags = (e && !strcasecmp(e, "url") ? INF_LIST_URL : 0) |
				 (ev->kind == INF_EV_LIST ? INF_LIST_V1 : 0);
		if (inf_list_filter(ap, &xml, flags, &shown, &err)) {
			o->stats.bytes_in = xml.len;
			rc = inf_lambda_error_answer(L, o, 500, "InternalError", err.msg);
			goto out;
		}
	} else {
		shown = xml;
		memset(&xml, 0, sizeof xml);
	}
	o->status = 200;
	o->stats.bytes_in = xml.len ? xml.len : shown.len;
	o->stats.bytes_out = shown.len;
	inf_buf_reset(&L->response);
	inf_buf_puts(&L->response, "{\"statusCode\":200,\"listResultXml\":");
	if (inf_json_quote(&L->response, shown.data ? shown.data : "", shown.len)) {
		rc = inf_lambda_error_answer(L, o, 500, "InternalError",
					     "the list answer is not UTF-8");
		goto out;
	}
	inf_buf_puts(&L->response, "}");
	o->delivered = 1;
	rc = L->response.data ? 0 : -1;
out:
	inf_buf_free(&xml);
	inf_buf_free(&shown);
	inf_source_result_free(&res);
	return rc;
}
