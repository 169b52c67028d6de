/* replay.c - the replay cache and the outbox: records of hand-offs left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "die.h"
#include "outcome.h"
#include "replay.h"
#include "store.h"

#define DAY 86400L

long
replay_until(const struct conf *c, long now, long sigtime)
{
	/* A future-dated signature stays acceptable until it is
	 * replay_days old; a record with hand-offs left must also outlast
	 * the MTA's retries of the request (replay_days from now). */
	return (sigtime > now ? sigtime : now) + (long)c->replay_days * DAY;
}

static int
put(struct stxn *t, enum store_db db, const unsigned char id[32],
    const char *name, long now, long until, const struct buf *outcome,
    int state)
{
	struct outcome_rec h;
	struct buf v = BUF_INIT;
	int rc;

	memset(&h, 0, sizeof(h));
	h.state = (char)state;
	h.arrival = now;
	h.until = until;
	if (name != NULL)
		snprintf(h.name, sizeof(h.name), "%s", name);
	outcome_rec_encode(&h, NULL, &v);
	if (outcome != NULL)
		buf_add(&v, outcome->s, outcome->len);
	rc = txn_put_new(t, db, id, 32, v.s, v.len);
	buf_wipe(&v);
	return rc;
}

int
replay_put(struct stxn *t, const unsigned char id[32], long now, long until,
    const struct buf *outcome)
{
	return put(t, DB_REPLAY, id, NULL, now, until, outcome, 'P');
}

int
replay_put_done(struct stxn *t, const unsigned char id[32], long now,
    long until)
{
	return put(t, DB_REPLAY, id, NULL, now, until, NULL, 'D');
}

int
outbox_put(struct stxn *t, const unsigned char id[32], const char *name,
    long now, long until, const struct buf *outcome)
{
	return put(t, DB_OUTBOX, id, name, now, until, outcome, 'P');
}

struct look {
	enum store_db db;
	const unsigned char *id;
	struct buf v;
};

static int
look_fn(struct stxn *t, void *arg)
{
	struct look *lk = arg;

	return txn_get(t, lk->db, lk->id, 32, &lk->v);
}

/*
 * Read id's record in db: STORE_NOTFOUND, or STORE_OK with its head in
 * *h and its outcome decoded into *o (the value stays in lk->v).
 */
static int
look(struct req *r, struct look *lk, struct outcome_rec *h,
    struct outcome *o)
{
	int rc = store_read(r->st, look_fn, lk);

	if (rc == STORE_NOTFOUND)
		return rc;
	if (rc != STORE_OK)
		die_temp("cannot read the state");
	if (outcome_rec_parse(lk->v.s, lk->v.len, h) < 0 ||
	    outcome_decode(h->rest, h->restlen, o) < 0)
		die_temp("corrupt hand-off record");
	return STORE_OK;
}

/*
 * id's record in db: none, return; done ('D', the replay cache only),
 * a replay: exit 0; hand-offs left, a retry: finish them and exit 0.
 */
static void
gate(struct req *r, enum store_db db, const unsigned char id[32],
    int keep_done, const char *done)
{
	struct look lk = { db, id, BUF_INIT };
	struct outcome_rec h;
	struct outcome o;
	struct outcome_slot s;

	if (look(r, &lk, &h, &o) == STORE_NOTFOUND) {
		buf_free(&lk.v);
		return;
	}
	if (keep_done && h.state == 'D') {
		log_info("request: dropped: replay");
		die_ok();
	}
	s.db = db;
	s.key = id;
	s.keylen = 32;
	s.head = h;
	s.keep_done = keep_done;
	outcome_run(r, &s, &o);
	outcome_free(&o);
	buf_wipe(&lk.v);
	log_info("%s", done);
	die_ok();
}

void
replay_gate(struct req *r, const unsigned char id[32])
{
	gate(r, DB_REPLAY, id, 1, "request: retry completed");
}

void
outbox_gate(struct req *r, const unsigned char id[32])
{
	gate(r, DB_OUTBOX, id, 0, "retry: the hand-offs left are done");
}

/* Run o's hand-offs for a new record of db (its head: now, until, name). */
static void
run(struct req *r, enum store_db db, const unsigned char id[32],
    const char *name, long now, long until, int keep_done, struct outcome *o)
{
	struct outcome_slot s;

	memset(&s, 0, sizeof(s));
	s.db = db;
	s.key = id;
	s.keylen = 32;
	s.head.arrival = now;
	s.head.until = until;
	if (name != NULL)
		snprintf(s.head.name, sizeof(s.head.name), "%s", name);
	s.keep_done = keep_done;
	outcome_run(r, &s, o);
}

void
replay_run(struct req *r, const unsigned char id[32], long now, long until,
    struct outcome *o)
{
	run(r, DB_REPLAY, id, NULL, now, until, 1, o);
}

void
outbox_run(struct req *r, const unsigned char id[32], const char *name,
    long now, long until, struct outcome *o)
{
	run(r, DB_OUTBOX, id, name, now, until, 0, o);
}

struct forget {
	const char *name;
	struct buf keys;	/* 32-byte keys, back to back */
};

static int
forget_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct forget *f = arg;
	struct outcome_rec h;

	if (kl == 32 && outcome_rec_parse(v, vl, &h) == 0 &&
	    strcmp(h.name, f->name) == 0)
		buf_add(&f->keys, k, kl);
	return 0;
}

int
outbox_forget(struct stxn *t, const char *name)
{
	struct forget f = { name, BUF_INIT };
	size_t off;
	int rc;

	/* The outbox is empty but for failed hand-offs: a scan is cheap.
	 * Collect first: no deletes under an open cursor. */
	rc = txn_iter(t, DB_OUTBOX, NULL, 0, forget_cb, &f);
	for (off = 0; rc >= 0 && off + 32 <= f.keys.len; off += 32)
		if ((rc = txn_del(t, DB_OUTBOX, f.keys.s + off, 32)) ==
		    STORE_NOTFOUND)
			rc = 0;
	buf_free(&f.keys);
	return rc < 0 ? rc : 0;
}
