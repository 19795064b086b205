/*
 * drop_fields: removes every value the paths reach, at any depth the paths
 * say, every occurrence of a duplicated key included. A record whose root
 * no path can reach into (an array under member paths) is refused.
 *
 * Options:
 *   paths  list of paths (required), e.g. [ "price", "items[*].discount",
 *          "**.password" ]
 */
#include <stddef.h>

#include "inflight/plugin.h"

struct drop_config {
	const struct inf_paths *paths;
};

struct drop_instance {
	const struct inf_host *host;
	const struct inf_paths *paths;
	/* the host's walk over matches only, or its plain walk (older cores) */
	int (*walk)(struct inf_record *, const struct inf_paths *, inf_visit_fn, void *);
	/* the host's refusal of a root no path reaches (NULL: older cores) */
	int (*check_root)(struct inf_record *, const struct inf_paths *, char *);
};

struct drop_pass {
	const struct drop_instance *in;
	int removed;
};

static const struct inf_option drop_options[] = {
	{ "paths", INF_OPT_PATHS, INF_OPT_REQUIRED, NULL,
	  offsetof(struct drop_config, paths), NULL, "paths to remove" },
	{ NULL, 0, 0, NULL, 0, NULL, NULL }
};

static int cb_drop_init(const struct inf_host *host, const void *config,
			void *instance, char *err)
{
	const struct drop_config *c = config;
	struct drop_instance *in = instance;

	(void)err;
	in->host = host;
	in->paths = c->paths;
	in->walk = INF_HOST_HAS(host, walk_matches) ? host->walk_matches : host->walk;
	in->check_root = INF_HOST_HAS(host, paths_check_root) ? host->paths_check_root : NULL;
	return 0;
}

static int cb_drop_visit(void *ctx, struct inf_record *rec, int node, int key,
			 enum inf_match m)
{
	struct drop_pass *p = ctx;
	int rc;

	(void)key;
	if (m != INF_MATCH_FULL)
		return INF_WALK_DESCEND;
	if ((rc = p->in->host->remove(rec, node)) < 0)
		return rc;
	p->removed++;
	return INF_WALK_SKIP;
}

static int cb_drop_process(void *instance, struct inf_record *rec,
			   enum inf_verdict *verdict, char *err)
{
	struct drop_instance *in = instance;
	struct drop_pass pass = { in, 0 };
	int rc;

	if (in->check_root && (rc = in->check_root(rec, in->paths, err)))
		return rc;
	if ((rc = in->walk(rec, in->paths, cb_drop_visit, &pass)) < 0)
		return rc;
	*verdict = pass.removed ? INF_MODIFIED : INF_KEEP;
	return 0;
}

INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_plugin),
	.name = "drop_fields",
	.description = "remove the values the paths reach",
	.options = drop_options,
	.config_size = sizeof(struct drop_config),
	.instance_size = sizeof(struct drop_instance),
	.init = cb_drop_init,
	.process = cb_drop_process,
	.fini = NULL,
	.removes = "paths",
};
