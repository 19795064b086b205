#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cond.h"
#include "host.h"
#include "json.h"
#include "path.h"
#include "policytext.h"
#include "redact.h"
#include "selftest.h"

/* the calls below are many and their messages long */
#define add_err inf_policy_errors_addf

void inf_policy_errors_addf(struct inf_policy_errors *e, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (inf_array_grow(&e->lines, &e->cap, e->n + 1, sizeof *e->lines))
		return;
	if ((e->lines[e->n] = strdup(line)))
		e->n++;
}

void inf_policy_errors_add(struct inf_policy_errors *e, const char *line)
{
	inf_policy_errors_addf(e, "%s", line);
}

void inf_policy_errors_free(struct inf_policy_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->lines[i]);
	free(e->lines);
	e->lines = NULL;
	e->n = e->cap = 0;
}

static void step_free(struct inf_step *s)
{
	for (unsigned i = 0; i < INF_MAX_WORKERS; i++) {
		if (i < s->ninit && s->plugin->fini)
			s->plugin->fini(s->instances[i]);
		free(s->instances[i]);
	}
	free(s->config);
	inf_owned_free(&s->own);
	inf_cond_free(s->when);
}

static void ap_free(struct inf_access_point *ap)
{
	inf_fuse_free(ap->fused);
	for (size_t i = 0; i < ap->nsteps; i++)
		step_free(&ap->steps[i]);
	free(ap->steps);
	for (size_t i = 0; i < ap->nprefixes; i++)
		free(ap->prefixes[i]);
	free(ap->prefixes);
	free(ap->name);
}

void inf_policy_free(struct inf_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->naps; i++)
		ap_free(&p->aps[i]);
	free(p->aps);
	inf_loader_free(p->loader);
	free(p);
}

const struct inf_access_point *inf_policy_find(const struct inf_policy *p,
					       const char *name)
{
	for (size_t i = 0; i < p->naps; i++)
		if (!strcmp(p->aps[i].name, name))
			return &p->aps[i];
	return NULL;
}

int inf_ap_allows_key(const struct inf_access_point *ap, const char *key)
{
	if (!ap->prefixes)
		return 1;
	for (size_t i = 0; i < ap->nprefixes; i++)
		if (!strncmp(key, ap->prefixes[i], strlen(ap->prefixes[i])))
			return 1;
	return 0;
}

/* ---- one step ---- */

static const char *const step_reserved[] = { "plugin", "when", NULL };

/* Worker threads for transforms: $INFLIGHT_THREADS, else the CPUs. */
int inf_threads_parse(const char *v, unsigned *n)
{
	char *end;
	long k;

	if (!v || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	k = strtol(v, &end, 10);
	if (*end || (errno && errno != ERANGE) || k < 1) /* too large: many */
		return -1;
	*n = k > (long)INF_MAX_WORKERS ? INF_MAX_WORKERS : (unsigned)k;
	return 0;
}

/* INFLIGHT_THREADS when valid (the runtime refuses an invalid one before
 * loading a policy), else one per CPU, at most INF_MAX_WORKERS. */
static unsigned workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n;

	if (inf_threads_parse(getenv("INFLIGHT_THREADS"), &n) == 0)
		return n;
	if (cpus < 1)
		return 1;
	return cpus > (long)INF_MAX_WORKERS ? INF_MAX_WORKERS : (unsigned)cpus;
}

/* A step's error from a plugin, its options or the loader may hold any
 * bytes (a file option's path, a plugin's text): added on one line. */
static void add_step_err(struct inf_policy_errors *errs, const char *where,
			 const char *err)
{
	char line[1024];

	inf_one_line(err, line, sizeof line);
	if (where)
		add_err(errs, "%s: %s", where, line);
	else
		add_err(errs, "%s", line);
}

/* `err` names its own file:line, unless the call that wrote it failed
 * without a message: the compilers and the option filler do that only
 * when out of memory. */
