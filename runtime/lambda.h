/*
 * Lambda mode: the runtime as an S3 Object Lambda function (a custom
 * runtime started as `bootstrap`, AWS_LAMBDA_RUNTIME_API set). Policies and
 * plugins load once at start; then next, handle, response or error,
 * forever. Each handler fills an outcome that is logged (JSON on stderr)
 * and published as CloudWatch embedded metrics (stdout).
 */
#ifndef INF_LAMBDA_H
#define INF_LAMBDA_H

#include "curlapi.h"

#include "buf.h"
#include "chain.h"
#include "cli.h"
#include "event.h"
#include "policy.h"
#include "rapi.h"
#include "source.h"
#include "spool.h"

struct inf_lambda {
	struct inf_policy *pol;
	struct inf_rapi rapi;
	CURL *src;  /* the source (inputS3Url), reused */
	CURL *wgor; /* WriteGetObjectResponse, reused */
	struct inf_spool spool;
	struct inf_buf response; /* JSON answer for HEAD and LIST */
};

/* What one invocation did, for the log and the metrics. */
struct inf_outcome {
	const char *op;          /* GetObject, HeadObject, ListObjects, ListObjectsV2 */
	const char *access_point;
	int status;              /* what the caller gets */
	const char *code;        /* S3 error code, or NULL; set it with
				    inf_outcome_code, which keeps a copy */
	char code_copy[64];
	char message[640];       /* why it failed, without secrets */
	int delivered;           /* the caller got the answer (WGOR 200, or a
				    HEAD/LIST response to post) */
	struct inf_stats stats;
	char first_failed[640];  /* the first record skipped under on_error =
				    drop_record ("record N (line L): why"), or "" */
	long long deadline_ms;   /* epoch ms the caller's answer must be in
				    by: the Lambda deadline or the end of S3
				    Object Lambda's 60 s, whichever is first */
	long long abandon_at;    /* epoch ms when work is given up, a margin
				    before deadline_ms */
};

/* How errors that reach the caller name the object read: its key (the
 * caller asked for it), never the supporting access point's URL. */
const char *inf_lambda_source_name(const struct inf_event *ev);

/* Sets o->code to a copy of `code` (NULL for none): the log is written
 * after the handler whose source result held the code has returned. */
void inf_outcome_code(struct inf_outcome *o, const char *code);

/* Runs the loop; returns only when the Runtime API goes away or init
 * failed, with an exit status. */
int inf_mode_lambda(const struct inf_cli *cli);

/* The handlers. Each returns 0 when the answer went out (GET) or is in
 * L->response (HEAD, LIST), -1 when the invocation must end in /error. */
int inf_lambda_get(struct inf_lambda *L, const struct inf_event *ev,
		   struct inf_outcome *o);
int inf_lambda_head(struct inf_lambda *L, const struct inf_event *ev,
		    struct inf_outcome *o);
int inf_lambda_list(struct inf_lambda *L, const struct inf_event *ev,
		    struct inf_outcome *o);

/* The access point an event names, or NULL with the outcome set to 403. */
const struct inf_access_point *inf_lambda_access_point(struct inf_lambda *L,
						       const struct inf_event *ev,
						       struct inf_outcome *o);

/* Range and partNumber as the caller asked (header or query), into the
 * given buffers; NULL when absent. A query value that does not fit its
 * buffer (rlen or plen bytes, its NUL included) is given as "", which is
 * malformed, never cut to a shorter one. */
void inf_lambda_range_request(const struct inf_event *ev, char *range,
			      size_t rlen, char *part, size_t plen,
			      const char **range_out, const char **part_out);

/* Puts a HEAD or LIST error answer {"statusCode", "errorCode",
 * "errorMessage"} in L->response and the outcome. Returns 0. */
int inf_lambda_error_answer(struct inf_lambda *L, struct inf_outcome *o,
			    int status, const char *code, const char *message);
/* The same for a source that did not answer 2xx (shared docs §5), its
 * status mapped as inf_source_caller_status maps it for a GET. */
int inf_lambda_source_error(struct inf_lambda *L, struct inf_outcome *o,
			    const struct inf_source_result *res,
			    const struct inf_error *err);

/* Writes the log line (stderr) and the metrics line (stdout). */
void inf_lambda_report(const struct inf_invocation *inv,
		       const struct inf_event *ev, const struct inf_outcome *o,
		       long long started_ms);

#endif
