/* account.c - config@ and confirm+COOKIE@: the life of a nym account. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "account.h"
#include "buf.h"
#include "cfgreq.h"
#include "confirm.h"
#include "deliver.h"
#include "die.h"
#include "expire.h"
#include "gpg.h"
#include "names.h"
#include "news.h"
#include "nym.h"
#include "nymkey.h"
#include "outcome.h"
#include "remailer.h"
#include "replay.h"
#include "sigreq.h"
#include "store.h"
#include "unread.h"
#include "util.h"
#include "wipe.h"

#define DAY 86400L

/* ---- config@ ---- */

enum action { A_NONE, A_CREATE, A_MODIFY, A_DELETE, A_CONFIRM, A_REVOKE };

struct cfg {
	struct req *r;
	struct server_keys keys;
	struct sigreq sr;
	struct mime_text content;	/* verified request text */
	struct cfgreq q;
	struct nym old;		/* the stored record (modify, delete) */
	int have_old;
	struct nym nw;		/* the record after the request */
	struct buf newkey;	/* Public-Key: as re-exported, if any */
	struct gpg_keyinfo newki;
	struct gpg_keyinfo oldki;	/* facts about the stored key */
	int revoking;		/* Public-Key: revokes the nym's key */
	int unanswered;		/* no answer can reach the owner */
	enum action action;
	struct nym_pending pend;	/* new blocks awaiting confirmation:
					   the part all their records share */
	int have_pend;
	struct nym_pending cpend;	/* confirm=COOKIE: the change ... */
	struct nym cnym;		/* ... and its nym, as read */
	struct buf *cookies;	/* one per new block (q.nblocks) */
	struct buf errors;
	struct buf *out;	/* remailer inputs: the outcome */
	size_t nout;
	long sigtime;
	struct nym_block *okblocks;	/* the request's blocks that passed */
	size_t nok;			/* rm_consent_check (shallow copies) */
};

static void __attribute__((format(printf, 2, 3)))
problem(struct cfg *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&x->errors, fmt, ap);
	va_end(ap);
	buf_addc(&x->errors, '\n');
}

/* Stop here, accepting the message without any answer (logged). */
static void __attribute__((noreturn))
drop(const char *why)
{
	log_info("config: dropped: %s", why);
	die_ok();
}

/* Encrypt a notice and queue it for the blocks given. */
static void
add_notice(struct cfg *x, const struct buf *key, int encrypt,
    const struct nym_block *blocks, size_t nblocks, const char *nym,
    const char *subject, const struct buf *text)
{
	struct buf plain = BUF_INIT;
	int rc;

	/* No Reply-To: a reply from the owner's own mail client would put
	 * their address in our MTA's logs (finding 11). */
	notice_compose(x->r->conf, "config", nym, subject, NULL,
	    text->s ? text->s : "", x->r->now, &plain);
	rc = nymkey_notice(x->r->conf, &x->keys, key, encrypt, blocks,
	    nblocks, plain.s, plain.len, &x->out, &x->nout);
	buf_wipe(&plain);
	if (rc == GPG_BAD)
		x->unanswered = 1;	/* the key expired unbeknown to us */
	else if (rc != GPG_OK)
		die_temp("cannot sign or encrypt a notice");
}

static void
describe_flags(struct buf *b, unsigned flags)
{
	static const unsigned bits[] = { NF_ACKSEND, NF_CRYPTRECV,
	    NF_SIGNSEND, NF_FIXEDSIZE, NF_FINGERKEY, NF_NOBCC, NF_DISABLE,
	    NF_AUTOCRYPT };
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		buf_addf(b, " %c%s", flags & bits[i] ? '+' : '-',
		    cfgreq_flag_name(bits[i]));
}

