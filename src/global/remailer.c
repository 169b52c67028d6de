/* remailer.c - the type-1 remailer's logic: peel layers, re-address, queue. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "block.h"
#include "buf.h"
#include "conf.h"
#include "article.h"
#include "die.h"
#include "gpg.h"
#include "gpgkey.h"
#include "msg.h"
#include "news.h"
#include "outbound.h"
#include "remailer.h"
#include "respond.h"
#include "spool.h"
#include "stamp.h"
#include "store.h"
#include "t1crypt.h"
#include "type1.h"
#include "util.h"

void
rm_init(struct rm_run *r, const struct conf *c, int public_mode, time_t now)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->public_mode = public_mode;
	r->strict = !public_mode;	/* only nymserv pipes in local mode */
	r->now = now;
	rm_block_init(&r->blk, c);
}

void
rm_block_init(struct rm_block *b, const struct conf *c)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
}

void
rm_block_close(struct rm_block *b)
{
	store_close(b->st);
	b->st = NULL;
}

int
rm_block_check(const char *const *rcpts, size_t n, int *blocked, void *arg)
{
	struct rm_block *b = arg;
	char err[256];
	int rc;

	if (b->st == NULL && store_open_ro(&b->st, b->c->statedir,
	    b->c->map_size, err, sizeof(err)) != STORE_OK) {
		/* Unreadable state: fail closed, the MTA retries. */
		log_err("state: %s", err);
		b->st = NULL;
		return -1;
	}
	rc = block_check(b->st, rcpts, n, blocked);
	if (rc < 0) {
		log_err("cannot read the destination block list");
		return -1;
	}
	b->dropped += (size_t)rc;
	return rc;
}

static void
out_free(struct rm_out *o)
{
	size_t i;

	for (i = 0; i < o->nrcpts; i++)
		free(o->rcpts[i]);
	free(o->rcpts);
	buf_wipe(&o->msg);
}

void
rm_free(struct rm_run *r)
{
	size_t i;

	for (i = 0; i < r->nout; i++)
		out_free(&r->out[i]);
	free(r->out);
	r->out = NULL;
	r->nout = 0;
	rm_block_close(&r->blk);
}

static int __attribute__((format(printf, 4, 5)))
refuse(struct rm_run *r, int code, const char *status, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return RM_PERM;
}

/* Anon-To into validated addresses (at most remail_max_recipients). */
static int
recipients(struct rm_run *r, const char *v, struct rm_out *o)
{
	struct addrlist l;
	size_t i;

	if (addr_parse_list(v, strlen(v), r->c->remail_max_recipients, &l) < 0)
		return refuse(r, EX_DATAERR_, "5.1.3",
		    "bad Anon-To (syntax, or more than %u addresses)",
		    r->c->remail_max_recipients);
	if (l.n == 0) {
		addr_free_list(&l);
		return refuse(r, EX_DATAERR_, "5.1.3", "empty Anon-To");
	}
	o->rcpts = xcalloc(l.n + 1, sizeof(*o->rcpts));
	for (i = 0; i < l.n; i++) {
		if (l.a[i].domain == NULL || !addr_deliverable(l.a[i].addr)) {
			addr_free_list(&l);
			return refuse(r, EX_DATAERR_, "5.1.3",
			    "undeliverable Anon-To address");
		}
		o->rcpts[o->nrcpts++] = xstrdup(l.a[i].addr);
	}
	addr_free_list(&l);
	return RM_OK;
}

/*
 * Leave out the recipients on the destination block list.  Silently, as
 * classic remailers do with dest.blk: a refusal would bounce to the
 * previous hop (or make nymserv retry), and would let anyone probe the
 * list by mailing an address and watching for the bounce.
 */
