/* test_store.c - the LMDB store: CRUD, iteration, growth, many writers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/nymstoreXXXXXX";

static int
incr(struct stxn *t, void *arg)
{
	struct buf v = BUF_INIT;
	long n = 0;
	char s[32];
	int rc;

	(void)arg;
	rc = txn_get(t, DB_CHUNKS, "counter", 7, &v);
	if (rc == STORE_OK)
		n = strtol(v.s, NULL, 10);
	else if (rc != STORE_NOTFOUND)
		return rc;
	buf_free(&v);
	snprintf(s, sizeof(s), "%ld", n + 1);
	return txn_put(t, DB_CHUNKS, "counter", 7, s, strlen(s));
}

/* A reader killed inside its read transaction. */
static int
die_reading(struct stxn *t, void *arg)
{
	(void)arg;
	(void)txn_get(t, DB_NYMS, "alice", 5, NULL);
	raise(SIGKILL);
	return 0;
}

static int
big(struct stxn *t, void *arg)
{
	static char val[200000];
	int i, rc;
	char k[16];

	(void)arg;
	memset(val, 'v', sizeof(val));
	for (i = 0; i < 40; i++) {
		snprintf(k, sizeof(k), "big%02d", i);
		if ((rc = txn_put(t, DB_NYMS, k, strlen(k), val,
		    sizeof(val))) < 0)
			return rc;
	}
	return 0;
}

static int
count(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	++*(int *)arg;
	return 0;
}

static int
iter_big(struct stxn *t, void *arg)
{
	return txn_iter(t, DB_NYMS, "big", 3, count, arg);
}

static int
del_put_new(struct stxn *t, void *arg)
{
	int *res = arg;

	res[0] = txn_put_new(t, DB_NYMS, "big00", 5, "x", 1);
	res[1] = txn_del(t, DB_NYMS, "big01", 5);
	res[2] = txn_del(t, DB_NYMS, "nothere", 7);
	return 0;
}

