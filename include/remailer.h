/* remailer.h - peel, check and re-address one type-1 message (remail). */
#ifndef NYM_REMAILER_H
#define NYM_REMAILER_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"

struct store;

/*
 * The destination block list (nymserv(8), dstblk-request@), read from
 * the state, opened read-only on first use.  A blocked recipient is
 * dropped silently: the message still counts as handled (exit 0) and
 * only the number dropped is logged, never an address.
 */
struct rm_block {
	const struct conf *c;
	struct store *st;
	size_t dropped;		/* recipients dropped so far */
};

void rm_block_init(struct rm_block *, const struct conf *);
void rm_block_close(struct rm_block *);
/*
 * Set blocked[i] for each blocked address (arg: a struct rm_block);
 * returns how many, or -1 if the state cannot be read (temporary).
 * Its shape is spool_check's, for the queue run.
 */
int rm_block_check(const char *const *rcpts, size_t n, int *blocked,
    void *arg);

/* One outgoing message. */
struct rm_out {
	char **rcpts;		/* validated addresses, NULL-ended */
	size_t nrcpts;
	struct buf msg;		/* fresh header + body (post: the article) */
	long delay;		/* seconds (Latent-Time) */
	int post;		/* a news article for the local gateway */
};

struct rm_run {
	const struct conf *c;
	int public_mode;	/* outermost layer must be encrypted */
	int strict;		/* nymserv's hand-off: one address per layer */
	int inspect;		/* check only: nothing encrypted, composed */
	int peel;		/* inspect: decrypt layers for our key too */
	unsigned hops;		/* inspect: hops through our own remailer@ */
	const char *tag;	/* spool tag of a nym's mail (or NULL) */
	time_t now;
	struct rm_out *out;
	size_t nout;
	size_t pieces;		/* Cutmarks pieces seen so far */
	struct rm_block blk;	/* recipients dropped: blk.dropped */
	/* a refusal: exit code, "5.x.y" status and reason */
	int code;
	const char *status;
	char why[256];
};

enum { RM_OK = 0, RM_PERM = -1, RM_TEMP = -2 };

void rm_init(struct rm_run *, const struct conf *, int public_mode,
    time_t now);
void rm_free(struct rm_run *);

/*
 * Process one input text (the body: "::" block, layers, payload).
 * Fills run->out; blocked recipients are left out (a message left with
 * none is dropped).  RM_PERM sets code/status/why; RM_TEMP means retry.
 * Nothing is sent here.
 */
int rm_process(struct rm_run *, const char *text, size_t len);

/*
 * Does a reply block reach exactly one address through the layers this
 * server reads (SECURITY.md 3.9)?  Those are its clear first layer and,
 * with peel, the layers encrypted to the server's remailer key, which
 * the local remail peels for nymserv: each must name one Anon-To address
 * and no Cutmarks, so the confirmation of a block is the consent of
 * everyone the server sends its mail to.  RM_OK, RM_PERM (why holds the
 * reason) or RM_TEMP (gpg trouble).  Nothing is sent.
 */
int rm_consent_check(const struct conf *, const char *block, size_t len,
    int peel, char *why, size_t whylen);

/*
 * Hand the outputs on: a single message due now goes straight to
 * sendmail; anything delayed (or several messages) is spooled first,
 * and checked against the block list again when it leaves the spool.
 * News articles (Anon-Post-To) take from the gateway's budget first
 * (news_rate), then go to the news spool (news_inject).
 * 0 once every message is spooled or accepted, -1 (temporary) if not.
 */
int rm_commit(struct rm_run *);

/*
 * Locate the body of a local-mode input: a reply block piped by nymserv
 * has no header; a whole mail has one.  Sets *off to the body's offset.
 */
void rm_find_body(const char *text, size_t len, size_t *off);

/*
 * remailer-key@: mail the remailer's public key to sender (null envelope
 * sender).  Never answers a null sender, MAILER-DAEMON, an undeliverable
 * address or automatic mail (Auto-Submitted, Precedence bulk/junk/list,
 * our own X-Loop).  0 answered or ignored, -1 temporary failure.
 */
struct msg;
int rm_key_reply(const struct conf *, const char *sender,
    const struct msg *m, time_t now);

#endif
