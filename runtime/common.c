#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "cli.h"
#include "redact.h"

int inf_exit_for(enum inf_fail kind)
{
	switch (kind) {
	case INF_FAIL_NONE: return INF_EXIT_OK;
	case INF_FAIL_USAGE: return INF_EXIT_USAGE;
	case INF_FAIL_POLICY: return INF_EXIT_POLICY;
	case INF_FAIL_DENIED: return INF_EXIT_DENIED;
	case INF_FAIL_EVENT: return INF_EXIT_EVENT;
	case INF_FAIL_SOURCE: return INF_EXIT_SOURCE;
	case INF_FAIL_INPUT:
	case INF_FAIL_TOO_LARGE: return INF_EXIT_INPUT;
	case INF_FAIL_TRANSFORM: return INF_EXIT_TRANSFORM;
	case INF_FAIL_OUTPUT: return INF_EXIT_OUTPUT;
	default: return INF_EXIT_INTERNAL;
	}
}

int inf_fail_exit(const struct inf_error *err)
{
	fprintf(stderr, "runtime: %s\n", err->msg[0] ? err->msg : "failed");
	return inf_exit_for(err->kind);
}

void inf_error_name_object(struct inf_error *err, const char *name)
{
	if (err->kind != INF_FAIL_INPUT && err->kind != INF_FAIL_TOO_LARGE &&
	    err->kind != INF_FAIL_TRANSFORM)
		return;
	inf_error_prefix(err, name);
}

void inf_report_skipped(const struct inf_transform *t, const char *name)
{
	struct inf_error line = { 0 }, first = { 0 };
	unsigned long long n = t ? inf_transform_stats(t).records_failed : 0;

	if (!n)
		return;
	if (!inf_transform_first_skip(t, first.msg, sizeof first.msg))
		snprintf(first.msg, sizeof first.msg, "unknown");
	inf_error_set(&line, INF_FAIL_INPUT, "%llu record%s skipped under on_error = \"drop_record\"",
		      n, n == 1 ? "" : "s");
	inf_error_prefix(&line, name);
	/* the first as on_error = fail would print it after the name */
	inf_error_prefix(&first, "");
	fprintf(stderr, "runtime: %s; the first%s\n", line.msg, first.msg);
}

/* Directory of this executable, from /proc/self/exe. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *slash;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	if (n <= 0) {
		snprintf(dir, sizeof dir, ".");
		return dir;
	}
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return dir;
}

const char *inf_default_plugin_path(void)
{
	static char path[3 * PATH_MAX];
	const char *d = exe_dir();

	if (!path[0])
		snprintf(path, sizeof path,
			 "/opt/inflight/plugins:%s/../plugins:%s/../lib/inflight/plugins",
			 d, d);
	return path;
}

const char *inf_default_policy_path(void)
{
	static char path[PATH_MAX + 32];
	struct stat st;

	if (stat("/opt/inflight/policies", &st) == 0 || errno != ENOENT)
		return "/opt/inflight/policies"; /* the Lambda layer's */
	if (!path[0]) /* where make install puts them, beside bin/ */
		snprintf(path, sizeof path, "%s/../share/inflight/policies", exe_dir());
	return stat(path, &st) == 0 ? path : "/opt/inflight/policies";
}

/* The policy the CLI names: --policy, else INFLIGHT_POLICY, else the
 * default path. */
static const char *policy_path(const struct inf_cli *cli)
{
	const char *pol = cli->policy;

	if (!pol)
		pol = getenv("INFLIGHT_POLICY");
	if (!pol || !*pol)
		pol = inf_default_policy_path();
	return pol;
}

int inf_cli_no_policy(const struct inf_cli *cli, const struct inf_policy *pol,
		      const char *ap, struct inf_error *err)
{
	char shown[200], names[200];
	size_t o = 0, i;

	/* bounded so that the count, first, always fits the message */
	inf_show_name(policy_path(cli), shown, sizeof shown);
	names[0] = '\0';
	for (i = 0; i < pol->naps && i < 5; i++) {
		int n = snprintf(names + o, sizeof names - o, "%s%s", i ? ", " : "",
				 pol->aps[i].name);
		if (n < 0 || (size_t)n >= sizeof names - o) {
			names[o] = '\0'; /* never a name cut short */
			break;
		}
		o += (size_t)n;
	}
	return inf_error_set(err, INF_FAIL_DENIED, "access point '%.64s%s' has no policy in %s: "
			     "refused (it defines %zu access point%s: %s%s)", ap,
			     strlen(ap) > 64 ? "..." : "", shown, pol->naps,
			     pol->naps == 1 ? "" : "s", names, i < pol->naps ? ", ..." : "");
}

int inf_cli_load_policy(const struct inf_cli *cli, int every, struct inf_policy **out)
{
	struct inf_policy_errors errs = { 0 };
	const char *pol = policy_path(cli), *plug = cli->plugins;
	char shown[1024];

	if (!plug)
		plug = getenv("INFLIGHT_PLUGIN_PATH");
	if (!plug || !*plug)
		plug = inf_default_plugin_path();
	if (inf_policy_load(pol, plug, out, &errs) == 0)
		return 0;
	inf_show_name(pol, shown, sizeof shown);
	if (errs.n == 0)
		fprintf(stderr, "runtime: policy error: %s: could not be loaded\n", shown);
	else if (every || errs.n == 1)
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "runtime: policy error: %s\n", errs.lines[i]);
	else
		fprintf(stderr, "runtime: policy error: %s (and %zu more: --check-policy "
			"lists every one)\n", errs.lines[0], errs.n - 1);
	inf_policy_errors_free(&errs);
	return INF_EXIT_POLICY;
}
