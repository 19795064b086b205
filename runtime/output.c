#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redact.h"

/* The output's name as a message prints it (inf_show_name). */
static const char *shown(const char *path, char *buf, size_t n)
{
	if (!path)
		return "stdout";
	inf_show_name(path, buf, n);
	return buf;
}

/* The temporary file of the output being written, for crash.c's exit
 * hook and signal handler, which may run on any thread at any moment:
 * a copy of its name, never freed, valid while `pending` is set. One
 * output at a time is written. */
static char pending_name[PATH_MAX + 256];
static volatile sig_atomic_t pending;

/* Publishes `tmp` (NULL: none) to inf_output_abandon. */
static void set_pending(const char *tmp)
{
	pending = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!tmp || strlen(tmp) >= sizeof pending_name)
		return;
	memcpy(pending_name, tmp, strlen(tmp) + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the name before the flag */
	pending = 1;
}

void inf_output_abandon(void)
{
	if (pending)
		unlink(pending_name);
}

/* Random characters in a temporary name: 62^12, about 2^71. */
#define TMP_RANDOM 12

/* Creates a temporary file beside `path` under a name nobody can guess
 * ("DIR/.BASE.tmp-XXXXXXXXXXXX", random), with O_EXCL and O_NOFOLLOW so a
 * file or symlink planted there is never opened, and mode 0644 less the
 * umask as a new file would have (one replaced keeps its own: see
 * inf_output_open). Returns the descriptor, or -1 with
 * errno set; o->tmp holds the name. */
static int create_tmp(struct inf_output *o, const char *path)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	size_t n = strlen(path) + 32;
	unsigned char rnd[TMP_RANDOM];
	char *x;

	o->tmp = malloc(n);
	if (!o->tmp) {
		errno = ENOMEM;
		return -1;
	}
	/* the base is cut so that the name stays under NAME_MAX */
	snprintf(o->tmp, n, "%.*s.%.200s.tmp-", dirlen, path, base);
	x = o->tmp + strlen(o->tmp);
	for (int tries = 0; tries < 100; tries++) {
		int fd;

		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			return -1;
		for (size_t i = 0; i < sizeof rnd; i++)
			x[i] = chars[rnd[i] % (sizeof chars - 1)];
		x[sizeof rnd] = '\0';
		/* published before it exists: a signal right after the open
		 * must find it (the random name is no one else's) */
		set_pending(o->tmp);
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			return fd;
		set_pending(NULL);
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/* The descriptor a name stands for, as in bash's redirections:
 * /dev/stdout 1, /dev/stderr 2, /dev/fd/N and /proc/self/fd/N N; else -1.
 * Such a name is a link to whatever the descriptor holds: resolved and
 * renamed over, a file redirected to would be replaced, not written. */
static int fd_name(const char *path)
{
	const char *n = NULL;
	char *end;
	long v;

	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	if (!strncmp(path, "/dev/fd/", 8))
		n = path + 8;
	else if (!strncmp(path, "/proc/self/fd/", 14))
		n = path + 14;
	if (!n || *n < '0' || *n > '9')
		return -1;
	errno = 0;
	v = strtol(n, &end, 10);
	return *end || errno || v > 65535 ? -1 : (int)v;
}

/* Decides how `path` is written. A device, FIFO or socket (a symlink
 * followed, as /dev/stdout is) is opened and written in place: renaming a
 * file over it would put a regular file at /dev/null or a pipe's name. A
 * symlink to a regular file has the file replaced, not the link: *target
 * is then the resolved name (free it). Returns the open descriptor, -2
 * when the caller writes beside *target (or `path`) and renames, or -1
 * with errno set (EISDIR for a directory). */
static int open_target(const char *path, char **target)
{
	struct stat st, lst;
	int fd = fd_name(path);

	*target = NULL;
	if (fd >= 0)
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (stat(path, &st))
		return -2; /* absent, or a dangling symlink: replaced by the file */
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
		    !(*target = realpath(path, NULL)))
			return -1;
		return -2;
	}
	fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* replaced by a regular file since the stat: never written in place */
	if (fstat(fd, &st) || S_ISREG(st.st_mode)) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	return fd;
}

/* Gives the file replacing one with status *st that file's access: its
 * owner and group where this process may (root, or a group it is in),
 * and its permission bits; a group it cannot keep gets none of them, so
 * that a file private to one group never opens to another. Returns 0, or
 * -1 with errno set. */
static int keep_access(int fd, const struct stat *st)
{
	mode_t mode = st->st_mode & 07777;

	if (fchown(fd, st->st_uid, st->st_gid) && fchown(fd, (uid_t)-1, st->st_gid))
		mode &= (mode_t)~(S_IRWXG | S_ISGID);
	return fchmod(fd, mode);
}

int inf_output_open(struct inf_output *o, const char *path,
		    struct inf_error *err)
{
	char *target = NULL;
	int beside = 0; /* the temporary file beside OUT failed */

	memset(o, 0, sizeof *o);
	o->fd = STDOUT_FILENO;
	if (!path || !strcmp(path, "-"))
		return 0;
	o->path = strdup(path);
	if (!o->path) {
		inf_output_abort(o);
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	}
	o->fd = open_target(path, &target);
	if (o->fd == -2 && target) {
		free(o->path);
		o->path = target; /* the symlink's file is renamed over */
	}
	if (o->fd == -2) {
		struct stat st;
		o->fd = create_tmp(o, o->path);
		beside = o->fd < 0;
		if (o->fd >= 0 && stat(o->path, &st) == 0 && S_ISREG(st.st_mode) &&
		    keep_access(o->fd, &st)) {
			int e = errno;
			close(o->fd);
			unlink(o->tmp);
			set_pending(NULL);
			o->fd = -1;
			errno = e;
		}
	} else {
		free(target);
	}
	if (o->fd < 0) {
		int e = errno;
		char name[1024];
		free(o->tmp);
		o->tmp = NULL;
		inf_output_abort(o);
		if (e == ENOMEM)
			return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
		if (beside)
			return inf_error_set(err, INF_FAIL_OUTPUT,
					     "%s: cannot create a file in its directory (OUT is "
					     "written beside, then renamed into place): %s",
					     shown(path, name, sizeof name), strerror(e));
		return inf_error_set(err, INF_FAIL_OUTPUT, "%s: cannot write: %s",
				     shown(path, name, sizeof name), strerror(e));
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
		if (w <= 0) {
			const char *why = w < 0 ? strerror(errno) : "no progress";
			char name[1024];
			return inf_error_set(err, INF_FAIL_OUTPUT, "%s: write failed: %s",
					     shown(o->path, name, sizeof name), why);
		}
		data += w;
		len -= (size_t)w;
		o->written += (unsigned long long)w;
	}
	return 0;
}

int inf_output_commit(struct inf_output *o, struct inf_error *err)
{
	int rc = 0;

	if (o->path) {
		if (close(o->fd) || (o->tmp && rename(o->tmp, o->path))) {
			const char *why = strerror(errno);
			char name[1024];
			rc = inf_error_set(err, INF_FAIL_OUTPUT, "%s: cannot finish: %s",
					   shown(o->path, name, sizeof name), why);
		}
		o->fd = -1;
		if (rc && o->tmp)
			unlink(o->tmp);
		set_pending(NULL);
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
	return rc;
}

void inf_output_abort(struct inf_output *o)
{
	if (o->path) {
		if (o->fd >= 0)
			close(o->fd);
		if (o->tmp)
			unlink(o->tmp);
		set_pending(NULL);
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
}
