/* test_confirm.c - pending changes bound to their nym, the confirmation's
 * write re-checking inside its transaction (issue 15, findings 1 and 10),
 * and account_forget; a real LMDB store in a temporary directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "buf.h"
#include "confirm.h"
#include "nym.h"
#include "outcome.h"
#include "replay.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/nymconfXXXXXX";
static struct store *st;
static struct nym_block b_old = { 0, 1.0, (char *)"::\nAnon-To: old@x\n" };
static struct nym_block b_new = { 0, 1.0, (char *)"::\nAnon-To: new@x\n" };

/* A nym record: name, key fingerprint, incarnation. */
static void
mk(struct nym *y, const char *name, const char *fpr, const char *gen,
    int state)
{
	memset(y, 0, sizeof(*y));
	y->name = xstrdup(name);
	y->fpr = xstrdup(fpr);
	y->gen = gen != NULL ? xstrdup(gen) : NULL;
	y->state = state;
	y->created = 1700000000L;
	buf_sets(&y->key, "key");
	y->blocks = nym_blocks_copy(&b_old, 1);
	y->nblocks = 1;
}

static void
put_nym(const struct nym *y)
{
	struct buf v = BUF_INIT;

	nym_encode(y, &v);
	if (store_put(st, DB_NYMS, y->name, v.s, v.len) != STORE_OK)
		T(0, "put nym");
	buf_free(&v);
}

/*
 * A pending block for y under cookie key k (create or new blocks): block
 * index of count of the request batch, reaching "::\nAnon-To: who@x".
 */
static void
put_block(const char *k, const struct nym *y, int create, const char *batch,
    const char *who, int index, int count)
{
	struct nym_pending pd;
	struct nym_block b = { 0, 1.0, NULL };
	struct buf v = BUF_INIT, t = BUF_INIT;

	buf_addf(&t, "::\nAnon-To: %s@x\n", who);
	b.text = t.s;
	memset(&pd, 0, sizeof(pd));
	pd.name = xstrdup(y->name);
	pd.create = create;
	pd.created = 1700000100L;
	pd.batch = batch != NULL ? xstrdup(batch) : NULL;
	pd.index = index;
	pd.count = count;
	pd.blocks = nym_blocks_copy(&b, 1);
	pd.nblocks = 1;
	confirm_bind(&pd, y);
	nym_pending_encode(&pd, &v);
	if (store_put(st, DB_CONFIRM, k, v.s, v.len) != STORE_OK)
		T(0, "put pending block");
	nym_pending_free(&pd);
	buf_free(&v);
	buf_free(&t);
}

/* A pending change for y under cookie key k (a one-block request). */
static void
put_pending(const char *k, const struct nym *y, int create)
{
	struct nym_pending pd;
	struct buf v = BUF_INIT;

	memset(&pd, 0, sizeof(pd));
	pd.name = xstrdup(y->name);
	pd.create = create;
	pd.created = 1700000100L;
	pd.batch = xstrdup(k);		/* a request of its own */
	pd.index = pd.count = 1;
	pd.blocks = nym_blocks_copy(&b_new, 1);
	pd.nblocks = 1;
	confirm_bind(&pd, y);
	nym_pending_encode(&pd, &v);
	if (store_put(st, DB_CONFIRM, k, v.s, v.len) != STORE_OK)
		T(0, "put pending");
	nym_pending_free(&pd);
	buf_free(&v);
}

static int
commit_fn(struct stxn *t, void *arg)
{
	return confirm_commit(t, arg);
}

static int
get_nym(const char *name, struct nym *y)
{
	return account_get(st, name, y);
}

/* Does nym name exist with blocks starting "::\nAnon-To: WHO@"? */
static int
blocks_are(const char *name, const char *who)
{
	struct nym y;
	char want[64];
	int ok;

	if (get_nym(name, &y) != STORE_OK)
		return 0;
	snprintf(want, sizeof(want), "::\nAnon-To: %s@", who);
	ok = y.nblocks == 1 && strncmp(y.blocks[0].text, want,
	    strlen(want)) == 0;
	nym_free(&y);
	return ok;
}

/* Are nym name's blocks exactly those to the comma-separated list? */
static int
blocks_list(const char *name, const char *list)
{
	struct nym y;
	struct buf got = BUF_INIT;
	size_t i;
	int ok;

	if (get_nym(name, &y) != STORE_OK)
		return 0;
	for (i = 0; i < y.nblocks; i++) {
		const char *p = y.blocks[i].text + strlen("::\nAnon-To: ");

		if (i > 0)
			buf_addc(&got, ',');
		buf_add(&got, p, strcspn(p, "@"));
	}
	ok = strcmp(got.s != NULL ? got.s : "", list) == 0;
	buf_free(&got);
	nym_free(&y);
	return ok;
}

static int
forget_fn(struct stxn *t, void *arg)
{
	return account_forget(t, arg);
}

