/* admin.c - nymctl's view of the state: counts, wipe, disable, integrity check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "admin.h"
#include "block.h"
#include "buf.h"
#include "die.h"
#include "dstblk.h"
#include "gpg.h"
#include "gpgkey.h"
#include "names.h"
#include "nym.h"
#include "outcome.h"
#include "pgp.h"
#include "store.h"
#include "util.h"

#define DAY 86400L

/* ---- stats ---- */

struct st_arg {
	struct admin_stats *s;
	long today;
};

static int
stats_nym(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct admin_stats *s = ((struct st_arg *)arg)->s;
	struct nym y;

	(void)k;
	(void)kl;
	s->nyms++;
	if (nym_decode(v, vl, &y) < 0)
		return 0;		/* nymctl check reports it */
	if (y.state == NYM_ACTIVE)
		s->active++;
	else
		s->pending++;
	if (y.flags & NF_DISABLE)
		s->disabled++;
	if (y.limited)
		s->limited++;
	nym_free(&y);
	return 0;
}

/* A chunk record is "DAY COUNT"; only today's count. */
static int
stats_chunks(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct st_arg *a = arg;
	char t[64];
	long d;
	unsigned long n;

	(void)k;
	(void)kl;
	if (vl >= sizeof(t))
		return 0;
	memcpy(t, v, vl);
	t[vl] = '\0';
	if (sscanf(t, "%ld %lu", &d, &n) == 2 && d == a->today)
		a->s->chunks_today += n;
	return 0;
}

static int
stats_fn(struct stxn *t, void *arg)
{
	struct st_arg *a = arg;
	struct admin_stats *s = a->s;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = txn_iter(t, DB_NYMS, NULL, 0, stats_nym, a)) < 0 ||
	    (rc = txn_iter(t, DB_CHUNKS, NULL, 0, stats_chunks, a)) < 0 ||
	    (rc = txn_count(t, DB_ALIASES, &s->aliases)) < 0 ||
	    (rc = txn_count(t, DB_CONFIRM, &s->confirmations)) < 0 ||
	    (rc = txn_count(t, DB_REPLAY, &s->replay)) < 0 ||
	    (rc = txn_count(t, DB_BLOCKS, &s->blocked)) < 0)
		return rc;
	return 0;
}

int
admin_stats(struct store *st, time_t now, struct admin_stats *s)
{
	struct st_arg a = { s, (long)(now / DAY) };

	if (store_read(st, stats_fn, &a) < 0 ||
	    dstblk_count(st, &s->block_requests) < 0)
		return -1;
	return 0;
}

/* ---- wipe ---- */

static int
wipe_fn(struct stxn *t, void *arg)
{
	return account_forget(t, arg);
}

int
admin_wipe(struct store *st, const char *name)
{
	return store_write(st, wipe_fn, (void *)name);
}

/* ---- disable / enable ---- */

struct dis {
	const char *name;
	int on;
};

static void
set_disable(struct nym *y, void *arg)
{
	if (*(const int *)arg) {
		y->flags |= NF_DISABLE;
	} else {
		y->flags &= ~NF_DISABLE;
		y->limited = 0;
	}
}

static int
disable_fn(struct stxn *t, void *arg)
{
	struct dis *d = arg;

	return account_update(t, d->name, set_disable, &d->on);
}

int
admin_disable(struct store *st, const char *name, int on)
{
	struct dis d = { name, on };

	return store_write(st, disable_fn, &d);
}

/* ---- check ---- */

struct chk {
	struct stxn *t;
	struct buf *out;
	int n;
	long today;		/* UTC day number, for counter dates */
};

static void __attribute__((format(printf, 2, 3)))
problem(struct chk *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(c->out, fmt, ap);
	va_end(ap);
	buf_addc(c->out, '\n');
	c->n++;
}

