/* gpg.c - gpgme wrapper: contexts, decryption and its verdict, temporary homes. */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include <gpgme.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"

#include "conf.h"
#include "util.h"

static char *gpg_program;

/*
 * What gpg said on its status channel during the current operation.  A
 * failure is taken as gpg's verdict on the input (a permanent refusal)
 * only when gpg came to the end and said so; a gpg that was killed or
 * crashed says nothing of the kind, and that is trouble (75): otherwise a
 * dead gpg would make a request look unsigned or garbled, and it would
 * be dropped for good.
 */
enum {
	ST_END = 1,		/* END_DECRYPTION, NODATA or FAILURE */
	ST_SIG = 2,		/* a signature's verdict is complete */
	ST_IMPORT = 4,		/* IMPORT_RES */
	ST_EXPORT = 8,		/* EXPORT_RES */
	ST_SYM = 16,		/* NEED_PASSPHRASE_SYM: a passphrase layer */
	ST_PLAIN = 32,		/* PLAINTEXT: gpg wrote out literal data */
	ST_BEGIN = 64,		/* BEGIN_DECRYPTION */
	ST_DINFO = 128		/* DECRYPTION_INFO: a session key was found */
};
static unsigned st_seen;
/*
 * Signatures gpg began (NEWSIG) whose verdict is not complete yet.  A
 * good signature is told in two lines, GOODSIG (or EXPSIG, EXPKEYSIG,
 * REVKEYSIG) and then VALIDSIG with the fingerprint; a gpg killed between
 * them leaves a signature without its fingerprint, which would read as
 * "not by the nym's key" and the request would be dropped.  VALIDSIG,
 * BADSIG and ERRSIG end a signature's verdict.
 */
static unsigned st_open;

static gpgme_error_t
on_status(void *hook, const char *kw, const char *args)
{
	(void)hook;
	(void)args;
	if (strcmp(kw, "END_DECRYPTION") == 0 || strcmp(kw, "NODATA") == 0 ||
	    strcmp(kw, "FAILURE") == 0)
		st_seen |= ST_END;
	else if (strcmp(kw, "IMPORT_RES") == 0)
		st_seen |= ST_IMPORT;
	else if (strcmp(kw, "EXPORT_RES") == 0)
		st_seen |= ST_EXPORT;
	else if (strcmp(kw, "NEED_PASSPHRASE_SYM") == 0)
		st_seen |= ST_SYM;
	else if (strcmp(kw, "PLAINTEXT") == 0)
		st_seen |= ST_PLAIN;
	else if (strcmp(kw, "BEGIN_DECRYPTION") == 0)
		st_seen |= ST_BEGIN;
	else if (strcmp(kw, "DECRYPTION_INFO") == 0)
		st_seen |= ST_DINFO;
	else if (strcmp(kw, "NEWSIG") == 0)
		st_open++;
	else if (strcmp(kw, "VALIDSIG") == 0 || strcmp(kw, "BADSIG") == 0 ||
	    strcmp(kw, "ERRSIG") == 0) {
		if (st_open > 0)
			st_open--;
		st_seen |= ST_SIG;
	}
	/* No signature at all (NODATA), or gpg's own exit with an error
	 * (FAILURE, its last line): a verdict too. */
	if (strcmp(kw, "NODATA") == 0 || strcmp(kw, "FAILURE") == 0) {
		st_seen |= ST_SIG;
		st_open = 0;
	}
	return 0;
}

/* Did gpg finish telling the verdict on every signature it began? */
static int
sig_verdict_complete(void)
{
	return (st_seen & ST_SIG) && st_open == 0;
}

/* Start listening for an operation's status lines. */
static void
listen_status(gpgme_ctx_t ctx)
{
	st_seen = 0;
	st_open = 0;
	gpgme_set_status_cb(ctx, on_status, NULL);
}

