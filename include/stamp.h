/* stamp.h - short-lived keyed-hash stamps: per-address budgets without addresses. */
#ifndef NYM_STAMP_H
#define NYM_STAMP_H

#include <time.h>

#include "store.h"

/*
 * A stamp counts what the server did for one name (an address, a
 * domain) within a window: automatic answers per requester address
 * (SECURITY.md 3.7), alias requests per address and per domain (3.16).
 * The state holds only HMAC-SHA256(secret, purpose, lowercased name) as
 * the key, in DB_PENDING under "stamp:", and "EXPIRES COUNT" as the
 * value; a stamp is deleted once it has expired (by any later stamp
 * write, and by nymctl expire), so neither the name nor the count
 * outlives its window.  The secret is the block list's (META blockkey),
 * used with a different input prefix, so a stamp never equals the block
 * hash of the same address.
 */
#define STAMP_PREFIX "stamp:"

/* Purposes (one letter each, part of the hashed input). */
enum {
	STAMP_HELP = 'h',	/* help@ answers, per reply address */
	STAMP_LIST = 'l',	/* list@/used@ answers, per reply address */
	STAMP_KEY = 'k',	/* remailer-key@ answers, per sender */
	STAMP_ALIAS_ADDR = 'a',	/* alias requests, per address */
	STAMP_ALIAS_DOMAIN = 'd'	/* alias requests, per domain */
};

struct stamp_key {
	unsigned char k[32];
};

/* The secret (made once if the state has none): STORE_OK or STORE_ERR. */
int stamp_key(struct store *, struct stamp_key *);

/*
 * Inside a write transaction: count one use of name for purpose within
 * window seconds.  Returns 0 when it fits (counted), 1 when limit uses
 * are already counted in the live window (nothing written), < 0 on
 * error.  The window starts with the first use.
 */
int stamp_txn_take(struct stxn *, const struct stamp_key *, int purpose,
    const char *name, time_t now, long window, unsigned limit);
/* Inside a write transaction: forget name's stamp for purpose. */
int stamp_txn_drop(struct stxn *, const struct stamp_key *, int purpose,
    const char *name);
/*
 * Inside a write transaction: take one unit of a global per-minute
 * budget kept under key in DB_PENDING as "MINUTE COUNT" (no name in it):
 * 0 taken, 1 spent (nothing written), or a STORE_* error.
 */
int stamp_txn_minute(struct stxn *, const char *key, time_t now,
    unsigned rate);
/* Inside a write transaction: delete up to 256 expired stamps. */
int stamp_txn_purge(struct stxn *, time_t now);

/* The same, each in its own write transaction (key fetched first). */
int stamp_take(struct store *, int purpose, const char *name, time_t now,
    long window, unsigned limit);
int stamp_drop(struct store *, int purpose, const char *name);
/* Delete every expired stamp (nymctl expire): the number, or -1. */
int stamp_expire(struct store *, time_t now);

#endif
