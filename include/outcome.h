/* outcome.h - what a signed request causes, kept until every hand-off is done. */
#ifndef NYM_OUTCOME_H
#define NYM_OUTCOME_H

#include <stddef.h>

#include "buf.h"
#include "req.h"
#include "store.h"

/*
 * An outcome is an ordered list of hand-offs: remailer inputs and
 * sendmail injections.  It is stored with the request's replay entry in
 * the same transaction as the state change; each hand-off is struck off
 * when it succeeds, so the MTA's retry after a temporary failure does
 * exactly what is left (never twice, never taken for a replay).
 */
struct outcome {
	struct buf *items;	/* 'R' + remail input, 'S' + envelope + msg,
				 * 'N' + news article, 'P' + pool article */
	size_t n;
};

void outcome_init(struct outcome *);
void outcome_free(struct outcome *);
void outcome_add_remail(struct outcome *, const struct buf *input);
/* Recipients must have passed addr_deliverable (no newlines). */
void outcome_add_sendmail(struct outcome *, const char *sender,
    char *const *rcpts, size_t nrcpts, const struct buf *msg);
/* A news article (article_build) for the news spool (news_inject). */
void outcome_add_news(struct outcome *, const struct buf *article);
/* A pool delivery's article for the pool (news_pool_put). */
void outcome_add_pool(struct outcome *, const struct buf *article);
void outcome_encode(const struct outcome *, struct buf *out);
int outcome_decode(const void *, size_t, struct outcome *);

/*
 * The record an outcome lives in (replay cache, outbox): a first line
 * "Sarrival until[ name]" -- S is 'P' while hand-offs are left, 'D' when
 * done; until is when the record may go (0 in records written before it
 * was kept: then arrival + replay_days); name is the nym an outbox record
 * belongs to -- followed by the encoded outcome.
 */
struct outcome_rec {
	int state;		/* 'P' or 'D' */
	long arrival, until;
	char name[32];		/* "" unless it belongs to a nym */
	const char *rest;	/* the encoded outcome, within the value */
	size_t restlen;
};
int outcome_rec_parse(const void *v, size_t vl, struct outcome_rec *);
/* The value for head (its state, times and name) with outcome o. */
void outcome_rec_encode(const struct outcome_rec *head, const struct outcome *o,
    struct buf *out);
/* May the record go at time now (replay_secs: the legacy lifetime)? */
int outcome_rec_expired(const struct outcome_rec *, long now,
    long replay_secs);

/* Where outcome_run records its progress. */
struct outcome_slot {
	enum store_db db;
	const void *key;
	size_t keylen;
	struct outcome_rec head;	/* state, times, name of the record */
	int keep_done;	/* 1: a 'D' record remains (replay cache); 0: deleted */
};

/*
 * Hand off every item in order; after each success the record is
 * rewritten with what is left, and at the end marked done or deleted.
 * Exits 75 (die_temp) on a failed hand-off.
 */
void outcome_run(struct req *r, const struct outcome_slot *s,
    struct outcome *o);

#endif
