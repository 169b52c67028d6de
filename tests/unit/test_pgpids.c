/* test_pgpids.c - key ids in pgp.c: the issuer of a signature (how an
 * unreadable request finds its signer's nym) and the (sub)key ids of a
 * stored key, on the committed fixtures (tests/data/pgp, made by make.sh:
 * nym1's key 07198C14F6079789 with encryption subkey F1BEBDF42D725E80). */
#include <stdlib.h>

#include "buf.h"
#include "pgp.h"
#include "t.h"

static const unsigned char primary[8] = { 0x07, 0x19, 0x8c, 0x14, 0xf6,
    0x07, 0x97, 0x89 };
static const unsigned char subkey[8] = { 0xf1, 0xbe, 0xbd, 0xf4, 0x2d,
    0x72, 0x5e, 0x80 };

/* The binary packets of an armored fixture. */
static int
binary(const char *name, struct buf *bin)
{
	struct buf b = BUF_INIT;
	const char *s, *e;
	int rc = -1;

	t_pgp_fixture(name, &b);
	if (pgp_find_armor(b.s, b.len, &s, &e) != PGP_NONE &&
	    pgp_dearmor(s, (size_t)(e - s), bin) == 0)
		rc = 0;
	buf_free(&b);
	return rc;
}

static void
test_issuer(void)
{
	static const char *const fixtures[] = { "signed-zip.asc", "detached.asc" };
	struct pgp_info info;
	struct buf bin = BUF_INIT;
	size_t i;

	for (i = 0; i < 2; i++) {
		T(binary(fixtures[i], &bin) == 0 && pgp_walk(bin.s, bin.len,
		    1 << 20, &info) == 0 && info.has_issuer &&
		    memcmp(info.issuer, primary, 8) == 0, "issuer of %s: the "
		    "signing key's id", fixtures[i]);
		pgp_info_free(&info);
	}
	/* Only the issuer fingerprint (subpacket 33), in the hashed area. */
	{
		unsigned char sig[] = { 4, 0x00, 22, 8, 0, 23, 22, 33, 4,
		    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		    0x07, 0x19, 0x8c, 0x14, 0xf6, 0x07, 0x97, 0x89,
		    0, 0, 0xab, 0xcd, 0, 0 };
		unsigned char pkt[64];

		pkt[0] = 0xc2;		/* new format, tag 2 */
		pkt[1] = (unsigned char)sizeof(sig);
		memcpy(pkt + 2, sig, sizeof(sig));
		T(pgp_walk(pkt, sizeof(sig) + 2, 1 << 20, &info) == 0 &&
		    info.has_issuer && memcmp(info.issuer, primary, 8) == 0,
		    "issuer from an Issuer Fingerprint subpacket");
		pgp_info_free(&info);
		/* A subpacket length past the area: no issuer, no overread. */
		pkt[2 + 6] = 200;
		T(pgp_walk(pkt, sizeof(sig) + 2, 1 << 20, &info) == 0 &&
		    !info.has_issuer, "a subpacket longer than its area: no "
		    "issuer");
		pgp_info_free(&info);
	}
	buf_free(&bin);
}

static void
test_key_ids(void)
{
	unsigned char ids[4][8];
	struct buf bin = BUF_INIT;
	int n;

	T(binary("pubkey.asc", &bin) == 0, "pubkey fixture dearmors");
	n = pgp_key_ids(bin.s, bin.len, ids, 4);
	T(n == 2 && memcmp(ids[0], primary, 8) == 0 &&
	    memcmp(ids[1], subkey, 8) == 0, "key ids: the primary key's, then "
	    "the subkey's (%d)", n);
	T(pgp_key_ids(bin.s, bin.len, ids, 1) == 1 &&
	    memcmp(ids[0], primary, 8) == 0, "key ids: at most max");
	T(pgp_key_ids(bin.s, 3, ids, 4) == -1, "key ids: truncated framing "
	    "refused");
	buf_free(&bin);
}

int
main(void)
{
	test_issuer();
	test_key_ids();
	T_END();
}
