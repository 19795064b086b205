/*
 * The drop of root members (inf_json_drop_top), and the list of them the
 * fused chain edits from (inf_json_fuse_top), in two stages, as simdjson
 * parses (tools/bench/PROFILE.md, item 23).
 *
 * Stage 1 reads the record 64 bytes at a time: backslashes and quotes,
 * the characters escaped, string interiors (a carry-less prefix XOR of
 * the quotes), whitespace and operators by a nibble lookup, control
 * characters inside strings, UTF-8 (Keiser and Lemire's lookups, on
 * blocks with a high byte only), the escapes inside strings (checked
 * after the blocks: the letter, \u's hex digits, surrogate pairs), and
 * the positions of the structural bytes (operators and the first byte of
 * each string, number and literal), compressed into an index array.
 * Stage 2 walks that array: grammar, depth, numbers, literals, the key
 * limit, and at each member of the root the drop keys and the span
 * copies. Nothing waits on where the previous token ended, which is what
 * the byte-driven parser of core/json.c does (item 21).
 *
 * NDJSON lines may go through stage 1 a window at a time, then stage 2
 * line by line (inf_jsonfast_drop_lines, inf_jsonfast_member_lines).
 *
 * It only accepts: on anything it refuses or cannot place it declines,
 * and core/json.c's parser, which gives every message and offset, reads
 * the record instead. So a record that is not JSON never depends on this
 * file to be refused by it alone; what it accepts, check_jsonfast and
 * fuzz_json compare with that parser, bytes and counts.
 */
#include "jsonfast.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define FAST 1
#endif

struct inf_jsonfast {
	uint32_t *idx;       /* stage 1: the structural positions */
	unsigned char *chr;  /* and the byte at each */
	uint32_t *esc;       /* the backslashes that start escapes */
	uint32_t *bad;       /* lines: where a control character or bad UTF-8 is */
	struct nl { uint32_t at, n; } *nl; /* lines: each '\n', structurals before it */
	size_t cap;          /* the longest text they have room for */
	size_t win;          /* lines: the next window's size */
	unsigned char *stack; /* stage 2: 1 for an object, 0 for an array */
	unsigned stack_cap;
	struct inf_jsonfast_member *mem; /* the root's members (cap / 4 + 2) */
};

void inf_jsonfast_free(struct inf_jsonfast *s)
{
	if (!s)
		return;
	free(s->idx);
	free(s->chr);
	free(s->esc);
	free(s->bad);
	free(s->nl);
	free(s->stack);
	free(s->mem);
	free(s);
}

#ifndef FAST

int inf_jsonfast_available(void)
{
	return 0;
}

int inf_jsonfast_drop_top(struct inf_jsonfast **s, const char *js, size_t len,
			  unsigned max_depth, size_t max_key,
			  const struct inf_dropkeys *keys, struct inf_buf *out,
			  size_t *removed)
{
	return 1;
}

int inf_jsonfast_members(struct inf_jsonfast **s, const char *js, size_t len,
			 unsigned max_depth, size_t max_key,
			 const struct inf_jsonfast_member **m, size_t *nm, size_t *close)
{
	return 1;
}

size_t inf_jsonfast_drop_lines(struct inf_jsonfast **s, const char *js, size_t len,
			       unsigned max_depth, size_t max_key, size_t max_record,
			       const struct inf_dropkeys *keys, struct inf_buf *out,
			       size_t *lines, size_t *blank, size_t *read)
{
	*lines = *blank = *read = 0;
	return 0;
}

size_t inf_jsonfast_member_lines(struct inf_jsonfast **s, const char *js, size_t len,
				 unsigned max_depth, size_t max_key, size_t max_record,
				 inf_jsonfast_line_fn fn, void *ctx, struct inf_buf *out,
				 size_t *lines, size_t *blank, size_t *dropped, size_t *read)
{
	*lines = *blank = *dropped = *read = 0;
	return 0;
}

#else

#include <immintrin.h>

int inf_jsonfast_available(void)
{
	static int known; /* 0: not asked yet, 1: no, 2: yes */
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (!v) {
		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
		    __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("pclmul") &&
		    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
		    __builtin_cpu_supports("popcnt") ? 2 : 1;
		__atomic_store_n(&known, v, __ATOMIC_RELAXED);
	}
	return v == 2;
}

/* Outside the target pragma below: code that runs before the CPU is
 * asked must not use its instructions. */
/* the bytes that may follow a number or literal: whitespace, operators */
static const unsigned char delim_tab[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['{'] = 1, ['}'] = 1,
	['['] = 1, [']'] = 1, [','] = 1, [':'] = 1,
};

