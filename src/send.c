/* send.c - send@: a signed message leaves as Full Name <nym+ext@HOST>. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "addr.h"
#include "article.h"
#include "block.h"
#include "buf.h"
#include "cfgreq.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "msg.h"
#include "names.h"
#include "news.h"
#include "nym.h"
#include "nymmail.h"
#include "outcome.h"
#include "replay.h"
#include "respond.h"
#include "send.h"
#include "sigreq.h"
#include "util.h"

#define DAY 86400L
#define OVER_LIMIT (-10)	/* commit_fn: aborts the transaction */
#define CHANGED (-11)		/* ... the nym changed since it was read */

/*
 * The only header fields send@ passes on (SECURITY.md 3.5): addresses,
 * Subject, threading and MIME structure.  Whatever else a mail client
 * writes (Date in its time zone, Message-ID with its host name,
 * Content-Language, Accept-Language, Thread-Index, X-MS-*, X-Mozilla-*,
 * identity and account keys, Importance, User-Agent, ...) tells about
 * the machine and the person, and fields nobody knows yet will too; Date
 * and Message-ID are made fresh.  strip_headers drops some of these too.
 */
static const char *const allowed[] = {
	"To", "Cc", "Reply-To", "Mail-Followup-To", "Mail-Reply-To",
	"Subject", "In-Reply-To", "References", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
	NULL
};
#define DROPPED_LISTED 40	/* field names the acknowledgement lists */

struct snd {
	struct req *r;
	struct server_keys keys;
	struct sigreq sr;
	struct buf content;	/* the verified plaintext message */
	struct msg m;		/* ... parsed */
	char *nym, *ext;
	struct nym y;
	struct gpg_keyinfo ki;
	long sigtime;
	unsigned flags;		/* the nym's switches with per-message ones */
	struct rcpts rl;	/* distinct recipients, capped */
	int over;		/* more than max_recipients named */
	size_t nbad;		/* undeliverable addresses seen */
	struct buf problems;	/* listed in the acknowledgement */
	struct buf changes;	/* what was changed or dropped */
	struct buf dropped;	/* fields not passed on (not a reason to ack) */
	size_t ndropped;
	struct buf out;		/* the message as sent */
	int refused;		/* nothing is sent */
	int news;		/* Newsgroups: also (or only) an article */
	struct article art;	/* ... built by article_build */
};

static void __attribute__((noreturn))
drop(const char *why)
{
	log_info("send: dropped: %s", why);
	die_ok();
}

/* Is name in the list (with "Prefix-*" wildcards)? */
static int
in_list(char *const *list, const struct hdr *h)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++) {
		const char *w = list[i];
		size_t n = strlen(w);

		if (n > 0 && w[n - 1] == '*') {
			if (h->namelen >= n - 1 &&
			    strncasecmp(h->name, w, n - 1) == 0)
				return 1;
		} else if (msg_name_is(h, w)) {
			return 1;
		}
	}
	return 0;
}

#define BAD_LISTED 20	/* undeliverable addresses the owner is shown */

/*
 * Add each deliverable address of a field to the recipient list, which
 * stops at the first distinct address past max_recipients (SECURITY.md
 * 3.6): no per-pair work beyond the cap, whatever the header holds.
 */
static void
collect(struct snd *x, const char *field)
{
	size_t i = 0, k;
	const struct hdr *h;

	while (!x->over && (h = msg_next(&x->m, field, &i)) != NULL) {
		struct addrlist l;

		if (addr_parse_list(h->value, strlen(h->value), 1000, &l) < 0) {
			buf_addf(&x->problems, "%s: cannot parse the address "
			    "list\n", field);
			x->refused = 1;
			continue;
		}
		for (k = 0; k < l.n && !x->over; k++) {
			const char *a = l.a[k].addr;

			if (!addr_deliverable(a)) {
				if (++x->nbad <= BAD_LISTED)
					buf_addf(&x->problems, "%s: not a "
					    "deliverable address: %.80s\n",
					    field, a);
				x->refused = 1;
				continue;
			}
			if (addr_rcpts_add(&x->rl, a) == 1)
				x->over = 1;
		}
		addr_free_list(&l);
	}
}

