/* ratetab.h - a bounded in-memory table of exponentially decaying counters. */
#ifndef NYM_RATETAB_H
#define NYM_RATETAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Each entry holds a count that halves every half_life seconds: adding 1
 * per message gives a "recent messages" figure that a steady, slow flow
 * never pushes above a limit while a burst does.  Keys are 64-bit keyed
 * hashes (ratetab_key), so the table never holds an address.  At most max
 * entries are kept: when full, the eighth with the smallest decayed counts
 * (the idle and the light users) is dropped; entries that have decayed to
 * nearly nothing are dropped whenever the table is rebuilt.  Memory is
 * therefore bounded by max and follows the number of active keys.
 */
struct ratetab;

struct ratetab *ratetab_new(size_t max, double half_life);
void ratetab_free(struct ratetab *);

/* The table's keyed hash (SipHash-2-4, random key per table) of p. */
uint64_t ratetab_key(const struct ratetab *, const void *p, size_t n);

/* The count for key decayed to time now (0 when not tracked). */
double ratetab_get(const struct ratetab *, uint64_t key, double now);
/* Decay the count for key to now, then add amount. */
void ratetab_add(struct ratetab *, uint64_t key, double amount, double now);

size_t ratetab_count(const struct ratetab *);	/* entries held */
size_t ratetab_bytes(const struct ratetab *);	/* memory of the slots */
unsigned long ratetab_evicted(const struct ratetab *);

/* v decayed over dt seconds with the given half-life (dt < 0 counts as 0). */
double ratetab_decay(double v, double dt, double half_life);

/* SipHash-2-4 of p under a 128-bit key. */
uint64_t siphash24(const unsigned char key[16], const void *p, size_t n);

#endif
