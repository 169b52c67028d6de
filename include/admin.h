/* admin.h - operator actions on the state for nymctl: stats, wipe, disable, check. */
#ifndef NYM_ADMIN_H
#define NYM_ADMIN_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "store.h"

/* Numbers only: nothing here names a nym user or an address. */
struct admin_stats {
	size_t nyms, active, pending, disabled, limited;
	size_t aliases, confirmations, replay;
	size_t blocked, block_requests;
	unsigned long chunks_today;	/* sum over nyms, this UTC day */
};

/* Count the state at time now.  0, or -1 on a state error. */
int admin_stats(struct store *, time_t now, struct admin_stats *);

/*
 * Delete nym name and what hangs on it (account_forget: its chunk
 * counter, pending confirmations and outbox records).
 * STORE_OK, STORE_NOTFOUND or STORE_ERR.
 */
int admin_wipe(struct store *, const char *name);

/*
 * Operator disable (on) or enable (off) of nym name: on sets NF_DISABLE;
 * off clears NF_DISABLE and the daily-limit mark.  Same return values.
 */
int admin_disable(struct store *, const char *name, int on);

/*
 * Integrity of the state and the server's keys: one line per problem is
 * appended to out.  Returns the number of problems, or -1 if the state
 * could not be read at all.
 */
int admin_check(const struct conf *, struct store *, struct buf *out);

#endif
