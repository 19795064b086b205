/*
 * The growable buffer and array growth (core/buf.c): appends keep every
 * byte, growth is geometric and stops once the largest size was seen,
 * consume and reset keep the memory, and a growth that fails (realloc
 * made to fail on demand: this suite is linked with -Wl,--wrap=realloc,
 * see the Makefile) returns INF_ERR_NOMEM and leaves the buffer or the
 * array exactly as it was.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "buf.h"
#include "inflight/plugin.h"
#include "testutil.h"

/* ---- realloc, counted and made to fail on demand ---- */

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int realloc_fails;   /* while set, every realloc returns NULL */
static unsigned reallocs;   /* calls since the last count_reallocs() */

static size_t realloc_size; /* the size the last realloc asked for */

void *__wrap_realloc(void *p, size_t n)
{
	reallocs++;
	realloc_size = n;
	if (realloc_fails)
		return NULL;
	return __real_realloc(p, n);
}

static void count_reallocs(void)
{
	reallocs = 0;
}

/* Whether cap is `from` doubled zero or more times. */
static int doubled_from(size_t cap, size_t from)
{
	while (from < cap)
		from *= 2;
	return from == cap;
}

/* ---- inf_buf ---- */

START_TEST(test_empty_needs_no_memory)
{
	struct inf_buf b = {0};

	int rc;

	count_reallocs();
	rc = inf_buf_reserve(&b, 0) | inf_buf_append(&b, NULL, 0) | inf_buf_puts(&b, "");
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	inf_buf_consume(&b, 5); /* on an empty buffer: still empty */
	ck_assert_uint_eq(b.len, 0);
	inf_buf_free(&b);
	inf_buf_free(&b); /* twice is fine */
}
END_TEST

/* Appends of every size up to 700 bytes, through each function, keep
 * every byte in order; cap always covers len and only ever doubles. */
START_TEST(test_append_keeps_bytes)
{
	struct inf_buf b = {0};
	char *want = malloc(1200 * 700), chunk[701];
	size_t wl = 0, cap0 = 0;
	uint64_t seed = 12345;

	ck_assert_ptr_nonnull(want);
	for (int round = 0; round < 1200; round++) {
		size_t n = (size_t)(tu_rand(&seed) % 701);
		int how = (int)(tu_rand(&seed) % 4);

		for (size_t i = 0; i < n; i++)
			chunk[i] = (char)('a' + (wl + i) % 26);
		chunk[n] = '\0';
		switch (how) {
		case 0:
			ck_assert_int_eq(inf_buf_append(&b, chunk, n), 0);
			break;
		case 1:
			ck_assert_int_eq(inf_buf_puts(&b, chunk), 0);
			break;
		case 2:
			for (size_t i = 0; i < n; i++)
				ck_assert_int_eq(inf_buf_putc(&b, chunk[i]), 0);
			break;
		default:
			ck_assert_int_eq(inf_buf_printf(&b, "%s", chunk), 0);
		}
		memcpy(want + wl, chunk, n);
		wl += n;
		ck_assert_uint_eq(b.len, wl);
		ck_assert_uint_ge(b.cap, b.len);
		if (cap0 == 0)
			cap0 = b.cap;
		else
			ck_assert_msg(doubled_from(b.cap, cap0), "cap %zu from %zu", b.cap, cap0);
	}
	ck_assert_mem_eq(b.data, want, wl);
	inf_buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len + b.cap, 0);
	/* reusable after free */
	ck_assert_int_eq(inf_buf_puts(&b, "again"), 0);
	ck_assert_str_eq(tu_cstr(&b), "again");
	inf_buf_free(&b);
	free(want);
}
END_TEST

/* reserve makes room for `extra` more bytes: the least doubling that
 * holds them, nothing when they already fit. */
