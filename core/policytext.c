#include "policytext.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

int inf_policy_text_read(const char *path, const char *file, struct inf_buf *b,
			 struct inf_policy_errors *errs)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it has no
	 * effect on a regular file. fstat on the open file, so what is
	 * checked is what is read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	const char *nul;
	ssize_t n;
	int e;

	if (fd < 0) {
		e = errno;
		inf_policy_errors_addf(errs, "%s: cannot read policy: %s", file, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		inf_policy_errors_addf(errs, "%s: cannot read policy: not a regular file", file);
		close(fd);
		return -1;
	}
	for (;;) {
		if (inf_buf_reserve(b, 65536)) {
			e = ENOMEM;
			break;
		}
		n = read(fd, b->data + b->len, b->cap - b->len);
		if (n > 0) {
			b->len += (size_t)n;
			continue;
		}
		e = n < 0 ? errno : 0;
		if (n < 0 && e == EINTR)
			continue;
		break;
	}
	close(fd);
	/* libconfig 1.5 takes a comment that ends the text without a newline
	 * for a syntax error: the text is parsed as if it had one */
	if (!e && b->len && b->data[b->len - 1] != '\n' && inf_buf_putc(b, '\n'))
		e = ENOMEM;
	if (e || inf_buf_putc(b, '\0')) {
		inf_policy_errors_addf(errs, "%s: cannot read policy: %s", file,
				       strerror(e ? e : ENOMEM));
		return -1;
	}
	/* libconfig stops reading a string at a NUL: the rest would be
	 * ignored silently */
	if ((nul = memchr(b->data, '\0', b->len - 1))) {
		unsigned line = 1;
		for (const char *p = b->data; p < nul; p++)
			line += *p == '\n';
		inf_policy_errors_addf(errs, "%s:%u: a NUL byte: a policy is text", file, line);
		return -1;
	}
	return 0;
}

/* libconfig 1.5 exits the process on an @include it cannot read (a
 * directory, ""), so a policy is one file: @include is refused up front
 * with its line. Returns 0, or -1 with the error added. */
int inf_policy_text_includes(const char *file, const char *text,
			     struct inf_policy_errors *errs)
{
	unsigned no = 1;

	for (const char *p = text; *p; no++) {
		const char *eol = strchr(p, '\n');
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "@include", 8)) {
			inf_policy_errors_addf(errs, "%s:%u: @include is not supported: a policy is one file "
				"(a directory of policies is read whole)", file, no);
			return -1;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Checks the number literal from s to end: returns NULL, or why
 * libconfig would read it as another value. */
static const char *lossy_number(const char *s, const char *end)
{
	const char *d = s + (*s == '-' || *s == '+');
	size_t n = (size_t)(end - s);
	unsigned long long u;
	long long v;
	double f;
	char *stop;

	errno = 0;
	if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
		u = strtoull(d, &stop, 16);
		if (*stop != 'L')
			return errno || u > INT_MAX ? "does not fit in 32 bits: libconfig "
				"would keep only its low bits (write it with the L suffix)" : NULL;
		return errno || u > LLONG_MAX ? "does not fit in 64 bits" : NULL;
	}
	if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n)) {
		f = strtod(s, &stop);
		return isinf(f) ? "is too large (libconfig would read infinity)"
			: f == 0 && errno == ERANGE ? "is too small (libconfig would read 0)"
			: NULL;
	}
	v = strtoll(s, &stop, 10);
	if (*stop != 'L')
		return errno || v > INT_MAX || v < INT_MIN ? "does not fit in 32 bits: "
			"libconfig would keep only its low bits (write it with the L suffix)"
			: NULL;
	return errno ? "does not fit in 64 bits" : NULL;
}

/* A policy is UTF-8 text: one saved as Latin-1 holds "pr\xe9nom" where
 * the records hold "pr\xc3\xa9nom", so its paths and values would never
 * match (drop_fields dropping nothing) without a word. Returns 0, or -1
 * with the error added naming the line. */
static int refuse_not_utf8(const char *file, const char *text, size_t len,
			   struct inf_policy_errors *errs)
{
	size_t ok = inf_utf8_valid_prefix(text, len);
	unsigned line = 1;

