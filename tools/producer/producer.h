/*
 * Shared definitions of the store-events producer (tools/producer/).
 *
 * Exit codes, the version string and the one error record every module of
 * the producer fills. A message has the form "<what> (<file, option or
 * key>)" and never holds a secret (no keys, no tokens; URLs are fine).
 * main.c prefixes it with "producer: " and prints it on one line.
 */
#ifndef PROD_PRODUCER_H
#define PROD_PRODUCER_H

#define PROD_VERSION "0.1.0"

enum prod_exit {
	PROD_EXIT_OK = 0,
	PROD_EXIT_USAGE = 2, /* bad command line, missing credentials */
	PROD_EXIT_IO = 5     /* file, network or HTTP failure, no memory */
};

struct prod_err {
	char msg[512];
	int usage; /* set: the cause is the command line (exit 2, not 5) */
};

/* Formats the message into `e` unless one is already there (the first
 * cause wins). Returns -1 so callers can `return prod_err_set(...)`. */
int prod_err_set(struct prod_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
