#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflight/plugin.h"

int inf_buf_grow(struct inf_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra <= b->cap - b->len)
		return 0;
	if (extra > (size_t)-1 / 2 - b->len)
		return INF_ERR_NOMEM;
	need = b->len + extra;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data ? b->data - b->lead : NULL, b->lead + cap);
	if (!p)
		return INF_ERR_NOMEM;
	b->data = p + b->lead;
	b->cap = cap;
	return 0;
}

void inf_buf_phase(struct inf_buf *b, unsigned long long at)
{
	char *base;
	size_t lead;

	if (!b->data)
		return;
	base = b->data - b->lead;
	lead = (size_t)(at - (uintptr_t)base) % INF_BUF_PHASE;
	/* nothing to do, or no room after: left as it is */
	if (lead == b->lead || (lead > b->lead && lead - b->lead > b->cap - b->len))
		return;
	memmove(base + lead, b->data, b->len);
	b->cap = b->lead + b->cap - lead;
	b->data = base + lead;
	b->lead = lead;
}

int inf_buf_append(struct inf_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (inf_buf_reserve(b, n))
		return INF_ERR_NOMEM;
	inf_copy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void inf_copy_large(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (((uintptr_t)d - (uintptr_t)s) % INF_BUF_PHASE - 1 < INF_BUF_PHASE / 2 - 1)
		for (; n > 2048; n -= 2048, d += 2048, s += 2048)
			memcpy(d, s, 2048);
	memcpy(d, s, n);
}

int inf_buf_puts(struct inf_buf *b, const char *s)
{
	return inf_buf_append(b, s, strlen(s));
}

int inf_buf_putc(struct inf_buf *b, char c)
{
	if (inf_buf_reserve(b, 1))
		return INF_ERR_NOMEM;
	b->data[b->len++] = c;
	return 0;
}

int inf_buf_printf(struct inf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return INF_ERR_INVALID;
	if (inf_buf_reserve(b, (size_t)n + 1))
		return INF_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void inf_buf_consume(struct inf_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void inf_buf_free(struct inf_buf *b)
{
	free(b->data ? b->data - b->lead : NULL);
	b->data = NULL;
	b->len = b->cap = b->lead = 0;
}

int inf_array_grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp, *q;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	if (need > SIZE_MAX / elem)
		return INF_ERR_NOMEM;
	while (c < need)
		c = c > SIZE_MAX / elem / 2 ? need : c * 2;
	if (!(q = realloc(*p, c * elem)))
		return INF_ERR_NOMEM;
	*p = q;
	*cap = c;
	return 0;
}