/* Check a key offered in Public-Key: for use as a nym key. */
static void
check_new_key(struct cfg *x, unsigned flags)
{
	if (x->newki.nkeys != 1)
		problem(x, "Public-Key: must hold exactly one key");
	else if (x->newki.revoked)
		problem(x, "Public-Key: the key is revoked");
	else if (x->newki.expired)
		problem(x, "Public-Key: the key has expired (refresh its "
		    "expiry date first)");
	else if (x->newki.weak)
		problem(x, "Public-Key: RSA, DSA or ElGamal keys need 2048 "
		    "bits or more");
	else if (!x->newki.can_sign)
		problem(x, "Public-Key: the key cannot sign");
	else if ((flags & NF_CRYPTRECV) && !x->newki.can_encrypt)
		problem(x, "Public-Key: the key has no usable encryption "
		    "subkey (needed while +cryptrecv)");
	else if (server_keys_match(&x->keys, x->newki.fpr))
		problem(x, "Public-Key: that is the server's own key");
}

/* A pool value from the request: NULL keeps, "" clears, else sets. */
static void
pool_value(char **field, const char *req)
{
	if (req == NULL)
		return;
	if (*field != NULL)
		memset(*field, 0, strlen(*field));
	free(*field);
	*field = req[0] != '\0' ? xstrdup(req) : NULL;
}

/* Pool delivery (delivery=, hsub=, symmetric=, subject=): the edit. */
static void
pool_edit(const struct cfgreq *q, struct nym *y)
{
	if (q->delivery >= 0)
		y->delivery = q->delivery;
	pool_value(&y->hsub, q->hsub);
	pool_value(&y->symkey, q->symkey);
	pool_value(&y->subject, q->subject);
}

/* Pool delivery needs a news gateway on this server. */
static void
plan_pool(struct cfg *x)
{
	const struct cfgreq *q = &x->q;

	if (q->delivery > NYM_DELIVER_BLOCKS && !news_enabled(x->r->conf))
		problem(x, "delivery=%s: this server does not post to the "
		    "news", q->delivery == NYM_DELIVER_POOL ? "pool" : "both");
}

/*
 * The request's changes to a nym record: applied once to a copy of the
 * record read before verification (for the answer), and again inside the
 * write transaction to the record as it is then, so nothing another
 * writer changed meanwhile (a daily-limit mark, a confirmed block, a
 * warning date) is lost or brought back.
 */
static void
request_edit(const struct cfg *x, struct nym *y)
{
	const struct cfgreq *q = &x->q;

	y->flags = (y->flags | q->set) & ~q->clear;
	if (q->clear & NF_DISABLE)
		y->limited = 0;		/* a signed -disable re-enables */
	if (q->fullname != NULL) {
		free(y->fullname);
		y->fullname = xstrdup(q->fullname);
	}
	if (x->sigtime > y->lastsig)
		y->lastsig = x->sigtime;
	y->lastwarn = 0;
	pool_edit(q, y);
	if (q->key.len > 0) {
		free(y->fpr);
		y->fpr = xstrdup(x->newki.fpr);
		buf_set(&y->key, x->newkey.s, x->newkey.len);
		nymkey_record(y, &x->newki);
	} else if (!y->keyknown && x->oldki.nkeys == 1) {
		nymkey_record(y, &x->oldki);	/* a record from before */
	}
	/* New blocks wait for their confirmation, a new nym's too: a
	 * pending nym holds no block that has not confirmed. */
	if (q->nblocks > 0 && !x->r->conf->confirm) {
		nym_blocks_free(y->blocks, y->nblocks);
		y->blocks = nym_blocks_copy(q->blocks, q->nblocks);
		y->nblocks = q->nblocks;
	}
}

/* A signed confirm=COOKIE: the cookie must be this very nym's. */
static void
plan_confirm(struct cfg *x)
{
	const struct cfgreq *q = &x->q;
	int rc;

	if (!x->have_old) {
		problem(x, "confirm: no such nym");
		return;
	}
	if (q->create || q->create_maybe || q->del || q->fullname != NULL ||
	    q->set || q->clear || q->key.len > 0 || q->nblocks > 0) {
		problem(x, "confirm= stands alone: send other changes in "
		    "another request");
		return;
	}
	rc = confirm_find(x->r->st, q->confirm, &x->cpend, &x->cnym);
	if (rc == STORE_ERR)
		die_temp("cannot read the state");
	if (rc != STORE_OK || !account_same(&x->cnym, &x->old)) {
		problem(x, "confirm: no such confirmation for %s (used, "
		    "expired, or not this nym's)", x->old.name);
		return;
	}
	x->action = A_CONFIRM;
}