static inline int is_hex(unsigned char c)
{
	return (unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 6u;
}

static inline unsigned hexv(unsigned char c)
{
	return c <= '9' ? (unsigned)c - '0' : (c | 0x20u) - 'a' + 10u;
}

/* Room for a record of n bytes: the blocks store 64 positions past the
 * last one. Returns 0 or -1. */
static int scratch_fit(struct inf_jsonfast *s, size_t n, unsigned max_depth)
{
	if (n > s->cap) {
		size_t cap = n < 1024 ? 1024 : n, room = cap + 128;
		void *idx = aligned_alloc(64, (room * sizeof(uint32_t) + 63) & ~(size_t)63);
		void *chr = aligned_alloc(64, (room + 63) & ~(size_t)63);
		void *esc = malloc(room * sizeof(uint32_t)), *bad = malloc(room * sizeof(uint32_t));
		void *nl = malloc(room * sizeof(struct nl));
		/* a member takes 4 bytes at least ("":0), and a comma */
		void *mem = malloc((cap / 4 + 2) * sizeof(struct inf_jsonfast_member));

		if (!idx || !chr || !esc || !bad || !nl || !mem) {
			free(idx), free(chr), free(esc), free(bad), free(nl), free(mem);
			return -1;
		}
		free(s->idx), free(s->chr), free(s->esc), free(s->bad), free(s->nl), free(s->mem);
		s->idx = idx, s->chr = chr, s->esc = esc, s->bad = bad, s->nl = nl, s->mem = mem;
		s->cap = cap;
	}
	if (max_depth > s->stack_cap) {
		void *st = realloc(s->stack, max_depth);

		if (!st)
			return -1;
		s->stack = st, s->stack_cap = max_depth;
	}
	return 0;
}

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target( \
	"avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,pclmul,bmi,bmi2,popcnt"))), \
	apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,pclmul,bmi,bmi2,popcnt")
#endif

/* What stage 1 found in one record: its structurals (positions from the
 * text's start) and the bytes at them, its escapes. */
struct s1_out {
	const uint32_t *idx;
	const unsigned char *chr;
	size_t n;      /* structural positions in idx */
	int bad;       /* a control character, bad UTF-8 or a bad escape */
	size_t nesc;   /* escapes inside strings */
	int open;      /* the last string runs to the end */
	/* lines: the '\n's outside strings and the bad bytes, in s->nl and
	 * s->bad */
	size_t nnl, nbad;
};

static inline uint64_t prefix_xor(uint64_t x)
{
	__m128i v = _mm_set_epi64x(0, (long long)x);

	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, _mm_set1_epi8((char)0xFF), 0));
}

/* simdjson's escape finder: the characters a backslash escapes, the
 * carry into the next block in *prev. */
static inline uint64_t find_escaped(uint64_t backslash, uint64_t *prev)
{
	const uint64_t even = 0x5555555555555555ULL;
	uint64_t follows, odd_starts;
	unsigned long long seq_even;

	backslash &= ~*prev;
	follows = backslash << 1 | *prev;
	odd_starts = backslash & ~even & ~follows;
	*prev = __builtin_uaddll_overflow(odd_starts, backslash, &seq_even);
	return (even ^ (uint64_t)seq_even << 1) & follows;
}

/* UTF-8 by Keiser and Lemire, "Validating UTF-8 in less than one
 * instruction per byte" (2021): three nibble lookups give each byte pair
 * the errors it may be; 3- and 4-byte sequences need their continuations. */
#define TOO_SHORT (1 << 0)
#define TOO_LONG (1 << 1)
#define OVERLONG_3 (1 << 2)
#define TOO_LARGE (1 << 3)
#define SURROGATE (1 << 4)
#define OVERLONG_2 (1 << 5)
#define TOO_LARGE_1000 (1 << 6)
#define OVERLONG_4 (1 << 6)
#define TWO_CONTS (1 << 7)
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)
#define REP4(...) __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__
#define B(x) (int8_t)(x)

static const int8_t t1h[64] __attribute__((aligned(64))) = { REP4(
	TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
	TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
	TOO_SHORT | OVERLONG_2, TOO_SHORT, TOO_SHORT | OVERLONG_3 | SURROGATE,
	B(TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4)) };
static const int8_t t1l[64] __attribute__((aligned(64))) = { REP4(
	B(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4), B(CARRY | OVERLONG_2),
	B(CARRY), B(CARRY), B(CARRY | TOO_LARGE),
	B(CARRY | TOO_LARGE | TOO_LARGE_1000), B(CARRY | TOO_LARGE | TOO_LARGE_1000),
	B(CARRY | TOO_LARGE | TOO_LARGE_1000), B(CARRY | TOO_LARGE | TOO_LARGE_1000),
	B(CARRY | TOO_LARGE | TOO_LARGE_1000), B(CARRY | TOO_LARGE | TOO_LARGE_1000),
	B(CARRY | TOO_LARGE | TOO_LARGE_1000), B(CARRY | TOO_LARGE | TOO_LARGE_1000),
	B(CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE),
	B(CARRY | TOO_LARGE | TOO_LARGE_1000), B(CARRY | TOO_LARGE | TOO_LARGE_1000)) };
