/*
 * Conditions: which records a step applies to (`when` on any step) and
 * which records filter_records keeps or drops. One syntax, compiled once
 * when the policy loads (regexes included), evaluated against a record
 * with the shared path walker. See README.md, "Conditions":
 *
 *   { all = ( <cond>, ... ); }    every one holds (at least one listed)
 *   { any = ( <cond>, ... ); }    at least one holds
 *   { not = <cond>; }             it does not hold
 *   { path = "..."; op = "..."; value = ...; }   a rule
 *
 * Rule ops: eq ne in not_in gt ge lt le exists missing matches. A path
 * that reaches several values matches when any value does; ne, not_in and
 * missing are the negations of eq, in and exists, so they hold when the
 * path reaches nothing. Numbers compare as numbers (doubles), strings as
 * strings (bytes of the unescaped UTF-8, i.e. code point order); any
 * other pairing is a type mismatch, which compares false. `matches` is a
 * POSIX extended regex, tested on strings only.
 */
#ifndef INF_COND_H
#define INF_COND_H

#include <libconfig.h>
#include <stddef.h>

#include "inflight/plugin.h"
#include "record.h"

/* Compiles the condition group `s`. `label` names what is being compiled
 * in messages ("when", "plugin 'x': option 'keep'"). Returns 0 with *out
 * owned by the caller (free with inf_cond_free), INF_ERR_INVALID with
 * "file:line: label: message" in err (errlen bytes), or INF_ERR_NOMEM. */
int inf_cond_compile(const config_setting_t *s, const char *label,
		     struct inf_cond **out, char *err, size_t errlen);

/* Frees a compiled condition; accepts NULL. */
void inf_cond_free(struct inf_cond *c);

/* Whether record `r` (its pending edits applied: removed or replaced
 * values are not seen) matches `c`: 1 yes, 0 no, or INF_ERR_NOMEM. Uses
 * the record's walk scratch, so never from inside a walk visitor. */
int inf_cond_match(struct inf_record *r, const struct inf_cond *c);

/* 0 when the paths of `c` (all its rules' paths together) can reach
 * into the root of `r` (or the root is not a container) and into every
 * non-empty container a path names and goes through below it; else
 * INF_ERR_TYPE with a one-line reason in err (INF_ERR_MAX bytes), or
 * INF_ERR_NOMEM. A condition that cannot look inside an array record
 * (member paths only), or inside "customer": [...] under
 * "customer.is_test", would decide about it from nothing: no value
 * equals, every path is missing; `when` and filter_records refuse such
 * a record instead of skipping a step or keeping it, whatever the ops
 * (exists and missing too: see README.md, "Conditions"). Refused too:
 * a record where a path reaches a key its object holds twice
 * (core/dupkeys.h). Uses the record's walk scratch, as inf_cond_match
 * does. */
int inf_cond_check_root(struct inf_record *r, const struct inf_cond *c,
			char *err);

/* Every rule's path of `c`, together (a set inf_cond_check_root tests). */
const struct inf_paths *inf_cond_paths(const struct inf_cond *c);

/* The value of number node `node` as a double. Returns 0, INF_ERR_TYPE
 * when the node is not a number, INF_ERR_LIMIT when it overflows a
 * double (*out is then +-HUGE_VAL), or INF_ERR_NOMEM. */
int inf_node_number(struct inf_record *r, int node, double *out);

#endif
