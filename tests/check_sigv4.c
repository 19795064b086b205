/*
 * SigV4 signing of bodiless requests (runtime/sigv4.c) against values
 * computed independently: AWS's documented S3 GET example (Range, the
 * example key pair, 20130524T000000Z), and a read of an object under a
 * customer key whose signature botocore (S3SigV4Auth) computed, where
 * ...-customer-key is a prefix of ...-customer-key-md5 (libcurl 7.88 gets
 * that order wrong) and the query holds a name that is a prefix of
 * another; and a WriteGetObjectResponse POST, UNSIGNED-PAYLOAD, whose
 * forwarded SSE-KMS headers have names that are prefixes of each other,
 * also signed by botocore. Also: the lines sent, and values refused or
 * made canonical.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "sigv4.h"
#include "testutil.h"

#define KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

struct lines {
	char text[16][1024];
	int n;
};

static int add(void *ctx, const char *line, struct inf_error *err)
{
	struct lines *l = ctx;

	(void)err;
	ck_assert_int_lt(l->n, 16);
	ck_assert_uint_lt(strlen(line), sizeof l->text[0]);
	snprintf(l->text[l->n++], sizeof l->text[0], "%s", line);
	return 0;
}

/* As add, keeping only the count (for lines too long to keep). */
static int add_count(void *ctx, const char *line, struct inf_error *err)
{
	(void)line;
	(void)err;
	((struct lines *)ctx)->n++;
	return 0;
}

START_TEST(test_aws_example)
{
	const struct inf_sigv4_header range = { "Range", "bytes=0-9" };
	struct inf_sigv4 s = { .method = "GET", .url = "https://examplebucket.s3.amazonaws.com/test.txt",
		.region = "us-east-1", .service = "s3", .key_id = KEY_ID, .secret = SECRET,
		.when = 1369353600, .headers = &range, .nheaders = 1 };
	struct inf_error err = { 0 };
	struct lines l = { .n = 0 };

	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), 0);
	ck_assert_int_eq(l.n, 5);
	ck_assert_str_eq(l.text[0], "Host: examplebucket.s3.amazonaws.com");
	ck_assert_str_eq(l.text[1], "x-amz-date: 20130524T000000Z");
	ck_assert_str_eq(l.text[3], "Range: bytes=0-9");
	ck_assert_str_eq(l.text[4], "Authorization: AWS4-HMAC-SHA256 Credential=" KEY_ID
			 "/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;"
			 "x-amz-content-sha256;x-amz-date, Signature="
			 "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}
END_TEST

START_TEST(test_ssec_prefix_names)
{
	const struct inf_sigv4_header h[] = {
		{ "x-amz-server-side-encryption-customer-algorithm", "AES256" },
		{ "x-amz-server-side-encryption-customer-key",
		  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" },
		{ "x-amz-server-side-encryption-customer-key-MD5", "Nwb12CYXQC5ja+t0r8pXTQ==" },
	};
	struct inf_sigv4 s = { .method = "GET",
		.url = "http://127.0.0.1:8080/b/k.json?versionId=v2&a-b=1&a=2",
		.region = "eu-west-1", .service = "s3", .key_id = KEY_ID, .secret = SECRET,
		.token = "TOKEN", .when = 1795953600, .headers = h, .nheaders = 3 };
	struct inf_error err = { 0 };
	struct lines l = { .n = 0 };

	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), 0);
	ck_assert_int_eq(l.n, 8);
	ck_assert_str_eq(l.text[0], "Host: 127.0.0.1:8080");
	ck_assert_str_eq(l.text[3], "x-amz-security-token: TOKEN");
	ck_assert_str_eq(l.text[7], "Authorization: AWS4-HMAC-SHA256 Credential=" KEY_ID
			 "/20261129/eu-west-1/s3/aws4_request, SignedHeaders=host;"
			 "x-amz-content-sha256;x-amz-date;x-amz-security-token;"
			 "x-amz-server-side-encryption-customer-algorithm;"
			 "x-amz-server-side-encryption-customer-key;"
			 "x-amz-server-side-encryption-customer-key-md5, Signature="
			 "24eb86e31ed63ed17a66b7c791232ea71187cb8808af6b653f91cc02c62c388b");
}
END_TEST

/* A streamed body: x-amz-content-sha256 and the canonical request's
 * payload hash are both UNSIGNED-PAYLOAD (botocore's S3SigV4Auth, service
 * s3-object-lambda, computed the signature). */
