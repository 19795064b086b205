/*
 * inflight plugin ABI.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * `inflight_plugin`, a `struct inf_plugin` descriptor. The descriptor starts
 * with the ABI version and its own size; the loader checks both before it
 * touches anything else. Plugins never link against the core: every host
 * service (logging, allocation, record access and editing, paths) reaches
 * them through the `struct inf_host` table handed to `init`.
 *
 * Compatibility rules: new fields only ever go at the end of `struct
 * inf_plugin` and `struct inf_host`, and both carry their size, so a plugin
 * built against an older header keeps working with a newer core. A change
 * that cannot follow those rules bumps INF_PLUGIN_ABI_VERSION.
 *
 * Ownership: the core allocates and frees the plugin's config block
 * (`config_size` bytes, filled from the policy according to `options`) and
 * its instance block (`instance_size` bytes, zeroed). `init` fills the
 * instance; `fini` releases whatever `init` acquired and must accept an
 * instance that `init` left half-built. Plugins keep no mutable globals.
 *
 * Threads: each step has one instance per worker (README.md, "Framing"),
 * each built by its own `init` call from the same config block, so `init`
 * runs several times per step and must not assume it runs once. Calls on
 * one instance never overlap; calls on different instances of a step run
 * at the same time. So all mutable state lives in the instance; the
 * config and what the host hands out are read-only and shared.
 *
 * Versions: the loader accepts a descriptor whose `abi_version` equals
 * INF_PLUGIN_ABI_VERSION and whose `size` covers at least the version 1
 * fields (a longer one, from a newer header, is accepted). The host table
 * grows at its end: a service marked "added after the first release" may
 * be missing from an older core, so test INF_HOST_HAS(host, that_service)
 * for each one used, in `init`, and fail there with a message (or fall
 * back) rather than call through a missing pointer.
 */
#ifndef INFLIGHT_PLUGIN_H
#define INFLIGHT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INF_PLUGIN_ABI_VERSION 1u

/* Size of the `err` buffer handed to init and process, NUL included. */
#define INF_ERR_MAX 256

/* Name of the one symbol a plugin exports. */
#define INF_PLUGIN_SYMBOL "inflight_plugin"

#if defined(__GNUC__)
#define INF_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define INF_PLUGIN_EXPORT
#endif

/* Opaque handles owned by the core. */
struct inf_record; /* one JSON record being transformed */
struct inf_paths;  /* a compiled set of paths */
struct inf_cond;   /* a compiled condition (README.md, "Conditions") */
struct inf_table;  /* a lookup table (host->table_load) */

/* What a record step decided. Errors are reported separately. */
enum inf_verdict {
	INF_KEEP = 0,     /* record untouched */
	INF_MODIFIED = 1, /* record edited through the host table */
	INF_DROP = 2      /* record removed from the output */
};

/* Error codes: every host and plugin function returns 0 or one of these.
 * A plugin's `init` and `process` get `err`, INF_ERR_MAX bytes holding ""
 * on entry: on failure write a NUL-terminated message there (longer ones
 * are cut); an empty one gives a generic message naming the status. */
enum inf_status {
	INF_OK = 0,
	INF_ERR_NOMEM = -1,    /* allocation failed */
	INF_ERR_INVALID = -2,  /* bad argument or bad data */
	INF_ERR_TYPE = -3,     /* value of the wrong JSON type */
	INF_ERR_LIMIT = -4,    /* a configured limit was hit */
	INF_ERR_IO = -5,       /* reading or writing failed */
	INF_ERR_INTERNAL = -6  /* a plugin's own failure */
};

/* JSON types of record nodes. */
enum inf_type {
	INF_NONE = 0,
	INF_OBJECT,
	INF_ARRAY,
	INF_STRING,
	INF_NUMBER,
	INF_TRUE,
	INF_FALSE,
	INF_NULL
};

/* Option types the core can parse from a policy into a config block. The
 * C type stored at `offset` is given for each. */
enum inf_opt_type {
	INF_OPT_STRING = 1, /* const char * (NULL when absent, no default),
	                       valid UTF-8 */
	INF_OPT_INT,        /* long long */
	INF_OPT_FLOAT,      /* double (integers accepted) */
	INF_OPT_BOOL,       /* int, 0 or 1 */
	INF_OPT_PATHS,      /* const struct inf_paths * (list of path strings) */
	INF_OPT_STRINGS,    /* struct inf_strings (list of UTF-8 strings) */
	INF_OPT_ENUM,       /* int: index into `choices` ("a|b|c") */
	INF_OPT_FILE,       /* const char *: path resolved against the policy
	                       file's directory; must be a readable file */
	INF_OPT_CONDITION,  /* const struct inf_cond * (NULL when absent): a
	                       condition group, see README.md "Conditions";
	                       test it with host->cond_match */
	INF_OPT_FIELDS,     /* struct inf_fields: a group { name = value; ... }
	                       whose values become JSON (strings quoted,
	                       numbers, booleans, groups as objects, lists and
	                       arrays as arrays) */
	INF_OPT_JSON_FIELDS /* struct inf_fields: a group { name = "JSON"; ... }
	                       whose string values are JSON text, validated */
};

