/* dstblk.c - self-service destination blocking, confirmed by replies to probes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "block.h"
#include "buf.h"
#include "die.h"
#include "dstblk.h"
#include "msg.h"
#include "outbound.h"
#include "respond.h"
#include "store.h"
#include "util.h"

/*
 * State, all in DB_PENDING under DSTBLK_PREFIX, holding no address:
 *   "dstblk:t:" + hex SHA-256(token) -> "1 ACT CREATED KIND ADDRHASH"
 *   "dstblk:a:" + ADDRHASH           -> "1 ACT CREATED TH,TH,..."
 * ACT is 'b' (block) or 'u' (unblock); KIND is 's' for the probe to the
 * address itself; ADDRHASH is the hex keyed hash of the address
 * (block.h); TH are the token hashes of one probe round.
 *
 * Consent (SECURITY.md 3.8): only the address's own mailbox can give it.
 * Earlier versions also probed owner-x@, x-request@ and x-owner@, and a
 * reply from anyone to one of those acted; at a free-mail domain those
 * are other people's mailboxes.  Such tokens (KIND 'o') may still be
 * pending in an old state: they are refused and deleted.  A list is
 * probed at the list address itself; the reply must come from that
 * address (the owner writing as the list), or the operator acts
 * (nymctl block/unblock, dstblk_set).
 */
#define T_PREFIX DSTBLK_PREFIX "t:"
#define A_PREFIX DSTBLK_PREFIX "a:"
#define NPROBES 1
#define DAY 86400L
#define ROUND_EVERY DAY		/* at most one probe round per address */
#define HEXLEN (2 * BLOCK_HASH_LEN)

enum { ACT_BLOCK = 'b', ACT_UNBLOCK = 'u' };
enum { KIND_OWNER = 'o', KIND_SELF = 's' };

/* ---- small helpers ---- */

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/*
 * Is this mail from a program rather than a person?  Then it must never
 * confirm anything: bounces, vacation and list-manager answers, loops.
 * Returns the reason, or NULL for what looks like a human reply.
 */
static const char *
automatic(const struct req *r)
{
	static const char *const listhdr[] = { "List-Id", "List-Post",
	    "List-Unsubscribe", "X-BeenThere", "X-Mailman-Version",
	    "X-Autoreply", "X-Autorespond", NULL };
	static const char *const robots[] = { "mailer-daemon", "postmaster",
	    "majordomo", "listserv", "mailman", "nobody", NULL };
	const char *s = r->sender, *at, *v;
	size_t n, i = 0;

	if (s[0] == '\0' || strcmp(s, "<>") == 0)
		return "null sender";
	at = strrchr(s, '@');
	n = at ? (size_t)(at - s) : strlen(s);
	for (i = 0; robots[i] != NULL; i++)
		if (n == strlen(robots[i]) && strncasecmp(s, robots[i], n) == 0)
			return "sender is a mail robot";
	if (strncasecmp(s, "owner-", 6) == 0 || ends_with(s, n, "-owner") ||
	    ends_with(s, n, "-request") || ends_with(s, n, "-bounces") ||
	    ends_with(s, n, "-bounce") || memmem(s, n, "-bounces+", 9) != NULL)
		return "sender is a list address";
	if ((v = respond_auto_header(&r->msg, r->conf->loop_id)) != NULL)
		return v;
	for (i = 0; listhdr[i] != NULL; i++)
		if (msg_get(&r->msg, listhdr[i]) != NULL)
			return "list or robot header";
	if ((v = msg_get(&r->msg, "Content-Type")) != NULL &&
	    strncasecmp(v, "multipart/report", 16) == 0)
		return "a delivery report";
	return NULL;
}

/* Parse "1 ACT CREATED" at the start of a record; the rest in *rest. */
static int
parse_head(const char *v, size_t len, int *act, long *created,
    const char **rest)
{
	char *end;

	if (len < 6 || v[0] != '1' || v[1] != ' ' ||
	    (v[2] != ACT_BLOCK && v[2] != ACT_UNBLOCK) || v[3] != ' ')
		return -1;
	*act = v[2];
	*created = strtol(v + 4, &end, 10);
	if (end == v + 4 || (*end != ' ' && *end != '\0'))
		return -1;
	*rest = *end == ' ' ? end + 1 : end;
	return 0;
}

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

