/* unread.h - answer a signed request that cannot be read. */
#ifndef NYM_UNREAD_H
#define NYM_UNREAD_H

#include "deliver.h"
#include "req.h"
#include "sigreq.h"

#define UNREAD_MAX_NYMS 8	/* nyms of one key told at most */

/*
 * A signed request to service (config, send) that cannot be carried out
 * for want of a readable text or a nym to act for: tell the nym whose
 * key made the signature what was wrong (why), through its reply
 * blocks -- never the envelope sender.  The signature names its key (an
 * unauthenticated hint); every nym with that key, up to UNREAD_MAX_NYMS,
 * whose stored key verifies the signature (a good, fresh one) is told,
 * encrypted as it takes notices.  The answer is recorded in the replay
 * cache, so a replay or the MTA's retry does not repeat it.  With no nym
 * to tell, the request is dropped (logged).  Always exits 0 (75 on a
 * temporary failure).
 */
void unread_answer(struct req *r, const struct server_keys *keys,
    const struct sigreq *sr, const char *service, const char *why)
    __attribute__((noreturn));

#endif
