/* nymmail.c - mail to a nym: refusals first, then receipt, crypto, blocks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "addr.h"
#include "article.h"
#include "buf.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "hsub.h"
#include "news.h"
#include "nym.h"
#include "nymkey.h"
#include "nymmail.h"
#include "outcome.h"
#include "replay.h"
#include "store.h"
#include "t1crypt.h"
#include "util.h"

unsigned long
chunks_for(size_t blocks, size_t size)
{
	return (unsigned long)blocks * (1 + size / CHUNK_BYTES);
}

int
chunks_add(struct stxn *t, const char *name, time_t now, unsigned long n,
    unsigned long limit, int *over, unsigned long *total)
{
	struct buf v = BUF_INIT;
	long day = (long)(now / 86400), d = -1;
	unsigned long count = 0;
	char s[64];
	int rc;

	*over = 0;
	rc = txn_get(t, DB_CHUNKS, name, strlen(name), &v);
	if (rc == STORE_OK && sscanf(v.s, "%ld %lu", &d, &count) != 2)
		count = 0;
	else if (rc < 0) {
		buf_free(&v);
		return rc;
	}
	buf_free(&v);
	if (d != day)
		count = 0;
	count += n;
	if (count > limit)
		*over = 1;
	if (total != NULL)
		*total = count;
	snprintf(s, sizeof(s), "%ld %lu", day, count);
	return txn_put(t, DB_CHUNKS, name, strlen(name), s, strlen(s));
}

/* Does nym@HOST (any +ext) appear in To or Cc? (+nobcc) */
static int
addressed_openly(const struct req *r, const char *nym)
{
	static const char *const fields[] = { "To", "Cc" };
	size_t f, i, k;
	const struct hdr *h;

	for (f = 0; f < 2; f++) {
		i = 0;
		while ((h = msg_next(&r->msg, fields[f], &i)) != NULL) {
			struct addrlist l;

			if (addr_parse_list(h->value, strlen(h->value), 1000,
			    &l) < 0)
				continue;
			for (k = 0; k < l.n; k++) {
				const char *lp = l.a[k].local;
				size_t nl = strlen(nym);

				if (l.a[k].domain != NULL &&
				    strcasecmp(l.a[k].domain,
				    r->conf->hostname) == 0 &&
				    strncasecmp(lp, nym, nl) == 0 &&
				    (lp[nl] == '\0' || lp[nl] == '+')) {
					addr_free_list(&l);
					return 1;
				}
			}
			addr_free_list(&l);
		}
	}
	return 0;
}

/* The text handed to gpg: Received line, the message, the receipt. */
static void
build_plain(const struct req *r, const struct nym *y, const char *id,
    struct buf *out)
{
	const struct msg *m = &r->msg;

	buf_addf(out, "Received: by %s with unique id %s for <%s@%s>; ",
	    r->conf->hostname, id, y->name, r->conf->hostname);
	util_date(out, r->now);
	buf_addc(out, '\n');
	if (m->fromline != NULL) {
		buf_adds(out, "X-From: ");
		buf_add(out, m->fromline + 5, m->fromlinelen - 5);
		buf_addc(out, '\n');
	}
	buf_add(out, m->header, m->data.len - (size_t)(m->header - m->data.s));
	if (y->flags & NF_CRYPTRECV) {
		if (out->len > 0 && out->s[out->len - 1] != '\n')
			buf_addc(out, '\n');
		buf_addf(out, "\n-- \nReceipt: %s received this message for "
		    "%s@%s on ", r->conf->hostname, y->name,
		    r->conf->hostname);
		util_date(out, r->now);
		buf_addf(out, "\nwith unique id %s.  The server's signature "
		    "only certifies the receipt and date.\n", id);
	}
}

/* +fixedsize: message/partial pieces of equal size, padded. */
static void
split_fixed(const struct buf *payload, const char *id, const char *host,
    struct buf **pieces, size_t *n)
{
	struct buf inner = BUF_INIT;
	size_t total, i;

	buf_adds(&inner, "Content-Type: text/plain; charset=us-ascii\n\n");
	buf_add(&inner, payload->s, payload->len);
	/* Pad with lines gpg ignores after the armor's END line. */
	while (inner.len % FIXEDSIZE_PIECE != 0) {
		size_t left = FIXEDSIZE_PIECE - inner.len % FIXEDSIZE_PIECE;

		if (left == 1) {
			buf_addc(&inner, '\n');
			continue;
		}
		buf_adds(&inner, "=");
		while (left-- > 2 && inner.len % 64 != 0)
			buf_addc(&inner, 'x');
		buf_addc(&inner, '\n');
	}
	total = inner.len / FIXEDSIZE_PIECE;
	*pieces = xcalloc(total, sizeof(**pieces));
	for (i = 0; i < total; i++) {
		buf_addf(&(*pieces)[i], "Content-Type: message/partial; "
		    "id=\"%s@%s\"; number=%zu; total=%zu\n\n", id, host, i + 1,
		    total);
		buf_add(&(*pieces)[i], inner.s + i * FIXEDSIZE_PIECE,
		    FIXEDSIZE_PIECE);
	}
	*n = total;
	buf_wipe(&inner);
}

