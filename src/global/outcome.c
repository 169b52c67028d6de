/* outcome.c - hand-offs of a request, struck off one by one in the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
add_article(struct outcome *o, char kind, const struct buf *article)
{
	struct buf *b = add(o);

	buf_addc(b, kind);
	buf_add(b, article->s, article->len);
}

void
outcome_add_news(struct outcome *o, const struct buf *article)
{
	add_article(o, 'N', article);
}

void
outcome_add_pool(struct outcome *o, const struct buf *article)
{
	add_article(o, 'P', article);
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

int
outcome_rec_parse(const void *v, size_t vl, struct outcome_rec *h)
{
	const char *p = v, *nl = memchr(p, '\n', vl), *q;
	char line[96], *end;
	size_t n;

	memset(h, 0, sizeof(*h));
	if (vl < 2 || (p[0] != 'P' && p[0] != 'D'))
		return -1;
	n = nl != NULL ? (size_t)(nl - p) : vl;
	if (n >= sizeof(line))
		return -1;
	memcpy(line, p, n);
	line[n] = '\0';
	h->state = line[0];
	h->arrival = strtol(line + 1, &end, 10);
	if (end == line + 1)
		return -1;
	if (*end == ' ') {
		h->until = strtol(end + 1, &end, 10);
		if (*end == ' ') {
			q = end + 1;
			if (strlen(q) >= sizeof(h->name))
				return -1;
			snprintf(h->name, sizeof(h->name), "%s", q);
			end += strlen(end);
		}
	}
	if (*end != '\0')
		return -1;
	h->rest = nl != NULL ? nl + 1 : p + vl;
	h->restlen = vl - (size_t)(h->rest - p);
	return 0;
}

void
outcome_rec_encode(const struct outcome_rec *h, const struct outcome *o,
    struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%c%ld %ld", h->state, h->arrival, h->until);
	if (h->name[0] != '\0')
		buf_addf(out, " %s", h->name);
	buf_addc(out, '\n');
	if (o != NULL)
		outcome_encode(o, out);
}

int
outcome_rec_expired(const struct outcome_rec *h, long now, long replay_secs)
{
	if (h->until > 0)
		return now > h->until;
	return now - h->arrival >= replay_secs;
}

struct progress {
	const struct outcome_slot *s;
	struct buf v;
	int del;
};

static int
progress_fn(struct stxn *t, void *arg)
{
	struct progress *pg = arg;
	int rc;

	if (pg->del) {
		rc = txn_del(t, pg->s->db, pg->s->key, pg->s->keylen);
		return rc == STORE_NOTFOUND ? 0 : rc;
	}
	return txn_put(t, pg->s->db, pg->s->key, pg->s->keylen, pg->v.s,
	    pg->v.len);
}

void
outcome_run(struct req *r, const struct outcome_slot *s, struct outcome *o)
{
	struct outcome_rec head = s->head;
	struct progress pg = { s, BUF_INIT, 0 };
	size_t i;

	for (i = 0; i < o->n; i++) {
		const struct buf *it = &o->items[i];
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
		} else if (it->s[0] == 'N' || it->s[0] == 'P') {
			struct buf a = BUF_INIT;

			/* Queued is done: the queue run retries the post. */
			buf_set(&a, it->s + 1, it->len - 1);
			if ((it->s[0] == 'N' ? news_inject(r->conf, &a, r->now,
			    r->now) : news_pool_put(r->conf, &a)) < 0)
				die_temp("cannot queue a news article");
			buf_free(&a);
		}
		if (i + 1 == o->n)
			break;
		/* Strike it off: a retry continues after it. */
		left.items = o->items + i + 1;
		left.n = o->n - i - 1;
		head.state = 'P';
		outcome_rec_encode(&head, &left, &pg.v);
		if (store_write(r->st, progress_fn, &pg) < 0)
			log_warn("cannot record progress (a retry may repeat)");
		buf_wipe(&pg.v);
	}
	head.state = 'D';
	pg.del = !s->keep_done;
	outcome_rec_encode(&head, NULL, &pg.v);
	if (store_write(r->st, progress_fn, &pg) < 0)
		log_warn("cannot mark the request done");
	buf_wipe(&pg.v);
}
