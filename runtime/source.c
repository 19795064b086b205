#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "env.h"
#include "conditions.h"
#include "redact.h"
#include "xml.h"

long long inf_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define CHUNK (1u << 20)
#define ERRBODY_MAX (64u * 1024u)
/* Whether the file behind fd changed since `was` (its fstat when opened),
 * `got` bytes having been read from its start: cut, grown or rewritten
 * while read. A file whose size said 0 (/proc's) is judged by its size
 * and time alone. */
static int file_changed(int fd, const struct stat *was, unsigned long long got)
{
	struct stat now;

	if (fstat(fd, &now))
		return 1;
	return now.st_size != was->st_size || now.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	       now.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
	       (was->st_size > 0 && got != (unsigned long long)was->st_size);
}

/* Opens `path` ("-": stdin, *st then zeroed) for reading and fstats it
 * into *st. `url`: the path of a file URL, which must be a regular file:
 * a pipe or device has no end INFLIGHT_SOURCE_TIMEOUT could bound. It is
 * opened without waiting, so that a FIFO there cannot hold the open for
 * ever. Returns the descriptor, or -1 with err set naming `name`. */
static int open_file(const char *path, const char *name, int url, struct stat *st,
		     struct inf_error *err)
{
	int fd;

	memset(st, 0, sizeof *st);
	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC | (url ? O_NONBLOCK : 0));
	if (fd < 0)
		return inf_error_set(err, INF_FAIL_SOURCE, "%s: cannot open: %s", name,
				     strerror(errno));
	if (fstat(fd, st))
		inf_error_set(err, INF_FAIL_SOURCE, "%s: cannot stat: %s", name,
			      strerror(errno));
	else if (url && !S_ISREG(st->st_mode))
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: not a regular file (a file URL names a file)", name);
	else
		return fd;
	close(fd);
	return -1;
}

/* As inf_source_file_lend; errors name the file `name`; `url` as
 * open_file's. A regular file the runtime opens (not stdin) that is cut,
 * grown or rewritten while it is read fails: the bytes read are no one
 * version of it. */
