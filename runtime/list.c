/* LIST (v1 and v2) through the access point: the presigned list answer is
 * passed on as listResultXml with every key, and every common prefix, that
 * lies outside the access point's prefixes left out (KeyCount adjusted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lambda.h"
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

/* XML text between <tag> and </tag> inside [s, e), entities decoded, or
 * NULL; the result is malloc'd. */
static char *xml_field(const char *s, const char *e, const char *tag)
{
	char open[32], close[32], *out, *w;
	const char *a, *z;

	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	a = memmem(s, (size_t)(e - s), open, strlen(open));
	if (!a)
		return NULL;
	a += strlen(open);
	z = memmem(a, (size_t)(e - a), close, strlen(close));
	if (!z || !(out = malloc((size_t)(z - a) + 1)))
		return NULL;
	for (w = out; a < z; a++) {
		static const struct { const char *ent; char c; } ents[] = {
			{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
			{ "&quot;", '"' }, { "&apos;", '\'' },
		};
		char c = *a;
		for (size_t i = 0; c == '&' && i < 5; i++)
			if (!strncmp(a, ents[i].ent, strlen(ents[i].ent))) {
				c = ents[i].c;
				a += strlen(ents[i].ent) - 1;
				break;
			}
		*w++ = c;
	}
	*w = '\0';
	return out;
}

/* A common prefix is shown when it lies inside an allowed prefix or on
 * the way to one ("store_events/" for "store_events/sales/"). */
static int prefix_visible(const struct inf_access_point *ap, const char *p)
{
	if (inf_ap_allows_key(ap, p))
		return 1;
	for (size_t i = 0; i < ap->nprefixes; i++)
		if (!strncmp(ap->prefixes[i], p, strlen(p)))
			return 1;
	return 0;
}

/* Copies `xml` to `out` without the blocks the access point may not show;
 * returns how many blocks were kept. */
static long filter(const struct inf_access_point *ap, const struct inf_buf *xml,
		   struct inf_buf *out)
{
	const char *p = xml->data, *end = xml->data + xml->len;
	long kept = 0;

	while (p < end) {
		const char *c = memmem(p, (size_t)(end - p), "<Contents>", 10);
		const char *cp = memmem(p, (size_t)(end - p), "<CommonPrefixes>", 16);
		const char *blk = c && (!cp || c < cp) ? c : cp, *close, *blk_end;
		int is_contents = blk == c;
		char *v;
		int show;

		if (!blk)
			break;
		close = is_contents ? "</Contents>" : "</CommonPrefixes>";
		blk_end = memmem(blk, (size_t)(end - blk), close, strlen(close));
		if (!blk_end)
			break;
		blk_end += strlen(close);
		v = xml_field(blk, blk_end, is_contents ? "Key" : "Prefix");
		show = v && (is_contents ? inf_ap_allows_key(ap, v) : prefix_visible(ap, v));
		free(v);
		inf_buf_append(out, p, (size_t)((show ? blk_end : blk) - p));
		kept += show;
		p = blk_end;
	}
	inf_buf_append(out, p, (size_t)(end - p));
	return kept;
}

/* Rewrites <KeyCount>n</KeyCount> (v2) to `n`. */
static void fix_key_count(struct inf_buf *x, long n)
{
	char *a = x->data ? memmem(x->data, x->len, "<KeyCount>", 10) : NULL, *z;
	struct inf_buf o = { 0 };

	if (!a || !(z = memmem(a, x->len - (size_t)(a - x->data), "</KeyCount>", 11)))
		return;
	inf_buf_append(&o, x->data, (size_t)(a - x->data) + 10);
	inf_buf_printf(&o, "%ld", n);
	inf_buf_append(&o, z, x->len - (size_t)(z - x->data));
	if (o.data) {
		inf_buf_free(x);
		*x = o;
	}
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
	if (inf_source_fetch(L->src, ev->input_url, &fo, collect, &xml, &res, &err)) {
		rc = inf_lambda_source_error(L, o, &res, &err);
		goto out;
	}
	if (ap->prefixes) {
		long kept = filter(ap, &xml, &shown);
		if (ev->kind == INF_EV_LIST_V2)
			fix_key_count(&shown, kept);
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
