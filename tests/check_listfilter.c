/*
 * The LIST filter's paging (runtime/listfilter.c, runtime/listmarker.c): a
 * v1 page that is truncated and ends in a hidden key or common prefix gets
 * the NextMarker made from the access point's prefixes (the greatest key
 * of at most 1024 bytes below the next prefix: its byte layout, valid
 * UTF-8, last < m < q), or IsTruncated false when no prefix is left; a
 * page ending in a shown entry, a v2 page and a prefix whose marker would
 * end in NUL are left as they were; with encoding-type=url the marker is
 * URL-encoded. S3's NextMarker naming a hidden entry is replaced in place.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "list.h"
#include "listmarker.h"
#include "testutil.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult>"
#define KEY(k) "<Contents><Key>" k "</Key><Size>1</Size></Contents>"
#define CP(p) "<CommonPrefixes><Prefix>" p "</Prefix></CommonPrefixes>"
#define TRUE_ "<IsTruncated>true</IsTruncated>"
#define U10FFFF "\xf4\x8f\xbf\xbf"

static char *store[] = { "store_events/" };

/* The filter's output for `xml`, NUL-terminated, malloc'd; NULL when it
 * refuses the answer. */
static char *filter(char **prefixes, size_t n, const char *xml, unsigned flags)
{
	struct inf_access_point ap = { .name = "t", .prefixes = prefixes, .nprefixes = n };
	struct inf_buf in = { 0 }, out = { 0 };
	struct inf_error err = { 0 };
	int rc;

	ck_assert_int_eq(inf_buf_puts(&in, xml), 0);
	rc = inf_list_filter(&ap, &in, flags, &out, &err);
	inf_buf_free(&in);
	if (rc) {
		ck_assert_str_ne(err.msg, "");
		inf_buf_free(&out);
		return NULL;
	}
	ck_assert_int_eq(inf_buf_putc(&out, '\0'), 0);
	return out.data;
}

/* The text of the output's NextMarker, malloc'd, or NULL without one. */
static char *next_marker(const char *x)
{
	const char *a = strstr(x, "<NextMarker>"), *z;

	if (!a)
		return NULL;
	a += strlen("<NextMarker>");
	z = strstr(a, "</NextMarker>");
	ck_assert_ptr_nonnull(z);
	ck_assert_ptr_null(strstr(z + 1, "<NextMarker>"));
	return strndup(a, (size_t)(z - a));
}

/* Whether s[0..n) is strict UTF-8 (no overlong form, surrogate, or code
 * point past U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
			     : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (!len || i + len > n)
			return 0;
		if (len > 1)
			c &= 0x3Fu >> (len - 1);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3Fu);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
		    c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

/* `head`, then U+10FFFF while four bytes fit in 1024, then `tail` (the
 * bytes left): a marker as listmarker.c makes it, malloc'd. */
static char *made_marker(const char *head, const char *tail)
{
	struct inf_buf m = { 0 };

	inf_buf_puts(&m, head);
	while (m.len + 4 <= 1024)
		inf_buf_puts(&m, U10FFFF);
	inf_buf_puts(&m, tail);
	inf_buf_putc(&m, '\0');
	ck_assert_uint_eq(strlen(m.data), 1024);
	return m.data;
}

/* "store_events." then U+10FFFF while four bytes fit in 1024, then the
 * three bytes `tail`: the marker before store_events/. */
static char *store_marker(const char *tail)
{
	return made_marker("store_events.", tail);
}

/* 5 keys under archive/ then nothing: a page that ends hidden. */
#define ARCHIVE_PAGE HEAD "<Marker></Marker><MaxKeys>2</MaxKeys>" TRUE_ \
	KEY("archive/1") KEY("archive/2") "</ListBucketResult>"

