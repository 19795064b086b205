/* The NextMarker of a LIST v1 page that ends in hidden keys.
 *
 * Contract (listmarker.h): after a hidden `last`, the keys the access point
 * shows are those under its prefixes greater than `last` (a prefix p less
 * than `last` that `last` does not start with has all its keys less than
 * `last`). With q the smallest such prefix, the marker m is the greatest S3
 * key below q: q with its last code point lowered by one (U+E000 to U+D7FF,
 * past the surrogates), then U+10FFFF while four bytes fit in INF_KEY_MAX,
 * then the greatest code point of the one to three bytes left (U+007F,
 * U+07FF, U+FFFF). UTF-8 sorts as its code points do, so last <= m < q: S3
 * lists from after m, skips no key the access point shows, and a client
 * paging with it always moves on. m is made from the policy alone and says
 * nothing of the hidden keys.
 *
 * For an answer in XML text (no encoding-type=url) m must be made of
 * characters XML 1.0 has (U+FFFE, U+FFFF and most controls it has not):
 * the code point lowered is the greatest XML character below it, the three
 * bytes left hold U+FFFD, and q must hold only XML characters. What is
 * then passed over is kept out of reach by the check last <= m. */
#include <stdint.h>
#include <string.h>

#include "listmarker.h"
#include "utf8.h"

/* Decodes the code point of strict UTF-8 at s[*i] (n bytes in all) and
 * moves *i past it. Returns 0, or -1 for a byte sequence that is not one. */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
	size_t len = inf_utf8_seq(s + *i, n - *i);
	uint32_t c;

	if (!len)
		return -1;
	c = len == 1 ? s[*i] : (uint32_t)(s[*i] & (0x7F >> len));
	for (size_t k = 1; k < len; k++)
		c = c << 6 | (s[*i + k] & 0x3F);
	*i += len;
	*cp = c;
	return 0;
}

/* Whether XML 1.0 has a character for `c` (its production Char). */
static int xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* The greatest code point below `c` that a key can hold (XML has a
 * character for, when `xml`); 0 when there is none. */
static uint32_t code_point_below(uint32_t c, int xml)
{
	uint32_t p = c - 1;

	if (p >= 0xD800 && p <= 0xDFFF)
		p = 0xD7FF;
	if (!xml || xml_char(p) || !p)
		return p;
	if (p == 0xFFFE || p == 0xFFFF)
		return 0xFFFD;
	return p > 0xD ? 0xD : p > 0xA ? 0xA : p == 0x9 ? 0x9 : 0;
}

/* Appends `c` as UTF-8. Returns 0, or -1 when memory ran out. */
static int put_utf8(struct inf_buf *b, uint32_t c)
{
	char u[4];

	return inf_buf_append(b, u, inf_utf8_put(u, c)) ? -1 : 0;
}

/* The smallest of the access point's prefixes greater than `last`, or
 * NULL; -1 in *under when `last` lies under one of them. */
static const char *prefix_after(const struct inf_access_point *ap, const char *last, int *under)
{
	const char *q = NULL;

	*under = 0;
	for (size_t i = 0; i < ap->nprefixes; i++) {
		const char *p = ap->prefixes[i];
		if (!strncmp(last, p, strlen(p)))
			*under = 1;
		else if (strcmp(p, last) > 0 && (!q || strcmp(p, q) < 0))
			q = p;
	}
	return q;
}

/* Writes to `m` q's code points but the last, that one lowered. Returns
 * 0, 1 when it cannot be done (see the top), or -1 when memory ran out. */
static int lowered(const char *q, int xml, struct inf_buf *m)
{
	const unsigned char *s = (const unsigned char *)q;
	size_t n = strlen(q), i = 0, at = 0;
	uint32_t c = 0;

	while (i < n) {
		at = i;
		if (utf8_next(s, n, &i, &c) || (xml && i < n && !xml_char(c)))
			return 1;
	}
	if (!n || !(c = code_point_below(c, xml)))
		return 1;
	if (inf_buf_append(m, q, at) || put_utf8(m, c))
		return -1;
	return m->len > INF_KEY_MAX;
}

/* Fills `m` up to INF_KEY_MAX bytes with the greatest code points that
 * fit. Returns 0, or -1 when memory ran out. */
static int fill_greatest(struct inf_buf *m, int xml)
{
	static const uint32_t tail[4] = { 0, 0x7F, 0x7FF, 0xFFFF };
	size_t left = INF_KEY_MAX - m->len;

	for (; left >= 4; left -= 4)
		if (put_utf8(m, 0x10FFFF))
			return -1;
	if (left && put_utf8(m, xml && left == 3 ? 0xFFFD : tail[left]))
		return -1;
	return 0;
}

int inf_list_marker(const struct inf_access_point *ap, const char *last, int xml,
		    struct inf_buf *m)
{
	const char *q;
	int under, rc;

	inf_buf_reset(m);
	q = prefix_after(ap, last, &under);
	if (under)
		return INF_MARKER_NONE;
	if (!q)
		return INF_MARKER_END;
	if ((rc = lowered(q, xml, m)) != 0)
		return rc < 0 ? -1 : INF_MARKER_NONE;
	if (fill_greatest(m, xml) || inf_buf_putc(m, '\0'))
		return -1;
	m->len--;
	return strcmp(last, m->data) <= 0 ? INF_MARKER_NEXT : INF_MARKER_NONE;
}

int inf_list_marker_element(struct inf_buf *out, const char *m, size_t n, int url)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = inf_buf_puts(out, "<NextMarker>");

	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)m[i];
		if (url && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || (c && strchr("-._~/", c)))) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = inf_buf_append(out, e, 3);
		} else {
			rc = c == '&'  ? inf_buf_puts(out, "&amp;")
			     : c == '<'  ? inf_buf_puts(out, "&lt;")
			     : c == '>'  ? inf_buf_puts(out, "&gt;")
			     : c == '\r' ? inf_buf_puts(out, "&#13;")
					 : inf_buf_putc(out, (char)c);
		}
	}
	return rc || inf_buf_puts(out, "</NextMarker>") ? -1 : 0;
}