static void add_located_err(struct inf_policy_errors *errs, const char *where,
			    const char *err)
{
	if (err[0])
		add_step_err(errs, NULL, err);
	else
		add_step_err(errs, where, "out of memory");
}

/* The line of the option a plugin's init message is about, when the
 * message starts with the name of one of the step's settings ("digits
 * must be ...", "option 'with' does not apply ..."), else the step's: a
 * step written over several lines points at the one to fix. */
static void init_where(const config_setting_t *s, const char *msg, char *where, size_t n)
{
	const char *m = strncmp(msg, "option ", 7) ? msg : msg + 7 + (msg[7] == '\'');

	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *o = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(o);
		size_t len = name ? strlen(name) : 0;

		if (len && !strncmp(m, name, len) && m[len] && strchr(" :,'", m[len])) {
			inf_setting_where(o, where, n);
			return;
		}
	}
}

static int load_step(struct inf_policy *pol, const config_setting_t *s,
		     const char *base_dir, unsigned nworkers, struct inf_step *st,
		     struct inf_policy_errors *errs)
{
	const char *name;
	char where[300], err[1024] = "", perr[INF_ERR_MAX] = "";
	const struct inf_plugin *p;

	inf_setting_where(s, where, sizeof where);
	snprintf(st->where, sizeof st->where, "%s", where);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		add_err(errs, "%s: a chain step must be a group { plugin = \"...\"; ... }", where);
		return -1;
	}
	if (!config_setting_lookup_string(s, "plugin", &name)) {
		add_err(errs, "%s: chain step without a 'plugin' string", where);
		return -1;
	}
	if (config_setting_get_member(s, "when") &&
	    inf_cond_compile(config_setting_get_member(s, "when"), "when",
			     &st->when, err, sizeof err)) {
		add_located_err(errs, where, err);
		return -1;
	}
	if (inf_loader_get(pol->loader, name, &p, err, sizeof err)) {
		add_step_err(errs, where, err);
		return -1;
	}
	st->plugin = p;
	st->config = calloc(1, p->config_size ? p->config_size : 1);
	for (unsigned i = 0; i < nworkers; i++)
		if (!(st->instances[i] = calloc(1, p->instance_size ? p->instance_size : 1)))
			break;
	if (!st->config || !st->instances[nworkers - 1]) {
		add_err(errs, "%s: out of memory", where);
		return -1;
	}
	if (inf_options_fill(p, s, step_reserved, st->config, &st->own, base_dir,
			     err, sizeof err)) {
		add_located_err(errs, where, err);
		return -1;
	}
	for (unsigned i = 0; i < nworkers; i++) {
		int rc;

		st->ninit = i + 1;
		memset(perr, 0, sizeof perr); /* "" on entry, as plugin.h says */
		if (p->init && (rc = p->init(inf_host_table(), st->config, st->instances[i], perr))) {
			perr[INF_ERR_MAX - 1] = '\0';
			init_where(s, perr, where, sizeof where);
			if (perr[0])
				snprintf(err, sizeof err, "plugin '%s': %s", name, perr);
			else
				snprintf(err, sizeof err, "plugin '%s': init failed with status %d "
					 "(no message from the plugin)", name, rc);
			add_step_err(errs, where, err);
			return -1;
		}
	}
	return 0;
}

/* When the chain's first step, without `when`, only removes what its
 * paths reach (its plugin's `removes`, plugin.h) and every path is a plain
 * key, the core makes those removals as it reads each record, without a
 * walk or a call: with no tokens when the step is the whole chain, with
 * the tokens of what is left for the steps after it (tools/bench/
 * PROFILE.md, items 11 and 15). */
static void fuse_removals(struct inf_access_point *ap)
{
	const struct inf_step *st = &ap->steps[0];
	const struct inf_option *o;
	const struct inf_paths *paths;

	if (ap->nsteps == 0 || st->when || !(o = inf_plugin_removes_option(st->plugin)))
		return;
	memcpy(&paths, (const char *)st->config + o->offset, sizeof paths);
	inf_paths_dropkeys(paths, &ap->drop_top);
}

