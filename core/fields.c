#include "fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

struct conv {
	struct inf_buf *b;
	const config_setting_t **bad;
	char *what;
	size_t whatlen;
};

static int fail(struct conv *c, const config_setting_t *s, const char *what)
{
	*c->bad = s;
	snprintf(c->what, c->whatlen, "%s", what);
	return INF_ERR_INVALID;
}

/* Shortest %g text that reads back as `d`. */
static int put_double(struct inf_buf *b, double d)
{
	char text[40];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof text, "%.*g", prec, d);
		if (strtod(text, NULL) == d)
			break;
	}
	return inf_buf_puts(b, text);
}

/* Appends setting `s` as JSON. */
static int to_json(struct conv *c, const config_setting_t *s)
{
	int type = config_setting_type(s), n, rc;
	const char *str;

	switch (type) {
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		rc = inf_json_quote(c->b, str, strlen(str));
		return rc == INF_ERR_INVALID ? fail(c, s, "string is not valid UTF-8") : rc;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return inf_buf_printf(c->b, "%lld", config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		if (!isfinite(config_setting_get_float(s)))
			return fail(c, s, "number is not finite");
		return put_double(c->b, config_setting_get_float(s));
	case CONFIG_TYPE_BOOL:
		return inf_buf_puts(c->b, config_setting_get_bool(s) ? "true" : "false");
	case CONFIG_TYPE_GROUP:
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		if ((rc = inf_buf_putc(c->b, type == CONFIG_TYPE_GROUP ? '{' : '[')))
			return rc;
		n = config_setting_length(s);
		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			if (i && (rc = inf_buf_putc(c->b, ',')))
				return rc;
			if (type == CONFIG_TYPE_GROUP &&
			    ((rc = inf_json_quote(c->b, config_setting_name(e),
						  strlen(config_setting_name(e)))) ||
			     (rc = inf_buf_putc(c->b, ':'))))
				return rc;
			if ((rc = to_json(c, e)))
				return rc;
		}
		return inf_buf_putc(c->b, type == CONFIG_TYPE_GROUP ? '}' : ']');
	default:
		return fail(c, s, "unsupported value");
	}
}

/* Appends the JSON text held by string setting `s`, validated. */
static int json_text(struct conv *c, const config_setting_t *s)
{
	struct inf_tokens toks = { 0 };
	struct inf_json_err je;
	char msg[256];
	const char *str = config_setting_get_string(s);
	int rc;

	if (!str)
		return fail(c, s, "value must be a string holding JSON text, e.g. \"null\" or \"{\\\"a\\\": 1}\"");
	rc = inf_json_parse(&toks, str, strlen(str), 512, &je);
	inf_tokens_free(&toks);
	if (rc == INF_ERR_NOMEM)
		return rc;
	if (rc) {
		snprintf(msg, sizeof msg, "not valid JSON: %s (byte %zu)", je.msg, je.offset);
		return fail(c, s, msg);
	}
	return inf_buf_puts(c->b, str);
}

int inf_fields_from_setting(const config_setting_t *s, int text_mode,
			    struct inf_owned *own, struct inf_fields *out,
			    const config_setting_t **bad, char *what,
			    size_t whatlen)
{
	struct inf_buf b = { 0 };
	struct conv c = { &b, bad, what, whatlen };
	struct inf_field *items = NULL;
	size_t *offs = NULL;
	int n, rc = 0;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail(&c, s, "must be a group { name = value; ... }");
	n = config_setting_length(s);
	items = calloc(n ? (size_t)n : 1, sizeof *items);
	offs = calloc(n ? 2 * (size_t)n : 1, sizeof *offs);
	if (!items || !offs) {
		rc = INF_ERR_NOMEM;
		goto out;
	}
	/* names and values go into one buffer, NUL-separated; pointers are
	 * set once it stops moving */
	for (int i = 0; i < n && rc == 0; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		offs[2 * i] = b.len;
		if ((rc = inf_buf_puts(&b, config_setting_name(e))) ||
		    (rc = inf_buf_putc(&b, '\0')))
			break;
		offs[2 * i + 1] = b.len;
		if ((rc = text_mode ? json_text(&c, e) : to_json(&c, e)))
			break;
		items[i].json_len = b.len - offs[2 * i + 1];
		rc = inf_buf_putc(&b, '\0');
	}
	if (rc)
		goto out;
	for (int i = 0; i < n; i++) {
		items[i].name = b.data + offs[2 * i];
		items[i].json = b.data + offs[2 * i + 1];
	}
	if (b.data && (rc = inf_owned_add(own, b.data, free))) {
		b.data = NULL; /* freed by inf_owned_add */
		goto out;
	}
	b.data = NULL;
	if ((rc = inf_owned_add(own, items, free))) {
		items = NULL;
		goto out;
	}
	out->count = (size_t)n;
	out->items = items;
	items = NULL;
out:
	free(offs);
	free(items);
	inf_buf_free(&b);
	return rc;
}
