/*
 * Cutting objects into batches for parallel workers (core/frame.c
 * inf_array_cut, core/parallel.c): for arrays every cut falls at the end
 * of an element that a ',' at depth 0 follows, found however the bytes
 * arrive, and the element ends handed to the workers are those; where
 * the framer would fail, the cut says so; ndjson batches are whole lines.
 * The batches cover the object in order, several of them for 1 MB. That
 * the outputs are those of one thread is checked in check_chain.c.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arraycut.h"
#include "buf.h"
#include "frame.h"
#include "json.h"
#include "parallel.h"
#include "testutil.h"

/* The ',' at depth 0 of the array `a` (a reference scan, byte by byte):
 * sep[k] set when a[k] is one. */
static char *separators(const char *a, size_t len)
{
	char *sep = calloc(len + 1, 1);
	int depth = 0, in_str = 0, esc = 0;

	ck_assert_ptr_nonnull(sep);
	for (size_t k = strchr(a, '[') - a + 1; k < len; k++) {
		char c = a[k];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth-- == 0)
				break;
		} else if (c == ',' && depth == 0) {
			sep[k] = 1;
		}
	}
	return sep;
}

/* The cut is at the separator `run - 1` and at the end of the element
 * before it (whitespace left to the next batch). */
static void check_cut(const char *a, const char *sep, size_t base, const struct inf_cut *c)
{
	size_t at = base + c->at, run = base + c->run;

	ck_assert_int_eq(c->next, INF_BATCH_AFTER_ELEMENT);
	ck_assert_msg(sep[run - 1], "byte %zu is not a separator", run - 1);
	ck_assert(!inf_json_ws(a[at - 1]));
	for (size_t k = at; k < run - 1; k++)
		ck_assert(inf_json_ws(a[k]));
}

/* Fed in pieces of every size, the cutter finds each time the last
 * separator it has seen, and the array's end once the ']' is in. */
START_TEST(test_cut_places)
{
	uint64_t r = 77;

	for (unsigned seed = 1; seed <= 6; seed++) {
		char *a = tu_random_array(seed, 2500, 0);
		size_t total = strlen(a), base = 0, len = 0, cuts = 0, done = 0;
		char *sep = separators(a, total);
		struct inf_array_cut *c = inf_array_cut_new(1u << 20);
		struct inf_cut cut;

		ck_assert_ptr_nonnull(c);
		while (base + len < total) {
			size_t last = SIZE_MAX;
			int rc;

			len += 1 + tu_rand(&r) % (seed % 2 ? 9000 : 300);
			if (base + len > total)
				len = total - base;
			rc = inf_array_cut_scan(c, a + base, len, &cut);
			ck_assert_int_ge(rc, 0);
			/* the separator of the last cut made is not found again */
			for (size_t k = base + len; k-- > base && k > done && last == SIZE_MAX;)
				if (sep[k])
					last = k;
			if (base + len == total) {
				ck_assert_int_eq(rc, 1); /* after ']': all of it */
				ck_assert_uint_eq(cut.at, len);
				ck_assert_uint_eq(cut.run, len);
				ck_assert_int_eq(cut.next, INF_BATCH_AFTER_ARRAY);
				break;
			}
			if (rc == 1 && cut.next == INF_BATCH_OBJECT_START) {
				/* whitespace before the '[' may go anywhere */
				ck_assert_uint_eq(cut.at, len);
				ck_assert_ptr_null(memchr(a + base, '[', len));
				continue;
			}
			ck_assert_int_eq(rc, last != SIZE_MAX);
			if (rc == 0)
				continue;
			ck_assert_uint_eq(base + cut.run - 1, last);
			check_cut(a, sep, base, &cut);
			if (tu_rand(&r) % 3 == 0) { /* a batch leaves */
				inf_array_cut_moved(c, cut.at);
				done = base + cut.run - 1;
				base += cut.at;
				len -= cut.at;
				cuts++;
			}
		}
		ck_assert_uint_gt(cuts, 10);
		inf_array_cut_free(c);
		free(sep);
		free(a);
	}
}
END_TEST

