/* t1crypt.c - gpgme operations of the type-1 remailer (DESIGN.md section 9). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpgme.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"
#include "pgp.h"
#include "t1crypt.h"
#include "util.h"

/* Output into a buf, failing (so gpg stops) past a cap. */
struct capout {
	struct buf *b;
	size_t max;
	int over;
};

static ssize_t
cap_write(void *h, const void *p, size_t n)
{
	struct capout *c = h;

	if (c->b->len + n > c->max) {
		c->over = 1;
		errno = EFBIG;
		return -1;
	}
	buf_add(c->b, p, n);
	return (ssize_t)n;
}

/*
 * Session-key packets (at most 64), then encrypted data?  Anything else
 * (a literal, a signed or compressed message, a marker alone) gpg 2.2 may
 * end without a verdict on its status channel, which reads as a killed
 * gpg: 75 forever.  And gpg tries our secret key on every anonymous key
 * packet, an agent call each.  Armor we cannot read is gpg's to judge.
 */
static int
layer_shape(const void *in, size_t len)
{
	struct buf bin = BUF_INIT;
	int ok = pgp_dearmor(in, len, &bin) != 0 ||
	    pgp_encrypted_shape(bin.s, bin.len);

	buf_free(&bin);
	return ok;
}

/*
 * gpg found the session key with our key and then ended without a
 * verdict.  gpg 2.2 does that on its own (log_fatal) for a broken
 * compressed packet inside the encryption, on every retry; a killed gpg
 * looks the same.  Look at the decrypted packets ourselves (gpg's unwrap
 * does not decompress): malformed, or encrypted again, is the sender's.
 */
static int
recheck(const char *home, const void *in, size_t len, size_t max)
{
	struct buf inner = BUF_INIT;
	struct pgp_info info;
	int u = gpg_unwrap(home, in, len, &inner);

	if (u == GPG_OK) {
		if (pgp_walk(inner.s, inner.len, max, &info) < 0)
			u = GPG_BAD;
		else {
			if (info.encrypted)
				u = GPG_BAD;
			else
				u = GPG_TEMP;
			pgp_info_free(&info);
		}
	}
	buf_wipe(&inner);
	if (u == GPG_BAD)
		log_info("decrypt: the decrypted layer is malformed");
	return u == GPG_BAD ? GPG_BAD : GPG_TEMP;
}

int
t1c_decrypt(const char *home, const void *in, size_t len, size_t max,
    struct buf *out, const char **why)
{
	struct gpgme_data_cbs cbs = { NULL, cap_write, NULL, NULL };
	struct capout co = { out, max, 0 };
	gpgme_ctx_t ctx;
	gpgme_data_t din = NULL, dout = NULL;
	gpgme_decrypt_result_t res;
	gpgme_error_t e;
	int g, rc = T1C_TEMP;

	*why = NULL;
	if (!layer_shape(in, len)) {
		*why = "the PGP layer is not an encrypted message";
		return T1C_BAD;
	}
	if ((ctx = gpg_ctx(home)) == NULL)
		return T1C_TEMP;
	if (gpgme_data_new_from_mem(&din, in, len, 0) != 0 ||
	    gpgme_data_new_from_cbs(&dout, &cbs, &co) != 0)
		goto done;
	/* gpg.c's verdict: a gpg killed mid-run, or our key unusable, is
	 * trouble (75), never a bounce of the layer. */
	g = gpg_decrypt(ctx, 0, din, dout, &e);
	if (g == GPG_TEMP && !co.over && gpg_decrypt_began())
		g = recheck(home, in, len, max);
	res = gpgme_op_decrypt_result(ctx);
	if (res != NULL && res->legacy_cipher_nomdc) {
		*why = "legacy encryption without MDC (integrity protection) "
		    "refused";
		rc = T1C_BAD;
		buf_wipe(out);
		goto done;
	}
	if (co.over) {
		*why = "decrypted layer too large";
		rc = T1C_BAD;
		buf_wipe(out);
		goto done;
	}
	if (g != GPG_OK) {
		buf_wipe(out);
		if (g == GPG_BAD) {
			*why = "cannot decrypt the PGP layer with this "
			    "remailer's key";
			rc = T1C_BAD;
		}
		goto done;
	}
	if (res != NULL && res->recipients == NULL) {
		/* Symmetric only: nothing for our key. */
		*why = "layer not encrypted to this remailer's key";
		rc = T1C_BAD;
		buf_wipe(out);
		goto done;
	}
	rc = T1C_OK;
done:
	gpgme_data_release(din);
	gpgme_data_release(dout);
	gpgme_release(ctx);
	return rc;
}