/* A list of strings owned by the core. */
struct inf_strings {
	size_t count;
	const char *const *items;
};

/* Named JSON values (INF_OPT_FIELDS, INF_OPT_JSON_FIELDS), owned by the
 * core, in the policy's order. `name` is the member name (UTF-8), `json`
 * valid JSON text of `json_len` bytes; both are NUL-terminated. */
struct inf_field {
	const char *name;
	const char *json;
	size_t json_len;
};

struct inf_fields {
	size_t count;
	const struct inf_field *items;
};

/* Option flags. Without INF_OPT_REQUIRED an absent option with no `def`
 * leaves its slot zeroed (NULL, 0, false, the first choice). */
#define INF_OPT_REQUIRED 1u

/* One option a plugin accepts. A table of these ends with name == NULL.
 * `plugin` and `when` are the core's step keys: a table naming either is
 * refused at load.
 * `def` is the default written as it would be in the policy ("10", "true",
 * "****", a choice name), or NULL for none; only INF_OPT_STRING, _INT,
 * _FLOAT, _BOOL and _ENUM take one (any other type with a `def` is
 * refused as a bad default). The core checks types and, for enums, the
 * choice; ranges and other rules are the plugin's to check in `init`,
 * failing with a message (the core adds the policy's file and line). */
struct inf_option {
	const char *name;
	enum inf_opt_type type;
	unsigned flags;
	const char *def;
	size_t offset;
	const char *choices; /* INF_OPT_ENUM only: "first|second|third" */
	const char *description;
};

/* Which part of a walk a node is on, relative to a path set. */
enum inf_match {
	INF_MATCH_NONE = 0,    /* no path goes through this node */
	INF_MATCH_PARTIAL = 1, /* a path continues below this node */
	INF_MATCH_FULL = 2     /* a path ends at this node */
};

/* What a visitor asks the walk to do next (or a negative inf_status). */
enum inf_walk {
	INF_WALK_SKIP = 0,   /* do not look below this node */
	INF_WALK_DESCEND = 1 /* visit this node's children */
};

/* Visitor called by host->walk for each member or element of a container
 * that the walk reaches: `node` is the value, `key` the member's key node or
 * -1 for an array element, `m` how the path set relates to it. Returns an
 * enum inf_walk or a negative inf_status, which stops the walk. A visitor
 * may edit the record and may call find, walk, walk_matches and
 * paths_check_root on it (with other paths too): the outer walk goes on
 * as it would have. */
typedef int (*inf_visit_fn)(void *ctx, struct inf_record *rec, int node,
			    int key, enum inf_match m);

/* Facts about the GET being served, for plugins that record them. */
enum inf_ctx_field {
	INF_CTX_ACCESS_POINT = 0,
	INF_CTX_OBJECT_KEY = 1,
	INF_CTX_REQUEST_ID = 2
};

enum inf_log_level { INF_LOG_ERROR = 0, INF_LOG_WARN, INF_LOG_INFO, INF_LOG_DEBUG };

/*
 * Host services.
 *
 * Nodes are small integers: 0 is the record's root. A node is valid only
 * during the `process` call that obtained it: steps between them rewrite
 * the record and renumber its nodes, so never keep one in the instance.
 * Within a step nodes do not move: edits are pending until the step
 * returns, and reads (type, raw, string, find, walk) see the record as
 * the step received it, not the step's own edits, except that a walk does
 * not visit a node already removed or replaced.
 *
 * Strings: the record's text from `raw` stays valid until the step
 * returns; the value from `string` until the next host call on the same
 * record (copy it to keep it). Either may be passed straight to an edit
 * (replace_*, set_*), which reads it before writing. `context` strings
 * last for the whole request; rows from table_find until table_free.
 * The core owns all of them: never free or write through them.
 */
struct inf_host {
	uint32_t abi_version;
	uint32_t size; /* sizeof(struct inf_host) as the core knows it */

