/*
 * The producer's error record: see producer.h. The first message set wins,
 * so a low-level cause is not overwritten by a caller's summary.
 */
#include "producer.h"

#include <stdarg.h>
#include <stdio.h>

int prod_err_set(struct prod_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->msg[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}
