/*
 * S3 Object Lambda events (core/event.c): the examples of the protocol
 * reference (shared docs, s3-object-lambda.md §1) parse with every field
 * right; malformed events are refused naming the field; query parameters
 * are found and decoded; URLs are redacted for logs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "redact.h"
#include "testutil.h"

/* §1, GET (all values invented). */
static const char ev_get[] =
	"{\"xAmzRequestId\":\"7QH2XK4M9ZB1T6RD\",\n"
	" \"getObjectContext\":{\"inputS3Url\":\"https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/ev/dt%3D2026_11_28/k.json?X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&X-Amz-Security-Token=TOK&X-Amz-Signature=SIG\",\n"
	"  \"outputRoute\":\"io-euw1-002\",\"outputToken\":\"OUT1\"},\n"
	" \"configuration\":{\"accessPointArn\":\"arn:aws:s3-object-lambda:eu-west-1:444455556666:accesspoint/olap\",\n"
	"  \"supportingAccessPointArn\":\"arn:aws:s3:eu-west-1:444455556666:accesspoint/ap\",\"payload\":\"{\\\"mode\\\":\\\"redact\\\"}\"},\n"
	" \"userRequest\":{\"url\":\"https://olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com/ev/dt=2026_11_28/k.json\",\n"
	"  \"headers\":{\"Host\":\"olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com\",\"x-amz-checksum-mode\":\"ENABLED\"}},\n"
	" \"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROAEX:r\",\"arn\":\"arn:aws:sts::444455556666:assumed-role/R/r\",\"accountId\":\"444455556666\",\n"
	"  \"sessionContext\":{\"attributes\":{\"mfaAuthenticated\":\"false\"},\"sessionIssuer\":{\"type\":\"Role\",\"userName\":\"R\"}}},\n"
	" \"protocolVersion\":\"1.00\"}";

/* §1, HEAD from an IAM user (no sessionContext), exactly as printed: the
 * document leaves out the members equal to GET's, `configuration` among
 * them. */
static const char ev_head_as_printed[] =
	"{\"xAmzRequestId\":\"HD1\",\"headObjectContext\":{\"inputS3Url\":\"https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/k.json?X-Amz-SignedHeaders=host&X-Amz-Signature=SIG\"},\n"
	" \"userRequest\":{\"url\":\"https://olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com/k.json\",\"headers\":{}},\n"
	" \"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDAEX\",\"accountId\":\"444455556666\"},\"protocolVersion\":\"1.01\"}";

/* The same HEAD with GET's configuration put back. */
static const char ev_head[] =
	"{\"xAmzRequestId\":\"HD1\",\"headObjectContext\":{\"inputS3Url\":\"https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/k.json?X-Amz-SignedHeaders=host&X-Amz-Signature=SIG\"},\n"
	" \"configuration\":{\"accessPointArn\":\"arn:aws:s3-object-lambda:eu-west-1:444455556666:accesspoint/olap\",\n"
	"  \"supportingAccessPointArn\":\"arn:aws:s3:eu-west-1:444455556666:accesspoint/ap\",\"payload\":\"{\\\"mode\\\":\\\"redact\\\"}\"},\n"
	" \"userRequest\":{\"url\":\"https://olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com/k.json\",\"headers\":{}},\n"
	" \"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDAEX\",\"accountId\":\"444455556666\"},\"protocolVersion\":\"1.01\"}";

/* §1, LIST v2 from a cross-account caller, no payload. */
static const char ev_list[] =
	"{\"xAmzRequestId\":\"LS1\",\"listObjectsV2Context\":{\"inputS3Url\":\"https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/?list-type=2&prefix=a%2F&X-Amz-Signature=SIG\"},\n"
	" \"configuration\":{\"accessPointArn\":\"arn:aws:s3-object-lambda:eu-west-1:444455556666:accesspoint/olap\",\"supportingAccessPointArn\":\"arn:aws:s3:eu-west-1:444455556666:accesspoint/ap\"},\n"
	" \"userRequest\":{\"url\":\"https://olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com/?list-type=2&prefix=a/\",\"headers\":{}},\n"
	" \"userIdentity\":{\"type\":\"AssumedRole\",\"accountId\":\"777788889999\"},\"protocolVersion\":\"1.01\"}";

#define ARN "arn:aws:s3-object-lambda:eu-west-1:444455556666:accesspoint/olap"

/* A small GET around the given configuration members. */
#define GET_WITH(conf)                                                          \
	"{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"r\"," \
	"\"outputToken\":\"t\"},\"configuration\":{" conf "}}"

static struct inf_event ev;
static char err[512];

static void setup(void)
{
	memset(&ev, 0, sizeof ev);
	err[0] = '\0';
}

static void teardown(void)
{
	inf_event_free(&ev);
}

static int parse(const char *json)
{
	inf_event_free(&ev);
	err[0] = '\0';
	return inf_event_parse(json, strlen(json), &ev, err, sizeof err);
}

/* Expects `json` refused with a message containing `what`, and the
 * event left empty. */
