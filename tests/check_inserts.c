/*
 * The pending inserts' table (core/inserts.c): entries are found by hash
 * and by the caller's own comparison, forgetting them costs nothing and
 * leaves none alive, not even when the generation wraps, growth keeps
 * every entry, and a growth that fails (calloc made to fail on demand:
 * this suite is linked with -Wl,--wrap=calloc) leaves the table as it
 * was.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "inflight/plugin.h"
#include "inserts.h"
#include "testutil.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static int calloc_fails; /* while set, every calloc returns NULL */

void *__wrap_calloc(size_t n, size_t size)
{
	return calloc_fails ? NULL : __real_calloc(n, size);
}

/* The caller's comparison: edit e is the entry for key *ctx. */
static int same(size_t e, void *ctx)
{
	return e == *(size_t *)ctx;
}

/* Adds the entry for key k (edit k), hashed by k's bytes. */
static void add(struct inf_inserts *s, size_t k)
{
	ck_assert_int_eq(inf_inserts_reserve(s), 0);
	inf_inserts_add(s, inf_inserts_hash(1, (const char *)&k, sizeof k), k);
}

static size_t find(const struct inf_inserts *s, size_t k)
{
	return inf_inserts_find(s, inf_inserts_hash(1, (const char *)&k, sizeof k), same, &k);
}

START_TEST(test_find_and_grow)
{
	struct inf_inserts s = { 0 };

	ck_assert_uint_eq(find(&s, 3), (size_t)-1);
	for (size_t k = 0; k < 5000; k++)
		add(&s, k);
	for (size_t k = 0; k < 5000; k++)
		ck_assert_uint_eq(find(&s, k), k);
	ck_assert_uint_eq(find(&s, 5000), (size_t)-1);
	ck_assert_uint_ge(s.cap, 2 * s.n);
	inf_inserts_free(&s);
}
END_TEST

/* Forgotten entries stay forgotten, also across the generation's wrap,
 * which would otherwise bring slots stamped with the new value back. */
START_TEST(test_forget_and_wrap)
{
	struct inf_inserts s = { 0 };

	add(&s, 1);
	add(&s, 2);
	inf_inserts_forget(&s);
	ck_assert_uint_eq(find(&s, 1), (size_t)-1);
	add(&s, 7);
	ck_assert_uint_eq(find(&s, 7), 7);
	/* the generations ran round: 7's slot holds generation 1, long
	 * past, which the wrap is about to give the table again */
	for (size_t i = 0; i < s.cap; i++)
		if (s.slot[i].gen == s.gen)
			s.slot[i].gen = 1;
	s.gen = UINT32_MAX;
	inf_inserts_forget(&s); /* wraps: every slot cleared, gen 1 */
	ck_assert_uint_eq(s.gen, 1);
	ck_assert_uint_eq(find(&s, 7), (size_t)-1);
	add(&s, 8);
	ck_assert_uint_eq(find(&s, 8), 8);
	ck_assert_uint_eq(find(&s, 7), (size_t)-1);
	inf_inserts_free(&s);
}
END_TEST

/* A table forgotten many times holds one record's inserts, no more: a
 * forget empties it, and a growth in a later generation keeps what it
 * moves findable (slots are stamped with the new table's generation). */
START_TEST(test_forget_empties_and_later_growth)
{
	struct inf_inserts s = { 0 };

	for (int rec = 0; rec < 1000; rec++) {
		add(&s, (size_t)rec);
		inf_inserts_forget(&s);
		ck_assert_uint_eq(s.n, 0);
	}
	ck_assert_uint_eq(s.cap, 16); /* MIN_CAP: one live entry at a time */
	ck_assert_uint_gt(s.gen, 1);
	for (size_t k = 0; k < 40; k++) /* grows twice */
		add(&s, k);
	for (size_t k = 0; k < 40; k++)
		ck_assert_uint_eq(find(&s, k), k);
	ck_assert_uint_eq(find(&s, 999), (size_t)-1);
	inf_inserts_free(&s);
}
END_TEST

/* An equal hash is not enough: the caller's comparison decides. */
START_TEST(test_same_hash_other_key)
{
	struct inf_inserts s = { 0 };
	size_t k = 3;
	uint64_t h = inf_inserts_hash(1, (const char *)&k, sizeof k);

	add(&s, 3);
	ck_assert_uint_eq(inf_inserts_find(&s, h, same, &(size_t){ 4 }), (size_t)-1);
	ck_assert_uint_eq(inf_inserts_find(&s, h, same, &(size_t){ 3 }), 3);
	inf_inserts_free(&s);
}
END_TEST

/* The flush moves the edits down: every entry's index with them. */
START_TEST(test_shift)
{
	struct inf_inserts s = { 0 };
	size_t k = 10;

	add(&s, 10);
	inf_inserts_shift(&s, 4);
	ck_assert_uint_eq(inf_inserts_find(&s, inf_inserts_hash(1, (const char *)&k, sizeof k),
					   same, &(size_t){ 6 }), 6);
	inf_inserts_free(&s);
}
END_TEST

START_TEST(test_grow_nomem_leaves_table)
{
	struct inf_inserts s = { 0 };
	size_t cap;

	for (size_t k = 0; k < 8; k++)
		add(&s, k);
	cap = s.cap;
	calloc_fails = 1;
	ck_assert_int_eq(inf_inserts_reserve(&s), INF_ERR_NOMEM);
	calloc_fails = 0;
	ck_assert_uint_eq(s.cap, cap);
	for (size_t k = 0; k < 8; k++)
		ck_assert_uint_eq(find(&s, k), k);
	inf_inserts_free(&s);
}
END_TEST

static Suite *inserts_suite(void)
{
	Suite *s = suite_create("inserts");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_find_and_grow);
	tcase_add_test(tc, test_forget_and_wrap);
	tcase_add_test(tc, test_shift);
	tcase_add_test(tc, test_forget_empties_and_later_growth);
	tcase_add_test(tc, test_same_hash_other_key);
	tcase_add_test(tc, test_grow_nomem_leaves_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(inserts_suite());
}
