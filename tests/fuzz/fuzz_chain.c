/*
 * Fuzz target: record framing and the whole chain on arbitrary bytes.
 *
 * Input: byte 0 picks the framing (auto, ndjson, array, document), byte 1
 * the access point's variant (bit 0: on_error = drop_record instead of
 * fail; bit 1: tight limits, max_depth 4 and max_record_bytes 64 instead
 * of max_depth 16; bit 2: the drop done by two steps instead of one;
 * bit 3: by one step over the plain keys `price` and `discount`, which
 * the core makes while it reads each record, and no `password` rule),
 * byte 2 the size of the chunks the object is also written in (1..64);
 * the rest is the object. The access points (fuzz_chain.cfg) drop
 * `price` and `discount` from each record's root object and `password`
 * at any depth (the fused ones of bit 3: no `password`).
 *
 * Invariants, each checked with the independent reader of fuzzutil.h:
 *  - success: the output is JSON in the framing used (each NDJSON line, the
 *    array, the document), the core's own parser agrees, no dropped key is
 *    left, the output is the input with bytes deleted (never a byte that
 *    was not in the input), and the counters add up;
 *  - failure: an error is set and, the object being under the 256 KiB
 *    flush size, the sink received nothing; after a failure every call
 *    fails again;
 *  - the framing auto picks is the one the README describes;
 *  - the output is predicted: which records parse (within max_depth and
 *    max_record_bytes), hence whether the object fails (on_error = fail)
 *    and which records are left out (drop_record), and each output
 *    record's tokens are the input record's less the dropped members; a
 *    failure under on_error = fail names the first bad NDJSON record and
 *    its line;
 *  - writing the object in small chunks gives the same result, byte for
 *    byte, error message included (but for the wording of a record over
 *    max_record_bytes), and so do naming the framing auto detected
 *    instead of auto (but for a document that does not load under
 *    drop_record: auto cannot tell the framing and fails, `document`
 *    drops it), and running sequentially instead of on 3 workers
 *    (INFLIGHT_THREADS, unless set).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "fuzzutil.h"
#include "fzrun.h"
#include "json.h"
#include "policy.h"

#define SMALL_OBJECT (256u * 1024u) /* below the framer's flush size */
#define DETECT_DEPTH 2000u          /* deeper first lines: no prediction */

static const char *const fmt_names[] = { "auto", "ndjson", "array", "document" };

static struct inf_policy *pol;
static const struct inf_access_point *aps[4][16];

struct variant {
	int fmt; /* enum inf_format */
	int drop, tight, two, bits;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct inf_policy_errors errs = { 0 };
	char path[4096], name[64];

	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "%s/fuzz_chain.cfg", fz_src_dir());
	/* parallel NDJSON whatever the machine: instances for 3 workers */
	setenv("INFLIGHT_THREADS", "3", 0);
	fz_pin_plugins();
	if (inf_policy_load(path, fz_plugin_dir(), &pol, &errs)) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		fprintf(stderr, "fuzz_chain: cannot load %s with plugins from %s\n", path,
			fz_plugin_dir());
		exit(1);
	}
	for (int f = 0; f < 4; f++)
		for (int b = 0; b < 16; b++) {
			snprintf(name, sizeof name, "%s-%s-%s-%s", fmt_names[f],
				 b & 1 ? "drop" : "fail", b & 2 ? "tight" : "normal",
				 b & 8 ? "fused" : b & 4 ? "two" : "one");
			if (!(aps[f][b] = inf_policy_find(pol, name)))
				fz_fail("%s has no access point %s", path, name);
			if (!aps[f][b]->drop_top.match != !(b & 8))
				fz_fail("%s: %s is%s made by the core as it reads", path, name,
					b & 8 ? " not" : "");
		}
	return 0;
}

/* The object without a leading UTF-8 byte-order mark. */
static const char *skip_bom(const char *in, size_t n, size_t *dn)
{
	if (n >= 3 && !memcmp(in, "\xEF\xBB\xBF", 3)) {
		*dn = n - 3;
		return in + 3;
	}
	*dn = n;
	return in;
}

/* ---- what holds of any successful output ---- */

