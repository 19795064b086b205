/*
 * producer: writes store events like the scenario's Python producer
 * (protocol reference §9) to a directory, an S3 endpoint or one NDJSON
 * stream, then prints the seed's summary line. Options and exit codes are
 * in cli.c (`producer --help`).
 *
 * This file only wires the pieces: options (cli), PRNG (rng), event clock
 * (evtime), events (event), totals (stats) and the destination (sink_*).
 * Two buffers are reused for every event, so the loop does not allocate
 * in steady state.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "buf.h"
#include "cli.h"
#include "event.h"
#include "evtime.h"
#include "producer.h"
#include "rng.h"
#include "sink.h"
#include "stats.h"

static int open_sink(const struct prod_opts *o, struct prod_sink **sink,
		     struct prod_err *err)
{
	switch (o->dest) {
	case PROD_DEST_S3:
		return prod_sink_s3_open(sink, &o->s3, err);
	case PROD_DEST_NDJSON:
		return prod_sink_ndjson_open(sink, o->ndjson, err);
	case PROD_DEST_DIR:
	default:
		return prod_sink_dir_open(sink, o->dir, err);
	}
}

/* Generates and stores the events; fills `st`. Returns 0 or -1 with `err`. */
static int produce(const struct prod_opts *o, struct prod_sink *sink,
		   struct prod_stats *st, struct prod_err *err)
{
	struct inf_buf body = { 0 }, key = { 0 };
	struct prod_rng rng;
	struct prod_clock clk;
	struct prod_event ev;
	uint64_t seed = o->seed;
	int64_t t;
	int rc = -1;

	if (!o->have_seed && getrandom(&seed, sizeof seed, 0) != sizeof seed) {
		prod_err_set(err, "cannot read a random seed (getrandom)");
		goto out;
	}
	prod_rng_seed(&rng, seed);
	prod_clock_init(&clk, o->synthetic, o->start_us);
	while (o->use_size ? sink->bytes < o->size : st->tot < o->count) {
		if (prod_clock_next(&clk, &rng, &t)) {
			prod_err_set(err, "event time after year 9999: give an earlier time "
				     "(--start)");
			err->usage = 1;
			goto out;
		}
		prod_event_make(&ev, &rng, t);
		inf_buf_reset(&body);
		inf_buf_reset(&key);
		if (prod_event_json(&body, &ev) || prod_event_key(&key, &ev)) {
			prod_err_set(err, "out of memory (event %llu)",
				     (unsigned long long)st->tot + 1);
			goto out;
		}
		if (sink->ops->put(sink, key.data, body.data, body.len, err))
			goto out;
		prod_stats_add(st, &ev);
		if (!o->quiet && sink->per_object)
			fprintf(stderr, "wrote %s\n", key.data);
	}
	if (sink->ops->finish(sink, err))
		goto out;
	if (!o->quiet && !sink->per_object)
		fprintf(stderr, "wrote %s\n", o->ndjson);
	rc = 0;
out:
	inf_buf_free(&key);
	inf_buf_free(&body);
	return rc;
}

int main(int argc, char **argv)
{
	struct prod_opts o;
	struct prod_err err = { .usage = 0 };
	struct prod_stats st = { 0 };
	struct prod_sink *sink = NULL;
	int rc, status = PROD_EXIT_IO;
	FILE *summary;

	/* a reader that goes away (`| head`) is a write error with its one
	 * line and exit 5, as /dev/full is, not a silent death by SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	rc = prod_cli_parse(&o, argc, argv, &err);
	if (rc > 0) {
		if (fflush(stdout) == 0 && !ferror(stdout))
			return PROD_EXIT_OK;
		fprintf(stderr, "producer: cannot print to stdout: %s\n", strerror(errno));
		return PROD_EXIT_IO;
	}
	if (rc < 0) {
		fprintf(stderr, "producer: %s\n", err.msg);
		return PROD_EXIT_USAGE;
	}
	if (open_sink(&o, &sink, &err) || produce(&o, sink, &st, &err))
		goto out;
	summary = o.dest == PROD_DEST_NDJSON && o.ndjson[0] == '-' &&
		  !o.ndjson[1] ? stderr : stdout;
	if (prod_stats_print(summary, &st)) {
		prod_err_set(&err, "cannot print the summary (%s)",
			     summary == stdout ? "stdout" : "stderr");
		goto out;
	}
	status = PROD_EXIT_OK;
out:
	if (status != PROD_EXIT_OK) {
		fprintf(stderr, "producer: %s\n", err.msg);
		status = err.usage ? PROD_EXIT_USAGE : status;
	}
	prod_sink_destroy(sink);
	return status;
}
