/* Event mode: `runtime --event FILE.json [-o OUT]` serves one S3 Object
 * Lambda GET event locally: the object is fetched from inputS3Url (http,
 * https or file), transformed by the access point's chain into a spool,
 * and what the caller asked for (all of it, a Range or a part, as in
 * Lambda mode) is written to stdout or OUT; the status and headers that
 * would be sent go to stderr. The whole object bound for a file OUT is
 * written straight into it: the file appears only on success. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "cli.h"
#include "crash.h"
#include "conditions.h"
#include "event.h"
#include "forward.h"
#include "lambda.h"
#include "output.h"
#include "range.h"
#include "redact.h"
#include "source.h"
#include "spool.h"

#define EVENT_MAX (1u << 20)

static int feed(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)err;
	return inf_transform_write(ctx, data, len);
}

/* Reads the whole event file (events are small: at most EVENT_MAX). */
static char *read_event(const char *path, size_t *len, struct inf_error *err)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char name[1024], *buf;
	size_t n;

	inf_show_name(path, name, sizeof name);
	if (!fp) {
		inf_error_set(err, INF_FAIL_EVENT, "%s: cannot open: %s", name, strerror(errno));
		return NULL;
	}
	buf = malloc(EVENT_MAX + 1);
	errno = 0;
	n = buf ? fread(buf, 1, EVENT_MAX + 1, fp) : 0;
	if (!buf)
		inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	else if (ferror(fp))
		inf_error_set(err, INF_FAIL_EVENT, "%s: read failed: %s", name,
			      errno ? strerror(errno) : "read error");
	else if (n > EVENT_MAX)
		inf_error_set(err, INF_FAIL_EVENT, "%s: event larger than %u bytes", name, EVENT_MAX);
	if (fp != stdin)
		fclose(fp);
	if (err->kind != INF_FAIL_NONE) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* Ends the stderr line begun with the untrusted `text` (a source's header
 * value or error message), its control bytes and bytes that are no UTF-8
 * written \xNN (inf_one_line): a terminal escape or a bare CR in it
 * cannot forge a line. */
static void end_line(const char *text)
{
	size_t n = 4 * strlen(text) + 1;
	char *safe = malloc(n);

	if (safe)
		inf_one_line(text, safe, n);
	fprintf(stderr, "%s\n", safe ? safe : "(out of memory)");
	free(safe);
}

static void print_success(const struct inf_source_result *res,
			  const struct inf_slice *s)
{
	char v[INF_CONTENT_RANGE_MAX];

	fprintf(stderr, "status: %d\n", s->status);
	for (size_t i = 0; i < res->nheaders; i++)
		if (inf_forwardable(res->headers[i].name)) { /* an HTTP token */
			fprintf(stderr, "header: %s: ", res->headers[i].name);
			end_line(res->headers[i].value);
		}
	if (s->status == 206) {
		inf_slice_content_range(s, v, sizeof v);
		fprintf(stderr, "header: Content-Range: %s\n", v);
	}
	fprintf(stderr, "header: Accept-Ranges: bytes\n");
	if (s->parts)
		fprintf(stderr, "header: x-amz-mp-parts-count: %llu\n",
			(unsigned long long)s->parts);
}

/* The status line of a failure, as the Lambda GET would answer it: a
 * failed transform gets the access point's error_status. */
static void print_failure(const struct inf_error *err,
			  const struct inf_source_result *res,
			  const struct inf_slice *s,
			  const struct inf_access_point *ap)
{
	const char *code;
	int st;

	if (s->code) {
		fprintf(stderr, "status: %d %s\n", s->status, s->code);
	} else if (err->kind == INF_FAIL_SOURCE) {
		st = inf_source_caller_status(res, &code);
		if (!code)
			fprintf(stderr, "status: %d\n", st);
		else if (st == 503 || !res->message[0])
			fprintf(stderr, "status: %d %s\n", st, code);
		else {
			fprintf(stderr, "status: %d %s: ", st, code);
			end_line(res->message);
		}
	} else if (ap && (err->kind == INF_FAIL_INPUT || err->kind == INF_FAIL_TOO_LARGE ||
			err->kind == INF_FAIL_TRANSFORM))
		fprintf(stderr, "status: %d %s\n", ap->error_status, inf_fail_code(err->kind));
	else
		fprintf(stderr, "status: %d %s\n", inf_fail_status(err->kind),
			inf_fail_code(err->kind));
}

/* A Range or partNumber the transformed object cannot answer: the slice
 * holds the status and code the caller gets, err why. */
static void slice_error(const struct inf_slice *s, struct inf_error *err)
{
	char msg[160];

	inf_slice_message(s, msg, sizeof msg);
	inf_error_set(err, INF_FAIL_EVENT, "userRequest: %s", msg);
}

/* Fetches, transforms into the spool (straight into the output file when
 * the whole object is asked for) and answers as a Lambda GET would
 * (range.h): the whole object, a slice (206) or a Range error. */
