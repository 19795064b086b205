#include "crash.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"

static volatile sig_atomic_t working;
/* the exit status a mode decided on and printed; -1 before */
static volatile sig_atomic_t decided = -1;
/* event mode's status line, written whole before it is armed */
static char status_line[64];
static volatile sig_atomic_t status_len;
/* the main thread's stack for the handler, when its own is exhausted */
static char alt_stack[64 * 1024];

void inf_crash_working(int on)
{
	working = on;
}

void inf_crash_status(int status, const char *code)
{
	int n;

	status_len = 0;
	n = snprintf(status_line, sizeof status_line, "status: %d %s\n", status, code);
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* the line before its length */
	if (n > 0 && (size_t)n < sizeof status_line)
		status_len = n;
}

void inf_crash_decided(int status)
{
	status_len = 0;
	decided = status;
}

/* write(2) of a literal; nothing more can be said when it fails */
static void say(const char *s, size_t n)
{
	if (write(STDERR_FILENO, s, n) < 0)
		return;
}

#define SAY(lit) say(lit, sizeof lit - 1)

static void exit_while_working(void)
{
	if (!working)
		return;
	if (decided >= 0) {
		/* not a signal's context: what the mode printed (--check-policy's
		 * "ok") still reaches stdout, or the status says it did not */
		_exit(fflush(stdout) && decided == INF_EXIT_OK ? INF_EXIT_OUTPUT : decided);
	}
	inf_output_abandon();
	if (status_len)
		say(status_line, (size_t)status_len);
	SAY("runtime: the process was ended by exit() before the work was done "
	    "(a plugin's?): the output is not complete\n");
	_exit(INF_EXIT_TRANSFORM);
}

/* The signals a crash raises (a plugin's bug), each as its line says it. */
static const struct {
	int sig;
	const char *what;
} crashes[] = {
	{ SIGABRT, "was aborted (SIGABRT)" }, { SIGSEGV, "crashed (SIGSEGV)" },
	{ SIGBUS, "crashed (SIGBUS)" },       { SIGFPE, "crashed (SIGFPE)" },
	{ SIGILL, "crashed (SIGILL)" },       { SIGTRAP, "crashed (SIGTRAP)" },
	{ SIGSYS, "crashed (SIGSYS)" },
};

/* Signals that end the process quietly, from outside it. */
static const int stops[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXCPU };

static void on_signal(int sig)
{
	inf_output_abandon();
	for (size_t i = 0; i < sizeof crashes / sizeof *crashes; i++) {
		if (crashes[i].sig != sig || !working || decided >= 0)
			continue;
		if (status_len)
			say(status_line, (size_t)status_len);
		SAY("runtime: the process ");
		say(crashes[i].what, strlen(crashes[i].what)); /* async-signal-safe */
		SAY(" before the work was done (a plugin's?): the output is not complete\n");
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Installs on_signal for `sig`, unless it is ignored (nohup) or, for a
 * crash, already handled (a sanitizer's report comes first). */
static void catch(int sig, int crash)
{
	struct sigaction sa = { 0 }, old;

	if (sigaction(sig, NULL, &old) || old.sa_handler == SIG_IGN ||
	    (crash && ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)))
		return;
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

int inf_crash_init(void)
{
	stack_t cur, ss = { .ss_sp = alt_stack, .ss_size = sizeof alt_stack };

	if (atexit(exit_while_working) || at_quick_exit(exit_while_working))
		return -1;
	/* without one, no word on a stack overflow; a sanitizer has its own */
	if (!sigaltstack(NULL, &cur) && (cur.ss_flags & SS_DISABLE))
		sigaltstack(&ss, NULL);
	for (size_t i = 0; i < sizeof crashes / sizeof *crashes; i++)
		catch(crashes[i].sig, 1);
	for (size_t i = 0; i < sizeof stops / sizeof *stops; i++)
		catch(stops[i], 0);
	/* a file over RLIMIT_FSIZE is a failed write (EFBIG, exit 9) */
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}