void
gpg_set_program(const char *path)
{
	free(gpg_program);
	gpg_program = NULL;
	/* The default stays gpgme's own lookup: naming the engine's file
	 * costs one more gpg --version per process. */
	if (strcmp(path, GPG_PATH) != 0)
		gpg_program = xstrdup(path);
}

int
gpg_init(void)
{
	static int done;

	if (done)
		return 0;
	/*
	 * gpgme otherwise runs gpgconf three times and gpgsm once in every
	 * process to learn paths and versions we never use (measured: about
	 * a third of a delivery's gpgme start-up).  We only drive gpg.
	 */
	gpgme_set_global_flag("disable-gpgconf", "1");
	gpgme_set_global_flag("gpg-name", GPG_PATH);
	if (gpgme_check_version("1.7.0") == NULL)
		return -1;
	/* gpg-name is only a name looked up in PATH: another program (the
	 * configuration's gpg) is named by its path as the engine's file. */
	if (gpg_program != NULL && gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP,
	    gpg_program, NULL) != 0)
		return -1;
	gpgme_set_locale(NULL, LC_CTYPE, "C");
	/* No gpgme_engine_check_version: it costs a gpg --version of its
	 * own, and gpgme_new/gpgme_ctx_set_engine_info fail without gpg. */
	done = 1;
	return 0;
}