struct count {
	const struct nym *y;	/* the nym as read before the crypto */
	time_t now;
	unsigned long n, limit, total;
	int over;
	const unsigned char *id;	/* the delivery's outbox record */
	long until;
	struct buf outcome;	/* its hand-offs */
};

#define GONE (-11)		/* count_fn: no such nym any more */
#define CHANGED (-12)		/* ... another nym by that name: retry */
#define REFUSED (-13)		/* ... disabled or unconfirmed meanwhile */

/* Disable a nym at the limit; note whether it was disabled already. */
static void
limit_edit(struct nym *y, void *arg)
{
	struct count *c = arg;

	if (y->limited)
		c->over = 2;		/* disabled already: no new notice */
	y->limited = 1;
}

/*
 * One transaction: read the nym again (it must still be the one whose
 * key and blocks the message was prepared for, and still take mail),
 * count the chunks -- past the limit, disable it -- and record the
 * hand-offs in the outbox, so the MTA's retry after a failed hand-off
 * sends only what is left and counts nothing again.
 */
static int
count_fn(struct stxn *t, void *arg)
{
	struct count *c = arg;
	const char *name = c->y->name;
	struct buf v = BUF_INIT;
	struct nym cur;
	int rc;

	c->over = 0;
	rc = txn_get(t, DB_NYMS, name, strlen(name), &v);
	if (rc == STORE_OK && nym_decode(v.s, v.len, &cur) < 0)
		rc = STORE_ERR;
	buf_wipe(&v);
	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? GONE : rc;
	rc = !account_same(&cur, c->y) ? CHANGED : cur.state != NYM_ACTIVE ||
	    cur.limited || (cur.flags & NF_DISABLE) ? REFUSED : 0;
	nym_free(&cur);
	if (rc < 0)
		return rc;
	rc = chunks_add(t, name, c->now, c->n, c->limit, &c->over, &c->total);
	if (rc < 0)
		return rc;
	if (c->over) {
		rc = account_update(t, name, limit_edit, c);
		return rc == STORE_OK ? 0 : STORE_ERR;
	}
	rc = outbox_put(t, c->id, name, (long)c->now, c->until, &c->outcome);
	return rc == STORE_OK ? 0 : STORE_ERR;
}

/*
 * What identifies a retry of this delivery: the MTA hands the same bytes
 * (its own Received line, with its queue id, included) for the same nym
 * and envelope sender again; a new message differs.
 */
static void
delivery_id(const struct req *r, const char *name, unsigned char id[32])
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "nymserv delivery\n");
	buf_adds(&b, name);
	buf_addc(&b, '\n');
	buf_adds(&b, r->sender != NULL ? r->sender : "");
	buf_addc(&b, '\n');
	buf_add(&b, r->msg.data.s, r->msg.data.len);
	util_sha256(b.s, b.len, id);
	buf_wipe(&b);
}

/* One notice that the nym is now disabled (server notice: not counted). */
static void
tell_disabled(const struct req *r, const struct nym *y,
    const struct server_keys *k)
{
	struct buf text = BUF_INIT, plain = BUF_INIT, *in = NULL;
	size_t n = 0;

	buf_addf(&text, "Your nym %s@%s received more than %u chunks of mail "
	    "today (UTC) and has been disabled: mail to it is refused.\n"
	    "This stops mail loops and mail bombs.  To enable it again, send a "
	    "signed\nrequest to config@%s with Nym-Commands: -disable\n",
	    y->name, r->conf->hostname, r->conf->daily_chunks,
	    r->conf->hostname);
	deliver_tag(y->name);
	notice_compose(r->conf, "config", y->name, "nym disabled: daily limit",
	    NULL, text.s, r->now, &plain);
	if (deliver_prepare(r->conf, k, &y->key, (y->flags & NF_CRYPTRECV) != 0,
	    y->blocks, y->nblocks, plain.s, plain.len, &in, &n) != GPG_OK ||
	    deliver_send(r->conf, in, n) < 0)
		log_warn("nym: cannot send the limit notice");
	deliver_free(in, n);
	buf_free(&text);
	buf_wipe(&plain);
}

/*
 * The GnuPG home of the pool's symmetric layers: AES-256 and gpg's own
 * (slow) passphrase hashing, since anyone can fetch the article and try
 * passphrases at leisure.
 */