/* ---- one access point ---- */

int inf_ap_name_ok(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > 255 || inf_utf8_valid_prefix(n, len) != len)
		return 0;
	for (; *n; n++)
		if (*n == '/' || *n == ' ' || (unsigned char)*n < 0x21 || *n == 0x7f)
			return 0;
	return 1;
}

static const char *const ap_keys[] = { "name", "format", "on_error", "prefixes",
	"error_status", "tests", "max_key_bytes",
	"max_record_bytes", "max_depth", "chain", NULL };

static int known(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return 1;
	return 0;
}

/* Reads integer setting `name` of `g` into *out (0 when absent). Returns
 * 0, or -1 with the error added when it is not an integer in [min, max]. */
static int int_setting(const struct inf_access_point *ap, const config_setting_t *g,
		       const char *name, long long min, long long max, long long *out,
		       struct inf_policy_errors *errs)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	char where[300];
	int t;

	*out = 0;
	if (!s)
		return 0;
	t = config_setting_type(s);
	*out = config_setting_get_int64(s);
	if ((t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) && *out >= min && *out <= max)
		return 0;
	add_err(errs, "%s: access point '%s': %s must be an integer from %lld to %lld",
		inf_setting_where(s, where, sizeof where), ap->name, name, min, max);
	*out = 0;
	return -1;
}

static int ap_settings(struct inf_access_point *ap, const config_setting_t *g,
		       struct inf_policy_errors *errs)
{
	char where[300];
	const char *v;
	const config_setting_t *s;
	long long ll;
	int bad = 0;

	for (int i = 0; i < config_setting_length(g); i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		if (!known(ap_keys, config_setting_name(s))) {
			add_err(errs, "%s: access point '%s': unknown setting '%s'",
				inf_setting_where(s, where, sizeof where), ap->name,
				config_setting_name(s));
			bad = 1;
		}
	}
	if ((s = config_setting_get_member(g, "format"))) {
		int f = (v = config_setting_get_string(s)) ? inf_format_parse(v) : -1;
		if (f < 0) {
			add_err(errs, "%s: access point '%s': format must be \"auto\", \"ndjson\", \"array\" or \"document\"",
				inf_setting_where(s, where, sizeof where), ap->name);
			bad = 1;
		} else {
			ap->format = (enum inf_format)f;
		}
	}
	if ((s = config_setting_get_member(g, "on_error"))) {
		v = config_setting_get_string(s);
		if (v && !strcmp(v, "fail"))
			ap->on_error = INF_ON_ERROR_FAIL;
		else if (v && !strcmp(v, "drop_record"))
			ap->on_error = INF_ON_ERROR_DROP_RECORD;
		else {
			add_err(errs, "%s: access point '%s': on_error must be \"fail\" or \"drop_record\"",
				inf_setting_where(s, where, sizeof where), ap->name);
			bad = 1;
		}
	}
	if (int_setting(ap, g, "max_record_bytes", 16, 1LL << 30, &ll, errs))
		bad = 1;
	else if (ll)
		ap->max_record = (size_t)ll;
	if (int_setting(ap, g, "max_key_bytes", 1, 1LL << 30, &ll, errs))
		bad = 1;
	else if (ll)
		ap->max_key = (size_t)ll;
	if (int_setting(ap, g, "max_depth", 1, INF_MAX_DEPTH_LIMIT, &ll, errs))
		bad = 1;
	else if (ll)
		ap->max_depth = (unsigned)ll;
	if ((s = config_setting_get_member(g, "error_status"))) {
		ll = config_setting_get_int64(s);
		if (config_setting_type(s) != CONFIG_TYPE_INT ||
		    (ll != 400 && ll != 403 && ll != 404 && ll != 409 && ll != 500 && ll != 503)) {
			add_err(errs, "%s: access point '%s': error_status must be one of 400, 403, 404, 409, 500, 503",
				inf_setting_where(s, where, sizeof where), ap->name);
			bad = 1;
		} else {
			ap->error_status = (int)ll;
		}
	}
	if ((s = config_setting_get_member(g, "prefixes"))) {
		int n = config_setting_length(s);
		if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
			add_err(errs, "%s: access point '%s': prefixes must be a list of strings",
				inf_setting_where(s, where, sizeof where), ap->name);
			return -1;
		}
		if (n == 0) { /* no key at all: a typo, or a deny-all, not a view */
			add_err(errs, "%s: access point '%s': prefixes is empty: list the key "
				"prefixes it may serve, or leave it out for every key",
				inf_setting_where(s, where, sizeof where), ap->name);
			return -1;
		}
		ap->prefixes = calloc((size_t)n + 1, sizeof *ap->prefixes);
		if (!ap->prefixes)
			return -1;
		for (int i = 0; i < n; i++) {
			v = config_setting_get_string_elem(s, i);
			if (!v) {
				add_err(errs, "%s: access point '%s': prefixes must be a list of strings",
					inf_setting_where(s, where, sizeof where), ap->name);
				return -1;
			}
			if (inf_utf8_valid_prefix(v, strlen(v)) != strlen(v)) {
				add_err(errs, "%s: access point '%s': prefix %d is not valid UTF-8 (keys are)",
					inf_setting_where(s, where, sizeof where), ap->name, i + 1);
				return -1;
			}
			/* as the deployment template's Prefix: S3 keys have no
			 * leading '/', and a prefix is literal, not a pattern; either
			 * mistake would deny every read */
			if (v[0] == '/' || strpbrk(v, "*?")) {
				add_err(errs, "%s: access point '%s': prefix %d %s: a prefix is the literal "
					"start of the S3 keys it serves (store_events/, not /store_events/ "
					"or store_events/*)", inf_setting_where(s, where, sizeof where),
					ap->name, i + 1, v[0] == '/' ? "starts with '/'" : "holds '*' or '?'");
				return -1;
			}
			if (!(ap->prefixes[ap->nprefixes] = strdup(v)))
				return -1;
			ap->nprefixes++;
		}
	}
	return bad ? -1 : 0;
}