	/* Logs one line attributed to `plugin`. Never pass secrets. */
	void (*log)(enum inf_log_level level, const char *plugin,
		    const char *fmt, ...)
#if defined(__GNUC__)
		__attribute__((format(printf, 3, 4)))
#endif
		;

	void *(*alloc)(size_t n);  /* zeroed; NULL on failure */
	void (*release)(void *p); /* accepts NULL */

	/* Type of a node, or INF_NONE for an invalid node. */
	enum inf_type (*type)(struct inf_record *rec, int node);
	/* The node's JSON text exactly as in the record; NULL for an
	 * invalid node. */
	const char *(*raw)(struct inf_record *rec, int node, size_t *len);
	/* A string node's value, unescaped, as UTF-8 (may contain NUL);
	 * NULL if the node is not a string. */
	const char *(*string)(struct inf_record *rec, int node, size_t *len);
	/* First value reached by `paths` from the root, or -1. */
	int (*find)(struct inf_record *rec, const struct inf_paths *paths);
	/* Walks the record from the root against `paths`; see inf_visit_fn.
	 * Returns 0, the first negative value a visitor returned, or a
	 * negative inf_status of the host's own (INF_ERR_NOMEM, or
	 * INF_ERR_LIMIT from applying earlier steps' edits).
	 * When the host itself fails inside type, raw, string or find (out
	 * of memory, a limit), the record fails with the host's message
	 * whatever the step returns: their INF_NONE, NULL or -1 would read
	 * as "none". */
	int (*walk)(struct inf_record *rec, const struct inf_paths *paths,
		    inf_visit_fn visit, void *ctx);

	/* Edits. They take effect in the record the next step sees; a node
	 * that was removed or replaced is not visited again. */
	/* Removes a member (by its value node) or an array element. */
	int (*remove)(struct inf_record *rec, int node);
	/* Replaces a node's value with JSON text, which the host validates. */
	int (*replace_json)(struct inf_record *rec, int node,
			    const char *json, size_t len);
	/* Replaces a node's value with a JSON string holding `s` (UTF-8). */
	int (*replace_string)(struct inf_record *rec, int node,
			      const char *s, size_t len);
	/* Sets member `key` of the object `obj` to JSON text: replaces every
	 * existing value when `overwrite`, leaves them alone otherwise, and
	 * appends the member when there is none (one the step appended
	 * already counts: set twice, it is still one member). INF_ERR_LIMIT
	 * only when what it writes would take the record over max_depth or
	 * max_key_bytes; invalid JSON text is INF_ERR_INVALID either way. */
	int (*set_json)(struct inf_record *rec, int obj, const char *key,
			size_t keylen, const char *json, size_t len,
			int overwrite);
	/* As set_json, with a JSON string holding `s` (UTF-8) as the value. */
	int (*set_string)(struct inf_record *rec, int obj, const char *key,
			  size_t keylen, const char *s, size_t len,
			  int overwrite);

	/* A fact about the current request, or "" when unknown. */
	const char *(*context)(struct inf_record *rec, enum inf_ctx_field f);

	/* ---- Added after the first release: test INF_HOST_HAS(host, name)
	 * before using these. ---- */

	/* Whether the record matches the condition: 1 yes, 0 no, or a
	 * negative inf_status. Not from inside a walk visitor. */
	int (*cond_match)(struct inf_record *rec, const struct inf_cond *cond);
	/* A number node's value. Returns 0, INF_ERR_TYPE when the node is
	 * not a number, or INF_ERR_LIMIT when it is out of double's range
	 * (*out is then +-HUGE_VAL). */
	int (*number)(struct inf_record *rec, int node, double *out);
	/* Loads a lookup table once, e.g. at init: CSV with a header row when
	 * `file` ends in ".csv", else NDJSON (one object per line, blank
	 * lines skipped). Rows are keyed by column `key` (NULL: the first CSV
	 * column); each row's other columns become its fields, CSV values as
	 * JSON strings and NDJSON values as they are. Malformed rows, empty
	 * or duplicate keys and columns named in `reserved` (NULL-ended, may
	 * be NULL) are refused with "file:line: ..." in err (INF_ERR_MAX).
	 * Returns the table, or NULL; the caller releases it with
	 * table_free. Identical loads (the same file, unchanged, the same
	 * `key` and `reserved`) get the same read-only table, counted, so
	 * the instances of a step hold one copy between them; it may be
	 * searched from several threads at once. */
	struct inf_table *(*table_load)(const char *file, const char *key,
					const char *const *reserved, char *err);
	/* The fields of the row keyed `key` (`len` bytes), or NULL. */
	const struct inf_fields *(*table_find)(const struct inf_table *t,
					       const char *key, size_t len);
	/* Releases one table_load of `t` (the last one frees it); accepts
	 * NULL. */
	void (*table_free)(struct inf_table *t);
	/* As walk, but `visit` sees only the nodes where a path ends
	 * (INF_MATCH_FULL): for plugins that act on matches alone, it saves
	 * a call per member. */
	int (*walk_matches)(struct inf_record *rec, const struct inf_paths *paths,
			    inf_visit_fn visit, void *ctx);
	/* 0 when some path can reach into the record's root (or the root is
	 * not a container) and into every non-empty container the paths go
	 * through below it; else INF_ERR_TYPE with the reason in err
	 * (INF_ERR_MAX): e.g. an array record under paths that all name
	 * object members, or "customer": [...] under "customer.email". Plugins that remove or mask what paths reach
	 * refuse such a record, which would otherwise pass untouched. */
	int (*paths_check_root)(struct inf_record *rec,
				const struct inf_paths *paths, char *err);
	/* As paths_check_root, for all the paths of a condition together:
	 * a plugin that keeps or drops records by a condition refuses a
	 * record the condition cannot look inside (an array record under
	 * member paths, "customer": [...] under "customer.is_test"), which
	 * would otherwise be decided as if every path were missing, whatever
	 * the op. Also INF_ERR_NOMEM. */
	int (*cond_check_root)(struct inf_record *rec,
			       const struct inf_cond *cond, char *err);
};

