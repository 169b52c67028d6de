/* news.h - the news spool and its poster: an article waits in a file until a peer takes it. */
#ifndef NYM_NEWS_H
#define NYM_NEWS_H

#include <stddef.h>
#include <time.h>

#include "article.h"
#include "buf.h"
#include "conf.h"
#include "store.h"

#define NEWS_MAGIC "nymserv-news 1\n"	/* first line of a spool file */

/*
 * news_spool holds, each file written to a temporary name, fsynced and
 * renamed (util_write_file):
 *   out/DUE.RANDOM   an article to post from time DUE on (mail2news,
 *                    remail's Anon-Post-To, send@ with Newsgroups)
 *   pool/0.RANDOM    a pool delivery, posted by the next flush (-P)
 * Articles are stored without Date and Injection-Date: both are written
 * when the article is offered, so the time it waited is not visible.
 * A file goes when one peer has the article (235, 435, 240); it stays
 * while every peer is down or answers "later"; it is removed (and
 * counted, naming nothing) when every peer refuses it (437, 441).
 */

enum { NEWS_SENT = 0, NEWS_KEPT = 1, NEWS_REFUSED = 2 };

/* Is a news peer configured (the gateway on)? */
int news_enabled(const struct conf *);

/* The article rules of the configuration. */
void news_rules(const struct conf *, struct article_rules *);

/*
 * Queue art (an article_build text) to be posted from time due; its file
 * is appended to path if not NULL.  0, or -1 with errno.
 */
int news_spool_put(const struct conf *, time_t due, const struct buf *art,
    struct buf *path);
/* Queue art in the pool (nym pool delivery).  0, or -1 with errno. */
int news_pool_put(const struct conf *, const struct buf *art);

/*
 * Offer the queued file at path to the peers now.  NEWS_SENT (removed),
 * NEWS_KEPT, NEWS_REFUSED (removed; the last refusal's text in why, if
 * not NULL, cut short and printable).
 */
int news_send_file(const struct conf *, const char *path, time_t now,
    char *why, size_t whylen);

/*
 * The hand-off of remail and send@: queue art and, when it is due, offer
 * it at once (one attempt; the queue run retries).  0 once the article
 * is queued or posted, -1 (temporary) when it could not be queued.
 */
int news_inject(const struct conf *, const struct buf *art, time_t due,
    time_t now);

struct news_counts {
	size_t sent, kept, refused;
};

/*
 * Post what is due in out/ (in time order) and, with pool, every pool
 * file (in a random order).  One connection per peer for the whole run;
 * one flusher at a time (a lock on news_spool/.lock).  0, or -1 with
 * errno if the spool is unusable.
 */
int news_flush(const struct conf *, time_t now, int pool,
    struct news_counts *);

/*
 * Take one unit of the global budget of anonymous articles (news_rate a
 * minute) in its own write transaction: 0 taken, 1 spent (defer: exit
 * 75), or a STORE_* error.
 */
int news_budget(struct store *, time_t now, unsigned rate);

#endif
