#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int inf_output_open(struct inf_output *o, const char *path,
		    struct inf_error *err)
{
	size_t n;

	memset(o, 0, sizeof *o);
	o->fd = STDOUT_FILENO;
	if (!path || !strcmp(path, "-"))
		return 0;
	n = strlen(path) + 32;
	o->path = strdup(path);
	o->tmp = malloc(n);
	if (!o->path || !o->tmp) {
		inf_output_abort(o);
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	}
	snprintf(o->tmp, n, "%s.tmp-%ld", path, (long)getpid());
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		int e = errno;
		free(o->tmp);
		o->tmp = NULL;
		inf_output_abort(o);
		return inf_error_set(err, INF_FAIL_OUTPUT, "%s: cannot write: %s", path,
				     strerror(e));
	}
	return 0;
}

int inf_output_write(void *ctx, const char *data, size_t len,
		     struct inf_error *err)
{
	struct inf_output *o = ctx;

	while (len > 0) {
		ssize_t w = write(o->fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return inf_error_set(err, INF_FAIL_OUTPUT, "%s: write failed: %s",
					     o->path ? o->path : "stdout",
					     w < 0 ? strerror(errno) : "no progress");
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int inf_output_commit(struct inf_output *o, struct inf_error *err)
{
	int rc = 0;

	if (o->path) {
		if (close(o->fd) || rename(o->tmp, o->path))
			rc = inf_error_set(err, INF_FAIL_OUTPUT, "%s: cannot finish: %s",
					   o->path, strerror(errno));
		o->fd = -1;
		if (rc)
			unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
	return rc;
}

void inf_output_abort(struct inf_output *o)
{
	if (o->path && o->tmp) {
		if (o->fd >= 0)
			close(o->fd);
		unlink(o->tmp);
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
}
