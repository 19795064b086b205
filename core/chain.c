#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cond.h"
#include "json.h"
#include "jsonfast.h"
#include "parallel.h"
#include "sniff.h"

/* What one thread needs to run records: its own record buffers, its own
 * plugin instances (index), a framer and counters. */
struct worker {
	struct inf_transform *t;
	unsigned index;
	struct inf_record rec;
	struct inf_framer *framer;
	struct inf_stats stats;
	struct inf_skip skip; /* the first record it skipped */
	struct inf_error err; /* the framer's error slot (parallel) */
};

enum mode { UNDECIDED = 0, SEQUENTIAL, PARALLEL };

struct inf_transform {
	const struct inf_access_point *ap;
	const struct inf_request *req;
	struct inf_stats stats; /* bytes; records come from the workers
				   (sequential) or the runner (parallel) */
	inf_sink_fn sink;
	void *sink_ctx;
	struct inf_error *err;
	enum mode mode;
	struct inf_buf head;  /* bytes held until "auto" can decide */
	struct inf_buf stage; /* lent to readers until the framing is known */
	struct inf_sniff sniff;
	struct worker w[INF_MAX_WORKERS];
	void *wp[INF_MAX_WORKERS];
	unsigned nw;          /* workers set up */
	struct inf_par *par;
	enum inf_format par_fmt;
	struct inf_buf hold;  /* parallel: output held until INF_FLUSH_AT */
	int released;         /* the hold passed it: output goes straight on */
};

static int count_sink(void *ctx, const char *data, size_t len,
		      struct inf_error *err)
{
	struct inf_transform *t = ctx;
	t->stats.bytes_out += len;
	return t->sink(t->sink_ctx, data, len, err);
}

/* The parallel runner's sink: output is held until INF_FLUSH_AT bytes
 * have come, as the sequential framer holds it (frame.h); then what was
 * held goes, and everything after it straight on (the hold never grows
 * past INF_FLUSH_AT). */
static int par_sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	struct inf_transform *t = ctx;
	int rc = 0;

	if (t->released)
		return count_sink(t, data, len, err);
	if (t->hold.len + len < INF_FLUSH_AT) {
		if (inf_buf_append(&t->hold, data, len))
			return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
		return 0;
	}
	t->released = 1;
	if (t->hold.len)
		rc = count_sink(t, t->hold.data, t->hold.len, err);
	inf_buf_free(&t->hold);
	return rc ? rc : count_sink(t, data, len, err);
}

static int run_batch(void *wv, const char *data, size_t len,
		     const struct inf_batch_at *at, int final, struct inf_buf *out,
		     struct inf_error *err, struct inf_batch_counts *counts)
{
	struct worker *w = wv;
	struct inf_stats before = w->stats;
	int rc = 0;

	memset(&w->err, 0, sizeof w->err); /* the first error is kept: clear */
	w->skip.recno = 0; /* and so is the first skip, counted from `at` */
	if (inf_framer_batch(w->framer, data, len, at, final, out, &counts->held)) {
		*err = w->err;
		rc = -1;
	}
	/* the worker's own counters also count batches that are discarded
	 * or run again: the runner sums these per batch instead */
	counts->stats.records_in = w->stats.records_in - before.records_in;
	counts->stats.records_out = w->stats.records_out - before.records_out;
	counts->stats.records_dropped = w->stats.records_dropped - before.records_dropped;
	counts->stats.records_failed = w->stats.records_failed - before.records_failed;
	counts->skip = w->skip;
	return rc;
}

/* Runs the chain on one complete record: the framer's inf_record_fn. */
static int chain_record(void *ctx, const char *js, size_t len,
			const struct inf_rec_pos *pos, struct inf_buf *out,
			struct inf_error *err);

/* The framer's fast path for a chain of one drop (chain_record's
 * inf_json_drop_top case), on CPUs that have jsonfast's. */
static size_t drop_lines(void *wv, const char *data, size_t len, struct inf_buf *out,
			 uint64_t *records, uint64_t *lines, size_t *ahead)
{
	struct worker *w = wv;
	const struct inf_access_point *ap = w->t->ap;
	size_t n, blank, took = inf_jsonfast_drop_lines(&w->rec.toks.fast, data, len,
							w->rec.max_depth, w->rec.toks.max_key,
							ap->max_record, &ap->drop_top, out, &n,
							&blank, ahead);

	w->stats.records_in += n - blank;
	w->stats.records_out += n - blank;
	*records = n - blank;
	*lines = n;
	return took;
}

