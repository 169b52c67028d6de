/* test_stamp.c - keyed-hash stamps on a real LMDB state: limits, windows,
 * purposes, expiry, and nothing readable left behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "stamp.h"
#include "store.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/nymstampXXXXXX";

/* Does any key or value in DB_PENDING contain needle? */
struct find {
	const char *needle;
	int found;
	size_t stamps;
};

static int
find_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct find *f = arg;
	size_t n = strlen(f->needle);

	if ((kl >= n && memmem(k, kl, f->needle, n) != NULL) ||
	    (vl >= n && memmem(v, vl, f->needle, n) != NULL))
		f->found = 1;
	if (kl > strlen(STAMP_PREFIX) &&
	    memcmp(k, STAMP_PREFIX, strlen(STAMP_PREFIX)) == 0)
		f->stamps++;
	return 0;
}

static int
find_fn(struct stxn *t, void *arg)
{
	return txn_iter(t, DB_PENDING, NULL, 0, find_cb, arg);
}

static struct find
look(struct store *st, const char *needle)
{
	struct find f = { needle, 0, 0 };

	store_read(st, find_fn, &f);
	return f;
}

int
main(void)
{
	struct store *st;
	char err[256];
	time_t now = 1800000000;
	unsigned char h[32];
	struct buf hx = BUF_INIT;
	int i, rc = 0;

	if (mkdtemp(dir) == NULL ||
	    store_open(&st, dir, 1 << 20, 1, err, sizeof(err)) != STORE_OK) {
		printf("not ok - cannot make a state in /tmp\n");
		return 1;
	}
	for (i = 0; i < 3; i++)
		rc |= stamp_take(st, STAMP_HELP, "victim@example.org", now + i,
		    3600, 3);
	T(rc == 0, "three answers within the limit of 3 are counted");
	T(stamp_take(st, STAMP_HELP, "Victim@EXAMPLE.org", now + 10, 3600,
	    3) == 1, "the fourth in the hour is refused (any case)");
	T(stamp_take(st, STAMP_LIST, "victim@example.org", now + 10, 3600,
	    3) == 0, "another purpose counts apart");
	T(stamp_take(st, STAMP_HELP, "other@example.org", now + 10, 3600,
	    3) == 0, "another address counts apart");
	T(stamp_take(st, STAMP_HELP, "victim@example.org", now + 3599, 3600,
	    3) == 1, "still refused at the end of the window");
	T(stamp_take(st, STAMP_HELP, "victim@example.org", now + 3600, 3600,
	    3) == 0, "a new window once the first has passed");
	T(stamp_drop(st, STAMP_HELP, "victim@example.org") == 0 &&
	    stamp_take(st, STAMP_HELP, "victim@example.org", now + 3601,
	    3600, 1) == 0, "a dropped stamp gives the use back");

	T(!look(st, "victim").found && !look(st, "example").found,
	    "no address in the state, in keys or values");
	util_sha256("victim@example.org", strlen("victim@example.org"), h);
	util_hex(&hx, h, sizeof(h));
	T(!look(st, hx.s).found, "not its plain SHA-256 either (the hash "
	    "is keyed)");
	T(look(st, "").stamps == 3, "one stamp per purpose and address (3)");

	T(stamp_expire(st, now + 3601 + 3600) == 3 &&
	    look(st, "").stamps == 0, "expire after the windows: all gone");
	for (i = 0; i < 300; i++) {
		buf_reset(&hx);
		buf_addf(&hx, "a%d@example.org", i);
		stamp_take(st, STAMP_HELP, hx.s, now, 60, 1);
	}
	T(look(st, "").stamps == 300, "300 stamps");
	T(stamp_take(st, STAMP_HELP, "late@example.org", now + 61, 60, 1) ==
	    0 && look(st, "").stamps == 300 - 256 + 1,
	    "a later stamp write removes expired ones (256 at a time)");
	T(stamp_expire(st, now + 200) == 45 && look(st, "").stamps == 0,
	    "expire removes the rest, more than 256 if need be");
	store_close(st);
	buf_reset(&hx);
	buf_addf(&hx, "rm -rf %s", dir);
	if (system(hx.s) != 0)
		T(0, "cleanup");
	buf_free(&hx);
	T_END();
}
