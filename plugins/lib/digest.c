#include "digest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <openssl/core_names.h>
#include <openssl/crypto.h>

/* The memo: MEMO_SETS sets of MEMO_WAYS slots chosen by a hash of the
 * value; a new value takes the first slot of its set and moves the others
 * one down, the last one out. Four ways, not two: 900 values in 2048 sets
 * of two missed 7.8 % of their look-ups on sets that three shared; in
 * 1024 sets of four, five must share one. A value longer than MEMO_VALUE
 * is digested every time.
 * When fewer than one in 8 of MEMO_WINDOW look-ups hit, the next
 * MEMO_PAUSE values are digested without looking. */
#define MEMO_SETS 1024u /* a power of two */
#define MEMO_WAYS 4u
#define MEMO_VALUE 31u
#define MEMO_WINDOW 4096u
#define MEMO_PAUSE 16384u
#define MEMO_BYTES (MEMO_WAYS * MEMO_SETS * sizeof(struct inf_digest_memo))
struct inf_digest_memo {
	unsigned char len; /* the value's length + 1; 0: empty slot */
	char value[MEMO_VALUE];
	unsigned char md[INF_DIGEST_LEN];
};
_Static_assert(sizeof(struct inf_digest_memo) == 64, "a memo slot is a cache line");

int inf_digest_read_key(const char *env, const char *file, unsigned char *key,
			size_t *len, char *err)
{
	unsigned char buf[INF_DIGEST_KEY_MAX + 2]; /* the key and its line break */
	const char *v;
	FILE *f;
	size_t n;
	int bad;

	if (env) {
		if (!(v = getenv(env)) || !*v) {
			snprintf(err, INF_ERR_MAX, "key_env: environment variable %.64s is not set or empty", env);
			return INF_ERR_INVALID;
		}
		if ((*len = strlen(v)) > INF_DIGEST_KEY_MAX) {
			snprintf(err, INF_ERR_MAX, "key_env: key longer than %d bytes", INF_DIGEST_KEY_MAX);
			return INF_ERR_INVALID;
		}
		memcpy(key, v, *len);
		return 0;
	}
	if (!(f = fopen(file, "rb"))) {
		snprintf(err, INF_ERR_MAX, "key_file: cannot read %.200s", file);
		return INF_ERR_IO;
	}
	n = fread(buf, 1, sizeof buf, f);
	bad = ferror(f) || fgetc(f) != EOF;
	fclose(f);
	/* one final line break (LF or CRLF) is not part of the key; any
	 * other byte is, so a binary key ending in 0x0a loses only that one */
	if (n && buf[n - 1] == '\n' && --n && buf[n - 1] == '\r')
		n--;
	if (!bad && n <= INF_DIGEST_KEY_MAX)
		memcpy(key, buf, n);
	OPENSSL_cleanse(buf, sizeof buf);
	if (bad || n > INF_DIGEST_KEY_MAX) {
		snprintf(err, INF_ERR_MAX, "key_file: cannot read %.180s, or longer than %d bytes",
			 file, INF_DIGEST_KEY_MAX);
		return INF_ERR_IO;
	}
	if ((*len = n) == 0) {
		snprintf(err, INF_ERR_MAX, "key_file: %.200s holds no key", file);
		return INF_ERR_INVALID;
	}
	return 0;
}

