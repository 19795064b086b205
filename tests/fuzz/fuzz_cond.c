/*
 * Fuzz target: condition compilation and evaluation (core/cond.c).
 *
 * Input: the text of one condition in policy syntax, e.g.
 *   { all = ( { path = "qty"; op = "gt"; value = 1; }, { not = {...}; } ); }
 * read with libconfig as `c = <text>;`. Texts holding '@' are skipped, so
 * that no @include reaches the file system.
 *
 * Invariants:
 *  - the condition compiles exactly when it is valid by cond.h and
 *    README "Conditions" (a reference validator below); a refused one
 *    says where ("(policy):line") and that it is the `when`;
 *  - on each fixed record (fuzzutil.h) inf_cond_match gives 0 or 1, and
 *    the same as a reference evaluator written from cond.h: paths by
 *    refpath.h on the reader's tree, numbers as doubles, strings as
 *    unescaped bytes, ne/not_in/missing as negations;
 *  - { not = C; } gives the opposite, { any = ( C, C ); } the same.
 */
#include <libconfig.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "fuzzutil.h"
#include "regexcost.h"
#include "record.h"
#include "refpath.h"

#define MAX_DEPTH 64
#define MAX_TEXT 8192

static const char *const ops[] = { "eq", "ne", "in", "not_in", "gt", "ge", "lt",
				   "le", "exists", "missing", "matches", NULL };
enum { EQ, NE, IN, NOT_IN, GT, GE, LT, LE, EXISTS, MISSING, MATCHES };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int is_scalar(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
	case CONFIG_TYPE_FLOAT:
	case CONFIG_TYPE_BOOL: return 1;
	default: return 0;
	}
}

/* Whether a setting, when a string, is UTF-8: cond.h refuses paths and
 * string values that are not (they would never match a record's). */
/* The model's `matches`: an unanchored search (README "Conditions") in
 * POSIX extended syntax where a '.' matches NUL too and a ')' that opens
 * nothing is an error, with '^' the text's start wherever it stands
 * (glibc's '^' inside a pattern also matches after a newline; the
 * runtime's rewrite of it is inf_regex_anchored's, whose "^.*(" and ")"
 * are left off here: the search is unanchored). Returns 0 with *re
 * compiled, or -1. */
static int model_regcomp(regex_t *re, const char *pattern)
{
	reg_syntax_t before = re_syntax_options;
	char *form = inf_regex_anchored(pattern);
	const char *why;
	size_t n;

	if (!form)
		fz_fail("out of memory");
	n = strlen(form);
	memset(re, 0, sizeof *re);
	re_syntax_options = (RE_SYNTAX_POSIX_EXTENDED &
			     ~(RE_DOT_NOT_NULL | RE_UNMATCHED_RIGHT_PAREN_ORD)) | RE_NO_SUB;
	/* the pattern alone first: a ')' of its own must not close the "(" */
	why = re_compile_pattern(pattern, strlen(pattern), re);
	if (!why) {
		regfree(re);
		memset(re, 0, sizeof *re);
		why = re_compile_pattern(form + 4, n - 5, re);
	}
	re_syntax_options = before;
	re->newline_anchor = 0;
	free(form);
	if (why)
		regfree(re);
	return why ? -1 : 0;
}

static int str_ok(const config_setting_t *s)
{
	const unsigned char *p;
	size_t n;
	unsigned cp;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return 1;
	p = (const unsigned char *)config_setting_get_string(s);
	n = strlen((const char *)p);
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = fz_utf8(p + i, n - i, &cp)))
			return 0;
	return 1;
}

static int is_number(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 || t == CONFIG_TYPE_FLOAT;
}

static int op_index(const char *op)
{
	for (int i = 0; ops[i]; i++)
		if (!strcmp(ops[i], op))
			return i;
	return -1;
}

/* Whether group `s` is a valid condition: 1 yes, 0 no, -1 undecided (a
 * path index in refpath.h's zone). */