static int file_lend(const char *path, const char *name, int url,
		     const struct inf_lender *l, void *ctx, struct inf_error *err)
{
	int rc = -1;
	unsigned long long got = 0;
	struct stat st;
	int fd = open_file(path, name, url, &st, err);

	if (fd < 0)
		return -1;
	for (;;) {
		size_t room = 0;
		char *dst = l->space(ctx, &room, err);
		ssize_t n;

		if (!dst)
			goto out;
		n = read(fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			inf_error_set(err, INF_FAIL_SOURCE, "%s: read failed: %s", name,
				      strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (unsigned long long)n;
		if (l->commit(ctx, (size_t)n, err))
			goto out;
	}
	if (fd != STDIN_FILENO && S_ISREG(st.st_mode) && file_changed(fd, &st, got)) {
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: changed while it was read (cut, grown or rewritten): "
			      "what was read is no one version of it", name);
		goto out;
	}
	rc = 0;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	return rc;
}

int inf_source_file_lend(const char *path, const struct inf_lender *l,
			 void *ctx, struct inf_error *err)
{
	char name[1024];

	inf_show_name(path, name, sizeof name);
	return file_lend(path, name, 0, l, ctx, err);
}

/* inf_source_file's lender: one chunk, passed on to the data callback. */
struct chunked {
	inf_data_fn data;
	void *ctx;
	char *buf;
};

static char *chunk_space(void *ctx, size_t *room, struct inf_error *err)
{
	struct chunked *c = ctx;

	if (!c->buf && !(c->buf = malloc(CHUNK))) {
		inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
		return NULL;
	}
	*room = CHUNK;
	return c->buf;
}

static int chunk_commit(void *ctx, size_t n, struct inf_error *err)
{
	struct chunked *c = ctx;
	return c->data(c->ctx, c->buf, n, err);
}

/* As inf_source_file; errors name the file `name`; `url` as file_lend's. */
static int file_read(const char *path, const char *name, int url, inf_data_fn data,
		     void *ctx, struct inf_error *err)
{
	static const struct inf_lender chunks = { chunk_space, chunk_commit };
	struct chunked c = { data, ctx, NULL };
	int rc = file_lend(path, name, url, &chunks, &c, err);

	free(c.buf);
	return rc;
}

int inf_source_file(const char *path, inf_data_fn data, void *ctx,
		    struct inf_error *err)
{
	char name[1024];

	inf_show_name(path, name, sizeof name);
	return file_read(path, name, 0, data, ctx, err);
}

/* What a HEAD of a local file learns: that it is a regular file that can
 * be opened for reading. No byte of it goes anywhere. Returns 0, or -1
 * with err set. */
static int file_head(const char *path, const char *name, struct inf_error *err)
{
	struct stat st;
	int fd = open_file(path, name, 1, &st, err);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* The local path a file:// URL names (RFC 8089): the host is empty or
 * localhost, the path absolute and percent-decoded; the query and the
 * fragment are no part of it. `shown` is the URL as it may be printed.
 * Returns a path the caller frees, or NULL with err set. */
static char *file_url_path(const char *url, const char *shown, struct inf_error *err)
{
	const char *host = url + 7, *end = host + strcspn(host, "?#");
	const char *p = memchr(host, '/', (size_t)(end - host));
	size_t hlen, o = 0;
	char *path;

	if (!p) {
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: not an absolute file URL (file:///path or file://localhost/path)",
			      shown);
		return NULL;
	}
	hlen = (size_t)(p - host);
	if (hlen && !(hlen == 9 && !strncasecmp(host, "localhost", 9))) {
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: a file URL's host must be empty or localhost", shown);
		return NULL;
	}
	if (!(path = malloc((size_t)(end - p) + 1))) {
		inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
		return NULL;
	}
	for (; p < end; p++) {
		int hi, lo;
		if (*p != '%') {
			path[o++] = *p;
			continue;
		}
		hi = end - p > 2 ? inf_hex_digit(p[1]) : -1;
		lo = hi >= 0 ? inf_hex_digit(p[2]) : -1;
		if (lo < 0 || (hi == 0 && lo == 0)) {
			inf_error_set(err, INF_FAIL_SOURCE,
				      "%s: bad percent-encoding in a file URL (%%XX, not %%00)", shown);
			free(path);
			return NULL;
		}
		path[o++] = (char)(hi * 16 + lo);
		p += 2;
	}
	path[o] = '\0';
	return path;
}

struct fetch {
	inf_data_fn data;
	void *ctx;
	struct inf_error *err;
	struct inf_source_result *res;
	CURL *curl;
	int checked;
	int data_failed;
	const char *unframed; /* a 200 whose body's end is unknown: why */
	int too_many; /* more than INF_SOURCE_MAX_HEADERS headers */
	int ended;    /* the response's header block ended: what the header
			 callback gets next, before another status line, is
			 a chunked body's trailer, not the object's metadata */
	struct inf_buf errbody;
};

static void clear_headers(struct inf_source_result *res)
{
	for (size_t i = 0; i < res->nheaders; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	res->nheaders = 0;
	res->etag[0] = '\0';
	res->netags = 0;
}

void inf_source_result_free(struct inf_source_result *res)
{
	clear_headers(res);
	free(res->headers);
	res->headers = NULL;
	res->headers_cap = 0;
}

static size_t header_cb(char *p, size_t size, size_t n, void *ud)
{
	struct fetch *f = ud;
	size_t len = size * n, nl, vs, ve;
	const char *colon;
	struct inf_header *h;

	if (len >= 5 && !memcmp(p, "HTTP/", 5)) {
		clear_headers(f->res); /* a new response (after 100 or a redirect) */
		f->ended = 0;
		return len;
	}
	if (f->ended)
		return len;
	if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		f->ended = 1;
		return len;
	}
	if (!(colon = memchr(p, ':', len)))
		return len;
	nl = (size_t)(colon - p);
	vs = nl + 1;
	while (vs < len && (p[vs] == ' ' || p[vs] == '\t'))
		vs++;
	ve = len;
	while (ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' || p[ve - 1] == ' '))
		ve--;
	/* kept apart: a HEAD's read is pinned to it */
	if (nl == 4 && !strncasecmp(p, "ETag", 4) && f->res->netags++ == 0 &&
	    ve - vs < sizeof f->res->etag && !memchr(p + vs, '\0', ve - vs)) {
		memcpy(f->res->etag, p + vs, ve - vs);
		f->res->etag[ve - vs] = '\0';
	}
	if (f->res->nheaders == INF_SOURCE_MAX_HEADERS) {
		f->too_many = 1;
		return 0;
	}
	if (inf_array_grow(&f->res->headers, &f->res->headers_cap, f->res->nheaders + 1,
			   sizeof *f->res->headers))
		return 0;
	h = &f->res->headers[f->res->nheaders];
	h->name = strndup(p, nl);
	h->value = strndup(p + vs, ve - vs);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return 0;
	}
	f->res->nheaders++;
	return len;
}

/* Whether the 200 just read said where its body ends: NULL when it did,
 * with one Content-Length or chunked framing (HTTP/2 and later frame every
 * body), else why not. Without either, HTTP/1 ends the body at the
 * connection's close, so a cut body would look whole: S3 always sends
 * Content-Length. */
static const char *body_unframed(CURL *curl, const struct inf_source_result *res)
{
	static const char none[] = "without one Content-Length or chunked framing";
	curl_off_t cl = -1;
	long version = 0;
	const char *len = NULL;
	int chunked = 0;

	/* two Content-Length values that differ: libcurl takes the last,
	 * which may cut the body (RFC 9112 6.3: unrecoverable) */
	for (size_t i = 0; i < res->nheaders; i++)
		if (!strcasecmp(res->headers[i].name, "Content-Length")) {
			if (len && strcmp(len, res->headers[i].value))
				return none;
			len = res->headers[i].value;
		} else if (!strcasecmp(res->headers[i].name, "Transfer-Encoding") &&
			   strcasestr(res->headers[i].value, "chunked")) {
			chunked = 1;
		}

	curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version);
	if (version >= CURL_HTTP_VERSION_2_0)
		return NULL;
	/* libcurl then reads the chunks and ignores the length, which may
	 * be the whole object's: RFC 9112 6.3 says to treat it as an error */
	if (len && chunked)
		return "with both Content-Length and chunked framing";
	curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	return cl >= 0 || chunked ? NULL : none;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct fetch *f = ud;
	size_t len = size * n;

	if (!f->checked) {
		curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->res->status);
		f->checked = 1;
		/* the headers are all in: refuse an unframed body before any of
		 * it reaches the transform */
		if (f->res->status == 200 &&
		    (f->unframed = body_unframed(f->curl, f->res)))
			return 0;
	}
	if (f->res->status != 200) { /* an error, or not the whole object */
		size_t room = ERRBODY_MAX - f->errbody.len;
		inf_buf_append(&f->errbody, p, len < room ? len : room);
		return len;
	}
	if (f->data(f->ctx, p, len, f->err)) {
		f->data_failed = 1;
		return 0;
	}
	return len;
}