int inf_digest_init(struct inf_digest *d, const struct inf_host *host,
		    const char *salt, const unsigned char *key, size_t klen,
		    char *err)
{
	OSSL_PARAM params[2];

	d->host = host;
	d->salt = salt;
	if (!key) {
		d->md = EVP_MD_fetch(NULL, "SHA256", NULL);
		d->mdctx = EVP_MD_CTX_new();
		if (d->md && d->mdctx)
			return 0;
		snprintf(err, INF_ERR_MAX, "libcrypto: SHA-256 unavailable");
		return INF_ERR_INTERNAL;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	d->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	d->macctx = d->mac ? EVP_MAC_CTX_new(d->mac) : NULL;
	if (d->macctx && EVP_MAC_init(d->macctx, key, klen, params))
		return 0;
	snprintf(err, INF_ERR_MAX, "libcrypto: HMAC-SHA256 unavailable");
	return INF_ERR_INTERNAL;
}

void inf_digest_fini(struct inf_digest *d)
{
	EVP_MD_CTX_free(d->mdctx);
	EVP_MD_free(d->md);
	EVP_MAC_CTX_free(d->macctx);
	EVP_MAC_free(d->mac);
	if (d->memo) {
		OPENSSL_cleanse(d->memo, MEMO_BYTES);
		d->host->release(d->memo);
	}
	memset(d, 0, sizeof *d);
}

/* The memo set of the value s (n <= MEMO_VALUE bytes), MEMO_WAYS slots: a
 * multiply-xor hash of its 8-byte words, finalized, the set from its high
 * bits. */
static struct inf_digest_memo *memo_set(struct inf_digest *d, const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15u, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	h ^= w; /* then MurmurHash3's finalizer: short numbers ("100".."999")
		 * put 900 values in 432 of 1024 sets with one multiply */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return &d->memo[MEMO_WAYS * ((h >> 32) & (MEMO_SETS - 1))];
}

static int memo_holds(const struct inf_digest_memo *m, const char *s, size_t n)
{
	return m->len == n + 1 && !memcmp(m->value, s, n);
}

/* The slot that holds the value s, or NULL; *set: the set to remember s
 * in, or NULL when the memo is not used for it (too long, or paused). */
static const struct inf_digest_memo *memo_find(struct inf_digest *d, const char *s,
					       size_t n, struct inf_digest_memo **set)
{
	struct inf_digest_memo *m;
	const struct inf_digest_memo *hit = NULL;

	*set = NULL;
	if (n > MEMO_VALUE)
		return NULL;
	if (d->off) {
		d->off--;
		return NULL;
	}
	/* made at the first value: a policy's steps that never see one (of
	 * access points not served) hold no memo */
	if (!d->memo && !(d->memo = d->host->alloc(MEMO_BYTES))) {
		d->off = MEMO_PAUSE; /* without memory: digest each value */
		return NULL;
	}
	m = memo_set(d, s, n);
	for (unsigned w = 0; w < MEMO_WAYS && !hit; w++)
		if (memo_holds(&m[w], s, n))
			hit = &m[w];
	if (!hit)
		*set = m;
	d->hits += hit != NULL;
	if (++d->probes == MEMO_WINDOW) {
		if (d->hits < MEMO_WINDOW / 8)
			d->off = MEMO_PAUSE;
		d->probes = d->hits = 0;
	}
	return hit;
}

int inf_digest_value(struct inf_digest *d, const char *s, size_t n,
		     unsigned char md[INF_DIGEST_LEN])
{
	unsigned char out[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	unsigned int ulen = 0;
	struct inf_digest_memo *set;
	const struct inf_digest_memo *hit = memo_find(d, s, n, &set);
	int ok;

	if (hit) {
		memcpy(md, hit->md, INF_DIGEST_LEN);
		return 0;
	}
	if (d->md) {
		ok = EVP_DigestInit_ex(d->mdctx, d->md, NULL) &&
		     (!d->salt || EVP_DigestUpdate(d->mdctx, d->salt, strlen(d->salt))) &&
		     EVP_DigestUpdate(d->mdctx, s, n) && EVP_DigestFinal_ex(d->mdctx, out, &ulen);
		mdlen = ulen;
	} else {
		ok = d->macctx && EVP_MAC_init(d->macctx, NULL, 0, NULL) &&
		     EVP_MAC_update(d->macctx, (const unsigned char *)s, n) &&
		     EVP_MAC_final(d->macctx, out, &mdlen, sizeof out);
	}
	if (!ok || mdlen != INF_DIGEST_LEN)
		return INF_ERR_INTERNAL;
	memcpy(md, out, INF_DIGEST_LEN);
	if (set) {
		memmove(set + 1, set, (MEMO_WAYS - 1) * sizeof *set);
		set[0].len = (unsigned char)(n + 1);
		memcpy(set[0].value, s, n);
		memcpy(set[0].md, out, INF_DIGEST_LEN);
	}
	return 0;
}

void inf_digest_hex(const unsigned char md[INF_DIGEST_LEN], char *out)
{
#if defined(__SSE2__)
	/* 16 bytes at a time: each nibble to '0' + n, plus the gap to 'a'
	 * where n > 9; the high nibble first */
	const __m128i low4 = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9);
	const __m128i zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8('a' - '0' - 10);

	for (size_t i = 0; i < INF_DIGEST_LEN; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(md + i));
		__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low4);
		__m128i lo = _mm_and_si128(v, low4);
		__m128i n[2] = { _mm_unpacklo_epi8(hi, lo), _mm_unpackhi_epi8(hi, lo) };

		for (int k = 0; k < 2; k++) {
			__m128i c = _mm_add_epi8(_mm_add_epi8(n[k], zero),
						 _mm_and_si128(_mm_cmpgt_epi8(n[k], nine), gap));
			_mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 16 * (size_t)k), c);
		}
	}
#else
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < INF_DIGEST_LEN; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
#endif
}
