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
#include "gpg.h"
#include "names.h"
#include "news.h"
#include "nym.h"
#include "outcome.h"
#include "remailer.h"
#include "replay.h"
#include "sigreq.h"
#include "store.h"
#include "util.h"
#include "wipe.h"

#define DAY 86400L

/* ---- lookups ---- */

struct getarg {
	const char *name;
	struct buf v;
};

static int
get_fn(struct stxn *t, void *arg)
{
	struct getarg *g = arg;

	return txn_get(t, DB_NYMS, g->name, strlen(g->name), &g->v);
}

int
account_get(struct store *st, const char *name, struct nym *out)
{
	struct getarg g = { name, BUF_INIT };
	int rc = store_read(st, get_fn, &g);

	if (rc == STORE_OK && nym_decode(g.v.s, g.v.len, out) < 0) {
		log_err("corrupt nym record");
		rc = STORE_ERR;
	}
	buf_free(&g.v);
	return rc;
}

int
account_name_taken(struct stxn *t, const char *name)
{
	size_t n = strlen(name);

	if (!names_valid(name) || names_reserved(name))
		return 1;
	return txn_get(t, DB_NYMS, name, n, NULL) == STORE_OK ||
	    txn_get(t, DB_ALIASES, name, n, NULL) == STORE_OK;
}

/* ---- verification with exactly one key ---- */

static int
tmp_parent(const struct conf *c, struct buf *dir)
{
	return util_tmp_dir(c->statedir, dir);
}

int
account_verify(const struct conf *c, const struct sigreq *sr,
    const struct buf *key, struct gpg_keyinfo *ki, struct gpg_sig *sig,
    struct buf *content, struct buf *norm)
{
	struct gpg_tmp *t = NULL;
	struct buf dir = BUF_INIT, plain = BUF_INIT;
	int rc;

	memset(sig, 0, sizeof(*sig));
	if (tmp_parent(c, &dir) < 0) {
		buf_free(&dir);
		return GPG_TEMP;
	}
	if ((rc = gpg_tmp_new(dir.s, &t)) != GPG_OK)
		goto out;
	if ((rc = gpg_tmp_import(t, key->s, key->len, ki)) != GPG_OK)
		goto out;
	if (ki->nkeys != 1) {
		rc = GPG_BAD;
		goto out;
	}
	/* The key as stored: re-exported minimal, whatever the signature. */
	if (norm != NULL && (rc = gpg_tmp_export(t, ki->fpr, norm)) != GPG_OK)
		goto out;
	if (sr->kind == SR_DETACHED)
		rc = gpg_tmp_verify(t, sr->sigdata.s, sr->sigdata.len,
		    sr->text.s, sr->text.len, sig, NULL);
	else
		rc = gpg_tmp_verify(t, sr->sigdata.s, sr->sigdata.len, NULL, 0,
		    sig, &plain);
	if (rc != GPG_OK)
		goto out;
	if (!sig->good) {
		rc = GPG_BAD;
		goto out;
	}
	if (sr->kind == SR_DETACHED)
		rc = sigreq_content(sr, sr->preplain.s, sr->preplain.len,
		    content);
	else
		rc = sigreq_content(sr, plain.s, plain.len, content);
	if (rc < 0) {
		rc = GPG_BAD;
		goto out;
	}
	rc = GPG_OK;
out:
	gpg_tmp_free(t);
	buf_free(&dir);
	buf_wipe(&plain);
	return rc;
}

/* ---- config@ ---- */

enum action { A_NONE, A_CREATE, A_MODIFY, A_DELETE, A_CONFIRM };

struct cfg {
	struct req *r;
	struct server_keys keys;
	struct sigreq sr;
	struct buf content;	/* verified request text */
	struct cfgreq q;
	struct nym old;		/* the stored record (modify, delete) */
	int have_old;
	struct nym nw;		/* the record after the request */
	struct buf newkey;	/* Public-Key: as re-exported, if any */
	struct gpg_keyinfo newki;
	struct gpg_keyinfo oldki;	/* facts about the stored key */
	enum action action;
	struct nym_pending pend;	/* new blocks awaiting confirmation */
	int have_pend;
	struct nym_pending cpend;	/* confirm=COOKIE: the change ... */
	struct nym cnym;		/* ... and its nym, as read */
	struct buf cookie;
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
	rc = deliver_prepare(x->r->conf, &x->keys, key, encrypt, blocks,
	    nblocks, plain.s, plain.len, &x->out, &x->nout);
	buf_wipe(&plain);
	if (rc != GPG_OK)
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
request_edit(const struct cfg *x, struct nym *y, int creating)
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
	}
	/* New blocks wait for their confirmation, except a new nym's. */
	if (q->nblocks > 0 && (creating || !x->r->conf->confirm)) {
		nym_blocks_free(y->blocks, y->nblocks);
		y->blocks = nym_blocks_copy(q->blocks, q->nblocks);
		y->nblocks = q->nblocks;
	}
}

