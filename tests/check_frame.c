/*
 * Record framing (core/frame.c): NDJSON, arrays, documents and detection
 * split an object into the right records and write the output in the
 * input's framing. Every input is fed whole, byte by byte and in seeded
 * random chunks, and the three outputs must be the same. The test record
 * function drops records holding "drop", writes then drops those holding
 * "late", fails on "fail", replaces records holding "swap" with
 * {"n":RECNO}, and keeps the rest as they are. Each is also run with a
 * lines fast path (test_lines) that takes what the record function
 * would keep as it is, a few lines at a time: everything must come out
 * the same, errors and positions included.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "json.h"
#include "testutil.h"

#define S(lit) lit, sizeof(lit) - 1

/* What one run saw. */
struct run {
	struct inf_buf out;  /* what the sink got */
	struct inf_buf recs; /* "recno:line:offset:text\n" per record */
	struct inf_error err;
	int rc;           /* of the last write or finish called */
	int failed_write; /* a write (not finish) failed */
	size_t written;   /* input bytes accepted before a failure */
	uint64_t records;
	enum inf_format fmt;
	int sink_calls;
	int sink_fail; /* make the sink fail */
	int hook;      /* run with test_lines */
	size_t max;
	uint64_t hooked; /* records test_lines took */
	uint64_t hooked_blank; /* and lines of whitespace */
	size_t read;     /* bytes test_lines read */
};

static int test_record(void *ctx, const char *rec, size_t len, const struct inf_rec_pos *pos,
                       struct inf_buf *out, struct inf_error *err)
{
	struct run *r = ctx;

	if (inf_buf_printf(&r->recs, "%llu:%llu:%llu:%.*s\n", (unsigned long long)pos->recno,
	                   (unsigned long long)inf_rec_line(pos), (unsigned long long)pos->offset, (int)len,
	                   rec))
		return inf_error_set(err, INF_FAIL_NOMEM, "out of memory");
	if (memmem(rec, len, "fail", 4))
		return inf_error_set(err, INF_FAIL_TRANSFORM, "record %llu failed",
		                     (unsigned long long)pos->recno);
	if (memmem(rec, len, "drop", 4))
		return 0;
	if (memmem(rec, len, "late", 4)) /* drops it after writing it */
		return inf_buf_append(out, rec, len) ? -1 : 0;
	if (memmem(rec, len, "swap", 4))
		return inf_buf_printf(out, "{\"n\":%llu}", (unsigned long long)pos->recno) ? -1 : 1;
	return inf_buf_append(out, rec, len) ? -1 : 1;
}

static int test_sink(void *ctx, const char *data, size_t len, struct inf_error *err)
{
	struct run *r = ctx;

	r->sink_calls++;
	if (r->sink_fail)
		return inf_error_set(err, INF_FAIL_OUTPUT, "sink refused");
	return inf_buf_append(&r->out, data, len) ? -1 : 0;
}

/* Whether test_lines takes the line [l, l + n) (its '\n' included): 2
 * when it is whitespace within max_record (the framer copies it); 1 when
 * test_record would keep it unchanged (within max_record, no word it
 * acts on) and it does not say "slow"; else 0. */
static int lines_takes(const struct run *r, const char *l, size_t n)
{
	static const char *const words[] = { "fail", "drop", "late", "swap", "slow" };
	size_t rl = n - 1 - (n > 1 && l[n - 2] == '\r');

	if (rl > r->max)
		return 0;
	if (inf_json_is_ws(l, rl))
		return 2;
	for (size_t w = 0; w < 5; w++)
		if (memmem(l, rl, words[w], 4))
			return 0;
	return 1;
}

/* The lines fast path: takes up to two whole lines lines_takes takes, as
 * the framer would write them; when it stops at a line, it says it read
 * that line and the next (when whole), which the framer must then run
 * itself. r->read counts what it read: each byte at most once. */
static size_t test_lines(void *ctx, const char *data, size_t len, struct inf_buf *out,
			 uint64_t *records, uint64_t *lines, size_t *ahead)
{
	struct run *r = ctx;
	size_t took = 0;

	*records = *lines = 0;
	*ahead = 0;
	while (*lines < 2) {
		const char *nl = memchr(data + took, '\n', len - took);
		size_t n;
		int how;

		if (!nl)
			break;
		n = (size_t)(nl - (data + took)) + 1;
		if (!(how = lines_takes(r, data + took, n))) {
			const char *nl2 = memchr(nl + 1, '\n', (size_t)(data + len - (nl + 1)));

			*ahead = nl2 ? (size_t)(nl2 - data) + 1 : took + n;
			break;
		}
		ck_assert_int_eq(inf_buf_append(out, data + took, n), 0);
		took += n;
		++*lines;
		*records += how == 1;
		r->hooked += how == 1;
		r->hooked_blank += how == 2;
	}
	if (*ahead < took)
		*ahead = took;
	r->read += *ahead;
	return took;
}

/* LENT: random chunks read into the space the framer lends */
enum feed { WHOLE, BYTES, RANDOM, LENT };

/* Runs `in` through a framer fed as `how` says, with test_lines when
 * `hook`; fills *r. */
static void run_frame(struct run *r, enum inf_format fmt, size_t max, const char *in, size_t len,
                      enum feed how, uint64_t seed, int hook)
{
	struct inf_framer *f;
	size_t at = 0;

	memset(r, 0, sizeof *r);
	r->hook = hook;
	r->max = max;
	f = inf_framer_new(fmt, max, test_record, r, test_sink, r, &r->err);
	ck_assert_ptr_nonnull(f);
	if (hook)
		inf_framer_set_lines(f, test_lines, r);
	for (size_t writes = 0; at < len; writes++) {
		size_t n = len - at;

		ck_assert_uint_lt(writes, 4 * len + 64);
		if (how == BYTES)
			n = 1;
		else if (how == RANDOM || how == LENT) {
			uint64_t x = tu_rand(&seed);
			size_t c = x % 8 == 0 ? (size_t)(x >> 8) % 300 : (size_t)(x >> 8) % 9;
			n = c < n ? c : n; /* may be 0: empty writes are allowed */
		}
		if (how == LENT) {
			size_t room = 0;
			char *p = inf_framer_space(f, n, &room);
			ck_assert_ptr_nonnull(p);
			ck_assert_uint_ge(room, n > 0 ? n : 1);
			/* in phase with the object: the kernel's copy is fastest */
			ck_assert_uint_eq((uintptr_t)p % INF_BUF_PHASE, at % INF_BUF_PHASE);
			if (n)
				memcpy(p, in + at, n);
			r->rc = inf_framer_commit(f, n);
		} else {
			r->rc = inf_framer_write(f, in + at, n);
		}
		if (r->rc) {
			r->failed_write = 1;
			break;
		}
		at += n;
	}
	r->written = at;
	if (r->rc == 0)
		r->rc = inf_framer_finish(f);
	r->records = inf_framer_records(f);
	r->fmt = inf_framer_format(f);
	if (r->rc != 0) {
		/* after an error every call fails again */
		size_t room;
		ck_assert_int_eq(inf_framer_write(f, "{}\n", 3), -1);
		ck_assert_ptr_null(inf_framer_space(f, 3, &room));
		ck_assert_int_eq(inf_framer_commit(f, 0), -1);
		ck_assert_int_eq(inf_framer_finish(f), -1);
	}
	inf_framer_free(f);
}

static void run_free(struct run *r)
{
	inf_buf_free(&r->out);
	inf_buf_free(&r->recs);
}

/* Feeds `in` whole, byte by byte and in random chunks (several seeds),
 * written or read into the space the framer lends:
 * the runs must agree on everything. The whole run is left in *whole for
 * the caller to check. */
static void run_all_ways(struct run *whole, enum inf_format fmt, size_t max, const char *in,
                         size_t len)
{
	run_frame(whole, fmt, max, in, len, WHOLE, 0, 0);
	tu_cstr(&whole->out);
	tu_cstr(&whole->recs);
	for (int k = 0; k < 11; k++) {
		struct run other;
		enum feed how = k == 0 || k == 8 ? BYTES : k < 6 || k == 9 ? RANDOM
			      : k == 10 ? WHOLE : LENT;
		run_frame(&other, fmt, max, in, len, how, 0x1234567ULL * (uint64_t)(k + 1), k >= 8);
		if (other.hook) { /* the records it saw are some of the others', in order */
			const char *at = whole->recs.data;

			for (const char *l = tu_cstr(&other.recs), *e; *l; l = e + 1) {
				e = strchr(l, '\n');
				at = at ? memmem(at, strlen(at), l, (size_t)(e + 1 - l)) : NULL;
				ck_assert_msg(at && (at == whole->recs.data || at[-1] == '\n'),
					      "feed %d: record %.*s is not one of %s", k,
					      (int)(e - l), l, whole->recs.data);
				at += e + 1 - l;
			}
			ck_assert_uint_le(other.read, len); /* nothing read twice */
			if (whole->rc == 0 && whole->fmt == INF_FMT_NDJSON) {
				size_t nl = 0;

				for (const char *c = other.recs.data; *c; c++)
					nl += *c == '\n';
				ck_assert_uint_eq(nl + other.hooked, whole->records);
			}
		}
		ck_assert_msg(other.rc == whole->rc, "feed %d: rc %d, whole %d (%s / %s)", k,
		              other.rc, whole->rc, other.err.msg, whole->err.msg);
		ck_assert_int_eq(other.err.kind, whole->err.kind);
		ck_assert_str_eq(other.err.msg, whole->err.msg);
		if (whole->rc == 0) {
			ck_assert_str_eq(tu_cstr(&other.out), whole->out.data);
			if (!other.hook)
				ck_assert_str_eq(tu_cstr(&other.recs), whole->recs.data);
			ck_assert_uint_eq(other.records, whole->records);
			ck_assert_int_eq(other.fmt, whole->fmt);
		}
		run_free(&other);
	}
}

