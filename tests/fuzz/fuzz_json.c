/*
 * Fuzz target: the tokenizer (core/json.c), which decides what counts as
 * JSON before any byte of a record is written.
 *
 * Input: byte 0 picks max_depth (1 + byte % 40); the rest is the text.
 *
 * Invariants:
 *  - inf_json_parse accepts exactly what fuzzutil.h's RFC 8259 reader,
 *    written from the RFC, accepts within max_depth; a text the reader
 *    finds too deep gets INF_ERR_LIMIT, any other refusal INF_ERR_INVALID,
 *    with an offset inside the text and a message;
 *  - an accepted text whose root is an object, array or string gets
 *    exactly the tokens of jsmn's own parser (strict, parent links);
 *    a number or literal root is one token over the value;
 *  - every container's token count and inf_tok_skip agree with the
 *    parent links;
 *  - one token store serves every input (growth, reuse);
 *  - inf_json_drop_top (its two-stage path, core/jsonfast.c, first, on a
 *    CPU that has it), removing root members "a" and "b", refuses what
 *    inf_json_parse refuses with the same status, message and offset, or
 *    declines (1) a text whose root is not an object or whose root keys
 *    may hold an escape; what it accepts it writes byte for byte as
 *    drop_fields' way does (load, walk_matches, remove, emit), and the
 *    reader finds that JSON;
 *  - inf_json_drop_top_tokens answers as inf_json_drop_top does, and its
 *    tokens are what inf_json_parse makes of what it wrote;
 *  - read as NDJSON lines (max_record 32 + byte 0 when byte 0 / 40 is
 *    odd, else none), every line inf_jsonfast_drop_lines takes the
 *    parser takes, and it writes the parser's bytes (tests/linesref.h).
 */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_STATIC
#include <jsmn.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../linesref.h"
#include "fuzzutil.h"
#include "inflight/plugin.h"
#include "json.h"
#include "path.h"
#include "record.h"

static struct inf_tokens toks; /* reused across inputs, like a worker's */
static struct inf_tokens dtoks; /* inf_json_drop_top's */
static struct inf_record rec;
static struct inf_paths *drop_ab;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const keys[] = { "a", "b" };
	char e[256];

	(void)argc;
	(void)argv;
	if (inf_paths_compile(keys, 2, &drop_ab, e, sizeof e))
		fz_fail("paths: %s", e);
	inf_record_init(&rec, 1); /* max_depth set per input */
	return 0;
}

static int remove_match(void *ctx, struct inf_record *r, int node, int key, enum inf_match m)
{
	(void)ctx;
	(void)key;
	(void)m;
	return inf_record_remove(r, node) ? -1 : INF_WALK_SKIP;
}

static struct inf_tokens ttoks, ftoks; /* inf_json_drop_top_tokens', a fresh parse */

/* inf_json_drop_top_tokens against inf_json_drop_top's answer (drc, err,
 * got) and a parse of what it wrote. */
static void drop_tokens_same(const char *js, size_t n, unsigned max_depth,
			     const struct inf_dropkeys *dk, int drc,
			     const struct inf_json_err *derr, const struct inf_buf *got)
{
	static struct inf_buf out;
	struct inf_json_err err = { 0 }, ferr;
	size_t removed;
	int trc;

	inf_buf_reset(&out);
	trc = inf_json_drop_top_tokens(&ttoks, js, n, max_depth, dk, &out, &removed, &err);
	FZ_CHECK(trc == drc, "drop_top_tokens: %d, drop_top: %d", trc, drc);
	if (trc == INF_ERR_INVALID || trc == INF_ERR_LIMIT)
		FZ_CHECK(err.offset == derr->offset && !strcmp(err.msg, derr->msg),
			 "drop_top_tokens: '%s' at %zu, drop_top: '%s' at %zu", err.msg,
			 err.offset, derr->msg, derr->offset);
	if (trc) {
		FZ_CHECK(out.len == 0 && ttoks.n == 0, "a refusal wrote %zu bytes, %d tokens",
			 out.len, ttoks.n);
		return;
	}
	FZ_CHECK(out.len == got->len && !memcmp(out.data, got->data, out.len),
		 "drop_top_tokens wrote '%.*s', drop_top '%.*s'", (int)out.len, out.data,
		 (int)got->len, got->data);
	if (inf_json_parse(&ftoks, out.data, out.len, max_depth, &ferr))
		fz_fail("drop_top_tokens wrote what does not parse: %s", ferr.msg);
	FZ_CHECK(ftoks.n == ttoks.n && ftoks.key_escapes == ttoks.key_escapes &&
		 !memcmp(ftoks.tok, ttoks.tok, (size_t)ttoks.n * sizeof *ttoks.tok),
		 "drop_top_tokens: %d tokens, a parse of what it wrote %d, or they differ",
		 ttoks.n, ftoks.n);
}

