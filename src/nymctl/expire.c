/* expire.c - the daily sweep: warn and wipe idle nyms, keys that expire,
 * drop stale state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "buf.h"
#include "deliver.h"
#include "die.h"
#include "expire.h"
#include "gpg.h"
#include "nym.h"
#include "nymkey.h"
#include "outcome.h"
#include "store.h"
#include "util.h"

#define DAY 86400L

enum verdict { V_KEEP, V_WARN, V_WIPE, V_UNCONFIRMED, V_KEYWARN, V_LEARN };

struct item {
	char *key;		/* nym name, or confirm/replay/outbox key */
	size_t keylen;
	int verdict;
};

/* What one database's records deserve: the scan and the re-check in the
 * write transaction use the same judge, so nothing acts on a verdict the
 * record no longer deserves (a nym signed for since the scan). */
typedef int (*judge_fn)(const void *v, size_t vl, long now, long replay_secs);

struct scan {
	enum store_db db;
	judge_fn judge;
	time_t now;
	long replay_secs;
	struct item *v;
	size_t n;
};

static int
nym_judge(const void *v, size_t vl, long now, long replay_secs)
{
	struct nym y;
	long idle;
	int verdict = V_KEEP;

	(void)replay_secs;
	if (nym_decode(v, vl, &y) < 0)
		return V_KEEP;		/* nymctl check reports it */
	idle = now - (y.lastsig ? y.lastsig : y.created);
	if (y.state == NYM_PENDING && now - y.created >= EXPIRE_CONFIRM_DAYS *
	    DAY)
		verdict = V_UNCONFIRMED;
	else if (idle >= EXPIRE_WIPE_DAYS * DAY)
		verdict = V_WIPE;
	else if (idle >= EXPIRE_WARN_DAYS * DAY &&
	    now - y.lastwarn >= EXPIRE_WARN_EVERY * DAY)
		verdict = V_WARN;
	nym_free(&y);
	return verdict;
}

/* A nym key's lifetime: to be learnt (records from before it was kept),
 * or a warning due before it expires (nymkey_warn_due). */
static int
key_judge(const void *v, size_t vl, long now, long replay_secs)
{
	struct nym y;
	int verdict = V_KEEP;

	(void)replay_secs;
	if (nym_decode(v, vl, &y) < 0)
		return V_KEEP;
	if (!y.keyknown && y.key.len > 0)
		verdict = V_LEARN;
	else if (nymkey_warn_due(&y, now) != 0)
		verdict = V_KEYWARN;
	nym_free(&y);
	return verdict;
}

static int
confirm_judge(const void *v, size_t vl, long now, long replay_secs)
{
	struct nym_pending pd;
	int verdict = V_KEEP;

	(void)replay_secs;
	if (nym_pending_decode(v, vl, &pd) < 0)
		return V_KEEP;
	if (now - pd.created >= EXPIRE_CONFIRM_DAYS * DAY)
		verdict = pd.create ? V_UNCONFIRMED : V_WIPE;
	nym_pending_free(&pd);
	return verdict;
}

/* Replay-cache and outbox records: gone once they may go. */
static int
record_judge(const void *v, size_t vl, long now, long replay_secs)
{
	struct outcome_rec h;

	if (outcome_rec_parse(v, vl, &h) < 0)
		return V_KEEP;		/* nymctl check reports it */
	return outcome_rec_expired(&h, now, replay_secs) ? V_WIPE : V_KEEP;
}

static int
scan_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct scan *s = arg;
	int verdict = s->judge(v, vl, (long)s->now, s->replay_secs);

	if (verdict == V_KEEP)
		return 0;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n].key = xstrndup(k, kl);
	s->v[s->n].keylen = kl;
	s->v[s->n].verdict = verdict;
	s->n++;
	return 0;
}

#define NSCANS 5

static int
scan_fn(struct stxn *t, void *arg)
{
	struct scan *s = arg;
	int i, rc;

	for (i = 0; i < NSCANS; i++)
		if ((rc = txn_iter(t, s[i].db, NULL, 0, scan_cb, &s[i])) < 0)
			return rc;
	return 0;
}

struct one {
	const struct scan *s;
	const struct item *it;
	struct buf v;		/* the record as it was when acted on */
	int done;		/* it still deserved its verdict: acted on */
};

static int
get_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	int rc = txn_get(t, o->s->db, o->it->key, o->it->keylen, &o->v);

	o->done = rc == STORE_OK;
	return rc == STORE_NOTFOUND ? 0 : rc;
}

/*
 * Delete the item, and for a nym everything that hangs on it -- but only
 * if, read again inside this transaction, it still deserves the verdict.
 */
