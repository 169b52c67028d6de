/* send.c - send@: a signed message leaves as Full Name <nym+ext@HOST>. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "addr.h"
#include "article.h"
#include "buf.h"
#include "cfgreq.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "msg.h"
#include "names.h"
#include "news.h"
#include "nym.h"
#include "nymkey.h"
#include "nymmail.h"
#include "outcome.h"
#include "replay.h"
#include "respond.h"
#include "send.h"
#include "sendmsg.h"
#include "sigreq.h"
#include "unread.h"
#include "util.h"

#define DAY 86400L
#define OVER_LIMIT (-10)	/* commit_fn: aborts the transaction */
#define CHANGED (-11)		/* ... the nym changed since it was read */

static void __attribute__((noreturn))
drop(const char *why)
{
	log_info("send: dropped: %s", why);
	die_ok();
}

/* How long the request's replay-cache record lives. */
static long
until(const struct snd *x)
{
	return replay_until(x->r->conf, (long)x->r->now, x->sigtime);
}

struct commit {
	struct snd *x;
	struct buf outcome;
	unsigned long chunks;
	int over;
	int sending;		/* the outcome sends the message */
};

/*
 * The nym read again inside the commit: still the one the request was
 * verified against (not deleted, re-created or re-keyed meanwhile) and,
 * when the message goes out, still allowed to send (not disabled by the
 * daily limit or the operator meanwhile).  Otherwise CHANGED: the
 * transaction aborts and the MTA's retry decides afresh.
 */
static int
recheck(struct stxn *t, const struct snd *x, int sending)
{
	struct buf v = BUF_INIT;
	struct nym cur;
	int rc = txn_get(t, DB_NYMS, x->nym, strlen(x->nym), &v);

	if (rc == STORE_OK && nym_decode(v.s, v.len, &cur) < 0)
		rc = STORE_ERR;
	buf_wipe(&v);
	if (rc == STORE_NOTFOUND)
		return CHANGED;
	if (rc != STORE_OK)
		return rc;
	if (!account_same(&cur, &x->y) || (sending &&
	    (cur.state != NYM_ACTIVE || cur.limited ||
	    (cur.flags & NF_DISABLE))))
		rc = CHANGED;
	nym_free(&cur);
	return rc;
}

static void
set_lastsig(struct nym *y, void *arg)
{
	long t = *(long *)arg;

	if (t > y->lastsig)
		y->lastsig = t;
}

static void
set_limited(struct nym *y, void *arg)
{
	(void)arg;
	y->limited = 1;
}

/* Replay entry, chunk count and last-signature date in one transaction. */
static int
commit_fn(struct stxn *t, void *arg)
{
	struct commit *cm = arg;
	struct snd *x = cm->x;
	int rc;

	cm->over = 0;
	rc = replay_put(t, x->sr.hash, (long)x->r->now, until(x), &cm->outcome);
	if (rc != STORE_OK)
		return rc == STORE_EXISTS ? 1 : rc;
	if ((rc = recheck(t, x, cm->sending)) != STORE_OK)
		return rc;
	if (cm->chunks > 0 && (rc = chunks_add(t, x->nym, x->r->now,
	    cm->chunks, x->r->conf->daily_chunks, &cm->over, NULL)) < 0)
		return rc;
	if (cm->over)
		return OVER_LIMIT;	/* abort: the caller re-plans */
	if (x->keydead)
		return 0;	/* not a valid signature: the nym stays idle */
	rc = account_update(t, x->nym, set_lastsig, &x->sigtime);
	return rc == STORE_OK ? 0 : STORE_ERR;
}

/* Over the daily limit: disable the nym and record the request. */
static int
limit_fn(struct stxn *t, void *arg)
{
	struct commit *cm = arg;
	struct snd *x = cm->x;
	int rc;

	rc = replay_put(t, x->sr.hash, (long)x->r->now, until(x), &cm->outcome);
	if (rc != STORE_OK)
		return rc == STORE_EXISTS ? 1 : rc;
	if ((rc = recheck(t, x, 0)) != STORE_OK)
		return rc;
	rc = account_update(t, x->nym, set_limited, NULL);
	return rc == STORE_OK ? 0 : STORE_ERR;
}

