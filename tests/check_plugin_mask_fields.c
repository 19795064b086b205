/*
 * plugins/mask_fields.c through the real loader and chain: every op on
 * strings, numbers, booleans, null, objects and arrays, non-ASCII and
 * escaped text, and the load errors. Digests are checked against values
 * computed independently (Python's hashlib and hmac, RFC 4231).
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testutil.h"
#include "utf8.h"

static struct tu_step s;

static void setup(void)
{
	memset(&s, 0, sizeof s);
	setenv("MASK_TEST_KEY", "Jefe", 1);
}

static void teardown(void)
{
	tu_step_free(&s);
}

/* Loads one mask_fields step over path "v" with the options `opts`. */
static void mask(const char *opts)
{
	char step[1024];

	snprintf(step, sizeof step, "{ plugin = \"mask_fields\"; paths = [ \"v\" ]; %s }", opts);
	ck_assert_msg(tu_chain_load(&s, "ndjson", step) == 0, "%s: %s", opts, tu_errs_text(&s.errs));
}

/* Expects record `in` to come out as `want`. */
static void out_is(const char *in, const char *want)
{
	char line[4096], wline[4096];
	const char *got;

	snprintf(line, sizeof line, "%s\n", in);
	snprintf(wline, sizeof wline, "%s\n", want);
	got = tu_step_run(&s, line);
	ck_assert_msg(got != NULL, "%s: %s", in, s.err.msg);
	ck_assert_str_eq(got, wline);
}

/* Expects record `in` to fail the object with `what` in the message. */
static void fails(const char *in, const char *what)
{
	ck_assert_msg(tu_step_run(&s, in) == NULL, "%s passed", in);
	ck_assert_msg(strstr(s.err.msg, what) != NULL, "[%s] lacks [%s]", s.err.msg, what);
}

/* Expects the step to be refused at chain.cfg:3 with `what`. */
static void refused(const char *opts, const char *what)
{
	char step[1024];

	snprintf(step, sizeof step, "{ plugin = \"mask_fields\"; paths = [ \"v\" ]; %s }", opts);
	ck_assert_int_eq(tu_chain_load(&s, "ndjson", step), -1);
	ck_assert_msg(tu_errs_find(&s.errs, "/chain.cfg:3: plugin 'mask_fields': ", what, NULL) >= 0,
		      "want [%s] in %s", what, tu_errs_text(&s.errs));
}

START_TEST(test_redact)
{
	mask("op = \"redact\";");
	out_is("{\"v\":\"4111 1111\",\"w\":1}", "{\"v\":\"****\",\"w\":1}");
	out_is("{\"v\":12.5}", "{\"v\":\"****\"}");
	out_is("{\"v\":true}", "{\"v\":\"****\"}");
	out_is("{\"v\":null}", "{\"v\":\"****\"}");
	out_is("{\"v\":{\"a\":[1]}}", "{\"v\":\"****\"}");
	out_is("{\"v\":[1,2]}", "{\"v\":\"****\"}");
	out_is("{\"v\":\"caf\\u00e9 \\\"x\\\"\"}", "{\"v\":\"****\"}");
	out_is("{\"w\":\"v\"}", "{\"w\":\"v\"}");
	mask("op = \"redact\"; with = \"[\xe2\x96\x88 \\\"gone\\\"]\";");
	out_is("{\"v\":1}", "{\"v\":\"[\xe2\x96\x88 \\\"gone\\\"]\"}");
	ck_assert_int_eq(tu_step_verdict(&s, "{\"v\":1}"), INF_MODIFIED);
	ck_assert_int_eq(tu_step_verdict(&s, "{\"x\":1}"), INF_KEEP);
}
END_TEST

START_TEST(test_null)
{
	mask("op = \"null\";");
	out_is("{\"v\":\"s\"}", "{\"v\":null}");
	out_is("{\"v\":-1e5}", "{\"v\":null}");
	out_is("{\"v\":false}", "{\"v\":null}");
	out_is("{\"v\":null}", "{\"v\":null}");
	out_is("{\"v\":{\"a\":1}}", "{\"v\":null}");
	out_is("{\"v\":[[]]}", "{\"v\":null}");
}
END_TEST

