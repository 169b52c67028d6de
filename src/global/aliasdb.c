/* aliasdb.c - the alias service's state: requests, tokens, budgets, expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "buf.h"
#include "purge.h"
#include "stamp.h"
#include "util.h"

/*
 * State (DESIGN.md section 3):
 *   DB_ALIASES  alias            -> real address
 *   DB_ADDRS    real address     -> alias
 *   DB_PENDING  "alias:t:" + hex(sha256(token)) -> "OP\nCREATED\nALIAS\nADDR"
 *               "alias:rate"     -> "MINUTE COUNT" (global ceiling)
 *               stamps (stamp.h): per address, one mail per
 *               ALIAS_ADDR_GAP; per domain, alias_rate a minute
 * The token itself is never stored.  Every "alias:" key and stamp
 * expires: tokens after 48 h, stamps with their window, so nothing that
 * counts requests per sender outlives its purpose (DESIGN.md section 8).
 * (Address stamps were "alias:a:" + plain SHA-256 before; purge still
 * removes such records.)
 *
 * Budgets (SECURITY.md 3.16): one global budget could be used up by
 * anyone with fresh addresses and stopped registration for everyone.
 * Now each recipient domain has its own budget (alias_rate a minute) and
 * the global ceiling (alias_rate_global) is ten times the old one, only
 * a last bound on the mail the service sends.  Over either: ALIAS_BUSY
 * (the MTA retries, the form says "try again"), nothing recorded.
 */
#define PFX "alias:"
#define PURGE_MAX 256		/* expired keys removed per request */
#define BUSY_ABORT (-10)	/* request_fn: over a budget, write nothing */

/* "alias:X:" + hex(sha256(data)) */
static void
hkey(struct buf *k, char kind, const char *data)
{
	unsigned char h[32];

	util_sha256(data, strlen(data), h);
	buf_reset(k);
	buf_addf(k, PFX "%c:", kind);
	util_hex(k, h, sizeof(h));
}

/* ---- expiry: every "alias:" record has a lifetime ---- */

/* Expired alias tokens ("OP\nCREATED\n...") and address gaps. */
static int
alias_expired(const void *k, size_t kl, const struct buf *v, time_t now)
{
	long t;

	if (kl < sizeof(PFX) + 1)
		return 0;
	if (((const char *)k)[sizeof(PFX) - 1] == 't') {
		if (v->len < 2 || sscanf(v->s + 2, "%ld", &t) != 1)
			return 1;
		return now - t > ALIAS_TOKEN_TTL || t > now + 3600;
	}
	if (((const char *)k)[sizeof(PFX) - 1] == 'a') {
		if (v->len == 0 || sscanf(v->s, "%ld", &t) != 1)
			return 1;
		return now - t >= ALIAS_ADDR_GAP || t > now + 3600;
	}
	return 0;
}

/* Delete up to PURGE_MAX expired records in this transaction. */
static int
purge(struct stxn *t, time_t now)
{
	return purge_txn(t, DB_PENDING, PFX, sizeof(PFX) - 1, alias_expired,
	    now, PURGE_MAX) < 0 ? STORE_ERR : 0;
}

static int
expire_fn(struct stxn *t, void *arg)
{
	return purge(t, *(time_t *)arg);
}

int
alias_expire(struct store *st, time_t now)
{
	return store_write(st, expire_fn, &now) < 0 ? STORE_ERR : 0;
}

/* ---- requests ---- */

struct reqarg {
	struct alias_req *a;
	const char *tokhash;	/* key for the token */
	const struct stamp_key *sk;
};

/*
 * A request: expiry, the address stamp (throttle), the domain's and the
 * global budget, then the rules (one alias per address, names free in
 * both tables), and the pending record under the token's hash.  Outcome
 * in a->outcome.
 */