static int
drop_blocked(struct rm_run *r, struct rm_out *o)
{
	int *blocked = xcalloc(o->nrcpts, sizeof(*blocked));
	size_t i, k = 0;
	int n;

	n = rm_block_check((const char *const *)o->rcpts, o->nrcpts, blocked,
	    &r->blk);
	if (n > 0) {
		for (i = 0; i < o->nrcpts; i++) {
			if (blocked[i])
				free(o->rcpts[i]);
			else
				o->rcpts[k++] = o->rcpts[i];
		}
		o->rcpts[k] = NULL;
		o->nrcpts = k;
	}
	free(blocked);
	return n < 0 ? RM_TEMP : RM_OK;
}

/* The Latent-Time delay: random when asked (CSPRNG), capped. */
static long
delay_of(struct rm_run *r, const struct t1_latent *lt)
{
	long d = t1_latent_max(lt, r->now);

	if (d > 0 && lt->random)
		d = (long)util_random_below((unsigned long)d + 1);
	if (d > (long)r->c->remail_max_latency)
		d = (long)r->c->remail_max_latency;
	return d;
}

/* Fresh minimal header, pasted fields, then the body. */
static void
compose(struct rm_run *r, struct rm_out *o, const struct buf *paste,
    const char *body, size_t len)
{
	size_t i;

	buf_adds(&o->msg, "Date: ");
	util_date(&o->msg, r->now);
	buf_adds(&o->msg, "\nMessage-ID: ");
	util_msgid(&o->msg, r->c->hostname);
	buf_addf(&o->msg, "\nFrom: Anonymous <remailer@%s>\nTo: ",
	    r->c->hostname);
	for (i = 0; i < o->nrcpts; i++)
		buf_addf(&o->msg, "%s%s", i ? ", " : "", o->rcpts[i]);
	buf_addc(&o->msg, '\n');
	buf_add(&o->msg, paste->s, paste->len);
	buf_addc(&o->msg, '\n');
	buf_add(&o->msg, body, len);
	if (len > 0 && body[len - 1] != '\n')
		buf_addc(&o->msg, '\n');
}

/* Encrypt-Key: everything after the first "**" line (all, if none). */
static int
super_encrypt(struct rm_run *r, const char *key, const char *p, size_t len,
    struct buf *body)
{
	size_t after = 0;
	long star = t1_stars(p, len, &after);
	int rc;

	if (star >= 0) {
		buf_add(body, p, after);
		p += after;
		len -= after;
	}
	if (t1c_symhome(r->c->remail_gnupghome,
	    r->c->remail_s2k_digest) < 0) {
		log_err("Encrypt-Key home %s: %s", r->c->remail_gnupghome,
		    strerror(errno));
		return RM_TEMP;
	}
	rc = t1c_encrypt_key(r->c->remail_gnupghome, key, p, len, body);
	if (rc == T1C_BAD)
		return refuse(r, EX_DATAERR_, "5.6.0", "unusable Encrypt-Key");
	return rc == T1C_OK ? RM_OK : RM_TEMP;
}

static int process(struct rm_run *, const char *, size_t, int, int);

/* remailer@HOST: the public side of this same remailer. */
static int
own_remailer(const struct rm_run *r, const char *a)
{
	const char *at = strrchr(a, '@');

	return at != NULL && (size_t)(at - a) == 8 &&
	    strncasecmp(a, "remailer", 8) == 0 &&
	    strcasecmp(at + 1, r->c->hostname) == 0;
}

/*
 * Anon-Post-To: the payload becomes a news article under the gateway's
 * rules (article_build: a From of the gateway's, no control messages,
 * checked groups).  With a local gateway (news_peers) the article goes
 * to the news spool; otherwise, with remail_news_to, it is mailed there
 * as Mixmaster does.  The directive's groups replace a pasted Newsgroups.
 */
