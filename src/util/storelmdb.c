/* storelmdb.c - the LMDB backend: short transactions, map growth. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "buf.h"
#include "die.h"
#include "store.h"
#include "storebe.h"

#define MAX_GROW_TRIES 8

#define db_names store_db_names

static const struct store_ops lmdb_ops;

struct lstore {
	struct store base;
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	unsigned char absent[DB_COUNT];	/* read-only open of an older schema */
	size_t mapsize;
	int rdonly;
	int lockfd;		/* shared lock on db/scrub.lock: see store_scrub */
};

struct ltxn {
	struct stxn base;
	struct lstore *st;
	MDB_txn *txn;
	int mapfull;		/* a put hit MDB_MAP_FULL: grow and retry */
	int failed;		/* an LMDB error happened */
};

static int
open_dbis(struct lstore *st, int create, char *err, size_t errlen)
{
	MDB_txn *txn;
	int rc, i;
	unsigned flags = create ? 0 : MDB_RDONLY;

	for (;;) {
		rc = mdb_txn_begin(st->env, NULL, flags, &txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(st->env, 0);
			continue;
		}
		break;
	}
	if (rc != 0) {
		snprintf(err, errlen, "lmdb txn: %s", mdb_strerror(rc));
		return STORE_ERR;
	}
	for (i = 0; i < DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, db_names[i], create ? MDB_CREATE : 0,
		    &st->dbi[i]);
		if (rc == MDB_NOTFOUND && st->rdonly) {
			/* Never write: lookups in it find nothing. */
			st->absent[i] = 1;
			continue;
		}
		if (rc == MDB_NOTFOUND && !create) {
			mdb_txn_abort(txn);
			/* An older schema without this database: add it. */
			return open_dbis(st, 1, err, errlen);
		}
		if (rc != 0) {
			mdb_txn_abort(txn);
			snprintf(err, errlen, "lmdb open %s: %s", db_names[i],
			    mdb_strerror(rc));
			return STORE_ERR;
		}
	}
	if (create) {
		MDB_val k = { 6, (void *)"schema" }, v;

		rc = mdb_get(txn, st->dbi[DB_META], &k, &v);
		if (rc == MDB_NOTFOUND) {
			v.mv_size = strlen(STORE_SCHEMA);
			v.mv_data = (void *)STORE_SCHEMA;
			rc = mdb_put(txn, st->dbi[DB_META], &k, &v, 0);
		}
		if (rc != 0) {
			mdb_txn_abort(txn);
			snprintf(err, errlen, "lmdb schema: %s",
			    mdb_strerror(rc));
			return STORE_ERR;
		}
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0) {
		snprintf(err, errlen, "lmdb commit: %s", mdb_strerror(rc));
		return STORE_ERR;
	}
	return STORE_OK;
}

/*
 * Take flock op on path, waiting at most wait seconds when wait > 0
 * (polling, so no signal handler is needed), forever when wait is 0.
 */
static int
lock_bounded(int fd, int op, unsigned wait)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	time_t end = time(NULL) + (time_t)wait;

	for (;;) {
		if (flock(fd, op | (wait > 0 ? LOCK_NB : 0)) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || time(NULL) >= end)
			return -1;
		nanosleep(&pause, NULL);
	}
}

/*
 * The scrub protocol (store_scrub): every process that opens the
 * environment holds a shared flock on db/scrub.lock for as long as it has
 * it open, taken while it holds a shared flock on db/scrub.gate; the
 * scrub takes both exclusively, the gate first.  So a waiting scrub stops
 * new openers at the gate (no starvation by a stream of deliveries) and
 * runs once the processes that had the environment open have closed it.
 * A child of ours (NYM_CHILD in its environment: remail run by nymserv)
 * skips the gate: its parent may hold the state open, and waiting at the
 * gate for a scrub that waits for the parent would deadlock until the
 * scrub gives up.  Returns the fd holding scrub.lock (O_CLOEXEC: no child
 * inherits it).
 */
