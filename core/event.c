#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

struct parse {
	const char *js;
	struct inf_tokens t;
	struct inf_buf scratch;
	char *err;
	size_t errlen;
};

static int perr(struct parse *p, const char *field, const char *what)
{
	snprintf(p->err, p->errlen, "event: %s %s", field, what);
	return -1;
}

/* Value token of member `key` of object token `obj`; -1 when obj is no
 * object or has no such member, DUP when it has two (which one AWS meant
 * is not known: callers refuse the event). */
#define DUP (-2)
static int member(struct parse *p, int obj, const char *key)
{
	const jsmntok_t *tk = p->t.tok;
	size_t kl = strlen(key), dl;
	int k, found = -1;

	if (obj < 0 || tk[obj].type != JSMN_OBJECT)
		return -1;
	k = obj + 1;
	for (int i = 0; i < tk[obj].size; i++) {
		const char *d = inf_json_unescape(p->js + tk[k].start,
						  (size_t)(tk[k].end - tk[k].start),
						  &p->scratch, &dl);
		if (d && dl == kl && !memcmp(d, key, kl)) {
			if (found >= 0)
				return DUP;
			found = k + 1;
		}
		k = inf_tok_skip(&p->t, k);
	}
	return found;
}

/* An object member the event may leave out or set to null: its value
 * token, -1 when absent or null, or REFUSED with the error set when it
 * is there twice or not an object. */
#define REFUSED (-3)
static int opt_object(struct parse *p, int obj, const char *key, const char *field)
{
	int v = member(p, obj, key);

	if (v == DUP)
		return perr(p, field, "appears twice"), REFUSED;
	if (v < 0 || (p->t.tok[v].type == JSMN_PRIMITIVE && p->js[p->t.tok[v].start] == 'n'))
		return -1;
	if (p->t.tok[v].type != JSMN_OBJECT)
		return perr(p, field, "must be an object"), REFUSED;
	return v;
}

/* Copies string token `tok` unescaped into *out. Returns 0, or -1 when
 * the token is not a string, holds NUL, or memory ran out. */
static int dup_string(struct parse *p, int tok, char **out, const char *field)
{
	const jsmntok_t *t = &p->t.tok[tok];
	const char *d;
	size_t n;

	if (t->type != JSMN_STRING)
		return perr(p, field, "must be a string");
	d = inf_json_unescape(p->js + t->start, (size_t)(t->end - t->start),
			      &p->scratch, &n);
	if (!d)
		return perr(p, field, "could not be read (out of memory)");
	if (memchr(d, '\0', n))
		return perr(p, field, "holds a NUL character");
	free(*out);
	*out = strndup(d, n);
	return *out ? 0 : perr(p, field, "could not be read (out of memory)");
}

/* Optional string member: "" when absent or null. */
static int opt_string(struct parse *p, int obj, const char *key, char **out,
		      const char *field)
{
	int v = member(p, obj, key);

	if (v == DUP)
		return perr(p, field, "appears twice");
	if (v < 0 || (p->t.tok[v].type == JSMN_PRIMITIVE && p->js[p->t.tok[v].start] == 'n')) {
		free(*out);
		*out = strdup("");
		return *out ? 0 : perr(p, field, "could not be read (out of memory)");
	}
	return dup_string(p, v, out, field);
}

/* An informational string member (the request id, the protocol version:
 * logged, and the request id written into records by enrich's
 * add_request_id, never a decision): "" when absent, null, of another type
 * or given twice, as the protocol asks events to be parsed leniently; a
 * string holding NUL is still refused (dup_string). */
static int info_string(struct parse *p, int obj, const char *key, char **out,
		       const char *field)
{
	int v = member(p, obj, key);

	if (v >= 0 && p->t.tok[v].type == JSMN_STRING)
		return dup_string(p, v, out, field);
	free(*out);
	*out = strdup("");
	return *out ? 0 : perr(p, field, "could not be read (out of memory)");
}

