/*
 * Replays inputs through a fuzz target without libFuzzer, so that the
 * corpus and the regression cases are checked by every `make test` (and
 * under the sanitizers by `make asan`), built with the project's own
 * compiler and flags.
 *
 * usage: fuzz_<target> FILE...
 * Calls LLVMFuzzerInitialize once, then LLVMFuzzerTestOneInput on each
 * file in a child process of its own, so a crash or a broken invariant is
 * blamed on its file and the others still run. Prints "ok - NAME: FILE"
 * or "FAIL - NAME: FILE: why" per file and exits 1 if any failed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzzutil.h"

/* Reads a whole file; NULL with errno set on failure. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *p;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(p = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int failed = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		pid_t pid;
		int status;

		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			size_t len = 0;
			uint8_t *data = slurp(argv[i], &len);
			if (!data) {
				fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
				exit(3);
			}
			LLVMFuzzerTestOneInput(data, len);
			free(data);
			exit(0);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("waitpid");
			return 2;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok - %s: %s\n", name, argv[i]);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("FAIL - %s: %s: signal %d\n", name, argv[i], WTERMSIG(status));
			else
				printf("FAIL - %s: %s: exit %d\n", name, argv[i], WEXITSTATUS(status));
		}
	}
	return failed ? 1 : 0;
}