static void check_out_record(const char *what, const char *s, size_t n, unsigned max_depth)
{
	struct fz_buf c = { 0 };
	struct inf_tokens toks = { 0 };
	struct inf_json_err je;
	int seen = 0;

	if (fz_canon_record(s, n, max_depth, 0, &c, &seen))
		fz_fail("%s: an output record is not JSON within max_depth %u: [%.*s]", what,
			max_depth, (int)n, s);
	if (seen)
		fz_fail("%s: an output record keeps a key the chain drops: [%.*s]", what, (int)n, s);
	if (inf_json_parse(&toks, s, n, max_depth, &je))
		fz_fail("%s: the core rejects its own output record [%.*s]: %s", what, (int)n, s,
			je.msg);
	inf_tokens_free(&toks);
	fz_buf_free(&c);
}

/* Splits NDJSON output into lines, checks each record line, returns how
 * many records there are. */
static uint64_t check_out_ndjson(const char *what, const struct fz_buf *o, unsigned max_depth)
{
	uint64_t recs = 0;
	size_t ls = 0;

	while (ls < o->len) {
		const char *nl = memchr(o->p + ls, '\n', o->len - ls);
		size_t end = nl ? (size_t)(nl - o->p) : o->len, le = end;
		if (nl && le > ls && o->p[le - 1] == '\r')
			le--;
		if (!fz_all_ws(o->p + ls, le - ls)) {
			check_out_record(what, o->p + ls, le - ls, max_depth);
			recs++;
		}
		ls = end + (nl != NULL);
	}
	return recs;
}

static uint64_t check_out_array(const char *what, const struct fz_buf *o, unsigned max_depth)
{
	struct fz_json j;
	struct inf_tokens toks = { 0 };
	struct inf_json_err je;
	uint64_t n;

	fz_json_init(&j, o->p, o->len, max_depth);
	if (fz_framed_array(&j))
		fz_fail("%s: the output is not a JSON array of records within max_depth: [%.*s]",
			what, (int)o->len, o->p);
	if (j.drop_seen)
		fz_fail("%s: the output keeps a key the chain drops: [%.*s]", what, (int)o->len,
			o->p);
	n = j.nelem;
	fz_json_free(&j);
	if (inf_json_parse(&toks, o->p, o->len, max_depth + 1, &je))
		fz_fail("%s: the core rejects its own output array: %s", what, je.msg);
	inf_tokens_free(&toks);
	return n;
}

static void check_generic(const char *what, const struct variant *v,
			  const struct inf_access_point *ap, const struct fz_run *r, const char *in,
			  size_t n)
{
	const struct inf_stats *st = &r->st;
	size_t dn;
	const char *d = skip_bom(in, n, &dn);
	uint64_t recs = 0;

	FZ_CHECK(!r->after_fail_ok, "%s: a call after a failure succeeded", what);
	if (!r->ok) {
		FZ_CHECK(r->err.kind != INF_FAIL_NONE && r->err.msg[0],
			 "%s: failed without an error kind and message", what);
		if (n < SMALL_OBJECT)
			FZ_CHECK(r->out.len == 0 && r->sink_calls == 0,
				 "%s: a failed small object wrote %zu bytes to the sink: [%.*s] (%s)",
				 what, r->out.len, (int)r->out.len, r->out.p, r->err.msg);
		return;
	}
	FZ_CHECK(r->err.kind == INF_FAIL_NONE, "%s: succeeded with an error set: %s", what,
		 r->err.msg);
	FZ_CHECK(r->fmt != INF_FMT_AUTO, "%s: succeeded without picking a framing", what);
	FZ_CHECK(v->fmt == INF_FMT_AUTO || (int)r->fmt == v->fmt,
		 "%s: framing %s used instead of %s", what, inf_format_name(r->fmt),
		 fmt_names[v->fmt]);
	FZ_CHECK(st->bytes_in == n && st->bytes_out == r->out.len,
		 "%s: byte counters %llu in, %llu out; really %zu in, %zu out", what,
		 (unsigned long long)st->bytes_in, (unsigned long long)st->bytes_out, n,
		 r->out.len);
	FZ_CHECK(st->records_in == st->records_out + st->records_dropped + st->records_failed,
		 "%s: records in %llu != out %llu + dropped %llu + failed %llu", what,
		 (unsigned long long)st->records_in, (unsigned long long)st->records_out,
		 (unsigned long long)st->records_dropped, (unsigned long long)st->records_failed);
	FZ_CHECK(st->records_dropped == 0, "%s: drop_fields dropped a whole record", what);
	FZ_CHECK(v->drop || st->records_failed == 0,
		 "%s: on_error = fail skipped %llu records", what,
		 (unsigned long long)st->records_failed);
	FZ_CHECK(fz_subsequence(r->out.p, r->out.len, d, dn),
		 "%s: the output holds bytes that are not in the input: [%.*s]", what,
		 (int)r->out.len, r->out.p);
	switch (r->fmt) {
	case INF_FMT_NDJSON:
		recs = check_out_ndjson(what, &r->out, ap->max_depth);
		break;
	case INF_FMT_ARRAY:
		recs = check_out_array(what, &r->out, ap->max_depth);
		break;
	case INF_FMT_DOCUMENT:
		if (st->records_out == 0) {
			FZ_CHECK(r->out.len == 0 && st->records_failed == 1,
				 "%s: a document with no record out wrote [%.*s]", what,
				 (int)r->out.len, r->out.p);
			break;
		}
		check_out_record(what, r->out.p, r->out.len, ap->max_depth);
		recs = 1;
		break;
	default:
		break;
	}
	FZ_CHECK(recs == st->records_out, "%s: %llu records in the output, counted %llu", what,
		 (unsigned long long)recs, (unsigned long long)st->records_out);
}