/* A key for a message: printable names as they are, others in hex. */
static void
show_key(struct buf *b, const void *k, size_t kl)
{
	const unsigned char *p = k;
	size_t i;

	buf_reset(b);
	for (i = 0; i < kl && i < 64; i++)
		if (p[i] < 33 || p[i] > 126)
			break;
	if (i == kl && kl <= 64) {
		buf_add(b, k, kl);
		return;
	}
	buf_adds(b, "0x");
	util_hex(b, p, kl < 32 ? kl : 32);
	if (kl > 32)
		buf_adds(b, "...");
}

/*
 * Cheap structural check of a stored key (no gpg process per nym): one
 * armored public key block that decodes and starts with a public-key
 * packet (tag 6, old or new packet format).
 */
static int
key_parses(const struct buf *key)
{
	const char *start, *end;
	struct buf bin = BUF_INIT;
	int ok = 0;

	if (pgp_find_armor(key->s, key->len, &start, &end) == PGP_PUBKEY &&
	    pgp_dearmor(start, (size_t)(end - start), &bin) == 0 &&
	    bin.len > 2) {
		unsigned char b = (unsigned char)bin.s[0];

		ok = b == 0xc6 || (b & 0xfc) == 0x98;
	}
	buf_free(&bin);
	return ok;
}

/* A v4 (40) or v5 (64) hex fingerprint. */
static int
fpr_ok(const char *f)
{
	size_t n = strspn(f, "0123456789ABCDEFabcdef");

	return f[n] == '\0' && (n == 40 || n == 64);
}

static int
check_nym(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;
	struct buf key = BUF_INIT;
	struct nym y;

	show_key(&key, k, kl);
	if (nym_decode(v, vl, &y) < 0) {
		problem(c, "nyms: %s: the record does not decode", key.s);
		goto out;
	}
	if (strlen(y.name) != kl || memcmp(y.name, k, kl) != 0)
		problem(c, "nyms: %s: the record names another nym", key.s);
	else if (!names_valid(y.name))
		problem(c, "nyms: %s: not a valid nym name", key.s);
	if (y.state != NYM_ACTIVE && y.state != NYM_PENDING)
		problem(c, "nyms: %s: unknown state %d", key.s, y.state);
	if (y.fpr == NULL || y.fpr[0] == '\0' || y.key.len == 0)
		problem(c, "nyms: %s: no public key", key.s);
	else if (!key_parses(&y.key))
		problem(c, "nyms: %s: the public key does not parse", key.s);
	else if (!fpr_ok(y.fpr))
		problem(c, "nyms: %s: the fingerprint is malformed", key.s);
	/* A pending nym holds no block until one is confirmed. */
	if (y.nblocks == 0 && y.state == NYM_ACTIVE)
		problem(c, "nyms: %s: no reply block", key.s);
	nym_free(&y);
out:
	buf_free(&key);
	return 0;
}

static int
nym_exists(struct stxn *t, const void *k, size_t kl)
{
	return txn_get(t, DB_NYMS, k, kl, NULL) == STORE_OK;
}

static int
check_confirm(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;
	struct nym_pending pd;

	(void)k;
	if (kl == 0 || nym_pending_decode(v, vl, &pd) < 0) {
		problem(c, "confirm: a record does not decode");
		return 0;
	}
	if (!nym_exists(c->t, pd.name, strlen(pd.name)))
		problem(c, "confirm: a confirmation for %.16s, which does not "
		    "exist", pd.name);
	nym_pending_free(&pd);
	return 0;
}

static int
check_chunks(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;
	struct buf key = BUF_INIT;
	char t[64], extra;
	long d;
	unsigned long n;

	show_key(&key, k, kl);
	if (!nym_exists(c->t, k, kl))
		problem(c, "chunks: %s: a counter for a nym that does not "
		    "exist", key.s);
	if (vl >= sizeof(t)) {
		problem(c, "chunks: %s: the record does not parse", key.s);
	} else {
		memcpy(t, v, vl);
		t[vl] = '\0';
		if (sscanf(t, "%ld %lu%c", &d, &n, &extra) != 2)
			problem(c, "chunks: %s: the record does not parse",
			    key.s);
		else if (d < 0 || d > c->today + 1)
			problem(c, "chunks: %s: dated day %ld, today is %ld",
			    key.s, d, c->today);
	}
	buf_free(&key);
	return 0;
}

