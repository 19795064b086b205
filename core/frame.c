#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escan.h"
#include "inflight/plugin.h"
#include "json.h"
#include "sniff.h"

struct inf_framer {
	enum inf_format fmt; /* INF_FMT_AUTO until detected */
	size_t max_record;
	inf_record_fn rec;
	void *rec_ctx;
	inf_lines_fn lines;
	void *lines_ctx;
	inf_sink_fn sink;
	void *sink_ctx;
	struct inf_error *err;

	struct inf_buf in;  /* unconsumed input */
	uint64_t base;      /* object offset of in.data[0] */
	uint64_t base_line; /* line number of in.data[0] */
	size_t memo_at;     /* line_at() memo: position in `in` ... */
	uint64_t memo_line; /* ... and its line number */
	size_t scan;        /* bytes of `in` already scanned */
	struct inf_buf out;
	int batch;          /* out is a batch's buffer: never flushed here */
	uint64_t recno;
	int failed;
	int bom_done;
	int finishing;
	size_t detect_at; /* auto: bytes of `in` searched for a newline */
	size_t detect_ws; /* auto: bytes of `in` known to be whitespace */
	/* auto: leading whitespace over max_record is written out, not held */
	uint64_t shed;      /* bytes of it written out */
	size_t ws_ls;       /* where its line still open starts in `in` */
	size_t ws_scan;     /* bytes of `in` searched for its newlines */
	int ws_over;        /* some were: the object cannot be a document */
	int ws_line_over;   /* a line of it is over max_record: only an array
			     * can follow; the line starts at ... */
	uint64_t over_line; /* ... this line */
	uint64_t over_at;   /* ... and object offset */

	/* array scanner */
	enum inf_astate as;
	struct inf_escan es;
	size_t span_start; /* after the last '[' or ',': what counts against
			    * max_record for the next element */
	size_t gap_start; /* where the bytes before the next element begin */
	size_t elem_start;
	int kept_any;
	/* a batch that starts after an element (INF_AS_SEP) assumes an earlier
	 * element was kept; the separator before its first kept element is
	 * out[drop_from, drop_to), to go when none was (drop_to 0: none) */
	int sep_pending;
	size_t drop_from, drop_to;
	const uint32_t *ends; /* a batch's element ends still to come */
	size_t nends;
};

int inf_format_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return INF_FMT_AUTO;
	if (!strcmp(s, "ndjson"))
		return INF_FMT_NDJSON;
	if (!strcmp(s, "array"))
		return INF_FMT_ARRAY;
	if (!strcmp(s, "document"))
		return INF_FMT_DOCUMENT;
	return -1;
}

const char *inf_format_name(enum inf_format f)
{
	static const char *const n[] = { "auto", "ndjson", "array", "document" };
	return (unsigned)f < 4 ? n[f] : "?";
}

struct inf_framer *inf_framer_new(enum inf_format fmt, size_t max_record,
				  inf_record_fn rec, void *rec_ctx,
				  inf_sink_fn sink, void *sink_ctx,
				  struct inf_error *err)
{
	struct inf_framer *f = calloc(1, sizeof *f);

	if (!f)
		return NULL;
	f->fmt = fmt;
	f->max_record = max_record;
	f->rec = rec;
	f->rec_ctx = rec_ctx;
	f->sink = sink;
	f->sink_ctx = sink_ctx;
	f->err = err;
	f->base_line = 1;
	f->memo_line = 1;
	return f;
}

void inf_framer_free(struct inf_framer *f)
{
	if (!f)
		return;
	inf_buf_free(&f->in);
	inf_buf_free(&f->out);
	free(f);
}

enum inf_format inf_framer_format(const struct inf_framer *f)
{
	return f->fmt;
}

void inf_framer_set_lines(struct inf_framer *f, inf_lines_fn fn, void *ctx)
{
	f->lines = fn;
	f->lines_ctx = ctx;
}

uint64_t inf_framer_records(const struct inf_framer *f)
{
	return f->recno;
}

/* Line number of position p of `in`; linear over increasing positions. */
static uint64_t line_at(struct inf_framer *f, size_t p)
{
	const char *q, *e;

	if (!f->in.data) /* nothing buffered yet (an empty object): NULL + 0 is UB */
		return f->base_line;
	e = f->in.data + p;
	if (p < f->memo_at) {
		f->memo_at = 0;
		f->memo_line = f->base_line;
	}
	for (q = f->in.data + f->memo_at; q < e && (q = memchr(q, '\n', (size_t)(e - q))); q++)
		f->memo_line++;
	f->memo_at = p;
	return f->memo_line;
}