/* Key for a token: "dstblk:t:" + hex SHA-256 of it. */
static void
token_key(struct buf *k, const char *token)
{
	unsigned char h[32];

	util_sha256(token, strlen(token), h);
	buf_reset(k);
	buf_adds(k, T_PREFIX);
	util_hex(k, h, sizeof(h));
}

/* ---- a request: dstblk-request@HOST ---- */

struct round {
	int act;
	long now;
	char addrhash[HEXLEN + 1];
	struct buf tkeys[NPROBES];	/* token keys, in probe order */
	size_t n;
	unsigned char h[BLOCK_HASH_LEN];
};

/* Delete the token records an address record lists, and the record. */
static int
retire_round(struct stxn *t, const char *akey, const char *v)
{
	int act, rc;
	long created;
	const char *p;

	if (parse_head(v, strlen(v), &act, &created, &p) == 0) {
		while (*p != '\0') {
			const char *c = strchr(p, ',');
			size_t n = c ? (size_t)(c - p) : strlen(p);
			struct buf k = BUF_INIT;

			if (n == HEXLEN) {
				buf_adds(&k, T_PREFIX);
				buf_add(&k, p, n);
				rc = txn_del(t, DB_PENDING, k.s, k.len);
				buf_free(&k);
				if (rc < 0)
					return rc;
			}
			p += n + (c != NULL);
		}
	}
	rc = txn_del(t, DB_PENDING, akey, strlen(akey));
	return rc < 0 ? rc : 0;
}

#define R_RATE 1	/* a round went out less than a day ago */
#define R_NOOP 2	/* the address is already in the state asked for */

static int
start_fn(struct stxn *t, void *arg)
{
	struct round *rd = arg;
	struct buf akey = BUF_INIT, v = BUF_INIT, list = BUF_INIT;
	int rc, blocked, act;
	long created;
	const char *rest;
	size_t i;

	if ((rc = block_get(t, rd->h)) < 0)
		goto out;
	blocked = rc == STORE_OK;
	if ((rd->act == ACT_BLOCK) == blocked) {
		rc = R_NOOP;
		goto out;
	}
	buf_addf(&akey, "%s%s", A_PREFIX, rd->addrhash);
	rc = txn_get(t, DB_PENDING, akey.s, akey.len, &v);
	if (rc < 0)
		goto out;
	if (rc == STORE_OK) {
		if (parse_head(v.s, v.len, &act, &created, &rest) == 0 &&
		    rd->now - created < ROUND_EVERY && rd->now >= created) {
			rc = R_RATE;
			goto out;
		}
		if ((rc = retire_round(t, akey.s, v.s)) < 0)
			goto out;
	}
	for (i = 0; i < rd->n; i++) {
		buf_reset(&v);
		buf_addf(&v, "1 %c %ld %c %s", rd->act, rd->now, KIND_SELF,
		    rd->addrhash);
		rc = txn_put_new(t, DB_PENDING, rd->tkeys[i].s,
		    rd->tkeys[i].len, v.s, v.len);
		if (rc != STORE_OK) {
			rc = STORE_ERR;	/* a token collision: impossible */
			goto out;
		}
		if (i > 0)
			buf_addc(&list, ',');
		buf_add(&list, rd->tkeys[i].s + strlen(T_PREFIX), HEXLEN);
	}
	buf_reset(&v);
	buf_addf(&v, "1 %c %ld %s", rd->act, rd->now, list.s ? list.s : "");
	rc = txn_put(t, DB_PENDING, akey.s, akey.len, v.s, v.len);
out:
	buf_free(&akey);
	buf_free(&v);
	buf_free(&list);
	return rc;
}

