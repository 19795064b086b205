/*
 * inf_inserts: the members a plugin step has inserted and not yet
 * committed, found by (object token, quoted key) in O(1), so that
 * set_json given a key the step inserted already makes it one member,
 * never two. Entries name edits by index; slots carry a generation, so
 * forgetting every entry (a new record, a commit) costs nothing.
 */
#ifndef INF_INSERTS_H
#define INF_INSERTS_H

#include <stddef.h>
#include <stdint.h>

struct inf_insert_slot {
	uint64_t hash; /* of (object, quoted key) */
	size_t edit;   /* index in the record's edits */
	uint32_t gen;  /* the slot is live when it equals the table's */
};

struct inf_inserts {
	struct inf_insert_slot *slot;
	size_t cap; /* 0 or a power of two, at least twice n */
	size_t n;
	uint32_t gen;
};

/* Forgets every entry, keeping the memory. */
void inf_inserts_forget(struct inf_inserts *s);
void inf_inserts_free(struct inf_inserts *s);

/* The hash inf_inserts_find and inf_inserts_add take for the member of
 * object `obj` whose text starts with the `q` bytes at `kq` (its quoted
 * key and ':'; quoting is exact, so one key quotes to one text). */
static inline uint64_t inf_inserts_hash(int obj, const char *kq, size_t q)
{
	uint64_t h = 0xcbf29ce484222325u ^ (uint64_t)(unsigned)obj;

	for (size_t b = 0; b < q; b++)
		h = (h ^ (unsigned char)kq[b]) * 0x100000001b3u;
	return h ^ (h >> 29);
}

/* Makes room for one more entry. Returns 0 or INF_ERR_NOMEM. */
int inf_inserts_reserve(struct inf_inserts *s);

/* Calls same(edit, ctx) for each live entry of `hash` until it returns
 * nonzero; returns that entry's edit index, or (size_t)-1. */
size_t inf_inserts_find(const struct inf_inserts *s, uint64_t hash,
			int (*same)(size_t edit, void *ctx), void *ctx);

/* Records that edit `edit` inserts the member of `hash`. The caller has
 * reserved room (inf_inserts_reserve) and found no entry for it. */
void inf_inserts_add(struct inf_inserts *s, uint64_t hash, size_t edit);

/* The edits were moved down by `k` (the first k applied and removed):
 * every entry's index is k less. Each entry's edit index is at least k. */
void inf_inserts_shift(struct inf_inserts *s, size_t k);

#endif
