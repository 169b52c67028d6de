/* cfgreq.h - the plaintext of a config@ request (nym.alias.net format). */
#ifndef NYM_CFGREQ_H
#define NYM_CFGREQ_H

#include <stddef.h>

#include "buf.h"
#include "nym.h"

#define CFG_MAX_BLOCKS 10
#define CFG_MAX_BLOCK 65536
#define CFG_MAX_KEY 65536
#define CFG_MAX_FULLNAME 255
#define CFG_COOKIE_LEN 20	/* hex digits of a confirmation cookie */
#define CFG_MAX_POOLVALUE 64	/* hsub=, symmetric=, subject= (crooks: 64) */

struct cfgreq {
	char *name;		/* From:, lowercase, without @domain */
	int create;		/* "create" */
	int create_maybe;	/* "create?" */
	int del;		/* "delete" */
	char *fullname;		/* name="..." decoded, or NULL */
	unsigned set, clear;	/* NF_* switches turned on / off */
	int delivery;		/* delivery=: enum nym_delivery, or -1 */
	char *hsub;		/* hsub="...": NULL unchanged, "" cleared */
	char *symkey;		/* symmetric="...": likewise */
	char *subject;		/* subject="...": likewise */
	struct buf key;		/* Public-Key: armored block, or empty */
	struct nym_block *blocks;
	size_t nblocks;
	char *confirm;		/* confirm=COOKIE or Confirm: COOKIE, or NULL */
	struct buf errors;	/* one problem per line */
	int nerrors;
};

/* Is the first non-blank line "Config:"?  (config@ vs send@) */
int cfgreq_is_config(const char *text, size_t len);

/*
 * Parse a config request.  Returns -1 if text is not a config request at
 * all; 0 otherwise, with any problems listed in r->errors.
 */
int cfgreq_parse(const char *text, size_t len, struct cfgreq *r);
void cfgreq_free(struct cfgreq *r);

/* Name of a switch bit ("acksend"), for notices. */
const char *cfgreq_flag_name(unsigned bit);

#endif
