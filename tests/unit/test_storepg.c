/*
 * test_storepg.c - the store contract, run on each backend named on the
 * command line ("lmdb:/DIR" or "postgresql:CONNINFO" of a fresh, empty
 * database); with no arguments on LMDB only (tests/e2e/pg-store.sh runs
 * it on a private PostgreSQL, direct and through PgBouncer).
 * NYM_STORE_MODULE names the module (default: bin/nymstore-pg.so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "store.h"
#include "storebe.h"
#include "t.h"

#define WRITERS 4
#define ROUNDS 25

static int
put_fixture(struct stxn *t, void *arg)
{
	static const unsigned char k1[] = { 'p', 0xff, 0x00 };
	static const unsigned char k2[] = { 'p', 0xff };
	static const unsigned char k3[] = { 'q' };
	static char bigv[200000];
	int rc = 0;

	(void)arg;
	memset(bigv, 'v', sizeof(bigv));
	if (txn_put(t, DB_NYMS, "ab", 2, "1", 1) != STORE_OK ||
	    txn_put(t, DB_NYMS, "abc", 3, "2", 1) != STORE_OK ||
	    txn_put(t, DB_NYMS, "abd", 3, "", 0) != STORE_OK ||
	    txn_put(t, DB_NYMS, "b", 1, bigv, sizeof(bigv)) != STORE_OK ||
	    txn_put(t, DB_NYMS, "a\0z", 3, "nul", 3) != STORE_OK ||
	    txn_put(t, DB_ALIASES, k1, 3, "x", 1) != STORE_OK ||
	    txn_put(t, DB_ALIASES, k2, 2, "y", 1) != STORE_OK ||
	    txn_put(t, DB_ALIASES, k3, 1, "z", 1) != STORE_OK)
		rc = -1;
	return rc;
}

static int
collect(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct buf *b = arg;
	size_t i;

	for (i = 0; i < kl; i++)
		buf_addf(b, "%02x", ((const unsigned char *)k)[i]);
	buf_addf(b, "=%zu;", vl);
	(void)v;
	return 0;
}

struct it {
	enum store_db db;
	const char *prefix;
	size_t plen;
	struct buf out;
};

static int
iter_fn(struct stxn *t, void *arg)
{
	struct it *a = arg;

	return txn_iter(t, a->db, a->prefix, a->plen, collect, &a->out);
}

static const char *
iter_str(struct store *st, enum store_db db, const char *p, size_t pl,
    struct buf *keep)
{
	struct it a = { db, p, pl, BUF_INIT };

	buf_adds(&a.out, "");
	if (store_read(st, iter_fn, &a) < 0)
		buf_adds(&a.out, "ERR");
	buf_reset(keep);
	buf_add(keep, a.out.s, a.out.len);
	buf_free(&a.out);
	return keep->s;
}

struct ops_arg {
	int put_new, del, del2, get, count_rc;
	size_t n;
	struct buf v, keys;
	size_t nk;
};

static int
ops_fn(struct stxn *t, void *arg)
{
	struct ops_arg *a = arg;

	a->put_new = txn_put_new(t, DB_NYMS, "ab", 2, "9", 1);
	a->get = txn_get(t, DB_NYMS, "ab", 2, &a->v);
	a->del = txn_del(t, DB_NYMS, "abd", 3);
	a->del2 = txn_del(t, DB_NYMS, "abd", 3);
	a->count_rc = txn_count(t, DB_NYMS, &a->n);
	a->nk = 0;
	return txn_keys(t, DB_ALIASES, "  ", 2, &a->keys, &a->nk);
}

static int
incr(struct stxn *t, void *arg)
{
	struct buf v = BUF_INIT;
	long n = 0;
	char s[32];
	int rc;

	++*(int *)arg;
	rc = txn_get(t, DB_CHUNKS, "counter", 7, &v);
	if (rc == STORE_OK)
		n = strtol(v.s, NULL, 10);
	else if (rc != STORE_NOTFOUND)
		return rc;
	buf_free(&v);
	/* Read, wait, write: concurrent writers overlap on the key. */
	usleep(2000);
	snprintf(s, sizeof(s), "%ld", n + 1);
	return txn_put(t, DB_CHUNKS, "counter", 7, s, strlen(s));
}

