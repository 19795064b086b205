#include "escan.h"

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define WIDE 1 /* an AVX-512 block_bits, chosen at run time */
#include <immintrin.h>
#endif

/* Bytes that change the array scanner's state outside strings. */
static const unsigned char array_special[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, [','] = 1,
};

/* Offset of the first '"' or '\\' in d[at, e), or e. */
static inline __attribute__((always_inline)) size_t
to_quote_or_backslash(const char *d, size_t at, size_t e)
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
static inline __attribute__((always_inline)) size_t
elem_scan_bytes(struct inf_escan *f, const char *d, size_t at, size_t lim)
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
/* The 16 bytes at d as masks of '"', '\\', opening ('{' '[') and
 * closing ('}' ']') brackets, each shifted left by `at` bits and added
 * to the block's. */
#define LANE_BITS(d, at, bk) do { \
	const __m128i v_ = _mm_loadu_si128((const __m128i *)(const void *)(d)); \
	/* '[' and ']' differ from '{' and '}' in bit 5 only */ \
	const __m128i l_ = _mm_or_si128(v_, _mm_set1_epi8(0x20)); \
	(bk)[0] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v_, _mm_set1_epi8('"'))) << (at); \
	(bk)[1] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v_, _mm_set1_epi8('\\'))) << (at); \
	(bk)[2] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(l_, _mm_set1_epi8('{'))) << (at); \
	(bk)[3] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(l_, _mm_set1_epi8('}'))) << (at); \
} while (0)

/* The masks of LANE_BITS for the 64-byte block at d, in bk[0..3]. The
 * four lanes are written out: a loop over them is not unrolled at -O2
 * and costs half again. */
static inline void block_bits(const char *d, uint64_t bk[4])
{
	bk[0] = bk[1] = bk[2] = bk[3] = 0;
	LANE_BITS(d, 0, bk);
	LANE_BITS(d + 16, 16, bk);
	LANE_BITS(d + 32, 32, bk);
	LANE_BITS(d + 48, 48, bk);
}
#undef LANE_BITS

/* The commas of the 64-byte block at d: needed only where the depth is
 * 0, at an element's first and last block. */
static inline __attribute__((always_inline)) uint64_t comma_bits(const char *d)
{
	const __m128i c = _mm_set1_epi8(',');
#define LANE_COMMAS(k) ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8( \
	_mm_loadu_si128((const __m128i *)(const void *)(d + 16 * (k))), c)) << (16 * (k)))

	return LANE_COMMAS(0) | LANE_COMMAS(1) | LANE_COMMAS(2) | LANE_COMMAS(3);
#undef LANE_COMMAS
}

/* Bit i set when an odd number of bits at or below i are set in x: with
 * x the quotes of a block, the bytes inside a string (the opening quote
 * counted in, the closing one out). */
static inline __attribute__((always_inline)) uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/* The 64-byte block at d, with no backslash (so no quote in it is
 * escaped and its strings are where the quotes say) and its masks in bk,
 * from the state f: the offset in it of the byte that ends the element,
 * or 64 with f brought to the end of the block. Where the depth stays
 * above 0 only brackets count, and a block without a closing one is
 * passed over whole. */
static inline __attribute__((always_inline)) size_t
block_run(struct inf_escan *f, const char *d, const uint64_t bk[4])
{
	uint64_t out = ~(prefix_xor(bk[0]) ^ (f->in_str ? ~(uint64_t)0 : 0));
	uint64_t open = bk[2] & out, close = bk[3] & out, comma = 0, left = ~(uint64_t)0;
	int depth = f->depth, commas = 0;

	for (;;) {
		uint64_t ev, low;
		if (depth > 0) {
			if (!close) { /* it cannot get back to 0 here */
				for (; open; open &= open - 1) /* rare: few opens */
					depth++;
				break;
			}
			ev = open | close;
		} else {
			if (!commas) {
				comma = comma_bits(d) & out & left;
				commas = 1;
			}
			ev = open | close | comma;
			if (!ev)
				break;
		}
		low = ev & -ev;
		if (!(open & low)) {
			if (depth == 0)
				return (size_t)__builtin_ctzll(low);
			depth--;
		} else {
			depth++;
		}
		left = ~((low << 1) - 1); /* the bits after low */
		open &= left;
		close &= left;
		comma &= left;
	}
	f->depth = depth;
	f->in_str = (int)(~out >> 63);
	return 64;
}
#endif

#if defined(WIDE)
/* block_bits with one 64-byte register (AVX-512 BW). */
__attribute__((target("avx512f,avx512bw"))) static inline void
block_bits_wide(const char *d, uint64_t bk[4])
{
	const __m512i v = _mm512_loadu_si512((const void *)d);
	const __m512i l = _mm512_or_si512(v, _mm512_set1_epi8(0x20));

	bk[0] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
	bk[1] = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
	bk[2] = _mm512_cmpeq_epi8_mask(l, _mm512_set1_epi8('{'));
	bk[3] = _mm512_cmpeq_epi8_mask(l, _mm512_set1_epi8('}'));
}
#endif

/* elem_scan_bytes over d[at, e), 64 bytes at a time where a block holds
 * no backslash (no quote in it can be escaped, so its strings are where
 * the quotes say), the blocks' masks made by `bits`. */
static inline __attribute__((always_inline)) size_t
run_blocks(struct inf_escan *f, const char *d, size_t at, size_t e,
	   void (*bits)(const char *, uint64_t *))
{
	(void)bits;
	while (at < e) {
#if defined(__SSE2__)
		uint64_t bk[4];

		if (!f->esc && e - at >= 64) {
			bits(d + at, bk);
			if (!bk[1]) {
				size_t k = block_run(f, d + at, bk);
				if (k < 64) /* ',' or ']' ends it, '}' is not JSON */
					return at + k;
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

#if defined(WIDE)
__attribute__((target("avx512f,avx512bw"))) static size_t
run_wide(struct inf_escan *f, const char *d, size_t at, size_t e)
{
	return run_blocks(f, d, at, e, block_bits_wide);
}

/* Whether this CPU has AVX-512 BW, enabled by the OS: asked once. */
static int wide_ok(void)
{
	static int known; /* 0: not asked yet, 1: no, 2: yes */
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (!v) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") ? 2 : 1;
		__atomic_store_n(&known, v, __ATOMIC_RELAXED);
	}
	return v == 2;
}
#endif

size_t inf_escan_run(struct inf_escan *f, const char *d, size_t at, size_t e)
{
#if defined(WIDE)
	if (wide_ok())
		return run_wide(f, d, at, e);
#endif
#if defined(__SSE2__)
	return run_blocks(f, d, at, e, block_bits);
#else
	return run_blocks(f, d, at, e, NULL);
#endif
}