START_TEST(test_reserve_growth)
{
	struct inf_buf b = {0};
	size_t cap;
	char *data;
	int rc;

	ck_assert_int_eq(inf_buf_reserve(&b, 1), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(b.len, 0);
	cap = b.cap;
	ck_assert_uint_ge(cap, 1);
	/* what fits needs no new memory */
	data = b.data;
	count_reallocs();
	rc = inf_buf_reserve(&b, cap) | inf_buf_append(&b, "0123456789", 10 < cap ? 10 : 1);
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	/* one more than fits: the least doubling that holds it */
	for (int k = 0; k < 6; k++) {
		size_t extra = b.cap - b.len + 1 + (size_t)k * b.cap;
		size_t need = b.len + extra, old = b.cap;

		ck_assert_int_eq(inf_buf_reserve(&b, extra), 0);
		ck_assert_uint_ge(b.cap, need);
		ck_assert_msg(doubled_from(b.cap, old) && b.cap / 2 < need,
		              "need %zu: cap %zu from %zu", need, b.cap, old);
		ck_assert_uint_le(b.len, 10); /* reserve adds no bytes */
	}
	inf_buf_free(&b);
}
END_TEST

/* A buffer reused across records stops allocating once it has seen the
 * largest one. */
START_TEST(test_reuse_stops_allocating)
{
	struct inf_buf b = {0};
	char rec[5000];
	int rc = 0;

	memset(rec, 'r', sizeof rec);
	for (size_t n = 1; n <= sizeof rec; n += 499)
		ck_assert_int_eq(inf_buf_append(&b, rec, n), 0);
	inf_buf_reset(&b);
	ck_assert_int_eq(inf_buf_append(&b, rec, sizeof rec), 0);
	count_reallocs();
	for (int round = 0; round < 100; round++) {
		inf_buf_reset(&b);
		rc |= inf_buf_append(&b, rec, (size_t)(round * 50) % sizeof rec);
		rc |= inf_buf_printf(&b, "%d", round);
		inf_buf_reset(&b);
		rc |= inf_buf_append(&b, rec, sizeof rec);
	}
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(b.len, sizeof rec);
	inf_buf_free(&b);
}
END_TEST

START_TEST(test_printf)
{
	struct inf_buf b = {0};
	char big[1000];

	ck_assert_int_eq(inf_buf_puts(&b, "x="), 0);
	ck_assert_int_eq(inf_buf_printf(&b, "%d,%s,%05.1f,%c", -42, "s", 2.25, 'z'), 0);
	ck_assert_str_eq(tu_cstr(&b), "x=-42,s,002.2,z");
	ck_assert_int_eq(inf_buf_printf(&b, "%s", ""), 0); /* nothing added */
	ck_assert_uint_eq(b.len, 15);
	/* longer than the first allocation: formatted again after growing */
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(inf_buf_printf(&b, "[%s|%zu]", big, sizeof big), 0);
	ck_assert_uint_eq(b.len, 15 + 1 + 999 + 6);
	ck_assert_mem_eq(b.data, "x=-42,s,002.2,z[", 16);
	ck_assert_mem_eq(b.data + 16, big, 999);
	ck_assert_mem_eq(b.data + 16 + 999, "|1000]", 6);
	/* an output vsnprintf cannot make (a wide character the C locale
	 * cannot encode): INF_ERR_INVALID, nothing appended */
	ck_assert_int_eq(inf_buf_printf(&b, "tail %ls", L"\u00e9"), INF_ERR_INVALID);
	ck_assert_uint_eq(b.len, 15 + 1 + 999 + 6);
	inf_buf_free(&b);
}
END_TEST

START_TEST(test_consume)
{
	struct inf_buf b = {0};
	char *data;
	size_t cap;

	ck_assert_int_eq(inf_buf_puts(&b, "abcdef"), 0);
	data = b.data;
	cap = b.cap;
	inf_buf_consume(&b, 0);
	ck_assert_str_eq(tu_cstr(&b), "abcdef");
	inf_buf_consume(&b, 2);
	ck_assert_str_eq(tu_cstr(&b), "cdef");
	inf_buf_consume(&b, 3);
	ck_assert_str_eq(tu_cstr(&b), "f");
	inf_buf_consume(&b, 1);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(inf_buf_puts(&b, "ghi"), 0);
	inf_buf_consume(&b, 100); /* more than there is: empty */
	ck_assert_uint_eq(b.len, 0);
	/* the memory is kept throughout */
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_int_eq(inf_buf_puts(&b, "jk"), 0);
	ck_assert_str_eq(tu_cstr(&b), "jk");
	inf_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	inf_buf_free(&b);
}
END_TEST

/* Phasing moves the contents to an address congruent to the offset given,
 * keeps every byte and the memory's end, survives growth and consume, and
 * leaves a buffer with no memory, or no room to move, as it was. */
START_TEST(test_phase)
{
	struct inf_buf b = {0};
	char *end;
	size_t cap;

	inf_buf_phase(&b, 5); /* no memory yet: nothing to move */
	ck_assert_ptr_null(b.data);
	ck_assert_int_eq(inf_buf_puts(&b, "abcdef"), 0);
	for (unsigned long long at = 0; at < 3 * INF_BUF_PHASE; at += 7) {
		end = b.data + b.cap;
		inf_buf_phase(&b, at);
		ck_assert_uint_eq((uintptr_t)b.data % INF_BUF_PHASE, at % INF_BUF_PHASE);
		ck_assert_ptr_eq(b.data + b.cap, end); /* the same memory */
		ck_assert_str_eq(tu_cstr(&b), "abcdef");
	}
	inf_buf_phase(&b, 1000003);
	ck_assert_uint_eq((uintptr_t)b.data % INF_BUF_PHASE, 1000003 % INF_BUF_PHASE);
	/* growth and consume keep the bytes; the next phase restores it */
	for (int i = 0; i < 2000; i++)
		ck_assert_int_eq(inf_buf_putc(&b, (char)('a' + i % 26)), 0);
	inf_buf_consume(&b, 6);
	ck_assert_int_eq(inf_buf_reserve(&b, INF_BUF_PHASE), 0); /* room to move */
	inf_buf_phase(&b, 42);
	ck_assert_uint_eq((uintptr_t)b.data % INF_BUF_PHASE, 42);
	ck_assert_uint_eq(b.len, 2000);
	for (int i = 0; i < 2000; i++)
		ck_assert_int_eq(b.data[i], 'a' + i % 26);
	/* full: moving up would need room it does not have */
	ck_assert_int_eq(inf_buf_reserve(&b, b.cap - b.len), 0);
	memset(b.data + b.len, 'z', b.cap - b.len);
	b.len = b.cap;
	cap = b.cap;
	inf_buf_phase(&b, 43);
	ck_assert_uint_eq((uintptr_t)b.data % INF_BUF_PHASE, 42);
	ck_assert_uint_eq(b.cap, cap);
	inf_buf_phase(&b, 41); /* down: room enough */
	ck_assert_uint_eq((uintptr_t)b.data % INF_BUF_PHASE, 41);
	ck_assert_uint_eq(b.cap, cap + 1);
	ck_assert_int_eq(b.data[1999], 'a' + 1999 % 26);
	ck_assert_int_eq(b.data[b.len - 1], 'z');
	inf_buf_free(&b); /* frees the allocation's start: valgrind and ASan say */
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len + b.cap + b.lead, 0);
}
END_TEST

