#include "decimal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflight/plugin.h"

int inf_decimal_multiple(struct inf_decimal *in, long long digits, double step)
{
	char t[40], *e;
	int p = 1, md = 0, z;

	in->units = 1;
	in->fixed = 1;
	in->decimals = digits > 0 ? (int)digits : 0;
	for (long long k = digits; k < 0; k++)
		in->units *= 10;
	if (step <= 0)
		return 0;
	do /* the shortest %e form that reads back as step */
		snprintf(t, sizeof t, "%.*e", p - 1, step);
	while (strtod(t, NULL) != step && ++p <= 17);
	in->fixed = 0;
	in->units = 0;
	for (e = t; *e != 'e'; e++)
		if (*e >= '0' && *e <= '9')
			in->units = in->units * 10 + (unsigned)(*e - '0'), md++;
	z = (int)strtol(e + 1, NULL, 10) - (md - 1); /* step = units * 10^z */
	if (md + z > 17)
		return -1;
	for (; z > 0; z--)
		in->units *= 10;
	in->decimals = z < 0 ? -z : 0;
	return 0;
}

int inf_decimal_kept(const struct inf_decimal *in, const char *raw, size_t len)
{
	/* an integer under a multiple of 1 is kept exactly, however long;
	 * but -0, whose zero has a sign (JSON has no other integer -0...) */
	return in->fixed && in->units == 1 && !memchr(raw, '.', len) &&
	       !memchr(raw, 'e', len) && !memchr(raw, 'E', len) &&
	       !(len == 2 && raw[0] == '-' && raw[1] == '0');
}

int inf_decimal_round(const struct inf_decimal *in, const char *raw, size_t len,
		      char *out, size_t cap, size_t *outlen, size_t *need)
{
	const char *end = raw + len, *ip, *fp = "";
	unsigned long long S = in->units, r = 0, carry = 0;
	long long il, fl = 0, e = 0, m, sh, L, d = in->decimals, i, k, o;
	int neg, up, esign = 1;
	char *q, *res, *dst, first;

	neg = *raw == '-';
	for (ip = raw + neg; ip < end && *ip == '0'; ip++) /* leading zeros */
		;
	for (il = 0; ip + il < end && ip[il] >= '0' && ip[il] <= '9'; il++)
		;
	if (ip + il < end && ip[il] == '.')
		for (fp = ip + il + 1; fp + fl < end && fp[fl] >= '0' && fp[fl] <= '9'; fl++)
			;
	for (const char *p = fl ? fp + fl : ip + il + (ip + il < end && ip[il] == '.'); p < end; p++)
		if (*p == '-')
			esign = -1;
		else if (*p >= '0' && *p <= '9' && (e = e * 10 + (*p - '0')) > 100000000)
			return INF_ERR_LIMIT; /* 1e-999999999 too: refused, not 0 */
	e *= esign;
	/* the digits ip[0..il) fp[0..fl) are the value times 10^(fl - e) */
#define DIGIT(j) ((j) < il ? ip[j] : fp[(j) - il])
	for (k = 0, m = il + fl; k < m && DIGIT(k) == '0'; k++)
		; /* 0.00123: skip to the first significant digit */
	if (k == m)
		m = 0; /* zero */
	sh = e - fl + d; /* the value times 10^d is digits * 10^sh */
	L = m == 0 ? 0 : m + sh > k ? m + sh - k : 0; /* digits of its integer part */
	first = m == 0 || m + sh < k || sh >= 0 ? '0' : DIGIT(m + sh); /* first decimal */
	*need = 3 * ((size_t)L + (size_t)d + 48);
	if (cap < *need)
		return INF_DECIMAL_ROOM;
	q = out + 1; /* quotient, room for a carry at q[-1] */
	for (i = 0; i < L; i++) {
		r = r * 10 + (unsigned)(k + i < m ? DIGIT(k + i) - '0' : 0);
		q[i] = (char)('0' + r / S);
		r %= S;
	}
#undef DIGIT
	/* half away from zero: the remainder (r + 0.first...) against S / 2 */
	up = 2 * r >= S || (2 * r + 1 == S && first >= '5');
	q[-1] = '0';
	for (i = L - 1; up && i >= -1; i--)
		if (q[i] == '9')
			q[i] = '0';
		else
			q[i]++, up = 0;
	/* times S, right-aligned in res[0..L+20) */
	res = out + L + 2;
	for (i = L - 1, o = L + 19; i >= -1 || carry; i--, o--) {
		unsigned long long prod = (i >= -1 ? (unsigned)(q[i] - '0') * S : 0) + carry;
		res[o] = (char)('0' + prod % 10);
		carry = prod / 10;
	}
	for (o++; o < L + 19 && res[o] == '0'; o++)
		; /* leading zeros */
	k = L + 20 - o; /* digits of the result times 10^d */
	dst = res + L + 21;
	i = 0;
	if (neg && (k > 1 || res[o] != '0'))
		dst[i++] = '-';
	if (k <= d) /* 0.0xyz */
		dst[i++] = '0';
	else
		for (; k > d; k--)
			dst[i++] = res[o++];
	if (d && in->fixed) {
		dst[i++] = '.';
		for (long long pad = d - k; pad > 0; pad--)
			dst[i++] = '0';
		for (; k > 0; k--)
			dst[i++] = res[o++];
	} else if (d) {
		long long pad = d - k, last = o + k; /* drop the trailing zeros */
		while (last > o && res[last - 1] == '0')
			last--;
		if (last > o) {
			dst[i++] = '.';
			for (; pad > 0; pad--)
				dst[i++] = '0';
			while (o < last)
				dst[i++] = res[o++];
		}
	}
	memmove(out, dst, (size_t)i);
	*outlen = (size_t)i;
	return 1;
}