/* Work out the new record (or deletion) from the verified request. */
static void
plan(struct cfg *x)
{
	const struct cfgreq *q = &x->q;
	struct nym *nw = &x->nw;
	struct buf v = BUF_INIT;
	int creating = !x->have_old && (q->create || q->create_maybe);

	if (x->revoking) {
		/* The owner's revocation stands, whatever else was asked. */
		x->action = A_REVOKE;
		return;
	}
	if (x->errors.len > 0)
		return;
	if (q->confirm != NULL) {
		plan_confirm(x);
		return;
	}
	if (q->del) {
		if (!x->have_old) {
			problem(x, "delete: no such nym");
			return;
		}
		x->action = A_DELETE;
		return;
	}
	if (x->have_old && q->create && !q->create_maybe) {
		problem(x, "create: the nym exists already (use create? to "
		    "modify it)");
		return;
	}
	if (!x->have_old && !creating) {
		problem(x, "no such nym (use create)");
		return;
	}
	memset(nw, 0, sizeof(*nw));
	if (creating) {
		nw->name = xstrdup(q->name);
		nw->flags = NF_DEFAULT;
		nw->created = x->r->now;
		nw->state = x->r->conf->confirm ? NYM_PENDING : NYM_ACTIVE;
		/* This incarnation of the name: cookies are bound to it. */
		util_random_hex(&v, 8);
		nw->gen = buf_steal(&v);
		nw->fpr = xstrdup("");
		if (q->key.len == 0)
			problem(x, "create: Public-Key: is missing");
		if (q->nblocks == 0)
			problem(x, "create: at least one Reply-Block: is needed");
	} else {
		nym_encode(&x->old, &v);	/* a copy */
		if (nym_decode(v.s, v.len, nw) < 0)
			die_temp("corrupt nym record");
		buf_wipe(&v);
	}
	request_edit(x, nw);
	plan_pool(x);
	if (q->key.len > 0)
		check_new_key(x, nw->flags);
	else if ((nw->flags & NF_CRYPTRECV) && !x->oldki.can_encrypt)
		problem(x, "+cryptrecv needs a key with an encryption subkey");
	if (nw->delivery != NYM_DELIVER_BLOCKS && !(q->key.len > 0 ?
	    x->newki.can_encrypt : x->oldki.can_encrypt))
		problem(x, "pool delivery needs a key with an encryption "
		    "subkey");
	if (q->nblocks > 0 && x->r->conf->confirm) {
		x->have_pend = 1;
		x->pend.name = xstrdup(nw->name);
		x->pend.create = creating;
		x->pend.created = x->r->now;
		/* One request, one batch: its blocks confirmed one by one
		 * form the nym's new set. */
		util_random_hex(&v, 8);
		x->pend.batch = buf_steal(&v);
		x->pend.count = (int)q->nblocks;
		/* Bound to the key the nym has after this request. */
		confirm_bind(&x->pend, nw);
	}
	x->action = creating ? A_CREATE : A_MODIFY;
}

/*
 * Each new block must reach one address through the layers this server
 * reads (SECURITY.md 3.9); refused blocks never carry the answer.
 */
static void
check_blocks(struct cfg *x)
{
	char why[256];
	size_t i;
	int rc;

	x->okblocks = xcalloc(x->q.nblocks + 1, sizeof(*x->okblocks));
	for (i = 0; i < x->q.nblocks; i++) {
		const char *t = x->q.blocks[i].text;

		rc = rm_consent_check(x->r->conf, t, strlen(t), 1, why,
		    sizeof(why));
		if (rc == RM_TEMP)
			die_temp("gpg failed while checking a reply block");
		if (rc == RM_OK)
			x->okblocks[x->nok++] = x->q.blocks[i];
		else
			problem(x, "Reply-Block %zu refused: %s", i + 1, why);
	}
}

/*
 * New blocks awaiting confirmation: block i alone carries the answer that
 * names cookie i, so whoever reads one block's mail can confirm that
 * block and no other (SECURITY.md 3.9).
 */