/* inf_copy copies every byte at every skew between its ends and every
 * size around the piece and libc's thresholds, and nothing past n. */
START_TEST(test_copy)
{
	static const size_t sizes[] = { 0, 1, 63, 2047, 2048, 2049, 4095, 4096, 4097, 6144, 10001 };
	char *src = malloc(10001 + 64), *dst = malloc(10001 + 128);

	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(dst);
	for (size_t i = 0; i < 10001 + 64; i++)
		src[i] = (char)(i * 131 + i / 7);
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
		for (unsigned skew = 0; skew < INF_BUF_PHASE; skew++) {
			size_t n = sizes[k];
			memset(dst, 0x5a, 10001 + 128);
			inf_copy(dst + skew, src + 3, n);
			if (n)
				ck_assert_mem_eq(dst + skew, src + 3, n);
			ck_assert_int_eq(dst[skew + n], 0x5a);
			if (skew)
				ck_assert_int_eq(dst[skew - 1], 0x5a);
		}
	free(src);
	free(dst);
}
END_TEST

/* A request no size_t can hold is refused before any allocation. */
START_TEST(test_reserve_too_large)
{
	struct inf_buf b = {0};
	char *data;
	int rc[3];

	ck_assert_int_eq(inf_buf_puts(&b, "keep"), 0);
	data = b.data;
	count_reallocs();
	rc[0] = inf_buf_reserve(&b, SIZE_MAX);
	rc[1] = inf_buf_reserve(&b, SIZE_MAX / 2);
	rc[2] = inf_buf_append(&b, "x", SIZE_MAX - 3); /* never read: refused first */
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_int_eq(rc[0], INF_ERR_NOMEM);
	ck_assert_int_eq(rc[1], INF_ERR_NOMEM);
	ck_assert_int_eq(rc[2], INF_ERR_NOMEM);
	ck_assert_ptr_eq(b.data, data);
	ck_assert_str_eq(tu_cstr(&b), "keep");
	inf_buf_free(&b);
}
END_TEST