static void refused(const char *json, const char *what)
{
	ck_assert_msg(parse(json) == -1, "accepted: %s", json);
	ck_assert_msg(strstr(err, what) != NULL, "want \"%s\" in \"%s\"", what, err);
	ck_assert_msg(strncmp(err, "event: ", 7) == 0, "got \"%s\"", err);
	ck_assert_ptr_null(ev.input_url);
	ck_assert_ptr_null(ev.request_id);
	ck_assert_ptr_null(ev.access_point);
	ck_assert_ptr_null(ev.headers);
	ck_assert_uint_eq(ev.nheaders, 0);
}

START_TEST(test_get)
{
	ck_assert_msg(parse(ev_get) == 0, "%s", err);
	ck_assert_int_eq(ev.kind, INF_EV_GET);
	ck_assert_str_eq(ev.request_id, "7QH2XK4M9ZB1T6RD");
	ck_assert_str_eq(ev.input_url,
			 "https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/ev/dt%3D2026_11_28/k.json"
			 "?X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&X-Amz-Security-Token=TOK&X-Amz-Signature=SIG");
	ck_assert_str_eq(ev.output_route, "io-euw1-002");
	ck_assert_str_eq(ev.output_token, "OUT1");
	ck_assert_str_eq(ev.access_point_arn, ARN);
	ck_assert_str_eq(ev.supporting_arn, "arn:aws:s3:eu-west-1:444455556666:accesspoint/ap");
	ck_assert_str_eq(ev.payload, "{\"mode\":\"redact\"}");
	ck_assert_str_eq(ev.user_url,
			 "https://olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com/ev/dt=2026_11_28/k.json");
	ck_assert_str_eq(ev.protocol_version, "1.00");
	/* the payload names no policy: the ARN's last name */
	ck_assert_str_eq(ev.access_point, "olap");
	ck_assert_str_eq(ev.object_key, "ev/dt=2026_11_28/k.json");
	ck_assert_uint_eq(ev.nheaders, 2);
	ck_assert_str_eq(ev.headers[0].name, "Host");
	ck_assert_str_eq(ev.headers[1].name, "x-amz-checksum-mode");
	ck_assert_str_eq(inf_event_header(&ev, "host"),
			 "olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com");
	ck_assert_str_eq(inf_event_header(&ev, "HOST"),
			 "olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com");
	ck_assert_str_eq(inf_event_header(&ev, "X-Amz-Checksum-Mode"), "ENABLED");
	ck_assert_ptr_null(inf_event_header(&ev, "range"));
	ck_assert_ptr_null(inf_event_header(&ev, "Hos"));
}
END_TEST

START_TEST(test_head)
{
	ck_assert_msg(parse(ev_head) == 0, "%s", err);
	ck_assert_int_eq(ev.kind, INF_EV_HEAD);
	ck_assert_str_eq(ev.request_id, "HD1");
	ck_assert_str_eq(ev.input_url,
			 "https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/k.json"
			 "?X-Amz-SignedHeaders=host&X-Amz-Signature=SIG");
	ck_assert_str_eq(ev.output_route, "");
	ck_assert_str_eq(ev.output_token, "");
	ck_assert_str_eq(ev.access_point, "olap");
	ck_assert_str_eq(ev.object_key, "k.json");
	ck_assert_str_eq(ev.protocol_version, "1.01");
	ck_assert_uint_eq(ev.nheaders, 0);
	ck_assert_ptr_null(inf_event_header(&ev, "host"));
}
END_TEST

START_TEST(test_head_as_printed)
{
	/* No configuration and no payload: nothing says which policy applies,
	 * so the event is refused naming the missing field. */
	refused(ev_head_as_printed,
		"configuration.accessPointArn is missing (and the payload names no policy)");
}
END_TEST

START_TEST(test_list_v2)
{
	char buf[64];

	ck_assert_msg(parse(ev_list) == 0, "%s", err);
	ck_assert_int_eq(ev.kind, INF_EV_LIST_V2);
	ck_assert_str_eq(ev.request_id, "LS1");
	ck_assert_str_eq(ev.payload, "");
	ck_assert_str_eq(ev.output_route, "");
	ck_assert_str_eq(ev.access_point_arn, ARN);
	ck_assert_str_eq(ev.access_point, "olap");
	ck_assert_str_eq(ev.object_key, "");
	ck_assert_str_eq(ev.user_url,
			 "https://olap-444455556666.s3-object-lambda.eu-west-1.amazonaws.com/?list-type=2&prefix=a/");
	ck_assert_str_eq(ev.protocol_version, "1.01");
	ck_assert_str_eq(inf_url_query(ev.input_url, "prefix", buf, sizeof buf), "a/");
	ck_assert_str_eq(inf_url_query(ev.input_url, "list-type", buf, sizeof buf), "2");
	ck_assert_str_eq(inf_url_query(ev.user_url, "prefix", buf, sizeof buf), "a/");
}
END_TEST

START_TEST(test_list_v1)
{
	ck_assert_msg(parse("{\"listObjectsContext\":{\"inputS3Url\":\"https://h/?prefix=x\"},"
			    "\"configuration\":{\"accessPointArn\":\"" ARN "\"}}") == 0, "%s", err);
	ck_assert_int_eq(ev.kind, INF_EV_LIST);
	ck_assert_str_eq(ev.request_id, "");
	ck_assert_str_eq(ev.user_url, "");
	ck_assert_str_eq(ev.protocol_version, "");
	ck_assert_str_eq(ev.object_key, "");
}
END_TEST

