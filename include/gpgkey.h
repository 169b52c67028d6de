/* gpgkey.h - the server's own keys: make, export, look for their secrets. */
#ifndef NYM_GPGKEY_H
#define NYM_GPGKEY_H

#include <stddef.h>

#include "buf.h"

/* Key types for the server's keys: RSA 3072 (default) or Ed25519/Cv25519. */
enum gpg_keytype { GPG_RSA3072, GPG_ED25519 };

/*
 * Create a signing key with an encryption subkey and the given user IDs
 * (uids NULL-terminated, first is primary), no passphrase, no expiry.
 * The fingerprint goes to fpr.  Returns 0 or -1 with err set.
 */
int gpg_make_key(const char *home, enum gpg_keytype type,
    const char *const *uids, struct buf *fpr, char *err, size_t errlen);

/* Export the public key fpr, armored, appending to out. */
int gpg_export(const char *home, const char *fpr, struct buf *out);

/* Does home hold the secret key fpr?  1 yes, 0 no, -1 engine trouble. */
int gpg_have_secret(const char *home, const char *fpr);

#endif
