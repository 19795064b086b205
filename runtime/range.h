/*
 * Range and partNumber over a transformed object of known length, with
 * the HTTP semantics S3 itself has (shared docs §4):
 *   bytes=a-b, bytes=a-, bytes=-n  -> 206 with Content-Range
 *   a >= length, bytes=-0, empty object -> 416 InvalidRange
 *   malformed, other units, several ranges -> ignored: 200, whole object
 *   partNumber=p -> parts of 5 MiB; p outside 1..N -> 416 InvalidPartNumber;
 *   not a number -> 400 InvalidArgument; an empty object has one empty part
 *   both Range and partNumber -> 400 InvalidRequest
 */
#ifndef INF_RANGE_H
#define INF_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define INF_PART_SIZE 5242880ull

struct inf_slice {
	int status;         /* 200, 206, 400 or 416 */
	const char *code;   /* S3 error code for 400/416, else NULL */
	uint64_t start;     /* first byte sent */
	uint64_t len;       /* bytes sent */
	uint64_t total;     /* the transformed object's length */
	uint64_t parts;     /* part count when partNumber was asked, else 0 */
};

/* Decides what to send of an object of `total` bytes. `range` is the
 * Range header or query value and `part` the partNumber, NULL when
 * absent. */
void inf_slice_compute(const char *range, const char *part, uint64_t total,
		       struct inf_slice *out);

/* Writes why a slice with an error code cannot be served, for its
 * caller: the Range past the transformed length, the part outside
 * 1..parts, both given, or a partNumber that is no number. */
void inf_slice_message(const struct inf_slice *s, char *buf, size_t n);

/* Writes the Content-Range value of a 206 slice, "bytes a-e/L", into buf
 * (n bytes; INF_CONTENT_RANGE_MAX always suffice: three 20-digit numbers
 * and "bytes -/"). */
#define INF_CONTENT_RANGE_MAX 72
void inf_slice_content_range(const struct inf_slice *s, char *buf, size_t n);

#endif
