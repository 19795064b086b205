/*
 * Lambda Runtime API client (shared docs §6): fetch the next invocation,
 * post its response or error, report an init error. One libcurl handle,
 * reused (keep-alive). /next has no read timeout: the process is frozen
 * between events.
 */
#ifndef INF_RAPI_H
#define INF_RAPI_H

#include "curlapi.h"

#include "buf.h"
#include "error.h"

struct inf_invocation {
	char request_id[128];    /* Lambda-Runtime-Aws-Request-Id */
	char invocation_id[128]; /* Lambda-Runtime-Invocation-Id, optional */
	char trace_id[512];      /* Lambda-Runtime-Trace-Id, optional */
	char function_arn[256];  /* Lambda-Runtime-Invoked-Function-Arn */
	long long deadline_ms;   /* Lambda-Runtime-Deadline-Ms, 0 if absent */
	struct inf_buf event;    /* the body */
};

struct inf_rapi {
	CURL *curl;
	char base[300]; /* http://$AWS_LAMBDA_RUNTIME_API/2018-06-01 */
	long long deadline_ms; /* of the invocation /next gave last, 0 if none:
				  what every answer to it must beat */
	struct inf_buf id, invocation_id; /* its ids whole, even when too long
					     for struct inf_invocation */
};

/* Time kept for a post at least, even past the deadline (a post that
 * timed out would end the process). */
#define INF_RAPI_POST_MIN_MS 100

/* Whether a request id can be put into a Runtime API path as it is:
 * letters, digits, '-', '_' and '.', not empty, "." or "..". */
int inf_rapi_id_ok(const char *id);

/* Prepares a client for `api` ("host:port", "[v6]:port"). Returns 0,
 * -1 when api is no such thing, or -2 when libcurl has no handle. */
int inf_rapi_init(struct inf_rapi *r, const char *api);
void inf_rapi_free(struct inf_rapi *r);

/* Blocks for the next invocation. A Runtime API that cannot be reached is
 * tried again with backoff for up to $INFLIGHT_RAPI_RETRY_MS (default
 * 10000) ms; posts retry likewise. An answer that began (a status line)
 * and broke off before its request id is not retried: another /next
 * could leave that invocation open until its deadline. An invocation that cannot be served
 * (its event cut off or over 6 MiB + 1 KiB, a request or invocation id
 * too long to keep) is answered /error here, with its ids whole, and the
 * next one fetched: once its id is known, an invocation is never left
 * unanswered. Returns 0, or -1 with err set when the Runtime API stays
 * unreachable, refuses, or gives an id that cannot be answered (the
 * process should exit). */
int inf_rapi_next(struct inf_rapi *r, struct inf_invocation *inv,
		  struct inf_error *err);

/* Posts the invocation's response. Returns the HTTP status (202 on
 * success), or -1 when the Runtime API cannot be reached. A post (retries
 * included) ends by the invocation's deadline, given at least
 * INF_RAPI_POST_MIN_MS; 30 s without a deadline. */
long inf_rapi_response(struct inf_rapi *r, const struct inf_invocation *inv,
		       const char *body, size_t len);

/* Posts an invocation error {errorMessage, errorType}. Returns the HTTP
 * status or -1. */
long inf_rapi_error(struct inf_rapi *r, const struct inf_invocation *inv,
		    const char *type, const char *message);

/* Posts an init error; the caller exits afterwards. */
long inf_rapi_init_error(struct inf_rapi *r, const char *type,
			 const char *message);

#endif