/* Runs all ways; the output must be `want` and the records `recs`. */
static void expect_ok(enum inf_format fmt, size_t max, const char *in, size_t len, const char *want,
                      const char *recs)
{
	struct run r;

	run_all_ways(&r, fmt, max, in, len);
	ck_assert_msg(r.rc == 0, "input %.*s: %s", (int)len, in, r.err.msg);
	ck_assert_int_eq(r.err.kind, INF_FAIL_NONE);
	ck_assert_str_eq(r.out.data, want);
	if (recs)
		ck_assert_str_eq(r.recs.data, recs);
	run_free(&r);
}

/* Runs all ways; each must fail with `kind` and a message holding `msg`. */
static void expect_fail(enum inf_format fmt, size_t max, const char *in, size_t len,
                        enum inf_fail kind, const char *msg)
{
	struct run r;

	run_all_ways(&r, fmt, max, in, len);
	ck_assert_msg(r.rc == -1, "input %.*s accepted", (int)len, in);
	ck_assert_msg(r.err.kind == kind, "input %.*s: kind %s (%s)", (int)len, in,
	              inf_fail_name(r.err.kind), r.err.msg);
	ck_assert_msg(strstr(r.err.msg, msg) != NULL, "input %.*s: \"%s\" lacks \"%s\"", (int)len,
	              in, r.err.msg, msg);
	run_free(&r);
}

/* Output must parse as one JSON value. */
static void assert_json(const char *s)
{
	struct inf_tokens t = {0};
	struct inf_json_err e;

	ck_assert_msg(inf_json_parse(&t, s, strlen(s), 64, &e) == 0, "%s: %s", s, e.msg);
	inf_tokens_free(&t);
}

#define BIG (1u << 20)

/* ---- names ---- */

START_TEST(test_format_names)
{
	ck_assert_int_eq(inf_format_parse("auto"), INF_FMT_AUTO);
	ck_assert_int_eq(inf_format_parse("ndjson"), INF_FMT_NDJSON);
	ck_assert_int_eq(inf_format_parse("array"), INF_FMT_ARRAY);
	ck_assert_int_eq(inf_format_parse("document"), INF_FMT_DOCUMENT);
	ck_assert_int_eq(inf_format_parse("json"), -1);
	ck_assert_int_eq(inf_format_parse(""), -1);
	ck_assert_str_eq(inf_format_name(INF_FMT_ARRAY), "array");
	ck_assert_str_eq(inf_format_name(INF_FMT_AUTO), "auto");
	ck_assert_str_eq(inf_format_name((enum inf_format)9), "?");
}
END_TEST

/* ---- NDJSON ---- */

START_TEST(test_ndjson_lf)
{
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"a\":1}\n{\"drop\":1}\n{\"b\":2}\n"),
	          "{\"a\":1}\n{\"b\":2}\n",
	          "1:1:0:{\"a\":1}\n2:2:8:{\"drop\":1}\n3:3:19:{\"b\":2}\n");
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"swap\":1}\n{\"a\":2}\n"), "{\"n\":1}\n{\"a\":2}\n",
	          NULL);
}
END_TEST

START_TEST(test_ndjson_crlf)
{
	/* terminators are copied as they are; the record excludes them */
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"a\":1}\r\n{\"drop\":1}\r\n{\"b\":2}\r\n"),
	          "{\"a\":1}\r\n{\"b\":2}\r\n",
	          "1:1:0:{\"a\":1}\n2:2:9:{\"drop\":1}\n3:3:21:{\"b\":2}\n");
	/* mixed */
	expect_ok(INF_FMT_NDJSON, BIG, S("1\r\n2\n3\r\n4"), "1\r\n2\n3\r\n4",
	          "1:1:0:1\n2:2:3:2\n3:3:5:3\n4:4:8:4\n");
	/* a CR inside a line is the record's */
	expect_ok(INF_FMT_NDJSON, BIG, S("1\r2\n"), "1\r2\n", "1:1:0:1\r2\n");
	/* a last line with no LF has no line ending: its CR is the record's
	 * whitespace and is copied with it */
	expect_ok(INF_FMT_NDJSON, BIG, S("1\r\n{\"a\":2}\r"), "1\r\n{\"a\":2}\r",
	          "1:1:0:1\n2:2:3:{\"a\":2}\r\n");
}
END_TEST

START_TEST(test_ndjson_blank_lines)
{
	expect_ok(INF_FMT_NDJSON, BIG, S("\n{\"a\":1}\n  \n\t\r\n{\"b\":2}\n\n"),
	          "\n{\"a\":1}\n  \n\t\r\n{\"b\":2}\n\n", "1:2:1:{\"a\":1}\n2:5:15:{\"b\":2}\n");
	expect_ok(INF_FMT_NDJSON, BIG, S("\r\n\r\n"), "\r\n\r\n", "");
	expect_ok(INF_FMT_NDJSON, BIG, S("  "), "  ", "");
	expect_ok(INF_FMT_NDJSON, BIG, S(""), "", "");
	/* whitespace around a record goes to the record function */
	expect_ok(INF_FMT_NDJSON, BIG, S("  {\"a\":1} \n"), "  {\"a\":1} \n",
	          "1:1:0:  {\"a\":1} \n");
}
END_TEST

START_TEST(test_ndjson_last_line)
{
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"a\":1}\n{\"b\":2}"), "{\"a\":1}\n{\"b\":2}",
	          "1:1:0:{\"a\":1}\n2:2:8:{\"b\":2}\n");
	/* a dropped last line takes nothing with it but itself */
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"a\":1}\n{\"drop\":2}"), "{\"a\":1}\n", NULL);
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"drop\":1}\n{\"b\":2}"), "{\"b\":2}", NULL);
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"drop\":1}\r\n"), "", NULL);
	/* trailing whitespace without a newline is copied */
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"a\":1}\n  "), "{\"a\":1}\n  ", NULL);
}
END_TEST

START_TEST(test_ndjson_positions)
{
	struct run r;

	run_all_ways(&r, INF_FMT_NDJSON, BIG,
	             S("\xEF\xBB\xBF"
	               "1\n\n\n22\r\n\r\n333\n \n4444"));
	ck_assert_int_eq(r.rc, 0);
	/* offsets count the BOM; lines count blank ones */
	ck_assert_str_eq(r.recs.data, "1:1:3:1\n2:4:7:22\n3:6:13:333\n4:8:19:4444\n");
	ck_assert_uint_eq(r.records, 4);
	run_free(&r);
}
END_TEST

START_TEST(test_ndjson_max_record)
{
	/* exactly max_record bytes is fine, one more is not */
	expect_ok(INF_FMT_NDJSON, 10, S("{\"abc\":12}\n{\"a\":1}\n"), "{\"abc\":12}\n{\"a\":1}\n",
	          NULL);
	expect_ok(INF_FMT_NDJSON, 10, S("{\"abc\":12}"), "{\"abc\":12}", NULL);
	expect_ok(INF_FMT_NDJSON, 10, S("{\"abc\":12}\r\n"), "{\"abc\":12}\r\n", NULL);
	expect_fail(INF_FMT_NDJSON, 10, S("{\"a\":1}\n{\"abcd\":12}\n"), INF_FAIL_TOO_LARGE,
	            "max_record_bytes");
	expect_fail(INF_FMT_NDJSON, 10, S("{\"a\":1}\n{\"abcd\":12}\n"), INF_FAIL_TOO_LARGE,
	            "line 2, byte 8");
	expect_fail(INF_FMT_NDJSON, 10, S("{\"a\":1}\n{\"abcd\":12}"), INF_FAIL_TOO_LARGE,
	            "max_record_bytes");
	expect_fail(INF_FMT_NDJSON, 10, S("{\"abcd\":12}\r\n"), INF_FAIL_TOO_LARGE,
	            "max_record_bytes");
}
END_TEST

/* A line longer than max_record fails as soon as it is, without waiting
 * for its end: memory stays bounded. */