START_TEST(test_payload_policy)
{
	ck_assert_msg(parse(GET_WITH("\"accessPointArn\":\"" ARN "\","
				     "\"payload\":\"{\\\"policy\\\":\\\"analytics\\\"}\"")) == 0, "%s", err);
	ck_assert_str_eq(ev.access_point, "analytics");
	ck_assert_str_eq(ev.payload, "{\"policy\":\"analytics\"}");
	/* with no ARN at all the payload alone is enough */
	ck_assert_msg(parse(GET_WITH("\"payload\":\"{\\\"other\\\":[1,{}],\\\"policy\\\":\\\"p\\\\u0031\\\"}\"")) == 0,
		      "%s", err);
	ck_assert_str_eq(ev.access_point, "p1");
	ck_assert_str_eq(ev.access_point_arn, "");
	/* nested deeper than 16 levels: still read, never the ARN's name */
	ck_assert_msg(parse(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":"
				     "\"{\\\"policy\\\":\\\"deep\\\",\\\"o\\\":"
				     "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}\"")) == 0, "%s", err);
	ck_assert_str_eq(ev.access_point, "deep");
}
END_TEST

START_TEST(test_payload_fallback)
{
	static const char *const payloads[] = {
		"\"payload\":\"not json\"",
		"\"payload\":\"{\\\"mode\\\":\\\"redact\\\"}\"",
		"\"payload\":\"[\\\"policy\\\",\\\"x\\\"]\"",
		"\"payload\":\"{\\\"nested\\\":{\\\"policy\\\":\\\"x\\\"}}\"",
		"\"payload\":\"\"",
		"\"payload\":null",
	};
	char json[512];

	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		snprintf(json, sizeof json, GET_WITH("\"accessPointArn\":\"" ARN "\",%s"), payloads[i]);
		ck_assert_msg(parse(json) == 0, "%s: %s", payloads[i], err);
		ck_assert_str_eq(ev.access_point, "olap");
	}
	/* a payload that opens as an object and does not parse is refused:
	 * it may name a policy (too deep, a trailing comma, a lone surrogate) */
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":\"{\\\"policy\\\":\""),
		"configuration.payload opens as a JSON object but is not one");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":\" {\\\"policy\\\":\\\"p\\\",}\""),
		"configuration.payload opens as a JSON object but is not one");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":\"{\\\"policy\\\":\\\"p\\\",\\\"s\\\":\\\"\\\\ud800\\\"}\""),
		"configuration.payload opens as a JSON object but is not one");
	/* a payload naming a policy that is not a string is an error */
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":\"{\\\"policy\\\":5}\""),
		"configuration.payload.policy must be a string");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":\"{\\\"policy\\\":\\\"\\\"}\""),
		"configuration.payload.policy is empty");
	refused(GET_WITH("\"payload\":\"{}\""),
		"configuration.accessPointArn is missing (and the payload names no policy)");
	refused(GET_WITH("\"accessPointArn\":\"arn:aws:s3-object-lambda:eu-west-1:1:accesspoint/\""),
		"configuration.accessPointArn has no access point name after '/'");
	refused(GET_WITH("\"accessPointArn\":\"olap\""),
		"configuration.accessPointArn has no access point name after '/'");
	refused(GET_WITH("\"accessPointArn\":5"), "configuration.accessPointArn must be a string");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":{\"policy\":\"x\"}"),
		"configuration.payload must be a string");
}
END_TEST

START_TEST(test_escapes_and_unknown_members)
{
	ck_assert_msg(parse("{\"future\":{\"deep\":[1,{\"a\":null},\"getObjectContext\"]},"
			    "\"xAmzRequestId\":\"A\\/B\\u0041\\u00e9\\ud83d\\ude00\","
			    "\"getObjectContext\":{\"extra\":[true],\"inputS3Url\":\"https:\\/\\/h\\/a%20b\\/c.json?x=1\","
			    "\"outputRoute\":\"r\\u002d1\",\"outputToken\":\"t\\\"1\\\"\"},"
			    "\"configuration\":{\"accessPointArn\":\"arn:x:accesspoint\\/ol\\u0061p\",\"more\":1},"
			    "\"userRequest\":{\"headers\":{\"X-\\u0041mz\":\"v\\tw\"},\"unknown\":\"x\"},"
			    "\"protocolVersion\":\"1.01\",\"trailing\":null}") == 0, "%s", err);
	ck_assert_str_eq(ev.request_id, "A/BA\xc3\xa9\xf0\x9f\x98\x80");
	ck_assert_str_eq(ev.input_url, "https://h/a%20b/c.json?x=1");
	ck_assert_str_eq(ev.output_route, "r-1");
	ck_assert_str_eq(ev.output_token, "t\"1\"");
	ck_assert_str_eq(ev.access_point, "olap");
	ck_assert_str_eq(ev.protocol_version, "1.01");
	ck_assert_uint_eq(ev.nheaders, 1);
	ck_assert_str_eq(ev.headers[0].name, "X-Amz");
	ck_assert_str_eq(inf_event_header(&ev, "x-amz"), "v\tw");
	/* no userRequest.url: the key comes from inputS3Url, percent-decoded */
	ck_assert_str_eq(ev.user_url, "");
	ck_assert_str_eq(ev.object_key, "a b/c.json");
}
END_TEST

