/* account.c - config@ and confirm+COOKIE@: the life of a nym account. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "account.h"
#include "buf.h"
#include "cfgreq.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "names.h"
#include "nym.h"
#include "outcome.h"
#include "sigreq.h"
#include "store.h"
#include "util.h"

#define COOKIE_BYTES 10		/* 80 bits from the CSPRNG */
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

/* ---- the replay cache ---- */

struct replay {
	const unsigned char *hash;
	long now;
	struct buf *outcome;
	int state;		/* 'P', 'D' or 0 */
};

static int
replay_get_fn(struct stxn *t, void *arg)
{
	struct replay *rp = arg;
	struct buf v = BUF_INIT;
	int rc = txn_get(t, DB_REPLAY, rp->hash, 32, &v);

	if (rc == STORE_OK && v.len > 0) {
		const char *nl = memchr(v.s, '\n', v.len);

		rp->state = v.s[0];
		if (rp->outcome != NULL && nl != NULL)
			buf_set(rp->outcome, nl + 1, v.len - (size_t)(nl + 1 -
			    v.s));
	}
	buf_free(&v);
	return rc;
}

int
account_replay_check(struct store *st, const unsigned char hash[32],
    struct buf *outcome)
{
	struct replay rp = { hash, 0, outcome, 0 };
	int rc = store_read(st, replay_get_fn, &rp);

	if (rc != STORE_OK)
		return rc;
	return rp.state == 'P' ? STORE_EXISTS : STORE_OK;
}

int
account_replay_put(struct stxn *t, const unsigned char hash[32], long now,
    const struct buf *outcome)
{
	struct buf v = BUF_INIT;
	int rc;

	buf_addf(&v, "P%ld\n", now);
	if (outcome != NULL)
		buf_add(&v, outcome->s, outcome->len);
	rc = txn_put_new(t, DB_REPLAY, hash, 32, v.s, v.len);
	buf_wipe(&v);
	return rc;
}

static int
replay_done_fn(struct stxn *t, void *arg)
{
	struct replay *rp = arg;
	char v[32];

	snprintf(v, sizeof(v), "D%ld\n", rp->now);
	return txn_put(t, DB_REPLAY, rp->hash, 32, v, strlen(v));
}

int
account_replay_done(struct store *st, const unsigned char hash[32], long now)
{
	struct replay rp = { hash, now, NULL, 0 };

	return store_write(st, replay_done_fn, &rp);
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

enum action { A_NONE, A_CREATE, A_MODIFY, A_DELETE };

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
	struct buf cookie;
	struct buf errors;
	struct buf *out;	/* remailer inputs: the outcome */
	size_t nout;
	long sigtime;
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
    const char *subject, const char *reply_to, const struct buf *text)
{
	struct buf plain = BUF_INIT;
	int rc;

	notice_compose(x->r->conf, "config", nym, subject, reply_to,
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
	    NF_SIGNSEND, NF_FIXEDSIZE, NF_FINGERKEY, NF_NOBCC, NF_DISABLE };
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

/* Work out the new record (or deletion) from the verified request. */
static void
plan(struct cfg *x)
{
	const struct cfgreq *q = &x->q;
	struct nym *nw = &x->nw;
	int creating = !x->have_old && (q->create || q->create_maybe);

	if (x->errors.len > 0)
		return;
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
		if (q->key.len == 0)
			problem(x, "create: Public-Key: is missing");
		if (q->nblocks == 0)
			problem(x, "create: at least one Reply-Block: is needed");
	} else {
		nw->name = xstrdup(x->old.name);
		nw->flags = x->old.flags;
		nw->limited = x->old.limited;
		nw->created = x->old.created;
		nw->state = x->old.state;
		nw->fullname = x->old.fullname ? xstrdup(x->old.fullname) :
		    NULL;
		nw->fpr = xstrdup(x->old.fpr);
		buf_set(&nw->key, x->old.key.s, x->old.key.len);
		nw->blocks = nym_blocks_copy(x->old.blocks, x->old.nblocks);
		nw->nblocks = x->old.nblocks;
	}
	nw->flags = (nw->flags | q->set) & ~q->clear;
	if (q->clear & NF_DISABLE)
		nw->limited = 0;	/* a signed -disable re-enables */
	if (q->fullname != NULL) {
		free(nw->fullname);
		nw->fullname = xstrdup(q->fullname);
	}
	nw->lastsig = x->sigtime;
	nw->lastwarn = 0;
	if (q->key.len > 0) {
		check_new_key(x, nw->flags);
		free(nw->fpr);
		nw->fpr = xstrdup(x->newki.fpr);
		buf_set(&nw->key, x->newkey.s, x->newkey.len);
	} else if ((nw->flags & NF_CRYPTRECV) && !x->oldki.can_encrypt) {
		problem(x, "+cryptrecv needs a key with an encryption subkey");
	}
	if (q->nblocks > 0) {
		if (x->r->conf->confirm && !creating) {
			x->have_pend = 1;
			x->pend.name = xstrdup(nw->name);
			x->pend.create = 0;
			x->pend.created = x->r->now;
			x->pend.blocks = nym_blocks_copy(q->blocks, q->nblocks);
			x->pend.nblocks = q->nblocks;
		} else {
			nym_blocks_free(nw->blocks, nw->nblocks);
			nw->blocks = nym_blocks_copy(q->blocks, q->nblocks);
			nw->nblocks = q->nblocks;
			if (creating && x->r->conf->confirm) {
				x->have_pend = 1;
				x->pend.name = xstrdup(nw->name);
				x->pend.create = 1;
				x->pend.created = x->r->now;
			}
		}
	}
	x->action = creating ? A_CREATE : A_MODIFY;
}