/* When realloc fails every function returns INF_ERR_NOMEM and the buffer
 * is as it was; what fits is still appended. */
START_TEST(test_buf_nomem_leaves_buffer)
{
	struct inf_buf b = {0};
	char big[600], *data;
	size_t cap;
	int rc[6];
	unsigned calls;

	memset(big, 'q', sizeof big);
	ck_assert_int_eq(inf_buf_puts(&b, "kept"), 0);
	data = b.data;
	cap = b.cap;
	realloc_fails = 1;
	count_reallocs();
	rc[0] = inf_buf_append(&b, big, cap); /* needs more than cap */
	rc[1] = inf_buf_reserve(&b, cap);
	rc[2] = inf_buf_printf(&b, "%.*s", (int)cap, big);
	rc[3] = inf_buf_append(&b, big, cap - b.len); /* fits exactly */
	inf_buf_reset(&b);
	rc[4] = inf_buf_append(&b, big, cap);
	rc[5] = inf_buf_putc(&b, 'x'); /* full: needs more */
	realloc_fails = 0;
	calls = reallocs;
	ck_assert_int_eq(rc[0], INF_ERR_NOMEM);
	ck_assert_int_eq(rc[1], INF_ERR_NOMEM);
	ck_assert_int_eq(rc[2], INF_ERR_NOMEM);
	ck_assert_int_eq(rc[3], 0);
	ck_assert_int_eq(rc[4], 0);
	ck_assert_int_eq(rc[5], INF_ERR_NOMEM);
	ck_assert_uint_eq(calls, 4); /* the four that needed more */
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.len, cap);
	ck_assert_mem_eq(b.data, big, cap);
	/* and it grows again once memory is back */
	ck_assert_int_eq(inf_buf_putc(&b, 'x'), 0);
	ck_assert_uint_eq(b.len, cap + 1);
	ck_assert_mem_eq(b.data, big, cap);
	inf_buf_free(&b);

	/* an empty buffer stays without memory */
	realloc_fails = 1;
	rc[0] = inf_buf_putc(&b, 'x');
	realloc_fails = 0;
	ck_assert_int_eq(rc[0], INF_ERR_NOMEM);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len + b.cap, 0);
}
END_TEST

/* ---- inf_array_grow ---- */

struct triple {
	long a, b, c;
};

START_TEST(test_array_grow)
{
	static const size_t needs[][2] = {
	    /* need, cap afterwards (growing from nothing) */
	    {1, 16}, {16, 16}, {17, 32}, {32, 32}, {33, 64}, {1000, 1024}, {1025, 2048},
	};
	int *a = NULL, *before;
	size_t cap = 0;
	int rc;

	/* nothing needed: nothing allocated */
	count_reallocs();
	rc = inf_array_grow(&a, &cap, 0, sizeof *a);
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(a);
	for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
		int *fresh = NULL;
		size_t fcap = 0;

		ck_assert_int_eq(inf_array_grow(&fresh, &fcap, needs[i][0], sizeof *fresh), 0);
		ck_assert_msg(fcap == needs[i][1], "need %zu: cap %zu", needs[i][0], fcap);
		fresh[fcap - 1] = 7; /* the whole capacity is usable */
		free(fresh);
	}
	/* growing keeps the contents, doubling from the current capacity */
	ck_assert_int_eq(inf_array_grow(&a, &cap, 10, sizeof *a), 0);
	ck_assert_uint_eq(cap, 16);
	for (int i = 0; i < 16; i++)
		a[i] = i * 3;
	ck_assert_int_eq(inf_array_grow(&a, &cap, 17, sizeof *a), 0);
	ck_assert_uint_eq(cap, 32);
	for (int i = 16; i < 32; i++)
		a[i] = i * 3;
	ck_assert_int_eq(inf_array_grow(&a, &cap, 100, sizeof *a), 0);
	ck_assert_uint_eq(cap, 128);
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(a[i], i * 3);
	/* a need already met changes nothing */
	before = a;
	count_reallocs();
	rc = inf_array_grow(&a, &cap, 128, sizeof *a) | inf_array_grow(&a, &cap, 1, sizeof *a);
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_eq(a, before);
	ck_assert_uint_eq(cap, 128);
	free(a);
}
END_TEST

