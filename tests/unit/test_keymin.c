/* test_keymin.c - a nym key cut for WKD and Autocrypt; the Autocrypt header. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autocrypt.h"
#include "buf.h"
#include "keymin.h"
#include "pgp.h"
#include "util.h"
#include "t.h"

/* Fixtures made once with gpg by tests/data/pgp/make-keys.sh. */
#define NOW 1800000000L		/* 2027-01-15: after every fixture */

/* The packet tags of a binary key, as a string like "6 13 2 14 2". */
static const char *
tags(const struct buf *b)
{
	static char s[256];
	size_t off = 0, n = 0;
	int tag;

	s[0] = '\0';
	while (n + 4 < sizeof(s) && pgp_packet(b->s, b->len, &off, &tag) == 0)
		n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%d",
		    n ? " " : "", tag);
	return s;
}

static void
parse(const char *file, const char *addr, struct keymin *k, struct buf *full,
    struct buf *cut)
{
	struct buf key = BUF_INIT;

	t_pgp_fixture(file, &key);
	T(keymin_parse(key.s, key.len, addr, NOW, k, full, cut) == 0,
	    "%s: parses", file);
	buf_free(&key);
}

static void
test_one(void)
{
	struct buf full = BUF_INIT, cut = BUF_INIT, arm = BUF_INIT,
	    bin = BUF_INIT, raw = BUF_INIT;
	struct keymin k;
	const char *why;
	int ok;

	parse("key-one.pgp", "alice@nym.test", &k, &full, &cut);
	T(k.nuids == 1 && k.nattrs == 0 && k.uid_match == 0 && !k.revoked &&
	    k.expires == 0 && k.has_enc, "one UID, the nym's: all facts");
	T(keymin_wkd_ok(&k, NOW, &why) && why == NULL, "one UID: WKD may "
	    "publish it");
	T_STR(tags(&full), "6 13 2 14 2", "WKD copy: the other key's "
	    "certification dropped");
	T_STR(tags(&cut), "6 13 2 14 2", "Autocrypt cut: key, UID, self-sig, "
	    "subkey, binding");
	t_pgp_fixture("key-one.pgp", &raw);
	T(raw.len > full.len, "the certification was in the export (%zu > "
	    "%zu bytes)", raw.len, full.len);
	parse("key-one.pgp", "ALICE@Nym.Test", &k, NULL, NULL);
	T(k.uid_match == 0, "the mailbox compares without case");
	parse("key-one.pgp", "alice@nym.tes", &k, NULL, &cut);
	T(k.uid_match == -1 && cut.len == 0, "another address: no match, "
	    "no Autocrypt cut");
	ok = keymin_wkd_ok(&k, NOW, &why);
	T(!ok && why != NULL, "... and no WKD entry (%s)", why ? why : "");
	parse("key-one.pgp", "Alice Nym <alice@nym.test>", &k, NULL, NULL);
	T(k.uid_match == -1, "the whole UID is no address");
	t_pgp_fixture("key-one.asc", &arm);
	T(keymin_dearmor(arm.s, arm.len, &bin) == 0 && bin.len > 100,
	    "the armored minimal export dearmors");
	T(keymin_parse(bin.s, bin.len, "alice@nym.test", NOW, &k, &full,
	    NULL) == 0 && k.uid_match == 0 && full.len == bin.len,
	    "a minimal export is published as it is");
	buf_free(&full);
	buf_free(&cut);
	buf_free(&arm);
	buf_free(&bin);
	buf_free(&raw);
}