static void
answer_blocks(struct cfg *x, const struct buf *key, int encrypt,
    const struct buf *common)
{
	struct buf text = BUF_INIT;
	size_t i;

	for (i = 0; i < x->q.nblocks; i++) {
		buf_set(&text, common->s, common->len);
		confirm_howto(&text, x->r->conf, x->cookies[i].s, (int)i + 1,
		    (int)x->q.nblocks, x->action == A_CREATE);
		add_notice(x, key, encrypt, &x->q.blocks[i], 1, x->q.name,
		    "nym config: completed successfully", &text);
	}
	buf_free(&text);
}

/* The notices that answer the request, encrypted, ready for remail. */
static void
answer(struct cfg *x)
{
	struct buf text = BUF_INIT;
	const struct nym_block *blocks;
	size_t nblocks;
	const struct buf *key;
	int encrypt;
	const char *name = x->q.name ? x->q.name : "?";

	/* The new blocks when the request carries some that passed
	 * check_blocks, else the old. */
	if (x->nok > 0) {
		blocks = x->okblocks;
		nblocks = x->nok;
	} else if (x->have_old) {
		blocks = x->old.blocks;
		nblocks = x->old.nblocks;
	} else {
		drop("no reply block to answer through");
	}
	if (x->action == A_REVOKE) {
		/* Through the old blocks, to the key as it was stored. */
		blocks = x->old.blocks;
		nblocks = x->old.nblocks;
	}
	if (x->action == A_CREATE || x->action == A_MODIFY) {
		key = &x->nw.key;
		encrypt = (x->nw.flags & NF_CRYPTRECV) != 0 &&
		    (x->newkey.len > 0 ? x->newki.can_encrypt :
		    x->oldki.can_encrypt);
	} else if (x->have_old) {
		key = &x->old.key;
		encrypt = (x->old.flags & NF_CRYPTRECV) != 0;
		/* A nym that takes only encrypted mail gets nothing in
		 * clear: with its key expired or revoked, no answer. */
		if (encrypt && !x->oldki.can_encrypt) {
			x->unanswered = 1;
			return;
		}
	} else {
		key = &x->newkey;
		encrypt = x->newki.can_encrypt;
	}
	if (key->len == 0)
		drop("no key to answer with");

	if (x->action == A_NONE) {
		buf_addf(&text, "Your request for %s@%s was NOT carried out:\n\n",
		    name, x->r->conf->hostname);
		buf_add(&text, x->errors.s, x->errors.len);
		add_notice(x, key, encrypt, blocks, nblocks, name,
		    "nym config: errors", &text);
		goto out;
	}
	if (x->action == A_REVOKE) {
		buf_addf(&text, "The key of the nym %s@%s is revoked, so the "
		    "nym is disabled:\nmail to it is refused (5.2.1), and no "
		    "request signed by that key is\ncarried out any more.  "
		    "Other changes asked for in the same request\nwere not "
		    "made.  The name stays taken until the nym is wiped for "
		    "being\nidle, %d days after its last valid signature.\n",
		    name, x->r->conf->hostname, EXPIRE_WIPE_DAYS);
		add_notice(x, key, encrypt, blocks, nblocks, name,
		    "nym config: key revoked, nym disabled", &text);
		goto out;
	}
	if (x->action == A_DELETE) {
		buf_addf(&text, "The nym %s@%s has been deleted: its key, "
		    "reply blocks and state are wiped.\n", name,
		    x->r->conf->hostname);
		add_notice(x, key, encrypt, blocks, nblocks, name,
		    "nym config: deleted", &text);
		goto out;
	}
	if (x->action == A_CONFIRM) {
		struct buf plain = BUF_INIT;

		/* The same notice as for mail to confirm+COOKIE@. */
		confirm_notice(x->r->conf, &x->cpend, &x->cnym, x->r->now,
		    &plain);
		confirm_blocks(&x->cpend, &x->cnym, &blocks, &nblocks);
		if (deliver_prepare(x->r->conf, &x->keys, key, encrypt, blocks,
		    nblocks, plain.s, plain.len, &x->out, &x->nout) != GPG_OK)
			die_temp("cannot sign or encrypt a notice");
		buf_wipe(&plain);
		goto out;
	}
	buf_addf(&text, "Your request for %s@%s completed successfully.\n\n",
	    name, x->r->conf->hostname);
	buf_addf(&text, "Name: %s\nSwitches:", x->nw.fullname ?
	    x->nw.fullname : "(none)");
	describe_flags(&text, x->nw.flags);
	buf_addf(&text, "\nKey: %s\n", x->nw.fpr);
	if (x->nw.keyknown) {
		buf_adds(&text, "Key expires: ");
		if (x->nw.keyexp != 0)
			util_date(&text, (time_t)x->nw.keyexp);
		else
			buf_adds(&text, "never");
		buf_addc(&text, '\n');
	}
	buf_addf(&text, "Reply blocks: %zu\n", x->q.nblocks > 0 ?
	    x->q.nblocks : x->nw.nblocks);
	if (x->nw.delivery != NYM_DELIVER_BLOCKS)
		buf_addf(&text, "Delivery: %s (Subject: %s%s)\n",
		    x->nw.delivery == NYM_DELIVER_POOL ? "the pool only" :
		    "the pool and the reply blocks", x->nw.hsub ? "hSub" :
		    x->nw.subject ? "plain" : "fake hSub", x->nw.symkey ?
		    ", symmetric layer" : "");
	if (x->have_pend) {
		answer_blocks(x, key, encrypt, &text);
		goto out;
	}
	add_notice(x, key, encrypt, blocks, nblocks, name,
	    "nym config: completed successfully", &text);
out:
	buf_free(&text);
}