START_TEST(test_escaped_member_names)
{
	/* member names are compared after unescaping too */
	ck_assert_msg(parse("{\"get\\u004fbjectContext\":{\"input\\u0053\\u0033Url\":\"https://h/k\","
			    "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
			    "\"configuration\":{\"accessPointArn\":\"" ARN "\"}}") == 0, "%s", err);
	ck_assert_int_eq(ev.kind, INF_EV_GET);
	ck_assert_str_eq(ev.input_url, "https://h/k");
	ck_assert_str_eq(ev.object_key, "k");
	/* a member whose name only starts with the one looked for is
	 * another member: never read in its place, wherever it stands */
	ck_assert_msg(parse("{\"getObjectContext\":{\"inputS3UrlOld\":\"https://evil/x\","
			    "\"inputS3Url\":\"https://h/k\",\"outputRouteX\":\"evil\","
			    "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
			    "\"configuration\":{\"accessPointArnV2\":\"arn:x:accesspoint/evil\","
			    "\"accessPointArn\":\"" ARN "\"}}") == 0, "%s", err);
	ck_assert_str_eq(ev.input_url, "https://h/k");
	ck_assert_str_eq(ev.output_route, "r");
	ck_assert_str_eq(ev.access_point, "olap");
	refused("{\"getObjectContext\":{\"inputS3UrlOld\":\"https://evil/x\",\"outputRoute\":\"r\","
		"\"outputToken\":\"t\"},\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"event: getObjectContext.inputS3Url is missing");
}
END_TEST

/* userRequest.url comes decoded (shared docs §1): its path is the key as
 * it is, a '%' in it a '%' of the key; only a key taken from inputS3Url
 * (percent-encoded) is decoded. */
START_TEST(test_key_from_user_url_not_decoded_again)
{
	ck_assert_msg(parse("{\"getObjectContext\":{\"inputS3Url\":\"https://h/a%2541b%2520.json?x=1\","
			    "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
			    "\"configuration\":{\"accessPointArn\":\"" ARN "\"},"
			    "\"userRequest\":{\"url\":\"https://olap/a%41b%20.json\"}}") == 0, "%s", err);
	ck_assert_str_eq(ev.object_key, "a%41b%20.json");
	/* the same event without userRequest.url: inputS3Url decoded once */
	ck_assert_msg(parse("{\"getObjectContext\":{\"inputS3Url\":\"https://h/a%2541b%2520.json?x=1\","
			    "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
			    "\"configuration\":{\"accessPointArn\":\"" ARN "\"}}") == 0, "%s", err);
	ck_assert_str_eq(ev.object_key, "a%41b%20.json");
}
END_TEST

/* The key is the path only: a '/' in the query of a URL without a path,
 * or a fragment, is no part of it (the key is logged and checked against
 * the prefixes). */
START_TEST(test_key_stops_at_query_and_fragment)
{
	static const struct {
		const char *user_url, *key;
	} cases[] = {
		{ "https://olap?list-type=2&prefix=a/b&X-Amz-Signature=S", "" },
		{ "https://olap#frag/x", "" },
		{ "https://olap/k.json#X-Amz-Signature=S", "k.json" },
		{ "https://olap/d/k.json?x=/y#z", "d/k.json" },
	};
	char text[512];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		snprintf(text, sizeof text,
			 "{\"getObjectContext\":{\"inputS3Url\":\"https://h/other\","
			 "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
			 "\"configuration\":{\"accessPointArn\":\"" ARN "\"},"
			 "\"userRequest\":{\"url\":\"%s\"}}", cases[i].user_url);
		ck_assert_msg(parse(text) == 0, "%s", err);
		ck_assert_str_eq(ev.object_key, cases[i].key);
	}
	/* from inputS3Url alike */
	ck_assert_msg(parse("{\"getObjectContext\":{\"inputS3Url\":\"https://h?X-Amz-Signature=a/b\","
			    "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
			    "\"configuration\":{\"accessPointArn\":\"" ARN "\"}}") == 0, "%s", err);
	ck_assert_str_eq(ev.object_key, "");
}
END_TEST

