/*
 * S3 sink: one PutObject per event, path-style (endpoint/bucket/key),
 * signed with SigV4 by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3").
 * One easy handle serves every PUT, so the connection is kept alive.
 *
 * libcurl 7.88 workarounds (protocol reference §7):
 *  - it neither sends nor signs x-amz-content-sha256: we add it with the
 *    hex SHA-256 of the body (curl then signs it and uses its value);
 *  - it has no session token support: x-amz-security-token is added as an
 *    ordinary (signed) header;
 *  - it signs the path raw: bucket and key are pre-encoded the AWS way
 *    (everything but A-Z a-z 0-9 - . _ ~ and the key's '/' as %XX);
 *  - X-Amz-Date is left to curl (setting it would send it twice).
 * The body goes as CUSTOMREQUEST "PUT" + POSTFIELDS: no read callback, no
 * Expect: 100-continue. An answer S3 means as "try again" (500, 502,
 * 503 SlowDown, 504) or a connection that broke is retried, as the AWS
 * SDKs do: PUT_ATTEMPTS in all, 100 ms then 200 ms apart, each signed
 * anew. Other non-2xx answers, and the last attempt's, are errors that
 * name the HTTP status and the S3 <Code> of the XML body. The secret key and the token
 * are never printed and are wiped before their memory is freed.
 * See sink.h.
 */
#include "sink.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "redact.h"

struct sink_s3 {
	struct prod_sink base;  /* first, so the sink pointer casts back */
	CURL *curl;
	int global_init;
	char *sigv4;            /* "aws:amz:REGION:s3" */
	char *token_hdr;        /* "x-amz-security-token: ..." or NULL */
	struct inf_buf prefix;  /* endpoint/encoded-bucket/ */
	struct inf_buf url;     /* prefix + encoded key, NUL-terminated */
	struct inf_buf resp;    /* body of the last answer */
};

/* Appends `s` encoded the way AWS canonicalises a path; '/' is kept when
 * `keep_slash`. */
static int aws_encode(struct inf_buf *b, const char *s, int keep_slash)
{
	static const char hexu[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~' || (c == '/' && keep_slash)) {
			if (inf_buf_putc(b, (char)c))
				return -1;
		} else {
			char esc[3] = { '%', hexu[c >> 4], hexu[c & 15] };

			if (inf_buf_append(b, esc, 3))
				return -1;
		}
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
	struct inf_buf *resp = userdata;

	/* Only the start of an error body is needed to find its <Code>. */
	if (resp->len < 16384 && inf_buf_append(resp, p, size * n))
		return 0;
	return size * n;
}

/* Copies the S3 error <Code> of `resp` into `code` ("" when none). */
static void s3_code(const struct inf_buf *resp, char *code, size_t n)
{
	const char *start, *end;
	size_t len;

	code[0] = '\0';
	if (!resp->len)
		return;
	start = memmem(resp->data, resp->len, "<Code>", 6);
	if (!start)
		return;
	start += 6;
	end = memmem(start, resp->len - (size_t)(start - resp->data), "</Code>", 7);
	if (!end || end - start >= (ptrdiff_t)n)
		return;
	len = (size_t)(end - start);
	for (size_t i = 0; i < len; i++) {
		char c = start[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.'))
			return;
	}
	memcpy(code, start, len);
	code[len] = '\0';
}

static void sha256_hex(const char *body, size_t len, char out[65])
{
	static const char hexl[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(body, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hexl[md[i] >> 4];
		out[2 * i + 1] = hexl[md[i] & 15];
	}
	out[64] = '\0';
}

/* Appends a copy of `h` to *list. Returns 0 or -1 (no memory; *list is
 * unchanged and still owned by the caller). */
static int add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *n = curl_slist_append(*list, h);

	if (!n)
		return -1;
	*list = n;
	return 0;
}

#define PUT_ATTEMPTS 3

/* Whether a PUT that ended so may succeed when sent again. A timeout is
 * not: three of them would hold the run for minutes. */
static int transient(CURLcode cc, long status)
{
	if (cc != CURLE_OK)
		return cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
		       cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING;
	return status == 500 || status == 502 || status == 503 || status == 504;
}

static int s3_put(struct prod_sink *base, const char *key, const char *body,
		  size_t len, struct prod_err *err)
{
	struct sink_s3 *s = (struct sink_s3 *)base;
	struct curl_slist *hdrs = NULL;
	char hash_hdr[sizeof "x-amz-content-sha256: " + 64];
	char code[64], shown[1024], tries[40] = "";
	long status = 0;
	CURLcode cc;
	int rc = -1, attempt = 1;

	inf_buf_reset(&s->url);
	inf_buf_reset(&s->resp);
	if (inf_buf_append(&s->url, s->prefix.data, s->prefix.len) ||
	    aws_encode(&s->url, key, 1) || inf_buf_putc(&s->url, '\0')) {
		prod_err_set(err, "out of memory (%s)", key);
		goto out;
	}
	memcpy(hash_hdr, "x-amz-content-sha256: ", 22);
	sha256_hex(body, len, hash_hdr + 22);
	if (add_header(&hdrs, "Content-Type: application/json") ||
	    add_header(&hdrs, hash_hdr) ||
	    (s->token_hdr && add_header(&hdrs, s->token_hdr))) {
		prod_err_set(err, "out of memory (%s)", key);
		goto out;
	}
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url.data);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	for (;;) {
		inf_buf_reset(&s->resp);
		status = 0;
		cc = curl_easy_perform(s->curl);
		if (cc == CURLE_OK)
			curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
		if (attempt == PUT_ATTEMPTS || !transient(cc, status))
			break;
		long ms = 100L << (attempt - 1);

		nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
		attempt++;
	}
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, NULL);
	inf_show_name(s->url.data, shown, sizeof shown); /* no user:password@ */
	if (attempt > 1)
		snprintf(tries, sizeof tries, ", the last of %d attempts", attempt);
	if (cc != CURLE_OK) {
		prod_err_set(err, "PUT failed: %s%s (%s)", curl_easy_strerror(cc), tries, shown);
		goto out;
	}
	if (status < 200 || status > 299) {
		s3_code(&s->resp, code, sizeof code);
		prod_err_set(err, "PUT failed with HTTP %ld%s%s%s (%s)", status,
			     code[0] ? " " : "", code, tries, shown);
		goto out;
	}
	base->bytes += len;
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	return rc;
}

