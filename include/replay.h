/* replay.h - the replay cache and the outbox: requests and their hand-offs. */
#ifndef NYM_REPLAY_H
#define NYM_REPLAY_H

#include "buf.h"
#include "conf.h"
#include "outcome.h"
#include "req.h"
#include "store.h"

/*
 * The replay cache (DB_REPLAY) holds one record per signed request,
 * keyed by its signature's identity (sigreq.h), written in the same
 * transaction as the request's state change, with the request's outcome
 * while hand-offs are left.  A record lives until its signature could no
 * longer be accepted: replay_until.
 */
long replay_until(const struct conf *, long now, long sigtime);
/* Record id as pending with outcome, inside t (STORE_EXISTS: seen). */
int replay_put(struct stxn *, const unsigned char id[32], long now,
    long until, const struct buf *outcome);
/*
 * Record id as done (no hand-offs), inside t: for a request that carries
 * no signature but must not act twice, as a used confirmation cookie.
 */
int replay_put_done(struct stxn *, const unsigned char id[32], long now,
    long until);
/*
 * The replay gate of every signed request: returns if id is new; drops a
 * replay (exit 0); finishes the stored outcome of a request that failed
 * temporarily before (exit 0), so the MTA's retry is never a replay.
 */
void replay_gate(struct req *r, const unsigned char id[32]);
/* Hand off o, recording progress in id's record (then marked done). */
void replay_run(struct req *r, const unsigned char id[32], long now,
    long until, struct outcome *o);

/*
 * The outbox (DB_OUTBOX) holds the hand-offs of mail that carries no
 * signature -- a delivery to a nym, a confirm+COOKIE@ notice -- while any
 * are left: written with the state change (chunk count, confirmation),
 * struck off one by one, deleted when the last is done.  The MTA's retry
 * after a temporary failure then does only what is left.  Records name
 * their nym (outbox_forget) and go after replay_days (the MTA gives up).
 */
int outbox_put(struct stxn *, const unsigned char id[32], const char *name,
    long now, long until, const struct buf *outcome);
/* If id has hand-offs left: do them and exit 0; else return. */
void outbox_gate(struct req *r, const unsigned char id[32]);
/* Hand off o, recording progress in id's outbox record (then deleted). */
void outbox_run(struct req *r, const unsigned char id[32], const char *name,
    long now, long until, struct outcome *o);
/* Delete every outbox record of nym name, inside t. */
int outbox_forget(struct stxn *, const char *name);

#endif
