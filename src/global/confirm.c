/* confirm.c - pending changes, bound to the nym that asked, and their confirmation. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "buf.h"
#include "confirm.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "nym.h"
#include "outcome.h"
#include "replay.h"
#include "store.h"
#include "util.h"
#include "wipe.h"

#define DAY 86400L

int
confirm_cookie_ok(const char *cookie)
{
	size_t n = strlen(cookie);

	return n == 2 * CONFIRM_COOKIE_BYTES &&
	    strspn(cookie, "0123456789abcdef") == n;
}

void
confirm_key(const char *cookie, struct buf *key)
{
	unsigned char h[32];

	util_sha256(cookie, strlen(cookie), h);
	buf_reset(key);
	util_hex(key, h, sizeof(h));
}

void
confirm_bind(struct nym_pending *pd, const struct nym *y)
{
	free(pd->fpr);
	free(pd->gen);
	pd->fpr = xstrdup(y->fpr != NULL ? y->fpr : "");
	pd->gen = y->gen != NULL ? xstrdup(y->gen) : NULL;
	pd->nym_created = y->created;
}

/* Does the nym's block set come from the request pd belongs to? */
static int
same_batch(const struct nym_pending *pd, const struct nym *y)
{
	return pd->batch != NULL && y->batch != NULL &&
	    strcmp(pd->batch, y->batch) == 0;
}

int
confirm_matches(const struct nym_pending *pd, const struct nym *y)
{
	/* A change recorded without its nym's key (before changes were
	 * bound), or without its request's batch id and its one block
	 * (before per-block cookies, when one cookie stood for every block
	 * of a request), matches nothing: its owner asks again. */
	return pd->name != NULL && y->name != NULL &&
	    strcmp(pd->name, y->name) == 0 && pd->fpr != NULL &&
	    pd->fpr[0] != '\0' && y->fpr != NULL &&
	    strcasecmp(pd->fpr, y->fpr) == 0 &&
	    pd->nym_created == y->created &&
	    strcmp(pd->gen != NULL ? pd->gen : "",
	    y->gen != NULL ? y->gen : "") == 0 &&
	    pd->batch != NULL && pd->batch[0] != '\0' && pd->nblocks == 1 &&
	    /* A create's later blocks join the set its first one began. */
	    (!pd->create || y->state == NYM_PENDING || same_batch(pd, y));
}

void
confirm_blocks(const struct nym_pending *pd, const struct nym *y,
    const struct nym_block **blocks, size_t *n)
{
	/* Only the block whose cookie came back: the notice never goes
	 * through a block that has not confirmed. */
	(void)y;
	*blocks = pd->blocks;
	*n = pd->nblocks;
}

void
confirm_notice(const struct conf *c, const struct nym_pending *pd,
    const struct nym *y, time_t now, struct buf *plain)
{
	struct buf text = BUF_INIT;

	if (pd->count > 1)
		buf_addf(&text, "Reply block %d of %d", pd->index, pd->count);
	else
		buf_adds(&text, "The new reply block");
	buf_addf(&text, " of %s@%s is confirmed and in use%s.\n", y->name,
	    c->hostname, pd->count > 1 && same_batch(pd, y) ? ", with the "
	    "blocks of the same request confirmed before it" : "");
	if (pd->count > 1 && !same_batch(pd, y))
		buf_addf(&text, "%sach other block of the same request joins "
		    "it once its own\ncookie comes back.\n", pd->create ? "E" :
		    "It replaces the blocks used so far; e");
	if (pd->create && y->state == NYM_PENDING)
		buf_adds(&text, "Your nym is active: it receives mail from now "
		    "on.\n");
	notice_compose(c, "config", y->name, "nym config: confirmed", NULL,
	    text.s, now, plain);
	buf_free(&text);
}

int
confirm_lookup(struct stxn *t, const char *key, struct nym_pending *pd,
    struct nym *y)
{
	struct buf v = BUF_INIT;
	int rc = txn_get(t, DB_CONFIRM, key, strlen(key), &v);

	memset(pd, 0, sizeof(*pd));
	memset(y, 0, sizeof(*y));
	if (rc != STORE_OK)
		goto out;
	if (nym_pending_decode(v.s, v.len, pd) < 0) {
		rc = STORE_ERR;
		goto out;
	}
	rc = txn_get(t, DB_NYMS, pd->name, strlen(pd->name), &v);
	if (rc == STORE_OK && nym_decode(v.s, v.len, y) < 0)
		rc = STORE_ERR;
	else if (rc == STORE_OK && !confirm_matches(pd, y))
		rc = STORE_NOTFOUND;
out:
	if (rc != STORE_OK) {
		nym_pending_free(pd);
		nym_free(y);
	}
	buf_wipe(&v);
	return rc;
}

struct find {
	const char *key;
	struct nym_pending *pd;
	struct nym *y;
};

static int
find_fn(struct stxn *t, void *arg)
{
	struct find *f = arg;

	return confirm_lookup(t, f->key, f->pd, f->y);
}

