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
	inf_json_quote(&b, plugin, strlen(plugin));
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

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
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

static const struct inf_host table = {
	.abi_version = INF_PLUGIN_ABI_VERSION,
	.size = sizeof(struct inf_host),
	.log = host_log,
	.alloc = host_alloc,
	.release = free,
	.type = inf_record_type,
	.raw = inf_record_raw,
	.string = inf_record_string,
	.find = inf_find,
	.walk = inf_walk,
	.remove = inf_record_remove,
	.replace_json = inf_record_replace_json,
	.replace_string = inf_record_replace_string,
	.set_json = inf_record_set_json,
	.set_string = inf_record_set_string,
	.context = host_context,
	.cond_match = inf_cond_match,
	.number = inf_node_number,
	.table_load = inf_table_load,
	.table_find = inf_table_find,
	.table_free = inf_table_free,
	.walk_matches = inf_walk_matches,
	.paths_check_root = inf_paths_check_root,
	.cond_check_root = inf_cond_check_root,
};

const struct inf_host *inf_host_table(void)
{
	return &table;
}
