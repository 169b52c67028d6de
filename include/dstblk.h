/* dstblk.h - self-service destination blocking: requests, probes, replies. */
#ifndef NYM_DSTBLK_H
#define NYM_DSTBLK_H

#include <time.h>

#include "buf.h"
#include "req.h"
#include "store.h"

#define DSTBLK_TOKEN_BYTES 16	/* 128 bits from the CSPRNG per probe */
#define DSTBLK_DAYS 7		/* a request waits this long for a reply */
#define DSTBLK_PREFIX "dstblk:"	/* our keys in DB_PENDING */

/*
 * dstblk-request@HOST: probe the envelope sender's list-owner addresses
 * and the address itself, each from a unique dstblk+TOKEN@HOST.  Subject
 * "unblock" asks for the block to be lifted.  Never answers bounces,
 * automatic mail or our own domain; one probe round per address a day.
 */
void dstblk_request(struct req *r);

/* dstblk+TOKEN@HOST: a human reply to a probe carries the request out. */
void dstblk_reply(struct req *r);

/*
 * The operator blocks (block = 1) or unblocks addr, e.g. for a list
 * owner who asked (nymctl block/unblock); a pending probe round for it
 * ends.  0, 1 if addr is no deliverable address, or STORE_ERR.
 */
int dstblk_set(struct store *, const char *addr, int block, time_t now);

/*
 * Remove requests older than DSTBLK_DAYS (nymctl expire).  Returns the
 * number removed (or that would be, with dry_run), or -1.
 */
int dstblk_expire(struct store *, time_t now, int dry_run);

/* Count pending requests (nymctl stats); -1 on error. */
int dstblk_count(struct store *, size_t *n);

/*
 * Append one line per malformed pending record to problems (nymctl
 * check); returns the number of problems, or -1.
 */
int dstblk_check(struct store *, struct buf *problems);

#endif
