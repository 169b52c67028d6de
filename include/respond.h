/* respond.h - autoresponders (help@, list@/used@) and the rules of RFC 3834. */
#ifndef NYM_RESPOND_H
#define NYM_RESPOND_H

#include "buf.h"
#include "req.h"

/* Bytes of a request's header an automatic answer quotes at most. */
#define RESPOND_QUOTE_MAX 8192

/*
 * May an automatic answer go to this message's sender at all?  Returns 1
 * with the reply address in to, or 0 with a reason (for the log) in why.
 * Never: null sender, MAILER-DAEMON, our X-Loop, Auto-Submitted other
 * than "no", Precedence bulk/list/junk, list mail, our own domain.
 */
int respond_allowed(const struct req *r, struct buf *to, const char **why);

/*
 * The header marks of mail a program sent (RFC 3834): our own X-Loop,
 * Auto-Submitted other than "no", Precedence bulk/list/junk.  Returns
 * the reason, or NULL.
 */
const char *respond_auto_header(const struct msg *m, const char *loop_id);

/*
 * Build an automatic answer from from_local@HOST to `to` with the
 * threading and loop-protection headers, then body.
 */
void respond_compose(const struct req *r, const char *from_local,
    const char *to, const char *subject, const struct buf *body,
    struct buf *out);

/*
 * Has the reply address had answer_limit answers of this kind
 * (STAMP_HELP, ...) this hour?  Otherwise this one is counted (a keyed
 * hash with a short life, stamp.h).  1 or 0; a state failure exits 75.
 */
int respond_throttled(const struct req *r, int purpose, const char *to);

/* The handlers: they return only when the message was dealt with. */
void respond_help(struct req *r);
void respond_list(struct req *r);

#endif
