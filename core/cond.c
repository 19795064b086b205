#include "cond.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dupkeys.h"
#include "json.h"
#include "options.h"
#include "path.h"
#include "regexcost.h"
#include "valset.h"

/* What a `matches` pattern may cost regcomp (core/regexcost.h): about
 * 15 MiB at the worst, for patterns far beyond what a filter needs */
#define REGEX_COST_MAX 20000UL

enum cond_kind { COND_ALL, COND_ANY, COND_NOT, COND_RULE };

enum cond_op {
	OP_EQ, OP_NE, OP_IN, OP_NOT_IN, OP_GT, OP_GE, OP_LT, OP_LE,
	OP_EXISTS, OP_MISSING, OP_MATCHES
};

static const char *const op_names[] = { "eq", "ne", "in", "not_in", "gt",
	"ge", "lt", "le", "exists", "missing", "matches", NULL };

/* A literal from the policy: INF_STRING, INF_NUMBER, INF_TRUE, INF_FALSE.
 * An integer literal keeps its exact value too (is_int, inum). */
struct cond_value {
	enum inf_type type;
	double num;
	long long inum;
	int is_int;
	char *str;
	size_t len;
};

struct inf_cond {
	enum cond_kind kind;
	struct inf_cond **kids; /* all, any: nkids >= 1; not: exactly 1 */
	size_t nkids;
	struct inf_paths *path; /* rule */
	enum cond_op op;
	struct cond_value *vals;
	size_t nvals;
	struct inf_valset *set; /* in, not_in: vals sorted for look-up */
	regex_t re;
	int has_re;
	struct inf_paths *reach; /* top level: every rule's path in one set,
				    for inf_cond_check_root */
};

/* Returned by the rule visitor to stop the walk at the first hit. */
#define COND_STOP (-1001)

void inf_cond_free(struct inf_cond *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nkids; i++)
		inf_cond_free(c->kids[i]);
	free(c->kids);
	inf_paths_free(c->path);
	inf_paths_free(c->reach);
	inf_valset_free(c->set);
	for (size_t i = 0; i < c->nvals; i++)
		free(c->vals[i].str);
	free(c->vals);
	if (c->has_re)
		regfree(&c->re);
	free(c);
}

/* ---- compiling ---- */

struct compiler {
	const char *label;
	char *err;
	size_t errlen;
	const char **paths; /* every rule's path text (libconfig's strings) */
	size_t npaths, paths_cap;
};