static const int8_t t2h[64] __attribute__((aligned(64))) = { REP4(
	TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
	B(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4),
	B(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
	B(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
	B(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
	TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT) };
/* whitespace: ws_tab[c & 15] == c; operators: op_tab[(c | 0x20) & 15] == c | 0x20 */
static const int8_t ws_tab[64] __attribute__((aligned(64))) = { REP4(
	' ', 100, 100, 100, 17, 100, 113, 2, 100, '\t', '\n', 112, 100, '\r', 100, 100) };
static const int8_t op_tab[64] __attribute__((aligned(64))) = { REP4(
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ':', '{', ',', '}', 0, 0) };
#define S8(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7
static const uint8_t iota64[64] __attribute__((aligned(64))) = {
	S8(0), S8(8), S8(16), S8(24), S8(32), S8(40), S8(48), S8(56) };

/* The UTF-8 errors of block `in`, `prev` the block before it: a mask. */
static inline uint64_t utf8_errors(__m512i in, __m512i prev)
{
	const __m512i lo4 = _mm512_set1_epi8(0x0F), iota = _mm512_load_si512(iota64);
	/* byte k of p<n> is the one n before k, from `prev` for k < n (the
	 * index's bit 6 picks the second table: k - n wraps to 128 - n + k) */
	__m512i p1 = _mm512_permutex2var_epi8(in, _mm512_sub_epi8(iota, _mm512_set1_epi8(1)), prev);
	__m512i p2 = _mm512_permutex2var_epi8(in, _mm512_sub_epi8(iota, _mm512_set1_epi8(2)), prev);
	__m512i p3 = _mm512_permutex2var_epi8(in, _mm512_sub_epi8(iota, _mm512_set1_epi8(3)), prev);
	__m512i b1h = _mm512_shuffle_epi8(_mm512_load_si512(t1h),
					  _mm512_and_si512(_mm512_srli_epi16(p1, 4), lo4));
	__m512i b1l = _mm512_shuffle_epi8(_mm512_load_si512(t1l), _mm512_and_si512(p1, lo4));
	__m512i b2h = _mm512_shuffle_epi8(_mm512_load_si512(t2h),
					  _mm512_and_si512(_mm512_srli_epi16(in, 4), lo4));
	__m512i sc = _mm512_and_si512(_mm512_and_si512(b1h, b1l), b2h);
	__m512i t3 = _mm512_subs_epu8(p2, _mm512_set1_epi8((char)(0xE0 - 0x80)));
	__m512i t4 = _mm512_subs_epu8(p3, _mm512_set1_epi8((char)(0xF0 - 0x80)));
	__m512i must = _mm512_and_si512(_mm512_or_si512(t3, t4), _mm512_set1_epi8((char)0x80));
	__m512i err = _mm512_xor_si512(must, sc);

	return _mm512_test_epi8_mask(err, err);
}

/* Whether the nesc escapes at esc (ascending backslash positions in
 * [0, end)) are all valid, surrogate pairs whole. */
static __attribute__((noinline)) int escapes_ok(const unsigned char *js, size_t end,
						const uint32_t *esc, size_t nesc)
{
	size_t skip = 0;

	for (size_t k = 0; k < nesc; k++) {
		size_t p = esc[k];
		unsigned u, lo;

		if (p < skip)
			continue; /* the second half of a pair */
		if (end - p < 2)
			return 0;
		switch (js[p + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			continue;
		case 'u':
			break;
		default:
			return 0;
		}
		if (end - p < 6 || !is_hex(js[p + 2]) || !is_hex(js[p + 3]) ||
		    !is_hex(js[p + 4]) || !is_hex(js[p + 5]))
			return 0;
		u = hexv(js[p + 2]) << 12 | hexv(js[p + 3]) << 8 | hexv(js[p + 4]) << 4 |
		    hexv(js[p + 5]);
		if (u >= 0xDC00 && u <= 0xDFFF)
			return 0;
		if (u < 0xD800 || u > 0xDBFF)
			continue;
		if (end - p < 12 || js[p + 6] != '\\' || js[p + 7] != 'u' || !is_hex(js[p + 8]) ||
		    !is_hex(js[p + 9]) || !is_hex(js[p + 10]) || !is_hex(js[p + 11]))
			return 0;
		lo = hexv(js[p + 8]) << 12 | hexv(js[p + 9]) << 8 | hexv(js[p + 10]) << 4 |
		     hexv(js[p + 11]);
		if (lo < 0xDC00 || lo > 0xDFFF)
			return 0;
		skip = p + 7;
	}
	return 1;
}

/* Stage 1 over [js, js + end): s's index, r's answers. Reads no byte past
 * end (masked loads). With `lines` (a constant) the text is NDJSON lines
 * ending with a '\n': r->bad is not set, the bad bytes and the line ends
 * are listed instead. A line with a '\n' inside a string holds a bad
 * byte there, and the string state is wrong only after it; a '\n' ends
 * any UTF-8 sequence, so an incomplete one is a bad byte of its line.
 *
 * Its classes are loose where stage 2 reads the byte itself: the operator
 * lookup also takes 0x0C and 0x1A (0x0C | 0x20 is ',', 0x1A | 0x20 is
 * ':'), and a backslash outside a string still escapes the next byte,
 * which may hide a quote. Both are safe because every byte outside a
 * string that is not whitespace is indexed, or lies inside a run of
 * scalar bytes whose first one is indexed, and stage 2 compares the
 * exact byte at each index (a key's '"', ':', ',', the closing brackets)
 * and reads numbers and literals through to a delimiter: such a byte
 * makes the record declined, never accepted. */
static inline __attribute__((always_inline)) void
stage1(struct inf_jsonfast *s, const unsigned char *js, size_t end, struct s1_out *r,
       const int lines)
{
	uint64_t prev_escaped = 0, prev_instr = 0, prev_scalar = 0, prev_incomplete = 0;
	__m512i prev_in = _mm512_setzero_si512();
	const __m512i wst = _mm512_load_si512(ws_tab), opt = _mm512_load_si512(op_tab);
	const __m512i iota = _mm512_load_si512(iota64);
	uint32_t *idx = s->idx;
	size_t n = 0, nesc = 0, nnl = 0, nbad = 0;
	uint64_t bad = 0;

	for (size_t b = 0; b < end; b += 64) {
		size_t rem = end - b;
		__mmask64 lm = rem >= 64 ? ~0ULL : _bzhi_u64(~0ULL, (unsigned)rem);
		__m512i v = _mm512_maskz_loadu_epi8(lm, js + b);
		uint64_t bs = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'));
		uint64_t qu = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
		uint64_t escaped = find_escaped(bs, &prev_escaped);
		uint64_t q = qu & ~escaped;
		uint64_t in_str = prefix_xor(q) ^ prev_instr; /* the opening quote, not the closing */
		uint64_t wsm = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(wst, v), v);
		__m512i curl = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
		uint64_t op = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(opt, curl), curl);
		uint64_t scalar = ~(op | wsm), nq_scalar = scalar & ~q;
		uint64_t follows = nq_scalar << 1 | prev_scalar;
		uint64_t st = (op | (scalar & ~follows)) & ~(in_str ^ q) & lm;
		uint64_t es = bs & ~escaped & in_str;
		unsigned cnt = (unsigned)_mm_popcnt_u64(st);
		__m512i pos8 = _mm512_maskz_compress_epi8(st, iota), base = _mm512_set1_epi32((int)b);
		uint32_t *o = idx + n;
		uint64_t blk_bad = _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20)) & lm & in_str;

		prev_instr = 0 - (in_str >> 63); /* all ones inside a string */
		prev_scalar = nq_scalar >> 63;
		if (_mm512_movepi8_mask(v) | prev_incomplete) {
			blk_bad |= utf8_errors(v, prev_in);
			/* a sequence the block's last three bytes start */
			prev_incomplete = (_mm512_cmpge_epu8_mask(v, _mm512_set1_epi8((char)0xC0)) &
					   1ULL << 63) |
					  (_mm512_cmpge_epu8_mask(v, _mm512_set1_epi8((char)0xE0)) &
					   1ULL << 62) |
					  (_mm512_cmpge_epu8_mask(v, _mm512_set1_epi8((char)0xF0)) &
					   1ULL << 61);
		}
		prev_in = v;
		if (!lines) {
			bad |= blk_bad;
		} else {
			uint64_t nlm = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')) & lm;

			for (; blk_bad; blk_bad = _blsr_u64(blk_bad))
				s->bad[nbad++] = (uint32_t)(b + _tzcnt_u64(blk_bad));
			for (nlm &= ~in_str; nlm; nlm = _blsr_u64(nlm)) {
				unsigned at = (unsigned)_tzcnt_u64(nlm);

				s->nl[nnl++] = (struct nl){ (uint32_t)(b + at),
					(uint32_t)(n + (size_t)_mm_popcnt_u64(_bzhi_u64(st, at))) };
			}
		}
		for (; es; es = _blsr_u64(es))
			s->esc[nesc++] = (uint32_t)(b + _tzcnt_u64(es));
		_mm512_storeu_si512(s->chr + n, _mm512_maskz_compress_epi8(st, v));
		_mm512_storeu_si512(o, _mm512_add_epi32(
			_mm512_cvtepu8_epi32(_mm512_castsi512_si128(pos8)), base));
		if (cnt > 16) {
			_mm512_storeu_si512(o + 16, _mm512_add_epi32(
				_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(pos8, 1)), base));
			if (cnt > 32) {
				_mm512_storeu_si512(o + 32, _mm512_add_epi32(
					_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(pos8, 2)), base));
				_mm512_storeu_si512(o + 48, _mm512_add_epi32(
					_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(pos8, 3)), base));
			}
		}
		n += cnt;
	}
	r->idx = idx;
	r->chr = s->chr;
	r->nnl = nnl;
	r->nbad = nbad;
	r->open = prev_instr != 0;
	r->bad = !lines && (bad != 0 || prev_incomplete != 0 ||
			    (nesc && !escapes_ok(js, end, s->esc, nesc)));
	r->n = n;
	r->nesc = nesc;
}

