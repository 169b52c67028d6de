/* hsub.h - hSub subjects: how a nym finds its articles in a message pool. */
#ifndef NYM_HSUB_H
#define NYM_HSUB_H

#include <stddef.h>

#include "buf.h"

#define HSUB_IV 8		/* random bytes in front */
#define HSUB_LEN 48		/* hex digits written (Mixmaster, crooks) */
#define HSUB_MIN 48		/* lengths a reader accepts */
#define HSUB_MAX 80		/* IV + the whole SHA-256, in hex */
#define HSUB_MAX_PASS 64	/* bytes of passphrase crooks keeps */

/*
 * Append the hSub of pass: lowercase hex of IV || SHA-256(IV || pass),
 * truncated to len hex digits (HSUB_MIN..HSUB_MAX).  iv (HSUB_IV bytes)
 * is random from the CSPRNG when NULL.
 */
void hsub_make(const char *pass, size_t passlen, const unsigned char *iv,
    size_t len, struct buf *out);

/*
 * Does subject (slen bytes) carry the hSub of pass?  Its length must be
 * HSUB_MIN..HSUB_MAX, its first 2*HSUB_IV characters lowercase hex; the
 * comparison of the rest takes the same time wherever it differs.
 * 1 yes, 0 no.
 */
int hsub_check(const char *subject, size_t slen, const char *pass,
    size_t passlen);

/* Append len random lowercase hex digits (len even): a fake hSub. */
void hsub_fake(size_t len, struct buf *out);

#endif