uint64_t inf_rec_line(const struct inf_rec_pos *pos)
{
	return line_at(pos->f, pos->at);
}

/* Fails the framer: "WHAT at line L, byte B" then `note`. */
static int fail_note(struct inf_framer *f, enum inf_fail kind, const char *what,
		     size_t at, const char *note)
{
	uint64_t line = line_at(f, at < f->in.len ? at : f->in.len);
	char limit[48] = "";

	f->failed = 1;
	if (kind == INF_FAIL_TOO_LARGE) /* every such `what` ends "max_record_bytes" */
		snprintf(limit, sizeof limit, " (%zu)", f->max_record);
	return inf_error_set(f->err, kind, "%s%s at line %llu, byte %llu%s", what, limit,
			     (unsigned long long)line,
			     (unsigned long long)(f->base + at), note);
}

static int fail(struct inf_framer *f, enum inf_fail kind, const char *what,
		size_t at)
{
	return fail_note(f, kind, what, at, "");
}

/* An array that does not open with '[': a compressed or binary object
 * says so, from the bytes the framer holds at the object's start. */
static int fail_open(struct inf_framer *f, size_t at)
{
	return fail_note(f, INF_FAIL_INPUT, "expected '[' to open the array", at,
			 f->base + at == 0 ? inf_sniff_note(f->in.data + at, f->in.len - at) : "");
}

static int nomem(struct inf_framer *f)
{
	f->failed = 1;
	return inf_error_set(f->err, INF_FAIL_NOMEM, "out of memory");
}

/* Drops the first n bytes of `in`, keeping offsets and lines right. */
static void consume(struct inf_framer *f, size_t n)
{
	if (n == 0)
		return;
	f->base_line = line_at(f, n);
	f->base += n;
	inf_buf_consume(&f->in, n);
	f->memo_at = 0;
	f->memo_line = f->base_line;
	f->scan = f->scan > n ? f->scan - n : 0;
	f->elem_start = f->elem_start > n ? f->elem_start - n : 0;
	f->gap_start = f->gap_start > n ? f->gap_start - n : 0;
	f->span_start = f->span_start > n ? f->span_start - n : 0;
	f->detect_at = f->detect_at > n ? f->detect_at - n : 0;
	f->detect_ws = f->detect_ws > n ? f->detect_ws - n : 0;
	f->ws_ls = f->ws_ls > n ? f->ws_ls - n : 0;
	f->ws_scan = f->ws_scan > n ? f->ws_scan - n : 0;
}

static int emit(struct inf_framer *f, const char *p, size_t n)
{
	if (inf_buf_append(&f->out, p, n))
		return nomem(f);
	return 0;
}

static int flush(struct inf_framer *f, int all)
{
	if (f->batch || f->out.len == 0 || (!all && f->out.len < INF_FLUSH_AT))
		return 0;
	if (f->sink(f->sink_ctx, f->out.data, f->out.len, f->err)) {
		f->failed = 1;
		return -1;
	}
	inf_buf_reset(&f->out);
	return 0;
}

/* Runs the record at in[start, start + len); returns 1 kept, 0 dropped. */
static int run_record(struct inf_framer *f, size_t start, size_t len)
{
	struct inf_rec_pos pos;
	size_t before = f->out.len;
	int rc;

	pos.recno = ++f->recno;
	pos.offset = f->base + start;
	pos.f = f;
	pos.at = start;
	rc = f->rec(f->rec_ctx, f->in.data + start, len, &pos, &f->out, f->err);
	if (rc < 0) {
		f->failed = 1;
		f->out.len = before;
		return -1;
	}
	if (rc == 0)
		f->out.len = before;
	return rc;
}

/* ---- ndjson ---- */

/* Bytes of the line in[ls, end) that count against max_record: a CR that
 * ends it (or waits for its LF) belongs to the line ending. */
static size_t line_bytes(const struct inf_framer *f, size_t ls, size_t end)
{
	return end - ls - (end > ls && f->in.data[end - 1] == '\r');
}