/* The end of the number at p, or NULL when its grammar is wrong. */
static inline __attribute__((always_inline)) const unsigned char *
parse_num(const unsigned char *p, const unsigned char *end)
{
	if (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		uint32_t dm = _mm_cmplt_epu8_mask(_mm_sub_epi8(v, _mm_set1_epi8('0')),
						  _mm_set1_epi8(10));
		uint32_t nd = ~dm | 0x10000u;
		unsigned i = *p == '-';
		unsigned j = (unsigned)__builtin_ctz(nd >> i) + i; /* the first non-digit */

		if (j == i || (p[i] == '0' && j > i + 1))
			return NULL; /* no digit, or a leading zero */
		if (j < 15 && p[j] == '.') {
			unsigned k = (unsigned)__builtin_ctz(nd >> (j + 1)) + j + 1;

			if (k == j + 1)
				return NULL;
			j = k;
		}
		if (j < 16 && (p[j] | 0x20) != 'e' && p[j] != '.')
			return p + j;
	}
	return (const unsigned char *)inf_json_number_end((const char *)p, (const char *)end);
}

/* Whether the number or literal at pos is one, ended by a delimiter or
 * by end. */
static inline __attribute__((always_inline)) int
scalar_ok(const unsigned char *js, size_t pos, size_t end)
{
	const unsigned char *q;
	size_t l;

	switch (js[pos]) {
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		q = parse_num(js + pos, js + end);
		return q && (q == js + end || delim_tab[*q]);
	case 't':
		l = 4;
		if (end - pos < 4 || memcmp(js + pos, "true", 4))
			return 0;
		break;
	case 'f':
		l = 5;
		if (end - pos < 5 || memcmp(js + pos, "false", 5))
			return 0;
		break;
	case 'n':
		l = 4;
		if (end - pos < 4 || memcmp(js + pos, "null", 4))
			return 0;
		break;
	default:
		return 0;
	}
	return pos + l == end || delim_tab[js[pos + l]];
}

