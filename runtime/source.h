/*
 * Reading an object: a file:// URL or a local path is read from disk; an
 * http(s) URL (a presigned inputS3Url) is streamed with libcurl, the URL
 * sent byte for byte, replaying the caller's headers that the URL signed
 * (X-Amz-SignedHeaders) and the If-* headers. Body bytes go to `data` as
 * they arrive; an answer that is not 2xx never reaches it: its status and
 * S3 error code and message are returned instead.
 */
#ifndef INF_SOURCE_H
#define INF_SOURCE_H

#include <curl/curl.h>
#include <stddef.h>

#include "error.h"
#include "event.h"

typedef int (*inf_data_fn)(void *ctx, const char *data, size_t len,
			   struct inf_error *err);

#define INF_SOURCE_MAX_HEADERS 64

struct inf_source_result {
	long status;          /* HTTP status; 200 for files */
	char code[64];        /* S3 error <Code>, or derived from the status */
	char message[256];    /* S3 error <Message> */
	struct inf_header headers[INF_SOURCE_MAX_HEADERS]; /* response headers */
	size_t nheaders;
};

/* Reads `url`. `ev` (may be NULL) supplies the caller's headers. `curl`
 * is a reusable handle (NULL: one is made for this call). Returns 0 when
 * the whole body was delivered with a 2xx status; -1 with `err` set
 * otherwise (INF_FAIL_SOURCE for transport and status failures, or the
 * error `data` set). `res` is filled in both cases; free it with
 * inf_source_result_free. */
int inf_source_fetch(CURL *curl, const char *url, const struct inf_event *ev,
		     inf_data_fn data, void *ctx, struct inf_source_result *res,
		     struct inf_error *err);
void inf_source_result_free(struct inf_source_result *res);

/* Reads a local file in chunks into `data`. */
int inf_source_file(const char *path, inf_data_fn data, void *ctx,
		    struct inf_error *err);

/* Value of response header `name` (case-insensitive), or NULL. */
const char *inf_source_header(const struct inf_source_result *res,
			      const char *name);

#endif
