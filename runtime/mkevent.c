/* `runtime --make-event`: writes an S3 Object Lambda GET event for an
 * access point and an object URL or local file, as AWS would send it, so
 * local testing needs no hand-written JSON. Account, region and tokens are
 * local stand-ins (region from $AWS_REGION, default us-east-1). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "output.h"
#include "policy.h"
#include "range.h"
#include "redact.h"

#define ACCOUNT "123456789012"

static void quote(struct inf_buf *b, const char *s)
{
	inf_json_quote(b, s, strlen(s));
}

static void request_id(char *out, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRSTVWXZ";
	unsigned char r[16] = { 0 };

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 7, sizeof r);
	for (size_t i = 0; i < 16 && i + 1 < n; i++)
		out[i] = alphabet[r[i] & 31];
	out[n < 17 ? n - 1 : 16] = '\0';
}

/* The key the object is served as: --key, else the URL's path after
 * its host (up to a query), or the file name as given, without leading
 * "./" and "/". */
static const char *default_key(const struct inf_cli *cli)
{
	const char *k;

	if (cli->key)
		return cli->key;
	if (cli->url) {
		k = strstr(cli->url, "://");
		k = k ? strchr(k + 3, '/') : NULL;
		return k ? k + 1 : "";
	}
	k = cli->file;
	while (*k == '/' || (k[0] == '.' && k[1] == '/'))
		k += *k == '/' ? 1 : 2;
	return k;
}

/* `path` as a file:// URL: every byte but unreserved ones and '/' is
 * percent-encoded, so '%', '?', '#' and spaces in a file name survive. */
static void file_url(struct inf_buf *u, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	inf_buf_puts(u, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			inf_buf_putc(u, (char)*p);
		} else {
			inf_buf_putc(u, '%');
			inf_buf_putc(u, hex[*p >> 4]);
			inf_buf_putc(u, hex[*p & 15]);
		}
	}
}

/* RFC 9110's token: what a header's name may hold. */
static int http_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (c && strchr("!#$%&'*+-.^_`|~", c))))
			return 0;
	}
	return 1;
}

/* A name that is no header's, a header given twice (any case), or given
 * beside --range, would not be a request's header, or a duplicate member
 * of userRequest.headers. Only a checked name is ever printed. */
static int check_headers(const struct inf_cli *cli, struct inf_error *err)
{
	for (int i = 0; i < cli->nheaders; i++) {
		const char *h = cli->headers[i], *colon = strchr(h, ':');
		size_t n = colon ? (size_t)(colon - h) : 0;
		/* the value is never printed: it may be a token or a customer key */
		if (colon == h)
			return inf_error_set(err, INF_FAIL_USAGE,
					     "--header wants NAME:VALUE, and the name is empty");
		if (!colon)
			return inf_error_set(err, INF_FAIL_USAGE,
					     "--header wants NAME:VALUE, and its argument has no ':' "
					     "(not shown: it may be a token or a key)");
		if (!http_token(h, n))
			return inf_error_set(err, INF_FAIL_USAGE,
					     "--header: the name before ':' is not an HTTP header name "
					     "(letters, digits and !#$%%&'*+-.^_`|~; not shown: it may "
					     "be a token or a key)");
		if ((n == 4 && !strncasecmp(h, "host", 4)) ||
		    (cli->range && n == 5 && !strncasecmp(h, "range", 5)))
			return inf_error_set(err, INF_FAIL_USAGE,
					     "--header %.*s: the event already has it%s", (int)n, h,
					     n == 5 ? " (from --range)" : "");
		for (int j = 0; j < i; j++)
			if (!strncasecmp(cli->headers[j], h, n) && cli->headers[j][n] == ':')
				return inf_error_set(err, INF_FAIL_USAGE,
						     "--header %.*s given twice", (int)n, h);
	}
	return 0;
}