int
confirm_find(struct store *st, const char *cookie, struct nym_pending *pd,
    struct nym *y)
{
	struct buf key = BUF_INIT;
	struct find f;
	int rc;

	confirm_key(cookie, &key);
	f.key = key.s;
	f.pd = pd;
	f.y = y;
	rc = store_read(st, find_fn, &f);
	buf_free(&key);
	return rc;
}

void
confirm_howto(struct buf *text, const struct conf *c, const char *cookie,
    int index, int count, int creating)
{
	const char *h = c->hostname;

	if (count > 1)
		buf_addf(text, "\nThis message went through reply block %d of "
		    "%d of the request only.\nEach block has a cookie of its "
		    "own, sent only through that block: this\none confirms "
		    "block %d, and block %d is used once it is confirmed,\n"
		    "within 7 days.  %s\n", index, count, index, index,
		    creating ? "The nym receives mail from the first block "
		    "confirmed on;\nuntil then it receives none." : "The "
		    "first block confirmed replaces the old\nones; until then "
		    "they stay in use.");
	else
		buf_addf(text, "\nThe new reply block will be used once you "
		    "confirm it, within 7 days.\n%s\n", creating ? "Until "
		    "then the nym receives no mail." : "Until then the old "
		    "blocks stay in use.");
	buf_addf(text, "\nDo not answer this message from "
	    "your own mailbox: that would put your\naddress in this "
	    "server's mail logs.  Confirm in either of these ways:\n\n"
	    "1. Send any message to confirm+%s@%s\n"
	    "   from any address -- the sender does not matter, so send it "
	    "through an\n   anonymous remailer, e.g. a type-1 remailer "
	    "message whose \"::\" block\n   says:  Anon-To: confirm+%s@%s\n\n"
	    "2. Send config@%s a signed request like this one with the "
	    "line\n   Nym-Commands: confirm=%s\n   (and nothing else to "
	    "change), through a remailer if you like.\n",
	    cookie, h, cookie, h, h, cookie);
}

int
confirm_commit(struct stxn *t, const char *key)
{
	struct nym_pending pd;
	struct nym y;
	struct buf v = BUF_INIT;
	int rc = confirm_lookup(t, key, &pd, &y);

	if (rc == STORE_NOTFOUND)
		return 1;
	if (rc < 0)
		return rc;
	/* The change, applied to the record as it is now: the block joins
	 * the set of its own request, or starts that set, replacing the
	 * blocks of an earlier request.  A create's first block activates. */
	if (same_batch(&pd, &y)) {
		y.blocks = xrealloc(y.blocks, (y.nblocks + 1) *
		    sizeof(*y.blocks));
		y.blocks[y.nblocks] = pd.blocks[0];
		y.blocks[y.nblocks++].text = xstrdup(pd.blocks[0].text);
	} else {
		nym_blocks_free(y.blocks, y.nblocks);
		y.blocks = nym_blocks_copy(pd.blocks, 1);
		y.nblocks = 1;
		free(y.batch);
		y.batch = xstrdup(pd.batch);
	}
	if (pd.create)
		y.state = NYM_ACTIVE;
	nym_encode(&y, &v);
	rc = txn_put(t, DB_NYMS, y.name, strlen(y.name), v.s, v.len);
	if (rc == STORE_OK)
		rc = txn_del(t, DB_CONFIRM, key, strlen(key));
	buf_wipe(&v);
	nym_pending_free(&pd);
	nym_free(&y);
	return rc < 0 ? rc : 0;
}

int
confirm_put_blocks(struct stxn *t, const struct nym_pending *tmpl,
    const struct nym_block *blocks, const struct buf *cookies, size_t n)
{
	struct nym_pending pd = *tmpl;	/* shallow: not freed */
	struct buf v = BUF_INIT, ck = BUF_INIT;
	size_t i;
	int rc = STORE_OK;

	for (i = 0; i < n && rc >= 0; i++) {
		pd.blocks = (struct nym_block *)&blocks[i];
		pd.nblocks = 1;
		pd.index = (int)i + 1;
		confirm_key(cookies[i].s, &ck);
		nym_pending_encode(&pd, &v);
		rc = txn_put(t, DB_CONFIRM, ck.s, ck.len, v.s, v.len);
	}
	buf_wipe(&v);
	buf_free(&ck);
	return rc;
}

struct forget {
	const char *name;
	struct buf *k;
	size_t n;
};

static int
forget_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct forget *f = arg;
	struct nym_pending pd;

	if (nym_pending_decode(v, vl, &pd) < 0)
		return 0;
	if (strcmp(pd.name, f->name) == 0) {
		f->k = xrealloc(f->k, (f->n + 1) * sizeof(*f->k));
		buf_init(&f->k[f->n]);
		buf_set(&f->k[f->n++], k, kl);
	}
	nym_pending_free(&pd);
	return 0;
}

