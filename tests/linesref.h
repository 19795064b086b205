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

/* Runs the NDJSON text [text, text + len) (from an exact copy, so that a
 * read past it shows under ASan) through inf_jsonfast_drop_lines as the
 * framer does, the lines it read and did not take the parser's way. Every
 * line it takes, the parser must take (inf_json_drop_top_tokens on the
 * line less a '\r' before its '\n', within max_record), and what it
 * writes must be the parser's output with the line ending after it.
 * Returns NULL, or what went wrong; *taken gets the lines it took, *total
 * all the lines. */
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
		size_t n, rd, before = fast.len, q = p;
		size_t c = inf_jsonfast_drop_lines(&s, js + p, len - p, depth, max_key, max_record,
						   dk, &fast, &n, &rd);

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
			else if (inf_json_drop_top_tokens(&t, js + q, le - q, depth, dk, &ref, &rr,
							  &e) ||
				 inf_buf_append(&ref, js + le, at + 1 - le))
				snprintf(msg, sizeof msg, "took a line the parser refuses (%s at %zu): "
					 "'%.*s'", e.msg, e.offset, (int)(le - q), js + q);
			q = at + 1;
		}
		if (!msg[0] && q != p + c)
			snprintf(msg, sizeof msg, "%zu lines are not %zu bytes", n, c);
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
