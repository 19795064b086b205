#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "error.h"

struct lib {
	char *name;
	void *handle;
	const struct inf_plugin *desc;
};

struct inf_loader {
	char *dirs;
	struct lib *libs;
	size_t n, cap;
};

/* The descriptor prefix every ABI version 1 plugin has. */
#define INF_PLUGIN_MIN_SIZE (offsetof(struct inf_plugin, fini) + sizeof(void (*)(void *)))

struct inf_loader *inf_loader_new(const char *dirs)
{
	struct inf_loader *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->dirs = strdup(dirs ? dirs : "");
	if (!l->dirs) {
		free(l);
		return NULL;
	}
	return l;
}

void inf_loader_free(struct inf_loader *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (l->libs[i].handle)
			dlclose(l->libs[i].handle);
		free(l->libs[i].name);
	}
	free(l->libs);
	free(l->dirs);
	free(l);
}

const char *inf_loader_dirs(const struct inf_loader *l)
{
	return l->dirs;
}

static int valid_name(const char *name)
{
	if (!*name || strlen(name) > 64)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* Finds dir/name.so in the first directory that has an entry of that
 * name: 0 if it is a regular file (or a link to one), 1 if it is anything
 * else (a dangling link, a directory: refused, not passed over for a later
 * directory's), -1 if no directory has it. */
static int locate(const struct inf_loader *l, const char *name, char *path,
		  size_t pathlen)
{
	const char *d = l->dirs;

	while (*d) {
		const char *e = strchr(d, ':');
		size_t dl = e ? (size_t)(e - d) : strlen(d);
		struct stat st;
		if (dl > 0) {
			int n = snprintf(path, pathlen, "%.*s/%s.so", (int)dl, d, name);
			if (n > 0 && (size_t)n < pathlen && lstat(path, &st) == 0)
				return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? 0 : 1;
		}
		d += dl + (e ? 1 : 0);
	}
	return -1;
}

/* Appends " (why)" after a directory of the search path that cannot be
 * searched ("no such directory", "not a directory", strerror's words),
 * for a message: a typo in --plugins is named, not left to look like a
 * directory without the plugin. */
static void dir_note(struct inf_buf *b, const char *d, size_t dl)
{
	char path[4096];
	struct stat st;

	if (dl >= sizeof path)
		return;
	memcpy(path, d, dl);
	path[dl] = '\0';
	if (stat(path, &st))
		inf_buf_printf(b, " (%s)", errno == ENOENT ? "no such directory" : strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		inf_buf_puts(b, " (not a directory)");
}

/* The plugin directories as a message prints them: a directory that
 * holds '@', '?', '#', '%', ';' or '&' is no plain path, and may be a URL
 * with a credential, so it is "<redacted>". */
static void show_dirs(const char *dirs, char *buf, size_t buflen)
{
	struct inf_buf b = { 0 };

	for (const char *d = dirs; *d;) {
		size_t dl = strcspn(d, ":"), safe = strcspn(d, ":@?#%;&");
		if (d != dirs)
			inf_buf_append(&b, ":", 1);
		if (safe >= dl) {
			inf_buf_append(&b, d, dl);
			if (dl) /* an empty entry is passed over, as locate() does */
				dir_note(&b, d, dl);
		} else {
			inf_buf_append(&b, "<redacted>", 10);
		}
		d += dl + (d[dl] == ':');
	}
	if (b.len && !inf_buf_append(&b, "", 1))
		inf_one_line(b.data, buf, buflen);
	else
		inf_one_line(b.len ? "<redacted>" : "(no plugin directory)", buf, buflen);
	inf_buf_free(&b);
}

/* A plugin's path as a message prints it: its directory as show_dirs
 * would, then the file name. */
static void show_path(const char *path, char *buf, size_t buflen)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;

	if (strcspn(path, "@?#%;&") < dl) {
		char tail[128];
		inf_one_line(slash, tail, sizeof tail);
		snprintf(buf, buflen, "<redacted>%s", tail);
	} else {
		inf_one_line(path, buf, buflen);
	}
}

/* dlerror()'s text, which names the file, with `path` shown as `shown`. */
static void show_dlerror(const char *path, const char *shown, char *buf, size_t buflen)
{
	const char *e = dlerror(), *at = e ? strstr(e, path) : NULL;

	if (!e)
		snprintf(buf, buflen, "unknown error");
	else if (at)
		snprintf(buf, buflen, "%.*s%s%s", (int)(at - e), e, shown, at + strlen(path));
	else
		snprintf(buf, buflen, "%s", e);
}

const char *inf_plugin_removes(const struct inf_plugin *p)
{
	if (p->size < offsetof(struct inf_plugin, removes) + sizeof p->removes)
		return NULL;
	return p->removes;
}

inf_plan_fn inf_plugin_plan(const struct inf_plugin *p)
{
	if (p->size < offsetof(struct inf_plugin, plan) + sizeof p->plan)
		return NULL;
	return p->plan;
}

const struct inf_option *inf_plugin_removes_option(const struct inf_plugin *p)
{
	const char *name = inf_plugin_removes(p);

	for (const struct inf_option *o = p->options; name && o->name; o++)
		if (!strcmp(o->name, name))
			return o->type == INF_OPT_PATHS ? o : NULL;
	return NULL;
}

static int check_desc(const struct inf_plugin *p, const char *name,
		      const char *path, char *err, size_t errlen)
{
	if (p->abi_version != INF_PLUGIN_ABI_VERSION) {
		snprintf(err, errlen,
			 "plugin '%s' (%s) has ABI version %u, this runtime needs %u",
			 name, path, p->abi_version, INF_PLUGIN_ABI_VERSION);
		return INF_ERR_INVALID;
	}
	if (p->size < INF_PLUGIN_MIN_SIZE) {
		snprintf(err, errlen,
			 "plugin '%s' (%s) has a descriptor of %u bytes, ABI version %u needs at least %zu",
			 name, path, p->size, INF_PLUGIN_ABI_VERSION, (size_t)INF_PLUGIN_MIN_SIZE);
		return INF_ERR_INVALID;
	}
	if (!p->name || strcmp(p->name, name)) {
		snprintf(err, errlen, "plugin file %s names itself '%s', expected '%s'",
			 path, p->name ? p->name : "(null)", name);
		return INF_ERR_INVALID;
	}
	if (!p->process || !p->options) {
		snprintf(err, errlen, "plugin '%s' (%s) has no process function or option table",
			 name, path);
		return INF_ERR_INVALID;
	}
	if (inf_plugin_removes(p) && !inf_plugin_removes_option(p)) {
		snprintf(err, errlen,
			 "plugin '%s' (%s) declares that it removes what option '%.64s' "
			 "reaches, which is not one of its path-list options",
			 name, path, inf_plugin_removes(p));
		return INF_ERR_INVALID;
	}
	return 0;
}

int inf_loader_get(struct inf_loader *l, const char *name,
		   const struct inf_plugin **out, char *err, size_t errlen)
{
	char path[4096], shown[512];
	struct lib lib = { 0 };
	int rc;

	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->libs[i].name, name)) {
			*out = l->libs[i].desc;
			return 0;
		}
	if (!valid_name(name)) {
		snprintf(err, errlen,
			 "plugin name '%s' is not allowed (1 to 64 letters, digits, '_' and '-')",
			 name);
		return INF_ERR_INVALID;
	}
	rc = locate(l, name, path, sizeof path);
	if (rc < 0) {
		show_dirs(l->dirs, shown, sizeof shown);
		snprintf(err, errlen, "unknown plugin '%s': no %s.so in %s", name, name, shown);
		return INF_ERR_INVALID;
	}
	show_path(path, shown, sizeof shown);
	if (rc > 0) {
		snprintf(err, errlen, "plugin '%s': %s is not a regular file", name, shown);
		return INF_ERR_INVALID;
	}
	lib.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib.handle) {
		char why[1024];
		show_dlerror(path, shown, why, sizeof why);
		snprintf(err, errlen, "cannot load plugin '%s': %s", name, why);
		return INF_ERR_INVALID;
	}
	lib.desc = dlsym(lib.handle, INF_PLUGIN_SYMBOL);
	if (!lib.desc) {
		snprintf(err, errlen, "plugin '%s' (%s) does not export '%s'", name,
			 shown, INF_PLUGIN_SYMBOL);
		rc = INF_ERR_INVALID;
		goto fail;
	}
	if ((rc = check_desc(lib.desc, name, shown, err, errlen)))
		goto fail;
	lib.name = strdup(name);
	if (!lib.name || inf_array_grow(&l->libs, &l->cap, l->n + 1, sizeof *l->libs)) {
		free(lib.name);
		snprintf(err, errlen, "out of memory");
		rc = INF_ERR_NOMEM;
		goto fail;
	}
	l->libs[l->n++] = lib;
	*out = lib.desc;
	return 0;
fail:
	dlclose(lib.handle);
	return rc;
}