START_TEST(test_refused)
{
	refused("{\"getObjectContext\":", "event: not valid JSON");
	refused("", "event: not valid JSON");
	refused("{\"a\":1}{}", "event: not valid JSON");
	refused("[{\"getObjectContext\":{}}]", "event: root must be a JSON object");
	refused("\"getObjectContext\"", "event: root must be a JSON object");
	refused("{\"xAmzRequestId\":\"x\",\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"getObjectContext is missing (no get, head or list context)");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
		"\"headObjectContext\":{\"inputS3Url\":\"https://h/k\"},"
		"\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"headObjectContext appears beside another context (one is allowed)");
	refused("{\"listObjectsContext\":{\"inputS3Url\":\"https://h/\"},"
		"\"listObjectsV2Context\":{\"inputS3Url\":\"https://h/\"}}",
		"appears beside another context");
	refused("{\"getObjectContext\":\"https://h/k\"}", "event: getObjectContext must be an object");
	refused("{\"headObjectContext\":[1]}", "event: headObjectContext must be an object");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputToken\":\"t\"},"
		"\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"event: getObjectContext.outputRoute is missing");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"r\"},"
		"\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"event: getObjectContext.outputToken is missing");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"\",\"outputToken\":\"t\"},"
		"\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"event: getObjectContext.outputRoute is empty");
	refused("{\"getObjectContext\":{\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
		"\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"event: getObjectContext.inputS3Url is missing");
	refused("{\"headObjectContext\":{}}", "event: headObjectContext.inputS3Url is missing");
	refused("{\"getObjectContext\":{\"inputS3Url\":5,\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
		"\"configuration\":{\"accessPointArn\":\"" ARN "\"}}",
		"event: getObjectContext.inputS3Url must be a string");
	refused("{\"getObjectContext\":{\"inputS3Url\":null,\"outputRoute\":\"r\",\"outputToken\":\"t\"}}",
		"event: getObjectContext.inputS3Url must be a string");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":[\"r\"],\"outputToken\":\"t\"}}",
		"event: getObjectContext.outputRoute must be a string");
	refused("{\"headObjectContext\":{\"inputS3Url\":\"\"}}",
		"event: headObjectContext.inputS3Url is empty");
}
END_TEST

/* As many headers as a request's 8 KiB hold load (each name compared
 * with the others once); one more is refused. */
START_TEST(test_header_count)
{
	static char json[64 * INF_EVENT_HEADERS_MAX];
	size_t o;

	for (int n = INF_EVENT_HEADERS_MAX; n <= INF_EVENT_HEADERS_MAX + 1; n++) {
		o = (size_t)snprintf(json, sizeof json, "%s",
				     "{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\","
				     "\"outputRoute\":\"r\",\"outputToken\":\"t\"},"
				     "\"configuration\":{\"accessPointArn\":\"" ARN "\"},"
				     "\"userRequest\":{\"headers\":{");
		for (int i = 0; i < n; i++)
			o += (size_t)snprintf(json + o, sizeof json - o, "%s\"h%d\":\"v\"",
					      i ? "," : "", i);
		snprintf(json + o, sizeof json - o, "}}}");
		if (n == INF_EVENT_HEADERS_MAX) {
			ck_assert_msg(parse(json) == 0, "%s", err);
			ck_assert_uint_eq(ev.nheaders, (size_t)n);
		} else {
			refused(json, "event: userRequest.headers has more members than");
		}
	}
}
END_TEST

START_TEST(test_refused_fields)
{
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":{\"Host\":5}"),
		"event: userRequest.headers.Host must be a string");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":{\"a\":\"b\",\"Range\":[\"bytes=0-1\"]}"),
		"event: userRequest.headers.Range must be a string");
	/* the objects the event is read from: of another type, or twice,
	 * refused (read as absent they named another key or access point) */
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":"
			 "{\"Range\":\"bytes=0-5\",\"x\":\"y\",\"range\":\"bytes=10-20\"}"),
		"event: userRequest.headers.range appears twice (header names have no case)");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"xAmzRequestId\":\"a\","
			 "\"getObjectContext\":{\"inputS3Url\":\"https://h/k\"},\"x\":{"),
		"event: getObjectContext appears twice");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":5,\"x\":{"),
		"event: userRequest must be an object");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"r\","
		"\"outputToken\":\"t\"},\"configuration\":5}", "event: configuration must be an object");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"configuration\":{\"accessPointArn\":\"" ARN "\""),
		"event: configuration appears twice");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"accessPointArn\":\"" ARN "\""),
		"event: configuration.accessPointArn appears twice");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\",\"payload\":\"{\\\"policy\\\":\\\"a\\\","
			 "\\\"policy\\\":\\\"b\\\"}\""),
		"event: configuration.payload.policy appears twice");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"url\":\"https://h/a\","
			 "\"url\":\"https://h/b\""),
		"event: userRequest.url appears twice");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":[\"Host\"]"),
		"event: userRequest.headers must be an object");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"url\":7"),
		"event: userRequest.url must be a string");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"xAmzRequestId\":\"a\\u0000b\",\"x\":{"),
		"event: xAmzRequestId holds a NUL character");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":{\"H\\u0000\":\"v\"}"),
		"event: userRequest.headers name holds a NUL character");
	refused(GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":{\"H\":\"v\\u0000\"}"),
		"event: userRequest.headers.H holds a NUL character");
	refused(GET_WITH("\"accessPointArn\":\"arn:x/a\\u0000b\""),
		"event: configuration.accessPointArn holds a NUL character");
	refused("{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\\u0000\",\"outputRoute\":\"r\",\"outputToken\":\"t\"}}",
		"event: getObjectContext.inputS3Url holds a NUL character");
}
END_TEST