/* Whether a source's error message may quote what this request sent
 * (inf_may_quote_secret): the presigned URL's credentials, the role's
 * token and key, every header value sent, an Authorization header's
 * signature on its own. With more headers than it looks at, it may. */
static int quotes_request(const char *url, const struct curl_slist *h, const char *msg)
{
	static const char *const names[] = { "X-Amz-Signature", "X-Amz-Credential",
		"X-Amz-Security-Token" };
	char qv[3][4096];
	const char *v[5 + 64];
	size_t n = 0;

	for (size_t i = 0; i < 3; i++)
		if (inf_url_query(url, names[i], qv[i], sizeof qv[i]))
			v[n++] = qv[i];
	v[n++] = getenv("AWS_SESSION_TOKEN");
	v[n++] = getenv("AWS_SECRET_ACCESS_KEY");
	for (; h && n + 2 <= sizeof v / sizeof *v; h = h->next) {
		const char *c = strchr(h->data, ':'), *sig;
		if (!c)
			continue;
		v[n++] = c + 1 + strspn(c + 1, " ");
		if ((sig = strcasestr(c, "Signature=")))
			v[n++] = sig + strlen("Signature=");
	}
	return h || inf_may_quote_secret(msg, v, n);
}

/* Copies the text of <tag>...</tag> in the XML body, character
 * references decoded (inf_xml_text), line breaks as spaces, cut to fit;
 * "" without one. Text whose references do not decode is left out:
 * undecoded, a reference could hide the '=' after a secret's name. The
 * text is left out too when `url` is given and the whole of it may quote
 * what the request sent (quotes_request: hdrs). */
