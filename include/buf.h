/* buf.h - the one growable byte buffer used everywhere. */
#ifndef NYM_BUF_H
#define NYM_BUF_H

#include <stddef.h>
#include <stdarg.h>

/*
 * A buffer always holds a terminating NUL after len bytes (not counted),
 * so s may be passed where a C string is wanted when it holds no NUL.
 * Allocation failure never returns: it ends the process with a temporary
 * failure (die_nomem), like Postfix's mymalloc.
 */
struct buf {
	char *s;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_wipe(struct buf *);		/* zero the bytes, then free */
void buf_reset(struct buf *);		/* len = 0, keep storage */
void buf_reserve(struct buf *, size_t extra);
void buf_add(struct buf *, const void *, size_t);
void buf_adds(struct buf *, const char *);
void buf_addc(struct buf *, int);
void buf_addf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *, const char *fmt, va_list)
    __attribute__((format(printf, 2, 0)));
void buf_set(struct buf *, const void *, size_t);
void buf_sets(struct buf *, const char *);
char *buf_steal(struct buf *);		/* caller owns the string */

/* Allocation helpers that never return NULL. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);

#endif
