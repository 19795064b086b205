/*
 * SHA-256 and HMAC-SHA256 of values, for plugins, with a memo of recent
 * digests: compiled into the .so that uses it (hidden, as everything but
 * the descriptor), never into the core. mask_fields' hash and hmac ops
 * are its users; libcrypto does the hashing.
 */
#ifndef INF_PLUGIN_DIGEST_H
#define INF_PLUGIN_DIGEST_H

#include <stddef.h>

#include <openssl/evp.h>

#include "inflight/plugin.h"

#define INF_DIGEST_LEN 32 /* SHA-256 */
#define INF_DIGEST_KEY_MAX 4096

struct inf_digest_memo;

/* One worker's digester: zeroed before init, which sets it up for
 * SHA-256(salt || value) or for HMAC-SHA256(key, value). */
struct inf_digest {
	const struct inf_host *host; /* allocates and releases the memo */
	const char *salt;            /* hash: borrowed, NULL for none */
	EVP_MD *md;                  /* hash */
	EVP_MD_CTX *mdctx;
	EVP_MAC *mac;                /* hmac, keyed once at init */
	EVP_MAC_CTX *macctx;
	struct inf_digest_memo *memo; /* recent digests, from host->alloc
					 at the first value; NULL before */
	unsigned probes, hits;        /* memo look-ups in this window */
	unsigned off;                 /* values still to digest without it */
};

/* Reads an HMAC key from the environment variable `env` or the file
 * `file` (exactly one of them non-NULL) into key (INF_DIGEST_KEY_MAX
 * bytes), *len its length; one final line break of a file is not part of
 * the key. Returns 0, or a negative inf_status with a message in err
 * (INF_ERR_MAX bytes) that names the variable or the file, never the key.
 * The caller wipes key. */
int inf_digest_read_key(const char *env, const char *file, unsigned char *key,
			size_t *len, char *err);

/* Sets up d for SHA-256 of salt || value (salt borrowed; NULL for none),
 * or, when key is not NULL, for HMAC-SHA256 keyed with key[0, klen), which
 * the caller wipes. Returns 0, or a negative inf_status with a message in
 * err. inf_digest_fini releases what it acquired, even on failure. */
int inf_digest_init(struct inf_digest *d, const struct inf_host *host,
		    const char *salt, const unsigned char *key, size_t klen,
		    char *err);

/* The digest of s[0, n) into md; the same bytes every time for the same
 * value, whether from the memo or from libcrypto. Values repeat across an
 * object's records (a customer's events): the digests of recent values up
 * to 31 bytes are kept, and a look-up costs a fraction of a digest; when
 * few of them hit (values that do not repeat), or there is no memory for
 * it, the memo pauses. Returns
 * 0, or INF_ERR_INTERNAL when libcrypto fails. */
int inf_digest_value(struct inf_digest *d, const char *s, size_t n,
		     unsigned char md[INF_DIGEST_LEN]);

/* Writes the lowercase hex of md, 2 * INF_DIGEST_LEN bytes without a NUL,
 * at out. */
void inf_digest_hex(const unsigned char md[INF_DIGEST_LEN], char *out);

/* Releases what init acquired and wipes the memo; accepts a digester
 * that init left half-built, or a zeroed one. */
void inf_digest_fini(struct inf_digest *d);

#endif
