/* aliasaddr.h - alias names and real addresses: the checks that need no state. */
#ifndef NYM_ALIASADDR_H
#define NYM_ALIASADDR_H

#include "buf.h"
#include "conf.h"

/*
 * Normalise a real address: one addr-spec (an optional display name is
 * dropped), deliverable, domain lowercased, not in one of our domains.
 * Returns 0 with out set, or -1.
 */
int alias_norm_addr(const struct conf *, const char *in, struct buf *out);

/* The domain of alias addresses: alias_domain, else hostname. */
const char *alias_domain(const struct conf *);

/* Is name a valid alias name nobody reserved?  Lowercases into out. */
int alias_name_ok(const char *name, struct buf *out);

#endif
