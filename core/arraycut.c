/*
 * Cutting a JSON array into batches for the workers (arraycut.h): the
 * array framer's states and checks, run ahead of it without running any
 * element, noting where elements end so that a batch's framer need not
 * scan for them again.
 */
#include "arraycut.h"

#include <stdint.h>
#include <stdlib.h>

#include "escan.h"
#include "json.h"
#include "sniff.h"

struct inf_array_cut {
	size_t max_record;
	enum inf_astate as;
	struct inf_escan es;
	size_t scan, span_start, elem_start; /* as the framer's */
	struct inf_cut last; /* the last place found; last.at 0: none */
	uint32_t *ends;      /* element ends found, for inf_batch_at */
	size_t nends, ends_cap;
	int ends_lost;       /* one could not be noted: none are given */
};

/* Element ends noted per batch at most: a 256 KiB batch of elements of
 * 8 bytes or more, 128 KiB of them. Smaller elements are scanned for. */
#define CUT_MAX_ENDS 32768u

struct inf_array_cut *inf_array_cut_new(size_t max_record)
{
	struct inf_array_cut *c = calloc(1, sizeof *c);

	if (c)
		c->max_record = max_record;
	return c;
}

void inf_array_cut_free(struct inf_array_cut *c)
{
	if (c)
		free(c->ends);
	free(c);
}

/* Notes an element's end; without memory the batch scans for them all. */
static void note_end(struct inf_array_cut *c, size_t at)
{
	if (c->ends_lost || c->nends == CUT_MAX_ENDS || at > UINT32_MAX ||
	    inf_array_grow(&c->ends, &c->ends_cap, c->nends + 1, sizeof *c->ends)) {
		c->ends_lost = 1;
		return;
	}
	c->ends[c->nends++] = (uint32_t)at;
}

const uint32_t *inf_array_cut_ends(const struct inf_array_cut *c, size_t *n)
{
	*n = c->ends_lost ? 0 : c->nends;
	return c->ends;
}

/* The framer fails at or before d[bad - 1]: a batch of bad bytes says why. */
static int cut_bad(struct inf_array_cut *c, size_t bad, struct inf_cut *out)
{
	out->at = out->run = bad;
	out->next = INF_BATCH_AFTER_ARRAY; /* never used: nothing follows */
	c->scan = bad;
	return -1;
}

/* array_step's states and checks, without running anything. */
int inf_array_cut_scan(struct inf_array_cut *c, const char *d, size_t len,
		       struct inf_cut *out)
{
	size_t i = c->scan;

	while (i < len) {
		char ch = d[i];
		switch (c->as) {
		case INF_AS_OPEN:
			if (inf_json_ws(ch))
				break;
			if (ch != '[' && len - i < INF_SNIFF_BYTES)
				goto held; /* the framer names a compressed
					    * object from them (sniff.h) */
			if (ch != '[')
				return cut_bad(c, i + INF_SNIFF_BYTES, out);
			c->span_start = i + 1;
			c->as = INF_AS_FIRST;
			break;
		case INF_AS_FIRST:
		case INF_AS_GAP:
			if (inf_json_ws(ch)) {
				if (i + 1 - c->span_start > c->max_record)
					return cut_bad(c, i + 1, out);
				break;
			}
			if (ch == ',' || (ch == ']' && c->as == INF_AS_GAP))
				return cut_bad(c, i + 1, out);
			if (ch == ']') {
				c->as = INF_AS_AFTER;
				break;
			}
			c->elem_start = i;
			c->es = (struct inf_escan){ 0, 0, 0 };
			c->as = INF_AS_ELEM;
			continue;
		case INF_AS_ELEM: {
			size_t at = inf_escan_run(&c->es, d, i, len), end = at;

			if (at - c->span_start > c->max_record)
				return cut_bad(c, at, out);
			if (at == len) {
				i = len;
				continue;
			}
			if (d[at] == '}')
				return cut_bad(c, at + 1, out);
			note_end(c, at);
			i = at;
			if (d[at] == ']') {
				c->as = INF_AS_AFTER;
				break;
			}
			while (end > c->elem_start && inf_json_ws(d[end - 1]))
				end--;
			c->last = (struct inf_cut){ end, at + 1, INF_BATCH_AFTER_ELEMENT };
			c->span_start = at + 1;
			c->as = INF_AS_GAP;
			break;
		}
		case INF_AS_AFTER:
			if (!inf_json_ws(ch))
				return cut_bad(c, i + 1, out);
			break;
		case INF_AS_SEP:
			break; /* batches only */
		}
		i++;
	}
held: /* all scanned, or a bad first byte waits for the bytes after it */
	c->scan = i;
	if (c->as == INF_AS_AFTER) /* anywhere after ']' will do */
		c->last = (struct inf_cut){ i, i, INF_BATCH_AFTER_ARRAY };
	else if (c->as == INF_AS_OPEN && i) /* or in the whitespace before '[' */
		c->last = (struct inf_cut){ i, i, INF_BATCH_OBJECT_START };
	*out = c->last;
	return c->last.at != 0;
}

void inf_array_cut_moved(struct inf_array_cut *c, size_t n)
{
	c->scan -= n;
	c->span_start = c->span_start > n ? c->span_start - n : 0;
	c->elem_start = c->elem_start > n ? c->elem_start - n : 0;
	c->last = (struct inf_cut){ 0, 0, 0 };
	c->nends = 0; /* every end found was in the batch that left */
	c->ends_lost = 0;
}
