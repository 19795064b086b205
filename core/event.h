/*
 * The S3 Object Lambda event: parsed leniently (only the context, its URL
 * and, for GET, the output route and token are required; unknown members
 * are ignored), with every string unescaped. Facts: shared docs §1. A
 * GET's route and token are refused unless they can be sent as they are
 * (a host label, a header value): they are never cleaned or cut.
 */
#ifndef INF_EVENT_H
#define INF_EVENT_H

#include <stddef.h>

enum inf_event_kind {
	INF_EV_GET = 1,     /* getObjectContext */
	INF_EV_HEAD,        /* headObjectContext */
	INF_EV_LIST,        /* listObjectsContext */
	INF_EV_LIST_V2      /* listObjectsV2Context */
};

struct inf_header {
	char *name;
	char *value;
};

/* Every string is owned by the event and NUL-terminated; absent optional
 * members are "". */
struct inf_event {
	enum inf_event_kind kind;
	char *request_id;       /* xAmzRequestId */
	char *input_url;        /* <context>.inputS3Url (a secret: log redacted) */
	char *output_route;     /* GET only */
	char *output_token;     /* GET only (a secret) */
	char *access_point_arn; /* configuration.accessPointArn */
	char *supporting_arn;   /* configuration.supportingAccessPointArn */
	char *payload;          /* configuration.payload */
	char *user_url;         /* userRequest.url */
	struct inf_header *headers; /* userRequest.headers */
	size_t nheaders;
	char *protocol_version;
	/* derived */
	char *access_point; /* payload's "policy", else the ARN's last name */
	char *object_key;   /* path of userRequest.url, without '/' and query */
};

/* Parses `len` bytes of event JSON. Returns 0, or -1 with a one-line
 * message naming the field in err (errlen bytes). On failure the event is
 * left empty. */
int inf_event_parse(const char *json, size_t len, struct inf_event *ev,
		    char *err, size_t errlen);
void inf_event_free(struct inf_event *ev);

/* Bounds of a GET's output route and token (they become the WGOR host
 * prefix and signed header values). */
#define INF_EVENT_ROUTE_MAX 63   /* one DNS label */
#define INF_EVENT_TOKEN_MAX 8000 /* fits WGOR's 8 KiB header line */
/* userRequest.headers members: S3 takes 8 KiB of request headers, at
 * least 4 bytes a header */
#define INF_EVENT_HEADERS_MAX 2048

/* Whether `route` can be the WriteGetObjectResponse host prefix: 1 to
 * INF_EVENT_ROUTE_MAX letters, digits and '-'. */
int inf_event_route_ok(const char *route);
/* Whether `token` can be sent as the x-amz-request-token header: 1 to
 * INF_EVENT_TOKEN_MAX printable ASCII bytes, no space. */
int inf_event_token_ok(const char *token);

/* Value of a userRequest header, by case-insensitive name, or NULL. */
const char *inf_event_header(const struct inf_event *ev, const char *name);

/* The value of the hex digit `c` (either case), or -1. */
int inf_hex_digit(char c);

/* Value of query parameter `name` (case-insensitive) in `url`, decoded,
 * written to buf; returns buf or NULL when absent (or out of memory). A
 * value holding %00 comes back as "", never cut at the NUL; one longer
 * than buflen - 1 bytes is cut to fit, which a caller that could read a
 * cut value as another valid one must check (lambda.c query_whole). */
const char *inf_url_query(const char *url, const char *name, char *buf,
			  size_t buflen);

#endif