struct apply {
	struct cfg *x;
	struct buf outcome;
};

static void
lastsig_edit(struct nym *y, void *arg)
{
	long t = *(const long *)arg;

	if (t > y->lastsig)
		y->lastsig = t;
}

/*
 * The write transaction: the replay entry and the state change together,
 * the nym read again here.  A nym that is no longer the one the request
 * was verified against (deleted, re-created, its key changed) aborts:
 * the MTA's retry then works from the state as it is.
 */
static int
apply_fn(struct stxn *t, void *arg)
{
	struct apply *a = arg;
	struct cfg *x = a->x;
	const char *name = x->q.name;
	struct buf v = BUF_INIT, ck = BUF_INIT;
	struct nym cur;
	int rc, have_cur = 0;

	rc = replay_put(t, x->sr.hash, (long)x->r->now,
	    replay_until(x->r->conf, (long)x->r->now, x->sigtime), &a->outcome);
	if (rc != STORE_OK)
		return rc == STORE_EXISTS ? 1 : rc;	/* raced: drop */
	if (x->action == A_CREATE) {
		if (account_name_taken(t, name))
			return STORE_ERR;
	} else if (x->action != A_NONE) {
		if (txn_get(t, DB_NYMS, name, strlen(name), &v) != STORE_OK ||
		    nym_decode(v.s, v.len, &cur) < 0) {
			buf_wipe(&v);
			return STORE_ERR;
		}
		have_cur = 1;
		if (!account_same(&cur, &x->old)) {
			rc = STORE_ERR;
			goto out;
		}
	}
	switch (x->action) {
	case A_DELETE:
		rc = account_forget(t, name);
		goto out;
	case A_CONFIRM:
		confirm_key(x->q.confirm, &ck);
		if ((rc = confirm_commit(t, ck.s)) != 0) {
			rc = STORE_ERR;		/* gone meanwhile: retry */
			goto out;
		}
		rc = account_update(t, name, lastsig_edit, &x->sigtime);
		goto out;
	case A_CREATE:
		nym_encode(&x->nw, &v);
		break;
	case A_MODIFY:
		request_edit(x, &cur);
		nym_encode(&cur, &v);
		break;
	case A_REVOKE:
		/* The revoked copy is kept: the key is dead for good. */
		buf_set(&cur.key, x->newkey.s, x->newkey.len);
		nymkey_record(&cur, &x->newki);
		cur.keyrevoked = 1;
		if (x->sigtime > cur.lastsig)
			cur.lastsig = x->sigtime;
		nym_encode(&cur, &v);
		break;
	default:
		rc = 0;
		goto out;
	}
	if ((rc = txn_put(t, DB_NYMS, name, strlen(name), v.s, v.len)) < 0)
		goto out;
	if (x->have_pend)
		rc = confirm_put_blocks(t, &x->pend, x->q.blocks, x->cookies,
		    x->q.nblocks);
out:
	if (have_cur)
		nym_free(&cur);
	buf_wipe(&v);
	buf_free(&ck);
	return rc < 0 ? rc : 0;
}

