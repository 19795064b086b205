#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

void inf_one_line(const char *in, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, left = strlen(in), k;

	for (; left; s += k, left -= k) {
		k = *s >= 0x20 && *s != 0x7f ? inf_utf8_seq(s, left) : 0;
		if (k) {
			if (o + k >= n)
				break;
			memcpy(out + o, s, k);
			o += k;
			continue;
		}
		k = 1;
		if (o + 4 >= n)
			break;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[*s >> 4];
		out[o++] = hex[*s & 15];
	}
	out[o] = '\0';
}

int inf_error_set(struct inf_error *e, enum inf_fail kind, const char *fmt, ...)
{
	char raw[sizeof e->msg];
	va_list ap;

	if (!e || e->kind != INF_FAIL_NONE)
		return -1;
	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	inf_one_line(raw, e->msg, sizeof e->msg);
	return -1;
}

void inf_error_prefix(struct inf_error *e, const char *prefix)
{
	char raw[sizeof e->msg];

	snprintf(raw, sizeof raw, "%.200s: %.*s", prefix, INF_ERR_PREFIXED, e->msg);
	inf_one_line(raw, e->msg, sizeof e->msg);
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