/* inf_json_drop_top against the tokens; `rc` is inf_json_parse's. */
static void drop_same(const char *js, size_t n, unsigned max_depth, int rc,
		      const struct inf_json_err *perr)
{
	static struct inf_buf got, want;
	struct inf_json_err err = { 0 }, lerr;
	struct inf_dropkeys dk;
	size_t removed, a = 0;
	int drc;

	if (!inf_paths_dropkeys(drop_ab, &dk))
		fz_fail("a and b are plain keys");
	inf_buf_reset(&got);
	drc = inf_json_drop_top(&dtoks, js, n, max_depth, &dk, &got, &removed, &err);
	drop_tokens_same(js, n, max_depth, &dk, drc, &err, &got);
	while (a < n && fz_is_ws((unsigned char)js[a]))
		a++;
	if (drc == 1) {
		FZ_CHECK(got.len == 0 && (a == n || js[a] != '{' || memchr(js, '\\', n)),
			 "declined a text whose root is an object without escapes");
		return;
	}
	if (rc) {
		FZ_CHECK(drc == rc && err.offset == perr->offset && !strcmp(err.msg, perr->msg),
			 "drop_top: %d '%s' at %zu, parse: %d '%s' at %zu", drc, err.msg,
			 err.offset, rc, perr->msg, perr->offset);
		FZ_CHECK(got.len == 0, "an error wrote %zu bytes", got.len);
		return;
	}
	FZ_CHECK(drc == 0, "drop_top: %d on a valid text", drc);
	rec.max_depth = max_depth;
	if (inf_record_load(&rec, js, n, &lerr) || rec.toks.tok[0].type != JSMN_OBJECT)
		fz_fail("drop_top took a text the record does not load as an object");
	if (inf_walk_matches(&rec, drop_ab, remove_match, NULL))
		fz_fail("walk failed");
	FZ_CHECK(removed == rec.nedits, "removed %zu, the walk %zu", removed, rec.nedits);
	inf_buf_reset(&want);
	if (inf_record_emit(&rec, &want))
		fz_fail("out of memory");
	FZ_CHECK(got.len == want.len && !memcmp(got.data, want.data, got.len),
		 "drop_top wrote '%.*s', the tokens '%.*s'", (int)got.len, got.data,
		 (int)want.len, want.data);
	FZ_CHECK(fz_valid_record(got.data, got.len, max_depth) == 1, "the output is not JSON");
}

/* The text as NDJSON lines through inf_jsonfast_drop_lines and
 * inf_jsonfast_member_lines. */
static void lines_same(const char *js, size_t n, unsigned max_depth, size_t max_record)
{
	struct inf_dropkeys dk;
	size_t taken, total;
	const char *bad;

	if (!inf_paths_dropkeys(drop_ab, &dk))
		fz_fail("a and b are plain keys");
	bad = linesref_check(js, n, max_depth, 0, max_record, &dk, &taken, &total);
	FZ_CHECK(!bad, "drop_lines: %s", bad);
	bad = linesref_check(js, n, max_depth, 0, max_record, NULL, &taken, &total);
	FZ_CHECK(!bad, "member_lines: %s", bad);
}