static int cerr(struct compiler *k, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cerr(struct compiler *k, const config_setting_t *s, const char *fmt, ...)
{
	char where[512], what[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(k->err, k->errlen, "%s: %s: %s",
		 inf_setting_where(s, where, sizeof where), k->label, what);
	return INF_ERR_INVALID;
}

static int compile_group(struct compiler *k, const config_setting_t *s,
			 struct inf_cond **out);

/* Compiles `pattern` alone, to know it is a whole POSIX extended
 * expression, with the syntax compile_regex describes. Returns NULL or
 * why it is refused; *re is compiled when NULL is returned. */
static const char *compile_syntax(regex_t *re, const char *pattern)
{
	reg_syntax_t before = re_syntax_options;
	const char *why;

	memset(re, 0, sizeof *re);
	if (!(re->fastmap = malloc(256)))
		return "out of memory";
	re_syntax_options = (RE_SYNTAX_POSIX_EXTENDED &
			     ~(RE_DOT_NOT_NULL | RE_UNMATCHED_RIGHT_PAREN_ORD)) | RE_NO_SUB;
	why = re_compile_pattern(pattern, strlen(pattern), re);
	re_syntax_options = before;
	re->newline_anchor = 0; /* as regcomp without REG_NEWLINE */
	if (!why && re_compile_fastmap(re))
		why = "out of memory";
	if (why)
		regfree(re);
	return why;
}

/* regcomp(REG_EXTENDED | REG_NOSUB), but a '.' matches a NUL byte too:
 * glibc's POSIX extended syntax holds RE_DOT_NOT_NULL, so "^.*@x$" did
 * not match "a\u0000@x", and a drop rule could be passed by a value
 * holding one (a string is matched whole, REG_STARTEND); a ')' that opens
 * nothing is refused, not taken as a character, so that the pattern is a
 * whole group in the form compiled, inf_regex_anchored's (a search in
 * time linear, not quadratic, in the value's length). The syntax is set
 * for this call only; policies load on one thread. Returns NULL, or why
 * the pattern is refused. */
static const char *compile_regex(regex_t *re, const char *pattern)
{
	const char *why = compile_syntax(re, pattern);
	char *anchored;

	if (why)
		return why;
	regfree(re);
	if (!(anchored = inf_regex_anchored(pattern)))
		return "out of memory";
	why = compile_syntax(re, anchored);
	free(anchored);
	return why;
}

static int scalar_value(struct compiler *k, const config_setting_t *s,
			struct cond_value *v)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING: {
		const char *str = config_setting_get_string(s);
		v->type = INF_STRING;
		v->len = strlen(str);
		if (inf_utf8_valid_prefix(str, v->len) != v->len)
			return cerr(k, s, "a string value is not valid UTF-8 (it would never equal a record's)");
		if (!(v->str = strdup(str)))
			return INF_ERR_NOMEM;
		return 0;
	}
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v->type = INF_NUMBER;
		v->inum = config_setting_get_int64(s);
		v->is_int = 1;
		v->num = (double)v->inum;
		return 0;
	case CONFIG_TYPE_FLOAT:
		v->type = INF_NUMBER;
		v->num = config_setting_get_float(s);
		return 0;
	case CONFIG_TYPE_BOOL:
		v->type = config_setting_get_bool(s) ? INF_TRUE : INF_FALSE;
		return 0;
	default:
		return cerr(k, s, "a value must be a string, a number or a boolean");
	}
}

/* The values of an in or not_in rule as a sorted set. */
static int build_set(struct inf_cond *c)
{
	if (!(c->set = inf_valset_new()))
		return INF_ERR_NOMEM;
	for (size_t i = 0; i < c->nvals; i++) {
		const struct cond_value *v = &c->vals[i];
		int rc = 0;

		if (v->type == INF_STRING)
			rc = inf_valset_add_string(c->set, v->str, v->len);
		else if (v->type == INF_NUMBER)
			rc = v->is_int ? inf_valset_add_int(c->set, v->inum)
				       : inf_valset_add_float(c->set, v->num);
		else
			inf_valset_add_bool(c->set, v->type == INF_TRUE);
		if (rc)
			return rc;
	}
	inf_valset_seal(c->set);
	return 0;
}

/* Reads `value` for a rule whose op is already known. */
static int rule_value(struct compiler *k, const config_setting_t *g,
		      struct inf_cond *c)
{
	const config_setting_t *v = config_setting_get_member(g, "value");
	const char *op = op_names[c->op];
	int rc, n;

