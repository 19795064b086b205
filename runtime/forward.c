#include "forward.h"

#include <string.h>
#include <strings.h>

static const char *const forward_names[] = {
	"Cache-Control", "Content-Disposition", "Content-Language",
	"Content-Type", "Expires", "Last-Modified", "x-amz-delete-marker",
	"x-amz-expiration", "x-amz-missing-meta",
	"x-amz-object-lock-mode", "x-amz-object-lock-legal-hold",
	"x-amz-object-lock-retain-until-date", "x-amz-replication-status",
	"x-amz-request-charged", "x-amz-restore", "x-amz-server-side-encryption",
	"x-amz-server-side-encryption-aws-kms-key-id",
	"x-amz-server-side-encryption-bucket-key-enabled",
	"x-amz-server-side-encryption-customer-algorithm",
	"x-amz-server-side-encryption-customer-key-MD5",
	"x-amz-storage-class", "x-amz-tagging-count", "x-amz-version-id",
	NULL
};

int inf_header_name_ok(const char *name)
{
	const char *p = name;

	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~", *p)))
			return 0;
	return p > name;
}

int inf_forwardable(const char *name)
{
	if (!inf_header_name_ok(name))
		return 0;
	if (!strncasecmp(name, "x-amz-meta-", 11) && name[11])
		return 1;
	for (int i = 0; forward_names[i]; i++)
		if (!strcasecmp(name, forward_names[i]))
			return 1;
	return 0;
}

const char *inf_fail_code(enum inf_fail kind)
{
	switch (kind) {
	case INF_FAIL_DENIED: return "AccessDenied";
	case INF_FAIL_INPUT: return "InvalidObjectFormat";
	case INF_FAIL_TOO_LARGE: return "ObjectTooLarge";
	case INF_FAIL_TRANSFORM: return "TransformFailed";
	case INF_FAIL_SOURCE: return "SourceUnavailable";
	case INF_FAIL_EVENT: return "InvalidEvent";
	case INF_FAIL_POLICY: return "PolicyUnavailable";
	default: return "InternalError";
	}
}

int inf_fail_status(enum inf_fail kind)
{
	switch (kind) {
	case INF_FAIL_DENIED: return 403;
	case INF_FAIL_SOURCE: return 503;
	default: return 500;
	}
}
