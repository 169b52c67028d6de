/* storebe.h - the state store's backends: the table store.c dispatches on. */
#ifndef NYM_STOREBE_H
#define NYM_STOREBE_H

#include <stddef.h>

#include "store.h"

/* Bumped whenever struct store_ops or struct store_host changes. */
#define STORE_OPS_ABI 1
/* The one symbol the PostgreSQL module (nymstore-pg.so) exports. */
#define STORE_MODULE_SYMBOL "nymstore_ops"

/* Every backend's store and transaction begin with these. */
struct store {
	const struct store_ops *ops;
};
struct stxn {
	const struct store_ops *ops;
};

/* What the program gives a module, which links nothing of ours. */
struct store_host {
	int abi;
	void (*log_err)(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
};

struct store_ops {
	int abi;
	const char *name;		/* "lmdb", "postgresql" */
	/*
	 * where: the state directory (lmdb) or the conninfo (postgresql).
	 * create makes the databases and the schema record; rdonly never
	 * writes.  The front checks the schema record afterwards.
	 */
	int (*open)(struct store **, const char *where, size_t mapsize,
	    int create, int rdonly, char *err, size_t errlen);
	void (*close)(struct store *);
	int (*write)(struct store *, store_fn, void *arg);
	int (*read)(struct store *, store_fn, void *arg);
	/* *v and *vl stay valid until the next call in the transaction. */
	int (*get)(struct stxn *, enum store_db, const void *k, size_t kl,
	    const void **v, size_t *vl);
	int (*put)(struct stxn *, enum store_db, const void *k, size_t kl,
	    const void *v, size_t vl, int excl);
	int (*del)(struct stxn *, enum store_db, const void *k, size_t kl);
	int (*iter)(struct stxn *, enum store_db, const void *prefix,
	    size_t plen, store_iter_fn cb, void *arg);
	int (*count)(struct stxn *, enum store_db, size_t *n);
	/* An LMDB environment in directory path; NULL: the front copies
	 * every database through the other calls. */
	int (*copy)(struct store *, const char *path);
	int (*scrub)(const char *where, size_t mapsize, unsigned wait,
	    char *err, size_t errlen);
};

typedef const struct store_ops *(*store_module_fn)(const struct store_host *);

/* The database names, shared by both backends (and by LMDB's files). */
extern const char *const store_db_names[DB_COUNT];

/* storelmdb.c */
const struct store_ops *store_lmdb_ops(void);
void store_lmdb_set_map_max(size_t);
/* An LMDB environment directly in dir (no db/ below it, no scrub lock):
 * store_copy's target. */
int store_lmdb_open_env(struct store **, const char *dir, size_t mapsize,
    char *err, size_t errlen);

/* storemod.c: dlopen the module once; NULL with err on failure. */
const struct store_ops *store_module_load(const char *path, char *err,
    size_t errlen);

#endif