START_TEST(test_ndjson_long_line_fails_early)
{
	enum inf_format fmts[] = {INF_FMT_NDJSON, INF_FMT_AUTO, INF_FMT_DOCUMENT};
	char chunk[1024];

	memset(chunk, 'x', sizeof chunk);
	for (unsigned i = 0; i < 3; i++) {
		struct run r;
		struct inf_framer *f;
		int k, rc = 0;

		memset(&r, 0, sizeof r);
		f = inf_framer_new(fmts[i], 4096, test_record, &r, test_sink, &r, &r.err);
		rc = inf_framer_write(f, "{\"a\":\"", 6);
		for (k = 0; k < 1000 && rc == 0; k++)
			rc = inf_framer_write(f, chunk, sizeof chunk);
		ck_assert_int_eq(rc, -1);
		ck_assert_int_le(k, 5);
		ck_assert_int_eq(r.err.kind, INF_FAIL_TOO_LARGE);
		inf_framer_free(f);
		run_free(&r);
	}
}
END_TEST

START_TEST(test_ndjson_large_stream)
{
	struct inf_buf in = {0}, want = {0};
	struct run r;

	for (int i = 0; i < 20000; i++) {
		int drop = i % 3 == 0;
		ck_assert_int_eq(inf_buf_printf(&in, "{\"i\":%d,\"pad\":\"%s\"}%s", i,
		                                drop ? "drop" : "keep-keep-keep",
		                                i % 2 ? "\r\n" : "\n"),
		                 0);
		if (!drop)
			ck_assert_int_eq(inf_buf_printf(&want,
			                                "{\"i\":%d,\"pad\":\"keep-keep-keep\"}%s",
			                                i, i % 2 ? "\r\n" : "\n"),
			                 0);
	}
	run_frame(&r, INF_FMT_NDJSON, BIG, in.data, in.len, WHOLE, 0, 0);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.records, 20000);
	ck_assert_uint_eq(r.out.len, want.len);
	ck_assert_int_eq(memcmp(r.out.data, want.data, want.len), 0);
	ck_assert_int_gt(r.sink_calls, 1); /* flushed on the way */
	run_free(&r);
	run_frame(&r, INF_FMT_AUTO, BIG, in.data, in.len, RANDOM, 42, 1);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.fmt, INF_FMT_NDJSON);
	ck_assert_uint_eq(r.records, 20000);
	ck_assert_uint_gt(r.hooked, 5000); /* the fast path took many */
	ck_assert_uint_eq(r.out.len, want.len);
	ck_assert_int_eq(memcmp(r.out.data, want.data, want.len), 0);
	run_free(&r);
	inf_buf_free(&in);
	inf_buf_free(&want);
}
END_TEST

/* ---- arrays ---- */

START_TEST(test_array_basic)
{
	expect_ok(INF_FMT_ARRAY, BIG, S("[]"), "[]", "");
	expect_ok(INF_FMT_ARRAY, BIG, S("[ ]"), "[ ]", "");
	expect_ok(INF_FMT_ARRAY, BIG, S(" \n[\n]\n "), " \n[\n]\n ", "");
	expect_ok(INF_FMT_ARRAY, BIG, S("[1]"), "[1]", "1:1:1:1\n");
	expect_ok(INF_FMT_ARRAY, BIG, S("[ 1 ]"), "[ 1 ]", "1:1:2:1\n");
	expect_ok(INF_FMT_ARRAY, BIG, S("[1,2,3]"), "[1,2,3]", "1:1:1:1\n2:1:3:2\n3:1:5:3\n");
	expect_ok(INF_FMT_ARRAY, BIG, S("[{\"swap\":1},2]"), "[{\"n\":1},2]", NULL);
}
END_TEST

START_TEST(test_array_drops)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"[\"drop\",2,3]", "[2,3]"},
	    {"[1,\"drop\",3]", "[1,3]"},
	    {"[1,2,\"drop\"]", "[1,2]"},
	    {"[\"drop\",\"drop\",3]", "[3]"},
	    {"[\"drop\",2,\"drop\"]", "[2]"},
	    {"[1,\"drop\",\"drop\"]", "[1]"},
	    {"[\"drop\",\"drop\",\"drop\"]", "[]"},
	    {"[\"drop\"]", "[]"},
	    {"[ \"drop\" , 2 , 3 ]", "[ 2 , 3 ]"},
	    {"[ 1 , \"drop\" , 3 ]", "[ 1 , 3 ]"},
	    {"[ 1 , 2 , \"drop\" ]", "[ 1 , 2 ]"},
	    {"[ \"drop\" , \"drop\" ]", "[ ]"},
	    {"[\n  1,\n  \"drop\",\n  3\n]\n", "[\n  1,\n  3\n]\n"},
	    {"[\n  \"drop\",\n  2,\n  3\n]", "[\n  2,\n  3\n]"},
	    {"[\n  1,\n  2,\n  \"drop\"\n]", "[\n  1,\n  2\n]"},
	    {"[\n  \"drop\",\n  \"drop\"\n]", "[\n]"},
	    {"[\r\n\t{\"a\":1},\r\n\t{\"drop\":2}\r\n]\r\n", "[\r\n\t{\"a\":1}\r\n]\r\n"},
	};

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expect_ok(INF_FMT_ARRAY, BIG, cases[i].in, strlen(cases[i].in), cases[i].out, NULL);
		assert_json(cases[i].out);
	}
}
END_TEST

/* Every subset of elements dropped, compact and pretty: compact output is
 * exact, every output parses and keeps what it should. */
START_TEST(test_array_every_subset)
{
	static const char *const elems[] = {"{\"a\":[1,2]}", "\"s,]\"", "[[],{}]", "-1.5", "null"};
	static const char *const seps[][3] = {
	    {"[", ",", "]"}, {"[\n  ", ",\n  ", "\n]\n"}, {" [ ", " , ", " ] "}};

	for (unsigned l = 0; l < 3; l++) {
		for (unsigned n = 1; n <= 5; n++) {
			for (unsigned mask = 0; mask < (1u << n); mask++) {
				char in[512] = "", want[512] = "", kept[512] = "";
				size_t il = 0, kl = 0;
				struct run r;
				il += (size_t)snprintf(in + il, sizeof in - il, "%s", seps[l][0]);
				for (unsigned i = 0; i < n; i++) {
					int drop = mask & (1u << i);
					il += (size_t)snprintf(in + il, sizeof in - il, "%s%s%s%s",
					                       i ? seps[l][1] : "",
					                       drop ? "[\"drop\"," : "", elems[i],
					                       drop ? "]" : "");
					if (!drop)
						kl += (size_t)snprintf(kept + kl, sizeof kept - kl,
						                       "%s%s", kl ? "," : "",
						                       elems[i]);
				}
				snprintf(in + il, sizeof in - il, "%s", seps[l][2]);
				run_all_ways(&r, INF_FMT_ARRAY, BIG, in, strlen(in));
				ck_assert_msg(r.rc == 0, "%s: %s", in, r.err.msg);
				ck_assert_uint_eq(r.records, n);
				assert_json(r.out.data);
				if (l == 0) {
					snprintf(want, sizeof want, "[%s]", kept);
					ck_assert_str_eq(r.out.data, want);
				} else {
					/* without whitespace, the compact result */
					char a[512];
					size_t ai = 0;
					for (const char *q = r.out.data; *q; q++)
						if (!strchr(" \n", *q))
							a[ai++] = *q;
					a[ai] = '\0';
					snprintf(want, sizeof want, "[%s]", kept);
					ck_assert_str_eq(a, want);
				}
				run_free(&r);
			}
		}
	}
}
END_TEST

START_TEST(test_array_tricky_elements)
{
	/* brackets, commas, quotes and braces inside strings */
	expect_ok(INF_FMT_ARRAY, BIG, S("[\"a]b\",\"c,d\",\"e\\\"]f\",\"{g\",\"h\\\\\",\"}\"]"),
	          "[\"a]b\",\"c,d\",\"e\\\"]f\",\"{g\",\"h\\\\\",\"}\"]",
	          "1:1:1:\"a]b\"\n2:1:7:\"c,d\"\n3:1:13:\"e\\\"]f\"\n4:1:21:\"{g\"\n"
	          "5:1:26:\"h\\\\\"\n6:1:32:\"}\"\n");
	expect_ok(INF_FMT_ARRAY, BIG, S("[\"x\\\\\",\"drop\\\"]\",\"y\"]"), "[\"x\\\\\",\"y\"]",
	          NULL);
	/* nested arrays and objects as elements */
	expect_ok(INF_FMT_ARRAY, BIG, S("[[1,[2]],{\"a\":[3,{\"b\":\"]\"}]},[],{}]"),
	          "[[1,[2]],{\"a\":[3,{\"b\":\"]\"}]},[],{}]",
	          "1:1:1:[1,[2]]\n2:1:9:{\"a\":[3,{\"b\":\"]\"}]}\n3:1:29:[]\n4:1:32:{}\n");
	expect_ok(INF_FMT_ARRAY, BIG, S("[[\"drop\"],{\"k\":[\"drop\"]},3]"), "[3]", NULL);
}
END_TEST

