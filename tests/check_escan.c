/*
 * Where an array's elements end (core/escan.c): inf_escan_run, which
 * classifies 64-byte blocks at a time, against a byte-at-a-time scanner
 * written here from the contract, on random text of the bytes that
 * matter (brackets, braces, commas, quotes, backslashes) and filler, cut
 * into calls at random places so the state carried between calls is
 * tested too: both must stop at the same byte with the same state.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "escan.h"
#include "escanref.h"
#include "testutil.h"

/* Calls end at random places, 1 to 200 bytes on. */
static size_t random_limit(void *ctx, size_t at)
{
	return at + 1 + (size_t)(tu_rand(ctx) % 200);
}

static void compare(const char *d, size_t n, uint64_t *r, unsigned seed)
{
	size_t bad = escan_compare(d, n, random_limit, r);

	ck_assert_msg(bad == n, "seed %u: the element from byte %zu ends elsewhere, or in "
		      "another state, than the reference says", seed, bad);
}

START_TEST(test_random_text)
{
	/* weighted so that blocks with and without backslashes, deep and
	 * shallow nesting, long strings and many commas all occur */
	static const char alphabet[] = "{}[],,,\"\"\"\\\\ aaaaaaaaaaaaaaaaaaaaaa0123456789:";
	char d[1200];
	/* memcheck sees the same paths in a tenth of the texts */
	unsigned texts = tu_valgrind() ? 4000 : 40000;

	for (unsigned seed = 1; seed <= texts; seed++) {
		uint64_t r = 0x9e3779b97f4a7c15u ^ seed;
		size_t n = (size_t)(tu_rand(&r) % sizeof d);
		unsigned plain = (unsigned)(tu_rand(&r) % 4); /* 0: backslash-free text */
		for (size_t i = 0; i < n; i++) {
			char c = alphabet[tu_rand(&r) % (sizeof alphabet - 1)];
			if (!plain && c == '\\')
				c = 'a';
			d[i] = c;
		}
		compare(d, n, &r, seed);
	}
}
END_TEST

/* Records as arrays of store events hold them: flat objects, strings
 * with brackets and escaped quotes, nested arrays, elements longer than
 * a block. */
START_TEST(test_records)
{
	static const char *const elems[] = {
		"{\"a\":1,\"b\":\"x,y]}\",\"c\":[1,2,{\"d\":null}]}",
		"{\"s\":\"a \\\" quote, a \\\\ backslash\\\\\",\"t\":\"}\"}",
		"\"a string element, [with] {brackets}\"",
		"[[[[]]],[[]],{}]",
		"12345",
		"{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
	};
	char d[8192];

	for (unsigned seed = 1, arrays = tu_valgrind() ? 300 : 3000; seed <= arrays; seed++) {
		uint64_t r = seed;
		size_t n = 0;
		while (n < sizeof d - 200) {
			const char *e = elems[tu_rand(&r) % 6];
			memcpy(d + n, e, strlen(e));
			n += strlen(e);
			d[n++] = ',';
			if (tu_rand(&r) % 3 == 0)
				d[n++] = '\n';
		}
		d[n - 1] = ']';
		compare(d, n, &r, seed);
	}
}
END_TEST

static Suite *escan_suite(void)
{
	Suite *s = suite_create("escan");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_text);
	tcase_add_test(tc, test_records);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(escan_suite());
}
