/*
 * The caller's conditional headers, answered for the view it gets. The
 * view has no ETag (its bytes are not the stored ones, whose ETag is
 * never forwarded), so a tag in If-Match or If-None-Match can never match
 * it; sent to the source, it would be compared with the stored bytes'
 * ETag (for one PUT their MD5), and 412 or 304 against 200 would confirm
 * a guess at what the view leaves out. Such tags are answered here and
 * never sent; "*" (the object exists) and the dates are the source's.
 */
#ifndef INF_CONDITIONS_H
#define INF_CONDITIONS_H

#include "error.h"
#include "event.h"
#include "source.h"

/* Whether the caller's header `name` goes to the source: not If-Match
 * or If-None-Match naming tags; not If-Modified-Since beside an
 * If-None-Match, nor If-Unmodified-Since beside an If-Match (RFC 9110
 * 13.2.2: those are ignored then). Any other header: 1. */
int inf_condition_sent(const struct inf_event *ev, const char *name);

/* 0 when the request goes on; -1 when an If-Match names tags, with res
 * and err set as for a source that answered 412 PreconditionFailed. */
int inf_view_precondition(const struct inf_event *ev, struct inf_source_result *res,
			  struct inf_error *err);

#endif
