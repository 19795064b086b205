/*
 * Fuzz target: an array cut into batches (inf_array_cut, inf_framer_batch
 * and the runner's rule for the comma before the first kept element)
 * against the one-thread framer, on arbitrary bytes.
 *
 * Input: byte 0 picks max_record_bytes (1..64, or 1 MiB when >= 192),
 * byte 1 when a batch is cut (bit 0 clear: at every place the cutter
 * finds; set: every third time it finds one) and whether the batch is
 * given the element ends the cutter found (bit 1 clear, as the runner
 * does) or scans for them (set), byte 2 the chunk size the bytes arrive
 * in (1..64); the rest is the object.
 *
 * A record is copied as it is, dropped when it holds a 'd', and fails
 * ("record N failed") when it holds a '!', so the framing alone decides
 * the output. The batched run is driven as core/chain.c and
 * core/parallel.c drive it, on one thread: a byte-order mark skipped, bytes held until the cutter finds a place, the batch run
 * through its comma with the real line and record numbers, the rest kept
 * for the next batch; where the cutter says the framer fails, the batch
 * cut there must fail. Invariants: both runs succeed or fail alike, with
 * the same output (the one-thread framer flushes nothing under 256 KiB:
 * nothing on failure) and the same error kind and message, word for word.
 * Both sides find element ends with inf_escan_run, so it is also checked
 * on its own, against a byte-at-a-time reference (tests/escanref.h),
 * its calls cut every `chunk` bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../escanref.h"
#include "arraycut.h"
#include "frame.h"
#include "fuzzutil.h"

#define MAX_OBJECT (64u * 1024u) /* under the framer's 256 KiB flush size */

static int rec(void *ctx, const char *r, size_t len, const struct inf_rec_pos *pos,
	       struct inf_buf *out, struct inf_error *err)
{
	(void)ctx;
	if (memchr(r, '!', len))
		return inf_error_set(err, INF_FAIL_TRANSFORM, "record %llu failed",
				     (unsigned long long)pos->recno);
	if (memchr(r, 'd', len))
		return 0;
	return inf_buf_append(out, r, len) ? -1 : 1;
}

static int sink(void *ctx, const char *d, size_t n, struct inf_error *err)
{
	(void)err;
	fz_put(ctx, d, n);
	return 0;
}

struct outcome {
	int ok;
	struct fz_buf out;
	struct inf_error err;
};

static void one_thread(const char *d, size_t n, size_t max, size_t chunk, struct outcome *o)
{
	struct inf_framer *f = inf_framer_new(INF_FMT_ARRAY, max, rec, NULL, sink, &o->out, &o->err);
	int rc = 0;

	if (!f)
		fz_fail("out of memory");
	for (size_t at = 0; at < n && rc == 0; at += chunk)
		rc = inf_framer_write(f, d + at, n - at < chunk ? n - at : chunk);
	if (rc == 0)
		rc = inf_framer_finish(f);
	o->ok = rc == 0;
	inf_framer_free(f);
}

/* The batched run's state: what core/parallel.c keeps. */
struct batched {
	struct inf_framer *f;
	struct inf_error ferr;
	struct fz_buf held; /* the batch being filled */
	struct inf_batch_at at;
	struct inf_array_cut *c;
	int use_ends; /* the cut's element ends handed over, as the runner does */
	int kept_any, failed;
	struct outcome *o;
};

/* Runs held[0, run) as a batch; returns 0, or -1 once failed. */
static int run_batch(struct batched *b, size_t run, int final)
{
	struct inf_buf out = { 0 };
	struct inf_batch_result res;
	int rc;

	memset(&b->ferr, 0, sizeof b->ferr);
	b->at.ends = b->use_ends ? inf_array_cut_ends(b->c, &b->at.nends) : NULL;
	if (!b->use_ends)
		b->at.nends = 0;
	rc = inf_framer_batch(b->f, run ? b->held.p : "", run, &b->at, final, &out, &res);
	if (rc) {
		b->o->err = b->ferr;
		b->failed = 1;
		inf_buf_free(&out);
		return -1;
	}
	if (!b->kept_any && res.drop_to) {
		fz_put(&b->o->out, out.data, res.drop_from);
		fz_put(&b->o->out, out.data + res.drop_to, out.len - res.drop_to);
	} else {
		fz_put(&b->o->out, out.data, out.len);
	}
	b->kept_any |= res.kept;
	b->at.line += res.lines;
	b->at.recno += res.records;
	inf_buf_free(&out);
	return 0;
}