static int
scrub_lock(const char *dir, int excl, unsigned wait)
{
	struct buf p = BUF_INIT;
	int gate, fd = -1, saved;

	buf_addf(&p, "%s/scrub.gate", dir);
	gate = open(p.s, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	buf_reset(&p);
	buf_addf(&p, "%s/scrub.lock", dir);
	if (gate < 0 || ((excl || getenv("NYM_CHILD") == NULL) &&
	    lock_bounded(gate, excl ? LOCK_EX : LOCK_SH, wait) < 0))
		goto out;
	if ((fd = open(p.s, O_RDONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0 &&
	    lock_bounded(fd, excl ? LOCK_EX : LOCK_SH, wait) < 0) {
		saved = errno;
		close(fd);
		fd = -1;
		errno = saved;
	}
out:
	saved = errno;
	if (gate >= 0)
		close(gate);	/* the gate is held only while queueing */
	buf_free(&p);
	errno = saved;
	return fd;
}

/*
 * Open the environment; rdonly never writes (MDB_RDONLY, no schema
 * fix-up).  raw: statedir is the environment's directory itself (a copy
 * being written: no db/ below it, no scrub lock).
 */
static int
open_env(struct store **out, const char *statedir, size_t mapsize,
    int create, int rdonly, int raw, char *err, size_t errlen)
{
	struct lstore *st;
	struct buf dir = BUF_INIT;
	struct stat sb;
	int rc;

	*out = NULL;
	if (raw)
		buf_adds(&dir, statedir);
	else
		buf_addf(&dir, "%s/db", statedir);
	if (create && !raw && mkdir(dir.s, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir.s, strerror(errno));
		buf_free(&dir);
		return STORE_ERR;
	}
	if (stat(dir.s, &sb) < 0) {
		snprintf(err, errlen, "%s: %s%s", dir.s, strerror(errno),
		    errno == ENOENT ? " (run nymctl init)" : "");
		rc = errno == ENOENT ? STORE_NOINIT : STORE_ERR;
		buf_free(&dir);
		return rc;
	}
	st = xcalloc(1, sizeof(*st));
	st->base.ops = &lmdb_ops;
	st->rdonly = rdonly;
	st->lockfd = -1;
	if (!raw && (st->lockfd = scrub_lock(dir.s, 0, 0)) < 0) {
		snprintf(err, errlen, "%s: scrub lock: %s", dir.s,
		    strerror(errno));
		free(st);
		buf_free(&dir);
		return STORE_ERR;
	}
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, DB_COUNT + 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, mapsize)) != 0 ||
	    (rc = mdb_env_open(st->env, dir.s,
	    MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), 0600)) != 0) {
		snprintf(err, errlen, "lmdb open %s: %s", dir.s,
		    mdb_strerror(rc));
		if (st->env)
			mdb_env_close(st->env);
		if (st->lockfd >= 0)
			close(st->lockfd);
		free(st);
		buf_free(&dir);
		return STORE_ERR;
	}
	buf_free(&dir);
	{
		MDB_envinfo info;
		int dead = 0;

		mdb_env_info(st->env, &info);
		st->mapsize = info.me_mapsize;
		/* Free reader slots of processes killed inside a read
		 * transaction (kill -9, an MTA's time limit): they would pin
		 * old pages and, piling up, exhaust the reader table. */
		(void)mdb_reader_check(st->env, &dead);
	}
	if ((rc = open_dbis(st, create, err, errlen)) != STORE_OK) {
		mdb_env_close(st->env);
		if (st->lockfd >= 0)
			close(st->lockfd);
		free(st);
		return rc;
	}
	*out = &st->base;
	return STORE_OK;
}

static int
lm_open(struct store **out, const char *statedir, size_t mapsize,
    int create, int rdonly, char *err, size_t errlen)
{
	return open_env(out, statedir, mapsize, create && !rdonly, rdonly, 0,
	    err, errlen);
}

int
store_lmdb_open_env(struct store **out, const char *dir, size_t mapsize,
    char *err, size_t errlen)
{
	return open_env(out, dir, mapsize, 1, 0, 1, err, errlen);
}

static void
lm_close(struct store *base)
{
	struct lstore *st = (struct lstore *)base;

	if (st == NULL)
		return;
	mdb_env_close(st->env);
	if (st->lockfd >= 0)
		close(st->lockfd);	/* after the close: the scrub may start */
	free(st);
}

static size_t map_max;

void
store_lmdb_set_map_max(size_t max)
{
	map_max = max;
}

/* Double the map, up to map_max; another process may have grown it. */
static int
grow(struct lstore *st)
{
	MDB_envinfo info;

	mdb_env_info(st->env, &info);
	if (info.me_mapsize > st->mapsize)
		st->mapsize = info.me_mapsize;
	if (map_max != 0 && st->mapsize >= map_max) {
		log_err("state map full: it is at map_max (%zu MiB)",
		    map_max >> 20);
		return STORE_ERR;
	}
	st->mapsize *= 2;
	if (map_max != 0 && st->mapsize > map_max)
		st->mapsize = map_max;
	if (mdb_env_set_mapsize(st->env, st->mapsize) != 0)
		return STORE_ERR;
	log_info("state map grown to %zu MiB", st->mapsize >> 20);
	return STORE_OK;
}