static int ndjson_line(struct inf_framer *f, size_t ls, size_t nl, int has_nl)
{
	size_t le = nl;
	int kept;

	if (has_nl && le > ls && f->in.data[le - 1] == '\r')
		le--;
	if (inf_json_is_ws(f->in.data + ls, le - ls))
		return emit(f, f->in.data + ls, nl + (size_t)has_nl - ls);
	kept = run_record(f, ls, le - ls);
	if (kept < 0)
		return -1;
	if (kept && has_nl)
		return emit(f, f->in.data + le, nl + 1 - le);
	return 0;
}

static int ndjson_run(struct inf_framer *f)
{
	size_t ls = 0, ask_at = 0; /* the fast path: where to ask it next */
	int rc = 0;

	for (;;) {
		const char *d = f->in.data;
		const char *nl;
		size_t at;

		/* the fast path first; the lines it read and did not run go the
		 * way below */
		if (f->lines && ls >= ask_at && f->in.len > ls) {
			uint64_t n, nlines;
			size_t ahead = 0;
			size_t took = f->lines(f->lines_ctx, d + ls, f->in.len - ls, &f->out, &n,
					       &nlines, &ahead);

			ask_at = ls + (ahead > took ? ahead : took);
			if (took) {
				f->recno += n;
				if (f->memo_at == ls) /* lines further, known without a scan */
					f->memo_line += nlines, f->memo_at = ls + took;
				ls = f->scan = ls + took;
				if ((rc = flush(f, 0)))
					break;
				continue;
			}
		}
		nl = f->in.len > f->scan ? memchr(d + f->scan, '\n', f->in.len - f->scan) : NULL;

		if (!nl) {
			f->scan = f->in.len;
			break;
		}
		at = (size_t)(nl - d);
		if (line_bytes(f, ls, at) > f->max_record) {
			rc = fail(f, INF_FAIL_TOO_LARGE,
				  "record larger than max_record_bytes", ls);
			break;
		}
		if ((rc = ndjson_line(f, ls, at, 1)))
			break;
		if (f->memo_at == ls) { /* one line further, known without a scan */
			f->memo_at = at + 1;
			f->memo_line++;
		}
		ls = f->scan = at + 1;
		if ((rc = flush(f, 0)))
			break;
	}
	if (rc)
		return rc;
	if (line_bytes(f, ls, f->in.len) > f->max_record)
		return fail(f, INF_FAIL_TOO_LARGE,
			    "record larger than max_record_bytes", ls);
	if (f->finishing && f->in.len > ls) {
		if (ndjson_line(f, ls, f->in.len, 0))
			return -1;
		ls = f->in.len;
	}
	consume(f, ls);
	return 0;
}

/* ---- array ---- */

/* Runs the element ending before `delim`; the bytes between gap_start
 * and the element (whitespace, then a comma after the first) go before it
 * when it is kept, less the comma when it is the first kept. */
static int array_element(struct inf_framer *f, size_t delim)
{
	size_t end = delim, gs = f->gap_start, before;
	int kept;

	while (end > f->elem_start && inf_json_ws(f->in.data[end - 1]))
		end--;
	if (!f->kept_any) {
		const char *c = memchr(f->in.data + gs, ',', f->elem_start - gs);
		if (c)
			gs = (size_t)(c - f->in.data) + 1;
	}
	before = f->out.len;
	if (emit(f, f->in.data + gs, f->elem_start - gs))
		return -1;
	kept = run_record(f, f->elem_start, end - f->elem_start);
	if (kept < 0)
		return -1;
	if (!kept) {
		f->out.len = before;
	} else {
		f->kept_any = 1;
		if (f->sep_pending) { /* what the branch above would leave out */
			const char *c = memchr(f->in.data + gs, ',', f->elem_start - gs);
			f->sep_pending = 0;
			f->drop_from = before;
			f->drop_to = before + (c ? (size_t)(c - f->in.data) + 1 - gs : 0);
		}
	}
	f->gap_start = end;
	return 0;
}

/* Emits in[gap_start, upto) as it is. */
static int pass_through(struct inf_framer *f, size_t upto)
{
	if (upto == f->gap_start) /* data is NULL while empty: NULL + 0 is UB */
		return 0;
	if (emit(f, f->in.data + f->gap_start, upto - f->gap_start))
		return -1;
	f->gap_start = upto;
	return 0;
}

