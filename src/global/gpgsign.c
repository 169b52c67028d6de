/* gpgsign.c - signing and encrypting with the server's keys (gpgme). */
#include <string.h>
#include <strings.h>

#include <gpgme.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"
#include "util.h"

/*
 * 1 if home's gpg.conf names fpr as its default-key (nymctl init writes
 * it for the server key): gpg then signs with it when no signer is set,
 * which spares a key-listing gpg process per signature.
 */
static int
default_key_is(const char *home, const char *fpr)
{
	struct buf path = BUF_INIT, conf = BUF_INIT;
	const char *p, *nl, *v;
	int found = 0;

	buf_addf(&path, "%s/gpg.conf", home);
	if (util_read_file(path.s, 65536, &conf) == 0 && conf.s != NULL) {
		for (p = conf.s; *p != '\0' && !found; p = nl ? nl + 1 : "") {
			size_t n;

			nl = strchr(p, '\n');
			n = nl ? (size_t)(nl - p) : strlen(p);
			if (n < 12 || strncmp(p, "default-key ", 12) != 0)
				continue;
			v = p + 12;
			n -= 12;
			while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\r'))
				n--;
			found = n == strlen(fpr) && strncasecmp(v, fpr, n) == 0;
		}
	}
	buf_free(&path);
	buf_free(&conf);
	return found;
}

/* Add the signer's key from home to ctx (nothing when it is the default). */
static int
add_signer(gpgme_ctx_t ctx, const char *home, const char *fpr)
{
	gpgme_key_t k;
	gpgme_error_t e;

	if (default_key_is(home, fpr))
		return GPG_OK;
	if ((e = gpgme_get_key(ctx, fpr, &k, 1)) != 0) {
		log_err("server key: %s", gpgme_strerror(e));
		return GPG_TEMP;
	}
	e = gpgme_signers_add(ctx, k);
	gpgme_key_unref(k);
	return e == 0 ? GPG_OK : GPG_TEMP;
}

/* Sign and encrypt to the key in keyfile; flags adds gpgme's. */
static int
sign_encrypt_file(const char *home, const char *signer_fpr,
    const char *keyfile, gpgme_encrypt_flags_t flags, const void *plain,
    size_t len, struct buf *out)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_data_t pin = NULL, cout = NULL;
	struct buf recp = BUF_INIT;
	gpgme_error_t e;
	int rc = GPG_TEMP;

	if (ctx == NULL)
		return GPG_TEMP;
	if (add_signer(ctx, home, signer_fpr) != GPG_OK)
		goto out;
	if (gpgme_data_new_from_mem(&pin, plain, len, 0) != 0 ||
	    gpgme_data_new(&cout) != 0)
		goto out;
	buf_addf(&recp, "--file\n%s\n", keyfile);
	e = gpgme_op_encrypt_sign_ext(ctx, NULL, recp.s,
	    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO | flags,
	    pin, cout);
	if (e != 0) {
		/* The key was checked when stored: any failure is ours. */
		log_err("sign+encrypt: %s", gpgme_strerror(e));
		goto out;
	}
	{
		struct buf tmp = BUF_INIT;

		gpg_data_to_buf(cout, &tmp);
		cout = NULL;
		buf_add(out, tmp.s, tmp.len);
		buf_free(&tmp);
	}
	rc = GPG_OK;
out:
	buf_free(&recp);
	gpgme_data_release(pin);
	gpgme_data_release(cout);
	gpgme_release(ctx);
	return rc;
}

int
gpg_sign_encrypt_file(const char *home, const char *signer_fpr,
    const char *keyfile, const void *plain, size_t len, struct buf *out)
{
	return sign_encrypt_file(home, signer_fpr, keyfile, 0, plain, len,
	    out);
}

int
gpg_sign_encrypt_hidden(const char *home, const char *signer_fpr,
    const char *keyfile, const void *plain, size_t len, struct buf *out)
{
	return sign_encrypt_file(home, signer_fpr, keyfile,
	    GPGME_ENCRYPT_THROW_KEYIDS, plain, len, out);
}

int
gpg_clearsign(const char *home, const char *signer_fpr, const void *text,
    size_t len, struct buf *out)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_error_t e;
	int rc = GPG_TEMP;

	if (ctx == NULL)
		return GPG_TEMP;
	if (add_signer(ctx, home, signer_fpr) != GPG_OK)
		goto out;
	if (gpgme_data_new_from_mem(&in, text, len, 0) != 0 ||
	    gpgme_data_new(&sig) != 0)
		goto out;
	if ((e = gpgme_op_sign(ctx, in, sig, GPGME_SIG_MODE_CLEAR)) != 0) {
		log_err("clearsign: %s", gpgme_strerror(e));
		goto out;
	}
	gpg_data_to_buf(sig, out);
	sig = NULL;
	rc = GPG_OK;
out:
	gpgme_data_release(in);
	gpgme_data_release(sig);
	gpgme_release(ctx);
	return rc;
}

int
gpg_encrypt_fd(const char *home, const char *keyfile, int infd, int outfd)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_data_t din = NULL, dout = NULL;
	struct buf recp = BUF_INIT;
	gpgme_error_t e;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	/* Binary output: a backup is big, and nobody pastes it into mail. */
	gpgme_set_armor(ctx, 0);
	if (gpgme_data_new_from_fd(&din, infd) != 0 ||
	    gpgme_data_new_from_fd(&dout, outfd) != 0)
		goto out;
	buf_addf(&recp, "--file\n%s\n", keyfile);
	e = gpgme_op_encrypt_ext(ctx, NULL, recp.s,
	    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_ENCRYPT_TO, din, dout);
	if (e != 0) {
		log_err("encrypt to %s: %s", keyfile, gpgme_strerror(e));
		goto out;
	}
	rc = 0;
out:
	buf_free(&recp);
	gpgme_data_release(din);
	gpgme_data_release(dout);
	gpgme_release(ctx);
	return rc;
}
