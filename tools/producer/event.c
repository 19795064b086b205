/*
 * Store events: generation and serialisation; see event.h.
 *
 * The serialisers are the producer's hot path (the --ndjson benchmarks
 * write up to 1 GB), so they reserve room for a whole event once and then
 * write literals and digits through a plain pointer: no snprintf, no
 * per-field bounds checks (PROD_EVENT_MAX and PROD_KEY_MAX cover the
 * longest possible output), no allocation once the buffer has grown.
 *
 * Numbers print like Python's repr: prices are integer cents and discounts
 * integer tenths, so the shortest round-trip form of cents / 100.0 is just
 * the decimal digits with trailing zeros dropped, keeping one ("3.0").
 */
#include "event.h"

#include <string.h>

static const char *const categories[16] = {
	"Books", "Games", "Mobiles", "Groceries", "Shoes", "Stationaries",
	"Laptops", "Tablets", "Notebooks", "Camera", "Printers", "Monitors",
	"Speakers", "Projectors", "Cables", "Furniture",
};
static const unsigned char category_len[16] = {
	5, 5, 7, 9, 5, 12, 7, 7, 9, 6, 8, 8, 8, 10, 6, 9,
};

static const char hex[] = "0123456789abcdef";

/* Copies a string literal; `lit` must be an array, not a pointer. */
#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Writes `v` zero-padded to exactly `width` digits (v < 10^width). */
static char *put_pad(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Writes units / 10^decimals like Python's repr of the rounded float. */
static char *put_fixed(char *p, unsigned units, int decimals)
{
	unsigned scale = decimals == 2 ? 100 : 10;
	unsigned frac = units % scale;

	p = put_u64(p, units / scale);
	*p++ = '.';
	if (decimals == 2 && frac % 10 != 0)
		return put_pad(p, frac, 2);
	*p++ = (char)('0' + (decimals == 2 ? frac / 10 : frac));
	return p;
}

static char *put_uuid(char *p, const unsigned char *u)
{
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	return p;
}

static char *put_bool(char *p, int v)
{
	if (v)
		PUT(p, "true");
	else
		PUT(p, "false");
	return p;
}

void prod_event_make(struct prod_event *ev, struct prod_rng *rng, int64_t time_us)
{
	prod_rng_bytes(rng, ev->uuid, sizeof ev->uuid);
	ev->uuid[6] = (unsigned char)((ev->uuid[6] & 0x0f) | 0x40);
	ev->uuid[8] = (unsigned char)((ev->uuid[8] & 0x3f) | 0x80);
	prod_time_split(time_us, &ev->tm);
	ev->cust_id = (uint32_t)prod_rng_range(rng, 100, 999);
	ev->category = (uint8_t)prod_rng_range(rng, 0, 15);
	ev->store_id = (uint32_t)prod_rng_range(rng, 1, 10);
	ev->sales = (uint8_t)prod_rng_range(rng, 0, 1);
	ev->price_cents = (uint32_t)prod_rng_range(rng, 0, 9999);
	ev->discount_tenths = (uint32_t)prod_rng_range(rng, 0, 199);
	ev->sku = (uint32_t)prod_rng_range(rng, 18981, 189281);
	ev->variant = (uint8_t)prod_rng_range(rng, 0, 1);
	ev->gift_wrap = (uint8_t)prod_rng_range(rng, 0, 1);
	ev->qty = (uint32_t)prod_rng_range(rng, 1, 38);
	ev->priority_shipping = (uint8_t)prod_rng_range(rng, 0, 1);
	ev->is_return = (uint8_t)prod_rng_range(rng, 0, 1);
	ev->bad_msg = prod_rng_range(rng, 1, 100) < 20;
}

static char *put_isotime(char *p, const struct prod_tm *tm)
{
	p = put_pad(p, (unsigned)tm->year, 4);
	*p++ = '-';
	p = put_pad(p, (unsigned)tm->mon, 2);
	*p++ = '-';
	p = put_pad(p, (unsigned)tm->day, 2);
	*p++ = 'T';
	p = put_pad(p, (unsigned)tm->hour, 2);
	*p++ = ':';
	p = put_pad(p, (unsigned)tm->min, 2);
	*p++ = ':';
	p = put_pad(p, (unsigned)tm->sec, 2);
	if (tm->usec) {
		*p++ = '.';
		p = put_pad(p, (unsigned)tm->usec, 6);
	}
	return p;
}

int prod_event_json(struct inf_buf *out, const struct prod_event *ev)
{
	char *p;

	if (inf_buf_reserve(out, PROD_EVENT_MAX))
		return -1;
	p = out->data + out->len;
	PUT(p, "{\"request_id\": \"");
	p = put_uuid(p, ev->uuid);
	PUT(p, "\", \"cust_id\": ");
	p = put_u64(p, ev->cust_id);
	PUT(p, ", \"category\": \"");
	memcpy(p, categories[ev->category], category_len[ev->category]);
	p += category_len[ev->category];
	if (!ev->bad_msg) {
		PUT(p, "\", \"store_id\": ");
		p = put_u64(p, ev->store_id);
		PUT(p, ", \"evnt_time\": \"");
	} else {
		PUT(p, "\", \"evnt_time\": \"");
	}
	p = put_isotime(p, &ev->tm);
	if (ev->sales)
		PUT(p, "\", \"evnt_type\": \"sales_event\", \"price\": ");
	else
		PUT(p, "\", \"evnt_type\": \"inventory_event\", \"price\": ");
	p = put_fixed(p, ev->price_cents, 2);
	PUT(p, ", \"discount\": ");
	p = put_fixed(p, ev->discount_tenths, 1);
	PUT(p, ", \"sku\": ");
	p = put_u64(p, ev->sku);
	if (ev->variant)
		PUT(p, ", \"item_variant\": \"red\", \"gift_wrap\": ");
	else
		PUT(p, ", \"item_variant\": \"black\", \"gift_wrap\": ");
	p = put_bool(p, ev->gift_wrap);
	PUT(p, ", \"qty\": ");
	p = put_u64(p, ev->qty);
	PUT(p, ", \"priority_shipping\": ");
	p = put_bool(p, ev->priority_shipping);
	PUT(p, ", \"contact_me\": \"github.com/miztiik\"");
	if (ev->is_return)
		PUT(p, ", \"is_return\": true");
	if (ev->bad_msg)
		PUT(p, ", \"bad_msg\": true");
	*p++ = '}';
	out->len = (size_t)(p - out->data);
	return 0;
}

int prod_event_key(struct inf_buf *out, const struct prod_event *ev)
{
	char *p;

	if (inf_buf_reserve(out, PROD_KEY_MAX))
		return -1;
	p = out->data + out->len;
	if (ev->sales)
		PUT(p, "store_events/sales_event/dt=");
	else
		PUT(p, "store_events/inventory_event/dt=");
	p = put_pad(p, (unsigned)ev->tm.year, 4);
	*p++ = '_';
	p = put_pad(p, (unsigned)ev->tm.mon, 2);
	*p++ = '_';
	p = put_pad(p, (unsigned)ev->tm.day, 2);
	*p++ = '/';
	p = put_u64(p, (uint64_t)ev->tm.epoch_sec);
	p = put_pad(p, (unsigned)ev->tm.usec, 6);
	PUT(p, ".json");
	*p = '\0';
	out->len = (size_t)(p - out->data);
	return 0;
}
