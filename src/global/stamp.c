/* stamp.c - short-lived keyed-hash stamps in DB_PENDING (stamp.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "block.h"
#include "buf.h"
#include "die.h"
#include "purge.h"
#include "stamp.h"
#include "store.h"
#include "util.h"

#define PURGE_MAX 256		/* expired stamps deleted per write */

int
stamp_key(struct store *st, struct stamp_key *sk)
{
	return block_key(st, 1, sk->k) == STORE_OK ? STORE_OK : STORE_ERR;
}

/* "stamp:" + hex HMAC-SHA256(secret, "stamp" NUL purpose NUL lower(name)). */
static void
stamp_db_key(const struct stamp_key *sk, int purpose, const char *name,
    struct buf *out)
{
	gcry_md_hd_t h;
	char pre[8] = { 's', 't', 'a', 'm', 'p', '\0', (char)purpose, '\0' };
	char *low = util_lower(xstrdup(name));

	if (util_crypto_init() < 0)
		die_temp("libgcrypt unusable");
	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0 ||
	    gcry_md_setkey(h, sk->k, sizeof(sk->k)) != 0)
		die_temp("libgcrypt: cannot make an HMAC");
	gcry_md_write(h, pre, sizeof(pre));
	gcry_md_write(h, low, strlen(low));
	buf_reset(out);
	buf_adds(out, STAMP_PREFIX);
	util_hex(out, gcry_md_read(h, GCRY_MD_SHA256), 32);
	gcry_md_close(h);
	memset(low, 0, strlen(low));
	free(low);
}

/* "EXPIRES COUNT"; -1 if malformed. */
static int
parse_value(const struct buf *v, long *expires, unsigned *count)
{
	return v->s != NULL && sscanf(v->s, "%ld %u", expires, count) == 2 ?
	    0 : -1;
}

/* Expired, malformed, or dated absurdly far ahead: gone. */
static int
stamp_expired(const void *k, size_t kl, const struct buf *v, time_t now)
{
	long expires;
	unsigned count;

	(void)k;
	(void)kl;
	return parse_value(v, &expires, &count) < 0 || expires <= now ||
	    expires > now + 7 * 86400L;
}

int
stamp_txn_purge(struct stxn *t, time_t now)
{
	return purge_txn(t, DB_PENDING, STAMP_PREFIX, strlen(STAMP_PREFIX),
	    stamp_expired, now, PURGE_MAX);
}

int
stamp_txn_take(struct stxn *t, const struct stamp_key *sk, int purpose,
    const char *name, time_t now, long window, unsigned limit)
{
	struct buf k = BUF_INIT, v = BUF_INIT;
	long expires = 0;
	unsigned count = 0;
	char s[64];
	int rc;

	stamp_db_key(sk, purpose, name, &k);
	rc = txn_get(t, DB_PENDING, k.s, k.len, &v);
	if (rc == STORE_ERR)
		goto out;
	if (rc == STORE_OK && parse_value(&v, &expires, &count) == 0 &&
	    expires > now && expires <= now + window) {
		if (count >= limit) {
			rc = 1;
			goto out;
		}
	} else {
		/* No live stamp: a new window starts now. */
		expires = (long)now + window;
		count = 0;
	}
	snprintf(s, sizeof(s), "%ld %u", expires, count + 1);
	rc = txn_put(t, DB_PENDING, k.s, k.len, s, strlen(s));
out:
	buf_free(&k);
	buf_free(&v);
	return rc;
}

int
stamp_txn_drop(struct stxn *t, const struct stamp_key *sk, int purpose,
    const char *name)
{
	struct buf k = BUF_INIT;
	int rc;

	stamp_db_key(sk, purpose, name, &k);
	rc = txn_del(t, DB_PENDING, k.s, k.len);
	buf_free(&k);
	return rc == STORE_ERR ? STORE_ERR : 0;
}

struct one {
	const struct stamp_key *sk;
	int purpose;
	const char *name;
	time_t now;
	long window;
	unsigned limit;
};

static int
take_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;

	if (stamp_txn_purge(t, o->now) < 0)
		return STORE_ERR;
	return stamp_txn_take(t, o->sk, o->purpose, o->name, o->now,
	    o->window, o->limit);
}

int
stamp_take(struct store *st, int purpose, const char *name, time_t now,
    long window, unsigned limit)
{
	struct stamp_key sk;
	struct one o = { &sk, purpose, name, now, window, limit };
	int rc;

	if (stamp_key(st, &sk) != STORE_OK)
		return STORE_ERR;
	rc = store_write(st, take_fn, &o);
	memset(&sk, 0, sizeof(sk));
	return rc < 0 ? STORE_ERR : rc;
}

static int
drop_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;

	return stamp_txn_drop(t, o->sk, o->purpose, o->name);
}

int
stamp_drop(struct store *st, int purpose, const char *name)
{
	struct stamp_key sk;
	struct one o = { &sk, purpose, name, 0, 0, 0 };
	int rc;

	if (stamp_key(st, &sk) != STORE_OK)
		return STORE_ERR;
	rc = store_write(st, drop_fn, &o);
	memset(&sk, 0, sizeof(sk));
	return rc < 0 ? STORE_ERR : 0;
}

static int
expire_fn(struct stxn *t, void *arg)
{
	return stamp_txn_purge(t, *(time_t *)arg);
}

int
stamp_expire(struct store *st, time_t now)
{
	int n, total = 0;

	do {
		if ((n = store_write(st, expire_fn, &now)) < 0)
			return -1;
		total += n;
	} while (n >= PURGE_MAX);
	return total;
}

/* One unit of a global per-minute budget (alias requests, anonymous
 * articles): the count of this minute, restarted when the minute moves. */
int
stamp_txn_minute(struct stxn *t, const char *key, time_t now, unsigned rate)
{
	struct buf v = BUF_INIT;
	long minute = (long)(now / 60), m;
	unsigned n = 0;
	char s[64];
	int rc;

	rc = txn_get(t, DB_PENDING, key, strlen(key), &v);
	if (rc == STORE_ERR)
		goto out;
	if (rc == STORE_OK && sscanf(v.s, "%ld %u", &m, &n) == 2 &&
	    m == minute) {
		if (n >= rate) {
			rc = 1;
			goto out;
		}
	} else
		n = 0;
	snprintf(s, sizeof(s), "%ld %u", minute, n + 1);
	rc = txn_put(t, DB_PENDING, key, strlen(key), s, strlen(s));
out:
	buf_free(&v);
	return rc;
}
