/* confirm.h - pending changes: confirm+COOKIE@ and the config@ confirm command. */
#ifndef NYM_CONFIRM_H
#define NYM_CONFIRM_H

#include "buf.h"
#include "conf.h"
#include "nym.h"
#include "req.h"
#include "store.h"

#define CONFIRM_COOKIE_BYTES 10	/* 80 bits from the CSPRNG, 20 hex digits */

/*
 * confirm+COOKIE@HOST: mail from any sender (a remailer, so the owner
 * need not show their address) activates the pending change, and the
 * notice goes through the confirmed blocks, exactly once across the
 * MTA's retries (the outbox).
 */
void confirm_mail(struct req *r);

/* Is cookie one we could have made (20 lowercase hex digits)? */
int confirm_cookie_ok(const char *cookie);
/* The DB_CONFIRM key of cookie: hex SHA-256 (the cookie is not stored). */
void confirm_key(const char *cookie, struct buf *key);

/* Bind pd to nym y: its name, key and incarnation. */
void confirm_bind(struct nym_pending *pd, const struct nym *y);
/*
 * Is y the very nym pd was made for (same name, key, creation stamp and
 * incarnation; still unconfirmed for a create)?  An old owner's cookie
 * never acts on the name's next owner, nor an old incarnation's on a
 * new one.
 */
int confirm_matches(const struct nym_pending *pd, const struct nym *y);
/* The blocks the confirmation notice goes through: the confirmed one. */
void confirm_blocks(const struct nym_pending *pd, const struct nym *y,
    const struct nym_block **blocks, size_t *n);
/* The notice that says what was confirmed (plaintext message). */
void confirm_notice(const struct conf *, const struct nym_pending *pd,
    const struct nym *y, time_t now, struct buf *plain);

/*
 * Read the pending change under key and its nym: STORE_OK (both, and they
 * match), STORE_NOTFOUND (no such cookie, no such nym, or not that nym's)
 * or STORE_ERR.
 */
int confirm_lookup(struct stxn *, const char *key, struct nym_pending *pd,
    struct nym *y);
/*
 * The write of a confirmation, inside t: read the pending change and its
 * nym again, and only if they still match, apply the change to the nym
 * as it is now (the block joins its request's set, or replaces an older
 * request's; a create's first block activates) and delete the cookie.
 * 0 done, 1 void (the cookie is gone
 * or the nym is not the one that asked), < 0 a store error.
 */
int confirm_commit(struct stxn *t, const char *key);
/*
 * The pending records of a request's n new blocks, inside t: block i
 * under cookies[i], each record tmpl (the binding, the request's batch
 * id, count n) with that one block and its index.
 */
int confirm_put_blocks(struct stxn *t, const struct nym_pending *tmpl,
    const struct nym_block *blocks, const struct buf *cookies, size_t n);
/* confirm_lookup of cookie in a read transaction of its own. */
int confirm_find(struct store *, const char *cookie, struct nym_pending *pd,
    struct nym *y);
/*
 * How the owner confirms new block index (1-based) of count anonymously,
 * with that block's own cookie, for the answer that goes through that
 * block only (issue 15, findings 9 and 11).
 */
void confirm_howto(struct buf *text, const struct conf *, const char *cookie,
    int index, int count, int creating);
/* Delete every pending change of nym name, inside t. */
int confirm_forget(struct stxn *t, const char *name);

#endif
