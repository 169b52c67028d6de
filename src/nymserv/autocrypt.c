/* autocrypt.c - Autocrypt: addr=...; keydata=... from a nym's own key. */
#include <string.h>

#include "autocrypt.h"
#include "buf.h"
#include "keymin.h"

/* Append base64 (RFC 4648, padded) of n bytes. */
static void
base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		buf_addc(out, a[p[i] >> 2]);
		buf_addc(out, a[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(out, a[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		buf_addc(out, a[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		buf_addc(out, a[p[i] >> 2]);
		buf_addc(out, a[(p[i] & 3) << 4]);
		buf_adds(out, "==");
	} else if (n - i == 2) {
		buf_addc(out, a[p[i] >> 2]);
		buf_addc(out, a[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		buf_addc(out, a[(p[i + 1] & 15) << 2]);
		buf_addc(out, '=');
	}
}

int
autocrypt_header(struct buf *out, const char *addr, const char *uid_addr,
    const struct buf *key, long now, const char **why)
{
	struct buf bin = BUF_INIT, cut = BUF_INIT, b64 = BUF_INIT;
	struct keymin k;
	size_t i, first;
	int rc = -1;

	*why = NULL;
	if (keymin_dearmor(key->s, key->len, &bin) < 0 ||
	    keymin_parse(bin.s, bin.len, uid_addr, now, &k, NULL, &cut) < 0)
		*why = "the key cannot be read";
	else if (k.revoked)
		*why = "the key is revoked";
	else if (k.expires != 0 && k.expires <= now)
		*why = "the key has expired";
	else if (k.uid_match < 0)
		*why = "no user ID of the key is the nym's address";
	else if (!k.has_enc)
		*why = "the key has no usable encryption subkey";
	if (*why != NULL || cut.len == 0) {
		if (*why == NULL)
			*why = "the key cannot be read";
		goto out;
	}
	base64(&b64, (const unsigned char *)cut.s, cut.len);
	/* Fold before keydata when the first line would run past 78. */
	first = out->len;
	buf_addf(out, "Autocrypt: addr=%s;", addr);
	buf_adds(out, out->len - first + 9 > 78 ? "\n keydata=\n" :
	    " keydata=\n");
	for (i = 0; i < b64.len; i += AUTOCRYPT_LINE) {
		size_t n = b64.len - i < AUTOCRYPT_LINE ? b64.len - i :
		    AUTOCRYPT_LINE;

		buf_addc(out, ' ');
		buf_add(out, b64.s + i, n);
		buf_addc(out, '\n');
	}
	rc = 0;
out:
	buf_free(&bin);
	buf_free(&cut);
	buf_free(&b64);
	return rc;
}
