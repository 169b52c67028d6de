/* outcome.h - what a signed request causes, kept until every hand-off is done. */
#ifndef NYM_OUTCOME_H
#define NYM_OUTCOME_H

#include <stddef.h>

#include "buf.h"
#include "req.h"

/*
 * An outcome is an ordered list of hand-offs: remailer inputs and
 * sendmail injections.  It is stored with the request's replay entry in
 * the same transaction as the state change; each hand-off is struck off
 * when it succeeds, so the MTA's retry after a temporary failure does
 * exactly what is left (never twice, never taken for a replay).
 */
struct outcome {
	struct buf *items;	/* 'R' + remail input, 'S' + envelope + msg,
				 * or 'N' + news article */
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
void outcome_encode(const struct outcome *, struct buf *out);
int outcome_decode(const void *, size_t, struct outcome *);

/*
 * Hand off every item in order; after each success the replay entry for
 * hash is rewritten with what is left, and finally marked done.  Exits 75
 * (die_temp) on a failed hand-off.
 */
void outcome_run(struct req *r, const unsigned char hash[32],
    struct outcome *o);

#endif
