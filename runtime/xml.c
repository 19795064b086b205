/* Just enough XML for S3's list answers, read strictly: tags (start,
 * empty, end, the declaration) and text with its character references;
 * anything else is refused by the caller. Contracts in xml.h. */
#include "xml.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"

int inf_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int name_byte(char c)
{
	return c && !inf_xml_space(c) && !strchr("<>/=\"'?!&", c);
}

/* Whether [a, z) holds one of the bytes of `set`. */
static int strpbrk_span(const char *a, const char *z, const char *set)
{
	for (; a < z; a++)
		if (strchr(set, *a))
			return 1;
	return 0;
}

/* Reads the markup at `p` (a '<'): a start, empty or end tag, or the
 * <?xml ...?> declaration. Returns 0 with `t` filled, or -1 when it is
 * anything else (comments, CDATA, DOCTYPE) or malformed. */
int inf_xml_read_tag(const char *p, const char *end, struct inf_xml_tag *t)
{
	const char *q = p + 1, *z;

	if (q < end && *q == '?') { /* pseudo-attributes only: no markup in it */
		if (!(z = memmem(q, (size_t)(end - q), "?>", 2)) ||
		    strncmp(q, "?xml ", 5) || strpbrk_span(q, z, "<>&"))
			return -1;
		t->kind = INF_XML_DECL;
		t->name = q;
		t->nlen = 0;
		t->end = z + 2;
		return 0;
	}
	t->kind = INF_XML_START;
	if (q < end && *q == '/') {
		t->kind = INF_XML_END;
		q++;
	}
	for (t->name = q; q < end && name_byte(*q); q++)
		;
	if (!(t->nlen = (size_t)(q - t->name)))
		return -1;
	for (;;) {
		const char *s = q;
		char quote;

		while (q < end && inf_xml_space(*q))
			q++;
		if (q >= end)
			return -1;
		if (*q == '>') {
			t->end = q + 1;
			return 0;
		}
		if (*q == '/' && t->kind == INF_XML_START && q + 1 < end && q[1] == '>') {
			t->kind = INF_XML_EMPTY;
			t->end = q + 2;
			return 0;
		}
		/* an attribute, after a space: name = "value" or 'value' */
		if (t->kind == INF_XML_END || q == s || !name_byte(*q))
			return -1;
		while (q < end && name_byte(*q))
			q++;
		while (q < end && inf_xml_space(*q))
			q++;
		if (q >= end || *q++ != '=')
			return -1;
		while (q < end && inf_xml_space(*q))
			q++;
		if (q >= end || (*q != '"' && *q != '\''))
			return -1;
		quote = *q++;
		if (!(z = memchr(q, quote, (size_t)(end - q))) || memchr(q, '<', (size_t)(z - q)))
			return -1;
		q = z + 1;
	}
}

/* Whether the tag's local name (after any namespace prefix) is `name`,
 * in any case. */
int inf_xml_named(const struct inf_xml_tag *t, const char *name)
{
	const char *n = t->name, *c = memrchr(t->name, ':', t->nlen);
	size_t len = t->nlen;

	if (c) {
		len -= (size_t)(c + 1 - n);
		n = c + 1;
	}
	return len == strlen(name) && !strncasecmp(n, name, len);
}

int inf_xml_same_name(const struct inf_xml_tag *a, const struct inf_xml_tag *b)
{
	return a->nlen == b->nlen && !memcmp(a->name, b->name, a->nlen);
}

/* Decodes the character reference at `a` (a '&') before `z` into `w`;
 * returns the bytes written and sets *used to its length, or returns 0
 * when it is not one XML defines. */
static size_t entity(const char *a, const char *z, char *w, size_t *used)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	const char *semi = memchr(a, ';', (size_t)(z - a)), *d;
	unsigned long cp = 0;
	int hex;

	if (!semi)
		return 0;
	*used = (size_t)(semi + 1 - a);
	for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++)
		if (*used == strlen(ents[i].ent) && !memcmp(a, ents[i].ent, *used)) {
			*w = ents[i].c;
			return 1;
		}
	if (*used < 4 || a[1] != '#')
		return 0;
	hex = a[2] == 'x';
	for (d = a + 2 + hex; d < semi; d++) {
		int v = *d >= '0' && *d <= '9' ? *d - '0'
			: hex && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
			: hex && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;
		if (v < 0 || cp > 0x10FFFF)
			return 0;
		cp = cp * (hex ? 16u : 10u) + (unsigned long)v;
	}
	if (d == a + 2 + hex || !cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return inf_utf8_put(w, cp);
}

/* The text [a, z) with its character references decoded, malloc'd; NULL
 * when a reference is unknown or memory ran out. */
char *inf_xml_text(const char *a, const char *z)
{
	char *out = malloc((size_t)(z - a) + 1), *w = out;

	if (!out)
		return NULL;
	while (a < z) {
		size_t used, n;
		if (*a != '&') {
			*w++ = *a++;
			continue;
		}
		if (!(n = entity(a, z, w, &used))) {
			free(out);
			return NULL;
		}
		w += n;
		a += used;
	}
	*w = '\0';
	return out;
}

/* The text of the element `t` starts, which holds text only: decoded and
 * malloc'd, with *text_end set to its end tag and *after past it. NULL
 * when it holds markup, is unclosed or has an unknown reference. */
char *inf_xml_text_element(const struct inf_xml_tag *t, const char *end,
			   const char **text_end, const char **after)
{
	const char *z;
	struct inf_xml_tag e;

	if (t->kind == INF_XML_EMPTY) {
		*text_end = *after = t->end;
		return strdup("");
	}
	if (!(z = memchr(t->end, '<', (size_t)(end - t->end))) || inf_xml_read_tag(z, end, &e) ||
	    e.kind != INF_XML_END || !inf_xml_same_name(t, &e))
		return NULL;
	*text_end = z;
	*after = e.end;
	return inf_xml_text(t->end, z);
}
