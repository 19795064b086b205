/*
 * The host table's failure contracts (core/host.c, core/path.c): a
 * service whose answer cannot say "out of memory" (find's -1, string's
 * NULL) fails the record through r->service_rc instead of reading as
 * "none"; the default log writes a JSON line whatever the plugin's name
 * and however its message was cut. realloc is made to fail on demand:
 * this suite is linked with -Wl,--wrap=realloc.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "path.h"
#include "record.h"
#include "testutil.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int realloc_fails; /* while set, every realloc returns NULL */

void *__wrap_realloc(void *p, size_t n)
{
	return realloc_fails ? NULL : __real_realloc(p, n);
}

static struct inf_record rec;
static struct inf_paths *ps;

static void setup(void)
{
	inf_record_init(&rec, 32);
	ps = NULL;
}

static void teardown(void)
{
	inf_record_free(&rec);
	inf_paths_free(ps);
}

static void load(const char *js, const char *path)
{
	struct inf_json_err e;
	char err[128];

	ck_assert_msg(inf_record_load(&rec, js, strlen(js), &e) == 0, "%s", e.msg);
	inf_paths_free(ps);
	ps = NULL;
	ck_assert_msg(inf_paths_compile(&path, 1, &ps, err, sizeof err) == 0, "%s", err);
}

/* An escaped key is compared by its unescaped text, which needs memory:
 * when there is none, find's -1 would read "no such member" (enrich would
 * then add its default), so the record fails instead. */
START_TEST(test_find_out_of_memory_fails_the_record)
{
	const struct inf_host *h = inf_host_table();

	load("{\"pr\\u0069ce\":1}", "price");
	realloc_fails = 1;
	ck_assert_int_eq(h->find(&rec, ps), -1);
	realloc_fails = 0;
	ck_assert_int_eq(rec.service_rc, INF_ERR_NOMEM);
	/* with memory, the same find answers, and a new load clears the mark */
	load("{\"pr\\u0069ce\":1}", "price");
	ck_assert_int_eq(rec.service_rc, 0);
	ck_assert_int_gt(h->find(&rec, ps), 0);
	ck_assert_int_eq(rec.service_rc, 0);
}
END_TEST

/* string's NULL means "not a string": for a string it could not unescape,
 * the record fails. A node that is not a string fails nothing. */
START_TEST(test_string_out_of_memory_fails_the_record)
{
	const struct inf_host *h = inf_host_table();
	size_t n;
	int node;

	load("{\"a\":\"x\\ty\",\"b\":2}", "a");
	node = h->find(&rec, ps);
	ck_assert_int_gt(node, 0);
	ck_assert_ptr_null(h->string(&rec, node + 2, &n)); /* b's 2 */
	ck_assert_int_eq(rec.service_rc, 0);
	realloc_fails = 1;
	ck_assert_ptr_null(h->string(&rec, node, &n));
	realloc_fails = 0;
	ck_assert_int_eq(rec.service_rc, INF_ERR_NOMEM);
}
END_TEST

/* Runs h->log with stderr sent to a file; returns what was written. */
static const char *logged(const char *plugin, const char *msg)
{
	static char got[4096];
	char path[] = "/tmp/inflight-check-host-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	inf_host_table()->log(INF_LOG_WARN, plugin, "%s", msg);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	n = pread(fd, got, sizeof got - 1, 0);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	close(fd);
	unlink(path);
	return got;
}

START_TEST(test_log_is_json_whatever_the_name)
{
	ck_assert_str_eq(logged("mine", "hello"),
			 "{\"level\":\"warn\",\"plugin\":\"mine\",\"msg\":\"hello\"}\n");
	ck_assert_str_eq(logged("bad\xff", "hello"),
			 "{\"level\":\"warn\",\"plugin\":\"?\",\"msg\":\"hello\"}\n");
	ck_assert_str_eq(logged("mine", "not \xff UTF-8"),
			 "{\"level\":\"warn\",\"plugin\":\"mine\",\"msg\":\"(message not UTF-8)\"}\n");
}
END_TEST

/* A message is cut at 1023 bytes; a cut inside a character drops the
 * character, not the message. */
START_TEST(test_log_cut_inside_a_character)
{
	char msg[1100], want[1200];

	memset(msg, 'a', 1022);
	memcpy(msg + 1022, "\xc3\xa9 tail", 8); /* U+00E9 across the cut */
	snprintf(want, sizeof want, "{\"level\":\"warn\",\"plugin\":\"mine\",\"msg\":\"%.1022s\"}\n",
		 msg);
	ck_assert_str_eq(logged("mine", msg), want);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *su = suite_create("host");
	TCase *tc = tcase_create("failures");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find_out_of_memory_fails_the_record);
	tcase_add_test(tc, test_string_out_of_memory_fails_the_record);
	tcase_add_test(tc, test_log_is_json_whatever_the_name);
	tcase_add_test(tc, test_log_cut_inside_a_character);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_run_suite(host_suite());
}
