/* The LIST filter: a list answer (v1 or v2) is passed on with every key,
 * and every common prefix, that lies outside the access point's prefixes
 * left out (KeyCount adjusted). runtime/list.c serves LIST with it.
 *
 * The answer comes from the source, which is not trusted, so the filter
 * reads it as XML and fails closed: one <ListBucketResult> root whose
 * children are copied as they are, but for
 *   <Contents>        left out unless its <Key> lies inside the prefixes;
 *   <CommonPrefixes>  left out unless its <Prefix> lies inside them or on
 *                     the way to one;
 *   <NextMarker>      (at most one) left out unless it lies inside the
 *                     prefixes or names the common prefix the page ends
 *                     with, shown: it names the last key or common prefix
 *                     of the page, so it would name a hidden one;
 *   <IsTruncated>     (at most one, not empty) rewritten as below;
 *   <KeyCount>        (v2; at most one, not empty) rewritten to what is
 *                     shown;
 *   <ETag>            (at most one a Contents) left out of a Contents
 *                     shown: for an object written in one PUT it is the
 *                     MD5 of its stored bytes, which would confirm a
 *                     guess at what the view leaves out;
 *   <EncodingType>    may say "url" only when the list asked for
 *                     encoding-type=url, and nothing else then; when it
 *                     says so (anywhere under the root: S3 puts it after
 *                     the Contents), keys, prefixes and NextMarker are
 *                     decoded before they are compared. A list that asked
 *                     and got none (a server that ignores the parameter)
 *                     has its keys read as they are: decoded, a raw
 *                     "a%5Fb" would be compared as "a_b".
 * Start tags are recognised with attributes and namespace prefixes, their
 * names case-insensitively. Anything the filter cannot read (an unclosed
 * or mismatched tag, text outside the root or beside the elements of the
 * root or a block, a comment, CDATA, a DOCTYPE, a processing instruction
 * but the XML declaration at the start (which holds no markup),
 * a NUL byte, an unknown entity, a block with two keys, one of those elements
 * anywhere else) fails the whole LIST. The other elements that echo key
 * names are the caller's own (Prefix, Marker, StartAfter, Delimiter,
 * ContinuationToken) or opaque (NextContinuationToken).
 *
 * Paging v1 (ListObjects, INF_LIST_V1; the request says which, not the
 * answer): a client pages on from NextMarker, else from the last Key
 * shown. When IsTruncated is "true" and the page's last entry L (the
 * greatest Key, CommonPrefixes Prefix and NextMarker) is hidden, paging
 * from what is shown could end on a page with nothing shown, so the page
 * gets the marker of runtime/listmarker.c, made from the prefixes alone:
 * a <NextMarker> in place of S3's (or before the root's end tag) when a
 * prefix greater than L is left, IsTruncated "false" and no NextMarker
 * when none is. When no marker can be made (listmarker.h: the prefix
 * would end in NUL, is past S3's key length, or holds what XML text cannot
 * carry) the page is left as it is. v2 pages with its opaque
 * NextContinuationToken and is left as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "list.h"
#include "listmarker.h"
#include "xml.h"

#define DEPTH_MAX 32

/* A common prefix is shown when it lies inside an allowed prefix or on
 * the way to one ("store_events/" for "store_events/sales/"). */
static int prefix_visible(const struct inf_access_point *ap, const char *p)
{
	if (!*p)
		return 0;
	if (inf_ap_allows_key(ap, p))
		return 1;
	for (size_t i = 0; i < ap->nprefixes; i++)
		if (!strncmp(ap->prefixes[i], p, strlen(p)))
			return 1;
	return 0;
}

/* The texts put into the copy once the whole answer is read. */
enum { P_KEYCOUNT, P_TRUNCATED, P_MARKER, P_N };

/* Text that goes into the copy at `at` (-1: unused), in place of the
 * answer's own, which was left out there. */
struct patch {
	long at;
	const char *text;
	size_t len;
};