static int
begin(struct lstore *st, unsigned flags, MDB_txn **txn)
{
	int rc, tries;

	for (tries = 0; tries < MAX_GROW_TRIES; tries++) {
		rc = mdb_txn_begin(st->env, NULL, flags, txn);
		if (rc != MDB_MAP_RESIZED)
			break;
		/* Another process grew the map: adopt its size. */
		mdb_env_set_mapsize(st->env, 0);
	}
	if (rc != 0)
		log_err("lmdb begin: %s", mdb_strerror(rc));
	return rc == 0 ? STORE_OK : STORE_ERR;
}

static int
lm_write(struct store *base, store_fn fn, void *arg)
{
	struct lstore *st = (struct lstore *)base;
	int tries;

	if (st->rdonly) {
		log_err("lmdb: write to a read-only store");
		return STORE_ERR;
	}
	for (tries = 0; tries < MAX_GROW_TRIES; tries++) {
		struct ltxn t = { { &lmdb_ops }, st, NULL, 0, 0 };
		int rc, crc;

		if (begin(st, 0, &t.txn) != STORE_OK)
			return STORE_ERR;
		rc = fn(&t.base, arg);
		if (rc < 0 || t.failed) {
			mdb_txn_abort(t.txn);
			if (t.mapfull) {
				if (grow(st) != STORE_OK)
					return STORE_ERR;
				continue;
			}
			return rc < 0 ? rc : STORE_ERR;
		}
		crc = mdb_txn_commit(t.txn);
		if (crc == MDB_MAP_FULL) {
			if (grow(st) != STORE_OK)
				return STORE_ERR;
			continue;
		}
		if (crc != 0) {
			log_err("lmdb commit: %s", mdb_strerror(crc));
			return STORE_ERR;
		}
		return rc;
	}
	return STORE_ERR;
}

static int
lm_read(struct store *base, store_fn fn, void *arg)
{
	struct lstore *st = (struct lstore *)base;
	struct ltxn t = { { &lmdb_ops }, st, NULL, 0, 0 };
	int rc;

	if (begin(st, MDB_RDONLY, &t.txn) != STORE_OK)
		return STORE_ERR;
	rc = fn(&t.base, arg);
	mdb_txn_abort(t.txn);
	if (t.failed && rc >= 0)
		rc = STORE_ERR;
	return rc;
}

static int
fail(struct ltxn *t, int rc, const char *what)
{
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		t->mapfull = 1;
	else
		log_err("lmdb %s: %s", what, mdb_strerror(rc));
	t->failed = 1;
	return STORE_ERR;
}

static int
lm_get(struct stxn *base, enum store_db db, const void *k, size_t kl,
    const void **v, size_t *vl)
{
	struct ltxn *t = (struct ltxn *)base;
	MDB_val key = { kl, (void *)k }, val;
	int rc;

	if (kl == 0 || kl > 511 || t->st->absent[db])
		return STORE_NOTFOUND;
	rc = mdb_get(t->txn, t->st->dbi[db], &key, &val);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return fail(t, rc, "get");
	*v = val.mv_data;
	*vl = val.mv_size;
	return STORE_OK;
}

static int
lm_put(struct stxn *base, enum store_db db, const void *k, size_t kl,
    const void *v, size_t vl, int excl)
{
	struct ltxn *t = (struct ltxn *)base;
	unsigned flags = excl ? MDB_NOOVERWRITE : 0;
	MDB_val key = { kl, (void *)k }, val = { vl, (void *)v };
	int rc;

	if (kl == 0 || kl > 511) {
		log_err("lmdb put: bad key length %zu", kl);
		t->failed = 1;
		return STORE_ERR;
	}
	rc = mdb_put(t->txn, t->st->dbi[db], &key, &val, flags);
	if (rc == MDB_KEYEXIST)
		return STORE_EXISTS;
	if (rc != 0)
		return fail(t, rc, "put");
	return STORE_OK;
}

static int
lm_del(struct stxn *base, enum store_db db, const void *k, size_t kl)
{
	struct ltxn *t = (struct ltxn *)base;
	MDB_val key = { kl, (void *)k };
	int rc;

	if (kl == 0 || kl > 511)
		return STORE_NOTFOUND;
	rc = mdb_del(t->txn, t->st->dbi[db], &key, NULL);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return fail(t, rc, "del");
	return STORE_OK;
}

