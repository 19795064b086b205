/*
 * Whole-number settings from the environment. An unset or empty variable
 * takes its default; anything else must be a plain decimal number in its
 * range. The runtime checks them all at start (inf_env_check), so the
 * modes that read one later can rely on it.
 */
#ifndef INF_ENV_H
#define INF_ENV_H

#define INF_ENV_SOURCE_TIMEOUT "INFLIGHT_SOURCE_TIMEOUT" /* seconds */
#define INF_ENV_RAPI_RETRY_MS "INFLIGHT_RAPI_RETRY_MS"
#define INF_ENV_S3OL_WINDOW_MS "INFLIGHT_S3OL_WINDOW_MS"

/* The value of the setting `name` (one of the INF_ENV_ names), or -1 when
 * it is set to something else than a whole number in its range. */
long long inf_env_whole(const char *name);

/* Whether $AWS_USE_FIPS_ENDPOINT (the AWS SDKs' variable) is "true", in
 * any case: WriteGetObjectResponse then goes to the FIPS host. */
int inf_env_fips(void);

/* Checks every setting above, AWS_USE_FIPS_ENDPOINT and INFLIGHT_THREADS.
 * Returns 0, or prints a one-line error naming the variable and returns
 * INF_EXIT_USAGE. */
int inf_env_check(void);

#endif