/* Where the framer fails, the cutter says so, and the batch of out.run
 * bytes reaches the failing byte; for a bad opening byte 8 bytes from
 * it, what the framer names a compressed object by, and until they are
 * there it waits. */
START_TEST(test_cut_refuses)
{
	static const struct {
		const char *in;
		size_t run;
	} cases[] = {
		{ "x[1]5678", 8 },          /* expected '[': 8 bytes from there */
		{ "  x23456789", 10 },      /* ... not more */
		{ "[1,,2]", 4 },            /* empty element */
		{ "[1,2,]", 6 },            /* trailing comma */
		{ "[{\"a\":1}}]", 9 },      /* '}' at depth 0 */
		{ "[1] x", 5 },             /* data after ']' */
		{ "[1,            2]", 14 },/* whitespace over max_record (10) */
		{ "[1,12345678901]", 14 },  /* an element over it: at its end */
		{ "[1,123456789012", 15 },  /* ... or where the bytes stop */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct inf_array_cut *c = inf_array_cut_new(10);
		struct inf_cut cut;

		ck_assert_ptr_nonnull(c);
		ck_assert_msg(inf_array_cut_scan(c, cases[i].in, strlen(cases[i].in), &cut) == -1,
			      "%s", cases[i].in);
		ck_assert_msg(cut.run == cases[i].run, "%s: run %zu", cases[i].in, cut.run);
		inf_array_cut_free(c);
	}
	for (int ws = 0; ws <= 1; ws++) { /* fewer: no cut but in the space before */
		const char *in = ws ? "  x23456" : "x2345678";
		struct inf_array_cut *c = inf_array_cut_new(10);
		struct inf_cut cut;

		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(inf_array_cut_scan(c, in, strlen(in) - 1, &cut), ws);
		if (ws) {
			ck_assert(cut.at == 2 && cut.run == 2 && cut.next == INF_BATCH_OBJECT_START);
		} else { /* the 8th byte comes */
			ck_assert_int_eq(inf_array_cut_scan(c, in, strlen(in), &cut), -1);
			ck_assert_uint_eq(cut.run, 8);
		}
		inf_array_cut_free(c);
	}
}
END_TEST

/* What the runner handed the worker. */
struct seen {
	const char *sep; /* separators() of the array */
	size_t close;    /* where its ']' is */
	size_t n;
	uint64_t offset[64];
	size_t len[64];
	enum inf_batch_start start[64];
	int final[64];
	const char *whole; /* ndjson: the object, which each batch must hold */
	int phased;        /* ndjson: batches sit in phase with their offsets */
};

/* Notes a batch the runner handed over; the batch itself reports no
 * records (counts zeroed). */
static void note_batch(struct seen *s, const struct inf_batch_at *at, size_t len, int final,
		       struct inf_batch_counts *counts)
{
	memset(counts, 0, sizeof *counts);
	ck_assert_uint_lt(s->n, 64);
	s->offset[s->n] = at->offset;
	s->len[s->n] = len;
	s->start[s->n] = at->start;
	s->final[s->n++] = final;
}

static int record_batch(void *w, const char *data, size_t len, const struct inf_batch_at *at,
			int final, struct inf_buf *out, struct inf_error *err,
			struct inf_batch_counts *counts)
{
	struct seen *s = w;

	(void)out;
	(void)err;
	/* the element ends handed over are the separators and the ']'
	 * at depth 0 in the batch, every one of them (but the comma a batch
	 * that starts after an element starts with: the batch before had it) */
	size_t k0 = at->start == INF_BATCH_AFTER_ELEMENT ? (size_t)(strchr(data, ',') - data) + 1 : 0;
	size_t e = 0;
	for (size_t k = k0; k < len; k++) {
		if (!s->sep[at->offset + k] && !(data[k] == ']' && at->offset + k == s->close))
			continue;
		ck_assert_uint_lt(e, at->nends);
		ck_assert_uint_eq(at->ends[e++], k);
	}
	ck_assert_uint_eq(e, at->nends);
	ck_assert_uint_gt(e, 0);
	note_batch(s, at, len, final, counts);
	return 0;
}