static int
outbox_fn(struct stxn *t, void *arg)
{
	unsigned char id[32];

	memset(id, ((const char *)arg)[0], sizeof(id));
	return outbox_put(t, id, arg, 1, 2, NULL);
}

static void
test_commit(void)
{
	struct nym y, z;

	/* The nym that asked, still itself: the change applies, to the
	 * record as it is now (a daily-limit mark set meanwhile stays). */
	mk(&y, "alice", "AAAA", "g1", NYM_ACTIVE);
	put_nym(&y);
	put_pending("k1", &y, 0);
	y.limited = 1;
	put_nym(&y);
	T(store_write(st, commit_fn, (void *)"k1") == 0 &&
	    blocks_are("alice", "new"), "confirm: the nym that asked gets its "
	    "new blocks");
	T(get_nym("alice", &z) == STORE_OK && z.limited == 1,
	    "confirm: applied to the record as read in its transaction");
	nym_free(&z);
	T(store_get(st, DB_CONFIRM, "k1", NULL) == STORE_NOTFOUND,
	    "confirm: the cookie is used up");
	T(store_write(st, commit_fn, (void *)"k1") == 1,
	    "confirm: a second time: void");
	nym_free(&y);

	/* Deleted between the confirmation's read and its write. */
	mk(&y, "bob", "BBBB", "g2", NYM_ACTIVE);
	put_nym(&y);
	put_pending("k2", &y, 0);
	T(store_write(st, forget_fn, (void *)"bob") == STORE_OK,
	    "forget: bob deleted");
	T(store_get(st, DB_CONFIRM, "k2", NULL) == STORE_NOTFOUND,
	    "forget: bob's pending change went with him");
	put_pending("k2", &y, 0);	/* as if it had survived */
	T(store_write(st, commit_fn, (void *)"k2") == 1 &&
	    store_get(st, DB_NYMS, "bob", NULL) == STORE_NOTFOUND,
	    "confirm after a delete: void, the nym is not brought back");

	/* The name's next owner (another key), and the same owner's next
	 * incarnation (same key, another id). */
	mk(&z, "bob", "CCCC", "g3", NYM_ACTIVE);
	put_nym(&z);
	T(store_write(st, commit_fn, (void *)"k2") == 1 &&
	    blocks_are("bob", "old"), "an old owner's cookie does not act on "
	    "the name's new owner");
	nym_free(&z);
	mk(&z, "bob", "BBBB", "g4", NYM_ACTIVE);
	put_nym(&z);
	T(store_write(st, commit_fn, (void *)"k2") == 1 &&
	    blocks_are("bob", "old"), "... nor on a new incarnation with the "
	    "same key");
	nym_free(&z);
	nym_free(&y);

	/* A create cookie: only while that nym is still unconfirmed. */
	mk(&y, "carol", "DDDD", "g5", NYM_PENDING);
	put_nym(&y);
	put_pending("k3", &y, 1);
	put_pending("k4", &y, 1);
	T(store_write(st, commit_fn, (void *)"k3") == 0 &&
	    get_nym("carol", &z) == STORE_OK && z.state == NYM_ACTIVE,
	    "create cookie: activates its pending nym");
	nym_free(&z);
	T(store_write(st, commit_fn, (void *)"k4") == 1,
	    "a second create cookie of an active nym: void");
	nym_free(&y);

	/* A pending change recorded before changes were bound. */
	mk(&y, "dave", "EEEE", NULL, NYM_ACTIVE);
	put_nym(&y);
	{
		struct nym_pending pd;
		struct buf v = BUF_INIT;

		memset(&pd, 0, sizeof(pd));
		pd.name = xstrdup("dave");
		pd.blocks = nym_blocks_copy(&b_new, 1);
		pd.nblocks = 1;
		nym_pending_encode(&pd, &v);
		(void)store_put(st, DB_CONFIRM, "k5", v.s, v.len);
		nym_pending_free(&pd);
		buf_free(&v);
	}
	T(store_write(st, commit_fn, (void *)"k5") == 1 &&
	    blocks_are("dave", "old"), "an unbound (old-format) pending "
	    "change matches nothing");
	nym_free(&y);
}

/*
 * Per-block cookies (SECURITY.md 3.9): a bomber's block and a victim's
 * in one create; the bomber's cookie activates the bomber's block only.
 */