/* ---- the prediction ---- */

/* The framing auto picks (README: '[' first means array; otherwise ndjson
 * when the first line is a complete JSON value, else document), or -1 when
 * the first line is too deep to tell here. */
static int detect(const char *d, size_t dn)
{
	size_t i = 0, nl;
	const char *p;

	while (i < dn && fz_is_ws((unsigned char)d[i]))
		i++;
	if (i == dn)
		return INF_FMT_NDJSON;
	if (d[i] == '[')
		return INF_FMT_ARRAY;
	p = memchr(d + i, '\n', dn - i);
	nl = p ? (size_t)(p - d) : dn;
	switch (fz_valid_record(d + i, nl - i, DETECT_DEPTH)) {
	case 1: return INF_FMT_NDJSON;
	case 0: return INF_FMT_DOCUMENT;
	default: return -1;
	}
}

/* The record [s, s+n) of the input against output record [o, o+on): the
 * same tokens less the dropped members, and only deletions. */
static void compare_record(const char *what, const char *s, size_t n, const char *o, size_t on,
			   unsigned max_depth)
{
	struct fz_buf want = { 0 }, got = { 0 };

	if (fz_canon_record(s, n, max_depth, 1, &want, NULL))
		fz_fail("%s: input record went bad", what);
	if (fz_canon_record(o, on, max_depth, 0, &got, NULL))
		fz_fail("%s: output record [%.*s] is not JSON", what, (int)on, o);
	FZ_CHECK(fz_buf_eq(&want, &got),
		 "%s: record [%.*s] became [%.*s]; its tokens less the drops are [%s], got [%s]",
		 what, (int)n, s, (int)on, o, want.p, got.p);
	FZ_CHECK(fz_subsequence(o, on, s, n), "%s: record [%.*s] became [%.*s], not a deletion",
		 what, (int)n, s, (int)on, o);
	fz_buf_free(&want);
	fz_buf_free(&got);
}

/* Whether the record [s, s+n) comes out: it is JSON within max_depth and,
 * for the fused access points (plain keys only), its root is not an array,
 * which drop_fields refuses (no path reaches into it). */
static int record_ok(const struct variant *v, const char *s, size_t n, unsigned max_depth)
{
	size_t a = 0;

	if (fz_valid_record(s, n, max_depth) != 1)
		return 0;
	while (a < n && fz_is_ws((unsigned char)s[a]))
		a++;
	return !(v->bits & 8) || s[a] != '[';
}

