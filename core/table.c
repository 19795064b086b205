#include "table.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "json.h"

struct tab_row {
	size_t key, key_len; /* in text */
	size_t first, count; /* cells */
	unsigned long line;
};

/* A field while loading: offsets into text, which still moves. */
struct tab_cell {
	size_t name, val, val_len;
};

/* What makes two loads identical: the file (by device and inode, so a
 * relative name, an absolute one or a symlink to it are the same), as it
 * was when read (size, modification and change times), read as CSV or
 * NDJSON (which the name says, so two names of one file may differ), and
 * the key column and reserved names the load was asked for. */
struct tab_ident {
	int csv;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char *key;               /* NULL: the first CSV column */
	struct inf_buf reserved; /* the names, each NUL-terminated */
};

struct inf_table {
	struct inf_buf text; /* keys, names and JSON values, NUL-terminated */
	struct tab_row *rows;
	size_t nrows, rows_cap;
	struct inf_field *fields;
	struct inf_fields *views; /* one per row, into fields */
	size_t *slots;            /* hash index: row + 1, or 0 */
	size_t nslots;
	/* sharing, under tables_mu: the table is read-only once loaded, so
	 * the instances of a step (one per worker thread) hold one copy */
	struct tab_ident id;
	size_t refs;            /* inf_table_load calls not yet freed */
	struct inf_table *next; /* in `tables` */
};

/* Every loaded table still held, for identical loads to share. Plugins
 * load at init and free at fini, from any thread a host lets them, so
 * the list is guarded by a mutex. */
static struct inf_table *tables;
static pthread_mutex_t tables_mu = PTHREAD_MUTEX_INITIALIZER;

struct loader {
	struct inf_table *t;
	const char *file;
	const char *key;
	const char *const *reserved;
	char *err;
	struct inf_buf raw;     /* the file */
	struct inf_buf scratch; /* one CSV row, unquoted; NDJSON keys */
	size_t *spans;          /* CSV fields: off, len pairs in scratch */
	size_t nspans, spans_cap;
	size_t *header; /* CSV column names: text offsets */
	size_t ncols;
	struct tab_cell *cells;
	size_t ncells, cells_cap;
	struct inf_tokens toks;
	/* the names of the header or row being read, hashed so that one
	 * given twice is found in linear time: text offsets, valid where
	 * names_gen holds names_cur */
	size_t *names;
	unsigned *names_gen, names_cur;
	size_t names_cap;
};

static int lerr(struct loader *L, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int lerr(struct loader *L, unsigned long line, const char *fmt, ...)
{
	va_list ap;
	int k = line ? snprintf(L->err, INF_ERR_MAX, "%.150s:%lu: ", L->file, line)
		     : snprintf(L->err, INF_ERR_MAX, "%.150s: ", L->file);

	va_start(ap, fmt);
	vsnprintf(L->err + k, INF_ERR_MAX - (size_t)k, fmt, ap);
	va_end(ap);
	return INF_ERR_INVALID;
}

/* Appends n bytes and a NUL to text; *off gets where they start. */
static int put_text(struct loader *L, const char *s, size_t n, size_t *off)
{
	*off = L->t->text.len;
	if (inf_buf_append(&L->t->text, s, n) || inf_buf_putc(&L->t->text, '\0'))
		return INF_ERR_NOMEM;
	return 0;
}

static uint64_t hash(const char *s, size_t n);

/* Starts a new set of names that will hold at most n. Returns 0 or
 * INF_ERR_NOMEM. */
static int names_begin(struct loader *L, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap > L->names_cap) {
		free(L->names);
		free(L->names_gen);
		L->names = calloc(cap, sizeof *L->names);
		L->names_gen = calloc(cap, sizeof *L->names_gen);
		L->names_cap = L->names && L->names_gen ? cap : 0;
		if (!L->names_cap)
			return INF_ERR_NOMEM;
		L->names_cur = 0;
	}
	if (++L->names_cur == 0) { /* wrapped: forget every generation */
		memset(L->names_gen, 0, L->names_cap * sizeof *L->names_gen);
		L->names_cur = 1;
	}
	return 0;
}

