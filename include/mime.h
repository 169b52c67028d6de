/* mime.h - the PGP/MIME (RFC 3156) splitter: Content-Type, parts, QP. */
#ifndef NYM_MIME_H
#define NYM_MIME_H

#include <stddef.h>

#include "buf.h"

#define MIME_MAX_PARTS 8

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

#endif
