/* Just enough XML for S3's list answers (runtime/listfilter.c), read strictly
 * so that a filter built on it can fail closed. */
#ifndef INF_XML_H
#define INF_XML_H

#include <stddef.h>

enum inf_xml_kind { INF_XML_START, INF_XML_EMPTY, INF_XML_END, INF_XML_DECL };

/* One piece of markup: its kind, its name (a span of the text) and
 * where it ends (past the '>'). */
struct inf_xml_tag {
	enum inf_xml_kind kind;
	const char *name;
	size_t nlen;
	const char *end;
};

/* Whether `c` is XML white space. */
int inf_xml_space(char c);

/* Reads the markup at `p` (a '<'): a start, empty or end tag, or the
 * <?xml ...?> declaration. Returns 0 with `t` filled, or -1 when it is
 * anything else (comments, CDATA, DOCTYPE) or malformed. */
int inf_xml_read_tag(const char *p, const char *end, struct inf_xml_tag *t);

/* Whether the tag's local name (after any namespace prefix) is `name`,
 * in any case. */
int inf_xml_named(const struct inf_xml_tag *t, const char *name);

/* Whether two tags have the same name, byte for byte. */
int inf_xml_same_name(const struct inf_xml_tag *a, const struct inf_xml_tag *b);

/* The text [a, z) with its character references decoded, malloc'd; NULL
 * when a reference is unknown or memory ran out. */
char *inf_xml_text(const char *a, const char *z);

/* The text of the element `t` starts, which holds text only: decoded and
 * malloc'd, with *text_end set to its end tag and *after past it. NULL
 * when it holds markup, is unclosed or has an unknown reference. */
char *inf_xml_text_element(const struct inf_xml_tag *t, const char *end,
			   const char **text_end, const char **after);

#endif