static int ref_valid(const config_setting_t *s)
{
	const config_setting_t *combo = NULL, *path, *op, *val;
	int rules = 0, n, res = 1, o;
	const char *ps;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return 0;
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(m);
		if (!strcmp(name, "all") || !strcmp(name, "any") || !strcmp(name, "not")) {
			if (combo)
				return 0;
			combo = m;
		} else if (!strcmp(name, "path") || !strcmp(name, "op") || !strcmp(name, "value")) {
			rules++;
		} else {
			return 0;
		}
	}
	if ((combo && rules) || (!combo && !rules))
		return 0;
	if (combo && !strcmp(config_setting_name(combo), "not"))
		return ref_valid(combo);
	if (combo) {
		if (!config_setting_is_list(combo) || config_setting_length(combo) == 0)
			return 0;
		for (int i = 0; i < config_setting_length(combo); i++) {
			int v = ref_valid(config_setting_get_elem(combo, (unsigned)i));
			if (v == 0)
				return 0;
			if (v < 0)
				res = -1;
		}
		return res;
	}
	path = config_setting_get_member(s, "path");
	op = config_setting_get_member(s, "op");
	val = config_setting_get_member(s, "value");
	if (!path || config_setting_type(path) != CONFIG_TYPE_STRING || !op ||
	    config_setting_type(op) != CONFIG_TYPE_STRING)
		return 0;
	if ((o = op_index(config_setting_get_string(op))) < 0)
		return 0;
	ps = config_setting_get_string(path);
	if (!str_ok(path))
		return 0;
	{
		struct rp_path rp;
		int v = rp_parse(ps, &rp);
		if (v == 1)
			rp_free(&rp);
		if (v <= 0)
			return v;
	}
	switch (o) {
	case EXISTS:
	case MISSING: return val == NULL;
	case IN:
	case NOT_IN:
		if (!val || (!config_setting_is_list(val) && !config_setting_is_array(val)) ||
		    config_setting_length(val) == 0)
			return 0;
		for (int i = 0; i < config_setting_length(val); i++)
			if (!is_scalar(config_setting_get_elem(val, (unsigned)i)) ||
			    !str_ok(config_setting_get_elem(val, (unsigned)i)))
				return 0;
		return 1;
	case GT:
	case GE:
	case LT:
	case LE: return val && (is_number(val) ||
				(config_setting_type(val) == CONFIG_TYPE_STRING && str_ok(val)));
	case MATCHES: {
		regex_t re;
		if (!val || config_setting_type(val) != CONFIG_TYPE_STRING || !str_ok(val))
			return 0;
		/* too large for regcomp (regexcost.h): refused before it, and
		 * regcomp here would take gigabytes */
		if (inf_regex_cost(config_setting_get_string(val), 20000) > 20000)
			return 0;
		if (model_regcomp(&re, config_setting_get_string(val)))
			return 0;
		regfree(&re);
		return 1;
	}
	default: return val && is_scalar(val) && str_ok(val);
	}
}

/* A record node against one literal: sets *cmp and returns 1, or returns
 * 0 when they are of kinds that do not compare. */
static int ref_compare(const struct fz_tree *t, const char *src, const struct fz_node *nd,
		       const config_setting_t *lit, int *cmp)
{
	int lt = config_setting_type(lit);

	if (nd->type == FZ_NUMBER && is_number(lit)) {
		char num[512];
		double d, l = lt == CONFIG_TYPE_FLOAT ? config_setting_get_float(lit)
						      : (double)config_setting_get_int64(lit);
		size_t n = nd->end - nd->off;
		char *big = n < sizeof num ? num : malloc(n + 1);
		if (!big)
			fz_fail("out of memory");
		memcpy(big, src + nd->off, n);
		big[n] = '\0';
		d = strtod(big, NULL);
		if (big != num)
			free(big);
		*cmp = d < l ? -1 : d > l ? 1 : 0;
		return 1;
	}
	if (nd->type == FZ_STRING && lt == CONFIG_TYPE_STRING) {
		const unsigned char *l = (const unsigned char *)config_setting_get_string(lit);
		struct fz_json j;
		size_t ln = strlen((const char *)l), k;
		fz_json_init(&j, src, nd->end, 1);
		j.i = nd->off;
		if (fz_string(&j, &j.key))
			fz_fail("string went bad");
		for (k = 0; k < j.key.len && k < ln; k++)
			if ((unsigned char)j.key.p[k] != l[k])
				break;
		if (k < j.key.len && k < ln)
			*cmp = (unsigned char)j.key.p[k] < l[k] ? -1 : 1;
		else
			*cmp = j.key.len < ln ? -1 : j.key.len > ln ? 1 : 0;
		fz_json_free(&j);
		return 1;
	}
	if ((nd->type == FZ_TRUE || nd->type == FZ_FALSE) && lt == CONFIG_TYPE_BOOL) {
		*cmp = (nd->type == FZ_TRUE) == (config_setting_get_bool(lit) != 0) ? 0 : 1;
		return 1;
	}
	(void)t;
	return 0;
}

