/* deliver.h - hand mail for a nym to the remailer through its reply blocks. */
#ifndef NYM_DELIVER_H
#define NYM_DELIVER_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "spool.h"
#include "conf.h"
#include "nym.h"
#include "store.h"

/* The server's key fingerprints from the state (META). */
struct server_keys {
	struct buf server;	/* config@/send@ key: signs notices */
	struct buf remailer;
};
int server_keys_load(struct store *, struct server_keys *);
void server_keys_free(struct server_keys *);
/* Is fpr (or a key id suffix of 16+ hex digits) one of ours? */
int server_keys_match(const struct server_keys *, const char *fpr);

/*
 * Sign plain with the server key and encrypt it to key (armored public
 * key) -- or, when encrypt is 0 (the nym turned cryptrecv off), only
 * clear-sign it -- then build one remailer input per chosen block: the block text
 * followed by the encrypted message.  Inputs are appended to *in (*n
 * updated).  Returns GPG_OK or GPG_TEMP.
 */
int deliver_prepare(const struct conf *, const struct server_keys *,
    const struct buf *key, int encrypt, const struct nym_block *blocks,
    size_t nblocks, const void *plain, size_t len, struct buf **in,
    size_t *n);

/*
 * Leave out of idx[0..m) the blocks whose clear layer reaches more than
 * one address (stored before blocks were checked at config@; the local
 * remail would refuse them): returns the count left.  An empty block
 * text (the message alone) is kept.  No gpg.
 */
size_t deliver_usable(const struct conf *, const struct nym_block *blocks,
    size_t *idx, size_t m);

/*
 * Sign plain with the server key and encrypt it to key with the key id
 * hidden (pool delivery); armored, appended to out.  GPG_OK or GPG_TEMP.
 */
int deliver_encrypt_hidden(const struct conf *, const struct server_keys *,
    const struct buf *key, const void *plain, size_t len, struct buf *out);

/* Pipe each input into the remail command; -1 if any hand-off failed. */
int deliver_send(const struct conf *, const struct buf *in, size_t n);

void deliver_free(struct buf *in, size_t n);

/*
 * Mark every remailer input this process hands on from now on as nym
 * name's mail (NYM_SPOOL_TAG in remail's environment; NULL: none), so
 * that what remail queues for it can be removed when the nym is wiped.
 * The tag is a hash of the name: the spool names no nym.
 */
void deliver_tag(const char *name);
/* The tag of name (SPOOL_TAG_LEN hex characters). */
void deliver_tag_of(const char *name, char tag[SPOOL_TAG_LEN + 1]);

/*
 * A notice from the server (config@ by default) to nym@HOST as a
 * plaintext message; reply_to may be NULL.
 */
void notice_compose(const struct conf *, const char *from_local,
    const char *nym, const char *subject, const char *reply_to,
    const char *text, time_t now, struct buf *out);

#endif
