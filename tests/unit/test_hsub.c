/* test_hsub.c - hSub: the published vectors, the check, fake hSubs. */
#include <stdio.h>
#include <string.h>

#include "hsub.h"
#include "t.h"
#include "util.h"

/* nymphemeral's vector (AnemoneLabs/nymphemeral hsub.py), and one with
 * the crooks help text's passphrase and IV 00..07. */
static const char NP_PASS[] =
    "91c5dc4d604c9dee4a4074bbaef4f0fe94d92f406da5aee04d414400dd6d9f42";
static const char NP_80[] = "0b07815eac0b4631e8814855af5bf9f5c691f36ddd47c7b4"
    "215ace6118e76c0fc2c858771f6f25e2";
static const char PANDA_80[] = "00010203040506079afe3aa7ef6cd4988de008f9363529"
    "fc7dd30618b9b7ae3852e26f731d8fee21";

static void
vectors(void)
{
	static const unsigned char np_iv[8] = { 0x0b, 0x07, 0x81, 0x5e, 0xac,
	    0x0b, 0x46, 0x31 };
	static const unsigned char panda_iv[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct buf b = BUF_INIT;

	hsub_make(NP_PASS, strlen(NP_PASS), np_iv, 48, &b);
	T(b.len == 48 && memcmp(b.s, NP_80, 48) == 0,
	    "nymphemeral vector, 48 digits: %s", b.s);
	buf_reset(&b);
	hsub_make(NP_PASS, strlen(NP_PASS), np_iv, 80, &b);
	T_STR(b.s, NP_80, "nymphemeral vector, all 80 digits");
	buf_reset(&b);
	hsub_make("Panda", 5, panda_iv, 80, &b);
	T_STR(b.s, PANDA_80, "Panda with IV 0001020304050607, 80 digits");
	buf_reset(&b);
	hsub_make("Panda", 5, panda_iv, 48, &b);
	T(b.len == 48 && memcmp(b.s, PANDA_80, 48) == 0,
	    "Panda, 48 digits (the default length)");
	buf_reset(&b);
	hsub_make("Panda", 5, panda_iv, 7, &b);
	T(b.len == HSUB_LEN, "a length outside 48..80 gives the default 48");
	buf_free(&b);
}

static void
check(void)
{
	struct buf b = BUF_INIT, up = BUF_INIT;
	size_t i;
	int n = 0;

	T(hsub_check(NP_80, 48, NP_PASS, strlen(NP_PASS)) == 1,
	    "check: the vector passes for its passphrase");
	T(hsub_check(NP_80, 80, NP_PASS, strlen(NP_PASS)) == 1,
	    "check: the 80-digit form passes too");
	T(hsub_check(NP_80, 64, NP_PASS, strlen(NP_PASS)) == 1,
	    "check: any length 48..80 is compared at its own length");
	T(hsub_check(NP_80, 48, "Panda", 5) == 0,
	    "check: another passphrase fails");
	T(hsub_check(NP_80, 47, NP_PASS, strlen(NP_PASS)) == 0,
	    "check: 47 digits are too short");
	buf_set(&b, NP_80, 80);
	buf_addc(&b, '0');
	T(hsub_check(b.s, b.len, NP_PASS, strlen(NP_PASS)) == 0,
	    "check: 81 digits are too long");
	buf_set(&up, NP_80, 48);
	for (i = 0; i < up.len; i++)
		if (up.s[i] >= 'a' && up.s[i] <= 'f')
			up.s[i] = (char)(up.s[i] - 'a' + 'A');
	T(hsub_check(up.s, up.len, NP_PASS, strlen(NP_PASS)) == 0,
	    "check: an uppercase hSub never matches");
	buf_set(&b, NP_80, 48);
	b.s[47] = b.s[47] == '0' ? '1' : '0';
	T(hsub_check(b.s, b.len, NP_PASS, strlen(NP_PASS)) == 0,
	    "check: one digit changed at the end fails");
	buf_set(&b, "zz07815eac0b4631e8814855af5bf9f5c691f36ddd47c7b4", 48);
	T(hsub_check(b.s, b.len, NP_PASS, strlen(NP_PASS)) == 0,
	    "check: a non-hex IV fails");
	/* Fresh hSubs: random IVs, all pass, none alike. */
	for (i = 0; i < 20; i++) {
		struct buf h = BUF_INIT;

		hsub_make("Panda", 5, NULL, HSUB_LEN, &h);
		n += h.len == 48 && hsub_check(h.s, h.len, "Panda", 5) &&
		    !hsub_check(h.s, h.len, "panda", 5) &&
		    (b.len != 48 || memcmp(b.s, h.s, 48) != 0);
		buf_set(&b, h.s, h.len);
		buf_free(&h);
	}
	T(n == 20, "20 fresh hSubs pass for Panda, fail for panda, differ");
	buf_free(&b);
	buf_free(&up);
}

static void
fake(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	hsub_fake(HSUB_LEN, &a);
	hsub_fake(HSUB_LEN, &b);
	T(a.len == 48 && strspn(a.s, "0123456789abcdef") == 48,
	    "a fake hSub is 48 lowercase hex digits like a real one");
	T(a.len == b.len && memcmp(a.s, b.s, a.len) != 0,
	    "two fake hSubs differ");
	T(!hsub_check(a.s, a.len, "Panda", 5), "a fake hSub passes no check");
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	if (util_crypto_init() < 0)
		return 1;
	vectors();
	check();
	fake();
	T_END();
}
