/*
 * Where the producer's objects go. A sink is opened by one of the
 * constructors below, receives objects through `put`, is completed by
 * `finish` and released by `destroy`.
 *
 * Ownership: the caller owns every pointer it passes to `put`; a sink
 * copies what it keeps. `destroy` accepts a sink that failed or was never
 * finished and frees everything it holds. All functions returning int give
 * 0 or -1 with a message in `err`.
 */
#ifndef PROD_SINK_H
#define PROD_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "producer.h"

struct prod_sink;

struct prod_sink_ops {
	/* Stores one object `key` with `len` bytes of `body`. */
	int (*put)(struct prod_sink *s, const char *key, const char *body,
		   size_t len, struct prod_err *err);
	/* Flushes and closes whatever `put` left open. */
	int (*finish)(struct prod_sink *s, struct prod_err *err);
	/* Frees the sink; NULL-safe through prod_sink_destroy. */
	void (*destroy)(struct prod_sink *s);
};

struct prod_sink {
	const struct prod_sink_ops *ops;
	int per_object;   /* 1: one object per event (keys used); 0: NDJSON */
	uint64_t bytes;   /* body bytes accepted so far */
};

/* Files under `dir`, at dir/<key>; directories are created as needed and
 * every file is written to a temporary name, then renamed. */
int prod_sink_dir_open(struct prod_sink **out, const char *dir,
		       struct prod_err *err);

/* Everything as one NDJSON stream (a newline after every event) written
 * to `path`, or to standard output when `path` is "-". The key is ignored. */
int prod_sink_ndjson_open(struct prod_sink **out, const char *path,
			  struct prod_err *err);

struct prod_s3_conf {
	const char *endpoint;   /* "http://host:port", no trailing path */
	const char *bucket;
	const char *region;
	const char *key_id;     /* never printed */
	const char *secret;     /* never printed */
	const char *token;      /* NULL or the session token; never printed */
};

/* S3 PutObject, path-style, at endpoint/bucket/<key>, signed with SigV4
 * by libcurl. The strings of `conf` are copied. */
int prod_sink_s3_open(struct prod_sink **out, const struct prod_s3_conf *conf,
		      struct prod_err *err);

static inline void prod_sink_destroy(struct prod_sink *s)
{
	if (s)
		s->ops->destroy(s);
}

#endif
