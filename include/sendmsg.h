/* sendmsg.h - send@'s outgoing message: recipients, header and body. */
#ifndef NYM_SENDMSG_H
#define NYM_SENDMSG_H

#include <stddef.h>

#include "addr.h"
#include "article.h"
#include "buf.h"
#include "deliver.h"
#include "gpg.h"
#include "mime.h"
#include "msg.h"
#include "nym.h"
#include "req.h"
#include "sigreq.h"

#define DROPPED_LISTED 40	/* field names the acknowledgement lists */
#define BAD_LISTED 20	/* undeliverable addresses the owner is shown */

/* One send@ request on its way (send.c builds it, sendmsg.c the mail). */
struct snd {
	struct req *r;
	struct server_keys keys;
	struct sigreq sr;
	struct mime_text content;	/* the verified plaintext message */
	struct msg m;		/* ... parsed */
	char *nym, *ext;
	struct nym y;
	struct gpg_keyinfo ki;
	long sigtime;
	unsigned flags;		/* the nym's switches with per-message ones */
	struct rcpts rl;	/* distinct recipients, capped */
	int over;		/* more than max_recipients named */
	size_t nbad;		/* undeliverable addresses seen */
	struct buf problems;	/* listed in the acknowledgement */
	struct buf changes;	/* what was changed or dropped */
	struct buf dropped;	/* fields not passed on (not a reason to ack) */
	size_t ndropped;
	struct buf out;		/* the message as sent */
	int refused;		/* nothing is sent */
	int keydead;		/* signed by the nym's key, which has expired
				   or is revoked */
	int news;		/* Newsgroups: also (or only) an article */
	struct article art;	/* ... built by article_build */
};

/*
 * Add each deliverable address of a field to the recipient list, which
 * stops at the first distinct address past max_recipients.
 */
void sendmsg_collect(struct snd *x, const char *field);
/* Drop recipients on the destination block list (told in the ack). */
void sendmsg_drop_blocked(struct snd *x);
/* The nym's From value: Full Name <nym+ext@HOST>. */
void sendmsg_from_value(const struct snd *x, struct buf *b);
/* The header as sent: From rewritten, the allowed fields, Date, ID. */
void sendmsg_rewrite(struct snd *x);
/* The body, clear-signed with the sender certificate when +signsend. */
void sendmsg_body(struct snd *x, struct buf *dst);
/* +autocrypt: the server's Autocrypt: header from the stored nym key. */
void sendmsg_autocrypt(struct snd *x);
/* Per-message Nym-Commands: only +/-acksend and +/-signsend. */
void sendmsg_commands(struct snd *x);

#endif
