/*
 * A reference for mask_fields' ops, written from README.md ("mask_fields"),
 * not from plugins/mask_fields.c: what hash, hmac, partial and
 * truncate_date (unit day) make of a value's text, and the shape round
 * (digits 1) leaves. Texts are bytes with a length (decoded strings may
 * hold NUL); results go to a fz_buf, reset first.
 */
#ifndef FZ_REFMASK_H
#define FZ_REFMASK_H

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzzutil.h"

/* prefix + lowercase hex of SHA-256(salt followed by v) (key NULL) or of
 * HMAC-SHA256(key, v). */
static inline void rm_digest(const char *prefix, const char *key, const char *salt,
			     const char *v, size_t n, struct fz_buf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	if (key) {
		if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)v, n, md,
			  &mdlen))
			fz_fail("HMAC failed");
	} else {
		struct fz_buf in = { 0 };
		fz_put(&in, salt ? salt : "", salt ? strlen(salt) : 0);
		fz_put(&in, v, n);
		if (!EVP_Digest(in.p, in.len, md, &mdlen, EVP_sha256(), NULL))
			fz_fail("SHA-256 failed");
		fz_buf_free(&in);
	}
	out->len = 0;
	fz_put(out, prefix ? prefix : "", prefix ? strlen(prefix) : 0);
	for (unsigned i = 0; i < mdlen; i++) {
		fz_putc(out, hex[md[i] >> 4]);
		fz_putc(out, hex[md[i] & 15]);
	}
}

/* partial: the same number of characters (v is valid UTF-8), all but the
 * first kf and the last kl replaced by ch; every one when there are no
 * more than kf + kl. */
static inline void rm_partial(const char *v, size_t n, size_t kf, size_t kl, char ch,
			      struct fz_buf *out)
{
	size_t count = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)v[i] & 0xC0) != 0x80;
	out->len = 0;
	fz_put(out, "", 0);
	for (size_t i = 0; i < n; k++) {
		size_t len = 1;
		while (i + len < n && ((unsigned char)v[i + len] & 0xC0) == 0x80)
			len++;
		if (count > kf + kl && (k < kf || k >= count - kl))
			fz_put(out, v + i, len);
		else
			fz_putc(out, ch);
		i += len;
	}
}

/* truncate_date at day, in place: every time digit of v (after
 * YYYY-MM-DD and its separator, before a zone Z, +... or -...) becomes 0;
 * all else is kept. */
static inline void rm_truncate_day(char *v, size_t n)
{
	for (size_t i = 11; i < n; i++) {
		if (v[i] == 'Z' || v[i] == 'z' || v[i] == '+' || v[i] == '-')
			return;
		if (v[i] >= '0' && v[i] <= '9')
			v[i] = '0';
	}
}

/* Whether `got` is what round with digits 1 may make of the number
 * `in`: an integer kept as written, otherwise digits, a point and
 * exactly one decimal, no exponent. */
static inline int rm_rounded_1(const char *in, size_t n, const char *got, size_t gn)
{
	size_t i = 0, d = 0;
	int integer = 1;

	for (size_t k = 0; k < n; k++)
		if (in[k] == '.' || in[k] == 'e' || in[k] == 'E')
			integer = 0;
	if (integer)
		return n == gn && !memcmp(in, got, n);
	if (i < gn && got[i] == '-')
		i++;
	while (i < gn && got[i] >= '0' && got[i] <= '9')
		i++, d++;
	return d > 0 && i + 2 == gn && got[i] == '.' && got[i + 1] >= '0' && got[i + 1] <= '9';
}

#endif
