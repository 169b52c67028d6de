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

/* Split RECIPIENT ("local[+ext][@domain]") into r->local and r->ext. */
int req_set_recipient(struct req *r, const char *recipient);

#endif