/* The acknowledgement through the reply blocks (a server notice). */
static void
ack(struct snd *x, struct outcome *o, const char *subject, const char *why)
{
	struct buf text = BUF_INIT, plain = BUF_INIT, *in = NULL;
	size_t n = 0, i;

	if (why != NULL)
		buf_addf(&text, "%s\n\n", why);
	if (x->problems.len > 0) {
		buf_adds(&text, "Problems:\n");
		buf_add(&text, x->problems.s, x->problems.len);
		buf_addc(&text, '\n');
	}
	if (x->changes.len > 0 || x->dropped.len > 0) {
		buf_adds(&text, "Changes:\n");
		buf_add(&text, x->changes.s, x->changes.len);
		buf_add(&text, x->dropped.s, x->dropped.len);
		if (x->ndropped > DROPPED_LISTED)
			buf_addf(&text, "... and %zu more fields removed\n",
			    x->ndropped - DROPPED_LISTED);
		buf_addc(&text, '\n');
	}
	if (!x->refused && x->rl.n > 0) {
		const char *e = memmem(x->out.s, x->out.len, "\n\n", 2);

		buf_addf(&text, "Sent to %zu recipient%s.  The header as sent:\n\n",
		    x->rl.n, x->rl.n == 1 ? "" : "s");
		util_quote_capped(&text, x->out.s, e ? (size_t)(e - x->out.s) +
		    1 : x->out.len, "> ", RESPOND_QUOTE_MAX);
	}
	if (!x->refused && x->news) {
		const char *a = x->art.text.s ? x->art.text.s : "";
		const char *e = strstr(a, "\n\n");

		buf_addf(&text, "%sPosted to %s (Date added when it leaves).  "
		    "The article's header:\n\n", x->rl.n > 0 ? "\n" : "",
		    x->art.groups.s);
		util_quote_capped(&text, a, e ? (size_t)(e - a) + 1 :
		    strlen(a), "> ", RESPOND_QUOTE_MAX);
	}
	notice_compose(x->r->conf, "send", x->nym, subject, NULL, text.s,
	    x->r->now, &plain);
	/* A nym that takes only encrypted mail gets nothing in clear. */
	if ((x->y.flags & NF_CRYPTRECV) != 0 && !x->ki.can_encrypt)
		log_info("send: no acknowledgement: the nym's key cannot be "
		    "encrypted to");
	else if (nymkey_notice(x->r->conf, &x->keys, &x->y.key,
	    (x->y.flags & NF_CRYPTRECV) != 0, x->y.blocks, x->y.nblocks,
	    plain.s, plain.len, &in, &n) == GPG_TEMP)
		die_temp("cannot sign or encrypt the acknowledgement");
	for (i = 0; i < n; i++)
		outcome_add_remail(o, &in[i]);
	deliver_free(in, n);
	buf_free(&text);
	buf_wipe(&plain);
}

/*
 * Record the request with only an explanation for the owner (why); the
 * log gets logwhy, which names no nym, address or key.
 */
static void __attribute__((noreturn))
refuse_as(struct snd *x, const char *why, const char *logwhy)
{
	struct outcome o;
	struct commit cm;
	int rc;

	x->refused = 1;
	outcome_init(&o);
	ack(x, &o, "nym send: NOT sent", why);
	memset(&cm, 0, sizeof(cm));
	cm.x = x;
	outcome_encode(&o, &cm.outcome);
	rc = store_write(x->r->st, commit_fn, &cm);
	if (rc == 1)
		drop("replay (concurrent)");
	if (rc < 0)
		die_temp("%s", rc == CHANGED ? "the nym changed meanwhile" :
		    "cannot update the state");
	replay_run(x->r, x->sr.hash, (long)x->r->now, until(x), &o);
	log_info("send: refused: %s", logwhy);
	die_ok();
}

