#include "parallel.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arraycut.h"
#include "inflight/plugin.h"
#include "json.h"

#define BATCH (256u * 1024u)
/* A job whose buffers grew past this held a record larger than a batch:
 * they are freed once it is written, so that no slot keeps that much. */
#define HOARD (4u * BATCH)

enum { J_FREE = 0, J_READY, J_BUSY, J_DONE };

struct job {
	struct inf_buf in, out;
	uint64_t offset;
	enum inf_batch_start start;
	uint32_t *ends; /* arrays: its element ends, from the cut */
	size_t nends, ends_cap;
	struct inf_batch_counts counts; /* what the batch held, once run */
	int final;
	int state;
	struct inf_error err;
};

struct thread_arg {
	struct inf_par *p;
	unsigned idx;
};

struct inf_par {
	unsigned n, q;
	void **workers;
	inf_batch_fn run;
	inf_sink_fn sink;
	void *sink_ctx;
	size_t max_record;
	struct inf_error *err;
	struct inf_array_cut *cut; /* arrays; NULL: ndjson */
	int kept_any;              /* arrays: an element was written */

	pthread_t *th;
	struct thread_arg *args;
	unsigned started;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	int stop;

	struct job *jobs;
	unsigned fill;     /* the job being filled by the main thread */
	unsigned collect;  /* the oldest job submitted */
	unsigned take;     /* the next job a worker takes */
	unsigned inflight; /* submitted, not yet collected */
	int failed;
	uint64_t offset;     /* where jobs[fill] starts */
	size_t no_nl;        /* ndjson: jobs[fill].in holds no '\n' before it */
	uint64_t line, recno; /* where jobs[collect] starts */
	struct inf_stats stats; /* of the batches collected */
	struct inf_skip skip;   /* the first record they skipped */
};

static void run_job(struct inf_par *p, unsigned idx, struct job *j)
{
	/* line and record numbers are counted from the batch's start here;
	 * collect_one runs a failed batch again with the real ones */
	struct inf_batch_at at = { j->offset, 1, 0, j->start, j->ends, j->nends };

	memset(&j->err, 0, sizeof j->err);
	inf_buf_reset(&j->out);
	p->run(p->workers[idx], j->in.data, j->in.len, &at, j->final, &j->out,
	       &j->err, &j->counts);
}

/* An alternate signal stack for a worker that has none (a sanitizer
 * gives its own): a handler installed with SA_ONSTACK (the runtime's,
 * runtime/crash.c) then runs even when a plugin's recursion has
 * exhausted the thread's stack. */
#define ALT_STACK (64u * 1024u)