/* The protocol asks for lenient parsing: what is only logged may be of
 * another type, and headers may be null */
START_TEST(test_informational_fields_lenient)
{
	static const char *const texts[] = {
		GET_WITH("\"accessPointArn\":\"" ARN "\"},\"protocolVersion\":1.01,\"x\":{"),
		GET_WITH("\"accessPointArn\":\"" ARN "\"},\"xAmzRequestId\":123,\"x\":{"),
		GET_WITH("\"accessPointArn\":\"" ARN "\"},\"xAmzRequestId\":{\"a\":[1]},\"x\":{"),
		GET_WITH("\"accessPointArn\":\"" ARN "\"},\"userRequest\":{\"headers\":null"),
	};

	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		ck_assert_msg(parse(texts[i]) == 0, "%s: %s", texts[i], err);
		ck_assert_int_eq(ev.nheaders, 0);
	}
	ck_assert_msg(parse(texts[1]) == 0, "%s", err);
	ck_assert_str_eq(ev.request_id, "");
	ck_assert_str_eq(ev.protocol_version, "");
}
END_TEST

/* A GET's route and token go into the WriteGetObjectResponse host and
 * signed headers as they are: anything that could add a header line or
 * move the request to another host is refused, never cleaned or cut. */
#define GET_OUT(route, token)                                                   \
	"{\"getObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"" route \
	"\",\"outputToken\":\"" token "\"},\"configuration\":{\"accessPointArn\":\"" ARN "\"}}"

START_TEST(test_output_route_and_token)
{
	static const char *const bad_routes[] = {
		"io\\r\\nInjected: yes", "127.0.0.1:8080/x?", "host#", "a@b", "a.b", "a b",
		"a/b", "a_b", "\\u00e9", "a\\tb",
		"a123456789012345678901234567890123456789012345678901234567890123", /* 64 */
	};
	static const char *const bad_tokens[] = {
		"T1\\r\\nx-amz-fwd-status: 200", "T\\nX: y", "T\\rX", "a b", "a\\tb", "\\u007f",
		"\\u00e9", "\\u0001",
	};
	char big[INF_EVENT_TOKEN_MAX + 400];
	int n;

	for (size_t i = 0; i < sizeof bad_routes / sizeof *bad_routes; i++) {
		snprintf(big, sizeof big, GET_OUT("%s", "t"), bad_routes[i]);
		refused(big, "event: getObjectContext.outputRoute is not a host label");
	}
	for (size_t i = 0; i < sizeof bad_tokens / sizeof *bad_tokens; i++) {
		snprintf(big, sizeof big, GET_OUT("r", "%s"), bad_tokens[i]);
		refused(big, "event: getObjectContext.outputToken is not a header value");
	}
	/* the longest of each is taken whole; one byte more is refused */
	ck_assert_msg(parse(GET_OUT("a12345678901234567890123456789012345678901234567890123456789012",
				    "T\\\"q'uote!~")) == 0, "%s", err);
	ck_assert_uint_eq(strlen(ev.output_route), INF_EVENT_ROUTE_MAX);
	ck_assert_str_eq(ev.output_token, "T\"q'uote!~");
	n = snprintf(big, sizeof big, GET_OUT("io-x-1", "%0*d"), INF_EVENT_TOKEN_MAX, 7);
	ck_assert_int_lt(n, (int)sizeof big);
	ck_assert_msg(parse(big) == 0, "%s", err);
	ck_assert_uint_eq(strlen(ev.output_token), INF_EVENT_TOKEN_MAX);
	snprintf(big, sizeof big, GET_OUT("io-x-1", "%0*d"), INF_EVENT_TOKEN_MAX + 1, 7);
	refused(big, "event: getObjectContext.outputToken is not a header value");
	ck_assert(inf_event_route_ok("io-euw1-002") && !inf_event_route_ok(""));
	ck_assert(inf_event_token_ok("OUT1") && !inf_event_token_ok(""));
	/* HEAD and LIST events send no WGOR: their route and token stay free */
	ck_assert_msg(parse("{\"headObjectContext\":{\"inputS3Url\":\"https://h/k\",\"outputRoute\":\"a b\"},"
			    "\"configuration\":{\"accessPointArn\":\"" ARN "\"}}") == 0, "%s", err);
}
END_TEST

