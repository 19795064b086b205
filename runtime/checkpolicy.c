/* `runtime --check-policy PATH`: loads every access point's chain and
 * prints each problem with file and line, or an "ok" line and then a
 * line per access point: its steps, "fused" when the core runs its
 * whole chain while it reads each record (core/fuse.h,
 * inf_json_drop_top), and the file and line that define it. */
#include <stdio.h>

#include "cli.h"
#include "crash.h"
#include "redact.h"

int inf_mode_check_policy(const char *path, const struct inf_cli *cli)
{
	struct inf_cli c = *cli;
	struct inf_policy *pol = NULL;
	char shown[1024], where[1024];
	int rc;

	c.policy = path;
	if ((rc = inf_cli_load_policy(&c, 1, &pol)))
		return rc;
	inf_show_name(path, shown, sizeof shown);
	printf("ok: %s: %zu access point%s\n", shown, pol->naps, pol->naps == 1 ? "" : "s");
	for (size_t i = 0; i < pol->naps; i++) {
		const struct inf_access_point *ap = &pol->aps[i];
		int fused = ap->fused || (ap->nsteps == 1 && ap->drop_top.match);
		inf_show_name(ap->where, where, sizeof where);
		printf("  %s: %zu step%s%s (%s)\n", ap->name, ap->nsteps, ap->nsteps == 1 ? "" : "s",
		       fused ? ", fused" : "", where);
	}
	inf_crash_decided(INF_EXIT_OK); /* before the plugins' fini */
	inf_policy_free(pol);
	return INF_EXIT_OK;
}