/* A random JSON string full of escapes (backslash runs of either parity
 * before quotes) and of the bytes that end or nest an element outside
 * strings; long ones cross the scanner's 64-byte blocks. */
static void gen_string(struct inf_buf *b, uint64_t *seed)
{
	/* the first eight hold no backslash: half the strings take only
	 * those, so whole blocks of string bytes go the fast way */
	static const char *const parts[] = {"a", "xyz", "]", "[", "{", "}", ",", " ", "\\\"",
	                                    "\\\\", "\\\\\\\"", "b\\\\\\\\", "\\n", "\\u005d"};
	uint64_t x = tu_rand(seed);
	unsigned n = (unsigned)(x >> 8) % (x & 512 ? 80 : 8);
	unsigned kinds = x & 1024 ? 8 : sizeof parts / sizeof *parts;

	ck_assert_int_eq(inf_buf_putc(b, '"'), 0);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(inf_buf_printf(b, "%s", parts[tu_rand(seed) % kinds]), 0);
	ck_assert_int_eq(inf_buf_putc(b, '"'), 0);
}

/* A random JSON value, nested up to four deep. */
static void gen_value(struct inf_buf *b, uint64_t *seed, int depth)
{
	static const char *const ws[] = {"", "", " ", "\n  "};
	uint64_t x = tu_rand(seed);
	unsigned n;
	int obj;

	switch (depth < 4 ? x % 6 : x % 3) {
	case 0:
		ck_assert_int_eq(inf_buf_printf(b, "%d", (int)((x >> 8) % 100000) - 500), 0);
		return;
	case 1:
		ck_assert_int_eq(inf_buf_printf(b, "%s", x & 256 ? "true" : "null"), 0);
		return;
	case 2:
		gen_string(b, seed);
		return;
	}
	n = (unsigned)(x >> 8) % 5;
	obj = x % 6 != 3;
	ck_assert_int_eq(inf_buf_putc(b, obj ? '{' : '['), 0);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(inf_buf_printf(b, "%s%s", i ? "," : "", ws[tu_rand(seed) % 4]), 0);
		if (obj) {
			gen_string(b, seed);
			ck_assert_int_eq(inf_buf_putc(b, ':'), 0);
		}
		gen_value(b, seed, depth + 1);
	}
	ck_assert_int_eq(inf_buf_putc(b, obj ? '}' : ']'), 0);
}

/* Arrays of random elements, run whole (64 bytes at a time where a block
 * holds no backslash) and a byte at a time (byte by byte): the same
 * elements, output and errors; also cut short, with a stray '}' after an
 * element and under a max_record_bytes that some elements exceed. */
START_TEST(test_array_random_elements)
{
	uint64_t seed = 0x5eed0f7a11ULL;
	/* memcheck sees the same paths in fewer arrays (CI's valgrind stage) */
	const int rounds = tu_valgrind() ? 40 : 150;

	for (int round = 0; round < rounds; round++) {
		struct inf_buf in = {0};
		size_t n = 1 + tu_rand(&seed) % 12, stray = 0;
		struct run r;

		ck_assert_int_eq(inf_buf_putc(&in, '['), 0);
		for (size_t i = 0; i < n; i++) {
			if (i)
				ck_assert_int_eq(inf_buf_printf(&in, ",%s", tu_rand(&seed) % 2 ? "\n" : ""), 0);
			gen_value(&in, &seed, 0);
			if (i == n / 2)
				stray = in.len;
		}
		ck_assert_int_eq(inf_buf_putc(&in, ']'), 0);
		tu_cstr(&in);

		run_all_ways(&r, INF_FMT_ARRAY, BIG, in.data, in.len);
		ck_assert_msg(r.rc == 0, "%s: %s", in.data, r.err.msg);
		ck_assert_uint_eq(r.records, n);
		ck_assert_str_eq(r.out.data, in.data);
		run_free(&r);

		run_all_ways(&r, INF_FMT_ARRAY, BIG, in.data, 1 + tu_rand(&seed) % (in.len - 1));
		ck_assert_int_eq(r.rc, -1);
		run_free(&r);

		run_all_ways(&r, INF_FMT_ARRAY, 16 + tu_rand(&seed) % 300, in.data, in.len);
		run_free(&r);

		ck_assert_int_eq(inf_buf_putc(&in, ' '), 0);
		memmove(in.data + stray + 1, in.data + stray, in.len - 1 - stray);
		in.data[stray] = '}';
		run_all_ways(&r, INF_FMT_ARRAY, BIG, in.data, in.len);
		ck_assert_int_eq(r.rc, -1);
		ck_assert_msg(strstr(r.err.msg, "unexpected '}'"), "%s", r.err.msg);
		run_free(&r);
		inf_buf_free(&in);
	}
}
END_TEST

/* A string's escaped quote as the first byte of a 64-byte block, its
 * backslash the last of the block before (which goes byte by byte): the
 * quote stays inside the string. */
START_TEST(test_array_escape_across_blocks)
{
	char in[300];
	size_t n = 0;

	n += (size_t)snprintf(in + n, sizeof in - n, "[\"");
	memset(in + n, 'a', 62);
	n += 62;
	/* the scan starts at the element, byte 1: its first block ends at 64 */
	ck_assert_uint_eq(n, 64);
	n += (size_t)snprintf(in + n, sizeof in - n, "\\\"],[{");
	memset(in + n, 'b', 80);
	n += 80;
	n += (size_t)snprintf(in + n, sizeof in - n, "\",1]");
	expect_ok(INF_FMT_ARRAY, BIG, in, n, in, NULL);
}
END_TEST

START_TEST(test_array_pretty_positions)
{
	expect_ok(INF_FMT_ARRAY, BIG, S("[\n  {\n    \"a\": 1\n  },\n  {\"b\": 2}\n]\n"),
	          "[\n  {\n    \"a\": 1\n  },\n  {\"b\": 2}\n]\n",
	          "1:2:4:{\n    \"a\": 1\n  }\n2:5:24:{\"b\": 2}\n");
}
END_TEST

START_TEST(test_array_errors)
{
	expect_fail(INF_FMT_ARRAY, BIG, S("[1,2,]"), INF_FAIL_INPUT, "trailing comma");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1,2, \n]"), INF_FAIL_INPUT, "trailing comma");
	expect_fail(INF_FMT_ARRAY, BIG, S("[,1]"), INF_FAIL_INPUT, "empty array element");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1,,2]"), INF_FAIL_INPUT, "empty array element");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1]x"), INF_FAIL_INPUT, "data after the closing ']'");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1] [2]"), INF_FAIL_INPUT, "data after the closing ']'");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1]\n,"), INF_FAIL_INPUT, "line 2, byte 4");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1"), INF_FAIL_INPUT, "truncated");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1,"), INF_FAIL_INPUT, "truncated");
	expect_fail(INF_FMT_ARRAY, BIG, S("["), INF_FAIL_INPUT, "truncated array: missing ']'");
	expect_fail(INF_FMT_ARRAY, BIG, S("[\"a]"), INF_FAIL_INPUT, "truncated");
	expect_fail(INF_FMT_ARRAY, BIG, S("[{\"a\":1}"), INF_FAIL_INPUT, "truncated");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1}"), INF_FAIL_INPUT, "unexpected '}'");
	expect_fail(INF_FMT_ARRAY, BIG, S("{\"a\":1}"), INF_FAIL_INPUT, "expected '['");
	expect_fail(INF_FMT_ARRAY, BIG, S(""), INF_FAIL_INPUT,
	            "empty object: expected a JSON array");
	expect_fail(INF_FMT_ARRAY, BIG, S(" \n "), INF_FAIL_INPUT, "expected a JSON array");
	expect_fail(INF_FMT_ARRAY, BIG, S("[1,\"fail\"]"), INF_FAIL_TRANSFORM, "record 2 failed");
}
END_TEST

START_TEST(test_array_max_record)
{
	expect_ok(INF_FMT_ARRAY, 10, S("[{\"abc\":12},1]"), "[{\"abc\":12},1]", NULL);
	expect_ok(INF_FMT_ARRAY, 10, S("[1,\"abcdefgh\"]"), "[1,\"abcdefgh\"]", NULL);
	expect_fail(INF_FMT_ARRAY, 10, S("[1,{\"abcd\":12}]"), INF_FAIL_TOO_LARGE,
	            "max_record_bytes");
	expect_fail(INF_FMT_ARRAY, 10, S("[1,\"abcdefghi\"]"), INF_FAIL_TOO_LARGE,
	            "max_record_bytes");
}
END_TEST

/* README: an element counts with the whitespace around it, from after
 * the '[' or ',' before it to the ',' or ']' after it, and the whitespace
 * of an empty array alike; whitespace before '[' and after ']' does not
 * count (it is copied as it comes). */