/* scalar_ok with the literals told apart without branches on them */
static inline __attribute__((always_inline)) int
scalar_lf(const unsigned char *js, size_t pos, size_t end)
{
	const unsigned char *p = js + pos, *q;
	uint64_t w;
	unsigned b0;
	uint32_t lo4;

	if (__builtin_expect(end - pos < 16, 0))
		return scalar_ok(js, pos, end);
	memcpy(&w, p, 8);
	b0 = (unsigned)(w & 0xFF);
	if (b0 - '0' < 10u || b0 == '-') {
		q = parse_num(p, js + end);
		return q && (q == js + end || delim_tab[*q]);
	}
	lo4 = (uint32_t)w;
	return (((lo4 == 0x65757274u) | (lo4 == 0x6c6c756eu)) & delim_tab[p[4]]) | /* true, null */
	       ((w & 0xFFFFFFFFFFull) == 0x65736c6166ull ? delim_tab[p[5]] : 0); /* false */
}

/* Copies what precedes the removed member [member, e) from *copied to
 * *o, and passes over the member with its separator. */
static inline __attribute__((always_inline)) void
cut_member(const unsigned char *member, const unsigned char *e, const unsigned char *jend,
	   int after_kept, const unsigned char **copied, char **o)
{
	const char *a, *b;

	inf_json_member_cut((const char *)member, (const char *)e, (const char *)jend,
			    after_kept, &a, &b);
	memcpy(*o, *copied, (size_t)((const unsigned char *)a - *copied));
	*o += (const unsigned char *)a - *copied;
	*copied = (const unsigned char *)b;
}

static const uint8_t flat_pat[64] __attribute__((aligned(64))) = {
#define P4 '"', ':', 0, ','
	P4, P4, P4, P4, P4, P4, P4, P4, P4, P4, P4, P4, P4, P4, P4, P4
#undef P4
};
#define VAL_LANES 0x4444444444444444ULL

/* The end of the key of member m of a flat root: its closing quote. */
static inline size_t flat_kq(const unsigned char *js, const uint32_t *idx, size_t m)
{
	size_t kq = idx[4 * m + 2] - 1;

	while (inf_json_ws((char)js[kq]))
		kq--;
	return kq;
}

/* Stage 2 for a root object of at most 64 members whose values are all
 * strings, numbers or literals: the structural bytes compared with
 * {"K":V,"K":V...} 64 at a time, the scalars one by one. Returns 0
 * (written to *o), 1 (declined), or 2: not that shape, or a record the
 * general walk must see (escapes, a key limit). The record is js[rs,
 * len), as walk's. */
static inline __attribute__((always_inline)) int
flat(struct inf_jsonfast *s, const unsigned char *js, size_t rs, size_t len, size_t end,
     const struct s1_out *r, size_t max_key, const struct inf_dropkeys *keys, char **o,
     size_t *removed, const int list)
{
	const uint32_t *idx = r->idx;
	const unsigned char *chr = r->chr, *copied = js + rs, *const jend = js + end;
	const __m512i pat = _mm512_load_si512(flat_pat), opt = _mm512_load_si512(op_tab);
	const size_t n = r->n;
	size_t nremoved = 0;
	uint64_t cand = 0;

	/* chr[0] is the root's '{': start() found it the first byte that is
	 * not whitespace, drop_lines the first structural of the line */
	if (n < 5 || n > 257 || (n - 1) % 4 || chr[n - 1] != '}' || r->nesc ||
	    (max_key && end - rs > max_key + 2))
		return 2;
	for (size_t t = 0; t < n - 2; t += 64) {
		size_t rem = n - 2 - t;
		__mmask64 lm = rem >= 64 ? ~0ULL : _bzhi_u64(~0ULL, (unsigned)rem);
		__m512i c = _mm512_maskz_loadu_epi8(lm, chr + 1 + t);
		__m512i curl = _mm512_or_si512(c, _mm512_set1_epi8(0x20));
		uint64_t op = _mm512_cmpeq_epi8_mask(_mm512_shuffle_epi8(opt, curl), curl);
		uint64_t eq = _mm512_cmpeq_epi8_mask(c, pat);

		if (((~eq & ~VAL_LANES) | (op & VAL_LANES)) & lm)
			return 2;
		for (uint64_t b = _mm512_cmpneq_epi8_mask(c, _mm512_set1_epi8('"')) & VAL_LANES & lm;
		     b; b = _blsr_u64(b))
			if (!scalar_lf(js, idx[t + 1 + _tzcnt_u64(b)], end))
				return 1;
	}
	if (r->bad || r->open)
		return 1;
	if (list) {
		for (size_t m = 0; m < (n - 1) / 4; m++) {
			const unsigned char *e;

			for (e = js + idx[4 * m + 4]; inf_json_ws((char)e[-1]); e--)
				;
			s->mem[m] = (struct inf_jsonfast_member){ (uint32_t)(idx[4 * m + 1] - rs),
				(uint32_t)(flat_kq(js, idx, m) - idx[4 * m + 1] - 1),
				(uint32_t)(idx[4 * m + 3] - rs), (uint32_t)(e - js - rs) };
		}
		*removed = (n - 1) / 4;
		return 0;
	}
	for (size_t m = 0; m < (n - 1) / 4; m++) {
		size_t pos = idx[4 * m + 1], klen = flat_kq(js, idx, m) - pos - 1;
		unsigned c = klen ? js[pos + 1] : 0;

		cand |= ((keys->lens >> (klen & 63)) & (keys->first[c >> 6] >> (c & 63)) & 1) << m;
	}
	for (; cand; cand = _blsr_u64(cand)) {
		size_t m = _tzcnt_u64(cand), pos = idx[4 * m + 1];
		const unsigned char *e;

		if (!keys->match(keys->ctx, (const char *)js + pos + 1, flat_kq(js, idx, m) - pos - 1))
			continue;
		for (e = js + idx[4 * m + 4]; inf_json_ws((char)e[-1]); e--) /* the value's end */
			;
		cut_member(js + pos, e, jend, m > nremoved, &copied, o);
		nremoved++;
	}
	memcpy(*o, copied, (size_t)(js + len - copied));
	*o += js + len - copied;
	*removed = nremoved;
	return 0;
}

