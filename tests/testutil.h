/*
 * Helpers shared by the Check suites: all static inline, so a suite that
 * does not use one gets no warning. Append new helpers; keep each
 * section to its suites.
 */
#ifndef INF_TESTUTIL_H
#define INF_TESTUTIL_H

/* ---- policies, plugins and chains (check_policy, check_loader,
 * check_event, check_chain, check_plugin_*) ---- */

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "error.h"
#include "policy.h"

/* The build directory under test: $INFLIGHT_TEST_BUILD, else "build". */
static inline const char *tu_build(void)
{
	const char *b = getenv("INFLIGHT_TEST_BUILD");
	return b && *b ? b : "build";
}

/* The repository root: $INFLIGHT_TEST_SRC, else ".". */
static inline const char *tu_src(void)
{
	const char *s = getenv("INFLIGHT_TEST_SRC");
	return s && *s ? s : ".";
}

/* Whether the suite runs under valgrind memcheck (tools/run-checks.sh sets
 * $INFLIGHT_TEST_VALGRIND=1): the few tests whose point is size, not
 * path, take a smaller size there; memcheck sees the same code paths. */
static inline int tu_valgrind(void)
{
	const char *v = getenv("INFLIGHT_TEST_VALGRIND");
	return v && !strcmp(v, "1");
}

/* Whether this is a sanitizer build (`make asan`, `make tsan`): the long
 * random loops run fewer rounds there, the same kinds of input. */
static inline int tu_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return 1;
#else
	return 0;
#endif
}

/* "$BUILD/plugins:$BUILD/test-plugins" into buf (the real plugins first,
 * then the test-only ones built by tests/fixtures.mk). */
static inline const char *tu_plugin_dirs(char *buf, size_t n)
{
	snprintf(buf, n, "%s/plugins:%s/test-plugins", tu_build(), tu_build());
	return buf;
}

/* Makes a fresh temporary directory; returns its malloc'd name (free it
 * after tu_rmtree) or NULL. */
static inline char *tu_tmpdir(void)
{
	char *d = strdup("/tmp/inflight-check-XXXXXX");
	if (d && !mkdtemp(d)) {
		free(d);
		d = NULL;
	}
	return d;
}

