/*
 * keep_fields: an allowlist. Every member or element that no path reaches
 * is removed, at every depth; a path that ends at a value keeps all of it.
 * The safe choice when a producer may add fields later: new fields stay
 * out of the view until the policy lists them.
 *
 * A container on the way to a listed path keeps only what leads there
 * (and may end up empty); a scalar where a path wanted to go deeper is
 * removed. A record whose root is not an object or array (a string,
 * number, boolean or null) has nothing a path can name: it is refused,
 * never passed on whole ("cust_id=512 card=4111..." as a string record
 * would otherwise pass an allowlist untouched).
 *
 * Options:
 *   paths  list of paths to keep (required), e.g. [ "request_id",
 *          "customer.name", "items[*].sku" ]
 */
#include <stddef.h>
#include <stdio.h>

#include "inflight/plugin.h"

struct keep_config {
	const struct inf_paths *paths;
};

struct keep_instance {
	const struct inf_host *host;
	const struct inf_paths *paths;
};

struct keep_pass {
	const struct keep_instance *in;
	int removed;
};

static const struct inf_option keep_options[] = {
	{ "paths", INF_OPT_PATHS, INF_OPT_REQUIRED, NULL,
	  offsetof(struct keep_config, paths), NULL, "paths to keep" },
	{ NULL, 0, 0, NULL, 0, NULL, NULL }
};

static int cb_keep_init(const struct inf_host *host, const void *config,
			void *instance, char *err)
{
	const struct keep_config *c = config;
	struct keep_instance *in = instance;

	(void)err;
	in->host = host;
	in->paths = c->paths;
	return 0;
}

static int cb_keep_visit(void *ctx, struct inf_record *rec, int node, int key,
			 enum inf_match m)
{
	struct keep_pass *p = ctx;
	enum inf_type t;
	int rc;

	(void)key;
	if (m == INF_MATCH_FULL)
		return INF_WALK_SKIP;
	t = p->in->host->type(rec, node);
	if (m == INF_MATCH_PARTIAL && (t == INF_OBJECT || t == INF_ARRAY))
		return INF_WALK_DESCEND;
	if ((rc = p->in->host->remove(rec, node)) < 0)
		return rc;
	p->removed++;
	return INF_WALK_SKIP;
}

static int cb_keep_process(void *instance, struct inf_record *rec,
			   enum inf_verdict *verdict, char *err)
{
	struct keep_instance *in = instance;
	struct keep_pass pass = { in, 0 };
	enum inf_type t;
	int rc;

	t = in->host->type(rec, 0);
	if (t != INF_OBJECT && t != INF_ARRAY) {
		snprintf(err, INF_ERR_MAX,
			 "the record is %s, in which no path names anything to keep: refused "
			 "rather than passed on whole",
			 t == INF_STRING ? "a string" : t == INF_NUMBER ? "a number"
			 : t == INF_NULL ? "null" : "a boolean");
		return INF_ERR_TYPE;
	}
	if ((rc = in->host->walk(rec, in->paths, cb_keep_visit, &pass)) < 0)
		return rc;
	*verdict = pass.removed ? INF_MODIFIED : INF_KEEP;
	return 0;
}

/* What the step does (plugin.h, struct inf_plan): what cb_keep_process
 * does, with any paths. */
static void cb_keep_plan(void *instance, struct inf_plan *plan)
{
	const struct keep_instance *in = instance;

	plan->kind = INF_PLAN_KEEP;
	plan->paths = in->paths;
}

INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_plugin),
	.name = "keep_fields",
	.description = "keep only the values the paths reach",
	.options = keep_options,
	.config_size = sizeof(struct keep_config),
	.instance_size = sizeof(struct keep_instance),
	.init = cb_keep_init,
	.process = cb_keep_process,
	.fini = NULL,
	.plan = cb_keep_plan,
};
