/* buf.c - growable byte buffer and allocation helpers that never fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "buf.h"
#include "die.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die_nomem();
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
		die_nomem();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		die_nomem();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		die_nomem();
	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
buf_init(struct buf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->s);
	buf_init(b);
}

/* Clear secrets (passphrases, plaintext) before the memory is reused. */
void
buf_wipe(struct buf *b)
{
	if (b->s != NULL) {
		volatile char *p = b->s;
		size_t i;

		for (i = 0; i < b->cap; i++)
			p[i] = 0;
	}
	buf_free(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

/* Make room for extra more bytes plus the terminating NUL. */
void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;

	if (extra > SIZE_MAX - b->len - 1)
		die_nomem();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	b->s = xrealloc(b->s, ncap);
	if (b->cap == 0)
		b->s[0] = '\0';	/* a fresh buffer is an empty string */
	b->cap = ncap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		die_nomem();
	buf_reserve(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void
buf_set(struct buf *b, const void *p, size_t n)
{
	buf_reset(b);
	buf_add(b, p, n);
}

void
buf_sets(struct buf *b, const char *s)
{
	buf_set(b, s, strlen(s));
}

char *
buf_steal(struct buf *b)
{
	char *s;

	if (b->s == NULL)
		buf_reserve(b, 0);
	s = b->s;
	buf_init(b);
	return s;
}