/* Undo a round whose probes could not all be handed to sendmail. */
static int
cancel_fn(struct stxn *t, void *arg)
{
	struct round *rd = arg;
	struct buf akey = BUF_INIT, v = BUF_INIT;
	int rc;

	buf_addf(&akey, "%s%s", A_PREFIX, rd->addrhash);
	rc = txn_get(t, DB_PENDING, akey.s, akey.len, &v);
	if (rc == STORE_OK)
		rc = retire_round(t, akey.s, v.s);
	buf_free(&akey);
	buf_free(&v);
	return rc < 0 ? rc : 0;
}

/* Subject "unblock" (any case, first word) lifts a block. */
static int
wants_unblock(const struct req *r)
{
	const char *s = msg_get(&r->msg, "Subject");

	return s != NULL && util_first_word(s, "unblock", ";(.!:");
}

/* The probe: who asked what, how to confirm, how to ignore. */
static void
compose_probe(const struct req *r, const char *from, const char *to,
    const char *addr, int act, struct buf *out)
{
	const char *what = act == ACT_BLOCK ? "block" : "unblock";
	const char *host = r->conf->hostname;

	buf_reset(out);
	buf_addf(out, "From: nym server destination blocking <%s>\n", from);
	buf_addf(out, "To: <%s>\n", to);
	buf_addf(out, "Subject: confirm: %s %s at %s\n", what, addr, host);
	buf_adds(out, "Date: ");
	util_date(out, r->now);
	buf_adds(out, "\nMessage-ID: ");
	util_msgid(out, host);
	buf_addf(out, "\nX-Loop: %s\n", r->conf->loop_id);
	buf_adds(out, "Auto-Submitted: auto-replied\n");
	buf_adds(out, "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n");
	buf_addf(out, "Someone asked the nym server at %s to %s the address\n\n"
	    "    %s\n\n", host, what, addr);
	if (act == ACT_BLOCK)
		buf_addf(out, "Once blocked, mail sent by the pseudonymous "
		    "users (nyms) of %s is\nno longer delivered to that "
		    "address.\n\n", host);
	else
		buf_adds(out, "Once unblocked, mail sent by the pseudonymous "
		    "users (nyms) of this\nserver can reach that address "
		    "again.\n\n");
	buf_addf(out, "To confirm, reply to this message (any text will do); "
	    "the reply must reach\n%s\nand come from the address itself.  "
	    "If the address is a mailing list,\nits owner confirms by "
	    "writing as the list (or asks the operator of %s).\n\n",
	    from, host);
	buf_addf(out, "If you did not ask for this, ignore this message: "
	    "nothing changes, and\nthe request expires in %d days.  "
	    "Automatic answers and bounces are\nignored.\n\n", DSTBLK_DAYS);
	buf_adds(out, "--- The header of the request (if you did not send it, "
	    "someone forged\nthe address) ---\n");
	util_quote_capped(out, r->msg.header, r->msg.headerlen, "> ",
	    RESPOND_QUOTE_MAX);
}

