/* expire.h - idle nyms, expiring keys, stale confirmations and records. */
#ifndef NYM_EXPIRE_H
#define NYM_EXPIRE_H

#include <time.h>

#include "conf.h"
#include "store.h"

#define EXPIRE_WARN_DAYS 90	/* first warning after this idle time */
#define EXPIRE_WARN_EVERY 10	/* then every so many days */
#define EXPIRE_WIPE_DAYS 120	/* wiped after this idle time */
#define EXPIRE_CONFIRM_DAYS 7	/* unconfirmed blocks and accounts */

struct expire_counts {
	unsigned warned, wiped, unconfirmed, dropped_changes, replay_pruned;
	unsigned handoffs_dropped;	/* outbox records the MTA gave up on */
	unsigned keys_warned;	/* keys about to expire (30 and 7 days) */
};

/*
 * One pass at time now.  With dry_run nothing is changed or sent; the
 * counts say what would be.  Each record is read again inside the
 * transaction that acts on it and left alone unless it still deserves
 * its verdict; wiping a nym wipes what hangs on it (account_forget).  Returns 0, or -1 on a state or hand-off
 * failure (what was done stays done; the next run continues).
 */
int expire_run(const struct conf *, struct store *, time_t now, int dry_run,
    struct expire_counts *);

#endif