/* The notices that answer the request, encrypted, ready for remail. */
static void
answer(struct cfg *x)
{
	struct buf text = BUF_INIT, rt = BUF_INIT;
	const struct nym_block *blocks;
	size_t nblocks;
	const struct buf *key;
	int encrypt;
	const char *name = x->q.name ? x->q.name : "?";

	/* The new blocks when the request carries some, else the old. */
	if (x->q.nblocks > 0) {
		blocks = x->q.blocks;
		nblocks = x->q.nblocks;
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
		    "nym config: errors", NULL, &text);
		goto out;
	}
	if (x->action == A_DELETE) {
		buf_addf(&text, "The nym %s@%s has been deleted: its key, "
		    "reply blocks and state are wiped.\n", name,
		    x->r->conf->hostname);
		add_notice(x, key, encrypt, blocks, nblocks, name,
		    "nym config: deleted", NULL, &text);
		goto out;
	}
	buf_addf(&text, "Your request for %s@%s completed successfully.\n\n",
	    name, x->r->conf->hostname);
	buf_addf(&text, "Name: %s\nSwitches:", x->nw.fullname ?
	    x->nw.fullname : "(none)");
	describe_flags(&text, x->nw.flags);
	buf_addf(&text, "\nKey: %s\nReply blocks: %zu\n", x->nw.fpr,
	    x->q.nblocks > 0 ? x->q.nblocks : x->nw.nblocks);
	if (x->have_pend) {
		buf_addf(&rt, "confirm+%s@%s", x->cookie.s,
		    x->r->conf->hostname);
		buf_addf(&text, "\nThe new reply block%s will be used once you "
		    "confirm %s: reply to this message, or send any mail to\n"
		    "  %s\nwithin 7 days.%s\n", x->q.nblocks > 1 ? "s" : "",
		    x->q.nblocks > 1 ? "them" : "it", rt.s,
		    x->action == A_CREATE ? " Until then the nym receives no "
		    "mail." : " Until then the old blocks stay in use.");
	}
	add_notice(x, key, encrypt, blocks, nblocks, name,
	    "nym config: completed successfully", rt.len ? rt.s : NULL, &text);
out:
	buf_free(&text);
	buf_free(&rt);
}

struct apply {
	struct cfg *x;
	struct buf outcome;
};