START_TEST(test_unsigned_payload)
{
	const struct inf_sigv4_header h[] = {
		{ "x-amz-request-route", "io-euw1-002" },
		{ "x-amz-request-token", "OUT1" },
		{ "x-amz-fwd-status", "200" },
		{ "x-amz-fwd-header-x-amz-server-side-encryption-aws-kms-key-id",
		  "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
		{ "x-amz-fwd-header-x-amz-server-side-encryption", "aws:kms" },
		{ "x-amz-fwd-header-x-amz-server-side-encryption-bucket-key-enabled", "true" },
	};
	struct inf_sigv4 s = { .method = "POST",
		.url = "https://io-euw1-002.s3-object-lambda.eu-west-1.amazonaws.com/WriteGetObjectResponse",
		.region = "eu-west-1", .service = "s3-object-lambda", .key_id = KEY_ID,
		.secret = SECRET, .token = "TOKEN", .when = 1795953600,
		.payload = INF_SIGV4_UNSIGNED, .headers = h, .nheaders = 6 };
	struct inf_error err = { 0 };
	struct lines l = { .n = 0 };

	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), 0);
	ck_assert_int_eq(l.n, 11);
	ck_assert_str_eq(l.text[0], "Host: io-euw1-002.s3-object-lambda.eu-west-1.amazonaws.com");
	ck_assert_str_eq(l.text[1], "x-amz-date: 20261129T120000Z");
	ck_assert_str_eq(l.text[2], "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	ck_assert_str_eq(l.text[10], "Authorization: AWS4-HMAC-SHA256 Credential=" KEY_ID
			 "/20261129/eu-west-1/s3-object-lambda/aws4_request, SignedHeaders=host;"
			 "x-amz-content-sha256;x-amz-date;"
			 "x-amz-fwd-header-x-amz-server-side-encryption;"
			 "x-amz-fwd-header-x-amz-server-side-encryption-aws-kms-key-id;"
			 "x-amz-fwd-header-x-amz-server-side-encryption-bucket-key-enabled;"
			 "x-amz-fwd-status;x-amz-request-route;x-amz-request-token;"
			 "x-amz-security-token, Signature="
			 "5b0cf5fa9b7e8e27ac03fc06d2c7c2b73d584d47030e3335378dcc171071aec8");

	/* the same request with an empty body's hash signs differently:
	 * the payload hash is part of what is signed */
	s.payload = NULL;
	l.n = 0;
	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), 0);
	ck_assert_str_eq(l.text[2], "x-amz-content-sha256: "
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_ptr_null(strstr(l.text[10], "5b0cf5fa9b7e8e27ac03"));
}
END_TEST

START_TEST(test_refused)
{
	const struct inf_sigv4_header bad[] = {
		{ "x-amz-request-payer", "a\r\nb" }, { "If-Match", " padded " },
		{ "If-Match", "trailing " },
		{ "Authorization", "x" }, { "x-amz-date", "20990101T000000Z" },
		{ "bad name", "x" },
	};
	struct inf_sigv4 s = { .method = "GET", .url = "http://h/k", .region = "us-east-1",
		.service = "s3", .key_id = KEY_ID, .secret = SECRET, .when = 0 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct inf_error err = { 0 };
		struct lines l = { .n = 0 };
		s.headers = &bad[i];
		s.nheaders = 1;
		ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), -1);
		ck_assert_int_eq(err.kind, INF_FAIL_SOURCE);
		ck_assert_ptr_null(strstr(err.msg, bad[i].value)); /* values never echoed */
	}
	s.headers = NULL;
	s.nheaders = 0;
	/* a raw byte libcurl would send %-encoded in lower case: refused */
	static const char *const urls[] = { "http://h/b/\xe2\x82\xac.json", "http://h/a b",
					    "http://h/k\x7f",
					    /* an empty parameter, which signers read apart */
					    "http://h/k?a=1&&b=2", "http://h/k?a=1&", "http://h/k?&a=1",
					    "http://h/k?&" };
	for (size_t i = 0; i < sizeof urls / sizeof *urls; i++) {
		struct inf_error err = { 0 };
		struct lines l = { .n = 0 };
		s.url = urls[i];
		ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), -1);
		ck_assert_msg(strstr(err.msg, i < 3 ? "not printable ASCII" : "empty query parameter"),
			      "%s", err.msg);
		ck_assert_int_eq(l.n, 0);
	}
	s.url = "http://h/k";
	s.secret = NULL;
	{
		struct inf_error err = { 0 };
		struct lines l = { .n = 0 };
		ck_assert_int_eq(inf_sigv4_sign(&s, add, &l, &err), -1);
		ck_assert_int_eq(l.n, 0);
	}
}
END_TEST

/* The canonical request, where a URL has more than one spelling: the
 * values of a repeated query name sorted (S3 signs them so), userinfo
 * not part of the host, an empty session token no token at all. */
