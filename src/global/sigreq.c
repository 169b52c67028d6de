/* sigreq.c - from a mail to the signed request inside it (inline or RFC 3156). */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"
#include "mime.h"
#include "msg.h"
#include "pgp.h"
#include "sigreq.h"

#define MAX_NEST 3

static int from_entity(const struct conf *, const char *, size_t, int,
    struct sigreq *);

/*
 * The replay cache's key for a request: its one signature, identified by
 * what the signer signed (pgp_sigid), never by bytes a man in the middle
 * may change.  A second signature packet -- one gpg might skip -- would
 * make the identity the attacker's choice, so there must be exactly one.
 */
static int
identify(const struct pgp_info *info, const char *text, size_t len,
    struct sigreq *sr)
{
	if (info->nsigs != 1) {
		log_info("request: %d signatures (one is needed)", info->nsigs);
		return -1;
	}
	if (pgp_sigid(info, text != NULL ? text : "", len, sr->hash) < 0) {
		log_info("request: signature version %d not supported",
		    info->sigversion);
		return -1;
	}
	memcpy(sr->issuer, info->issuer, sizeof(sr->issuer));
	sr->has_issuer = info->has_issuer != 0;
	return 0;
}

/* A signed OpenPGP message (binary): hash its signature, get the text. */
static int
from_opaque(const struct conf *c, const struct buf *bin, int depth,
    struct sigreq *sr)
{
	struct pgp_info info;
	struct buf plain = BUF_INIT;
	int rc;

	if (pgp_walk(bin->s, bin->len, c->max_message_size, &info) < 0) {
		log_info("request: malformed OpenPGP data");
		return GPG_BAD;
	}
	if (info.encrypted) {
		pgp_info_free(&info);
		if (!pgp_encrypted_shape(bin->s, bin->len)) {
			log_info("request: not session keys then encrypted "
			    "data");
			return GPG_BAD;
		}
		if (sr->encrypted) {	/* one encryption layer only */
			log_info("request: nested encryption");
			return GPG_BAD;
		}
		sr->encrypted = 1;
		if ((rc = gpg_unwrap(c->gnupghome, bin->s, bin->len, &plain))
		    != GPG_OK)
			return rc;
		rc = from_opaque(c, &plain, depth, sr);
		buf_free(&plain);
		return rc;
	}
	if (info.nsigs == 0) {
		/* Encrypted but unsigned: maybe RFC 3156 sign-then-encrypt. */
		rc = GPG_BAD;
		if (info.has_literal && depth < MAX_NEST)
			rc = from_entity(c, info.literal.s, info.literal.len,
			    depth + 1, sr);
		else
			log_info("request: not signed");
		pgp_info_free(&info);
		return rc;
	}
	if (identify(&info, info.literal.s, info.literal.len, sr) < 0 ||
	    info.nliterals != 1) {
		pgp_info_free(&info);
		return GPG_BAD;
	}
	sr->kind = SR_OPAQUE;
	buf_set(&sr->sigdata, bin->s, bin->len);
	buf_set(&sr->preplain, info.literal.s ? info.literal.s : "",
	    info.literal.len);
	pgp_info_free(&info);
	return GPG_OK;
}

/* The first armored block in a text body. */
static int
from_inline(const struct conf *c, const char *body, size_t len, int depth,
    struct sigreq *sr)
{
	const char *s, *e;
	struct buf bin = BUF_INIT;
	struct pgp_info info;
	int rc = GPG_BAD;

	switch (pgp_find_armor(body, len, &s, &e)) {
	case PGP_MESSAGE:
		if (pgp_dearmor(s, (size_t)(e - s), &bin) == 0)
			rc = from_opaque(c, &bin, depth, sr);
		break;
	case PGP_SIGNED: {
		const char *ss, *se;

		/* Hash the signature block's packet. */
		if (pgp_find_armor(s + 1, (size_t)(e - s - 1), &ss, &se) !=
		    PGP_SIGNATURE ||
		    pgp_dearmor(ss, (size_t)(se - ss), &bin) < 0 ||
		    pgp_walk(bin.s, bin.len, 1 << 20, &info) < 0)
			break;
		if (info.nsigs > 0 && pgp_cleartext(s, (size_t)(e - s),
		    &sr->preplain) == 0 && identify(&info, sr->preplain.s,
		    sr->preplain.len, sr) == 0) {
			sr->kind = SR_CLEAR;
			buf_set(&sr->sigdata, s, (size_t)(e - s));
			rc = GPG_OK;
		}
		pgp_info_free(&info);
		break;
	}
	default:
		log_info("request: no OpenPGP block");
		break;
	}
	buf_free(&bin);
	return rc;
}

