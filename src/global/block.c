/* block.c - the destination block list: HMAC-SHA256 of addresses in LMDB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "block.h"
#include "buf.h"
#include "die.h"
#include "store.h"
#include "util.h"

#define META_KEY "blockkey"

struct keyarg {
	unsigned char *key;
	const unsigned char *fresh;	/* a new secret, if creating */
};

static int
key_fn(struct stxn *t, void *arg)
{
	struct keyarg *ka = arg;
	struct buf v = BUF_INIT;
	int rc = txn_get(t, DB_META, META_KEY, strlen(META_KEY), &v);

	if (rc == STORE_NOTFOUND && ka->fresh != NULL) {
		rc = txn_put(t, DB_META, META_KEY, strlen(META_KEY), ka->fresh,
		    BLOCK_KEY_LEN);
		if (rc == STORE_OK)
			memcpy(ka->key, ka->fresh, BLOCK_KEY_LEN);
	} else if (rc == STORE_OK) {
		if (v.len != BLOCK_KEY_LEN) {
			log_err("META blockkey has a bad length");
			rc = STORE_ERR;
		} else {
			memcpy(ka->key, v.s, BLOCK_KEY_LEN);
		}
	}
	buf_wipe(&v);
	return rc;
}

int
block_key(struct store *st, int create, unsigned char key[BLOCK_KEY_LEN])
{
	unsigned char fresh[BLOCK_KEY_LEN];
	struct keyarg ka = { key, NULL };
	int rc;

	rc = store_read(st, key_fn, &ka);
	if (rc != STORE_NOTFOUND || !create)
		return rc;
	/* Made outside the transaction: a retried write keeps it pure. */
	util_random(fresh, sizeof(fresh));
	ka.fresh = fresh;
	rc = store_write(st, key_fn, &ka);
	memset(fresh, 0, sizeof(fresh));
	return rc;
}

void
block_hash(const unsigned char key[BLOCK_KEY_LEN], const char *addr,
    unsigned char out[BLOCK_HASH_LEN])
{
	gcry_md_hd_t h;
	char *low = util_lower(xstrdup(addr));

	if (util_crypto_init() < 0)
		die_temp("libgcrypt unusable");
	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0 ||
	    gcry_md_setkey(h, key, BLOCK_KEY_LEN) != 0)
		die_temp("libgcrypt: cannot make an HMAC");
	gcry_md_write(h, low, strlen(low));
	memcpy(out, gcry_md_read(h, GCRY_MD_SHA256), BLOCK_HASH_LEN);
	gcry_md_close(h);
	memset(low, 0, strlen(low));
	free(low);
}

int
block_set(struct stxn *t, const unsigned char h[BLOCK_HASH_LEN], long now)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", now);
	return txn_put(t, DB_BLOCKS, h, BLOCK_HASH_LEN, v, strlen(v));
}

int
block_unset(struct stxn *t, const unsigned char h[BLOCK_HASH_LEN])
{
	return txn_del(t, DB_BLOCKS, h, BLOCK_HASH_LEN);
}

int
block_get(struct stxn *t, const unsigned char h[BLOCK_HASH_LEN])
{
	return txn_get(t, DB_BLOCKS, h, BLOCK_HASH_LEN, NULL);
}

struct checkarg {
	const unsigned char *hashes;
	size_t n;
	int *blocked;
	int count;
};

static int
check_fn(struct stxn *t, void *arg)
{
	struct checkarg *ca = arg;
	size_t i;
	int rc;

	ca->count = 0;
	for (i = 0; i < ca->n; i++) {
		rc = block_get(t, ca->hashes + i * BLOCK_HASH_LEN);
		if (rc < 0)
			return rc;
		ca->blocked[i] = rc == STORE_OK;
		ca->count += ca->blocked[i];
	}
	return 0;
}

int
block_check(struct store *st, const char *const *addrs, size_t n,
    int *blocked)
{
	unsigned char key[BLOCK_KEY_LEN], *hashes;
	struct checkarg ca;
	size_t i;
	int rc;

	memset(blocked, 0, n * sizeof(*blocked));
	if (n == 0)
		return 0;
	rc = block_key(st, 0, key);
	if (rc == STORE_NOTFOUND)
		return 0;		/* no key yet: nothing was ever blocked */
	if (rc != STORE_OK)
		return STORE_ERR;
	hashes = xcalloc(n, BLOCK_HASH_LEN);
	for (i = 0; i < n; i++)
		block_hash(key, addrs[i], hashes + i * BLOCK_HASH_LEN);
	memset(key, 0, sizeof(key));
	ca.hashes = hashes;
	ca.n = n;
	ca.blocked = blocked;
	ca.count = 0;
	rc = store_read(st, check_fn, &ca);
	free(hashes);
	return rc < 0 ? STORE_ERR : ca.count;
}

int
block_is_blocked(struct store *st, const char *addr)
{
	int blocked = 0;
	int rc = block_check(st, &addr, 1, &blocked);

	return rc < 0 ? rc : blocked;
}