/* One step of the array framer at in[*ip]: 1 with *ip the next byte to
 * look at, 0 when the bytes from *ip are held for more to come (a bad
 * first byte of the object, for fail_open), -1 when it failed. */
static int array_step(struct inf_framer *f, size_t *ip)
{
	const char *d = f->in.data;
	size_t i = *ip;
	char c = d[i];

	switch (f->as) {
	case INF_AS_OPEN:
		if (inf_json_ws(c))
			break;
		if (c != '[' && f->base + i == 0 && !f->finishing && !f->batch &&
		    f->in.len - i < INF_SNIFF_BYTES)
			return 0; /* fail_open names the format from them */
		if (c != '[')
			return fail_open(f, i);
		if (pass_through(f, i + 1))
			return -1;
		f->span_start = i + 1;
		f->as = INF_AS_FIRST;
		break;
	case INF_AS_FIRST:
	case INF_AS_GAP:
		if (inf_json_ws(c)) {
			/* held until the next element: counted with it */
			if (i + 1 - f->span_start > f->max_record)
				return fail(f, INF_FAIL_TOO_LARGE,
					    "whitespace in the array larger than max_record_bytes",
					    f->span_start);
			break;
		}
		if (c == ']' && f->as == INF_AS_GAP)
			return fail(f, INF_FAIL_INPUT, "trailing comma in array", i);
		if (c == ']') {
			if (pass_through(f, i + 1))
				return -1;
			f->as = INF_AS_AFTER;
			break;
		}
		if (c == ',')
			return fail(f, INF_FAIL_INPUT, "empty array element", i);
		f->elem_start = i;
		f->es = (struct inf_escan){ 0, 0, 0 };
		f->as = INF_AS_ELEM;
		*ip = i;
		return 1; /* rescan this byte as part of the element */
	case INF_AS_ELEM: {
		/* to the next byte that matters, not one step per byte, or to
		 * where the cut found the element ends */
		size_t e = f->in.len, at;

		if (f->nends) {
			at = *f->ends++;
			f->nends--;
			if (at < i || at >= e || (d[at] != ',' && d[at] != ']'))
				return fail(f, INF_FAIL_INPUT,
					    "array batch's element ends do not match its bytes", i);
		} else {
			at = inf_escan_run(&f->es, d, i, e);
		}

		if (at - f->span_start > f->max_record)
			return fail(f, INF_FAIL_TOO_LARGE,
				    "record larger than max_record_bytes", f->elem_start);
		if (at == e) {
			*ip = e;
			return 1;
		}
		c = d[at];
		if (c == '}')
			return fail(f, INF_FAIL_INPUT, "unexpected '}' in array", at);
		i = at;
		if (array_element(f, i))
			return -1;
		if (c == ']') {
			if (pass_through(f, i + 1))
				return -1;
			f->as = INF_AS_AFTER;
		} else {
			f->span_start = i + 1;
			f->as = INF_AS_GAP;
		}
		if (flush(f, 0))
			return -1;
		break;
	}
	case INF_AS_AFTER:
		if (!inf_json_ws(c))
			return fail(f, INF_FAIL_INPUT, "data after the closing ']'", i);
		break;
	case INF_AS_SEP: /* a batch cut after an element: the comma that follows */
		if (inf_json_ws(c))
			break;
		if (c != ',')
			return fail(f, INF_FAIL_INPUT, "array batch does not start at a separator", i);
		f->span_start = i + 1;
		f->as = INF_AS_GAP;
		break;
	}
	*ip = i + 1;
	return 1;
}

/* Nesting the element's first value may have for unclosed_in_doubt to
 * tell it whole: past it, no missing comma is named. */
#define DOUBT_DEPTH 1024

/* At the end of an array whose last element never closed, the error the
 * chain would name had the element closed: a whole first value followed
 * by more (two elements with no ',' between them), or a bracket of the
 * wrong kind or a stray quote (inf_json_cut_doubt) that kept the count
 * from closing; else 0, and the array is the one truncated. Reads the
 * element again, on this failure path only. */