static int s3_finish(struct prod_sink *base, struct prod_err *err)
{
	(void)base;
	(void)err;
	return 0;
}

static void free_secret(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

static void s3_destroy(struct prod_sink *base)
{
	struct sink_s3 *s = (struct sink_s3 *)base;

	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->global_init)
		curl_global_cleanup();
	free(s->sigv4);
	free_secret(s->token_hdr);
	inf_buf_free(&s->prefix);
	inf_buf_free(&s->url);
	inf_buf_free(&s->resp);
	free(s);
}

static const struct prod_sink_ops s3_ops = {
	.put = s3_put,
	.finish = s3_finish,
	.destroy = s3_destroy,
};

/* Applies the options that stay the same for every PUT. */
static int s3_setup(struct sink_s3 *s, const struct prod_s3_conf *conf)
{
	CURL *c = s->curl;
	CURLcode cc = CURLE_OK;

	cc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	cc |= curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
	cc |= curl_easy_setopt(c, CURLOPT_USERNAME, conf->key_id);
	cc |= curl_easy_setopt(c, CURLOPT_PASSWORD, conf->secret);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, &s->resp);
	cc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	cc |= curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	return cc == CURLE_OK ? 0 : -1;
}

/* Hands the bytes of `b` to the caller (free() them) and empties `b`. */
static char *take(struct inf_buf *b)
{
	char *p = b->data;

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int prod_sink_s3_open(struct prod_sink **out, const struct prod_s3_conf *conf,
		      struct prod_err *err)
{
	struct sink_s3 *s;
	struct inf_buf tmp = { 0 };
	size_t elen = strlen(conf->endpoint);
	int rc = -1;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		prod_err_set(err, "out of memory (--endpoint)");
		goto out;
	}
	s->base.ops = &s3_ops;
	s->base.per_object = 1;
	while (elen && conf->endpoint[elen - 1] == '/')
		elen--;
	if (inf_buf_append(&s->prefix, conf->endpoint, elen) ||
	    inf_buf_putc(&s->prefix, '/') || aws_encode(&s->prefix, conf->bucket, 0) ||
	    inf_buf_putc(&s->prefix, '/') ||
	    inf_buf_printf(&tmp, "aws:amz:%s:s3", conf->region) ||
	    inf_buf_putc(&tmp, '\0')) {
		prod_err_set(err, "out of memory (--endpoint)");
		goto out;
	}
	s->sigv4 = take(&tmp);
	if (conf->token && conf->token[0]) {
		if (inf_buf_printf(&tmp, "x-amz-security-token: %s", conf->token)) {
			prod_err_set(err, "out of memory (AWS_SESSION_TOKEN)");
			goto out;
		}
		s->token_hdr = take(&tmp);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		prod_err_set(err, "cannot initialise libcurl (--endpoint)");
		goto out;
	}
	s->global_init = 1;
	s->curl = curl_easy_init();
	if (!s->curl || s3_setup(s, conf)) {
		prod_err_set(err, "cannot set up libcurl (--endpoint)");
		goto out;
	}
	*out = &s->base;
	s = NULL;
	rc = 0;
out:
	inf_buf_free(&tmp);
	if (s)
		s3_destroy(&s->base);
	return rc;
}
