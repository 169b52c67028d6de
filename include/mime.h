/* mime.h - the MIME a request needs: RFC 3156 parts, encodings, the text. */
#ifndef NYM_MIME_H
#define NYM_MIME_H

#include <stddef.h>

#include "buf.h"

#define MIME_MAX_PARTS 16	/* parts of one multipart */
#define MIME_MAX_DEPTH 4	/* multiparts nested inside a request entity */
#define MIME_MAX_SEEN 32	/* entities looked at for one request text */
#define MIME_MAX_PROT 998	/* bytes of a protected header value kept */

struct mime_part {
	const char *raw;	/* the part: its header, empty line, body */
	size_t rawlen;		/* without the newline before the delimiter */
};

/* Is the Content-Type value of type/subtype t (case-insensitive)? */
int mime_type_is(const char *ctype, const char *t);

/* Value of parameter name (quoted or token) into val; -1 if absent. */
int mime_param(const char *ctype, const char *name, struct buf *val);

/*
 * Split a multipart body into parts at "--boundary" lines, up to the
 * closing delimiter.  Returns the number of parts, or -1 if malformed
 * (no closing delimiter, more than max parts, bad boundary).
 */
int mime_split(const char *body, size_t len, const char *boundary,
    struct mime_part *parts, size_t max);

/* Append data with every LF turned into CRLF (RFC 3156 canonical form). */
void mime_crlf(struct buf *out, const char *p, size_t len);

/* Decode quoted-printable into out; -1 on malformed input. */
int mime_qp_decode(const char *p, size_t len, struct buf *out);

/* Decode base64 (line breaks and blanks ignored) into out; -1 on a
 * character outside the alphabet, misplaced padding or a cut quantum. */
int mime_b64_decode(const char *p, size_t len, struct buf *out);

/*
 * Decode a body by its Content-Transfer-Encoding cte (NULL, 7bit, 8bit,
 * binary: as it is; quoted-printable; base64) into out.  -1 for another
 * encoding or a malformed body.
 */
int mime_decode(const char *cte, const char *p, size_t len,
    struct buf *out);

/* Undo format=flowed (RFC 3676) in text: soft line breaks joined (their
 * trailing space dropped with delsp), space-stuffing removed. */
void mime_unflow(struct buf *text, int delsp);

/* The request text found in a MIME entity by mime_request_text. */
struct mime_text {
	struct buf text;	/* the first text/plain part's body, decoded */
	struct buf subject;	/* protected Subject, or empty */
	struct buf from;	/* protected From, or empty */
	int protected;		/* the entity declared protected headers */
	const char *why;	/* nothing readable: what was wrong (static) */
};

/*
 * Find the request text in a MIME entity (header, empty line, body): the
 * entity itself when it is text/plain, else the first text/plain part
 * of a multipart/mixed or multipart/alternative, depth first, at most
 * MIME_MAX_DEPTH levels and MIME_MAX_SEEN entities; attachments, other
 * types (HTML alternatives, attached keys) and the legacy display parts
 * of protected headers are passed over.  The body is decoded (base64,
 * quoted-printable, and format=flowed unless raw: inline OpenPGP in
 * the text must stay as it was signed).  When the entity's Content-Type
 * declares protected headers (protected-headers="v1", or RFC 9788's hp
 * parameter), its Subject and From fields are kept.  Returns 0, or -1
 * with out->why set.  out is filled from scratch (mime_text_free).
 */
int mime_request_text(const char *entity, size_t len, int raw,
    struct mime_text *out);
void mime_text_free(struct mime_text *);

#endif
