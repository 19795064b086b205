/*
 * Where a transformed object goes: stdout, or a file that appears only
 * when the whole object succeeded (written to a temporary file beside it,
 * created under a random name with O_EXCL and O_NOFOLLOW so nothing planted
 * there is followed, renamed on commit, removed on abort). A symlink to a
 * regular file has that file replaced, the link kept; a device, FIFO or
 * socket, and /dev/stdout, /dev/stderr, /dev/fd/N, are written in place.
 */
#ifndef INF_OUTPUT_H
#define INF_OUTPUT_H

#include <stddef.h>

#include "error.h"

struct inf_output {
	int fd;
	char *path; /* final name, NULL for stdout */
	char *tmp;  /* temporary name while writing */
	unsigned long long written; /* bytes written so far */
};

/* Opens `path` (NULL or "-" for stdout). Returns 0 or -1 with err set.
 * o->tmp is set when nothing written reaches `path` unless committed. */
int inf_output_open(struct inf_output *o, const char *path,
		    struct inf_error *err);
/* inf_sink_fn writing to the output. */
int inf_output_write(void *ctx, const char *data, size_t len,
		     struct inf_error *err);
/* Finishes: closes the temporary file and renames it into place, so
 * readers see the whole object or nothing. There is no fsync: after a
 * crash of the machine (not of the runtime) the file may be short or
 * empty. Returns 0 or -1 with err set. */
int inf_output_commit(struct inf_output *o, struct inf_error *err);
/* Discards a file output; stdout keeps what was written. */
void inf_output_abort(struct inf_output *o);
/* Removes the temporary file of the output being written, if any, for a
 * process that ends without finishing it; async-signal-safe. */
void inf_output_abandon(void);

#endif
