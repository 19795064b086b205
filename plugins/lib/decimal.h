/*
 * Exact decimal rounding of JSON number text, for plugins: compiled into
 * the .so that uses it (hidden, as everything but the descriptor), never
 * into the core. mask_fields' round op is its user.
 */
#ifndef INF_PLUGIN_DECIMAL_H
#define INF_PLUGIN_DECIMAL_H

#include <stddef.h>

/* A multiple to round to: units x 10^-decimals; fixed: the result keeps
 * every one of the decimals, else trailing zeros are dropped. */
struct inf_decimal {
	unsigned long long units;
	int decimals, fixed;
};

/* inf_decimal_round's answer when `out` is too small: *need says how
 * much it takes. */
#define INF_DECIMAL_ROOM 2

/* The multiple for `digits` decimals kept (-15 .. 15; negative rounds to
 * tens, hundreds, ...) or, when step > 0, for a multiple of `step` taken
 * from its shortest decimal form (0.25 is 25 units of 10^-2). Returns 0,
 * or -1 when step is 1e17 or more. */
int inf_decimal_multiple(struct inf_decimal *d, long long digits, double step);

/* Whether the JSON number `raw` (`len` bytes) is kept as written: an
 * integer when the multiple is 1 (digits >= 0, no step), but -0. */
int inf_decimal_kept(const struct inf_decimal *d, const char *raw, size_t len);

/* Rounds the JSON number `raw` (`len` bytes, valid JSON number text, not
 * kept by inf_decimal_kept, within a double's range: the caller checks
 * both, the second bounds the work) half away from zero to a multiple of
 * d, exactly, however many digits it has: the value times 10^decimals is
 * divided by units digit by digit, the quotient rounded, multiplied back
 * and printed with the decimals (every one when fixed, else without
 * trailing zeros). Returns 1 with the result in out[0, *outlen),
 * INF_DECIMAL_ROOM with *need set when `cap` is too small, or
 * INF_ERR_LIMIT for an exponent too large to read. */
int inf_decimal_round(const struct inf_decimal *d, const char *raw, size_t len,
		      char *out, size_t cap, size_t *outlen, size_t *need);

#endif
