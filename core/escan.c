#include "escan.h"

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bytes that change the array scanner's state outside strings. */
static const unsigned char array_special[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, [','] = 1,
};

/* Offset of the first '"' or '\\' in d[at, e), or e. */
static size_t to_quote_or_backslash(const char *d, size_t at, size_t e)
{
#if defined(__SSE2__)
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');

	for (; e - at >= 16; at += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + at));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, b)));
		if (m)
			return at + (size_t)__builtin_ctz(m);
	}
#endif
	while (at < e && d[at] != '"' && d[at] != '\\')
		at++;
	return at;
}

/* Scans d[at, lim) one byte that matters at a time from the element's
 * state f. Returns the first byte that ends the element (',' or ']' at
 * depth 0, or a '}' there, which is not JSON), or lim with the state
 * kept for the bytes after it. */
static size_t elem_scan_bytes(struct inf_escan *f, const char *d, size_t at, size_t lim)
{
	const unsigned char *u = (const unsigned char *)d;

	while (at < lim) {
		if (f->in_str) {
			if (f->esc) {
				f->esc = 0;
				at++;
				continue;
			}
			at = to_quote_or_backslash(d, at, lim);
			if (at == lim)
				break;
			if (u[at] == '\\')
				f->esc = 1;
			else
				f->in_str = 0;
			at++;
			continue;
		}
		while (at < lim && !array_special[u[at]])
			at++;
		if (at == lim)
			break;
		if (u[at] == '"')
			f->in_str = 1;
		else if (u[at] == '{' || u[at] == '[')
			f->depth++;
		else if (f->depth == 0)
			return at;
		else if (u[at] != ',')
			f->depth--;
		at++;
	}
	return lim;
}

#if defined(__SSE2__)
/* The bits of the 64-byte block at d: its '"' in *q, its '\\' in *b,
 * and its { } [ ] , in *s. */
static inline void block_bits(const char *d, uint64_t *q, uint64_t *b, uint64_t *s)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i brace = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
	const __m128i comma = _mm_set1_epi8(','), bit5 = _mm_set1_epi8(0x20);

	*q = *b = *s = 0;
	for (int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + 16 * k));
		/* '[' and ']' differ from '{' and '}' in bit 5 only */
		__m128i l = _mm_or_si128(v, bit5);
		__m128i st = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(l, brace),
						      _mm_cmpeq_epi8(l, close)),
					  _mm_cmpeq_epi8(v, comma));

		*q |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << (16 * k);
		*b |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash)) << (16 * k);
		*s |= (uint64_t)(unsigned)_mm_movemask_epi8(st) << (16 * k);
	}
}

/* Bit i set when an odd number of bits at or below i are set in x: with
 * x the quotes of a block, the bytes inside a string (the opening quote
 * counted in, the closing one out). */
static inline uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}
#endif

/* elem_scan_bytes over d[at, e), 64 bytes at a time where a block holds
 * no backslash (no quote in it can be escaped, so its strings are where
 * the quotes say). */
size_t inf_escan_run(struct inf_escan *f, const char *d, size_t at, size_t e)
{
	while (at < e) {
#if defined(__SSE2__)
		uint64_t q, b, s;

		if (!f->esc && e - at >= 64) {
			block_bits(d + at, &q, &b, &s);
			if (!b) {
				uint64_t in = prefix_xor(q) ^ (f->in_str ? ~(uint64_t)0 : 0);
				for (uint64_t ev = s & ~in; ev; ev &= ev - 1) {
					size_t k = at + (size_t)__builtin_ctzll(ev);
					char c = d[k];
					if (c == '{' || c == '[')
						f->depth++;
					else if (f->depth == 0)
						return k; /* ',' or ']' ends it, '}' is not JSON */
					else if (c != ',')
						f->depth--;
				}
				f->in_str = (int)(in >> 63);
				at += 64;
				continue;
			}
		}
#endif
		size_t lim = e - at > 64 ? at + 64 : e, k = elem_scan_bytes(f, d, at, lim);
		if (k < lim)
			return k;
		at = lim;
	}
	return e;
}
