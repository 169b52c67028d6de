/* purge.c - delete the expired records under one key prefix. */
#include <string.h>

#include "buf.h"
#include "purge.h"
#include "store.h"

struct purge {
	purge_expired_fn expired;
	time_t now;
	size_t max;
	struct buf keys;	/* NUL-separated */
	size_t n;
};

static int
purge_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct purge *p = arg;
	struct buf tmp = BUF_INIT;
	int old;

	if (memchr(k, '\0', kl) != NULL)
		return 0;	/* not a key this module can name again */
	buf_set(&tmp, v, vl);
	old = p->expired(k, kl, &tmp, p->now);
	buf_free(&tmp);
	if (old) {
		buf_add(&p->keys, k, kl);
		buf_addc(&p->keys, '\0');
		if (++p->n >= p->max)
			return 1;
	}
	return 0;
}

int
purge_txn(struct stxn *t, enum store_db db, const char *prefix, size_t plen,
    purge_expired_fn expired, time_t now, size_t max)
{
	struct purge p = { expired, now, max, BUF_INIT, 0 };
	size_t off = 0;
	int rc;

	rc = txn_iter(t, db, prefix, plen, purge_cb, &p);
	while (rc >= 0 && off < p.keys.len) {
		size_t kl = strlen(p.keys.s + off);

		if (txn_del(t, db, p.keys.s + off, kl) == STORE_ERR)
			rc = STORE_ERR;
		off += kl + 1;
	}
	buf_free(&p.keys);
	return rc < 0 ? STORE_ERR : (int)p.n;
}
