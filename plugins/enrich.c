/*
 * enrich: adds members to every record that is a JSON object (other
 * records pass untouched): static values, facts about the request, and
 * the columns of a lookup table's row chosen by a value of the record.
 * A member the record already has is left alone unless `overwrite` is
 * set. README.md, "enrich", has examples.
 *
 * Options:
 *   set               { name = value; ... }: static members (strings,
 *                     numbers, booleans; groups and lists become objects
 *                     and arrays)
 *   set_json          { name = "JSON text"; ... }: static members given as
 *                     JSON, e.g. "null"
 *   overwrite         replace members the record has (default false)
 *   add_time          member for the processing time, RFC 3339 in UTC
 *                     ("2026-11-28T20:15:03Z")
 *   add_access_point  member for the access point's name
 *   add_object_key    member for the object key of the GET
 *   add_request_id    member for the request id of the GET
 *   lookup_file       table beside the policy, loaded at init (the
 *                     core shares one copy between the step's worker
 *                     instances and identical loads): CSV
 *                     with a header row (name ending in .csv; values are
 *                     added as strings) or NDJSON (values added as they
 *                     are)
 *   lookup_key        path of the record value looked up: the first value
 *                     reached, strings by their text, numbers and
 *                     booleans by their JSON text
 *   lookup_column     the table's key column (default: the first CSV
 *                     column; required for NDJSON)
 *   lookup_default    { name = value; ... } added instead when the key is
 *                     missing or not in the table (default: nothing)
 *
 * A name may be added only once per step: a table column or default that
 * repeats a set, set_json or add_* name is a load error, as is a step
 * that adds nothing.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inflight/plugin.h"

struct enrich_config {
	struct inf_fields set, set_json, lookup_default;
	int overwrite;
	const char *add[4]; /* time, then INF_CTX_ACCESS_POINT + 1, ... */
	const char *lookup_file;
	const struct inf_paths *lookup_key;
	const char *lookup_column;
};

struct enrich_instance {
	const struct inf_host *host;
	const struct enrich_config *c;
	struct inf_table *table;
	const char **fixed; /* names set whatever the table says, NULL-ended */
	struct inf_field *statics; /* set, then set_json: the plan's fields */
	time_t now;
	char now_text[32]; /* RFC 3339 of `now` */
};

#define OPT(name, type, def, field, what) \
	{ name, type, 0, def, offsetof(struct enrich_config, field), NULL, what }

static const struct inf_option enrich_options[] = {
	OPT("set", INF_OPT_FIELDS, NULL, set, "static members"),
	OPT("set_json", INF_OPT_JSON_FIELDS, NULL, set_json, "static members as JSON"),
	OPT("overwrite", INF_OPT_BOOL, "false", overwrite, "replace members the record has"),
	OPT("add_time", INF_OPT_STRING, NULL, add[0], "member for the processing time"),
	OPT("add_access_point", INF_OPT_STRING, NULL, add[1], "member for the access point"),
	OPT("add_object_key", INF_OPT_STRING, NULL, add[2], "member for the object key"),
	OPT("add_request_id", INF_OPT_STRING, NULL, add[3], "member for the request id"),
	OPT("lookup_file", INF_OPT_FILE, NULL, lookup_file, "lookup table, CSV or NDJSON"),
	OPT("lookup_key", INF_OPT_PATHS, NULL, lookup_key, "record value looked up"),
	OPT("lookup_column", INF_OPT_STRING, NULL, lookup_column, "the table's key column"),
	OPT("lookup_default", INF_OPT_FIELDS, NULL, lookup_default, "members when not found"),
	{ NULL, 0, 0, NULL, 0, NULL, NULL }
};

/* Each add_* option and what its member gets, in the order of config.add. */
static const char *const add_opt[4][2] = {
	{ "add_time", "processing time" }, { "add_access_point", "access point's name" },
	{ "add_object_key", "object key" }, { "add_request_id", "request id" }
};

static int fail(char *err, const char *what, const char *name)
{
	snprintf(err, INF_ERR_MAX, "%s%s%.64s%s", what, name ? " \"" : "",
		 name ? name : "", name ? "\"" : "");
	return INF_ERR_INVALID;
}