static int req_string(struct parse *p, int obj, const char *key, char **out,
		      const char *field)
{
	int v = member(p, obj, key);

	if (v == DUP)
		return perr(p, field, "appears twice");
	if (v < 0)
		return perr(p, field, "is missing");
	if (dup_string(p, v, out, field))
		return -1;
	if (!**out)
		return perr(p, field, "is empty");
	return 0;
}

int inf_event_route_ok(const char *route)
{
	size_t n = 0;

	for (; route[n]; n++)
		if (n == INF_EVENT_ROUTE_MAX ||
		    !((route[n] >= 'a' && route[n] <= 'z') || (route[n] >= 'A' && route[n] <= 'Z') ||
		      (route[n] >= '0' && route[n] <= '9') || route[n] == '-'))
			return 0;
	return n > 0;
}

int inf_event_token_ok(const char *token)
{
	size_t n = 0;

	for (; token[n]; n++)
		if (n == INF_EVENT_TOKEN_MAX || (unsigned char)token[n] < 0x21 ||
		    (unsigned char)token[n] > 0x7e)
			return 0;
	return n > 0;
}

static int parse_headers(struct parse *p, struct inf_event *ev, int ureq)
{
	int h = opt_object(p, ureq, "headers", "userRequest.headers"), k;
	const jsmntok_t *tk = p->t.tok;

	if (h == REFUSED)
		return -1;
	if (h < 0)
		return 0; /* absent or null: no headers */
	/* more members than a request's headers hold is no request's (and
	 * bounds the repeat check below) */
	if (tk[h].size > INF_EVENT_HEADERS_MAX)
		return perr(p, "userRequest.headers", "has more members than a request's "
			    "8 KiB of headers could hold");
	ev->headers = calloc((size_t)tk[h].size + 1, sizeof *ev->headers);
	if (!ev->headers)
		return perr(p, "userRequest.headers", "could not be read (out of memory)");
	k = h + 1;
	for (int i = 0; i < tk[h].size; i++) {
		struct inf_header *hd = &ev->headers[ev->nheaders++];
		char field[128];

		if (dup_string(p, k, &hd->name, "userRequest.headers name"))
			return -1;
		snprintf(field, sizeof field, "userRequest.headers.%.64s%s", hd->name,
			 strlen(hd->name) > 64 ? "..." : "");
		/* header names have no case: a second Range would be read as
		 * the first, which one the caller sent is not known */
		for (size_t j = 0; j + 1 < ev->nheaders; j++)
			if (!strcasecmp(ev->headers[j].name, hd->name))
				return perr(p, field, "appears twice (header names have no case)");
		if (dup_string(p, k + 1, &hd->value, field))
			return -1;
		k = inf_tok_skip(&p->t, k);
	}
	return 0;
}

static const struct {
	const char *name;
	enum inf_event_kind kind;
} contexts[] = {
	{ "getObjectContext", INF_EV_GET },
	{ "headObjectContext", INF_EV_HEAD },
	{ "listObjectsContext", INF_EV_LIST },
	{ "listObjectsV2Context", INF_EV_LIST_V2 },
};

/* The access point: the payload's "policy" when the payload is a JSON
 * object naming one, else the last name of the access point ARN. A
 * payload that opens as an object must be one: one that does not parse
 * may name a policy that the ARN's would silently replace. */
static int derive_access_point(struct parse *p, struct inf_event *ev)
{
	const char *slash;

	if (*ev->payload) {
		struct parse q = { ev->payload, { 0 }, { 0 }, p->err, p->errlen };
		struct inf_json_err je;
		int v = -1, rc = -1, parsed;
		parsed = inf_json_parse(&q.t, ev->payload, strlen(ev->payload), 64, &je) == 0;
		if (parsed && (v = member(&q, 0, "policy")) == DUP)
			rc = perr(&q, "configuration.payload.policy", "appears twice");
		else if (parsed && v >= 0)
			rc = dup_string(&q, v, &ev->access_point, "configuration.payload.policy");
		inf_tokens_free(&q.t);
		inf_buf_free(&q.scratch);
		if (!parsed && ev->payload[strspn(ev->payload, " \t\r\n")] == '{') {
			char what[200];
			snprintf(what, sizeof what, "opens as a JSON object but is not one: %s",
				 je.msg);
			return perr(p, "configuration.payload", what);
		}
		if (v >= 0 && rc == 0 && !*ev->access_point)
			return perr(p, "configuration.payload.policy", "is empty");
		if (v >= 0 || v == DUP)
			return rc;
	}
	if (!*ev->access_point_arn)
		return perr(p, "configuration.accessPointArn",
			    "is missing (and the payload names no policy)");
	slash = strrchr(ev->access_point_arn, '/');
	if (!slash || !slash[1])
		return perr(p, "configuration.accessPointArn",
			    "has no access point name after '/'");
	ev->access_point = strdup(slash + 1);
	return ev->access_point ? 0 : -1;
}

