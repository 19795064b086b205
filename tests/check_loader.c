/*
 * Plugin loader (core/loader.c): finds <name>.so along a ':'-separated
 * list, loads it once, and refuses bad names, bad descriptors and files
 * that are not plugins with a message saying which and why. Also checks
 * that every built plugin exports exactly one symbol.
 */
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "testutil.h"

static char *tmp;
static struct inf_loader *ld;
static char err[1024];

static void setup(void)
{
	tmp = tu_tmpdir();
	ck_assert_ptr_nonnull(tmp);
	ld = NULL;
	err[0] = '\0';
}

static void teardown(void)
{
	inf_loader_free(ld);
	ld = NULL;
	tu_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

/* A loader over `dirs`, kept in `ld` for teardown. */
static struct inf_loader *loader(const char *dirs)
{
	inf_loader_free(ld);
	ld = inf_loader_new(dirs);
	ck_assert_ptr_nonnull(ld);
	return ld;
}

static const char *plugins_dir(char *buf, size_t n)
{
	snprintf(buf, n, "%s/plugins", tu_build());
	return buf;
}

static const char *test_plugins_dir(char *buf, size_t n)
{
	snprintf(buf, n, "%s/test-plugins", tu_build());
	return buf;
}

/* Copies the first `max` bytes (all when 0) of `from` to tmp/name. */
static void copy_file(const char *from, const char *name, size_t max)
{
	char path[PATH_MAX], *data;
	FILE *f = fopen(from, "rb");
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", from);
	data = malloc(1 << 22);
	ck_assert_ptr_nonnull(data);
	n = fread(data, 1, 1 << 22, f);
	fclose(f);
	if (max && n > max)
		n = max;
	ck_assert_int_eq(tu_write(tmp, name, data, n, path, sizeof path), 0);
	free(data);
}

/* The file a descriptor was loaded from. */
static const char *origin(const struct inf_plugin *p)
{
	Dl_info info;

	ck_assert_int_ne(dladdr(p, &info), 0);
	ck_assert_ptr_nonnull(info.dli_fname);
	return info.dli_fname;
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

START_TEST(test_loads_drop_fields)
{
	char dir[PATH_MAX];
	const struct inf_plugin *p = NULL;

	loader(plugins_dir(dir, sizeof dir));
	ck_assert_str_eq(inf_loader_dirs(ld), dir);
	ck_assert_msg(inf_loader_get(ld, "drop_fields", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->abi_version, INF_PLUGIN_ABI_VERSION);
	ck_assert_uint_ge(p->size, sizeof(struct inf_plugin));
	ck_assert_str_eq(p->name, "drop_fields");
	ck_assert_ptr_nonnull(p->process);
	ck_assert_ptr_nonnull(p->options);
	ck_assert_str_eq(p->options[0].name, "paths");
	ck_assert_int_eq(p->options[0].type, INF_OPT_PATHS);
	ck_assert_ptr_null(p->options[1].name);
	ck_assert_ptr_nonnull(strstr(origin(p), "/drop_fields.so"));
}
END_TEST

START_TEST(test_same_name_same_descriptor)
{
	char dir[PATH_MAX];
	const struct inf_plugin *a = NULL, *b = NULL, *c = NULL;

	loader(plugins_dir(dir, sizeof dir));
	ck_assert_int_eq(inf_loader_get(ld, "drop_fields", &a, err, sizeof err), 0);
	ck_assert_int_eq(inf_loader_get(ld, "keep_fields", &c, err, sizeof err), 0);
	ck_assert_int_eq(inf_loader_get(ld, "drop_fields", &b, err, sizeof err), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_ne(a, c);
	ck_assert_str_eq(c->name, "keep_fields");
}
END_TEST

START_TEST(test_search_order)
{
	char dir[PATH_MAX], src[PATH_MAX + 32], dirs[3 * PATH_MAX];
	const struct inf_plugin *p = NULL;

	plugins_dir(dir, sizeof dir);
	snprintf(src, sizeof src, "%s/drop_fields.so", dir);
	copy_file(src, "drop_fields.so", 0);

	/* the temporary directory first: its copy wins */
	snprintf(dirs, sizeof dirs, "%s:%s", tmp, dir);
	loader(dirs);
	ck_assert_msg(inf_loader_get(ld, "drop_fields", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(has_prefix(origin(p), tmp), "loaded %s", origin(p));
	/* a plugin only the second directory has is still found */
	ck_assert_msg(inf_loader_get(ld, "keep_fields", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(has_prefix(origin(p), dir), "loaded %s", origin(p));

	/* the build directory first: the copy is never looked at */
	snprintf(dirs, sizeof dirs, "%s:%s", dir, tmp);
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "drop_fields", &p, err, sizeof err), 0);
	ck_assert_msg(!has_prefix(origin(p), tmp), "loaded %s", origin(p));

	/* a dangling link or a directory of the name in the first directory
	 * is refused, not passed over for the second's plugin */
	snprintf(src, sizeof src, "%s/drop_fields.so", tmp);
	ck_assert_int_eq(unlink(src), 0);
	ck_assert_int_eq(symlink("/nonexistent/drop_fields.so", src), 0);
	snprintf(dirs, sizeof dirs, "%s:%s", tmp, dir);
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "drop_fields", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(strstr(err, "/drop_fields.so is not a regular file"), "got %s", err);
	ck_assert_int_eq(unlink(src), 0);
	ck_assert_int_eq(mkdir(src, 0700), 0);
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "drop_fields", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(strstr(err, "/drop_fields.so is not a regular file"), "got %s", err);
	ck_assert_int_eq(rmdir(src), 0);

	/* empty entries and missing directories are skipped */
	snprintf(dirs, sizeof dirs, "::%s/missing:%s:", tmp, dir);
	loader(dirs);
	ck_assert_msg(inf_loader_get(ld, "keep_fields", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(p->name, "keep_fields");
}
END_TEST

START_TEST(test_unknown_plugin_lists_dirs)
{
	char dirs[PATH_MAX], want[2 * PATH_MAX];
	const struct inf_plugin *p = NULL;

	snprintf(dirs, sizeof dirs, "%s:/nonexistent/inflight", tmp);
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_null(p);
	/* a directory that is not there is named as such: a typo in
	 * --plugins does not look like a directory without the plugin */
	snprintf(want, sizeof want, "unknown plugin 'nope': no nope.so in %s:/nonexistent/inflight "
		 "(no such directory)", tmp);
	ck_assert_str_eq(err, want);
	snprintf(dirs, sizeof dirs, "%s/tests/check_loader", tu_build());
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	snprintf(want, sizeof want, "unknown plugin 'nope': no nope.so in %s (not a directory)",
		 dirs);
	ck_assert_str_eq(err, want);
	/* an empty entry is passed over, not called missing */
	loader("::/nonexistent/inflight");
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "unknown plugin 'nope': no nope.so in ::/nonexistent/inflight "
			      "(no such directory)");

	/* nor is it in the path of a plugin that cannot be used */
	snprintf(want, sizeof want, "%s/tok@SECRET", tmp);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(want, sizeof want, "%s/tok@SECRET/nope.so", tmp);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	snprintf(dirs, sizeof dirs, "%s/tok@SECRET", tmp);
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "plugin 'nope': <redacted>/nope.so is not a regular file");
	ck_assert_int_eq(rmdir(want), 0);
	ck_assert_int_eq(creat(want, 0600) >= 0, 1); /* empty: dlopen refuses it */
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(strstr(err, "<redacted>/nope.so") && !strstr(err, "SECRET"), "%s", err);
	ck_assert_int_eq(unlink(want), 0);
	snprintf(want, sizeof want, "%s/tok@SECRET", tmp);
	ck_assert_int_eq(rmdir(want), 0);

	/* a directory that may be a URL with a credential is not printed */
	snprintf(dirs, sizeof dirs, "%s:https://u:pw@h/p?X-Amz-Signature=S", tmp);
	loader(dirs);
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	snprintf(want, sizeof want, "unknown plugin 'nope': no nope.so in %s:https (no such "
		 "directory)://u (no such directory):<redacted>", tmp);
	ck_assert_str_eq(err, want);

	loader("");
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_str_eq(err, "unknown plugin 'nope': no nope.so in (no plugin directory)");
	loader(NULL);
	ck_assert_str_eq(inf_loader_dirs(ld), "");
	ck_assert_int_eq(inf_loader_get(ld, "nope", &p, err, sizeof err), INF_ERR_INVALID);
}
END_TEST

START_TEST(test_bad_names_refused)
{
	static const char *const bad[] = {
		"../x", "a/b", "", "x.y", "..", "/etc/passwd", "drop_fields.so",
		"a b", "a:b", "\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};
	char dir[PATH_MAX], want[256];
	const struct inf_plugin *p = NULL;

	/* with test-plugins/ next to plugins/, "../test-plugins/boom" would exist */
	loader(plugins_dir(dir, sizeof dir));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_int_eq(inf_loader_get(ld, bad[i], &p, err, sizeof err), INF_ERR_INVALID);
		snprintf(want, sizeof want,
			 "plugin name '%s' is not allowed (1 to 64 letters, digits, '_' and '-')",
			 bad[i]);
		ck_assert_str_eq(err, want);
	}
	ck_assert_int_eq(inf_loader_get(ld, "../test-plugins/boom", &p, err, sizeof err),
			 INF_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "is not allowed"));
	ck_assert_ptr_null(p);
	/* 64 characters is a valid name, just not a plugin */
	ck_assert_int_eq(inf_loader_get(ld, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					&p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "unknown plugin"));
}
END_TEST

/* Asserts that test plugin `name` is refused, each time it is asked for
 * (nothing is cached), with "plugin 'name' (dir/name.so) " and then what
 * `fmt` formats. */
static void expect_refused(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void expect_refused(const char *name, const char *fmt, ...)
{
	char dir[PATH_MAX], want[2 * PATH_MAX], tail[1024];
	const struct inf_plugin *p = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	loader(test_plugins_dir(dir, sizeof dir));
	snprintf(want, sizeof want, "plugin '%s' (%s/%s.so) %s", name, dir, name, tail);
	for (int i = 0; i < 2; i++) {
		err[0] = '\0';
		ck_assert_int_eq(inf_loader_get(ld, name, &p, err, sizeof err), INF_ERR_INVALID);
		ck_assert_ptr_null(p);
		ck_assert_str_eq(err, want);
	}
}

START_TEST(test_abi_mismatch)
{
	expect_refused("bad_abi", "has ABI version 99, this runtime needs %u",
		       INF_PLUGIN_ABI_VERSION);
}
END_TEST

START_TEST(test_too_small)
{
	/* one byte short of the end of fini, the last field of version 1 */
	expect_refused("small_size", "has a descriptor of %zu bytes, ABI version 1 needs at least %zu",
		       offsetof(struct inf_plugin, fini) + sizeof(void (*)(void *)) - 1,
		       offsetof(struct inf_plugin, fini) + sizeof(void (*)(void *)));
}
END_TEST

/* `removes` must name one of the plugin's path-list options: the core
 * reads a path set at that option's offset. */
START_TEST(test_removes_not_paths)
{
	expect_refused("bad_removes", "declares that it removes what option 'label' reaches, "
		       "which is not one of its path-list options");
}
END_TEST

/* A descriptor whose size ends before `removes` is not read past it;
 * drop_fields declares its `paths`. */
START_TEST(test_removes_read_within_size)
{
	char dir[PATH_MAX];
	const struct inf_plugin *p = NULL;

	loader(test_plugins_dir(dir, sizeof dir));
	ck_assert_msg(inf_loader_get(ld, "removes_v1", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(p->removes); /* there, but past its size */
	ck_assert_ptr_null(inf_plugin_removes(p));
	ck_assert_ptr_null(inf_plugin_removes_option(p));
	loader(plugins_dir(dir, sizeof dir));
	ck_assert_msg(inf_loader_get(ld, "drop_fields", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(inf_plugin_removes(p), "paths");
	ck_assert_ptr_eq(inf_plugin_removes_option(p), &p->options[0]);
	ck_assert_msg(inf_loader_get(ld, "keep_fields", &p, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_null(inf_plugin_removes(p));
}
END_TEST

/* A plugin that calls a function no library defines (one linked against
 * the core instead of using the host table) is refused when it is
 * loaded, naming the symbol, not when its first record reaches it. */
START_TEST(test_unresolved_symbol)
{
	char dir[PATH_MAX];
	const struct inf_plugin *p = NULL;

	loader(test_plugins_dir(dir, sizeof dir));
	ck_assert_int_eq(inf_loader_get(ld, "unresolved", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_null(p);
	ck_assert_msg(has_prefix(err, "cannot load plugin 'unresolved': "), "got %s", err);
	ck_assert_msg(strstr(err, "undefined symbol: inf_unresolved_function") != NULL, "got %s", err);
}
END_TEST

/* The core walks every plugin's option table: a NULL one is refused */
START_TEST(test_no_option_table)
{
	expect_refused("no_options", "has no process function or option table");
}
END_TEST

START_TEST(test_wrong_name)
{
	char dir[PATH_MAX], want[2 * PATH_MAX];
	const struct inf_plugin *p = NULL;

	loader(test_plugins_dir(dir, sizeof dir));
	ck_assert_int_eq(inf_loader_get(ld, "wrong_name", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_null(p);
	snprintf(want, sizeof want,
		 "plugin file %s/wrong_name.so names itself 'someone_else', expected 'wrong_name'",
		 dir);
	ck_assert_str_eq(err, want);
	/* nor can it be had under the name it claims */
	ck_assert_int_eq(inf_loader_get(ld, "someone_else", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "unknown plugin 'someone_else'"));
}
END_TEST

START_TEST(test_missing_symbol)
{
	char dir[PATH_MAX], want[2 * PATH_MAX];
	const struct inf_plugin *p = NULL;

	loader(test_plugins_dir(dir, sizeof dir));
	ck_assert_int_eq(inf_loader_get(ld, "no_symbol", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_null(p);
	snprintf(want, sizeof want,
		 "plugin 'no_symbol' (%s/no_symbol.so) does not export 'inflight_plugin'", dir);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_corrupt_file)
{
	char data[4096], path[PATH_MAX], src[PATH_MAX + 32], dir[PATH_MAX];
	const struct inf_plugin *p = NULL;
	unsigned x = 12345;

	for (size_t i = 0; i < sizeof data; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (char)(x >> 16);
	}
	ck_assert_int_eq(tu_write(tmp, "bad.so", data, sizeof data, path, sizeof path), 0);
	ck_assert_int_eq(tu_write(tmp, "empty.so", "", 0, path, sizeof path), 0);
	snprintf(src, sizeof src, "%s/drop_fields.so", plugins_dir(dir, sizeof dir));
	copy_file(src, "cut.so", 200); /* an ELF header and nothing more */

	loader(tmp);
	ck_assert_int_eq(inf_loader_get(ld, "bad", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_ptr_null(p);
	ck_assert_msg(has_prefix(err, "cannot load plugin 'bad': "), "got %s", err);
	ck_assert_msg(strstr(err, "/bad.so") != NULL, "dlopen's message names the file: %s", err);
	ck_assert_msg(strstr(err, "ELF") || strstr(err, "too short"), "got %s", err);

	ck_assert_int_eq(inf_loader_get(ld, "empty", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(has_prefix(err, "cannot load plugin 'empty': "), "got %s", err);
	ck_assert_int_eq(inf_loader_get(ld, "cut", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(has_prefix(err, "cannot load plugin 'cut': "), "got %s", err);
	ck_assert_ptr_nonnull(strstr(err, "/cut.so"));

	/* a directory named like a plugin is not a plugin */
	snprintf(path, sizeof path, "%s/dir.so", tmp);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(inf_loader_get(ld, "dir", &p, err, sizeof err), INF_ERR_INVALID);
	ck_assert_msg(strstr(err, "plugin 'dir': ") && strstr(err, "/dir.so is not a regular file"),
		      "got %s", err);
}
END_TEST

START_TEST(test_one_exported_symbol)
{
	char dir[PATH_MAX], path[2 * PATH_MAX], cmd[3 * PATH_MAX], line[512];
	struct dirent *d;
	DIR *dh;
	int plugins = 0;

	plugins_dir(dir, sizeof dir);
	dh = opendir(dir);
	ck_assert_msg(dh != NULL, "cannot list %s", dir);
	while ((d = readdir(dh))) {
		size_t n = strlen(d->d_name), syms = 0;
		FILE *f;
		int status;

		if (n < 4 || strcmp(d->d_name + n - 3, ".so"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' 2>&1", path);
		f = popen(cmd, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof line, f)) {
			char addr[64], type[8], name[256];
			ck_assert_msg(sscanf(line, "%63s %7s %255s", addr, type, name) == 3,
				      "%s: unexpected nm line: %s", path, line);
			/* AddressSanitizer adds an ODR marker beside every
			 * exported global; it is the sanitizer's, not ours */
			if (!strncmp(name, "__odr_asan.", 11))
				continue;
			ck_assert_msg(strcmp(name, INF_PLUGIN_SYMBOL) == 0,
				      "%s exports '%s' besides %s", path, name, INF_PLUGIN_SYMBOL);
			ck_assert_msg(strchr("DR", type[0]) != NULL,
				      "%s: %s has symbol type %s, not data", path, name, type);
			syms++;
		}
		status = pclose(f);
		ck_assert_msg(status == 0, "nm failed on %s", path);
		ck_assert_msg(syms == 1, "%s exports %zu symbols, want exactly 1", path, syms);
		plugins++;
	}
	closedir(dh);
	ck_assert_int_ge(plugins, 3); /* drop_fields, keep_fields, example_stamp */
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_loads_drop_fields);
	tcase_add_test(tc, test_same_name_same_descriptor);
	tcase_add_test(tc, test_search_order);
	tcase_add_test(tc, test_unknown_plugin_lists_dirs);
	tcase_add_test(tc, test_bad_names_refused);
	tcase_add_test(tc, test_abi_mismatch);
	tcase_add_test(tc, test_too_small);
	tcase_add_test(tc, test_removes_not_paths);
	tcase_add_test(tc, test_removes_read_within_size);
	tcase_add_test(tc, test_wrong_name);
	tcase_add_test(tc, test_missing_symbol);
	tcase_add_test(tc, test_unresolved_symbol);
	tcase_add_test(tc, test_no_option_table);
	tcase_add_test(tc, test_corrupt_file);
	tcase_add_test(tc, test_one_exported_symbol);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(loader_suite());
}
