#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cond.h"
#include "fields.h"
#include "json.h"
#include "path.h"

struct inf_owned_item {
	void *p;
	void (*fn)(void *);
};

int inf_owned_add(struct inf_owned *own, void *p, void (*fn)(void *))
{
	if (inf_array_grow(&own->items, &own->cap, own->n + 1, sizeof *own->items)) {
		fn(p);
		return INF_ERR_NOMEM;
	}
	own->items[own->n].p = p;
	own->items[own->n].fn = fn;
	own->n++;
	return 0;
}

void inf_owned_free(struct inf_owned *own)
{
	while (own->n > 0) {
		own->n--;
		own->items[own->n].fn(own->items[own->n].p);
	}
	free(own->items);
	own->items = NULL;
	own->cap = 0;
}

const char *inf_setting_where(const config_setting_t *s, char *buf, size_t n)
{
	const char *file = config_setting_source_file(s);

	if (!file && s->config && s->config->root)
		file = config_setting_get_hook(s->config->root);
	snprintf(buf, n, "%s:%u", file ? file : "(policy)",
		 config_setting_source_line(s));
	return buf;
}

static int opt_err(const config_setting_t *s, const struct inf_plugin *p,
		   char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int opt_err(const config_setting_t *s, const struct inf_plugin *p,
		   char *err, size_t errlen, const char *fmt, ...)
{
	char where[512], what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: plugin '%s': %s",
		 inf_setting_where(s, where, sizeof where), p->name, what);
	return INF_ERR_INVALID;
}

/* A string option becomes a member name, a value or text compared with
 * a record's, all UTF-8; libconfig's \x escapes can write any byte. */
static int utf8_ok(const char *s)
{
	size_t n = strlen(s);

	return inf_utf8_valid_prefix(s, n) == n;
}

static int own_strdup(struct inf_owned *own, const char *s, const char **out)
{
	char *d = strdup(s);
	if (!d || inf_owned_add(own, d, free))
		return INF_ERR_NOMEM;
	*out = d;
	return 0;
}

static int choice_index(const char *choices, const char *v)
{
	size_t vl = strlen(v);
	int idx = 0;

	for (const char *c = choices; c && *c; idx++) {
		const char *e = strchr(c, '|');
		size_t cl = e ? (size_t)(e - c) : strlen(c);
		if (cl == vl && !memcmp(c, v, vl))
			return idx;
		if (!e)
			break;
		c = e + 1;
	}
	return -1;
}

static void free_paths(void *p)
{
	inf_paths_free(p);
}

/* Collects the strings of a list/array setting (or a single string). */
static int string_list(const config_setting_t *s, const char ***out, size_t *n)
{
	const char **v;
	int count;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = malloc(sizeof *v);
		if (!v)
			return INF_ERR_NOMEM;
		v[0] = config_setting_get_string(s);
		*out = v;
		*n = 1;
		return 0;
	}
	if (!config_setting_is_aggregate(s) || config_setting_type(s) == CONFIG_TYPE_GROUP)
		return INF_ERR_TYPE;
	count = config_setting_length(s);
	v = calloc(count ? (size_t)count : 1, sizeof *v);
	if (!v)
		return INF_ERR_NOMEM;
	for (int i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			free(v);
			return INF_ERR_TYPE;
		}
		v[i] = config_setting_get_string(e);
	}
	*out = v;
	*n = (size_t)count;
	return 0;
}

static int set_paths(const struct inf_plugin *p, const config_setting_t *s,
		     struct inf_owned *own, void *slot, char *err, size_t errlen)
{
	const char **v = NULL;
	size_t n = 0;
	struct inf_paths *ps = NULL;
	char perr[300];
	int rc = string_list(s, &v, &n);

	if (rc == INF_ERR_TYPE)
		return opt_err(s, p, err, errlen, "option '%s' must be a list of path strings",
			       config_setting_name(s));
	if (rc)
		return rc;
	if (n == 0)
		rc = opt_err(s, p, err, errlen, "option '%s' must list at least one path",
			     config_setting_name(s));
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!utf8_ok(v[i]))
			rc = opt_err(s, p, err, errlen, "option '%s': path %zu is not valid UTF-8 "
				     "(it would never match a record's key)", config_setting_name(s), i + 1);
	}
	if (rc == 0 && (rc = inf_paths_compile(v, n, &ps, perr, sizeof perr)) == INF_ERR_INVALID)
		rc = opt_err(s, p, err, errlen, "%s", perr);
	free(v);
	if (rc)
		return rc;
	if ((rc = inf_owned_add(own, ps, free_paths)))
		return rc;
	*(const struct inf_paths **)slot = ps;
	return 0;
}

static int set_strings(const struct inf_plugin *p, const config_setting_t *s,
		       struct inf_owned *own, void *slot, char *err, size_t errlen)
{
	const char **v = NULL;
	size_t n = 0;
	struct inf_strings *out = slot;
	int rc = string_list(s, &v, &n);

