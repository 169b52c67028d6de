/* test_block.c - keyed hashes of blocked destinations and the block list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block.h"
#include "buf.h"
#include "store.h"
#include "util.h"
#include "t.h"

static char dir[] = "/tmp/nymblockXXXXXX";

struct one {
	unsigned char h[BLOCK_HASH_LEN];
	int set;
};

static int
set_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;

	return o->set ? block_set(t, o->h, 1000) : block_unset(t, o->h);
}

int
main(void)
{
	struct store *st;
	unsigned char k1[BLOCK_KEY_LEN], k2[BLOCK_KEY_LEN], other[BLOCK_KEY_LEN];
	unsigned char a[BLOCK_HASH_LEN], b[BLOCK_HASH_LEN];
	const char *addrs[3] = { "x@example.org", "Victim@Example.ORG",
	    "y@example.org" };
	int blocked[3];
	struct one o;
	struct buf v = BUF_INIT, cmd = BUF_INIT;
	char err[256];

	if (util_crypto_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	T(store_open(&st, dir, 1 << 20, 1, err, sizeof(err)) == STORE_OK,
	    "create a state");
	T(block_key(st, 0, k1) == STORE_NOTFOUND, "no block key at first");
	T(block_check(st, addrs, 3, blocked) == 0 && !blocked[0] &&
	    !blocked[1] && !blocked[2], "without a key nothing is blocked");
	T(block_key(st, 1, k1) == STORE_OK, "the key is made on demand");
	T(block_key(st, 1, k2) == STORE_OK && memcmp(k1, k2, sizeof(k1)) == 0,
	    "... once: asking again returns the same key");
	T(store_get(st, DB_META, "blockkey", &v) == STORE_OK &&
	    v.len == BLOCK_KEY_LEN, "kept in META as 32 bytes");

	block_hash(k1, "victim@example.org", a);
	block_hash(k1, "VICTIM@example.ORG", b);
	T(memcmp(a, b, sizeof(a)) == 0, "the hash ignores case");
	block_hash(k1, "victim2@example.org", b);
	T(memcmp(a, b, sizeof(a)) != 0, "different addresses differ");
	memset(other, 7, sizeof(other));
	block_hash(other, "victim@example.org", b);
	T(memcmp(a, b, sizeof(a)) != 0, "another key gives another hash");
	util_sha256("victim@example.org", 18, b);
	T(memcmp(a, b, sizeof(a)) != 0, "not a plain SHA-256 of the address");

	memcpy(o.h, a, sizeof(a));
	o.set = 1;
	T(store_write(st, set_fn, &o) == STORE_OK, "block one address");
	T(block_check(st, addrs, 3, blocked) == 1 && !blocked[0] &&
	    blocked[1] && !blocked[2], "block_check finds it (any case)");
	T(block_is_blocked(st, "victim@example.org") == 1 &&
	    block_is_blocked(st, "x@example.org") == 0, "block_is_blocked");
	o.set = 0;
	T(store_write(st, set_fn, &o) == STORE_OK &&
	    block_is_blocked(st, "victim@example.org") == 0, "unblock");
	store_close(st);

	buf_addf(&cmd, "rm -rf %s", dir);
	if (system(cmd.s) != 0)
		return 1;
	buf_free(&v);
	buf_free(&cmd);
	T_END();
}
