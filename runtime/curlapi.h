/*
 * libcurl, loaded when first needed. Only the modes that fetch over
 * http(s) or talk to the Lambda Runtime API call inf_curl_load(); filter
 * mode and file:// events never map libcurl and the 30-odd libraries it
 * pulls in, which were half of the start-up time.
 *
 * Include this instead of <curl/curl.h>: the curl_* calls the runtime
 * makes go through the table below, filled by inf_curl_load().
 */
#ifndef INF_CURLAPI_H
#define INF_CURLAPI_H

#include <stddef.h>

#define CURL_DISABLE_TYPECHECK /* the calls are macros below, not functions */
#include <curl/curl.h>

struct inf_curl_api {
	int loaded;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *curl);
	void (*easy_reset)(CURL *curl);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

extern struct inf_curl_api inf_curl;

/* Loads libcurl.so.4 once. Returns 0, or -1 with a one-line reason in
 * `err` (`n` bytes). */
int inf_curl_load(char *err, size_t n);

struct inf_error;

/* inf_sigv4_sign's `add` (runtime/sigv4.h): appends a copy of `line` to
 * the curl_slist at *(struct curl_slist **)ctx, which the caller frees
 * with inf_curl_free_lines. Returns 0, or -1 with err set (out of
 * memory). */
int inf_curl_add_line(void *ctx, const char *line, struct inf_error *err);

/* Resets `curl` for its next transfer (curl_easy_reset) and keeps that
 * transfer off a kept-alive connection that has bytes or a close waiting
 * on it: libcurl 7.88 checks idle connections at most once a second, and
 * reuses one with bytes a misbehaving source left there (a body after a
 * HEAD's headers, a second answer after a body), reading them as the
 * answer to the next request: another caller's. The handle then caches
 * one connection, so that the stale one is closed, not kept for later. */
void inf_curl_reset(CURL *curl);

struct curl_slist;

/* curl_slist_free_all for header lists that may hold secrets (the session
 * token, an SSE-C key): each line is zeroed before it is freed. libcurl's
 * own copy of the request it sent is beyond reach. */
void inf_curl_free_lines(struct curl_slist *list);

/* curl.h makes these two macros that check the argument count */
#undef curl_easy_setopt
#undef curl_easy_getinfo

#define curl_global_init (inf_curl.global_init)
#define curl_global_cleanup (inf_curl.global_cleanup)
#define curl_easy_init (inf_curl.easy_init)
#define curl_easy_cleanup (inf_curl.easy_cleanup)
#define curl_easy_reset (inf_curl.easy_reset)
#define curl_easy_setopt (inf_curl.easy_setopt)
#define curl_easy_perform (inf_curl.easy_perform)
#define curl_easy_getinfo (inf_curl.easy_getinfo)
#define curl_easy_strerror (inf_curl.easy_strerror)
#define curl_slist_append (inf_curl.slist_append)
#define curl_slist_free_all (inf_curl.slist_free_all)

#endif