static void xml_text(const struct inf_buf *b, const char *tag, const char *url,
		     const struct curl_slist *hdrs, char *out, size_t outlen)
{
	char open[32], close[32], *text;
	const char *s, *e;
	size_t o = 0;

	out[0] = '\0';
	if (!b->len || inf_buf_putc((struct inf_buf *)b, '\0'))
		return;
	((struct inf_buf *)b)->len--;
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	if (!(s = strstr(b->data, open)) || !(e = strstr(s, close)))
		return;
	if (!(text = inf_xml_text(s + strlen(open), e))) {
		snprintf(out, outlen, "(not decodable)");
		return;
	}
	if (url && quotes_request(url, hdrs, text)) {
		snprintf(out, outlen, "(left out: it may quote the request's credentials)");
		free(text);
		return;
	}
	for (const char *t = text; *t && o + 1 < outlen; t++)
		out[o++] = (*t == '\r' || *t == '\n') ? ' ' : *t;
	out[o] = '\0';
	free(text);
}


static int valid_code(const char *c)
{
	if (!(c[0] >= 'A' && c[0] <= 'Z') || !c[1])
		return 0;
	for (c++; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return 0;
	return 1;
}

static const char *code_for_status(long st)
{
	switch (st) {
	case 304: return "NotModified";
	case 400: return "InvalidRequest";
	case 403: return "AccessDenied";
	case 404: return "NoSuchKey";
	case 412: return "PreconditionFailed";
	case 416: return "InvalidRange";
	case 503: return "ServiceUnavailable";
	default: return st >= 400 && st < 500 ? "InvalidRequest" : "InternalError";
	}
}

static const char *const conditional[] = { "If-Match", "If-None-Match",
	"If-Modified-Since", "If-Unmodified-Since", NULL };

/* A header value that can be sent as it is: no control byte but HTAB
 * (CR or LF would end the header and start another). */
static int safe_value(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* Signed or not, these never go to the source: the whole object is read
 * and Range or partNumber are applied to the transformed one, and the
 * presigned URL is the only authorization (shared docs §3). */
static int never_replayed(const char *name)
{
	static const char *const never[] = { "host", "range", "authorization",
		"partnumber", NULL };

	for (int i = 0; never[i]; i++)
		if (!strcasecmp(name, never[i]))
			return 1;
	return 0;
}

/* Whether `name` is one of the ';'-separated names in `list`, any case. */
static int in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ";");
		if (len == n && !strncasecmp(p, name, n))
			return 1;
		p += len + (p[len] == ';');
	}
	return 0;
}

/* Headers to send: those the URL signed (but never_replayed) and the If-*
 * ones it did not sign. Each goes out once: S3 signs a repeated header's
 * values joined with ',', which never matches the one value the URL signed. */
