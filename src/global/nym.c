/* nym.c - tag-length-value encoding of nym records and pending changes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "nym.h"
#include "util.h"

/*
 * Records are a sequence of fields: one tag byte, a 4-byte big-endian
 * length, the bytes.  Unknown tags are skipped, so later versions can add
 * fields without a migration.
 */
static void
put(struct buf *b, int tag, const void *p, size_t n)
{
	unsigned char h[5];

	h[0] = (unsigned char)tag;
	h[1] = (unsigned char)(n >> 24);
	h[2] = (unsigned char)(n >> 16);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)n;
	buf_add(b, h, 5);
	buf_add(b, p, n);
}

static void
put_s(struct buf *b, int tag, const char *s)
{
	if (s != NULL)
		put(b, tag, s, strlen(s));
}

static void
put_l(struct buf *b, int tag, long v)
{
	char s[32];

	snprintf(s, sizeof(s), "%ld", v);
	put_s(b, tag, s);
}

static void
put_block(struct buf *b, const struct nym_block *bl)
{
	struct buf t = BUF_INIT;

	buf_addf(&t, "%c%.6f:", bl->set ? bl->set : '-', bl->prob);
	buf_adds(&t, bl->text);
	put(b, 'B', t.s, t.len);
	buf_free(&t);
}

/* Zero a passphrase before freeing it. */
static void
free_secret(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

struct cursor {
	const unsigned char *p, *end;
};

static int
get(struct cursor *c, int *tag, const char **v, size_t *n)
{
	size_t len;

	if (c->p == c->end)
		return 1;
	if (c->end - c->p < 5)
		return -1;
	len = ((size_t)c->p[1] << 24) | ((size_t)c->p[2] << 16) |
	    ((size_t)c->p[3] << 8) | c->p[4];
	if (len > (size_t)(c->end - c->p - 5))
		return -1;
	*tag = c->p[0];
	*v = (const char *)c->p + 5;
	*n = len;
	c->p += 5 + len;
	return 0;
}

static long
to_long(const char *v, size_t n)
{
	char s[32];

	if (n >= sizeof(s))
		return 0;
	memcpy(s, v, n);
	s[n] = '\0';
	return strtol(s, NULL, 10);
}

static int
add_block(struct nym_block **bl, size_t *n, const char *v, size_t len)
{
	const char *colon = memchr(v, ':', len);
	char num[32];
	struct nym_block *b;

	if (colon == NULL || colon == v || (size_t)(colon - v) >= sizeof(num))
		return -1;
	*bl = xrealloc(*bl, (*n + 1) * sizeof(**bl));
	b = &(*bl)[(*n)++];
	b->set = v[0] == '-' ? 0 : v[0];
	memcpy(num, v + 1, (size_t)(colon - v - 1));
	num[colon - v - 1] = '\0';
	b->prob = strtod(num, NULL);
	b->text = xstrndup(colon + 1, len - (size_t)(colon + 1 - v));
	return 0;
}

void
nym_encode(const struct nym *y, struct buf *out)
{
	size_t i;

	buf_reset(out);
	put_s(out, 'N', y->name);
	put_l(out, 'S', y->state);
	put_l(out, 'F', (long)y->flags);
	put_l(out, 'L', y->limited);
	put_s(out, 'n', y->fullname);
	put_s(out, 'f', y->fpr);
	put(out, 'K', y->key.s ? y->key.s : "", y->key.len);
	put_l(out, 'c', y->created);
	put_l(out, 'l', y->lastsig);
	put_l(out, 'w', y->lastwarn);
	put_s(out, 'g', y->gen);
	if (y->keyknown)
		put_l(out, 'x', y->keyexp);
	if (y->keyrevoked)
		put_l(out, 'R', y->keyrevoked);
	if (y->keywarned)
		put_l(out, 'W', y->keywarned);
	for (i = 0; i < y->nblocks; i++)
		put_block(out, &y->blocks[i]);
	/* Pool delivery: written only when used, so older records and
	 * older readers (which skip unknown tags) are unaffected. */
	if (y->delivery != NYM_DELIVER_BLOCKS)
		put_l(out, 'D', y->delivery);
	put_s(out, 'H', y->hsub);
	put_s(out, 'Y', y->symkey);
	put_s(out, 'J', y->subject);
	put_s(out, 'b', y->batch);
}

int
nym_decode(const void *p, size_t len, struct nym *y)
{
	struct cursor c = { p, (const unsigned char *)p + len };
	const char *v;
	size_t n;
	int tag, rc;

	memset(y, 0, sizeof(*y));
	while ((rc = get(&c, &tag, &v, &n)) == 0) {
		switch (tag) {
		case 'N': free(y->name); y->name = xstrndup(v, n); break;
		case 'S': y->state = (int)to_long(v, n); break;
		case 'F': y->flags = (unsigned)to_long(v, n); break;
		case 'L': y->limited = (int)to_long(v, n); break;
		case 'n': free(y->fullname); y->fullname = xstrndup(v, n); break;
		case 'f': free(y->fpr); y->fpr = xstrndup(v, n); break;
		case 'K': buf_set(&y->key, v, n); break;
		case 'c': y->created = to_long(v, n); break;
		case 'l': y->lastsig = to_long(v, n); break;
		case 'w': y->lastwarn = to_long(v, n); break;
		case 'g': free(y->gen); y->gen = xstrndup(v, n); break;
		case 'x': y->keyexp = to_long(v, n); y->keyknown = 1; break;
		case 'R': y->keyrevoked = (int)to_long(v, n); break;
		case 'W': y->keywarned = (int)to_long(v, n); break;
		case 'D':
			/* A value this version does not know: the blocks. */
			y->delivery = (int)to_long(v, n);
			if (y->delivery < NYM_DELIVER_BLOCKS ||
			    y->delivery > NYM_DELIVER_BOTH)
				y->delivery = NYM_DELIVER_BLOCKS;
			break;
		case 'H': free_secret(y->hsub); y->hsub = xstrndup(v, n); break;
		case 'Y':
			free_secret(y->symkey);
			y->symkey = xstrndup(v, n);
			break;
		case 'J': free(y->subject); y->subject = xstrndup(v, n); break;
		case 'b': free(y->batch); y->batch = xstrndup(v, n); break;
		case 'B':
			if (add_block(&y->blocks, &y->nblocks, v, n) < 0)
				rc = -1;
			break;
		default: break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0 || y->name == NULL) {
		nym_free(y);
		return -1;
	}
	return 0;
}

void
nym_blocks_free(struct nym_block *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i].text != NULL) {
			memset(b[i].text, 0, strlen(b[i].text));
			free(b[i].text);
		}
	}
	free(b);
}