static int
lm_iter(struct stxn *base, enum store_db db, const void *prefix,
    size_t plen, store_iter_fn cb, void *arg)
{
	struct ltxn *t = (struct ltxn *)base;
	MDB_cursor *c;
	MDB_val key = { plen, (void *)prefix }, val;
	int rc, op = plen ? MDB_SET_RANGE : MDB_FIRST, ret = STORE_OK;

	if (t->st->absent[db])
		return STORE_OK;
	rc = mdb_cursor_open(t->txn, t->st->dbi[db], &c);
	if (rc != 0)
		return fail(t, rc, "cursor");
	for (rc = mdb_cursor_get(c, &key, &val, (MDB_cursor_op)op); rc == 0;
	    rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		int r;

		if (plen && (key.mv_size < plen ||
		    memcmp(key.mv_data, prefix, plen) != 0)) {
			rc = MDB_NOTFOUND;	/* past the prefix: done */
			break;
		}
		r = cb(key.mv_data, key.mv_size, val.mv_data, val.mv_size,
		    arg);
		if (r != 0) {
			ret = r < 0 ? r : STORE_OK;
			rc = MDB_NOTFOUND;
			break;
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return fail(t, rc, "cursor get");
	return ret;
}

static int
lm_count(struct stxn *base, enum store_db db, size_t *n)
{
	struct ltxn *t = (struct ltxn *)base;
	MDB_stat s;
	int rc;

	if (t->st->absent[db]) {
		*n = 0;
		return STORE_OK;
	}
	rc = mdb_stat(t->txn, t->st->dbi[db], &s);
	if (rc != 0)
		return fail(t, rc, "stat");
	*n = s.ms_entries;
	return STORE_OK;
}

static int
lm_copy(struct store *base, const char *path)
{
	struct lstore *st = (struct lstore *)base;
	int rc = mdb_env_copy2(st->env, path, MDB_CP_COMPACT);

	if (rc != 0) {
		log_err("lmdb copy: %s", mdb_strerror(rc));
		return STORE_ERR;
	}
	return STORE_OK;
}

/* Write zeros over the whole of fd's file and sync it. */
static int
zero_fd(int fd)
{
	static const char zero[65536];
	struct stat sb;
	off_t off = 0;

	if (fstat(fd, &sb) < 0)
		return -1;
	while (off < sb.st_size) {
		size_t n = (size_t)(sb.st_size - off) < sizeof(zero) ?
		    (size_t)(sb.st_size - off) : sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += w;
	}
	return fdatasync(fd);
}

static int
lm_scrub(const char *statedir, size_t mapsize, unsigned wait, char *err,
    size_t errlen)
{
	struct buf dir = BUF_INIT, data = BUF_INIT, tmp = BUF_INIT;
	MDB_env *env = NULL;
	int lockfd, fd = -1, oldfd = -1, dfd, rc = STORE_ERR, mrc = 0;

	buf_addf(&dir, "%s/db", statedir);
	buf_addf(&data, "%s/data.mdb", dir.s);
	buf_addf(&tmp, "%s/data.mdb.scrub", dir.s);
	if ((lockfd = scrub_lock(dir.s, 1, wait)) < 0) {
		snprintf(err, errlen, "the state stayed in use for %u s: "
		    "scrub not done (%s)", wait, strerror(errno));
		rc = STORE_BUSY;
		goto out;
	}
	/* Nobody has the environment open now, and nobody can open it. */
	if ((mrc = mdb_env_create(&env)) != 0 ||
	    (mrc = mdb_env_set_maxdbs(env, DB_COUNT + 4)) != 0 ||
	    (mrc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (mrc = mdb_env_open(env, dir.s, MDB_NOTLS | MDB_RDONLY, 0600)) !=
	    0)
		goto out;
	(void)unlink(tmp.s);	/* from a scrub that crashed */
	if ((fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0 || (mrc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT)) !=
	    0 || fsync(fd) < 0)
		goto out;
	mdb_env_close(env);
	env = NULL;
	/* Swap the compacted copy in (rename: atomic, crash-safe), then
	 * overwrite the old file, still open, before its blocks are freed. */
	if ((oldfd = open(data.s, O_RDWR | O_CLOEXEC)) < 0 ||
	    rename(tmp.s, data.s) < 0)
		goto out;
	if ((dfd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	if (zero_fd(oldfd) < 0)
		goto out;
	rc = STORE_OK;
out:
	if (rc == STORE_ERR)
		snprintf(err, errlen, "scrub %s: %s", dir.s, mrc != 0 ?
		    mdb_strerror(mrc) : strerror(errno));
	if (env != NULL)
		mdb_env_close(env);
	if (fd >= 0)
		close(fd);
	if (rc != STORE_OK && fd >= 0)
		(void)unlink(tmp.s);
	if (oldfd >= 0)
		close(oldfd);
	if (lockfd >= 0)
		close(lockfd);
	buf_free(&dir);
	buf_free(&data);
	buf_free(&tmp);
	return rc;
}

static const struct store_ops lmdb_ops = {
	STORE_OPS_ABI, "lmdb", lm_open, lm_close, lm_write, lm_read, lm_get,
	lm_put, lm_del, lm_iter, lm_count, lm_copy, lm_scrub,
};

const struct store_ops *
store_lmdb_ops(void)
{
	return &lmdb_ops;
}