/* WRITERS processes, ROUNDS increments each, all at once. */
static void
writers(const char *spec, int pg)
{
	pid_t pid[WRITERS];
	int i, ok = 1, calls = 0, fd[2];
	struct store *st;
	struct buf v = BUF_INIT;
	char err[256];

	if (pipe(fd) < 0)
		exit(1);
	for (i = 0; i < WRITERS; i++) {
		if ((pid[i] = fork()) == 0) {
			int r, mine = 0, good = 1;

			close(fd[0]);
			if (store_open_spec(&st, spec, 1 << 20, 0, 0, err,
			    sizeof(err)) != STORE_OK)
				_exit(2);
			for (r = 0; r < ROUNDS; r++)
				if (store_write(st, incr, &mine) != STORE_OK)
					good = 0;
			store_close(st);
			if (write(fd[1], &mine, sizeof(mine)) != sizeof(mine))
				good = 0;
			_exit(good ? 0 : 3);
		}
	}
	close(fd[1]);
	for (i = 0; i < WRITERS; i++) {
		int status, n;

		if (waitpid(pid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
		if (read(fd[0], &n, sizeof(n)) == sizeof(n))
			calls += n;
	}
	close(fd[0]);
	T(ok, "%s: %d concurrent writers all succeed", spec, WRITERS);
	i = store_open_spec(&st, spec, 1 << 20, 0, 1, err, sizeof(err)) ==
	    STORE_OK && store_get(st, DB_CHUNKS, "counter", &v) == STORE_OK;
	T(i && atoi(v.s) == WRITERS * ROUNDS, "%s: the sum is exact (%s, "
	    "want %d)", spec, v.s != NULL ? v.s : "none", WRITERS * ROUNDS);
	store_close(st);
	printf("# %s: %d runs of the function for %d writes\n", spec, calls,
	    WRITERS * ROUNDS);
	if (pg)
		T(calls > WRITERS * ROUNDS, "%s: serialization conflicts were "
		    "retried (%d runs)", spec, calls - WRITERS * ROUNDS);
	buf_free(&v);
}

static int
dump_fn(struct stxn *t, void *arg)
{
	int db, rc;

	for (db = 0; db < DB_COUNT; db++) {
		buf_addf(arg, "[%d]", db);
		if ((rc = txn_iter(t, db, NULL, 0, collect, arg)) < 0)
			return rc;
	}
	return 0;
}

static void
dump(struct store *st, struct buf *b)
{
	buf_reset(b);
	buf_adds(b, "");
	if (store_read(st, dump_fn, b) < 0)
		buf_adds(b, "ERR");
}

static int
write_after_ro(struct stxn *t, void *arg)
{
	(void)arg;
	return txn_put(t, DB_NYMS, "x", 1, "y", 1);
}

static void
contract(const char *spec)
{
	int pg = strncmp(spec, "postgresql:", 11) == 0;
	struct store *st = NULL, *ro, *cp;
	struct ops_arg a = { 0, 0, 0, 0, 0, 0, BUF_INIT, BUF_INIT, 0 };
	struct buf s = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT;
	char err[256], lm[64];
	int fixed;

	err[0] = '\0';
	T(store_open_spec(&st, spec, 1 << 20, 0, 0, err, sizeof(err)) ==
	    STORE_NOINIT, "%s: before init: not initialised (%s)", spec, err);
	err[0] = '\0';
	T(store_open_spec(&st, spec, 1 << 20, 1, 0, err, sizeof(err)) ==
	    STORE_OK, "%s: init (%s)", spec, err);
	store_close(st);
	T(store_open_spec(&st, spec, 1 << 20, 1, 0, err, sizeof(err)) ==
	    STORE_OK, "%s: init again (idempotent)", spec);
	T(store_get(st, DB_META, "schema", &s) == STORE_OK &&
	    strcmp(s.s, STORE_SCHEMA) == 0, "%s: schema record", spec);
	T(strcmp(store_kind(st), pg ? "postgresql" : "lmdb") == 0,
	    "%s: kind %s", spec, store_kind(st));
	fixed = store_write(st, put_fixture, NULL);
	T(fixed == STORE_OK, "%s: puts", spec);
	T_STR(iter_str(st, DB_NYMS, "ab", 2, &s), "6162=1;616263=1;616264=0;",
	    "%s: iter by prefix, key order", spec);
	T_STR(iter_str(st, DB_NYMS, NULL, 0, &s),
	    "61007a=3;6162=1;616263=1;616264=0;62=200000;",
	    "%s: iter all (a NUL inside a key, a 200 kB value)", spec);
	T_STR(iter_str(st, DB_ALIASES, "p\xff", 2, &s), "70ff=1;70ff00=1;",
	    "%s: iter by a prefix ending in 0xff", spec);
	T_STR(iter_str(st, DB_CONFIRM, NULL, 0, &s), "",
	    "%s: iter of an empty database", spec);
	T(store_write(st, ops_fn, &a) == STORE_OK, "%s: ops", spec);
	T(a.put_new == STORE_EXISTS && a.get == STORE_OK && a.v.len == 1 &&
	    a.v.s[0] == '1', "%s: put_new of a present key: EXISTS, "
	    "value kept", spec);
	T(a.del == STORE_OK && a.del2 == STORE_NOTFOUND, "%s: del, then "
	    "NOTFOUND", spec);
	T(a.count_rc == STORE_OK && a.n == 4, "%s: count %zu", spec, a.n);
	T(a.nk == 2 && a.keys.len > 0 && strncmp(a.keys.s, "  p\xff\n",
	    5) == 0, "%s: keys (stops at max)", spec);
	T(store_get(st, DB_NYMS, "nope", &s) == STORE_NOTFOUND,
	    "%s: get of an absent key", spec);
	store_close(st);

	T(store_open_spec(&ro, spec, 1 << 20, 0, 1, err, sizeof(err)) ==
	    STORE_OK && store_write(ro, write_after_ro, NULL) == STORE_ERR &&
	    store_get(ro, DB_NYMS, "ab", &s) == STORE_OK,
	    "%s: read-only: reads, store_write fails", spec);
	store_close(ro);

	writers(spec, pg);

	/* Copy: to a fresh LMDB environment, exactly; a second copy into
	 * the now non-empty target is refused unless replace. */
	snprintf(lm, sizeof(lm), "lmdb:/tmp/nymcpXXXXXX");
	T(mkdtemp(lm + 5) != NULL && store_open_spec(&st, spec, 1 << 20, 0,
	    1, err, sizeof(err)) == STORE_OK && store_open_spec(&cp, lm,
	    1 << 20, 1, 0, err, sizeof(err)) == STORE_OK, "%s: copy: open",
	    spec);
	T(store_copy_all(st, cp, 0, err, sizeof(err)) == STORE_OK,
	    "%s: copy to LMDB (%s)", spec, err);
	dump(st, &d1);
	dump(cp, &d2);
	T(d1.len > 40 && strcmp(d1.s, d2.s) == 0, "%s: the copy is exact",
	    spec);
	T(store_copy_all(st, cp, 0, err, sizeof(err)) == STORE_EXISTS,
	    "%s: a non-empty target is refused (%s)", spec, err);
	T(store_copy_all(st, cp, 1, err, sizeof(err)) == STORE_OK,
	    "%s: ... unless replace", spec);
	dump(cp, &d2);
	T(strcmp(d1.s, d2.s) == 0, "%s: replaced exactly", spec);
	store_close(cp);
	{
		char cmd[128], dir[64];
		struct store *bk;

		snprintf(dir, sizeof(dir), "%s/bk", lm + 5);
		T(mkdir(dir, 0700) == 0 && store_copy(st, dir) == STORE_OK &&
		    store_lmdb_open_env(&bk, dir, 1 << 20, err, sizeof(err)) ==
		    STORE_OK, "%s: store_copy (backup) writes an LMDB "
		    "environment", spec);
		dump(bk, &d2);
		T(strcmp(d1.s, d2.s) == 0, "%s: ... holding everything", spec);
		store_close(bk);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", lm + 5);
		if (system(cmd) != 0)
			T(0, "rm");
	}
	store_close(st);
	buf_free(&a.v);
	buf_free(&a.keys);
	buf_free(&s);
	buf_free(&d1);
	buf_free(&d2);
}

int
main(int argc, char **argv)
{
	const char *mod = getenv("NYM_STORE_MODULE");
	char dir[] = "/tmp/nymspXXXXXX", spec[64], err[256];
	struct store *st;
	int i;

	die_init("test_storepg");
	store_configure("lmdb", NULL, mod != NULL ? mod : "bin/nymstore-pg.so");
	if (argc < 2) {
		char cmd[64];

		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(spec, sizeof(spec), "lmdb:%s", dir);
		contract(spec);
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	for (i = 1; i < argc; i++)
		contract(argv[i]);
	T(store_open_spec(&st, "postgresql:host=/nonexistent dbname=x",
	    1 << 20, 0, 0, err, sizeof(err)) == STORE_ERR,
	    "no database server: STORE_ERR (%s)", err);
	T(store_open_spec(&st, "mysql:x", 1 << 20, 0, 0, err, sizeof(err)) ==
	    STORE_ERR, "an unknown backend is refused");
	T_END();
}