START_TEST(test_url_query)
{
	char buf[128], small[5];
	static const char url[] =
		"https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/ev/dt%3D2026_11_28/k.json"
		"?X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&X-Amz-Security-Token=TOK&X-Amz-Signature=SIG";

	ck_assert_str_eq(inf_url_query(url, "X-Amz-SignedHeaders", buf, sizeof buf),
			 "host;x-amz-checksum-mode");
	ck_assert_str_eq(inf_url_query(url, "x-amz-signedheaders", buf, sizeof buf),
			 "host;x-amz-checksum-mode");
	ck_assert_str_eq(inf_url_query(url, "X-AMZ-SECURITY-TOKEN", buf, sizeof buf), "TOK");
	ck_assert_str_eq(inf_url_query(url, "x-amz-signature", buf, sizeof buf), "SIG");
	ck_assert_ptr_eq(inf_url_query(url, "x-amz-signature", buf, sizeof buf), buf);
	ck_assert_ptr_null(inf_url_query(url, "X-Amz-Date", buf, sizeof buf));
	ck_assert_ptr_null(inf_url_query(url, "X-Amz", buf, sizeof buf));
	ck_assert_ptr_null(inf_url_query(url, "Signature", buf, sizeof buf));
	ck_assert_ptr_null(inf_url_query(url, "", buf, sizeof buf));
	ck_assert_ptr_null(inf_url_query("https://h/k.json", "a", buf, sizeof buf));
	ck_assert_ptr_null(inf_url_query("https://h/k.json?", "a", buf, sizeof buf));
	ck_assert_str_eq(inf_url_query("https://h/k?partNumber=2", "partnumber", buf, sizeof buf), "2");
	ck_assert_str_eq(inf_url_query("https://h/k?flag&a=1", "flag", buf, sizeof buf), "");
	ck_assert_str_eq(inf_url_query("https://h/k?flag&a=1", "a", buf, sizeof buf), "1");
	ck_assert_str_eq(inf_url_query("https://h/k?a=&b=2", "a", buf, sizeof buf), "");
	ck_assert_str_eq(inf_url_query("https://h/k?a=1&a=2", "a", buf, sizeof buf), "1");
	ck_assert_str_eq(inf_url_query("https://h/k?a=x%2", "a", buf, sizeof buf), "x%2");
	ck_assert_str_eq(inf_url_query("https://h/k?a=%zz%41%4a%4A", "a", buf, sizeof buf), "%zzAJJ");
	ck_assert_str_eq(inf_url_query("https://h/k?a=1+2=3", "a", buf, sizeof buf), "1+2=3");
	ck_assert_str_eq(inf_url_query("https://h/k?a%62=1&ab=2", "ab", buf, sizeof buf), "2");
	/* a %00 never cuts a value into a shorter one that parses */
	ck_assert_str_eq(inf_url_query("https://h/k?partNumber=1%00x", "partNumber", buf, sizeof buf), "");
	ck_assert_str_eq(inf_url_query("https://h/k?Range=bytes%3D0-5%00junk", "Range", buf, sizeof buf), "");
	ck_assert_str_eq(inf_url_query("https://h/k?a=%000", "a", buf, sizeof buf), "");
	/* a value longer than the buffer is cut, never overflows */
	ck_assert_str_eq(inf_url_query(url, "X-Amz-SignedHeaders", small, sizeof small), "host");
}
END_TEST

/* A message that may quote a credential, in any of the ways S3-compatible
 * servers quote one, is not printed; one that quotes none is. */