static struct curl_slist *request_headers(const char *url,
					  const struct inf_event *ev, int *bad)
{
	struct curl_slist *list = NULL, *l2;
	char signed_hdrs[2048], signed_list[2048] = "", line[8192];

	*bad = 0;
	if (!ev)
		return NULL;
	/* a list cut at 2047 bytes (S3 signs far fewer) loses the header
	 * cut in two: it is not replayed, and S3 refuses the signature */
	if (inf_url_query(url, "X-Amz-SignedHeaders", signed_hdrs, sizeof signed_hdrs)) {
		char *save = NULL;

		snprintf(signed_list, sizeof signed_list, "%s", signed_hdrs);
		for (char *h = strtok_r(signed_hdrs, ";", &save); h;
		     h = strtok_r(NULL, ";", &save)) {
			const char *v;
			/* a tag the view cannot have is never sent, signed or not
			 * (conditions.h): S3 then refuses the signature, whatever
			 * the tag, so nothing tells one tag from another */
			if (never_replayed(h) || !inf_condition_sent(ev, h))
				continue;
			v = inf_event_header(ev, h);
			if (!v || !safe_value(v))
				continue; /* S3 will refuse; it says why */
			snprintf(line, sizeof line, "%s: %s", h, v);
			if (!(l2 = curl_slist_append(list, line)))
				goto nomem;
			list = l2;
		}
	}
	for (int i = 0; conditional[i]; i++) {
		const char *v = inf_event_header(ev, conditional[i]);
		if (!v || !safe_value(v) || in_list(signed_list, conditional[i]) ||
		    !inf_condition_sent(ev, conditional[i]))
			continue;
		snprintf(line, sizeof line, "%s: %s", conditional[i], v);
		if (!(l2 = curl_slist_append(list, line)))
			goto nomem;
		list = l2;
	}
	explicit_bzero(line, sizeof line); /* an SSE-C key may have been in it */
	return list;
nomem:
	explicit_bzero(line, sizeof line);
	inf_curl_free_lines(list);
	*bad = 1;
	return NULL;
}

long inf_source_timeout(struct inf_error *err)
{
	long long n = inf_env_whole(INF_ENV_SOURCE_TIMEOUT);

	if (n < 0)
		return inf_error_set(err, INF_FAIL_USAGE,
				     "INFLIGHT_SOURCE_TIMEOUT must be whole seconds, 1 to 86400");
	return (long)n;
}

/* The URL for signing with our own credentials: without the presigned
 * query, but with its versionId (as it stands: S3's presigned URLs encode
 * it canonically), so the read names the version the caller asked for,
 * not the latest; a byte of the path that is not printable ASCII
 * %-encoded. NULL when out of memory. */
static char *signed_read_url(const char *url)
{
	const char *q = strchr(url, '?'), *p, *version = NULL;
	struct inf_buf b = { 0 };

	/* a byte that is not printable ASCII goes %-encoded (upper case, as
	 * signed: libcurl would encode it in lower case after signing) */
	for (p = url; p < (q ? q : url + strlen(url)); p++) {
		char hex[4];
		if ((unsigned char)*p >= 0x21 && (unsigned char)*p <= 0x7e) {
			if (inf_buf_putc(&b, *p))
				goto nomem;
			continue;
		}
		snprintf(hex, sizeof hex, "%%%02X", (unsigned char)*p);
		if (inf_buf_append(&b, hex, 3))
			goto nomem;
	}
	if (!q) {
		if (inf_buf_putc(&b, '\0'))
			goto nomem;
		return b.data;
	}
	for (p = q + 1; *p && *p != '#' && !version;) {
		size_t len = strcspn(p, "&#");
		if (!strncmp(p, "versionId=", 10))
			version = p;
		else
			p += len + (p[len] == '&');
	}
	if ((version && (inf_buf_putc(&b, '?') ||
			 inf_buf_append(&b, version, strcspn(version, "&#")))) ||
	    inf_buf_putc(&b, '\0'))
		goto nomem;
	return b.data;
nomem:
	inf_buf_free(&b);
	return NULL;
}

