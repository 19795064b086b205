/*
 * The host table handed to plugins: the core's services behind the
 * stable struct inf_host ABI (see inflight/plugin.h).
 */
#ifndef INF_HOST_H
#define INF_HOST_H

#include "inflight/plugin.h"

/* The process-wide table; never NULL, never freed. */
const struct inf_host *inf_host_table(void);

/* Where plugin log lines go (default stderr); NULL silences them. */
void inf_host_set_log(void (*fn)(enum inf_log_level, const char *plugin,
				 const char *msg));

#endif
