#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"

struct inf_transform {
	const struct inf_access_point *ap;
	struct inf_record rec;
	struct inf_stats stats;
	struct inf_framer *framer;
	inf_sink_fn sink;
	void *sink_ctx;
};

static int count_sink(void *ctx, const char *data, size_t len,
		      struct inf_error *err)
{
	struct inf_transform *t = ctx;
	t->stats.bytes_out += len;
	return t->sink(t->sink_ctx, data, len, err);
}

struct inf_transform *inf_transform_new(const struct inf_access_point *ap,
					const struct inf_request *req,
					inf_sink_fn sink, void *sink_ctx,
					struct inf_error *err)
{
	struct inf_transform *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->ap = ap;
	t->sink = sink;
	t->sink_ctx = sink_ctx;
	inf_record_init(&t->rec, ap->max_depth);
	t->rec.toks.max_key = ap->max_key;
	t->rec.req = req;
	t->framer = inf_framer_new(ap->format, ap->max_record, inf_chain_record,
				   t, count_sink, t, err);
	if (!t->framer) {
		inf_transform_free(t);
		return NULL;
	}
	return t;
}

void inf_transform_free(struct inf_transform *t)
{
	if (!t)
		return;
	inf_framer_free(t->framer);
	inf_record_free(&t->rec);
	free(t);
}

int inf_transform_write(struct inf_transform *t, const char *data, size_t len)
{
	t->stats.bytes_in += len;
	return inf_framer_write(t->framer, data, len);
}

int inf_transform_finish(struct inf_transform *t)
{
	return inf_framer_finish(t->framer);
}

const struct inf_stats *inf_transform_stats(const struct inf_transform *t)
{
	return &t->stats;
}

enum inf_format inf_transform_format(const struct inf_transform *t)
{
	return inf_framer_format(t->framer);
}

static int record_failed(struct inf_transform *t, enum inf_fail kind,
			 const struct inf_rec_pos *pos, struct inf_error *err,
			 const char *what)
{
	if (t->ap->on_error == INF_ON_ERROR_DROP_RECORD) {
		t->stats.records_failed++;
		return 0;
	}
	return inf_error_set(err, kind, "record %llu (line %llu): %s",
			     (unsigned long long)pos->recno,
			     (unsigned long long)pos->line, what);
}

int inf_chain_record(void *ctx, const char *js, size_t len,
		     const struct inf_rec_pos *pos, struct inf_buf *out,
		     struct inf_error *err)
{
	struct inf_transform *t = ctx;
	struct inf_record *r = &t->rec;
	struct inf_json_err je;
	char msg[INF_ERR_MAX + 400];
	int rc;

	t->stats.records_in++;
	rc = inf_record_load(r, js, len, &je);
	if (rc == INF_ERR_NOMEM)
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	if (rc) {
		snprintf(msg, sizeof msg, "%s: %s (byte %zu of the record)",
			 rc == INF_ERR_LIMIT ? "over a limit" : "invalid JSON",
			 je.msg, je.offset);
		return record_failed(t, rc == INF_ERR_LIMIT ? INF_FAIL_TOO_LARGE
							    : INF_FAIL_INPUT,
				     pos, err, msg);
	}
	for (size_t i = 0; i < t->ap->nsteps; i++) {
		const struct inf_step *st = &t->ap->steps[i];
		enum inf_verdict v = INF_KEEP;
		char perr[INF_ERR_MAX] = "";

		if (i > 0 && (rc = inf_record_commit(r, &je))) {
			snprintf(msg, sizeof msg, "step %zu (%s) left invalid JSON: %s",
				 i, t->ap->steps[i - 1].plugin->name, je.msg);
			return record_failed(t, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (st->when && (rc = inf_cond_match(r, st->when)) <= 0) {
			if (rc < 0)
				return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
			continue; /* `when` does not hold: the step is skipped */
		}
		rc = st->plugin->process(st->instance, r, &v, perr);
		if (rc < 0) {
			perr[INF_ERR_MAX - 1] = '\0';
			snprintf(msg, sizeof msg, "step %zu (%s) failed: %s", i + 1,
				 st->plugin->name, perr[0] ? perr : "error");
			return record_failed(t, INF_FAIL_TRANSFORM, pos, err, msg);
		}
		if (v == INF_DROP) {
			t->stats.records_dropped++;
			return 0;
		}
	}
	if ((rc = inf_record_emit(r, out)))
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	t->stats.records_out++;
	return 1;
}