void
dstblk_request(struct req *r)
{
	struct buf to = BUF_INIT, addr = BUF_INIT, tok = BUF_INIT,
	    from[NPROBES], target[NPROBES], m = BUF_INIT;
	unsigned char key[BLOCK_KEY_LEN];
	struct round rd;
	const char *why, *at;
	size_t i;
	int rc;

	memset(&rd, 0, sizeof(rd));
	for (i = 0; i < NPROBES; i++) {
		buf_init(&from[i]);
		buf_init(&target[i]);
		buf_init(&rd.tkeys[i]);
	}
	if (!respond_allowed(r, &to, &why)) {
		log_info("dstblk: request not answered: %s", why);
		goto done;
	}
	buf_sets(&addr, r->sender);
	util_lower(addr.s);
	if (!addr_deliverable(addr.s) || (at = strrchr(addr.s, '@')) == NULL ||
	    addr_in_domain(addr.s, r->conf->hostname)) {
		log_info("dstblk: request not answered: unusable sender");
		goto done;
	}
	rd.act = wants_unblock(r) ? ACT_UNBLOCK : ACT_BLOCK;
	rd.now = (long)r->now;
	if (block_key(r->st, 1, key) != STORE_OK)
		die_temp("cannot read or make the block key");
	block_hash(key, addr.s, rd.h);
	memset(key, 0, sizeof(key));
	{
		struct buf hx = BUF_INIT;

		util_hex(&hx, rd.h, sizeof(rd.h));
		memcpy(rd.addrhash, hx.s, HEXLEN + 1);
		buf_free(&hx);
	}

	/* Only the address itself: no list-owner forms (SECURITY.md 3.8). */
	buf_adds(&target[rd.n++], addr.s);
	for (i = 0; i < rd.n; i++) {
		buf_reset(&tok);
		util_random_hex(&tok, DSTBLK_TOKEN_BYTES);
		token_key(&rd.tkeys[i], tok.s);
		buf_addf(&from[i], "dstblk+%s@%s", tok.s, r->conf->hostname);
	}
	buf_wipe(&tok);

	rc = store_write(r->st, start_fn, &rd);
	if (rc == R_NOOP) {
		log_info("dstblk: request changes nothing");
		goto done;
	}
	if (rc == R_RATE) {
		log_info("dstblk: probes for that address went out today");
		goto done;
	}
	if (rc < 0)
		die_temp("cannot update the state");
	for (i = 0; i < rd.n; i++) {
		const char *rcpt[1] = { target[i].s };

		compose_probe(r, from[i].s, target[i].s, addr.s, rd.act, &m);
		if (sendmail_send(r->conf->sendmail, from[i].s, rcpt, 1, m.s,
		    m.len) < 0) {
			/* The MTA's retry starts a fresh round. */
			(void)store_write(r->st, cancel_fn, &rd);
			die_temp("cannot hand a probe to sendmail");
		}
	}
	log_info("dstblk: %s request: %zu probes sent",
	    rd.act == ACT_BLOCK ? "block" : "unblock", rd.n);
done:
	for (i = 0; i < NPROBES; i++) {
		buf_free(&from[i]);
		buf_free(&target[i]);
		buf_free(&rd.tkeys[i]);
	}
	buf_free(&to);
	buf_free(&addr);
	buf_free(&m);
}

/* ---- a reply to a probe: dstblk+TOKEN@HOST ---- */

struct reply {
	struct buf tkey;
	long now;
	unsigned char sender_h[BLOCK_HASH_LEN];	/* envelope sender */
	unsigned char from_h[BLOCK_HASH_LEN];	/* From: address */
	int have_sender, have_from;
	int act, kind;		/* what was done */
};

#define R_UNKNOWN 1	/* no such token, or it expired */
#define R_NOTSELF 3	/* the self probe answered from another address */

static int
hash_eq_hex(const unsigned char h[BLOCK_HASH_LEN], const char *hex)
{
	struct buf b = BUF_INIT;
	int eq;

	util_hex(&b, h, BLOCK_HASH_LEN);
	eq = strncmp(b.s, hex, HEXLEN) == 0;
	buf_free(&b);
	return eq;
}

