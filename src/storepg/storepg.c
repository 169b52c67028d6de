/*
 * storepg.c - the PostgreSQL backend, built as the module nymstore-pg.so:
 * the programs dlopen it only when nymserv.conf says store = postgresql,
 * so only they pay for libpq.  It links libpq and libc, nothing of ours:
 * the program hands it a logger (struct store_host).
 *
 * One table, kv(db smallint, k bytea, v bytea, PRIMARY KEY (db, k)); the
 * schema record is the row (DB_META, "schema") as in LMDB.  Every
 * statement is a PQexecParams with binary parameters and results (no
 * server-side prepared statement outlives a transaction, no session
 * state: it works through PgBouncer in transaction pooling).  A write is
 * one SERIALIZABLE transaction, re-run from the start after a
 * serialization failure or a deadlock (SQLSTATE 40001, 40P01); any other
 * error, a lost connection or a timeout is STORE_ERR (exit 75).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store.h"
#include "storebe.h"

#define MAX_TRIES 20
#define MAX_KEY 511
#define BATCH "256"
#define INT2OID 21
#define BYTEAOID 17

/* Bounded waits, set in every transaction (SET LOCAL: nothing stays on a
 * pooled server connection). */
#define TXN_LIMITS \
	"SET LOCAL lock_timeout = '5s'; " \
	"SET LOCAL statement_timeout = '30s'; " \
	"SET LOCAL idle_in_transaction_session_timeout = '60s'"

static const struct store_host *host;
static const struct store_ops pg_ops;

struct pstore {
	struct store base;
	PGconn *c;
	int rdonly;
};

struct ptxn {
	struct stxn base;
	struct pstore *st;
	PGresult *last;		/* the last get's value lives here */
	int failed;		/* a statement failed: the transaction is lost */
	int retry;		/* ... by a serialization failure or deadlock */
	int noinit;		/* ... because there is no table (run init) */
};

#define LOG(...) host->log_err(__VA_ARGS__)

/* Judge a result; NULL (and the txn marked failed) unless it is want. */
static PGresult *
judge(struct ptxn *t, PGresult *r, ExecStatusType want, const char *what)
{
	const char *state;

	if (r != NULL && PQresultStatus(r) == want)
		return r;
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && (strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0))
		t->retry = 1;
	else if (state != NULL && strcmp(state, "42P01") == 0)
		t->noinit = 1;
	else if (!t->failed) {	/* later ones only say "aborted" */
		/* The primary message only: a DETAIL may quote a key. */
		const char *m = r != NULL ? PQresultErrorField(r,
		    PG_DIAG_MESSAGE_PRIMARY) : NULL;

		LOG("postgresql %s: %s%s%.*s", what, state != NULL ? state :
		    "", state != NULL ? " " : "", m != NULL ? 200 :
		    (int)strcspn(PQerrorMessage(t->st->c), "\n"),
		    m != NULL ? m : PQerrorMessage(t->st->c));
	}
	t->failed = 1;
	PQclear(r);
	return NULL;
}

/* Run sql with a db number and up to three bytea parameters. */
static PGresult *
run(struct ptxn *t, const char *sql, enum store_db db, int n,
    const void *const *p, const size_t *len, ExecStatusType want,
    const char *what)
{
	const char *vals[4];
	int lens[4], fmts[4] = { 1, 1, 1, 1 };
	Oid types[4] = { INT2OID, BYTEAOID, BYTEAOID, BYTEAOID };
	uint16_t d = htons((uint16_t)db);
	int i;

	if (t->failed)		/* the server would say "aborted" */
		return NULL;
	vals[0] = (const char *)&d;
	lens[0] = 2;
	for (i = 0; i < n; i++) {
		vals[i + 1] = p[i] != NULL ? (const char *)p[i] : "";
		lens[i + 1] = (int)len[i];
	}
	return judge(t, PQexecParams(t->st->c, sql, n + 1, types, vals, lens,
	    fmts, 1), want, what);
}

static void
drop_last(struct ptxn *t)
{
	PQclear(t->last);
	t->last = NULL;
}

static int
pg_get(struct stxn *base, enum store_db db, const void *k, size_t kl,
    const void **v, size_t *vl)
{
	struct ptxn *t = (struct ptxn *)base;
	const void *p[1] = { k };
	size_t l[1] = { kl };
	PGresult *r;

	if (kl == 0 || kl > MAX_KEY)
		return STORE_NOTFOUND;
	drop_last(t);
	r = run(t, "SELECT v FROM kv WHERE db = $1 AND k = $2", db, 1, p, l,
	    PGRES_TUPLES_OK, "get");
	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	t->last = r;
	*v = PQgetvalue(r, 0, 0);
	*vl = (size_t)PQgetlength(r, 0, 0);
	return STORE_OK;
}

