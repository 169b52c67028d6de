/* unread.c - a signed request that cannot be read is answered, not dropped. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "buf.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "nym.h"
#include "nymkey.h"
#include "outcome.h"
#include "pgp.h"
#include "replay.h"
#include "sigreq.h"
#include "store.h"
#include "unread.h"
#include "util.h"

#define DAY 86400L
#define MAX_KEY_IDS 32		/* (sub)keys of one nym key looked at */

/* The scan for the nyms whose key holds the signature's issuer id. */
struct find {
	const unsigned char *issuer;
	char *names[UNREAD_MAX_NYMS];
	size_t n;
};

/* Does the armored key hold a (sub)key with key id id? */
static int
key_has_id(const struct buf *key, const unsigned char id[8])
{
	unsigned char ids[MAX_KEY_IDS][8];
	const char *s, *e;
	struct buf bin = BUF_INIT;
	int n = -1, i, found = 0;

	if (key->len > 0 && pgp_find_armor(key->s, key->len, &s, &e) ==
	    PGP_PUBKEY && pgp_dearmor(s, (size_t)(e - s), &bin) == 0)
		n = pgp_key_ids(bin.s, bin.len, ids, MAX_KEY_IDS);
	for (i = 0; i < n && !found; i++)
		found = memcmp(ids[i], id, 8) == 0;
	buf_free(&bin);
	return found;
}

static int
find_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct find *f = arg;
	struct nym y;

	(void)k;
	(void)kl;
	if (nym_decode(v, vl, &y) < 0)
		return 0;
	if (y.state == NYM_ACTIVE && key_has_id(&y.key, f->issuer))
		f->names[f->n++] = xstrdup(y.name);
	nym_free(&y);
	return f->n < UNREAD_MAX_NYMS ? 0 : 1;
}

static int
find_fn(struct stxn *t, void *arg)
{
	return txn_iter(t, DB_NYMS, NULL, 0, find_cb, arg);
}

struct record {
	const struct sigreq *sr;
	long now, until;
	struct buf outcome;
};

static int
record_fn(struct stxn *t, void *arg)
{
	struct record *rc = arg;
	int r = replay_put(t, rc->sr->hash, rc->now, rc->until, &rc->outcome);

	return r == STORE_EXISTS ? 1 : r < 0 ? r : 0;
}

/* The notice for nym y, if its stored key made a good, fresh signature. */
static int
tell(struct req *r, const struct server_keys *keys, const struct sigreq *sr,
    const char *service, const char *why, const char *name,
    struct outcome *oc, long *sigtime)
{
	struct gpg_keyinfo ki;
	struct gpg_sig sig;
	struct buf text = BUF_INIT, plain = BUF_INIT, *in = NULL;
	struct nym y;
	size_t n = 0, i;
	int rc, encrypt, told = 0;

	rc = account_get(r->st, name, &y);
	if (rc == STORE_ERR)
		die_temp("cannot read the state");
	if (rc != STORE_OK)
		return 0;
	rc = nymkey_verify(r->conf, sr, &y.key, NULL, &ki, NULL, &sig, NULL,
	    NULL);
	if (rc == GPG_TEMP)
		die_temp("gpg failed");
	encrypt = (y.flags & NF_CRYPTRECV) != 0;
	if (rc != GPG_OK || !sig.good || sig.timestamp < (long)r->now -
	    (long)r->conf->replay_days * DAY || (encrypt && !ki.can_encrypt))
		goto out;
	buf_addf(&text, "A request to %s@%s signed by the key of your nym "
	    "%s@%s\nwas NOT carried out: it could not be read.\n\n"
	    "What was wrong: %s.\n\n"
	    "The server reads a request from the signed text itself, or from "
	    "its first\ntext/plain part (7bit, 8bit, quoted-printable or "
	    "base64) when it is a\nPGP/MIME message.  A config@ request "
	    "starts with \"Config:\" and names the\nnym in a \"From:\" line; "
	    "a send@ request is the message to send, with\n\"From: %s\" and "
	    "its recipients in its header.\n\nThis signed copy is used up (a "
	    "replay of it is dropped): sign the\nrequest anew once it is "
	    "put right.\n", service,
	    r->conf->hostname, y.name, r->conf->hostname, why, y.name);
	notice_compose(r->conf, service, y.name, "nym request: NOT read",
	    NULL, text.s, r->now, &plain);
	rc = nymkey_notice(r->conf, keys, &y.key, encrypt, y.blocks,
	    y.nblocks, plain.s, plain.len, &in, &n);
	if (rc == GPG_TEMP)
		die_temp("cannot sign or encrypt a notice");
	for (i = 0; i < n; i++)
		outcome_add_remail(oc, &in[i]);
	told = rc == GPG_OK && n > 0;
	if (told && sig.timestamp > *sigtime)
		*sigtime = sig.timestamp;
out:
	deliver_free(in, n);
	buf_free(&text);
	buf_wipe(&plain);
	nym_free(&y);
	return told;
}

void
unread_answer(struct req *r, const struct server_keys *keys,
    const struct sigreq *sr, const char *service, const char *why)
{
	struct find f;
	struct record rec;
	struct outcome oc;
	char *whose = NULL;	/* the nym told, if only one */
	long sigtime = 0;
	size_t i, told = 0;
	int rc;

	log_info("%s: unreadable request: %s", service, why);
	memset(&f, 0, sizeof(f));
	f.issuer = sr->issuer;
	if (sr->has_issuer && store_read(r->st, find_fn, &f) < 0)
		die_temp("cannot read the state");
	outcome_init(&oc);
	for (i = 0; i < f.n; i++) {
		if (tell(r, keys, sr, service, why, f.names[i], &oc,
		    &sigtime)) {
			told++;
			free(whose);
			whose = xstrdup(f.names[i]);
		}
		free(f.names[i]);
	}
	if (told == 0) {
		log_info("%s: dropped: no nym to tell", service);
		die_ok();
	}
	rec.sr = sr;
	rec.now = (long)r->now;
	rec.until = replay_until(r->conf, rec.now, sigtime);
	buf_init(&rec.outcome);
	outcome_encode(&oc, &rec.outcome);
	rc = store_write(r->st, record_fn, &rec);
	buf_wipe(&rec.outcome);
	if (rc == 1) {
		log_info("%s: dropped: replay (concurrent)", service);
		die_ok();
	}
	if (rc < 0)
		die_temp("cannot update the state");
	/* Queued copies are removed with their nym: one tag per run. */
	deliver_tag(told == 1 ? whose : NULL);
	free(whose);
	replay_run(r, sr->hash, rec.now, rec.until, &oc);
	outcome_free(&oc);
	log_info("%s: unreadable request answered (%zu nym%s)", service, told,
	    told == 1 ? "" : "s");
	die_ok();
}
