/*
 * mask_fields: masks the values the paths reach, in place; the record
 * keeps its shape. What each op does to each JSON type is in README.md,
 * "mask_fields"; in short, null passes every op unchanged (redact and
 * null aside), objects and arrays only take redact and null, and a value
 * an op cannot handle is an error: the record never leaves unmasked; nor
 * does a record whose root no path can reach into (it is refused).
 *
 * Options: the mask_options table below; defaults, what each op does
 * and examples in README.md, "mask_fields".
 */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "inflight/plugin.h"
#include "lib/decimal.h"
#include "lib/digest.h"

enum mask_op { OP_REDACT, OP_PARTIAL, OP_CHAR_CLASS, OP_HASH, OP_HMAC,
	       OP_NULL, OP_ROUND, OP_TRUNCATE_DATE };
enum mask_unit { UNIT_YEAR, UNIT_MONTH, UNIT_DAY, UNIT_HOUR };
static const char *const type_names[] = { "nothing", "an object", "an array",
	"a string", "a number", "a boolean", "a boolean", "null" };
static const char *const op_names[] = { "redact", "partial", "char_class",
	"hash", "hmac", "null", "round", "truncate_date" };

/* What truncate_date accepts: YYYY-MM-DD, optionally followed by
 * [T ]HH:MM[:SS[.fraction]] and a zone Z, +HH, +HHMM or +HH:MM. */
#define DATE_RE "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])" \
	"([Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:([0-5][0-9]|60)([.,][0-9]+)?)?" \
	"([Zz]|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$"

struct mask_config {
	const struct inf_paths *paths;
	int op;
	const char *with, *mchar, *salt, *key_env, *key_file, *prefix;
	long long keep_first, keep_last, digits;
	double step;
	int unit;
};

struct mask_instance {
	const struct inf_host *host;
	/* the host's walk over matches only, or its plain walk (older cores) */
	int (*walk)(struct inf_record *, const struct inf_paths *, inf_visit_fn, void *);
	/* the host's refusal of a root no path reaches (NULL: older cores) */
	int (*check_root)(struct inf_record *, const struct inf_paths *, char *);
	const struct mask_config *c;
	const char *with, *mchar, *prefix;
	size_t mchar_len, prefix_len;
	struct inf_decimal round; /* round: the multiple, exactly */
	struct inf_digest digest; /* hash, hmac (plugins/lib/digest.c) */
	char *buf; /* output scratch, grows to the largest value masked */
	size_t cap;
	regex_t date_re;
	int has_re;
	char *err;    /* the current record's err */
	int modified; /* the current record was changed */
};

#define OPT(name, type, flags, def, field, choices, what) \
	{ name, type, flags, def, offsetof(struct mask_config, field), choices, what }

static const struct inf_option mask_options[] = {
	OPT("paths", INF_OPT_PATHS, INF_OPT_REQUIRED, NULL, paths, NULL, "values to mask"),
	OPT("op", INF_OPT_ENUM, INF_OPT_REQUIRED, NULL, op,
	    "redact|partial|char_class|hash|hmac|null|round|truncate_date", "how"),
	OPT("with", INF_OPT_STRING, 0, NULL, with, NULL, "redact: replacement"),
	OPT("keep_first", INF_OPT_INT, 0, "0", keep_first, NULL, "partial: kept at the start"),
	OPT("keep_last", INF_OPT_INT, 0, "0", keep_last, NULL, "partial: kept at the end"),
	OPT("char", INF_OPT_STRING, 0, NULL, mchar, NULL, "partial: masking character"),
	OPT("salt", INF_OPT_STRING, 0, NULL, salt, NULL, "hash: hashed before the value"),
	OPT("key_env", INF_OPT_STRING, 0, NULL, key_env, NULL, "hmac: variable with the key"),
	OPT("key_file", INF_OPT_FILE, 0, NULL, key_file, NULL, "hmac: file with the key"),
	OPT("prefix", INF_OPT_STRING, 0, NULL, prefix, NULL, "hash, hmac: before the digest"),
	OPT("digits", INF_OPT_INT, 0, "0", digits, NULL, "round: decimals kept"),
	/* NaN when absent (no policy can write one), so that step = 0 is
	 * refused rather than taken for no step */
	OPT("step", INF_OPT_FLOAT, 0, "nan", step, NULL, "round: multiple to round to"),
	OPT("unit", INF_OPT_ENUM, 0, "day", unit, "year|month|day|hour", "truncate_date: kept"),
	{ NULL, 0, 0, NULL, 0, NULL, NULL }
};

