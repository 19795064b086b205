/*
 * URLs and file names as messages and logs may print them: a presigned
 * URL's query is a credential, and a name from the command line or an
 * event may hold control bytes.
 */
#ifndef INF_REDACT_H
#define INF_REDACT_H

#include <stddef.h>

/* Writes `url` for logs without what may carry a credential: the
 * user:password@ of its authority (after "scheme:" and any slashes, up to
 * the last '@' before the path), and everything from the first '?', '#',
 * ';', '&', "%3F" or "%23" on, each replaced by "<redacted>". */
void inf_url_redact(const char *url, char *buf, size_t buflen);

/* Writes a file name or URL from the command line, an event or a policy
 * as a message may print it, on one line (inf_one_line): "-" is "stdin";
 * a name holding "://", starting with http:, https:, file: or s3: or
 * another scheme and '/' ("http:/h/k?..."), or naming X-Amz-Signature,
 * -Credential or -Security-Token where a word starts (in any case,
 * %-encoded or not) is taken for a URL and redacted (inf_url_redact): a
 * presigned URL given where a file was expected must not print its
 * signature. If a credential's name is still there after that, the whole
 * name is "<redacted>". */
void inf_show_name(const char *name, char *buf, size_t buflen);

/* Whether `text` (an S3 error message: the source's, which may quote the
 * request) may hold a credential, and so must not be printed at all:
 * decoded until it stops changing (%XX, &#N;, &#xN;, &amp;, four rounds
 * at most), it names a credential (X-Amz-Signature, X-Amz-Credential,
 * X-Amz-Security-Token, an SSE-C key, Authorization, in any case and with
 * any punctuation between the words), has "signature" or "credential"
 * followed by '=' or ':' (quotes and spaces between), or holds one of the
 * n `values` of 8 bytes or more (what the request sent: its signature,
 * token, keys). Redacting a value in place would trust every way a
 * message can quote it; the message is left out instead. */
int inf_may_quote_secret(const char *text, const char *const *values, size_t n);

#endif
