#include "env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static const struct setting {
	const char *name;
	long long min, max, def;
	const char *what;
} settings[] = {
	{ INF_ENV_SOURCE_TIMEOUT, 1, 86400, 900, "whole seconds" },
	{ INF_ENV_RAPI_RETRY_MS, 0, 3600000, 10000, "whole milliseconds" },
	/* tests only: can shorten S3 Object Lambda's 60 s, never lengthen it */
	{ INF_ENV_S3OL_WINDOW_MS, 1, 60000, 60000, "whole milliseconds" },
};

static const struct setting *find(const char *name)
{
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (!strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

long long inf_env_whole(const char *name)
{
	const struct setting *s = find(name);
	const char *v = getenv(name);
	char *end;
	long long n;

	if (!s)
		return -1;
	if (!v || !*v)
		return s->def;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	return errno || *end || n < s->min || n > s->max ? -1 : n;
}

int inf_env_fips(void)
{
	const char *v = getenv("AWS_USE_FIPS_ENDPOINT");

	return v && !strcasecmp(v, "true");
}

/* An environment value as an error prints it: its first 40 bytes or so,
 * on one line. */
static const char *shown(const char *v, char *buf, size_t n)
{
	inf_one_line(v, buf, n);
	return buf;
}

int inf_env_check(void)
{
	const char *v = getenv("INFLIGHT_THREADS");
	const char *fips = getenv("AWS_USE_FIPS_ENDPOINT");
	char buf[41];
	unsigned n;

	/* a FIPS requirement mistyped must not quietly send to the other host */
	if (fips && *fips && strcasecmp(fips, "true") && strcasecmp(fips, "false")) {
		fprintf(stderr, "runtime: AWS_USE_FIPS_ENDPOINT='%s' is not true or false\n",
			shown(fips, buf, sizeof buf));
		return INF_EXIT_USAGE;
	}

	if (v && *v && inf_threads_parse(v, &n)) {
		fprintf(stderr, "runtime: INFLIGHT_THREADS='%s' is not a worker count: "
			"give a whole number from 1 (above %u, %u are used)\n", shown(v, buf, sizeof buf),
			INF_MAX_WORKERS, INF_MAX_WORKERS);
		return INF_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		const struct setting *s = &settings[i];
		if (inf_env_whole(s->name) < 0) {
			fprintf(stderr, "runtime: %s='%s' is not %s from %lld to %lld\n",
				s->name, shown(getenv(s->name), buf, sizeof buf), s->what, s->min,
				s->max);
			return INF_EXIT_USAGE;
		}
	}
	return 0;
}
