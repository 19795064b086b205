/*
 * Lookup tables for plugins (host->table_load): a CSV file with a header
 * row or an NDJSON file, loaded once into memory and indexed by a key
 * column, so that a plugin can add a row's columns to a record (enrich's
 * `lookup`). Every problem is reported as "file:line: message".
 *
 * CSV follows RFC 4180: fields separated by commas, quoted with '"' when
 * they hold commas, quotes ("" inside quotes) or line breaks; LF or CRLF;
 * a UTF-8 byte-order mark and blank lines are skipped; every row has as
 * many fields as the header. Values become JSON strings. NDJSON has one
 * JSON object per line; members become fields as they are. Keys are text:
 * a CSV field, an NDJSON string's unescaped value or a number's JSON text.
 *
 * Identical loads share one table: the same file (device and inode,
 * unchanged since: size, mtime, ctime), key column and reserved names
 * give the table already held, counted, so a step's instances (one per
 * worker) hold one copy. A table is read-only once loaded, so workers
 * search it concurrently; each inf_table_load needs its inf_table_free.
 */
#ifndef INF_TABLE_H
#define INF_TABLE_H

#include <stddef.h>

#include "inflight/plugin.h"

/* See struct inf_host, table_load. Thread-safe, as is inf_table_free. */
struct inf_table *inf_table_load(const char *file, const char *key,
				 const char *const *reserved, char *err);
/* See struct inf_host, table_find. */
const struct inf_fields *inf_table_find(const struct inf_table *t,
					const char *key, size_t len);
/* Number of rows. */
size_t inf_table_rows(const struct inf_table *t);
/* Row i's fields (i < inf_table_rows), as inf_table_find gives them. */
const struct inf_fields *inf_table_row(const struct inf_table *t, size_t i);
/* Whether `row` is one of t's rows (t may be NULL). */
int inf_table_has_row(const struct inf_table *t, const struct inf_fields *row);
/* Releases one load of `t`; the last one frees it. Accepts NULL. */
void inf_table_free(struct inf_table *t);

#endif