/* Adds the name at text offset `off` to the set; returns 1 when the set
 * already had it, else 0. */
static int names_add(struct loader *L, size_t off)
{
	const char *n = L->t->text.data + off;
	size_t mask = L->names_cap - 1, i = (size_t)hash(n, strlen(n)) & mask;

	for (; L->names_gen[i] == L->names_cur; i = (i + 1) & mask)
		if (!strcmp(L->t->text.data + L->names[i], n))
			return 1;
	L->names[i] = off;
	L->names_gen[i] = L->names_cur;
	return 0;
}

/* Adds a field to the row being built (its names set begun with
 * names_begin), refusing reserved names and a name the row already has. */
static int add_cell(struct loader *L, struct tab_row *r, size_t name,
		    size_t val, size_t val_len)
{
	const char *n = L->t->text.data + name;

	for (const char *const *res = L->reserved; res && *res; res++)
		if (!strcmp(*res, n))
			return lerr(L, r->line, "column \"%.64s\" is also set by the step", n);
	if (names_add(L, name))
		return lerr(L, r->line, "member \"%.64s\" given twice", n);
	if (inf_array_grow(&L->cells, &L->cells_cap, L->ncells + 1, sizeof *L->cells))
		return INF_ERR_NOMEM;
	L->cells[L->ncells++] = (struct tab_cell){ name, val, val_len };
	r->count++;
	return 0;
}

static int add_row(struct loader *L, const struct tab_row *r)
{
	struct inf_table *t = L->t;

	if (inf_array_grow(&t->rows, &t->rows_cap, t->nrows + 1, sizeof *t->rows))
		return INF_ERR_NOMEM;
	t->rows[t->nrows++] = *r;
	return 0;
}

/* ---- CSV ---- */

static int add_span(struct loader *L, size_t off)
{
	if (inf_array_grow(&L->spans, &L->spans_cap, L->nspans + 2, sizeof *L->spans))
		return INF_ERR_NOMEM;
	L->spans[L->nspans++] = off;
	L->spans[L->nspans++] = L->scratch.len - off;
	return 0;
}

/* Reads the row at *pos into spans of scratch, after blank lines; *start
 * gets its first line. Returns its number of fields, 0 at the end, or a
 * negative inf_status. */
