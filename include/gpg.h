/* gpg.h - the only door to GnuPG: gpgme contexts on a given home. */
#ifndef NYM_GPG_H
#define NYM_GPG_H

#include <stddef.h>

#include <gpgme.h>

#include "buf.h"

/* Initialise gpgme once per process; -1 if the engine is unusable. */
int gpg_init(void);

/* A context for home with armor and loopback pinentry; NULL on failure. */
gpgme_ctx_t gpg_ctx(const char *home);

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

/* Is home a usable GnuPG home directory?  -1 with errno if not. */
int gpg_home_ok(const char *home);

#endif
