/*
 * The one error record passed down a request: what kind of failure (which
 * decides the exit status and the S3 error code) and a one-line message
 * that names the file, line, record or field. Messages never hold secrets.
 */
#ifndef INF_ERROR_H
#define INF_ERROR_H

#include <stddef.h>

enum inf_fail {
	INF_FAIL_NONE = 0,
	INF_FAIL_USAGE,     /* bad command line */
	INF_FAIL_POLICY,    /* policy or plugin failed to load */
	INF_FAIL_DENIED,    /* no policy for the access point, key refused */
	INF_FAIL_EVENT,     /* the S3 Object Lambda event is malformed */
	INF_FAIL_SOURCE,    /* the object could not be read */
	INF_FAIL_INPUT,     /* the object's bytes are not valid records */
	INF_FAIL_TOO_LARGE, /* a record or the nesting is over a limit */
	INF_FAIL_TRANSFORM, /* a plugin failed */
	INF_FAIL_OUTPUT,    /* the result could not be written */
	INF_FAIL_NOMEM      /* out of memory */
};

struct inf_error {
	enum inf_fail kind;
	char msg[640];
};

/* Sets the error unless one is already set (the first cause wins); a
 * control byte in the message is written as \xNN, so it stays one line.
 * Returns -1 so callers can `return inf_error_set(...)`. */
int inf_error_set(struct inf_error *e, enum inf_fail kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Puts "prefix: " (its first 200 bytes) before the message (its first
 * INF_ERR_PREFIXED bytes), kept on one line as inf_error_set does. */
#define INF_ERR_PREFIXED 436
void inf_error_prefix(struct inf_error *e, const char *prefix);

/* Copies `in` to `out` (n bytes, n > 0) with every control byte, and
 * every byte that is not part of a whole UTF-8 character, written as
 * \xNN, so that text from a record, an event, a plugin or a source (a key
 * holding a newline, an escape sequence, a name cut inside a character)
 * prints as one line of valid UTF-8. A character that does not fit is
 * left out whole; 4 * strlen(in) + 1 bytes always suffice. */
void inf_one_line(const char *in, char *out, size_t n);

/* Name of a failure kind, e.g. "input". */
const char *inf_fail_name(enum inf_fail kind);

#endif
