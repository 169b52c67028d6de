/* nymkey.c - a nym's key: verification in a throw-away home, its lifetime. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "mime.h"
#include "nym.h"
#include "nymkey.h"
#include "sigreq.h"
#include "util.h"

#define DAY 86400L

/* statedir/tmp, the parent of every throw-away GnuPG home (what killed
 * runs left there is removed on the way: util_tmp_dir). */
static int
tmp_parent(const struct conf *c, struct buf *dir)
{
	return util_tmp_dir(c->statedir, dir);
}

int
nymkey_verify(const struct conf *c, const struct sigreq *sr,
    const struct buf *key, const struct buf *also, struct gpg_keyinfo *ki,
    struct gpg_keyinfo *merged, struct gpg_sig *sig,
    struct mime_text *content, struct buf *norm)
{
	struct gpg_tmp *t = NULL;
	struct gpg_keyinfo mk;
	struct buf dir = BUF_INIT, plain = BUF_INIT;
	int rc;

	memset(sig, 0, sizeof(*sig));
	memset(&mk, 0, sizeof(mk));
	memset(ki, 0, sizeof(*ki));
	if (merged != NULL)
		memset(merged, 0, sizeof(*merged));
	if (content != NULL)
		memset(content, 0, sizeof(*content));
	if (tmp_parent(c, &dir) < 0) {
		buf_free(&dir);
		return GPG_TEMP;
	}
	if ((rc = gpg_tmp_new(dir.s, &t)) != GPG_OK)
		goto out;
	if ((rc = gpg_tmp_import(t, key->s, key->len, ki)) != GPG_OK)
		goto out;
	if (ki->nkeys != 1) {
		rc = GPG_BAD;
		goto out;
	}
	if (also != NULL) {
		/* The same key again merges (new self-signatures, a
		 * revocation); another key makes a second one. */
		rc = gpg_tmp_import(t, also->s, also->len, &mk);
		if (merged != NULL)
			*merged = mk;
		if (rc != GPG_OK)
			goto out;
		if (mk.nkeys != 1 || strcmp(mk.fpr, ki->fpr) != 0) {
			rc = GPG_BAD;
			goto out;
		}
	}
	/* The key as it would be stored, whatever the signature. */
	if (norm != NULL && (rc = gpg_tmp_export(t, ki->fpr, norm)) != GPG_OK)
		goto out;
	if (sr->kind == SR_DETACHED)
		rc = gpg_tmp_verify(t, sr->sigdata.s, sr->sigdata.len,
		    sr->text.s, sr->text.len, sig, NULL);
	else
		rc = gpg_tmp_verify(t, sr->sigdata.s, sr->sigdata.len, NULL, 0,
		    sig, &plain);
	if (rc != GPG_OK || !sig->valid || content == NULL)
		goto out;
	if (sr->kind == SR_DETACHED)
		rc = sigreq_content(sr, sr->preplain.s, sr->preplain.len,
		    content);
	else
		rc = sigreq_content(sr, plain.s, plain.len, content);
	rc = rc < 0 ? GPG_BAD : GPG_OK;
out:
	gpg_tmp_free(t);
	buf_free(&dir);
	buf_wipe(&plain);
	return rc;
}

int
nymkey_auth(const struct conf *c, const struct sigreq *sr,
    const struct buf *stored, const struct buf *carried,
    struct gpg_keyinfo *oldki, struct gpg_keyinfo *newki,
    struct buf *newkey, struct mime_text *content, struct gpg_sig *sig,
    int *merged)
{
	struct gpg_keyinfo ki;
	struct gpg_sig s2;
	int rc;

	*merged = 0;
	memset(oldki, 0, sizeof(*oldki));
	memset(newki, 0, sizeof(*newki));
	if (stored != NULL && carried != NULL) {
		/* The same key again: one home, the copies merged. */
		rc = nymkey_verify(c, sr, stored, carried, oldki, newki, sig,
		    content, newkey);
		if (rc == GPG_TEMP)
			return NKA_TEMP;
		if (rc == GPG_OK && sig->valid) {
			*merged = 1;
			return NKA_STORED;
		}
		/* Another key, or nothing verified: each on its own. */
		mime_text_free(content);
		buf_wipe(newkey);
		memset(newki, 0, sizeof(*newki));
	}
	if (stored != NULL) {
		rc = nymkey_verify(c, sr, stored, NULL, oldki, NULL, sig,
		    content, NULL);
		if (rc == GPG_TEMP)
			return NKA_TEMP;
		if (rc == GPG_OK && sig->valid) {
			/* A new key: inspect it too (not for the check). */
			if (carried != NULL && nymkey_verify(c, sr, carried,
			    NULL, newki, NULL, &s2, NULL, newkey) == GPG_TEMP)
				return NKA_TEMP;
			return NKA_STORED;
		}
		mime_text_free(content);
	}
	if (carried == NULL)
		return NKA_NONE;
	rc = nymkey_verify(c, sr, carried, NULL, &ki, NULL, sig, content,
	    newkey);
	*newki = ki;
	if (rc == GPG_TEMP)
		return NKA_TEMP;
	return rc == GPG_OK && sig->good ? NKA_CARRIED : NKA_NONE;
}

