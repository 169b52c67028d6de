/* nymkey.h - a nym's key: verification in a throw-away home, its lifetime. */
#ifndef NYM_NYMKEY_H
#define NYM_NYMKEY_H

#include "buf.h"
#include "conf.h"
#include "deliver.h"
#include "gpg.h"
#include "mime.h"
#include "nym.h"
#include "sigreq.h"

#define NYMKEY_WARN_FIRST 30	/* days before expiry: first warning */
#define NYMKEY_WARN_LAST 7	/* ... and the last */

/*
 * Verify sr against an armored nym key in a throw-away GnuPG home: key,
 * and, when also is not NULL, a second block imported after it -- a
 * copy of the same key carried by the request (refreshed expiry, a
 * revocation), which gpg merges with the first.  ki gets the facts of
 * key alone; merged (if not NULL) those after also: merged->nkeys is 1
 * when also was the same key, and only then is the signature checked
 * (otherwise the home holds two keys and GPG_BAD is returned).  sig gets
 * gpg's verdict: check sig->good, or sig->valid for a sound signature by
 * a key that has expired or is revoked.  For a valid signature the
 * verified text is read into content (if not NULL); norm (if not NULL)
 * gets the key, merged if it was, re-exported minimal.  GPG_OK when gpg
 * checked a signature; GPG_BAD if the key cannot be read, the message
 * holds no signature, or a valid signature's text cannot be read;
 * GPG_TEMP on engine trouble.
 */
int nymkey_verify(const struct conf *, const struct sigreq *sr,
    const struct buf *key, const struct buf *also, struct gpg_keyinfo *ki,
    struct gpg_keyinfo *merged, struct gpg_sig *sig,
    struct mime_text *content, struct buf *norm);

/* What signed a config@ request (nymkey_auth). */
enum nymkey_who {
	NKA_TEMP = -2,		/* engine trouble: retry */
	NKA_NONE = -1,		/* neither key made a sound signature */
	NKA_STORED = 1,		/* the nym's stored key did (sig->good, or
				   ->valid only: the key expired, revoked) */
	NKA_CARRIED = 2		/* the carried key made a good signature,
				   and the stored one (if any) did not */
};

/*
 * Who signed sr: the stored key of a nym (NULL: no such nym) -- with the
 * carried key (Public-Key:, or NULL) merged into it when that is a copy
 * of the same key, so that a stored copy past its expiry is refreshed by
 * a newer one and a stored revocation is never lost -- else, the carried
 * key alone.  oldki: the stored key's facts; newki and newkey: the
 * carried key's (the merged key's when *merged), newkey re-exported
 * minimal; content: the verified text; sig: the verdict.
 */
int nymkey_auth(const struct conf *, const struct sigreq *sr,
    const struct buf *stored, const struct buf *carried,
    struct gpg_keyinfo *oldki, struct gpg_keyinfo *newki,
    struct buf *newkey, struct mime_text *content, struct gpg_sig *sig,
    int *merged);

/* The facts of an armored key, read in a throw-away home. */
int nymkey_facts(const struct conf *, const struct buf *key,
    struct gpg_keyinfo *ki);

/* Keep ki's lifetime in y: a new key, a refreshed one, or one learnt. */
void nymkey_record(struct nym *y, const struct gpg_keyinfo *ki);

/*
 * Why y's key no longer serves at time now -- "the nym's key has
 * expired" or "... has been revoked" -- or NULL if it does (or its
 * lifetime is not known yet).  A permanent state: mail is refused 5.2.1.
 */
const char *nymkey_unusable(const struct nym *y, long now);

/*
 * After signing and encrypting to key failed: the key's own state,
 * looked at afresh -- the reason if it has expired or is revoked (the
 * failure is the key's, permanent), else NULL (ours: temporary).
 */
const char *nymkey_failed(const struct conf *, const struct buf *key);

/*
 * May the server write to y's owner at now?  0 when the nym takes only
 * encrypted mail (+cryptrecv) and its key has expired or is revoked:
 * nothing may then go out in clear, and gpg encrypts to no such key.
 */
int nymkey_reachable(const struct nym *y, long now);

/* Which warning (NYMKEY_WARN_FIRST/_LAST) y's key deserves at now: 0
 * none, or none again (each threshold is warned once per expiry date). */
int nymkey_warn_due(const struct nym *y, long now);

/* How the owner of y refreshes its key, for notices. */
void nymkey_howto(struct buf *b, const struct conf *, const struct nym *y);

/*
 * deliver_prepare for a notice to a nym, whose key may have expired or
 * been revoked unbeknown to its record: GPG_OK (inputs added), GPG_BAD
 * (encrypt asked and the key, looked at afresh, has expired or is
 * revoked: no notice can go) or GPG_TEMP.
 */
int nymkey_notice(const struct conf *, const struct server_keys *,
    const struct buf *key, int encrypt, const struct nym_block *blocks,
    size_t nblocks, const void *plain, size_t len, struct buf **in,
    size_t *n);

#endif
