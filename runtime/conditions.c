#include "conditions.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Whether a condition's value is "*" (any current representation),
 * whitespace around it aside. */
static int any_tag(const char *v)
{
	v += strspn(v, " \t");
	return *v == '*' && v[1 + strspn(v + 1, " \t")] == '\0';
}

int inf_condition_sent(const struct inf_event *ev, const char *name)
{
	const char *im = inf_event_header(ev, "If-Match");
	const char *inm = inf_event_header(ev, "If-None-Match");

	if (!strcasecmp(name, "If-Match"))
		return im && any_tag(im);
	if (!strcasecmp(name, "If-None-Match"))
		return inm && any_tag(inm);
	if (!strcasecmp(name, "If-Modified-Since"))
		return !inm;
	if (!strcasecmp(name, "If-Unmodified-Since"))
		return !im;
	return 1;
}

int inf_view_precondition(const struct inf_event *ev, struct inf_source_result *res,
			  struct inf_error *err)
{
	const char *im = inf_event_header(ev, "If-Match");

	if (!im || any_tag(im))
		return 0;
	res->status = 412;
	snprintf(res->code, sizeof res->code, "PreconditionFailed");
	snprintf(res->message, sizeof res->message,
		 "If-Match names an entity tag; the transformed view has none");
	return inf_error_set(err, INF_FAIL_SOURCE,
			     "If-Match names an entity tag, which the transformed view does not have");
}