/* What the walk over one answer keeps track of. */
struct walk {
	const struct inf_access_point *ap;
	const char *end;
	struct inf_buf *out;
	const char *copied;     /* the answer is in `out` up to here */
	struct inf_xml_tag open[DEPTH_MAX];
	size_t depth;
	const char *blk;        /* the '<' of the open Contents or
				   CommonPrefixes, or NULL */
	int blk_prefixes;       /* it is a CommonPrefixes */
	char *blk_value;        /* its Key or Prefix, decoded */
	const char *etag, *etag_end; /* its ETag element, or NULL */
	long kept;
	int root_seen;
	long root_end_at;       /* where in `out` the root's end tag goes */
	unsigned flags;         /* INF_LIST_URL, INF_LIST_V1 */
	int decode;             /* the answer's EncodingType says "url" */
	char *last;             /* the greatest Key or Prefix, decoded */
	int last_shown;         /* a block holding it is shown */
	char *next_marker;      /* NextMarker, decoded, or NULL */
	int truncated;          /* IsTruncated says "true" */
	struct patch patch[P_N];
	char count[24];         /* KeyCount's text */
	struct inf_buf marker, element; /* the marker made, its element */
};

/* Decodes in place a key or prefix S3 sent URL-encoded (encoding-type=url:
 * %XX for a byte, '+' for a space), so that it is compared with the
 * prefixes as the key it is. Returns -1 for a bad escape or a NUL byte. */
static int url_decode(char *s)
{
	char *w = s;

	for (; *s; s++) {
		int hi, lo;
		if (*s != '%') {
			*w++ = *s == '+' ? ' ' : *s;
			continue;
		}
		if ((hi = inf_hex_digit(s[1])) < 0 || (lo = inf_hex_digit(s[2])) < 0 || hi + lo == 0)
			return -1;
		*w++ = (char)(hi * 16 + lo);
		s += 2;
	}
	*w = '\0';
	return 0;
}

/* Leaves [a, b) of the answer out of the copy. */
static int skip(struct walk *w, const char *a, const char *b)
{
	if (inf_buf_append(w->out, w->copied, (size_t)(a - w->copied)))
		return -1;
	w->copied = b;
	return 0;
}

/* EncodingType's text `v`: keys are read the way the list asked for
 * them. Returns 0, or -1 with `why` set. */
static int encoding_type(struct walk *w, const char *v, const char **why)
{
	int url = !strcasecmp(v, "url");

	if (url != !!(w->flags & INF_LIST_URL))
		return *why = "an EncodingType the list did not ask for", -1;
	return 0;
}

/* NextMarker, at [p, after) with its text `*v`: left out of the copy for
 * now, its place noted; whether it goes back is decided at the end
 * (settle_paging). Takes *v. Returns 0, or -1 with `why` set. */
static int next_marker(struct walk *w, const char *p, const char *after, char **v,
		       const char **why)
{
	struct patch *pt = &w->patch[P_MARKER];

	if (pt->at >= 0)
		return *why = "a NextMarker twice", -1;
	if (w->decode && url_decode(*v))
		return *why = "a NextMarker that is not URL-encoded", -1;
	if (skip(w, p, after))
		return *why = "out of memory", -1;
	pt->at = (long)w->out->len;
	pt->text = p;
	pt->len = (size_t)(after - p);
	w->next_marker = *v;
	*v = NULL;
	return 0;
}

/* KeyCount or IsTruncated (`which`), the element `t` with the text `v`
 * ending at `text_end`: its text is left out of the copy and put back at
 * the end, KeyCount's counted, IsTruncated's perhaps rewritten. Returns 0,
 * or -1 with `why` set. */
static int text_patch(struct walk *w, int which, const struct inf_xml_tag *t,
		      const char *text_end, const char *v, const char **why)
{
	struct patch *pt = &w->patch[which];

	if (pt->at >= 0 || t->kind == INF_XML_EMPTY)
		return *why = which == P_KEYCOUNT ? "a KeyCount twice or empty"
						  : "an IsTruncated twice or empty", -1;
	if (skip(w, t->end, text_end))
		return *why = "out of memory", -1;
	pt->at = (long)w->out->len;
	pt->text = t->end;
	pt->len = (size_t)(text_end - t->end);
	if (which == P_TRUNCATED)
		w->truncated = !strcmp(v, "true");
	return 0;
}

