/*
 * Run totals and the seed's summary line:
 * {"status": true, "tot_msgs": N, "bad_msgs": N, "sales_evnts": N,
 *  "inventory_evnts": N, "tot_sales": X}
 * tot_sales is the float sum of the sales events' prices, added in
 * generation order, rounded to 2 decimals and printed like Python's repr.
 */
#ifndef PROD_STATS_H
#define PROD_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "event.h"

struct prod_stats {
	uint64_t tot, bad, sales, inventory;
	double tot_sales;
};

/* Counts one event. */
void prod_stats_add(struct prod_stats *st, const struct prod_event *ev);

/* Prints the summary line and a newline to `f`. Returns 0, or -1 when the
 * stream reports an error. */
int prod_stats_print(FILE *f, const struct prod_stats *st);

#endif