/* The lines path's record for a fused chain (inf_fuse_members). */
static int fuse_line(void *wv, const char *js, size_t len, const struct inf_jsonfast_member *m,
		     size_t nm, size_t close, struct inf_buf *out)
{
	struct worker *w = wv;
	int rc = inf_fuse_members(w->t->ap->fused, w->index, &w->rec, js, len, m, nm, close,
				  out);

	return rc == INF_FUSE_DROPPED ? INF_JSONFAST_LINE_DROP : rc;
}

/* The framer's fast path for a fused chain (chain_record's
 * inf_fuse_record case), on CPUs that have jsonfast's. */
static size_t fused_lines(void *wv, const char *data, size_t len, struct inf_buf *out,
			  uint64_t *records, uint64_t *lines, size_t *ahead)
{
	struct worker *w = wv;
	const struct inf_access_point *ap = w->t->ap;
	size_t n, blank, dropped, took = inf_jsonfast_member_lines(
		&w->rec.toks.fast, data, len, w->rec.max_depth, w->rec.toks.max_key,
		ap->max_record, fuse_line, w, out, &n, &blank, &dropped, ahead);

	w->stats.records_in += n - blank;
	w->stats.records_out += n - blank - dropped;
	w->stats.records_dropped += dropped;
	*records = n - blank;
	*lines = n;
	return took;
}

/* Sets up worker i; sequential workers write to the transform's sink. */
static int worker_init(struct inf_transform *t, unsigned i, enum inf_format fmt,
		       int parallel)
{
	struct worker *w = &t->w[i];

	w->t = t;
	w->index = i;
	inf_record_init(&w->rec, t->ap->max_depth);
	w->rec.toks.max_key = t->ap->max_key;
	w->rec.req = t->req;
	w->framer = parallel
		? inf_framer_new(fmt, t->ap->max_record, chain_record, w,
				 NULL, NULL, &w->err) /* batches only: no sink */
		: inf_framer_new(fmt, t->ap->max_record, chain_record, w,
				 count_sink, t, t->err);
	if (w->framer && !t->ap->fused && t->ap->drop_top.match && t->ap->nsteps == 1 &&
	    inf_jsonfast_available())
		inf_framer_set_lines(w->framer, drop_lines, w);
	else if (w->framer && t->ap->fused && inf_jsonfast_available())
		inf_framer_set_lines(w->framer, fused_lines, w);
	t->wp[i] = w;
	t->nw = i + 1;
	return w->framer ? 0 : -1;
}

struct inf_transform *inf_transform_new(const struct inf_access_point *ap,
					const struct inf_request *req,
					inf_sink_fn sink, void *sink_ctx,
					struct inf_error *err)
{
	struct inf_transform *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->ap = ap;
	t->req = req;
	t->sink = sink;
	t->sink_ctx = sink_ctx;
	t->err = err;
	return t;
}

void inf_transform_free(struct inf_transform *t)
{
	if (!t)
		return;
	inf_par_free(t->par);
	for (unsigned i = 0; i < t->nw; i++) {
		inf_framer_free(t->w[i].framer);
		inf_record_free(&t->w[i].rec);
	}
	inf_buf_free(&t->head);
	inf_buf_free(&t->stage);
	inf_buf_free(&t->hold);
	free(t);
}

static int nomem(struct inf_transform *t)
{
	return inf_error_set(t->err, INF_FAIL_NOMEM, "out of memory");
}

/* Picks sequential or parallel once the framing is known, then hands over
 * what was held. Parallel needs ndjson or an array, and more than one
 * worker. */