START_TEST(test_canonical_forms)
{
	struct inf_sigv4 s = { .method = "GET", .url = "http://h/k?a=2&a=1", .region = "us-east-1",
		.service = "s3", .key_id = KEY_ID, .secret = SECRET, .when = 1795953600 };
	struct inf_error err = { 0 };
	struct lines l1 = { .n = 0 }, l2 = { .n = 0 };

	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l1, &err), 0);
	s.url = "http://h/k?a=1&a=2";
	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l2, &err), 0);
	ck_assert_int_eq(l1.n, l2.n);
	ck_assert_str_eq(l1.text[l1.n - 1], l2.text[l2.n - 1]);
	l1.n = l2.n = 0;
	s.url = "http://u:p@h/k";
	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l1, &err), 0);
	s.url = "http://h/k";
	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l2, &err), 0);
	ck_assert_str_eq(l1.text[0], "Host: h");
	ck_assert_str_eq(l1.text[l1.n - 1], l2.text[l2.n - 1]);
	l1.n = 0;
	s.token = "";
	ck_assert_int_eq(inf_sigv4_sign(&s, add, &l1, &err), 0);
	ck_assert_int_eq(l1.n, l2.n);
	for (int i = 0; i < l1.n; i++)
		ck_assert_str_eq(l1.text[i], l2.text[i]);
}
END_TEST

/* A session token has no promised size: one of 64 KiB is signed whole. */
START_TEST(test_long_token)
{
	static char token[65537];
	struct inf_sigv4 s = { .method = "GET", .url = "http://h/k", .region = "us-east-1",
		.service = "s3", .key_id = KEY_ID, .secret = SECRET, .when = 0, .token = token };
	struct inf_error err = { 0 };
	struct lines l = { .n = 0 };

	memset(token, 'T', sizeof token - 1);
	ck_assert_int_eq(inf_sigv4_sign(&s, add_count, &l, &err), 0);
	ck_assert_int_eq(l.n, 5);
}
END_TEST

START_TEST(test_clean)
{
	char out[32];

	ck_assert_int_eq(inf_sigv4_clean(" \tWed,  21 Oct\t2015 ", out, sizeof out), 0);
	ck_assert_str_eq(out, "Wed, 21 Oct 2015");
	ck_assert_int_eq(inf_sigv4_clean("", out, sizeof out), -1);
	ck_assert_int_eq(inf_sigv4_clean("   ", out, sizeof out), -1);
	ck_assert_int_eq(inf_sigv4_clean("a\nb", out, sizeof out), -1);
	ck_assert_int_eq(inf_sigv4_clean("caf\xc3\xa9", out, sizeof out), -1);
	ck_assert_int_eq(inf_sigv4_clean("0123456789abcdef", out, 16), -1); /* no room */
	ck_assert_int_eq(inf_sigv4_clean("0123456789abcde", out, 16), 0);
	ck_assert_int_eq(inf_sigv4_clean("x", out, 1), -1);
	ck_assert_int_eq(inf_sigv4_clean("a b", out, 4), 0);
	ck_assert_int_eq(inf_sigv4_clean("a  b", out, 3), -1);
}
END_TEST

/* An error message as WriteGetObjectResponse sends it: escaped, cut only
 * when it does not fit, and then always a value inf_sigv4_clean keeps */
START_TEST(test_escape)
{
	char out[16], big[64];

	ck_assert_int_eq(inf_sigv4_escape("abcdefghijklmno", out, sizeof out), 0);
	ck_assert_str_eq(out, "abcdefghijklmno"); /* 15 bytes fit 16 whole */
	ck_assert_int_eq(inf_sigv4_escape("abcdefghijklmnop", out, sizeof out), 0);
	ck_assert_str_eq(out, "abcdefghijkl...");
	ck_assert_int_eq(inf_sigv4_escape(" \ta  b\t", out, sizeof out), 0);
	ck_assert_str_eq(out, "a b");
	ck_assert_int_eq(inf_sigv4_escape("k/caf\xc3\xa9: x", big, sizeof big), 0);
	ck_assert_str_eq(big, "k/caf\\xc3\\xa9: x");
	/* an escape that does not fit whole is left out whole */
	ck_assert_int_eq(inf_sigv4_escape("abcdefghij\xc3\xa9", out, sizeof out), 0);
	ck_assert_str_eq(out, "abcdefghij...");
	ck_assert_int_eq(inf_sigv4_escape("a\r\nx-amz-evil: 1", big, sizeof big), 0);
	ck_assert_str_eq(big, "a\\x0d\\x0ax-amz-evil: 1");
	{
		char again[64];
		ck_assert_int_eq(inf_sigv4_clean(big, again, sizeof again), 0);
		ck_assert_str_eq(again, big); /* sent and signed as it is */
	}
	ck_assert_int_eq(inf_sigv4_escape("", out, sizeof out), -1);
	ck_assert_int_eq(inf_sigv4_escape("   ", out, sizeof out), -1);
	ck_assert_int_eq(inf_sigv4_escape("abc", out, 7), -1);
}
END_TEST

static Suite *sigv4_suite(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("sign");

	tcase_add_test(tc, test_aws_example);
	tcase_add_test(tc, test_ssec_prefix_names);
	tcase_add_test(tc, test_unsigned_payload);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_canonical_forms);
	tcase_add_test(tc, test_long_token);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_escape);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(sigv4_suite());
}
