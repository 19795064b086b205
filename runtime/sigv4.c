#include "sigv4.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "forward.h"

/* SHA-256 of the empty body */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CRYPTO_SONAME "libcrypto.so.3"

/* The three libcrypto calls used, loaded once for the life of the
 * process; typed from OpenSSL's own headers, so the compiler checks them. */
static struct {
	int loaded;
	__typeof__(EVP_sha256) *sha256;
	__typeof__(EVP_Digest) *digest;
	__typeof__(HMAC) *hmac;
} crypto;

static int crypto_load(struct inf_error *err)
{
	static const char *const names[] = { "EVP_sha256", "EVP_Digest", "HMAC" };
	void *h, *f[3];

	if (crypto.loaded)
		return 0;
	if (!(h = dlopen(CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return inf_error_set(err, INF_FAIL_SOURCE,
				     "cannot load %s to sign the request (install libssl3): %s",
				     CRYPTO_SONAME, dlerror());
	for (size_t i = 0; i < 3; i++)
		if (!(f[i] = dlsym(h, names[i]))) {
			dlclose(h);
			return inf_error_set(err, INF_FAIL_SOURCE, "%s has no %s",
					     CRYPTO_SONAME, names[i]);
		}
	/* POSIX: a function pointer round-trips through void * */
	memcpy(&crypto.sha256, &f[0], sizeof f[0]);
	memcpy(&crypto.digest, &f[1], sizeof f[1]);
	memcpy(&crypto.hmac, &f[2], sizeof f[2]);
	crypto.loaded = 1;
	return 0;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	if (!crypto.digest(p, n, md, &len, crypto.sha256(), NULL) || len != 32)
		return -1;
	hex(md, 32, out);
	return 0;
}

static int hmac(const unsigned char *key, size_t klen, const char *msg,
		unsigned char out[32])
{
	unsigned int len = 0;

	return crypto.hmac(crypto.sha256(), key, (int)klen, (const unsigned char *)msg,
			   strlen(msg), out, &len) && len == 32 ? 0 : -1;
}

int inf_sigv4_clean(const char *v, char *out, size_t n)
{
	size_t o = 0;
	int space = 0;

	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == ' ' || c == '\t') {
			space = o > 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e || o + 2 + (size_t)space > n)
			return -1;
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)c;
	}
	if (n)
		out[o] = '\0';
	return o ? 0 : -1;
}

/* inf_sigv4_escape's output for byte c, after a space when one is
 * pending, written into piece: its length. */
static size_t escape_piece(unsigned char c, int space, char piece[6])
{
	size_t k = 0;

	if (space)
		piece[k++] = ' ';
	if (c < 0x21 || c > 0x7e)
		k += (size_t)snprintf(piece + k, 6 - k, "\\x%02x", c);
	else
		piece[k++] = (char)c;
	return k;
}

int inf_sigv4_escape(const char *text, char *out, size_t n)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t o = 0, whole = 0, room;
	int space = 0;
	char piece[6];

	if (n < 8)
		return -1;
	for (const unsigned char *p = t; *p; p++) { /* the escaped length */
		if (*p == ' ' || *p == '\t')
			space = whole > 0;
		else
			whole += escape_piece(*p, space, piece), space = 0;
	}
	room = whole < n ? n - 1 : n - 4; /* what fits, "..." aside if cut */
	space = 0;
	for (const unsigned char *p = t; *p; p++) {
		size_t k;
		if (*p == ' ' || *p == '\t') {
			space = o > 0;
			continue;
		}
		k = escape_piece(*p, space, piece);
		if (o + k > room)
			break;
		memcpy(out + o, piece, k);
		o += k;
		space = 0;
	}
	if (whole >= n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return o ? 0 : -1;
}

/* Whether `v` is as inf_sigv4_clean leaves a value, however long (a
 * session token has no promised size): printable ASCII, not empty, no
 * space at either end or beside another. */
static int clean(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (!*p || *p == ' ')
		return 0;
	for (; *p; p++)
		if (*p < 0x20 || *p > 0x7e || (*p == ' ' && (p[1] == ' ' || !p[1])))
			return 0;
	return 1;
}

/* One canonical header: its name lower-cased (owned), its value. */
struct canon {
	char *name;
	const char *value;
};

static int canon_cmp(const void *a, const void *b)
{
	return strcmp(((const struct canon *)a)->name, ((const struct canon *)b)->name);
}

