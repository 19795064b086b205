/*
 * filter_records: row-level views. Keeps only the records that match a
 * condition, or drops the ones that do, e.g. the inventory department
 * sees only { path = "evnt_type"; op = "eq"; value = "inventory_event"; }.
 * Conditions are the core's (README.md, "Conditions"), compiled when the
 * policy loads.
 *
 * A record the condition cannot look inside (an array record when every
 * path names a member) is refused, not kept or dropped as if every path
 * were missing; so is one where it would read a key held twice by one
 * object, whose value readers take differently.
 *
 * Options (exactly one of them):
 *   keep   condition: records that match pass, all others are dropped
 *   drop   condition: records that match are dropped, all others pass
 */
#include <stddef.h>
#include <string.h>

#include "inflight/plugin.h"

struct filter_config {
	const struct inf_cond *keep;
	const struct inf_cond *drop;
};

struct filter_instance {
	const struct inf_host *host;
	const struct inf_cond *cond;
	int keep; /* 1: keep matches; 0: drop matches */
};

static const struct inf_option filter_options[] = {
	{ "keep", INF_OPT_CONDITION, 0, NULL,
	  offsetof(struct filter_config, keep), NULL,
	  "keep only the records that match" },
	{ "drop", INF_OPT_CONDITION, 0, NULL,
	  offsetof(struct filter_config, drop), NULL,
	  "drop the records that match" },
	{ NULL, 0, 0, NULL, 0, NULL, NULL }
};

static int cb_filter_init(const struct inf_host *host, const void *config,
			  void *instance, char *err)
{
	const struct filter_config *c = config;
	struct filter_instance *in = instance;

	in->host = host;
	if (!INF_HOST_HAS(host, cond_match)) {
		strncpy(err, "this runtime is too old for filter_records (no conditions)",
			INF_ERR_MAX - 1);
		return INF_ERR_INVALID;
	}
	if (!c->keep == !c->drop) {
		strncpy(err, "give exactly one of 'keep' and 'drop', a condition",
			INF_ERR_MAX - 1);
		return INF_ERR_INVALID;
	}
	in->keep = c->keep != NULL;
	in->cond = c->keep ? c->keep : c->drop;
	return 0;
}

static int cb_filter_process(void *instance, struct inf_record *rec,
			     enum inf_verdict *verdict, char *err)
{
	struct filter_instance *in = instance;
	int rc;

	if (INF_HOST_HAS(in->host, cond_check_root) &&
	    (rc = in->host->cond_check_root(rec, in->cond, err)))
		return rc; /* an array record under member paths: refused */
	if ((rc = in->host->cond_match(rec, in->cond)) < 0)
		return rc;
	*verdict = rc == in->keep ? INF_KEEP : INF_DROP;
	return 0;
}

/* What the step does (plugin.h, struct inf_plan): cb_filter_process. */
static void cb_filter_plan(void *instance, struct inf_plan *plan)
{
	const struct filter_instance *in = instance;

	/* an older core: process cannot refuse what the plan says, or the
	 * plan has no room for the condition */
	if (!INF_HOST_HAS(in->host, cond_check_root) || !INF_PLAN_HAS(plan, keep))
		return;
	plan->kind = INF_PLAN_FILTER;
	plan->cond = in->cond;
	plan->keep = in->keep;
}

INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_plugin),
	.name = "filter_records",
	.description = "keep or drop the records that match a condition",
	.options = filter_options,
	.config_size = sizeof(struct filter_config),
	.instance_size = sizeof(struct filter_instance),
	.init = cb_filter_init,
	.process = cb_filter_process,
	.fini = NULL,
	.plan = cb_filter_plan,
};