int
gpg_home_ok(const char *home)
{
	struct stat sb;

	if (stat(home, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static char *default_home;

void
gpg_default_home(const char *home)
{
	free(default_home);
	default_home = xstrdup(home);
	if (setenv("GNUPGHOME", home, 1) < 0)
		die_temp("setenv: %s", strerror(errno));
}

gpgme_ctx_t
gpg_ctx(const char *home)
{
	gpgme_ctx_t ctx;
	gpgme_error_t e;

	if (gpg_init() < 0)
		return NULL;
	if ((e = gpgme_new(&ctx)) != 0) {
		log_err("gpgme_new: %s", gpgme_strerror(e));
		return NULL;
	}
	/* The default home comes from GNUPGHOME: setting it on the context
	 * would cost gpgme another gpg --version. */
	if ((e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    ((default_home == NULL || strcmp(home, default_home) != 0) &&
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
	    gpg_program, home)) != 0) ||
	    (e = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK))
	    != 0) {
		log_err("gpgme setup: %s", gpgme_strerror(e));
		gpgme_release(ctx);
		return NULL;
	}
	gpgme_set_armor(ctx, 1);
	gpgme_set_offline(ctx, 1);
	/* Every status line reaches on_status (not only the few gpgme
	 * passes on by default). */
	if ((e = gpgme_set_ctx_flag(ctx, "full-status", "1")) != 0) {
		log_err("gpgme full-status: %s", gpgme_strerror(e));
		gpgme_release(ctx);
		return NULL;
	}
	return ctx;
}

/* ---- operations for config@/send@ and deliveries ---- */

/* Errors that mean "this input is not for us / broken", not trouble. */
static int
classify(gpgme_error_t e)
{
	switch (gpgme_err_code(e)) {
	case GPG_ERR_NO_ERROR:
		return GPG_OK;
	case GPG_ERR_NO_SECKEY:
	case GPG_ERR_DECRYPT_FAILED:
	case GPG_ERR_BAD_DATA:
	case GPG_ERR_NO_DATA:
	case GPG_ERR_INV_PACKET:
	case GPG_ERR_UNEXPECTED:
	case GPG_ERR_BAD_SIGNATURE:
	case GPG_ERR_INV_DATA:
	case GPG_ERR_CHECKSUM:
	case GPG_ERR_UNKNOWN_PACKET:
	case GPG_ERR_UNSUPPORTED_ALGORITHM:
	case GPG_ERR_CIPHER_ALGO:
	case GPG_ERR_DIGEST_ALGO:
	case GPG_ERR_PUBKEY_ALGO:
	case GPG_ERR_WRONG_PUBKEY_ALGO:
	case GPG_ERR_INV_VALUE:
	case GPG_ERR_INV_ENGINE:
		return GPG_BAD;
	default:
		return GPG_TEMP;
	}
}

/* Move the contents of a gpgme data object to out. */
void
gpg_data_to_buf(gpgme_data_t d, struct buf *out)
{
	char *mem;
	size_t n;

	mem = gpgme_data_release_and_get_mem(d, &n);
	buf_reset(out);
	if (mem != NULL)
		buf_add(out, mem, n);
	else
		buf_reserve(out, 0);
	gpgme_free(mem);
}

/*
 * Mark which of the n key ids (16 hex digits) are (sub)keys in ctx's
 * keyring (with secret, ones whose secret part can be used: that listing
 * asks the gpg-agent); *listed counts the keys the listing gave, even
 * when it ended in an error.  One listing for all the ids: a message may
 * name many recipients, and each listing is a gpg run.
 */
static int
mark_keyids(gpgme_ctx_t ctx, char (*ids)[17], size_t n, int secret,
    unsigned char *mark, size_t *listed)
{
	gpgme_key_t k;
	gpgme_subkey_t sk;
	gpgme_error_t e;
	size_t i;

	*listed = 0;
	if (n > 0)
		memset(mark, 0, n);
	if ((e = gpgme_op_keylist_start(ctx, NULL, secret)) != 0)
		return -1;
	while ((e = gpgme_op_keylist_next(ctx, &k)) == 0) {
		(*listed)++;
		for (sk = k->subkeys; sk != NULL; sk = sk->next)
			for (i = 0; i < n; i++)
				if (sk->keyid != NULL &&
				    strcasecmp(sk->keyid, ids[i]) == 0 &&
				    (!secret || sk->secret))
					mark[i] = 1;
		gpgme_key_unref(k);
	}
	gpgme_op_keylist_end(ctx);
	return gpgme_err_code(e) == GPG_ERR_EOF ? 0 : -1;
}

/*
 * Does the message name one of our keys (or an anonymous recipient while
 * no secret key of ours can be used)?  Then a failure to decrypt it is
 * our key's failure, not the sender's.  With local_only, a key of ours
 * counts only when its secret part cannot be used here (the agent gone,
 * the secret key missing): a packet for our key that failed while the
 * key is usable failed on its contents, and that is the sender's.
 */
static int
own_key_named(gpgme_ctx_t ctx, int local_only)
{
	gpgme_decrypt_result_t res;
	gpgme_recipient_t rc;
	char (*ids)[17];
	unsigned char *ours = NULL;
	size_t n = 0, cap = 0, i, nkeys, nsecret = 0;
	int anonymous = 0, ret = 0, secret_listed = 0;

	if ((res = gpgme_op_decrypt_result(ctx)) == NULL)
		return 0;
	for (rc = res->recipients; rc != NULL; rc = rc->next)
		cap++;
	if ((ids = calloc(cap + 1, sizeof(*ids))) == NULL)
		return 1;		/* trouble here, not the sender's */
	/* Copy first (all of them): the key listing below replaces the
	 * result. */
	for (rc = res->recipients; rc != NULL; rc = rc->next) {
		if (rc->keyid == NULL || strspn(rc->keyid, "0") ==
		    strlen(rc->keyid))
			anonymous = 1;
		else
			snprintf(ids[n++], sizeof(ids[0]), "%.16s", rc->keyid);
	}
	if (n > 0 && (ours = calloc(n, 2)) == NULL)
		ret = 1;		/* trouble here, not the sender's */
	else if (n > 0 && mark_keyids(ctx, ids, n, 0, ours, &nkeys) < 0)
		ret = 1;		/* we cannot even list our keys */
	else if (n > 0 && !local_only)
		ret = memchr(ours, 1, n) != NULL;
	else if (n > 0 && memchr(ours, 1, n) != NULL) {
		/* Ours, and its secret part unusable here (or no listing). */
		if (mark_keyids(ctx, ids, n, 1, ours + n, &nsecret) < 0)
			ret = 1;
		else
			secret_listed = 1;
		for (i = 0; i < n && !ret; i++)
			ret = ours[i] && !ours[n + i];
	}
	free(ours);
	free(ids);
	if (ret || !anonymous)
		return ret;
	/* An anonymous recipient: ours while no secret key can be used (a
	 * listing of any needs a working gpg-agent). */
	if (!secret_listed)
		(void)mark_keyids(ctx, NULL, 0, 1, NULL, &nsecret);
	return nsecret == 0;
}

int
gpg_own_key_failed(gpgme_ctx_t ctx, gpgme_error_t e)
{
	return gpgme_err_code(e) == GPG_ERR_NO_SECKEY && own_key_named(ctx, 0);
}

/*
 * No passphrase is ever given: the server's keys have none, and a layer
 * encrypted with a passphrase (a symmetric session-key packet, or bare
 * symmetrically encrypted data, which gpg reads as such) is not for us.
 * gpg is told at once, so it ends with its verdict instead of reading an
 * end of file where the passphrase should be.
 */
static gpgme_error_t
no_passphrase(void *h, const char *hint, const char *info, int bad, int fd)
{
	(void)h; (void)hint; (void)info; (void)bad; (void)fd;
	return gpg_error(GPG_ERR_CANCELED);
}

int
gpg_decrypt(gpgme_ctx_t ctx, gpgme_decrypt_flags_t flags, gpgme_data_t in,
    gpgme_data_t out, gpgme_error_t *err)
{
	gpgme_error_t e;
	int rc;

	listen_status(ctx);
	gpgme_set_passphrase_cb(ctx, no_passphrase, NULL);
	*err = e = gpgme_op_decrypt_ext(ctx, flags, in, out);
	rc = classify(e);
	if (rc != GPG_OK && (st_seen & ST_SYM)) {
		/*
		 * gpg wanted a passphrase: the input is (or, past a key
		 * packet it could not use, falls back to) a passphrase
		 * layer.  Not ours -- unless one of our keys was named and
		 * cannot be used here (its secret missing, or the agent
		 * unusable), which is trouble (75), not the sender's.  gpg's
		 * own word on our key packet (NO_SECKEY, pkdecrypt_failed)
		 * comes after the passphrase it asked for, and the cancel
		 * ends the operation before it: so ask the agent.  A packet
		 * for our key that failed while the key is usable here (a
		 * garbage session key, a wrong algorithm byte) failed on its
		 * contents and is dropped: answered 75, anyone could park
		 * such mail in the MTA's queue for days, a decryption per
		 * retry, and have it bounce in the end.
		 */
		rc = own_key_named(ctx, 1) ? GPG_TEMP : GPG_BAD;
		log_info("decrypt: encrypted with a passphrase%s",
		    rc == GPG_TEMP ? ", and our own key could not be used" :
		    ", not to our key, or its key packet is bad");
		return rc;
	}
	/* Once gpg found the session key (DECRYPTION_INFO, never for a
	 * passphrase: none is given), our key worked: a "no secret key"
	 * after it is a nested layer's, the sender's. */
	if (rc == GPG_BAD && !(st_seen & ST_DINFO) &&
	    gpg_own_key_failed(ctx, e)) {
		/* For us, but our key could not be used: never "not ours". */
		log_err("decrypt: our own key cannot be used (%s; is "
		    "gpg-agent usable?)", gpgme_strerror(e));
		return GPG_TEMP;
	}
	/* Literal data with no decryption begun: the input is not an
	 * encrypted message, killed gpg or not (gpg says no more on it). */
	if (rc == GPG_BAD && !(st_seen & ST_END) &&
	    gpgme_err_code(e) == GPG_ERR_NO_DATA &&
	    (st_seen & (ST_PLAIN | ST_BEGIN)) == ST_PLAIN)
		return GPG_BAD;
	if (rc == GPG_BAD && !(st_seen & ST_END))
		rc = GPG_TEMP;		/* gpg ended without a verdict */
	if (rc != GPG_OK)
		log_info("decrypt: %s%s", gpgme_strerror(e), rc == GPG_TEMP ?
		    " (gpg gave no verdict)" : "");
	return rc;
}

int
gpg_decrypt_began(void)
{
	return (st_seen & ST_DINFO) != 0;
}

int
gpg_unwrap(const char *home, const void *in, size_t len, struct buf *out)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_data_t cin = NULL, pout = NULL;
	gpgme_error_t e;
	int rc;

	if (ctx == NULL)
		return GPG_TEMP;
	gpgme_set_armor(ctx, 0);
	if (gpgme_data_new_from_mem(&cin, in, len, 0) != 0 ||
	    gpgme_data_new(&pout) != 0) {
		rc = GPG_TEMP;
		goto out;
	}
	if ((rc = gpg_decrypt(ctx, GPGME_DECRYPT_UNWRAP, cin, pout, &e)) ==
	    GPG_OK) {
		gpg_data_to_buf(pout, out);
		pout = NULL;
	}
out:
	gpgme_data_release(cin);
	gpgme_data_release(pout);
	gpgme_release(ctx);
	return rc;
}