static int
activate_fn(struct stxn *t, void *arg)
{
	struct reply *rp = arg;
	struct buf v = BUF_INIT, akey = BUF_INIT, av = BUF_INIT;
	unsigned char h[BLOCK_HASH_LEN];
	const char *rest;
	long created;
	size_t i;
	int rc, act;

	rc = txn_get(t, DB_PENDING, rp->tkey.s, rp->tkey.len, &v);
	if (rc != STORE_OK)
		goto out;
	if (parse_head(v.s, v.len, &act, &created, &rest) < 0 ||
	    (rest[0] != KIND_OWNER && rest[0] != KIND_SELF) ||
	    rest[1] != ' ' || strlen(rest + 2) != HEXLEN ||
	    !is_hex(rest + 2, HEXLEN)) {
		log_err("dstblk: corrupt pending record");
		rc = STORE_ERR;
		goto out;
	}
	if (rp->now - created >= DSTBLK_DAYS * DAY) {
		rc = txn_del(t, DB_PENDING, rp->tkey.s, rp->tkey.len);
		rc = rc < 0 ? rc : R_UNKNOWN;
		goto out;
	}
	if (rest[0] == KIND_OWNER) {
		/* An owner probe of an older version: no consent. */
		rc = txn_del(t, DB_PENDING, rp->tkey.s, rp->tkey.len);
		rc = rc < 0 ? rc : R_UNKNOWN;
		goto out;
	}
	rp->act = act;
	rp->kind = rest[0];
	if (rp->kind == KIND_SELF &&
	    !(rp->have_sender && hash_eq_hex(rp->sender_h, rest + 2)) &&
	    !(rp->have_from && hash_eq_hex(rp->from_h, rest + 2))) {
		rc = R_NOTSELF;
		goto out;
	}
	for (i = 0; i < BLOCK_HASH_LEN; i++) {
		unsigned hi, lo;
		const char *p = rest + 2 + 2 * i;

		hi = (unsigned)(p[0] <= '9' ? p[0] - '0' : p[0] - 'a' + 10);
		lo = (unsigned)(p[1] <= '9' ? p[1] - '0' : p[1] - 'a' + 10);
		h[i] = (unsigned char)(hi << 4 | lo);
	}
	rc = act == ACT_BLOCK ? block_set(t, h, rp->now) : block_unset(t, h);
	if (rc < 0)
		goto out;
	/* Retire the whole round if this token belongs to it. */
	buf_addf(&akey, "%s%.*s", A_PREFIX, HEXLEN, rest + 2);
	rc = txn_get(t, DB_PENDING, akey.s, akey.len, &av);
	if (rc < 0)
		goto out;
	if (rc == STORE_OK && strstr(av.s, rp->tkey.s + strlen(T_PREFIX)))
		rc = retire_round(t, akey.s, av.s);
	else
		rc = 0;
	if (rc == 0 && (rc = txn_del(t, DB_PENDING, rp->tkey.s,
	    rp->tkey.len)) == STORE_NOTFOUND)
		rc = 0;
out:
	buf_free(&v);
	buf_free(&akey);
	buf_free(&av);
	return rc == STORE_NOTFOUND ? R_UNKNOWN : rc;
}

/* The first address of From:, for the self-probe check. */
static int
from_addr(const struct req *r, struct buf *out)
{
	const char *v = msg_get(&r->msg, "From");
	struct addrlist l;
	int rc = -1;

	if (v == NULL || addr_parse_list(v, strlen(v), 4, &l) < 0)
		return -1;
	if (l.n == 1 && l.a[0].domain != NULL) {
		buf_sets(out, l.a[0].addr);
		rc = 0;
	}
	addr_free_list(&l);
	return rc;
}

/* Tell whoever confirmed what happened (null envelope sender). */
static void
confirm_answer(const struct req *r, const struct reply *rp)
{
	struct buf body = BUF_INIT, out = BUF_INIT;
	const char *rcpt[1] = { r->sender };
	const char *host = r->conf->hostname;
	int block = rp->act == ACT_BLOCK;

	if (!addr_deliverable(r->sender) ||
	    addr_in_domain(r->sender, host))
		return;
	buf_addf(&body, "Your address %s is now %s at %s.\n", r->sender,
	    block ? "blocked" : "unblocked", host);
	if (block)
		buf_addf(&body, "Mail sent by this server's nyms will not be "
		    "delivered to it.\n\nTo undo this, mail "
		    "dstblk-request@%s from that address\nwith the Subject "
		    "\"unblock\" and answer the confirmation request.\n", host);
	else
		buf_addf(&body, "Mail sent by this server's nyms can reach it "
		    "again.\n");
	respond_compose(r, "dstblk", r->sender, block ?
	    "destination blocked" : "destination unblocked", &body, &out);
	if (sendmail_send(r->conf->sendmail, "", rcpt, 1, out.s, out.len) < 0)
		log_warn("dstblk: the confirmation could not be sent");
	buf_free(&body);
	buf_free(&out);
}