static void batched(const char *d, size_t n, size_t max, size_t chunk, int sparse,
		    struct outcome *o)
{
	struct batched b = { 0 };
	struct inf_array_cut *c = inf_array_cut_new(max);
	unsigned found = 0;

	b.o = o;
	b.c = c;
	b.use_ends = !(sparse & 2);
	b.at.line = 1;
	if (n >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3)) { /* core/chain.c skips it */
		d += 3;
		n -= 3;
		b.at.offset = 3;
	}
	b.f = inf_framer_new(INF_FMT_ARRAY, max, rec, NULL, NULL, NULL, &b.ferr);
	if (!b.f || !c)
		fz_fail("out of memory");
	for (size_t at = 0; at < n && !b.failed; at += chunk) {
		struct inf_cut cut;
		int rc;

		fz_put(&b.held, d + at, n - at < chunk ? n - at : chunk);
		rc = inf_array_cut_scan(c, b.held.p, b.held.len, &cut);
		if (rc < 0) {
			FZ_CHECK(run_batch(&b, cut.run, 0) < 0,
				 "the cutter found an error in the first %zu bytes that the framer did not",
				 cut.run);
			break;
		}
		if (rc == 0 || ((sparse & 1) && ++found % 3))
			continue;
		if (run_batch(&b, cut.run, 0))
			break;
		b.at.offset += cut.at;
		b.at.start = cut.next;
		memmove(b.held.p, b.held.p + cut.at, b.held.len - cut.at);
		b.held.len -= cut.at;
		inf_array_cut_moved(c, cut.at);
	}
	if (!b.failed)
		run_batch(&b, b.held.len, 1);
	o->ok = !b.failed;
	if (b.failed) /* the runner writes nothing once a batch fails: no */
		o->out.len = 0; /* flush under 256 KiB on one thread either */
	inf_array_cut_free(c);
	inf_framer_free(b.f);
	fz_buf_free(&b.held);
}

/* inf_escan_run's calls end every *ctx bytes, as chunks arrive. */
static size_t chunk_limit(void *ctx, size_t at)
{
	size_t chunk = *(size_t *)ctx;

	return (at / chunk + 1) * chunk;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a = { 0 }, b = { 0 };
	size_t max, chunk;
	const char *d = (const char *)data + 3;
	size_t n;

	if (size < 3 || size - 3 > MAX_OBJECT)
		return 0;
	max = data[0] >= 192 ? 1u << 20 : 1u + data[0] % 64;
	chunk = 1u + data[2] % 64;
	n = size - 3;
	fz_put(&a.out, "", 0);
	fz_put(&b.out, "", 0);
	FZ_CHECK(escan_compare(d, n, chunk_limit, &chunk) == n,
		 "inf_escan_run and the reference disagree on the element from byte %zu",
		 escan_compare(d, n, chunk_limit, &chunk));
	one_thread(d, n, max, chunk, &a);
	batched(d, n, max, chunk, data[1] & 3, &b);
	FZ_CHECK(a.ok == b.ok, "one thread %s, batches %s (%s | %s)", a.ok ? "succeeded" : "failed",
		 b.ok ? "succeeded" : "failed", a.err.msg, b.err.msg);
	FZ_CHECK(fz_buf_eq(&a.out, &b.out), "outputs differ: [%.*s] vs [%.*s]", (int)a.out.len,
		 a.out.p, (int)b.out.len, b.out.p);
	FZ_CHECK(a.err.kind == b.err.kind && !strcmp(a.err.msg, b.err.msg),
		 "errors differ: [%s] vs [%s]", a.err.msg, b.err.msg);
	fz_buf_free(&a.out);
	fz_buf_free(&b.out);
	return 0;
}