int inf_source_fetch(CURL *curl, const char *url,
		     const struct inf_fetch_opts *o, inf_data_fn data,
		     void *ctx, struct inf_source_result *res,
		     struct inf_error *err)
{
	struct fetch f = { .data = data, .ctx = ctx, .err = err, .res = res, .curl = curl };
	struct curl_slist *hdrs = NULL;
	char shown[1024], *plain = NULL;
	const char *region = getenv("AWS_REGION"), *token = getenv("AWS_SESSION_TOKEN");
	CURLcode cc;
	long limit_s = 0;
	long long started;
	int rc = -1, bad;

	inf_source_result_free(res); /* what a reused one held */
	memset(res, 0, sizeof *res);
	if (o && o->name)
		inf_one_line(o->name, shown, sizeof shown);
	else
		inf_show_name(url, shown, sizeof shown);
	if (!strncmp(url, "file://", 7)) {
		char *path = file_url_path(url, shown, err);
		if (!path)
			return -1;
		res->status = 200;
		rc = o->head ? file_head(path, shown, err)
			     : file_read(path, shown, 1, data, ctx, err);
		free(path);
		return rc;
	}
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return inf_error_set(err, INF_FAIL_SOURCE,
				     "%s: only http, https and file URLs can be read", shown);
	if (!o->deadline_ms && (limit_s = inf_source_timeout(err)) < 0)
		return -1;
	if (!f.curl && !(f.curl = curl_easy_init()))
		return inf_error_set(err, INF_FAIL_NOMEM, "cannot create a curl handle");
	inf_curl_reset(f.curl);
	/* a body after a HEAD's headers would wait on the connection for the
	 * next request to read as its answer */
	if (o->head)
		curl_easy_setopt(f.curl, CURLOPT_FORBID_REUSE, 1L);
	hdrs = o->sign_s3 ? NULL : request_headers(url, o->ev, &bad);
	if (o->sign_s3) {
		struct inf_sigv4 sig = { .method = o->head ? "HEAD" : "GET",
			.service = "s3", .region = region && *region ? region : "us-east-1",
			.key_id = getenv("AWS_ACCESS_KEY_ID"),
			.secret = getenv("AWS_SECRET_ACCESS_KEY"), .token = token,
			.when = time(NULL), .headers = o->sign_headers,
			.nheaders = o->nsign_headers };
		if (!(plain = signed_read_url(url))) {
			inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			goto out;
		}
		sig.url = plain;
		if (inf_sigv4_sign(&sig, inf_curl_add_line, &hdrs, err)) {
			inf_error_prefix(err, shown);
			goto out;
		}
	} else if (bad) {
		inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
		goto out;
	}
	if (o->deadline_ms) {
		long long left = o->deadline_ms - inf_clock_ms();
		curl_easy_setopt(f.curl, CURLOPT_TIMEOUT_MS, left > 1 ? (long)left : 1L);
	} else {
		curl_easy_setopt(f.curl, CURLOPT_TIMEOUT, limit_s);
	}
	if (o->head)
		curl_easy_setopt(f.curl, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(f.curl, CURLOPT_URL, plain ? plain : url);
	/* byte for byte: curl would otherwise squash "/a/../b" to "/b" and
	 * fetch a key other than the one the access point's prefixes passed */
	if (curl_easy_setopt(f.curl, CURLOPT_PATH_AS_IS, 1L) != CURLE_OK) {
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: this libcurl cannot send the path as it is", shown);
		goto out;
	}
	curl_easy_setopt(f.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (getenv("CURL_CA_BUNDLE") && *getenv("CURL_CA_BUNDLE"))
		curl_easy_setopt(f.curl, CURLOPT_CAINFO, getenv("CURL_CA_BUNDLE"));
	curl_easy_setopt(f.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f.curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(f.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(f.curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(f.curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f.curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(f.curl, CURLOPT_HEADERDATA, &f);
	curl_easy_setopt(f.curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(f.curl, CURLOPT_WRITEDATA, &f);
	/* the body in pieces of up to 256 KiB, not 16: fewer receives and
	 * calls into the transform (a hint: libcurl may use less) */
	curl_easy_setopt(f.curl, CURLOPT_BUFFERSIZE, 256L * 1024L);
	started = inf_clock_ms();
	cc = curl_easy_perform(f.curl);
	if (f.data_failed)
		goto out;
	if (f.too_many) {
		curl_easy_getinfo(f.curl, CURLINFO_RESPONSE_CODE, &res->status);
		snprintf(res->code, sizeof res->code, "SourceUnavailable");
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: source answered with more than %d headers: not read",
			      shown, INF_SOURCE_MAX_HEADERS);
		goto out;
	}
	/* write_cb saw the status only when a body came: an empty one has
	 * to be checked for framing too (a close before its first byte) */
	if (cc == CURLE_OK)
		curl_easy_getinfo(f.curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (!f.unframed && cc == CURLE_OK && res->status == 200 && !o->head)
		f.unframed = body_unframed(f.curl, res);
	if (f.unframed) {
		res->status = 200;
		snprintf(res->code, sizeof res->code, "SourceUnavailable");
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: source answered 200 %s: a cut body could not be told from "
			      "the whole", shown, f.unframed);
		goto out;
	}
	if (cc != CURLE_OK) {
		res->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		res->transport_failed = 1;
		if (res->timed_out && limit_s && inf_clock_ms() - started >= limit_s * 1000 - 50)
			inf_error_set(err, INF_FAIL_SOURCE,
				      "%s: cannot fetch: not done within %ld s (INFLIGHT_SOURCE_TIMEOUT)",
				      shown, limit_s);
		else
			inf_error_set(err, INF_FAIL_SOURCE, "%s: cannot fetch: %s", shown,
				      curl_easy_strerror(cc));
		goto out;
	}
	if (res->status < 300 && res->status != 200) {
		/* 206, 204, ...: never the whole object; its body was not passed on */
		snprintf(res->code, sizeof res->code, "SourceUnavailable");
		inf_error_set(err, INF_FAIL_SOURCE,
			      "%s: source answered %ld, not 200: not taken for the whole object",
			      shown, res->status);
		goto out;
	}
	if (res->status != 200) {
		xml_text(&f.errbody, "Code", NULL, NULL, res->code, sizeof res->code);
		xml_text(&f.errbody, "Message", url, hdrs, res->message, sizeof res->message);
		if (!valid_code(res->code))
			snprintf(res->code, sizeof res->code, "%s", code_for_status(res->status));
		inf_error_set(err, INF_FAIL_SOURCE, "%s: source answered %ld %s%s%s", shown,
			      res->status, res->code, res->message[0] ? ": " : "",
			      res->message);
		goto out;
	}
	rc = 0;
out:
	free(plain);
	inf_curl_free_lines(hdrs);
	inf_buf_free(&f.errbody);
	if (!curl && f.curl)
		curl_easy_cleanup(f.curl);
	return rc;
}

/* Documented x-amz-fwd-status values (shared docs §3). */
static int fwd_status_ok(long st)
{
	static const int ok[] = { 200, 206, 304, 400, 401, 403, 404, 405, 409,
				  411, 412, 416, 500, 503 };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (ok[i] == st)
			return 1;
	return 0;
}

int inf_source_caller_status(const struct inf_source_result *res, const char **code)
{
	long st = res->status;

	if (res->timed_out) {
		*code = "DeadlineExceeded";
		return 503;
	}
	if (res->transport_failed || st < 300) {
		*code = "SourceUnavailable";
		return 503;
	}
	if (st == 304) {
		*code = NULL;
		return 304;
	}
	*code = res->code;
	/* shared docs §5: another 4xx is the caller's 400; anything else (a
	 * 301 PermanentRedirect, a 502) is the function's fault, 500 */
	return fwd_status_ok(st) ? (int)st : st >= 400 && st < 500 ? 400 : 500;
}