void
dstblk_reply(struct req *r)
{
	struct reply rp;
	struct buf a = BUF_INIT;
	unsigned char key[BLOCK_KEY_LEN];
	const char *why;
	int rc;

	if (r->ext == NULL || strlen(r->ext) != 2 * DSTBLK_TOKEN_BYTES ||
	    !is_hex(r->ext, strlen(r->ext)))
		die_perm(EX_NOUSER_, "5.1.1", "no such user here");
	if ((why = automatic(r)) != NULL) {
		log_info("dstblk: reply ignored: %s", why);
		return;
	}
	memset(&rp, 0, sizeof(rp));
	buf_init(&rp.tkey);
	token_key(&rp.tkey, r->ext);
	rp.now = (long)r->now;
	rc = block_key(r->st, 0, key);
	if (rc == STORE_NOTFOUND)
		die_perm(EX_NOUSER_, "5.1.1", "no such user here");
	if (rc != STORE_OK)
		die_temp("cannot read the block key");
	block_hash(key, r->sender, rp.sender_h);
	rp.have_sender = 1;
	if (from_addr(r, &a) == 0) {
		block_hash(key, a.s, rp.from_h);
		rp.have_from = 1;
	}
	memset(key, 0, sizeof(key));
	rc = store_write(r->st, activate_fn, &rp);
	if (rc == R_UNKNOWN)
		die_perm(EX_NOUSER_, "5.1.1", "unknown or expired request");
	if (rc == R_NOTSELF)
		die_perm(EX_NOPERM_, "5.7.1", "to confirm, reply from the "
		    "address the request names");
	if (rc < 0)
		die_temp("cannot update the state");
	log_info("dstblk: %s confirmed by a reply to its probe",
	    rp.act == ACT_BLOCK ? "block" : "unblock");
	confirm_answer(r, &rp);
	buf_free(&rp.tkey);
	buf_free(&a);
}

/* ---- the operator: nymctl block / unblock ---- */

struct setarg {
	unsigned char h[BLOCK_HASH_LEN];
	char addrhash[HEXLEN + 1];
	int block;
	long now;
};

/* Set or lift the block and retire any pending round for the address. */
static int
set_fn(struct stxn *t, void *arg)
{
	struct setarg *sa = arg;
	struct buf akey = BUF_INIT, v = BUF_INIT;
	int rc;

	rc = sa->block ? block_set(t, sa->h, sa->now) : block_unset(t, sa->h);
	if (rc == STORE_NOTFOUND)
		rc = 0;
	if (rc < 0)
		goto out;
	buf_addf(&akey, "%s%s", A_PREFIX, sa->addrhash);
	rc = txn_get(t, DB_PENDING, akey.s, akey.len, &v);
	if (rc == STORE_OK)
		rc = retire_round(t, akey.s, v.s);
	else if (rc == STORE_NOTFOUND)
		rc = 0;
out:
	buf_free(&akey);
	buf_free(&v);
	return rc;
}

int
dstblk_set(struct store *st, const char *addr, int block, time_t now)
{
	unsigned char key[BLOCK_KEY_LEN];
	struct setarg sa;
	struct buf low = BUF_INIT, hx = BUF_INIT;
	int rc;

	buf_sets(&low, addr);
	util_lower(low.s);
	if (!addr_deliverable(low.s)) {
		buf_free(&low);
		return 1;
	}
	if (block_key(st, 1, key) != STORE_OK) {
		buf_free(&low);
		return STORE_ERR;
	}
	memset(&sa, 0, sizeof(sa));
	block_hash(key, low.s, sa.h);
	memset(key, 0, sizeof(key));
	util_hex(&hx, sa.h, sizeof(sa.h));
	memcpy(sa.addrhash, hx.s, HEXLEN + 1);
	sa.block = block;
	sa.now = (long)now;
	rc = store_write(st, set_fn, &sa);
	buf_wipe(&low);
	buf_free(&hx);
	return rc < 0 ? STORE_ERR : 0;
}

/* ---- maintenance ---- */

struct sweep {
	long now;
	struct buf *keys;
	size_t n;
	size_t total;
};

