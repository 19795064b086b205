/*
 * What a transform counts: records by what became of them, bytes in and
 * out. Shared by the chain (core/chain.c), which reports them, and the
 * parallel runner (core/parallel.c), which sums the batches it writes.
 */
#ifndef INF_STATS_H
#define INF_STATS_H

#include <stdint.h>

struct inf_stats {
	uint64_t records_in;
	uint64_t records_out;
	uint64_t records_dropped; /* by a plugin's verdict */
	uint64_t records_failed;  /* skipped under on_error = drop_record */
	uint64_t bytes_in;
	uint64_t bytes_out;
};

/* The first record skipped under on_error = drop_record: its number
 * (from 1; 0: none skipped), its line and what was wrong with it, in the
 * words on_error = fail would have failed the object with. */
struct inf_skip {
	uint64_t recno, line;
	char what[640];
};

#endif