START_TEST(test_partial)
{
	mask("op = \"partial\"; keep_last = 4;");
	out_is("{\"v\":\"4111111111111111\"}", "{\"v\":\"************1111\"}");
	out_is("{\"v\":4111111111111111}", "{\"v\":\"************1111\"}");
	out_is("{\"v\":-12.5e3}", "{\"v\":\"***.5e3\"}");
	/* no longer than what would be kept: all masked */
	out_is("{\"v\":\"1234\"}", "{\"v\":\"****\"}");
	out_is("{\"v\":\"ab\"}", "{\"v\":\"**\"}");
	out_is("{\"v\":\"\"}", "{\"v\":\"\"}");
	out_is("{\"v\":null}", "{\"v\":null}");
	fails("{\"v\":true}\n", "op 'partial' cannot mask a boolean at member \"v\"");
	fails("{\"v\":{\"a\":\"1234567\"}}\n", "op 'partial' cannot mask an object at member \"v\"");
	fails("{\"v\":[\"1234567\"]}\n", "cannot mask an array");
	/* DEL (0x7f) is the last one-byte character */
	out_is("{\"v\":\"abcdef\x7f\"}", "{\"v\":\"***def\x7f\"}");
	out_is("{\"v\":\"\\u007fabcd\\u007f\"}", "{\"v\":\"**bcd\x7f\"}");
	mask("op = \"partial\"; keep_first = 2; keep_last = 1;");
	out_is("{\"v\":\"abcdef\"}", "{\"v\":\"ab***f\"}");
	out_is("{\"v\":\"abcd\"}", "{\"v\":\"ab*d\"}");
	out_is("{\"v\":\"abc\"}", "{\"v\":\"***\"}");
	/* characters, not bytes: 2-, 3- and 4-byte UTF-8, escapes decoded */
	out_is("{\"v\":\"J\xc3\xbcrgen\"}", "{\"v\":\"J\xc3\xbc***n\"}");
	out_is("{\"v\":\"\xe6\x9d\xb1\xe4\xba\xac\xe9\x83\xbd\xe5\xba\x81\"}",
	       "{\"v\":\"\xe6\x9d\xb1\xe4\xba\xac*\xe5\xba\x81\"}");
	out_is("{\"v\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82\xf0\x9f\x98\x83\"}",
	       "{\"v\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x81*\xf0\x9f\x98\x83\"}");
	out_is("{\"v\":\"\\u00fc\\u00fcxy\\\"\"}", "{\"v\":\"\xc3\xbc\xc3\xbc**\\\"\"}");
	out_is("{\"v\":\"a\\\\b\\nc\\td\"}", "{\"v\":\"a\\\\****d\"}");
	mask("op = \"partial\"; keep_first = 1; char = \"\xe2\x80\xa2\";");
	out_is("{\"v\":\"M\xc3\xbcller\"}", "{\"v\":\"M\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\"}");
	mask("op = \"partial\";");
	out_is("{\"v\":\"abc\"}", "{\"v\":\"***\"}");
}
END_TEST

START_TEST(test_char_class)
{
	char in[3000], want[3000];

	mask("op = \"char_class\";");
	out_is("{\"v\":\"AB12-cd 9!\"}", "{\"v\":\"XXnn-xx n!\"}");
	out_is("{\"v\":\"J\xc3\xbcrgen M\xc3\xbcller\"}", "{\"v\":\"Xxxxxx Xxxxxx\"}");
	out_is("{\"v\":\"\\u00c9t\\u00e9 \\\"2026\\\"\"}", "{\"v\":\"xxx \\\"nnnn\\\"\"}");
	out_is("{\"v\":\"+1 (555) 010-9999\"}", "{\"v\":\"+n (nnn) nnn-nnnn\"}");
	out_is("{\"v\":123.45}", "{\"v\":\"nnn.nn\"}");
	out_is("{\"v\":-1E5}", "{\"v\":\"-nXn\"}");
	out_is("{\"v\":null}", "{\"v\":null}");
	fails("{\"v\":false}\n", "op 'char_class' cannot mask a boolean");
	fails("{\"v\":{}}\n", "op 'char_class' cannot mask an object");
	/* the ends of each class, and the bytes just outside them */
	out_is("{\"v\":\"@AZ[`az{/09:\"}", "{\"v\":\"@XX[`xx{/nn:\"}");
	/* a first value far past the scratch buffer's first size */
	mask("op = \"char_class\";");
	memset(in, 'a', sizeof in);
	memset(want, 'x', sizeof want);
	memcpy(in, "{\"v\":\"", 6);
	memcpy(want, "{\"v\":\"", 6);
	memcpy(in + sizeof in - 3, "\"}", 3);
	memcpy(want + sizeof want - 3, "\"}", 3);
	out_is(in, want);
}
END_TEST

START_TEST(test_hash)
{
	mask("op = \"hash\";");
	out_is("{\"v\":\"abc\"}",
	       "{\"v\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}");
	/* the unescaped text is hashed: caf\u00e9 is café */
	out_is("{\"v\":\"caf\\u00e9\"}",
	       "{\"v\":\"850f7dc43910ff890f8879c0ed26fe697c93a067ad93a7d50f466a7028a9bf4e\"}");
	out_is("{\"v\":\"a\\\"b\\n\"}",
	       "{\"v\":\"ef743c494c8ed766272eef7992607a843799149252822266adc302547587253d\"}");
	out_is("{\"v\":\"\"}",
	       "{\"v\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}");
	/* numbers and booleans: their JSON text as written */
	out_is("{\"v\":12.50}",
	       "{\"v\":\"6d6cc696c282286ecbb59a9456f8e0011c75dacba2739ee494778150e188dae1\"}");
	out_is("{\"v\":true}",
	       "{\"v\":\"b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b\"}");
	out_is("{\"v\":null}", "{\"v\":null}");
	fails("{\"v\":[\"abc\"]}\n", "op 'hash' cannot mask an array at member \"v\": only redact and null");
	/* a digest is an edit, a null left as it is none */
	ck_assert_int_eq(tu_step_verdict(&s, "{\"v\":1}"), INF_MODIFIED);
	ck_assert_int_eq(tu_step_verdict(&s, "{\"v\":null}"), INF_KEEP);
	mask("op = \"hash\"; salt = \"s\"; prefix = \"h:\";");
	out_is("{\"v\":123}",
	       "{\"v\":\"h:a9dcdc7159d1a9daae0ccc718f5dbc2bb1c61e38873abc8074b374473d4d00b9\"}");
}
END_TEST