void
account_request_begin(struct req *r, struct server_keys *keys,
    struct sigreq *sr, struct mime_text *pre)
{
	int rc;

	if (server_keys_load(r->st, keys) < 0)
		die_temp("server keys missing from the state");
	rc = sigreq_extract(r->conf, &r->msg, sr);
	if (rc == GPG_TEMP)
		die_temp("gpg failed");
	if (rc != GPG_OK) {
		log_info("request: dropped: no signed request");
		die_ok();
	}
	replay_gate(r, sr->hash);
	/* Unreadable: the signer's nym is told why (never in silence). */
	if (sigreq_content(sr, sr->preplain.s, sr->preplain.len, pre) < 0)
		unread_answer(r, keys, sr, r->local, pre->why);
}

/*
 * A sound signature by the nym's own key.  Good: carry on.  The key as
 * stored has expired or is revoked: a copy carried in Public-Key: that
 * revokes it wins; otherwise the owner is told (when that can be done)
 * to carry a refreshed copy.
 */
static void
by_nym_key(struct cfg *x, const struct gpg_sig *sig, int merged,
    int carried)
{
	char when[64];
	struct buf d = BUF_INIT;

	x->sigtime = sig->timestamp;
	if (merged && x->newki.revoked && !x->oldki.revoked) {
		x->revoking = 1;
		return;
	}
	if (sig->good)
		return;
	if (sig->key_revoked || x->oldki.revoked)
		drop("signed by a revoked nym key");
	util_date(&d, (time_t)x->oldki.expires);
	snprintf(when, sizeof(when), "%s", x->oldki.expires ? d.s : "?");
	buf_free(&d);
	if (merged)
		problem(x, "the nym's key expired on %s, and the copy in "
		    "Public-Key: has not been refreshed (give the key a new "
		    "expiry date, then send it again)", when);
	else if (carried)
		problem(x, "the nym's key expired on %s: an expired key "
		    "cannot authorise another; refresh it first (the same key "
		    "with a new expiry date in Public-Key:)", when);
	else
		problem(x, "the nym's key expired on %s: send this request "
		    "again with a refreshed copy of the key (the same key "
		    "with a new expiry date) in Public-Key:", when);
}

/* Who signed (nymkey_auth), and what that means for the request. */
static void
authenticate(struct cfg *x, struct cfgreq *pre)
{
	struct gpg_sig sig;
	int merged;

	switch (nymkey_auth(x->r->conf, &x->sr, x->have_old ? &x->old.key :
	    NULL, pre->key.len > 0 ? &pre->key : NULL, &x->oldki, &x->newki,
	    &x->newkey, &x->content, &sig, &merged)) {
	case NKA_STORED:
		if (!merged && pre->key.len > 0 && x->newki.nkeys == 0)
			problem(x, "Public-Key: cannot be read");
		by_nym_key(x, &sig, merged, pre->key.len > 0);
		return;
	case NKA_CARRIED:
		x->sigtime = sig.timestamp;
		if (x->have_old) {
			/* A newcomer's key: the name belongs to another. */
			nym_free(&x->old);
			x->have_old = 0;
			problem(x, "the name %s is taken", pre->name);
		}
		return;
	case NKA_TEMP:
		die_temp("gpg failed");
	default:
		drop(x->have_old ? "signature does not verify with the nym's "
		    "key" : "signature does not verify");
	}
}

