/* purge.h - delete the expired records under one key prefix, a bounded
 * number per transaction. */
#ifndef NYM_PURGE_H
#define NYM_PURGE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "store.h"

/* Whether the record (key k, value v) has expired at now. */
typedef int (*purge_expired_fn)(const void *k, size_t kl,
    const struct buf *v, time_t now);

/*
 * Delete, inside t, up to max records of db whose key starts with prefix
 * and which expired() calls expired.  The keys are collected first and
 * deleted after the walk.  Returns the number deleted, or STORE_ERR.
 */
int purge_txn(struct stxn *t, enum store_db db, const char *prefix,
    size_t plen, purge_expired_fn expired, time_t now, size_t max);

#endif
