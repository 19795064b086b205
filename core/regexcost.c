#include "regexcost.h"

#include <stdlib.h>

#define MAX_NEST 256

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
	/* per open group: the size so far and the size of its last item */
	unsigned long total[MAX_NEST], last[MAX_NEST], cap = limit + 1, f;
	int d = 0;
	const char *p = re, *end = NULL;

	total[0] = last[0] = 0;
	while (*p && total[d] < cap) {
		f = 0;
		switch (*p) {
		case '(':
			if (d + 1 == MAX_NEST)
				return cap;
			d++;
			total[d] = last[d] = 0;
			p++;
			continue;
		case ')':
			if (d == 0) /* a literal ')' */
				break;
			d--;
			last[d] = total[d + 1] ? total[d + 1] : 1;
			total[d] = add(total[d], last[d], cap);
			p++;
			continue;
		case '|':
			last[d] = 0;
			p++;
			continue;
		case '*':
		case '?':
			f = 1;
			break;
		case '+':
			f = 2;
			break;
		case '{':
			f = interval(p, &end, cap);
			break;
		default:
			break;
		}
		if (f) { /* a repetition of the last item */
			total[d] = add(total[d] - last[d], mul(last[d], f, cap), cap);
			last[d] = mul(last[d], f, cap);
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
	}
	while (d > 0) { /* groups left open: regcomp refuses the pattern */
		d--;
		total[d] = add(total[d], total[d + 1], cap);
	}
	return total[0] > cap ? cap : total[0];
}