/* Collects the fixed names (set, set_json, add_*) into in->fixed,
 * refusing an empty one or one given twice. */
static int collect_fixed(struct enrich_instance *in, char *err)
{
	const struct enrich_config *c = in->c;
	size_t n = 0, max = c->set.count + c->set_json.count + 4;

	if (!(in->fixed = in->host->alloc((max + 1) * sizeof *in->fixed)))
		return INF_ERR_NOMEM;
	for (size_t i = 0; i < c->set.count; i++)
		in->fixed[n++] = c->set.items[i].name;
	for (size_t i = 0; i < c->set_json.count; i++)
		in->fixed[n++] = c->set_json.items[i].name;
	for (size_t k = 0; k < 4; k++)
		if (c->add[k])
			in->fixed[n++] = c->add[k];
	for (size_t i = 0; i < n; i++) {
		if (!*in->fixed[i])
			return fail(err, "a member name is empty", NULL);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(in->fixed[i], in->fixed[j]))
				return fail(err, "member added twice:", in->fixed[i]);
	}
	for (size_t i = 0; i < c->lookup_default.count; i++)
		for (size_t j = 0; j < n; j++)
			if (!strcmp(c->lookup_default.items[i].name, in->fixed[j]))
				return fail(err, "lookup_default repeats a member the step sets:",
					    in->fixed[j]);
	return 0;
}

static int cb_enrich_init(const struct inf_host *host, const void *config,
			  void *instance, char *err)
{
	const struct enrich_config *c = config;
	struct enrich_instance *in = instance;
	int rc;

	in->host = host;
	in->c = c;
	if (!INF_HOST_HAS(host, table_free))
		return fail(err, "this runtime is too old for enrich (no lookup tables)", NULL);
	if ((rc = collect_fixed(in, err)))
		return rc;
	if (!c->lookup_file != !c->lookup_key)
		return fail(err, "lookup_file and lookup_key go together", NULL);
	if (!c->lookup_file && (c->lookup_column || c->lookup_default.count))
		return fail(err, "lookup_column and lookup_default need lookup_file", NULL);
	/* a step that adds nothing would pass every record as it came, like
	 * the empty chain and the empty paths list the core refuses */
	if (!in->fixed[0] && !c->lookup_file)
		return fail(err, "nothing to add: give set, set_json, an add_* option or "
			    "lookup_file", NULL);
	if (c->lookup_file &&
	    !(in->table = host->table_load(c->lookup_file, c->lookup_column, in->fixed, err)))
		return INF_ERR_INVALID;
	if (!c->add[0] && !c->add[1] && !c->add[2] && !c->add[3]) {
		size_t n = c->set.count;
		/* one more: a step with a lookup only has none */
		if (!(in->statics = host->alloc((n + c->set_json.count + 1) *
						sizeof *in->statics)))
			return INF_ERR_NOMEM;
		for (size_t i = 0; i < n; i++)
			in->statics[i] = c->set.items[i];
		for (size_t i = 0; i < c->set_json.count; i++)
			in->statics[n + i] = c->set_json.items[i];
	}
	return 0;
}

/* The plan's lookup: the row record_key's text finds, else the default. */
static const struct inf_fields *cb_enrich_lookup(void *instance, const char *key, size_t n)
{
	struct enrich_instance *in = instance;
	const struct inf_fields *row = key ? in->host->table_find(in->table, key, n) : NULL;

	return row ? row : &in->c->lookup_default;
}

/* No add_* member: the step is what the plan says (plugin.h,
 * INF_PLAN_SET), set_all of set, of set_json, then of the row or
 * default that cb_enrich_lookup answers. */
static void cb_enrich_plan(void *instance, struct inf_plan *plan)
{
	struct enrich_instance *in = instance;

	if (!in->statics || (in->table && !INF_PLAN_HAS(plan, lookup_default)))
		return;
	plan->kind = INF_PLAN_SET;
	plan->fields.items = in->statics;
	plan->fields.count = in->c->set.count + in->c->set_json.count;
	plan->overwrite = in->c->overwrite;
	if (!in->table)
		return;
	plan->lookup_key = in->c->lookup_key;
	plan->lookup = cb_enrich_lookup;
	plan->table = in->table;
	plan->lookup_default = in->c->lookup_default;
}

