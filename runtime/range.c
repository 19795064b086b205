#include "range.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Parses decimal digits at *p; a number past UINT64_MAX saturates there
 * and sets *over, so callers can still order it against an exact
 * UINT64_MAX. Returns the number of digits read. */
static size_t digits(const char **p, uint64_t *v, int *over)
{
	size_t n = 0;

	*v = 0;
	*over = 0;
	while (**p >= '0' && **p <= '9') {
		unsigned d = (unsigned)(**p - '0');

		if (*v > (UINT64_MAX - d) / 10)
			*over = 1;
		*v = *over ? UINT64_MAX : *v * 10 + d;
		(*p)++;
		n++;
	}
	return n;
}

/* Orders two decimal digit strings by value (leading zeros allowed), for
 * numbers past UINT64_MAX: -1, 0 or 1. */
static int cmp_digits(const char *a, size_t na, const char *b, size_t nb)
{
	int c;

	for (; na > 1 && *a == '0'; a++, na--)
		;
	for (; nb > 1 && *b == '0'; b++, nb--)
		;
	if (na != nb)
		return na < nb ? -1 : 1;
	c = memcmp(a, b, na);
	return (c > 0) - (c < 0);
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static void whole(struct inf_slice *s, uint64_t total)
{
	s->status = 200;
	s->code = NULL;
	s->start = 0;
	s->len = total;
}

static void fail(struct inf_slice *s, int status, const char *code)
{
	s->status = status;
	s->code = code;
	s->start = s->len = 0;
}

static void range_slice(const char *r, uint64_t total, struct inf_slice *s)
{
	const char *p = r, *da, *db;
	uint64_t a = 0, b = 0;
	size_t na, nb;
	int a_over, b_over, after;

	skip_ws(&p);
	if (strncasecmp(p, "bytes", 5))
		return whole(s, total);
	p += 5;
	skip_ws(&p);
	if (*p++ != '=')
		return whole(s, total);
	skip_ws(&p);
	da = p;
	na = digits(&p, &a, &a_over);
	skip_ws(&p);
	if (*p++ != '-')
		return whole(s, total);
	skip_ws(&p);
	db = p;
	nb = digits(&p, &b, &b_over);
	skip_ws(&p);
	if (*p != '\0' || (na == 0 && nb == 0))
		return whole(s, total); /* junk or several ranges */
	if (na == 0) { /* bytes=-n: the last n bytes */
		if (b == 0 || total == 0)
			return fail(s, 416, "InvalidRange");
		s->len = b < total ? b : total;
		s->start = total - s->len;
	} else {
		/* first > last: not a range; past 2^64 compare the digits */
		after = a_over && b_over ? cmp_digits(da, na, db, nb) > 0
					 : a > b || (a_over && !b_over);
		if (nb > 0 && after)
			return whole(s, total);
		if (a >= total)
			return fail(s, 416, "InvalidRange");
		s->start = a;
		s->len = (nb == 0 || b >= total - 1 ? total - 1 : b) - a + 1;
	}
	s->status = 206;
	s->code = NULL;
}

static void part_slice(const char *part, uint64_t total, struct inf_slice *s)
{
	const char *p = part;
	/* rounded up without total + INF_PART_SIZE - 1, which wraps */
	int over;
	uint64_t n, parts = total == 0 ? 1 : total / INF_PART_SIZE + (total % INF_PART_SIZE != 0);

	skip_ws(&p);
	if (!digits(&p, &n, &over) || (skip_ws(&p), *p != '\0'))
		return fail(s, 400, "InvalidArgument");
	s->parts = parts;
	if (n < 1 || n > parts)
		return fail(s, 416, "InvalidPartNumber");
	if (total == 0)
		return whole(s, total);
	s->start = (n - 1) * INF_PART_SIZE;
	s->len = total - s->start < INF_PART_SIZE ? total - s->start : INF_PART_SIZE;
	s->status = 206;
	s->code = NULL;
}

void inf_slice_compute(const char *range, const char *part, uint64_t total,
		       struct inf_slice *out)
{
	memset(out, 0, sizeof *out);
	out->total = total;
	if (range && part)
		return fail(out, 400, "InvalidRequest");
	if (range)
		return range_slice(range, total, out);
	if (part)
		return part_slice(part, total, out);
	whole(out, total);
}

void inf_slice_content_range(const struct inf_slice *s, char *buf, size_t n)
{
	snprintf(buf, n, "bytes %llu-%llu/%llu", (unsigned long long)s->start,
		 (unsigned long long)(s->start + s->len - 1),
		 (unsigned long long)s->total);
}

void inf_slice_message(const struct inf_slice *s, char *buf, size_t n)
{
	const char *code = s->code ? s->code : "";

	if (!strcmp(code, "InvalidRequest"))
		snprintf(buf, n, "Range and partNumber cannot both be given");
	else if (!strcmp(code, "InvalidRange"))
		snprintf(buf, n, "Range is not satisfiable for the transformed object of %llu bytes",
			 (unsigned long long)s->total);
	else if (!strcmp(code, "InvalidPartNumber"))
		snprintf(buf, n, "partNumber is outside 1..%llu, the parts of the transformed "
			 "object of %llu bytes", (unsigned long long)s->parts,
			 (unsigned long long)s->total);
	else
		snprintf(buf, n, "partNumber is not a number");
}