/* Whether one reached node satisfies the positive form of the op. */
static int ref_holds(const struct fz_tree *t, const char *src, const struct fz_node *nd, int o,
		     const config_setting_t *val)
{
	int cmp;

	switch (o) {
	case EXISTS:
	case MISSING: return 1;
	case EQ:
	case NE: return ref_compare(t, src, nd, val, &cmp) && cmp == 0;
	case IN:
	case NOT_IN:
		for (int i = 0; i < config_setting_length(val); i++)
			if (ref_compare(t, src, nd, config_setting_get_elem(val, (unsigned)i), &cmp) &&
			    cmp == 0)
				return 1;
		return 0;
	case GT:
	case GE:
	case LT:
	case LE:
		if ((nd->type != FZ_NUMBER && nd->type != FZ_STRING) ||
		    !ref_compare(t, src, nd, val, &cmp))
			return 0;
		return o == GT ? cmp > 0 : o == GE ? cmp >= 0 : o == LT ? cmp < 0 : cmp <= 0;
	case MATCHES: {
		regex_t re;
		regmatch_t m[1];
		struct fz_json j;
		int hit;
		if (nd->type != FZ_STRING)
			return 0;
		if (model_regcomp(&re, config_setting_get_string(val)))
			fz_fail("regex went bad");
		fz_json_init(&j, src, nd->end, 1);
		j.i = nd->off;
		if (fz_string(&j, &j.key))
			fz_fail("string went bad");
		fz_put(&j.key, "", 0);
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)j.key.len;
		hit = regexec(&re, j.key.p, 1, m, REG_STARTEND) == 0;
		regfree(&re);
		fz_json_free(&j);
		return hit;
	}
	default: return 0;
	}
}

/* Evaluates a valid condition over the tree: 1 or 0. */
static int ref_eval(const config_setting_t *s, const struct fz_tree *t, const char *src)
{
	const config_setting_t *c;
	const config_setting_t *val;
	struct rp_path rp;
	unsigned char *reach;
	int o, hit = 0;

	if ((c = config_setting_get_member(s, "not")))
		return !ref_eval(c, t, src);
	if ((c = config_setting_get_member(s, "all")) || (c = config_setting_get_member(s, "any"))) {
		int all = !strcmp(config_setting_name(c), "all");
		for (int i = 0; i < config_setting_length(c); i++)
			if (ref_eval(config_setting_get_elem(c, (unsigned)i), t, src) != all)
				return !all;
		return all;
	}
	o = op_index(config_setting_get_string(config_setting_get_member(s, "op")));
	val = config_setting_get_member(s, "value");
	if (rp_parse(config_setting_get_string(config_setting_get_member(s, "path")), &rp) != 1)
		fz_fail("path went bad");
	reach = rp_reach(&rp, t);
	for (size_t k = 1; k < t->count && !hit; k++)
		if (reach[k * (rp.n + 1) + rp.n])
			hit = ref_holds(t, src, &t->n[k], o, val);
	free(reach);
	rp_free(&rp);
	return o == NE || o == NOT_IN || o == MISSING ? !hit : hit;
}