static void model_ndjson(const char *what, const struct variant *v,
			 const struct inf_access_point *ap, const struct fz_run *r, const char *d,
			 size_t dn)
{
	uint64_t recno = 0, line = 1, bad_rec = 0, bad_line = 0, valid = 0, invalid = 0;
	uint64_t open_rec = 0, open_line = 0;
	int oversized = 0, want_ok;
	size_t ls = 0, op = 0;

	/* which lines are records, which parse, which are too long */
	while (ls < dn) {
		const char *nl = memchr(d + ls, '\n', dn - ls);
		size_t end = nl ? (size_t)(nl - d) : dn, le = end;
		size_t bytes = end - ls - (end > ls && d[end - 1] == '\r');
		if (bytes > ap->max_record)
			oversized = 1;
		if (nl && le > ls && d[le - 1] == '\r')
			le--;
		if (!fz_all_ws(d + ls, le - ls)) {
			recno++;
			if (record_ok(v, d + ls, le - ls, ap->max_depth)) {
				valid++;
			} else {
				if (invalid++ == 0) {
					bad_rec = recno;
					bad_line = line;
				}
				/* a bad array root under bits 8 is a step's failure,
				 * complete, so never open */
				if (!open_rec && fz_left_open(d + ls, le - ls)) {
					open_rec = recno;
					open_line = line;
				}
			}
		}
		line++;
		ls = end + (nl != NULL);
	}
	want_ok = !oversized && (v->drop ? !open_rec : !invalid);
	FZ_CHECK(r->ok == want_ok,
		 "%s: ndjson: %s, expected %s (%llu records, %llu bad, first bad record %llu at "
		 "line %llu, a line over max_record_bytes: %d): %s",
		 what, r->ok ? "succeeded" : "failed", want_ok ? "success" : "failure",
		 (unsigned long long)recno, (unsigned long long)invalid,
		 (unsigned long long)bad_rec, (unsigned long long)bad_line, oversized, r->err.msg);
	if (!r->ok) {
		char want[96];
		if (oversized)
			return;
		if (v->drop)
			snprintf(want, sizeof want, "record %llu (line %llu) leaves an object or "
				 "array open", (unsigned long long)open_rec,
				 (unsigned long long)open_line);
		else
			snprintf(want, sizeof want, "record %llu (line %llu): ",
				 (unsigned long long)bad_rec, (unsigned long long)bad_line);
		FZ_CHECK(!strncmp(r->err.msg, want, strlen(want)),
			 "%s: ndjson: the error should start with [%s]: [%s]", what, want,
			 r->err.msg);
		return;
	}
	FZ_CHECK(r->st.records_out == valid && r->st.records_failed == invalid,
		 "%s: ndjson: %llu out and %llu failed, expected %llu and %llu", what,
		 (unsigned long long)r->st.records_out, (unsigned long long)r->st.records_failed,
		 (unsigned long long)valid, (unsigned long long)invalid);
	/* line by line: blank lines as they were, records less the drops with
	 * their line endings, bad records gone with theirs */
	for (ls = 0; ls < dn;) {
		const char *nl = memchr(d + ls, '\n', dn - ls);
		size_t end = nl ? (size_t)(nl - d) : dn, le = end, next = end + (nl != NULL);
		int cr = nl && end > ls && d[end - 1] == '\r';
		le -= (size_t)cr;
		if (fz_all_ws(d + ls, le - ls)) {
			FZ_CHECK(r->out.len - op >= next - ls && !memcmp(r->out.p + op, d + ls, next - ls),
				 "%s: ndjson: blank line at byte %zu not copied", what, ls);
			op += next - ls;
		} else if (record_ok(v, d + ls, le - ls, ap->max_depth)) {
			const char *onl = memchr(r->out.p + op, '\n', r->out.len - op);
			size_t oend = nl ? (onl ? (size_t)(onl - r->out.p) : r->out.len) : r->out.len;
			FZ_CHECK(!nl || onl, "%s: ndjson: the record at byte %zu lost its newline",
				 what, ls);
			if (cr) {
				FZ_CHECK(oend > op && r->out.p[oend - 1] == '\r',
					 "%s: ndjson: the record at byte %zu lost its CR", what, ls);
				compare_record(what, d + ls, le - ls, r->out.p + op, oend - 1 - op,
					       ap->max_depth);
			} else {
				compare_record(what, d + ls, le - ls, r->out.p + op, oend - op,
					       ap->max_depth);
			}
			op = oend + (nl != NULL);
		}
		ls = next;
	}
	FZ_CHECK(op == r->out.len, "%s: ndjson: output goes on after the last line: [%.*s]", what,
		 (int)(r->out.len - op), r->out.p + op);
}