static void cb_enrich_fini(void *instance)
{
	struct enrich_instance *in = instance;

	/* init always sets host first; a table exists only where the
	 * host has table_free (an older host was refused before any) */
	if (in->table)
		in->host->table_free(in->table);
	in->host->release(in->fixed);
	in->host->release(in->statics);
}

/* The record's lookup key as text, or NULL: strings by their unescaped
 * text, numbers and booleans by their JSON text; null, objects, arrays
 * and a missing value have none. */
static const char *record_key(struct enrich_instance *in, struct inf_record *rec,
			      size_t *n)
{
	const struct inf_host *h = in->host;
	int node = h->find(rec, in->c->lookup_key);
	enum inf_type t = h->type(rec, node);

	if (t == INF_STRING)
		return h->string(rec, node, n);
	return t == INF_NUMBER || t == INF_TRUE || t == INF_FALSE ? h->raw(rec, node, n) : NULL;
}

static int set_all(struct enrich_instance *in, struct inf_record *rec,
		   const struct inf_fields *fs)
{
	int rc = 0;

	for (size_t i = 0; fs && i < fs->count && rc == 0; i++)
		rc = in->host->set_json(rec, 0, fs->items[i].name, strlen(fs->items[i].name),
					fs->items[i].json, fs->items[i].json_len,
					in->c->overwrite);
	return rc;
}

/* The processing time, formatted once per second. CLOCK_REALTIME, not
 * time(): glibc's time() reads the coarse clock, which can still show
 * the previous second for a few milliseconds after it ended. */
static const char *now_text(struct enrich_instance *in)
{
	struct timespec ts;
	time_t t;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	if (t != in->now && gmtime_r(&t, &tm)) {
		strftime(in->now_text, sizeof in->now_text, "%Y-%m-%dT%H:%M:%SZ", &tm);
		in->now = t;
	}
	return in->now_text;
}

static int cb_enrich_process(void *instance, struct inf_record *rec,
			     enum inf_verdict *verdict, char *err)
{
	struct enrich_instance *in = instance;
	const struct enrich_config *c = in->c;
	const struct inf_host *h = in->host;
	const struct inf_fields *row = NULL;
	const char *key, *v;
	size_t n = 0;
	int rc;

	*verdict = INF_KEEP;
	if (h->type(rec, 0) != INF_OBJECT)
		return 0;
	/* look up first: the key is read before this step edits the record */
	if (in->table && (key = record_key(in, rec, &n)))
		row = h->table_find(in->table, key, n);
	rc = set_all(in, rec, &c->set);
	if (rc == 0)
		rc = set_all(in, rec, &c->set_json);
	for (int k = 0; k < 4 && rc == 0; k++) {
		if (!c->add[k])
			continue;
		v = k == 0 ? now_text(in) : h->context(rec, (enum inf_ctx_field)(k - 1));
		rc = h->set_string(rec, 0, c->add[k], strlen(c->add[k]), v, strlen(v),
				   c->overwrite);
		if (rc == INF_ERR_INVALID) /* a file name in filter mode may be any bytes */
			snprintf(err, INF_ERR_MAX, "%s: the %s is not UTF-8, so no JSON string "
				 "can hold it", add_opt[k][0], add_opt[k][1]);
	}
	if (rc == 0 && in->table)
		rc = set_all(in, rec, row ? row : &c->lookup_default);
	if (rc < 0)
		return rc;
	*verdict = INF_MODIFIED;
	return 0;
}

INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_plugin),
	.name = "enrich",
	.description = "add static, computed and looked-up members",
	.options = enrich_options,
	.config_size = sizeof(struct enrich_config),
	.instance_size = sizeof(struct enrich_instance),
	.init = cb_enrich_init,
	.process = cb_enrich_process,
	.fini = cb_enrich_fini,
	.plan = cb_enrich_plan,
};