static int
pg_put(struct stxn *base, enum store_db db, const void *k, size_t kl,
    const void *v, size_t vl, int excl)
{
	struct ptxn *t = (struct ptxn *)base;
	const void *p[2] = { k, v };
	size_t l[2] = { kl, vl };
	PGresult *r;
	int rc;

	if (kl == 0 || kl > MAX_KEY) {
		LOG("postgresql put: bad key length %zu", kl);
		t->failed = 1;
		return STORE_ERR;
	}
	r = run(t, excl ?
	    "INSERT INTO kv (db, k, v) VALUES ($1, $2, $3) "
	    "ON CONFLICT (db, k) DO NOTHING" :
	    "INSERT INTO kv (db, k, v) VALUES ($1, $2, $3) "
	    "ON CONFLICT (db, k) DO UPDATE SET v = EXCLUDED.v",
	    db, 2, p, l, PGRES_COMMAND_OK, "put");
	if (r == NULL)
		return STORE_ERR;
	rc = excl && strcmp(PQcmdTuples(r), "0") == 0 ? STORE_EXISTS :
	    STORE_OK;
	PQclear(r);
	return rc;
}

static int
pg_del(struct stxn *base, enum store_db db, const void *k, size_t kl)
{
	struct ptxn *t = (struct ptxn *)base;
	const void *p[1] = { k };
	size_t l[1] = { kl };
	PGresult *r;
	int rc;

	if (kl == 0 || kl > MAX_KEY)
		return STORE_NOTFOUND;
	r = run(t, "DELETE FROM kv WHERE db = $1 AND k = $2", db, 1, p, l,
	    PGRES_COMMAND_OK, "del");
	if (r == NULL)
		return STORE_ERR;
	rc = strcmp(PQcmdTuples(r), "0") == 0 ? STORE_NOTFOUND : STORE_OK;
	PQclear(r);
	return rc;
}

/*
 * The least string above every string that starts with prefix: drop
 * trailing 0xff bytes and add one to the last.  0: there is none (the
 * prefix is empty or all 0xff).
 */
static size_t
successor(const unsigned char *prefix, size_t plen, unsigned char *out)
{
	while (plen > 0 && prefix[plen - 1] == 0xff)
		plen--;
	if (plen == 0)
		return 0;
	memcpy(out, prefix, plen);
	out[plen - 1]++;
	return plen;
}

/*
 * In key order (bytea compares like memcmp, as LMDB does), in batches:
 * each next batch starts after the last key seen, so cb may change the
 * database as it goes.
 */
static int
pg_iter(struct stxn *base, enum store_db db, const void *prefix, size_t plen,
    store_iter_fn cb, void *arg)
{
	static const char *const sql[2][2] = {
		{ "SELECT k, v FROM kv WHERE db = $1 AND k >= $2 "
		    "ORDER BY k LIMIT " BATCH,
		  "SELECT k, v FROM kv WHERE db = $1 AND k >= $2 AND k < $3 "
		    "ORDER BY k LIMIT " BATCH },
		{ "SELECT k, v FROM kv WHERE db = $1 AND k > $2 "
		    "ORDER BY k LIMIT " BATCH,
		  "SELECT k, v FROM kv WHERE db = $1 AND k > $2 AND k < $3 "
		    "ORDER BY k LIMIT " BATCH },
	};
	struct ptxn *t = (struct ptxn *)base;
	unsigned char from[MAX_KEY + 1], upto[MAX_KEY + 1];
	size_t fl, ul;
	int after = 0;

	if (plen > MAX_KEY)
		return STORE_OK;
	memcpy(from, prefix != NULL ? prefix : "", plen);
	fl = plen;
	ul = successor(from, plen, upto);
	for (;;) {
		const void *p[2] = { from, upto };
		size_t l[2] = { fl, ul };
		PGresult *r = run(t, sql[after][ul > 0], db, ul > 0 ? 2 : 1, p,
		    l, PGRES_TUPLES_OK, "iter");
		int i, n, rc = 0;

		if (r == NULL)
			return STORE_ERR;
		n = PQntuples(r);
		for (i = 0; i < n && rc == 0; i++)
			rc = cb(PQgetvalue(r, i, 0),
			    (size_t)PQgetlength(r, i, 0), PQgetvalue(r, i, 1),
			    (size_t)PQgetlength(r, i, 1), arg);
		if (rc == 0 && n > 0) {
			fl = (size_t)PQgetlength(r, n - 1, 0);
			if (fl > MAX_KEY)
				fl = MAX_KEY;	/* never stored so */
			memcpy(from, PQgetvalue(r, n - 1, 0), fl);
			after = 1;
		}
		PQclear(r);
		if (rc != 0)
			return rc < 0 ? rc : STORE_OK;
		if (n < atoi(BATCH))
			return STORE_OK;
	}
}

