/*
 * When something other than the runtime ends the process mid-work: a
 * plugin's exit() or quick_exit() ends it with exit 8
 * (INF_EXIT_TRANSFORM), a crash (SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS) or SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXCPU
 * with the signal, as without the runtime's handlers; SIGXFSZ is ignored
 * (a write over the size limit fails, exit 9). Either way the output's temporary
 * file is removed first (inf_output_abandon), and an exit() or a crash
 * says on stderr that the output is not complete, after event mode's
 * status line. A process never ends as success with half an output.
 */
#ifndef INF_CRASH_H
#define INF_CRASH_H

/* Registers the exit hook and the signal handlers, leaving alone a signal
 * that is ignored (nohup) and a crash signal that is already handled (a
 * sanitizer's report comes first). The handlers run on an alternate
 * stack (the main thread's here, the workers' in core/parallel.c), so a
 * stack overflow is reported too. Returns 0, or -1 when atexit fails. */
int inf_crash_init(void);
/* Whether the runtime is working: an exit() while it is, is not its own
 * (the runtime returns its status from main). */
void inf_crash_working(int on);
/* The mode has printed its result and will exit with `status`: an exit()
 * from here on (a plugin's fini) exits with that status, and neither it
 * nor a crash says the output is not complete. */
void inf_crash_decided(int status);
/* Event mode: the status line ("status: N CODE") an exit() or a crash
 * prints before its message, as every other failure of that mode does.
 * `code` must outlive the process's work (a string literal). */
void inf_crash_status(int status, const char *code);

#endif