START_TEST(test_may_quote_secret)
{
	static const char *const sent[] = { "SIGNATUREVALUE1", NULL, "short" };
	static const struct {
		const char *msg;
		int hit;
	} cases[] = {
		{ "Access Denied", 0 },
		{ "The request signature we calculated does not match the signature you provided.", 0 },
		{ "The AWS Access Key Id you provided does not exist in our records.", 0 },
		{ "short is fine", 0 }, /* a value under 8 bytes is not looked for */
		{ "x X-Amz-Signature=abc", 1 },
		{ "x x-amz-security-token: abc", 1 },
		{ "{\"X-Amz-Credential\":\"abc\"}", 1 },
		{ "/k?X%2DAmz%2DSignature%3Dabc", 1 },
		{ "/k?X-Amz-Signature%253Dabc", 1 },
		{ "X-Amz-Signature&amp;#61;abc", 1 },
		/* encoded twice and three times: decoded until it stops changing */
		{ "/k?X%252DAmz%252DSignature%253Dabc", 1 },
		{ "/k?X%25252DAmz%25252DSignature=abc", 1 },
		{ "the X Amz Signature is abc", 1 },
		{ "Authorization: AWS4-HMAC-SHA256 ...", 1 },
		{ "Credential=AKIA/x, Signature=abc", 1 },
		{ "signature : \"abc\"", 1 },
		{ "x-amz-server-side-encryption-customer-key: abc", 1 },
		{ "denied for SIGNATUREVALUE1", 1 },
		{ "denied for SIGNATURE%56ALUE1", 1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(inf_may_quote_secret(cases[i].msg, sent, 3) == cases[i].hit, "%s",
			      cases[i].msg);
}
END_TEST

START_TEST(test_url_redact)
{
	char buf[256], small[12];

	inf_url_redact("https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/ev/dt%3D2026_11_28/k.json"
		       "?X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&X-Amz-Security-Token=TOK&X-Amz-Signature=SIG",
		       buf, sizeof buf);
	ck_assert_str_eq(buf, "https://ap-444455556666.s3-accesspoint.eu-west-1.amazonaws.com/ev/dt%3D2026_11_28/k.json?<redacted>");
	inf_url_redact("https://user:pass@host.example/p/k.json?X-Amz-Signature=SIG", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://<redacted>@host.example/p/k.json?<redacted>");
	inf_url_redact("http://user:pass@host:9000", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://<redacted>@host:9000");
	/* a password holding '@': none of it is left, up to the last '@' */
	inf_url_redact("https://user:p@ss@w0rd@host.example/k.json", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://<redacted>@host.example/k.json");
	inf_url_redact("https://host/p/k.json", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://host/p/k.json");
	inf_url_redact("https://host/a@b/k.json?x=1", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://host/a@b/k.json?<redacted>");
	inf_url_redact("https://host/k?u=a:b@c", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://host/k?<redacted>");
	inf_url_redact("/k.json?X-Amz-Signature=SIG", buf, sizeof buf);
	ck_assert_str_eq(buf, "/k.json?<redacted>");
	/* a scheme that only shows up inside the query is not an authority */
	inf_url_redact("/p?next=https://u:secret@h/x", buf, sizeof buf);
	ck_assert_str_eq(buf, "/p?<redacted>");
	/* the authority follows "scheme:" and any slashes; a password may
	 * hold '?' or '#' */
	inf_url_redact("http:/user:pw@h/k", buf, sizeof buf);
	ck_assert_str_eq(buf, "http:/<redacted>@h/k");
	inf_url_redact("http:user:pw@h:1/k", buf, sizeof buf);
	ck_assert_str_eq(buf, "http:<redacted>@h:1/k");
	inf_url_redact("http://user:pa?s#s@h/k?q", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://<redacted>@h/k?<redacted>");
	/* something before the URL: its "://" still starts the authority */
	inf_url_redact(" https://u:pw@h/k", buf, sizeof buf);
	ck_assert_str_eq(buf, " https://<redacted>@h/k");
	/* a query moved into the path, or started by ';' or '&' */
	inf_url_redact("http://h/k%3fX-Amz-Signature=S", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://h/k%3f<redacted>");
	inf_url_redact("http://h/k%23frag", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://h/k%23<redacted>");
	inf_url_redact("http://h/k;X-Amz-Signature=S", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://h/k;<redacted>");
	inf_url_redact("http://h/k&X-Amz-Signature=S", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://h/k&<redacted>");
	inf_url_redact("", buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	/* cut to the buffer, never past it */
	inf_url_redact("https://host/k?secret", small, sizeof small);
	ck_assert_str_eq(small, "https://hos");
}
END_TEST

START_TEST(test_show_name)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "-", "stdin" },
		{ "data/in.ndjson", "data/in.ndjson" },
		/* a file name keeps its '?': only a URL's query is a credential */
		{ "odd?name#1", "odd?name#1" },
		{ "https://u:pw@b.s3.amazonaws.com/k.json?X-Amz-Signature=SIG#frag",
		  "https://<redacted>@b.s3.amazonaws.com/k.json?<redacted>" },
		{ "file:///tmp/a.json#frag", "file:///tmp/a.json#<redacted>" },
		/* one line, whatever the name holds */
		{ "a\nruntime: forged\x1b[2J", "a\\x0aruntime: forged\\x1b[2J" },
		{ "https://h/k\n?sig", "https://h/k\\x0a?<redacted>" },
		/* a credential's name, however spelt, takes a name for a URL;
		 * one left before any query hides the whole name */
		{ "k.json%3FX-Amz-Signature=S", "k.json%3F<redacted>" },
		{ "k.json;x-amz-credential=S", "k.json;<redacted>" },
		{ "http://h/k%58-Amz-Signature=S", "<redacted>" },
		{ "http://h/k%2558-Amz-Signature=S", "<redacted>" },
		{ "x%252DAmz%252DSignature=S.json", "<redacted>" },
		{ "/tmp/X-Amz-Security-Token=S", "<redacted>" },
		{ "http:user:pw@h/k", "http:<redacted>@h/k" },
		/* file names that only look so: shown whole */
		{ "tax-amz-credentials.ndjson", "tax-amz-credentials.ndjson" },
		{ "notes:v2&final.ndjson", "notes:v2&final.ndjson" },
		{ "run:1;x.ndjson", "run:1;x.ndjson" },
		{ "report;2024.ndjson", "report;2024.ndjson" },
	};
	char buf[256], small[8];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		inf_show_name(cases[i].in, buf, sizeof buf);
		ck_assert_str_eq(buf, cases[i].want);
	}
	inf_show_name("0123456789", small, sizeof small);
	ck_assert_str_eq(small, "0123456");
}
END_TEST

static Suite *event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_head_as_printed);
	tcase_add_test(tc, test_list_v2);
	tcase_add_test(tc, test_list_v1);
	tcase_add_test(tc, test_payload_policy);
	tcase_add_test(tc, test_payload_fallback);
	tcase_add_test(tc, test_escapes_and_unknown_members);
	tcase_add_test(tc, test_escaped_member_names);
	tcase_add_test(tc, test_key_from_user_url_not_decoded_again);
	tcase_add_test(tc, test_key_stops_at_query_and_fragment);
	tcase_add_test(tc, test_may_quote_secret);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_refused_fields);
	tcase_add_test(tc, test_header_count);
	tcase_add_test(tc, test_output_route_and_token);
	tcase_add_test(tc, test_url_query);
	tcase_add_test(tc, test_informational_fields_lenient);
	tcase_add_test(tc, test_url_redact);
	tcase_add_test(tc, test_show_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(event_suite());
}