/* One query parameter, as spans of the URL. */
struct param {
	const char *key, *val;
	size_t klen, vlen;
};

static int span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* By name, then value: a whole "k=v" compared as one string would put
 * "a-b=1" before "a=1". */
static int param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = span_cmp(x->key, x->klen, y->key, y->klen);
	return c ? c : span_cmp(x->val, x->vlen, y->val, y->vlen);
}

/* Appends the canonical query of `q` (`n` bytes): its parameters sorted,
 * each written "k=v" ("k=" for a bare k). Returns 0 or -1 (no memory). */
static int canonical_query(struct inf_buf *b, const char *q, size_t n)
{
	struct param *ps;
	size_t np = 0, i;
	int rc = -1;

	if (!n)
		return 0;
	if (!(ps = calloc(n, sizeof *ps)))
		return -1;
	for (i = 0; i < n;) {
		const char *p = q + i, *amp = memchr(p, '&', n - i);
		size_t len = amp ? (size_t)(amp - p) : n - i;
		const char *eq = memchr(p, '=', len);
		if (len) {
			ps[np].key = p;
			ps[np].klen = eq ? (size_t)(eq - p) : len;
			ps[np].val = eq ? eq + 1 : p + len;
			ps[np].vlen = eq ? len - ps[np].klen - 1 : 0;
			np++;
		}
		i += len + 1;
	}
	qsort(ps, np, sizeof *ps, param_cmp);
	for (i = 0; i < np; i++)
		if ((i && inf_buf_putc(b, '&')) || inf_buf_append(b, ps[i].key, ps[i].klen) ||
		    inf_buf_putc(b, '=') || inf_buf_append(b, ps[i].val, ps[i].vlen))
			goto out;
	rc = 0;
out:
	free(ps);
	return rc;
}

