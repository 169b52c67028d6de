/* account.h - nym accounts: config@ requests, confirmation, lookups. */
#ifndef NYM_ACCOUNT_H
#define NYM_ACCOUNT_H

#include "buf.h"
#include "deliver.h"
#include "gpg.h"
#include "mime.h"
#include "nym.h"
#include "req.h"
#include "sigreq.h"
#include "store.h"

/* config@HOST: create, modify, delete or confirm (never answers the sender). */
void account_config(struct req *r);

/* Read a nym record.  STORE_OK, STORE_NOTFOUND or STORE_ERR. */
int account_get(struct store *, const char *name, struct nym *out);

/* Is name taken by a nym or an alias (or reserved)? */
int account_name_taken(struct stxn *, const char *name);

/*
 * The common start of config@ and send@: load the server's key
 * fingerprints, find the signed request in the message (dropping the
 * message, exit 0, if there is none) and pass the replay gate.  The
 * pre-verification text (the request proper, with any protected
 * headers) goes to pre; a request whose text cannot be read is answered
 * through its signer's nym (unread_answer) and goes no further.
 */
void account_request_begin(struct req *r, struct server_keys *keys,
    struct sigreq *sr, struct mime_text *pre);
/*
 * Rewrite nym name's record inside t: edit changes the decoded record.
 * STORE_NOTFOUND if there is no such nym.
 */
int account_update(struct stxn *t, const char *name,
    void (*edit)(struct nym *, void *), void *arg);
/*
 * Is a the same nym as b -- the same key and the same incarnation of the
 * name (creation stamp, random id) -- whatever else changed?  Writes that
 * act on a record read earlier check this inside their transaction.
 */
int account_same(const struct nym *a, const struct nym *b);
/*
 * Delete nym name and everything that hangs on it, inside t: its chunk
 * counter, every pending confirmation (an old cookie must never act on
 * the name's next owner) and its outbox records.  Config delete, the
 * idle wipe and nymctl wipe all go through here.  STORE_OK,
 * STORE_NOTFOUND or STORE_ERR.
 */
int account_forget(struct stxn *t, const char *name);

#endif