static const char *
pool_home(const struct conf *c, struct buf *home)
{
	static const char gc[] = "# written by nymserv: pool layers only\n"
	    "no-greeting\nno-permission-warning\n"
	    "s2k-cipher-algo AES256\ns2k-digest-algo SHA256\n"
	    "cipher-algo AES256\n";
	struct buf path = BUF_INIT;
	int rc = 0;

	buf_reset(home);
	buf_addf(home, "%s/pool-gnupg", c->statedir);
	if (mkdir(home->s, 0700) < 0 && errno != EEXIST)
		rc = -1;
	buf_addf(&path, "%s/gpg.conf", home->s);
	if (rc == 0 && access(path.s, F_OK) < 0)
		rc = util_write_file(path.s, gc, sizeof(gc) - 1, 0600);
	buf_free(&path);
	return rc == 0 ? home->s : NULL;
}

/*
 * Pool delivery (crooks' Zax-type nymserv): plain signed by the server
 * and encrypted to the nym with its key id hidden, optionally inside a
 * symmetric layer with the nym's passphrase, as an article for
 * news_pool_group whose Subject is an hSub of the nym's passphrase, its
 * plain subject, or a fake hSub: every pool article looks alike.
 */
static void
pool_article(const struct req *r, const struct nym *y,
    const struct server_keys *k, const struct buf *plain, struct article *a)
{
	struct article_rules rules;
	struct buf inner = BUF_INIT, outer = BUF_INIT, subj = BUF_INIT,
	    home = BUF_INIT;
	const struct buf *body = &inner;

	if (deliver_encrypt_hidden(r->conf, k, &y->key, plain->s, plain->len,
	    &inner) != GPG_OK)
		die_temp("cannot sign or encrypt");
	if (y->symkey != NULL) {
		if (pool_home(r->conf, &home) == NULL)
			die_temp("pool GnuPG home: %s", strerror(errno));
		if (t1c_encrypt_key(home.s, y->symkey, inner.s, inner.len,
		    &outer) != T1C_OK)
			die_temp("cannot add the symmetric layer");
		body = &outer;
	}
	if (y->hsub != NULL)
		hsub_make(y->hsub, strlen(y->hsub), NULL, HSUB_LEN, &subj);
	else if (y->subject != NULL)
		buf_sets(&subj, y->subject);
	else
		hsub_fake(HSUB_LEN, &subj);
	news_rules(r->conf, &rules);
	if (article_build(&rules, &(struct article_in){ .kind = ART_POOL,
	    .newsgroups = r->conf->news_pool_group, .subject = subj.s,
	    .body = body->s, .bodylen = body->len }, a) < 0) {
		if (a->status != NULL && strcmp(a->status, "5.3.4") == 0)
			die_perm(EX_DATAERR_, "5.3.4", "message too big for "
			    "this nym's pool delivery (limit %zu bytes)",
			    r->conf->news_max_size);
		die_temp("pool article: %s", a->why);
	}
	buf_wipe(&inner);
	buf_wipe(&outer);
	buf_free(&subj);
	buf_free(&home);
}