int inf_sigv4_sign(const struct inf_sigv4 *s,
		   int (*add)(void *ctx, const char *line, struct inf_error *err),
		   void *ctx, struct inf_error *err)
{
	struct canon *hs = NULL;
	struct inf_buf creq = { 0 }, line = { 0 }, names = { 0 }, key = { 0 };
	char amzdate[17], date[9], creq_hash[65], sig[65], host[256];
	const char *auth, *path, *end;
	unsigned char k[2][32]; /* each step keyed by the one before */
	size_t nh = 0, i, alen;
	const char *payload = s->payload ? s->payload : EMPTY_SHA256;
	struct tm tm;
	int rc = -1, nomem = 1;

	if (crypto_load(err))
		return -1;
	if (!s->key_id || !*s->key_id || !s->secret || !*s->secret)
		return inf_error_set(err, INF_FAIL_SOURCE,
				     "no credentials to sign with (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
	/* libcurl sends such a byte %-encoded in lower case, which a server
	 * canonicalises unlike the raw byte signed here */
	for (const unsigned char *u = (const unsigned char *)s->url; *u; u++)
		if (*u < 0x21 || *u > 0x7e)
			return inf_error_set(err, INF_FAIL_SOURCE, "the URL to sign holds byte 0x%02x, "
					     "which is not printable ASCII: it must come %%-encoded", *u);
	if (!strncmp(s->url, "http://", 7))
		auth = s->url + 7;
	else if (!strncmp(s->url, "https://", 8))
		auth = s->url + 8;
	else
		return inf_error_set(err, INF_FAIL_SOURCE, "only http and https requests are signed");
	alen = strcspn(auth, "/?#");
	path = auth + alen;
	/* botocore signs an empty parameter as "=", which libcurl and S3 may
	 * not: none is signed */
	{
		const char *q = strchr(path, '?');
		size_t ql = q ? strcspn(q + 1, "#") : 0;
		if (q && ql && (q[1] == '&' || q[ql] == '&' || memmem(q + 1, ql, "&&", 2)))
			return inf_error_set(err, INF_FAIL_SOURCE,
					     "the URL to sign has an empty query parameter ('&&', or '&' at an end)");
	}
	for (const char *at; (at = memchr(auth, '@', alen));) {
		alen -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	if (!alen || alen >= sizeof host)
		return inf_error_set(err, INF_FAIL_SOURCE, "the URL to sign has no usable host");
	snprintf(host, sizeof host, "%.*s", (int)alen, auth);
	if (!gmtime_r(&s->when, &tm) || !strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm))
		return inf_error_set(err, INF_FAIL_SOURCE, "cannot write the signing date");
	memcpy(date, amzdate, 8);
	date[8] = '\0';

	if (!(hs = calloc(s->nheaders + 4, sizeof *hs)))
		goto out;
	{
		const struct inf_sigv4_header own[] = { { "Host", host },
			{ "x-amz-date", amzdate }, { "x-amz-content-sha256", payload },
			{ "x-amz-security-token", s->token } };
		for (i = 0; i < 4 + s->nheaders; i++) {
			const struct inf_sigv4_header *h = i < 4 ? &own[i] : &s->headers[i - 4];
			if (!h->value || (i == 3 && !*h->value))
				continue;
			if (!inf_header_name_ok(h->name) || !strcasecmp(h->name, "authorization") ||
			    !clean(h->value)) {
				nomem = 0;
				inf_error_set(err, INF_FAIL_SOURCE,
					      "the %s header cannot be signed (only printable ASCII, "
					      "single spaces, not Authorization)", h->name);
				goto out;
			}
			if (!(hs[nh].name = strdup(h->name)))
				goto out;
			for (char *c = hs[nh].name; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			hs[nh++].value = h->value;
			inf_buf_reset(&line);
			if (inf_buf_printf(&line, "%s: %s", h->name, h->value))
				goto out;
			if (add(ctx, line.data, err)) {
				nomem = 0;
				goto out;
			}
		}
	}
	qsort(hs, nh, sizeof *hs, canon_cmp);
	for (i = 1; i < nh; i++)
		if (!strcmp(hs[i - 1].name, hs[i].name)) {
			nomem = 0;
			inf_error_set(err, INF_FAIL_SOURCE, "the %s header is given twice", hs[i].name);
			goto out;
		}

	/* the canonical request */
	end = path + strcspn(path, "?#");
	if (inf_buf_printf(&creq, "%s\n", s->method) ||
	    (end == path ? inf_buf_putc(&creq, '/') : inf_buf_append(&creq, path, (size_t)(end - path))) ||
	    inf_buf_putc(&creq, '\n') ||
	    (*end == '?' && canonical_query(&creq, end + 1, strcspn(end + 1, "#"))) ||
	    inf_buf_putc(&creq, '\n'))
		goto out;
	for (i = 0; i < nh; i++)
		if (inf_buf_printf(&creq, "%s:%s\n", hs[i].name, hs[i].value) ||
		    inf_buf_printf(&names, "%s%s", i ? ";" : "", hs[i].name))
			goto out;
	if (inf_buf_printf(&creq, "\n%s\n%s", names.data, payload) ||
	    sha256_hex(creq.data, creq.len, creq_hash))
		goto out;

	/* the string to sign, the signing key, the signature */
	inf_buf_reset(&line);
	if (inf_buf_printf(&line, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amzdate,
			   date, s->region, s->service, creq_hash) ||
	    inf_buf_printf(&key, "AWS4%s", s->secret) ||
	    hmac((const unsigned char *)key.data, key.len, date, k[0]) ||
	    hmac(k[0], 32, s->region, k[1]) || hmac(k[1], 32, s->service, k[0]) ||
	    hmac(k[0], 32, "aws4_request", k[1]) || hmac(k[1], 32, line.data, k[0]))
		goto out;
	hex(k[0], 32, sig);
	inf_buf_reset(&line);
	if (inf_buf_printf(&line, "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
			   "SignedHeaders=%s, Signature=%s", s->key_id, date, s->region,
			   s->service, names.data, sig))
		goto out;
	if (add(ctx, line.data, err)) {
		nomem = 0;
		goto out;
	}
	rc = 0;
out:
	if (rc && nomem)
		inf_error_set(err, INF_FAIL_NOMEM, "out of memory while signing");
	/* the key, and the lines and canonical request that held the token
	 * and any secret header given */
	if (key.data)
		explicit_bzero(key.data, key.cap);
	if (line.data)
		explicit_bzero(line.data, line.cap);
	if (creq.data)
		explicit_bzero(creq.data, creq.cap);
	explicit_bzero(k, sizeof k);
	for (i = 0; hs && i < nh; i++)
		free(hs[i].name);
	free(hs);
	inf_buf_free(&key);
	inf_buf_free(&names);
	inf_buf_free(&line);
	inf_buf_free(&creq);
	return rc;
}
