/* alias.h - the alias service: "mostly anonymous" remailing between aliases. */
#ifndef NYM_ALIAS_H
#define NYM_ALIAS_H

#include <stddef.h>
#include <time.h>

#include "aliasaddr.h"
#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "req.h"
#include "store.h"

#define ALIAS_TOKEN_TTL (48 * 3600)	/* a confirmation token lives 48 h */
#define ALIAS_TOKEN_BYTES 16		/* 128 bits from the CSPRNG */
#define ALIAS_ADDR_GAP 600		/* one mail per address per 10 min */

/* Outcomes of a request or a confirmation. */
enum alias_outcome {
	ALIAS_CONFIRM_SENT = 1,	/* a token was made; mail it */
	ALIAS_TAKEN,		/* register: the name belongs to someone */
	ALIAS_HAS_ONE,		/* register: the address has an alias */
	ALIAS_NONE,		/* remove: no such alias for the address */
	ALIAS_THROTTLED,	/* the address got mail from us recently */
	ALIAS_BUSY,		/* the global per-minute budget is spent */
	ALIAS_DONE,		/* confirm: applied */
	ALIAS_BADTOKEN		/* confirm: unknown, used or expired */
};

enum alias_op { ALIAS_REGISTER = 'R', ALIAS_REMOVE = 'D' };

/* A registration or removal request (web form or register@/remove@). */
struct alias_req {
	int op;			/* ALIAS_REGISTER or ALIAS_REMOVE */
	const char *alias;	/* valid lowercase name; "" = any (remove) */
	const char *addr;	/* normalised real address */
	time_t now;
	unsigned rate;		/* requests per minute, per domain */
	unsigned rate_global;	/* ... all senders together (0: none) */
	int outcome;		/* out */
	char token[2 * ALIAS_TOKEN_BYTES + 1];	/* out, with CONFIRM_SENT */
	struct buf current;	/* out: the address's alias, if any */
};

/* A confirmation by token. */
struct alias_confirm {
	const char *token;
	time_t now;
	int outcome;		/* out */
	int op;			/* out: what was (or would have been) done */
	struct buf alias, addr;	/* out */
};

/* Apply the rules of a request in one write transaction. */
int alias_request(struct store *, struct alias_req *);
/*
 * Remove expired tokens and address stamps (requests and confirmations
 * do it too; an expiry timer, e.g. nymctl expire, may call it).
 */
int alias_expire(struct store *, time_t now);
/* Forget a request whose mail could not be sent (stamp and token). */
int alias_request_undo(struct store *, const struct alias_req *);
/* Use a token in one write transaction (single use). */
int alias_confirm(struct store *, struct alias_confirm *);

/*
 * Mail the outcome of a request to its address: the confirmation token
 * with the link and the reply address, or a notice.  quote (may be NULL)
 * is a request header to quote.  Returns 0, or -1 if sendmail failed.
 */
int alias_mail_outcome(const struct req *, const struct alias_req *,
    const char *quote, size_t quotelen);
/* Mail "done" after a confirmation; 0 or -1. */
int alias_mail_done(const struct req *, const struct alias_confirm *);

/*
 * The rewrite: a copy of m's header without every field that names or
 * traces the sender (list in alias.c, and any field containing real or
 * an address of the From, Sender or Reply-To fields), each field's
 * controls (CR, NUL, ...) turned into spaces (msg_put_field), then From
 * (from_addr, with display when not NULL), a fresh Message-ID and Date,
 * then the body untouched.
 */
void alias_rewrite(const struct msg *m, const char *from_addr,
    const char *display, const char *real, const char *host, time_t now,
    struct buf *out);

/* Is this header field one the rewrite always removes? */
int alias_strip_field(const char *name, size_t len);

/* nymserv: mail to an alias; returns only if local is no alias. */
void alias_deliver(struct req *);
/* nymserv handlers for register@ and remove@ (with +TOKEN: confirm). */
void alias_register(struct req *);
void alias_remove(struct req *);

#endif
