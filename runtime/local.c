/* Event mode: `runtime --event FILE.json [-o OUT]` serves one S3 Object
 * Lambda GET event locally: the object is fetched from inputS3Url (http,
 * https or file), transformed by the access point's chain and written to
 * stdout or OUT; the status and headers that would be sent go to stderr. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "cli.h"
#include "event.h"
#include "forward.h"
#include "output.h"
#include "source.h"

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
	char *buf;
	size_t n;

	if (!fp) {
		inf_error_set(err, INF_FAIL_EVENT, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(EVENT_MAX + 1);
	n = buf ? fread(buf, 1, EVENT_MAX + 1, fp) : 0;
	if (!buf)
		inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	else if (ferror(fp))
		inf_error_set(err, INF_FAIL_EVENT, "%s: read failed", path);
	else if (n > EVENT_MAX)
		inf_error_set(err, INF_FAIL_EVENT, "%s: event larger than %u bytes", path, EVENT_MAX);
	if (fp != stdin)
		fclose(fp);
	if (err->kind != INF_FAIL_NONE) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void print_success(const struct inf_source_result *res)
{
	fprintf(stderr, "status: 200\n");
	for (size_t i = 0; i < res->nheaders; i++)
		if (inf_forwardable(res->headers[i].name))
			fprintf(stderr, "header: %s: %s\n", res->headers[i].name,
				res->headers[i].value);
}

static void print_failure(const struct inf_error *err,
			  const struct inf_source_result *res)
{
	if (err->kind == INF_FAIL_SOURCE && res->status >= 300)
		fprintf(stderr, "status: %ld %s%s%s\n", res->status, res->code,
			res->message[0] ? ": " : "", res->message);
	else
		fprintf(stderr, "status: %d %s\n", inf_fail_status(err->kind),
			inf_fail_code(err->kind));
}

int inf_mode_event(const struct inf_cli *cli)
{
	struct inf_error err = { 0 };
	struct inf_event ev = { 0 };
	struct inf_source_result res = { 0 };
	struct inf_policy *pol = NULL;
	const struct inf_access_point *ap;
	struct inf_transform *t = NULL;
	struct inf_output out;
	struct inf_request req;
	struct inf_fetch_opts fo = { 0 };
	char perr[512];
	size_t len = 0;
	char *json;
	int rc;

	if (!(json = read_event(cli->event, &len, &err)))
		return inf_fail_exit(&err);
	rc = inf_event_parse(json, len, &ev, perr, sizeof perr);
	free(json);
	if (rc) {
		inf_error_set(&err, INF_FAIL_EVENT, "%s: %s", cli->event, perr);
		return inf_fail_exit(&err);
	}
	if (ev.kind != INF_EV_GET) {
		inf_error_set(&err, INF_FAIL_EVENT,
			      "%s: event mode serves GET events (getObjectContext)", cli->event);
		goto out;
	}
	if ((rc = inf_cli_load_policy(cli, &pol))) {
		inf_event_free(&ev);
		return rc;
	}
	ap = inf_policy_find(pol, ev.access_point);
	if (!ap) {
		inf_error_set(&err, INF_FAIL_DENIED,
			      "access point '%s' has no policy: refused", ev.access_point);
		goto out;
	}
	if (!inf_ap_allows_key(ap, ev.object_key)) {
		inf_error_set(&err, INF_FAIL_DENIED,
			      "key '%s' is outside the prefixes of access point '%s'",
			      ev.object_key, ap->name);
		goto out;
	}
	fo.ev = &ev;
	req.access_point = ap->name;
	req.object_key = ev.object_key;
	req.request_id = ev.request_id;
	if (inf_output_open(&out, cli->output, &err))
		goto out;
	t = inf_transform_new(ap, &req, inf_output_write, &out, &err);
	if (!t) {
		inf_error_set(&err, INF_FAIL_NOMEM, "out of memory");
		inf_output_abort(&out);
		goto out;
	}
	if (strncmp(ev.input_url, "file://", 7)) {
		char why[256];
		if (inf_curl_load(why, sizeof why)) {
			inf_error_set(&err, INF_FAIL_SOURCE, "%s", why);
			inf_output_abort(&out);
			goto out;
		}
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			inf_error_set(&err, INF_FAIL_SOURCE, "cannot initialise libcurl");
			inf_output_abort(&out);
			goto out;
		}
	}
	if (inf_source_fetch(NULL, ev.input_url, &fo, feed, t, &res, &err) ||
	    inf_transform_finish(t) || inf_output_commit(&out, &err)) {
		inf_output_abort(&out);
		goto out;
	}
	print_success(&res);
out:
	if (err.kind != INF_FAIL_NONE)
		print_failure(&err, &res);
	inf_source_result_free(&res);
	inf_transform_free(t);
	inf_policy_free(pol);
	inf_event_free(&ev);
	if (inf_curl.loaded)
		curl_global_cleanup(); /* harmless when never initialised */
	return err.kind == INF_FAIL_NONE ? INF_EXIT_OK : inf_fail_exit(&err);
}