int
nymkey_facts(const struct conf *c, const struct buf *key,
    struct gpg_keyinfo *ki)
{
	struct gpg_tmp *t = NULL;
	struct buf dir = BUF_INIT;
	int rc;

	memset(ki, 0, sizeof(*ki));
	if (tmp_parent(c, &dir) < 0) {
		buf_free(&dir);
		return GPG_TEMP;
	}
	if ((rc = gpg_tmp_new(dir.s, &t)) == GPG_OK)
		rc = gpg_tmp_import(t, key->s, key->len, ki);
	gpg_tmp_free(t);
	buf_free(&dir);
	return rc;
}

void
nymkey_record(struct nym *y, const struct gpg_keyinfo *ki)
{
	/* A new expiry date earns its own warnings. */
	if (!y->keyknown || y->keyexp != ki->expires)
		y->keywarned = 0;
	y->keyknown = 1;
	y->keyexp = ki->expires;
	y->keyrevoked = ki->revoked;
}

const char *
nymkey_unusable(const struct nym *y, long now)
{
	if (y->keyrevoked)
		return "mailbox disabled: the nym's key has been revoked";
	if (y->keyknown && y->keyexp != 0 && now >= y->keyexp)
		return "mailbox disabled: the nym's key has expired";
	return NULL;
}

const char *
nymkey_failed(const struct conf *c, const struct buf *key)
{
	struct gpg_keyinfo ki;

	if (nymkey_facts(c, key, &ki) != GPG_OK || ki.nkeys != 1)
		return NULL;
	if (ki.revoked)
		return "mailbox disabled: the nym's key has been revoked";
	if (ki.expired)
		return "mailbox disabled: the nym's key has expired";
	return NULL;
}

int
nymkey_reachable(const struct nym *y, long now)
{
	return !(y->flags & NF_CRYPTRECV) || nymkey_unusable(y, now) == NULL;
}

int
nymkey_warn_due(const struct nym *y, long now)
{
	long left = y->keyexp - now;

	if (!y->keyknown || y->keyexp == 0 || y->keyrevoked || left <= 0 ||
	    y->state != NYM_ACTIVE)
		return 0;
	if (left <= NYMKEY_WARN_LAST * DAY && y->keywarned != NYMKEY_WARN_LAST)
		return NYMKEY_WARN_LAST;
	if (left <= NYMKEY_WARN_FIRST * DAY && y->keywarned == 0)
		return NYMKEY_WARN_FIRST;
	return 0;
}

void
nymkey_howto(struct buf *b, const struct conf *c, const struct nym *y)
{
	const char *fpr = y->fpr != NULL ? y->fpr : "FINGERPRINT";

	buf_addf(b, "To refresh the key, extend its expiry date and each "
	    "subkey's, e.g. with GnuPG:\n\n"
	    "    gpg --quick-set-expire %s 2y\n"
	    "    gpg --quick-set-expire %s 2y SUBKEY-FINGERPRINT...\n\n"
	    "(the subkeys' fingerprints: gpg --list-options "
	    "show-unusable-subkeys\n--with-subkey-fingerprints --list-keys "
	    "%s; \"*\" for all subkeys may pass\nover those that have "
	    "expired already), then send config@%s a request\nsigned by "
	    "the key that carries the refreshed copy (Public-Key:), for "
	    "instance\n\n"
	    "    contrib/nymcfg -H %s -n %s -u %s -k\n\n"
	    "The fingerprint stays the same; the server keeps the new "
	    "expiry date.\nThat works after the key has expired, too.\n",
	    fpr, fpr, fpr, c->hostname, c->hostname, y->name, fpr);
}

int
nymkey_notice(const struct conf *c, const struct server_keys *k,
    const struct buf *key, int encrypt, const struct nym_block *blocks,
    size_t nblocks, const void *plain, size_t len, struct buf **in,
    size_t *n)
{
	int rc = deliver_prepare(c, k, key, encrypt, blocks, nblocks, plain,
	    len, in, n);

	if (rc != GPG_OK && encrypt && nymkey_failed(c, key) != NULL) {
		log_info("notice not sent: the nym's key has expired or is "
		    "revoked");
		return GPG_BAD;
	}
	return rc;
}