static void
test_blocks(void)
{
	struct nym y, z;

	mk(&y, "gina", "ABAB", "g8", NYM_PENDING);
	nym_blocks_free(y.blocks, y.nblocks);	/* pending: no block yet */
	y.blocks = NULL;
	y.nblocks = 0;
	put_nym(&y);
	put_block("ka", &y, 1, "B1", "bomber", 1, 2);
	put_block("kb", &y, 1, "B1", "victim", 2, 2);
	T(store_write(st, commit_fn, (void *)"ka") == 0 &&
	    get_nym("gina", &z) == STORE_OK && z.state == NYM_ACTIVE,
	    "per-block: the first block's cookie activates the nym");
	nym_free(&z);
	T(blocks_list("gina", "bomber"), "per-block: the bomber's cookie "
	    "activates the bomber's block only, not the victim's");
	T(store_get(st, DB_CONFIRM, "kb", NULL) == STORE_OK,
	    "per-block: the victim's block stays pending under its own cookie");
	T(store_write(st, commit_fn, (void *)"ka") == 1 &&
	    blocks_list("gina", "bomber"), "per-block: the used cookie again: "
	    "void");
	T(store_write(st, commit_fn, (void *)"kb") == 0 &&
	    blocks_list("gina", "bomber,victim"), "per-block: a create's "
	    "second block joins once its own cookie comes back");

	/* A modify: its first confirmed block replaces the set, the next
	 * of the same request joins it; an older request's leftover
	 * replaces again (it was confirmed by its own mailbox). */
	put_block("kc", &y, 0, "B2", "c", 1, 2);
	put_block("kd", &y, 0, "B2", "d", 2, 2);
	put_block("ke", &y, 0, "B3", "e", 1, 1);
	T(store_write(st, commit_fn, (void *)"kd") == 0 &&
	    blocks_list("gina", "d"), "per-block: a modify's first confirmed "
	    "block replaces the old set, alone");
	T(store_write(st, commit_fn, (void *)"kc") == 0 &&
	    blocks_list("gina", "d,c"), "per-block: ... its request's other "
	    "block joins it");
	T(store_write(st, commit_fn, (void *)"ke") == 0 &&
	    blocks_list("gina", "e"), "per-block: another request's block "
	    "starts a new set");
	put_block("kf", &y, 1, "B1", "late", 2, 2);
	T(store_write(st, commit_fn, (void *)"kf") == 1 &&
	    blocks_list("gina", "e"), "per-block: a create cookie whose set "
	    "was replaced: void");

	/* Records from before per-block cookies match nothing. */
	put_block("kg", &y, 0, NULL, "nobatch", 1, 1);
	T(store_write(st, commit_fn, (void *)"kg") == 1 &&
	    blocks_list("gina", "e"), "per-block: a pending record without "
	    "a batch id (one cookie for many blocks): void");
	nym_free(&y);
}

/* account_forget: the nym and what hangs on it, nobody else's. */
static void
test_forget(void)
{
	struct nym e, f;
	unsigned char id[32];

	mk(&e, "erin", "FFFF", "g6", NYM_ACTIVE);
	mk(&f, "frank", "9999", "g7", NYM_ACTIVE);
	put_nym(&e);
	put_nym(&f);
	put_pending("k6", &e, 0);
	put_pending("k7", &f, 0);
	(void)store_put(st, DB_CHUNKS, "erin", "1 5", 3);
	(void)store_put(st, DB_CHUNKS, "frank", "1 5", 3);
	T(store_write(st, outbox_fn, (void *)"erin") == 0 &&
	    store_write(st, outbox_fn, (void *)"frank") == 0,
	    "outbox records for two nyms");
	T(store_write(st, forget_fn, (void *)"erin") == STORE_OK,
	    "forget erin");
	memset(id, 'e', sizeof(id));
	T(store_get(st, DB_NYMS, "erin", NULL) == STORE_NOTFOUND &&
	    store_get(st, DB_CHUNKS, "erin", NULL) == STORE_NOTFOUND &&
	    store_get(st, DB_CONFIRM, "k6", NULL) == STORE_NOTFOUND,
	    "forget: record, counter and pending change gone");
	T(store_write(st, outbox_fn, (void *)"erin") == 0,
	    "forget: erin's outbox record gone (a new one can be put)");
	T(store_get(st, DB_NYMS, "frank", NULL) == STORE_OK &&
	    store_get(st, DB_CHUNKS, "frank", NULL) == STORE_OK &&
	    store_get(st, DB_CONFIRM, "k7", NULL) == STORE_OK &&
	    store_write(st, outbox_fn, (void *)"frank") == STORE_EXISTS,
	    "forget: frank's state untouched");
	T(store_write(st, forget_fn, (void *)"erin") == STORE_NOTFOUND,
	    "forget: a missing nym is reported");
	nym_free(&e);
	nym_free(&f);
}

int
main(void)
{
	struct buf cmd = BUF_INIT;
	char err[256];

	if (mkdtemp(dir) == NULL ||
	    store_open(&st, dir, 1 << 20, 1, err, sizeof(err)) != STORE_OK) {
		printf("not ok - a store in %s: %s\n", dir, err);
		return 1;
	}
	test_commit();
	test_blocks();
	test_forget();
	store_close(st);
	buf_addf(&cmd, "rm -rf %s", dir);
	if (system(cmd.s) != 0)
		return 1;
	buf_free(&cmd);
	T_END();
}
