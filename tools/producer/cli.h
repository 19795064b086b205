/*
 * Command line of the producer: parses argv and the AWS_* environment into
 * a struct prod_opts, checks every number and every combination, and
 * prints --help and --version. The strings in prod_opts point into argv
 * and the environment; nothing is allocated.
 */
#ifndef PROD_CLI_H
#define PROD_CLI_H

#include <stdint.h>

#include "producer.h"
#include "sink.h"

#define PROD_DEFAULT_COUNT 12
#define PROD_DEFAULT_DIR "./bucket"
#define PROD_DEFAULT_REGION "us-east-1"
#define PROD_MAX_COUNT 1000000000ULL    /* --count */
#define PROD_MAX_SIZE (1ULL << 40)      /* --size, 1 TiB */

enum prod_dest {
	PROD_DEST_DIR = 0,
	PROD_DEST_S3,
	PROD_DEST_NDJSON
};

struct prod_opts {
	enum prod_dest dest;
	const char *dir;          /* PROD_DEST_DIR */
	const char *ndjson;       /* PROD_DEST_NDJSON: a path or "-" */
	struct prod_s3_conf s3;   /* PROD_DEST_S3 */
	uint64_t count;           /* events to write, unless use_size */
	uint64_t size;            /* --size: bytes of NDJSON to reach */
	int use_size;
	uint64_t seed;
	int have_seed;
	int synthetic;            /* time from start_us + PRNG steps */
	int64_t start_us;
	int quiet;
};

/* Fills `o` from the command line. Returns 0 to run, 1 when --help or
 * --version was printed (exit 0), or -1 on a usage error with the message
 * in `err` (exit PROD_EXIT_USAGE). */
int prod_cli_parse(struct prod_opts *o, int argc, char **argv,
		   struct prod_err *err);

#endif