static int
post(struct rm_run *r, const struct t1_layer *l, const char *body,
    size_t len, struct rm_out *o)
{
	static const struct msg_limits lim = { 1 << 30, 1000, 65536 };
	struct article_rules rules;
	struct article a;
	struct buf mail = BUF_INIT, paste = BUF_INIT;
	const char *p = l->paste.s ? l->paste.s : "", *end = p + l->paste.len;
	struct msg m;
	int rc;

	if (l->anon_to != NULL)
		return refuse(r, EX_DATAERR_, "5.6.0",
		    "both Anon-To and Anon-Post-To in one layer");
	if (!news_enabled(r->c) && r->c->remail_news_to == NULL)
		return refuse(r, EX_NOPERM_, "5.7.1",
		    "no news posting through this remailer");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!(n >= 11 && strncasecmp(p, "Newsgroups:", 11) == 0))
			buf_add(&paste, p, n);
		p += n;
	}
	buf_addf(&mail, "Newsgroups: %s\n", l->post_to);
	buf_add(&mail, paste.s, paste.len);
	buf_addc(&mail, '\n');
	buf_add(&mail, body, len);
	article_init(&a);
	news_rules(r->c, &rules);
	if (msg_parse(&m, mail.s, mail.len, &lim) != MSG_OK) {
		rc = refuse(r, EX_DATAERR_, "5.6.0", "unusable pasted header");
		goto out;
	}
	rc = article_build(&rules, &(struct article_in){ .kind = ART_ANON,
	    .m = &m }, &a);
	msg_free(&m);
	if (rc < 0) {
		/* Not the group: remail logs its refusals (a.logwhy). */
		rc = refuse(r, a.code, a.status, "%s", a.logwhy != NULL ?
		    a.logwhy : a.why);
		goto out;
	}
	if (news_enabled(r->c)) {
		o->post = 1;
		buf_set(&o->msg, a.text.s, a.text.len);
	} else {
		/* The mail form for another site's mail2news. */
		o->rcpts = xcalloc(2, sizeof(*o->rcpts));
		o->rcpts[0] = xstrdup(r->c->remail_news_to);
		o->nrcpts = 1;
		buf_reset(&paste);
		buf_addf(&paste, "Newsgroups: %s\n", a.groups.s);
		p = l->paste.s ? l->paste.s : "";
		end = p + l->paste.len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) + 1 :
			    (size_t)(end - p);

			if (!(n >= 11 && strncasecmp(p, "Newsgroups:", 11) == 0))
				buf_add(&paste, p, n);
			p += n;
		}
		compose(r, o, &paste, body, len);
	}
	rc = RM_OK;
out:
	article_free(&a);
	buf_wipe(&mail);
	buf_free(&paste);
	return rc;
}

/* Cutmarks: piece 0 is this message; the others are processed alone. */
static int
cut(struct rm_run *r, const char *mark, const char *p, size_t *len,
    int decrypted)
{
	size_t max = r->c->remail_max_pieces, n, i;
	size_t *starts, *ends;
	int rc = RM_OK;

	n = t1_cut(p, *len, mark, max, NULL, NULL);
	if (n > max || r->pieces + n > max)
		return refuse(r, EX_DATAERR_, "5.7.0",
		    "too many Cutmarks pieces (limit %zu)", max);
	r->pieces += n;
	if (n == 1)
		return RM_OK;
	starts = xcalloc(n, sizeof(*starts));
	ends = xcalloc(n, sizeof(*ends));
	(void)t1_cut(p, *len, mark, max, starts, ends);
	*len = ends[0];
	for (i = 1; i < n && rc == RM_OK; i++)
		rc = process(r, p + starts[i], ends[i] - starts[i], decrypted,
		    1);
	free(starts);
	free(ends);
	return rc;
}

/*
 * One message: peel our layers (directives reset after each decrypt),
 * then build the outgoing message.  A Cutmarks piece without a "::"
 * block is a footer: dropped.
 */