static void
test_others(void)
{
	struct buf full = BUF_INIT, cut = BUF_INIT;
	struct keymin k;
	const char *why;
	int ok;

	parse("key-two.pgp", "bob@nym.test", &k, &full, &cut);
	T(k.nuids == 2 && k.uid_match == 1 && k.has_enc, "two UIDs: the "
	    "nym's is the second");
	ok = keymin_wkd_ok(&k, NOW, &why);
	T(!ok, "two UIDs: not for WKD (%s)", why ? why : "");
	T_STR(tags(&cut), "6 13 2 14 2", "two UIDs: the Autocrypt cut has "
	    "one");
	T(memmem(cut.s, cut.len, "Realname", 8) == NULL &&
	    memmem(cut.s, cut.len, "bob@nym.test", 12) != NULL,
	    "... the nym's, never the real name");
	parse("key-signonly.pgp", "carol@nym.test", &k, &full, &cut);
	T(!k.has_enc && cut.len == 0 && keymin_wkd_ok(&k, NOW, NULL),
	    "sign-only: no Autocrypt cut (WKD may still publish it)");
	parse("key-expired.pgp", "dave@nym.test", &k, &full, &cut);
	T(k.expires == 1577836800L + 86400, "expired key: its expiry read "
	    "from the self-signature");
	ok = keymin_wkd_ok(&k, NOW, &why);
	T(!ok && keymin_wkd_ok(&k, 1577836800L, NULL), "expired key: not for "
	    "WKD now (%s), fine before", why ? why : "");
	parse("key-subkeys.pgp", "erin@nym.test", &k, &full, &cut);
	T(k.has_enc && k.enc_created == 1704067200L, "revoked newer "
	    "subkey: the older usable one is chosen");
	T_STR(tags(&cut), "6 13 2 14 2", "... and only it is in the cut");
	T_STR(tags(&full), "6 13 2 14 2 14 2 2", "the WKD copy keeps both "
	    "subkeys and the revocation");
	buf_free(&full);
	buf_free(&cut);
}

static void
test_hostile(void)
{
	struct buf key = BUF_INIT, b = BUF_INIT;
	struct keymin k;
	size_t i, ok = 0;

	t_pgp_fixture("key-one.pgp", &key);
	for (i = 0; i < key.len; i++)
		if (keymin_parse(key.s, i, "alice@nym.test", NOW, &k, &b,
		    &b) == 0)
			ok++;
	T(1, "every truncation parsed or refused, no crash (%zu parsed)", ok);
	buf_set(&b, key.s, key.len);
	b.s[0] = (char)0x80;	/* old format, tag 0 */
	T(keymin_parse(b.s, b.len, "alice@nym.test", NOW, &k, NULL, NULL) < 0,
	    "a first packet that is no public key: refused");
	T(keymin_parse(key.s, 0, "a@b", NOW, &k, NULL, NULL) < 0,
	    "empty: refused");
	buf_reset(&b);
	buf_add(&b, key.s, key.len);
	buf_add(&b, key.s, key.len);
	T(keymin_parse(b.s, b.len, "alice@nym.test", NOW, &k, NULL, NULL) < 0,
	    "two keys in one block: refused");
	buf_free(&key);
	buf_free(&b);
}

static void
test_autocrypt(void)
{
	struct buf arm = BUF_INIT, h = BUF_INIT;
	const char *why, *p, *nl;
	size_t lines = 0, longest = 0;
	int cont_ok = 1;

	t_pgp_fixture("key-one.asc", &arm);
	T(autocrypt_header(&h, "alice+x@nym.test", "alice@nym.test", &arm,
	    NOW, &why) == 0, "Autocrypt: made");
	p = "Autocrypt: addr=alice+x@nym.test; keydata=\n ";
	T(strncmp(h.s, p, strlen(p)) == 0, "addr= is the From address, "
	    "keydata= folded");
	for (p = h.s; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		if ((size_t)(nl - p) > longest)
			longest = (size_t)(nl - p);
		if (lines++ > 0 && *p != ' ')
			cont_ok = 0;
	}
	T(longest <= 78 && cont_ok && h.s[h.len - 1] == '\n', "every line "
	    "at most 78 characters (%zu), continuations start with a space",
	    longest);
	T(lines > 3, "%zu lines", lines);
	buf_free(&arm);
	buf_reset(&h);
	{
		struct buf a2 = BUF_INIT;

		t_pgp_fixture("key-one.asc", &a2);
			int rc = autocrypt_header(&h, "dave@nym.test",
		    "dave@nym.test", &a2, NOW, &why);

		T(rc < 0 && h.len == 0 && why != NULL, "no UID for the "
		    "address: nothing appended (%s)", why ? why : "");
		buf_free(&a2);
	}
	{
		struct buf a3 = BUF_INIT, hh = BUF_INIT;
		char host[200];

		memset(host, 'h', sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		t_pgp_fixture("key-one.asc", &a3);
		buf_addf(&hh, "alice@%s", host);
		T(autocrypt_header(&h, hh.s, "alice@nym.test", &a3, NOW,
		    &why) == 0 && strstr(h.s, ";\n keydata=\n ") != NULL,
		    "a long address: keydata= on a line of its own");
		buf_free(&a3);
		buf_free(&hh);
	}
	buf_free(&h);
}

int
main(void)
{
	if (util_crypto_init() < 0)
		return 1;
	test_one();
	test_others();
	test_hostile();
	test_autocrypt();
	T_END();
}