struct nym_block *
nym_blocks_copy(const struct nym_block *b, size_t n)
{
	struct nym_block *c = xcalloc(n ? n : 1, sizeof(*c));
	size_t i;

	for (i = 0; i < n; i++) {
		c[i] = b[i];
		c[i].text = xstrdup(b[i].text);
	}
	return c;
}

void
nym_free(struct nym *y)
{
	free(y->name);
	free(y->fullname);
	free(y->fpr);
	free(y->gen);
	free_secret(y->hsub);
	free_secret(y->symkey);
	free(y->subject);
	free(y->batch);
	buf_wipe(&y->key);
	nym_blocks_free(y->blocks, y->nblocks);
	memset(y, 0, sizeof(*y));
}

void
nym_pending_encode(const struct nym_pending *pd, struct buf *out)
{
	size_t i;

	buf_reset(out);
	put_s(out, 'N', pd->name);
	put_l(out, 'C', pd->create);
	put_l(out, 'c', pd->created);
	put_s(out, 'f', pd->fpr);
	put_s(out, 'g', pd->gen);
	put_l(out, 'T', pd->nym_created);
	put_s(out, 'b', pd->batch);
	if (pd->index > 0) {
		put_l(out, 'i', pd->index);
		put_l(out, 'm', pd->count);
	}
	for (i = 0; i < pd->nblocks; i++)
		put_block(out, &pd->blocks[i]);
}

int
nym_pending_decode(const void *p, size_t len, struct nym_pending *pd)
{
	struct cursor c = { p, (const unsigned char *)p + len };
	const char *v;
	size_t n;
	int tag, rc;

	memset(pd, 0, sizeof(*pd));
	while ((rc = get(&c, &tag, &v, &n)) == 0) {
		switch (tag) {
		case 'N': free(pd->name); pd->name = xstrndup(v, n); break;
		case 'C': pd->create = (int)to_long(v, n); break;
		case 'c': pd->created = to_long(v, n); break;
		case 'f': free(pd->fpr); pd->fpr = xstrndup(v, n); break;
		case 'g': free(pd->gen); pd->gen = xstrndup(v, n); break;
		case 'T': pd->nym_created = to_long(v, n); break;
		case 'b': free(pd->batch); pd->batch = xstrndup(v, n); break;
		case 'i': pd->index = (int)to_long(v, n); break;
		case 'm': pd->count = (int)to_long(v, n); break;
		case 'B':
			if (add_block(&pd->blocks, &pd->nblocks, v, n) < 0)
				rc = -1;
			break;
		default: break;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0 || pd->name == NULL) {
		nym_pending_free(pd);
		return -1;
	}
	return 0;
}

void
nym_pending_free(struct nym_pending *pd)
{
	free(pd->name);
	free(pd->fpr);
	free(pd->gen);
	free(pd->batch);
	nym_blocks_free(pd->blocks, pd->nblocks);
	memset(pd, 0, sizeof(*pd));
}

size_t
nym_choose_blocks(const struct nym_block *b, size_t n, size_t *idx)
{
	size_t i, j, k = 0;
	char done[26];

	memset(done, 0, sizeof(done));
	for (i = 0; i < n; i++) {
		double total = 0, r, acc = 0;
		int s;

		if (b[i].set == 0) {
			idx[k++] = i;
			continue;
		}
		s = b[i].set - 'a';
		if (s < 0 || s >= 26 || done[s])
			continue;
		done[s] = 1;
		for (j = i; j < n; j++)
			if (b[j].set == b[i].set)
				total += b[j].prob > 0 ? b[j].prob : 0;
		if (total <= 0)
			continue;
		/* A uniform draw in [0, total) from 2^32 steps. */
		r = (double)util_random_below(1UL << 32) / 4294967296.0 * total;
		for (j = i; j < n; j++) {
			if (b[j].set != b[i].set || b[j].prob <= 0)
				continue;
			acc += b[j].prob;
			if (r < acc) {
				idx[k++] = j;
				break;
			}
		}
	}
	return k;
}

void
nym_list_encode(struct buf *out, const struct buf *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put(out, 'I', items[i].s ? items[i].s : "", items[i].len);
}

int
nym_list_decode(const void *p, size_t len, struct buf **items, size_t *n)
{
	struct cursor c = { p, (const unsigned char *)p + len };
	const char *v;
	size_t vn;
	int tag, rc;

	*items = NULL;
	*n = 0;
	while ((rc = get(&c, &tag, &v, &vn)) == 0) {
		if (tag != 'I')
			continue;
		*items = xrealloc(*items, (*n + 1) * sizeof(**items));
		buf_init(&(*items)[*n]);
		buf_set(&(*items)[(*n)++], v, vn);
	}
	return rc < 0 ? -1 : 0;
}