static int
pg_count(struct stxn *base, enum store_db db, size_t *n)
{
	struct ptxn *t = (struct ptxn *)base;
	PGresult *r = run(t, "SELECT count(*) FROM kv WHERE db = $1", db, 0,
	    NULL, NULL, PGRES_TUPLES_OK, "count");
	const unsigned char *p;
	uint64_t v = 0;
	int i;

	if (r == NULL)
		return STORE_ERR;
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 8) {
		PQclear(r);
		LOG("postgresql count: unexpected result");
		t->failed = 1;
		return STORE_ERR;
	}
	p = (const unsigned char *)PQgetvalue(r, 0, 0);
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	*n = (size_t)v;
	PQclear(r);
	return STORE_OK;
}

/* A statement without parameters (BEGIN, COMMIT, the limits). */
static int
simple(struct ptxn *t, const char *sql, const char *what)
{
	PGresult *r = PQexec(t->st->c, sql);

	if ((r = judge(t, r, PGRES_COMMAND_OK, what)) == NULL)
		return STORE_ERR;
	PQclear(r);
	return STORE_OK;
}

static void
rollback(struct pstore *st)
{
	PQclear(PQexec(st->c, "ROLLBACK"));
}

/* A short random pause before try n: up to 5 * n ms. */
static void
back_off(int n)
{
	static unsigned seed;
	struct timespec ts;

	if (seed == 0)
		seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(1 + rand_r(&seed) % (5 * n)) * 1000000L;
	nanosleep(&ts, NULL);
}

static int
txn_run(struct pstore *st, int write, store_fn fn, void *arg)
{
	int tries;

	for (tries = 1; tries <= MAX_TRIES; tries++) {
		struct ptxn t = { { &pg_ops }, st, NULL, 0, 0, 0 };
		int rc;

		if (simple(&t, write ? "BEGIN ISOLATION LEVEL SERIALIZABLE; "
		    TXN_LIMITS : "BEGIN ISOLATION LEVEL REPEATABLE READ READ "
		    "ONLY; " TXN_LIMITS, "begin") != STORE_OK) {
			rollback(st);
			return STORE_ERR;
		}
		rc = fn(&t.base, arg);
		drop_last(&t);
		if (rc < 0 && !t.failed) {	/* fn gave up */
			rollback(st);
			return rc;
		}
		if (rc >= 0 && !t.failed)
			(void)simple(&t, "COMMIT", "commit");
		if (!t.failed)
			return rc;
		rollback(st);
		if (t.noinit)
			return STORE_NOINIT;
		if (!t.retry || !write)
			return rc < 0 ? rc : STORE_ERR;
		if (PQstatus(st->c) != CONNECTION_OK)
			return STORE_ERR;
		back_off(tries);
	}
	LOG("postgresql: still conflicting after %d tries", MAX_TRIES);
	return STORE_ERR;
}

static int
pg_write(struct store *base, store_fn fn, void *arg)
{
	struct pstore *st = (struct pstore *)base;

	if (st->rdonly) {
		LOG("postgresql: write to a read-only store");
		return STORE_ERR;
	}
	return txn_run(st, 1, fn, arg);
}

static int
pg_read(struct store *base, store_fn fn, void *arg)
{
	return txn_run((struct pstore *)base, 0, fn, arg);
}

/* The server's notices ("already exists, skipping") are not errors. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A connect_timeout unless the conninfo names one (it wins: it comes
 * later in the arrays). */