START_TEST(test_last_hidden_gets_marker)
{
	char *x = filter(store, 1, ARCHIVE_PAGE, INF_LIST_V1);
	char *m = next_marker(x), *want = store_marker("\xef\xbf\xbd");

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, want);
	ck_assert_uint_le(strlen(m), 1024);
	ck_assert(utf8_valid((const unsigned char *)m, strlen(m)));
	ck_assert_int_lt(strcmp("archive/2", m), 0);
	ck_assert_int_lt(strcmp(m, "store_events/"), 0);
	/* in place of nothing: before the root's end tag, the rest unchanged */
	ck_assert_ptr_nonnull(strstr(x, TRUE_));
	ck_assert_ptr_null(strstr(x, "archive"));
	ck_assert_ptr_nonnull(strstr(x, "</NextMarker></ListBucketResult>"));
	free(want);
	free(m);
	free(x);
}
END_TEST

START_TEST(test_no_prefix_left_ends_the_list)
{
	char *early[] = { "a/" };
	char *x = filter(early, 1, ARCHIVE_PAGE, INF_LIST_V1);

	ck_assert_str_eq(x, HEAD "<Marker></Marker><MaxKeys>2</MaxKeys><IsTruncated>false</IsTruncated>"
			    "</ListBucketResult>");
	free(x);
	/* with S3's NextMarker naming the hidden last key: left out too */
	x = filter(early, 1, HEAD "<NextMarker>archive/2</NextMarker>" TRUE_ KEY("archive/2")
			 "</ListBucketResult>", INF_LIST_V1);
	ck_assert_str_eq(x, HEAD "<IsTruncated>false</IsTruncated></ListBucketResult>");
	free(x);
	/* ... and one inside the prefixes, before the hidden last key: the
	 * page ends the list, so it names no place to go on from */
	x = filter(early, 1, HEAD "<NextMarker>a/1</NextMarker>" TRUE_ KEY("a/1") KEY("archive/2")
			 "</ListBucketResult>", INF_LIST_V1);
	ck_assert_str_eq(x, HEAD "<IsTruncated>false</IsTruncated>" KEY("a/1") "</ListBucketResult>");
	free(x);
}
END_TEST

/* With several prefixes the marker is made from the smallest one after
 * the page's last entry: one made from a greater prefix ("zz/") would have
 * the client list on past store_events/ and never see its keys. */
START_TEST(test_marker_from_smallest_prefix_after_last)
{
	char *several[] = { "zz/", "a/", "store_events/", "t/" };
	char *x = filter(several, 4, ARCHIVE_PAGE, INF_LIST_V1);
	char *m = next_marker(x), *want = store_marker("\xef\xbf\xbd");

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, want);
	free(want);
	free(m);
	free(x);
}
END_TEST

/* A page that is not truncated ends the listing whatever its last entry:
 * no marker is added. "true" alone says truncated (botocore reads any
 * other text as false). */
START_TEST(test_not_truncated_ending_hidden_unchanged)
{
	static const char *const vals[] = { "false", "TRUE" };
	char in[512], want[512];

	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		char *x;

		snprintf(in, sizeof in, HEAD "<IsTruncated>%s</IsTruncated>" KEY("archive/1")
			 "</ListBucketResult>", vals[i]);
		snprintf(want, sizeof want, HEAD "<IsTruncated>%s</IsTruncated></ListBucketResult>",
			 vals[i]);
		x = filter(store, 1, in, INF_LIST_V1);
		ck_assert_str_eq(x, want);
		free(x);
	}
}
END_TEST

/* S3's NextMarker past the last Key shown is the page's last entry: a
 * hidden one is replaced by the marker, never kept because a smaller key
 * was shown. */
START_TEST(test_hidden_next_marker_past_last_shown)
{
	char *bd[] = { "b/", "d/" };
	char *x = filter(bd, 2, HEAD "<NextMarker>c/x</NextMarker>" TRUE_ KEY("b/1") "</ListBucketResult>",
			 INF_LIST_V1);
	char *m = next_marker(x), *want = made_marker("d.", "\xdf\xbf");

	ck_assert_ptr_null(strstr(x, "c/x"));
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, want);
	ck_assert_ptr_nonnull(strstr(x, KEY("b/1")));
	free(want);
	free(m);
	free(x);
}
END_TEST

