/*
 * URLs and file names as messages and logs may print them: a presigned
 * URL's query is a credential, and a name from the command line or an
 * event may hold control bytes.
 */
#ifndef INF_REDACT_H
#define INF_REDACT_H

#include <stddef.h>

/* Writes `url` without its query string and credentials, for logs. */
void inf_url_redact(const char *url, char *buf, size_t buflen);

/* Writes a file name or URL from the command line or an event as a
 * message may print it, on one line (inf_one_line): "-" is "stdin"; a
 * name holding "://" is taken for a URL, its query, fragment and
 * credentials redacted (a presigned URL given where a file was expected
 * must not print its signature). */
void inf_show_name(const char *name, char *buf, size_t buflen);

#endif