/* Writes `text` to dir/name (path out in `path`, n bytes). Returns 0 or -1. */
static inline int tu_write(const char *dir, const char *name, const void *text,
			   size_t len, char *path, size_t n)
{
	FILE *f;
	size_t w;

	snprintf(path, n, "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		return -1;
	w = fwrite(text, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

static inline int tu_rm_one(const char *path, const struct stat *st, int flag,
			    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory tree; accepts NULL. */
static inline void tu_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Index of the first error line containing every one of the NULL-ended
 * needles, or -1. */
static inline int tu_errs_find(const struct inf_policy_errors *e, ...)
{
	for (size_t i = 0; i < e->n; i++) {
		va_list ap;
		const char *needle;
		int all = 1;
		va_start(ap, e);
		while (all && (needle = va_arg(ap, const char *)))
			all = strstr(e->lines[i], needle) != NULL;
		va_end(ap);
		if (all)
			return (int)i;
	}
	return -1;
}

/* All error lines joined, for failure messages; static storage. */
static inline const char *tu_errs_text(const struct inf_policy_errors *e)
{
	static char text[8192];
	size_t used = 0;

	text[0] = '\0';
	for (size_t i = 0; i < e->n && used < sizeof text; i++) {
		int k = snprintf(text + used, sizeof text - used, "[%s] ", e->lines[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	return text;
}

static inline int tu_sink(void *ctx, const char *data, size_t len,
			  struct inf_error *err)
{
	(void)err;
	return inf_buf_append(ctx, data, len) ? -1 : 0;
}

/* The record tu_transform's last run skipped first under on_error =
 * drop_record (inf_transform_first_skip), or "". */
static char tu_first_skip[1024];

/* Runs `ap` over `len` bytes of `in`, fed `chunk` bytes at a time (0: all
 * at once). The output is appended to `out` (NUL-terminated on return);
 * `err` and `stats` (may be NULL) are filled. Returns 0 or -1. */
static inline int tu_transform(const struct inf_access_point *ap,
			       const struct inf_request *req, const char *in,
			       size_t len, size_t chunk, struct inf_buf *out,
			       struct inf_error *err, struct inf_stats *stats)
{
	struct inf_transform *t;
	int rc = 0;

	memset(err, 0, sizeof *err);
	t = inf_transform_new(ap, req, tu_sink, out, err);
	if (!t)
		return -1;
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t at = 0; at < len && rc == 0; at += chunk)
		rc = inf_transform_write(t, in + at, len - at < chunk ? len - at : chunk);
	if (rc == 0)
		rc = inf_transform_finish(t);
	if (stats)
		*stats = inf_transform_stats(t);
	tu_first_skip[0] = '\0';
	inf_transform_first_skip(t, tu_first_skip, sizeof tu_first_skip);
	inf_transform_free(t);
	if (inf_buf_putc(out, '\0') == 0)
		out->len--;
	return rc;
}

/* One plugin step under test: a policy with one access point "t" (ndjson
 * framing) whose chain is `plugin` with `paths`, loaded from a temporary
 * directory; outputs collect in `out`. */
struct tu_step {
	char *tmp;
	struct inf_policy *pol;
	struct inf_policy_errors errs;
	struct inf_buf out;
	struct inf_error err;
};

/* Loads the step; `paths` is the policy text inside [ ]. Returns 0, or -1
 * with the problems in s->errs. Free with tu_step_free. */
static inline int tu_step_load(struct tu_step *s, const char *plugin,
			       const char *paths)
{
	char text[4096], path[4096], dirs[4096];

	inf_policy_free(s->pol);
	s->pol = NULL;
	inf_policy_errors_free(&s->errs);
	if (!s->tmp && !(s->tmp = tu_tmpdir()))
		return -1;
	snprintf(text, sizeof text,
		 "access_points = ( { name = \"t\"; format = \"ndjson\";\n"
		 "  chain = ( { plugin = \"%s\"; paths = [ %s ]; } ); } );\n",
		 plugin, paths);
	if (tu_write(s->tmp, "step.cfg", text, strlen(text), path, sizeof path))
		return -1;
	return inf_policy_load(path, tu_plugin_dirs(dirs, sizeof dirs), &s->pol,
			       &s->errs);
}

/* Runs the step over `in` (ndjson); returns the output (owned by s, valid
 * until the next run), or NULL with s->err set. */
static inline const char *tu_step_run(struct tu_step *s, const char *in)
{
	struct inf_stats st;

	inf_buf_reset(&s->out);
	if (tu_transform(&s->pol->aps[0], NULL, in, strlen(in), 0, &s->out,
			 &s->err, &st))
		return NULL;
	return s->out.data;
}

/* The verdict the step's process gives `json` (one record), or the
 * negative status it returned, or INF_ERR_INVALID if the JSON is bad. */
static inline int tu_step_verdict(struct tu_step *s, const char *json)
{
	const struct inf_step *step = &s->pol->aps[0].steps[0];
	enum inf_verdict v = INF_KEEP;
	struct inf_record rec;
	struct inf_json_err je;
	char perr[INF_ERR_MAX] = "";
	int rc;

	inf_record_init(&rec, s->pol->aps[0].max_depth);
	rc = inf_record_load(&rec, json, strlen(json), &je);
	if (rc == 0)
		rc = step->plugin->process(step->instances[0], &rec, &v, perr);
	inf_record_free(&rec);
	return rc < 0 ? rc : (int)v;
}

static inline void tu_step_free(struct tu_step *s)
{
	inf_buf_free(&s->out);
	inf_policy_free(s->pol);
	inf_policy_errors_free(&s->errs);
	tu_rmtree(s->tmp);
	free(s->tmp);
	memset(s, 0, sizeof *s);
}

/* Loads `text` as the policy file tmp/`name` into s, replacing what s
 * held; `path` (n bytes, may be NULL) gets the file's path. Returns 0, or
 * -1 with the problems in s->errs. Free with tu_step_free. */
static inline int tu_policy_text(struct tu_step *s, const char *name,
				 const char *text, char *path, size_t n)
{
	char file[4096], dirs[4096];

	inf_policy_free(s->pol);
	s->pol = NULL;
	inf_policy_errors_free(&s->errs);
	if (!s->tmp && !(s->tmp = tu_tmpdir()))
		return -1;
	if (tu_write(s->tmp, name, text, strlen(text), file, sizeof file))
		return -1;
	if (path)
		snprintf(path, n, "%s", file);
	return inf_policy_load(file, tu_plugin_dirs(dirs, sizeof dirs), &s->pol,
			       &s->errs);
}

/* Loads a policy (tmp/chain.cfg) whose one access point "t", framing
 * `format`, runs `steps`: policy text inside chain = ( ... ), which starts
 * on line 3 of the file. Returns as tu_policy_text. */
static inline int tu_chain_load(struct tu_step *s, const char *format,
				const char *steps)
{
	char text[16384];

	snprintf(text, sizeof text,
		 "access_points = ( { name = \"t\"; format = \"%s\";\n"
		 "  chain = (\n%s\n); } );\n", format, steps);
	return tu_policy_text(s, "chain.cfg", text, NULL, 0);
}

/* Runs access point "t" of s over `in` for request `req` (may be NULL);
 * returns the output (owned by s) or NULL with s->err set. */
static inline const char *tu_step_run_req(struct tu_step *s,
					  const struct inf_request *req,
					  const char *in)
{
	struct inf_stats st;

	inf_buf_reset(&s->out);
	if (tu_transform(&s->pol->aps[0], req, in, strlen(in), 0, &s->out,
			 &s->err, &st))
		return NULL;
	return s->out.data;
}

/* ---- records and framing (check_json, check_path, check_record,
 * check_frame) ---- */

#include <check.h>
#include <stdint.h>

/* Runs a suite with CK_NORMAL output; returns the exit status for main. */
static inline int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Deterministic xorshift64 generator; *state must start non-zero. */
static inline uint64_t tu_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* The buffer's bytes as a C string: a NUL is written after `len`, which
 * does not change. NULL only when out of memory. */
static inline const char *tu_cstr(struct inf_buf *b)
{
	if (inf_buf_putc(b, '\0'))
		return NULL;
	b->len--;
	return b->data;
}

/* The next number of a seeded sequence, in [0, n): a 64-bit LCG (Knuth's
 * MMIX constants), its high bits. Each test seeds *state, so that a
 * failure repeats. */
static inline unsigned tu_rnd(unsigned long *state, unsigned n)
{
	*state = *state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(*state >> 33) % n;
}

/* A JSON array of `n` random elements (check_parallel, check_chain), as
 * hard to cut into elements as can be: strings holding brackets, braces,
 * commas, quotes and backslashes (escaped either way), nesting, and
 * whitespace of every kind before, inside and after elements. Elements
 * from index `first_kept` on have "k":1 in about half the cases, the
 * others "k":0. Returns a NUL-terminated string to free. */
static inline char *tu_random_array(uint64_t seed, unsigned n, unsigned first_kept)
{
	static const char *const ws[] = { "", " ", "\n", "\r\n", "\t ", "\n  " };
	static const char *const bits[] = { "a", "[", "]", "{", "}", ",", "\\\"", "\\\\",
					    "\\n", "\\u00e9", " ", "x", "\\\\\\\"" };
	uint64_t r = seed * 2654435761u + 1;
	struct inf_buf b = { 0 };
	int rc = inf_buf_puts(&b, ws[tu_rand(&r) % 6]);

	rc |= inf_buf_putc(&b, '[');
	for (unsigned i = 0; i < n; i++) {
		const char *w = ws[tu_rand(&r) % 6];
		unsigned k = i >= first_kept && tu_rand(&r) % 2;
		if (i)
			rc |= inf_buf_putc(&b, ',');
		rc |= inf_buf_printf(&b, "%s{%s\"k\":%u,%s\"price\":%u,\"s\":\"", ws[tu_rand(&r) % 6],
				     w, k, w, (unsigned)(tu_rand(&r) % 1000));
		for (unsigned m = (unsigned)(tu_rand(&r) % 12); m > 0; m--)
			rc |= inf_buf_puts(&b, bits[tu_rand(&r) % 13]);
		rc |= inf_buf_printf(&b, "\",%s\"n\":[{\"x\":\"]}\"},[1,%s[2]],{}],\"i\":%u}%s", w, w,
				     i, ws[tu_rand(&r) % 6]);
	}
	rc |= inf_buf_printf(&b, "]%s", ws[tu_rand(&r) % 6]);
	rc |= inf_buf_putc(&b, '\0');
	if (rc) {
		inf_buf_free(&b);
		return NULL;
	}
	return b.data;
}

#endif /* INF_TESTUTIL_H */