static int csv_row(struct loader *L, size_t *pos, unsigned long *line,
		   unsigned long *start)
{
	const char *d = L->raw.data;
	size_t n = L->raw.len, i = *pos, off;

	inf_buf_reset(&L->scratch);
	L->nspans = 0;
	while (i < n && (d[i] == '\n' || (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n'))) {
		i += d[i] == '\r' ? 2 : 1;
		++*line;
	}
	if (i >= n)
		return 0;
	*start = *line;
	for (;;) {
		off = L->scratch.len;
		if (i < n && d[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					return lerr(L, *start, "unterminated quoted field");
				if (d[i] == '"' && (i + 1 >= n || d[i + 1] != '"'))
					break;
				i += d[i] == '"'; /* "" is one quote */
				*line += d[i] == '\n';
				if (inf_buf_putc(&L->scratch, d[i]))
					return INF_ERR_NOMEM;
			}
			i++;
		} else {
			for (; i < n && d[i] != ',' && d[i] != '\n' && d[i] != '\r'; i++) {
				if (d[i] == '"')
					return lerr(L, *line, "quote inside an unquoted field");
				if (inf_buf_putc(&L->scratch, d[i]))
					return INF_ERR_NOMEM;
			}
		}
		if (add_span(L, off))
			return INF_ERR_NOMEM;
		if (i < n && d[i] == ',') {
			i++;
			continue;
		}
		if (i + 1 < n && d[i] == '\r' && d[i + 1] == '\n')
			i++;
		if (i < n && d[i] != '\n')
			return lerr(L, *line, "unexpected character after a field");
		if (i < n) {
			i++;
			++*line;
		}
		*pos = i;
		return (int)(L->nspans / 2);
	}
}

static int csv_header(struct loader *L, size_t *keycol)
{
	const char *name;
	size_t len;
	int rc;

	if (!(L->header = calloc(L->ncols, sizeof *L->header)) ||
	    names_begin(L, L->ncols))
		return INF_ERR_NOMEM;
	*keycol = L->key ? L->ncols : 0;
	for (size_t k = 0; k < L->ncols; k++) {
		name = L->scratch.data + L->spans[2 * k];
		len = L->spans[2 * k + 1];
		if (len == 0 || memchr(name, '\0', len))
			return lerr(L, 1, "column %zu has no name", k + 1);
		if (inf_utf8_valid_prefix(name, len) != len) /* it names a member */
			return lerr(L, 1, "the name of column %zu is not valid UTF-8", k + 1);
		if ((rc = put_text(L, name, len, &L->header[k])))
			return rc;
		if (names_add(L, L->header[k]))
			return lerr(L, 1, "column \"%.64s\" named twice",
				    L->t->text.data + L->header[k]);
		if (L->key && !strcmp(L->key, L->t->text.data + L->header[k]))
			*keycol = k;
	}
	for (size_t k = 0; k < L->ncols; k++)
		for (const char *const *res = L->reserved; k != *keycol && res && *res; res++)
			if (!strcmp(*res, L->t->text.data + L->header[k]))
				return lerr(L, 1, "column \"%.64s\" is also set by the step", *res);
	if (*keycol == L->ncols)
		return lerr(L, 1, "no key column \"%.64s\" in the header", L->key);
	return 0;
}

static int load_csv(struct loader *L)
{
	unsigned long line = 1, at = 1;
	size_t pos = 0, keycol, off;
	int nf, rc;

	if (L->raw.len >= 3 && !memcmp(L->raw.data, "\xef\xbb\xbf", 3))
		pos = 3;
	if ((nf = csv_row(L, &pos, &line, &at)) <= 0)
		return nf < 0 ? nf : lerr(L, 1, "no header row");
	L->ncols = (size_t)nf;
	if ((rc = csv_header(L, &keycol)))
		return rc;
	while ((nf = csv_row(L, &pos, &line, &at)) > 0) {
		struct tab_row r = { 0, L->spans[2 * keycol + 1], L->ncells, 0, at };
		if ((size_t)nf != L->ncols)
			return lerr(L, at, "row has %d fields, the header has %zu", nf, L->ncols);
		if (r.key_len == 0)
			return lerr(L, at, "empty key");
		if ((rc = put_text(L, L->scratch.data + L->spans[2 * keycol], r.key_len, &r.key)) ||
		    (rc = names_begin(L, L->ncols)))
			return rc;
		for (size_t k = 0; k < L->ncols; k++) {
			if (k == keycol)
				continue;
			off = L->t->text.len;
			rc = inf_json_quote(&L->t->text, L->scratch.data + L->spans[2 * k],
					    L->spans[2 * k + 1]);
			if (rc == INF_ERR_INVALID)
				return lerr(L, at, "column \"%.64s\" is not valid UTF-8",
					    L->t->text.data + L->header[k]);
			if (rc || inf_buf_putc(&L->t->text, '\0'))
				return INF_ERR_NOMEM;
			if ((rc = add_cell(L, &r, L->header[k], off, L->t->text.len - off - 1)))
				return rc;
		}
		if ((rc = add_row(L, &r)))
			return rc;
	}
	return nf;
}

/* ---- NDJSON ---- */

/* Adds member (key token k, value token v) of the object on the line. */
static int nd_member(struct loader *L, struct tab_row *r, const char *s,
		     int k, int v, int *has_key)
{
	const jsmntok_t *tk = L->toks.tok;
	size_t nlen, name, val, vlen = (size_t)(inf_tok_raw_end(&tk[v]) - inf_tok_raw_start(&tk[v]));
	const char *n = inf_json_unescape(s + tk[k].start, (size_t)(tk[k].end - tk[k].start),
					  &L->scratch, &nlen);
	int rc;

	if (!n)
		return INF_ERR_NOMEM;
	if (memchr(n, '\0', nlen))
		return lerr(L, r->line, "member name holds a NUL character");
	if (nlen == strlen(L->key) && !memcmp(n, L->key, nlen)) {
		int is_num = tk[v].type == JSMN_PRIMITIVE && s[tk[v].start] != 't' &&
			     s[tk[v].start] != 'f' && s[tk[v].start] != 'n';
		if (*has_key)
			return lerr(L, r->line, "member \"%.64s\" given twice", L->key);
		if (tk[v].type != JSMN_STRING && !is_num)
			return lerr(L, r->line, "the key is not a string or a number");
		n = is_num ? s + tk[v].start
			   : inf_json_unescape(s + tk[v].start, vlen - 2, &L->scratch, &nlen);
		if (!n)
			return INF_ERR_NOMEM;
		r->key_len = is_num ? vlen : nlen;
		if (r->key_len == 0)
			return lerr(L, r->line, "empty key");
		*has_key = 1;
		return put_text(L, n, r->key_len, &r->key);
	}
	if ((rc = put_text(L, n, nlen, &name)) ||
	    (rc = put_text(L, s + inf_tok_raw_start(&tk[v]), vlen, &val)))
		return rc;
	return add_cell(L, r, name, val, vlen);
}

static int load_ndjson(struct loader *L)
{
	const char *d = L->raw.data;
	size_t n = L->raw.len, pos = 0;
	unsigned long line = 0;
	struct inf_json_err je;
	int rc = 0;

	if (!L->key)
		return lerr(L, 0, "an NDJSON table needs a key column");
	while (pos < n && rc == 0) {
		const char *s = d + pos, *eol = memchr(s, '\n', n - pos);
		size_t len = eol ? (size_t)(eol - s) : n - pos;
		struct tab_row r = { 0, 0, L->ncells, 0, ++line };
		int has_key = 0, c = 1;

		pos += len + (eol != NULL);
		if (inf_json_is_ws(s, len))
			continue;
		if ((rc = inf_json_parse(&L->toks, s, len, 64, &je)) == INF_ERR_NOMEM)
			return rc;
		if (rc)
			return lerr(L, line, "invalid JSON: %s (byte %zu of the line)", je.msg, je.offset);
		if (L->toks.tok[0].type != JSMN_OBJECT)
			return lerr(L, line, "not a JSON object");
		if ((rc = names_begin(L, (size_t)L->toks.tok[0].size)))
			return rc;
		for (int i = 0; i < L->toks.tok[0].size && rc == 0; i++, c = inf_tok_skip(&L->toks, c))
			rc = nd_member(L, &r, s, c, c + 1, &has_key);
		if (rc == 0 && !has_key)
			return lerr(L, line, "no key member \"%.64s\"", L->key);
		if (rc == 0)
			rc = add_row(L, &r);
	}
	return rc;
}

/* ---- the index ---- */

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* Row index + 1 of `key`, or 0. */
static size_t lookup(const struct inf_table *t, const char *key, size_t len)
{
	size_t mask = t->nslots - 1;

	for (size_t i = (size_t)hash(key, len) & mask; t->slots[i]; i = (i + 1) & mask) {
		const struct tab_row *r = &t->rows[t->slots[i] - 1];
		if (r->key_len == len && !memcmp(t->text.data + r->key, key, len))
			return t->slots[i];
	}
	return 0;
}

/* Fixes the fields' pointers (text no longer moves) and indexes the rows;
 * a key seen twice is an error. */
static int finish(struct loader *L)
{
	struct inf_table *t = L->t;
	size_t dup;

	t->fields = calloc(L->ncells ? L->ncells : 1, sizeof *t->fields);
	t->views = calloc(t->nrows ? t->nrows : 1, sizeof *t->views);
	for (t->nslots = 8; t->nslots < 2 * t->nrows; t->nslots *= 2)
		;
	t->slots = calloc(t->nslots, sizeof *t->slots);
	if (!t->fields || !t->views || !t->slots)
		return INF_ERR_NOMEM;
	for (size_t i = 0; i < L->ncells; i++)
		t->fields[i] = (struct inf_field){ t->text.data + L->cells[i].name,
			t->text.data + L->cells[i].val, L->cells[i].val_len };
	for (size_t k = 0; k < t->nrows; k++) {
		const struct tab_row *r = &t->rows[k];
		size_t i = (size_t)hash(t->text.data + r->key, r->key_len) & (t->nslots - 1);
		t->views[k] = (struct inf_fields){ r->count, t->fields + r->first };
		if ((dup = lookup(t, t->text.data + r->key, r->key_len)))
			return lerr(L, r->line, "duplicate key \"%.64s\" (first on line %lu)",
				    t->text.data + r->key, t->rows[dup - 1].line);
		while (t->slots[i])
			i = (i + 1) & (t->nslots - 1);
		t->slots[i] = k + 1;
	}
	return 0;
}

static void ident_free(struct tab_ident *id)
{
	free(id->key);
	inf_buf_free(&id->reserved);
}

/* Frees a table no one holds (or a load that failed); accepts NULL. */
static void destroy(struct inf_table *t)
{
	if (!t)
		return;
	inf_buf_free(&t->text);
	free(t->rows);
	free(t->fields);
	free(t->views);
	free(t->slots);
	ident_free(&t->id);
	free(t);
}

static int read_all(struct loader *L, FILE *f)
{
	char chunk[65536];
	size_t n;
	int rc = 0;

	while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = inf_buf_append(&L->raw, chunk, n);
	if (rc == 0 && ferror(f))
		rc = lerr(L, 0, "cannot read the table");
	return rc;
}

/* Fills *id (zeroed) for a load of the open file `f` (as CSV when
 * `csv`, else NDJSON) keyed `key` with
 * `reserved` (NULL-ended, may be NULL); its strings are freed with
 * ident_free. Returns 0, INF_ERR_NOMEM, or INF_ERR_INVALID when the file
 * cannot be stat'ed. */
static int ident_make(struct tab_ident *id, FILE *f, int csv, const char *key,
		      const char *const *reserved)
{
	struct stat st;

	if (fstat(fileno(f), &st))
		return INF_ERR_INVALID;
	id->csv = csv;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	id->ctime = st.st_ctim;
	if (key && !(id->key = strdup(key)))
		return INF_ERR_NOMEM;
	for (size_t i = 0; reserved && reserved[i]; i++)
		if (inf_buf_append(&id->reserved, reserved[i], strlen(reserved[i]) + 1))
			return INF_ERR_NOMEM;
	return 0;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int ident_eq(const struct tab_ident *a, const struct tab_ident *b)
{
	return a->csv == b->csv && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       same_time(&a->mtime, &b->mtime) && same_time(&a->ctime, &b->ctime) &&
	       (a->key && b->key ? !strcmp(a->key, b->key) : !a->key && !b->key) &&
	       a->reserved.len == b->reserved.len &&
	       (!a->reserved.len || !memcmp(a->reserved.data, b->reserved.data, a->reserved.len));
}

/* The held table a load described by `id` would make, with one more
 * reference, or NULL. Under tables_mu. */
static struct inf_table *shared(const struct tab_ident *id)
{
	for (struct inf_table *t = tables; t; t = t->next)
		if (ident_eq(&t->id, id)) {
			t->refs++;
			return t;
		}
	return NULL;
}

/* Reads and indexes the open file `f` into L->t, as CSV when `csv`.
 * Returns 0 or a negative inf_status with the message in L->err. */
static int load_file(struct loader *L, FILE *f, int csv)
{
	int rc = read_all(L, f);

	if (rc == 0)
		rc = csv ? load_csv(L) : load_ndjson(L);
	if (rc == 0)
		rc = finish(L);
	if (rc == INF_ERR_NOMEM)
		snprintf(L->err, INF_ERR_MAX, "%.150s: out of memory", L->file);
	inf_buf_free(&L->raw);
	inf_buf_free(&L->scratch);
	inf_tokens_free(&L->toks);
	free(L->spans);
	free(L->header);
	free(L->cells);
	free(L->names);
	free(L->names_gen);
	return rc;
}

/* The whole load runs under tables_mu, so identical loads made at the
 * same time (by workers or policies) still make one copy. A load that
 * fails is not kept: the next identical one reads the file again and
 * reports the same error. */
struct inf_table *inf_table_load(const char *file, const char *key,
				 const char *const *reserved, char *err)
{
	struct loader L = { .file = file, .key = key, .reserved = reserved, .err = err };
	struct tab_ident id = { 0 };
	struct inf_table *t = NULL;
	size_t flen = strlen(file);
	int csv = flen > 4 && !strcmp(file + flen - 4, ".csv"), rc;
	FILE *f;

	pthread_mutex_lock(&tables_mu);
	if (!(f = fopen(file, "rb"))) {
		lerr(&L, 0, "cannot open the table");
		goto out;
	}
	if ((rc = ident_make(&id, f, csv, key, reserved))) {
		if (rc == INF_ERR_NOMEM)
			snprintf(err, INF_ERR_MAX, "%.150s: out of memory", file);
		else
			lerr(&L, 0, "cannot read the table");
		goto out;
	}
	if ((t = shared(&id)))
		goto out;
	if (!(L.t = calloc(1, sizeof *L.t))) {
		snprintf(err, INF_ERR_MAX, "%.150s: out of memory", file);
		goto out;
	}
	if (load_file(&L, f, csv)) {
		destroy(L.t);
		goto out;
	}
	t = L.t;
	t->id = id; /* the table owns the identity's strings now */
	id = (struct tab_ident){ 0 };
	t->refs = 1;
	t->next = tables;
	tables = t;
out:
	ident_free(&id);
	if (f)
		fclose(f);
	pthread_mutex_unlock(&tables_mu);
	return t;
}

const struct inf_fields *inf_table_find(const struct inf_table *t,
					const char *key, size_t len)
{
	size_t k = t ? lookup(t, key, len) : 0;

	return k ? &t->views[k - 1] : NULL;
}

size_t inf_table_rows(const struct inf_table *t)
{
	return t ? t->nrows : 0;
}

const struct inf_fields *inf_table_row(const struct inf_table *t, size_t i)
{
	return &t->views[i];
}

int inf_table_has_row(const struct inf_table *t, const struct inf_fields *row)
{
	uintptr_t at = (uintptr_t)row, base = t ? (uintptr_t)t->views : 0;

	return t && t->nrows && at >= base && at < base + t->nrows * sizeof *t->views &&
	       (at - base) % sizeof *t->views == 0;
}

void inf_table_free(struct inf_table *t)
{
	struct inf_table **p;
	int last;

	if (!t)
		return;
	pthread_mutex_lock(&tables_mu);
	if ((last = --t->refs == 0)) {
		for (p = &tables; *p && *p != t; p = &(*p)->next)
			;
		if (*p)
			*p = t->next;
	}
	pthread_mutex_unlock(&tables_mu);
	if (last)
		destroy(t);
}
