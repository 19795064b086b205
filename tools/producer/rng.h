/*
 * The producer's seeded PRNG: xoshiro256** whose state is filled from the
 * 64-bit seed by splitmix64. The same seed gives the same sequence on every
 * platform; nothing here reads the clock or the system entropy pool.
 * The state lives in the caller's struct; nothing is allocated.
 */
#ifndef PROD_RNG_H
#define PROD_RNG_H

#include <stdint.h>

struct prod_rng {
	uint64_t s[4];
};

/* Seeds the generator; any 64-bit value (0 included) is a valid seed. */
void prod_rng_seed(struct prod_rng *r, uint64_t seed);

/* Next 64 uniformly distributed bits. */
uint64_t prod_rng_next(struct prod_rng *r);

/* Uniform integer in [lo, hi] (inclusive, lo <= hi), without modulo bias. */
uint64_t prod_rng_range(struct prod_rng *r, uint64_t lo, uint64_t hi);

/* Fills `n` bytes of `out` with random bits. */
void prod_rng_bytes(struct prod_rng *r, unsigned char *out, unsigned n);

#endif
