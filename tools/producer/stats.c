/*
 * Run totals and the summary line; see stats.h.
 *
 * Python prints round(x, 2) as the shortest decimal that reads back as the
 * same double, with at least one digit after the point. glibc's "%.*f" is
 * correctly rounded (ties to even on the exact binary value, as Python's
 * round), so: round with "%.2f", read back, then take the fewest decimals
 * (1 up to 17) that round-trip. Sums stay far below 1e16, where Python
 * would switch to exponent notation.
 */
#include "stats.h"

#include <stdlib.h>

void prod_stats_add(struct prod_stats *st, const struct prod_event *ev)
{
	st->tot++;
	st->bad += ev->bad_msg;
	if (ev->sales) {
		st->sales++;
		st->tot_sales += prod_event_price(ev);
	} else {
		st->inventory++;
	}
}

static void py_round2_repr(char *out, size_t n, double v)
{
	double r;

	snprintf(out, n, "%.2f", v);
	r = strtod(out, NULL);
	for (int d = 1; d <= 17; d++) {
		snprintf(out, n, "%.*f", d, r);
		if (strtod(out, NULL) == r)
			return;
	}
}

int prod_stats_print(FILE *f, const struct prod_stats *st)
{
	char sales[64];

	py_round2_repr(sales, sizeof sales, st->tot_sales);
	fprintf(f,
		"{\"status\": true, \"tot_msgs\": %llu, \"bad_msgs\": %llu, "
		"\"sales_evnts\": %llu, \"inventory_evnts\": %llu, "
		"\"tot_sales\": %s}\n",
		(unsigned long long)st->tot, (unsigned long long)st->bad,
		(unsigned long long)st->sales, (unsigned long long)st->inventory,
		sales);
	if (fflush(f) || ferror(f))
		return -1;
	return 0;
}