static int
wipe_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	char name[64];
	int rc;

	o->done = 0;
	buf_reset(&o->v);
	rc = txn_get(t, o->s->db, o->it->key, o->it->keylen, &o->v);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (o->s->judge(o->v.s, o->v.len, (long)o->s->now, o->s->replay_secs)
	    != o->it->verdict)
		return 0;
	if (o->s->db == DB_NYMS) {
		snprintf(name, sizeof(name), "%.*s", (int)o->it->keylen,
		    o->it->key);
		rc = account_forget(t, name);
	} else {
		rc = txn_del(t, o->s->db, o->it->key, o->it->keylen);
	}
	if (rc < 0)
		return rc;
	o->done = 1;
	return 0;
}

static void
warned_edit(struct nym *y, void *arg)
{
	y->lastwarn = *(const long *)arg;
}

static int
warned_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	char name[64];
	long now = (long)o->s->now;
	int rc;

	snprintf(name, sizeof(name), "%.*s", (int)o->it->keylen, o->it->key);
	rc = account_update(t, name, warned_edit, &now);
	return rc == STORE_OK || rc == STORE_NOTFOUND ? 0 : STORE_ERR;
}

/* Send text to nym y through blocks (server notice; not counted). */
static int
tell(const struct conf *c, struct store *st, const struct nym *y,
    const struct nym_block *blocks, size_t nblocks, const char *subject,
    const char *text, time_t now)
{
	struct server_keys keys;
	struct buf plain = BUF_INIT, *in = NULL;
	size_t n = 0;
	int rc = -1;

	/* Nothing in clear to a +cryptrecv nym whose key is gone. */
	if (!nymkey_reachable(y, (long)now))
		return 0;
	if (server_keys_load(st, &keys) < 0)
		return -1;
	deliver_tag(y->name);
	notice_compose(c, "config", y->name, subject, NULL, text, now, &plain);
	switch (nymkey_notice(c, &keys, &y->key, (y->flags & NF_CRYPTRECV) !=
	    0, blocks, nblocks, plain.s, plain.len, &in, &n)) {
	case GPG_OK:
		rc = deliver_send(c, in, n) == 0 ? 0 : -1;
		break;
	case GPG_BAD:
		rc = 0;		/* its key expired: no notice can go */
		break;
	default:
		break;
	}
	deliver_free(in, n);
	buf_wipe(&plain);
	server_keys_free(&keys);
	return rc;
}

struct keyedit {
	const struct nym *y;	/* as read when judged */
	struct gpg_keyinfo ki;	/* learnt */
	int warned;		/* the threshold warned */
};

static void
learnt_edit(struct nym *y, void *arg)
{
	const struct keyedit *e = arg;

	if (!y->keyknown && account_same(y, e->y))
		nymkey_record(y, &e->ki);
}

static int
learnt_fn(struct stxn *t, void *arg)
{
	const struct keyedit *e = arg;
	int rc = account_update(t, e->y->name, learnt_edit, arg);

	return rc == STORE_OK || rc == STORE_NOTFOUND ? 0 : STORE_ERR;
}

static void
keywarned_edit(struct nym *y, void *arg)
{
	const struct keyedit *e = arg;

	/* Only for the expiry date warned about (not a refreshed key). */
	if (account_same(y, e->y) && y->keyexp == e->y->keyexp)
		y->keywarned = e->warned;
}

static int
keywarned_fn(struct stxn *t, void *arg)
{
	const struct keyedit *e = arg;
	int rc = account_update(t, e->y->name, keywarned_edit, arg);

	return rc == STORE_OK || rc == STORE_NOTFOUND ? 0 : STORE_ERR;
}

/*
 * A nym key's lifetime: learnt into a record from before it was kept
 * (one gpg import), then, when due, the warning 30 or 7 days before the
 * key expires -- once per threshold and expiry date, encrypted to the
 * key while it still serves, through the nym's reply blocks.  Returns 1
 * when a warning went out, 0, or -1 on failure.
 */
static int
key_sweep(const struct conf *c, struct store *st, struct one *o)
{
	struct buf text = BUF_INIT;
	struct keyedit e;
	struct nym y;
	long now = (long)o->s->now, days;
	int rc = 0;

	if (store_read(st, get_fn, o) < 0)
		return -1;
	if (!o->done || nym_decode(o->v.s, o->v.len, &y) < 0)
		return 0;
	memset(&e, 0, sizeof(e));
	e.y = &y;
	if (!y.keyknown) {
		int g = nymkey_facts(c, &y.key, &e.ki);

		if (g == GPG_TEMP || (g == GPG_OK && store_write(st, learnt_fn,
		    &e) < 0)) {
			rc = -1;
			goto out;
		}
		if (g != GPG_OK || e.ki.nkeys != 1)
			goto out;	/* nymctl check reports the record */
		nymkey_record(&y, &e.ki);
	}
	if ((e.warned = nymkey_warn_due(&y, now)) == 0)
		goto out;
	days = (y.keyexp - now + 86399) / 86400;
	buf_addf(&text, "The key of your nym %s@%s\n(%s) expires on ",
	    y.name, c->hostname, y.fpr != NULL ? y.fpr : "?");
	util_date(&text, (time_t)y.keyexp);
	buf_addf(&text, ", in %ld day%s.\n\nAfter that, mail to the nym is "
	    "refused (5.2.1), requests signed by the\nkey are not carried "
	    "out, and this server can no longer write to you.\n\n", days,
	    days == 1 ? "" : "s");
	nymkey_howto(&text, c, &y);
	if (tell(c, st, &y, y.blocks, y.nblocks, "nym key expiry warning",
	    text.s, o->s->now) < 0 || store_write(st, keywarned_fn, &e) < 0)
		rc = -1;
	else
		rc = 1;
out:
	nym_free(&y);
	buf_free(&text);
	return rc;
}