int
confirm_forget(struct stxn *t, const char *name)
{
	struct forget f = { name, NULL, 0 };
	size_t i;
	int rc;

	/* Collect first: no deletes under an open cursor. */
	rc = txn_iter(t, DB_CONFIRM, NULL, 0, forget_cb, &f);
	for (i = 0; i < f.n; i++) {
		if (rc >= 0 && (rc = txn_del(t, DB_CONFIRM, f.k[i].s,
		    f.k[i].len)) == STORE_NOTFOUND)
			rc = 0;
		buf_free(&f.k[i]);
	}
	free(f.k);
	return rc < 0 ? rc : 0;
}

/* ---- confirm+COOKIE@ ---- */

struct cmail {
	const char *key;
	struct nym_pending pd;
	struct nym y;
	const unsigned char *id;	/* the outbox record's */
	long now, until;
	struct buf outcome;
};

static int
lookup_fn(struct stxn *t, void *arg)
{
	struct cmail *cm = arg;

	return confirm_lookup(t, cm->key, &cm->pd, &cm->y);
}

/* The confirmation and its notice's hand-offs, in one transaction. */
static int
commit_fn(struct stxn *t, void *arg)
{
	struct cmail *cm = arg;
	int rc = confirm_commit(t, cm->key);

	if (rc != 0)
		return rc;
	/* The cookie is remembered as used: the MTA's retry of this mail
	 * after its exit status was lost (a kill after the commit, once the
	 * notice went out) is answered 0 and does nothing, not 5.1.1. */
	if (replay_put_done(t, cm->id, cm->now, cm->until) != STORE_OK)
		return STORE_ERR;
	rc = outbox_put(t, cm->id, cm->y.name, cm->now, cm->until,
	    &cm->outcome);
	return rc == STORE_OK ? 0 : STORE_ERR;
}

void
confirm_mail(struct req *r)
{
	static const char tag[] = "nymserv confirm\n";
	struct cmail cm;
	struct server_keys keys;
	struct buf key = BUF_INIT, plain = BUF_INIT, idsrc = BUF_INIT;
	struct buf *out = NULL;
	struct outcome oc;
	const struct nym_block *blocks;
	size_t nout = 0, nblocks, i;
	unsigned char id[32];
	int rc;

	/* The sender does not matter: owners confirm through remailers. */
	if (r->ext == NULL || !confirm_cookie_ok(r->ext))
		die_perm(EX_NOUSER_, "5.1.1", "no such confirmation");
	confirm_key(r->ext, &key);
	buf_adds(&idsrc, tag);
	buf_adds(&idsrc, r->ext);
	util_sha256(idsrc.s, idsrc.len, id);
	buf_wipe(&idsrc);
	/* A retry after the confirmation's notice failed: finish it; a
	 * retry after it was all done (or a replay): nothing to do. */
	outbox_gate(r, id);
	replay_gate(r, id);

	memset(&cm, 0, sizeof(cm));
	cm.key = key.s;
	cm.id = id;
	cm.now = (long)r->now;
	cm.until = cm.now + (long)r->conf->replay_days * DAY;
	rc = store_read(r->st, lookup_fn, &cm);
	if (rc == STORE_ERR)
		die_temp("cannot read the state");
	if (rc != STORE_OK)
		die_perm(EX_NOUSER_, "5.1.1", "no such confirmation (used or "
		    "expired)");
	if (server_keys_load(r->st, &keys) < 0)
		die_temp("server keys missing from the state");
	confirm_notice(r->conf, &cm.pd, &cm.y, r->now, &plain);
	confirm_blocks(&cm.pd, &cm.y, &blocks, &nblocks);
	if (deliver_prepare(r->conf, &keys, &cm.y.key,
	    (cm.y.flags & NF_CRYPTRECV) != 0, blocks, nblocks, plain.s,
	    plain.len, &out, &nout) != GPG_OK)
		die_temp("cannot sign or encrypt the notice");
	outcome_init(&oc);
	for (i = 0; i < nout; i++)
		outcome_add_remail(&oc, &out[i]);
	outcome_encode(&oc, &cm.outcome);
	/* State first, then the notice: it never announces a change that a
	 * racing delete undid, and a retry sends only what is left. */
	rc = store_write(r->st, commit_fn, &cm);
	buf_wipe(&cm.outcome);
	if (rc == 1)
		die_perm(EX_NOUSER_, "5.1.1", "no such confirmation (used or "
		    "expired)");
	if (rc < 0)
		die_temp("cannot update the state");
	wipe_after(r->conf, r->st, cm.y.name, 0);
	deliver_tag(cm.y.name);	/* what remail queues is this nym's */
	outbox_run(r, id, cm.y.name, cm.now, cm.until, &oc);
	log_info("confirm: %s", cm.pd.create && cm.y.state == NYM_PENDING ?
	    "nym activated" : "reply block confirmed");
	outcome_free(&oc);
	deliver_free(out, nout);
	nym_pending_free(&cm.pd);
	nym_free(&cm.y);
	server_keys_free(&keys);
	buf_free(&key);
	buf_wipe(&plain);
}
