/*
 * The temporary file a sink writes before renaming it over its final
 * name, so that a reader, or a failed run, never leaves a partial file
 * there: its name ("<dir>/.<name>.<pid>.tmp" beside it), its creation,
 * and its removal when a signal ends the run before the rename.
 */
#ifndef PROD_TMPNAME_H
#define PROD_TMPNAME_H

#include "buf.h"

/* Sets `tmp` (NUL-terminated) to the temporary name of `path`. Returns 0
 * or -1 (out of memory). */
int prod_tmp_name(struct inf_buf *tmp, const char *path, long pid);

/* Creates `tmp` anew for writing (mode 0644 less the umask) and returns
 * its descriptor, or -1 with errno. Never through a link planted at the
 * name (a shared directory), never into a file left there (a run that
 * died with this pid): such a name is unlinked, a link itself and not
 * what it points to, and created once more. */
int prod_tmp_create(const char *tmp);

/* The file prod_tmp_create made last is removed if SIGINT, SIGTERM or
 * SIGHUP ends the process before prod_tmp_done (after its rename, or its
 * unlink) says it is no longer ours; the signal then ends the process as
 * it would have. A signal ignored when the first file was made stays
 * ignored. One file at a time. */
void prod_tmp_done(void);

#endif