/* A hidden Key equal to a common prefix shown (in either order): the last
 * entry is shown, so the page is left as it is. */
START_TEST(test_last_equal_entries_one_shown)
{
	char *sales[] = { "store_events/sales/" };
	char *x = filter(sales, 1, HEAD TRUE_ CP("store_events/") KEY("store_events/") "</ListBucketResult>",
			 INF_LIST_V1);

	ck_assert_str_eq(x, HEAD TRUE_ CP("store_events/") "</ListBucketResult>");
	free(x);
	x = filter(sales, 1, HEAD TRUE_ KEY("store_events/") CP("store_events/") "</ListBucketResult>",
		   INF_LIST_V1);
	ck_assert_str_eq(x, HEAD TRUE_ CP("store_events/") "</ListBucketResult>");
	free(x);
}
END_TEST

START_TEST(test_last_shown_unchanged)
{
	const char *page = HEAD "<NextMarker>store_events/b</NextMarker>" TRUE_
		KEY("archive/1") KEY("store_events/a") KEY("store_events/b") "</ListBucketResult>";
	char *x = filter(store, 1, page, INF_LIST_V1);

	ck_assert_str_eq(x, HEAD "<NextMarker>store_events/b</NextMarker>" TRUE_
			 KEY("store_events/a") KEY("store_events/b") "</ListBucketResult>");
	free(x);
	/* no NextMarker of S3's: none is added */
	x = filter(store, 1, HEAD TRUE_ KEY("archive/1") KEY("store_events/a") "</ListBucketResult>",
		   INF_LIST_V1);
	ck_assert_str_eq(x, HEAD TRUE_ KEY("store_events/a") "</ListBucketResult>");
	free(x);
	/* a page not truncated that ends hidden: nothing to page on to */
	x = filter(store, 1, HEAD "<IsTruncated>false</IsTruncated>" KEY("store_events/a") KEY("zz")
			 "</ListBucketResult>", INF_LIST_V1);
	ck_assert_str_eq(x, HEAD "<IsTruncated>false</IsTruncated>" KEY("store_events/a")
			 "</ListBucketResult>");
	free(x);
}
END_TEST

START_TEST(test_delimiter_next_marker_replaced)
{
	const char *page = HEAD "<Delimiter>/</Delimiter><NextMarker>private/</NextMarker>" TRUE_
		KEY("a.txt") CP("archive/") CP("private/") "</ListBucketResult>";
	char *x = filter(store, 1, page, INF_LIST_V1);
	char *want = store_marker("\xef\xbf\xbd"), *m = next_marker(x);
	const char *at = strstr(x, "<NextMarker>");

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, want);
	/* where S3's was */
	ck_assert_ptr_nonnull(at);
	ck_assert_int_eq(strncmp(x, HEAD "<Delimiter>/</Delimiter><NextMarker>",
				 (size_t)(at - x) + 12), 0);
	ck_assert_ptr_null(strstr(x, "private"));
	ck_assert_ptr_null(strstr(x, "archive"));
	free(m);
	free(want);
	free(x);
}
END_TEST

/* The page ends with a common prefix shown on the way to a prefix: S3's
 * NextMarker naming it is kept (it was left out, and a client paging from
 * the last Key shown went back). */
START_TEST(test_next_marker_naming_shown_prefix_kept)
{
	char *sales[] = { "store_events/sales/" };
	char *x = filter(sales, 1, HEAD "<NextMarker>store_events/</NextMarker>" TRUE_ CP("archive/")
			 CP("store_events/") "</ListBucketResult>", INF_LIST_V1);

	ck_assert_str_eq(x, HEAD "<NextMarker>store_events/</NextMarker>" TRUE_ CP("store_events/")
			 "</ListBucketResult>");
	free(x);
}
END_TEST