/* Elements larger than a byte: the size is counted in elements. */
START_TEST(test_array_grow_element_size)
{
	struct triple *t = NULL;
	size_t cap = 0;

	for (size_t need = 1; need <= 300; need += 7) {
		ck_assert_int_eq(inf_array_grow(&t, &cap, need, sizeof *t), 0);
		ck_assert_uint_ge(cap, need);
		t[need - 1] = (struct triple){(long)need, -(long)need, 1};
	}
	ck_assert_uint_eq(cap, 512);
	for (size_t need = 1; need <= 300; need += 7)
		ck_assert(t[need - 1].a == (long)need && t[need - 1].b == -(long)need &&
		          t[need - 1].c == 1);
	free(t);
}
END_TEST

/* When realloc fails: INF_ERR_NOMEM, and the array and its capacity are
 * what they were. */
START_TEST(test_array_grow_overflow)
{
	/* sizes whose byte count cannot be represented are refused before
	 * any realloc, never wrapped into a small allocation or a loop */
	long *a = NULL;
	size_t cap = 0;

	count_reallocs();
	ck_assert_int_eq(inf_array_grow(&a, &cap, SIZE_MAX / sizeof *a + 1, sizeof *a),
			 INF_ERR_NOMEM);
	ck_assert_int_eq(inf_array_grow(&a, &cap, SIZE_MAX, sizeof *a), INF_ERR_NOMEM);
	ck_assert_uint_eq(reallocs, 0);
	ck_assert_ptr_null(a);
	ck_assert_uint_eq(cap, 0);
	/* a need past the last doubling is asked for exactly (need * elem
	 * bytes, not a wrapped product); the realloc is made to fail here */
	realloc_fails = 1;
	ck_assert_int_eq(inf_array_grow(&a, &cap, SIZE_MAX / sizeof *a, sizeof *a), INF_ERR_NOMEM);
	realloc_fails = 0;
	ck_assert_uint_eq(reallocs, 1);
	ck_assert_uint_eq(realloc_size, SIZE_MAX / sizeof *a * sizeof *a);
	ck_assert_uint_eq(cap, 0);
}
END_TEST

START_TEST(test_array_grow_nomem_leaves_array)
{
	long *a = NULL, *before;
	size_t cap = 0;
	int rc[2];

	realloc_fails = 1;
	rc[0] = inf_array_grow(&a, &cap, 1, sizeof *a);
	realloc_fails = 0;
	ck_assert_int_eq(rc[0], INF_ERR_NOMEM);
	ck_assert_ptr_null(a);
	ck_assert_uint_eq(cap, 0);

	ck_assert_int_eq(inf_array_grow(&a, &cap, 20, sizeof *a), 0);
	for (size_t i = 0; i < cap; i++)
		a[i] = (long)i + 100;
	before = a;
	realloc_fails = 1;
	rc[0] = inf_array_grow(&a, &cap, 33, sizeof *a);
	rc[1] = inf_array_grow(&a, &cap, 32, sizeof *a); /* met: no realloc */
	realloc_fails = 0;
	ck_assert_int_eq(rc[0], INF_ERR_NOMEM);
	ck_assert_int_eq(rc[1], 0);
	ck_assert_ptr_eq(a, before);
	ck_assert_uint_eq(cap, 32);
	for (size_t i = 0; i < cap; i++)
		ck_assert_int_eq(a[i], (long)i + 100);
	free(a);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tb = tcase_create("buf");
	TCase *ta = tcase_create("array");

	tcase_add_test(tb, test_empty_needs_no_memory);
	tcase_add_test(tb, test_append_keeps_bytes);
	tcase_add_test(tb, test_reserve_growth);
	tcase_add_test(tb, test_reuse_stops_allocating);
	tcase_add_test(tb, test_printf);
	tcase_add_test(tb, test_consume);
	tcase_add_test(tb, test_phase);
	tcase_add_test(tb, test_copy);
	tcase_add_test(tb, test_reserve_too_large);
	tcase_add_test(tb, test_buf_nomem_leaves_buffer);
	suite_add_tcase(s, tb);

	tcase_add_test(ta, test_array_grow);
	tcase_add_test(ta, test_array_grow_element_size);
	tcase_add_test(ta, test_array_grow_nomem_leaves_array);
	tcase_add_test(ta, test_array_grow_overflow);
	suite_add_tcase(s, ta);
	return s;
}

int main(void)
{
	return tu_run_suite(buf_suite());
}
