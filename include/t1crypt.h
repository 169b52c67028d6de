/* t1crypt.h - the remailer's GnuPG operations: peel a layer, Encrypt-Key. */
#ifndef NYM_T1CRYPT_H
#define NYM_T1CRYPT_H

#include <stddef.h>

#include "buf.h"

enum {
	T1C_OK = 0,
	T1C_BAD = -1,		/* the input is bad: a permanent refusal */
	T1C_TEMP = -2		/* engine, agent or resource trouble: retry */
};

/*
 * Decrypt one armored message with the secret keys in home; at most max
 * bytes of plaintext (a compression bomb is refused).  Symmetric-only
 * messages and legacy messages without MDC are refused (T1C_BAD, *why
 * set).
 */
int t1c_decrypt(const char *home, const void *in, size_t len, size_t max,
    struct buf *out, const char **why);

/*
 * Make sure symhome is a GnuPG home for Encrypt-Key: AES-256 with MDC,
 * cheap S2K (s2k-count 65536) hashed with digest ("SHA1", the classic
 * default, or "SHA256"...).  Returns 0 or -1 with errno.
 */
int t1c_symhome(const char *symhome, const char *digest);

/*
 * Encrypt in symmetrically with passphrase key (AES-256, MDC, no
 * passphrase cache), armored, appended to out.  T1C_OK or T1C_TEMP.
 */
int t1c_encrypt_key(const char *symhome, const char *key, const void *in,
    size_t len, struct buf *out);

#endif
