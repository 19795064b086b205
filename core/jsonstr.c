/* String helpers for validated JSON text: unescaping, quoting, UTF-8. */
#include "json.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "inflight/plugin.h"
#include "utf8.h"

void inf_json_flatten(char *s, size_t n)
{
	for (char *p = s; (p = memchr(p, '\n', n - (size_t)(p - s))); p++)
		*p = ' ';
	for (char *p = s; (p = memchr(p, '\r', n - (size_t)(p - s))); p++)
		*p = ' ';
}

int inf_json_is_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!inf_json_ws(s[i]))
			return 0;
	return 1;
}

int inf_json_left_open(const char *js, size_t len)
{
	size_t open = 0;
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = js[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			open++;
		} else if ((c == '}' || c == ']') && open) {
			open--;
		}
	}
	return open > 0;
}

/* Whether the innermost of the d brackets open in stk is '{'. */
static int open_obj(const unsigned char *stk, size_t d)
{
	return d && ((stk[(d - 1) / 8] >> ((d - 1) % 8)) & 1);
}

int inf_json_cut_doubt(const char *js, size_t len, struct inf_buf *scratch, size_t *at)
{
	unsigned char *stk; /* a bit an open bracket: 1 for '{' */
	size_t d = 0, closed = 0;
	char prev = ',';	    /* the last byte outside strings not whitespace */
	const char *after = NULL; /* after a string: what may follow it */

	inf_buf_reset(scratch);
	if (inf_buf_reserve(scratch, len / 8 + 1))
		return INF_ERR_NOMEM;
	stk = (unsigned char *)scratch->data;
	for (size_t i = 0; i < len; i++) {
		char c = js[i];

		if (inf_json_ws(c))
			continue;
		if (after && !memchr(after, c, strlen(after))) {
			*at = closed;
			return 1;
		}
		after = NULL;
		if (c == '"') {
			if (!memchr("{[,:", prev, 4)) {
				*at = i;
				return 1;
			}
			/* a key is followed by ':', a value by ',' or its
			 * container's end; the element itself by anything */
			after = !d			 ? ":,}]"
				: !open_obj(stk, d) ? ",]"
				: prev == ':'	 ? ",}"
						 : ":";
			for (i++; i < len && js[i] != '"'; i++)
				i += js[i] == '\\';
			closed = i;
		} else if (c == '{' || c == '[') {
			unsigned bit = 1u << (d % 8);

			/* a value: after ':' in an object, '[' or ',' in an
			 * array or at the element's start */
			if (open_obj(stk, d) ? prev != ':' : prev != '[' && prev != ',') {
				*at = i;
				return 1;
			}
			stk[d / 8] = (unsigned char)(c == '{' ? stk[d / 8] | bit : stk[d / 8] & ~bit);
			d++;
		} else if (c == '}' || c == ']') {
			if (!d || open_obj(stk, d) != (c == '}')) {
				*at = i;
				return 1;
			}
			d--;
		}
		prev = c;
	}
	return 0;
}

size_t inf_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = inf_utf8_seq(u + i, n - i);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

const char *inf_json_unescape(const char *s, size_t n, struct inf_buf *scratch,
			      size_t *outlen)
{
	const char *bs = memchr(s, '\\', n);
	size_t i;

	if (!bs) {
		*outlen = n;
		return s;
	}
	inf_buf_reset(scratch);
	if (inf_buf_reserve(scratch, n + 1))
		return NULL;
	inf_buf_append(scratch, s, (size_t)(bs - s));
	for (i = (size_t)(bs - s); i < n; i++) {
		char c = s[i];
		if (c != '\\') {
			scratch->data[scratch->len++] = c;
			continue;
		}
		c = s[++i];
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned cp = inf_hex4(s + i + 1);
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n &&
			    s[i + 1] == '\\' && s[i + 2] == 'u') {
				unsigned lo = inf_hex4(s + i + 3);
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			scratch->len += inf_utf8_put(scratch->data + scratch->len, cp);
			continue;
		}
		default: break; /* " \ / */
		}
		scratch->data[scratch->len++] = c;
	}
	*outlen = scratch->len;
	return scratch->data;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Length of the prefix of s that quotes as it is: no byte below 0x20,
 * '"', '\\' or from 0x80 up. Sixteen bytes at a time (SSE2), then eight. */
static size_t plain_prefix(const char *s, size_t n)
{
	size_t i = 0;

#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i ctl = _mm_set1_epi8(0x1f);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
			_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
		unsigned bits = (unsigned)_mm_movemask_epi8(m) | (unsigned)_mm_movemask_epi8(v);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t w, q, b;
		memcpy(&w, s + i, 8);
		q = w ^ (ONES * '"');  /* a zero byte where w has '"' */
		b = w ^ (ONES * '\\'); /* ... and where it has '\\' */
		if ((((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) |
		     ((b - ONES) & ~b) | w) & HIGHS)
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			break;
	}
	return i;
}

int inf_json_quote(struct inf_buf *out, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i, run = 0;

	if (plain_prefix(s, n) == n) { /* the common case: copied as it is */
		if (inf_buf_reserve(out, n + 2))
			return INF_ERR_NOMEM;
		out->data[out->len] = '"';
		if (n) /* s may be NULL when empty (a plugin's unused buffer) */
			memcpy(out->data + out->len + 1, s, n);
		out->data[out->len + n + 1] = '"';
		out->len += n + 2;
		return 0;
	}
	if (inf_utf8_valid_prefix(s, n) != n)
		return INF_ERR_INVALID;
	if (inf_buf_reserve(out, n + 2))
		return INF_ERR_NOMEM;
	out->data[out->len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t el = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (inf_buf_append(out, s + run, i - run))
			return INF_ERR_NOMEM;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 15];
			el = 6;
		}
		if (inf_buf_append(out, esc, el))
			return INF_ERR_NOMEM;
	}
	if (inf_buf_append(out, s + run, n - run) || inf_buf_putc(out, '"'))
		return INF_ERR_NOMEM;
	return 0;
}
