/*
 * inf_valset: the literals of an `in` or `not_in` list, sorted by type so
 * that a record's value is looked up in O(log n), not compared with each
 * (a list of every store id is a filter users write). Equality is the
 * condition's (core/cond.c): strings byte for byte; integers exactly with
 * integers; any other pair of numbers as doubles; booleans by value.
 */
#ifndef INF_VALSET_H
#define INF_VALSET_H

#include <stddef.h>

struct inf_valset;

/* An empty set, or NULL without memory. */
struct inf_valset *inf_valset_new(void);
void inf_valset_free(struct inf_valset *s);

/* Adding a literal: 0, or INF_ERR_NOMEM. A string is borrowed, not
 * copied: it must outlive the set. */
int inf_valset_add_string(struct inf_valset *s, const char *str, size_t len);
int inf_valset_add_int(struct inf_valset *s, long long n);
int inf_valset_add_float(struct inf_valset *s, double d);
void inf_valset_add_bool(struct inf_valset *s, int b);

/* Sorts what was added; the lookups below need it, and nothing may be
 * added after it. */
void inf_valset_seal(struct inf_valset *s);

int inf_valset_has_string(const struct inf_valset *s, const char *str, size_t len);
int inf_valset_has_bool(const struct inf_valset *s, int b);
/* n equals an integer literal */
int inf_valset_has_int(const struct inf_valset *s, long long n);
/* d equals, as a double, a float literal, or with `ints_too` any number
 * literal (a value not written as an integer compares so with all) */
int inf_valset_has_double(const struct inf_valset *s, double d, int ints_too);
/* How many float literals there are (none: an integer needs no double). */
size_t inf_valset_floats(const struct inf_valset *s);

#endif