START_TEST(test_hmac)
{
	char keyfile[PATH_MAX], opts[PATH_MAX + 64];

	/* RFC 4231, test case 2 */
	mask("op = \"hmac\"; key_env = \"MASK_TEST_KEY\";");
	out_is("{\"v\":\"what do ya want for nothing?\"}",
	       "{\"v\":\"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\"}");
	out_is("{\"v\":123}",
	       "{\"v\":\"235555e21ca6792a24f832eedf01568b1c3ea0867e0e2ff19c61ab1176967055\"}");
	out_is("{\"v\":\"caf\\u00e9\"}",
	       "{\"v\":\"539bab7cf2a9ce44702107c65d04a7cf8b9826ecab8120a1ab50fc09b5f7c279\"}");
	out_is("{\"v\":false}",
	       "{\"v\":\"134e2cf74ac689ccd950db11cd23a018cf64f9984464df0e2172db950b15f609\"}");
	/* the same key gives the same pseudonym record after record */
	ck_assert_str_eq(tu_step_run(&s, "{\"v\":123}\n{\"v\":123}\n"),
			 "{\"v\":\"235555e21ca6792a24f832eedf01568b1c3ea0867e0e2ff19c61ab1176967055\"}\n"
			 "{\"v\":\"235555e21ca6792a24f832eedf01568b1c3ea0867e0e2ff19c61ab1176967055\"}\n");
	/* the key from a file, its final line break not part of it */
	ck_assert_int_eq(tu_write(s.tmp, "key", "Jefe\n", 5, keyfile, sizeof keyfile), 0);
	mask("op = \"hmac\"; key_file = \"key\"; prefix = \"tok:\";");
	out_is("{\"v\":123}",
	       "{\"v\":\"tok:235555e21ca6792a24f832eedf01568b1c3ea0867e0e2ff19c61ab1176967055\"}");
	/* another key, another pseudonym */
	setenv("MASK_TEST_KEY", "other", 1);
	mask("op = \"hmac\"; key_env = \"MASK_TEST_KEY\";");
	out_is("{\"v\":123}",
	       "{\"v\":\"2d7955a373e3354e62e7913ade571671732753b454602e2521d8e2b8df553890\"}");
	out_is("{\"v\":null}", "{\"v\":null}");
	fails("{\"v\":{\"id\":123}}\n", "op 'hmac' cannot mask an object");
	ck_assert_ptr_null(strstr(s.err.msg, "other"));
	snprintf(opts, sizeof opts, "op = \"hmac\"; key_file = \"%s\";", keyfile);
	mask(opts); /* an absolute key file */
	/* one final line break, LF or CRLF, is not part of the key; every
	 * other byte is: "Jefe\n\n" is the key "Jefe\n", and "Jefe\r" keeps
	 * its CR (every trailing CR and LF was cut, so a binary key ending
	 * in 0x0a or 0x0d became another key) */
	ck_assert_int_eq(tu_write(s.tmp, "key", "Jefe\r\n", 6, keyfile, sizeof keyfile), 0);
	mask("op = \"hmac\"; key_file = \"key\";");
	out_is("{\"v\":123}", "{\"v\":\"235555e21ca6792a24f832eedf01568b1c3ea0867e0e2ff19c61ab1176967055\"}");
	ck_assert_int_eq(tu_write(s.tmp, "key", "Jefe\n\n", 6, keyfile, sizeof keyfile), 0);
	mask("op = \"hmac\"; key_file = \"key\";");
	out_is("{\"v\":123}", "{\"v\":\"77ab8894b713072e29c401bbd45b92601efc31e6b187e47bbfafe0ebe94c3abb\"}");
	ck_assert_int_eq(tu_write(s.tmp, "key", "Jefe\r", 5, keyfile, sizeof keyfile), 0);
	mask("op = \"hmac\"; key_file = \"key\";");
	out_is("{\"v\":123}", "{\"v\":\"c98badb646a345d419c292deb61bc6a8a054f3c1284718ab6aea20020d71370b\"}");
}
END_TEST

/* The first line where got and want differ (1-based), or 0. */
static size_t first_diff_line(const char *got, const char *want)
{
	size_t line = 1;

	for (; *got == *want; got++, want++) {
		if (!*got)
			return 0;
		line += *got == '\n';
	}
	return line;
}

/* The text of value `id` of test_digest_memo: below 3000 the pool of
 * values that repeat, above it values seen once. */