/* refuse_as with a fixed explanation, fit for the log as it is. */
static void __attribute__((noreturn))
refuse(struct snd *x, const char *why)
{
	refuse_as(x, why, why);
}

/* The verified request as sent by a nym whose key expired or is revoked. */
static void __attribute__((noreturn))
refuse_keydead(struct snd *x, const struct gpg_sig *sig)
{
	struct buf why = BUF_INIT;

	x->keydead = 1;
	if (sig->key_revoked || x->y.keyrevoked) {
		refuse(x, "The nym's key is revoked: the nym is disabled, and "
		    "nothing is sent.");
	}
	buf_adds(&why, "The nym's key has expired");
	if (x->ki.expires != 0) {
		buf_adds(&why, " (on ");
		util_date(&why, (time_t)x->ki.expires);
		buf_addc(&why, ')');
	}
	buf_addf(&why, ": nothing is sent, and mail to %s@%s is refused "
	    "until the key is refreshed.\n\n", x->nym, x->r->conf->hostname);
	nymkey_howto(&why, x->r->conf, &x->y);
	refuse_as(x, why.s, "the nym's key has expired");
}

/*
 * Which nym a request is from: the From: field of its text, else a
 * protected From: (PGP/MIME, RFC 9788) with an address of this server --
 * never another address, which is the owner's own.
 */
static const char *
request_from(struct snd *x, const struct mime_text *pre)
{
	struct addrlist l;
	const char *from = msg_get(&x->m, "From");
	static char nym[80];

	if (from != NULL || pre->from.len == 0)
		return from;
	if (addr_parse_list(pre->from.s, pre->from.len, 2, &l) < 0)
		return NULL;
	if (l.n == 1 && l.a[0].domain != NULL &&
	    strcasecmp(l.a[0].domain, x->r->conf->hostname) == 0 &&
	    strlen(l.a[0].local) < sizeof(nym))
		from = strcpy(nym, l.a[0].local);
	addr_free_list(&l);
	return from;
}

/* The protected Subject (PGP/MIME) for a text whose header has none. */
static void
protected_subject(struct snd *x)
{
	static const struct msg_limits lim = { 1 << 30, 1000, 8192 };
	struct buf t = BUF_INIT;
	const char *p;

	if (x->content.subject.len == 0 || msg_get(&x->m, "Subject") != NULL)
		return;
	buf_adds(&t, "Subject: ");
	for (p = x->content.subject.s; *p != '\0'; p++)
		buf_addc(&t, *p == '\n' || *p == '\r' ? ' ' : *p);
	buf_addc(&t, '\n');
	buf_add(&t, x->content.text.s, x->content.text.len);
	msg_free(&x->m);
	buf_wipe(&x->content.text);
	x->content.text = t;
	if (msg_parse(&x->m, t.s, t.len, &lim) != MSG_OK)
		refuse(x, "The message header is over the limits.");
}

/*
 * Newsgroups: the article From the nym, under the gateway's rules
 * (article_build); a refusal tells the owner why and sends nothing.
 */
static void
post_as_nym(struct snd *x, const struct buf *b)
{
	struct article_rules rules;
	struct buf from = BUF_INIT;

	if (!news_enabled(x->r->conf))
		refuse(x, "This server posts no news (Newsgroups: is not "
		    "served).");
	sendmsg_from_value(x, &from);
	news_rules(x->r->conf, &rules);
	if (article_build(&rules, &(struct article_in){ .kind = ART_NYM,
	    .m = &x->m, .from = from.s, .body = b->s ? b->s : "",
	    .bodylen = b->len }, &x->art) < 0) {
		buf_addf(&x->problems, "%s\n", x->art.why);
		buf_free(&from);
		refuse(x, "The article was not posted (and no mail was "
		    "sent).");
	}
	buf_free(&from);
}