	if (c->op == OP_EXISTS || c->op == OP_MISSING) {
		if (v)
			return cerr(k, v, "op '%s' takes no value", op);
		return 0;
	}
	if (!v)
		return cerr(k, g, "op '%s' needs a value", op);
	if (c->op == OP_IN || c->op == OP_NOT_IN) {
		if (!config_setting_is_array(v) && !config_setting_is_list(v))
			return cerr(k, v, "op '%s' needs a list of values, e.g. [ \"a\", \"b\" ]", op);
		n = config_setting_length(v);
		if (n == 0)
			return cerr(k, v, "op '%s' needs at least one value", op);
	} else {
		n = 1;
	}
	if (!(c->vals = calloc((size_t)n, sizeof *c->vals)))
		return INF_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = c->op == OP_IN || c->op == OP_NOT_IN
			? config_setting_get_elem(v, (unsigned)i) : v;
		c->nvals = (size_t)i + 1;
		if ((rc = scalar_value(k, e, &c->vals[i])))
			return rc;
	}
	switch (c->op) {
	case OP_IN: case OP_NOT_IN:
		return build_set(c);
	case OP_GT: case OP_GE: case OP_LT: case OP_LE:
		if (c->vals[0].type != INF_STRING && c->vals[0].type != INF_NUMBER)
			return cerr(k, v, "op '%s' compares numbers or strings", op);
		return 0;
	case OP_MATCHES: {
		const char *why;
		if (c->vals[0].type != INF_STRING)
			return cerr(k, v, "op 'matches' needs a regular expression string");
		if (inf_regex_cost(c->vals[0].str, REGEX_COST_MAX) > REGEX_COST_MAX)
			return cerr(k, v, "regex \"%.200s\" is too large once its repetitions are "
				    "spelled out (over %lu copies of its parts), or repeats parts "
				    "that can match empty more than 3 times (a**, (a|b*)+): the "
				    "regex compiler would take memory or time exponential in its "
				    "length; repeat less, or nest fewer counts",
				    c->vals[0].str, REGEX_COST_MAX);
		if (inf_regex_has_backref(c->vals[0].str))
			return cerr(k, v, "regex \"%.200s\" holds a back-reference (\\1 .. "
				    "\\9), which POSIX extended patterns do not have: matching "
				    "one can take time exponential in the value's length",
				    c->vals[0].str);
		if ((why = compile_regex(&c->re, c->vals[0].str)))
			return cerr(k, v, "bad regex \"%.200s\": %s", c->vals[0].str, why);
		c->has_re = 1;
		return 0;
	}
	default:
		return 0;
	}
}

static int compile_rule(struct compiler *k, const config_setting_t *g,
			struct inf_cond *c)
{
	const config_setting_t *ps = config_setting_get_member(g, "path");
	const config_setting_t *os = config_setting_get_member(g, "op");
	const char *path, *op;
	char perr[400];
	int rc, i;

	c->kind = COND_RULE;
	if (!ps || !(path = config_setting_get_string(ps)))
		return cerr(k, ps ? ps : g, "a rule needs 'path', a path string");
	if (!os || !(op = config_setting_get_string(os)))
		return cerr(k, os ? os : g, "a rule needs 'op', one of eq, ne, in, not_in, gt, ge, lt, le, exists, missing, matches");
	for (i = 0; op_names[i] && strcmp(op_names[i], op); i++)
		;
	if (!op_names[i])
		return cerr(k, os, "unknown op '%.64s' (expected eq, ne, in, not_in, gt, ge, lt, le, exists, missing or matches)", op);
	c->op = (enum cond_op)i;
	if (inf_utf8_valid_prefix(path, strlen(path)) != strlen(path))
		return cerr(k, ps, "the path is not valid UTF-8 (it would never match a record's key)");
	rc = inf_paths_compile(&path, 1, &c->path, perr, sizeof perr);
	if (rc == INF_ERR_INVALID)
		return cerr(k, ps, "%s", perr);
	if (rc)
		return rc;
	if (inf_array_grow(&k->paths, &k->paths_cap, k->npaths + 1, sizeof *k->paths))
		return INF_ERR_NOMEM;
	k->paths[k->npaths++] = path;
	return rule_value(k, g, c);
}

/* all / any: a list of condition groups; not: one group. */
static int compile_kids(struct compiler *k, const config_setting_t *s,
			struct inf_cond *c)
{
	int n, rc;

	if (c->kind == COND_NOT) {
		if (config_setting_type(s) != CONFIG_TYPE_GROUP)
			return cerr(k, s, "'not' needs one condition group { ... }");
		if (!(c->kids = calloc(1, sizeof *c->kids)))
			return INF_ERR_NOMEM;
		c->nkids = 1;
		return compile_group(k, s, &c->kids[0]);
	}
	if (!config_setting_is_list(s))
		return cerr(k, s, "'%s' needs a list of conditions ( { ... }, ... )",
			    config_setting_name(s));
	if ((n = config_setting_length(s)) == 0)
		return cerr(k, s, "'%s' needs at least one condition", config_setting_name(s));
	if (!(c->kids = calloc((size_t)n, sizeof *c->kids)))
		return INF_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		c->nkids = (size_t)i + 1;
		if ((rc = compile_group(k, config_setting_get_elem(s, (unsigned)i),
					&c->kids[i])))
			return rc;
	}
	return 0;
}

