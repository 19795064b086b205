/*
 * What a POSIX extended regular expression costs glibc, and the form of it
 * that costs least. How large glibc's regcomp makes the pattern:
 * regcomp copies a repeated subexpression once per repetition it must
 * spell out, so stacked or nested counts cost memory exponential in the
 * pattern's length: "1++++++++++++++++++++++++++++++++++++++++++++"
 * took over 2 GiB (found by tests/fuzz/fuzz_cond). Policies' `matches`
 * patterns are measured before they are compiled.
 */
#ifndef INF_REGEXCOST_H
#define INF_REGEXCOST_H

/* The pattern's size in copies of its atoms, as regcomp would build it:
 * an atom or bracket expression is 1, a sequence or alternation the sum
 * of its parts, and each repetition operator multiplies what it follows
 * ('*' and '?' by 1, '+' by 2, "{n}" and "{n,}" by n + 1, "{n,m}" by
 * m + 1), squared when what it repeats can match empty ("e*+" is 4:
 * regcomp's closures over such copies grow with their square; "e*+" with
 * eleven more '+' took 1.9 s). More than 3 repetitions of parts that
 * can match empty ("e**", "(a*)+": each an epsilon loop) count as too
 * large whatever the copies: regcomp's time over nested loops outgrows
 * any count of copies. Saturates at `limit` + 1, so any result
 * above `limit` means too large. Text regcomp would refuse is measured as
 * far as it reads. */
unsigned long inf_regex_cost(const char *re, unsigned long limit);

/* Whether the pattern holds a back-reference ("\1" .. "\9" outside a
 * bracket expression): no part of POSIX extended syntax, but glibc's
 * regcomp takes one, and its regexec then backtracks in time exponential
 * in the text's length ("((a*)(a*))*\2\3b" over 200 'a's ran for
 * minutes). A record's text must not be able to stall a worker. */
int inf_regex_has_backref(const char *re);

/* The pattern to compile for an unanchored search of `re`, which regcomp
 * has taken (a ')' that opens nothing refused): "^.*(RE)", each '^'
 * outside a bracket expression written "\\`" (GNU's start of the text).
 * The same strings match, with '^' the text's start wherever it stands
 * (glibc let a '^' inside a pattern match after a newline), but glibc
 * then tries the pattern from the text's start only: a search starts
 * again at every byte, in time quadratic in the text's length
 * ("x.*@corp$" over 160 KB of 'x' ran for minutes). Returns a string
 * the caller frees, or NULL without memory. */
char *inf_regex_anchored(const char *re);

#endif
