/* nntp.h - an NNTP client that only posts (RFC 3977 IHAVE and POST). */
#ifndef NYM_NNTP_H
#define NYM_NNTP_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* What became of one article offered to one peer. */
enum {
	NNTP_OK = 0,		/* 235 / 240: transferred */
	NNTP_DUP = 1,		/* 435 (or INN's "441 435"): the peer has it */
	NNTP_REFUSED = -1,	/* 437 / 441: this article is refused */
	NNTP_TEMP = -2		/* anything else: try again later */
};

/* A reply line longer than this breaks the protocol (RFC 3977: 512). */
#define NNTP_MAX_LINE 1024

/* One reply: the code and its text, made printable and cut short. */
struct nntp_reply {
	int code;		/* 100..599 */
	char text[128];
};

/*
 * Parse one reply line (without its CRLF): three digits, the first 1-5,
 * then the end or a space and text.  0, or -1 if it is no reply line.
 */
int nntp_parse_reply(const char *line, size_t len, struct nntp_reply *r);

/*
 * The transport: a socket (nntp_connect) or, for tests and the fuzz
 * harness, any pair of callbacks.  read returns bytes read, 0 at the end,
 * -1 on an error or a timeout; write writes all of it or returns -1.
 */
struct nntp_io {
	ssize_t (*read)(void *ctx, void *p, size_t n);
	int (*write)(void *ctx, const void *p, size_t n);
	void *ctx;
};

struct nntp {
	struct nntp_io io;
	int fd;			/* the socket, or -1 */
	unsigned timeout;	/* seconds for each wait on the socket */
	char in[4096];
	size_t len, pos;
	int reader;		/* MODE READER sent */
	int broken;		/* the dialogue's state is unknown: stop */
	struct nntp_reply last;	/* the last reply, for the log */
};

/*
 * Start a session over io: read the greeting (200 or 201).  NNTP_OK or
 * NNTP_TEMP (n is then unusable).
 */
int nntp_start(struct nntp *n, const struct nntp_io *io);

/*
 * Connect to host:port (numeric or by name) within timeout seconds, then
 * nntp_start.  NNTP_OK or NNTP_TEMP.
 */
int nntp_connect(struct nntp *n, const char *host, const char *port,
    unsigned timeout);

/*
 * Offer art (an article with LF line ends) as msgid by IHAVE, the
 * transfer between peers.  One of the NNTP_* results.
 */
int nntp_ihave(struct nntp *n, const char *msgid, const char *art,
    size_t len);

/* Post art as a reader (MODE READER once, then POST). */
int nntp_post(struct nntp *n, const char *art, size_t len);

/* QUIT (when the dialogue is sound) and close. */
void nntp_close(struct nntp *n);

/*
 * The wire form of an article with LF line ends: CRLF after every line,
 * a dot doubled at the start of a line, the final ".\r\n".
 */
void nntp_wire(const char *art, size_t len, struct buf *out);

#endif