static int record_ndjson(void *w, const char *data, size_t len, const struct inf_batch_at *at,
			 int final, struct inf_buf *out, struct inf_error *err,
			 struct inf_batch_counts *counts)
{
	struct seen *s = w;

	(void)out;
	(void)err;
	ck_assert_uint_eq(at->nends, 0);
	ck_assert_mem_eq(data, s->whole + at->offset, len);
	if (s->phased)
		ck_assert_uint_eq((uintptr_t)data % INF_BUF_PHASE, at->offset % INF_BUF_PHASE);
	note_batch(s, at, len, final, counts);
	return 0;
}

static int no_sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	(void)err;
	return 0;
}

/* The runner cuts an array into batches of about 256 KiB that cover it
 * in order, each after the first starting at an element's end, each but
 * the last ending with the separator after it. */
START_TEST(test_par_array_batches)
{
	char *a = tu_random_array(3, 12000, 0);
	size_t total = strlen(a);
	char *sep = separators(a, total);
	struct seen s = { .sep = sep, .close = (size_t)(strrchr(a, ']') - a) };
	void *workers[1] = { &s };
	struct inf_error e = { 0 };
	struct inf_par *p = inf_par_new(INF_FMT_ARRAY, 1, workers, record_batch, no_sink, NULL,
					1u << 20, 0, &e);
	uint64_t r = 5;

	ck_assert_ptr_nonnull(p);
	for (size_t at = 0; at < total;) {
		size_t n = 1 + tu_rand(&r) % 70000;
		if (n > total - at)
			n = total - at;
		ck_assert_int_eq(inf_par_write(p, a + at, n), 0);
		at += n;
	}
	ck_assert_int_eq(inf_par_finish(p), 0);
	inf_par_free(p);
	ck_assert_uint_gt(total, 900000);
	ck_assert_uint_gt(s.n, 3);
	ck_assert_uint_eq(s.offset[0], 0);
	ck_assert_int_eq(s.start[0], INF_BATCH_OBJECT_START);
	for (size_t k = 0; k < s.n; k++) {
		uint64_t end = s.offset[k] + s.len[k];
		ck_assert_int_eq(s.final[k], k + 1 == s.n);
		if (k + 1 == s.n) {
			ck_assert_uint_eq(end, total);
			break;
		}
		ck_assert_int_eq(s.start[k + 1], INF_BATCH_AFTER_ELEMENT);
		ck_assert_uint_gt(s.offset[k + 1], s.offset[k]);
		ck_assert_uint_le(s.offset[k + 1], end);
		check_cut(a, sep, s.offset[k],
			  &(struct inf_cut){ s.offset[k + 1] - s.offset[k], s.len[k],
					     INF_BATCH_AFTER_ELEMENT });
	}
	free(sep);
	free(a);
}
END_TEST

/* Ndjson: batches of whole lines, back to back, none handed element
 * ends; several of them for 1 MB (the tests of check_chain.c and
 * test_parallel.sh that cross batches rely on that size). */