START_TEST(test_url_encoded_marker)
{
	const char *page = HEAD "<EncodingType>url</EncodingType>" TRUE_ KEY("archive%2F1")
		KEY("archive%2F2") "</ListBucketResult>";
	char *x = filter(store, 1, page, INF_LIST_V1 | INF_LIST_URL);
	char *m = next_marker(x);
	struct inf_buf want = { 0 };

	inf_buf_puts(&want, "store_events.");
	for (int i = 0; i < 252; i++)
		inf_buf_puts(&want, "%F4%8F%BF%BF");
	inf_buf_puts(&want, "%EF%BF%BF"); /* U+FFFF: no XML character needed */
	inf_buf_putc(&want, '\0');
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, want.data);
	inf_buf_free(&want);
	free(m);
	free(x);
}
END_TEST

START_TEST(test_v2_unchanged)
{
	char *x = filter(store, 1, HEAD "<KeyCount>2</KeyCount>" TRUE_
			 "<NextContinuationToken>tok</NextContinuationToken>" KEY("archive/1") KEY("archive/2")
			 "</ListBucketResult>", 0);

	ck_assert_str_eq(x, HEAD "<KeyCount>0</KeyCount>" TRUE_
			 "<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>");
	free(x);
}
END_TEST

/* A shown Contents loses its ETag (the MD5 of the stored bytes would
 * confirm a guess at what the view leaves out), the rest kept; a hidden
 * one goes whole; two ETags in one fail the answer. */
START_TEST(test_etag_left_out)
{
	char *x = filter(store, 1, HEAD "<KeyCount>3</KeyCount>"
			 "<Contents><ETag>&quot;faac&quot;</ETag><Key>store_events/a</Key><Size>342</Size></Contents>"
			 "<Contents><Key>archive/b</Key><ETag>&quot;beef&quot;</ETag></Contents>"
			 "<Contents><Key>store_events/c</Key><s3:ETag x=\"1\"/><Size>1</Size></Contents>"
			 "</ListBucketResult>", 0);

	ck_assert_str_eq(x, HEAD "<KeyCount>2</KeyCount>"
			 "<Contents><Key>store_events/a</Key><Size>342</Size></Contents>"
			 "<Contents><Key>store_events/c</Key><Size>1</Size></Contents></ListBucketResult>");
	free(x);
	ck_assert_ptr_null(filter(store, 1, HEAD "<Contents><Key>store_events/a</Key><ETag>1</ETag>"
				  "<ETag>2</ETag></Contents></ListBucketResult>", 0));
	ck_assert_ptr_null(filter(store, 1, HEAD "<Contents><Key>store_events/a</Key><ETag><b/></ETag>"
				  "</Contents></ListBucketResult>", 0));
}
END_TEST

START_TEST(test_marker_would_end_in_nul)
{
	char *odd[] = { "store\x01" };
	char *x = filter(odd, 1, ARCHIVE_PAGE, INF_LIST_V1);

	/* left as it was: no marker, still truncated */
	ck_assert_str_eq(x, HEAD "<Marker></Marker><MaxKeys>2</MaxKeys>" TRUE_ "</ListBucketResult>");
	free(x);
	x = filter(odd, 1, ARCHIVE_PAGE, INF_LIST_V1 | INF_LIST_URL);
	ck_assert_ptr_null(strstr(x, "NextMarker"));
	free(x);
}
END_TEST

/* Keys are decoded only when the answer says EncodingType url, wherever
 * under the root (S3 puts it after the Contents); a list that asked and
 * got none has raw keys, compared as they are. */
START_TEST(test_encoding_from_the_answer)
{
	char *x = filter(store, 1, HEAD KEY("store%5Fevents/x") KEY("store_events/a") "</ListBucketResult>",
			 INF_LIST_URL);

	ck_assert_str_eq(x, HEAD KEY("store_events/a") "</ListBucketResult>");
	free(x);
	x = filter(store, 1, HEAD KEY("store%5Fevents%2Fx") "<EncodingType>url</EncodingType></ListBucketResult>",
		   INF_LIST_URL);
	ck_assert_str_eq(x, HEAD KEY("store%5Fevents%2Fx") "<EncodingType>url</EncodingType></ListBucketResult>");
	free(x);
	/* nested deeper than the root's children, it says nothing */
	x = filter(store, 1, HEAD KEY("store%5Fevents/x") "<Owner><EncodingType>url</EncodingType></Owner>"
		   "</ListBucketResult>", INF_LIST_URL);
	ck_assert_ptr_null(strstr(x, "Key"));
	free(x);
}
END_TEST

