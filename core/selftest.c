#include "selftest.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "chain.h"
#include "options.h"

/* Shown bytes of each side of a failed test. */
#define SHOW_MAX 200

static int sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)err;
	return inf_buf_append(ctx, data, len) ? -1 : 0;
}

/* Appends s (n bytes) with control characters escaped: all of it when
 * short, else SHOW_MAX bytes from a little before `diff`, the first
 * difference, with "..." where text was left out. */
static void show(struct inf_buf *b, const char *s, size_t n, size_t diff)
{
	size_t from = n > SHOW_MAX && diff > SHOW_MAX / 3 ? diff - SHOW_MAX / 3 : 0;
	size_t end;

	if (from > n)
		from = n;
	end = n - from > SHOW_MAX ? from + SHOW_MAX : n;

	if (from > 0)
		inf_buf_puts(b, "...");
	for (size_t i = from; i < end; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			inf_buf_puts(b, "\\n");
		else if (c == '\r')
			inf_buf_puts(b, "\\r");
		else if (c == '\t')
			inf_buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			inf_buf_printf(b, "\\x%02x", c);
		else
			inf_buf_putc(b, (char)c);
	}
	if (end < n)
		inf_buf_puts(b, "...");
}

/* Runs `input` through `ap`; the output, or "error: ..." when the
 * transform failed, ends up in `out`. Returns 0 or -1 on failure. */
static int run_one(const struct inf_access_point *ap, const char *input,
		   size_t len, struct inf_buf *out)
{
	struct inf_request req = { .access_point = ap->name, .object_key = "",
				   .request_id = "" };
	struct inf_error err = { 0 };
	struct inf_transform *t = inf_transform_new(ap, &req, sink, out, &err);
	int rc;

	if (!t) {
		inf_buf_puts(out, "error: out of memory");
		return -1;
	}
	rc = inf_transform_write(t, input, len);
	if (rc == 0)
		rc = inf_transform_finish(t);
	inf_transform_free(t);
	if (rc) {
		inf_buf_reset(out);
		inf_buf_printf(out, "error: %s", err.msg[0] ? err.msg : "failed");
	}
	return rc ? -1 : 0;
}

/* Reads one test group; returns 0 with input and expect set, or -1
 * after reporting what is wrong. */
static int read_test(const struct inf_access_point *ap,
		     const config_setting_t *g, int no, const char **input,
		     const char **expect, struct inf_policy_errors *errs)
{
	char where[300], line[700];

	inf_setting_where(g, where, sizeof where);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		snprintf(line, sizeof line, "%s: access point '%s': self-test %d must be a group { input = \"...\"; expect = \"...\"; }",
			 where, ap->name, no);
		inf_policy_errors_add(errs, line);
		return -1;
	}
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *k = config_setting_name(m);
		if (strcmp(k, "input") && strcmp(k, "expect")) {
			snprintf(line, sizeof line, "%s: access point '%s': self-test %d: unknown key '%s' (expected input and expect)",
				 inf_setting_where(m, where, sizeof where), ap->name, no, k);
			inf_policy_errors_add(errs, line);
			return -1;
		}
	}
	if (!config_setting_lookup_string(g, "input", input) ||
	    !config_setting_lookup_string(g, "expect", expect)) {
		snprintf(line, sizeof line, "%s: access point '%s': self-test %d needs 'input' and 'expect' strings",
			 where, ap->name, no);
		inf_policy_errors_add(errs, line);
		return -1;
	}
	return 0;
}

int inf_selftest_run(const struct inf_access_point *ap,
		     const config_setting_t *tests,
		     struct inf_policy_errors *errs)
{
	struct inf_buf out = { 0 }, msg = { 0 };
	char where[300];
	int n, bad = 0;

	if (!config_setting_is_list(tests)) {
		inf_buf_printf(&msg, "%s: access point '%s': tests must be a list ( { input = \"...\"; expect = \"...\"; }, ... )",
			       inf_setting_where(tests, where, sizeof where), ap->name);
		inf_policy_errors_add(errs, msg.data ? msg.data : "out of memory");
		inf_buf_free(&msg);
		return -1;
	}
	n = config_setting_length(tests);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(tests, (unsigned)i);
		const char *input, *expect;
		size_t elen, diff = 0;

		if (read_test(ap, g, i + 1, &input, &expect, errs)) {
			bad = 1;
			continue;
		}
		inf_buf_reset(&out);
		elen = strlen(expect);
		if (run_one(ap, input, strlen(input), &out) == 0 && out.len == elen &&
		    (elen == 0 || !memcmp(out.data, expect, elen)))
			continue;
		bad = 1;
		while (diff < elen && diff < out.len && expect[diff] == out.data[diff])
			diff++;
		inf_buf_reset(&msg);
		inf_buf_printf(&msg, "%s: access point '%s': self-test %d failed:\n  expected: ",
			       inf_setting_where(g, where, sizeof where), ap->name, i + 1);
		show(&msg, expect, elen, diff);
		inf_buf_puts(&msg, "\n  actual:   ");
		show(&msg, out.data ? out.data : "", out.len, diff);
		/* said, since a space at the end, or a character that looks
		 * like another, does not show */
		inf_buf_printf(&msg, "\n  first difference: byte %zu%s", diff + 1,
			       diff == elen ? ", where expected ends"
			       : diff == out.len ? ", where actual ends" : "");
		if (inf_buf_putc(&msg, '\0') == 0)
			inf_policy_errors_add(errs, msg.data);
	}
	inf_buf_free(&out);
	inf_buf_free(&msg);
	return bad ? -1 : 0;
}
