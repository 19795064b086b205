/*
 * Plugin options as data: a plugin declares a table of struct inf_option;
 * this module reads a policy step (a libconfig group) against it, refuses
 * unknown keys and wrong types with file and line, applies defaults and
 * writes converted values into the plugin's config block.
 */
#ifndef INF_OPTIONS_H
#define INF_OPTIONS_H

#include <libconfig.h>
#include <stddef.h>

#include "inflight/plugin.h"

/* Everything allocated for one config block, freed together. */
struct inf_owned {
	struct inf_owned_item *items;
	size_t n, cap;
};

/* Fills `config` (zeroed, p->config_size bytes) from `step`. Keys listed
 * in the NULL-terminated `reserved` belong to the core and are skipped;
 * a plugin that declares one as an option is refused.
 * FILE options resolve against `base_dir`. Allocations are recorded in
 * `own`. Returns 0, or a negative inf_status with "file:line: ..." in err
 * (INF_ERR_NOMEM may leave err as it was). */
int inf_options_fill(const struct inf_plugin *p, const config_setting_t *step,
		     const char *const *reserved, void *config,
		     struct inf_owned *own, const char *base_dir, char *err,
		     size_t errlen);

/* Frees what inf_options_fill recorded; `own` is empty afterwards. */
void inf_owned_free(struct inf_owned *own);

/* Records `p` to be released with `fn` by inf_owned_free. Returns 0, or
 * INF_ERR_NOMEM after releasing `p` with `fn`: either way the caller no
 * longer owns it. */
int inf_owned_add(struct inf_owned *own, void *p, void (*fn)(void *));

/* "file:line" of a setting into buf. A configuration parsed from text
 * (config_read_string) has no file of its own: its name is then the hook
 * of the root setting (core/policy.c sets it), else "(policy)". */
const char *inf_setting_where(const config_setting_t *s, char *buf, size_t n);

#endif