static int decide(struct inf_transform *t, int final)
{
	enum inf_format fmt = t->ap->format;
	size_t skip = 0;
	int rc;

	if (t->ap->workers > 1 && fmt == INF_FMT_AUTO) {
		rc = inf_format_sniff(t->head.data ? t->head.data : "", t->head.len,
				      final, &t->sniff, &fmt);
		if (rc < 0)
			return nomem(t);
		if (rc == 0 && t->head.len <= t->ap->max_record)
			return 0; /* not yet known */
		if (rc == 0) /* still unknown (sniff may have guessed): the */
			fmt = INF_FMT_AUTO; /* sequential framer decides */
	}
	if (t->ap->workers > 1 && (fmt == INF_FMT_NDJSON || fmt == INF_FMT_ARRAY)) {
		static const char bom[3] = { '\xEF', '\xBB', '\xBF' };
		size_t n = t->head.len < 3 ? t->head.len : 3;
		if (n && !memcmp(t->head.data, bom, n)) {
			if (n < 3 && !final)
				return 0; /* maybe a byte-order mark */
			skip = n == 3 ? 3 : 0;
		}
		for (unsigned i = 0; i < t->ap->workers; i++)
			if (worker_init(t, i, fmt, 1))
				return nomem(t);
		t->par = inf_par_new(fmt, t->ap->workers, t->wp, run_batch, par_sink,
				     t, t->ap->max_record, skip, t->err);
		t->par_fmt = fmt;
		if (!t->par)
			return nomem(t);
		t->mode = PARALLEL;
		rc = t->head.len > skip /* nothing held: data is NULL, NULL + 0 is UB */
			? inf_par_write(t->par, t->head.data + skip, t->head.len - skip) : 0;
	} else {
		if (worker_init(t, 0, t->ap->format, 0))
			return nomem(t);
		t->mode = SEQUENTIAL;
		rc = t->head.len ? inf_framer_write(t->w[0].framer, t->head.data, t->head.len) : 0;
	}
	inf_buf_free(&t->head);
	return rc;
}

int inf_transform_write(struct inf_transform *t, const char *data, size_t len)
{
	t->stats.bytes_in += len;
	switch (t->mode) {
	case SEQUENTIAL: return inf_framer_write(t->w[0].framer, data, len);
	case PARALLEL: return inf_par_write(t->par, data, len);
	default:
		if (inf_buf_append(&t->head, data, len))
			return nomem(t);
		return decide(t, 0);
	}
}

char *inf_transform_space(struct inf_transform *t, size_t *room)
{
	enum { STAGE = 256 * 1024 };

	if (t->mode == PARALLEL) {
		char *p = inf_par_space(t->par, room);
		if (!p && t->err->kind == INF_FAIL_NONE)
			nomem(t);
		return p;
	}
	if (t->mode == SEQUENTIAL) { /* read straight into the framer's input */
		char *p = inf_framer_space(t->w[0].framer, STAGE, room);
		if (!p && t->err->kind == INF_FAIL_NONE)
			nomem(t);
		return p;
	}
	if (!t->stage.cap && inf_buf_reserve(&t->stage, STAGE)) {
		nomem(t);
		return NULL;
	}
	*room = t->stage.cap;
	return t->stage.data;
}

int inf_transform_commit(struct inf_transform *t, size_t n)
{
	if (t->mode == PARALLEL) {
		t->stats.bytes_in += n;
		return inf_par_commit(t->par, n);
	}
	if (t->mode == SEQUENTIAL) {
		t->stats.bytes_in += n;
		return inf_framer_commit(t->w[0].framer, n);
	}
	return inf_transform_write(t, t->stage.data, n);
}

int inf_transform_first_skip(const struct inf_transform *t, char *out, size_t n)
{
	const struct inf_skip *s = t->mode == PARALLEL ? inf_par_first_skip(t->par) : &t->w[0].skip;
	struct inf_error e = { 0 };

	if (t->mode == UNDECIDED || !t->nw || !s->recno)
		return 0;
	/* made as record_failed makes on_error = fail's message */
	inf_error_set(&e, INF_FAIL_INPUT, "record %llu (line %llu): %s",
		      (unsigned long long)s->recno, (unsigned long long)s->line, s->what);
	snprintf(out, n, "%s", e.msg);
	return 1;
}

int inf_transform_finish(struct inf_transform *t)
{
	if (t->mode == UNDECIDED && decide(t, 1))
		return -1;
	if (t->mode == UNDECIDED)
		return inf_error_set(t->err, INF_FAIL_INPUT, "cannot tell the framing");
	if (t->mode != PARALLEL)
		return inf_framer_finish(t->w[0].framer);
	if (inf_par_finish(t->par))
		return -1;
	return t->hold.len ? count_sink(t, t->hold.data, t->hold.len, t->err) : 0;
}

struct inf_stats inf_transform_stats(const struct inf_transform *t)
{
	struct inf_stats s = { 0 };

	s.bytes_in = t->stats.bytes_in;
	s.bytes_out = t->stats.bytes_out;
	if (t->mode == PARALLEL) {
		inf_par_stats(t->par, &s);
		return s;
	}
	for (unsigned i = 0; i < t->nw; i++) {
		s.records_in += t->w[i].stats.records_in;
		s.records_out += t->w[i].stats.records_out;
		s.records_dropped += t->w[i].stats.records_dropped;
		s.records_failed += t->w[i].stats.records_failed;
	}
	return s;
}

