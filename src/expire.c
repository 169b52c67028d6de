/* expire.c - the daily sweep: warn and wipe idle nyms, drop stale state. */
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
#include "outcome.h"
#include "store.h"
#include "util.h"

#define DAY 86400L

enum verdict { V_KEEP, V_WARN, V_WIPE, V_UNCONFIRMED };

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

#define NSCANS 4

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

	if (server_keys_load(st, &keys) < 0)
		return -1;
	deliver_tag(y->name);
	notice_compose(c, "config", y->name, subject, NULL, text, now, &plain);
	if (deliver_prepare(c, &keys, &y->key, (y->flags & NF_CRYPTRECV) != 0,
	    blocks, nblocks, plain.s, plain.len, &in, &n) == GPG_OK &&
	    deliver_send(c, in, n) == 0)
		rc = 0;
	deliver_free(in, n);
	buf_wipe(&plain);
	server_keys_free(&keys);
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
	    DB_REPLAY, DB_OUTBOX };
	static const judge_fn judges[NSCANS] = { nym_judge, confirm_judge,
	    record_judge, record_judge };
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
