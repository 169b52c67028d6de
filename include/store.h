/* store.h - the state store: named databases in LMDB or PostgreSQL. */
#ifndef NYM_STORE_H
#define NYM_STORE_H

#include <stddef.h>

#include "buf.h"

#define STORE_SCHEMA "1"

/* The named databases (DESIGN.md section 3). */
enum store_db {
	DB_META,	/* schema version, server key fingerprints */
	DB_NYMS,	/* nym name -> nym record */
	DB_REPLAY,	/* signature identity -> arrival, until, outcome */
	DB_CONFIRM,	/* cookie -> pending change */
	DB_CHUNKS,	/* nym name -> day + chunk count */
	DB_ALIASES,	/* alias -> address record */
	DB_ADDRS,	/* address -> alias */
	DB_BLOCKS,	/* keyed hash of a destination -> block record */
	DB_PENDING,	/* token -> pending alias/block operation */
	DB_OUTBOX,	/* delivery or confirmation id -> hand-offs left */
	DB_COUNT
};

enum {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_EXISTS = 2,
	STORE_ERR = -1,		/* temporary: exit 75 */
	STORE_NOINIT = -2,	/* no state yet: run nymctl init */
	STORE_BUSY = -3		/* store_scrub: the state stayed in use */
};

struct store;
struct stxn;

/*
 * The backend, from nymserv.conf (store, store_conninfo, store_module):
 * every program that opens the store calls this after reading its
 * configuration.  Unset or "lmdb": the LMDB environment under statedir;
 * "postgresql": the database named by conninfo, through the module
 * (dlopen'd at the first store_open; it alone links libpq).
 */
void store_configure(const char *backend, const char *conninfo,
    const char *module);
/* "lmdb" or "postgresql": what store_open opens. */
const char *store_backend(void);

/*
 * Open the configured store: the environment under dir/db, or the
 * PostgreSQL database of store_configure (dir then names nothing of
 * it).  create: make the directory and the databases, or the table
 * (nymctl init); otherwise the schema record must be present.
 */
int store_open(struct store **, const char *statedir, size_t mapsize,
    int create, char *err, size_t errlen);
/*
 * Open an existing environment for lookups only (MDB_RDONLY, or READ
 * ONLY transactions: nothing is ever written, store_write fails).  A database missing from an older
 * schema reads as empty.
 */
int store_open_ro(struct store **, const char *statedir, size_t mapsize,
    char *err, size_t errlen);
/*
 * Open the store named by spec, "lmdb:STATEDIR" or "postgresql:CONNINFO"
 * (nymctl migrate), whatever is configured.
 */
int store_open_spec(struct store **, const char *spec, size_t mapsize,
    int create, int rdonly, char *err, size_t errlen);
void store_close(struct store *);
/* The backend of an open store: "lmdb" or "postgresql". */
const char *store_kind(const struct store *);
/*
 * The largest map this process grows an environment to (the
 * configuration's map_max; 0, the default, sets no bound).  A write that
 * needs more fails (STORE_ERR: exit 75) and changes nothing.
 */
void store_set_map_max(size_t max);

/*
 * Run fn inside a transaction.  store_write commits when fn returns >= 0
 * and aborts otherwise; if the map is full it grows the map and runs fn
 * again from the start (PostgreSQL: after a serialization failure or a
 * deadlock, up to 20 times), so fn must have no side effects outside the
 * transaction.  Returns fn's value or STORE_ERR.
 */
typedef int (*store_fn)(struct stxn *, void *arg);
int store_write(struct store *, store_fn, void *arg);
int store_read(struct store *, store_fn, void *arg);

/* Within a transaction.  Values are copied into out. */
int txn_get(struct stxn *, enum store_db, const void *k, size_t kl,
    struct buf *out);
int txn_put(struct stxn *, enum store_db, const void *k, size_t kl,
    const void *v, size_t vl);
/* Like txn_put but STORE_EXISTS if the key is present. */
int txn_put_new(struct stxn *, enum store_db, const void *k, size_t kl,
    const void *v, size_t vl);
int txn_del(struct stxn *, enum store_db, const void *k, size_t kl);
/*
 * Call cb for every key starting with prefix (all keys when plen is 0),
 * in key order.  cb returns 0 to go on, 1 to stop, < 0 on error.
 */
typedef int (*store_iter_fn)(const void *k, size_t kl, const void *v,
    size_t vl, void *arg);
int txn_iter(struct stxn *, enum store_db, const void *prefix, size_t plen,
    store_iter_fn cb, void *arg);
/* Number of entries in a database. */
int txn_count(struct stxn *, enum store_db, size_t *n);
/* Append the keys of db to out, one a line after indent, while *n (the
 * count so far, updated) stays within max. */
int txn_keys(struct stxn *, enum store_db, const char *indent, size_t max,
    struct buf *out, size_t *n);

/* Convenience wrappers: one short transaction each. */
int store_get(struct store *, enum store_db, const char *key, struct buf *);
int store_put(struct store *, enum store_db, const char *key,
    const void *v, size_t vl);

/*
 * Copy the state consistently to an LMDB environment in the directory
 * path (nymctl backup): LMDB's compacting copy, or for PostgreSQL every
 * database read in one snapshot and written to a new environment.
 */
int store_copy(struct store *, const char *path);
/*
 * Copy every named database of from into to, exactly (nymctl migrate).
 * The target must hold nothing but its schema record, unless replace:
 * then everything in it is deleted first.  One transaction on each side.
 */
int store_copy_all(struct store *from, struct store *to, int replace,
    char *err, size_t errlen);

/*
 * Make deleted records unreadable on disk (LMDB keeps freed pages as they
 * were): once no process has the environment open, write a compacted copy
 * (live pages only), rename it over data.mdb and overwrite the old file
 * with zeros before it is freed.  Waits at most wait seconds for the
 * processes that have the state open (new ones wait meanwhile, bounded
 * by their own time limits); STORE_BUSY if they did not finish.  The
 * caller must not have the store open itself.
 */
int store_scrub(const char *statedir, size_t mapsize, unsigned wait,
    char *err, size_t errlen);

#endif