static void
free_scan(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].key);
	free(s->v);
}

/* A warning to an idle nym, still due when read again. */
static int
warn(const struct conf *c, struct store *st, struct one *o)
{
	struct buf text = BUF_INIT;
	struct nym y;
	long now = (long)o->s->now, idle;
	int rc = 0;

	if (store_read(st, get_fn, o) < 0)
		return -1;
	if (!o->done || nym_judge(o->v.s, o->v.len, now, 0) != V_WARN ||
	    nym_decode(o->v.s, o->v.len, &y) < 0)
		return 0;
	idle = (now - (y.lastsig ? y.lastsig : y.created)) / DAY;
	buf_addf(&text, "Your nym %s@%s has not been used with a valid "
	    "signature for %ld days.\nIt will be wiped in %ld days unless you "
	    "send a signed request to\nconfig@%s (any modification will do).\n",
	    y.name, c->hostname, idle, EXPIRE_WIPE_DAYS - idle > 0 ?
	    EXPIRE_WIPE_DAYS - idle : 0, c->hostname);
	if (tell(c, st, &y, y.blocks, y.nblocks, "nym expiry warning", text.s,
	    o->s->now) < 0 || store_write(st, warned_fn, o) < 0)
		rc = -1;
	nym_free(&y);
	buf_free(&text);
	return rc;
}

/* An unconfirmed change, dropped: then its owner is told (old blocks). */
static int
drop_change(const struct conf *c, struct store *st, struct one *o)
{
	struct nym_pending pd;
	struct nym y;
	int rc = 0;

	if (store_write(st, wipe_fn, o) < 0)
		return -1;
	if (!o->done || nym_pending_decode(o->v.s, o->v.len, &pd) < 0)
		return 0;
	if (account_get(st, pd.name, &y) == STORE_OK) {
		if (tell(c, st, &y, y.blocks, y.nblocks,
		    "nym config: change dropped", "Your new reply block was not "
		    "confirmed within 7 days: the change was dropped and the old "
		    "reply blocks stay in use.\n", o->s->now) < 0)
			rc = -1;
		nym_free(&y);
	}
	nym_pending_free(&pd);
	return rc;
}

int
expire_run(const struct conf *c, struct store *st, time_t now, int dry_run,
    struct expire_counts *cnt)
{
	static const enum store_db dbs[NSCANS] = { DB_NYMS, DB_CONFIRM,
	    DB_REPLAY, DB_OUTBOX, DB_NYMS };
	static const judge_fn judges[NSCANS] = { nym_judge, confirm_judge,
	    record_judge, record_judge, key_judge };
	struct scan s[NSCANS];
	size_t i;
	int k, rc = 0;

	memset(cnt, 0, sizeof(*cnt));
	memset(s, 0, sizeof(s));
	for (k = 0; k < NSCANS; k++) {
		s[k].db = dbs[k];
		s[k].judge = judges[k];
		s[k].now = now;
		s[k].replay_secs = (long)c->replay_days * DAY;
	}
	if (store_read(st, scan_fn, s) < 0)
		return -1;
	for (k = 0; k < NSCANS; k++) {
		for (i = 0; i < s[k].n; i++) {
			struct one o = { &s[k], &s[k].v[i], BUF_INIT, 0 };
			int verdict = s[k].v[i].verdict;

			if (k == 4) {
				/* Keys: learnt, or warned before expiry. */
				int w = dry_run ? verdict == V_KEYWARN :
				    key_sweep(c, st, &o);

				if (w < 0)
					rc = -1;
				else
					cnt->keys_warned += (unsigned)w;
				buf_wipe(&o.v);
				continue;
			}
			if (k == 0 && verdict == V_WARN)
				cnt->warned++;
			else if (k == 0 && verdict == V_WIPE)
				cnt->wiped++;
			else if (k == 0)
				cnt->unconfirmed++;
			else if (k == 1 && verdict == V_WIPE)
				cnt->dropped_changes++;
			else if (k == 2)
				cnt->replay_pruned++;
			else if (k == 3)
				cnt->handoffs_dropped++;
			if (dry_run)
				continue;
			if (k == 0 && verdict == V_WARN)
				rc |= warn(c, st, &o);
			else if (k == 1 && verdict == V_WIPE)
				rc |= drop_change(c, st, &o);
			else if (store_write(st, wipe_fn, &o) < 0)
				rc = -1;
			buf_wipe(&o.v);
		}
		free_scan(&s[k]);
	}
	return rc < 0 ? -1 : 0;
}