static int
process(struct rm_run *r, const char *text, size_t len, int decrypted,
    int piece)
{
	struct buf cur = BUF_INIT, plain = BUF_INIT, body = BUF_INIT;
	struct t1_layer l;
	struct rm_out o;
	const char *why, *p;
	size_t depth = 0, plen, own;
	int rc;

	memset(&o, 0, sizeof(o));
	buf_set(&cur, text, len);
	t1_crlf(&cur);
	own = cur.len;		/* the outermost text is all the sender's */
	t1_layer_init(&l);
	for (;;) {
		t1_layer_free(&l);
		if (t1_parse_own(cur.s ? cur.s : "", cur.len, own, &l, &why) !=
		    T1_OK) {
			rc = refuse(r, EX_DATAERR_, "5.6.0", "%s", why);
			goto done;
		}
		if (!l.has_block) {
			rc = piece ? RM_OK : refuse(r, EX_DATAERR_, "5.6.0",
			    "no remailer directives (a \"::\" block) found");
			goto done;
		}
		if (!l.encrypted)
			break;
		if (r->inspect && !r->peel) {
			rc = RM_OK;	/* the local remail checks the rest */
			goto done;
		}
		if (++depth > r->c->remail_max_depth) {
			rc = refuse(r, EX_DATAERR_, "5.7.0",
			    "too many nested PGP layers (limit %u)",
			    r->c->remail_max_depth);
			goto done;
		}
		buf_reset(&plain);
		rc = t1c_decrypt(r->c->gnupghome, cur.s + l.arm_start,
		    l.arm_end - l.arm_start, r->c->max_message_size, &plain,
		    &why);
		if (rc == T1C_TEMP) {
			rc = RM_TEMP;
			goto done;
		}
		if (rc == T1C_BAD) {
			rc = refuse(r, EX_DATAERR_, "5.7.5", "%s", why);
			goto done;
		}
		t1_crlf(&plain);
		if (plain.len > 0 && plain.s[plain.len - 1] != '\n')
			buf_addc(&plain, '\n');
		/* The text after the END line travels on (reply blocks),
		 * after the plaintext's payload; the next parse reads the
		 * directives from the plaintext alone. */
		own = plain.len;
		if (plain.len + (cur.len - l.payload) > r->c->max_message_size) {
			rc = refuse(r, EX_DATAERR_, "5.3.4",
			    "message too big after decryption");
			goto done;
		}
		buf_add(&plain, cur.s + l.payload, cur.len - l.payload);
		buf_wipe(&cur);
		cur = plain;
		buf_init(&plain);
		decrypted = 1;
	}
	if (r->public_mode && !decrypted && !r->c->remail_accept_clear) {
		rc = refuse(r, EX_NOPERM_, "5.7.1",
		    "unencrypted remailer input refused (use Encrypted: PGP)");
		goto done;
	}
	if (l.null) {
		rc = RM_OK;		/* a dummy: dropped */
		goto done;
	}
	if (l.anon_to == NULL && l.post_to == NULL) {
		rc = refuse(r, EX_DATAERR_, "5.6.0", "no Anon-To directive");
		goto done;
	}
	if (l.post_to == NULL && (rc = recipients(r, l.anon_to, &o)) != RM_OK)
		goto done;
	/* What nymserv hands us is mail for a nym: its owner confirmed one
	 * address per block, so no layer read here may reach more.  A post
	 * reaches a newsgroup (the gateway's rules), no one's mailbox. */
	if (r->strict && l.post_to == NULL && o.nrcpts != 1) {
		rc = refuse(r, EX_DATAERR_, "5.7.1", "a reply block's layer "
		    "read by this server names %zu recipients (one address "
		    "per block: each block is confirmed by the one it "
		    "reaches)", o.nrcpts);
		goto done;
	}
	if (r->strict && l.cutmarks != NULL) {
		rc = refuse(r, EX_DATAERR_, "5.7.1", "Cutmarks in a reply "
		    "block's layer read by this server (its pieces would go "
		    "to addresses that never confirmed)");
		goto done;
	}
	if (r->inspect && r->peel && l.post_to == NULL &&
	    own_remailer(r, o.rcpts[0])) {
		/* Through our own remailer@ the next layer is ours too. */
		if (++r->hops > r->c->remail_max_depth) {
			rc = refuse(r, EX_DATAERR_, "5.7.0", "too many hops "
			    "through this remailer (limit %u)",
			    r->c->remail_max_depth);
			goto done;
		}
		rc = process(r, cur.s + l.payload, cur.len - l.payload, 0, 0);
		goto done;
	}
	if (r->inspect) {
		rc = RM_OK;
		goto done;
	}
	p = cur.s + l.payload;
	plen = cur.len - l.payload;
	if (l.cutmarks != NULL &&
	    (rc = cut(r, l.cutmarks, p, &plen, decrypted)) != RM_OK)
		goto done;
	/* After the cut: the other pieces go their own way. */
	if (l.post_to == NULL &&
	    ((rc = drop_blocked(r, &o)) != RM_OK || o.nrcpts == 0))
		goto done;	/* every recipient blocked: dropped */
	if (l.encrypt_key != NULL) {
		if ((rc = super_encrypt(r, l.encrypt_key, p, plen, &body)) !=
		    RM_OK)
			goto done;
	} else {
		buf_add(&body, p, plen);
	}
	o.delay = delay_of(r, &l.latent);
	if (l.post_to != NULL) {
		if ((rc = post(r, &l, body.s ? body.s : "", body.len, &o)) !=
		    RM_OK)
			goto done;
	} else {
		compose(r, &o, &l.paste, body.s ? body.s : "", body.len);
	}
	r->out = xrealloc(r->out, (r->nout + 1) * sizeof(*r->out));
	r->out[r->nout++] = o;
	memset(&o, 0, sizeof(o));
	rc = RM_OK;
done:
	out_free(&o);
	t1_layer_free(&l);
	buf_wipe(&cur);
	buf_wipe(&plain);
	buf_wipe(&body);
	return rc;
}

