/*
 * Parallel ndjson and arrays: the object is cut into batches of whole
 * lines or whole array elements, each batch runs on one of N workers,
 * and the outputs are written in the input's order. N - 1 workers are
 * threads; the last is the main thread, which reads, cuts batches,
 * writes, and runs a batch itself whenever the threads have two more in
 * hand or it would otherwise wait. An array's comma before its first
 * kept element is settled as the outputs are written.
 * Batches count their own lines and records; a batch that fails is run
 * again from its real line and record number once those are known, so
 * that error messages are those of a sequential run.
 *
 * Memory stays bounded: at most 2N + 1 batches of about 256 KiB (or one
 * record, when larger) are in flight.
 */
#ifndef INF_PARALLEL_H
#define INF_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "frame.h"
#include "stats.h"

/* What one batch held (`held`: its lines and records place the batches
 * after it; for arrays, what became of the separator before its first
 * kept element) and what became of its records (`stats`, record counts
 * only). */
struct inf_batch_counts {
	struct inf_batch_result held;
	struct inf_stats stats;
	struct inf_skip skip; /* numbered from the batch's `at` */
};

/* Runs one batch on `worker`: `len` bytes starting at `at` (line and
 * record numbers counted from there). The batch is the object's last
 * bytes if `final` (see inf_framer_batch). Appends the output to `out`
 * and sets *counts; returns 0 or -1 with err set. */
typedef int (*inf_batch_fn)(void *worker, const char *data, size_t len,
			    const struct inf_batch_at *at, int final,
			    struct inf_buf *out, struct inf_error *err,
			    struct inf_batch_counts *counts);

struct inf_par;

/* Starts n - 1 threads, thread i running batches on workers[i]
 * (borrowed); the caller's thread uses workers[n - 1]. When the system
 * refuses a thread, those it did start and the caller's run every batch
 * (same output, slower). `fmt` is
 * INF_FMT_NDJSON (batches cut at line ends) or INF_FMT_ARRAY (cut by
 * inf_array_cut).
 * Output goes to `sink` in order. `offset` is where the first byte fed
 * lies in the object. Returns NULL when memory is lacking. */
struct inf_par *inf_par_new(enum inf_format fmt, unsigned n, void **workers,
			    inf_batch_fn run, inf_sink_fn sink, void *sink_ctx,
			    size_t max_record, uint64_t offset, struct inf_error *err);
/* Feeds object bytes. Returns 0 or -1 with the error set. */
int inf_par_write(struct inf_par *p, const char *data, size_t len);
/* Lends the buffer of the batch being filled, so that a reader can put
 * bytes there instead of copying them in: returns room for *room bytes
 * (at least 64 KiB), or NULL after an error or when out of memory. The
 * bytes count once handed over with inf_par_commit(p, n), n <= *room,
 * before any other call on p. Returns 0 or -1 with the error set. */
char *inf_par_space(struct inf_par *p, size_t *room);
int inf_par_commit(struct inf_par *p, size_t n);
/* Runs what is left (a last line may lack '\n') and waits for every
 * batch. Returns 0 or -1 with the error set. */
int inf_par_finish(struct inf_par *p);
/* Adds the record counts of the batches written so far to *sum. A
 * failed run counts the batches before the failure and the failed batch
 * up to its failing record (all of it when the sink refused its output),
 * as a sequential run would: never a batch that ran ahead and was
 * discarded, nor a failed batch twice. */
void inf_par_stats(const struct inf_par *p, struct inf_stats *sum);
/* The first record skipped in the batches written, numbered in the
 * object (recno 0: none). */
const struct inf_skip *inf_par_first_skip(const struct inf_par *p);
/* Stops the threads and frees everything; safe after a failure. */
void inf_par_free(struct inf_par *p);

#endif
