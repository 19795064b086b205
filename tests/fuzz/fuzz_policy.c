/*
 * Fuzz target: the policy loader (core/policy.c, options, conditions,
 * self-tests, the loader and every plugin's init) on arbitrary files.
 *
 * Input: the bytes of a policy file, written to fuzz.cfg in a private
 * temporary directory (beside a copy of the files the shipped policies
 * use, such as stores.csv) and loaded with the real plugins.
 * To stay inside that directory, inputs holding a string that starts
 * with '/', a "..", or a "\x" escape (which could spell either) are
 * skipped: @include and file options then only reach its files. So is
 * an @include of "" or of a directory, on which libconfig 1.5 exits the
 * process (see bad_include).
 *
 * Invariants:
 *  - success: no problem reported; every access point has a valid name,
 *    is found by that name and has a plugin per step; each one transforms
 *    small NDJSON, array and document objects into JSON of the framing
 *    used (or fails with an error and no output); freeing releases
 *    everything (LeakSanitizer);
 *  - failure: no policy, at least one problem, and every problem is a
 *    non-empty line that starts with the file's name ("file:line: ...";
 *    an @include'd file is named as written, relative to the policy).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain.h"
#include "fuzzutil.h"
#include "host.h"
#include "policy.h"

#define MAX_DEPTH_CHECK 10001u

static char dir[256], file[300];
static pid_t owner; /* the process that made dir (the replay forks) */

static const char *const inputs[] = {
	"{\"request_id\": \"r1\", \"store_id\": 4, \"price\": 12.5, \"discount\": 1, "
	"\"qty\": 2, \"cust_id\": 932, \"evnt_type\": \"sales_event\", \"evnt_time\": "
	"\"2026-01-01T00:00:00\", \"category\": \"Furniture\", \"is_return\": false}\n"
	"{\"request_id\": \"r2\", \"qty\": 0, \"password\": \"x\", \"items\": [{\"sku\": 1}]}\n"
	"\n[1, 2]\n\"scalar\"\n",
	"[{\"store_id\": \"s-1\", \"price\": 3, \"customer\": {\"email\": \"a@b.c\"}}, "
	"{\"cust_id\": \"c-9\", \"qty\": 5}, 7, null]",
	"{\n  \"request_id\": \"x\",\n  \"price\": 9.99,\n  \"evnt_time\": \"2026-11-28T20:15:03\",\n"
	"  \"items\": [1, 2]\n}\n",
};

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];

	if (getpid() != owner || !d) {
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

/* Copies the data files of policies/ (not the *.cfg) into the directory. */
static void copy_policy_data(void)
{
	char src[4096], from[4400], to[600], buf[8192];
	struct dirent *e;
	DIR *d;

	snprintf(src, sizeof src, "%s/../../policies", fz_src_dir());
	if (!(d = opendir(src)))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), got;
		FILE *in, *out;
		if (e->d_name[0] == '.' || (n > 4 && !strcmp(e->d_name + n - 4, ".cfg")))
			continue;
		snprintf(from, sizeof from, "%s/%s", src, e->d_name);
		snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
		if (!(in = fopen(from, "rb")))
			continue;
		if ((out = fopen(to, "wb"))) {
			while ((got = fread(buf, 1, sizeof buf, in)) > 0)
				fwrite(buf, 1, got, out);
			fclose(out);
		}
		fclose(in);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof dir, "%s/inflight-fuzz-policy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fz_fail("cannot make a temporary directory");
	snprintf(file, sizeof file, "%s/fuzz.cfg", dir);
	owner = getpid();
	atexit(cleanup);
	copy_policy_data();
	/* the key policies/analytics.cfg reads (mask_fields, op = hmac) */
	setenv("INFLIGHT_ANALYTICS_KEY", "fuzz-key-not-a-secret", 0);
	fz_pin_plugins();
	inf_host_set_log(NULL);
	return 0;
}

static int sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	(void)err;
	fz_put(ctx, data, len);
	return 0;
}

static void check_record(const char *ap, const char *s, size_t n)
{
	if (fz_valid_record(s, n, MAX_DEPTH_CHECK) != 1)
		fz_fail("access point %s wrote a record that is not JSON: [%.*s]", ap, (int)n, s);
}