	if (rc == INF_ERR_TYPE)
		return opt_err(s, p, err, errlen, "option '%s' must be a list of strings",
			       config_setting_name(s));
	if (rc)
		return rc;
	if ((rc = inf_owned_add(own, v, free)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!utf8_ok(v[i]))
			return opt_err(s, p, err, errlen, "option '%s': string %zu is not valid UTF-8",
				       config_setting_name(s), i + 1);
	for (size_t i = 0; i < n; i++)
		if ((rc = own_strdup(own, v[i], &v[i])))
			return rc;
	out->count = n;
	out->items = v;
	return 0;
}

static int set_file(const struct inf_plugin *p, const config_setting_t *s,
		    const char *v, const char *base_dir, struct inf_owned *own,
		    void *slot, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int n;

	if (v[0] == '/' || !base_dir)
		n = snprintf(path, sizeof path, "%s", v);
	else
		n = snprintf(path, sizeof path, "%s/%s", base_dir, v);
	if (n < 0 || (size_t)n >= sizeof path)
		return opt_err(s, p, err, errlen, "file name too long for option '%s'",
			       config_setting_name(s));
	errno = 0;
	if (stat(path, &st) || !S_ISREG(st.st_mode) || access(path, R_OK))
		return opt_err(s, p, err, errlen, "option '%s': cannot read file %s: %s",
			       config_setting_name(s), path,
			       errno ? strerror(errno) : "not a regular file");
	return own_strdup(own, path, (const char **)slot);
}

static const char *type_word(enum inf_opt_type t)
{
	switch (t) {
	case INF_OPT_STRING: return "a string";
	case INF_OPT_INT: return "an integer";
	case INF_OPT_FLOAT: return "a number";
	case INF_OPT_BOOL: return "true or false";
	case INF_OPT_ENUM: return "a string";
	case INF_OPT_FILE: return "a file name string";
	case INF_OPT_CONDITION: return "a condition group { ... }";
	case INF_OPT_FIELDS:
	case INF_OPT_JSON_FIELDS: return "a group { name = value; ... }";
	default: return "a list";
	}
}

static void free_cond(void *c)
{
	inf_cond_free(c);
}

/* A condition group, compiled; its own errors carry their own lines. */
static int set_cond(const struct inf_plugin *p, const config_setting_t *s,
		    struct inf_owned *own, void *slot, char *err, size_t errlen)
{
	char label[256];
	struct inf_cond *c;
	int rc;