int
main(void)
{
	struct store *st;
	struct buf v = BUF_INIT, path = BUF_INIT;
	char err[256];
	int i, n = 0, res[3];

	if (mkdtemp(dir) == NULL)
		return 1;
	T(store_open(&st, dir, 1 << 20, 0, err, sizeof(err)) == STORE_NOINIT,
	    "uninitialised state is reported as such: %s", err);
	T(store_open(&st, dir, 1 << 20, 1, err, sizeof(err)) == STORE_OK,
	    "create");
	T(store_get(st, DB_META, "schema", &v) == STORE_OK &&
	    strcmp(v.s, STORE_SCHEMA) == 0, "schema record written");
	T(store_put(st, DB_NYMS, "alice", "rec", 3) == STORE_OK &&
	    store_get(st, DB_NYMS, "alice", &v) == STORE_OK &&
	    v.len == 3 && memcmp(v.s, "rec", 3) == 0, "put then get");
	T(store_get(st, DB_NYMS, "bob", &v) == STORE_NOTFOUND, "missing key");
	T(store_write(st, big, NULL) == 0,
	    "8 MB written into a 1 MiB map: the map grows");
	T(store_read(st, iter_big, &n) == 0 && n == 40, "prefix iteration "
	    "(%d)", n);
	T(store_write(st, del_put_new, res) == 0 && res[0] == STORE_EXISTS &&
	    res[1] == STORE_OK && res[2] == STORE_NOTFOUND,
	    "put_new refuses existing keys; del reports missing ones");
	store_close(st);

	/* map_max: the 8 MB write needs a bigger map; at the bound it fails
	 * as a whole (exit 75 for the caller), and works once it is raised. */
	{
		char dir2[] = "/tmp/nymstoreXXXXXX";
		struct buf rm = BUF_INIT;

		if (mkdtemp(dir2) == NULL)
			return 1;
		store_set_map_max(4 << 20);
		T(store_open(&st, dir2, 1 << 20, 1, err, sizeof(err)) ==
		    STORE_OK && store_write(st, big, NULL) == STORE_ERR,
		    "map_max 4 MiB: an 8 MB write fails (temporary)");
		T(store_get(st, DB_NYMS, "big00", &v) == STORE_NOTFOUND,
		    "... and nothing of it was written");
		T(store_put(st, DB_NYMS, "small", "x", 1) == STORE_OK,
		    "... while a small write still fits");
		store_set_map_max(64 << 20);
		T(store_write(st, big, NULL) == 0 &&
		    store_get(st, DB_NYMS, "big39", &v) == STORE_OK,
		    "map_max raised: the same write succeeds");
		store_close(st);
		store_set_map_max(0);
		buf_addf(&rm, "rm -rf %s", dir2);
		if (system(rm.s) != 0)
			return 1;
		buf_free(&rm);
	}

	/* Twenty processes, each opening the environment and writing. */
	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			int j;

			if (store_open(&st, dir, 1 << 20, 0, err,
			    sizeof(err)) != STORE_OK)
				_exit(1);
			for (j = 0; j < 50; j++)
				if (store_write(st, incr, NULL) < 0)
					_exit(1);
			store_close(st);
			_exit(0);
		}
	}
	n = 0;
	for (i = 0; i < 20; i++) {
		int status;

		wait(&status);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			n++;
	}
	T(n == 20, "20 concurrent writers all succeed (%d)", n);
	T(store_open(&st, dir, 1 << 20, 0, err, sizeof(err)) == STORE_OK &&
	    store_get(st, DB_CHUNKS, "counter", &v) == STORE_OK &&
	    strcmp(v.s, "1000") == 0, "no lost update: counter %s", v.s);
	store_close(st);

	/* Read-only: lookups work, writes fail, a map grown meanwhile is adopted. */
	{
		struct store *ro;
		struct stat sb1, sb2;
		pid_t pid;
		int status;

		buf_reset(&path);
		buf_addf(&path, "%s/db", dir);
		stat(path.s, &sb1);
		T(store_open_ro(&ro, dir, 1 << 20, err, sizeof(err)) ==
		    STORE_OK, "read-only open");
		T(store_get(ro, DB_NYMS, "alice", &v) == STORE_OK &&
		    v.len == 3, "read-only lookup finds a key");
		T(store_get(ro, DB_ALIASES, "alice", &v) == STORE_NOTFOUND,
		    "read-only lookup misses a key");
		T(store_put(ro, DB_NYMS, "carol", "x", 1) == STORE_ERR,
		    "read-only store refuses writes");
		if ((pid = fork()) == 0) {
			if (store_open(&st, dir, 1 << 20, 0, err,
			    sizeof(err)) != STORE_OK)
				_exit(1);
			for (i = 0; i < 4; i++)
				if (store_write(st, big, NULL) < 0 ||
				    store_put(st, DB_NYMS, "dave", "y", 1) < 0)
					_exit(1);
			store_close(st);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		T(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "another process writes while a reader has it open");
		T(store_get(ro, DB_NYMS, "dave", &v) == STORE_OK,
		    "the reader sees the new key");
		store_close(ro);
		stat(path.s, &sb2);
		T(sb1.st_mtim.tv_sec == sb2.st_mtim.tv_sec &&
		    sb1.st_mtim.tv_nsec == sb2.st_mtim.tv_nsec,
		    "no file created or removed by the reader");
		buf_reset(&path);
		T(store_open_ro(&ro, "/nonexistent", 1 << 20, err,
		    sizeof(err)) == STORE_NOINIT, "read-only open of missing "
		    "state: %s", err);
	}

	/*
	 * 150 processes killed inside a read transaction (more than
	 * LMDB's 126 reader slots) while another process keeps the
	 * environment open: stale slots are reclaimed at open.
	 */
	{
		struct store *hold, *ro;
		pid_t pid;
		int killed = 0, status;

		T(store_open_ro(&hold, dir, 1 << 20, err, sizeof(err)) ==
		    STORE_OK, "open and hold the environment");
		for (i = 0; i < 150; i++) {
			if ((pid = fork()) == 0) {
				if (store_open_ro(&ro, dir, 1 << 20, err,
				    sizeof(err)) != STORE_OK)
					_exit(1);
				(void)store_read(ro, die_reading, NULL);
				_exit(2);
			}
			waitpid(pid, &status, 0);
			killed += WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGKILL;
		}
		T(killed == 150, "every reader died inside its transaction "
		    "(%d of 150)", killed);
		T(store_open_ro(&ro, dir, 1 << 20, err, sizeof(err)) ==
		    STORE_OK && store_get(ro, DB_NYMS, "alice", &v) ==
		    STORE_OK, "a new reader still gets a slot");
		store_close(ro);
		T(store_put(hold, DB_NYMS, "x", "1", 1) == STORE_ERR,
		    "(the held handle stays read-only)");
		store_close(hold);
	}

	buf_addf(&path, "rm -rf %s", dir);
	if (system(path.s) != 0)
		return 1;
	buf_free(&v);
	buf_free(&path);
	T_END();
}
