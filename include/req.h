/* req.h - one delivery request: what nymserv knows about the message. */
#ifndef NYM_REQ_H
#define NYM_REQ_H

#include <time.h>

#include "conf.h"
#include "msg.h"
#include "store.h"

struct req {
	struct conf *conf;
	struct store *st;
	struct msg msg;
	const char *sender;	/* envelope sender; "" for the null sender */
	char *local;		/* recipient local part, lowercase, no +ext */
	char *ext;		/* text after '+', or NULL */
	time_t now;
};

/*
 * What every program the MTA runs does before reading the message: the
 * envelope sender from -f or qmail's SENDER ("" for the null sender, also
 * written "<>"), never as root, the configuration, the time limit and
 * SIGTERM, libgcrypt, and the server's GnuPG home as gpg's default (not
 * checked here: remail's clear path needs none).  Any failure
 * exits 75.  Returns the sender.
 */
const char *req_start(struct conf *c, const char *confpath,
    const char *sender);

/* The message on standard input, capped at max_message_size (over it:
 * 5.3.4, a permanent refusal; a read error exits 75). */
void req_read_stdin(const struct conf *c, struct buf *in);

/* Split RECIPIENT ("local[+ext][@domain]") into r->local and r->ext. */
int req_set_recipient(struct req *r, const char *recipient);

#endif