struct gpg_tmp {
	char *dir;
	gpgme_ctx_t ctx;
};

int
gpg_tmp_new(const char *parent, struct gpg_tmp **out)
{
	static const char conf[] = "no-autostart\ntrust-model always\n"
	    "no-auto-key-retrieve\nno-greeting\nno-permission-warning\n";
	struct gpg_tmp *t = xcalloc(1, sizeof(*t));
	struct buf p = BUF_INIT;

	/* The owner's pid in the name: util_tmp_dir removes it if the
	 * owner is killed before it can. */
	buf_addf(&p, "%s/g.%ld.XXXXXX", parent, (long)getpid());
	if (mkdtemp(p.s) == NULL) {
		log_err("mkdtemp in %s: %s", parent, strerror(errno));
		buf_free(&p);
		free(t);
		return GPG_TEMP;
	}
	t->dir = buf_steal(&p);
	die_rmdir_on_exit(t->dir);
	buf_addf(&p, "%s/gpg.conf", t->dir);
	if (util_write_file(p.s, conf, sizeof(conf) - 1, 0600) < 0)
		log_err("temporary GnuPG home: %s", strerror(errno));
	else
		t->ctx = gpg_ctx(t->dir);
	if (t->ctx == NULL) {
		buf_free(&p);
		gpg_tmp_free(t);
		return GPG_TEMP;
	}
	buf_free(&p);
	*out = t;
	return GPG_OK;
}