START_TEST(test_array_whitespace_max_record)
{
	expect_ok(INF_FMT_ARRAY, 10, S("            \n  [1]  \n            "),
	          "            \n  [1]  \n            ", NULL);
	expect_ok(INF_FMT_ARRAY, 10, S("[         1]"), "[         1]", NULL);
	expect_ok(INF_FMT_ARRAY, 10, S("[1,        2]"), "[1,        2]", NULL);
	expect_ok(INF_FMT_ARRAY, 10, S("[1,    2    ]"), "[1,    2    ]", NULL);
	expect_ok(INF_FMT_ARRAY, 10, S("[          ]"), "[          ]", NULL);
	expect_fail(INF_FMT_ARRAY, 10, S("[           1]"), INF_FAIL_TOO_LARGE,
	            "whitespace in the array larger than max_record_bytes (10) at line 1, byte 1");
	expect_fail(INF_FMT_ARRAY, 10, S("[1,\n          2]"), INF_FAIL_TOO_LARGE,
	            "whitespace in the array larger than max_record_bytes (10) at line 1, byte 3");
	expect_fail(INF_FMT_ARRAY, 10, S("[           ]"), INF_FAIL_TOO_LARGE,
	            "whitespace in the array larger than max_record_bytes");
	expect_fail(INF_FMT_ARRAY, 10, S("[1,    2      ]"), INF_FAIL_TOO_LARGE,
	            "record larger than max_record_bytes (10) at line 1, byte 7");
}
END_TEST

/* Whitespace is not held without bound: before '[' it is written out as it
 * comes, between elements it fails once over max_record. */
START_TEST(test_array_whitespace_not_held)
{
	struct run r;
	struct inf_framer *f;
	char chunk[1024];
	int k, rc = 0;

	memset(chunk, ' ', sizeof chunk);
	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_ARRAY, 4096, test_record, &r, test_sink, &r, &r.err);
	ck_assert_ptr_nonnull(f);
	for (k = 0; k < 1024 && rc == 0; k++) /* 1 MiB */
		rc = inf_framer_write(f, chunk, sizeof chunk);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(r.sink_calls, 0); /* written before the end */
	ck_assert_int_eq(inf_framer_write(f, S("[1]")), 0);
	ck_assert_int_eq(inf_framer_finish(f), 0);
	ck_assert_uint_eq(r.out.len, 1024 * sizeof chunk + 3);
	inf_framer_free(f);
	run_free(&r);

	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_ARRAY, 4096, test_record, &r, test_sink, &r, &r.err);
	rc = inf_framer_write(f, S("[1,"));
	for (k = 0; k < 1024 && rc == 0; k++)
		rc = inf_framer_write(f, chunk, sizeof chunk);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_le(k, 5);
	ck_assert_int_eq(r.err.kind, INF_FAIL_TOO_LARGE);
	inf_framer_free(f);
	run_free(&r);
}
END_TEST

/* A string element longer than max_record fails without waiting for its
 * end, so memory stays bounded. */
START_TEST(test_array_long_string_fails_early)
{
	struct run r;
	struct inf_framer *f;
	char chunk[1024];
	int k, rc;

	memset(chunk, 'x', sizeof chunk);
	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_ARRAY, 4096, test_record, &r, test_sink, &r, &r.err);
	rc = inf_framer_write(f, "[1,\"", 4);
	for (k = 0; k < 1000 && rc == 0; k++)
		rc = inf_framer_write(f, chunk, sizeof chunk);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_le(k, 5);
	ck_assert_int_eq(r.err.kind, INF_FAIL_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(r.err.msg, "max_record_bytes"));
	inf_framer_free(f);
	run_free(&r);
}
END_TEST

/* ---- documents ---- */

START_TEST(test_document)
{
	static const char doc[] = "\n{\n  \"a\": [1, 2],\n  \"b\": \"x\"\n}\n";
	struct run r;

	run_all_ways(&r, INF_FMT_DOCUMENT, BIG, S(doc));
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out.data, doc);
	ck_assert_uint_eq(r.records, 1);
	ck_assert_str_eq(r.recs.data, "1:1:0:\n{\n  \"a\": [1, 2],\n  \"b\": \"x\"\n}\n\n");
	run_free(&r);
	expect_ok(INF_FMT_DOCUMENT, BIG, S("{\"swap\":1}"), "{\"n\":1}", NULL);
	expect_ok(INF_FMT_DOCUMENT, BIG, S("[1,\n2]"), "[1,\n2]", "1:1:0:[1,\n2]\n");
	expect_ok(INF_FMT_DOCUMENT, BIG, S("{\"drop\":1}"), "", NULL);
	/* exactly max_record */
	expect_ok(INF_FMT_DOCUMENT, 10, S("{\"abc\":12}"), "{\"abc\":12}", NULL);
	expect_fail(INF_FMT_DOCUMENT, 10, S("{\"abcd\":12}"), INF_FAIL_TOO_LARGE,
	            "document larger than max_record_bytes");
	expect_fail(INF_FMT_DOCUMENT, BIG, S(""), INF_FAIL_INPUT,
	            "empty object: expected a JSON document");
	expect_fail(INF_FMT_DOCUMENT, BIG, S(" \r\n\t"), INF_FAIL_INPUT,
	            "expected a JSON document");
	expect_fail(INF_FMT_DOCUMENT, BIG, S("{\"fail\":1}"), INF_FAIL_TRANSFORM,
	            "record 1 failed");
}
END_TEST

/* ---- detection ---- */

START_TEST(test_auto_detect)
{
	struct run r;

	run_all_ways(&r, INF_FMT_AUTO, BIG, S("[1,\"drop\",3]"));
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.fmt, INF_FMT_ARRAY);
	ck_assert_str_eq(r.out.data, "[1,3]");
	run_free(&r);

	run_all_ways(&r, INF_FMT_AUTO, BIG, S("\n  [\n1]"));
	ck_assert_int_eq(r.fmt, INF_FMT_ARRAY);
	ck_assert_str_eq(r.out.data, "\n  [\n1]");
	run_free(&r);

	run_all_ways(&r, INF_FMT_AUTO, BIG, S("{\"a\":1}\n{\"drop\":1}\n{\"b\":2}\n"));
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.fmt, INF_FMT_NDJSON);
	ck_assert_str_eq(r.out.data, "{\"a\":1}\n{\"b\":2}\n");
	ck_assert_uint_eq(r.records, 3);
	run_free(&r);

	/* one complete line without a newline is NDJSON too */
	run_all_ways(&r, INF_FMT_AUTO, BIG, S("{\"a\":1}"));
	ck_assert_int_eq(r.fmt, INF_FMT_NDJSON);
	ck_assert_str_eq(r.out.data, "{\"a\":1}");
	run_free(&r);

	/* leading blank lines are kept and counted */
	run_all_ways(&r, INF_FMT_AUTO, BIG, S("\n\r\n{\"a\":1}\n"));
	ck_assert_int_eq(r.fmt, INF_FMT_NDJSON);
	ck_assert_str_eq(r.out.data, "\n\r\n{\"a\":1}\n");
	ck_assert_str_eq(r.recs.data, "1:3:3:{\"a\":1}\n");
	run_free(&r);
	/* ... and do not count against max_record_bytes, however the first
	 * line arrives (in pieces, before its newline, too) */
	expect_ok(INF_FMT_AUTO, 7, S("\n\r\n{\"a\":1}\n"), "\n\r\n{\"a\":1}\n",
	          "1:3:3:{\"a\":1}\n");

	run_all_ways(&r, INF_FMT_AUTO, BIG, S("{\n \"a\": 1\n}\n"));
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.fmt, INF_FMT_DOCUMENT);
	ck_assert_str_eq(r.out.data, "{\n \"a\": 1\n}\n");
	ck_assert_uint_eq(r.records, 1);
	run_free(&r);

	/* whitespace only: no records, no error */
	run_all_ways(&r, INF_FMT_AUTO, BIG, S(" \n\t\r\n "));
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.records, 0);
	ck_assert_str_eq(r.recs.data, "");
	run_free(&r);
	run_all_ways(&r, INF_FMT_AUTO, BIG, S(""));
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.records, 0);
	ck_assert_str_eq(r.out.data, "");
	run_free(&r);
}
END_TEST

/* Detection looks at each byte of the first line once. Fed a 16 MiB
 * first line 16 bytes at a time, a framer that searched the whole line
 * again on every write would scan about 8.8e12 bytes (minutes); once is
 * 16 MiB. No clock is read: the "document" test case's 60 s timeout is
 * the bound that turns such a rescan into a failure. */