	if (ok == len)
		return 0;
	for (size_t i = 0; i < ok; i++)
		line += text[i] == '\n';
	inf_policy_errors_addf(errs, "%s:%u: byte 0x%02x is not UTF-8: a policy is UTF-8 text "
		"(paths and values in another encoding would never match a record)",
		file, line, (unsigned char)text[ok]);
	return -1;
}

/* What libconfig's lexer reads as one string or comment at s, skipped,
 * its newlines counted in *line: the byte after it, or s when none
 * starts there. */
static const char *skip_quiet(const char *s, unsigned *line)
{
	if (*s == '"') { /* a string, to the quote no backslash escapes */
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			*line += *s == '\n';
		}
		return s + (*s == '"');
	}
	if (*s == '#' || (*s == '/' && s[1] == '/')) {
		while (*s && *s != '\n')
			s++;
		return s;
	}
	if (*s == '/' && s[1] == '*') {
		for (s += 2; *s && !(*s == '*' && s[1] == '/'); s++)
			*line += *s == '\n';
		return s + (*s ? 2 : 0);
	}
	return s;
}

static int is_name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '*';
}

/* libconfig 1.5 reads an integer written without the L suffix into 32
 * bits, keeping the low ones (4294967312 is 16, 3000000000 negative),
 * saturates one with L past 64 bits, and reads 1e400 as infinity and
 * 1e-400 as 0, all silently. It also joins two strings with nothing
 * but space between them into one, which in a list means a forgotten
 * comma: paths = [ "price" "discount" ] drops one member named
 * "pricediscount" and leaves both. The text is scanned as libconfig's
 * lexer does (strings, comments, names, brackets) and such a literal,
 * or such a pair of strings anywhere but as the value of a self-test's
 * `input` or `expect` or a `set_json` member (JSON text written in pieces
 * when long), refused with its
 * line: `paths = "card" "ssn";` is one path "cardssn" too, a single
 * string being a list of one. A group of more than MAX_GROUP settings
 * and a list or array of more than MAX_LIST elements are refused too:
 * libconfig checks each new setting of a group against all before it,
 * and access points against each other, so the load's time grows with
 * the square of the count (40,000 settings took 15 s). Returns 0, or -1
 * with the error added. */
#define MAX_GROUP 1000
#define MAX_LIST 10000

/* Whether a string may follow a string as the value of `setting` in the
 * group open at `depth`: a self-test's input or expect, a set_json
 * member's JSON text. */
static int may_join(const char *open, const char *value_of, unsigned depth,
		    const char *setting, size_t slen)
{
	if (value_of[depth - 1] == 'j')
		return 1;
	return depth >= 2 && open[depth - 2] == '(' && value_of[depth - 2] == 't' &&
	       ((slen == 5 && !memcmp(setting, "input", 5)) ||
		(slen == 6 && !memcmp(setting, "expect", 6)));
}

static int refuse_silent_literals(const char *file, const char *s,
				  struct inf_policy_errors *errs)
{
	unsigned line = 1, depth = 0;
	char open[64]; /* the innermost brackets; deeper ones are not checked */
	char value_of[64]; /* 't' for the value of `tests`, 'j' of `set_json` */
	unsigned count[65] = { 0 }; /* separators seen in each bracket, and at the top */
	const char *why, *start, *quiet, *name = "", *setting = "";
	size_t nlen = 0, slen = 0;
	int hex, after_string = 0;

