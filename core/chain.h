/*
 * Running an access point's chain over an object: the framer splits the
 * stream into records, each record goes through every step in order, and
 * what survives is written in the input's framing to a sink.
 *
 * Fail closed: a record that does not parse or a step that fails never
 * reaches the output. With on_error = "fail" the whole object fails (the
 * caller must discard or abort what was already written); with
 * "drop_record" the record is skipped and counted.
 */
#ifndef INF_CHAIN_H
#define INF_CHAIN_H

#include <stdint.h>

#include "error.h"
#include "frame.h"
#include "policy.h"
#include "record.h"
#include "stats.h"

struct inf_transform;

/* Starts transforming one object for `ap`. `req` (borrowed, may be NULL)
 * tells plugins which request this is. Output goes to `sink`. Errors are
 * reported in `err` (borrowed). Returns NULL when out of memory. */
struct inf_transform *inf_transform_new(const struct inf_access_point *ap,
					const struct inf_request *req,
					inf_sink_fn sink, void *sink_ctx,
					struct inf_error *err);
/* Feeds object bytes. Returns 0, or -1 with the error set. */
int inf_transform_write(struct inf_transform *t, const char *data, size_t len);
/* Lends memory for the next input bytes, so that a reader can put them
 * where the transform keeps them (no copy once the framing is known, on
 * one thread or several): returns room for *room bytes, or NULL with the
 * error set. Hand the bytes over with inf_transform_commit(t, n),
 * n <= *room, before any other call on t; it returns as
 * inf_transform_write does. */
char *inf_transform_space(struct inf_transform *t, size_t *room);
int inf_transform_commit(struct inf_transform *t, size_t n);
/* Ends the object. Returns 0, or -1 with the error set. */
int inf_transform_finish(struct inf_transform *t);
/* What the transform has counted so far: its bytes, and its workers' or
 * its runner's records. */
struct inf_stats inf_transform_stats(const struct inf_transform *t);
/* The first record skipped under on_error = drop_record, as "record N
 * (line L): what was wrong" in out[n], in the words (one line, at most
 * an inf_error's) on_error = fail fails the object with: 1, or 0 when
 * none was skipped. */
int inf_transform_first_skip(const struct inf_transform *t, char *out, size_t n);
/* The framing in use (the detected one under "auto"). */
enum inf_format inf_transform_format(const struct inf_transform *t);
void inf_transform_free(struct inf_transform *t);

#endif