/* The write transaction: state change and replay entry together. */
static int
apply_fn(struct stxn *t, void *arg)
{
	struct apply *a = arg;
	struct cfg *x = a->x;
	const char *name = x->q.name;
	struct buf v = BUF_INIT, ck = BUF_INIT;
	unsigned char h[32];
	int rc;

	rc = account_replay_put(t, x->sr.hash, (long)x->r->now, &a->outcome);
	if (rc != STORE_OK)
		return rc == STORE_EXISTS ? 1 : rc;	/* raced: drop */
	/* Re-check what the plan assumed; a change means retry. */
	if (x->action == A_CREATE) {
		if (account_name_taken(t, name))
			return STORE_ERR;
	} else if (x->action == A_MODIFY || x->action == A_DELETE) {
		struct nym cur;

		if ((rc = txn_get(t, DB_NYMS, name, strlen(name), &v)) !=
		    STORE_OK)
			return STORE_ERR;
		if (nym_decode(v.s, v.len, &cur) < 0)
			return STORE_ERR;
		rc = strcmp(cur.fpr ? cur.fpr : "", x->old.fpr ? x->old.fpr :
		    "");
		nym_free(&cur);
		if (rc != 0)
			return STORE_ERR;
	}
	if (x->action == A_DELETE) {
		rc = txn_del(t, DB_NYMS, name, strlen(name));
		if (rc == STORE_OK)
			rc = txn_del(t, DB_CHUNKS, name, strlen(name));
		buf_free(&v);
		return rc < 0 ? rc : 0;
	}
	if (x->action == A_CREATE || x->action == A_MODIFY) {
		nym_encode(&x->nw, &v);
		if ((rc = txn_put(t, DB_NYMS, name, strlen(name), v.s,
		    v.len)) < 0)
			goto out;
	}
	if (x->have_pend) {
		util_sha256(x->cookie.s, x->cookie.len, h);
		util_hex(&ck, h, sizeof(h));
		nym_pending_encode(&x->pend, &v);
		if ((rc = txn_put(t, DB_CONFIRM, ck.s, ck.len, v.s, v.len)) < 0)
			goto out;
	}
	rc = 0;
out:
	buf_wipe(&v);
	buf_free(&ck);
	return rc;
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
	account_replay_gate(r, sr->hash);
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

void
account_replay_gate(struct req *r, const unsigned char hash[32])
{
	struct buf stored = BUF_INIT;
	struct outcome o;
	int rc = account_replay_check(r->st, hash, &stored);

	if (rc == STORE_NOTFOUND) {
		buf_free(&stored);
		return;
	}
	if (rc == STORE_OK) {
		log_info("request: dropped: replay");
		die_ok();
	}
	if (rc != STORE_EXISTS)
		die_temp("cannot read the replay cache");
	/* A retry after a temporary failure: finish what is left. */
	if (outcome_decode(stored.s, stored.len, &o) < 0)
		die_temp("corrupt replay record");
	outcome_run(r, hash, &o);
	outcome_free(&o);
	log_info("request: retry completed");
	die_ok();
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

	plan(&x);
	if (x.errors.len > 0)
		x.action = A_NONE;
	if (x.have_pend)
		util_random_hex(&x.cookie, COOKIE_BYTES);
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
	outcome_run(r, x.sr.hash, &oc);
	outcome_free(&oc);
	log_info("config: %s", x.action == A_CREATE ? "created" :
	    x.action == A_MODIFY ? "modified" : x.action == A_DELETE ?
	    "deleted" : "refused with errors");
	deliver_free(x.out, x.nout);
	cfgreq_free(&pre);
	cfgreq_free(&x.q);
	buf_free(&prec);
	sigreq_free(&x.sr);
	server_keys_free(&x.keys);
}

/* ---- confirm+COOKIE@ ---- */

struct confirm {
	const char *key;	/* hex SHA-256 of the cookie */
	unsigned char used[32];	/* its replay-cache key once used */
	long now;
	struct nym_pending pd;
	struct nym y;
	int have;
};

/*
 * A used cookie's replay-cache key: SHA-256 of "confirm:" and the
 * cookie's hash.  A retry of a confirmation that was carried out (its exit
 * status lost to a kill or the MTA) finds it and succeeds without doing
 * anything twice, instead of bouncing as an unknown cookie; expire prunes
 * it with the other replay entries.
 */
static void
used_key(const char *key, unsigned char out[32])
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "confirm:%s", key);
	util_sha256(b.s, b.len, out);
	buf_free(&b);
}

static int
confirm_read_fn(struct stxn *t, void *arg)
{
	struct confirm *cf = arg;
	struct buf v = BUF_INIT;
	int rc = txn_get(t, DB_CONFIRM, cf->key, strlen(cf->key), &v);

	if (rc != STORE_OK)
		goto out;
	if (nym_pending_decode(v.s, v.len, &cf->pd) < 0) {
		rc = STORE_ERR;
		goto out;
	}
	rc = txn_get(t, DB_NYMS, cf->pd.name, strlen(cf->pd.name), &v);
	if (rc == STORE_OK) {
		if (nym_decode(v.s, v.len, &cf->y) < 0)
			rc = STORE_ERR;
		else
			cf->have = 1;
	}
out:
	buf_wipe(&v);
	return rc;
}