	while (*s) {
		if (*s == '\n') {
			line++, s++;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f') {
			s++;
			continue;
		}
		if (*s == '"' && after_string && !(depth && depth <= sizeof open &&
						   open[depth - 1] == '{' && may_join(open, value_of, depth,
										      setting, slen))) {
			inf_policy_errors_addf(errs, "%s:%u: two strings with no ',' between them: "
				"libconfig would join them into one (\"price\" \"discount\" is the one "
				"name \"pricediscount\"); separate a list's elements with ',' (only a "
				"self-test's input and expect, and a set_json value, may be written in "
				"pieces)", file, line);
			return -1;
		}
		after_string = *s == '"' ||
			(after_string && (*s == '#' || (*s == '/' && (s[1] == '/' || s[1] == '*'))));
		if (*s == '[' || *s == '(' || *s == '{') {
			if (depth++ < sizeof open) {
				open[depth - 1] = *s;
				value_of[depth - 1] = slen == 5 && !memcmp(setting, "tests", 5) ? 't'
						      : slen == 8 && !memcmp(setting, "set_json", 8) ? 'j' : 0;
				count[depth] = 0;
			}
			s++;
		} else if (*s == ']' || *s == ')' || *s == '}') {
			depth -= depth > 0;
			s++;
		} else if ((quiet = skip_quiet(s, &line)) != s) {
			s = quiet;
		} else if (is_alpha(*s) || *s == '*') { /* a name, true, false */
			name = s;
			while (is_name_char(*s))
				s++;
			nlen = (size_t)(s - name);
		} else if (is_digit(*s) || ((*s == '-' || *s == '+' || *s == '.') &&
					    (is_digit(s[1]) || s[1] == '.'))) {
			start = s;
			s += *s == '-' || *s == '+';
			hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
			while (is_alpha(*s) || is_digit(*s) || *s == '.' ||
			       (!hex && (*s == '-' || *s == '+') && (s[-1] == 'e' || s[-1] == 'E')))
				s++;
			if ((why = lossy_number(start, s))) {
				inf_policy_errors_addf(errs, "%s:%u: the number %.*s %s", file, line,
					(int)(s - start > 64 ? 64 : s - start), start, why);
				return -1;
			}
		} else {
			int group = !depth || (depth <= sizeof open && open[depth - 1] == '{');
			if (*s == '=' || *s == ':') /* the value of the last name */
				setting = name, slen = nlen;
			/* a group's settings each have one '=' or ':' (';' is
			 * optional); a list's elements are one more than its commas */
			if ((group ? *s == '=' || *s == ':' : *s == ',') && depth <= sizeof open &&
			    ++count[depth] > (group ? MAX_GROUP : MAX_LIST - 1)) {
				inf_policy_errors_addf(errs, "%s:%u: more than %d %s in one %s: a "
					"policy's load time grows with the square of that count", file,
					line, group ? MAX_GROUP : MAX_LIST, group ? "settings" : "elements",
					group ? "group" : "list or array");
				return -1;
			}
			s++;
		}
	}
	return 0;
}

int inf_policy_text_check(const char *file, const char *text, size_t len,
			  struct inf_policy_errors *errs)
{
	/* libconfig would say only "syntax error" */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		inf_policy_errors_addf(errs, "%s:1: the file starts with a byte-order mark: save "
			"the policy as UTF-8 without one", file);
		return -1;
	}
	return refuse_not_utf8(file, text, len, errs) ||
	       refuse_silent_literals(file, text, errs) ? -1 : 0;
}

int inf_policy_text_dup_name(const char *s, unsigned line, char *name, size_t n)
{
	const char *cand[16];
	size_t clen[16], nc = 0;
	unsigned at = 1;

	while (*s && at <= line) {
		const char *b = s, *t;
		unsigned l2;

		if ((t = skip_quiet(s, &at)) != s) {
			s = t;
			continue;
		}
		if (!is_alpha(*s) && *s != '*') {
			at += *s++ == '\n';
			continue;
		}
		while (is_name_char(*s))
			s++;
		if (at != line)
			continue;
		/* a setting's name when '=' or ':' follows it, on any line */
		for (t = s, l2 = at; *t;) {
			if (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\f' || *t == '\n')
				t++;
			else if (skip_quiet(t, &l2) != t && *t != '"')
				t = skip_quiet(t, &l2);
			else
				break;
		}
		if (*t != '=' && *t != ':')
			continue;
		for (size_t i = 0; i < nc; i++)
			if (clen[i] == (size_t)(s - b) && !memcmp(cand[i], b, clen[i])) {
				nc = 1, cand[0] = b, clen[0] = clen[i]; /* named twice */
				goto found;
			}
		if (nc == sizeof cand / sizeof *cand)
			return -1;
		cand[nc] = b, clen[nc++] = (size_t)(s - b);
	}
found:
	if (nc != 1 || clen[0] >= n)
		return -1;
	memcpy(name, cand[0], clen[0]);
	name[clen[0]] = '\0';
	return 0;
}