/* Whether the core behind `host` provides the service `field` (a member
 * of struct inf_host): tables grow at their end, so an older core hands
 * a shorter one. Test each later service a plugin uses: one test does not
 * vouch for the services added after it. */
#define INF_HOST_HAS(host, field)                                   \
	((host)->size >= offsetof(struct inf_host, field) +          \
				 sizeof((host)->field))

/* ---- Plans: what a step does, declared so that the core can do it while
 * it reads each record (struct inf_plugin, `plan`). ---- */

/* A value handed to a plan's `map`. All of it is the core's, valid for
 * the call only. `map` may be called on a record that then turns out not
 * to be JSON, or that then goes through `process` after all: it must do
 * nothing but answer (a cache of its own answers aside). */
struct inf_value {
	enum inf_type type;
	const char *raw;  /* its JSON text as in the record */
	size_t raw_len;
	const char *text; /* a string's value unescaped (UTF-8, may hold NUL);
			     for any other type its JSON text, as raw */
	size_t text_len;
	const char *key;  /* the member's key, UTF-8 */
	size_t key_len;
};

/* What `map` makes of a value: `text` NULL keeps it as it is; else the
 * new value as JSON text (`json` 1, checked by the core as replace_json
 * checks it) or as a string's content (`json` 0, UTF-8, quoted by the
 * core as replace_string quotes it). `text` is the instance's, read
 * before its next call. */
struct inf_mapped {
	const char *text;
	size_t len;
	int json;
};

enum inf_plan_kind {
	INF_PLAN_NONE = 0, /* process must be called */
	INF_PLAN_MAP = 1,  /* see `map` below */
	INF_PLAN_SET = 2,  /* see `fields` below */
	INF_PLAN_KEEP = 3, /* see `paths` below */
	INF_PLAN_FILTER = 4 /* see `cond` below */
};

/* What `process` does, exactly and nothing else, on every record.
 * INF_PLAN_MAP: refuses a record whose root `paths` cannot reach into
 * (host->paths_check_root); then, for each node where a path ends, in
 * document order (host->walk_matches), calls `map` on its value with the
 * same instance, fails the record when it returns a negative inf_status
 * and otherwise replaces the value as it says (replace_json or
 * replace_string); reports INF_MODIFIED when it replaced one, else
 * INF_KEEP. When `map` returns anything but 0, the core hands the record
 * to `process`, whose answer it is then.
 * INF_PLAN_SET: when the root is an object, calls set_json(root, name,
 * json, `overwrite`) for each of `fields` in order, then, with a
 * `lookup`, for each field it answers (below), and reports INF_MODIFIED;
 * leaves any other root alone (INF_KEEP).
 * INF_PLAN_KEEP: refuses a record whose root is neither an object nor an
 * array (INF_ERR_TYPE); then host->walk with `paths`, removing every node
 * that no path reaches or leads to (keep_fields); reports INF_MODIFIED
 * when it removed one, else INF_KEEP. With paths that are each one plain key, that is:
 * every member of an object root whose key no path names.
 * INF_PLAN_FILTER: refuses a record whose root `cond` cannot look into
 * (host->cond_check_root); then reports INF_KEEP when host->cond_match
 * answers `keep`, else INF_DROP.
 * The core may then run the step without calling `process` (it does when
 * every step of the access point's chain declares what it does, a plan
 * or `removes`, none has a `when`, every path is one plain key, and no
 * step names a member that an earlier step sets, removes a member after
 * a map reached it, keeps after a set, removes both before and after a
 * set, or filters or looks up a member an earlier step removed or
 * changed); a record it cannot handle that way (a root that is not an
 * object, an escaped root key, a value `map` fails or that breaks a
 * limit) still goes through `process`, so its result and error are as
 * they would have been. */
