/*
 * Named JSON values from a policy group, for the INF_OPT_FIELDS and
 * INF_OPT_JSON_FIELDS option types: `{ name = value; ... }` becomes a
 * struct inf_fields whose values are JSON text. Plain values convert by
 * type (strings quoted, integers, floats in their shortest exact form,
 * booleans, groups as objects, lists and arrays as arrays); in JSON-text
 * mode every value must be a string holding one JSON value, validated.
 */
#ifndef INF_FIELDS_H
#define INF_FIELDS_H

#include <libconfig.h>
#include <stddef.h>

#include "inflight/plugin.h"
#include "options.h"

/* Fills *out from group `s`: each member's libconfig value converted to
 * JSON, or, with `text_mode`, each a string holding JSON text (set_json).
 * The memory is recorded in `own`. Returns 0, INF_ERR_NOMEM, or
 * INF_ERR_INVALID with the offending setting in *bad and what is wrong
 * with it in `what` (whatlen bytes). */
int inf_fields_from_setting(const config_setting_t *s, int text_mode,
			    struct inf_owned *own, struct inf_fields *out,
			    const config_setting_t **bad, char *what,
			    size_t whatlen);

#endif
