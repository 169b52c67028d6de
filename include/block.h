/* block.h - blocked destinations, stored as keyed hashes, never addresses. */
#ifndef NYM_BLOCK_H
#define NYM_BLOCK_H

#include <stddef.h>

#include "store.h"

#define BLOCK_KEY_LEN 32	/* the HMAC secret in META "blockkey" */
#define BLOCK_HASH_LEN 32	/* HMAC-SHA256: the DB_BLOCKS key */

/*
 * The HMAC secret.  With create, a random one is made (once, in a write
 * transaction) when the state has none yet.  STORE_OK, STORE_NOTFOUND
 * (no key yet: nothing can be blocked) or STORE_ERR.
 */
int block_key(struct store *, int create, unsigned char key[BLOCK_KEY_LEN]);

/* HMAC-SHA256 under key of the lowercased address. */
void block_hash(const unsigned char key[BLOCK_KEY_LEN], const char *addr,
    unsigned char out[BLOCK_HASH_LEN]);

/* Is addr blocked?  1, 0, or STORE_ERR. */
int block_is_blocked(struct store *, const char *addr);

/*
 * Which of n addresses are blocked: blocked[i] is set to 0 or 1.
 * Returns how many are blocked, or STORE_ERR.  One read transaction.
 */
int block_check(struct store *, const char *const *addrs, size_t n,
    int *blocked);

/* Inside a write transaction: add or remove one hash; test for one. */
int block_set(struct stxn *, const unsigned char h[BLOCK_HASH_LEN], long now);
int block_unset(struct stxn *, const unsigned char h[BLOCK_HASH_LEN]);
int block_get(struct stxn *, const unsigned char h[BLOCK_HASH_LEN]);

#endif