static int
request_fn(struct stxn *t, void *arg)
{
	struct reqarg *ra = arg;
	struct alias_req *a = ra->a;
	struct buf v = BUF_INIT;
	const char *at = strrchr(a->addr, '@');
	int rc;

	buf_reset(&a->current);
	if ((rc = purge(t, a->now)) < 0 ||
	    (rc = stamp_txn_purge(t, a->now)) < 0)
		goto out;
	/* One mail per address per ALIAS_ADDR_GAP, whatever it says. */
	rc = stamp_txn_take(t, ra->sk, STAMP_ALIAS_ADDR, a->addr, a->now,
	    ALIAS_ADDR_GAP, 1);
	if (rc != 0) {
		if (rc == 1) {
			a->outcome = ALIAS_THROTTLED;
			rc = 0;
		}
		goto out;
	}
	/* The domain's budget, then the ceiling for all senders. */
	rc = stamp_txn_take(t, ra->sk, STAMP_ALIAS_DOMAIN, at ? at + 1 : "",
	    a->now, 60, a->rate);
	if (rc == 0 && a->rate_global > 0)
		rc = stamp_txn_minute(t, PFX "rate", a->now, a->rate_global);
	if (rc != 0) {
		if (rc == 1)
			rc = BUSY_ABORT;	/* and the address stamp goes */
		goto out;
	}

	rc = txn_get(t, DB_ADDRS, a->addr, strlen(a->addr), &a->current);
	if (rc == STORE_ERR)
		goto out;
	if (rc == STORE_NOTFOUND)
		buf_reset(&a->current);
	if (a->op == ALIAS_REGISTER) {
		if (a->current.len > 0) {
			a->outcome = ALIAS_HAS_ONE;
			rc = 0;
			goto out;
		}
		if (txn_get(t, DB_ALIASES, a->alias, strlen(a->alias),
		    NULL) != STORE_NOTFOUND ||
		    txn_get(t, DB_NYMS, a->alias, strlen(a->alias),
		    NULL) != STORE_NOTFOUND) {
			/* A lookup error aborts below through t's state. */
			a->outcome = ALIAS_TAKEN;
			rc = 0;
			goto out;
		}
	} else if (a->current.len == 0 || (a->alias[0] != '\0' &&
	    strcmp(a->current.s, a->alias) != 0)) {
		a->outcome = ALIAS_NONE;
		rc = 0;
		goto out;
	}
	buf_reset(&v);
	buf_addf(&v, "%c\n%ld\n%s\n%s", a->op, (long)a->now,
	    a->op == ALIAS_REGISTER ? a->alias : a->current.s, a->addr);
	rc = txn_put(t, DB_PENDING, ra->tokhash, strlen(ra->tokhash), v.s,
	    v.len);
	if (rc == 0)
		a->outcome = ALIAS_CONFIRM_SENT;
out:
	buf_free(&v);
	return rc;
}

int
alias_request(struct store *st, struct alias_req *a)
{
	struct buf tok = BUF_INIT, kh = BUF_INIT;
	struct stamp_key sk;
	struct reqarg ra = { a, NULL, &sk };
	int rc;

	if (stamp_key(st, &sk) != STORE_OK)
		return STORE_ERR;
	/* Random bytes outside the transaction: it may run twice. */
	util_random_hex(&tok, ALIAS_TOKEN_BYTES);
	memcpy(a->token, tok.s, sizeof(a->token) - 1);
	a->token[sizeof(a->token) - 1] = '\0';
	hkey(&kh, 't', a->token);
	ra.tokhash = kh.s;
	a->outcome = 0;
	rc = store_write(st, request_fn, &ra);
	memset(&sk, 0, sizeof(sk));
	if (rc == BUSY_ABORT) {
		a->outcome = ALIAS_BUSY;
		rc = 0;
	} else if (rc < 0 || a->outcome == 0)
		rc = STORE_ERR;
	if (a->outcome != ALIAS_CONFIRM_SENT)
		memset(a->token, 0, sizeof(a->token));
	buf_wipe(&tok);
	buf_free(&kh);
	return rc < 0 ? STORE_ERR : 0;
}

struct undoarg {
	const char *addr;
	const char *token;
	const struct stamp_key *sk;
};

static int
undo_fn(struct stxn *t, void *arg)
{
	struct undoarg *u = arg;
	struct buf k = BUF_INIT;
	int rc;

	rc = stamp_txn_drop(t, u->sk, STAMP_ALIAS_ADDR, u->addr);
	if (rc >= 0 && u->token[0] != '\0') {
		hkey(&k, 't', u->token);
		rc = txn_del(t, DB_PENDING, k.s, k.len);
	}
	buf_free(&k);
	return rc < 0 ? rc : 0;
}

int
alias_request_undo(struct store *st, const struct alias_req *a)
{
	struct stamp_key sk;
	struct undoarg u = { a->addr, a->token, &sk };
	int rc;

	if (stamp_key(st, &sk) != STORE_OK)
		return STORE_ERR;
	rc = store_write(st, undo_fn, &u);
	memset(&sk, 0, sizeof(sk));
	return rc < 0 ? STORE_ERR : 0;
}