/* A MIME entity (header + body) that should hold the request. */
static int
from_entity(const struct conf *c, const char *raw, size_t len, int depth,
    struct sigreq *sr)
{
	static const struct msg_limits lim = { 1 << 24, 200, 8192 };
	struct msg m;
	struct mime_part parts[MIME_MAX_PARTS];
	struct buf b = BUF_INIT, bin = BUF_INIT;
	const char *ct;
	int n, rc = GPG_BAD;

	if (msg_parse(&m, raw, len, &lim) != MSG_OK)
		return GPG_BAD;
	ct = msg_get(&m, "Content-Type");
	if (ct != NULL && mime_type_is(ct, "multipart/signed")) {
		const char *sct, *s, *e;
		struct msg sp;
		struct pgp_info info;

		if (mime_param(ct, "boundary", &b) < 0 ||
		    (n = mime_split(m.body, m.bodylen, b.s, parts,
		    MIME_MAX_PARTS)) != 2)
			goto out;
		/* Part 2: application/pgp-signature. */
		if (msg_parse(&sp, parts[1].raw, parts[1].rawlen, &lim) !=
		    MSG_OK)
			goto out;
		sct = msg_get(&sp, "Content-Type");
		if (sct == NULL || !mime_type_is(sct, "application/pgp-signature")
		    || pgp_find_armor(sp.body, sp.bodylen, &s, &e) !=
		    PGP_SIGNATURE || pgp_dearmor(s, (size_t)(e - s), &bin) < 0 ||
		    pgp_walk(bin.s, bin.len, 1 << 20, &info) < 0) {
			msg_free(&sp);
			goto out;
		}
		buf_reset(&sr->text);
		mime_crlf(&sr->text, parts[0].raw, parts[0].rawlen);
		if (info.nsigs > 0 && identify(&info, sr->text.s, sr->text.len,
		    sr) == 0) {
			sr->kind = SR_DETACHED;
			sr->mime = 1;
			buf_set(&sr->sigdata, s, (size_t)(e - s));
			buf_set(&sr->preplain, parts[0].raw, parts[0].rawlen);
			rc = GPG_OK;
		}
		pgp_info_free(&info);
		msg_free(&sp);
		goto out;
	}
	if (ct != NULL && mime_type_is(ct, "multipart/encrypted")) {
		struct msg ep;
		const char *ect, *s, *e;

		if (mime_param(ct, "boundary", &b) < 0 ||
		    (n = mime_split(m.body, m.bodylen, b.s, parts,
		    MIME_MAX_PARTS)) != 2 ||
		    msg_parse(&ep, parts[1].raw, parts[1].rawlen, &lim) !=
		    MSG_OK)
			goto out;
		ect = msg_get(&ep, "Content-Type");
		if (ect != NULL &&
		    mime_type_is(ect, "application/octet-stream") &&
		    pgp_find_armor(ep.body, ep.bodylen, &s, &e) == PGP_MESSAGE &&
		    pgp_dearmor(s, (size_t)(e - s), &bin) == 0) {
			sr->mime = 1;
			rc = from_opaque(c, &bin, depth, sr);
		}
		msg_free(&ep);
		goto out;
	}
	if (ct == NULL || mime_type_is(ct, "text/plain") ||
	    mime_type_is(ct, "multipart/mixed") ||
	    mime_type_is(ct, "multipart/alternative")) {
		/* Inline OpenPGP in the text: the body decoded (base64,
		 * quoted-printable), or a mixed message's first text part. */
		struct mime_text mt;

		if (mime_request_text(raw, len, 1, &mt) == 0)
			rc = from_inline(c, mt.text.s, mt.text.len, depth, sr);
		mime_text_free(&mt);
	}
out:
	buf_free(&b);
	buf_free(&bin);
	msg_free(&m);
	return rc;
}

int
sigreq_extract(const struct conf *c, const struct msg *m, struct sigreq *sr)
{
	memset(sr, 0, sizeof(*sr));
	/* The whole message is an entity: reuse the entity path. */
	return from_entity(c, m->header, m->data.len - (size_t)(m->header -
	    m->data.s), 0, sr);
}

void
sigreq_free(struct sigreq *sr)
{
	buf_wipe(&sr->sigdata);
	buf_wipe(&sr->text);
	buf_wipe(&sr->preplain);
}

int
sigreq_content(const struct sigreq *sr, const char *p, size_t len,
    struct mime_text *out)
{
	if (!sr->mime) {
		memset(out, 0, sizeof(*out));
		buf_set(&out->text, p, len);
		return 0;
	}
	return mime_request_text(p, len, 0, out);
}