static int compile_group(struct compiler *k, const config_setting_t *s,
			 struct inf_cond **out)
{
	static const char *const rule_keys[] = { "path", "op", "value", NULL };
	const config_setting_t *combo = NULL;
	struct inf_cond *c;
	int n, nrule = 0;

	*out = NULL;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return cerr(k, s, "a condition must be a group: { path = \"...\"; op = \"...\"; value = ...; }, { all = (...); }, { any = (...); } or { not = {...}; }");
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(m);
		int j;
		if (!strcmp(name, "all") || !strcmp(name, "any") || !strcmp(name, "not")) {
			if (combo)
				return cerr(k, m, "a condition group holds one of all, any or not, not both '%s' and '%s'",
					    config_setting_name(combo), name);
			combo = m;
			continue;
		}
		for (j = 0; rule_keys[j] && strcmp(rule_keys[j], name); j++)
			;
		if (!rule_keys[j])
			return cerr(k, m, "unknown key '%s' (a condition has all, any, not, or path, op and value)", name);
		nrule++;
	}
	if (combo && nrule)
		return cerr(k, s, "a condition group is either all, any, not or a rule (path, op, value), not both");
	if (!combo && !nrule)
		return cerr(k, s, "empty condition: give all, any, not, or path and op");
	if (!(c = calloc(1, sizeof *c)))
		return INF_ERR_NOMEM;
	*out = c;
	if (!combo)
		return compile_rule(k, s, c);
	c->kind = !strcmp(config_setting_name(combo), "all") ? COND_ALL
		: !strcmp(config_setting_name(combo), "any") ? COND_ANY : COND_NOT;
	return compile_kids(k, combo, c);
}

int inf_cond_compile(const config_setting_t *s, const char *label,
		     struct inf_cond **out, char *err, size_t errlen)
{
	struct compiler k = { label, err, errlen, NULL, 0, 0 };
	struct inf_cond *c = NULL;
	char perr[400];
	int rc = compile_group(&k, s, &c);

	/* every path compiled alone above, so together they compile too */
	if (rc == 0 && (rc = inf_paths_compile(k.paths, k.npaths, &c->reach,
					       perr, sizeof perr)))
		rc = INF_ERR_NOMEM;
	if (rc) {
		inf_cond_free(c);
		c = NULL;
	}
	free(k.paths);
	*out = c;
	return rc;
}

const struct inf_paths *inf_cond_paths(const struct inf_cond *c)
{
	return c->reach;
}

int inf_cond_check_root(struct inf_record *r, const struct inf_cond *c,
			char *err)
{
	int rc = inf_paths_check_cond(r, c->reach, err);

	return rc ? rc : inf_paths_check_dups(r, c->reach, err);
}

/* ---- evaluating ---- */

int inf_node_number(struct inf_record *r, int node, double *out)
{
	char small[64], *end;
	const char *raw, *text = small;
	size_t len;

	if (inf_record_type(r, node) != INF_NUMBER)
		return INF_ERR_TYPE;
	raw = inf_record_raw(r, node, &len);
	if (len < sizeof small) {
		memcpy(small, raw, len);
		small[len] = '\0';
	} else {
		/* thousands of digits: valbuf is free scratch between edits */
		inf_buf_reset(&r->valbuf);
		if (inf_buf_append(&r->valbuf, raw, len) || inf_buf_putc(&r->valbuf, '\0'))
			return INF_ERR_NOMEM;
		text = r->valbuf.data;
	}
	errno = 0;
	*out = strtod(text, &end);
	if (errno == ERANGE && isinf(*out))
		return INF_ERR_LIMIT;
	return 0;
}

/* A node's value as literals are compared with it, read once however many
 * literals a list holds (a 16 MB string against 100 of them was unescaped
 * 100 times): a string unescaped; a number written as an integer (no
 * fraction, no exponent) exactly, as doubles would take 9007199254740993
 * for 9007199254740992, and as a double when a literal needs one. */
