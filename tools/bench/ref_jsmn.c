/*
 * The "careful hand-written jsmn loop" of `make bench`: drops price and
 * discount from every record of an NDJSON file with jsmn and nothing else.
 * Big reads, lines split with memchr, one jsmn_parse per line into a token
 * array reused across lines, then the root's members copied as byte spans
 * except the two keys. jsmn checks structure only (not numbers, literals,
 * escapes or UTF-8): the speed of a loop that trusts its input.
 *
 * usage: ref_jsmn IN OUT     exit 0, or 1 with a message on stderr
 * Built and run only by tools/bench.
 */
#define JSMN_STATIC
#include <jsmn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1 << 20)

static jsmntok_t *tok;
static unsigned ntok = 256;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void *grow(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		die("ref_jsmn");
	return q;
}

/* Index of the token after the subtree at i (jsmn: size counts children). */
static int skip(const jsmntok_t *t, int i)
{
	int left = 1;

	while (left-- > 0) {
		if (t[i].type == JSMN_OBJECT)
			left += 2 * t[i].size;
		else if (t[i].type == JSMN_ARRAY)
			left += t[i].size;
		i++;
	}
	return i;
}

static int is_dropped(const char *s, const jsmntok_t *k)
{
	int n = k->end - k->start;

	return (n == 5 && !memcmp(s + k->start, "price", 5)) ||
	       (n == 8 && !memcmp(s + k->start, "discount", 8));
}

/* Writes line [s, s+n) without the two keys. Returns 0 or -1 (not a
 * JSON object by jsmn's reading). */
static int record(const char *s, size_t n, FILE *out)
{
	jsmn_parser p;
	int r, i, first = 1;

	for (;;) {
		jsmn_init(&p);
		r = jsmn_parse(&p, s, n, tok, ntok);
		if (r != JSMN_ERROR_NOMEM)
			break;
		ntok *= 2;
		tok = grow(tok, ntok * sizeof *tok);
	}
	if (r < 1 || tok[0].type != JSMN_OBJECT)
		return -1;
	fputc('{', out);
	for (i = 1; i < r;) {
		int v = i + 1, next = skip(tok, v);
		if (!is_dropped(s, &tok[i])) {
			if (!first)
				fputc(',', out);
			first = 0;
			fwrite(s + tok[i].start - 1, 1, (size_t)(tok[v].end - tok[i].start + 1) +
			       (tok[v].type == JSMN_STRING), out);
		}
		i = next;
	}
	fputs("}\n", out);
	return 0;
}

int main(int argc, char **argv)
{
	FILE *in, *out;
	char *buf;
	size_t have = 0, cap = CHUNK, got, line = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: ref_jsmn IN OUT\n");
		return 1;
	}
	if (!(in = fopen(argv[1], "rb")))
		die(argv[1]);
	if (!(out = fopen(argv[2], "wb")))
		die(argv[2]);
	buf = grow(NULL, cap);
	tok = grow(NULL, ntok * sizeof *tok);
	setvbuf(out, NULL, _IOFBF, CHUNK);
	while ((got = fread(buf + have, 1, cap - have, in)) > 0 || have) {
		char *s = buf, *end = buf + have + got, *nl;
		int eof = got == 0;

		while ((nl = memchr(s, '\n', (size_t)(end - s))) || (eof && s < end)) {
			size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
			line++;
			if (n && record(s, n, out)) {
				fprintf(stderr, "ref_jsmn: %s: line %zu: not a JSON object\n",
					argv[1], line);
				exit(1);
			}
			s += n + (nl != NULL);
		}
		have = (size_t)(end - s);
		memmove(buf, s, have);
		if (have == cap)
			buf = grow(buf, cap *= 2);
		if (eof)
			break;
	}
	if (ferror(in) || fclose(out))
		die("ref_jsmn");
	fclose(in);
	free(buf);
	free(tok);
	return 0;
}
