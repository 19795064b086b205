/*
 * Reading an object: a file:// URL or a local path is read from disk (a
 * file:// URL as RFC 8089 says: an empty host or localhost, an absolute
 * path, percent-decoded; its query and fragment are no part of the path
 * and never printed); an http(s) URL (a presigned inputS3Url) is
 * streamed with libcurl, the URL sent byte for byte (dot segments too),
 * replaying the caller's headers that the URL signed (X-Amz-SignedHeaders)
 * and the If-* headers, each once, but never Range, partNumber or
 * Authorization.
 * Body bytes go to `data` as they arrive; an answer other than 200 never
 * reaches it (a 206 or 204 is not the whole object): its status and S3
 * error code and message are returned instead.
 */
#ifndef INF_SOURCE_H
#define INF_SOURCE_H

#include "curlapi.h"
#include <stddef.h>

#include "error.h"
#include "event.h"
#include "sigv4.h"

typedef int (*inf_data_fn)(void *ctx, const char *data, size_t len,
			   struct inf_error *err);

/* More response headers than this fail the read (S3 sends about 20 and
 * at most 2 KB of user metadata): none is ever dropped unseen. */
#define INF_SOURCE_MAX_HEADERS 1024

struct inf_source_result {
	long status;          /* HTTP status; 200 for files */
	char code[64];        /* S3 error <Code>, or derived from the status */
	char message[256];    /* S3 error <Message>, left out when it may
				 quote a credential (inf_may_quote_secret) */
	struct inf_header *headers; /* response headers, in order */
	size_t nheaders, headers_cap;
	char etag[128];       /* the ETag header's value; "" when there is
				 none or it is longer */
	int netags;           /* how many ETag headers came */
	int timed_out;        /* the deadline or time limit cut the transfer */
	int transport_failed; /* no HTTP answer (DNS, connect, TLS, reset) */
};

/* How to read a URL. */
struct inf_fetch_opts {
	const struct inf_event *ev; /* the caller's headers, or NULL */
	long long deadline_ms;      /* epoch ms to give up at; 0: after
				       INFLIGHT_SOURCE_TIMEOUT seconds
				       (default 900, Lambda's longest run) */
	int head;                   /* HEAD instead of GET (no body) */
	int sign_s3;                /* drop the URL's query (but its
				       versionId) and sign with the
				       function's own credentials (SigV4,
				       service s3, signed by runtime/sigv4)
				       instead; the caller's headers are
				       then not replayed */
	const struct inf_sigv4_header *sign_headers; /* with sign_s3: more */
	size_t nsign_headers;       /* headers to send and sign, values as
				       inf_sigv4_clean leaves them */
	const char *name;           /* how errors name the source, or NULL
				       for the URL (redacted): the Lambda
				       caller gets the object's key, not the
				       supporting access point's host */
};

/* Reads `url`. `curl` is a reusable handle (NULL: one is made for this
 * call). Returns 0 when the whole body was delivered with status 200;
 * -1 with `err` set otherwise (INF_FAIL_SOURCE for transport and status
 * failures, INF_FAIL_USAGE for a bad INFLIGHT_SOURCE_TIMEOUT, or the error
 * `data` set). `res` is filled in both cases (its `timed_out` tells a
 * deadline or the time limit apart); it starts zeroed or freed, and is
 * freed with inf_source_result_free. */
int inf_source_fetch(CURL *curl, const char *url,
		     const struct inf_fetch_opts *o, inf_data_fn data,
		     void *ctx, struct inf_source_result *res,
		     struct inf_error *err);
void inf_source_result_free(struct inf_source_result *res);

/* Seconds a fetch without a deadline may take: INFLIGHT_SOURCE_TIMEOUT
 * (a whole number, 1 .. 86400; unset or empty: 900). Returns them, or -1
 * with err set (INF_FAIL_USAGE) when the variable is bad. */
long inf_source_timeout(struct inf_error *err);

/* The status the caller gets when inf_source_fetch failed with `res`, and
 * the S3 error code to send (NULL: none, a 304): 503 DeadlineExceeded or
 * SourceUnavailable when there was no usable answer, 304 as it is, else
 * the source's status and code (a status S3 Object Lambda cannot forward
 * becomes 400 when it is a 4xx, else 500: a 301, a 502). */
int inf_source_caller_status(const struct inf_source_result *res, const char **code);

/* Reads a local file ("-": stdin) in chunks into `data`. Returns 0, or
 * -1 with `err` set (INF_FAIL_SOURCE, or what `data` set). */
int inf_source_file(const char *path, inf_data_fn data, void *ctx,
		    struct inf_error *err);

/* A consumer that lends its own memory for reads: `space` returns room
 * for *room bytes (NULL with err set on failure), `commit` takes the n
 * bytes read there (0, or -1 with err set). */
struct inf_lender {
	char *(*space)(void *ctx, size_t *room, struct inf_error *err);
	int (*commit)(void *ctx, size_t n, struct inf_error *err);
};

/* As inf_source_file, reading straight into the memory `l` lends. */
int inf_source_file_lend(const char *path, const struct inf_lender *l,
			 void *ctx, struct inf_error *err);

/* Milliseconds since the epoch (the clock Lambda deadlines use). */
long long inf_clock_ms(void);

#endif
