/*
 * inf_buf: the one growable byte buffer used everywhere in the core.
 * The buffer owns `data`; `len` bytes are in use. Growth is geometric, so
 * a buffer reused across records stops allocating once it has seen the
 * largest one.
 */
#ifndef INF_BUF_H
#define INF_BUF_H

#include <stddef.h>
#include <string.h>

struct inf_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t lead; /* bytes of the allocation before data (inf_buf_phase) */
};

/* Makes room for `extra` more bytes. Returns 0 or INF_ERR_NOMEM. The
 * check is inline: most calls find the room there. */
int inf_buf_grow(struct inf_buf *b, size_t extra);
static inline int inf_buf_reserve(struct inf_buf *b, size_t extra)
{
	return extra <= b->cap - b->len ? 0 : inf_buf_grow(b, extra);
}
/* Appends `n` bytes. Returns 0 or INF_ERR_NOMEM. */
int inf_buf_append(struct inf_buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string. Returns 0 or INF_ERR_NOMEM. */
int inf_buf_puts(struct inf_buf *b, const char *s);
/* Appends one byte. Returns 0 or INF_ERR_NOMEM. */
int inf_buf_putc(struct inf_buf *b, char c);
/* Appends formatted text (vsnprintf rules). Returns 0, INF_ERR_NOMEM, or
 * INF_ERR_INVALID when vsnprintf fails (the buffer is then unchanged). */
int inf_buf_printf(struct inf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drops the first `n` bytes, keeping the rest. */
void inf_buf_consume(struct inf_buf *b, size_t n);
/* Moves the contents, keeping them, so that data sits at an address
 * congruent to `at` modulo INF_BUF_PHASE. Bytes read into or written from
 * the buffer at a file offset congruent to their address copy 4-6 times
 * faster in the kernel (rep movsb; tools/bench/PROFILE.md item 20), so
 * callers give the file offset of data[0]. A buffer with no memory yet is
 * left as it is. Once phased, data is not a pointer free() takes. */
#define INF_BUF_PHASE 64u
void inf_buf_phase(struct inf_buf *b, unsigned long long at);
/* memcpy, for copies whose source and destination may be out of phase:
 * libc copies 4 KiB and more with rep movsb, 6-15 times slower on this
 * CPU when dst sits 1-31 bytes past src modulo INF_BUF_PHASE; such a copy
 * is made in 2 KiB pieces, which libc copies with vector moves. */
void inf_copy_large(void *dst, const void *src, size_t n);
static inline void inf_copy(void *dst, const void *src, size_t n)
{
	if (n >= 4096)
		inf_copy_large(dst, src, n);
	else
		memcpy(dst, src, n);
}
/* Empties the buffer, keeping its memory. */
static inline void inf_buf_reset(struct inf_buf *b) { b->len = 0; }
/* Releases the memory; the buffer is empty and reusable afterwards. */
void inf_buf_free(struct inf_buf *b);

/* Grows the array *pp (pointer to its first element, `elem` bytes each,
 * *cap elements) to at least `need` elements, doubling from 16; contents
 * are kept. Returns 0 or INF_ERR_NOMEM (the array is then unchanged). */
int inf_array_grow(void *pp, size_t *cap, size_t need, size_t elem);

#endif