/* The edges of decoding and of XML: a key whose URL decoding holds NUL
 * (which would cut it short, to a shown prefix) or whose character
 * reference names a surrogate, and markup inside an attribute value,
 * refuse the answer; '+' decodes to a space; an empty common prefix is
 * below no prefix of the access point. */
START_TEST(test_decoding_edges)
{
	char *short_[] = { "store" }, *spaced[] = { "store events/" };
	char *x;

	ck_assert_ptr_null(filter(short_, 1, HEAD KEY("store%00-hidden/k")
				  "<EncodingType>url</EncodingType></ListBucketResult>", INF_LIST_URL));
	ck_assert_ptr_null(filter(short_, 1, HEAD CP("store%00-hidden/")
				  "<EncodingType>url</EncodingType></ListBucketResult>", INF_LIST_URL));
	x = filter(spaced, 1, HEAD KEY("store+events/k") "<EncodingType>url</EncodingType></ListBucketResult>",
		   INF_LIST_URL);
	ck_assert_str_eq(x, HEAD KEY("store+events/k") "<EncodingType>url</EncodingType></ListBucketResult>");
	free(x);
	ck_assert_ptr_null(filter(store, 1, HEAD KEY("store_events/&#xDFFF;") "</ListBucketResult>", 0));
	ck_assert_ptr_null(filter(store, 1, HEAD KEY("store_events/&#xD800;") "</ListBucketResult>", 0));
	x = filter(store, 1, HEAD KEY("store_events/&#xE000;") "</ListBucketResult>", 0);
	ck_assert_str_eq(x, HEAD KEY("store_events/&#xE000;") "</ListBucketResult>");
	free(x);
	ck_assert_ptr_null(filter(store, 1, HEAD "<Contents a=\"<\"><Key>store_events/k</Key></Contents>"
				  "</ListBucketResult>", 0));
	x = filter(store, 1, HEAD CP("") CP("store_events/a/") "</ListBucketResult>", 0);
	ck_assert_str_eq(x, HEAD CP("store_events/a/") "</ListBucketResult>");
	free(x);
}
END_TEST

START_TEST(test_paging_elements_once)
{
	ck_assert_ptr_null(filter(store, 1, HEAD "<NextMarker>a</NextMarker><NextMarker>b</NextMarker>"
				  "</ListBucketResult>", INF_LIST_V1));
	ck_assert_ptr_null(filter(store, 1, HEAD TRUE_ "<IsTruncated>false</IsTruncated>"
				  "</ListBucketResult>", INF_LIST_V1));
	ck_assert_ptr_null(filter(store, 1, HEAD "<IsTruncated/></ListBucketResult>", INF_LIST_V1));
}
END_TEST

START_TEST(test_marker_idempotent)
{
	char *x = filter(store, 1, ARCHIVE_PAGE, INF_LIST_V1);
	char *y = filter(store, 1, x, INF_LIST_V1);

	ck_assert_str_eq(x, y);
	free(y);
	free(x);
}
END_TEST

/* ---- the marker itself ---- */

/* inf_list_marker for `q` alone after `last`, in *m. */
static int marker(const char *q, const char *last, int xml, struct inf_buf *m)
{
	char *p[] = { (char *)q };
	struct inf_access_point ap = { .name = "t", .prefixes = p, .nprefixes = 1 };

	return inf_list_marker(&ap, last, xml, m);
}