int inf_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [s, s+n) into a new string, its length (a %00 stays
 * in it as a NUL) in *len when len is not NULL; NULL on NOMEM. */
static char *pct_decode(const char *s, size_t n, size_t *len)
{
	char *o = malloc(n + 1), *w = o;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && inf_hex_digit(s[i + 1]) >= 0 &&
		    inf_hex_digit(s[i + 2]) >= 0) {
			*w++ = (char)(inf_hex_digit(s[i + 1]) * 16 + inf_hex_digit(s[i + 2]));
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	if (len)
		*len = (size_t)(w - o);
	return o;
}

/* The object key: the path of a URL without its leading '/', query and
 * fragment; "" when the URL has no path (a '/' in its query is none). */
static char *url_key(const char *url, int decode)
{
	const char *s = strstr(url, "://"), *q;

	if (!s)
		return strdup("");
	s += 3;
	q = s + strcspn(s, "?#");
	s = memchr(s, '/', (size_t)(q - s));
	if (!s)
		return strdup("");
	s++;
	return decode ? pct_decode(s, (size_t)(q - s), NULL) : strndup(s, (size_t)(q - s));
}

int inf_event_parse(const char *json, size_t len, struct inf_event *ev,
		    char *err, size_t errlen)
{
	struct parse p = { json, { 0 }, { 0 }, err, errlen };
	struct inf_json_err je;
	int ctx = -1, conf, ureq, rc = -1;
	const char *ctxname;
	char field[64];

	memset(ev, 0, sizeof *ev);
	if (inf_json_parse(&p.t, json, len, 64, &je)) {
		snprintf(err, errlen, "event: not valid JSON: %s at byte %zu", je.msg, je.offset);
		goto out;
	}
	if (p.t.tok[0].type != JSMN_OBJECT) {
		perr(&p, "root", "must be a JSON object");
		goto out;
	}
	for (size_t i = 0; i < sizeof contexts / sizeof contexts[0]; i++) {
		int c = member(&p, 0, contexts[i].name);
		if (c == DUP) {
			perr(&p, contexts[i].name, "appears twice");
			goto out;
		}
		if (c < 0)
			continue;
		if (ctx >= 0) {
			perr(&p, contexts[i].name, "appears beside another context (one is allowed)");
			goto out;
		}
		ctx = c;
		ev->kind = contexts[i].kind;
	}
	if (ctx < 0) {
		perr(&p, "getObjectContext", "is missing (no get, head or list context)");
		goto out;
	}
	if (p.t.tok[ctx].type != JSMN_OBJECT) {
		perr(&p, contexts[ev->kind - 1].name, "must be an object");
		goto out;
	}
	ctxname = contexts[ev->kind - 1].name;
	snprintf(field, sizeof field, "%s.inputS3Url", ctxname);
	if (req_string(&p, ctx, "inputS3Url", &ev->input_url, field))
		goto out;
	if (ev->kind == INF_EV_GET) {
		if (req_string(&p, ctx, "outputRoute", &ev->output_route,
			       "getObjectContext.outputRoute") ||
		    req_string(&p, ctx, "outputToken", &ev->output_token,
			       "getObjectContext.outputToken"))
			goto out;
		/* they go into the WGOR URL and signed headers: a CR/LF, '/',
		 * '?' or '@' there would add headers or send the request
		 * (session token and body) elsewhere */
		if (!inf_event_route_ok(ev->output_route)) {
			perr(&p, "getObjectContext.outputRoute",
			     "is not a host label (1 to 63 letters, digits and '-')");
			goto out;
		}
		if (!inf_event_token_ok(ev->output_token)) {
			perr(&p, "getObjectContext.outputToken",
			     "is not a header value (1 to 8000 printable ASCII bytes, no space)");
			goto out;
		}
	} else {
		char token[64];

		snprintf(field, sizeof field, "%s.outputRoute", ctxname);
		snprintf(token, sizeof token, "%s.outputToken", ctxname);
		if (opt_string(&p, ctx, "outputRoute", &ev->output_route, field) ||
		    opt_string(&p, ctx, "outputToken", &ev->output_token, token))
			goto out;
	}
	/* not there, or null: their members are absent; of another type the
	 * event is refused, not read as one without them */
	if ((conf = opt_object(&p, 0, "configuration", "configuration")) == REFUSED ||
	    (ureq = opt_object(&p, 0, "userRequest", "userRequest")) == REFUSED)
		goto out;
	if (info_string(&p, 0, "xAmzRequestId", &ev->request_id, "xAmzRequestId") ||
	    info_string(&p, 0, "protocolVersion", &ev->protocol_version, "protocolVersion") ||
	    opt_string(&p, conf, "accessPointArn", &ev->access_point_arn,
		       "configuration.accessPointArn") ||
	    opt_string(&p, conf, "supportingAccessPointArn", &ev->supporting_arn,
		       "configuration.supportingAccessPointArn") ||
	    opt_string(&p, conf, "payload", &ev->payload, "configuration.payload") ||
	    opt_string(&p, ureq, "url", &ev->user_url, "userRequest.url") ||
	    parse_headers(&p, ev, ureq) || derive_access_point(&p, ev))
		goto out;
	ev->object_key = *ev->user_url ? url_key(ev->user_url, 0)
				       : url_key(ev->input_url, 1);
	if (!ev->object_key) {
		perr(&p, "userRequest.url", "could not be read (out of memory)");
		goto out;
	}
	rc = 0;
out:
	inf_tokens_free(&p.t);
	inf_buf_free(&p.scratch);
	if (rc)
		inf_event_free(ev);
	return rc;
}

