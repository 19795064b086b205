/*
 * The runtime's command-line modes and what they share: options, exit
 * statuses and where policies and plugins come from.
 */
#ifndef INF_CLI_H
#define INF_CLI_H

#include "error.h"
#include "policy.h"

/* Exit statuses, one per kind of failure (README.md, "Exit status"). */
enum inf_exit {
	INF_EXIT_OK = 0,
	INF_EXIT_INTERNAL = 1,
	INF_EXIT_USAGE = 2,
	INF_EXIT_POLICY = 3,
	INF_EXIT_DENIED = 4,
	INF_EXIT_EVENT = 5,
	INF_EXIT_SOURCE = 6,
	INF_EXIT_INPUT = 7,
	INF_EXIT_TRANSFORM = 8,
	INF_EXIT_OUTPUT = 9
};

struct inf_cli {
	const char *policy;       /* --policy, else $INFLIGHT_POLICY, else default */
	const char *plugins;      /* --plugins, else $INFLIGHT_PLUGIN_PATH, else default */
	const char *access_point; /* --access-point */
	const char *output;       /* -o, NULL for stdout */
	const char *event;        /* --event FILE */
	const char *input;        /* filter mode input, NULL for stdin */
	/* --make-event */
	const char *url;
	const char *file;
	const char *key;
	const char *range;
	const char *part;         /* --part-number: ?partNumber= in userRequest.url */
	const char **headers;
	int nheaders;
	const char *payload;
};

/* Exit status for a failure kind. */
int inf_exit_for(enum inf_fail kind);

/* Prints "runtime: <msg>" on stderr and returns the exit status. */
int inf_fail_exit(const struct inf_error *err);

/* Puts "NAME: " before the message of a failure in the object's records
 * (invalid JSON, over a limit, a plugin error), so it names the object as
 * well as the record and line. Other failures name what failed already. */
void inf_error_name_object(struct inf_error *err, const char *name);

struct inf_transform;
/* After an object that succeeded: when on_error = "drop_record" skipped
 * records of it, prints one line on stderr naming the object `name` and
 * how many, so no record leaves the output without a word. */
void inf_report_skipped(const struct inf_transform *t, const char *name);

/* Loads the policy named by the CLI and environment. On failure prints
 * every problem, a line each, when `every` (--check-policy, the Lambda
 * log), else one line: the first and how many more. Returns 0 or
 * INF_EXIT_POLICY. */
int inf_cli_load_policy(const struct inf_cli *cli, int every, struct inf_policy **out);
/* Sets err (INF_FAIL_DENIED) for access point `ap`, which `pol` (loaded
 * by inf_cli_load_policy) does not define: the message names the policy
 * and the first access points it does define. Returns -1. */
int inf_cli_no_policy(const struct inf_cli *cli, const struct inf_policy *pol,
		      const char *ap, struct inf_error *err);

/* Default plugin directories (':'-separated) for this executable. */
const char *inf_default_plugin_path(void);
/* Default policy path: the Lambda layer's /opt/inflight/policies, or,
 * when there is none, ../share/inflight/policies beside this executable
 * (where make install puts them) if that exists. */
const char *inf_default_policy_path(void);

/* The modes (README, "The runtime"): each runs to its end, prints its
 * own messages and returns the process's exit status (enum inf_exit). */
int inf_mode_filter(const struct inf_cli *cli);
int inf_mode_event(const struct inf_cli *cli);
int inf_mode_check_policy(const char *path, const struct inf_cli *cli);
int inf_mode_make_event(const struct inf_cli *cli);

#endif