static int
check_replay(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;
	struct outcome_rec h;

	(void)k;
	if (kl != 32 || outcome_rec_parse(v, vl, &h) < 0)
		problem(c, "replay: a record is malformed");
	return 0;
}

/* Hand-offs left: well formed, and of a nym that exists. */
static int
check_outbox(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;
	struct outcome_rec h;

	(void)k;
	if (kl != 32 || outcome_rec_parse(v, vl, &h) < 0 || h.state != 'P')
		problem(c, "outbox: a record is malformed");
	else if (!nym_exists(c->t, h.name, strlen(h.name)))
		problem(c, "outbox: hand-offs for %.16s, which does not exist",
		    h.name);
	return 0;
}

static int
check_blocks(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct chk *c = arg;

	(void)k;
	(void)v;
	(void)vl;
	if (kl != BLOCK_HASH_LEN)
		problem(c, "blocks: a key is not a keyed hash");
	return 0;
}

static int
check_fn(struct stxn *t, void *arg)
{
	struct chk *c = arg;
	struct buf v = BUF_INIT;
	int rc;

	c->t = t;
	rc = txn_get(t, DB_META, "blockkey", 8, &v);
	if (rc == STORE_OK && v.len != BLOCK_KEY_LEN)
		problem(c, "meta: blockkey has the wrong length");
	buf_wipe(&v);
	if (rc < 0 ||
	    (rc = txn_iter(t, DB_NYMS, NULL, 0, check_nym, c)) < 0 ||
	    (rc = txn_iter(t, DB_CONFIRM, NULL, 0, check_confirm, c)) < 0 ||
	    (rc = txn_iter(t, DB_CHUNKS, NULL, 0, check_chunks, c)) < 0 ||
	    (rc = txn_iter(t, DB_REPLAY, NULL, 0, check_replay, c)) < 0 ||
	    (rc = txn_iter(t, DB_OUTBOX, NULL, 0, check_outbox, c)) < 0 ||
	    (rc = txn_iter(t, DB_BLOCKS, NULL, 0, check_blocks, c)) < 0)
		return rc;
	return 0;
}

/* Each server key: named in META, and its secret half in the GnuPG home. */
static void
check_keys(const struct conf *conf, struct store *st, struct chk *c)
{
	static const char *const which[] = { "serverkey", "remailerkey" };
	struct buf fpr = BUF_INIT;
	size_t i;

	if (gpg_home_ok(conf->gnupghome) < 0) {
		problem(c, "gnupg: %s is not a directory", conf->gnupghome);
		return;
	}
	for (i = 0; i < 2; i++) {
		int rc = store_get(st, DB_META, which[i], &fpr);

		if (rc == STORE_NOTFOUND) {
			problem(c, "meta: no %s (run nymctl init)", which[i]);
			continue;
		}
		if (rc != STORE_OK) {
			problem(c, "meta: cannot read %s", which[i]);
			continue;
		}
		rc = gpg_have_secret(conf->gnupghome, fpr.s);
		if (rc == 0)
			problem(c, "gnupg: the secret key of %s (%.40s) is "
			    "missing", which[i], fpr.s);
		else if (rc < 0)
			problem(c, "gnupg: cannot look up %s", which[i]);
	}
	buf_free(&fpr);
}

int
admin_check(const struct conf *conf, struct store *st, struct buf *out)
{
	struct chk c = { NULL, out, 0, (long)(time(NULL) / DAY) };
	int n;

	if (store_read(st, check_fn, &c) < 0)
		return -1;
	if ((n = dstblk_check(st, out)) < 0)
		return -1;
	c.n += n;
	check_keys(conf, st, &c);
	return c.n;
}
