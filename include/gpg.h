/* gpg.h - the only door to GnuPG: gpgme contexts on a given home. */
#ifndef NYM_GPG_H
#define NYM_GPG_H

#include <stddef.h>

#include <gpgme.h>

#include "buf.h"

/* The gpg program to run (the configuration's gpg): before gpg_init. */
void gpg_set_program(const char *path);
/* Initialise gpgme once per process; -1 if the engine is unusable. */
int gpg_init(void);
/* The home most contexts use (the server's): passed to gpg through
 * GNUPGHOME instead of per context, which spares a gpg process. */
void gpg_default_home(const char *home);

/* A context for home with armor and loopback pinentry; NULL on failure. */
gpgme_ctx_t gpg_ctx(const char *home);

/* Is home a usable GnuPG home directory?  -1 with errno if not. */
int gpg_home_ok(const char *home);

/* ---- operations for config@/send@ and deliveries ---- */

enum {
	GPG_OK = 0,
	GPG_BAD = -1,		/* the input is bad: a permanent refusal */
	GPG_TEMP = -2		/* engine, agent or resource trouble: retry */
};

/*
 * Decrypt an armored or binary OpenPGP message with the secret keys in
 * home, returning the inner OpenPGP data undecrypted further
 * (GPGME_DECRYPT_UNWRAP): the signed message, whose signature packet can
 * then be hashed and verified elsewhere.
 */
int gpg_unwrap(const char *home, const void *in, size_t len,
    struct buf *out);

/*
 * Decrypt in into out in ctx (no passphrase is ever given), the error in
 * *err, with one verdict for every caller: GPG_OK; GPG_BAD when gpg said
 * the input is not for us or broken; GPG_TEMP when gpg ended without a
 * verdict (killed, crashed), when one of our keys was named and cannot be
 * used here, or on any other trouble.  The status callback is gpg.c's.
 */
int gpg_decrypt(gpgme_ctx_t ctx, gpgme_decrypt_flags_t flags,
    gpgme_data_t in, gpgme_data_t out, gpgme_error_t *err);
/* Did the last gpg_decrypt find the session key (DECRYPTION_INFO)? */
int gpg_decrypt_began(void);

/*
 * After a decryption in ctx failed with e: was the message for one of
 * the home's own keys after all?  "No secret key" means both "not
 * encrypted to us" and "ours, but gpg-agent (or the key store) cannot be
 * used"; the second is a local failure (exit 75), never a reason to
 * discard the mail.  1 if a recipient key id is a (sub)key in the home's
 * keyring, if the keyring cannot be listed, or if a recipient is
 * anonymous and no secret key can be listed; else 0.  Costs a gpg
 * process or two, only on this failure path.
 */
int gpg_own_key_failed(gpgme_ctx_t ctx, gpgme_error_t e);

/* Move the contents of a gpgme data object to out (for gpg*.c). */
void gpg_data_to_buf(gpgme_data_t d, struct buf *out);

/* A throw-away GnuPG home holding one public key (no agent started). */
struct gpg_tmp;

struct gpg_keyinfo {
	char fpr[64];		/* primary key fingerprint */
	int can_encrypt;	/* has a usable encryption subkey */
	int can_sign;
	int weak;		/* RSA/DSA/ElGamal under 2048 bits */
	int nkeys;		/* keys in the block (must be 1) */
	long expires;		/* when it stops serving a nym (0: never):
				   its primary key's expiry, or when the last
				   of its signing or of its encryption (sub)keys
				   expires, whichever comes first */
	int expired;		/* ... which has come (gpg's clock) */
	int revoked;		/* the primary key is revoked */
};

struct gpg_sig {
	char fpr[64];		/* fingerprint (or key id) of the signer */
	long timestamp;		/* signature creation time */
	int good;		/* a good signature by a usable key */
	int valid;		/* the signature is sound, even if its key
				   has expired or is revoked since */
	int key_expired;	/* ... by a key that has expired */
	int key_revoked;	/* ... by a revoked key */
};

/* Make a home under parent (a directory the caller owns). */
int gpg_tmp_new(const char *parent, struct gpg_tmp **out);
/* Import key material; fills ki from the keyring afterwards. */
int gpg_tmp_import(struct gpg_tmp *, const void *key, size_t len,
    struct gpg_keyinfo *ki);
/*
 * Verify: sig is an opaque signed message (text NULL) or a detached
 * signature over text.  The signed plaintext goes to plain (opaque only).
 * Returns GPG_OK with *sig filled (check sig->good), GPG_BAD if there is
 * no signature at all, GPG_TEMP on engine trouble.
 */
int gpg_tmp_verify(struct gpg_tmp *, const void *sigdata, size_t siglen,
    const void *text, size_t textlen, struct gpg_sig *sig, struct buf *plain);
/* Export fpr (minimal, armored) from the temporary home. */
int gpg_tmp_export(struct gpg_tmp *, const char *fpr, struct buf *out);
/* Remove the home and free. */
void gpg_tmp_free(struct gpg_tmp *);

/*
 * Sign with signer_fpr's key from home and encrypt to the public key in
 * keyfile (armored), armored output appended to out.  The recipient key
 * never enters home's keyring (cost independent of the number of nyms).
 */
int gpg_sign_encrypt_file(const char *home, const char *signer_fpr,
    const char *keyfile, const void *plain, size_t len, struct buf *out);

/*
 * The same with the recipient's key id hidden (throw-keyids: the packet
 * names key 0000000000000000), for articles anyone can fetch.
 */
int gpg_sign_encrypt_hidden(const char *home, const char *signer_fpr,
    const char *keyfile, const void *plain, size_t len, struct buf *out);

/*
 * Encrypt everything readable from infd to the public key in keyfile
 * (armored or binary; never imported into home), binary OpenPGP written
 * to outfd.  0, or -1 (logged).
 */
int gpg_encrypt_fd(const char *home, const char *keyfile, int infd,
    int outfd);

/* Clear-sign text with signer_fpr's key; armored output into out. */
int gpg_clearsign(const char *home, const char *signer_fpr,
    const void *text, size_t len, struct buf *out);

#endif