int
rm_process(struct rm_run *r, const char *text, size_t len)
{
	r->pieces = 1;
	return process(r, text, len, 0, 0);
}

/*
 * Anonymous articles take from the gateway's budget before anything is
 * handed on: over it, the whole input waits (exit 75), never lost.
 */
static int
news_budget_all(struct rm_run *r)
{
	struct store *st;
	char err[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nout; i++)
		if (r->out[i].post)
			break;
	if (i == r->nout)
		return 0;
	if (store_open(&st, r->c->statedir, r->c->map_size, 0, err,
	    sizeof(err)) != STORE_OK) {
		log_err("state: %s", err);
		return -1;
	}
	for (i = 0; i < r->nout && rc == 0; i++) {
		if (!r->out[i].post)
			continue;
		rc = news_budget(st, r->now, r->c->news_rate);
		if (rc == 1)
			log_warn("news: over news_rate anonymous articles a "
			    "minute: deferred");
	}
	store_close(st);
	return rc == 0 ? 0 : -1;
}

int
rm_consent_check(const struct conf *c, const char *block, size_t len,
    int peel, char *why, size_t whylen)
{
	struct rm_run r;
	int rc;

	rm_init(&r, c, 0, util_now());
	r.inspect = 1;
	r.peel = peel;
	rc = rm_process(&r, block, len);
	if (rc == RM_PERM)
		snprintf(why, whylen, "%s", r.why);
	rm_free(&r);
	return rc;
}

int
rm_commit(struct rm_run *r)
{
	struct spool_check chk = { rm_block_check, &r->blk };
	struct rm_out *o;
	size_t i, sent, left;

	if (r->nout == 0)
		return 0;
	if (news_budget_all(r) < 0)
		return -1;
	o = &r->out[0];
	if (r->nout == 1 && o->delay == 0 && !o->post)
		return sendmail_send(r->c->sendmail, "",
		    (const char *const *)o->rcpts, o->nrcpts, o->msg.s,
		    o->msg.len);
	for (i = 0; i < r->nout; i++) {
		o = &r->out[i];
		if (o->post) {
			if (news_inject(r->c, &o->msg, r->now + o->delay,
			    r->now) < 0)
				return -1;
			continue;
		}
		if (spool_put(r->c->remail_spool, r->now + o->delay, r->tag,
		    (const char *const *)o->rcpts, o->nrcpts, o->msg.s,
		    o->msg.len, NULL) < 0) {
			log_err("spool %s: %s", r->c->remail_spool,
			    strerror(errno));
			return -1;
		}
	}
	/* Spooled: what is due now goes at once; the rest waits for -q. */
	for (i = 0; i < r->nout; i++)
		if (r->out[i].delay == 0 && !r->out[i].post)
			break;
	if (i < r->nout && spool_flush(r->c->remail_spool, r->c->sendmail,
	    r->now, r->c->max_message_size + 65536, &chk, &sent, &left) < 0)
		log_warn("spool flush: %s", strerror(errno));
	return 0;
}

