#include "valset.h"

#include <stdlib.h>
#include <string.h>

#include "inflight/plugin.h"
#include "buf.h"

struct str {
	const char *s;
	size_t len;
};

struct inf_valset {
	struct str *strs;
	size_t nstrs, cstrs;
	long long *ints;
	size_t nints, cints;
	double *floats;   /* the literals not written as integers */
	size_t nfloats, cfloats;
	double *nums;     /* every number literal as a double */
	size_t nnums, cnums;
	int has_true, has_false;
};

struct inf_valset *inf_valset_new(void)
{
	return calloc(1, sizeof(struct inf_valset));
}

void inf_valset_free(struct inf_valset *s)
{
	if (!s)
		return;
	free(s->strs);
	free(s->ints);
	free(s->floats);
	free(s->nums);
	free(s);
}

int inf_valset_add_string(struct inf_valset *s, const char *str, size_t len)
{
	if (inf_array_grow(&s->strs, &s->cstrs, s->nstrs + 1, sizeof *s->strs))
		return INF_ERR_NOMEM;
	s->strs[s->nstrs++] = (struct str){ str, len };
	return 0;
}

static int add_num(struct inf_valset *s, double d)
{
	if (inf_array_grow(&s->nums, &s->cnums, s->nnums + 1, sizeof *s->nums))
		return INF_ERR_NOMEM;
	s->nums[s->nnums++] = d;
	return 0;
}

int inf_valset_add_int(struct inf_valset *s, long long n)
{
	if (inf_array_grow(&s->ints, &s->cints, s->nints + 1, sizeof *s->ints))
		return INF_ERR_NOMEM;
	s->ints[s->nints++] = n;
	return add_num(s, (double)n);
}

int inf_valset_add_float(struct inf_valset *s, double d)
{
	if (inf_array_grow(&s->floats, &s->cfloats, s->nfloats + 1, sizeof *s->floats))
		return INF_ERR_NOMEM;
	s->floats[s->nfloats++] = d;
	return add_num(s, d);
}

void inf_valset_add_bool(struct inf_valset *s, int b)
{
	if (b)
		s->has_true = 1;
	else
		s->has_false = 1;
}

static int str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : alen < blen ? -1 : alen > blen;
}

static int cmp_str(const void *a, const void *b)
{
	const struct str *x = a, *y = b;

	return str_cmp(x->s, x->len, y->s, y->len);
}

static int cmp_int(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void inf_valset_seal(struct inf_valset *s)
{
	if (s->nstrs)
		qsort(s->strs, s->nstrs, sizeof *s->strs, cmp_str);
	if (s->nints)
		qsort(s->ints, s->nints, sizeof *s->ints, cmp_int);
	if (s->nfloats)
		qsort(s->floats, s->nfloats, sizeof *s->floats, cmp_double);
	if (s->nnums)
		qsort(s->nums, s->nnums, sizeof *s->nums, cmp_double);
}

int inf_valset_has_string(const struct inf_valset *s, const char *str, size_t len)
{
	size_t lo = 0, hi = s->nstrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = str_cmp(s->strs[mid].s, s->strs[mid].len, str, len);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int inf_valset_has_bool(const struct inf_valset *s, int b)
{
	return b ? s->has_true : s->has_false;
}

int inf_valset_has_int(const struct inf_valset *s, long long n)
{
	return s->nints && bsearch(&n, s->ints, s->nints, sizeof *s->ints, cmp_int);
}

int inf_valset_has_double(const struct inf_valset *s, double d, int ints_too)
{
	const double *a = ints_too ? s->nums : s->floats;
	size_t n = ints_too ? s->nnums : s->nfloats;

	return n && bsearch(&d, a, n, sizeof *a, cmp_double);
}

size_t inf_valset_floats(const struct inf_valset *s)
{
	return s->nfloats;
}
