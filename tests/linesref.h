/*
 * What core/jsonfast.c's inf_jsonfast_drop_lines must do, checked line
 * by line against core/json.c's parser: shared by check_jsonfast.c and
 * fuzz_json.c.
 */
#ifndef INF_TEST_LINESREF_H
#define INF_TEST_LINESREF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "jsonfast.h"

/* What the lines path of inf_jsonfast_member_lines is told to do with a
 * line, from its bytes: take it (0), drop it or decline it, in about one
 * line in 5 and one in 11. */
static inline int linesref_rule(const char *line, size_t len)
{
	unsigned h = 7;

	for (size_t i = 0; i < len; i++)
		h = h * 31 + (unsigned char)line[i];
	return h % 11 == 0 ? 1 : h % 5 == 0 ? INF_JSONFAST_LINE_DROP : 0;
}

/* A taken line's output in member mode: its length, its members and its
 * root's '}', as text. */
static inline int linesref_members(struct inf_buf *out, size_t len,
				   const struct inf_jsonfast_member *m, size_t nm, size_t close)
{
	int rc = inf_buf_printf(out, "%zu:%zu:", len, nm);

	for (size_t i = 0; i < nm && !rc; i++)
		rc = inf_buf_printf(out, "%u,%u,%u,%u;", (unsigned)m[i].key, (unsigned)m[i].klen,
				    (unsigned)m[i].v, (unsigned)m[i].vend);
	return rc || inf_buf_printf(out, "}%zu", close);
}

static inline int linesref_fn(void *ctx, const char *line, size_t len,
			      const struct inf_jsonfast_member *m, size_t nm, size_t close,
			      struct inf_buf *out)
{
	int rule = linesref_rule(line, len);

	(void)ctx;
	if (rule)
		return rule;
	return linesref_members(out, len, m, nm, close) ? 1 : 0;
}

/* The parser's answer for the line [js, js + len) in member mode
 * (inf_json_parse's root members, as inf_jsonfast_members gives them),
 * appended to ref: 0, or 1 when the parser refuses it or it is not an
 * object. */
static inline int linesref_parse_members(struct inf_tokens *t, const char *js, size_t len,
					 unsigned depth, struct inf_json_err *e,
					 struct inf_buf *ref)
{
	int rule = linesref_rule(js, len), rc;

	if (inf_json_parse(t, js, len, depth, e) || t->tok[0].type != JSMN_OBJECT)
		return 1;
	if (rule)
		return rule == 1; /* a dropped line writes nothing */
	rc = inf_buf_printf(ref, "%zu:%d:", len, t->tok[0].size);
	for (int k = 1; k < t->n && !rc; k = inf_tok_skip(t, k + 1)) {
		const jsmntok_t *kt = &t->tok[k], *vt = &t->tok[k + 1];
		int q = vt->type == JSMN_STRING;

		rc = inf_buf_printf(ref, "%d,%d,%d,%d;", kt->start - 1, kt->end - kt->start,
				    vt->start - q, vt->end + q);
	}
	return rc || inf_buf_printf(ref, "}%d", t->tok[0].end - 1);
}

/* Runs the NDJSON text [text, text + len) (from an exact copy, so that a
 * read past it shows under ASan) through inf_jsonfast_drop_lines (or,
 * when dk is NULL, inf_jsonfast_member_lines with linesref_fn) as the
 * framer does, the lines it read and did not take the parser's way.
 * Every line it takes, the parser must take (inf_json_drop_top_tokens, or
 * inf_json_parse, on the line less a '\r' before its '\n', within
 * max_record), and what it writes must be the parser's output (the
 * members as text) with the line ending after it, nothing for a line
 * linesref_rule drops, a line of whitespace as it is. Returns NULL, or what went wrong; *taken gets the
 * lines it took, *total all the lines. */
