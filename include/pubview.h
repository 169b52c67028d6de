/* pubview.h - the public view: what nymfingerd and nympolicyd may read. */
#ifndef NYM_PUBVIEW_H
#define NYM_PUBVIEW_H

#include <stddef.h>

#include "buf.h"

/*
 * Layout of pubdir (SECURITY.md section 2), group-readable, never
 * written by its readers:
 *   key                 32 random bytes (hex): the key of the name hashes
 *   n/HASH              one entry per name in use, HASH the hex of
 *                       HMAC-SHA256(key, name) cut to 32 characters
 *   serverkey.asc       the nym-server public key (config@, send@)
 *   remailerkey.asc     the remailer public key
 *   list                the names in use, one a line (only while
 *                       list_enabled; absent otherwise)
 * An entry is "nym\nFULL NAME\n" then the armored key when the nym has
 * +fingerkey; "pending\n" for a nym awaiting confirmation; "alias\n".
 * So a reader learns a name's entry only by guessing the name: no more
 * than RCPT TO or finger tell anyone.
 */
#define PUBVIEW_SERVERKEY "serverkey.asc"
#define PUBVIEW_REMAILERKEY "remailerkey.asc"
#define PUBVIEW_LIST "list"
#define PUBVIEW_MAX_ENTRY (256 * 1024)	/* bytes read of one entry */
#define PUBVIEW_HASH_LEN 32		/* hex characters of an entry name */

struct pubview;

/* Open pubdir for reading (reads its key); -1 with errno. */
int pubview_open(struct pubview **, const char *pubdir);
void pubview_close(struct pubview *);

/* The path of name's entry (lowercase name) into out. */
void pubview_entry_path(const struct pubview *, const char *name,
    struct buf *out);

/* name's entry into out: 1 found, 0 no such name, -1 error. */
int pubview_get(struct pubview *, const char *name, struct buf *out);

/* A policy_known_fn (policy.h): 1 name in use, 0 not, -1 error. */
int pubview_known(void *pv, const char *name);

/* A file of the view (PUBVIEW_SERVERKEY, ...): 1, 0 absent, -1 error. */
int pubview_file(struct pubview *, const char *file, size_t max,
    struct buf *out);

/* The view's directory. */
const char *pubview_dir(const struct pubview *);

#endif
