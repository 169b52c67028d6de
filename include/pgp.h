/* pgp.h - just enough OpenPGP framing: armor, packets, signature hashes. */
#ifndef NYM_PGP_H
#define NYM_PGP_H

#include <stddef.h>

#include "buf.h"

/* What kind of armored block starts at a place in a text. */
enum pgp_armor {
	PGP_NONE,
	PGP_MESSAGE,		/* -----BEGIN PGP MESSAGE----- */
	PGP_SIGNED,		/* -----BEGIN PGP SIGNED MESSAGE----- */
	PGP_SIGNATURE,		/* -----BEGIN PGP SIGNATURE----- */
	PGP_PUBKEY		/* -----BEGIN PGP PUBLIC KEY BLOCK----- */
};

/*
 * Find the first armored block in text.  On success sets *start to its
 * BEGIN line and *end just past its END line (and that line's newline),
 * and returns its kind; PGP_NONE if there is no complete block.  A signed
 * message runs through the END PGP SIGNATURE line.
 */
enum pgp_armor pgp_find_armor(const char *text, size_t len,
    const char **start, const char **end);

/* Decode the base64 body of one armored block (start..end) into out. */
int pgp_dearmor(const char *start, size_t len, struct buf *out);

/* What a walk over binary packets found. */
struct pgp_info {
	int encrypted;		/* a PKESK/SKESK/SE/SEIPD packet */
	int mdc;		/* encrypted data is integrity-protected */
	int nsigs;		/* signature packets seen */
	int sigversion;		/* the first one's version (3, 4; 0: unknown) */
	unsigned char sigpart[32];	/* SHA-256 of its signed fields */
	struct buf literal;	/* content of the first literal packet */
	int has_literal;
	int nliterals;		/* literal packets seen */
	unsigned char issuer[8];	/* the first signature's issuer key id */
	int has_issuer;		/* (unauthenticated: a hint for the lookup) */
};

#define PGP_MAX_DEPTH 4			/* nested compressed packets */

/*
 * Walk the packets in data (descending into compressed packets, at most
 * max bytes decompressed in all, over every packet and level).  Returns
 * 0, or -1 on malformed data or a cap exceeded (info then holds nothing
 * to free).
 */
int pgp_walk(const void *data, size_t len, size_t max, struct pgp_info *);
/* Session-key packets (and markers) only, then encrypted data? 1 or 0. */
int pgp_encrypted_shape(const void *data, size_t len);
void pgp_info_free(struct pgp_info *);

/*
 * Step over the packet at *off in data (partial lengths followed): its
 * tag into *tag, *off moved past it.  Returns 0, 1 at the end of data, -1
 * on malformed framing.  For splitting keyrings into keys (tag 6 starts
 * a transferable public key).
 */
int pgp_packet(const void *data, size_t len, size_t *off, int *tag);

/*
 * The identity of a signature, for the replay cache: what its signer
 * signed and nobody else can change.  That is the first signature's
 * signed fields (info->sigpart: for v4 the version, type, algorithms and
 * the hashed subpacket area; never the unhashed area or the signature
 * values, which a third party can alter or, for ECDSA, re-encode) and the
 * signed text, normalised the way any OpenPGP text form may differ
 * without breaking a signature (line ends, trailing blanks, final empty
 * lines).  Returns 0, or -1 if the signature's version is not one we
 * know (3 or 4).
 */
int pgp_sigid(const struct pgp_info *info, const void *text, size_t len,
    unsigned char out[32]);

/*
 * The key ids of the primary key and subkeys of a transferable public key
 * (binary): v4 keys (the last 8 bytes of the SHA-1 fingerprint), v5 and
 * v6 keys (the first 8 of the SHA-256 one); v3 keys are skipped.  At
 * most max ids go to ids.  Returns their number, or -1 on malformed
 * framing.
 */
int pgp_key_ids(const void *data, size_t len, unsigned char (*ids)[8],
    size_t max);

/* Undo dash-escaping of a clear-signed text (between header and sig). */
int pgp_cleartext(const char *start, size_t len, struct buf *out);

#endif
