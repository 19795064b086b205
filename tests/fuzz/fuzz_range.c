/*
 * Fuzz target: Range and partNumber (runtime/range.c).
 *
 * Input: byte 0 says which of Range and partNumber are given (bits 0 and
 * 1) and how the object's length is chosen (bits 2-3: 64 bits from bytes
 * 1-8; one byte; a multiple of the 5 MiB part size give or take one; or
 * UINT64_MAX less one byte); then the Range text, a NUL, the partNumber
 * text.
 *
 * Invariants:
 *  - status is 200, 206, 400 or 416; an S3 error code exactly for 400 and
 *    416; a 206 is a non-empty slice inside the object; a 200 is the whole
 *    object; a 400/416 sends nothing; total is the length given;
 *  - parts is set only when a partNumber was asked;
 *  - the answer is the one of a reference written from range.h and shared
 *    docs §4, in 128-bit arithmetic: bytes=a-b, bytes=a-, bytes=-n (unit
 *    in any case, blanks between the tokens), partNumber digits with
 *    blanks around, both given -> 400 InvalidRequest. (Numbers past
 *    2^128 saturate here; when a and b both do, their order is not
 *    compared.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzzutil.h"
#include "range.h"

typedef unsigned __int128 u128;

#define BIG (~(u128)0) /* numbers past 2^128 - 1 saturate here */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

struct ref {
	int undecided; /* a and b both past 2^128: this reference saturates
			* them, so their order is not compared */
	int status;
	const char *code;
	u128 start, len, parts;
};

static const char *blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Decimal digits at *p as a 128-bit number capped at BIG; count in *n. */
static u128 number(const char **p, size_t *n)
{
	u128 v = 0;

	for (*n = 0; **p >= '0' && **p <= '9'; (*p)++, (*n)++)
		v = v > (BIG - 9) / 10 ? BIG : v * 10 + (unsigned)(**p - '0');
	return v;
}

static void ref_whole(struct ref *r, u128 total)
{
	r->status = 200;
	r->code = NULL;
	r->start = 0;
	r->len = total;
}

static void ref_error(struct ref *r, int status, const char *code)
{
	r->status = status;
	r->code = code;
	r->start = r->len = 0;
}

static void ref_range(const char *s, u128 total, struct ref *r)
{
	const char *p = blanks(s);
	size_t na, nb;
	u128 a, b;

	if (strncasecmp(p, "bytes", 5))
		return ref_whole(r, total);
	p = blanks(p + 5);
	if (*p != '=')
		return ref_whole(r, total);
	p = blanks(p + 1);
	a = number(&p, &na);
	p = blanks(p);
	if (*p != '-')
		return ref_whole(r, total);
	p = blanks(p + 1);
	b = number(&p, &nb);
	p = blanks(p);
	if (*p || (!na && !nb)) /* junk, several ranges, or just "-" */
		return ref_whole(r, total);
	if (na && nb && a == BIG && b == BIG)
		r->undecided = 1;
	if (!na) { /* the last b bytes */
		if (b == 0 || total == 0)
			return ref_error(r, 416, "InvalidRange");
		r->len = b < total ? b : total;
		r->start = total - r->len;
	} else {
		if (nb && a > b)
			return ref_whole(r, total);
		if (a >= total)
			return ref_error(r, 416, "InvalidRange");
		r->start = a;
		r->len = (nb && b < total - 1 ? b : total - 1) - a + 1;
	}
	r->status = 206;
	r->code = NULL;
}

static void ref_part(const char *s, u128 total, struct ref *r)
{
	const char *p = blanks(s);
	size_t n;
	u128 part = number(&p, &n), parts = total == 0 ? 1 : (total + INF_PART_SIZE - 1) / INF_PART_SIZE;

	if (!n || *blanks(p))
		return ref_error(r, 400, "InvalidArgument");
	r->parts = parts;
	if (part < 1 || part > parts)
		return ref_error(r, 416, "InvalidPartNumber");
	if (total == 0)
		return ref_whole(r, total);
	r->start = (part - 1) * INF_PART_SIZE;
	r->len = total - r->start < INF_PART_SIZE ? total - r->start : INF_PART_SIZE;
	r->status = 206;
	r->code = NULL;
}