static PGconn *
connect_db(const char *conninfo)
{
	const char *keys[] = { "connect_timeout", "application_name",
	    "dbname", NULL };
	const char *vals[] = { "5", "nymserv", conninfo, NULL };

	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (c != NULL)
		PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

static int
make_schema(struct pstore *st)
{
	struct ptxn t = { { &pg_ops }, st, NULL, 0, 0, 0 };
	const void *p[2] = { "schema", STORE_SCHEMA };
	size_t l[2] = { 6, strlen(STORE_SCHEMA) };
	PGresult *r;

	if (simple(&t, "BEGIN; " TXN_LIMITS, "begin") != STORE_OK ||
	    simple(&t, "CREATE TABLE IF NOT EXISTS kv (db smallint NOT NULL, "
	    "k bytea NOT NULL, v bytea NOT NULL, PRIMARY KEY (db, k))",
	    "create") != STORE_OK ||
	    (r = run(&t, "INSERT INTO kv (db, k, v) VALUES ($1, $2, $3) "
	    "ON CONFLICT (db, k) DO NOTHING", DB_META, 2, p, l,
	    PGRES_COMMAND_OK, "schema")) == NULL) {
		rollback(st);
		return STORE_ERR;
	}
	PQclear(r);
	return simple(&t, "COMMIT", "commit");
}

static int
pg_open(struct store **out, const char *conninfo, size_t mapsize, int create,
    int rdonly, char *err, size_t errlen)
{
	struct pstore *st;

	(void)mapsize;
	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return STORE_ERR;
	}
	st->base.ops = &pg_ops;
	st->rdonly = rdonly;
	st->c = connect_db(conninfo);
	if (st->c == NULL || PQstatus(st->c) != CONNECTION_OK) {
		/* libpq's message names host and database, not the password */
		snprintf(err, errlen, "postgresql: %s", st->c != NULL ?
		    PQerrorMessage(st->c) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(st->c);
		free(st);
		return STORE_ERR;
	}
	if (create && !rdonly && make_schema(st) != STORE_OK) {
		snprintf(err, errlen, "postgresql: cannot create the schema "
		    "(see the log)");
		PQfinish(st->c);
		free(st);
		return STORE_ERR;
	}
	*out = &st->base;
	return STORE_OK;
}

static void
pg_close(struct store *base)
{
	struct pstore *st = (struct pstore *)base;

	if (st == NULL)
		return;
	PQfinish(st->c);
	free(st);
}

/*
 * VACUUM (FULL): a new copy of the table without the dead rows; the old
 * files are unlinked (not overwritten: the file system, the WAL and any
 * standby may keep the bytes until they are reused).  It waits at most
 * wait seconds for the lock (STORE_BUSY).
 */
static int
pg_scrub(const char *conninfo, size_t mapsize, unsigned wait, char *err,
    size_t errlen)
{
	struct pstore st = { { &pg_ops }, NULL, 0 };
	struct ptxn t = { { &pg_ops }, &st, NULL, 0, 0, 0 };
	char ms[32];
	const char *vals[1] = { ms };
	PGresult *r;
	int rc = STORE_ERR;

	(void)mapsize;
	st.c = connect_db(conninfo);
	if (PQstatus(st.c) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s", PQerrorMessage(st.c));
		err[strcspn(err, "\n")] = '\0';
		PQfinish(st.c);
		return STORE_ERR;
	}
	snprintf(ms, sizeof(ms), "%u", wait > 0 ? wait * 1000 : 1);
	r = PQexecParams(st.c, "SELECT set_config('lock_timeout', $1, false)",
	    1, NULL, vals, NULL, NULL, 0);
	if ((r = judge(&t, r, PGRES_TUPLES_OK, "scrub")) != NULL) {
		PQclear(r);
		r = PQexec(st.c, "VACUUM (FULL) kv");
		if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK)
			rc = STORE_OK;
		else if (r != NULL && PQresultErrorField(r, PG_DIAG_SQLSTATE)
		    != NULL && strcmp(PQresultErrorField(r,
		    PG_DIAG_SQLSTATE), "55P03") == 0)
			rc = STORE_BUSY;
		if (rc == STORE_BUSY)
			snprintf(err, errlen, "the state stayed in use for "
			    "%u s: scrub not done", wait);
		else if (rc != STORE_OK)
			snprintf(err, errlen, "postgresql vacuum: %s",
			    r != NULL && PQresultErrorField(r,
			    PG_DIAG_MESSAGE_PRIMARY) != NULL ?
			    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
			    PQerrorMessage(st.c));
		err[strcspn(err, "\n")] = '\0';
		PQclear(r);
		/* Through PgBouncer this session setting could reach
		 * another client: take it back. */
		PQclear(PQexec(st.c, "RESET lock_timeout"));
	} else {
		snprintf(err, errlen, "postgresql: cannot set lock_timeout");
	}
	PQfinish(st.c);
	return rc;
}

static const struct store_ops pg_ops = {
	STORE_OPS_ABI, "postgresql", pg_open, pg_close, pg_write, pg_read,
	pg_get, pg_put, pg_del, pg_iter, pg_count, NULL, pg_scrub,
};

const struct store_ops *nymstore_ops(const struct store_host *);

__attribute__((visibility("default"))) const struct store_ops *
nymstore_ops(const struct store_host *h)
{
	if (h == NULL || h->abi != STORE_OPS_ABI)
		return NULL;
	host = h;
	return &pg_ops;
}