static int
confirm_apply_fn(struct stxn *t, void *arg)
{
	struct confirm *cf = arg;
	struct buf v = BUF_INIT;
	int rc;

	char done[32];

	if ((rc = txn_del(t, DB_CONFIRM, cf->key, strlen(cf->key))) !=
	    STORE_OK)
		return rc == STORE_NOTFOUND ? 1 : rc;	/* done already */
	snprintf(done, sizeof(done), "D%ld\n", cf->now);
	if ((rc = txn_put(t, DB_REPLAY, cf->used, sizeof(cf->used), done,
	    strlen(done))) < 0)
		return rc;
	if (cf->pd.create) {
		cf->y.state = NYM_ACTIVE;
	} else {
		nym_blocks_free(cf->y.blocks, cf->y.nblocks);
		cf->y.blocks = nym_blocks_copy(cf->pd.blocks, cf->pd.nblocks);
		cf->y.nblocks = cf->pd.nblocks;
	}
	nym_encode(&cf->y, &v);
	rc = txn_put(t, DB_NYMS, cf->y.name, strlen(cf->y.name), v.s, v.len);
	buf_wipe(&v);
	return rc < 0 ? rc : 0;
}

void
account_confirm(struct req *r)
{
	struct confirm cf;
	struct server_keys keys;
	struct buf key = BUF_INIT, text = BUF_INIT, plain = BUF_INIT;
	struct buf *out = NULL;
	size_t nout = 0, i;
	unsigned char h[32];
	const struct nym_block *blocks;
	size_t nblocks;
	int rc;

	if (r->ext == NULL || strlen(r->ext) != 2 * COOKIE_BYTES)
		die_perm(EX_NOUSER_, "5.1.1", "no such confirmation");
	for (i = 0; r->ext[i]; i++)
		if (!strchr("0123456789abcdef", r->ext[i]))
			die_perm(EX_NOUSER_, "5.1.1", "no such confirmation");
	util_sha256(r->ext, strlen(r->ext), h);
	util_hex(&key, h, sizeof(h));
	memset(&cf, 0, sizeof(cf));
	cf.key = key.s;
	cf.now = (long)r->now;
	used_key(key.s, cf.used);
	rc = store_read(r->st, confirm_read_fn, &cf);
	if (rc == STORE_ERR)
		die_temp("cannot read the state");
	if (rc == STORE_NOTFOUND) {
		rc = account_replay_check(r->st, cf.used, NULL);
		if (rc == STORE_ERR)
			die_temp("cannot read the replay cache");
		if (rc == STORE_OK) {
			log_info("confirm: done already (a retry)");
			die_ok();
		}
		rc = STORE_NOTFOUND;
	}
	if (rc != STORE_OK || !cf.have)
		die_perm(EX_NOUSER_, "5.1.1", "no such confirmation (used or "
		    "expired)");
	if (server_keys_load(r->st, &keys) < 0)
		die_temp("server keys missing from the state");
	blocks = cf.pd.create ? cf.y.blocks : cf.pd.blocks;
	nblocks = cf.pd.create ? cf.y.nblocks : cf.pd.nblocks;
	buf_addf(&text, "The reply block%s of %s@%s %s confirmed and in use.\n",
	    nblocks > 1 ? "s" : "", cf.y.name, r->conf->hostname,
	    nblocks > 1 ? "are" : "is");
	if (cf.pd.create)
		buf_adds(&text, "Your nym is active: it receives mail from now "
		    "on.\n");
	notice_compose(r->conf, "config", cf.y.name, "nym config: confirmed",
	    NULL, text.s, r->now, &plain);
	if (deliver_prepare(r->conf, &keys, &cf.y.key,
	    (cf.y.flags & NF_CRYPTRECV) != 0, blocks, nblocks, plain.s,
	    plain.len, &out, &nout) != GPG_OK)
		die_temp("cannot sign or encrypt the notice");
	/* Hand the notice on first: a failure leaves the cookie usable. */
	if (deliver_send(r->conf, out, nout) < 0)
		die_temp("cannot hand the notice to the remailer");
	rc = store_write(r->st, confirm_apply_fn, &cf);
	if (rc < 0)
		die_temp("cannot update the state");
	log_info("confirm: %s", cf.pd.create ? "nym activated" :
	    "reply blocks replaced");
	deliver_free(out, nout);
	nym_pending_free(&cf.pd);
	nym_free(&cf.y);
	server_keys_free(&keys);
	buf_free(&key);
	buf_free(&text);
	buf_wipe(&plain);
}