/* Whether `t` is one of the text elements of the root the filter reads. */
static int root_text_named(const struct inf_xml_tag *t)
{
	return inf_xml_named(t, "NextMarker") || inf_xml_named(t, "KeyCount") ||
	       inf_xml_named(t, "IsTruncated") || inf_xml_named(t, "EncodingType");
}

/* The root's text element `t` at `p` (root_text_named). Returns where
 * reading goes on, or NULL with `why` set. */
static const char *root_text(struct walk *w, const char *p, const struct inf_xml_tag *t,
			     const char **why)
{
	const char *text_end, *after;
	char *v;
	int rc;

	if (!(v = inf_xml_text_element(t, w->end, &text_end, &after)))
		return *why = "an unreadable NextMarker, KeyCount, IsTruncated or EncodingType", NULL;
	if (inf_xml_named(t, "EncodingType"))
		rc = encoding_type(w, v, why);
	else if (inf_xml_named(t, "NextMarker"))
		rc = next_marker(w, p, after, &v, why);
	else
		rc = text_patch(w, inf_xml_named(t, "KeyCount") ? P_KEYCOUNT : P_TRUNCATED, t,
				text_end, v, why);
	free(v);
	return rc ? NULL : after;
}

/* Handles the start or empty tag `t` at `p`; returns where reading goes
 * on, or NULL with `why` set. */
static const char *start_tag(struct walk *w, const char *p, const struct inf_xml_tag *t,
			     const char **why)
{
	const char *text_end, *after;
	int blk = inf_xml_named(t, "Contents") || inf_xml_named(t, "CommonPrefixes");

	if (w->depth == 0) {
		if (w->root_seen || !inf_xml_named(t, "ListBucketResult"))
			return *why = "the root is not one ListBucketResult", NULL;
		w->root_seen = 1;
	} else if (w->depth == 1 && blk) {
		w->blk = p;
		w->blk_prefixes = inf_xml_named(t, "CommonPrefixes");
		if (t->kind == INF_XML_EMPTY) { /* nothing in it to show */
			w->blk = NULL;
			return skip(w, p, t->end) ? (*why = "out of memory", NULL) : t->end;
		}
	} else if (w->depth == 1 && root_text_named(t)) {
		return root_text(w, p, t, why);
	} else if (w->depth == 2 && w->blk &&
		   inf_xml_named(t, w->blk_prefixes ? "Prefix" : "Key")) {
		if (w->blk_value)
			return *why = "a block with two keys", NULL;
		if (!(w->blk_value = inf_xml_text_element(t, w->end, &text_end, &after)))
			return *why = "an unreadable Key or Prefix", NULL;
		return after;
	} else if (w->depth == 2 && w->blk && !w->blk_prefixes && inf_xml_named(t, "ETag")) {
		char *v = NULL;

		if (w->etag)
			return *why = "a Contents with two ETags", NULL;
		if (t->kind != INF_XML_EMPTY &&
		    !(v = inf_xml_text_element(t, w->end, &text_end, &after)))
			return *why = "an unreadable ETag", NULL;
		free(v);
		w->etag = p;
		w->etag_end = t->kind == INF_XML_EMPTY ? t->end : after;
		return w->etag_end;
	} else if (blk || inf_xml_named(t, "NextMarker") || inf_xml_named(t, "KeyCount") || inf_xml_named(t, "Key")) {
		return *why = "a Contents, CommonPrefixes, Key, NextMarker or KeyCount out of place", NULL;
	}
	if (t->kind == INF_XML_START) {
		if (w->depth == DEPTH_MAX)
			return *why = "nesting too deep", NULL;
		w->open[w->depth++] = *t;
	}
	return t->end;
}

/* Keeps the block value *v (taking it) as the page's last entry when it
 * is the greatest yet; `shown` says whether its block is shown. */
static void note_last(struct walk *w, char **v, int shown)
{
	int c = w->last ? strcmp(*v, w->last) : 1;

	if (c > 0) {
		free(w->last);
		w->last = *v;
		*v = NULL;
		w->last_shown = shown;
	} else if (c == 0) {
		w->last_shown |= shown;
	}
}

/* Handles the end tag `t` at `p`; returns where reading goes on, or NULL
 * with `why` set. */
