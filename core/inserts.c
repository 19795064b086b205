#include "inserts.h"

#include <stdlib.h>
#include <string.h>

#include "inflight/plugin.h"

#define MIN_CAP 16u

void inf_inserts_forget(struct inf_inserts *s)
{
	s->n = 0;
	if (++s->gen == 0) { /* wrapped: stale slots would come alive */
		if (s->slot)
			memset(s->slot, 0, s->cap * sizeof *s->slot);
		s->gen = 1;
	}
}

void inf_inserts_free(struct inf_inserts *s)
{
	free(s->slot);
	memset(s, 0, sizeof *s);
}

static void place(struct inf_insert_slot *slot, size_t cap, uint32_t gen,
		  uint64_t hash, size_t edit)
{
	size_t i = (size_t)hash & (cap - 1);

	while (slot[i].gen == gen)
		i = (i + 1) & (cap - 1);
	slot[i].hash = hash;
	slot[i].edit = edit;
	slot[i].gen = gen;
}

int inf_inserts_reserve(struct inf_inserts *s)
{
	struct inf_insert_slot *slot;
	size_t cap;

	if (s->gen == 0)
		s->gen = 1; /* a zeroed table: no slot is live */
	if ((s->n + 1) * 2 <= s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : MIN_CAP;
	if (cap < s->cap || !(slot = calloc(cap, sizeof *slot)))
		return INF_ERR_NOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i].gen == s->gen)
			place(slot, cap, 1, s->slot[i].hash, s->slot[i].edit);
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	s->gen = 1;
	return 0;
}

size_t inf_inserts_find(const struct inf_inserts *s, uint64_t hash,
			int (*same)(size_t edit, void *ctx), void *ctx)
{
	if (s->n == 0)
		return (size_t)-1;
	for (size_t i = (size_t)hash & (s->cap - 1); s->slot[i].gen == s->gen;
	     i = (i + 1) & (s->cap - 1))
		if (s->slot[i].hash == hash && same(s->slot[i].edit, ctx))
			return s->slot[i].edit;
	return (size_t)-1;
}

void inf_inserts_add(struct inf_inserts *s, uint64_t hash, size_t edit)
{
	place(s->slot, s->cap, s->gen, hash, edit);
	s->n++;
}

void inf_inserts_shift(struct inf_inserts *s, size_t k)
{
	for (size_t i = 0; i < s->cap && s->n; i++)
		if (s->slot[i].gen == s->gen)
			s->slot[i].edit -= k;
}
