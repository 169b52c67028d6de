/* hsub.c - hSub (Mixmaster 3.0.1, crooks' nymserv): SHA-256 of IV || passphrase. */
#include <string.h>

#include "buf.h"
#include "hsub.h"
#include "util.h"

/* IV || SHA-256(IV || pass): the 40 bytes an hSub is the hex of. */
static void
digest(const unsigned char iv[HSUB_IV], const char *pass, size_t passlen,
    unsigned char out[HSUB_IV + 32])
{
	struct buf in = BUF_INIT;

	buf_add(&in, iv, HSUB_IV);
	buf_add(&in, pass, passlen);
	memcpy(out, iv, HSUB_IV);
	util_sha256(in.s, in.len, out + HSUB_IV);
	buf_wipe(&in);
}

void
hsub_make(const char *pass, size_t passlen, const unsigned char *iv,
    size_t len, struct buf *out)
{
	unsigned char r[HSUB_IV], d[HSUB_IV + 32];
	struct buf hex = BUF_INIT;

	if (len < HSUB_MIN || len > HSUB_MAX)
		len = HSUB_LEN;
	if (iv == NULL) {
		util_random(r, sizeof(r));
		iv = r;
	}
	digest(iv, pass, passlen, d);
	util_hex(&hex, d, sizeof(d));
	buf_add(out, hex.s, len);
	buf_free(&hex);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hsub_check(const char *s, size_t slen, const char *pass, size_t passlen)
{
	unsigned char iv[HSUB_IV], d[HSUB_IV + 32];
	struct buf hex = BUF_INIT;
	unsigned diff = 0;
	size_t i;

	if (slen < HSUB_MIN || slen > HSUB_MAX)
		return 0;
	for (i = 0; i < HSUB_IV; i++) {
		int hi = hexval((unsigned char)s[2 * i]);
		int lo = hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		iv[i] = (unsigned char)(hi << 4 | lo);
	}
	digest(iv, pass, passlen, d);
	util_hex(&hex, d, sizeof(d));
	/* Constant time over the subject's length: no early exit. */
	for (i = 2 * HSUB_IV; i < slen; i++)
		diff |= (unsigned char)(hex.s[i] ^ s[i]);
	buf_free(&hex);
	return diff == 0;
}

void
hsub_fake(size_t len, struct buf *out)
{
	util_random_hex(out, len / 2);
}
