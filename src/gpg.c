/* gpg.c - gpgme wrapper: contexts, server key generation, export. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gpgme.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"

int
gpg_init(void)
{
	static int done;

	if (done)
		return 0;
	if (gpgme_check_version("1.7.0") == NULL)
		return -1;
	gpgme_set_locale(NULL, LC_CTYPE, "C");
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		return -1;
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
	if ((e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    home)) != 0 ||
	    (e = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK))
	    != 0) {
		log_err("gpgme setup: %s", gpgme_strerror(e));
		gpgme_release(ctx);
		return NULL;
	}
	gpgme_set_armor(ctx, 1);
	gpgme_set_offline(ctx, 1);
	return ctx;
}

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
