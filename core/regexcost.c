#include "regexcost.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NEST 256
/* repetitions of a part that can already match empty ("e**", "(a|b*)+"):
 * each wraps an epsilon loop around the last, and regcomp's closure
 * computation over nested loops grows far faster than the copies do
 * ("(a|b*)+++++" and "1**++++" ran for minutes at 2048 and 257 copies,
 * 1 with 120 '*' 9 s, while every pattern with 3 took milliseconds) */
#define MAX_EMPTY_REPS 3

/* a + b and a * b, saturated at cap */
static unsigned long add(unsigned long a, unsigned long b, unsigned long cap)
{
	return a > cap || b > cap - a ? cap : a + b;
}

static unsigned long mul(unsigned long a, unsigned long b, unsigned long cap)
{
	return b && a > cap / b ? cap : a * b;
}

/* After a bracket expression's '[' at p: the byte after its ']'. */
static const char *skip_bracket(const char *p)
{
	if (*p == '^')
		p++;
	if (*p == ']')
		p++; /* a leading ']' is a member */
	while (*p && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char close = p[1];
			for (p += 2; *p && !(*p == close && p[1] == ']'); p++)
				;
			if (*p)
				p += 2;
			continue;
		}
		p++;
	}
	return *p ? p + 1 : p;
}

/* A "{n}", "{n,}" or "{n,m}" at p: its multiplier, and *end after it;
 * 0 when p holds none. */
static unsigned long interval(const char *p, const char **end, unsigned long cap)
{
	char *e;
	unsigned long n, m;

	if (p[1] < '0' || p[1] > '9')
		return 0;
	n = strtoul(p + 1, &e, 10);
	m = n;
	if (*e == ',') {
		if (e[1] >= '0' && e[1] <= '9')
			m = strtoul(e + 1, &e, 10);
		else
			e++;
	}
	if (*e != '}')
		return 0;
	*end = e + 1;
	return add(m > n ? m : n, 1, cap);
}

unsigned long inf_regex_cost(const char *re, unsigned long limit)
{
	/* per open group: the size so far and the size of its last item;
	 * whether its last item can match empty, whether every item before
	 * it can, and whether an earlier alternative can */
	unsigned long total[MAX_NEST], last[MAX_NEST], cap = limit + 1, f;
	unsigned char lnull[MAX_NEST], pnull[MAX_NEST], anull[MAX_NEST], gn, fnull = 0;
	int d = 0, empty_reps = 0;
	const char *p = re, *end = NULL;

	total[0] = last[0] = 0;
	lnull[0] = pnull[0] = 1; /* nothing yet: the empty match */
	anull[0] = 0;
	while (*p && total[d] < cap) {
		f = 0;
		switch (*p) {
		case '(':
			if (d + 1 == MAX_NEST)
				return cap;
			d++;
			total[d] = last[d] = 0;
			lnull[d] = pnull[d] = 1;
			anull[d] = 0;
			p++;
			continue;
		case ')':
			if (d == 0) /* a literal ')' */
				break;
			gn = anull[d] || (pnull[d] && lnull[d]);
			d--;
			last[d] = total[d + 1] ? total[d + 1] : 1;
			total[d] = add(total[d], last[d], cap);
			pnull[d] = pnull[d] && lnull[d];
			lnull[d] = gn;
			p++;
			continue;
		case '|':
			anull[d] = anull[d] || (pnull[d] && lnull[d]);
			last[d] = 0;
			lnull[d] = pnull[d] = 1;
			p++;
			continue;
		case '*':
		case '?':
			f = 1;
			fnull = 1;
			break;
		case '+':
			f = 2;
			fnull = 0;
			break;
		case '{':
			f = interval(p, &end, cap);
			fnull = f && strtoul(p + 1, NULL, 10) == 0; /* {0}, {00,3} */
			break;
		default:
			break;
		}
		if (f) { /* a repetition of the last item */
			if (lnull[d] && ++empty_reps > MAX_EMPTY_REPS)
				return cap;
			if (lnull[d] && f > 1)
				f = mul(f, f, cap); /* copies of what matches empty: regcomp's
						       closures grow with their square */
			total[d] = add(total[d] - last[d], mul(last[d], f, cap), cap);
			last[d] = mul(last[d], f, cap);
			lnull[d] = lnull[d] || fnull;
			p = *p == '{' ? end : p + 1;
			continue;
		}
		/* an atom: one byte, an escaped byte or a bracket expression */
		if (*p == '[')
			p = skip_bracket(p + 1);
		else
			p += p[0] == '\\' && p[1] ? 2 : 1;
		last[d] = 1;
		total[d] = add(total[d], 1, cap);
		pnull[d] = pnull[d] && lnull[d];
		lnull[d] = 0;
	}
	while (d > 0) { /* groups left open: regcomp refuses the pattern */
		d--;
		total[d] = add(total[d], total[d + 1], cap);
	}
	return total[0] > cap ? cap : total[0];
}

int inf_regex_has_backref(const char *re)
{
	const char *p = re;

	while (*p) {
		if (*p == '[')
			p = skip_bracket(p + 1);
		else if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return 1;
		else
			p += p[0] == '\\' && p[1] ? 2 : 1;
	}
	return 0;
}

char *inf_regex_anchored(const char *re)
{
	size_t n = strlen(re);
	/* "^.*(" ")" and NUL, and each '^' may take two bytes */
	char *out = malloc(2 * n + 6), *o = out;
	const char *p = re;

	if (!out)
		return NULL;
	memcpy(o, "^.*(", 4);
	o += 4;
	while (*p) {
		const char *from = p;
		if (*p == '[') {
			p = skip_bracket(p + 1);
		} else if (*p == '^') {
			*o++ = '\\';
			*o++ = '`';
			p++;
			continue;
		} else {
			p += p[0] == '\\' && p[1] ? 2 : 1;
		}
		memcpy(o, from, (size_t)(p - from));
		o += p - from;
	}
	memcpy(o, ")", 2);
	return out;
}