static int load_ap(struct inf_policy *pol, const config_setting_t *g,
		   const char *base_dir, struct inf_access_point *ap,
		   struct inf_policy_errors *errs)
{
	char where[300];
	const config_setting_t *chain, *ns;
	const char *name;
	int bad = 0, n;

	inf_setting_where(g, where, sizeof where);
	snprintf(ap->where, sizeof ap->where, "%s", where);
	ap->max_record = INF_DEFAULT_MAX_RECORD;
	ap->max_depth = INF_DEFAULT_MAX_DEPTH;
	ap->error_status = 500;
	ap->max_key = INF_DEFAULT_MAX_KEY;
	ap->workers = workers();
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		add_err(errs, "%s: an access point must be a group { name = \"...\"; chain = (...); }", where);
		return -1;
	}
	if (!(ns = config_setting_get_member(g, "name"))) {
		add_err(errs, "%s: access point without a 'name' (" INF_AP_NAME_RULE ")", where);
		return -1;
	}
	if (!(name = config_setting_get_string(ns)) || !inf_ap_name_ok(name)) {
		char nwhere[300], shown[200];

		inf_setting_where(ns, nwhere, sizeof nwhere);
		inf_one_line(name ? name : "", shown, sizeof shown);
		if (name)
			add_err(errs, "%s: access point name '%s' is not one (" INF_AP_NAME_RULE ")",
				nwhere, shown);
		else
			add_err(errs, "%s: access point 'name' must be a string (" INF_AP_NAME_RULE
				")", nwhere);
		return -1;
	}
	if (inf_policy_find(pol, name)) {
		add_err(errs, "%s: access point '%s' is defined twice (first at %s)", where, name,
			inf_policy_find(pol, name)->where);
		return -1;
	}
	if (!(ap->name = strdup(name)))
		return -1;
	bad |= ap_settings(ap, g, errs);
	chain = config_setting_get_member(g, "chain");
	if (!chain || !config_setting_is_list(chain)) {
		add_err(errs, "%s: access point '%s' needs a 'chain' list of steps ( { plugin = \"...\"; }, ... )",
			chain ? inf_setting_where(chain, where, sizeof where) : where, name);
		return -1;
	}
	n = config_setting_length(chain);
	if (n == 0) {
		add_err(errs, "%s: access point '%s' has an empty chain: it would pass every "
			"record unchanged (a consumer that may see everything reads the "
			"supporting access point instead)",
			inf_setting_where(chain, where, sizeof where), name);
		return -1;
	}
	ap->steps = calloc((size_t)n, sizeof *ap->steps);
	if (!ap->steps)
		return -1;
	for (int i = 0; i < n; i++) {
		ap->nsteps = (size_t)i + 1;
		bad |= load_step(pol, config_setting_get_elem(chain, (unsigned)i),
				 base_dir, ap->workers, &ap->steps[i], errs);
	}
	if (!bad) {
		fuse_removals(ap);
		ap->fused = inf_fuse_new(ap);
	}
	if (!bad && config_setting_get_member(g, "tests"))
		bad |= inf_selftest_run(ap, config_setting_get_member(g, "tests"), errs);
	return bad ? -1 : 0;
}

