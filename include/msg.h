/* msg.h - bounded message reader and RFC 5322 header parser. */
#ifndef NYM_MSG_H
#define NYM_MSG_H

#include <stddef.h>

#include "buf.h"

/* One header field. name/raw point into the message; value is unfolded. */
struct hdr {
	const char *name;
	size_t namelen;
	const char *raw;		/* "Name: value\n\tmore" without final LF */
	size_t rawlen;
	char *value;			/* unfolded, trimmed, NUL-terminated */
};

struct msg {
	struct buf data;		/* the message, CRLF turned into LF */
	const char *fromline;		/* mbox "From " line, or NULL */
	size_t fromlinelen;
	struct hdr *h;
	size_t nh;
	const char *header;		/* start of the header block */
	size_t headerlen;		/* through the last field's newline */
	const char *body;		/* after the empty line */
	size_t bodylen;
};

enum {
	MSG_OK = 0,
	MSG_TOOBIG = 1,			/* over the size cap (permanent) */
	MSG_BADHDR = 2,			/* over a header cap (permanent) */
	MSG_IOERR = -1			/* read error (temporary) */
};

struct msg_limits {
	size_t max_size;
	size_t max_header_lines;
	size_t max_line_length;
};

/*
 * Read all of fd into out, at most cap bytes.  Returns MSG_OK, MSG_TOOBIG
 * (the rest is drained so the MTA sees the whole message consumed) or
 * MSG_IOERR.
 */
int msg_read_fd(int fd, size_t cap, struct buf *out);

/* Parse len bytes (copied) into m.  Returns MSG_OK or MSG_BADHDR. */
int msg_parse(struct msg *m, const char *data, size_t len,
    const struct msg_limits *lim);
void msg_free(struct msg *m);

/* First field named name (case-insensitive), or NULL. */
const struct hdr *msg_field(const struct msg *m, const char *name);
/* Value of the first such field, or NULL. */
const char *msg_get(const struct msg *m, const char *name);
/* Iterate over every field named name: start with *i = 0. */
const struct hdr *msg_next(const struct msg *m, const char *name, size_t *i);
/* Count fields named name. */
size_t msg_count(const struct msg *m, const char *name);

/* Case-insensitive comparison of a field name. */
int msg_name_is(const struct hdr *h, const char *name);

/*
 * Append one header field the server writes (raw: "Name: value", folded
 * lines joined by LF, no final LF) and a LF.  A CR, NUL, any other C0
 * control but TAB, DEL, or a LF not followed by a space or TAB (it would
 * start a new field) becomes a space: receivers that end lines at a bare
 * CR would otherwise see fields the sender forged.  Folding, TAB and
 * 8-bit text are kept.  Returns the number of bytes replaced.
 */
size_t msg_put_field(struct buf *out, const char *raw, size_t len);

#endif
