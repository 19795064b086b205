/*
 * Record framing: splits an object that arrives in chunks into records and
 * writes the output in the input's framing.
 *
 *  - ndjson: one record per line; LF or CRLF; blank lines are copied; the
 *    last line may lack a newline. A dropped record takes its line ending.
 *  - array: a top-level JSON array whose elements are the records; the
 *    separators of kept records are copied, so commas stay right.
 *  - document: the whole object is one record.
 *  - auto: '[' first means array; otherwise ndjson when the first line is a
 *    complete JSON value, else document.
 * A UTF-8 byte-order mark at the very start is skipped and not copied.
 * Memory is bounded by the largest record (plus one read chunk), never by
 * the object, for ndjson and arrays.
 */
#ifndef INF_FRAME_H
#define INF_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

enum inf_format { INF_FMT_AUTO = 0, INF_FMT_NDJSON, INF_FMT_ARRAY, INF_FMT_DOCUMENT };

/* Parses "auto", "ndjson", "array", "document"; -1 if unknown. */
int inf_format_parse(const char *s);
const char *inf_format_name(enum inf_format f);

struct inf_framer;

/* Where a record is in the object: recno 1-based, offset the byte where
 * it starts (0-based), at that byte's index in f's input; its line
 * through inf_rec_line, counted only when asked (for messages). */
struct inf_rec_pos {
	uint64_t recno;
	uint64_t offset;
	struct inf_framer *f; /* the record's framer, and where it starts */
	size_t at;
};

/* The line the record at pos starts on; only while the record function
 * given pos runs. */
uint64_t inf_rec_line(const struct inf_rec_pos *pos);

/* Transforms one record: appends its output to `out` and returns 1, or
 * returns 0 to drop it (what it appended is discarded), or -1 with `err`
 * set. */
typedef int (*inf_record_fn)(void *ctx, const char *rec, size_t len,
			     const struct inf_rec_pos *pos, struct inf_buf *out,
			     struct inf_error *err);

/* Output is written in pieces of at least this much (the last may be
 * less): an object whose output is smaller is written only when it has
 * all gone through, so a failure leaves none of it. */
#define INF_FLUSH_AT (256u * 1024u)

/* Receives output bytes; returns 0, or -1 with `err` set. */
typedef int (*inf_sink_fn)(void *ctx, const char *data, size_t len,
			   struct inf_error *err);

/* Creates a framer. `max_record` bounds one record's bytes. Returns NULL
 * when out of memory. */
struct inf_framer *inf_framer_new(enum inf_format fmt, size_t max_record,
				  inf_record_fn rec, void *rec_ctx,
				  inf_sink_fn sink, void *sink_ctx,
				  struct inf_error *err);
/* A fast path for NDJSON lines: runs whole lines from the start of
 * [data, data + len), each one exactly as the framer would (a record as
 * rec would run it and keep it: its output, then its line ending; a line
 * of whitespace within max_record copied as it is), appended to `out`,
 * and stops before the first line it cannot run so; returns the bytes of
 * the lines it ran (0: none), *lines their count and *records how many
 * of them were records (rec's, counted as such), and in *ahead how far
 * it read (at least what it ran). The framer runs the lines after those
 * up to *ahead itself, then asks again: what the path read and did not
 * run is not read by it again. */
typedef size_t (*inf_lines_fn)(void *ctx, const char *data, size_t len,
			       struct inf_buf *out, uint64_t *records, uint64_t *lines,
			       size_t *ahead);
void inf_framer_set_lines(struct inf_framer *f, inf_lines_fn fn, void *ctx);
/* Feeds bytes; returns 0 or -1 with the error set. After an error every
 * call fails again. */
int inf_framer_write(struct inf_framer *f, const char *data, size_t len);
/* Lends the free end of the framer's input, at least `want` bytes
 * (*room gets its size), so a reader can fill it without a copy. Valid
 * until the next call on f. Returns NULL with the error set (out of
 * memory, or an earlier error). */
char *inf_framer_space(struct inf_framer *f, size_t want, size_t *room);
/* Feeds the first `n` bytes (at most *room) of the space last lent,
 * exactly as inf_framer_write would feed them. */
int inf_framer_commit(struct inf_framer *f, size_t n);
/* Where a batch starts: its object offset, line and the records before
 * it, and for arrays the state the cut left (ndjson: always
 * INF_BATCH_OBJECT_START). */
enum inf_batch_start {
	INF_BATCH_OBJECT_START = 0, /* before the '[' (the first batch) */
	INF_BATCH_AFTER_ELEMENT,    /* at an element's end; a ',' follows */
	INF_BATCH_AFTER_ARRAY       /* after the closing ']' */
};
struct inf_batch_at {
	uint64_t offset, line, recno;
	enum inf_batch_start start;
	/* arrays: where the batch's elements end (the ',' or ']' after
	 * each), in order, as inf_array_cut found them; the ends of any
	 * elements after these are scanned for. NULL and 0: all are. A
	 * batch is under 4 GiB (max_record_bytes is at most 1 GiB). */
	const uint32_t *ends;
	size_t nends;
};
/* What a batch held, and where its output may need a cut. */
struct inf_batch_result {
	uint64_t lines, records; /* '\n's and records up to where the next
				  * batch starts */
	int kept;                /* arrays: an element was kept */
	/* arrays, a batch that starts after an element: its output is
	 * written as if an earlier element had been kept; when none was,
	 * out[drop_from, drop_to) (the separator before its first kept
	 * element) must be left out. drop_to 0: nothing to leave out. */
	size_t drop_from, drop_to;
};
/* Runs one batch on a framer made with INF_FMT_NDJSON or INF_FMT_ARRAY
 * serving one worker of a parallel transform. Ndjson batches are whole
 * lines; they end with '\n' unless `final` (the object's last bytes).
 * Array batches are cut by inf_array_cut: one that is not final ends
 * with the ',' after an element (the next starts at that element's end,
 * so the bytes between are read by both), before the '[' or after the
 * ']'; anything else fails. The output is appended to `out` (the sink is not used). */
int inf_framer_batch(struct inf_framer *f, const char *data, size_t len,
		     const struct inf_batch_at *at, int final, struct inf_buf *out,
		     struct inf_batch_result *res);

/* What inf_format_sniff remembers between calls over a growing prefix:
 * the whitespace at the start and how far the first line was searched
 * for its end. Zeroed before the first call. */
struct inf_sniff {
	size_t ws;
	size_t scanned;
};
/* What "auto" makes of an object starting with `len` bytes at `d`: 1 with
 * *fmt set, 0 when more bytes are needed (only when !final), -1 when out
 * of memory. *st keeps what a previous call looked at, so feeding a long
 * first line, or whitespace before it, piecewise stays linear. */
int inf_format_sniff(const char *d, size_t len, int final, struct inf_sniff *st,
		     enum inf_format *fmt);
/* Ends the object: processes what is left, flushes the output. */
int inf_framer_finish(struct inf_framer *f);
/* The framing picked (the detected one under auto). */
enum inf_format inf_framer_format(const struct inf_framer *f);
/* Records seen so far. */
uint64_t inf_framer_records(const struct inf_framer *f);
void inf_framer_free(struct inf_framer *f);

#endif