static int
sweep_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct sweep *s = arg;
	struct buf tmp = BUF_INIT;
	const char *rest;
	long created;
	int act, old;

	s->total++;
	buf_set(&tmp, v, vl);
	old = parse_head(tmp.s, tmp.len, &act, &created, &rest) < 0 ||
	    s->now - created >= DSTBLK_DAYS * DAY;
	buf_free(&tmp);
	if (old) {
		s->keys = xrealloc(s->keys, (s->n + 1) * sizeof(*s->keys));
		buf_init(&s->keys[s->n]);
		buf_set(&s->keys[s->n++], k, kl);
	}
	return 0;
}

static int
sweep_fn(struct stxn *t, void *arg)
{
	struct sweep *s = arg;

	return txn_iter(t, DB_PENDING, A_PREFIX, strlen(A_PREFIX), sweep_cb,
	    s) < 0 || txn_iter(t, DB_PENDING, T_PREFIX, strlen(T_PREFIX),
	    sweep_cb, s) < 0 ? STORE_ERR : 0;
}

static int
del_fn(struct stxn *t, void *arg)
{
	struct sweep *s = arg;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (txn_del(t, DB_PENDING, s->keys[i].s, s->keys[i].len) < 0)
			return STORE_ERR;
	return 0;
}

int
dstblk_expire(struct store *st, time_t now, int dry_run)
{
	struct sweep s = { (long)now, NULL, 0, 0 };
	size_t i, rounds = 0;
	int rc;

	rc = store_read(st, sweep_fn, &s);
	if (rc == 0 && !dry_run && s.n > 0)
		rc = store_write(st, del_fn, &s);
	for (i = 0; i < s.n; i++) {
		if (strncmp(s.keys[i].s, A_PREFIX, strlen(A_PREFIX)) == 0)
			rounds++;
		buf_free(&s.keys[i]);
	}
	free(s.keys);
	return rc < 0 ? -1 : (int)rounds;
}

static int
count_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	++*(size_t *)arg;
	return 0;
}

static int
count_fn(struct stxn *t, void *arg)
{
	/* One address record per pending request. */
	return txn_iter(t, DB_PENDING, A_PREFIX, strlen(A_PREFIX), count_cb,
	    arg);
}

int
dstblk_count(struct store *st, size_t *n)
{
	*n = 0;
	return store_read(st, count_fn, n) < 0 ? -1 : 0;
}

struct chk {
	struct buf *out;
	int n;
};

/* A token record: "1 ACT CREATED KIND HASH"; an address record lists TH. */
static int
check_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;
	struct buf tmp = BUF_INIT;
	const char *rest, *key = k;
	long created;
	int act, bad;
	size_t plen = strlen(DSTBLK_PREFIX) + 2;

	buf_set(&tmp, v, vl);
	bad = kl != plen + HEXLEN || !is_hex(key + plen, HEXLEN) ||
	    parse_head(tmp.s, tmp.len, &act, &created, &rest) < 0;
	if (!bad && memcmp(key, T_PREFIX, plen) == 0)
		bad = (rest[0] != KIND_OWNER && rest[0] != KIND_SELF) ||
		    rest[1] != ' ' || strlen(rest + 2) != HEXLEN ||
		    !is_hex(rest + 2, HEXLEN);
	else if (!bad && memcmp(key, A_PREFIX, plen) == 0)
		bad = strlen(rest) % (HEXLEN + 1) != HEXLEN ||
		    strspn(rest, "0123456789abcdef,") != strlen(rest);
	else
		bad = 1;
	if (bad) {
		buf_adds(c->out, "pending: a destination-block record is "
		    "malformed\n");
		c->n++;
	}
	buf_free(&tmp);
	return 0;
}

static int
check_fn(struct stxn *t, void *arg)
{
	return txn_iter(t, DB_PENDING, DSTBLK_PREFIX, strlen(DSTBLK_PREFIX),
	    check_cb, arg);
}

int
dstblk_check(struct store *st, struct buf *problems)
{
	struct chk c = { problems, 0 };

	return store_read(st, check_fn, &c) < 0 ? -1 : c.n;
}