static void ref_slice(const char *range, const char *part, uint64_t total, struct ref *r)
{
	memset(r, 0, sizeof *r);
	if (range && part)
		return ref_error(r, 400, "InvalidRequest");
	if (range)
		return ref_range(range, total, r);
	if (part)
		return ref_part(part, total, r);
	ref_whole(r, total);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inf_slice s;
	struct ref want;
	uint64_t total;
	size_t at;
	char *text, *range = NULL, *part = NULL;

	if (size < 1)
		return 0;
	switch ((data[0] >> 2) & 3) {
	case 0:
		if (size < 9)
			return 0;
		total = le64(data + 1);
		at = 9;
		break;
	case 1:
		if (size < 2)
			return 0;
		total = data[1];
		at = 2;
		break;
	case 2:
		if (size < 3)
			return 0;
		total = (uint64_t)data[1] * INF_PART_SIZE;
		total = data[2] % 3 == 0 ? (total ? total - 1 : 0) : total + data[2] % 3 - 1;
		at = 3;
		break;
	default:
		if (size < 2)
			return 0;
		total = UINT64_MAX - data[1];
		at = 2;
		break;
	}
	if (!(text = malloc(size - at + 2)))
		return 0;
	memcpy(text, data + at, size - at);
	text[size - at] = '\0';
	text[size - at + 1] = '\0';
	if (data[0] & 1)
		range = text;
	if (data[0] & 2)
		part = text + strlen(text) + 1;

	inf_slice_compute(range, part, total, &s);

	FZ_CHECK(s.status == 200 || s.status == 206 || s.status == 400 || s.status == 416,
		 "status %d", s.status);
	FZ_CHECK((s.code != NULL) == (s.status == 400 || s.status == 416),
		 "status %d with code %s", s.status, s.code ? s.code : "(none)");
	FZ_CHECK(s.total == total, "total %llu for an object of %llu",
		 (unsigned long long)s.total, (unsigned long long)total);
	if (s.status == 206)
		FZ_CHECK(s.len > 0 && s.start < total && s.len <= total - s.start,
			 "206 of [%llu, +%llu) in an object of %llu", (unsigned long long)s.start,
			 (unsigned long long)s.len, (unsigned long long)total);
	if (s.status == 200)
		FZ_CHECK(s.start == 0 && s.len == total, "200 of [%llu, +%llu) in an object of %llu",
			 (unsigned long long)s.start, (unsigned long long)s.len,
			 (unsigned long long)total);
	if (s.status == 400 || s.status == 416)
		FZ_CHECK(s.start == 0 && s.len == 0, "error %d with bytes to send", s.status);
	FZ_CHECK(s.parts == 0 || part, "parts %llu without a partNumber",
		 (unsigned long long)s.parts);

	ref_slice(range, part, total, &want);
	if (want.undecided)
		goto out;
	FZ_CHECK(s.status == want.status &&
			 (s.code == want.code || (s.code && want.code && !strcmp(s.code, want.code))) &&
			 s.start == want.start && s.len == want.len && s.parts == want.parts,
		 "Range [%s] partNumber [%s] over %llu: got %d %s [%llu, +%llu) parts %llu, "
		 "expected %d %s [%llu, +%llu) parts %llu",
		 range ? range : "(none)", part ? part : "(none)", (unsigned long long)total,
		 s.status, s.code ? s.code : "-", (unsigned long long)s.start,
		 (unsigned long long)s.len, (unsigned long long)s.parts, want.status,
		 want.code ? want.code : "-", (unsigned long long)want.start,
		 (unsigned long long)want.len, (unsigned long long)want.parts);
out:
	free(text);
	return 0;
}
