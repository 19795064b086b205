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
 *   <NextMarker>      (v1) left out unless it lies inside the prefixes: it
 *                     names the last key or common prefix of the page, so
 *                     it would name a hidden one; without it a client pages
 *                     on from the last <Key> shown, as S3 documents;
 *   <KeyCount>        (v2) rewritten to what is shown;
 *   <EncodingType>    must say "url" exactly when the list asked for
 *                     encoding-type=url; keys, prefixes and NextMarker are
 *                     then decoded before they are compared.
 * Start tags are recognised with attributes and namespace prefixes, their
 * names case-insensitively. Anything the filter cannot read (an unclosed
 * or mismatched tag, text outside the root or beside the elements of the
 * root or a block, a comment, CDATA, a DOCTYPE, a processing instruction
 * but the XML declaration at the start (which holds no markup),
 * a NUL byte, an unknown entity, a block with two keys, one of those elements
 * anywhere else) fails the whole LIST. The other elements that echo key
 * names are the caller's own (Prefix, Marker, StartAfter, Delimiter,
 * ContinuationToken) or opaque (NextContinuationToken). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "list.h"
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
	long kept;
	long key_count_at;      /* where in `out` KeyCount's text goes, or -1 */
	int root_seen;
	int url;                /* the list asked for encoding-type=url */
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

/* Handles the start or empty tag `t` at `p`; returns where reading goes
 * on, or NULL with `why` set. */
static const char *start_tag(struct walk *w, const char *p, const struct inf_xml_tag *t,
			     const char **why)
{
	const char *text_end, *after;
	char *v;
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
	} else if (w->depth == 1 && (inf_xml_named(t, "NextMarker") || inf_xml_named(t, "KeyCount") ||
				     inf_xml_named(t, "EncodingType"))) {
		if (!(v = inf_xml_text_element(t, w->end, &text_end, &after)))
			return *why = "an unreadable NextMarker, KeyCount or EncodingType", NULL;
		if (inf_xml_named(t, "EncodingType")) {
			/* keys are read the way the list asked for them */
			int url = !strcasecmp(v, "url");
			free(v);
			return url == w->url ? after
			       : (*why = "an EncodingType the list did not ask for", NULL);
		}
		if (inf_xml_named(t, "NextMarker") && w->url && url_decode(v)) {
			free(v);
			return *why = "a NextMarker that is not URL-encoded", NULL;
		}
		if (inf_xml_named(t, "KeyCount")) {
			if (w->key_count_at >= 0 || t->kind == INF_XML_EMPTY) {
				free(v);
				return *why = "a KeyCount twice or empty", NULL;
			}
			if (skip(w, t->end, text_end)) {
				free(v);
				return *why = "out of memory", NULL;
			}
			w->key_count_at = (long)w->out->len;
		} else if (!inf_ap_allows_key(w->ap, v) && skip(w, p, after)) {
			free(v);
			return *why = "out of memory", NULL;
		}
		free(v);
		return after;
	} else if (w->depth == 2 && w->blk &&
		   inf_xml_named(t, w->blk_prefixes ? "Prefix" : "Key")) {
		if (w->blk_value)
			return *why = "a block with two keys", NULL;
		if (!(w->blk_value = inf_xml_text_element(t, w->end, &text_end, &after)))
			return *why = "an unreadable Key or Prefix", NULL;
		return after;
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

/* Handles the end tag `t`; returns where reading goes on, or NULL with
 * `why` set. */
static const char *end_tag(struct walk *w, const struct inf_xml_tag *t, const char **why)
{
	if (!w->depth || !inf_xml_same_name(&w->open[w->depth - 1], t))
		return *why = "an end tag that is not that of the open element", NULL;
	if (--w->depth == 1 && w->blk) {
		int show;

		if (w->blk_value && w->url && url_decode(w->blk_value))
			return *why = "a Key or Prefix that is not URL-encoded", NULL;
		show = w->blk_value &&
			   (w->blk_prefixes ? prefix_visible(w->ap, w->blk_value)
					    : inf_ap_allows_key(w->ap, w->blk_value));
		if (!show && skip(w, w->blk, t->end))
			return *why = "out of memory", NULL;
		w->kept += show;
		free(w->blk_value);
		w->blk_value = NULL;
		w->blk = NULL;
	}
	return t->end;
}

/* Copies `xml` to `out` without what the access point may not show (see
 * the top of the file). Returns 0, or -1 with `err` set when the answer
 * cannot be read; `out` then holds a part and is the caller's to free. */
int inf_list_filter(const struct inf_access_point *ap, const struct inf_buf *xml,
		    int url, struct inf_buf *out, struct inf_error *err)
{
	struct walk w = { .url = url };
	const char *p = xml->data, *at = p, *why = NULL, *nul;
	struct inf_buf fixed = { 0 };
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
	w.out = out;
	w.copied = p;
	w.key_count_at = -1;
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
			p = end_tag(&w, &t, &why);
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
	if (inf_buf_append(out, w.copied, (size_t)(w.end - w.copied))) {
		why = "out of memory";
		goto out;
	}
	if (w.key_count_at >= 0) {
		if (inf_buf_append(&fixed, out->data, (size_t)w.key_count_at) ||
		    inf_buf_printf(&fixed, "%ld", w.kept) ||
		    inf_buf_append(&fixed, out->data + w.key_count_at,
				   out->len - (size_t)w.key_count_at)) {
			why = "out of memory";
			goto out;
		}
		inf_buf_free(out);
		*out = fixed;
		memset(&fixed, 0, sizeof fixed);
	}
	rc = 0;
out:
	if (rc)
		inf_error_set(err, INF_FAIL_SOURCE,
			      "the list answer cannot be filtered (byte %zu: %s): refused",
			      (size_t)(at - xml->data), why ? why : "?");
	free(w.blk_value);
	inf_buf_free(&fixed);
	return rc;
}
