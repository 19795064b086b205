/*
 * SigV4 for a request without a body (GET, HEAD) or whose body is sent
 * unsigned (UNSIGNED-PAYLOAD: WriteGetObjectResponse's streamed POST),
 * signed here rather than by libcurl 7.88's CURLOPT_AWS_SIGV4: that one
 * sorts two header names where one is a prefix of the other the wrong
 * way (shared docs §7), and a read of an object under a customer key
 * (SSE-C) must send and sign both x-amz-server-side-encryption-customer-key
 * and its -MD5, as WGOR must x-amz-server-side-encryption and its
 * -aws-kms-key-id.
 * SHA-256 and HMAC come from libcrypto.so.3, loaded when first needed
 * (libcurl, OpenSSL flavour, has it loaded already; the package ships it
 * beside libcurl).
 */
#ifndef INF_SIGV4_H
#define INF_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "error.h"

/* The payload hash of a body that is sent but not signed. */
#define INF_SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"

struct inf_sigv4_header {
	const char *name;  /* an HTTP token; no two the same in any case */
	const char *value; /* as inf_sigv4_clean leaves it */
};

struct inf_sigv4 {
	const char *method;  /* "GET", "HEAD", "POST"... */
	const char *url;     /* http(s)://host[:port]/path[?query], sent as it
				is: the path and the query's names and values
				are signed as written (S3 writes them
				canonically); the query is sorted for signing */
	const char *region;  /* e.g. "eu-west-1" */
	const char *service; /* e.g. "s3" */
	const char *key_id;  /* the key pair */
	const char *secret;
	const char *token;   /* the session token; NULL or "": none */
	time_t when;         /* the signing time */
	const char *payload; /* x-amz-content-sha256, also the canonical
				request's payload hash: NULL for an empty
				body's SHA-256, or INF_SIGV4_UNSIGNED for a
				body sent but not hashed (streamed) */
	const struct inf_sigv4_header *headers; /* more headers to send and */
	size_t nheaders;                        /* sign */
};

/* Writes into `out` (`n` bytes) `v` as a header value that can be sent
 * and signed as it is: leading and trailing spaces and tabs dropped, each
 * run of them inside made one space (SigV4's canonical form, and the same
 * value to HTTP). Returns 0, or -1 when `v` is empty, holds a byte that
 * is not printable ASCII (a control byte, CR, LF, UTF-8) or does not fit. */
int inf_sigv4_clean(const char *v, char *out, size_t n);

/* Writes text (an error message) into `out` (`n` bytes) as a header
 * value inf_sigv4_clean leaves as it is: spaces and tabs as
 * inf_sigv4_clean makes them, any other byte outside 0x21-0x7e as \xNN
 * (a key's UTF-8 too), and, when that does not fit, cut before an
 * escape or character that would not, with "..." in n bytes. Returns 0,
 * or -1 when nothing is left (empty text, n under 8). */
int inf_sigv4_escape(const char *text, char *out, size_t n);

/* Signs the request `s` describes (an empty body, or one sent unsigned as
 * s->payload says; the body itself is the caller's to send, with its
 * Content-Length or chunked). Calls `add` once for each
 * header line to send ("Name: value", NUL-terminated, the caller copies
 * it): Host, x-amz-date, x-amz-content-sha256, x-amz-security-token when
 * there is a token, s->headers, Authorization. Returns 0, or -1 with
 * `err` set (INF_FAIL_SOURCE: libcrypto missing, a bad URL, header or
 * value; INF_FAIL_NOMEM), or what `add` returned when it failed (it sets
 * `err`). */
int inf_sigv4_sign(const struct inf_sigv4 *s,
		   int (*add)(void *ctx, const char *line, struct inf_error *err),
		   void *ctx, struct inf_error *err);

#endif