struct cget {
	const char *key;
	struct nym_pending *pd;
	struct nym *y;
};

static int
cget_fn(struct stxn *t, void *arg)
{
	struct cget *g = arg;

	return confirm_lookup(t, g->key, g->pd, g->y);
}

/* A signed confirm=COOKIE: the cookie must be this very nym's. */
static void
plan_confirm(struct cfg *x)
{
	const struct cfgreq *q = &x->q;
	struct buf key = BUF_INIT;
	struct cget g;
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
	confirm_key(q->confirm, &key);
	g.key = key.s;
	g.pd = &x->cpend;
	g.y = &x->cnym;
	rc = store_read(x->r->st, cget_fn, &g);
	buf_free(&key);
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
	request_edit(x, nw, creating);
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
		if (!creating) {
			x->pend.blocks = nym_blocks_copy(q->blocks, q->nblocks);
			x->pend.nblocks = q->nblocks;
		}
		/* Bound to the key the nym has after this request. */
		confirm_bind(&x->pend, nw);
	}
	x->action = creating ? A_CREATE : A_MODIFY;
}

/* How the owner confirms, anonymously (issue 15, finding 11). */
static void
how_to_confirm(struct cfg *x, struct buf *text)
{
	const char *h = x->r->conf->hostname, *c = x->cookie.s;
	int many = x->q.nblocks > 1;

	buf_addf(text, "\nThe new reply block%s will be used once you confirm "
	    "%s, within 7 days.\n%s\n\nDo not answer this message from "
	    "your own mailbox: that would put your\naddress in this "
	    "server's mail logs.  Confirm in either of these ways:\n\n"
	    "1. Send any message to confirm+%s@%s\n"
	    "   from any address -- the sender does not matter, so send it "
	    "through an\n   anonymous remailer, e.g. a type-1 remailer "
	    "message whose \"::\" block\n   says:  Anon-To: confirm+%s@%s\n\n"
	    "2. Send config@%s a signed request like this one with the "
	    "line\n   Nym-Commands: confirm=%s\n   (and nothing else to "
	    "change), through a remailer if you like.\n",
	    many ? "s" : "", many ? "them" : "it",
	    x->action == A_CREATE ? "Until then the nym receives no mail." :
	    "Until then the old blocks stay in use.", c, h, c, h, h, c);
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
	if (x->action == A_CREATE || x->action == A_MODIFY) {
		key = &x->nw.key;
		encrypt = (x->nw.flags & NF_CRYPTRECV) != 0 &&
		    (x->newkey.len > 0 ? x->newki.can_encrypt :
		    x->oldki.can_encrypt);
	} else if (x->have_old) {
		key = &x->old.key;
		encrypt = (x->old.flags & NF_CRYPTRECV) != 0 &&
		    x->oldki.can_encrypt;
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
	buf_addf(&text, "\nKey: %s\nReply blocks: %zu\n", x->nw.fpr,
	    x->q.nblocks > 0 ? x->q.nblocks : x->nw.nblocks);
	if (x->nw.delivery != NYM_DELIVER_BLOCKS)
		buf_addf(&text, "Delivery: %s (Subject: %s%s)\n",
		    x->nw.delivery == NYM_DELIVER_POOL ? "the pool only" :
		    "the pool and the reply blocks", x->nw.hsub ? "hSub" :
		    x->nw.subject ? "plain" : "fake hSub", x->nw.symkey ?
		    ", symmetric layer" : "");
	if (x->have_pend)
		how_to_confirm(x, &text);
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
		request_edit(x, &cur, 0);
		nym_encode(&cur, &v);
		break;
	default:
		rc = 0;
		goto out;
	}
	if ((rc = txn_put(t, DB_NYMS, name, strlen(name), v.s, v.len)) < 0)
		goto out;
	if (x->have_pend) {
		confirm_key(x->cookie.s, &ck);
		nym_pending_encode(&x->pend, &v);
		rc = txn_put(t, DB_CONFIRM, ck.s, ck.len, v.s, v.len);
	}
out:
	if (have_cur)
		nym_free(&cur);
	buf_wipe(&v);
	buf_free(&ck);
	return rc < 0 ? rc : 0;
}

void
account_request_begin(struct req *r, struct server_keys *keys,
    struct sigreq *sr, struct buf *pre)
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
	if (sigreq_content(sr, sr->preplain.s, sr->preplain.len, pre) < 0) {
		log_info("request: dropped: unreadable request");
		die_ok();
	}
}