static const char *end_tag(struct walk *w, const char *p, const struct inf_xml_tag *t,
			   const char **why)
{
	if (!w->depth || !inf_xml_same_name(&w->open[w->depth - 1], t))
		return *why = "an end tag that is not that of the open element", NULL;
	if (--w->depth == 0) { /* the root's: a marker may go before it */
		if (skip(w, p, p))
			return *why = "out of memory", NULL;
		w->root_end_at = (long)w->out->len;
	} else if (w->depth == 1 && w->blk) {
		int show;

		if (w->blk_value && w->decode && url_decode(w->blk_value))
			return *why = "a Key or Prefix that is not URL-encoded", NULL;
		show = w->blk_value &&
			   (w->blk_prefixes ? prefix_visible(w->ap, w->blk_value)
					    : inf_ap_allows_key(w->ap, w->blk_value));
		if (show ? w->etag && skip(w, w->etag, w->etag_end) : skip(w, w->blk, t->end))
			return *why = "out of memory", NULL;
		w->etag = NULL;
		w->kept += show;
		if (w->blk_value)
			note_last(w, &w->blk_value, show);
		free(w->blk_value);
		w->blk_value = NULL;
		w->blk = NULL;
	}
	return t->end;
}

/* Decides, once the whole answer is read, what goes in place of
 * NextMarker and IsTruncated (see the top). Returns 0, or -1 when memory
 * ran out. */
static int settle_paging(struct walk *w)
{
	const char *last = w->last, *nm = w->next_marker;
	struct patch *mk = &w->patch[P_MARKER];
	int shown = w->last_shown, c, v;

	if (nm && (c = last ? strcmp(nm, last) : 1) >= 0) {
		shown = (c ? 0 : shown) | inf_ap_allows_key(w->ap, nm);
		last = nm;
	}
	if (nm && !inf_ap_allows_key(w->ap, nm) && !(shown && !strcmp(nm, last)))
		mk->len = 0;
	if (!(w->flags & INF_LIST_V1) || !w->truncated || !last || shown)
		return 0;
	v = inf_list_marker(w->ap, last, !w->decode, &w->marker);
	if (v < 0)
		return -1;
	if (v == INF_MARKER_END) {
		w->patch[P_TRUNCATED].text = "false";
		w->patch[P_TRUNCATED].len = 5;
		mk->len = 0;
	} else if (v == INF_MARKER_NEXT) {
		if (inf_list_marker_element(&w->element, w->marker.data, w->marker.len,
					    w->decode))
			return -1;
		if (mk->at < 0)
			mk->at = w->root_end_at;
		mk->text = w->element.data;
		mk->len = w->element.len;
	}
	return 0;
}

/* The unused patch that goes first in the copy, or -1 when none is left
 * (on equal places, the one of the lower index). */
static int first_patch(const struct walk *w, const int *used)
{
	int next = -1;

	for (int i = 0; i < P_N; i++)
		if (!used[i] && w->patch[i].at >= 0 &&
		    (next < 0 || w->patch[i].at < w->patch[next].at))
			next = i;
	return next;
}

/* Puts the patches' texts into `out` at their places, in one new copy.
 * Returns 0, or -1 when memory ran out (`out` is then as it was). */
static int apply_patches(const struct walk *w, struct inf_buf *out)
{
	struct inf_buf fixed = { 0 };
	int used[P_N] = { 0 }, i;
	size_t from = 0;

	if (first_patch(w, used) < 0)
		return 0;
	while ((i = first_patch(w, used)) >= 0) {
		size_t at = (size_t)w->patch[i].at;
		used[i] = 1;
		if (inf_buf_append(&fixed, out->data + from, at - from) ||
		    inf_buf_append(&fixed, w->patch[i].text, w->patch[i].len)) {
			inf_buf_free(&fixed);
			return -1;
		}
		from = at;
	}
	if (inf_buf_append(&fixed, out->data + from, out->len - from)) {
		inf_buf_free(&fixed);
		return -1;
	}
	inf_buf_free(out);
	*out = fixed;
	return 0;
}

/* Whether a child of the root of [p, end) is <EncodingType> saying "url".
 * A first look, before the walk that checks everything (and refuses what
 * this one stops at). */