/* ---- confirmation ---- */

/* A token as we make them: 32 lowercase hex digits. */
static int
token_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 2 * ALIAS_TOKEN_BYTES;
}

/*
 * Use a token: delete it (single use) and the address stamp, check its
 * age, then apply the change if the rules still allow it.
 */
struct confarg {
	struct alias_confirm *c;
	const struct stamp_key *sk;
};

static int
confirm_fn(struct stxn *t, void *arg)
{
	struct confarg *ca = arg;
	struct alias_confirm *c = ca->c;
	struct buf k = BUF_INIT, v = BUF_INIT, cur = BUF_INIT;
	char *f[4], *p;
	long created;
	size_t i;
	int rc;

	c->outcome = ALIAS_BADTOKEN;
	if ((rc = purge(t, c->now)) < 0)
		goto out;
	hkey(&k, 't', c->token);
	rc = txn_get(t, DB_PENDING, k.s, k.len, &v);
	if (rc != STORE_OK) {
		rc = rc == STORE_NOTFOUND ? 0 : rc;
		goto out;
	}
	/* Single use: the token goes whatever happens next. */
	if ((rc = txn_del(t, DB_PENDING, k.s, k.len)) < 0)
		goto out;
	for (i = 0, p = v.s; i < 4; i++) {
		f[i] = p;
		if (i < 3 && (p = strchr(p, '\n')) == NULL)
			goto out;
		if (i < 3)
			*p++ = '\0';
	}
	created = strtol(f[1], NULL, 10);
	if (c->now - created > ALIAS_TOKEN_TTL || created > c->now + 3600)
		goto out;
	c->op = f[0][0];
	buf_sets(&c->alias, f[2]);
	buf_sets(&c->addr, f[3]);
	/* The owner is present: lift the one-mail-per-10-minutes stamp. */
	if ((rc = stamp_txn_drop(t, ca->sk, STAMP_ALIAS_ADDR, f[3])) < 0)
		goto out;
	rc = txn_get(t, DB_ADDRS, f[3], strlen(f[3]), &cur);
	if (rc == STORE_ERR)
		goto out;
	if (c->op == ALIAS_REGISTER) {
		if (rc == STORE_OK) {
			c->outcome = ALIAS_HAS_ONE;
			rc = 0;
			goto out;
		}
		if (txn_get(t, DB_ALIASES, f[2], strlen(f[2]), NULL) !=
		    STORE_NOTFOUND || txn_get(t, DB_NYMS, f[2], strlen(f[2]),
		    NULL) != STORE_NOTFOUND) {
			c->outcome = ALIAS_TAKEN;
			rc = 0;
			goto out;
		}
		if ((rc = txn_put(t, DB_ALIASES, f[2], strlen(f[2]), f[3],
		    strlen(f[3]))) < 0 ||
		    (rc = txn_put(t, DB_ADDRS, f[3], strlen(f[3]), f[2],
		    strlen(f[2]))) < 0)
			goto out;
	} else if (c->op == ALIAS_REMOVE) {
		if (rc != STORE_OK || cur.len != strlen(f[2]) ||
		    memcmp(cur.s, f[2], cur.len) != 0) {
			c->outcome = ALIAS_NONE;
			rc = 0;
			goto out;
		}
		if ((rc = txn_del(t, DB_ALIASES, f[2], strlen(f[2]))) < 0 ||
		    (rc = txn_del(t, DB_ADDRS, f[3], strlen(f[3]))) < 0)
			goto out;
	} else
		goto out;
	c->outcome = ALIAS_DONE;
	rc = 0;
out:
	buf_free(&k);
	buf_wipe(&v);
	buf_free(&cur);
	return rc < 0 ? STORE_ERR : 0;
}

int
alias_confirm(struct store *st, struct alias_confirm *c)
{
	struct stamp_key sk;
	struct confarg ca = { c, &sk };
	int rc;

	c->outcome = ALIAS_BADTOKEN;
	c->op = 0;
	if (!token_ok(c->token))
		return 0;
	if (stamp_key(st, &sk) != STORE_OK)
		return STORE_ERR;
	rc = store_write(st, confirm_fn, &ca);
	memset(&sk, 0, sizeof(sk));
	return rc < 0 ? STORE_ERR : 0;
}
