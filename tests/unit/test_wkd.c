/* test_wkd.c - WKD hashes (z-base-32 of SHA-1), DKIM key sizes. */
#include <string.h>

#include "buf.h"
#include "dnsrec.h"
#include "util.h"
#include "wkd.h"
#include "t.h"

int
main(void)
{
	char h[WKD_HASH_LEN + 1];
	struct buf z = BUF_INIT;
	static const unsigned char two[2] = { 0xf0, 0xbf };

	if (util_crypto_init() < 0)
		return 1;
	/* Vectors: the draft's example, and gpg-wks-client --print-wkd-hash
	 * (NOTES-NEXT.md 2.1). */
	wkd_hash("Joe.Doe", h);
	T_STR(h, "iy9q119eutrkn8s1mk4r39qejnbu3n5q", "Joe.Doe (the draft's "
	    "example, uppercase folded)");
	wkd_hash("alice", h);
	T_STR(h, "kei1q4tipxxu1yj79k9kfukdhfy631xe", "alice");
	wkd_hash("alice.nym", h);
	T_STR(h, "zshtrh3p1q95kce539h6tsdg4c3qt1xx", "alice.nym");
	wkd_zbase32(two, 2, &z);
	/* 11110 00010 11111 1(0000): 30 2 31 16 */
	T_STR(z.s, "6n9o", "z-base-32: bits in order, the last group padded");
	buf_free(&z);
	/* A 2048-bit and a 1024-bit key (openssl genrsa; SPKI in base64, as
	 * a DKIM record's p= holds it). */
	{
		static const char k2048[] =
		    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmGwx2SAl/Zkm"
		    "KHqyl6x/7TqPhuQF99va58LwjEHTe88VlnZadiUymh2JMh9y8UYT0Cxn"
		    "X8kjNarLYpg0nzRd5ij/4oONX/y/pzaoK6LuvdjCPPp8ZL5I2nogdAuh"
		    "xegcointxtT8uLsvBHKcezwsOOBKRzUOOEds2o1929Duca18LThgfzGk"
		    "PajkDuF+28Juy+TPXY2E2x8IO3kg7TxCUC/mICxkgFKnPQuDkUtv4Pgf"
		    "JmJY9QC0nn9r8iUQ+5K51ccY/DHuezYQTo2rJxNO9mvsnHlhv1zY1j3p"
		    "LWmgG105tSpuDLzVq1l9zp1JmY54WkdUQRH/0EPoGno7UVLbMwIDAQAB";
		static const char k1024[] =
		    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDyJQ418NEOnD/9jb0W"
		    "z3BJhuFGYWiG3NZK1b/O/F+msVm9gEeQR83zozebOabu9dWX0j+KQ0p9"
		    "bdxgtwB24FW2yz4Aw7+Z/8/LeJg2CunNnF71bondbYn3PhbbQF56Tjtq"
		    "GUhNdN87wCJAsCNKhUWB1Xij2yzXuNxgSMnUwL2OTQIDAQAB";

		T(dnsrec_rsa_bits(k2048, strlen(k2048)) == 2048,
		    "a 2048-bit DKIM key reads as 2048 bits (%u)",
		    dnsrec_rsa_bits(k2048, strlen(k2048)));
		T(dnsrec_rsa_bits(k1024, strlen(k1024)) == 1024,
		    "a 1024-bit DKIM key reads as 1024 bits (%u)",
		    dnsrec_rsa_bits(k1024, strlen(k1024)));
	}
	T(dnsrec_rsa_bits("AAAA", 4) == 0, "garbage: 0 bits");
	T_END();
}
