/* sigreq.h - find, unwrap and hash the OpenPGP request in a message. */
#ifndef NYM_SIGREQ_H
#define NYM_SIGREQ_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "gpg.h"
#include "mime.h"
#include "msg.h"

enum sigreq_kind {
	SR_OPAQUE,		/* a signed OpenPGP message (binary) */
	SR_DETACHED,		/* PGP/MIME multipart/signed */
	SR_CLEAR		/* a clear-signed text */
};

struct sigreq {
	enum sigreq_kind kind;
	struct buf sigdata;	/* what gpg verifies (message or signature) */
	struct buf text;	/* DETACHED: the signed part, CRLF canonical */
	unsigned char hash[32];	/* the signature's identity (pgp_sigid) */
	struct buf preplain;	/* the text before verification (names) */
	int encrypted;		/* it was encrypted to us */
	int mime;		/* the signed text is a MIME entity */
	unsigned char issuer[8];	/* the signature's issuer key id, */
	int has_issuer;		/* unauthenticated: finds the signer's nym */
};

/*
 * Extract the request from m: inline armored (encrypted or not, or
 * clear-signed), PGP/MIME multipart/signed or multipart/encrypted.
 * Encrypted layers are removed with the server's keys (gnupghome).
 * Returns GPG_OK, GPG_BAD (no usable signed request: permanent) or
 * GPG_TEMP.
 */
int sigreq_extract(const struct conf *c, const struct msg *m,
    struct sigreq *sr);
void sigreq_free(struct sigreq *sr);

/*
 * The request text proper from a signed plaintext: for a MIME entity,
 * its text as mime_request_text finds it (the first text/plain part,
 * decoded; protected Subject and From); otherwise the text itself.
 * Returns 0, or -1 with out->why saying what was wrong.  Free out with
 * mime_text_free.
 */
int sigreq_content(const struct sigreq *sr, const char *p, size_t len,
    struct mime_text *out);

#endif
