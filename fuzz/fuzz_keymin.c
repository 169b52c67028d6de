/* fuzz_keymin.c - libFuzzer harness for the key walker behind WKD and Autocrypt. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "autocrypt.h"
#include "buf.h"
#include "keymin.h"
#include "pgp.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every packet of out is framed, and out is no longer than the input. */
static void
framed(const struct buf *out, size_t size)
{
	size_t off = 0;
	int tag, rc;

	if (out->len > size)
		__builtin_trap();
	while ((rc = pgp_packet(out->s, out->len, &off, &tag)) == 0)
		;
	if (rc < 0 || off != out->len)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct buf full = BUF_INIT, cut = BUF_INIT, h = BUF_INIT,
	    arm = BUF_INIT;
	struct keymin k;
	const char *why;

	if (!init) {
		util_crypto_init();
		init = 1;
	}
	if (keymin_parse(data, size, "alice@nym.test", 1800000000L, &k, &full,
	    &cut) == 0) {
		framed(&full, size);
		framed(&cut, size);
		if (k.uid_match >= k.nuids || (cut.len > 0 && (k.uid_match < 0 ||
		    !k.has_enc)))
			__builtin_trap();
		(void)keymin_wkd_ok(&k, 1800000000L, &why);
	}
	/* The same bytes as the armored key of a nym (send@ +autocrypt). */
	buf_adds(&arm, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
	buf_add(&arm, data, size);
	buf_adds(&arm, "\n-----END PGP PUBLIC KEY BLOCK-----\n");
	if (autocrypt_header(&h, "alice@nym.test", "alice@nym.test", &arm,
	    1800000000L, &why) < 0 && h.len != 0)
		__builtin_trap();
	buf_free(&full);
	buf_free(&cut);
	buf_free(&h);
	buf_free(&arm);
	return 0;
}
