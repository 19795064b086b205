#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "path.h"
#include "record.h"
#include "table.h"

static void default_log(enum inf_log_level level, const char *plugin,
			const char *msg)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct inf_buf b = { 0 };

	inf_buf_printf(&b, "{\"level\":\"%s\",\"plugin\":", names[level & 3]);
	if (inf_json_quote(&b, plugin, strlen(plugin)))
		inf_buf_puts(&b, "\"?\"");
	inf_buf_puts(&b, ",\"msg\":");
	if (inf_json_quote(&b, msg, strlen(msg)))
		inf_buf_puts(&b, "\"(message not UTF-8)\"");
	inf_buf_puts(&b, "}\n");
	if (b.data)
		fwrite(b.data, 1, b.len, stderr);
	inf_buf_free(&b);
}

static void (*log_fn)(enum inf_log_level, const char *, const char *) = default_log;

void inf_host_set_log(void (*fn)(enum inf_log_level, const char *, const char *))
{
	log_fn = fn;
}

static void host_log(enum inf_log_level level, const char *plugin,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void host_log(enum inf_log_level level, const char *plugin,
		     const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof msg) {
		/* a cut inside a character would make the message not UTF-8 */
		size_t len = sizeof msg - 1, ok = inf_utf8_valid_prefix(msg, len);

		if (len - ok < 4)
			msg[ok] = '\0';
	}
	log_fn(level, plugin ? plugin : "?", msg);
}

static void *host_alloc(size_t n)
{
	return calloc(1, n ? n : 1);
}

static const char *host_context(struct inf_record *r, enum inf_ctx_field f)
{
	const char *v = NULL;

	if (r->req) {
		switch (f) {
		case INF_CTX_ACCESS_POINT: v = r->req->access_point; break;
		case INF_CTX_OBJECT_KEY: v = r->req->object_key; break;
		case INF_CTX_REQUEST_ID: v = r->req->request_id; break;
		}
	}
	return v ? v : "";
}

/* ---- record services ----
 * While earlier steps' scalar replacements are carried (record.h), a
 * service applies them first (inf_record_flush: in place, so the nodes a
 * step holds stay valid), unless it cannot see them: `type` of a node
 * they did not replace; set_json/set_string without overwrite on an
 * object they did not replace (which read member keys only, and insert);
 * paths_check_root, which looks at containers and keys only (a scalar,
 * replaced or not, holds nothing to reach into). cond_check_root flushes:
 * its check of keys held twice counts the members a replacement hides.
 * A failed flush fails the service and, through r->service_rc, the record,
 * whatever the plugin does with the failure; so does running out of
 * memory in find and string, whose answers (-1, NULL) cannot say so.
 * So does an edit refused (refused() below): a step that goes on as if
 * it had been made would pass on a value it meant to mask. */

static int flushed(struct inf_record *r)
{
	int rc;

	if (!r->carried)
		return 0;
	if ((rc = inf_record_flush(r, &r->edit_err)))
		r->service_rc = rc;
	return rc;
}

/* An edit service's answer, a refusal noted in r->edit_rc (the first). */
static int refused(struct inf_record *r, int rc)
{
	if (rc < 0 && !r->edit_rc)
		r->edit_rc = rc;
	return rc;
}

/* Whether node reads differently once the carried edits are applied. */
static int carried_node(const struct inf_record *r, int node)
{
	return r->carried && node >= 0 && node < r->toks.n && inf_record_hidden(r, node);
}

static enum inf_type h_type(struct inf_record *r, int node)
{
	return carried_node(r, node) && flushed(r) ? INF_NONE : inf_record_type(r, node);
}

static const char *h_raw(struct inf_record *r, int node, size_t *len)
{
	return flushed(r) ? NULL : inf_record_raw(r, node, len);
}

static const char *h_string(struct inf_record *r, int node, size_t *len)
{
	const char *s;

	if (flushed(r))
		return NULL;
	s = inf_record_string(r, node, len);
	if (!s && inf_record_type(r, node) == INF_STRING)
		r->service_rc = INF_ERR_NOMEM; /* NULL would read "not a string" */
	return s;
}

static int h_find(struct inf_record *r, const struct inf_paths *ps)
{
	return flushed(r) ? -1 : inf_find(r, ps);
}

static int h_walk(struct inf_record *r, const struct inf_paths *ps, inf_visit_fn visit,
		  void *ctx)
{
	int rc = flushed(r);

	return rc ? rc : inf_walk(r, ps, visit, ctx);
}

static int h_walk_matches(struct inf_record *r, const struct inf_paths *ps,
			  inf_visit_fn visit, void *ctx)
{
	int rc = flushed(r);

	return rc ? rc : inf_walk_matches(r, ps, visit, ctx);
}

static int h_remove(struct inf_record *r, int node)
{
	int rc = flushed(r);

	return refused(r, rc ? rc : inf_record_remove(r, node));
}

static int h_replace_json(struct inf_record *r, int node, const char *json, size_t len)
{
	int rc = flushed(r);

	return refused(r, rc ? rc : inf_record_replace_json(r, node, json, len));
}

static int h_replace_string(struct inf_record *r, int node, const char *s, size_t len)
{
	int rc = flushed(r);

	return refused(r, rc ? rc : inf_record_replace_string(r, node, s, len));
}

static int h_set_json(struct inf_record *r, int obj, const char *key, size_t keylen,
		      const char *json, size_t len, int overwrite)
{
	int rc = (overwrite || carried_node(r, obj)) ? flushed(r) : 0;

	return refused(r, rc ? rc : inf_record_set_json(r, obj, key, keylen, json, len,
							overwrite));
}

static int h_set_string(struct inf_record *r, int obj, const char *key, size_t keylen,
			const char *s, size_t len, int overwrite)
{
	int rc = (overwrite || carried_node(r, obj)) ? flushed(r) : 0;

	return refused(r, rc ? rc : inf_record_set_string(r, obj, key, keylen, s, len,
							  overwrite));
}

static int h_cond_check_root(struct inf_record *r, const struct inf_cond *c, char *err)
{
	int rc = flushed(r);

	return rc ? rc : inf_cond_check_root(r, c, err);
}

static int h_cond_match(struct inf_record *r, const struct inf_cond *c)
{
	int rc = flushed(r);

	return rc ? rc : inf_cond_match(r, c);
}

static int h_number(struct inf_record *r, int node, double *out)
{
	int rc = flushed(r);

	return rc ? rc : inf_node_number(r, node, out);
}

static const struct inf_host table = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_host),
	.log = host_log,
	.alloc = host_alloc,
	.release = free,
	.type = h_type,
	.raw = h_raw,
	.string = h_string,
	.find = h_find,
	.walk = h_walk,
	.remove = h_remove,
	.replace_json = h_replace_json,
	.replace_string = h_replace_string,
	.set_json = h_set_json,
	.set_string = h_set_string,
	.context = host_context,
	.cond_match = h_cond_match,
	.number = h_number,
	.table_load = inf_table_load,
	.table_find = inf_table_find,
	.table_free = inf_table_free,
	.walk_matches = h_walk_matches,
	.paths_check_root = inf_paths_check_root,
	.cond_check_root = h_cond_check_root,
};

const struct inf_host *inf_host_table(void)
{
	return &table;
}