static void model_array(const char *what, const struct variant *v,
			const struct inf_access_point *ap, const struct fz_run *r, const char *d,
			size_t dn)
{
	struct fz_buf want = { 0 }, got = { 0 };
	struct fz_json j;
	int oversized = 0;
	size_t open_at = 0; /* the '[' (whitespace before it is not counted) */

	while (open_at < dn && fz_is_ws((unsigned char)d[open_at]))
		open_at++;
	fz_json_init(&j, d, dn, ap->max_depth);
	j.out = &want;
	j.drop = 1;
	if (fz_framed_array(&j)) {
		FZ_CHECK(v->drop || !r->ok,
			 "%s: array: not an array of records within max_depth, yet on_error = "
			 "fail succeeded",
			 what);
		goto out;
	}
	/* README: an element counts with the whitespace around it, from
	 * after the '[' or ',' before it to the ',' or ']' after it; so does
	 * the whitespace of an empty array */
	for (size_t k = 0, from = open_at + 1; k < j.nelem; from = j.elem_delim[k++] + 1)
		if (j.elem_delim[k] - from > ap->max_record)
			oversized = 1;
	if (j.nelem == 0) {
		size_t close = open_at + 1;
		while (fz_is_ws((unsigned char)d[close]))
			close++;
		if (close - (open_at + 1) > ap->max_record)
			oversized = 1;
	}
	/* an element that is an array fails a fused access point's step:
	 * what that does to the object is model_ndjson's reasoning, not
	 * repeated here (check_generic and the variants still hold) */
	for (size_t k = 0, from = open_at + 1; (v->bits & 8) && k < j.nelem;
	     from = j.elem_delim[k++] + 1) {
		while (fz_is_ws((unsigned char)d[from]))
			from++;
		if (d[from] == '[')
			goto out;
	}
	FZ_CHECK(r->ok == !oversized, "%s: array: %s, expected %s: %s", what,
		 r->ok ? "succeeded" : "failed", oversized ? "failure" : "success", r->err.msg);
	if (!r->ok)
		goto out;
	FZ_CHECK(r->st.records_out == j.nelem && r->st.records_failed == 0,
		 "%s: array: %llu records out, %llu failed; the array has %zu", what,
		 (unsigned long long)r->st.records_out, (unsigned long long)r->st.records_failed,
		 j.nelem);
	fz_json_free(&j);
	fz_json_init(&j, r->out.p, r->out.len, ap->max_depth);
	j.out = &got;
	if (fz_framed_array(&j))
		fz_fail("%s: array: output went bad", what);
	FZ_CHECK(fz_buf_eq(&want, &got), "%s: array: tokens less the drops are [%s], got [%s]",
		 what, want.p, got.p);
out:
	fz_json_free(&j);
	fz_buf_free(&want);
	fz_buf_free(&got);
}

