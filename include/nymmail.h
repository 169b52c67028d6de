/* nymmail.h - mail to a nym: limits, receipt, encryption, reply blocks. */
#ifndef NYM_NYMMAIL_H
#define NYM_NYMMAIL_H

#include <time.h>

#include "nym.h"
#include "req.h"
#include "store.h"

#define CHUNK_BYTES 32768	/* one chunk per started 32 KiB */
#define FIXEDSIZE_PIECE 10240	/* +fixedsize message/partial body size */

/* Deliver r's message to nym y (found by the caller); returns if done. */
void nymmail_deliver(struct req *r, struct nym *y);

/*
 * Add n chunks to name's count for the UTC day of now, inside t.  Sets
 * *over when the count passes limit (the caller disables the nym).
 * The record is "DAY COUNT".
 */
int chunks_add(struct stxn *t, const char *name, time_t now, unsigned long n,
    unsigned long limit, int *over, unsigned long *total);

/* Chunks of one delivery: blocks * (1 + size / 32768). */
unsigned long chunks_for(size_t blocks, size_t size);

#endif