/*
 * Drop recipients on the destination block list (DESIGN.md section 7):
 * the owner is told which, in the acknowledgement; the log only counts.
 */
static void
drop_blocked(struct snd *x)
{
	int *blocked;
	size_t i, k = 0;
	int rc;

	if (x->rl.n == 0)
		return;
	blocked = xcalloc(x->rl.n, sizeof(*blocked));
	rc = block_check(x->r->st, (const char *const *)x->rl.a, x->rl.n,
	    blocked);
	if (rc < 0)
		die_temp("cannot read the block list");
	for (i = 0; i < x->rl.n; i++) {
		if (!blocked[i]) {
			x->rl.a[k++] = x->rl.a[i];
			continue;
		}
		buf_addf(&x->changes, "not sent to %.254s: that destination "
		    "asked not to receive nym mail\n", x->rl.a[i]);
		free(x->rl.a[i]);
	}
	x->rl.n = k;
	free(blocked);
	if (rc > 0)
		log_info("send: %d blocked recipient%s dropped", rc,
		    rc == 1 ? "" : "s");
}

/* The display name, quoted when it holds specials. */
static void
add_display(struct buf *b, const char *name)
{
	const char *p;
	int plain = 1;

	for (p = name; *p; p++)
		if (!(*p == ' ' || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *p)))
			plain = 0;
	if (plain) {
		buf_adds(b, name);
		return;
	}
	buf_addc(b, '"');
	for (p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* Is the body plain text that a clear signature will not break? */
static int
plain_text(const struct msg *m)
{
	const char *ct = msg_get(m, "Content-Type");
	const char *cte = msg_get(m, "Content-Transfer-Encoding");

	if (ct != NULL && strncasecmp(ct, "text/plain", 10) != 0)
		return 0;
	return cte == NULL || strcasecmp(cte, "7bit") == 0 ||
	    strcasecmp(cte, "8bit") == 0;
}

/* The nym's From value: Full Name <nym+ext@HOST>. */
static void
from_value(const struct snd *x, struct buf *b)
{
	if (x->y.fullname != NULL && x->y.fullname[0] != '\0') {
		add_display(b, x->y.fullname);
		buf_adds(b, " <");
	}
	buf_adds(b, x->nym);
	if (x->ext != NULL)
		buf_addf(b, "+%s", x->ext);
	buf_addf(b, "@%s", x->r->conf->hostname);
	if (x->y.fullname != NULL && x->y.fullname[0] != '\0')
		buf_addc(b, '>');
}

/* Does one of the lines in b start with the n bytes of line? */
static int
listed(const struct buf *b, const char *line, size_t n)
{
	const char *p = b->s, *end = b->s + b->len;

	while (p != NULL && p < end) {
		if ((size_t)(end - p) >= n && strncasecmp(p, line, n) == 0)
			return 1;
		if ((p = memchr(p, '\n', (size_t)(end - p))) != NULL)
			p++;
	}
	return 0;
}

/* Note a field not passed on, once per name, for the acknowledgement. */
static void
note_dropped(struct snd *x, const struct hdr *h)
{
	struct buf line = BUF_INIT;

	buf_addf(&line, "removed %.*s:\n", (int)(h->namelen > 64 ? 64 :
	    h->namelen), h->name);
	if (!listed(&x->dropped, line.s, line.len) &&
	    ++x->ndropped <= DROPPED_LISTED)
		buf_add(&x->dropped, line.s, line.len);
	buf_free(&line);
}

/* Is the field on the allow-list and not named by strip_headers? */
static int
passed_on(const struct conf *c, const struct hdr *h)
{
	size_t k;

	for (k = 0; allowed[k] != NULL; k++)
		if (msg_name_is(h, allowed[k]))
			return !in_list(c->strip_headers, h);
	return 0;
}

/*
 * The header as sent: From rewritten, the allowed fields (controls in
 * them turned into spaces), a fresh Date in UTC and Message-ID, the mark.
 */
static void
rewrite(struct snd *x)
{
	const struct conf *c = x->r->conf;
	size_t i;

	buf_adds(&x->out, "From: ");
	from_value(x, &x->out);
	buf_addc(&x->out, '\n');
	for (i = 0; i < x->m.nh; i++) {
		const struct hdr *h = &x->m.h[i];

		if (!passed_on(c, h)) {
			/* Consumed, not removed: From is rewritten, the
			 * commands obeyed, Newsgroups made an article. */
			if (!msg_name_is(h, "From") &&
			    !msg_name_is(h, "Nym-Commands") &&
			    !msg_name_is(h, "Newsgroups"))
				note_dropped(x, h);
			continue;
		}
		if (msg_put_field(&x->out, h->raw, h->rawlen) > 0)
			buf_addf(&x->changes, "control characters replaced by "
			    "spaces in %.*s:\n", (int)h->namelen, h->name);
	}
	buf_adds(&x->out, "Date: ");
	util_date(&x->out, x->r->now);
	buf_adds(&x->out, "\nMessage-ID: ");
	util_msgid(&x->out, c->hostname);
	buf_addc(&x->out, '\n');
	buf_addf(&x->out, "%s\n", c->mark_header);
}

/* The body, clear-signed with the sender certificate when +signsend. */
static void
body(struct snd *x, struct buf *dst)
{
	struct buf text = BUF_INIT, signed_ = BUF_INIT;

	if (!(x->flags & NF_SIGNSEND)) {
		buf_add(dst, x->m.body, x->m.bodylen);
		return;
	}
	if (!plain_text(&x->m)) {
		buf_adds(&x->changes, "not signed: +signsend needs a plain "
		    "text message\n");
		buf_add(dst, x->m.body, x->m.bodylen);
		return;
	}
	buf_add(&text, x->m.body, x->m.bodylen);
	if (text.len > 0 && text.s[text.len - 1] != '\n')
		buf_addc(&text, '\n');
	buf_addf(&text, "\n-- \nSender certificate: this message was sent by "
	    "%s@%s on ", x->nym, x->r->conf->hostname);
	util_date(&text, x->r->now);
	buf_adds(&text, ".\nThe signature of the nym server only certifies "
	    "the sender and date.\n");
	if (gpg_clearsign(x->r->conf->gnupghome, x->keys.server.s, text.s,
	    text.len, &signed_) != GPG_OK)
		die_temp("cannot sign");
	buf_add(dst, signed_.s, signed_.len);
	buf_free(&text);
	buf_free(&signed_);
}

/* Per-message Nym-Commands: only +/-acksend and +/-signsend. */
static void
message_commands(struct snd *x)
{
	size_t i = 0;
	const struct hdr *h;

	x->flags = x->y.flags;
	while ((h = msg_next(&x->m, "Nym-Commands", &i)) != NULL) {
		const char *p = h->value;

		while (*p) {
			const char *t;
			size_t n;

			while (*p == ' ' || *p == '\t')
				p++;
			for (t = p; *p && *p != ' ' && *p != '\t'; p++)
				;
			n = (size_t)(p - t);
			if (n == 0)
				break;
			if (n == 8 && strncasecmp(t, "+acksend", 8) == 0)
				x->flags |= NF_ACKSEND;
			else if (n == 8 && strncasecmp(t, "-acksend", 8) == 0)
				x->flags &= ~NF_ACKSEND;
			else if (n == 9 && strncasecmp(t, "+signsend", 9) == 0)
				x->flags |= NF_SIGNSEND;
			else if (n == 9 && strncasecmp(t, "-signsend", 9) == 0)
				x->flags &= ~NF_SIGNSEND;
			else
				buf_addf(&x->problems, "Nym-Commands: %.*s is "
				    "not a per-message command (ignored)\n",
				    (int)(n > 40 ? 40 : n), t);
		}
	}
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
	if (deliver_prepare(x->r->conf, &x->keys, &x->y.key,
	    (x->y.flags & NF_CRYPTRECV) != 0 && x->ki.can_encrypt, x->y.blocks,
	    x->y.nblocks, plain.s, plain.len, &in, &n) != GPG_OK)
		die_temp("cannot sign or encrypt the acknowledgement");
	for (i = 0; i < n; i++)
		outcome_add_remail(o, &in[i]);
	deliver_free(in, n);
	buf_free(&text);
	buf_wipe(&plain);
}

/* Record the request with only an explanation for the owner. */
static void
refuse(struct snd *x, const char *why)
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
	log_info("send: refused: %s", why);
	die_ok();
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
	from_value(x, &from);
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
	struct buf pre = BUF_INIT;
	struct outcome o;
	struct commit cm;
	struct gpg_sig sig;
	const char *from, *plus;
	int rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	account_request_begin(r, &x.keys, &x.sr, &pre);
	/* Which nym?  From: in the signed text, before verification. */
	if (cfgreq_is_config(pre.s ? pre.s : "", pre.len))
		drop("a config request sent to send@");
	if (msg_parse(&x.m, pre.s ? pre.s : "", pre.len, &lim) != MSG_OK ||
	    (from = msg_get(&x.m, "From")) == NULL)
		drop("no From: in the request");
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
		drop("From: is not a nym name");
	if (x.ext != NULL && (strlen(x.ext) > 64 ||
	    strspn(x.ext, "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
	    strlen(x.ext)))
		drop("From: bad +extension");
	rc = account_get(r->st, x.nym, &x.y);
	if (rc == STORE_ERR)
		die_temp("cannot read the state");
	if (rc != STORE_OK)
		drop("no such nym");

	rc = account_verify(r->conf, &x.sr, &x.y.key, &x.ki, &sig, &x.content,
	    NULL);
	if (rc == GPG_TEMP)
		die_temp("gpg failed");
	if (rc != GPG_OK)
		drop("signature does not verify with the nym's key");
	x.sigtime = sig.timestamp;
	buf_free(&pre);
	if (x.sigtime < (long)r->now - (long)r->conf->replay_days * DAY)
		drop("signature too old");
	if (cfgreq_is_config(x.content.s ? x.content.s : "", x.content.len))
		drop("a config request sent to send@");
	if (msg_parse(&x.m, x.content.s ? x.content.s : "", x.content.len,
	    &lim) != MSG_OK)
		refuse(&x, "The message header is over the limits.");
	message_commands(&x);
	if (x.sigtime > (long)r->now + (long)r->conf->future_days * DAY)
		refuse(&x, "The signature is dated in the future.");
	if (x.y.state != NYM_ACTIVE)
		refuse(&x, "Your nym is not confirmed yet: nothing is sent "
		    "until its reply block is confirmed.");
	if (x.y.limited || (x.y.flags & NF_DISABLE))
		refuse(&x, "Your nym is disabled: nothing is sent.  Send a "
		    "signed -disable to config@ to enable it.");

	addr_rcpts_init(&x.rl, r->conf->max_recipients);
	collect(&x, "To");
	collect(&x, "Cc");
	collect(&x, "Bcc");
	collect(&x, "Hidden-To");
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
		drop_blocked(&x);
		if (x.rl.n == 0 && !x.news)
			refuse(&x, "Every recipient asked not to receive nym "
			    "mail.");
	}
	{
		struct buf b = BUF_INIT;

		body(&x, &b);
		if (x.news)
			post_as_nym(&x, &b);
		rewrite(&x);
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