/* Length of the valid UTF-8 character at s (n bytes left), 0 if invalid. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
		   : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0; /* overlong, surrogate, above U+10FFFF */
	return len;
}

/* Number of characters in s, or -1 when it is not valid UTF-8. */
static long utf8_count(const char *s, size_t n)
{
	long count = 0;

	for (size_t i = 0, k; i < n; i += k, count++)
		if (!(k = utf8_char((const unsigned char *)s + i, n - i)))
			return -1;
	return count;
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, INF_ERR_MAX, fmt, ap);
	va_end(ap);
	return rc;
}

/* hash, hmac: the digester, keyed from key_env or key_file for hmac. */
static int crypto_init(struct mask_instance *in, const struct mask_config *c,
		       char *err)
{
	unsigned char key[INF_DIGEST_KEY_MAX];
	size_t klen = 0;
	int rc;

	if (c->op == OP_HASH)
		return inf_digest_init(&in->digest, in->host, c->salt, NULL, 0, err);
	if (!c->key_env == !c->key_file)
		return fail(err, INF_ERR_INVALID, "op hmac needs exactly one of key_env and key_file (never the key itself)");
	if (!(rc = inf_digest_read_key(c->key_env, c->key_file, key, &klen, err)))
		rc = inf_digest_init(&in->digest, in->host, NULL, key, klen, err);
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

/* Which options belong to which op: a stray one is a policy mistake. */
/* what redact writes and partial masks with when not told (README) */
#define DEFAULT_WITH "****"
#define DEFAULT_CHAR "*"

static int check_stray(const struct mask_config *c, char *err)
{
	const char *stray = c->with && strcmp(c->with, DEFAULT_WITH) && c->op != OP_REDACT ? "'with'"
		: c->mchar && strcmp(c->mchar, DEFAULT_CHAR) && c->op != OP_PARTIAL ? "'char'"
		: c->salt && c->op != OP_HASH ? "'salt'"
		: (c->key_env || c->key_file) && c->op != OP_HMAC ? "'key_env' or 'key_file'"
		: c->prefix && c->op != OP_HASH && c->op != OP_HMAC ? "'prefix'"
		: (c->keep_first || c->keep_last) && c->op != OP_PARTIAL ? "'keep_first' or 'keep_last'"
		: (c->digits || !isnan(c->step)) && c->op != OP_ROUND ? "'digits' or 'step'"
		: c->unit != UNIT_DAY && c->op != OP_TRUNCATE_DATE ? "'unit'" : NULL;

	return stray ? fail(err, INF_ERR_INVALID, "option %s does not apply to op '%s'",
			    stray, op_names[c->op]) : 0;
}

static int cb_mask_init(const struct inf_host *host, const void *config,
			void *instance, char *err)
{
	const struct mask_config *c = config;
	struct mask_instance *in = instance;
	int rc;

	in->host = host;
	in->walk = INF_HOST_HAS(host, walk_matches) ? host->walk_matches : host->walk;
	in->check_root = INF_HOST_HAS(host, paths_check_root) ? host->paths_check_root : NULL;
	in->c = c;
	in->with = c->with ? c->with : DEFAULT_WITH;
	in->mchar = c->mchar ? c->mchar : DEFAULT_CHAR;
	in->mchar_len = strlen(in->mchar);
	in->prefix = c->prefix ? c->prefix : "";
	in->prefix_len = strlen(in->prefix);
	if (!INF_HOST_HAS(host, number))
		return fail(err, INF_ERR_INVALID, "this runtime is too old for mask_fields");
	if ((rc = check_stray(c, err)))
		return rc;
	if (utf8_count(in->with, strlen(in->with)) < 0 || utf8_count(in->mchar, in->mchar_len) != 1 ||
	    utf8_count(in->prefix, in->prefix_len) < 0)
		return fail(err, INF_ERR_INVALID, "with, prefix and char must be UTF-8, char one character");
	if ((unsigned long long)c->keep_first > 1000000 || (unsigned long long)c->keep_last > 1000000)
		return fail(err, INF_ERR_INVALID, "keep_first and keep_last must be from 0 to 1000000");
	if (c->digits < -15 || c->digits > 15 || c->step <= 0 || (!isnan(c->step) && c->digits))
		return fail(err, INF_ERR_INVALID, "digits must be from -15 to 15, step > 0, not both");
	if (c->op == OP_ROUND &&
	    inf_decimal_multiple(&in->round, c->digits, isnan(c->step) ? 0 : c->step))
		return fail(err, INF_ERR_INVALID, "step must be below 1e17");
	if (c->op == OP_TRUNCATE_DATE) {
		if (regcomp(&in->date_re, DATE_RE, REG_EXTENDED | REG_NOSUB))
			return fail(err, INF_ERR_INTERNAL, "cannot compile the date pattern");
		in->has_re = 1;
	}
	return c->op == OP_HASH || c->op == OP_HMAC ? crypto_init(in, c, err) : 0;
}

static void cb_mask_fini(void *instance)
{
	struct mask_instance *in = instance;

	inf_digest_fini(&in->digest);
	if (in->has_re)
		regfree(&in->date_re);
	in->host->release(in->buf); /* init always sets host first */
}

/* Makes room for n bytes in the scratch buffer. */
static int reserve(struct mask_instance *in, size_t n)
{
	char *b;
	size_t cap = in->cap ? in->cap : 256;

	if (n <= in->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (!(b = in->host->alloc(cap)))
		return INF_ERR_NOMEM;
	in->host->release(in->buf);
	in->buf = b;
	in->cap = cap;
	return 0;
}

/* partial and char_class, character by character. partial keeps the
 * first and last characters and masks the rest (all of a value no longer
 * than what would be kept); char_class maps A-Z to X, a-z and every
 * non-ASCII character to x, 0-9 to n, and keeps other ASCII characters. */
static int map_chars(struct mask_instance *in, const char *s, size_t n,
		     size_t *outlen)
{
	size_t chars = (size_t)utf8_count(s, n), kf = (size_t)in->c->keep_first,
	       kl = (size_t)in->c->keep_last, o = 0, k;
	int rc = reserve(in, n + chars * in->mchar_len);

	if (rc)
		return rc;
	if (chars <= kf + kl)
		kf = kl = 0;
	for (size_t i = 0, ch = 0; i < n; i += k, ch++) {
		unsigned char c = (unsigned char)s[i];
		k = utf8_char((const unsigned char *)s + i, n - i);
		if (in->c->op == OP_CHAR_CLASS)
			in->buf[o++] = c >= 'A' && c <= 'Z' ? 'X'
				     : (c >= 'a' && c <= 'z') || c >= 0x80 ? 'x'
				     : c >= '0' && c <= '9' ? 'n' : (char)c;
		else if (ch < kf || ch >= chars - kl)
			memcpy(in->buf + o, s + i, k), o += k;
		else
			memcpy(in->buf + o, in->mchar, in->mchar_len), o += in->mchar_len;
	}
	*outlen = o;
	return 0;
}

/* hash, hmac: prefix + lowercase hex of the value's digest. */
static int do_digest(struct mask_instance *in, const char *s, size_t n,
		     size_t *outlen)
{
	unsigned char md[INF_DIGEST_LEN];
	size_t plen = in->prefix_len;
	int rc;

	if ((rc = inf_digest_value(&in->digest, s, n, md)) ||
	    (rc = reserve(in, plen + 2 * sizeof md + 1)))
		return rc;
	memcpy(in->buf, in->prefix, plen);
	inf_digest_hex(md, in->buf + plen);
	*outlen = plen + 2 * sizeof md;
	return 0;
}

/* round, on the number's text (plugins/lib/decimal.c). Returns 1 when
 * the text changed (in->buf, *outlen bytes), 0 to keep it, or a negative
 * inf_status: INF_ERR_LIMIT past a double's range. */
static int do_round(struct mask_instance *in, struct inf_record *rec, int node,
		    size_t *outlen)
{
	size_t len, need;
	const char *raw = in->host->raw(rec, node, &len);
	double x;
	int rc;

	if (inf_decimal_kept(&in->round, raw, len))
		return 0;
	if ((rc = in->host->number(rec, node, &x)) < 0)
		return rc; /* past a double's range: out of range */
	rc = inf_decimal_round(&in->round, raw, len, in->buf, in->cap, outlen, &need);
	if (rc == INF_DECIMAL_ROOM) {
		if ((rc = reserve(in, need)))
			return rc;
		rc = inf_decimal_round(&in->round, raw, len, in->buf, in->cap, outlen, &need);
	}
	return rc == INF_DECIMAL_ROOM ? INF_ERR_INTERNAL : rc;
}

/* truncate_date: the ISO 8601 date or date-time in s (validated against
 * DATE_RE) cut to the unit in place: smaller fields reset (month and day
 * to 01, the time's digits to 0), the shape and time zone kept. Returns
 * 0, or -1 when s is not one. */
static int do_truncate(struct mask_instance *in, char *s, size_t n)
{
	regmatch_t m[1] = { { 0, (regoff_t)n } };
	int unit = in->c->unit;

	if (regexec(&in->date_re, s, 1, m, REG_STARTEND))
		return -1;
	if (unit <= UNIT_YEAR)
		memcpy(s + 5, "01", 2);
	if (unit <= UNIT_MONTH)
		memcpy(s + 8, "01", 2);
	for (size_t k = unit <= UNIT_DAY ? 11 : 14; k < n && !memchr("Zz+-", s[k], 4); k++)
		if (s[k] >= '0' && s[k] <= '9')
			s[k] = '0';
	return 0;
}

/* Refuses a value: names the op, the type and the member (`key`, klen
 * bytes; NULL for an array element), never the value. */
static int refusal(struct mask_instance *in, const char *k, size_t klen,
		   enum inf_type t, const char *why)
{
	return fail(in->err, INF_ERR_TYPE, "op '%s' cannot mask %s at %s%.*s%s: %s",
		    op_names[in->c->op], type_names[t], k ? "member \"" : "an array element",
		    k ? (int)(klen > 64 ? 64 : klen) : 0, k ? k : "", k ? "\"" : "", why);
}

static int refuse(struct mask_instance *in, struct inf_record *rec, int key,
		  enum inf_type t, const char *why)
{
	size_t klen = 0;
	const char *k = key >= 0 ? in->host->string(rec, key, &klen) : NULL;

	return refusal(in, k, klen, t, why);
}

/* A value masked: `text` NULL keeps it; else `len` bytes, JSON text when
 * `json`, else a string's content. */
struct masked {
	const char *text;
	size_t len;
	int json;
};

/* What the op makes of a value of type t, given `s` (n bytes): a
 * string's unescaped text, any other scalar's JSON text (not read for
 * null, objects and arrays, nor by redact and null). Returns 0 with *m
 * filled, 1 for round (the caller rounds through the host: a number,
 * checked), INF_ERR_TYPE with *why saying why the op cannot take the
 * value, or another negative inf_status. */
static int mask_text(struct mask_instance *in, enum inf_type t, const char *s, size_t n,
		     struct masked *m, const char **why)
{
	int op = in->c->op, rc = 0;

	*m = (struct masked){ NULL, 0, 0 };
	if (op == OP_REDACT || op == OP_NULL) {
		m->text = op == OP_NULL ? "null" : in->with;
		m->len = strlen(m->text);
		m->json = op == OP_NULL;
		return 0;
	}
	if (t == INF_NULL)
		return 0;
	if (t == INF_OBJECT || t == INF_ARRAY)
		return *why = "only redact and null mask objects and arrays", INF_ERR_TYPE;
	if (op == OP_PARTIAL || op == OP_CHAR_CLASS) {
		if (t != INF_STRING && t != INF_NUMBER)
			return *why = "it masks strings and numbers", INF_ERR_TYPE;
		rc = map_chars(in, s, n, &m->len);
	} else if (op == OP_HASH || op == OP_HMAC) {
		rc = do_digest(in, s, n, &m->len);
	} else if (op == OP_ROUND) {
		return t == INF_NUMBER ? 1 : (*why = "it rounds numbers", INF_ERR_TYPE);
	} else { /* OP_TRUNCATE_DATE */
		if (t != INF_STRING)
			return *why = "it cuts ISO 8601 date strings", INF_ERR_TYPE;
		if ((rc = reserve(in, n + 1)))
			return rc;
		memcpy(in->buf, s, m->len = n);
		in->buf[n] = '\0'; /* regexec reads to a NUL (sanitizers check it) */
		if (do_truncate(in, in->buf, n))
			return *why = "not an ISO 8601 date or date-time", INF_ERR_TYPE;
	}
	if (rc == 0)
		m->text = in->buf;
	return rc;
}

/* Masks each value a path ends at; an error leaves in->err set. */
static int cb_mask_visit(void *ctx, struct inf_record *rec, int node, int key,
			 enum inf_match m)
{
	struct mask_instance *in = ctx;
	const struct inf_host *h = in->host;
	enum inf_type t;
	const char *s = NULL, *why = NULL;
	size_t n = 0, out = 0;
	struct masked mk;
	int op = in->c->op, rc;

	if (m != INF_MATCH_FULL)
		return INF_WALK_DESCEND;
	t = h->type(rec, node);
	/* strings by their unescaped text; numbers and booleans by their JSON */
	if (op != OP_REDACT && op != OP_NULL && op != OP_ROUND && t != INF_NULL &&
	    t != INF_OBJECT && t != INF_ARRAY &&
	    !(s = t == INF_STRING ? h->string(rec, node, &n) : h->raw(rec, node, &n)))
		return INF_ERR_NOMEM;
	rc = mask_text(in, t, s, n, &mk, &why);
	if (rc == INF_ERR_TYPE)
		return refuse(in, rec, key, t, why);
	if (rc == 1) { /* round */
		if ((rc = do_round(in, rec, node, &out)) <= 0) /* 0: kept as it is */
			return rc == INF_ERR_LIMIT ? refuse(in, rec, key, t, "out of range") : rc;
		mk = (struct masked){ in->buf, out, 1 };
	} else if (rc < 0) {
		return rc;
	}
	if (!mk.text)
		return INF_WALK_SKIP;
	rc = mk.json ? h->replace_json(rec, node, mk.text, mk.len)
		     : h->replace_string(rec, node, mk.text, mk.len);
	in->modified |= rc == 0;
	return rc < 0 ? rc : INF_WALK_SKIP;
}

/* The plan's map (plugin.h): what cb_mask_visit does to one value. */
static int cb_mask_map(void *instance, const struct inf_value *v, struct inf_mapped *out,
		       char *err)
{
	struct mask_instance *in = instance;
	const char *why = NULL;
	struct masked mk;
	int rc;

	in->err = err;
	rc = mask_text(in, v->type, v->text, v->text_len, &mk, &why);
	if (rc == INF_ERR_TYPE)
		return refusal(in, v->key, v->key_len, v->type, why);
	if (rc)
		return rc < 0 ? rc : INF_ERR_INTERNAL; /* round has no plan */
	*out = (struct inf_mapped){ mk.text, mk.len, mk.json };
	return 0;
}

/* Every op but round, which reads the number through the host, declares
 * what the step does (plugin.h, struct inf_plan). */
static void cb_mask_plan(void *instance, struct inf_plan *plan)
{
	struct mask_instance *in = instance;

	if (in->c->op == OP_ROUND)
		return;
	plan->kind = INF_PLAN_MAP;
	plan->paths = in->c->paths;
	plan->map = cb_mask_map;
}

static int cb_mask_process(void *instance, struct inf_record *rec,
			   enum inf_verdict *verdict, char *err)
{
	struct mask_instance *in = instance;
	int rc;

	in->err = err;
	in->modified = 0;
	if (in->check_root && (rc = in->check_root(rec, in->c->paths, err)))
		return rc;
	if ((rc = in->walk(rec, in->c->paths, cb_mask_visit, in)) < 0)
		return rc;
	*verdict = in->modified ? INF_MODIFIED : INF_KEEP;
	return 0;
}

INF_PLUGIN_EXPORT const struct inf_plugin inflight_plugin = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_plugin),
	.name = "mask_fields",
	.description = "mask the values the paths reach",
	.options = mask_options,
	.config_size = sizeof(struct mask_config),
	.instance_size = sizeof(struct mask_instance),
	.init = cb_mask_init,
	.process = cb_mask_process,
	.fini = cb_mask_fini,
	.plan = cb_mask_plan,
};
