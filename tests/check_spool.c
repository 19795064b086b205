/*
 * The spool of a transformed object (runtime/spool.c), in memory and in
 * its temporary file: every byte written is read back and sent in order;
 * a read short of the end is cut so that the next one into the same
 * buffer copies in phase (INF_BUF_PHASE), and reads past the end give 0.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "testutil.h"

#define TOTAL (3u * 65536u + 777u)

static char want[TOTAL]; /* what the spool holds: want_fill() */

static void want_fill(void)
{
	for (uint64_t i = 0; i < TOTAL; i++)
		want[i] = (char)('a' + (i * 7 + i / 251) % 26);
}

/* A spool holding the TOTAL bytes of `want`, written in odd pieces; in a file
 * when `in_file`. */
static void fill(struct inf_spool *s, int in_file)
{
	struct inf_error e = { 0 };
	uint64_t at = 0;

	want_fill();
	inf_spool_init(s, in_file ? 4096 : TOTAL, NULL);
	while (at < TOTAL) {
		size_t n = (size_t)(TOTAL - at < 997 ? TOTAL - at : 997);
		ck_assert_int_eq(inf_spool_write(s, want + at, n, &e), 0);
		at += n;
	}
	ck_assert_uint_eq(s->len, TOTAL);
	ck_assert(in_file ? s->fd >= 0 : s->fd < 0);
}

START_TEST(test_reads_in_phase)
{
	struct inf_spool s;
	/* one buffer, read into again and again, at an odd address */
	char *mem = malloc(65536 + 64), *dst = mem + 17;
	uint64_t off = 0;
	unsigned reads = 0;

	fill(&s, _i);
	for (;;) {
		const uint64_t from = _i ? off : (uintptr_t)(s.mem.data + off);
		long got = inf_spool_read(&s, off, dst, 65536);

		ck_assert_int_ge(got, 0);
		if (got == 0)
			break;
		ck_assert_uint_lt(++reads, 16);
		if (reads > 1) /* the first one set the phase */
			ck_assert_uint_eq((from - (uintptr_t)dst) % INF_BUF_PHASE, 0);
		if (off + (uint64_t)got < TOTAL) /* cut by under INF_BUF_PHASE */
			ck_assert_int_gt(got, 65536 - (long)INF_BUF_PHASE);
		ck_assert_mem_eq(dst, want + off, (size_t)got);
		off += (uint64_t)got;
	}
	ck_assert_uint_eq(off, TOTAL);
	ck_assert_int_eq(inf_spool_read(&s, TOTAL + 5, dst, 10), 0);
	/* a read of the tail is never cut */
	ck_assert_int_eq(inf_spool_read(&s, TOTAL - 100, dst, 65536), 100);
	ck_assert_mem_eq(dst, want + TOTAL - 100, 100);
	inf_spool_free(&s);
	free(mem);
}
END_TEST

static int collect(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)err;
	return inf_buf_append(ctx, data, len) ? -1 : 0;
}

START_TEST(test_send_slices)
{
	struct inf_spool s;
	struct inf_buf got = { 0 };
	struct inf_error e = { 0 };
	static const uint64_t cuts[][2] = { { 0, TOTAL }, { 1, 70000 }, { 65535, 2 },
					    { TOTAL - 1, 1 }, { 5, 0 } };

	fill(&s, _i);
	for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
		inf_buf_reset(&got);
		ck_assert_int_eq(inf_spool_send(&s, cuts[c][0], cuts[c][1], collect, &got, &e), 0);
		ck_assert_uint_eq(got.len, cuts[c][1]);
		if (got.len) /* data is NULL while nothing was sent */
			ck_assert_mem_eq(got.data, want + cuts[c][0], got.len);
	}
	ck_assert_int_eq(inf_spool_send(&s, TOTAL, 1, collect, &got, &e), -1);
	ck_assert_str_eq(e.msg, "spool: bytes 197385+1 are past its end");
	inf_buf_free(&got);
	inf_spool_free(&s);
}
END_TEST

/* A spool file cut short behind the spool's back (a full /tmp cleaned,
 * another process): the read says "end", not a failure with a stale
 * errno, and sending the whole length fails naming a short file. */
START_TEST(test_short_file)
{
	struct inf_spool s;
	struct inf_buf got = { 0 };
	struct inf_error e = { 0 };
	char dst[64];

	fill(&s, 1);
	ck_assert_int_eq(ftruncate(s.fd, 1000), 0);
	ck_assert_int_eq(inf_spool_read(&s, 2000, dst, sizeof dst), 0);
	ck_assert_int_eq(inf_spool_send(&s, 0, TOTAL, collect, &got, &e), -1);
	ck_assert_str_eq(e.msg, "spool file read failed: short file");
	ck_assert_uint_eq(got.len, 1000);
	inf_buf_free(&got);
	inf_spool_free(&s);
}
END_TEST

static Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("spool");

	tcase_add_loop_test(tc, test_reads_in_phase, 0, 2);
	tcase_add_loop_test(tc, test_send_slices, 0, 2);
	tcase_add_test(tc, test_short_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(spool_suite());
}
