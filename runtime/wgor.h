/*
 * WriteGetObjectResponse: the only way a GET's answer reaches the caller
 * of an Object Lambda Access Point. POSTs to
 * https://{route}.s3-object-lambda.{region}.amazonaws.com/WriteGetObjectResponse
 * (s3-object-lambda-fips when $AWS_USE_FIPS_ENDPOINT is true; or
 * $INFLIGHT_WGOR_ENDPOINT for local tests), signed with SigV4 for the
 * service "s3-object-lambda" by runtime/sigv4.c (not libcurl 7.88, which
 * orders two header names where one is a prefix of the other wrongly:
 * shared docs §7), UNSIGNED-PAYLOAD, the session token header, the route
 * and token headers and every header added here, a declared
 * Content-Length and the body streamed from a spool.
 */
#ifndef INF_WGOR_H
#define INF_WGOR_H

#include "curlapi.h"
#include <stdint.h>

#include "error.h"
#include "event.h"
#include "source.h"
#include "spool.h"

/* Room for every header a source answer is kept with, and the three a GET
 * adds (Content-Range, accept-ranges, the parts count): an object with
 * many x-amz-meta-* headers must not fail for want of room. */
#define INF_WGOR_MAX_HEADERS (INF_SOURCE_MAX_HEADERS + 3)

struct inf_wgor {
	const char *route;
	const char *token;
	int status;                /* x-amz-fwd-status */
	const char *error_code;    /* x-amz-fwd-error-code, or NULL */
	const char *error_message; /* x-amz-fwd-error-message, or NULL */
	/* headers for the caller: full names as sent to WGOR
	 * ("x-amz-fwd-header-Content-Type", "x-amz-meta-store") */
	struct inf_header headers[INF_WGOR_MAX_HEADERS];
	size_t nheaders;
	struct inf_spool *body; /* NULL for no body */
	uint64_t off, len;      /* the slice of the body to send */
};

/* Adds a header to send (copied), its value as inf_sigv4_clean leaves it;
 * a value that cannot be signed (empty, control characters, non-ASCII,
 * over 2047 bytes) is skipped. A name already added (in any case) gets
 * the value appended after a ",", as HTTP folds repeats, so each name is
 * sent and signed once. Returns 0, or -1 when full or out of memory. */
int inf_wgor_add_header(struct inf_wgor *w, const char *name, const char *value);
void inf_wgor_clear(struct inf_wgor *w);

/* Sends it, retrying 5xx and transport failures while `deadline_ms`
 * (epoch ms, 0 = none) allows. `curl` is a reusable handle. Returns 0 on
 * 200, or -1 with err set (the body is never completed on a failure;
 * nothing at all is sent for a route or token inf_event_route_ok or
 * inf_event_token_ok refuses, nor without credentials or with a header
 * inf_sigv4_sign refuses: the message names it, never its value). */
int inf_wgor_send(CURL *curl, struct inf_wgor *w, long long deadline_ms,
		  struct inf_error *err);

#endif