static void *worker_main(void *arg)
{
	struct thread_arg *a = arg;
	struct inf_par *p = a->p;
	stack_t old, ss = { .ss_sp = NULL, .ss_size = ALT_STACK };

	if (!sigaltstack(NULL, &old) && (old.ss_flags & SS_DISABLE) &&
	    (ss.ss_sp = malloc(ALT_STACK)) && sigaltstack(&ss, NULL)) {
		free(ss.ss_sp);
		ss.ss_sp = NULL;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct job *j;
		while (!p->stop && p->jobs[p->take].state != J_READY)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		j = &p->jobs[p->take];
		p->take = (p->take + 1) % p->q;
		j->state = J_BUSY;
		pthread_mutex_unlock(&p->mu);

		run_job(p, a->idx, j);
		pthread_mutex_lock(&p->mu);
		j->state = J_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (ss.ss_sp) {
		ss.ss_flags = SS_DISABLE;
		sigaltstack(&ss, NULL);
		free(ss.ss_sp);
	}
	return NULL;
}

struct inf_par *inf_par_new(enum inf_format fmt, unsigned n, void **workers,
			    inf_batch_fn run, inf_sink_fn sink, void *sink_ctx,
			    size_t max_record, uint64_t offset, struct inf_error *err)
{
	struct inf_par *p = calloc(1, sizeof *p);
	int mu = 0, work = 0; /* initialised */

	if (!p)
		return NULL;
	if (fmt == INF_FMT_ARRAY && !(p->cut = inf_array_cut_new(max_record))) {
		free(p);
		return NULL;
	}
	p->n = n;
	p->q = 2 * n + 1;
	p->workers = workers;
	p->run = run;
	p->sink = sink;
	p->sink_ctx = sink_ctx;
	p->max_record = max_record;
	p->err = err;
	p->line = 1;
	p->offset = offset;
	p->jobs = calloc(p->q, sizeof *p->jobs);
	p->th = calloc(n, sizeof *p->th);
	p->args = calloc(n, sizeof *p->args);
	if (!p->jobs || !p->th || !p->args || !(mu = !pthread_mutex_init(&p->mu, NULL)) ||
	    !(work = !pthread_cond_init(&p->work, NULL)) || pthread_cond_init(&p->done, NULL)) {
		if (work)
			pthread_cond_destroy(&p->work);
		if (mu)
			pthread_mutex_destroy(&p->mu);
		inf_array_cut_free(p->cut);
		free(p->jobs);
		free(p->th);
		free(p->args);
		free(p);
		return NULL;
	}
	/* the last worker is the main thread's, see help(). A thread that
	 * cannot start (a limit on threads) leaves its jobs to the others
	 * and the main thread, which takes any job waiting in collect_one():
	 * slower, the same output. */
	for (unsigned i = 0; i + 1 < n; i++) {
		p->args[i].p = p;
		p->args[i].idx = i;
		if (pthread_create(&p->th[i], NULL, worker_main, &p->args[i]))
			break;
		p->started++;
	}
	return p;
}

void inf_par_free(struct inf_par *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->th[i], NULL);
	for (unsigned i = 0; i < p->q; i++) {
		inf_buf_free(&p->jobs[i].in);
		inf_buf_free(&p->jobs[i].out);
		free(p->jobs[i].ends);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	inf_array_cut_free(p->cut);
	free(p->jobs);
	free(p->th);
	free(p->args);
	free(p);
}

/* A job's state, read under the lock (workers change it). */
static int state_of(struct inf_par *p, const struct job *j)
{
	int st;

	pthread_mutex_lock(&p->mu);
	st = j->state;
	pthread_mutex_unlock(&p->mu);
	return st;
}

static int fail(struct inf_par *p, const struct inf_error *e)
{
	p->failed = 1;
	return inf_error_set(p->err, e->kind, "%s", e->msg);
}

/* Runs the oldest job no thread has taken on the main thread's worker,
 * if more than `spare` are waiting: the main thread works instead of
 * waiting, and leaves the threads `spare` jobs. Called and returns with
 * the lock held; returns 1 if it ran a job. */
static int help(struct inf_par *p, unsigned spare)
{
	unsigned ready = 0;
	struct job *j;

	for (unsigned k = p->take; p->jobs[k].state == J_READY && ready <= spare;
	     k = (k + 1) % p->q)
		ready++;
	if (ready <= spare)
		return 0;
	j = &p->jobs[p->take];
	p->take = (p->take + 1) % p->q;
	j->state = J_BUSY;
	pthread_mutex_unlock(&p->mu);
	run_job(p, p->n - 1, j);
	pthread_mutex_lock(&p->mu);
	j->state = J_DONE;
	return 1;
}

static void add_stats(struct inf_stats *sum, const struct inf_stats *s)
{
	sum->records_in += s->records_in;
	sum->records_out += s->records_out;
	sum->records_dropped += s->records_dropped;
	sum->records_failed += s->records_failed;
}

void inf_par_stats(const struct inf_par *p, struct inf_stats *sum)
{
	add_stats(sum, &p->stats);
}

const struct inf_skip *inf_par_first_skip(const struct inf_par *p)
{
	return &p->skip;
}

/* Writes a job's output; an array batch that starts after an element
 * leaves out the separator before its first kept element when no element
 * before it was kept. */
static int write_out(struct inf_par *p, const struct job *j)
{
	const struct inf_batch_result *h = &j->counts.held;
	size_t from = h->drop_from, to = h->drop_to;

	if (p->kept_any || to == 0)
		from = to = j->out.len;
	if (from && p->sink(p->sink_ctx, j->out.data, from, p->err))
		return -1;
	if (j->out.len > to &&
	    p->sink(p->sink_ctx, j->out.data + to, j->out.len - to, p->err))
		return -1;
	return 0;
}

/* Keeps a batch's first skip when none came before it; `recno` and
 * `line` are where the batch's numbering started. */
static void keep_skip(struct inf_par *p, const struct inf_skip *s, uint64_t recno, uint64_t line)
{
	if (p->skip.recno || !s->recno)
		return;
	p->skip = *s;
	p->skip.recno += recno;
	p->skip.line += line - 1;
}

/* Waits for the oldest job (running jobs meanwhile), writes its output,
 * frees its slot. */
static int collect_one(struct inf_par *p)
{
	struct job *j = &p->jobs[p->collect];
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (j->state != J_DONE)
		if (!help(p, 0))
			pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (p->failed) {
		rc = -1; /* an earlier batch failed: this one is only freed */
	} else if (j->err.kind != INF_FAIL_NONE) {
		/* the same batch again, on this thread's worker, from the line
		 * and record it really starts at, so that the message names
		 * them as a sequential run would */
		struct inf_error again = { 0 };
		struct inf_batch_counts c = { 0 };
		struct inf_batch_at at = { j->offset, p->line, p->recno, j->start,
					   j->ends, j->nends };
		inf_buf_reset(&j->out);
		p->run(p->workers[p->n - 1], j->in.data, j->in.len, &at, j->final,
		       &j->out, &again, &c);
		add_stats(&p->stats, &c.stats);
		keep_skip(p, &c.skip, 0, 1); /* numbered in the object already */
		rc = fail(p, again.kind != INF_FAIL_NONE ? &again : &j->err);
	} else {
		/* its records were read and transformed, whether or not the
		 * sink takes their output (bytes_out counts it either way),
		 * as a sequential run counts those of a flush that fails */
		add_stats(&p->stats, &j->counts.stats);
		if (write_out(p, j)) {
			p->failed = 1;
			rc = -1;
		} else {
			keep_skip(p, &j->counts.skip, p->recno, p->line);
			p->line += j->counts.held.lines;
			p->recno += j->counts.held.records;
			p->kept_any |= j->counts.held.kept;
		}
	}
	if (j->out.cap > HOARD)
		inf_buf_free(&j->out);
	else
		inf_buf_reset(&j->out);
	if (j->in.cap > HOARD)
		inf_buf_free(&j->in);
	else
		inf_buf_reset(&j->in);
	j->nends = 0;
	pthread_mutex_lock(&p->mu);
	j->state = J_FREE;
	pthread_mutex_unlock(&p->mu);
	p->collect = (p->collect + 1) % p->q;
	p->inflight--;
	return rc;
}

/* Hands jobs[fill][0, run) to the workers; [cut, ...) starts the next
 * job (cut <= run: arrays read the bytes between in both), which starts
 * as `start` says. */
static int submit(struct inf_par *p, size_t cut, size_t run, int final,
		  enum inf_batch_start start)
{
	struct job *j = &p->jobs[p->fill];
	unsigned next = (p->fill + 1) % p->q;

	/* a record larger than a batch runs alone, on this thread, once the
	 * jobs before it are written: memory stays that of a one-thread run,
	 * not a ring of such batches and a copy in every thread's buffers */
	int alone = run > HOARD;

	while (state_of(p, &p->jobs[next]) != J_FREE || (alone && p->inflight))
		if (collect_one(p))
			return -1;
	inf_buf_reset(&p->jobs[next].in);
	if (j->in.len > cut && /* data is NULL while empty: NULL + 0 is UB */
	    inf_buf_append(&p->jobs[next].in, j->in.data + cut, j->in.len - cut)) {
		struct inf_error e = { INF_FAIL_NOMEM, "out of memory" };
		return fail(p, &e);
	}
	p->jobs[next].start = start;
	p->no_nl = 0;
	j->in.len = run;
	j->offset = p->offset;
	j->final = final;
	p->offset += cut;
	pthread_mutex_lock(&p->mu);
	p->inflight++;
	if (alone) {
		/* every job before it is collected, so taken: take == fill */
		j->state = J_BUSY;
		p->take = next;
		pthread_mutex_unlock(&p->mu);
		run_job(p, p->n - 1, j);
		pthread_mutex_lock(&p->mu);
		j->state = J_DONE;
	} else {
		j->state = J_READY;
		pthread_cond_signal(&p->work);
		/* help while the threads have two jobs in hand besides */
		while (help(p, 2))
			;
	}
	pthread_mutex_unlock(&p->mu);
	p->fill = next;
	/* write what is already done, in order, without waiting */
	while (p->inflight && state_of(p, &p->jobs[p->collect]) == J_DONE)
		if (collect_one(p))
			return -1;
	return 0;
}

/* Gives job j the element ends the cut found in it, so that its worker
 * need not scan for them; without memory it scans. */
static void take_ends(struct inf_par *p, struct job *j)
{
	size_t n;
	const uint32_t *ends = inf_array_cut_ends(p->cut, &n);

	j->nends = 0;
	if (n && inf_array_grow(&j->ends, &j->ends_cap, n, sizeof *j->ends) == 0) {
		memcpy(j->ends, ends, n * sizeof *ends);
		j->nends = n;
	}
}

/* Arrays: submits up to the last element end once a batch is held. Where
 * the framer would fail, the batch cut there fails with its message, in
 * its turn. */
static int filled_array(struct inf_par *p)
{
	struct job *j = &p->jobs[p->fill];
	struct inf_cut c;
	int rc = inf_array_cut_scan(p->cut, j->in.data, j->in.len, &c);

	if (rc < 0) {
		struct inf_error e = { INF_FAIL_INPUT,
				       "array cut where the framer found no error" };
		take_ends(p, j);
		if (submit(p, c.run, c.run, 0, c.next))
			return -1;
		while (p->inflight)
			if (collect_one(p))
				return -1;
		return fail(p, &e);
	}
	if (rc == 0 || j->in.len < BATCH)
		return 0;
	take_ends(p, j);
	if (submit(p, c.at, c.run, 0, c.next))
		return -1;
	inf_array_cut_moved(p->cut, c.at);
	return 0;
}

/* Submits what is complete once the job being filled holds a batch. */
static int filled(struct inf_par *p)
{
	struct job *j = &p->jobs[p->fill];
	const char *last;

	if (p->cut)
		return filled_array(p);
	if (j->in.len < BATCH)
		return 0;
	/* only what came since the last look: a line longer than a batch
	 * would otherwise be scanned again for every piece read into it */
	last = memrchr(j->in.data + p->no_nl, '\n', j->in.len - p->no_nl);
	if (!last) {
		p->no_nl = j->in.len;
		if (j->in.len > p->max_record + 1) {
			struct inf_error e = { INF_FAIL_TOO_LARGE, "" };
			/* the batches before this one say which line it is, and
			 * an error in one of them comes first */
			while (p->inflight)
				if (collect_one(p))
					return -1;
			snprintf(e.msg, sizeof e.msg,
				 "record larger than max_record_bytes (%zu) at line %llu, byte %llu",
				 p->max_record, (unsigned long long)p->line, (unsigned long long)p->offset);
			return fail(p, &e);
		}
		return 0;
	}
	return submit(p, (size_t)(last - j->in.data) + 1,
		      (size_t)(last - j->in.data) + 1, 0, INF_BATCH_OBJECT_START);
}

/* Appends up to one batch worth of bytes and submits what is complete. */
static int feed(struct inf_par *p, const char *data, size_t len)
{
	if (inf_buf_append(&p->jobs[p->fill].in, data, len)) {
		struct inf_error e = { INF_FAIL_NOMEM, "out of memory" };
		return fail(p, &e);
	}
	return filled(p);
}

char *inf_par_space(struct inf_par *p, size_t *room)
{
	struct inf_buf *in = &p->jobs[p->fill].in;
	size_t want = in->len < BATCH - BATCH / 4 ? BATCH - in->len : BATCH / 4;

	/* room for the phase's move too; only `want` is lent, so that a batch
	 * fills to BATCH and no further (the memory past it is not touched) */
	if (p->failed || inf_buf_reserve(in, want + INF_BUF_PHASE))
		return NULL;
	inf_buf_phase(in, p->offset); /* reads land in phase with the file */
	*room = want;
	return in->data + in->len;
}

int inf_par_commit(struct inf_par *p, size_t n)
{
	if (p->failed)
		return -1;
	p->jobs[p->fill].in.len += n;
	return filled(p);
}

int inf_par_write(struct inf_par *p, const char *data, size_t len)
{
	if (p->failed)
		return -1;
	/* in batch-sized pieces, so a large write does not make large jobs */
	while (len > 0) {
		size_t n = len < BATCH ? len : BATCH;
		if (feed(p, data, n))
			return -1;
		data += n;
		len -= n;
	}
	return 0;
}

int inf_par_finish(struct inf_par *p)
{
	size_t len = p->jobs[p->fill].in.len;

	if (p->failed)
		return -1;
	/* an array always gets its last batch: its end is checked there */
	if (p->cut)
		take_ends(p, &p->jobs[p->fill]);
	if ((len || p->cut) && submit(p, len, len, 1, INF_BATCH_OBJECT_START))
		return -1;
	while (p->inflight)
		if (collect_one(p))
			return -1;
	return 0;
}
