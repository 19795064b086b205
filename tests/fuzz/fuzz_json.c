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
 *  - one token store serves every input (growth, reuse).
 */
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#define JSMN_STATIC
#include <jsmn.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "inflight/plugin.h"
#include "json.h"

static struct inf_tokens toks; /* reused across inputs, like a worker's */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
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