/* Stage 2 of the record js[rs, len), its root an object, its last
 * non-whitespace byte at end - 1, r its stage 1: 0 with *o advanced past
 * what it wrote, or 1. With `list` (a constant) it writes nothing:
 * s->mem gets the root's members, *removed their count. */
static inline __attribute__((always_inline)) int
walk(struct inf_jsonfast *s, const struct s1_out *r, const unsigned char *js, size_t rs,
     size_t len, size_t end, unsigned max_depth, size_t max_key,
     const struct inf_dropkeys *keys, char **o, size_t *removed, const int list)
{
	const uint32_t *idx = r->idx;
	const int check_key = max_key && end - rs > max_key + 2;
	unsigned char *stk = s->stack, c;
	const unsigned char *copied = js + rs, *member = NULL;
	size_t i = 0, n, pos, kq, members = 0, nremoved = 0;
	unsigned sp = 0;
	int in_obj = 0, after_kept = 0, rc;

	if ((rc = flat(s, js, rs, len, end, r, max_key, keys, o, removed, list)) != 2)
		return rc;
	if (r->bad || r->open)
		return 1;
	n = r->n;

value: /* i: where a value starts */
	if (i >= n)
		return 1;
	pos = idx[i];
	c = js[pos];
	switch (c) {
	case '"':
		i++;
		goto after;
	case '{':
	case '[':
		if (sp >= max_depth)
			return 1;
		stk[sp++] = (unsigned char)in_obj;
		in_obj = c == '{';
		if (++i >= n)
			return 1;
		if (js[idx[i]] == (in_obj ? '}' : ']'))
			goto close;
		if (in_obj)
			goto key;
		goto value;
	default:
		if (!scalar_ok(js, pos, end))
			return 1;
		i++;
		goto after;
	}

after: /* a value ended; i: the structural after it */
	if (list && sp == 1) {
		const unsigned char *e = js + (i < n ? idx[i] : end);

		while (inf_json_ws((char)e[-1]))
			e--;
		s->mem[members - 1].vend = (uint32_t)(e - js - rs);
	} else if (!list && __builtin_expect(member != NULL, 0) && sp == 1) {
		const unsigned char *e = js + (i < n ? idx[i] : end);

		while (inf_json_ws((char)e[-1]))
			e--;
		cut_member(member, e, js + end, after_kept, &copied, o);
		member = NULL;
	}
	if (sp == 0)
		goto done;
	if (i >= n)
		return 1;
	c = js[idx[i]];
	if (c == ',') {
		if (++i >= n)
			return 1;
		if (in_obj)
			goto key;
		goto value;
	}
	if (c == (in_obj ? '}' : ']'))
		goto close;
	return 1;

close:
	in_obj = stk[--sp];
	i++;
	goto after;

key: /* i < n: where a member starts */
	pos = idx[i];
	if (js[pos] != '"')
		return 1;
	if (sp == 1 || check_key) {
		size_t klen;

		if (i + 1 >= n)
			return 1;
		for (kq = idx[i + 1] - 1; inf_json_ws((char)js[kq]); kq--)
			;
		klen = kq - pos - 1;
		if (check_key && klen > max_key)
			return 1;
		if (sp == 1) {
			if (r->nesc && memchr(js + pos + 1, '\\', klen))
				return 1; /* raw bytes are not the key */
			if (list)
				s->mem[members] = (struct inf_jsonfast_member){
					(uint32_t)(pos - rs), (uint32_t)klen, 0, 0 };
			else if (inf_dropkeys_may_hold(keys, (const char *)js + pos + 1, klen) &&
			    keys->match(keys->ctx, (const char *)js + pos + 1, klen)) {
				member = js + pos;
				after_kept = members > nremoved;
				nremoved++;
			}
			members++;
		}
	}
	if (++i >= n || js[idx[i]] != ':')
		return 1;
	i++;
	if (list && sp == 1 && i < n)
		s->mem[members - 1].v = (uint32_t)(idx[i] - rs);
	goto value;

done:
	if (i != n)
		return 1;
	if (list) {
		*removed = members;
		return 0;
	}
	memcpy(*o, copied, (size_t)(js + len - copied));
	*o += js + len - copied;
	*removed = nremoved;
	return 0;
}

