/* send.h - send@: mail leaving the server as a nym. */
#ifndef NYM_SEND_H
#define NYM_SEND_H

#include "req.h"

/* send@HOST: verify, rewrite, limit, inject, acknowledge. */
void send_handle(struct req *r);

#endif