void
send_handle(struct req *r)
{
	static const struct msg_limits lim = { 1 << 30, 1000, 8192 };
	struct snd x;
	struct mime_text pre;
	struct outcome o;
	struct commit cm;
	struct gpg_sig sig;
	const char *from, *plus;
	int rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	account_request_begin(r, &x.keys, &x.sr, &pre);
	/* Which nym?  From: in the signed text, before verification. */
	if (cfgreq_is_config(pre.text.s ? pre.text.s : "", pre.text.len))
		unread_answer(r, &x.keys, &x.sr, "send", "it is a config "
		    "request: sign it anew and send it to config@");
	if (msg_parse(&x.m, pre.text.s ? pre.text.s : "", pre.text.len, &lim)
	    != MSG_OK || (from = request_from(&x, &pre)) == NULL)
		unread_answer(r, &x.keys, &x.sr, "send", "no \"From: NYM\" "
		    "field in the message's header");
	{
		const char *at = strchr(from, '@');
		size_t n = at ? (size_t)(at - from) : strlen(from);

		x.nym = util_lower(xstrndup(from, n));
	}
	msg_free(&x.m);
	if ((plus = strchr(x.nym, '+')) != NULL) {
		x.ext = xstrdup(plus + 1);
		x.nym[plus - x.nym] = '\0';
	}
	if (!names_valid(x.nym))
		unread_answer(r, &x.keys, &x.sr, "send", "From: names no nym");
	if (x.ext != NULL && (strlen(x.ext) > 64 ||
	    strspn(x.ext, "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
	    strlen(x.ext)))
		drop("From: bad +extension");
	rc = account_get(r->st, x.nym, &x.y);
	if (rc == STORE_ERR)
		die_temp("cannot read the state");
	if (rc != STORE_OK)
		unread_answer(r, &x.keys, &x.sr, "send", "From: names no nym "
		    "of this server");

	rc = nymkey_verify(r->conf, &x.sr, &x.y.key, NULL, &x.ki, NULL, &sig,
	    &x.content, NULL);
	if (rc == GPG_TEMP)
		die_temp("gpg failed");
	if (rc != GPG_OK || !sig.valid)
		drop("signature does not verify with the nym's key");
	x.sigtime = sig.timestamp;
	mime_text_free(&pre);
	if (x.sigtime < (long)r->now - (long)r->conf->replay_days * DAY)
		drop("signature too old");
	if (!sig.good || nymkey_unusable(&x.y, (long)r->now) != NULL)
		refuse_keydead(&x, &sig);
	if (cfgreq_is_config(x.content.text.s ? x.content.text.s : "",
	    x.content.text.len))
		drop("a config request sent to send@");
	if (msg_parse(&x.m, x.content.text.s ? x.content.text.s : "",
	    x.content.text.len, &lim) != MSG_OK)
		refuse(&x, "The message header is over the limits.");
	protected_subject(&x);
	sendmsg_commands(&x);
	if (x.sigtime > (long)r->now + (long)r->conf->future_days * DAY)
		refuse(&x, "The signature is dated in the future.");
	if (x.y.state != NYM_ACTIVE)
		refuse(&x, "Your nym is not confirmed yet: nothing is sent "
		    "until its reply block is confirmed.");
	if (x.y.limited || (x.y.flags & NF_DISABLE))
		refuse(&x, "Your nym is disabled: nothing is sent.  Send a "
		    "signed -disable to config@ to enable it.");

	addr_rcpts_init(&x.rl, r->conf->max_recipients);
	sendmsg_collect(&x, "To");
	sendmsg_collect(&x, "Cc");
	sendmsg_collect(&x, "Bcc");
	sendmsg_collect(&x, "Hidden-To");
	x.news = msg_field(&x.m, "Newsgroups") != NULL;
	if (x.over) {
		buf_addf(&x.problems, "more than %u recipients; the limit is "
		    "%u per message (blocked destinations count too)\n",
		    r->conf->max_recipients, r->conf->max_recipients);
		refuse(&x, "Too many recipients.");
	}
	if (x.nbad > BAD_LISTED)
		buf_addf(&x.problems, "... and %zu more undeliverable "
		    "addresses\n", x.nbad - BAD_LISTED);
	if (x.refused)
		refuse(&x, "Some recipient addresses are unusable.");
	if (x.rl.n == 0 && !x.news)
		refuse(&x, "The message has no recipients.");
	if (x.rl.n > 0) {
		sendmsg_drop_blocked(&x);
		if (x.rl.n == 0 && !x.news)
			refuse(&x, "Every recipient asked not to receive nym "
			    "mail.");
	}
	{
		struct buf b = BUF_INIT;

		sendmsg_body(&x, &b);
		if (x.news)
			post_as_nym(&x, &b);
		sendmsg_rewrite(&x);
		sendmsg_autocrypt(&x);
		buf_addc(&x.out, '\n');
		buf_add(&x.out, b.s, b.len);
		buf_free(&b);
	}
	if (x.out.len > r->conf->max_send_size) {
		buf_addf(&x.problems, "%zu bytes; the limit is %zu\n", x.out.len,
		    r->conf->max_send_size);
		buf_reset(&x.out);
		refuse(&x, "The message is too big.");
	}

	outcome_init(&o);
	{
		struct buf sender = BUF_INIT;

		buf_addf(&sender, "%s@%s", x.nym, r->conf->hostname);
		if (x.rl.n > 0)
			outcome_add_sendmail(&o, sender.s, x.rl.a, x.rl.n,
			    &x.out);
		buf_free(&sender);
	}
	if (x.news)
		outcome_add_news(&o, &x.art.text);
	if ((x.flags & NF_ACKSEND) || x.problems.len > 0 || x.changes.len > 0)
		ack(&x, &o, "nym send: sent", NULL);
	memset(&cm, 0, sizeof(cm));
	cm.x = &x;
	/* An article counts like mail to each of its groups. */
	cm.chunks = x.rl.n + (x.news ? chunks_for(x.art.ngroups,
	    x.art.text.len) : 0);
	cm.sending = 1;
	outcome_encode(&o, &cm.outcome);
	rc = store_write(r->st, commit_fn, &cm);
	if (rc == 1)
		drop("replay (concurrent)");
	if (rc == OVER_LIMIT) {
		/* Over the daily limit: the nym is disabled, nothing sent. */
		struct outcome lo;

		outcome_free(&o);
		outcome_init(&lo);
		x.refused = 1;
		buf_addf(&x.problems, "more than %u chunks today (UTC)\n",
		    r->conf->daily_chunks);
		ack(&x, &lo, "nym disabled: daily limit", "Your nym sent or "
		    "received too much mail today and has been disabled; "
		    "this message was NOT sent.  Send a signed -disable to "
		    "config@ to enable it again.");
		buf_reset(&cm.outcome);
		outcome_encode(&lo, &cm.outcome);
		rc = store_write(r->st, limit_fn, &cm);
		if (rc == 1)
			drop("replay (concurrent)");
		if (rc < 0)
			die_temp("%s", rc == CHANGED ? "the nym changed meanwhile" :
			    "cannot update the state");
		replay_run(r, x.sr.hash, (long)r->now, until(&x), &lo);
		log_info("send: daily limit reached, nym disabled");
		die_ok();
	}
	if (rc < 0)
		die_temp("%s", rc == CHANGED ? "the nym changed meanwhile" :
		    "cannot update the state");
	replay_run(r, x.sr.hash, (long)r->now, until(&x), &o);
	log_info("send: sent to %zu recipient%s%s", x.rl.n,
	    x.rl.n == 1 ? "" : "s", x.news ? ", one article" : "");
	die_ok();
}
