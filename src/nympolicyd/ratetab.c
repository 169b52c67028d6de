/* ratetab.c - decaying counters in an open-addressing table with a size cap. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "buf.h"
#include "ratetab.h"

#define MIN_CAP 64
#define PURGE_BELOW 0.01	/* a count this small is as good as none */

struct slot {
	uint64_t key;		/* 0: empty */
	double v;		/* count at time t */
	double t;
};

struct ratetab {
	struct slot *s;
	size_t cap;		/* a power of two, at least twice n */
	size_t n;
	size_t max;		/* entries at most */
	size_t maxcap;
	double half_life;
	unsigned long evicted;
	unsigned char sipkey[16];
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static uint64_t
le64(const unsigned char *p)
{
	uint64_t x = 0;
	int i;

	for (i = 7; i >= 0; i--)
		x = (x << 8) | p[i];
	return x;
}

/* SipHash-2-4 (Aumasson and Bernstein), as in the reference code. */
uint64_t
siphash24(const unsigned char key[16], const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8), m, b;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	b = (uint64_t)n << 56;
	while (left-- > 0)
		b |= (uint64_t)p[i + left] << (8 * left);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

double
ratetab_decay(double v, double dt, double half_life)
{
	if (dt <= 0)
		return v;
	return v * exp2(-dt / half_life);
}

struct ratetab *
ratetab_new(size_t max, double half_life)
{
	struct ratetab *rt;
	size_t got = 0;

	if (max < 1 || half_life <= 0)
		return NULL;
	rt = xcalloc(1, sizeof(*rt));
	while (got < sizeof(rt->sipkey)) {
		ssize_t r = getrandom(rt->sipkey + got,
		    sizeof(rt->sipkey) - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(rt);
			return NULL;
		}
		got += (size_t)r;
	}
	rt->max = max;
	rt->half_life = half_life;
	for (rt->maxcap = MIN_CAP; rt->maxcap < 2 * max; rt->maxcap *= 2)
		;
	rt->cap = MIN_CAP;
	rt->s = xcalloc(rt->cap, sizeof(*rt->s));
	return rt;
}

void
ratetab_free(struct ratetab *rt)
{
	if (rt == NULL)
		return;
	free(rt->s);
	free(rt);
}

uint64_t
ratetab_key(const struct ratetab *rt, const void *p, size_t n)
{
	uint64_t k = siphash24(rt->sipkey, p, n);

	return k == 0 ? 1 : k;
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *
find(const struct ratetab *rt, uint64_t key)
{
	size_t mask = rt->cap - 1, i = (size_t)key & mask;

	while (rt->s[i].key != 0 && rt->s[i].key != key)
		i = (i + 1) & mask;
	return &rt->s[i];
}

double
ratetab_get(const struct ratetab *rt, uint64_t key, double now)
{
	const struct slot *sl = find(rt, key);

	if (sl->key == 0)
		return 0;
	return ratetab_decay(sl->v, now - sl->t, rt->half_life);
}

/*
 * Move the entries into a table of newcap slots, decayed to now, leaving
 * out those below PURGE_BELOW, those below cut, and up to ties of those
 * equal to cut.
 */
static void
rebuild(struct ratetab *rt, size_t newcap, double now, double cut,
    size_t ties)
{
	struct slot *old = rt->s;
	size_t oldcap = rt->cap, i;

	rt->s = xcalloc(newcap, sizeof(*rt->s));
	rt->cap = newcap;
	rt->n = 0;
	for (i = 0; i < oldcap; i++) {
		struct slot *sl;
		double v;

		if (old[i].key == 0)
			continue;
		v = ratetab_decay(old[i].v, now - old[i].t, rt->half_life);
		if (v < PURGE_BELOW || v < cut || (v == cut && ties > 0)) {
			if (v == cut && ties > 0)
				ties--;
			if (v >= PURGE_BELOW)
				rt->evicted++;
			continue;
		}
		sl = find(rt, old[i].key);
		sl->key = old[i].key;
		sl->v = v;
		sl->t = now;
		rt->n++;
	}
	free(old);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Full: drop the eighth of the entries with the smallest decayed counts. */
static void
evict(struct ratetab *rt, double now)
{
	double *v = xcalloc(rt->n, sizeof(*v)), cut;
	size_t i, j = 0, k = rt->n / 8, below = 0;

	if (k == 0)
		k = 1;
	for (i = 0; i < rt->cap; i++)
		if (rt->s[i].key != 0)
			v[j++] = ratetab_decay(rt->s[i].v, now - rt->s[i].t,
			    rt->half_life);
	qsort(v, j, sizeof(*v), cmp_double);
	cut = v[k - 1];
	for (i = 0; i < j && v[i] < cut; i++)
		below++;
	free(v);
	rebuild(rt, rt->cap, now, cut, k - below);
}

void
ratetab_add(struct ratetab *rt, uint64_t key, double amount, double now)
{
	struct slot *sl = find(rt, key);

	if (sl->key == 0) {
		if (rt->n >= rt->max)
			evict(rt, now);
		if ((rt->n + 1) * 2 > rt->cap) {
			/* Purge; grow unless that left the table sparse. */
			size_t newcap = rt->cap;

			rebuild(rt, rt->cap, now, 0, 0);
			if ((rt->n + 1) * 4 > rt->cap && rt->cap < rt->maxcap)
				newcap = rt->cap * 2;
			if (newcap != rt->cap)
				rebuild(rt, newcap, now, 0, 0);
		}
		sl = find(rt, key);
		sl->key = key;
		sl->v = amount;
		sl->t = now;
		rt->n++;
		return;
	}
	sl->v = ratetab_decay(sl->v, now - sl->t, rt->half_life) + amount;
	sl->t = now;
}

size_t
ratetab_count(const struct ratetab *rt)
{
	return rt->n;
}

size_t
ratetab_bytes(const struct ratetab *rt)
{
	return rt->cap * sizeof(*rt->s);
}

unsigned long
ratetab_evicted(const struct ratetab *rt)
{
	return rt->evicted;
}
