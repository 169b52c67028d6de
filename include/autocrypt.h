/* autocrypt.h - the Autocrypt: header of a nym's send@ mail (Level 1). */
#ifndef NYM_AUTOCRYPT_H
#define NYM_AUTOCRYPT_H

#include "buf.h"

#define AUTOCRYPT_LINE 76	/* base64 characters per folded line */

/*
 * Append "Autocrypt: addr=ADDR; keydata=" and the minimal key (primary
 * key, the UID whose mailbox is uid_addr, one encryption subkey; see
 * keymin.h) in base64, folded into lines of at most 78 characters, each
 * continuation starting with a space.  addr is the From address of the
 * mail (Autocrypt ties the header to it); key is the nym's armored key.
 * Returns 0, or -1 with *why saying what the key lacks (nothing
 * appended).
 */
int autocrypt_header(struct buf *out, const char *addr, const char *uid_addr,
    const struct buf *key, long now, const char **why);

#endif
