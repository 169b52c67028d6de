/* account.h - nym accounts: config@ requests, confirmation, lookups. */
#ifndef NYM_ACCOUNT_H
#define NYM_ACCOUNT_H

#include "buf.h"
#include "deliver.h"
#include "gpg.h"
#include "nym.h"
#include "req.h"
#include "sigreq.h"
#include "store.h"

/* config@HOST: create, modify or delete a nym (never answers the sender). */
void account_config(struct req *r);
/* confirm+COOKIE@HOST: activate a pending reply block. */
void account_confirm(struct req *r);

/* Read a nym record.  STORE_OK, STORE_NOTFOUND or STORE_ERR. */
int account_get(struct store *, const char *name, struct nym *out);

/* Is name taken by a nym or an alias (or reserved)? */
int account_name_taken(struct stxn *, const char *name);

/*
 * Verify sr against one armored public key in a throw-away GnuPG home.
 * The verified plaintext (request text proper) goes to content; the
 * key's facts to ki and, if norm is not NULL, the key re-exported
 * minimal (filled even when the signature is not by this key).  GPG_OK
 * only for a good signature by that key.
 */
int account_verify(const struct conf *, const struct sigreq *sr,
    const struct buf *key, struct gpg_keyinfo *ki, struct gpg_sig *sig,
    struct buf *content, struct buf *norm);

/*
 * Replay cache.  account_replay_check: STORE_NOTFOUND (new), STORE_OK
 * (done before: drop), or STORE_EXISTS with the stored outcome in
 * outcome (a retry after a temporary failure: hand it on again).
 */
int account_replay_check(struct store *, const unsigned char hash[32],
    struct buf *outcome);
/* Record hash as pending with its outcome, inside a write transaction. */
int account_replay_put(struct stxn *, const unsigned char hash[32],
    long now, const struct buf *outcome);
/*
 * The replay gate of every signed request: returns if hash is new; drops
 * a replay (exit 0); finishes the stored outcome of a request that failed
 * temporarily before (exit 0), so the MTA's retry is never a replay.
 */
void account_replay_gate(struct req *r, const unsigned char hash[32]);
/*
 * The common start of config@ and send@: load the server's key
 * fingerprints, find the signed request in the message (dropping the
 * message, exit 0, if there is none) and pass the replay gate.  The
 * pre-verification text (the request proper) goes to pre.
 */
void account_request_begin(struct req *r, struct server_keys *keys,
    struct sigreq *sr, struct buf *pre);
/*
 * Rewrite nym name's record inside t: edit changes the decoded record.
 * STORE_NOTFOUND if there is no such nym.
 */
int account_update(struct stxn *t, const char *name,
    void (*edit)(struct nym *, void *), void *arg);
/* Mark it done (the outcome was handed on). */
int account_replay_done(struct store *, const unsigned char hash[32],
    long now);

#endif