/*
 * The Encrypt-Key home's gpg.conf, rewritten when the configured S2K
 * digest changed.  SHA-1 by default: the reply-block readers of classic
 * type-1 clients (Mixmaster 3's nym reader) know only MD5, SHA-1 and
 * RIPEMD-160 for passphrase hashing; the cipher stays AES-256 with MDC.
 */
int
t1c_symhome(const char *home, const char *digest)
{
	struct buf path = BUF_INIT, want = BUF_INIT, have = BUF_INIT;
	int rc = 0;

	if (mkdir(home, 0700) < 0 && errno != EEXIST)
		return -1;
	buf_addf(&want, "# written by remail: Encrypt-Key only "
	    "(remail_s2k_digest in nymserv.conf)\n"
	    "no-greeting\nno-permission-warning\n"
	    "s2k-cipher-algo AES256\ns2k-digest-algo %s\n"
	    "s2k-mode 3\ns2k-count 65536\n"
	    "cipher-algo AES256\nforce-mdc\n", digest);
	buf_addf(&path, "%s/gpg.conf", home);
	if (util_read_file(path.s, 65536, &have) < 0 || have.len != want.len ||
	    memcmp(have.s, want.s, want.len) != 0)
		rc = util_write_file(path.s, want.s, want.len, 0600);
	buf_free(&path);
	buf_free(&want);
	buf_free(&have);
	return rc;
}

/* Hand the Encrypt-Key passphrase to gpg (loopback pinentry). */
static gpgme_error_t
give_passphrase(void *h, const char *hint, const char *info, int bad, int fd)
{
	const char *key = h;

	(void)hint; (void)info;
	if (bad)
		return gpg_error(GPG_ERR_CANCELED);
	if (gpgme_io_writen(fd, key, strlen(key)) < 0 ||
	    gpgme_io_writen(fd, "\n", 1) < 0)
		return gpg_error(GPG_ERR_EPIPE);
	return 0;
}

int
t1c_encrypt_key(const char *home, const char *key, const void *in,
    size_t len, struct buf *out)
{
	gpgme_ctx_t ctx;
	gpgme_data_t din = NULL, dout = NULL;
	gpgme_error_t e;
	char *p;
	size_t n;
	int rc = T1C_TEMP;

	if (key[0] == '\0' || strchr(key, '\n') != NULL)
		return T1C_BAD;
	if ((ctx = gpg_ctx(home)) == NULL)
		return T1C_TEMP;
	if ((e = gpgme_set_ctx_flag(ctx, "no-symkey-cache", "1")) != 0) {
		log_err("gpgme no-symkey-cache: %s", gpgme_strerror(e));
		goto done;
	}
	gpgme_set_passphrase_cb(ctx, give_passphrase, (void *)key);
	if (gpgme_data_new_from_mem(&din, in, len, 0) != 0 ||
	    gpgme_data_new(&dout) != 0)
		goto done;
	e = gpgme_op_encrypt(ctx, NULL, GPGME_ENCRYPT_SYMMETRIC, din, dout);
	if (e != 0) {
		log_err("Encrypt-Key: %s", gpgme_strerror(e));
		goto done;
	}
	p = gpgme_data_release_and_get_mem(dout, &n);
	dout = NULL;
	if (p == NULL)
		goto done;
	buf_add(out, p, n);
	gpgme_free(p);
	rc = T1C_OK;
done:
	gpgme_data_release(din);
	gpgme_data_release(dout);
	gpgme_release(ctx);
	return rc;
}