START_TEST(test_auto_long_first_line_in_pieces)
{
	/* under valgrind 2 MiB: the same paths, with no timeout to bound */
	const size_t N = tu_valgrind() ? 2u << 20 : 16u << 20;
	enum { PIECE = 16 };
	struct inf_framer *f;
	struct run r;
	char *doc = malloc(N);

	ck_assert_ptr_nonnull(doc);
	memset(doc, 'x', N);
	memcpy(doc, "{\"a\":\"", 6);
	memcpy(doc + N - 2, "\"}", 2);
	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_AUTO, N, test_record, &r, test_sink, &r, &r.err);
	ck_assert_ptr_nonnull(f);
	for (size_t at = 0; at < N; at += PIECE)
		if (inf_framer_write(f, doc + at, PIECE))
			ck_abort_msg("write at %zu: %s", at, r.err.msg);
	ck_assert_int_eq(inf_framer_finish(f), 0);
	ck_assert_int_eq(inf_framer_format(f), INF_FMT_NDJSON);
	ck_assert_uint_eq(inf_framer_records(f), 1);
	ck_assert_uint_eq(r.out.len, N);
	ck_assert_int_eq(memcmp(r.out.data, doc, N), 0);
	inf_framer_free(f);
	run_free(&r);
	free(doc);
}
END_TEST

/* auto with more leading whitespace than max_record: it behaves as the
 * framing it detects. ndjson copies blank lines (and refuses one longer
 * than max_record), an array copies what comes before '[', and a
 * document that long is too large. */
START_TEST(test_auto_long_leading_whitespace)
{
	static const char nl20[] = "\n\n\n\n\n\n\n\n\n\n\r\n\n\n\n\n\n\n\n\n\n";
	static const char sp20[] = "                    ";
	char in[128];
	int n;

	n = snprintf(in, sizeof in, "%s{\"a\":1}\n", nl20);
	expect_ok(INF_FMT_AUTO, 10, in, (size_t)n, in, NULL);
	n = snprintf(in, sizeof in, "%s%s[1]", nl20, sp20);
	expect_ok(INF_FMT_AUTO, 10, in, (size_t)n, in, NULL);
	n = snprintf(in, sizeof in, "\xEF\xBB\xBF%s%s", nl20, nl20);
	expect_ok(INF_FMT_AUTO, 10, in, (size_t)n, in + 3, NULL);
	n = snprintf(in, sizeof in, "%s{\n}", nl20);
	expect_fail(INF_FMT_AUTO, 10, in, (size_t)n, INF_FAIL_TOO_LARGE,
	            "document larger than max_record_bytes");
	/* a blank line over max_record: as ndjson says it, where it starts */
	n = snprintf(in, sizeof in, "\n%s\n{}\n", sp20);
	expect_fail(INF_FMT_AUTO, 10, in, (size_t)n, INF_FAIL_TOO_LARGE,
	            "record larger than max_record_bytes (10) at line 2, byte 1");
	expect_fail(INF_FMT_NDJSON, 10, in, (size_t)n, INF_FAIL_TOO_LARGE,
	            "record larger than max_record_bytes (10) at line 2, byte 1");
	n = snprintf(in, sizeof in, "\n%s", sp20);
	expect_fail(INF_FMT_AUTO, 10, in, (size_t)n, INF_FAIL_TOO_LARGE,
	            "record larger than max_record_bytes (10) at line 2, byte 1");
	n = snprintf(in, sizeof in, "\n%s\n{\n}", sp20);
	expect_fail(INF_FMT_AUTO, 10, in, (size_t)n, INF_FAIL_TOO_LARGE, "larger than");
	/* ... but an array may follow it */
	n = snprintf(in, sizeof in, "\n%s\n%s[1]", sp20, sp20);
	expect_ok(INF_FMT_AUTO, 10, in, (size_t)n, in, NULL);
}
END_TEST

/* ... and it is written out as it comes, not held until the framing is
 * known: 1 MiB of blank lines reaches the sink before the first record. */
START_TEST(test_auto_leading_whitespace_not_held)
{
	static const char *const tails[] = { "{\"a\":1}\n", "[1]", "{\n}" };
	char chunk[1024];

	for (int t = 0; t < 3; t++)
		for (int line = 0; line < 2; line++) {
			struct run r;
			struct inf_framer *f;
			int rc = 0;

			/* blank lines, or one long line of spaces */
			memset(chunk, line ? ' ' : '\n', sizeof chunk);
			memset(&r, 0, sizeof r);
			f = inf_framer_new(INF_FMT_AUTO, 4096, test_record, &r, test_sink, &r,
			                   &r.err);
			ck_assert_ptr_nonnull(f);
			for (int k = 0; k < 1024 && rc == 0; k++)
				rc = inf_framer_write(f, chunk, sizeof chunk);
			ck_assert_int_eq(rc, 0);
			ck_assert_int_gt(r.sink_calls, 0);
			rc = inf_framer_write(f, tails[t], strlen(tails[t]));
			if (rc == 0)
				rc = inf_framer_finish(f);
			/* ndjson refuses the long line; a document is too large */
			ck_assert_int_eq(rc, t == 1 || (t == 0 && !line) ? 0 : -1);
			if (rc == 0)
				ck_assert_uint_eq(r.out.len, 1024 * sizeof chunk + strlen(tails[t]));
			else
				ck_assert_int_eq(r.err.kind, INF_FAIL_TOO_LARGE);
			inf_framer_free(f);
			run_free(&r);
		}
}
END_TEST

/* Detection looks at each byte of leading whitespace once: 16 MiB of
 * blank lines fed 16 bytes at a time, searched again from the start on
 * every write, would take about 8.8e12 byte steps (hours). No clock is
 * read: the test case's timeout is the bound. */
START_TEST(test_auto_long_blank_prefix_in_pieces)
{
	/* under valgrind 2 MiB: the same paths, with no timeout to bound */
	const size_t N = tu_valgrind() ? 2u << 20 : 16u << 20;
	enum { PIECE = 16 };
	struct inf_framer *f;
	struct inf_sniff sn = { 0, 0 };
	enum inf_format fmt = INF_FMT_AUTO;
	struct run r;
	char *doc = malloc(N);

	ck_assert_ptr_nonnull(doc);
	memset(doc, '\n', N);
	memcpy(doc + N - 4, "[1]\n", 4);
	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_AUTO, N, test_record, &r, test_sink, &r, &r.err);
	ck_assert_ptr_nonnull(f);
	for (size_t at = 0; at < N; at += PIECE)
		if (inf_framer_write(f, doc + at, PIECE))
			ck_abort_msg("write at %zu: %s", at, r.err.msg);
	ck_assert_int_eq(inf_framer_finish(f), 0);
	ck_assert_int_eq(inf_framer_format(f), INF_FMT_ARRAY);
	ck_assert_uint_eq(r.out.len, N);
	inf_framer_free(f);
	/* the sniffer of the parallel path too */
	for (size_t len = PIECE; len < N; len += PIECE)
		if (inf_format_sniff(doc, len, 0, &sn, &fmt) != 0)
			ck_abort_msg("sniff at %zu: not 'need more'", len);
	ck_assert_uint_eq(sn.ws, N - PIECE);
	ck_assert_int_eq(inf_format_sniff(doc, N, 0, &sn, &fmt), 1);
	ck_assert_int_eq(fmt, INF_FMT_ARRAY);
	run_free(&r);
	free(doc);
}
END_TEST

/* inf_format_sniff over a first line that grows: "need more" until the
 * newline, scanned at the length looked at, and the bytes before it not
 * searched again (a newline planted there afterwards goes unseen), which
 * is what keeps piecewise detection linear. */
START_TEST(test_sniff_remembers_scan)
{
	static const char line[] = "{\"a\":\"0123456789abcdefghijklmnopqrstuvwxyz\"}\n[rest";
	size_t nl = (size_t)(strchr(line, '\n') - line);
	struct inf_sniff scanned = { 0, 0 };
	enum inf_format fmt = INF_FMT_AUTO;
	char buf[sizeof line];

	memcpy(buf, line, sizeof line);
	for (size_t len = 1; len <= nl; len++) {
		ck_assert_msg(inf_format_sniff(buf, len, 0, &scanned, &fmt) == 0, "len %zu", len);
		ck_assert_uint_eq(scanned.scanned, len);
	}
	/* a newline where it already looked is not seen again */
	buf[10] = '\n';
	ck_assert_int_eq(inf_format_sniff(buf, nl, 0, &scanned, &fmt), 0);
	buf[10] = line[10];
	/* the real one is: the first line is one JSON value */
	ck_assert_int_eq(inf_format_sniff(buf, nl + 1, 0, &scanned, &fmt), 1);
	ck_assert_int_eq(fmt, INF_FMT_NDJSON);
	/* a fresh look sees a planted newline: the line before it is not JSON */
	buf[10] = '\n';
	scanned = (struct inf_sniff){ 0, 0 };
	ck_assert_int_eq(inf_format_sniff(buf, nl, 0, &scanned, &fmt), 1);
	ck_assert_int_eq(fmt, INF_FMT_DOCUMENT);
	/* the end of the object ends the first line */
	scanned = (struct inf_sniff){ 0, 0 };
	ck_assert_int_eq(inf_format_sniff(line, nl, 1, &scanned, &fmt), 1);
	ck_assert_int_eq(fmt, INF_FMT_NDJSON);
	scanned = (struct inf_sniff){ 0, 0 };
	ck_assert_int_eq(inf_format_sniff(S("\xEF\xBB\xBF  [1"), 0, &scanned, &fmt), 1);
	ck_assert_int_eq(fmt, INF_FMT_ARRAY);
	scanned = (struct inf_sniff){ 0, 0 };
	ck_assert_int_eq(inf_format_sniff(S(" \n "), 0, &scanned, &fmt), 0);
	ck_assert_int_eq(inf_format_sniff(S(" \n "), 1, &scanned, &fmt), 1);
	ck_assert_int_eq(fmt, INF_FMT_NDJSON);
}
END_TEST