static void same_as_jsmn(const char *js, size_t n)
{
	jsmn_parser p;
	jsmntok_t *ref = malloc((n + 1) * sizeof *ref);
	int got;

	if (!ref)
		fz_fail("out of memory");
	jsmn_init(&p);
	got = jsmn_parse(&p, js, n, ref, (unsigned)n + 1);
	FZ_CHECK(got == toks.n, "jsmn: %d tokens, inflight %d", got, toks.n);
	for (int i = 0; i < got; i++) {
		const jsmntok_t *a = &toks.tok[i], *b = &ref[i];
		FZ_CHECK(a->type == b->type && a->start == b->start && a->end == b->end &&
		             a->size == b->size && a->parent == b->parent,
		         "token %d: {%d %d %d %d %d}, jsmn {%d %d %d %d %d}", i, a->type, a->start,
		         a->end, a->size, a->parent, b->type, b->start, b->end, b->size, b->parent);
	}
	free(ref);
}

/* Sizes from the parent links, and each subtree's extent. */
static void links_agree(void)
{
	int *count = calloc((size_t)toks.n + 1, sizeof *count);

	if (!count)
		fz_fail("out of memory");
	for (int i = 1; i < toks.n; i++) {
		int p = toks.tok[i].parent;
		FZ_CHECK(p >= 0 && p < i, "token %d: parent %d", i, p);
		count[p]++;
	}
	for (int i = 0; i < toks.n; i++) {
		int next = inf_tok_skip(&toks, i);
		FZ_CHECK(toks.tok[i].size == count[i], "token %d: size %d, %d children", i,
		         toks.tok[i].size, count[i]);
		FZ_CHECK(next > i && next <= toks.n, "skip(%d) = %d", i, next);
		for (int k = i + 1; k < next; k++) { /* everything skipped descends from i */
			int a = toks.tok[k].parent;
			while (a > i)
				a = toks.tok[a].parent;
			FZ_CHECK(a == i, "skip(%d) = %d passes token %d", i, next, k);
		}
	}
	free(count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inf_json_err err;
	unsigned max_depth;
	const char *js;
	size_t n, a = 0, b;
	int rc, ref;

	if (size < 1)
		return 0;
	max_depth = 1u + data[0] % 40u;
	js = (const char *)data + 1;
	n = size - 1;
	memset(&err, 0, sizeof err);
	rc = inf_json_parse(&toks, js, n, max_depth, &err);
	ref = fz_valid_record(js, n, max_depth);
	drop_same(js, n, max_depth, rc, &err);
	lines_same(js, n, max_depth, (data[0] / 40) & 1 ? 32u + data[0] : SIZE_MAX);
	if (ref == 1) {
		FZ_CHECK(rc == 0, "valid text refused: %d %s at %zu", rc, err.msg, err.offset);
	} else {
		FZ_CHECK(rc == (ref < 0 ? INF_ERR_LIMIT : INF_ERR_INVALID),
		         "%s text: rc %d (%s)", ref < 0 ? "too deep" : "invalid", rc, err.msg);
		FZ_CHECK(err.offset <= n && err.msg[0], "error at %zu of %zu: '%s'", err.offset, n,
		         err.msg);
		return 0;
	}
	FZ_CHECK(toks.n >= 1 && toks.tok[0].parent == -1, "root token");
	links_agree();
	while (a < n && fz_is_ws((unsigned char)js[a]))
		a++;
	b = n;
	while (b > a && fz_is_ws((unsigned char)js[b - 1]))
		b--;
	if (toks.tok[0].type == JSMN_PRIMITIVE) {
		FZ_CHECK(toks.n == 1 && toks.tok[0].start == (int)a && toks.tok[0].end == (int)b,
		         "scalar root span %d-%d, want %zu-%zu", toks.tok[0].start, toks.tok[0].end, a,
		         b);
		return 0;
	}
	same_as_jsmn(js, n);
	return 0;
}