START_TEST(test_par_ndjson_batches)
{
	struct inf_buf in = { 0 };
	struct seen s = { 0 };
	void *workers[1] = { &s };
	struct inf_error e = { 0 };
	struct inf_par *p;
	uint64_t r = 9;
	const int lent = _i; /* 1: read into the space the runner lends */

	/* lines longer than a batch among them: the runner looks for the
	 * line's end only in what each piece adds */
	for (unsigned k = 0; in.len < 3000000; k++)
		ck_assert_int_eq(inf_buf_printf(&in, "{\"i\":%u,\"pad\":\"%*s\"}\n", k,
						k % 5000 == 2500 ? 600000 + (int)k
								 : (int)(tu_rand(&r) % 200),
						""), 0);
	s.whole = in.data;
	s.phased = lent;
	p = inf_par_new(INF_FMT_NDJSON, 1, workers, record_ndjson, no_sink, NULL, 1u << 20, 0, &e);
	ck_assert_ptr_nonnull(p);
	for (size_t at = 0; at < in.len;) {
		size_t n = 1 + tu_rand(&r) % 70000, room = 0;
		char *dst;

		if (n > in.len - at)
			n = in.len - at;
		if (!lent) {
			ck_assert_int_eq(inf_par_write(p, in.data + at, n), 0);
			at += n;
			continue;
		}
		/* a read lands where the kernel copies fastest: in phase */
		dst = inf_par_space(p, &room);
		ck_assert_ptr_nonnull(dst);
		ck_assert_uint_eq((uintptr_t)dst % INF_BUF_PHASE, at % INF_BUF_PHASE);
		n = n < room ? n : room;
		memcpy(dst, in.data + at, n);
		ck_assert_int_eq(inf_par_commit(p, n), 0);
		at += n;
	}
	ck_assert_int_eq(inf_par_finish(p), 0);
	inf_par_free(p);
	ck_assert_uint_gt(s.n, 3);
	for (size_t k = 0; k < s.n; k++) {
		ck_assert_int_eq(s.start[k], INF_BATCH_OBJECT_START);
		/* only the last is final; none is when the object ends where
		 * a batch was cut, with nothing left for a last one */
		ck_assert_int_eq(s.final[k] && k + 1 < s.n, 0);
		ck_assert_uint_eq(s.offset[k], k ? s.offset[k - 1] + s.len[k - 1] : 0);
		ck_assert(in.data[s.offset[k] + s.len[k] - 1] == '\n');
	}
	ck_assert_uint_eq(s.offset[s.n - 1] + s.len[s.n - 1], in.len);
	inf_buf_free(&in);
}
END_TEST

/* ---- pthread_create, made to fail on demand (linked -Wl,--wrap) ---- */

int __real_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);

static int threads_allowed = -1; /* creates that succeed; -1: all */

int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	if (threads_allowed == 0)
		return EAGAIN;
	if (threads_allowed > 0)
		threads_allowed--;
	return __real_pthread_create(th, attr, fn, arg);
}

static int copy_batch(void *w, const char *data, size_t len, const struct inf_batch_at *at,
		      int final, struct inf_buf *out, struct inf_error *err,
		      struct inf_batch_counts *counts)
{
	(void)w;
	(void)at;
	(void)final;
	(void)err;
	memset(counts, 0, sizeof *counts);
	return inf_buf_append(out, data, len) ? -1 : 0;
}

static int collect(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)err;
	return inf_buf_append(ctx, data, len) ? -1 : 0;
}

/* A process that may start no more threads (a container's pids.max, a
 * ulimit) runs the batches on the threads it got and the main thread,
 * with the same output: it used to fail every object as "out of memory",
 * or a policy's self-tests. */
START_TEST(test_par_fewer_threads)
{
	struct inf_buf in = { 0 }, out = { 0 };
	void *workers[4] = { NULL, NULL, NULL, NULL };
	struct inf_error e = { 0 };
	struct inf_par *p;

	for (unsigned k = 0; in.len < 2000000; k++)
		ck_assert_int_eq(inf_buf_printf(&in, "{\"i\":%u}\n", k), 0);
	threads_allowed = _i; /* none, or one of the three asked for */
	p = inf_par_new(INF_FMT_NDJSON, 4, workers, copy_batch, collect, &out, 1u << 20, 0, &e);
	threads_allowed = -1;
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(inf_par_write(p, in.data, in.len), 0);
	ck_assert_int_eq(inf_par_finish(p), 0);
	inf_par_free(p);
	ck_assert_uint_eq(out.len, in.len);
	ck_assert_mem_eq(out.data, in.data, in.len);
	inf_buf_free(&in);
	inf_buf_free(&out);
}
END_TEST

static Suite *parallel_suite(void)
{
	Suite *s = suite_create("parallel");
	TCase *tc = tcase_create("array");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cut_places);
	tcase_add_test(tc, test_cut_refuses);
	tcase_add_test(tc, test_par_array_batches);
	tcase_add_loop_test(tc, test_par_ndjson_batches, 0, 2);
	tcase_add_loop_test(tc, test_par_fewer_threads, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(parallel_suite());
}
