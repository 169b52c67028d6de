/* bench/outbox.c - what exactly-once deliveries cost in the state, in one run.
 *
 *   build/rel/bench/outbox [ROUNDS] [DIR]
 *
 * A delivery used to make one LMDB write transaction (the chunk count);
 * now it makes the count and the outbox record in one, and after the
 * last hand-off a second that deletes the record (a delivery through n
 * blocks: n - 1 more, recording progress).  Both patterns are run
 * alternately on one store, ROUNDS times each (default 200), with a
 * payload of a typical encrypted message (8 KiB); the mean time of each
 * and their ratio are printed.  DIR (default /tmp) holds the store: put
 * it on the file system the state lives on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "nymmail.h"
#include "replay.h"
#include "store.h"

struct arg {
	unsigned char id[32];
	struct buf payload;
	int del;
};

static int
old_fn(struct stxn *t, void *p)
{
	int over;

	(void)p;
	return chunks_add(t, "bench", time(NULL), 1, 1UL << 30, &over, NULL);
}

static int
new_fn(struct stxn *t, void *p)
{
	struct arg *a = p;
	int over, rc;

	if (a->del)
		return txn_del(t, DB_OUTBOX, a->id, 32);
	rc = chunks_add(t, "bench", time(NULL), 1, 1UL << 30, &over, NULL);
	if (rc < 0)
		return rc;
	return outbox_put(t, a->id, "bench", 1, 2, &a->payload);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200, i;
	char dir[256], err[256];
	struct store *st;
	struct arg a;
	double t0, t_old = 0, t_new = 0;

	snprintf(dir, sizeof(dir), "%s/nymbench.XXXXXX", argc > 2 ? argv[2] :
	    "/tmp");
	if (rounds < 1 || mkdtemp(dir) == NULL ||
	    store_open(&st, dir, 1 << 24, 1, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "outbox: cannot make a store in %s\n", dir);
		return 1;
	}
	memset(&a, 0, sizeof(a));
	buf_init(&a.payload);
	for (i = 0; i < 8192; i++)
		buf_addc(&a.payload, 'A' + i % 26);
	for (i = 0; i < rounds; i++) {
		memcpy(a.id, &i, sizeof(i));
		t0 = now_ms();
		if (store_write(st, old_fn, NULL) < 0)
			return 1;
		t_old += now_ms() - t0;
		t0 = now_ms();
		a.del = 0;
		if (store_write(st, new_fn, &a) < 0)
			return 1;
		a.del = 1;
		if (store_write(st, new_fn, &a) < 0)
			return 1;
		t_new += now_ms() - t0;
	}
	printf("state writes of one delivery, %d rounds, store in %s:\n"
	    "  count only (before):            mean %7.3f ms\n"
	    "  count + outbox, then delete:    mean %7.3f ms\n"
	    "  ratio: %.2f\n", rounds, dir, t_old / rounds, t_new / rounds,
	    t_new / t_old);
	store_close(st);
	buf_free(&a.payload);
	{
		struct buf cmd = BUF_INIT;

		buf_addf(&cmd, "rm -rf %s", dir);
		i = system(cmd.s);
		buf_free(&cmd);
	}
	return i != 0;
}