struct node_value {
	enum inf_type t;
	const char *s; /* strings, valid until the next host call */
	size_t len;
	int integer; /* written as an integer: n, or past 64 bits (over) */
	int over;    /* past 64 bits: its sign, beyond any literal */
	long long n;
	int have_d;
	double d;
};

/* Reads node `node` of type t into *v. Returns 0 or INF_ERR_NOMEM. */
static int node_value(struct inf_record *r, int node, enum inf_type t, struct node_value *v)
{
	memset(v, 0, sizeof *v);
	v->t = t;
	if (t == INF_STRING)
		return (v->s = inf_record_string(r, node, &v->len)) ? 0 : INF_ERR_NOMEM;
	if (t == INF_NUMBER) {
		size_t len, i;
		const char *raw = inf_record_raw(r, node, &len);
		int neg = len && raw[0] == '-';
		unsigned long long u = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;

		for (i = (size_t)neg; i < len; i++) {
			unsigned d = (unsigned)(raw[i] - '0');
			if (d > 9)
				return 0;
			if (!v->over && u > (lim - d) / 10)
				v->over = neg ? -1 : 1;
			if (!v->over)
				u = u * 10 + d;
		}
		v->integer = 1;
		v->n = neg ? (long long)(0 - u) : (long long)u;
	}
	return 0;
}

/* Compares the value *nv of node `node` with literal v: sets *cmp (<0, 0,
 * >0) and returns 1, or returns 0 on a type mismatch, or a negative
 * inf_status. Numbers compare exactly when both are integers, else as
 * doubles. */
static int compare(struct inf_record *r, int node, struct node_value *nv,
		   const struct cond_value *v, int *cmp)
{
	enum inf_type t = nv->t;

	if (t == INF_NUMBER && v->type == INF_NUMBER) {
		if (v->is_int && nv->integer) {
			*cmp = nv->over ? nv->over : nv->n < v->inum ? -1 : nv->n > v->inum ? 1 : 0;
			return 1;
		}
		if (!nv->have_d) {
			int rc = inf_node_number(r, node, &nv->d);
			if (rc && rc != INF_ERR_LIMIT)
				return rc;
			nv->have_d = 1;
		}
		*cmp = nv->d < v->num ? -1 : nv->d > v->num ? 1 : 0;
		return 1;
	}
	if (t == INF_STRING && v->type == INF_STRING) {
		int c = memcmp(nv->s, v->str, nv->len < v->len ? nv->len : v->len);
		*cmp = c ? c : nv->len < v->len ? -1 : nv->len > v->len ? 1 : 0;
		return 1;
	}
	if ((t == INF_TRUE || t == INF_FALSE) && (v->type == INF_TRUE || v->type == INF_FALSE)) {
		*cmp = t == v->type ? 0 : 1; /* equality only */
		return 1;
	}
	return 0;
}

/* Whether one value equals a literal of an in list, as compare() would
 * find it: 1, 0, or a negative inf_status. */
static int in_set(struct inf_record *r, int node, enum inf_type t,
		  const struct inf_valset *set)
{
	struct node_value nv;
	int rc;

	if (t == INF_TRUE || t == INF_FALSE)
		return inf_valset_has_bool(set, t == INF_TRUE);
	if (t != INF_STRING && t != INF_NUMBER)
		return 0;
	if ((rc = node_value(r, node, t, &nv)))
		return rc;
	if (t == INF_STRING)
		return inf_valset_has_string(set, nv.s, nv.len);
	if (nv.integer && !nv.over && inf_valset_has_int(set, nv.n))
		return 1;
	if (nv.integer && !inf_valset_floats(set))
		return 0; /* integers compare exactly, or (over) equal none */
	rc = inf_node_number(r, node, &nv.d);
	if (rc && rc != INF_ERR_LIMIT)
		return rc;
	return inf_valset_has_double(set, nv.d, !nv.integer);
}