enum inf_format inf_transform_format(const struct inf_transform *t)
{
	if (t->mode == PARALLEL)
		return t->par_fmt;
	return t->nw ? inf_framer_format(t->w[0].framer) : t->ap->format;
}

static int record_failed(struct worker *w, enum inf_fail kind,
			 const struct inf_rec_pos *pos, struct inf_error *err,
			 const char *what)
{
	if (w->t->ap->on_error == INF_ON_ERROR_DROP_RECORD) {
		if (!w->skip.recno) {
			w->skip.recno = pos->recno;
			w->skip.line = inf_rec_line(pos);
			snprintf(w->skip.what, sizeof w->skip.what, "%s", what);
		}
		w->stats.records_failed++;
		return 0;
	}
	return inf_error_set(err, kind, "record %llu (line %llu): %s",
			     (unsigned long long)pos->recno,
			     (unsigned long long)inf_rec_line(pos), what);
}

/* Whether a record that does not load leaves the framing unknown: auto
 * took the object for a document because its first line is not a JSON
 * value, and the document does not load either, so the object may as
 * well be ndjson with a damaged first line. Under on_error = drop_record
 * dropping it would drop the whole object without a word; it fails
 * instead (on_error = fail fails it anyway, as `document` would). */
static int auto_document(const struct worker *w)
{
	return w->t->ap->format == INF_FMT_AUTO &&
	       w->t->ap->on_error == INF_ON_ERROR_DROP_RECORD &&
	       inf_framer_format(w->framer) == INF_FMT_DOCUMENT;
}

/* Whether an array element that does not load is one whole value and
 * more text after it, at je->offset: two elements with no ',' between
 * them. That is a broken array, which fails the object under any
 * on_error: skipped as one bad record, it would hide how many records it
 * held. Re-reads the record's first value only after it failed. */
static int missing_comma(const struct worker *w, struct inf_record *r,
			 const char *js, const struct inf_json_err *je)
{
	struct inf_json_err e;
	int whole;

	if (inf_framer_format(w->framer) != INF_FMT_ARRAY || je->offset == 0)
		return 0;
	whole = inf_json_parse(&r->toks, js, je->offset, r->max_depth, &e) == 0;
	r->toks.n = 0;
	return whole;
}

/* Whether an array element that does not load leaves in doubt where it
 * ends, at *at (inf_json_cut_doubt): the cut counted brackets outside
 * strings, so with a bracket of the wrong kind or in the wrong place, or
 * a stray quote, the element may run over the ends of others ('[{"a":[}, {"b":1}, {"c":]}]'
 * is cut as one). That is a broken array, which fails the object under
 * any on_error, as missing_comma's: skipped as one bad record, it would
 * hide how many records it held. 1, 0 or INF_ERR_NOMEM. */
static int cut_in_doubt(const struct worker *w, struct inf_record *r, const char *js,
			size_t len, size_t *at)
{
	if (inf_framer_format(w->framer) != INF_FMT_ARRAY)
		return 0;
	return inf_json_cut_doubt(js, len, &r->scratch, at);
}

/* The line of byte `at` of a record starting on line `line`. */
static uint64_t line_of(const char *js, size_t at, uint64_t line)
{
	for (const char *q = js; (q = memchr(q, '\n', (size_t)(js + at - q))); q++)
		line++;
	return line;
}

/* The line of the first byte of [js, js+len) that is not whitespace, the
 * record starting on line `line`. */
static uint64_t first_line(const char *js, size_t len, uint64_t line)
{
	for (size_t i = 0; i < len && inf_json_ws(js[i]); i++)
		line += js[i] == '\n';
	return line;
}

/* For a first record that does not load: when the object starts with
 * the signature of a compressed or binary format, a note that says so
 * (the error would only name a byte otherwise); else "". */
static const char *binary_hint(const char *js, size_t len,
			       const struct inf_rec_pos *pos)
{
	return pos->offset == 0 ? inf_sniff_note(js, len) : "";
}

/* What a status means, for a message that has no text of its own; buf
 * (64 bytes) holds a status outside inf_status. */