static int unclosed_in_doubt(struct inf_framer *f)
{
	struct inf_buf scratch = { 0 };
	struct inf_tokens t = { 0 };
	struct inf_json_err je;
	const char *e = f->in.data + f->elem_start;
	size_t at = 0, n = f->in.len - f->elem_start;
	int rc = inf_json_parse(&t, e, n, DOUBT_DEPTH, &je), comma = 0;

	if (rc == INF_ERR_INVALID && je.offset > 0) {
		at = f->elem_start + je.offset;
		rc = inf_json_parse(&t, e, je.offset, DOUBT_DEPTH, &je);
		comma = rc == 0;
	}
	inf_tokens_free(&t);
	if (rc == INF_ERR_NOMEM)
		return nomem(f);
	if (comma) {
		f->failed = 1;
		return inf_error_set(f->err, INF_FAIL_INPUT,
				     "missing ',' between array elements at line %llu, byte %llu",
				     (unsigned long long)line_at(f, at),
				     (unsigned long long)(f->base + at));
	}
	rc = inf_json_cut_doubt(e, n, &scratch, &at);
	inf_buf_free(&scratch);
	if (rc == INF_ERR_NOMEM)
		return nomem(f);
	if (rc != 1)
		return 0;
	f->failed = 1;
	return inf_error_set(f->err, INF_FAIL_INPUT,
			     "%s '%c' at line %llu, byte %llu in an array element: "
			     "where the elements end is unknown",
			     e[at] == '"' ? "stray" : "mismatched", e[at],
			     (unsigned long long)line_at(f, f->elem_start + at),
			     (unsigned long long)(f->base + f->elem_start + at));
}

