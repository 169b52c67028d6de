/* fuzz_pgp.c - libFuzzer harness for OpenPGP framing: armor, dearmor,
 * cleartext, the packet walk with its decompression caps, the shape of
 * an encrypted message, and the signature identity of the replay cache. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "pgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP (1 << 20)			/* decompressed bytes per walk */

static void
walk(const void *p, size_t n)
{
	struct pgp_info info;
	size_t off = 0;
	int tag, k = 0;

	if (pgp_walk(p, n, CAP, &info) == 0) {
		unsigned char id[32];

		if (info.literal.len > CAP || info.nsigs < 0 ||
		    (info.mdc && !info.encrypted) ||
		    (!info.has_literal && info.literal.len != 0) ||
		    info.nliterals < info.has_literal ||
		    (info.sigversion != 0 && info.sigversion != 3 &&
		    info.sigversion != 4) ||
		    (info.sigversion != 0 && info.nsigs == 0))
			__builtin_trap();
		/* The replay identity over the literal, or over the input. */
		if ((pgp_sigid(&info, info.has_literal ? info.literal.s : p,
		    info.has_literal ? info.literal.len : n, id) == 0) !=
		    (info.sigversion != 0))
			__builtin_trap();
	}
	pgp_info_free(&info);
	/* The shape check before gpg: a yes or a no, nothing else. */
	if ((unsigned)pgp_encrypted_shape(p, n) > 1)
		__builtin_trap();
	/* Key ids of a transferable key: never more than asked for. */
	{
		unsigned char ids[4][8];

		if (pgp_key_ids(p, n, ids, 4) > 4)
			__builtin_trap();
	}
	/* Packet steps always move forward and stay inside the data. */
	while (pgp_packet(p, n, &off, &tag) == 0) {
		if (off > n || ++k > 100000)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *s, *e;
	struct buf bin = BUF_INIT, clear = BUF_INIT;
	enum pgp_armor kind;

	/* The input as binary packets. */
	walk(data, size);
	/* The input as text holding an armored block. */
	kind = pgp_find_armor(text, size, &s, &e);
	if (kind != PGP_NONE) {
		if (s < text || e > text + size || s >= e)
			__builtin_trap();
		if (kind == PGP_SIGNED) {
			(void)pgp_cleartext(s, (size_t)(e - s), &clear);
			if (clear.len > (size_t)(e - s))
				__builtin_trap();
			if (pgp_find_armor(s + 1, (size_t)(e - s - 1), &s, &e) ==
			    PGP_NONE)
				s = e = NULL;
		}
		if (s != NULL && pgp_dearmor(s, (size_t)(e - s), &bin) == 0) {
			if (bin.len > (size_t)(e - s))
				__builtin_trap();
			walk(bin.s, bin.len);
		}
	}
	buf_free(&bin);
	buf_free(&clear);
	return 0;
}