static inline const char *linesref_check(const char *text, size_t len, unsigned depth,
					 size_t max_key, size_t max_record,
					 const struct inf_dropkeys *dk, size_t *taken,
					 size_t *total)
{
	static char msg[512];
	struct inf_jsonfast *s = NULL;
	struct inf_tokens t = { 0 };
	struct inf_buf fast = { 0 }, ref = { 0 };
	char *js = malloc(len ? len : 1);
	size_t p = 0;

	*taken = *total = 0;
	msg[0] = '\0';
	if (!js)
		return "out of memory";
	memcpy(js, text, len);
	t.max_key = max_key;
	while (p < len && !msg[0]) {
		size_t n, rd, before = fast.len, q = p, dropped = 0, ndrop = 0, blank, nblank = 0;
		size_t c = dk ? inf_jsonfast_drop_lines(&s, js + p, len - p, depth, max_key,
							max_record, dk, &fast, &n, &blank, &rd)
			      : inf_jsonfast_member_lines(&s, js + p, len - p, depth, max_key,
							  max_record, linesref_fn, NULL, &fast,
							  &n, &blank, &dropped, &rd);

		if (c > len - p || (c && js[p + c - 1] != '\n') || (c == 0) != (n == 0) ||
		    rd > len - p || (rd && js[p + rd - 1] != '\n') || c > rd) {
			snprintf(msg, sizeof msg, "took %zu bytes, %zu lines, read %zu, of %zu", c, n,
				 rd, len - p);
			break;
		}
		inf_buf_reset(&ref);
		for (size_t k = 0; k < n && !msg[0]; k++) {
			const char *nl = memchr(js + q, '\n', p + c - q);
			size_t at, le, rr;
			struct inf_json_err e = { 0 };

			if (!nl) {
				snprintf(msg, sizeof msg, "%zu lines are not %zu bytes", n, c);
				break;
			}
			at = (size_t)(nl - js);
			le = at - (at > q && js[at - 1] == '\r');
			if (le - q > max_record)
				snprintf(msg, sizeof msg, "took a line of %zu bytes over max_record %zu",
					 le - q, max_record);
			else if (inf_json_is_ws(js + q, le - q)) { /* as it is, not a record */
				nblank++;
				if (inf_buf_append(&ref, js + q, at + 1 - q))
					snprintf(msg, sizeof msg, "out of memory");
			} else if (dk ? inf_json_drop_top_tokens(&t, js + q, le - q, depth, dk, &ref,
							       &rr, &e)
				    : linesref_parse_members(&t, js + q, le - q, depth, &e, &ref))
				snprintf(msg, sizeof msg, "took a line the parser refuses (%s at %zu) "
					 "or the rule declines: '%.*s'", e.msg, e.offset,
					 (int)(le - q), js + q);
			else if (!dk && linesref_rule(js + q, le - q))
				ndrop++; /* no line ending */
			else if (inf_buf_append(&ref, js + le, at + 1 - le))
				snprintf(msg, sizeof msg, "out of memory");
			q = at + 1;
		}
		if (!msg[0] && q != p + c)
			snprintf(msg, sizeof msg, "%zu lines are not %zu bytes", n, c);
		if (!msg[0] && dropped != ndrop)
			snprintf(msg, sizeof msg, "said %zu lines dropped, not %zu", dropped, ndrop);
		if (!msg[0] && blank != nblank)
			snprintf(msg, sizeof msg, "said %zu lines blank, not %zu", blank, nblank);
		if (!msg[0] && (fast.len - before != ref.len ||
				(ref.len && memcmp(fast.data + before, ref.data, ref.len))))
			snprintf(msg, sizeof msg, "wrote '%.*s', the parser '%.*s'",
				 (int)(fast.len - before), fast.data + before, (int)ref.len, ref.data);
		*taken += n;
		*total += n;
		p += c;
		/* the framer's way: the lines it read and did not take, or one */
		for (size_t stop = p - c + rd; !msg[0] && (c == 0 || p < stop);) {
			const char *nl = memchr(js + p, '\n', len - p);

			p = nl ? (size_t)(nl - js) + 1 : len;
			++*total;
			if (c == 0 && p >= stop)
				break;
		}
	}
	inf_jsonfast_free(s);
	inf_tokens_free(&t);
	inf_buf_free(&fast);
	inf_buf_free(&ref);
	free(js);
	return msg[0] ? msg : NULL;
}

#endif
