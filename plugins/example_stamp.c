/*
 * example_stamp: the commented example plugin. It adds one string member
 * to every record that is a JSON object, naming the access point that
 * served it, e.g. {"...": ..., "_via": "lambda-consumer"}. Copy this file
 * to start a plugin of your own; README.md, "Writing a plugin", walks
 * through building and dropping it in.
 *
 * Options:
 *   field      name of the member to set (default "_via")
 *   overwrite  replace a member of that name the record already has
 *              (default false: leave it alone)
 */
#include <stddef.h>
#include <string.h>

/* The only header a plugin needs: plugins never link against the core. */
#include "inflight/plugin.h"

/* Filled by the core from the policy, according to the table below. The
 * core owns this memory and the strings in it. */
struct stamp_config {
	const char *field;
	int overwrite;
};

/* Per-step state: zeroed and owned by the core; init fills it. Plugins
 * keep no mutable globals, so one plugin can serve many steps. */
struct stamp_instance {
	const struct inf_host *host;
	const char *field;
	size_t field_len;
	int overwrite;
};

/* Options are data: the core rejects unknown names and wrong types with
 * the policy's file and line before init ever runs. */
static const struct inf_option stamp_options[] = {
	{ "field", INF_OPT_STRING, 0, "_via",
	  offsetof(struct stamp_config, field), NULL, "member to set" },
	{ "overwrite", INF_OPT_BOOL, 0, "false",
	  offsetof(struct stamp_config, overwrite), NULL,
	  "replace an existing member" },
	{ NULL, 0, 0, NULL, 0, NULL, NULL }
};

static int cb_stamp_init(const struct inf_host *host, const void *config,
			 void *instance, char *err)
{
	const struct stamp_config *c = config;
	struct stamp_instance *in = instance;

	in->host = host;
	in->field = c->field;
	in->field_len = strlen(c->field);
	in->overwrite = c->overwrite;
	if (in->field_len == 0) {
		/* errors go into err (INF_ERR_MAX bytes); the core adds the
		 * policy file and line */
		strncpy(err, "field must not be empty", INF_ERR_MAX - 1);
		return INF_ERR_INVALID;
	}
	return 0;
}

/* Called once per record. Node 0 is the root. The verdict says what
 * happened; the return value says only whether it failed. */
static int cb_stamp_process(void *instance, struct inf_record *rec,
			    enum inf_verdict *verdict, char *err)
{
	struct stamp_instance *in = instance;
	const char *ap;
	int rc;

	(void)err;
	*verdict = INF_KEEP;
	if (in->host->type(rec, 0) != INF_OBJECT)
		return 0;
	ap = in->host->context(rec, INF_CTX_ACCESS_POINT);
	rc = in->host->set_string(rec, 0, in->field, in->field_len, ap,
				  strlen(ap), in->overwrite);
	if (rc < 0)
		return rc;
	*verdict = INF_MODIFIED;
	return 0;
}

/* The one exported symbol. ABI version and size come first; new fields
 * only ever go at the end. */
INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_plugin),
	.name = "example_stamp",
	.description = "add the access point's name to each record",
	.options = stamp_options,
	.config_size = sizeof(struct stamp_config),
	.instance_size = sizeof(struct stamp_instance),
	.init = cb_stamp_init,
	.process = cb_stamp_process,
	.fini = NULL, /* nothing acquired in init */
};