int inf_mode_event(const struct inf_cli *cli)
{
	struct inf_error err = { 0 };
	struct inf_event ev = { 0 };
	struct inf_source_result res = { 0 };
	struct inf_policy *pol = NULL;
	const struct inf_access_point *ap = NULL;
	struct inf_transform *t = NULL;
	struct inf_output out;
	struct inf_request req = { 0 };
	struct inf_fetch_opts fo = { 0 };
	struct inf_spool spool;
	struct inf_slice slice = { 0 };
	char perr[512], rbuf[256], pbuf[64], name[1024];
	const char *range, *part;
	size_t len = 0;
	char *json;
	int rc, opened = 0, direct;

	inf_spool_init(&spool, INF_SPOOL_IN_MEMORY, NULL);
	inf_show_name(cli->event, name, sizeof name);
	if (!(json = read_event(cli->event, &len, &err)))
		goto out;
	rc = inf_event_parse(json, len, &ev, perr, sizeof perr);
	free(json);
	if (rc) {
		inf_error_set(&err, INF_FAIL_EVENT, "%s: %s", name, perr);
		goto out;
	}
	if (ev.kind != INF_EV_GET) {
		inf_error_set(&err, INF_FAIL_EVENT,
			      "%s: event mode serves GET events (getObjectContext)", name);
		goto out;
	}
	/* a plugin's exit() or crash in init fails the policy's load */
	inf_crash_status(inf_fail_status(INF_FAIL_POLICY), inf_fail_code(INF_FAIL_POLICY));
	if ((rc = inf_cli_load_policy(cli, 0, &pol))) {
		inf_crash_decided(rc);
		/* the problems are printed; the caller would get a 500 */
		fprintf(stderr, "status: %d %s\n", inf_fail_status(INF_FAIL_POLICY),
			inf_fail_code(INF_FAIL_POLICY));
		inf_event_free(&ev);
		return rc;
	}
	ap = inf_policy_find(pol, ev.access_point);
	if (!ap) {
		inf_cli_no_policy(cli, pol, ev.access_point, &err);
		goto out;
	}
	if (!inf_ap_allows_key(ap, ev.object_key)) {
		inf_error_set(&err, INF_FAIL_DENIED,
			      "key '%s' is outside the prefixes of access point '%s'",
			      ev.object_key, ap->name);
		goto out;
	}
	/* a plugin's exit() or crash is a failed transform's answer */
	inf_crash_status(ap->error_status, inf_fail_code(INF_FAIL_TRANSFORM));
	inf_lambda_range_request(&ev, rbuf, sizeof rbuf, pbuf, sizeof pbuf, &range, &part);
	if (range && part) { /* refused before the object is read, as in Lambda */
		inf_slice_compute(range, part, 0, &slice);
		slice_error(&slice, &err);
		goto out;
	}
	if (inf_view_precondition(&ev, &res, &err)) {
		inf_error_name_object(&err, *ev.object_key ? ev.object_key : name);
		goto out;
	}
	fo.ev = &ev;
	req.access_point = ap->name;
	req.object_key = ev.object_key;
	req.request_id = ev.request_id;
	if (inf_output_open(&out, cli->output, &err))
		goto out;
	opened = 1;
	/* a whole object going to a file that appears only on commit needs
	 * no spool: what a failure leaves is removed with the file */
	direct = !range && !part && out.tmp;
	t = direct ? inf_transform_new(ap, &req, inf_output_write, &out, &err)
		   : inf_transform_new(ap, &req, inf_spool_write, &spool, &err);
	if (!t) {
		inf_error_set(&err, INF_FAIL_NOMEM, "out of memory");
		goto out;
	}
	if (strncmp(ev.input_url, "file://", 7)) {
		char why[256];
		if (inf_curl_load(why, sizeof why)) {
			inf_error_set(&err, INF_FAIL_SOURCE, "%s", why);
			goto out;
		}
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			inf_error_set(&err, INF_FAIL_SOURCE, "cannot initialise libcurl");
			goto out;
		}
	}
	if (inf_source_fetch(NULL, ev.input_url, &fo, feed, t, &res, &err) ||
	    inf_transform_finish(t)) {
		inf_error_name_object(&err, *ev.object_key ? ev.object_key : name);
		goto out;
	}
	inf_slice_compute(range, part, direct ? out.written : spool.len, &slice);
	if (slice.code) {
		slice_error(&slice, &err);
		goto out;
	}
	if (!direct && inf_spool_send(&spool, slice.start, slice.len, inf_output_write, &out, &err))
		goto out;
	opened = 0;
	if (inf_output_commit(&out, &err))
		goto out;
	print_success(&res, &slice);
	inf_report_skipped(t, *ev.object_key ? ev.object_key : name);
out:
	if (opened)
		inf_output_abort(&out);
	if (err.kind != INF_FAIL_NONE)
		print_failure(&err, &res, &slice, ap);
	rc = err.kind == INF_FAIL_NONE ? INF_EXIT_OK : inf_fail_exit(&err);
	inf_crash_decided(rc); /* before the plugins' fini */
	inf_source_result_free(&res);
	inf_transform_free(t);
	inf_spool_free(&spool);
	inf_policy_free(pol);
	inf_event_free(&ev);
	if (inf_curl.loaded)
		curl_global_cleanup(); /* harmless when never initialised */
	return rc;
}
