/* gpgkey.c - the server's own keys: make them, export them, look for their secrets. */
#include <stdio.h>

#include <gpgme.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"
#include "gpgkey.h"

int
gpg_make_key(const char *home, enum gpg_keytype type,
    const char *const *uids, struct buf *fpr, char *err, size_t errlen)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_genkey_result_t res;
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	const char *prim = type == GPG_RSA3072 ? "rsa3072" : "ed25519";
	const char *sub = type == GPG_RSA3072 ? "rsa3072" : "cv25519";
	unsigned flags = GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE |
	    GPGME_CREATE_FORCE;
	size_t i;
	int rc = -1;

	if (ctx == NULL) {
		snprintf(err, errlen, "cannot start gpgme");
		return -1;
	}
	e = gpgme_op_createkey(ctx, uids[0], prim, 0, 0, NULL,
	    flags | GPGME_CREATE_SIGN | GPGME_CREATE_CERT);
	if (e != 0) {
		snprintf(err, errlen, "create key: %s", gpgme_strerror(e));
		goto out;
	}
	res = gpgme_op_genkey_result(ctx);
	if (res == NULL || res->fpr == NULL) {
		snprintf(err, errlen, "create key: no fingerprint");
		goto out;
	}
	buf_sets(fpr, res->fpr);
	if ((e = gpgme_get_key(ctx, fpr->s, &key, 1)) != 0) {
		snprintf(err, errlen, "get key: %s", gpgme_strerror(e));
		goto out;
	}
	e = gpgme_op_createsubkey(ctx, key, sub, 0, 0,
	    flags | GPGME_CREATE_ENCR);
	if (e != 0) {
		snprintf(err, errlen, "create subkey: %s", gpgme_strerror(e));
		goto out;
	}
	for (i = 1; uids[i] != NULL; i++) {
		if ((e = gpgme_op_adduid(ctx, key, uids[i], 0)) != 0) {
			snprintf(err, errlen, "add uid: %s", gpgme_strerror(e));
			goto out;
		}
	}
	rc = 0;
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}

int
gpg_export(const char *home, const char *fpr, struct buf *out)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_data_t d = NULL;
	gpgme_error_t e;
	char *mem;
	size_t n;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	if ((e = gpgme_data_new(&d)) != 0)
		goto out;
	if ((e = gpgme_op_export(ctx, fpr, GPGME_EXPORT_MODE_MINIMAL, d)) != 0) {
		log_err("export: %s", gpgme_strerror(e));
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(d, &n);
	d = NULL;
	if (mem == NULL || n == 0) {
		gpgme_free(mem);
		goto out;
	}
	buf_add(out, mem, n);
	gpgme_free(mem);
	rc = 0;
out:
	if (d != NULL)
		gpgme_data_release(d);
	gpgme_release(ctx);
	return rc;
}

int
gpg_have_secret(const char *home, const char *fpr)
{
	gpgme_ctx_t ctx = gpg_ctx(home);
	gpgme_key_t key = NULL;
	gpgme_error_t e;
	int rc;

	if (ctx == NULL)
		return -1;
	e = gpgme_get_key(ctx, fpr, &key, 1);
	if (e == 0 && key != NULL)
		rc = 1;
	else if (gpgme_err_code(e) == GPG_ERR_EOF)
		rc = 0;
	else
		rc = -1;
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}
