#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int inf_error_set(struct inf_error *e, enum inf_fail kind, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->kind != INF_FAIL_NONE)
		return -1;
	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *inf_fail_name(enum inf_fail kind)
{
	static const char *const names[] = {
		"none", "usage", "policy", "denied", "event", "source",
		"input", "too_large", "transform", "output", "nomem",
	};
	if ((unsigned)kind < sizeof names / sizeof names[0])
		return names[kind];
	return "unknown";
}