static int drop(struct inf_jsonfast *s, const unsigned char *js, size_t len, size_t end,
		unsigned max_depth, size_t max_key, const struct inf_dropkeys *keys, char **o,
		size_t *removed)
{
	struct s1_out r;

	stage1(s, js, end, &r, 0);
	return walk(s, &r, js, 0, len, end, max_depth, max_key, keys, o, removed, 0);
}

static int list(struct inf_jsonfast *s, const unsigned char *js, size_t len, size_t end,
		unsigned max_depth, size_t max_key, size_t *nm)
{
	struct s1_out r;

	stage1(s, js, end, &r, 0);
	return walk(s, &r, js, 0, len, end, max_depth, max_key, NULL, NULL, nm, 1);
}

/* The lines of js[0, wend), which ends with a '\n': each one run as
 * inf_jsonfast_drop_top runs it, written at *o (or, with `list`, a
 * constant, its members given to fn, which appends to out), its line
 * ending copied after it, a line of whitespace copied as it is, until the
 * first one it does not take. Returns the bytes of the lines taken,
 * *lines their count, *blank those of whitespace, *dropped those fn
 * dropped. */
static inline __attribute__((always_inline)) size_t
run_lines(struct inf_jsonfast *s, const unsigned char *js, size_t wend, unsigned max_depth,
	  size_t max_key, size_t max_record, const struct inf_dropkeys *keys, char **o,
	  inf_jsonfast_line_fn fn, void *ctx, struct inf_buf *out, size_t *lines,
	  size_t *blank, size_t *dropped, const int list)
{
	size_t rs = 0, first = 0, e = 0, b = 0, removed;
	struct s1_out all_r, *all = &all_r;

	stage1(s, js, wend, all, 1);
	*lines = *blank = *dropped = 0;
	for (size_t k = 0; k < all->nnl; k++) {
		const struct nl *nl = &s->nl[k];
		size_t le = nl->at - (nl->at > rs && js[nl->at - 1] == '\r'), end = le;
		struct s1_out r = { .idx = all->idx + first, .chr = all->chr + first,
				    .n = nl->n - first };
		char *start = list ? NULL : *o;
		size_t ostart = list ? out->len : 0;
		int rc = 0;

		while (e < all->nesc && s->esc[e] < nl->at)
			e++;
		r.nesc = e - b;
		while (end > rs && inf_json_ws((char)js[end - 1]))
			end--;
		/* no structural byte: whitespace (a bad byte before it would
		 * have ended the loop, and one in it is indexed) */
		if (!r.n && le - rs <= max_record) {
			size_t n = nl->at + 1 - rs;

			if (list && inf_buf_append(out, js + rs, n))
				break;
			if (!list) {
				memcpy(*o, js + rs, n);
				*o += n;
			}
			++*blank, ++*lines;
			rs = nl->at + 1;
			b = e;
			continue;
		}
		/* a line over max_record, a root that is not an object, a bad
		 * byte or escape: the framer's own path */
		if (!r.n || le - rs > max_record || js[r.idx[0]] != '{' ||
		    (all->nbad && s->bad[0] <= nl->at) ||
		    (r.nesc && !escapes_ok(js, end, s->esc + b, r.nesc)) ||
		    walk(s, &r, js, rs, le, end, max_depth, max_key, keys, o, &removed, list) ||
		    (list && (rc = fn(ctx, (const char *)js + rs, le - rs, s->mem, removed,
				      end - 1 - rs, out)) != 0 && rc != INF_JSONFAST_LINE_DROP) ||
		    (list && rc == 0 && inf_buf_append(out, js + le, nl->at + 1 - le))) {
			if (list)
				out->len = ostart;
			else
				*o = start;
			break;
		}
		if (!list) {
			memcpy(*o, js + le, nl->at + 1 - le);
			*o += nl->at + 1 - le;
		}
		*dropped += rc != 0;
		++*lines;
		rs = nl->at + 1;
		first = nl->n;
		b = e;
	}
	return rs;
}

static size_t drop_lines(struct inf_jsonfast *s, const unsigned char *js, size_t wend,
			 unsigned max_depth, size_t max_key, size_t max_record,
			 const struct inf_dropkeys *keys, char **o, size_t *lines, size_t *blank)
{
	size_t dropped;

	return run_lines(s, js, wend, max_depth, max_key, max_record, keys, o, NULL, NULL, NULL,
			 lines, blank, &dropped, 0);
}

