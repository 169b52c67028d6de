/* keymin.h - a nym's public key cut to what WKD and Autocrypt publish. */
#ifndef NYM_KEYMIN_H
#define NYM_KEYMIN_H

#include <stddef.h>

#include "buf.h"

#define KEYMIN_MAX (256 * 1024)	/* bytes of one key examined */

/*
 * What a transferable public key (RFC 4880 11.1, binary) holds, as seen
 * for one address at one time.  Only self-signatures (issued by the
 * primary key) count; the stored keys are gpg's minimal exports, so
 * there are no others, and any that came anyway are dropped.
 */
struct keymin {
	int nuids;		/* user ID packets */
	int nattrs;		/* user attribute packets (photo IDs) */
	int uid_match;		/* index of the UID whose mailbox is the
				   address (not revoked), or -1 */
	int revoked;		/* a key revocation self-signature */
	long created;		/* primary key creation time */
	long expires;		/* primary key expiry; 0: never */
	int has_enc;		/* a usable encryption subkey was chosen */
	long enc_created;	/* ... its creation time */
};

/*
 * Examine key (binary, v4 primary) for address addr at time now.  If
 * full is not NULL it gets the key with only self-signatures (what WKD
 * serves); if cut is not NULL and there is a matching UID and a usable
 * encryption subkey, it gets the minimal key Autocrypt wants: the
 * primary key, that UID with its newest self-signature, the newest
 * usable encryption subkey with its newest binding signature.  Returns
 * 0, or -1 for data that is not such a key (nothing to publish).
 */
int keymin_parse(const void *key, size_t len, const char *addr, long now,
    struct keymin *info, struct buf *full, struct buf *cut);

/* The binary key of an armored public key block; 0 or -1. */
int keymin_dearmor(const void *armored, size_t len, struct buf *bin);

/*
 * May the key go into the Web Key Directory for addr at now?  Exactly
 * one UID, no user attribute, that UID's mailbox is addr, not revoked,
 * not expired.  1 yes, 0 no; *why (if not NULL) says why not.
 */
int keymin_wkd_ok(const struct keymin *, long now, const char **why);

#endif
