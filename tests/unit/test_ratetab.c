/* test_ratetab.c - decaying counters: the math, quotas over time, the cap. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>

#include "ratetab.h"
#include "t.h"

/* Check-then-count, as the policy does: 1 if the message passes. */
static int
offer(struct ratetab *rt, uint64_t k, double limit, double now)
{
	if (ratetab_get(rt, k, now) + 1 > limit)
		return 0;
	ratetab_add(rt, k, 1, now);
	return 1;
}

int
main(void)
{
	unsigned char key[16], msg[15];
	struct ratetab *rt;
	uint64_t a, b, heavy;
	double t;
	int i, pass;
	size_t bytes_small;

	/* The SipHash-2-4 paper's test vector (15-byte message). */
	for (i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	T(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL,
	    "siphash24 reference vector");
	T(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL,
	    "siphash24 empty message vector");

	T(ratetab_decay(8, 10, 10) == 4, "one half-life halves");
	T(fabs(ratetab_decay(8, 30, 10) - 1) < 1e-12, "three halve thrice");
	T(ratetab_decay(8, -5, 10) == 8, "time going back decays nothing");
	T(ratetab_new(0, 10) == NULL && ratetab_new(10, 0) == NULL,
	    "zero size or half-life refused");

	rt = ratetab_new(1000, 10);
	T(rt != NULL, "table made");
	a = ratetab_key(rt, "alice@example.org", 17);
	b = ratetab_key(rt, "bob@example.org", 15);
	T(a != b && a != 0 && a == ratetab_key(rt, "alice@example.org", 17),
	    "keys: distinct, non-zero, stable");
	T(ratetab_get(rt, a, 0) == 0, "untracked key counts 0");
	for (i = 0; i < 10; i++)
		ratetab_add(rt, a, 1, 100);
	T(ratetab_get(rt, a, 100) == 10, "ten adds count 10");
	T(fabs(ratetab_get(rt, a, 110) - 5) < 1e-9, "one half-life later: 5");
	T(ratetab_get(rt, b, 110) == 0, "other key untouched");
	ratetab_add(rt, a, 1, 110);
	T(fabs(ratetab_get(rt, a, 120) - 3) < 1e-9, "decay then add: 6 -> 3");
	ratetab_free(rt);

	/* Limit 10, half-life 60 s: 10 per minute flows forever... */
	rt = ratetab_new(1000, 60);
	a = ratetab_key(rt, "steady", 6);
	pass = 0;
	for (i = 0, t = 0; i < 5000; i++, t += 10)
		pass += offer(rt, a, 10, t);
	T(pass == 5000, "steady flow (1 per 10 s) always passes: %d/5000",
	    pass);
	/* ...a burst is cut at the limit... */
	b = ratetab_key(rt, "burst", 5);
	pass = 0;
	for (i = 0; i < 100; i++)
		pass += offer(rt, b, 10, t);
	T(pass == 10, "burst of 100 at once: 10 pass (%d)", pass);
	/* ...and the quota comes back as the count decays. */
	T(offer(rt, b, 10, t + 1) == 0, "1 s later still over");
	T(offer(rt, b, 10, t + 60) == 1, "a half-life later it passes");
	pass = 0;
	for (i = 0; i < 10; i++)
		pass += offer(rt, b, 10, t + 1200);
	T(pass >= 9, "twenty half-lives later the quota is back (%d of 10)",
	    pass);
	ratetab_free(rt);

	/* The cap: 100 entries at most; the heavy user is kept. */
	rt = ratetab_new(100, 3600);
	heavy = ratetab_key(rt, "heavy", 5);
	for (i = 0; i < 50; i++)
		ratetab_add(rt, heavy, 1, 0);
	bytes_small = ratetab_bytes(rt);
	for (i = 0; i < 100000; i++) {
		char k[32];
		int n = snprintf(k, sizeof(k), "sender%d@example.org", i);

		ratetab_add(rt, ratetab_key(rt, k, (size_t)n), 1,
		    (double)i / 1000);
		if (ratetab_count(rt) > 100)
			break;
	}
	T(ratetab_count(rt) <= 100, "never more than max entries (%zu)",
	    ratetab_count(rt));
	T(ratetab_bytes(rt) <= 256 * 24 && ratetab_bytes(rt) >= bytes_small,
	    "slots bounded by the cap (%zu bytes)", ratetab_bytes(rt));
	T(ratetab_evicted(rt) >= 99000, "evictions counted (%lu)",
	    ratetab_evicted(rt));
	T(ratetab_get(rt, heavy, 100) > 45, "the heavy sender survives "
	    "eviction of light ones (%.1f)", ratetab_get(rt, heavy, 100));
	{
		char k[32];
		int n = snprintf(k, sizeof(k), "sender%d@example.org", 99999);

		T(ratetab_get(rt, ratetab_key(rt, k, (size_t)n), 100) > 0.9,
		    "the most recent light sender is kept");
		n = snprintf(k, sizeof(k), "sender%d@example.org", 0);
		T(ratetab_get(rt, ratetab_key(rt, k, (size_t)n), 100) == 0,
		    "the least recent light sender was dropped");
	}
	ratetab_free(rt);

	/* Entries that decayed to nothing are purged as the table grows. */
	rt = ratetab_new(100000, 1);
	for (i = 0; i < 10000; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "k%d", i);

		/* 100 new keys per second, half-life 1 s: few alive. */
		ratetab_add(rt, ratetab_key(rt, k, (size_t)n), 1,
		    (double)i / 100);
	}
	T(ratetab_count(rt) < 2000, "idle entries purged (%zu of 10000 held)",
	    ratetab_count(rt));
	ratetab_free(rt);
	T_END();
}