static void model_document(const char *what, const struct variant *v,
			   const struct inf_access_point *ap, const struct fz_run *r, const char *d,
			   size_t dn)
{
	int valid;

	if (fz_all_ws(d, dn) || dn > ap->max_record) {
		FZ_CHECK(!r->ok, "%s: document: empty or over max_record_bytes, yet succeeded",
			 what);
		return;
	}
	valid = record_ok(v, d, dn, ap->max_depth);
	if (!valid && fz_valid_record(d, dn, ap->max_depth) == 1) {
		/* a fused access point's step refuses an array */
		FZ_CHECK(v->drop ? r->ok && r->out.len == 0 && r->st.records_failed == 1
				 : !r->ok && strstr(r->err.msg, "is an array") != NULL,
			 "%s: document: an array under plain keys: %s", what,
			 r->ok ? "succeeded" : r->err.msg);
		return;
	}
	if (!valid && !v->drop) {
		FZ_CHECK(!r->ok, "%s: document: not JSON within max_depth, yet succeeded", what);
		return;
	}
	if (!valid && v->fmt == INF_FMT_AUTO) {
		/* README: under auto a document that does not load leaves the
		 * framing unknown, and the object fails whatever on_error says */
		FZ_CHECK(!r->ok && !strncmp(r->err.msg, "cannot tell the framing", 23),
			 "%s: auto: neither the first line nor the whole object loads, yet "
			 "%s: %s",
			 what, r->ok ? "succeeded" : "failed otherwise", r->err.msg);
		return;
	}
	FZ_CHECK(r->ok, "%s: document: failed: %s", what, r->err.msg);
	if (!valid) {
		FZ_CHECK(r->out.len == 0 && r->st.records_failed == 1,
			 "%s: document: a bad document under drop_record wrote [%.*s]", what,
			 (int)r->out.len, r->out.p);
		return;
	}
	FZ_CHECK(r->st.records_out == 1, "%s: document: %llu records out", what,
		 (unsigned long long)r->st.records_out);
	compare_record(what, d, dn, r->out.p, r->out.len, ap->max_depth);
}

static void check_model(const char *what, const struct variant *v,
			const struct inf_access_point *ap, const struct fz_run *r, const char *in,
			size_t n)
{
	size_t dn;
	const char *d = skip_bom(in, n, &dn);
	int fmt = v->fmt;

	if (fmt == INF_FMT_AUTO) {
		if ((fmt = detect(d, dn)) < 0)
			return;
		FZ_CHECK(r->fmt == INF_FMT_AUTO || (int)r->fmt == fmt,
			 "%s: auto picked %s, the README says %s", what, inf_format_name(r->fmt),
			 fmt_names[fmt]);
	}
	switch (fmt) {
	case INF_FMT_NDJSON: model_ndjson(what, v, ap, r, d, dn); break;
	case INF_FMT_ARRAY: model_array(what, v, ap, r, d, dn); break;
	case INF_FMT_DOCUMENT: model_document(what, v, ap, r, d, dn); break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct variant v;
	const struct inf_access_point *ap;
	const char *in = (const char *)data + 3;
	size_t n, chunk;
	struct fz_run whole, parts;
	char what[96];

	if (size < 3)
		return 0;
	v.fmt = data[0] & 3;
	v.bits = data[1] & 15;
	v.drop = v.bits & 1;
	v.tight = (v.bits >> 1) & 1;
	v.two = (v.bits >> 2) & 1;
	chunk = 1 + data[2] % 64u;
	n = size - 3;
	ap = aps[v.fmt][v.bits];
	fz_drop_password = !(v.bits & 8);
	snprintf(what, sizeof what, "%s", ap->name);

	fz_run(ap, in, n, n ? n : 1, &whole);
	check_generic(what, &v, ap, &whole, in, n);
	check_model(what, &v, ap, &whole, in, n);

	fz_check_variants(ap, in, n, chunk, &whole);
	if (v.fmt == INF_FMT_AUTO && whole.fmt != INF_FMT_AUTO) {
		struct variant e = v;
		e.fmt = whole.fmt;
		snprintf(what, sizeof what, "%s vs %s", ap->name, aps[e.fmt][v.bits]->name);
		fz_run(aps[e.fmt][v.bits], in, n, n ? n : 1, &parts);
		if (!whole.ok && !strncmp(whole.err.msg, "cannot tell the framing", 23))
			/* the one difference: `document` under drop_record drops
			 * the document that does not load */
			FZ_CHECK(e.fmt == INF_FMT_DOCUMENT && v.drop && parts.ok &&
					 parts.out.len == 0 && parts.st.records_failed == 1,
				 "%s: auto could not tell the framing, %s did not drop the "
				 "document: %s",
				 what, fmt_names[e.fmt], parts.err.msg);
		else
			fz_check_same(what, &whole, &parts);
		fz_run_free(&parts);
	}
	fz_run_free(&whole);
	return 0;
}