void
rm_find_body(const char *t, size_t len, size_t *off)
{
	size_t i;
	const char *p;

	*off = 0;
	/* A header starts with "Name:" (printable, no space, no colon). */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)t[i];

		if (ch == ':')
			break;
		if (ch <= 32 || ch >= 127)
			return;
	}
	if (i == 0 || i == len)
		return;
	/* Body after the first empty line. */
	for (p = t; p < t + len; ) {
		const char *nl = memchr(p, '\n', (size_t)(t + len - p));

		if (nl == NULL)
			break;
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			*off = (size_t)(nl + 1 - t);
			return;
		}
		p = nl + 1;
	}
	*off = len;
}

/* Mail that must not be answered (reflector and loop protection). */
static int
no_answer(const struct conf *c, const char *sender, const struct msg *m)
{
	if (sender[0] == '\0' || !addr_deliverable(sender) ||
	    strncasecmp(sender, "mailer-daemon@", 14) == 0 ||
	    strncasecmp(sender, "postmaster@", 11) == 0)
		return 1;
	return respond_auto_header(m, c->loop_id) != NULL;
}

int
rm_key_reply(const struct conf *c, const char *sender, const struct msg *m,
    time_t now)
{
	struct store *st;
	struct buf fpr = BUF_INIT, out = BUF_INIT;
	const char *rcpt[1];
	char err[256];
	int rc = -1;

	if (no_answer(c, sender, m)) {
		log_info("remailer-key: request not answered (automatic or "
		    "null sender)");
		return 0;
	}
	if (store_open(&st, c->statedir, c->map_size, 0, err, sizeof(err)) !=
	    STORE_OK) {
		log_err("state: %s", err);
		return -1;
	}
	if (store_get(st, DB_META, "remailerkey", &fpr) != STORE_OK) {
		log_err("no remailer key in the state (run nymctl init)");
		goto done;
	}
	/* answer_limit answers an hour per sender (SECURITY.md 3.7). */
	if ((rc = stamp_take(st, STAMP_KEY, sender, now, 3600,
	    c->answer_limit)) != 0) {
		if (rc == 1)
			log_info("remailer-key: not answered: that address "
			    "had its answers this hour");
		rc = rc == 1 ? 0 : -1;
		goto done;
	}
	rc = -1;
	buf_adds(&out, "Date: ");
	util_date(&out, now);
	buf_adds(&out, "\nMessage-ID: ");
	util_msgid(&out, c->hostname);
	buf_addf(&out, "\nFrom: remailer-key@%s\nTo: %s\n"
	    "Subject: public key of remailer@%s\nAuto-Submitted: auto-replied\n"
	    "X-Loop: %s\n\n", c->hostname, sender, c->hostname, c->loop_id);
	buf_addf(&out, "The type-1 remailer remailer@%s.  Encrypt your "
	    "remailer messages to this key.\n\n", c->hostname);
	if (gpg_export(c->gnupghome, fpr.s, &out) < 0) {
		log_err("cannot export the remailer key");
		goto done;
	}
	rcpt[0] = sender;
	rc = sendmail_send(c->sendmail, "", rcpt, 1, out.s, out.len);
	if (rc < 0 && stamp_drop(st, STAMP_KEY, sender) < 0)
		log_err("cannot give an answer back to its count");
done:
	store_close(st);
	buf_free(&fpr);
	buf_free(&out);
	return rc;
}