static size_t member_lines(struct inf_jsonfast *s, const unsigned char *js, size_t wend,
			   unsigned max_depth, size_t max_key, size_t max_record,
			   inf_jsonfast_line_fn fn, void *ctx, struct inf_buf *out,
			   size_t *lines, size_t *blank, size_t *dropped)
{
	return run_lines(s, js, wend, max_depth, max_key, max_record, NULL, NULL, fn, ctx, out,
			 lines, blank, dropped, 1);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* The record's end less trailing whitespace in *end, when its root may
 * be an object the fast path takes and *sp has room for it: 0, or 1. */
static int start(struct inf_jsonfast **sp, const unsigned char *js, size_t len,
		 unsigned max_depth, size_t *end)
{
	size_t p0 = 0;

	if (len > INF_JSONFAST_MAX || !max_depth || !inf_jsonfast_available())
		return 1;
	for (*end = len; *end > 0 && inf_json_ws((char)js[*end - 1]); --*end)
		;
	while (p0 < *end && inf_json_ws((char)js[p0]))
		p0++;
	if (p0 == *end || js[p0] != '{')
		return 1;
	return (!*sp && !(*sp = calloc(1, sizeof **sp))) || scratch_fit(*sp, *end, max_depth);
}

int inf_jsonfast_members(struct inf_jsonfast **sp, const char *jsc, size_t len,
			 unsigned max_depth, size_t max_key,
			 const struct inf_jsonfast_member **m, size_t *nm, size_t *close)
{
	const unsigned char *js = (const unsigned char *)jsc;
	size_t end;

	if (start(sp, js, len, max_depth, &end) || list(*sp, js, len, end, max_depth, max_key, nm))
		return 1;
	*m = (*sp)->mem;
	*close = end - 1;
	return 0;
}

int inf_jsonfast_drop_top(struct inf_jsonfast **sp, const char *jsc, size_t len,
			  unsigned max_depth, size_t max_key,
			  const struct inf_dropkeys *keys, struct inf_buf *out,
			  size_t *removed)
{
	const unsigned char *js = (const unsigned char *)jsc;
	size_t end;
	char *o;

	if (start(sp, js, len, max_depth, &end) || inf_buf_reserve(out, len))
		return 1;
	o = out->data + out->len;
	if (drop(*sp, js, len, end, max_depth, max_key, keys, &o, removed))
		return 1;
	out->len = (size_t)(o - out->data);
	return 0;
}

/* Windows grow from WIN_MIN to WIN_MAX while every line in them is taken,
 * and start again from WIN_MIN after one is not: a text the fast path
 * declines often costs stage 1 on a few lines more per line. WIN_MAX
 * keeps a window, its index and its output in a core's L1 cache: 16 KiB
 * windows ran 20 % slower than 8 KiB on 358-byte records, 64 KiB 40 %. */
#define WIN_MIN 2048
#define WIN_MAX 8192

/* The window of whole lines at the start of js[0, len) that a lines path
 * runs next: its end (0: none, or no memory), s ready for it and `out`
 * holding room for its bytes. */
static size_t window(struct inf_jsonfast **sp, const unsigned char *js, size_t len,
		     unsigned max_depth, struct inf_buf *out)
{
	struct inf_jsonfast *s;
	const unsigned char *nl;
	size_t want, w, wend;

	if (!len || !max_depth || !inf_jsonfast_available() ||
	    (!*sp && !(*sp = calloc(1, sizeof **sp))))
		return 0;
	s = *sp;
	want = s->win < WIN_MIN ? WIN_MIN : s->win;
	w = want < len ? want : len;
	/* the window ends after a line's '\n'; a first line longer than
	 * the window widens it, up to INF_JSONFAST_MAX */
	nl = memrchr(js, '\n', w);
	if (!nl && len > w)
		nl = memchr(js + w, '\n', (len < INF_JSONFAST_MAX ? len : INF_JSONFAST_MAX) - w);
	if (!nl)
		return 0;
	wend = (size_t)(nl - js) + 1;
	if (scratch_fit(s, wend, max_depth) || inf_buf_reserve(out, wend))
		return 0;
	return wend;
}

/* The next window's size after one of wend bytes that took `taken`. */
static void next_window(struct inf_jsonfast *s, size_t taken, size_t wend)
{
	size_t want = s->win < WIN_MIN ? WIN_MIN : s->win;

	s->win = taken < wend ? WIN_MIN : want < WIN_MAX ? 2 * want : WIN_MAX;
}

size_t inf_jsonfast_drop_lines(struct inf_jsonfast **sp, const char *jsc, size_t len,
			       unsigned max_depth, size_t max_key, size_t max_record,
			       const struct inf_dropkeys *keys, struct inf_buf *out,
			       size_t *lines, size_t *blank, size_t *read)
{
	const unsigned char *js = (const unsigned char *)jsc;
	size_t wend, taken;
	char *o;

	*lines = *blank = 0;
	if (!(*read = wend = window(sp, js, len, max_depth, out)))
		return 0;
	o = out->data + out->len;
	taken = drop_lines(*sp, js, wend, max_depth, max_key, max_record, keys, &o, lines, blank);
	out->len = (size_t)(o - out->data);
	next_window(*sp, taken, wend);
	return taken;
}

size_t inf_jsonfast_member_lines(struct inf_jsonfast **sp, const char *jsc, size_t len,
				 unsigned max_depth, size_t max_key, size_t max_record,
				 inf_jsonfast_line_fn fn, void *ctx, struct inf_buf *out,
				 size_t *lines, size_t *blank, size_t *dropped, size_t *read)
{
	const unsigned char *js = (const unsigned char *)jsc;
	size_t wend, taken;

	*lines = *blank = *dropped = 0;
	if (!(*read = wend = window(sp, js, len, max_depth, out)))
		return 0;
	taken = member_lines(*sp, js, wend, max_depth, max_key, max_record, fn, ctx, out, lines,
			     blank, dropped);
	next_window(*sp, taken, wend);
	return taken;
}

#endif