/* ---- files ---- */

/* `path` is opened, and its directory is where relative file options
 * are found; messages, and inf_setting_where through the root's hook,
 * name it on one line (a directory's name may hold a newline). */
static int load_file(struct inf_policy *pol, const char *path,
		     struct inf_policy_errors *errs)
{
	config_t cfg;
	const config_setting_t *root, *aps, *ver;
	char dir[PATH_MAX], where[300], file[1024];
	int bad = 0, n;
	const char *slash = strrchr(path, '/');
	struct inf_buf text = { 0 };

	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	inf_show_name(path, file, sizeof file);
	if (inf_policy_text_read(path, file, &text, errs) ||
	    inf_policy_text_includes(file, text.data, errs)) {
		inf_buf_free(&text);
		return -1;
	}
	/* before libconfig: what it would read with another meaning, and what
	 * it would take quadratic time over */
	if (inf_policy_text_check(file, text.data, text.len - 1, errs)) {
		inf_buf_free(&text);
		return -1;
	}
	config_init(&cfg);
	if (!config_read_string(&cfg, text.data)) {
		char dup[64];
		int line = config_error_line(&cfg);

		if (line > 0 && !strcmp(config_error_text(&cfg), "duplicate setting name") &&
		    !inf_policy_text_dup_name(text.data, (unsigned)line, dup, sizeof dup))
			add_err(errs, "%s:%d: duplicate setting name '%s' (a group holds each "
				"setting once)", file, line, dup);
		else if (!strcmp(config_error_text(&cfg), "memory exhausted"))
			add_err(errs, "%s:%d: nested too deep for libconfig's parser (it ran "
				"out of parse stack: \"memory exhausted\")", file, line);
		else
			add_err(errs, "%s:%d: %s", file, line, config_error_text(&cfg));
		config_destroy(&cfg);
		inf_buf_free(&text);
		return -1;
	}
	/* names the file in inf_setting_where's "file:line" */
	config_setting_set_hook(config_root_setting(&cfg), (void *)file);
	inf_buf_free(&text);
	root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *k = config_setting_name(s);
		if (strcmp(k, "version") && strcmp(k, "access_points")) {
			add_err(errs, "%s: unknown top-level setting '%s' (expected 'version' and 'access_points')",
				inf_setting_where(s, where, sizeof where), k);
			bad = 1;
		}
	}
	if ((ver = config_lookup(&cfg, "version")) &&
	    (config_setting_type(ver) != CONFIG_TYPE_INT ||
	     config_setting_get_int(ver) != 1)) {
		if (config_setting_type(ver) != CONFIG_TYPE_INT)
			add_err(errs, "%s: version must be the integer 1",
				inf_setting_where(ver, where, sizeof where));
		else
			add_err(errs, "%s: policy version %d is not supported (this runtime reads version 1)",
				inf_setting_where(ver, where, sizeof where),
				config_setting_get_int(ver));
		bad = 1;
	}
	aps = config_lookup(&cfg, "access_points");
	if (!aps || !config_setting_is_list(aps)) {
		if (aps)
			add_err(errs, "%s: 'access_points' must be a list ( { name = \"...\"; chain = (...); }, ... )",
				inf_setting_where(aps, where, sizeof where));
		else
			add_err(errs, "%s: no 'access_points' list", file);
		config_destroy(&cfg);
		return -1;
	}
	n = config_setting_length(aps);
	if (n == 0) {
		/* like an empty chain: a file that serves nothing is a mistake,
		 * and --check-policy said "ok: ... 0 access points:" */
		add_err(errs, "%s: 'access_points' is empty: the file defines no access point",
			inf_setting_where(aps, where, sizeof where));
		bad = 1;
	}
	for (int i = 0; i < n; i++) {
		struct inf_access_point *v;
		/* each is checked against all before it (a name defined twice):
		 * a directory of files under the text's limit would still load
		 * in quadratic time */
		if (pol->naps >= INF_POLICY_MAX_APS) {
			add_err(errs, "%s: more than %d access points in the policy (its files "
				"together): loading grows with the square of the count", file,
				INF_POLICY_MAX_APS);
			bad = 1;
			break;
		}
		if (inf_array_grow(&pol->aps, &pol->aps_cap, pol->naps + 1, sizeof *v)) {
			add_err(errs, "%s: out of memory", file);
			bad = 1;
			break;
		}
		v = pol->aps;
		memset(&v[pol->naps], 0, sizeof *v);
		if (load_ap(pol, config_setting_get_elem(aps, (unsigned)i), dir,
			    &v[pol->naps], errs)) {
			ap_free(&v[pol->naps]);
			bad = 1;
			continue;
		}
		pol->naps++;
	}
	config_destroy(&cfg);
	return bad ? -1 : 0;
}