/* Bits of the smallest RSA/DSA/ElGamal (sub)key, or 0 if none. */
static int
weak_key(gpgme_key_t k)
{
	gpgme_subkey_t s;

	for (s = k->subkeys; s != NULL; s = s->next) {
		switch (s->pubkey_algo) {
		case GPGME_PK_RSA: case GPGME_PK_RSA_E: case GPGME_PK_RSA_S:
		case GPGME_PK_DSA: case GPGME_PK_ELG: case GPGME_PK_ELG_E:
			if (s->length < 2048)
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * When key k stops serving a nym: its primary key's expiry, or the last
 * expiry among its signing (sub)keys, or among its encryption ones,
 * whichever comes first (a revoked subkey serves no longer at all).
 */
static void
key_lifetime(gpgme_key_t k, struct gpg_keyinfo *ki)
{
	gpgme_subkey_t s;
	long sign_end = -1, enc_end = -1, end, v;

	for (s = k->subkeys; s != NULL; s = s->next) {
		if (s->revoked || s->disabled || s->invalid)
			continue;
		v = s->expires > 0 ? (long)s->expires : LONG_MAX;
		if (s->can_sign && v > sign_end)
			sign_end = v;
		if (s->can_encrypt && v > enc_end)
			enc_end = v;
	}
	end = k->subkeys != NULL && k->subkeys->expires > 0 ?
	    (long)k->subkeys->expires : LONG_MAX;
	if (sign_end >= 0 && sign_end < end)
		end = sign_end;
	if (enc_end >= 0 && enc_end < end)
		end = enc_end;
	ki->expires = end == LONG_MAX ? 0 : end;
	ki->expired = k->expired || (ki->expires != 0 &&
	    ki->expires <= (long)time(NULL));
	ki->revoked = k->revoked != 0;
}

/* List the temporary home's keys into *ki (the first key's details). */
static int
list_keys(struct gpg_tmp *t, struct gpg_keyinfo *ki)
{
	gpgme_key_t k;

	memset(ki, 0, sizeof(*ki));
	if (gpgme_op_keylist_start(t->ctx, NULL, 0) != 0)
		return GPG_TEMP;
	while (gpgme_op_keylist_next(t->ctx, &k) == 0) {
		gpgme_subkey_t s;

		if (ki->nkeys++ == 0) {
			snprintf(ki->fpr, sizeof(ki->fpr), "%s",
			    k->fpr ? k->fpr : "");
			ki->weak = weak_key(k);
			for (s = k->subkeys; s != NULL; s = s->next) {
				if (s->revoked || s->expired || s->disabled ||
				    s->invalid)
					continue;
				if (s->can_encrypt)
					ki->can_encrypt = 1;
				if (s->can_sign)
					ki->can_sign = 1;
			}
			if (k->revoked || k->expired || k->disabled ||
			    k->invalid)
				ki->can_encrypt = ki->can_sign = 0;
			key_lifetime(k, ki);
		}
		gpgme_key_unref(k);
	}
	gpgme_op_keylist_end(t->ctx);
	return GPG_OK;
}

/*
 * Does the listing agree with what the import said it imported into this
 * fresh home: as many keys, the first one of them, and able to sign and
 * encrypt?  A key listing has no end marker on gpg's status channel, so
 * a gpg killed while listing leaves a short listing (no key, a key
 * without its fingerprint or subkeys) that would refuse a good key.
 */
static int
listing_plain(gpgme_ctx_t ctx, const struct gpg_keyinfo *ki)
{
	gpgme_import_result_t res = gpgme_op_import_result(ctx);
	gpgme_import_status_t st;
	int n = 0, first = 0;

	if (res == NULL)
		return 0;
	for (st = res->imports; st != NULL; st = st->next) {
		if (st->result != 0 || st->fpr == NULL)
			continue;
		if (strcasecmp(st->fpr, ki->fpr) == 0)
			first = 1;
		n++;
	}
	return first && n == ki->nkeys && ki->can_encrypt && ki->can_sign;
}

int
gpg_tmp_import(struct gpg_tmp *t, const void *key, size_t len,
    struct gpg_keyinfo *ki)
{
	struct gpg_keyinfo again;
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	int rc;

	memset(ki, 0, sizeof(*ki));
	if (gpgme_data_new_from_mem(&d, key, len, 0) != 0)
		return GPG_TEMP;
	listen_status(t->ctx);
	e = gpgme_op_import(t->ctx, d);
	gpgme_data_release(d);
	if (!(st_seen & ST_IMPORT)) {
		log_info("import: gpg gave no result");
		return GPG_TEMP;
	}
	if ((rc = classify(e)) != GPG_OK)
		return rc;
	if (list_keys(t, ki) != GPG_OK)
		return GPG_TEMP;
	/* A listing that may refuse the key is asked for once more: the
	 * same answer twice is gpg's verdict, two answers are trouble.
	 * Ordinary keys (one key, signing and encryption) cost nothing. */
	if (!listing_plain(t->ctx, ki)) {
		if (list_keys(t, &again) != GPG_OK)
			return GPG_TEMP;
		if (memcmp(&again, ki, sizeof(again)) != 0) {
			log_info("import: two key listings differ (gpg died?)");
			return GPG_TEMP;
		}
	}
	return ki->nkeys > 0 ? GPG_OK : GPG_BAD;
}

int
gpg_tmp_verify(struct gpg_tmp *t, const void *sigdata, size_t siglen,
    const void *text, size_t textlen, struct gpg_sig *sig, struct buf *plain)
{
	gpgme_data_t s = NULL, tx = NULL, pl = NULL;
	gpgme_verify_result_t res;
	gpgme_signature_t g;
	gpgme_error_t e;
	int rc = GPG_TEMP;

	memset(sig, 0, sizeof(*sig));
	if (gpgme_data_new_from_mem(&s, sigdata, siglen, 0) != 0)
		goto out;
	if (text != NULL) {
		if (gpgme_data_new_from_mem(&tx, text, textlen, 0) != 0)
			goto out;
	} else if (gpgme_data_new(&pl) != 0) {
		goto out;
	}
	listen_status(t->ctx);
	e = gpgme_op_verify(t->ctx, s, tx, pl);
	if (!sig_verdict_complete()) {
		log_info("verify: gpg gave no verdict");
		rc = GPG_TEMP;
		goto out;
	}
	if ((rc = classify(e)) != GPG_OK)
		goto out;
	res = gpgme_op_verify_result(t->ctx);
	if (res == NULL || (g = res->signatures) == NULL) {
		rc = GPG_BAD;
		goto out;
	}
	snprintf(sig->fpr, sizeof(sig->fpr), "%s", g->fpr ? g->fpr : "");
	sig->timestamp = (long)g->timestamp;
	sig->good = gpgme_err_code(g->status) == GPG_ERR_NO_ERROR &&
	    !(g->summary & (GPGME_SIGSUM_KEY_REVOKED |
	    GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED |
	    GPGME_SIGSUM_RED)) && g->next == NULL;
	/* gpg checked the signature itself and found only its key's
	 * expiry or revocation wrong (EXPKEYSIG, REVKEYSIG). */
	sig->key_expired = gpgme_err_code(g->status) == GPG_ERR_KEY_EXPIRED ||
	    (g->summary & GPGME_SIGSUM_KEY_EXPIRED) != 0;
	sig->key_revoked = gpgme_err_code(g->status) == GPG_ERR_CERT_REVOKED ||
	    (g->summary & GPGME_SIGSUM_KEY_REVOKED) != 0;
	sig->valid = g->next == NULL && !(g->summary &
	    GPGME_SIGSUM_SIG_EXPIRED) && (sig->good ||
	    ((sig->key_expired || sig->key_revoked) &&
	    (gpgme_err_code(g->status) == GPG_ERR_NO_ERROR ||
	    gpgme_err_code(g->status) == GPG_ERR_KEY_EXPIRED ||
	    gpgme_err_code(g->status) == GPG_ERR_CERT_REVOKED)));
	if (pl != NULL) {
		gpg_data_to_buf(pl, plain);
		pl = NULL;
	}
out:
	gpgme_data_release(s);
	gpgme_data_release(tx);
	gpgme_data_release(pl);
	return rc;
}

int
gpg_tmp_export(struct gpg_tmp *t, const char *fpr, struct buf *out)
{
	gpgme_data_t d = NULL;

	if (gpgme_data_new(&d) != 0)
		return GPG_TEMP;
	listen_status(t->ctx);
	if (gpgme_op_export(t->ctx, fpr, GPGME_EXPORT_MODE_MINIMAL, d) != 0 ||
	    !(st_seen & ST_EXPORT)) {
		gpgme_data_release(d);
		return GPG_TEMP;
	}
	gpg_data_to_buf(d, out);
	return out->len > 0 ? GPG_OK : GPG_BAD;
}

void
gpg_tmp_free(struct gpg_tmp *t)
{
	if (t == NULL)
		return;
	if (t->ctx != NULL)
		gpgme_release(t->ctx);
	if (t->dir != NULL) {
		util_rm_rf(t->dir);
		die_keep(t->dir);
		free(t->dir);
	}
	free(t);
}
