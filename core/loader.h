/*
 * Plugin loader: finds `<name>.so` in the configured plugin directories,
 * dlopens it once, and checks its descriptor (ABI version and size first,
 * then the name). Plugin names are plain identifiers: a name holding '/'
 * or ".." never reaches the file system.
 */
#ifndef INF_LOADER_H
#define INF_LOADER_H

#include <stddef.h>

#include "inflight/plugin.h"

struct inf_loader;

/* Creates a loader over a ':'-separated list of directories. Returns NULL
 * when out of memory. */
struct inf_loader *inf_loader_new(const char *dirs);
/* Closes every plugin; descriptors obtained from it become invalid. */
void inf_loader_free(struct inf_loader *l);

/* The descriptor of plugin `name`, loading it on first use. Returns 0, or
 * a negative inf_status with a one-line message in err (errlen bytes). */
int inf_loader_get(struct inf_loader *l, const char *name,
		   const struct inf_plugin **out, char *err, size_t errlen);

/* The descriptor's `removes` (plugin.h), NULL when the descriptor
 * predates the field; and the option it names, NULL when it names none or
 * one that is not INF_OPT_PATHS (the loader refuses such a plugin). */
const char *inf_plugin_removes(const struct inf_plugin *p);
const struct inf_option *inf_plugin_removes_option(const struct inf_plugin *p);
/* The descriptor's `plan` (plugin.h), NULL when the descriptor predates
 * the field. */
typedef void (*inf_plan_fn)(void *instance, struct inf_plan *plan);
inf_plan_fn inf_plugin_plan(const struct inf_plugin *p);

/* The directories searched, as given. */
const char *inf_loader_dirs(const struct inf_loader *l);

#endif