void inf_event_free(struct inf_event *ev)
{
	for (size_t i = 0; i < ev->nheaders; i++) {
		free(ev->headers[i].name);
		free(ev->headers[i].value);
	}
	free(ev->headers);
	free(ev->request_id);
	free(ev->input_url);
	free(ev->output_route);
	free(ev->output_token);
	free(ev->access_point_arn);
	free(ev->supporting_arn);
	free(ev->payload);
	free(ev->user_url);
	free(ev->protocol_version);
	free(ev->access_point);
	free(ev->object_key);
	memset(ev, 0, sizeof *ev);
}

const char *inf_event_header(const struct inf_event *ev, const char *name)
{
	for (size_t i = 0; i < ev->nheaders; i++)
		if (!strcasecmp(ev->headers[i].name, name))
			return ev->headers[i].value;
	return NULL;
}

const char *inf_url_query(const char *url, const char *name, char *buf,
			  size_t buflen)
{
	const char *q = strchr(url, '?');
	size_t nl = strlen(name);

	while (q && *q) {
		const char *k = q + 1, *amp = strchr(k, '&'), *eq;
		const char *end = amp ? amp : k + strlen(k);
		eq = memchr(k, '=', (size_t)(end - k));
		if ((size_t)((eq ? eq : end) - k) == nl && !strncasecmp(k, name, nl)) {
			size_t dl = 0;
			char *d = eq ? pct_decode(eq + 1, (size_t)(end - eq - 1), &dl) : strdup("");
			if (!d)
				return NULL;
			/* a %00 would cut the value at the NUL, into one that may
			 * read as another valid one ("1%00x" as partNumber 1) */
			snprintf(buf, buflen, "%s", memchr(d, '\0', dl) ? "" : d);
			free(d);
			return buf;
		}
		q = amp;
	}
	return NULL;
}