	snprintf(label, sizeof label, "plugin '%s': option '%s'", p->name,
		 config_setting_name(s));
	if ((rc = inf_cond_compile(s, label, &c, err, errlen)))
		return rc;
	if ((rc = inf_owned_add(own, c, free_cond)))
		return rc;
	*(const struct inf_cond **)slot = c;
	return 0;
}

static int set_fields(const struct inf_plugin *p, const config_setting_t *s,
		      int json_text, struct inf_owned *own, void *slot,
		      char *err, size_t errlen)
{
	const config_setting_t *bad = s;
	char what[300];
	int rc = inf_fields_from_setting(s, json_text, own, slot, &bad, what,
					 sizeof what);

	if (rc == INF_ERR_INVALID)
		return opt_err(bad, p, err, errlen, "option '%s': %s",
			       config_setting_name(s), what);
	return rc;
}

/* Converts one setting into the slot for option `o`. */
static int set_value(const struct inf_plugin *p, const struct inf_option *o,
		     const config_setting_t *s, void *slot, struct inf_owned *own,
		     const char *base_dir, char *err, size_t errlen)
{
	int t = config_setting_type(s);
	switch (o->type) {
	case INF_OPT_PATHS:
		return set_paths(p, s, own, slot, err, errlen);
	case INF_OPT_STRINGS:
		return set_strings(p, s, own, slot, err, errlen);
	case INF_OPT_CONDITION:
		return set_cond(p, s, own, slot, err, errlen);
	case INF_OPT_FIELDS:
	case INF_OPT_JSON_FIELDS:
		return set_fields(p, s, o->type == INF_OPT_JSON_FIELDS, own, slot,
				  err, errlen);
	case INF_OPT_STRING:
		if (t != CONFIG_TYPE_STRING)
			break;
		if (!utf8_ok(config_setting_get_string(s)))
			return opt_err(s, p, err, errlen, "option '%s' is not valid UTF-8", o->name);
		return own_strdup(own, config_setting_get_string(s), (const char **)slot);
	case INF_OPT_FILE:
		if (t != CONFIG_TYPE_STRING)
			break;
		return set_file(p, s, config_setting_get_string(s), base_dir, own,
				slot, err, errlen);
	case INF_OPT_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			break;
		*(long long *)slot = config_setting_get_int64(s);
		return 0;
	case INF_OPT_FLOAT:
		if (t == CONFIG_TYPE_FLOAT)
			*(double *)slot = config_setting_get_float(s);
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			*(double *)slot = (double)config_setting_get_int64(s);
		else
			break;
		return 0;
	case INF_OPT_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			break;
		*(int *)slot = config_setting_get_bool(s);
		return 0;
	case INF_OPT_ENUM: {
		int idx;
		if (t != CONFIG_TYPE_STRING)
			break;
		idx = choice_index(o->choices, config_setting_get_string(s));
		if (idx < 0)
			return opt_err(s, p, err, errlen,
				       "option '%s' must be one of %s, not \"%.64s\"",
				       o->name, o->choices, config_setting_get_string(s));
		*(int *)slot = idx;
		return 0;
	}
	}
	return opt_err(s, p, err, errlen, "option '%s' must be %s", o->name,
		       type_word(o->type));
}

/* Applies the declared default of `o`, which the plugin author wrote as
 * policy text; a bad default is the plugin's bug, reported as such, at
 * the step that loads it. */
static int set_default(const config_setting_t *step, const struct inf_plugin *p,
		       const struct inf_option *o, void *slot, struct inf_owned *own,
		       char *err, size_t errlen)
{
	char *end;

	errno = 0;
	switch (o->type) {
	case INF_OPT_STRING:
		return own_strdup(own, o->def, (const char **)slot);
	case INF_OPT_INT:
		*(long long *)slot = strtoll(o->def, &end, 10);
		break;
	case INF_OPT_FLOAT:
		*(double *)slot = strtod(o->def, &end);
		break;
	case INF_OPT_BOOL:
		*(int *)slot = !strcmp(o->def, "true");
		end = (char *)o->def + (strcmp(o->def, "true") && strcmp(o->def, "false") ? 0 : strlen(o->def));
		break;
	case INF_OPT_ENUM:
		*(int *)slot = choice_index(o->choices, o->def);
		end = (char *)o->def + (*(int *)slot < 0 ? 0 : strlen(o->def));
		break;
	default:
		end = (char *)o->def;
		break;
	}
	if (errno || *end || end == o->def) {
		return opt_err(step, p, err, errlen, "bad default \"%s\" for option '%s'",
			       o->def, o->name);
	}
	return 0;
}

/* Bytes the core writes at an option's offset (0: unknown type). */
static size_t slot_size(enum inf_opt_type t)
{
	switch (t) {
	case INF_OPT_STRING:
	case INF_OPT_FILE: return sizeof(const char *);
	case INF_OPT_INT: return sizeof(long long);
	case INF_OPT_FLOAT: return sizeof(double);
	case INF_OPT_BOOL:
	case INF_OPT_ENUM: return sizeof(int);
	case INF_OPT_PATHS: return sizeof(const struct inf_paths *);
	case INF_OPT_STRINGS: return sizeof(struct inf_strings);
	case INF_OPT_CONDITION: return sizeof(const struct inf_cond *);
	case INF_OPT_FIELDS:
	case INF_OPT_JSON_FIELDS: return sizeof(struct inf_fields);
	}
	return 0;
}

static int is_reserved(const char *const *reserved, const char *name)
{
	for (; reserved && *reserved; reserved++)
		if (!strcmp(*reserved, name))
			return 1;
	return 0;
}

int inf_options_fill(const struct inf_plugin *p, const config_setting_t *step,
		     const char *const *reserved, void *config,
		     struct inf_owned *own, const char *base_dir, char *err,
		     size_t errlen)
{
	int n = config_setting_length(step), rc;

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(step, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct inf_option *o;
		if (is_reserved(reserved, name))
			continue;
		for (o = p->options; o->name && strcmp(o->name, name); o++)
			;
		if (!o->name)
			return opt_err(s, p, err, errlen, "unknown option '%s'", name);
	}
	for (const struct inf_option *o = p->options; o->name; o++) {
		const config_setting_t *s = config_setting_get_member(step, o->name);
		void *slot = (char *)config + o->offset;
		if (is_reserved(reserved, o->name)) {
			return opt_err(step, p, err, errlen, "declares option '%s', a step key "
				       "that belongs to the core", o->name);
		}
		/* the plugin's own mistakes, named at the step that loads it */
		if (slot_size(o->type) == 0)
			return opt_err(step, p, err, errlen, "option '%s' has type %d, which this "
				       "runtime does not know", o->name, (int)o->type);
		if (o->offset > p->config_size ||
		    slot_size(o->type) > p->config_size - o->offset)
			return opt_err(step, p, err, errlen, "option '%s' lies outside its "
				       "config block", o->name);
		if (o->type == INF_OPT_ENUM && (!o->choices || !*o->choices))
			return opt_err(step, p, err, errlen, "enum option '%s' lists no choices",
				       o->name);
		for (const struct inf_option *d = p->options; d < o; d++)
			if (!strcmp(d->name, o->name))
				return opt_err(step, p, err, errlen, "declares option '%s' twice",
					       o->name);
		if (s)
			rc = set_value(p, o, s, slot, own, base_dir, err, errlen);
		else if (o->flags & INF_OPT_REQUIRED)
			rc = opt_err(step, p, err, errlen, "missing required option '%s'", o->name);
		else if (o->def)
			rc = set_default(step, p, o, slot, own, err, errlen);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	return 0;
}
