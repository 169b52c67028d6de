/* outcome.c - hand-offs of a request, struck off one by one in the state. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "buf.h"
#include "die.h"
#include "news.h"
#include "nym.h"
#include "outbound.h"
#include "outcome.h"
#include "store.h"

#define MAX_RCPTS 10000

void
outcome_init(struct outcome *o)
{
	o->items = NULL;
	o->n = 0;
}

void
outcome_free(struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		buf_wipe(&o->items[i]);
	free(o->items);
	outcome_init(o);
}

static struct buf *
add(struct outcome *o)
{
	o->items = xrealloc(o->items, (o->n + 1) * sizeof(*o->items));
	buf_init(&o->items[o->n]);
	return &o->items[o->n++];
}

void
outcome_add_remail(struct outcome *o, const struct buf *in)
{
	struct buf *b = add(o);

	buf_addc(b, 'R');
	buf_add(b, in->s, in->len);
}

void
outcome_add_sendmail(struct outcome *o, const char *sender,
    char *const *rcpts, size_t n, const struct buf *msg)
{
	struct buf *b = add(o);
	size_t i;

	buf_addc(b, 'S');
	buf_adds(b, sender);
	buf_addc(b, '\n');
	for (i = 0; i < n; i++) {
		buf_adds(b, rcpts[i]);
		buf_addc(b, '\n');
	}
	buf_addc(b, '\n');
	buf_add(b, msg->s, msg->len);
}

void
outcome_add_news(struct outcome *o, const struct buf *article)
{
	struct buf *b = add(o);

	buf_addc(b, 'N');
	buf_add(b, article->s, article->len);
}

void
outcome_encode(const struct outcome *o, struct buf *out)
{
	nym_list_encode(out, o->items, o->n);
}

int
outcome_decode(const void *p, size_t len, struct outcome *o)
{
	outcome_init(o);
	return nym_list_decode(p, len, &o->items, &o->n);
}

/* Inject an 'S' item: "sender\nrcpt\n...\n\nmessage". */
static int
run_sendmail(const struct req *r, const struct buf *it)
{
	const char *p = it->s + 1, *end = it->s + it->len, *nl;
	char *sender = NULL;
	char **rcpts = NULL;
	size_t n = 0, i;
	int rc = -1;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return -1;
	sender = xstrndup(p, (size_t)(nl - p));
	p = nl + 1;
	while (p < end && *p != '\n' && n < MAX_RCPTS) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto out;
		rcpts = xrealloc(rcpts, (n + 1) * sizeof(*rcpts));
		rcpts[n++] = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (p >= end || n == 0)
		goto out;
	p++;
	rc = sendmail_send(r->conf->sendmail, sender, (const char *const *)rcpts,
	    n, p, (size_t)(end - p));
out:
	for (i = 0; i < n; i++)
		free(rcpts[i]);
	free(rcpts);
	free(sender);
	return rc;
}

struct rest {
	const unsigned char *hash;
	long now;
	struct buf v;
};

static int
rest_fn(struct stxn *t, void *arg)
{
	struct rest *rs = arg;

	return txn_put(t, DB_REPLAY, rs->hash, 32, rs->v.s, rs->v.len);
}

void
outcome_run(struct req *r, const unsigned char hash[32], struct outcome *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		const struct buf *it = &o->items[i];
		struct rest rs = { hash, (long)r->now, BUF_INIT };
		struct outcome left;

		if (it->len == 0)
			continue;
		if (it->s[0] == 'R') {
			if (run_pipe(r->conf->remail, it->s + 1, it->len - 1) !=
			    0)
				die_temp("cannot hand a message to the remailer");
		} else if (it->s[0] == 'S') {
			if (run_sendmail(r, it) < 0)
				die_temp("cannot hand the message to sendmail");
		} else if (it->s[0] == 'N') {
			struct buf a = BUF_INIT;

			/* Queued is done: the queue run retries the post. */
			buf_set(&a, it->s + 1, it->len - 1);
			if (news_inject(r->conf, &a, r->now, r->now) < 0)
				die_temp("cannot queue a news article");
			buf_free(&a);
		}
		/* Strike it off: a retry continues after it. */
		left.items = o->items + i + 1;
		left.n = o->n - i - 1;
		buf_addf(&rs.v, "P%ld\n", (long)r->now);
		outcome_encode(&left, &rs.v);
		if (i + 1 < o->n && store_write(r->st, rest_fn, &rs) < 0)
			log_warn("cannot record progress (a retry may repeat)");
		buf_wipe(&rs.v);
	}
	if (account_replay_done(r->st, hash, (long)r->now) < 0)
		log_warn("cannot mark the request done");
}