/* Runs `in` through `ap`; what comes out must be JSON in the framing used. */
static void transform(const struct inf_access_point *ap, const char *in)
{
	struct inf_request req = { .access_point = ap->name, .object_key = "store_events/k.json",
				   .request_id = "REQ1" };
	struct inf_error err = { 0 };
	struct fz_buf out = { 0 };
	struct inf_transform *t = inf_transform_new(ap, &req, sink, &out, &err);
	struct inf_stats st;
	int rc;

	if (!t)
		fz_fail("out of memory");
	fz_put(&out, "", 0);
	rc = inf_transform_write(t, in, strlen(in));
	if (rc == 0)
		rc = inf_transform_finish(t);
	st = inf_transform_stats(t);
	if (rc) {
		FZ_CHECK(err.kind != INF_FAIL_NONE && err.msg[0], "%s: failed without an error",
			 ap->name);
		FZ_CHECK(out.len == 0, "%s: failed after writing [%s]", ap->name, out.p);
		goto done;
	}
	FZ_CHECK(st.records_in == st.records_out + st.records_dropped + st.records_failed,
		 "%s: records do not add up", ap->name);
	switch (inf_transform_format(t)) {
	case INF_FMT_NDJSON: {
		size_t ls = 0;
		while (ls < out.len) {
			const char *nl = memchr(out.p + ls, '\n', out.len - ls);
			size_t end = nl ? (size_t)(nl - out.p) : out.len;
			if (!fz_all_ws(out.p + ls, end - ls))
				check_record(ap->name, out.p + ls, end - ls);
			ls = end + 1;
		}
		break;
	}
	case INF_FMT_ARRAY: {
		struct fz_json j;
		fz_json_init(&j, out.p, out.len, MAX_DEPTH_CHECK);
		FZ_CHECK(fz_framed_array(&j) == 0, "%s: output is not a JSON array: [%s]", ap->name,
			 out.p);
		fz_json_free(&j);
		break;
	}
	case INF_FMT_DOCUMENT:
		if (st.records_out)
			check_record(ap->name, out.p, out.len);
		else
			FZ_CHECK(out.len == 0, "%s: a dropped document wrote [%s]", ap->name, out.p);
		break;
	default:
		fz_fail("%s: succeeded without a framing", ap->name);
	}
done:
	inf_transform_free(t);
	fz_buf_free(&out);
}

/* Whether a problem line starts with "FILE:" where FILE is the policy's
 * path, or (for an @include, which libconfig names as written) a file of
 * the policy's directory. */
static int names_file(const char *line)
{
	const char *colon = strchr(line, ':');
	char p[1024];

	if (!colon || colon == line)
		return 0;
	if (!strncmp(line, dir, strlen(dir)) && line[strlen(dir)] == '/')
		return 1;
	snprintf(p, sizeof p, "%s/%.*s", dir, (int)(colon - line), line);
	return access(p, F_OK) == 0;
}

/* Whether an @include in [p, e) names something other than a regular
 * file of the directory: libconfig 1.5 then opens a directory and its
 * scanner calls exit(2) ("input in flex scanner failed"), which is
 * reported, not fuzzed. */
static int bad_include(const char *p, const char *e)
{
	static const char kw[] = "@include";
	char name[1024], path[1400];
	struct stat st;

	while ((p = memmem(p, (size_t)(e - p), kw, sizeof kw - 1))) {
		const char *q = memchr(p, '"', (size_t)(e - p)), *r;
		if (!q || !(r = memchr(q + 1, '"', (size_t)(e - q - 1))))
			return 0; /* no name: a syntax error */
		if (r == q + 1 || memchr(q + 1, '\\', (size_t)(r - q - 1)) ||
		    (size_t)(r - q) >= sizeof name)
			return 1;
		snprintf(name, sizeof name, "%.*s", (int)(r - q - 1), q + 1);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return 1;
		p = r;
	}
	return 0;
}

static int skipped(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++)
		if ((data[i] == '"' && data[i + 1] == '/') || (data[i] == '.' && data[i + 1] == '.') ||
		    (data[i] == '\\' && (data[i + 1] | 0x20) == 'x'))
			return 1;
	return bad_include((const char *)data, (const char *)data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inf_policy *pol = NULL;
	struct inf_policy_errors errs = { 0 };
	FILE *f;
	int rc;

	if (skipped(data, size))
		return 0;
	if (!(f = fopen(file, "wb")))
		fz_fail("cannot write %s", file);
	if (size && fwrite(data, 1, size, f) != size)
		fz_fail("cannot write %s", file);
	fclose(f);

	rc = inf_policy_load(file, fz_plugin_dir(), &pol, &errs);
	if (getenv("INFLIGHT_FUZZ_VERBOSE")) {
		fprintf(stderr, "fuzz_policy: %s, %zu access points\n", rc ? "refused" : "loaded",
			pol ? pol->naps : 0);
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "  %s\n", errs.lines[i]);
	}
	if (rc == 0) {
		FZ_CHECK(pol != NULL && errs.n == 0, "loaded, yet %zu problems (%s)", errs.n,
			 errs.n ? errs.lines[0] : "");
		for (size_t i = 0; i < pol->naps; i++) {
			const struct inf_access_point *ap = &pol->aps[i];
			FZ_CHECK(ap->name && ap->name[0] && !strchr(ap->name, '/'),
				 "access point %zu has no valid name", i);
			FZ_CHECK(inf_policy_find(pol, ap->name) == ap,
				 "access point %s is not found by its name", ap->name);
			for (size_t k = 0; k < ap->nsteps; k++)
				FZ_CHECK(ap->steps[k].plugin && ap->steps[k].plugin->name,
					 "%s: step %zu has no plugin", ap->name, k + 1);
			if (i < 4)
				for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++)
					transform(ap, inputs[k]);
		}
	} else {
		FZ_CHECK(pol == NULL && errs.n > 0, "refused without saying why");
		for (size_t i = 0; i < errs.n; i++)
			FZ_CHECK(errs.lines[i] && names_file(errs.lines[i]),
				 "problem %zu does not start with the file's name: [%s]", i,
				 errs.lines[i] ? errs.lines[i] : "(null)");
	}
	inf_policy_free(pol);
	inf_policy_errors_free(&errs);
	return 0;
}