/* ---- byte-order mark ---- */

START_TEST(test_bom)
{
	expect_ok(INF_FMT_NDJSON, BIG, S("\xEF\xBB\xBF{\"a\":1}\n"), "{\"a\":1}\n",
	          "1:1:3:{\"a\":1}\n");
	expect_ok(INF_FMT_AUTO, BIG, S("\xEF\xBB\xBF{\"a\":1}\n"), "{\"a\":1}\n", NULL);
	expect_ok(INF_FMT_AUTO, BIG, S("\xEF\xBB\xBF[1,\"drop\"]"), "[1]", NULL);
	expect_ok(INF_FMT_ARRAY, BIG, S("\xEF\xBB\xBF [1]"), " [1]", "1:1:5:1\n");
	expect_ok(INF_FMT_DOCUMENT, BIG, S("\xEF\xBB\xBF{}"), "{}", "1:1:3:{}\n");
	expect_ok(INF_FMT_AUTO, BIG, S("\xEF\xBB\xBF"), "", "");
	/* only at the very start */
	expect_ok(INF_FMT_NDJSON, BIG,
	          S("1\n\xEF\xBB\xBF"
	            "2\n"),
	          "1\n\xEF\xBB\xBF"
	          "2\n",
	          NULL);
	/* a prefix of a BOM that is not one is data */
	expect_ok(INF_FMT_NDJSON, BIG, S("\xEF\xBB"), "\xEF\xBB", "1:1:0:\xEF\xBB\n");
	expect_ok(INF_FMT_NDJSON, BIG,
	          S("\xEF"
	            "1\n"),
	          "\xEF"
	          "1\n",
	          NULL);
}
END_TEST

/* The BOM split across writes, explicitly. */
START_TEST(test_bom_split)
{
	static const char *const parts[][4] = {
	    {"\xEF", "\xBB", "\xBF", "{\"a\":1}\n"},
	    {"\xEF\xBB", "\xBF{\"a\":1}", "\n", NULL},
	    {"\xEF", "\xBB\xBF{", "\"a\":1}\n", NULL},
	    {"", "\xEF", "", "\xBB\xBF{\"a\":1}\n"},
	};

	for (unsigned i = 0; i < 4; i++) {
		struct run r;
		struct inf_framer *f;

		memset(&r, 0, sizeof r);
		f = inf_framer_new(INF_FMT_AUTO, BIG, test_record, &r, test_sink, &r, &r.err);
		for (unsigned k = 0; k < 4 && parts[i][k]; k++)
			ck_assert_int_eq(inf_framer_write(f, parts[i][k], strlen(parts[i][k])), 0);
		ck_assert_int_eq(inf_framer_finish(f), 0);
		ck_assert_str_eq(tu_cstr(&r.out), "{\"a\":1}\n");
		ck_assert_str_eq(tu_cstr(&r.recs), "1:1:3:{\"a\":1}\n");
		inf_framer_free(f);
		run_free(&r);
	}
}
END_TEST

/* ---- errors and counts ---- */

START_TEST(test_errors_stick)
{
	struct run r;
	struct inf_framer *f;

	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_NDJSON, BIG, test_record, &r, test_sink, &r, &r.err);
	ck_assert_int_eq(inf_framer_write(f, S("{\"a\":1}\n")), 0);
	ck_assert_int_eq(inf_framer_write(f, S("{\"fail\":1}\n{\"b\":2}\n")), -1);
	ck_assert_int_eq(r.err.kind, INF_FAIL_TRANSFORM);
	ck_assert_str_eq(r.err.msg, "record 2 failed");
	ck_assert_int_eq(inf_framer_write(f, S("{\"c\":3}\n")), -1);
	ck_assert_int_eq(inf_framer_write(f, "", 0), -1);
	ck_assert_int_eq(inf_framer_finish(f), -1);
	ck_assert_uint_eq(inf_framer_records(f), 2);
	ck_assert_str_eq(r.err.msg, "record 2 failed"); /* the first cause stays */
	ck_assert_uint_eq(r.out.len, 0);                /* nothing flushed after the failure */
	inf_framer_free(f);
	run_free(&r);

	/* a failing sink */
	memset(&r, 0, sizeof r);
	r.sink_fail = 1;
	f = inf_framer_new(INF_FMT_NDJSON, BIG, test_record, &r, test_sink, &r, &r.err);
	ck_assert_int_eq(inf_framer_write(f, S("{\"a\":1}\n")), 0);
	ck_assert_int_eq(inf_framer_finish(f), -1);
	ck_assert_int_eq(r.err.kind, INF_FAIL_OUTPUT);
	ck_assert_int_eq(inf_framer_write(f, S("{\"a\":1}\n")), -1);
	inf_framer_free(f);
	run_free(&r);

	expect_fail(INF_FMT_NDJSON, BIG, S("1\n2\nfail\n4\n"), INF_FAIL_TRANSFORM,
	            "record 3 failed");
	inf_framer_free(NULL);
}
END_TEST

/* A record function that wrote its output and then dropped the record
 * (a chain deciding late): none of what it wrote reaches the output, in
 * any framing. */
START_TEST(test_dropped_output_discarded)
{
	expect_ok(INF_FMT_NDJSON, BIG, S("{\"a\":1}\n{\"late\":2}\r\n{\"b\":3}"),
	          "{\"a\":1}\n{\"b\":3}", NULL);
	expect_ok(INF_FMT_ARRAY, BIG, S("[{\"late\":1}, 2, {\"late\":3}]"), "[ 2]", NULL);
	expect_ok(INF_FMT_DOCUMENT, BIG, S("{\n\"late\": 1\n}"), "", NULL);
}
END_TEST

/* A batch (one worker's share of a parallel transform) runs its lines
 * at the positions it is given, writes into the caller's buffer and not
 * the sink, and says how many lines and records it held. One that stops
 * inside a line is refused rather than cut short, and the next batch
 * runs as if it had not happened. */
START_TEST(test_batch)
{
	struct run r;
	struct inf_framer *f;
	struct inf_buf out = {0};
	struct inf_batch_result res;
	struct inf_batch_at at = { .offset = 100, .line = 5, .recno = 10, .start = INF_BATCH_OBJECT_START };

	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_NDJSON, BIG, test_record, &r, test_sink, &r, &r.err);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(inf_framer_batch(f, S("{\"a\":1}\n\n\"drop\"\n{\"b\":2}\n"), &at, 0, &out,
	                                  &res),
	                 0);
	ck_assert_str_eq(tu_cstr(&out), "{\"a\":1}\n\n{\"b\":2}\n");
	ck_assert_uint_eq(res.lines, 4);
	ck_assert_uint_eq(res.records, 3);
	ck_assert_str_eq(tu_cstr(&r.recs),
	                 "11:5:100:{\"a\":1}\n12:7:109:\"drop\"\n13:8:116:{\"b\":2}\n");

	/* the object's last bytes may lack the newline */
	inf_buf_reset(&out);
	at = (struct inf_batch_at){ .offset = 123, .line = 9, .recno = 13, .start = INF_BATCH_OBJECT_START };
	ck_assert_int_eq(inf_framer_batch(f, S("{\"c\":3}"), &at, 1, &out, &res), 0);
	ck_assert_str_eq(tu_cstr(&out), "{\"c\":3}");
	ck_assert_uint_eq(res.lines, 0);
	ck_assert_uint_eq(res.records, 1);

	/* any other batch ends with a newline: one cut inside a line is
	 * refused, its input untouched (a string literal: writing faults) */
	inf_buf_reset(&out);
	res.lines = res.records = 99;
	at = (struct inf_batch_at){ .offset = 0, .line = 1, .recno = 0, .start = INF_BATCH_OBJECT_START };
	ck_assert_int_eq(inf_framer_batch(f, S("{\"d\":4}\n{\"e\""), &at, 0, &out, &res), -1);
	ck_assert_int_eq(r.err.kind, INF_FAIL_INPUT);
	ck_assert_ptr_nonnull(strstr(r.err.msg, "batch does not end at a line end"));
	ck_assert_uint_eq(res.lines, 99);
	ck_assert_uint_eq(res.records, 99);

	inf_buf_reset(&out);
	ck_assert_int_eq(inf_framer_batch(f, S("{\"f\":6}\n"), &at, 0, &out, &res), 0);
	ck_assert_str_eq(tu_cstr(&out), "{\"f\":6}\n");
	ck_assert_uint_eq(res.records, 1);
	ck_assert_int_eq(r.sink_calls, 0);
	inf_buf_free(&out);
	inf_framer_free(f);
	run_free(&r);
}
END_TEST

