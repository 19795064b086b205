/*
 * What of the source's answer may reach the caller of a transformed GET:
 * the forwardable response headers (never Content-Length, ETag or
 * checksums, which describe the untransformed bytes) and the S3 error
 * code for each kind of failure.
 */
#ifndef INF_FORWARD_H
#define INF_FORWARD_H

#include "error.h"

/* Whether `name` is an RFC 7230 token (1 or more tchar), the only header
 * names that may be put into a signed request. */
int inf_header_name_ok(const char *name);

/* Whether response header `name` may be forwarded over a changed body:
 * one of the forwardable names or x-amz-meta-*, and a token. */
int inf_forwardable(const char *name);

/* The S3-style error code and HTTP status for a failure kind. */
const char *inf_fail_code(enum inf_fail kind);
int inf_fail_status(enum inf_fail kind);

#endif