/* Whether one value satisfies the positive form of the rule's op
 * (eq for ne, in for not_in, exists for missing). */
static int value_holds(struct inf_record *r, int node, const struct inf_cond *c)
{
	enum inf_type t = inf_record_type(r, node);
	struct node_value nv;
	int cmp = 0, rc;

	switch (c->op) {
	case OP_EXISTS:
	case OP_MISSING:
		return 1;
	case OP_IN: case OP_NOT_IN:
		return in_set(r, node, t, c->set);
	case OP_EQ: case OP_NE:
		if ((rc = node_value(r, node, t, &nv)))
			return rc;
		for (size_t i = 0; i < c->nvals; i++) {
			if ((rc = compare(r, node, &nv, &c->vals[i], &cmp)) < 0)
				return rc;
			if (rc && cmp == 0)
				return 1;
		}
		return 0;
	case OP_GT: case OP_GE: case OP_LT: case OP_LE:
		if (t != INF_NUMBER && t != INF_STRING)
			return 0;
		if ((rc = node_value(r, node, t, &nv)))
			return rc;
		if ((rc = compare(r, node, &nv, &c->vals[0], &cmp)) == 0)
			return 0;
		if (rc < 0)
			return rc;
		return c->op == OP_GT ? cmp > 0 : c->op == OP_GE ? cmp >= 0
		     : c->op == OP_LT ? cmp < 0 : cmp <= 0;
	case OP_MATCHES: {
		regmatch_t m[1];
		size_t len;
		const char *s;
		if (t != INF_STRING)
			return 0;
		if (!(s = inf_record_string(r, node, &len)))
			return INF_ERR_NOMEM;
		/* a NUL-terminated copy (valbuf is free scratch between edits);
		 * REG_STARTEND so that a NUL inside the string does not end it */
		inf_buf_reset(&r->valbuf);
		if (inf_buf_append(&r->valbuf, s, len) || inf_buf_putc(&r->valbuf, '\0'))
			return INF_ERR_NOMEM;
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)len;
		/* anything but a match or REG_NOMATCH is glibc out of memory
		 * (REG_ESPACE): not knowing fails, never reads "no match" */
		rc = regexec(&c->re, r->valbuf.data, 1, m, REG_STARTEND);
		return rc == 0 ? 1 : rc == REG_NOMATCH ? 0 : INF_ERR_NOMEM;
	}
	}
	return 0;
}

struct rule_pass {
	const struct inf_cond *c;
	int hit;
};

static int rule_visit(void *ctx, struct inf_record *r, int node, int key,
		      enum inf_match m)
{
	struct rule_pass *p = ctx;
	int rc;

	(void)key;
	if (m != INF_MATCH_FULL)
		return INF_WALK_DESCEND;
	if ((rc = value_holds(r, node, p->c)) < 0)
		return rc;
	if (rc) {
		p->hit = 1;
		return COND_STOP;
	}
	return INF_WALK_DESCEND; /* `**` may reach more below */
}

static int rule_match(struct inf_record *r, const struct inf_cond *c)
{
	struct rule_pass p = { c, 0 };
	int rc = inf_walk(r, c->path, rule_visit, &p);

	if (rc < 0 && rc != COND_STOP)
		return rc;
	if (c->op == OP_NE || c->op == OP_NOT_IN || c->op == OP_MISSING)
		return !p.hit;
	return p.hit;
}

int inf_cond_match(struct inf_record *r, const struct inf_cond *c)
{
	int rc;

	switch (c->kind) {
	case COND_RULE:
		return rule_match(r, c);
	case COND_NOT:
		rc = inf_cond_match(r, c->kids[0]);
		return rc < 0 ? rc : !rc;
	case COND_ALL:
	case COND_ANY:
		for (size_t i = 0; i < c->nkids; i++) {
			if ((rc = inf_cond_match(r, c->kids[i])) < 0)
				return rc;
			if (rc != (c->kind == COND_ALL))
				return rc;
		}
		return c->kind == COND_ALL;
	}
	return 0;
}