/* Reads `c = <fmt with text>;`; NULL when libconfig refuses it. */
static config_t *read_cfg(config_t *cfg, const char *fmt, const char *text)
{
	struct fz_buf b = { 0 };
	const char *p = fmt;

	while (*p) {
		const char *pct = strstr(p, "%s");
		if (!pct) {
			fz_put(&b, p, strlen(p));
			break;
		}
		fz_put(&b, p, (size_t)(pct - p));
		fz_put(&b, text, strlen(text));
		p = pct + 2;
	}
	config_init(cfg);
	if (!config_read_string(cfg, b.p)) {
		config_destroy(cfg);
		fz_buf_free(&b);
		return NULL;
	}
	fz_buf_free(&b);
	return cfg;
}

/* Compiles setting "c" of a wrapper around text; NULL when it does not
 * read or compile. */
static struct inf_cond *compile_wrapped(const char *fmt, const char *text)
{
	config_t cfg;
	struct inf_cond *c = NULL;
	char err[1024];
	const config_setting_t *s;

	if (!read_cfg(&cfg, fmt, text))
		return NULL;
	if ((s = config_lookup(&cfg, "c")) && inf_cond_compile(s, "when", &c, err, sizeof err))
		c = NULL;
	config_destroy(&cfg);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, err[1024];
	config_t cfg;
	const config_setting_t *s;
	struct inf_cond *c = NULL, *neg, *any;
	int want, rc;

	if (size > MAX_TEXT || memchr(data, '@', size))
		return 0;
	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!read_cfg(&cfg, "c = %s;", text))
		goto out_text;
	if (!(s = config_lookup(&cfg, "c")))
		goto out_cfg;
	want = ref_valid(s);
	err[0] = '\0';
	rc = inf_cond_compile(s, "when", &c, err, sizeof err);
	if (rc == INF_ERR_NOMEM)
		goto out_cfg;
	if (want >= 0)
		FZ_CHECK((rc == 0) == (want == 1), "condition %s by the core, %s by cond.h: [%s] %s",
			 rc ? "refused" : "compiled", want ? "valid" : "invalid", text, err);
	if (rc) {
		FZ_CHECK(rc == INF_ERR_INVALID && c == NULL, "refused condition: rc %d", rc);
		FZ_CHECK(!strncmp(err, "(policy):", 9) && strstr(err, ": when: "),
			 "refused condition: message [%s] lacks where and what", err);
		goto out_cfg;
	}
	neg = compile_wrapped("c = { not = %s; };", text);
	any = compile_wrapped("c = { any = ( %s, %s ); };", text);
	for (size_t k = 0; k < FZ_NRECORDS; k++) {
		struct inf_record r;
		struct inf_json_err je;
		struct fz_tree t;
		const char *src = fz_records[k];
		int m;

		inf_record_init(&r, MAX_DEPTH);
		if (inf_record_load(&r, src, strlen(src), &je))
			fz_fail("the core rejects fixed record %s: %s", src, je.msg);
		m = inf_cond_match(&r, c);
		FZ_CHECK(m == 0 || m == 1, "inf_cond_match gave %d", m);
		if (want == 1) {
			if (fz_build_tree(src, strlen(src), MAX_DEPTH, &t))
				fz_fail("fixed record is not JSON");
			FZ_CHECK(m == ref_eval(s, &t, src),
				 "condition [%s] over %s: the core says %d, cond.h says %d", text, src,
				 m, !m);
			fz_tree_free(&t);
		}
		if (neg)
			FZ_CHECK(inf_cond_match(&r, neg) == !m, "{ not = C; } is not the opposite of C");
		if (any)
			FZ_CHECK(inf_cond_match(&r, any) == m, "{ any = ( C, C ); } differs from C");
		inf_record_free(&r);
	}
	inf_cond_free(neg);
	inf_cond_free(any);
out_cfg:
	inf_cond_free(c);
	config_destroy(&cfg);
out_text:
	free(text);
	return 0;
}