static const char *status_text(int rc, char *buf)
{
	switch (rc) {
	case INF_ERR_NOMEM: return "out of memory";
	case INF_ERR_INVALID: return "invalid data";
	case INF_ERR_TYPE: return "a value of the wrong type";
	case INF_ERR_LIMIT: return "over a limit";
	case INF_ERR_IO: return "I/O error";
	case INF_ERR_INTERNAL: return "a failure of its own";
	default:
		snprintf(buf, 64, "status %d", rc);
		return buf;
	}
}

/* Whether req's deadline (inf_request) has passed: checked before each
 * plugin step, whose time is the plugin's, not before the core's own
 * work, which a batch at a time bounds. */
static int past_deadline(const struct inf_request *req)
{
	struct timespec ts;

	if (!req || !req->deadline_ms)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= req->deadline_ms;
}

static int chain_record(void *ctx, const char *js, size_t len,
			const struct inf_rec_pos *pos, struct inf_buf *out,
			struct inf_error *err)
{
	struct worker *w = ctx;
	struct inf_transform *t = w->t;
	struct inf_record *r = &w->rec;
	struct inf_json_err je;
	char msg[INF_ERR_MAX + 400];
	int rc = 1; /* 1: the record needs its tokens */
	size_t first = 0, at; /* the first step to call */