static int array_run(struct inf_framer *f)
{
	size_t i = f->scan;

	while (i < f->in.len) {
		int rc = array_step(f, &i);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	f->scan = i;
	/* whitespace before '[' and after ']' is copied as it comes */
	if ((f->as == INF_AS_AFTER || f->as == INF_AS_OPEN) && pass_through(f, i))
		return -1;
	if (f->finishing && f->as == INF_AS_ELEM && unclosed_in_doubt(f))
		return -1;
	if (f->finishing && f->as != INF_AS_AFTER)
		return fail(f, INF_FAIL_INPUT,
			    f->as == INF_AS_OPEN ? "empty object: expected a JSON array"
					    : "truncated array: missing ']'",
			    f->in.len);
	if (f->batch) /* the caller's bytes: counted in inf_framer_batch */
		return 0;
	consume(f, f->gap_start);
	return 0;
}

/* ---- document ---- */

static int document_run(struct inf_framer *f)
{
	if (f->ws_over || f->in.len > f->max_record)
		return fail(f, INF_FAIL_TOO_LARGE,
			    "document larger than max_record_bytes", 0);
	if (!f->finishing)
		return 0;
	if (inf_json_is_ws(f->in.data, f->in.len))
		return fail(f, INF_FAIL_INPUT, "empty object: expected a JSON document",
			    f->in.len);
	if (run_record(f, 0, f->in.len) < 0)
		return -1;
	consume(f, f->in.len);
	return 0;
}

/* ---- detection and driver ---- */

/* auto: the first `upto` bytes of `in` are whitespace. Once there is
 * more leading whitespace than max_record it is written out rather than
 * held: every framing it can still turn out to be copies it as it is
 * (ndjson its blank lines, array what comes before '['), and none could
 * take it as a document within the limit, which ws_over remembers.
 * Complete lines are written; the line still open is held. A line longer
 * than max_record, which ndjson would refuse, leaves only an array
 * possible (ws_line_over): from then on all of it is written. */
static int shed_leading_ws(struct inf_framer *f, size_t upto)
{
	size_t cut;
	const char *nl;

	if (f->shed + upto <= f->max_record)
		return 0;
	if (!f->ws_over) { /* lines are followed from here on */
		f->ws_over = 1;
		f->ws_ls = f->ws_scan = 0;
	}
	/* each byte searched once: ws_scan is where the search stopped */
	while (!f->ws_line_over &&
	       (nl = memchr(f->in.data + f->ws_scan, '\n', upto - f->ws_scan))) {
		size_t end = (size_t)(nl - f->in.data);
		if (line_bytes(f, f->ws_ls, end) > f->max_record)
			break; /* seen below too, upto being past its end */
		f->ws_ls = f->ws_scan = end + 1;
	}
	f->ws_scan = upto;
	if (!f->ws_line_over && line_bytes(f, f->ws_ls, upto) > f->max_record) {
		f->ws_line_over = 1; /* where ndjson_run would say it is */
		f->over_line = line_at(f, f->ws_ls);
		f->over_at = f->base + f->ws_ls;
	}
	cut = f->ws_line_over ? upto : f->ws_ls;
	if (emit(f, f->in.data, cut))
		return -1;
	f->shed += cut;
	consume(f, cut);
	return 0;
}

static int detect(struct inf_framer *f)
{
	size_t i = 0, nl;
	int rc;

	i = f->detect_ws; /* each byte looked at once, however it arrives */
	while (i < f->in.len && inf_json_ws(f->in.data[i]))
		i++;
	f->detect_ws = i;
	if (shed_leading_ws(f, i))
		return -1;
	i = f->detect_ws; /* less what was written out */
	if (i == f->in.len && !f->finishing)
		return 0;
	if (i < f->in.len && f->in.data[i] == '[') {
		f->fmt = INF_FMT_ARRAY;
		return 0;
	}
	if (f->ws_line_over) { /* as ndjson_run (and document_run) would */
		f->failed = 1;
		return inf_error_set(f->err, INF_FAIL_TOO_LARGE,
				     "record larger than max_record_bytes (%zu) at line %llu, byte %llu",
				     f->max_record,
				     (unsigned long long)f->over_line,
				     (unsigned long long)f->over_at);
	}
	if (i == f->in.len) {
		f->fmt = INF_FMT_NDJSON; /* only whitespace: no records */
		return 0;
	}
	{
		size_t from = i > f->detect_at ? i : f->detect_at;
		const char *p = memchr(f->in.data + from, '\n', f->in.len - from);
		f->detect_at = f->in.len;
		if (!p && !f->finishing) {
			/* as ndjson_run measures it: blank lines before the
			 * first record do not count */
			const char *prev = i ? memrchr(f->in.data, '\n', i) : NULL;
			size_t ls = prev ? (size_t)(prev - f->in.data) + 1 : 0;
			if (line_bytes(f, ls, f->in.len) > f->max_record)
				return fail(f, INF_FAIL_TOO_LARGE,
					    "record larger than max_record_bytes", ls);
			return 0;
		}
		nl = p ? (size_t)(p - f->in.data) : f->in.len;
	}
	rc = inf_json_is_value(f->in.data + i, nl - i, 1u << 20);
	if (rc == INF_ERR_NOMEM)
		return nomem(f);
	f->fmt = rc ? INF_FMT_NDJSON : INF_FMT_DOCUMENT;
	return 0;
}

static int run(struct inf_framer *f)
{
	if (!f->bom_done) {
		static const char bom[3] = { '\xEF', '\xBB', '\xBF' };
		size_t n = f->in.len < 3 ? f->in.len : 3;
		if (n && memcmp(f->in.data, bom, n)) /* data is NULL while empty */
			f->bom_done = 1;
		else if (n == 3) {
			consume(f, 3);
			f->bom_done = 1;
		} else if (f->finishing) {
			f->bom_done = 1;
		} else {
			return 0;
		}
	}
	if (f->fmt == INF_FMT_AUTO && detect(f))
		return -1;
	switch (f->fmt) {
	case INF_FMT_NDJSON: return ndjson_run(f);
	case INF_FMT_ARRAY: return array_run(f);
	case INF_FMT_DOCUMENT: return document_run(f);
	default: return 0;
	}
}

char *inf_framer_space(struct inf_framer *f, size_t want, size_t *room)
{
	if (f->failed)
		return NULL;
	if (inf_buf_reserve(&f->in, (want ? want : 1) + INF_BUF_PHASE))
		return nomem(f), NULL;
	inf_buf_phase(&f->in, f->base); /* reads land in phase with the file */
	*room = f->in.cap - f->in.len;
	return f->in.data + f->in.len;
}

int inf_framer_commit(struct inf_framer *f, size_t n)
{
	if (f->failed)
		return -1;
	f->in.len += n;
	if (run(f))
		return -1;
	return flush(f, 0);
}

int inf_framer_write(struct inf_framer *f, const char *data, size_t len)
{
	size_t room;
	char *p = inf_framer_space(f, len, &room);

	if (!p)
		return -1;
	if (len)
		memcpy(p, data, len);
	return inf_framer_commit(f, len);
}

int inf_framer_batch(struct inf_framer *f, const char *data, size_t len,
		     const struct inf_batch_at *at, int final, struct inf_buf *out,
		     struct inf_batch_result *res)
{
	struct inf_buf own_in = f->in, own_out = f->out;
	int rc;

	f->failed = 0; /* batches are independent: one may be run again */
	f->base = at->offset;
	f->base_line = f->memo_line = at->line;
	f->memo_at = 0;
	f->recno = at->recno;
	f->bom_done = 1;
	f->finishing = final;
	if (f->in.len)
		return fail(f, INF_FAIL_INPUT, "batch after unfinished input", 0);
	/* refused before it runs: consume() would move the cut line to the
	 * front of the caller's const bytes */
	if (f->fmt == INF_FMT_NDJSON && !final && len && data[len - 1] != '\n')
		return fail(f, INF_FAIL_INPUT, "batch does not end at a line end", 0);
	/* arrays: the state the cut left (see inf_array_cut) */
	f->as = at->start == INF_BATCH_AFTER_ELEMENT ? INF_AS_SEP
		: at->start == INF_BATCH_AFTER_ARRAY ? INF_AS_AFTER : INF_AS_OPEN;
	f->gap_start = f->span_start = f->elem_start = 0;
	f->es = (struct inf_escan){ 0, 0, 0 };
	f->kept_any = f->sep_pending = at->start == INF_BATCH_AFTER_ELEMENT;
	f->drop_from = f->drop_to = 0;
	f->ends = at->ends;
	f->nends = at->nends;
	/* the batch is read in place and written straight into `out`:
	 * nothing appends to `in` while it runs, and complete lines (with
	 * the last one, when final) leave nothing to move */
	f->in = (struct inf_buf){ (char *)data, len, len, 0 };
	f->scan = 0;
	f->out = *out;
	f->batch = 1;
	rc = run(f);
	/* an array batch that is not the last must end where the next one
	 * starts: after the comma that follows an element, after ']', or
	 * before '[' */
	if (rc == 0 && f->fmt == INF_FMT_ARRAY && !final &&
	    !(f->as == INF_AS_GAP && f->span_start == len) && f->as != INF_AS_AFTER && f->as != INF_AS_OPEN)
		rc = fail(f, INF_FAIL_INPUT, "array batch cut inside an element", len);
	if (rc == 0) { /* ndjson: run consumed it all; arrays: up to the
			* last element's end, where the next batch starts */
		res->lines = (f->fmt == INF_FMT_ARRAY ? line_at(f, f->gap_start)
						      : f->base_line) - at->line;
		res->records = f->recno - at->recno;
		res->drop_from = f->drop_from;
		res->drop_to = f->drop_to;
		res->kept = at->start == INF_BATCH_AFTER_ELEMENT ? !f->sep_pending
			: at->start == INF_BATCH_OBJECT_START && f->kept_any;
	}
	*out = f->out;
	f->out = own_out;
	f->batch = 0;
	f->nends = 0;
	f->in = own_in;
	f->in.len = 0;
	f->scan = 0;
	return rc ? -1 : 0;
}

int inf_format_sniff(const char *d, size_t len, int final, struct inf_sniff *st,
		     enum inf_format *fmt)
{
	size_t i = 0, from, nl;
	const char *p;
	int rc;

	if (len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3))
		i = 3;
	if (i < st->ws)
		i = st->ws;
	while (i < len && inf_json_ws(d[i]))
		i++;
	st->ws = i;
	if (i == len) {
		*fmt = INF_FMT_NDJSON;
		return final;
	}
	if (d[i] == '[') {
		*fmt = INF_FMT_ARRAY;
		return 1;
	}
	from = i > st->scanned ? i : st->scanned;
	p = memchr(d + from, '\n', len - from);
	st->scanned = len;
	if (!p && !final)
		return 0;
	nl = p ? (size_t)(p - d) : len;
	rc = inf_json_is_value(d + i, nl - i, 1u << 20);
	if (rc == INF_ERR_NOMEM)
		return -1;
	*fmt = rc ? INF_FMT_NDJSON : INF_FMT_DOCUMENT;
	return 1;
}

int inf_framer_finish(struct inf_framer *f)
{
	if (f->failed)
		return -1;
	f->finishing = 1;
	if (run(f))
		return -1;
	return flush(f, 1);
}
