#include "redact.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

void inf_url_redact(const char *url, char *buf, size_t buflen)
{
	const char *q = strchr(url, '?'), *s, *at;
	size_t n = q ? (size_t)(q - url) : strlen(url);

	/* user:password@ in the authority goes too, up to its last '@' (a
	 * password may hold one); a "://" in the query is no scheme */
	s = memmem(url, n, "://", 3);
	at = NULL;
	if (s) {
		const char *slash = memchr(s + 3, '/', n - (size_t)(s + 3 - url));
		at = memrchr(s + 3, '@', (size_t)((slash ? slash : url + n) - (s + 3)));
	}
	if (at)
		snprintf(buf, buflen, "%.*s<redacted>@%.*s%s", (int)(s + 3 - url), url,
			 (int)(n - (size_t)(at + 1 - url)), at + 1, q ? "?<redacted>" : "");
	else
		snprintf(buf, buflen, "%.*s%s", (int)n, url, q ? "?<redacted>" : "");
}

void inf_show_name(const char *name, char *buf, size_t buflen)
{
	char url[1024], *hash;

	if (!strcmp(name, "-")) {
		snprintf(buf, buflen, "stdin");
		return;
	}
	if (strstr(name, "://")) {
		inf_url_redact(name, url, sizeof url);
		if ((hash = strchr(url, '#')))
			snprintf(hash, sizeof url - (size_t)(hash - url), "#<redacted>");
		name = url;
	}
	inf_one_line(name, buf, buflen);
}
