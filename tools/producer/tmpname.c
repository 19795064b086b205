#include "tmpname.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static const int fatal[] = { SIGINT, SIGTERM, SIGHUP };
static char live[PATH_MAX];              /* the file a signal removes */
static volatile sig_atomic_t live_set;  /* live is complete and ours */

static void on_fatal(int sig)
{
	int saved = errno;

	if (live_set)
		unlink(live);
	signal(sig, SIG_DFL);
	raise(sig); /* delivered on return: the status a shell expects */
	errno = saved;
}

static void guard_once(void)
{
	static int done;
	struct sigaction sa = { .sa_handler = on_fatal }, old;

	if (done)
		return;
	done = 1;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
		sigaddset(&sa.sa_mask, fatal[i]);
	for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
		if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(fatal[i], &sa, NULL);
}

int prod_tmp_name(struct inf_buf *tmp, const char *path, long pid)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) + 1 : 0;

	inf_buf_reset(tmp);
	if (inf_buf_append(tmp, path, plen) ||
	    inf_buf_printf(tmp, ".%s.%ld.tmp", path + plen, pid) ||
	    inf_buf_putc(tmp, '\0'))
		return -1;
	return 0;
}

int prod_tmp_create(const char *tmp)
{
	size_t n = strlen(tmp);
	int fd;

	guard_once();
	live_set = 0;
	atomic_signal_fence(memory_order_seq_cst); /* live is not read here */
	if (n < sizeof live) {
		memcpy(live, tmp, n + 1);
		atomic_signal_fence(memory_order_seq_cst);
		/* armed before the file exists: a signal while open(2) runs
		 * removes the name, which is ours to remove (see above) */
		live_set = 1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		live_set = 0;
	return fd;
}

void prod_tmp_done(void)
{
	live_set = 0;
}
