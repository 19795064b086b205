/*
 * Event time for the producer: microseconds since the Unix epoch (UTC),
 * broken down without the C library's time zone machinery, parsed from
 * ISO-8601, and produced by a clock that is either the real one or a
 * synthetic one driven by the seeded PRNG.
 *
 * Supported range: 1970-01-01T00:00:00 to 9999-12-31T23:59:59.999999, the
 * range Python's datetime can print with isoformat().
 */
#ifndef PROD_EVTIME_H
#define PROD_EVTIME_H

#include <stdint.h>

#include "rng.h"

/* 10000-01-01T00:00:00 in microseconds: the first time out of range. */
#define PROD_TIME_END_US 253402300800000000LL
/* The synthetic clock's default start, 2026-01-01T00:00:00. */
#define PROD_TIME_DEFAULT_START "2026-01-01T00:00:00"
/* The synthetic clock advances by 1 to this many microseconds per event. */
#define PROD_TIME_MAX_STEP_US 150000

struct prod_tm {
	int year, mon, day;     /* 1970..9999, 1..12, 1..31 */
	int hour, min, sec;     /* 0..23, 0..59, 0..59 */
	int usec;               /* 0..999999 */
	int64_t epoch_sec;      /* whole seconds since the epoch */
};

/* Parses "YYYY-MM-DD[(T| )HH:MM:SS[.f{1,6}]][Z|+00:00]" as UTC into
 * microseconds. Returns 0, or -1 when the text is not such a time or is
 * out of range. */
int prod_time_parse(const char *s, int64_t *us);

/* Breaks `us` (0 <= us < PROD_TIME_END_US) down into `tm`. */
void prod_time_split(int64_t us, struct prod_tm *tm);

struct prod_clock {
	int synthetic;   /* 1: start + PRNG steps; 0: gettimeofday */
	int started;     /* whether `last` holds a time already handed out */
	int64_t next;    /* synthetic: the next time to hand out */
	int64_t last;    /* the last time handed out */
};

/* Starts a clock: synthetic from `start_us` when `synthetic`, else real. */
void prod_clock_init(struct prod_clock *c, int synthetic, int64_t start_us);

/* Hands out the next event time in `*us`, strictly later than the previous
 * one (a repeated microsecond is bumped by 1, so keys built from it are
 * unique within a run). The synthetic clock draws its step from `rng`.
 * Returns 0, or -1 when the time would leave the supported range. */
int prod_clock_next(struct prod_clock *c, struct prod_rng *rng, int64_t *us);

#endif