static int cfg_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 4 && !strcmp(d->d_name + n - 4, ".cfg");
}

int inf_policy_load(const char *path, const char *plugin_dirs,
		    struct inf_policy **out, struct inf_policy_errors *errs)
{
	struct inf_policy *pol = calloc(1, sizeof *pol);
	struct stat st;
	char shown[1024];
	int bad = 0;

	*out = NULL;
	inf_show_name(path, shown, sizeof shown);
	if (!pol || !(pol->loader = inf_loader_new(plugin_dirs))) {
		free(pol);
		add_err(errs, "out of memory");
		return -1;
	}
	if (stat(path, &st)) {
		add_err(errs, "%s: cannot read policy: %s", shown, strerror(errno));
		bad = 1;
	} else if (S_ISDIR(st.st_mode)) {
		struct dirent **list;
		int n = scandir(path, &list, cfg_filter, alphasort);
		if (n < 0) {
			add_err(errs, "%s: cannot list policy directory: %s", shown, strerror(errno));
			bad = 1;
		}
		for (int i = 0; i < n; i++) {
			char file[PATH_MAX];
			size_t pl = strlen(path);

			snprintf(file, sizeof file, "%s%s%s", path,
				 pl && path[pl - 1] == '/' ? "" : "/", list[i]->d_name);
			bad |= load_file(pol, file, errs) != 0;
			free(list[i]);
		}
		if (n == 0)
			add_err(errs, "%s: no *.cfg policy files", shown), bad = 1;
		if (n >= 0)
			free(list);
	} else {
		bad = load_file(pol, path, errs) != 0;
	}
	if (bad) {
		inf_policy_free(pol);
		return -1;
	}
	*out = pol;
	return 0;
}
