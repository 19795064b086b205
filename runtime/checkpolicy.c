/* `runtime --check-policy PATH`: loads every access point's chain and
 * prints each problem with file and line, or "ok". */
#include <stdio.h>

#include "cli.h"

int inf_mode_check_policy(const char *path, const struct inf_cli *cli)
{
	struct inf_cli c = *cli;
	struct inf_policy *pol = NULL;
	int rc;

	c.policy = path;
	if ((rc = inf_cli_load_policy(&c, &pol)))
		return rc;
	printf("ok: %s: %zu access point%s:", path, pol->naps, pol->naps == 1 ? "" : "s");
	for (size_t i = 0; i < pol->naps; i++)
		printf(" %s (%zu step%s)%s", pol->aps[i].name, pol->aps[i].nsteps,
		       pol->aps[i].nsteps == 1 ? "" : "s", i + 1 < pol->naps ? "," : "");
	printf("\n");
	inf_policy_free(pol);
	return INF_EXIT_OK;
}