	w->stats.records_in++;
	/* each 1 again when the root is not an object or a root key holds
	 * an escape (or, fused, a value needs the steps): the steps run as
	 * they would */
	if (t->ap->fused &&
	    (rc = inf_fuse_record(t->ap->fused, w->index, r, js, len, out, &je)) == 0) {
		w->stats.records_out++;
		return 1;
	}
	if (rc == INF_FUSE_DROPPED) {
		w->stats.records_dropped++;
		return 0;
	}
	if (rc == 1 && t->ap->drop_top.match && t->ap->nsteps == 1) {
		size_t removed;

		rc = inf_json_drop_top(&r->toks, js, len, r->max_depth, &t->ap->drop_top,
				       out, &removed, &je);
		if (rc == 0) {
			w->stats.records_out++;
			return 1;
		}
	} else if (rc == 1 && t->ap->drop_top.match) {
		rc = inf_record_load_dropping(r, js, len, &t->ap->drop_top, &je);
		first = rc == 0;
	}
	if (rc == 1)
		rc = inf_record_load(r, js, len, &je);
	if (rc == INF_ERR_NOMEM)
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	if (rc) {
		enum inf_fail kind = rc == INF_ERR_LIMIT ? INF_FAIL_TOO_LARGE : INF_FAIL_INPUT;
		snprintf(msg, sizeof msg, "%s: %s (byte %zu of the record)%s",
			 rc == INF_ERR_LIMIT ? "over a limit" : "invalid JSON",
			 je.msg, je.offset, binary_hint(js, len, pos));
		if (rc == INF_ERR_INVALID && missing_comma(w, r, js, &je))
			return inf_error_set(err, INF_FAIL_INPUT,
					     "missing ',' between array elements at line %llu, "
					     "byte %llu",
					     (unsigned long long)line_of(js, je.offset, inf_rec_line(pos)),
					     (unsigned long long)(pos->offset + je.offset));
		if ((rc = cut_in_doubt(w, r, js, len, &at)) == INF_ERR_NOMEM)
			return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
		if (rc)
			return inf_error_set(err, INF_FAIL_INPUT,
					     "%s '%c' at line %llu, byte %llu in an array element: "
					     "where the elements end is unknown",
					     js[at] == '"' ? "stray" : "mismatched", js[at],
					     (unsigned long long)line_of(js, at, inf_rec_line(pos)),
					     (unsigned long long)(pos->offset + at));
		if (w->t->ap->on_error == INF_ON_ERROR_DROP_RECORD &&
		    inf_framer_format(w->framer) == INF_FMT_NDJSON && inf_json_left_open(js, len))
			return inf_error_set(err, INF_FAIL_INPUT,
					     "record %llu (line %llu) leaves an object or array "
					     "open at the line's end: a value written across lines, "
					     "whose other lines would pass as records of their own, "
					     "is not a record to skip (on_error = \"drop_record\"): %s",
					     (unsigned long long)pos->recno,
					     (unsigned long long)inf_rec_line(pos), msg);
		if (auto_document(w))
			return inf_error_set(err, kind,
					     "cannot tell the framing (format auto): line %llu "
					     "is not a JSON value and the object does not load as "
					     "one document: %s",
					     (unsigned long long)first_line(js, len, inf_rec_line(pos)),
					     msg);
		return record_failed(w, kind, pos, err, msg);
	}
	for (size_t i = first; i < t->ap->nsteps; i++) {
		const struct inf_step *st = &t->ap->steps[i];
		enum inf_verdict v = INF_KEEP;
		char perr[INF_ERR_MAX] = "", sbuf[64];

		/* the previous step's edits, applied or carried; a `when`
		 * reads values, so carried ones are applied for it */
		if ((i > first && (rc = inf_record_step_done(r, &je))) ||
		    (st->when && (rc = inf_record_flush(r, &je)))) {
			if (rc == INF_ERR_NOMEM)
				return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			/* what a step inserted broke max_depth or max_key_bytes */
			snprintf(msg, sizeof msg, "step %zu (%s) went over a limit: %s",
				 i, t->ap->steps[i - 1].plugin->name, je.msg);
			return record_failed(w, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (st->when && (rc = inf_cond_check_root(r, st->when, perr))) {
			if (rc == INF_ERR_NOMEM)
				return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			snprintf(msg, sizeof msg, "step %zu (%s): when: %s", i + 1,
				 st->plugin->name, perr);
			return record_failed(w, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (st->when && (rc = inf_cond_match(r, st->when)) <= 0) {
			if (rc < 0)
				return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			continue; /* `when` does not hold: the step is skipped */
		}
		if (past_deadline(t->req))
			return inf_error_set(err, INF_FAIL_SOURCE, "deadline: the object could not "
					     "be transformed in time (record %llu, line %llu, "
					     "before step %zu)", (unsigned long long)pos->recno,
					     (unsigned long long)inf_rec_line(pos), i + 1);
		r->edit_err.msg[0] = '\0';
		r->edit_rc = 0;
		rc = st->plugin->process(st->instances[w->index], r, &v, perr);
		if (r->service_rc) { /* a host service failed under the step */
			if (r->service_rc == INF_ERR_NOMEM)
				return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			snprintf(msg, sizeof msg, "step %zu (%s) went over a limit: %s", i + 1,
				 st->plugin->name, r->edit_err.msg);
			return record_failed(w, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (rc >= 0 && r->edit_rc) { /* refused, and the step went on */
			if (r->edit_rc == INF_ERR_NOMEM)
				return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			snprintf(msg, sizeof msg, "step %zu (%s) failed: an edit it asked for "
				 "was refused (%s) and it went on as if made", i + 1,
				 st->plugin->name,
				 r->edit_err.msg[0] ? r->edit_err.msg : status_text(r->edit_rc, sbuf));
			return record_failed(w, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (rc < 0) {
			perr[INF_ERR_MAX - 1] = '\0';
			if (rc == INF_ERR_LIMIT && !perr[0] && r->edit_err.msg[0])
				snprintf(msg, sizeof msg, "step %zu (%s) went over a limit: %s",
					 i + 1, st->plugin->name, r->edit_err.msg);
			else if (!perr[0] && rc == r->edit_rc) /* the host's refusal, returned */
				snprintf(msg, sizeof msg, "step %zu (%s) failed: an edit it asked "
					 "for was refused (%s)", i + 1, st->plugin->name,
					 r->edit_err.msg[0] ? r->edit_err.msg : status_text(rc, sbuf));
			else
				snprintf(msg, sizeof msg, "step %zu (%s) failed: %s%s", i + 1,
					 st->plugin->name, perr[0] ? perr : status_text(rc, sbuf),
					 perr[0] ? "" : " (no message from the plugin)");
			return record_failed(w, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		/* a status or verdict outside the contract fails closed: the
		 * step may have meant to drop or mask the record */
		if (rc > 0 || (v != INF_KEEP && v != INF_MODIFIED && v != INF_DROP)) {
			if (rc > 0)
				snprintf(msg, sizeof msg, "step %zu (%s) failed: returned %d, "
					 "not 0 or a negative inf_status", i + 1,
					 st->plugin->name, rc);
			else
				snprintf(msg, sizeof msg, "step %zu (%s) failed: set verdict %d, "
					 "not INF_KEEP, INF_MODIFIED or INF_DROP", i + 1,
					 st->plugin->name, (int)v);
			return record_failed(w, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (v == INF_DROP) {
			w->stats.records_dropped++;
			return 0;
		}
	}
	if ((rc = inf_record_emit(r, out)))
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	w->stats.records_out++;
	return 1;
}
