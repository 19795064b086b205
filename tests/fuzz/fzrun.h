/*
 * Shared by the fuzz targets that drive whole transforms (fuzz_chain,
 * fuzz_steps): one run of an access point over an object, written in
 * chunks of a given size, with everything the sink got and the counters,
 * and the check that two runs of the same object agree.
 */
#ifndef FZ_RUN_H
#define FZ_RUN_H

#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "fuzzutil.h"

struct fz_run {
	int ok;
	int after_fail_ok; /* a call after the failure succeeded */
	struct fz_buf out;
	size_t sink_calls;
	struct inf_error err;
	struct inf_stats st;
	enum inf_format fmt;
};

static int fz_run_sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	struct fz_run *r = ctx;

	(void)err;
	r->sink_calls++;
	fz_put(&r->out, data, len);
	return 0;
}

/* Transforms [d, d+n) with `ap`, written `chunk` (> 0) bytes at a time,
 * into *r (overwritten; free it with fz_run_free). After a failure it
 * also tries a write and a finish, which must fail again. */
static inline void fz_run(const struct inf_access_point *ap, const char *d, size_t n,
			  size_t chunk, struct fz_run *r)
{
	struct inf_transform *t;
	int rc = 0;

	memset(r, 0, sizeof *r);
	fz_put(&r->out, "", 0);
	if (!(t = inf_transform_new(ap, NULL, fz_run_sink, r, &r->err)))
		fz_fail("inf_transform_new: out of memory");
	for (size_t at = 0; at < n && rc == 0; at += chunk)
		rc = inf_transform_write(t, d + at, n - at < chunk ? n - at : chunk);
	if (rc == 0)
		rc = inf_transform_finish(t);
	else if (inf_transform_finish(t) == 0)
		r->after_fail_ok = 1;
	if (rc && (inf_transform_write(t, "{}\n", 3) == 0 || inf_transform_finish(t) == 0))
		r->after_fail_ok = 1;
	r->ok = rc == 0;
	r->st = inf_transform_stats(t);
	r->fmt = inf_transform_format(t);
	inf_transform_free(t);
}

static inline void fz_run_free(struct fz_run *r)
{
	fz_buf_free(&r->out);
}

/* Two runs of the same object must agree in everything: success, bytes,
 * error (kind, and message but for a record over max_record_bytes, which
 * auto may report while detecting or after), counters and framing. */
static inline void fz_check_same(const char *what, const struct fz_run *a, const struct fz_run *b)
{
	FZ_CHECK(a->ok == b->ok, "%s: one run %s, the other %s (%s | %s)", what,
		 a->ok ? "succeeded" : "failed", b->ok ? "succeeded" : "failed", a->err.msg,
		 b->err.msg);
	FZ_CHECK(fz_buf_eq(&a->out, &b->out), "%s: outputs differ: [%.*s] vs [%.*s]", what,
		 (int)a->out.len, a->out.p, (int)b->out.len, b->out.p);
	FZ_CHECK(a->err.kind == b->err.kind &&
			 (a->err.kind == INF_FAIL_TOO_LARGE || !strcmp(a->err.msg, b->err.msg)),
		 "%s: errors differ: [%s] vs [%s]", what, a->err.msg, b->err.msg);
	if (!a->ok)
		return;
	FZ_CHECK(!memcmp(&a->st, &b->st, sizeof a->st) && a->fmt == b->fmt,
		 "%s: counters or framing differ (records out %llu vs %llu)", what,
		 (unsigned long long)a->st.records_out, (unsigned long long)b->st.records_out);
}

/* The runs that must give what `whole` gave (ap over [in, in+n) in one
 * write): the same bytes written `chunk` at a time, and on one thread
 * when ap has more (its instances exist either way). */
static inline void fz_check_variants(const struct inf_access_point *ap, const char *in,
				     size_t n, size_t chunk, const struct fz_run *whole)
{
	char what[96];
	struct fz_run parts;

	if (chunk < n) {
		snprintf(what, sizeof what, "%s, in chunks of %zu", ap->name, chunk);
		fz_run(ap, in, n, chunk, &parts);
		fz_check_same(what, whole, &parts);
		fz_run_free(&parts);
	}
	if (ap->workers > 1) {
		struct inf_access_point seq = *ap;
		seq.workers = 1;
		snprintf(what, sizeof what, "%s, parallel vs sequential", ap->name);
		fz_run(&seq, in, n, n ? n : 1, &parts);
		fz_check_same(what, whole, &parts);
		fz_run_free(&parts);
	}
}

#endif
