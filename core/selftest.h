/*
 * Self-testing policies: an access point's `tests = ( { input = "...";
 * expect = "..."; }, ... )` run through its chain when the policy loads
 * (so also in `runtime --check-policy`), and a policy whose tests fail is
 * refused. Outputs are compared byte for byte.
 */
#ifndef INF_SELFTEST_H
#define INF_SELFTEST_H

#include <libconfig.h>

#include "policy.h"

/* Runs every test of the loaded access point `ap`, listed in `tests`.
 * Each malformed or failing test appends one message to `errs`:
 * "file:line: access point 'x': self-test N failed:" followed by the
 * expected and actual output, one line each. Returns 0 when all pass,
 * else -1. */
int inf_selftest_run(const struct inf_access_point *ap,
		     const config_setting_t *tests,
		     struct inf_policy_errors *errs);

#endif