int
account_update(struct stxn *t, const char *name,
    void (*edit)(struct nym *, void *), void *arg)
{
	struct buf v = BUF_INIT;
	struct nym y;
	int rc = txn_get(t, DB_NYMS, name, strlen(name), &v);

	if (rc != STORE_OK)
		goto out;
	if (nym_decode(v.s, v.len, &y) < 0) {
		log_err("corrupt nym record");
		rc = STORE_ERR;
		goto out;
	}
	edit(&y, arg);
	nym_encode(&y, &v);
	nym_free(&y);
	rc = txn_put(t, DB_NYMS, name, strlen(name), v.s, v.len);
out:
	buf_wipe(&v);
	return rc;
}

int
account_same(const struct nym *a, const struct nym *b)
{
	return a->fpr != NULL && b->fpr != NULL &&
	    strcasecmp(a->fpr, b->fpr) == 0 && a->created == b->created &&
	    strcmp(a->gen != NULL ? a->gen : "", b->gen != NULL ? b->gen :
	    "") == 0;
}

int
account_forget(struct stxn *t, const char *name)
{
	size_t n = strlen(name);
	int rc = txn_del(t, DB_NYMS, name, n);

	if (rc != STORE_OK)
		return rc;
	if ((rc = txn_del(t, DB_CHUNKS, name, n)) < 0 ||
	    (rc = confirm_forget(t, name)) < 0 ||
	    (rc = outbox_forget(t, name)) < 0)
		return rc;
	return STORE_OK;
}

/* Verify with the stored key, then (for a create) with the offered one. */
static void
authenticate(struct cfg *x, struct cfgreq *pre)
{
	struct gpg_sig sig;
	int rc;

	if (x->have_old) {
		rc = account_verify(x->r->conf, &x->sr, &x->old.key, &x->oldki,
		    &sig, &x->content, NULL);
		if (rc == GPG_TEMP)
			die_temp("gpg failed");
		if (rc == GPG_OK) {
			x->sigtime = sig.timestamp;
			if (pre->key.len > 0) {
				/* A new key: inspect it too (not for verify). */
				struct buf c2 = BUF_INIT;
				struct gpg_sig s2;

				rc = account_verify(x->r->conf, &x->sr,
				    &pre->key, &x->newki, &s2, &c2,
				    &x->newkey);
				buf_wipe(&c2);
				if (rc == GPG_TEMP)
					die_temp("gpg failed");
				if (x->newki.nkeys == 0)
					problem(x, "Public-Key: cannot be read");
			}
			return;
		}
	}
	if (pre->key.len == 0)
		drop("signature does not verify with the nym's key");
	rc = account_verify(x->r->conf, &x->sr, &pre->key, &x->newki, &sig,
	    &x->content, &x->newkey);
	if (rc == GPG_TEMP)
		die_temp("gpg failed");
	if (rc != GPG_OK)
		drop("signature does not verify");
	x->sigtime = sig.timestamp;
	if (x->have_old) {
		/* Signed by a newcomer's key: the name belongs to another. */
		nym_free(&x->old);
		x->have_old = 0;
		problem(x, "the name %s is taken", pre->name);
	}
}

void
account_config(struct req *r)
{
	struct cfg x;
	struct cfgreq pre;
	struct buf prec = BUF_INIT;
	struct apply a;
	struct outcome oc;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	account_request_begin(r, &x.keys, &x.sr, &prec);
	/* Before verification: which nym, and which key to try. */
	if (cfgreq_parse(prec.s ? prec.s : "", prec.len, &pre) < 0)
		drop("not a config request");
	if (pre.name != NULL && names_valid(pre.name)) {
		rc = account_get(r->st, pre.name, &x.old);
		if (rc == STORE_ERR)
			die_temp("cannot read the state");
		x.have_old = rc == STORE_OK;
	}
	authenticate(&x, &pre);

	if (server_keys_match(&x.keys, x.newki.fpr) && !x.have_old)
		drop("signed by the server's own key");
	if (x.sigtime < (long)r->now - (long)r->conf->replay_days * DAY)
		drop("signature too old");

	if (cfgreq_parse(x.content.s ? x.content.s : "", x.content.len,
	    &x.q) < 0)
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
	if (x.errors.len > 0)
		x.action = A_NONE;
	if (x.have_pend)
		util_random_hex(&x.cookie, CONFIRM_COOKIE_BYTES);
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
	log_info("config: %s", x.action == A_CREATE ? "created" :
	    x.action == A_MODIFY ? "modified" : x.action == A_DELETE ?
	    "deleted" : x.action == A_CONFIRM ? "confirmed" :
	    "refused with errors");
	deliver_free(x.out, x.nout);
	nym_pending_free(&x.pend);
	nym_pending_free(&x.cpend);
	nym_free(&x.cnym);
	nym_free(&x.nw);
	nym_free(&x.old);
	free(x.okblocks);
	cfgreq_free(&pre);
	cfgreq_free(&x.q);
	buf_free(&prec);
	sigreq_free(&x.sr);
	server_keys_free(&x.keys);
}
