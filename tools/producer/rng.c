/*
 * xoshiro256** (Blackman and Vigna) seeded through splitmix64; see rng.h.
 * prod_rng_range uses Lemire's multiply-and-reject method, so ranges are
 * exactly uniform and cost one multiplication in the common case.
 */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void prod_rng_seed(struct prod_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

uint64_t prod_rng_next(struct prod_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t prod_rng_range(struct prod_rng *r, uint64_t lo, uint64_t hi)
{
	uint64_t n = hi - lo + 1; /* 0 means the whole 64-bit range */
	__uint128_t m;
	uint64_t low;

	if (n == 0)
		return prod_rng_next(r);
	m = (__uint128_t)prod_rng_next(r) * n;
	low = (uint64_t)m;
	if (low < n) {
		uint64_t threshold = (0 - n) % n;

		while (low < threshold) {
			m = (__uint128_t)prod_rng_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return lo + (uint64_t)(m >> 64);
}

void prod_rng_bytes(struct prod_rng *r, unsigned char *out, unsigned n)
{
	while (n) {
		uint64_t v = prod_rng_next(r);

		for (int i = 0; i < 8 && n; i++, n--) {
			*out++ = (unsigned char)v;
			v >>= 8;
		}
	}
}
