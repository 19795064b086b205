/*
 * Reads a policy file's text once (libconfig then parses that text), and
 * makes the checks on it that libconfig does not make: it refuses
 * what libconfig would take silently with another meaning (an @include,
 * which libconfig 1.5 follows or dies on; bytes that are not UTF-8;
 * numbers it would keep only in part; two strings that it would join
 * into one), and what would load in quadratic time (groups and lists
 * too long). Errors are "file:line: ..." lines.
 */
#ifndef INF_POLICYTEXT_H
#define INF_POLICYTEXT_H

#include <stddef.h>

#include "buf.h"
#include "policy.h"

/* The text of the file at `path`, NUL-terminated, appended to b; errors
 * name it `file` (the path as a message prints it). Returns 0, or -1
 * with the error added: the file cannot be read, is not a regular file
 * (a FIFO or a device would block or never end), or holds a NUL byte
 * (libconfig would stop there and ignore the rest). */
int inf_policy_text_read(const char *path, const char *file, struct inf_buf *b,
			 struct inf_policy_errors *errs);

/* Refuses an @include line: a policy is one file. Returns 0, or -1 with
 * the error added. */
int inf_policy_text_includes(const char *file, const char *text,
			     struct inf_policy_errors *errs);

/* Refuses `len` bytes of text that start with a byte-order mark, are not
 * UTF-8, hold a number libconfig would read as another value, or two
 * strings with no comma between them (but a self-test's input and expect,
 * and a set_json member's text), or a group of more than 1,000 settings
 * or a list or array of more than 10,000 elements (the load grows with
 * the square of those). Returns 0, or -1 with the error added. */
int inf_policy_text_check(const char *file, const char *text, size_t len,
			  struct inf_policy_errors *errs);

/* The setting libconfig's "duplicate setting name" at `line` of text
 * names twice, in name (n bytes, NUL-terminated): the one setting name on
 * that line, or the one named twice on it. Returns 0, or -1 when the line
 * does not say which (no name, several, or longer than n - 1). */
int inf_policy_text_dup_name(const char *text, unsigned line, char *name, size_t n);

#endif