static int says_url(const char *p, const char *end)
{
	size_t depth = 0;
	int url = 0;

	while (!url && (p = memchr(p, '<', (size_t)(end - p)))) {
		struct inf_xml_tag t;
		const char *text_end, *after;
		char *v;

		if (inf_xml_read_tag(p, end, &t))
			break;
		if (t.kind == INF_XML_START && depth == 1 && inf_xml_named(&t, "EncodingType")) {
			if (!(v = inf_xml_text_element(&t, end, &text_end, &after)))
				break;
			url = !strcasecmp(v, "url");
			free(v);
		}
		depth += t.kind == INF_XML_START;
		depth -= t.kind == INF_XML_END && depth > 0;
		p = t.end;
	}
	return url;
}

/* Copies `xml` to `out` without what the access point may not show (see
 * the top of the file). Returns 0, or -1 with `err` set when the answer
 * cannot be read; `out` then holds a part and is the caller's to free. */
int inf_list_filter(const struct inf_access_point *ap, const struct inf_buf *xml,
		    unsigned flags, struct inf_buf *out, struct inf_error *err)
{
	struct walk w = { .flags = flags, .root_end_at = -1 };
	const char *p = xml->data, *at = p, *why = NULL, *nul;
	int rc = -1;

	if (!xml->len) /* nothing allocated yet */
		return inf_error_set(err, INF_FAIL_SOURCE, "the list answer is empty: refused");
	/* XML holds no NUL; a name cut at one would be compared short
	 * ("store<NUL>-hidden/" as "store", on the way to "store_events/") */
	if ((nul = memchr(xml->data, '\0', xml->len)))
		return inf_error_set(err, INF_FAIL_SOURCE,
				     "the list answer cannot be filtered (byte %zu: a NUL byte): refused",
				     (size_t)(nul - xml->data));
	w.ap = ap;
	w.end = xml->data + xml->len;
	w.decode = (flags & INF_LIST_URL) && says_url(xml->data, w.end);
	w.out = out;
	w.copied = p;
	for (int i = 0; i < P_N; i++)
		w.patch[i].at = -1;
	while (p && p < w.end) {
		struct inf_xml_tag t;

		at = p;
		if (*p != '<') {
			const char *z = memchr(p, '<', (size_t)(w.end - p));
			if (!z)
				z = w.end;
			/* the root and the blocks hold elements only */
			for (; (w.depth <= 1 || (w.depth == 2 && w.blk)) && at < z; at++)
				if (!inf_xml_space(*at)) {
					why = "text outside the root, or beside the elements of the root or a block";
					goto out;
				}
			p = z;
			continue;
		}
		if (inf_xml_read_tag(p, w.end, &t)) {
			why = "markup it cannot read (a comment, CDATA, DOCTYPE or a broken tag)";
			goto out;
		}
		if (t.kind == INF_XML_DECL) {
			if (p != xml->data) {
				why = "an XML declaration that is not at the start";
				goto out;
			}
			p = t.end;
		} else if (t.kind == INF_XML_END) {
			p = end_tag(&w, p, &t, &why);
		} else {
			p = start_tag(&w, p, &t, &why);
		}
	}
	if (!p)
		goto out;
	at = w.end;
	if (!w.root_seen || w.depth) {
		why = w.root_seen ? "an element is not closed" : "no ListBucketResult";
		goto out;
	}
	snprintf(w.count, sizeof w.count, "%ld", w.kept);
	w.patch[P_KEYCOUNT].text = w.count;
	w.patch[P_KEYCOUNT].len = strlen(w.count);
	if (inf_buf_append(out, w.copied, (size_t)(w.end - w.copied)) || settle_paging(&w) ||
	    apply_patches(&w, out)) {
		why = "out of memory";
		goto out;
	}
	rc = 0;
out:
	if (rc)
		inf_error_set(err, INF_FAIL_SOURCE,
			      "the list answer cannot be filtered (byte %zu: %s): refused",
			      (size_t)(at - xml->data), why ? why : "?");
	free(w.blk_value);
	free(w.last);
	free(w.next_marker);
	inf_buf_free(&w.marker);
	inf_buf_free(&w.element);
	return rc;
}