static int build(const struct inf_cli *cli, struct inf_buf *b, struct inf_error *err)
{
	const char *region = getenv("AWS_REGION"), *key = default_key(cli);
	char host[512], rid[17], arn[600], shown[1024];
	struct inf_buf url = { 0 };
	size_t klen = strlen(key);

	if (!region || !*region)
		region = "us-east-1";
	/* the event's access point is the ARN's last part: a name a policy
	 * cannot hold would be another one, or none */
	if (!inf_ap_name_ok(cli->access_point))
		return inf_error_set(err, INF_FAIL_USAGE, "--access-point '%.300s': not a name an "
				     "access point can have (" INF_AP_NAME_RULE ")",
				     cli->access_point);
	if (strlen(region) > 64 || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
				       strlen(region))
		return inf_error_set(err, INF_FAIL_USAGE, "AWS_REGION='%.70s': not a region name "
				     "(lowercase letters, digits and '-', at most 64)", region);
	/* a key from --url ends at its query; --key and --file are taken whole */
	if ((cli->key || cli->file) && strpbrk(key, "?#")) {
		inf_show_name(key, shown, sizeof shown);
		return inf_error_set(err, INF_FAIL_USAGE,
				     "%s '%s': a key holding '?' or '#' cannot be written in the "
				     "event's decoded userRequest.url%s", cli->key ? "--key" : "--file",
				     shown, cli->key ? "" : " (name the key with --key)");
	}
	if (cli->url && strncasecmp(cli->url, "http://", 7) && strncasecmp(cli->url, "https://", 8) &&
	    strncasecmp(cli->url, "file://", 7)) {
		inf_show_name(cli->url, shown, sizeof shown);
		return inf_error_set(err, INF_FAIL_USAGE, "--url '%s': not an http://, https:// or "
				     "file:// URL (the runtime reads the object from no other)", shown);
	}
	if (!cli->key && cli->url)
		klen = strcspn(key, "?#");
	if (klen == 0)
		return inf_error_set(err, INF_FAIL_USAGE, "%s: the object would have an empty key%s",
				     cli->key ? "--key" : cli->url ? "--url" : "--file",
				     cli->key ? "" : " (name it with --key)");
	/* a Range S3 ignores (another unit, several ranges, A > B, junk:
	 * the whole object, 200) would test nothing given here by mistake;
	 * --header Range: VALUE writes one on purpose. Whether it is one is
	 * what the runtime's own reading of it says over the longest object. */
	if (cli->range) {
		struct inf_slice slice;
		inf_slice_compute(cli->range, NULL, UINT64_MAX, &slice);
		if (slice.status == 200)
			return inf_error_set(err, INF_FAIL_USAGE, "--range '%.100s': wants one "
					     "bytes=A-B (A <= B), bytes=A- or bytes=-N, which S3 "
					     "would not ignore (--header 'Range: VALUE' writes any "
					     "other)", cli->range);
	}
	/* a whole number, as a caller's query would hold it: one past the
	 * object's parts is for the runtime to refuse (416 InvalidPartNumber) */
	if (cli->part && (strspn(cli->part, "0123456789") != strlen(cli->part) ||
			  strlen(cli->part) > 10))
		return inf_error_set(err, INF_FAIL_USAGE, "--part-number '%.30s': wants a whole "
				     "number of at most 10 digits", cli->part);
	if (check_headers(cli, err))
		return -1;
	if (cli->file) {
		char abs[PATH_MAX];
		struct stat st;
		if (!realpath(cli->file, abs) || stat(abs, &st)) {
			inf_show_name(cli->file, shown, sizeof shown);
			return inf_error_set(err, INF_FAIL_USAGE, "--file %s: no such file", shown);
		}
		/* event mode reads no other kind (a FIFO's read no limit bounds) */
		if (!S_ISREG(st.st_mode)) {
			inf_show_name(cli->file, shown, sizeof shown);
			return inf_error_set(err, INF_FAIL_USAGE, "--file %s: not a regular file", shown);
		}
		file_url(&url, abs);
		if (!url.data)
			return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	}
	request_id(rid, sizeof rid);
	snprintf(host, sizeof host, "%s-%s.s3-object-lambda.%s.amazonaws.com",
		 cli->access_point, ACCOUNT, region);
	inf_buf_puts(b, "{\"xAmzRequestId\":");
	quote(b, rid);
	inf_buf_puts(b, ",\"getObjectContext\":{\"inputS3Url\":");
	if (cli->file)
		inf_json_quote(b, url.data, url.len);
	else
		quote(b, cli->url);
	inf_buf_free(&url);
	inf_buf_puts(b, ",\"outputRoute\":\"io-local-001\",\"outputToken\":");
	quote(b, rid);
	snprintf(arn, sizeof arn, "arn:aws:s3-object-lambda:%s:%s:accesspoint/%s",
		 region, ACCOUNT, cli->access_point);
	inf_buf_puts(b, "},\"configuration\":{\"accessPointArn\":");
	quote(b, arn);
	snprintf(arn, sizeof arn, "arn:aws:s3:%s:%s:accesspoint/%s-supporting",
		 region, ACCOUNT, cli->access_point);
	inf_buf_puts(b, ",\"supportingAccessPointArn\":");
	quote(b, arn);
	inf_buf_puts(b, ",\"payload\":");
	quote(b, cli->payload ? cli->payload : "");
	{
		struct inf_buf u = { 0 };
		inf_buf_printf(&u, "https://%s/%.*s%s%s", host, (int)klen, key,
			       cli->part ? "?partNumber=" : "", cli->part ? cli->part : "");
		inf_buf_puts(b, "},\"userRequest\":{\"url\":");
		if (u.data)
			inf_json_quote(b, u.data, u.len);
		inf_buf_free(&u);
	}
	inf_buf_puts(b, ",\"headers\":{\"Host\":");
	quote(b, host);
	if (cli->range) {
		inf_buf_puts(b, ",\"Range\":");
		quote(b, cli->range);
	}
	for (int i = 0; i < cli->nheaders; i++) {
		const char *h = cli->headers[i], *colon = strchr(h, ':');
		const char *v = colon + 1; /* check_headers: there is one */
		struct inf_buf name = { 0 };
		while (*v == ' ')
			v++;
		inf_json_quote(&name, h, (size_t)(colon - h));
		inf_buf_putc(b, ',');
		inf_buf_append(b, name.data, name.len);
		inf_buf_free(&name);
		inf_buf_putc(b, ':');
		quote(b, v);
	}
	inf_buf_puts(b, "}},\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDALOCALUSER\",\"accountId\":\"" ACCOUNT "\"},\"protocolVersion\":\"1.00\"}\n");
	return b->data ? 0 : inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
}

int inf_mode_make_event(const struct inf_cli *cli)
{
	struct inf_error err = { 0 };
	struct inf_buf b = { 0 };
	struct inf_output out;

	if (!cli->access_point || (!cli->url == !cli->file)) {
		inf_error_set(&err, INF_FAIL_USAGE,
			      "--make-event needs --access-point and one of --url or --file");
		return inf_fail_exit(&err);
	}
	if (build(cli, &b, &err) == 0 && inf_output_open(&out, cli->output, &err) == 0) {
		if (inf_output_write(&out, b.data, b.len, &err))
			inf_output_abort(&out);
		else
			inf_output_commit(&out, &err);
	}
	inf_buf_free(&b);
	return err.kind == INF_FAIL_NONE ? INF_EXIT_OK : inf_fail_exit(&err);
}