void
nymmail_deliver(struct req *r, struct nym *y)
{
	struct server_keys keys;
	struct buf id = BUF_INIT, plain = BUF_INIT, payload = BUF_INIT;
	struct buf *pieces = NULL, *in = NULL;
	size_t npieces = 0, n = 0, *idx, nused, i, j;
	struct count cnt;
	struct outcome oc;
	struct article art;
	unsigned char did[32];
	const char *why;
	int rc, blocks = y->delivery != NYM_DELIVER_POOL;
	int pool = y->delivery != NYM_DELIVER_BLOCKS;

	/* A retry of a delivery that failed half-way: finish it only. */
	delivery_id(r, y->name, did);
	outbox_gate(r, did);
	/* Refusals first: no gpg process for these. */
	if (y->state != NYM_ACTIVE)
		die_perm(EX_UNAVAIL_, "5.2.1", "mailbox not active yet");
	if (y->limited || (y->flags & NF_DISABLE))
		die_perm(EX_UNAVAIL_, "5.2.1", "mailbox disabled");
	/* An expired or revoked key is the nym's state, not a failure:
	 * refused until its owner refreshes the key (nymserv(8)). */
	if ((why = nymkey_unusable(y, (long)r->now)) != NULL)
		die_perm(EX_UNAVAIL_, "5.2.1", "%s", why);
	if ((y->flags & NF_NOBCC) && !addressed_openly(r, y->name))
		die_perm(EX_NOPERM_, "5.7.1", "this nym accepts mail only when "
		    "its address is in To or Cc");
	if (blocks && y->nblocks == 0)
		die_temp("nym has no reply block");
	if (server_keys_load(r->st, &keys) < 0)
		die_temp("server keys missing from the state");

	deliver_tag(y->name);	/* what remail queues is this nym's */
	util_random_hex(&id, 8);
	build_plain(r, y, id.s, &plain);
	article_init(&art);
	if (pool)
		pool_article(r, y, &keys, &plain, &art);
	if (!blocks) {
		/* Nothing for the blocks. */
	} else if ((y->flags & NF_CRYPTRECV) != 0) {
		struct buf *tmp = NULL;
		size_t tn = 0;
		static const struct nym_block none = { 0, 1.0, (char *)"" };

		/* Encrypt once; the blocks are prepended below. */
		rc = deliver_prepare(r->conf, &keys, &y->key, 1, &none, 1,
		    plain.s, plain.len, &tmp, &tn);
		/* A key whose lifetime the record does not know (kept
		 * before it was): its state decides, else the failure is
		 * ours and temporary. */
		if (rc != GPG_OK && (why = nymkey_failed(r->conf, &y->key)) !=
		    NULL)
			die_perm(EX_UNAVAIL_, "5.2.1", "%s", why);
		if (rc != GPG_OK)
			die_temp("cannot sign or encrypt");
		buf_set(&payload, tmp[0].s, tmp[0].len);
		deliver_free(tmp, tn);
	} else if (gpg_clearsign(r->conf->gnupghome, keys.server.s, plain.s,
	    plain.len, &payload) != GPG_OK) {
		die_temp("cannot sign");
	}
	buf_wipe(&plain);
	if (!blocks) {
		npieces = 0;
	} else if (y->flags & NF_FIXEDSIZE) {
		split_fixed(&payload, id.s, r->conf->hostname, &pieces,
		    &npieces);
	} else {
		pieces = xcalloc(1, sizeof(*pieces));
		buf_set(&pieces[0], payload.s, payload.len);
		npieces = 1;
	}

	idx = xcalloc(y->nblocks, sizeof(*idx));
	nused = blocks ? deliver_usable(r->conf, y->blocks, idx,
	    nym_choose_blocks(y->blocks, y->nblocks, idx)) : 0;
	if (blocks && nused == 0)
		die_perm(EX_UNAVAIL_, "5.2.1", "mailbox unavailable (no usable "
		    "reply block)");
	/* Each block used reaches one address through this server (its
	 * clear layer, checked above; the local remail checks the layers
	 * it peels): the chunks below count one per address reached. */
	memset(&cnt, 0, sizeof(cnt));
	cnt.y = y;
	cnt.now = r->now;
	cnt.limit = r->conf->daily_chunks;
	cnt.id = did;
	cnt.until = (long)r->now + (long)r->conf->replay_days * 86400L;
	for (j = 0; j < npieces; j++)
		cnt.n += chunks_for(nused, pieces[j].len);
	if (pool)
		cnt.n += chunks_for(1, art.text.len);
	in = xcalloc(nused * npieces + 1, sizeof(*in));
	outcome_init(&oc);
	for (i = 0; i < nused; i++) {
		const char *t = y->blocks[idx[i]].text;
		size_t tl = strlen(t);

		for (j = 0; j < npieces; j++) {
			struct buf *b = &in[n++];

			buf_add(b, t, tl);
			if (tl > 0 && t[tl - 1] != '\n')
				buf_addc(b, '\n');
			buf_add(b, pieces[j].s, pieces[j].len);
			outcome_add_remail(&oc, b);
		}
	}
	if (pool)
		outcome_add_pool(&oc, &art.text);
	outcome_encode(&oc, &cnt.outcome);
	rc = store_write(r->st, count_fn, &cnt);
	buf_wipe(&cnt.outcome);
	if (rc == GONE)
		die_perm(EX_NOUSER_, "5.1.1", "no such user here");
	if (rc == REFUSED)
		die_perm(EX_UNAVAIL_, "5.2.1", "mailbox disabled");
	if (rc == CHANGED)
		die_temp("the nym changed meanwhile");
	if (rc < 0)
		die_temp("cannot update the chunk count");
	if (cnt.over) {
		if (cnt.over == 1)
			tell_disabled(r, y, &keys);
		log_info("nym: daily chunk limit reached, nym disabled");
		die_perm(EX_UNAVAIL_, "5.2.1", "mailbox disabled (daily limit)");
	}
	outbox_run(r, did, y->name, (long)r->now, cnt.until, &oc);
	outcome_free(&oc);
	log_info("nym: delivered (%zu block%s, %zu piece%s%s)", nused,
	    nused == 1 ? "" : "s", npieces, npieces == 1 ? "" : "s",
	    pool ? ", the pool" : "");
	article_free(&art);
	deliver_free(in, n);
	deliver_free(pieces, npieces);
	free(idx);
	buf_free(&id);
	buf_wipe(&payload);
	server_keys_free(&keys);
}