static void memo_value(int id, char *v, size_t size)
{
	if (id >= 3000)
		snprintf(v, size, "once-%d", id);
	else if (id == 2)
		v[0] = '\0'; /* the empty string */
	else if (id % 4 == 0) /* 15 bytes, the first 9 the same */
		snprintf(v, size, "customer-%06d", id);
	else if (id % 4 == 1)
		snprintf(v, size, "%d", 100 + id);
	else if (id % 4 == 2) /* 0 to 55 'a's, then the number */
		snprintf(v, size, "%.*s%d", (id / 4) % 56,
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", id);
	else /* 31 and 32 bytes: either side of the longest remembered */
		snprintf(v, size, "%0*d", 31 + (id / 4) % 2, id);
}

/* hash and hmac remember recent digests by value (4096 slots, four for
 * each hash of a value). One object of four stretches: the pool's 3000
 * values, each twice or more in a shuffled order, so that values
 * share, lose and regain slots (values that share their first 8 bytes
 * and their length, lengths around the longest remembered, 31, the empty
 * string, a number beside the string of the same text); 10000 values seen
 * once, after which the memo pauses (with one worker); 20000 values of
 * the pool, during which it looks again; the shuffled pool again. Every output is checked against a
 * digest computed here. */
START_TEST(test_digest_memo)
{
	enum { NV = 3000, NSHUF = 9000, NONCE = 10000, NPAUSE = 20000,
	       NREC = 2 * NSHUF + NONCE + NPAUSE };
	static int order[NREC];
	struct inf_buf in = {0}, want = {0};
	unsigned rng = 7;
	int n = 0;

#define RND(m) ((int)((rng = rng * 1103515245u + 12345u) >> 8) % (m))
	for (int i = 0; i < NV; i++) /* every value twice at least */
		order[n++] = i, order[n++] = i;
	while (n < NSHUF)
		order[n++] = RND(NV);
	for (int i = NSHUF - 1; i > 0; i--) {
		int j = RND(i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < NONCE; i++)
		order[n++] = NV + i;
	for (int i = 0; i < NPAUSE; i++)
		order[n++] = RND(NV);
	for (int i = 0; i < NSHUF; i++)
		order[n++] = order[i];
#undef RND
	for (int op = 0; op < 2; op++) {
		const char *got;
		size_t line;

		inf_buf_reset(&in);
		inf_buf_reset(&want);
		for (int r = 0; r < NREC; r++) {
			/* values of the form 100 + id as numbers every other time */
			int num = order[r] < NV && order[r] % 4 == 1 && r % 2;
			unsigned char md[32];
			char v[64], salted[80], hex[65];
			size_t len;

			memo_value(order[r], v, sizeof v);
			len = strlen(v);
			if (op) {
				ck_assert_ptr_nonnull(HMAC(EVP_sha256(), "Jefe", 4,
							   (const unsigned char *)v, len, md, NULL));
			} else {
				ck_assert_uint_lt(len, sizeof salted);
				salted[0] = 's';
				memcpy(salted + 1, v, len);
				ck_assert(EVP_Digest(salted, len + 1, md, NULL, EVP_sha256(), NULL));
			}
			for (int k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", md[k]);
			ck_assert_int_eq(inf_buf_printf(&in, num ? "{\"v\":%s}\n" : "{\"v\":\"%s\"}\n", v), 0);
			ck_assert_int_eq(inf_buf_printf(&want, "{\"v\":\"p:%s\"}\n", hex), 0);
		}
		ck_assert_int_eq(inf_buf_putc(&in, '\0'), 0);
		ck_assert_int_eq(inf_buf_putc(&want, '\0'), 0);
		/* hash with one worker, whose memo pauses during the third
		 * stretch and looks again in the fourth; hmac with two, each
		 * with its memo */
		ck_assert_int_eq(setenv("INFLIGHT_THREADS", op ? "2" : "1", 1), 0);
		mask(op ? "op = \"hmac\"; key_env = \"MASK_TEST_KEY\"; prefix = \"p:\";"
			: "op = \"hash\"; salt = \"s\"; prefix = \"p:\";");
		got = tu_step_run(&s, in.data);
		ck_assert_msg(got != NULL, "%s", s.err.msg);
		line = first_diff_line(got, want.data);
		ck_assert_msg(line == 0, "%s: record %zu differs", op ? "hmac" : "hash", line);
	}
	unsetenv("INFLIGHT_THREADS");
	inf_buf_free(&in);
	inf_buf_free(&want);
}
END_TEST

START_TEST(test_hmac_key_errors)
{
	char dummy[PATH_MAX], big[4099];

	refused("op = \"hmac\"; key_env = \"MASK_TEST_NO_SUCH_VAR\";",
		"key_env: environment variable MASK_TEST_NO_SUCH_VAR is not set or empty");
	setenv("MASK_TEST_EMPTY", "", 1);
	refused("op = \"hmac\"; key_env = \"MASK_TEST_EMPTY\";", "is not set or empty");
	refused("op = \"hmac\";", "op hmac needs exactly one of key_env and key_file");
	ck_assert_int_eq(tu_write(s.tmp, "k", "x", 1, dummy, sizeof dummy), 0);
	refused("op = \"hmac\"; key_env = \"MASK_TEST_KEY\"; key_file = \"k\";",
		"needs exactly one of key_env and key_file");
	refused("op = \"hmac\"; key_file = \"no-such-key\";", "option 'key_file': cannot read file");
	ck_assert_int_eq(tu_write(s.tmp, "empty", "\n", 1, dummy, sizeof dummy), 0);
	refused("op = \"hmac\"; key_file = \"empty\";", "holds no key");
	/* a key past 4096 bytes is refused, not cut to its first 4096 */
	memset(big, 'k', sizeof big);
	ck_assert_int_eq(tu_write(s.tmp, "big", big, sizeof big, dummy, sizeof dummy), 0);
	refused("op = \"hmac\"; key_file = \"big\";", "or longer than 4096 bytes");
	ck_assert_int_eq(tu_write(s.tmp, "big", big, 4096, dummy, sizeof dummy), 0);
	mask("op = \"hmac\"; key_file = \"big\";");
	/* the limit is the key's, not the file's: its line break may follow */
	big[4096] = '\n';
	ck_assert_int_eq(tu_write(s.tmp, "big", big, 4097, dummy, sizeof dummy), 0);
	mask("op = \"hmac\"; key_file = \"big\";");
	memcpy(big + 4096, "\r\n", 2);
	ck_assert_int_eq(tu_write(s.tmp, "big", big, 4098, dummy, sizeof dummy), 0);
	mask("op = \"hmac\"; key_file = \"big\";");
	memcpy(big + 4096, "k\n", 2); /* 4097 bytes and LF, CRLF or nothing */
	ck_assert_int_eq(tu_write(s.tmp, "big", big, 4098, dummy, sizeof dummy), 0);
	refused("op = \"hmac\"; key_file = \"big\";", "or longer than 4096 bytes");
	memcpy(big + 4097, "\r\n", 2);
	ck_assert_int_eq(tu_write(s.tmp, "big", big, 4099, dummy, sizeof dummy), 0);
	refused("op = \"hmac\"; key_file = \"big\";", "or longer than 4096 bytes");
	ck_assert_int_eq(tu_write(s.tmp, "big", big, 4097, dummy, sizeof dummy), 0);
	refused("op = \"hmac\"; key_file = \"big\";", "or longer than 4096 bytes");
	/* the key is never in a message */
	ck_assert_ptr_null(strstr(tu_errs_text(&s.errs), "Jefe"));
}
END_TEST

START_TEST(test_round)
{
	mask("op = \"round\"; digits = 1;");
	out_is("{\"v\":12.345}", "{\"v\":12.3}");
	out_is("{\"v\":12.35}", "{\"v\":12.4}");
	out_is("{\"v\":-0.04}", "{\"v\":0.0}");
	out_is("{\"v\":-1.25e1}", "{\"v\":-12.5}");
	out_is("{\"v\":7}", "{\"v\":7}"); /* integers stay as written */
	out_is("{\"v\":-7}", "{\"v\":-7}"); /* a two-byte integer is not -0 */
	out_is("{\"v\":10}", "{\"v\":10}");
	out_is("{\"v\":-0}", "{\"v\":0.0}"); /* but for the sign of a zero */
	out_is("{\"v\":123456789012345678901234567890}", "{\"v\":123456789012345678901234567890}");
	out_is("{\"v\":null}", "{\"v\":null}");
	fails("{\"v\":\"12.5\"}\n", "op 'round' cannot mask a string at member \"v\": it rounds numbers");
	fails("{\"v\":true}\n", "op 'round' cannot mask a boolean");
	fails("{\"v\":[1.5]}\n", "op 'round' cannot mask an array");
	fails("{\"v\":1e400}\n", "out of range");
	mask("op = \"round\";");
	out_is("{\"v\":2.5}", "{\"v\":3}");
	out_is("{\"v\":-2.5}", "{\"v\":-3}");
	out_is("{\"v\":2.49}", "{\"v\":2}");
	/* rounding to zero from below prints 0, never -0 */
	out_is("{\"v\":-0.4}", "{\"v\":0}");
	out_is("{\"v\":-0.49999}", "{\"v\":0}");
	out_is("{\"v\":-0.0}", "{\"v\":0}");
	out_is("{\"v\":-0}", "{\"v\":0}");
	out_is("{\"v\":-0.5}", "{\"v\":-1}");
	mask("op = \"round\"; digits = 2;");
	out_is("{\"v\":12.5}", "{\"v\":12.50}");
	mask("op = \"round\"; digits = -2;");
	out_is("{\"v\":1234.5}", "{\"v\":1200}");
	out_is("{\"v\":-40.5}", "{\"v\":0}");
	out_is("{\"v\":1250}", "{\"v\":1300}");
	mask("op = \"round\"; step = 0.25;");
	out_is("{\"v\":1.3}", "{\"v\":1.25}");
	out_is("{\"v\":1.4}", "{\"v\":1.5}");
	mask("op = \"round\"; step = 5;");
	out_is("{\"v\":12}", "{\"v\":10}");
	out_is("{\"v\":-2}", "{\"v\":0}"); /* %g form: no -0 either */
	out_is("{\"v\":13}", "{\"v\":15}");
	out_is("{\"v\":-13}", "{\"v\":-15}");
	mask("op = \"round\"; step = 0.1;");
	out_is("{\"v\":0.26}", "{\"v\":0.3}");
	mask("op = \"round\"; step = 1000;");
	out_is("{\"v\":1e20}", "{\"v\":100000000000000000000}");
	refused("op = \"round\"; step = 1e17;", "step must be below 1e17");
}
END_TEST

/* round works on the number's decimal text: no binary fraction turns a
 * half into less than a half, and no digit is lost to a double's 53
 * bits, whatever the size or the form (exponent, -0, 1E-5). */
START_TEST(test_round_exact)
{
	mask("op = \"round\"; digits = 2;");
	out_is("{\"v\":1.005}", "{\"v\":1.01}"); /* 100.49999... as a double */
	out_is("{\"v\":0.285}", "{\"v\":0.29}");
	out_is("{\"v\":-0.005}", "{\"v\":-0.01}");
	out_is("{\"v\":-0.001}", "{\"v\":0.00}");
	out_is("{\"v\":1E-5}", "{\"v\":0.00}");
	out_is("{\"v\":99.995}", "{\"v\":100.00}");
	out_is("{\"v\":123456789012345678.5}", "{\"v\":123456789012345678.50}");
	out_is("{\"v\":1e30}", "{\"v\":1000000000000000000000000000000.00}");
	out_is("{\"v\":0.0000000000000000000001e22}", "{\"v\":1.00}");
	mask("op = \"round\";");
	out_is("{\"v\":1e23}", "{\"v\":100000000000000000000000}"); /* not ...991611392 */
	out_is("{\"v\":12345678901234567890.5}", "{\"v\":12345678901234567891}");
	out_is("{\"v\":5e-1}", "{\"v\":1}");
	mask("op = \"round\"; digits = -1;");
	out_is("{\"v\":12345678901234567891}", "{\"v\":12345678901234567890}");
	out_is("{\"v\":-15}", "{\"v\":-20}");
	out_is("{\"v\":-0}", "{\"v\":0}");
	mask("op = \"round\"; step = 5;");
	out_is("{\"v\":1234567890123456}", "{\"v\":1234567890123455}"); /* not 1.23456789012346e+15 */
	out_is("{\"v\":12345678901234567891}", "{\"v\":12345678901234567890}");
	out_is("{\"v\":12.5}", "{\"v\":15}");
	mask("op = \"round\"; step = 3;");
	out_is("{\"v\":12345678901234567891}", "{\"v\":12345678901234567890}");
	mask("op = \"round\"; step = 0.1;");
	out_is("{\"v\":0.15}", "{\"v\":0.2}"); /* 0.15 / 0.1 is 1.4999... as doubles */
	out_is("{\"v\":-0.15}", "{\"v\":-0.2}");
	mask("op = \"round\"; step = 1e-20;");
	out_is("{\"v\":1.23456789012345678901234567}", "{\"v\":1.23456789012345678901}");
	refused("op = \"round\"; digits = 16;", "digits must be from -15 to 15");
	refused("op = \"round\"; step = -1;", "step > 0");
	/* an explicit 0 is no step: refused, not taken for rounding to units */
	refused("op = \"round\"; step = 0;", "step > 0");
	refused("op = \"round\"; step = 0.0;", "step > 0");
	refused("op = \"redact\"; step = 0;", "does not apply to op 'redact'");
	refused("op = \"round\"; step = 1; digits = 1;", "not both");
}
END_TEST

START_TEST(test_truncate_date)
{
	mask("op = \"truncate_date\";");
	out_is("{\"v\":\"2026-11-28T20:15:03.123456\"}", "{\"v\":\"2026-11-28T00:00:00.000000\"}");
	out_is("{\"v\":\"2026-11-28T20:15:03Z\"}", "{\"v\":\"2026-11-28T00:00:00Z\"}");
	out_is("{\"v\":\"2026-11-28 20:15\"}", "{\"v\":\"2026-11-28 00:00\"}");
	out_is("{\"v\":\"2026-11-28\"}", "{\"v\":\"2026-11-28\"}");
	out_is("{\"v\":\"2026-11-28T23:59:60+05:30\"}", "{\"v\":\"2026-11-28T00:00:00+05:30\"}");
	out_is("{\"v\":\"\\u0032026-11-28T20:15:03\"}", "{\"v\":\"2026-11-28T00:00:00\"}");
	out_is("{\"v\":null}", "{\"v\":null}");
	mask("op = \"truncate_date\"; unit = \"hour\";");
	out_is("{\"v\":\"2026-11-28T20:15:03,5-0800\"}", "{\"v\":\"2026-11-28T20:00:00,0-0800\"}");
	out_is("{\"v\":\"2026-11-28t20:15-08\"}", "{\"v\":\"2026-11-28t20:00-08\"}");
	mask("op = \"truncate_date\"; unit = \"month\";");
	out_is("{\"v\":\"2026-11-28T20:15:03Z\"}", "{\"v\":\"2026-11-01T00:00:00Z\"}");
	out_is("{\"v\":\"2026-11-28\"}", "{\"v\":\"2026-11-01\"}");
	mask("op = \"truncate_date\"; unit = \"year\";");
	out_is("{\"v\":\"2026-11-28T20:15:03.1+01:00\"}", "{\"v\":\"2026-01-01T00:00:00.0+01:00\"}");
	fails("{\"v\":\"28/11/2026\"}\n", "not an ISO 8601 date or date-time");
	fails("{\"v\":\"2026-13-01\"}\n", "not an ISO 8601");
	fails("{\"v\":\"2026-11-28T24:00\"}\n", "not an ISO 8601");
	fails("{\"v\":\"2026-11-28T20:15:03+02:3045\"}\n", "not an ISO 8601");
	fails("{\"v\":\"2026-11-28T20\"}\n", "not an ISO 8601");
	fails("{\"v\":\"2026-11-28 \"}\n", "not an ISO 8601");
	fails("{\"v\":\"2026-11-32\"}\n", "not an ISO 8601");
	fails("{\"v\":\"2026-11-40T20:15\"}\n", "not an ISO 8601");
	fails("{\"v\":1764360903}\n", "op 'truncate_date' cannot mask a number at member \"v\": "
	      "it cuts ISO 8601 date strings");
	fails("{\"v\":true}\n", "cannot mask a boolean at member \"v\": it cuts ISO 8601 date strings");
	fails("{\"v\":{\"d\":\"2026-11-28\"}}\n", "cannot mask an object");
	refused("op = \"truncate_date\"; unit = \"minute\";", "option 'unit' must be one of year|month|day|hour");
}
END_TEST

START_TEST(test_paths_and_framings)
{
	ck_assert_int_eq(tu_chain_load(&s, "array",
				       "{ plugin = \"mask_fields\"; paths = [ \"items[*].card\", \"**.ssn\" ];\n"
				       "  op = \"partial\"; keep_last = 2; }"), 0);
	ck_assert_str_eq(tu_step_run(&s, "[{\"items\":[{\"card\":\"123456\"},{\"card\":12345}],"
					 "\"x\":{\"ssn\":\"987\"}}, {\"ssn\":\"5555\"}]"),
			 "[{\"items\":[{\"card\":\"****56\"},{\"card\":\"***45\"}],"
			 "\"x\":{\"ssn\":\"*87\"}}, {\"ssn\":\"**55\"}]");
	ck_assert_int_eq(tu_chain_load(&s, "document",
				       "{ plugin = \"mask_fields\"; paths = [ \"[*]\" ]; op = \"redact\"; }"), 0);
	ck_assert_str_eq(tu_step_run(&s, "[1, \"a\", {}]\n"), "[\"****\", \"****\", \"****\"]\n");
	/* an error in one record fails the object; nothing unmasked leaks */
	ck_assert_int_eq(tu_chain_load(&s, "ndjson",
				       "{ plugin = \"mask_fields\"; paths = [ \"v\" ]; op = \"round\"; }"), 0);
	ck_assert_ptr_null(tu_step_run(&s, "{\"v\":1.5}\n{\"v\":\"secret\"}\n"));
	ck_assert_msg(strstr(s.err.msg, "record 2 (line 2): step 1 (mask_fields) failed") != NULL,
		      "%s", s.err.msg);
	ck_assert_ptr_null(strstr(s.err.msg, "secret"));
}
END_TEST

START_TEST(test_root_no_path_reaches)
{
	/* path "v" over an array record: refused, not passed unmasked */
	mask("op = \"redact\";");
	fails("[{\"v\":\"secret\"}]\n", "the record is an array and no path reaches into one");
	out_is("{\"v\":\"secret\"}", "{\"v\":\"****\"}");
	out_is("\"v\"", "\"v\"");
	/* nor a container of the other kind on the way: "customer" turned
	 * into a list, and the email in it passed unmasked */
	ck_assert_int_eq(tu_chain_load(&s, "ndjson", "{ plugin = \"mask_fields\"; op = \"redact\";\n"
				       "  paths = [ \"customer.email\", \"items[0].card\" ]; }"), 0);
	out_is("{\"customer\":{\"email\":\"a@b\"},\"items\":[{\"card\":1}]}",
	       "{\"customer\":{\"email\":\"****\"},\"items\":[{\"card\":\"****\"}]}");
	fails("{\"customer\":[{\"email\":\"a@b\"}]}\n",
	      "step 1 (mask_fields) failed: the value of member \"customer\" is an array and no path "
	      "naming it reaches into one (a path with [*] or ** there does)");
	fails("{\"items\":{\"0\":{\"card\":1}}}\n",
	      "the value of member \"items\" is an object and no path naming it reaches into one");
	fails("{\"items\":[[{\"card\":1}]]}\n", "an array element is an array and no path naming it reaches into one");
	/* a scalar or an empty container there holds nothing to miss */
	out_is("{\"customer\":\"a@b\",\"items\":[]}", "{\"customer\":\"a@b\",\"items\":[]}");
	out_is("{\"customer\":[],\"items\":{}}", "{\"customer\":[],\"items\":{}}");
}
END_TEST

START_TEST(test_error_stays_one_line)
{
	/* the member's name is in the message: its control bytes are escaped */
	ck_assert_msg(tu_chain_load(&s, "ndjson", "{ plugin = \"mask_fields\"; paths = [ \"*\" ]; "
				    "op = \"partial\"; }") == 0, "%s", tu_errs_text(&s.errs));
	fails("{\"x\\nruntime: fake\\u001b[31m\":true}\n",
	      "at member \"x\\x0aruntime: fake\\x1b[31m\": it masks strings and numbers");
	ck_assert_ptr_null(strchr(s.err.msg, '\n'));
	ck_assert_ptr_null(strchr(s.err.msg, 0x1b));
}
END_TEST

START_TEST(test_error_cut_inside_a_character)
{
	/* the name is cut at 64 bytes, inside the "é" after 63 ASCII bytes:
	 * the lone lead byte is escaped, the message stays valid UTF-8 */
	char a63[64], in[160], want[128];
	const unsigned char *m;

	memset(a63, 'a', 63);
	a63[63] = '\0';

	ck_assert_msg(tu_chain_load(&s, "ndjson", "{ plugin = \"mask_fields\"; paths = [ \"*\" ]; "
				    "op = \"partial\"; }") == 0, "%s", tu_errs_text(&s.errs));
	snprintf(in, sizeof in, "{\"%s\xc3\xa9t\xc3\xa9\":true}\n", a63);
	snprintf(want, sizeof want, "at member \"%s\\xc3\": it masks", a63);
	fails(in, want);
	for (m = (const unsigned char *)s.err.msg; *m; m += inf_utf8_seq(m, strlen((const char *)m)))
		ck_assert_msg(inf_utf8_seq(m, strlen((const char *)m)), "invalid UTF-8 at [%s]", (const char *)m);
}
END_TEST

START_TEST(test_when)
{
	ck_assert_int_eq(tu_chain_load(&s, "ndjson",
				       "{ plugin = \"mask_fields\"; paths = [ \"v\" ]; op = \"redact\";\n"
				       "  when = { path = \"country\"; op = \"in\"; value = [ \"DE\", \"FR\" ]; }; }"), 0);
	ck_assert_str_eq(tu_step_run(&s, "{\"country\":\"DE\",\"v\":1}\n{\"country\":\"US\",\"v\":2}\n"
					 "{\"v\":3}\n"),
			 "{\"country\":\"DE\",\"v\":\"****\"}\n{\"country\":\"US\",\"v\":2}\n{\"v\":3}\n");
}
END_TEST

START_TEST(test_option_errors)
{
	char dummy[PATH_MAX];

	refused("op = \"redac\";", "option 'op' must be one of redact|partial|char_class|hash|hmac|null|round|truncate_date");
	refused("with = \"x\";", "missing required option 'op'");
	refused("op = \"hash\"; with = \"x\";", "option 'with' does not apply to op 'hash'");
	refused("op = \"redact\"; salt = \"x\";", "option 'salt' does not apply to op 'redact'");
	refused("op = \"hash\"; key_env = \"MASK_TEST_KEY\";", "'key_env' or 'key_file' does not apply to op 'hash'");
	ck_assert_int_eq(tu_write(s.tmp, "k", "x", 1, dummy, sizeof dummy), 0);
	refused("op = \"hash\"; key_file = \"k\";", "'key_env' or 'key_file' does not apply to op 'hash'");
	refused("op = \"redact\"; prefix = \"x\";", "option 'prefix' does not apply");
	refused("op = \"null\"; keep_last = 1;", "'keep_first' or 'keep_last' does not apply");
	refused("op = \"hash\"; digits = 1;", "'digits' or 'step' does not apply");
	/* unit was ignored on every other op */
	refused("op = \"redact\"; unit = \"year\";", "option 'unit' does not apply to op 'redact'");
	refused("op = \"partial\"; char = \"ab\";", "char one character");
	refused("op = \"partial\"; char = \"\";", "char one character");
	refused("op = \"partial\"; keep_first = -1;", "keep_first and keep_last must be from 0");
	refused("op = \"partial\"; keep_last = -1;", "keep_first and keep_last must be from 0");
	/* each option of a pair is checked on its own */
	refused("op = \"null\"; keep_first = 1;", "'keep_first' or 'keep_last' does not apply");
	refused("op = \"hash\"; step = 0.5;", "'digits' or 'step' does not apply");
	/* libconfig's \x escape: the raw byte is refused before, as text */
	refused("op = \"redact\"; with = \"\\xff\";", "option 'with' is not valid UTF-8");
	refused("op = \"redact\"; key = \"secret\";", "unknown option 'key'");
	/* another op's option given its default value says nothing: it passes */
	refused("op = \"hash\"; char = \"#\";", "option 'char' does not apply to op 'hash'");
	mask("op = \"hash\"; with = \"****\"; char = \"*\"; digits = 0; keep_first = 0;");
	mask("op = \"partial\"; with = \"****\";");
	mask("op = \"redact\"; char = \"*\";");
}
END_TEST

static Suite *mask_suite(void)
{
	Suite *su = suite_create("plugin_mask_fields");
	TCase *tc = tcase_create("mask_fields");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_partial);
	tcase_add_test(tc, test_char_class);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_hmac);
	tcase_add_test(tc, test_hmac_key_errors);
	tcase_add_test(tc, test_digest_memo);
	tcase_add_test(tc, test_round);
	tcase_add_test(tc, test_round_exact);
	tcase_add_test(tc, test_truncate_date);
	tcase_add_test(tc, test_paths_and_framings);
	tcase_add_test(tc, test_when);
	tcase_add_test(tc, test_root_no_path_reaches);
	tcase_add_test(tc, test_error_stays_one_line);
	tcase_add_test(tc, test_error_cut_inside_a_character);
	tcase_add_test(tc, test_option_errors);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_run_suite(mask_suite());
}
