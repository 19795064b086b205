/*
 * Policies: which chain of plugin steps each access point runs. A policy
 * is a libconfig file, or a directory whose *.cfg files are read in name
 * order; access point names are unique across them. See README.md,
 * "Policy format", for every setting.
 *
 * Loading compiles paths, validates options, loads each plugin once and
 * initialises every step, so a policy that loads cannot fail later for a
 * reason found at load.
 */
#ifndef INF_POLICY_H
#define INF_POLICY_H

#include <stddef.h>

#include "frame.h"
#include "fuse.h"
#include "inflight/plugin.h"
#include "json.h"
#include "loader.h"
#include "options.h"

enum inf_on_error { INF_ON_ERROR_FAIL = 0, INF_ON_ERROR_DROP_RECORD = 1 };

#define INF_DEFAULT_MAX_RECORD (64u * 1024u * 1024u)
#define INF_DEFAULT_MAX_DEPTH 512u
#define INF_DEFAULT_MAX_KEY (64u * 1024u)
#define INF_MAX_DEPTH_LIMIT 10000u
/* Worker threads a transform may use: $INFLIGHT_THREADS (1 .. this), else
 * the online CPUs up to this. Each step gets an instance per worker, so
 * plugins never see concurrent calls on one instance. */
#define INF_MAX_WORKERS 4u

/* The worker count INFLIGHT_THREADS asks for: `v` a whole number from 1
 * (more than INF_MAX_WORKERS gives INF_MAX_WORKERS). Returns 0 with *n
 * set, or -1 when `v` is anything else ("abc", "-5", "4x", "0", " 2"). */
int inf_threads_parse(const char *v, unsigned *n);

struct inf_step {
	const struct inf_plugin *plugin;
	void *config;
	void *instances[INF_MAX_WORKERS]; /* one per worker thread */
	unsigned ninit; /* instances whose init was called (fini them) */
	struct inf_owned own;
	struct inf_cond *when; /* the step runs only on matching records */
	char where[300]; /* "file:line" of the step */
};

struct inf_access_point {
	char *name;
	enum inf_format format;
	enum inf_on_error on_error;
	char **prefixes; /* NULL when every key is allowed */
	size_t nprefixes;
	size_t max_record;
	unsigned max_depth;
	size_t max_key; /* longest key, raw bytes */
	int error_status; /* status a transform failure gives the caller */
	unsigned workers; /* threads for ndjson and arrays; instances per step */
	struct inf_step *steps;
	size_t nsteps;
	/* match != NULL: the chain's first step only removes these root
	 * keys, and the core makes those removals while it reads each record
	 * (inf_json_drop_top, or inf_record_load_dropping when more steps
	 * follow), without calling it */
	struct inf_dropkeys drop_top;
	/* non-NULL: the core runs the whole chain while it reads each record
	 * (fuse.h) */
	struct inf_fuse *fused;
	char where[300];
};

/* Access points a policy (a file, or a directory's files together) may
 * define. */
#define INF_POLICY_MAX_APS 10000

struct inf_policy {
	struct inf_access_point *aps;
	size_t naps, aps_cap;
	struct inf_loader *loader;
};

/* Problems found while loading, one line each, "file:line: message". */
struct inf_policy_errors {
	char **lines;
	size_t n, cap;
};

/* Loads the policy at `path` (file or directory) with plugins from the
 * ':'-separated `plugin_dirs`. Returns 0 with *out owned by the caller, or
 * -1 with every problem found appended to `errs` (all access points are
 * checked, not just the first bad one). */
int inf_policy_load(const char *path, const char *plugin_dirs,
		    struct inf_policy **out, struct inf_policy_errors *errs);
void inf_policy_free(struct inf_policy *p);
void inf_policy_errors_free(struct inf_policy_errors *e);
/* Appends one problem line (copied; may hold newlines). */
void inf_policy_errors_add(struct inf_policy_errors *e, const char *line);
/* As inf_policy_errors_add, the line formatted as printf does. */
void inf_policy_errors_addf(struct inf_policy_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Whether n may name an access point: 1 to 255 bytes of UTF-8 (the name
 * is matched against ARNs and written into records and JSON logs), no
 * '/', space or control byte. */
#define INF_AP_NAME_RULE "1 to 255 bytes of UTF-8, no '/', space or control character"
int inf_ap_name_ok(const char *n);

/* The access point called `name`, or NULL. */
const struct inf_access_point *inf_policy_find(const struct inf_policy *p,
					       const char *name);

/* Whether `key` is allowed by the access point's prefixes. */
int inf_ap_allows_key(const struct inf_access_point *ap, const char *key);

#endif
