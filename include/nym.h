/* nym.h - a nym's stored record, pending confirmations, reply-block choice. */
#ifndef NYM_NYM_H
#define NYM_NYM_H

#include <stddef.h>

#include "buf.h"

/* Switches (Nym-Commands +x/-x). */
#define NF_ACKSEND	0x001
#define NF_CRYPTRECV	0x002
#define NF_SIGNSEND	0x004
#define NF_FIXEDSIZE	0x008
#define NF_FINGERKEY	0x010
#define NF_NOBCC	0x020
#define NF_DISABLE	0x040	/* disabled by its owner (or by the limit) */
#define NF_AUTOCRYPT	0x080	/* send@ mail carries an Autocrypt: header */
#define NF_DEFAULT	NF_CRYPTRECV

enum nym_state {
	NYM_PENDING = 1,	/* created, reply block not yet confirmed */
	NYM_ACTIVE = 2
};

/* Where mail to the nym goes (config@ delivery=...). */
enum nym_delivery {
	NYM_DELIVER_BLOCKS = 0,	/* through the reply blocks (default) */
	NYM_DELIVER_POOL = 1,	/* only to the message pool (a.a.m.) */
	NYM_DELIVER_BOTH = 2
};

struct nym_block {
	char set;		/* 'a'..'z', or 0 for "always used" */
	double prob;		/* within its set */
	char *text;		/* the reply block as the client wrote it */
};

struct nym {
	char *name;
	int state;
	unsigned flags;
	int limited;		/* disabled by the daily chunk limit */
	char *fullname;		/* may be NULL */
	char *fpr;		/* primary key fingerprint */
	struct buf key;		/* armored public key */
	struct nym_block *blocks;
	size_t nblocks;
	long created, lastsig, lastwarn;
	char *gen;		/* random id of this incarnation (NULL in
				   records from before it was kept) */
	int keyknown;		/* the key's lifetime below is known (not
				   in records from before it was kept) */
	long keyexp;		/* when the key stops serving (0: never) */
	int keyrevoked;		/* its owner revoked it: the nym is off */
	int keywarned;		/* expiry warning sent for keyexp: the
				   days-ahead threshold (30, 7), 0 none */
	/* pool delivery (tags D, H, Y, J: absent in older records) */
	int delivery;		/* enum nym_delivery */
	char *hsub;		/* hSub passphrase, or NULL */
	char *symkey;		/* passphrase of the symmetric layer, or NULL */
	char *subject;		/* plain Subject instead of an hSub, or NULL */
	char *batch;		/* the request whose confirmed blocks are in
				   use (tag b), or NULL */
};

/*
 * A change waiting for confirm+COOKIE (DB_CONFIRM, keyed by cookie hash),
 * bound to the very nym that asked: its key and incarnation.  Each new
 * reply block of a request has a cookie of its own (SECURITY.md 3.9):
 * the record holds that one block, the request's batch id, and the
 * block's place in the request.
 */
struct nym_pending {
	char *name;
	int create;		/* 1: activates a new nym; 0: new blocks */
	long created;		/* when the change was asked for */
	char *fpr;		/* the nym's key fingerprint then */
	char *gen;		/* ... its incarnation (NULL: none recorded) */
	long nym_created;	/* ... and its creation stamp */
	char *batch;		/* random id of the request (NULL: a record
				   from before per-block cookies) */
	int index, count;	/* block index (1-based) of count */
	struct nym_block *blocks;	/* the one block it confirms */
	size_t nblocks;
};

void nym_encode(const struct nym *, struct buf *);
int nym_decode(const void *, size_t, struct nym *);
void nym_free(struct nym *);

void nym_pending_encode(const struct nym_pending *, struct buf *);
int nym_pending_decode(const void *, size_t, struct nym_pending *);
void nym_pending_free(struct nym_pending *);

void nym_blocks_free(struct nym_block *, size_t);
struct nym_block *nym_blocks_copy(const struct nym_block *, size_t);

/*
 * Choose the blocks one message goes through: every block without a set,
 * and one block per lettered set drawn by its probability (CSPRNG).
 * Writes indexes to idx (room for n entries); returns the count.
 */
size_t nym_choose_blocks(const struct nym_block *, size_t n, size_t *idx);

/* Encode/decode a list of byte strings (stored outcomes). */
void nym_list_encode(struct buf *out, const struct buf *items, size_t n);
int nym_list_decode(const void *, size_t, struct buf **items, size_t *n);

#endif