void
account_config(struct req *r)
{
	struct cfg x;
	struct cfgreq pre;
	struct mime_text prec;
	struct apply a;
	struct outcome oc;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	account_request_begin(r, &x.keys, &x.sr, &prec);
	/* Before verification: which nym, and which key to try. */
	if (cfgreq_parse(prec.text.s ? prec.text.s : "", prec.text.len, &pre)
	    < 0)
		unread_answer(r, &x.keys, &x.sr, "config", "the text is not a "
		    "config request: its first line must be \"Config:\" (a "
		    "message to send goes to send@)");
	if (pre.name != NULL && names_valid(pre.name)) {
		rc = account_get(r->st, pre.name, &x.old);
		if (rc == STORE_ERR)
			die_temp("cannot read the state");
		x.have_old = rc == STORE_OK;
	}
	if (!x.have_old && pre.key.len == 0)
		unread_answer(r, &x.keys, &x.sr, "config", pre.name == NULL ?
		    "the request names no nym (a \"From: NAME\" line)" :
		    "the request names no nym of this server, and carries no "
		    "key to create one with");
	authenticate(&x, &pre);

	if (server_keys_match(&x.keys, x.newki.fpr) && !x.have_old)
		drop("signed by the server's own key");
	if (x.sigtime < (long)r->now - (long)r->conf->replay_days * DAY)
		drop("signature too old");

	if (cfgreq_parse(x.content.text.s ? x.content.text.s : "",
	    x.content.text.len, &x.q) < 0)
		drop("verified text is not a config request");
	if (x.q.name == NULL || pre.name == NULL ||
	    strcmp(x.q.name, pre.name) != 0)
		drop("verified text differs");
	if (x.sigtime > (long)r->now + (long)r->conf->future_days * DAY)
		problem(&x, "the signature is dated in the future");
	if (x.q.nerrors > 0)
		buf_add(&x.errors, x.q.errors.s, x.q.errors.len);
	if (!x.have_old && (x.q.create || x.q.create_maybe) &&
	    names_reserved(x.q.name))
		problem(&x, "the name %s is reserved", x.q.name);
	else if (!x.have_old && (x.q.create || x.q.create_maybe)) {
		/* Nyms and aliases share one namespace. */
		rc = store_get(r->st, DB_ALIASES, x.q.name, NULL);
		if (rc == STORE_ERR)
			die_temp("cannot read the state");
		if (rc == STORE_OK)
			problem(&x, "the name %s is taken", x.q.name);
	}

	check_blocks(&x);
	plan(&x);
	if (x.errors.len > 0 && x.action != A_REVOKE)
		x.action = A_NONE;
	if (x.have_pend) {
		x.cookies = xcalloc(x.q.nblocks, sizeof(*x.cookies));
		for (i = 0; i < x.q.nblocks; i++)
			util_random_hex(&x.cookies[i], CONFIRM_COOKIE_BYTES);
	}
	answer(&x);

	a.x = &x;
	buf_init(&a.outcome);
	outcome_init(&oc);
	for (i = 0; i < x.nout; i++)
		outcome_add_remail(&oc, &x.out[i]);
	outcome_encode(&oc, &a.outcome);
	rc = store_write(r->st, apply_fn, &a);
	buf_wipe(&a.outcome);
	if (rc == 1)
		drop("replay (concurrent)");
	if (rc < 0)
		die_temp("cannot update the state");
	if (x.action != A_NONE)
		wipe_after(r->conf, r->st, x.q.name, x.action == A_DELETE);
	deliver_tag(x.q.name);
	replay_run(r, x.sr.hash, (long)r->now, replay_until(r->conf,
	    (long)r->now, x.sigtime), &oc);
	outcome_free(&oc);
	log_info("config: %s%s", x.action == A_CREATE ? "created" :
	    x.action == A_MODIFY ? "modified" : x.action == A_DELETE ?
	    "deleted" : x.action == A_CONFIRM ? "confirmed" :
	    x.action == A_REVOKE ? "key revoked, nym disabled" :
	    "refused with errors", x.unanswered ? " (no answer: the nym's "
	    "key cannot be encrypted to)" : "");
	deliver_free(x.out, x.nout);
	for (i = 0; x.cookies != NULL && i < x.q.nblocks; i++)
		buf_wipe(&x.cookies[i]);
	free(x.cookies);
	nym_pending_free(&x.pend);
	nym_pending_free(&x.cpend);
	nym_free(&x.cnym);
	nym_free(&x.nw);
	nym_free(&x.old);
	free(x.okblocks);
	cfgreq_free(&pre);
	cfgreq_free(&x.q);
	mime_text_free(&prec);
	mime_text_free(&x.content);
	buf_wipe(&x.newkey);
	sigreq_free(&x.sr);
	server_keys_free(&x.keys);
}
