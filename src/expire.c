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
#include "store.h"
#include "util.h"

#define DAY 86400L

enum verdict { V_KEEP, V_WARN, V_WIPE, V_UNCONFIRMED };

struct item {
	char *key;		/* nym name, or confirm/replay key */
	size_t keylen;
	int verdict;
};

struct scan {
	time_t now;
	long replay_secs;
	struct item *v;
	size_t n;
};

static void
push(struct scan *s, const void *k, size_t kl, int verdict)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n].key = xstrndup(k, kl);
	s->v[s->n].keylen = kl;
	s->v[s->n].verdict = verdict;
	s->n++;
}

static int
nym_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct scan *s = arg;
	struct nym y;
	long idle;

	if (nym_decode(v, vl, &y) < 0)
		return 0;		/* nymctl check reports it */
	idle = (long)s->now - (y.lastsig ? y.lastsig : y.created);
	if (y.state == NYM_PENDING &&
	    (long)s->now - y.created >= EXPIRE_CONFIRM_DAYS * DAY)
		push(s, k, kl, V_UNCONFIRMED);
	else if (idle >= EXPIRE_WIPE_DAYS * DAY)
		push(s, k, kl, V_WIPE);
	else if (idle >= EXPIRE_WARN_DAYS * DAY &&
	    (long)s->now - y.lastwarn >= EXPIRE_WARN_EVERY * DAY)
		push(s, k, kl, V_WARN);
	nym_free(&y);
	return 0;
}

static int
confirm_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct scan *s = arg;
	struct nym_pending pd;

	if (nym_pending_decode(v, vl, &pd) < 0)
		return 0;
	if ((long)s->now - pd.created >= EXPIRE_CONFIRM_DAYS * DAY)
		push(s, k, kl, pd.create ? V_UNCONFIRMED : V_WIPE);
	nym_pending_free(&pd);
	return 0;
}

static int
replay_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct scan *s = arg;
	char t[32];
	size_t n = vl < sizeof(t) - 1 ? vl : sizeof(t) - 1;

	memcpy(t, v, n);
	t[n] = '\0';
	if (n > 1 && (long)s->now - strtol(t + 1, NULL, 10) >= s->replay_secs)
		push(s, k, kl, V_WIPE);
	return 0;
}

struct scans {
	struct scan nyms, confirms, replays;
};

static int
scan_fn(struct stxn *t, void *arg)
{
	struct scans *s = arg;
	int rc;

	if ((rc = txn_iter(t, DB_NYMS, NULL, 0, nym_cb, &s->nyms)) < 0 ||
	    (rc = txn_iter(t, DB_CONFIRM, NULL, 0, confirm_cb,
	    &s->confirms)) < 0 ||
	    (rc = txn_iter(t, DB_REPLAY, NULL, 0, replay_cb, &s->replays)) < 0)
		return rc;
	return 0;
}

struct one {
	enum store_db db;
	const struct item *it;
	long now;
	struct buf v;
	int found;
};

static int
get_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	int rc = txn_get(t, o->db, o->it->key, o->it->keylen, &o->v);

	o->found = rc == STORE_OK;
	return rc == STORE_NOTFOUND ? 0 : rc;
}

/* Delete a nym and what hangs on it. */
static int
wipe_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	int rc = txn_del(t, o->db, o->it->key, o->it->keylen);

	if (rc < 0)
		return rc;
	if (o->db == DB_NYMS &&
	    (rc = txn_del(t, DB_CHUNKS, o->it->key, o->it->keylen)) < 0)
		return rc;
	return 0;
}

static void
warned_edit(struct nym *y, void *arg)
{
	y->lastwarn = *(long *)arg;
}

static int
warned_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	char name[64];
	int rc;

	snprintf(name, sizeof(name), "%.*s", (int)o->it->keylen, o->it->key);
	rc = account_update(t, name, warned_edit, &o->now);
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

int
expire_run(const struct conf *c, struct store *st, time_t now, int dry_run,
    struct expire_counts *cnt)
{
	struct scans s;
	size_t i;
	int rc = 0;

	memset(cnt, 0, sizeof(*cnt));
	memset(&s, 0, sizeof(s));
	s.nyms.now = s.confirms.now = s.replays.now = now;
	s.replays.replay_secs = (long)c->replay_days * DAY;
	if (store_read(st, scan_fn, &s) < 0)
		return -1;
	for (i = 0; i < s.nyms.n; i++) {
		struct item *it = &s.nyms.v[i];
		struct one o = { DB_NYMS, it, (long)now, BUF_INIT, 0 };
		struct nym y;
		struct buf text = BUF_INIT;

		if (it->verdict == V_WARN)
			cnt->warned++;
		else if (it->verdict == V_WIPE)
			cnt->wiped++;
		else
			cnt->unconfirmed++;
		if (dry_run)
			continue;
		if (store_read(st, get_fn, &o) < 0 || !o.found ||
		    nym_decode(o.v.s, o.v.len, &y) < 0) {
			buf_free(&o.v);
			continue;
		}
		if (it->verdict == V_WARN) {
			long left = EXPIRE_WIPE_DAYS - ((long)now - (y.lastsig ?
			    y.lastsig : y.created)) / DAY;

			buf_addf(&text, "Your nym %s@%s has not been used with a "
			    "valid signature for %ld days.\nIt will be wiped in "
			    "%ld days unless you send a signed request to\n"
			    "config@%s (any modification will do).\n",
			    y.name, c->hostname, ((long)now - (y.lastsig ?
			    y.lastsig : y.created)) / DAY, left > 0 ? left : 0,
			    c->hostname);
			if (tell(c, st, &y, y.blocks, y.nblocks,
			    "nym expiry warning", text.s, now) < 0 ||
			    store_write(st, warned_fn, &o) < 0)
				rc = -1;
		} else if (store_write(st, wipe_fn, &o) < 0) {
			rc = -1;
		}
		nym_free(&y);
		buf_free(&text);
		buf_free(&o.v);
	}
	for (i = 0; i < s.confirms.n; i++) {
		struct item *it = &s.confirms.v[i];
		struct one o = { DB_CONFIRM, it, (long)now, BUF_INIT, 0 };
		struct nym_pending pd;

		if (it->verdict == V_WIPE)
			cnt->dropped_changes++;
		if (dry_run)
			continue;
		if (it->verdict == V_WIPE && store_read(st, get_fn, &o) == 0 &&
		    o.found && nym_pending_decode(o.v.s, o.v.len, &pd) == 0) {
			struct nym y;

			/* Tell the owner through the old blocks. */
			if (account_get(st, pd.name, &y) == STORE_OK) {
				if (tell(c, st, &y, y.blocks, y.nblocks,
				    "nym config: change dropped",
				    "Your new reply block was not confirmed "
				    "within 7 days: the change was dropped and "
				    "the old reply blocks stay in use.\n",
				    now) < 0)
					rc = -1;
				nym_free(&y);
			}
			nym_pending_free(&pd);
		}
		if (store_write(st, wipe_fn, &o) < 0)
			rc = -1;
		buf_free(&o.v);
	}
	for (i = 0; i < s.replays.n; i++) {
		struct one o = { DB_REPLAY, &s.replays.v[i], (long)now,
		    BUF_INIT, 0 };

		cnt->replay_pruned++;
		if (!dry_run && store_write(st, wipe_fn, &o) < 0)
			rc = -1;
	}
	free_scan(&s.nyms);
	free_scan(&s.confirms);
	free_scan(&s.replays);
	return rc;
}