struct inf_plan {
	uint32_t size; /* sizeof(struct inf_plan) as the core knows it: fields
			  added later go at the end; write one only when size
			  covers it */
	enum inf_plan_kind kind;
	const struct inf_paths *paths; /* MAP, KEEP */
	int (*map)(void *instance, const struct inf_value *v,
		   struct inf_mapped *out, char *err); /* MAP; err: INF_ERR_MAX */
	struct inf_fields fields; /* SET: owned by the instance; names unique */
	int overwrite;            /* SET */
	/* added with INF_PLAN_FILTER: test INF_PLAN_HAS(plan, keep) */
	const struct inf_cond *cond; /* FILTER: the policy's, borrowed */
	int keep;                    /* FILTER: 1 or 0 */
	/* added with lookups: test INF_PLAN_HAS(plan, lookup_default) */
	const struct inf_paths *lookup_key; /* SET: with `lookup`, the value */
	/* SET, or NULL: the fields to set after `fields`, for the first value
	 * lookup_key reaches in the record before the step (a string's
	 * unescaped text, a number's or boolean's JSON text; key NULL when
	 * there is none): a row of `table` or lookup_default. Read-only:
	 * called from any worker's instance. */
	const struct inf_fields *(*lookup)(void *instance, const char *key, size_t n);
	const struct inf_table *table;    /* SET: every row `lookup` answers */
	struct inf_fields lookup_default; /* SET: what it answers else */
};

/* Whether the core's struct inf_plan has `field` (see its size). */
#define INF_PLAN_HAS(plan, field)                                   \
	((plan)->size >= offsetof(struct inf_plan, field) +          \
				 sizeof((plan)->field))

/* The descriptor, the one symbol a plugin exports. */
struct inf_plugin {
	uint32_t abi_version; /* INF_PLUGIN_ABI_VERSION */
	uint32_t size;        /* sizeof(struct inf_plugin) */
	const char *name;     /* must equal the file name without ".so" */
	const char *description;
	const struct inf_option *options; /* ends with name == NULL */
	size_t config_size;               /* filled by the core from options */
	size_t instance_size;             /* zeroed block owned by the core */

	/* Builds the instance from the config. Returns 0, or a negative
	 * inf_status with a message in err (INF_ERR_MAX bytes). */
	int (*init)(const struct inf_host *host, const void *config,
		    void *instance, char *err);
	/* Transforms one record, setting *verdict (INF_KEEP when left
	 * alone). Returns 0, or a negative inf_status with a message in err;
	 * the verdict is then ignored. A positive return or a verdict that
	 * is none of the enum's fails the record like an error (fail
	 * closed). */
	int (*process)(void *instance, struct inf_record *rec,
		       enum inf_verdict *verdict, char *err);
	/* Releases what init acquired; accepts a half-built instance. */
	void (*fini)(void *instance);

	/* ---- Added after the first release (read only when `size` covers
	 * it). ---- */

	/* NULL, or the name of one of the plugin's INF_OPT_PATHS options,
	 * declaring that `process` does exactly this with those paths and
	 * nothing else: refuse a record whose root they cannot reach into
	 * (host->paths_check_root), remove every node where a path ends
	 * (host->walk_matches, host->remove), and report INF_MODIFIED when
	 * it removed one, else INF_KEEP. The core may then make those
	 * removals itself while it reads the record, without calling
	 * `process` (it does when the step starts the chain, has no `when`,
	 * and every path is one plain key: with no tokens at all when it is
	 * the whole chain or every later step declares a plan too). A name
	 * that is not such an option is refused at load. */
	const char *removes;
	/* NULL, or fills `plan` (zeroed on entry but for its size) with what
	 * `process` does on this instance after `init` (struct inf_plan), or
	 * leaves its kind INF_PLAN_NONE. Called on one instance of a step;
	 * the others, built from the same config, must do the same. */
	void (*plan)(void *instance, struct inf_plan *plan);
};

#ifdef __cplusplus
}
#endif

#endif /* INFLIGHT_PLUGIN_H */