START_TEST(test_marker_code_points)
{
	struct inf_buf m = { 0 };

	/* U+E000 lowered past the surrogates to U+D7FF */
	ck_assert_int_eq(marker("k\xee\x80\x80", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "k\xed\x9f\xbf" U10FFFF, 8), 0);
	ck_assert_uint_eq(m.len, 1024);
	ck_assert_uint_eq((unsigned char)m.data[1020], 0xf4); /* 1020 = 4 + 254 x 4: nothing after */
	/* U+10000 lowered: U+FFFF, or in XML U+FFFD */
	ck_assert_int_eq(marker("k\xf0\x90\x80\x80", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "k\xef\xbf\xbf" U10FFFF, 8), 0);
	ck_assert_int_eq(marker("k\xf0\x90\x80\x80", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "k\xef\xbf\xbd" U10FFFF, 8), 0);
	/* none, one, two and three bytes left after the U+10FFFF: nothing,
	 * U+007F, U+07FF, U+FFFF (in XML U+FFFD) */
	ck_assert_int_eq(marker("abcd", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_uint_eq(m.len, 1024);
	ck_assert_int_eq(memcmp(m.data, "abcc" U10FFFF, 8), 0);
	ck_assert_int_eq(memcmp(m.data + 1020, U10FFFF, 4), 0);
	ck_assert_int_eq(marker("abc", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_uint_eq(m.len, 1024);
	ck_assert_int_eq(memcmp(m.data + 1019, U10FFFF "\x7f", 5), 0);
	ck_assert_int_eq(marker("ab", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_uint_eq(m.len, 1024);
	ck_assert_int_eq(memcmp(m.data + 1018, U10FFFF "\xdf\xbf", 6), 0);
	ck_assert_int_eq(marker("b", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_uint_eq(m.len, 1024);
	ck_assert_int_eq(memcmp(m.data, "a" U10FFFF, 5), 0);
	ck_assert_int_eq(memcmp(m.data + 1017, U10FFFF "\xef\xbf\xbf", 7), 0);
	ck_assert_int_eq(marker("b", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data + 1017, U10FFFF "\xef\xbf\xbd", 7), 0);
	ck_assert(utf8_valid((const unsigned char *)m.data, m.len));
	/* U+FFFF lowered: U+FFFE, or in XML (which has neither) U+FFFD */
	ck_assert_int_eq(marker("b\xef\xbf\xbf", "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "b\xef\xbf\xbe" U10FFFF, 8), 0);
	ck_assert_int_eq(marker("b\xef\xbf\xbf", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "b\xef\xbf\xbd" U10FFFF, 8), 0);
	/* in XML a control lowered goes to the greatest of TAB, LF, CR below */
	ck_assert_int_eq(marker("b\x10", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(m.data[1], '\r');
	ck_assert_int_eq(marker("b\x0e", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(m.data[1], '\r');
	ck_assert_int_eq(marker("b\x0d", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(m.data[1], '\n');
	ck_assert_int_eq(marker("b\x0a", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(m.data[1], '\t');
	inf_buf_free(&m);
}
END_TEST

START_TEST(test_marker_edges)
{
	struct inf_buf m = { 0 };
	char long_q[1100];

	ck_assert_int_eq(marker("\x01", "", 0, &m), INF_MARKER_NONE);      /* NUL */
	ck_assert_int_eq(marker("b\x01", "a", 0, &m), INF_MARKER_NONE);
	ck_assert_int_eq(marker("b/", "c", 0, &m), INF_MARKER_END);       /* nothing after */
	ck_assert_int_eq(marker("b/", "b/x", 0, &m), INF_MARKER_NONE);    /* last under it */
	ck_assert_int_eq(marker("b\x0b", "a", 1, &m), INF_MARKER_NEXT);  /* XML: U+000A */
	ck_assert_int_eq(m.data[1], '\n');
	ck_assert_int_eq(marker("b\x07", "a", 1, &m), INF_MARKER_NONE);  /* XML has none */
	ck_assert_int_eq(marker("b\x07", "a", 0, &m), INF_MARKER_NEXT);
	/* in XML text q's other code points must be characters XML has: a
	 * space and U+10FFFF are, U+0007 is not */
	ck_assert_int_eq(marker("a b/", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "a b.", 4), 0);
	ck_assert_int_eq(marker("k" U10FFFF "/", "a", 1, &m), INF_MARKER_NEXT);
	ck_assert_int_eq(memcmp(m.data, "k" U10FFFF ".", 6), 0);
	ck_assert_int_eq(marker("k\x07/", "a", 1, &m), INF_MARKER_NONE);
	ck_assert_int_eq(marker("k\x07/", "a", 0, &m), INF_MARKER_NEXT);
	memset(long_q, 'x', sizeof long_q - 1);
	long_q[sizeof long_q - 1] = '\0';
	ck_assert_int_eq(marker(long_q, "a", 0, &m), INF_MARKER_NONE);   /* past 1024 bytes */
	long_q[1025] = '\0';
	ck_assert_int_eq(marker(long_q, "a", 0, &m), INF_MARKER_NONE);
	long_q[1024] = '\0'; /* 1024 bytes: q itself lowered, nothing to fill */
	ck_assert_int_eq(marker(long_q, "a", 0, &m), INF_MARKER_NEXT);
	ck_assert_uint_eq(m.len, 1024);
	ck_assert_int_eq(m.data[1023], 'w');
	ck_assert_int_eq(memcmp(m.data, long_q, 1023), 0);
	/* a last past the XML marker (U+FFFE after it): left as it is */
	ck_assert_int_eq(marker("k\xf0\x90\x80\x80", "k\xef\xbf\xbe", 1, &m), INF_MARKER_NONE);
	inf_buf_free(&m);
}
END_TEST

START_TEST(test_marker_element_escapes)
{
	struct inf_buf out = { 0 };

	ck_assert_int_eq(inf_list_marker_element(&out, "a&<>\r b+/~", 10, 0), 0);
	inf_buf_putc(&out, '\0');
	ck_assert_str_eq(out.data, "<NextMarker>a&amp;&lt;&gt;&#13; b+/~</NextMarker>");
	inf_buf_reset(&out);
	ck_assert_int_eq(inf_list_marker_element(&out, "a&<>\r b+/~", 10, 1), 0);
	inf_buf_putc(&out, '\0');
	ck_assert_str_eq(out.data, "<NextMarker>a%26%3C%3E%0D%20b%2B/~</NextMarker>");
	inf_buf_free(&out);
}
END_TEST

static Suite *listfilter_suite(void)
{
	Suite *s = suite_create("listfilter");
	TCase *tc = tcase_create("paging");
	TCase *mk = tcase_create("marker");

	tcase_add_test(tc, test_last_hidden_gets_marker);
	tcase_add_test(tc, test_no_prefix_left_ends_the_list);
	tcase_add_test(tc, test_marker_from_smallest_prefix_after_last);
	tcase_add_test(tc, test_not_truncated_ending_hidden_unchanged);
	tcase_add_test(tc, test_hidden_next_marker_past_last_shown);
	tcase_add_test(tc, test_last_equal_entries_one_shown);
	tcase_add_test(tc, test_last_shown_unchanged);
	tcase_add_test(tc, test_delimiter_next_marker_replaced);
	tcase_add_test(tc, test_next_marker_naming_shown_prefix_kept);
	tcase_add_test(tc, test_url_encoded_marker);
	tcase_add_test(tc, test_v2_unchanged);
	tcase_add_test(tc, test_etag_left_out);
	tcase_add_test(tc, test_encoding_from_the_answer);
	tcase_add_test(tc, test_decoding_edges);
	tcase_add_test(tc, test_marker_would_end_in_nul);
	tcase_add_test(tc, test_paging_elements_once);
	tcase_add_test(tc, test_marker_idempotent);
	tcase_add_test(mk, test_marker_code_points);
	tcase_add_test(mk, test_marker_edges);
	tcase_add_test(mk, test_marker_element_escapes);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, mk);
	return s;
}

int main(void)
{
	return tu_run_suite(listfilter_suite());
}