/* Array batches start where inf_array_cut leaves them: before the '[',
 * at an element's end (its comma next), or after the ']'. One that
 * starts after an element writes as if an earlier one was kept and says
 * which separator to leave out if none was; one that is not the last
 * must end with a separator (or after the ']'). */
START_TEST(test_batch_array)
{
	struct run r;
	struct inf_framer *f;
	struct inf_buf out = {0};
	struct inf_batch_result res;
	struct inf_batch_at at = { .offset = 0, .line = 1, .recno = 0, .start = INF_BATCH_OBJECT_START };

	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_ARRAY, BIG, test_record, &r, test_sink, &r, &r.err);
	ck_assert_ptr_nonnull(f);
	/* whitespace before the '[' may be a batch of its own */
	ck_assert_int_eq(inf_framer_batch(f, S(" \n"), &at, 0, &out, &res), 0);
	ck_assert_str_eq(tu_cstr(&out), " \n");
	ck_assert_uint_eq(res.lines, 1);
	inf_buf_reset(&out);
	/* the first batch: through the comma after its last element */
	ck_assert_int_eq(inf_framer_batch(f, S(" [\"drop\",\n 1 ,"), &at, 0, &out, &res), 0);
	ck_assert_str_eq(tu_cstr(&out), " [\n 1");
	ck_assert_uint_eq(res.lines, 1);
	ck_assert_uint_eq(res.records, 2);
	ck_assert_int_eq(res.kept, 1);
	ck_assert_uint_eq(res.drop_to, 0);

	/* after an element: the first kept one's separator is named */
	inf_buf_reset(&out);
	at = (struct inf_batch_at){ .offset = 12, .line = 2, .recno = 2, .start = INF_BATCH_AFTER_ELEMENT };
	ck_assert_int_eq(inf_framer_batch(f, S(" ,\"drop\" ,\n2, 3]\n"), &at, 1, &out, &res), 0);
	ck_assert_str_eq(tu_cstr(&out), " ,\n2, 3]\n");
	ck_assert_uint_eq(res.drop_from, 0);
	ck_assert_uint_eq(res.drop_to, 2);
	ck_assert_uint_eq(res.records, 3);
	ck_assert_int_eq(res.kept, 1);
	ck_assert_str_eq(tu_cstr(&r.recs), "1:1:2:\"drop\"\n2:2:11:1\n"
	                                   "3:2:14:\"drop\"\n4:3:23:2\n5:3:26:3\n");

	/* after the ']': whitespace only */
	inf_buf_reset(&out);
	at = (struct inf_batch_at){ .offset = 30, .line = 3, .recno = 5, .start = INF_BATCH_AFTER_ARRAY };
	ck_assert_int_eq(inf_framer_batch(f, S(" \n "), &at, 1, &out, &res), 0);
	ck_assert_str_eq(tu_cstr(&out), " \n ");
	ck_assert_int_eq(inf_framer_batch(f, S(" x"), &at, 1, &out, &res), -1);
	ck_assert_ptr_nonnull(strstr(r.err.msg, "data after the closing ']'"));

	/* cut inside an element, or not at a separator: refused (the error
	 * slot keeps the first error: cleared each time, as chain.c does) */
	at = (struct inf_batch_at){ .offset = 0, .line = 1, .recno = 0, .start = INF_BATCH_AFTER_ELEMENT };
	memset(&r.err, 0, sizeof r.err);
	ck_assert_int_eq(inf_framer_batch(f, S(", 1, [2"), &at, 0, &out, &res), -1);
	ck_assert_ptr_nonnull(strstr(r.err.msg, "array batch cut inside an element"));
	memset(&r.err, 0, sizeof r.err);
	ck_assert_int_eq(inf_framer_batch(f, S(" 1, 2,"), &at, 0, &out, &res), -1);
	ck_assert_ptr_nonnull(strstr(r.err.msg, "array batch does not start at a separator"));

	/* element ends handed over are used, not scanned for; ends that are
	 * not a ',' or ']' after the element are refused */
	{
		static const uint32_t good[] = { 6, 10 }, bad[] = { 6, 8 };
		at = (struct inf_batch_at){ .line = 1, .start = INF_BATCH_AFTER_ELEMENT,
					    .ends = good, .nends = 2 };
		inf_buf_reset(&out);
		ck_assert_int_eq(inf_framer_batch(f, S(", [1] ,\"a\"]"), &at, 1, &out, &res), 0);
		ck_assert_str_eq(tu_cstr(&out), ", [1] ,\"a\"]");
		at.ends = bad;
		memset(&r.err, 0, sizeof r.err);
		ck_assert_int_eq(inf_framer_batch(f, S(", [1] ,\"a\"]"), &at, 1, &out, &res), -1);
		ck_assert_ptr_nonnull(strstr(r.err.msg, "element ends do not match its bytes"));
	}
	ck_assert_int_eq(r.sink_calls, 0);
	inf_buf_free(&out);
	inf_framer_free(f);
	run_free(&r);
}
END_TEST

START_TEST(test_records_counted)
{
	struct run r;
	struct inf_framer *f;

	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_NDJSON, BIG, test_record, &r, test_sink, &r, &r.err);
	ck_assert_uint_eq(inf_framer_records(f), 0);
	ck_assert_int_eq(inf_framer_format(f), INF_FMT_NDJSON);
	ck_assert_int_eq(inf_framer_write(f, S("1\n\n\"drop\"\n3")), 0);
	ck_assert_uint_eq(inf_framer_records(f), 2); /* the last line waits */
	ck_assert_int_eq(inf_framer_finish(f), 0);
	ck_assert_uint_eq(inf_framer_records(f), 3);
	inf_framer_free(f);
	run_free(&r);

	memset(&r, 0, sizeof r);
	f = inf_framer_new(INF_FMT_AUTO, BIG, test_record, &r, test_sink, &r, &r.err);
	ck_assert_int_eq(inf_framer_format(f), INF_FMT_AUTO);
	ck_assert_int_eq(inf_framer_write(f, S("[1,2")), 0);
	ck_assert_int_eq(inf_framer_format(f), INF_FMT_ARRAY);
	ck_assert_uint_eq(inf_framer_records(f), 1);
	ck_assert_int_eq(inf_framer_write(f, S(",\"drop\"]")), 0);
	ck_assert_uint_eq(inf_framer_records(f), 3);
	ck_assert_int_eq(inf_framer_finish(f), 0);
	ck_assert_str_eq(tu_cstr(&r.out), "[1,2]");
	inf_framer_free(f);
	run_free(&r);
}
END_TEST

static Suite *frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tn = tcase_create("ndjson");
	TCase *ta = tcase_create("array");
	TCase *td = tcase_create("document");

	tcase_set_timeout(tn, 60);
	tcase_add_test(tn, test_format_names);
	tcase_add_test(tn, test_ndjson_lf);
	tcase_add_test(tn, test_ndjson_crlf);
	tcase_add_test(tn, test_ndjson_blank_lines);
	tcase_add_test(tn, test_ndjson_last_line);
	tcase_add_test(tn, test_ndjson_positions);
	tcase_add_test(tn, test_ndjson_max_record);
	tcase_add_test(tn, test_ndjson_long_line_fails_early);
	tcase_add_test(tn, test_ndjson_large_stream);
	tcase_add_test(tn, test_batch);
	tcase_add_test(tn, test_batch_array);
	suite_add_tcase(s, tn);

	tcase_set_timeout(ta, 60);
	tcase_add_test(ta, test_array_basic);
	tcase_add_test(ta, test_array_drops);
	tcase_add_test(ta, test_array_every_subset);
	tcase_add_test(ta, test_array_tricky_elements);
	tcase_add_test(ta, test_array_random_elements);
	tcase_add_test(ta, test_array_escape_across_blocks);
	tcase_add_test(ta, test_array_pretty_positions);
	tcase_add_test(ta, test_array_errors);
	tcase_add_test(ta, test_array_max_record);
	tcase_add_test(ta, test_array_long_string_fails_early);
	tcase_add_test(ta, test_array_whitespace_max_record);
	tcase_add_test(ta, test_array_whitespace_not_held);
	suite_add_tcase(s, ta);

	tcase_set_timeout(td, 60);
	tcase_add_test(td, test_document);
	tcase_add_test(td, test_auto_detect);
	tcase_add_test(td, test_auto_long_first_line_in_pieces);
	tcase_add_test(td, test_sniff_remembers_scan);
	tcase_add_test(td, test_auto_long_blank_prefix_in_pieces);
	tcase_add_test(td, test_auto_long_leading_whitespace);
	tcase_add_test(td, test_auto_leading_whitespace_not_held);
	tcase_add_test(td, test_bom);
	tcase_add_test(td, test_bom_split);
	tcase_add_test(td, test_errors_stick);
	tcase_add_test(td, test_dropped_output_discarded);
	tcase_add_test(td, test_records_counted);
	suite_add_tcase(s, td);
	return s;
}

int main(void)
{
	return tu_run_suite(frame_suite());
}
