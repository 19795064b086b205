/*
 * One store event (protocol reference §9): drawn from the seeded PRNG,
 * serialised byte for byte like the seed's Python `json.dumps(event)` and
 * named with the seed's object key.
 *
 * JSON keys, in order: request_id, cust_id, category, store_id (absent for
 * a bad message), evnt_time, evnt_type, price, discount, sku, item_variant,
 * gift_wrap, qty, priority_shipping, contact_me, is_return (only when true),
 * bad_msg (only when true).
 *
 * The serialisers append to a caller-owned inf_buf and do no allocation
 * beyond growing it, so a buffer reused across events stops allocating.
 */
#ifndef PROD_EVENT_H
#define PROD_EVENT_H

#include <stdint.h>

#include "buf.h"
#include "evtime.h"
#include "rng.h"

/* Upper bound of one serialised event (the real maximum is ~430 bytes). */
#define PROD_EVENT_MAX 1024
/* Upper bound of one object key. */
#define PROD_KEY_MAX 128

struct prod_event {
	unsigned char uuid[16];  /* uuid4: version and variant bits set */
	struct prod_tm tm;       /* evnt_time, UTC */
	uint32_t cust_id;        /* 100..999 */
	uint32_t store_id;       /* 1..10 */
	uint32_t sku;            /* 18981..189281 */
	uint32_t qty;            /* 1..38 */
	uint32_t price_cents;    /* price * 100, 0..9999 */
	uint32_t discount_tenths;/* discount * 10, 0..199 */
	uint8_t category;        /* index into the 16 categories */
	uint8_t sales;           /* 1: sales_event, 0: inventory_event */
	uint8_t variant;         /* 0: black, 1: red */
	uint8_t gift_wrap;
	uint8_t priority_shipping;
	uint8_t is_return;
	uint8_t bad_msg;         /* randint(1, 100) < 20 */
};

/* Draws every field of `ev` from `rng`; the event time is `time_us`. */
void prod_event_make(struct prod_event *ev, struct prod_rng *rng, int64_t time_us);

/* Appends the event as one JSON object (no newline) to `out`.
 * Returns 0, or -1 when `out` cannot grow. */
int prod_event_json(struct inf_buf *out, const struct prod_event *ev);

/* Appends the object key
 * "store_events/{evnt_type}/dt={YYYY_MM_DD}/{epoch_s}{usec:06}.json"
 * to `out`, followed by a NUL that `out->len` does not count, so a key
 * written to an empty buffer is also a C string at out->data.
 * Returns 0, or -1 when `out` cannot grow. */
int prod_event_key(struct inf_buf *out, const struct prod_event *ev);

/* The price as the double Python's round(x, 2) would hold. */
static inline double prod_event_price(const struct prod_event *ev)
{
	return ev->price_cents / 100.0;
}

#endif
