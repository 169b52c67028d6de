/* store.c - the state store's front: the configured backend, the calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "die.h"
#include "store.h"
#include "storebe.h"

const char *const store_db_names[DB_COUNT] = {
	"meta", "nyms", "replay", "confirm", "chunks", "aliases", "addrs",
	"blocks", "pending", "outbox",
};

static struct {
	int pg;			/* store = postgresql */
	char *conninfo;
	char *module;
} cf;

void
store_configure(const char *backend, const char *conninfo,
    const char *module)
{
	free(cf.conninfo);
	free(cf.module);
	cf.pg = backend != NULL && strcmp(backend, "postgresql") == 0;
	cf.conninfo = conninfo != NULL ? xstrdup(conninfo) : NULL;
	cf.module = module != NULL ? xstrdup(module) : NULL;
}

const char *
store_backend(void)
{
	return cf.pg ? "postgresql" : "lmdb";
}

void
store_set_map_max(size_t max)
{
	store_lmdb_set_map_max(max);
}

static const struct store_ops *
pg_ops(const char *module, char *err, size_t errlen)
{
	return store_module_load(module != NULL ? module :
	    LIBEXECDIR "/nymstore-pg.so", err, errlen);
}

static int
check_schema(struct store *st, char *err, size_t errlen)
{
	struct buf v = BUF_INIT;
	int rc = store_get(st, DB_META, "schema", &v);

	if (rc == STORE_NOTFOUND || rc == STORE_NOINIT) {
		snprintf(err, errlen, "state not initialised (run nymctl init)");
		rc = STORE_NOINIT;
	} else if (rc == STORE_OK && strcmp(v.s, STORE_SCHEMA) != 0) {
		snprintf(err, errlen, "state schema %.16s is not %s", v.s,
		    STORE_SCHEMA);
		rc = STORE_ERR;
	} else if (rc != STORE_OK) {
		snprintf(err, errlen, "cannot read schema record");
	}
	buf_free(&v);
	return rc;
}

static int
open_with(const struct store_ops *ops, struct store **out, const char *where,
    size_t mapsize, int create, int rdonly, char *err, size_t errlen)
{
	int rc;

	*out = NULL;
	if (ops == NULL)
		return STORE_ERR;
	if (where == NULL) {
		snprintf(err, errlen, "store_conninfo is not set");
		return STORE_ERR;
	}
	rc = ops->open(out, where, mapsize, create, rdonly, err, errlen);
	if (rc != STORE_OK)
		return rc;
	if ((rc = check_schema(*out, err, errlen)) != STORE_OK) {
		ops->close(*out);
		*out = NULL;
	}
	return rc;
}

static int
open_conf(struct store **out, const char *statedir, size_t mapsize,
    int create, int rdonly, char *err, size_t errlen)
{
	if (!cf.pg)
		return open_with(store_lmdb_ops(), out, statedir, mapsize,
		    create, rdonly, err, errlen);
	return open_with(pg_ops(cf.module, err, errlen), out, cf.conninfo,
	    mapsize, create, rdonly, err, errlen);
}

int
store_open(struct store **out, const char *statedir, size_t mapsize,
    int create, char *err, size_t errlen)
{
	return open_conf(out, statedir, mapsize, create, 0, err, errlen);
}

int
store_open_ro(struct store **out, const char *statedir, size_t mapsize,
    char *err, size_t errlen)
{
	return open_conf(out, statedir, mapsize, 0, 1, err, errlen);
}

int
store_open_spec(struct store **out, const char *spec, size_t mapsize,
    int create, int rdonly, char *err, size_t errlen)
{
	*out = NULL;
	if (strncmp(spec, "lmdb:", 5) == 0 && spec[5] == '/')
		return open_with(store_lmdb_ops(), out, spec + 5, mapsize,
		    create, rdonly, err, errlen);
	if (strncmp(spec, "postgresql:", 11) == 0 && spec[11] != '\0')
		return open_with(pg_ops(cf.module, err, errlen), out,
		    spec + 11, mapsize, create, rdonly, err, errlen);
	snprintf(err, errlen, "%.64s: expected lmdb:/STATEDIR or "
	    "postgresql:CONNINFO", spec);
	return STORE_ERR;
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

const char *
store_kind(const struct store *st)
{
	return st->ops->name;
}

int
store_write(struct store *st, store_fn fn, void *arg)
{
	return st->ops->write(st, fn, arg);
}

int
store_read(struct store *st, store_fn fn, void *arg)
{
	return st->ops->read(st, fn, arg);
}

int
txn_get(struct stxn *t, enum store_db db, const void *k, size_t kl,
    struct buf *out)
{
	const void *v = NULL;
	size_t vl = 0;
	int rc = t->ops->get(t, db, k, kl, &v, &vl);

	if (rc == STORE_OK && out != NULL)
		buf_set(out, v, vl);
	return rc;
}

int
txn_put(struct stxn *t, enum store_db db, const void *k, size_t kl,
    const void *v, size_t vl)
{
	return t->ops->put(t, db, k, kl, v, vl, 0);
}

int
txn_put_new(struct stxn *t, enum store_db db, const void *k, size_t kl,
    const void *v, size_t vl)
{
	return t->ops->put(t, db, k, kl, v, vl, 1);
}

int
txn_del(struct stxn *t, enum store_db db, const void *k, size_t kl)
{
	return t->ops->del(t, db, k, kl);
}

int
txn_iter(struct stxn *t, enum store_db db, const void *prefix, size_t plen,
    store_iter_fn cb, void *arg)
{
	return t->ops->iter(t, db, prefix, plen, cb, arg);
}

int
txn_count(struct stxn *t, enum store_db db, size_t *n)
{
	return t->ops->count(t, db, n);
}

struct keys_arg {
	const char *indent;
	size_t max, *n;
	struct buf *out;
};

static int
add_key(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct keys_arg *a = arg;

	(void)v;
	(void)vl;
	if (*a->n >= a->max)
		return 1;
	++*a->n;
	buf_adds(a->out, a->indent);
	buf_add(a->out, k, kl);
	buf_addc(a->out, '\n');
	return 0;
}

int
txn_keys(struct stxn *t, enum store_db db, const char *indent, size_t max,
    struct buf *out, size_t *n)
{
	struct keys_arg a = { indent, max, n, out };

	return txn_iter(t, db, NULL, 0, add_key, &a);
}

struct kv {
	enum store_db db;
	const char *key;
	const void *v;
	size_t vl;
	struct buf *out;
};

static int
get_fn(struct stxn *t, void *arg)
{
	struct kv *kv = arg;

	return txn_get(t, kv->db, kv->key, strlen(kv->key), kv->out);
}

static int
put_fn(struct stxn *t, void *arg)
{
	struct kv *kv = arg;

	return txn_put(t, kv->db, kv->key, strlen(kv->key), kv->v, kv->vl);
}

int
store_get(struct store *st, enum store_db db, const char *key, struct buf *out)
{
	struct kv kv = { db, key, NULL, 0, out };

	return store_read(st, get_fn, &kv);
}

int
store_put(struct store *st, enum store_db db, const char *key, const void *v,
    size_t vl)
{
	struct kv kv = { db, key, v, vl, NULL };

	return store_write(st, put_fn, &kv);
}

/* ---- copying every database: migrate, and backup of PostgreSQL ---- */

struct cp {
	struct store *from;
	struct stxn *to;	/* the target's write transaction */
	int replace;
	enum store_db db;
	size_t n;
	char *err;
	size_t errlen;
};

static int
cp_put(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct cp *c = arg;

	c->n++;
	return txn_put(c->to, c->db, k, kl, v, vl) == STORE_OK ? 0 : STORE_ERR;
}

/* The source's read transaction: every database into the target. */
static int
cp_read(struct stxn *t, void *arg)
{
	struct cp *c = arg;
	int rc;

	for (c->db = 0; c->db < DB_COUNT; c->db++)
		if ((rc = txn_iter(t, c->db, NULL, 0, cp_put, c)) < 0)
			return rc;
	return STORE_OK;
}

static int
cp_del(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct cp *c = arg;

	(void)v;
	(void)vl;
	return txn_del(c->to, c->db, k, kl) == STORE_OK ? 0 : STORE_ERR;
}

static int
only_schema(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct cp *c = arg;

	(void)v;
	(void)vl;
	if (c->db == DB_META && kl == 6 && memcmp(k, "schema", 6) == 0)
		return 0;
	c->n++;
	return 1;
}

/* The target's write transaction (re-run from the start on a retry). */
static int
cp_write(struct stxn *t, void *arg)
{
	struct cp *c = arg;
	int rc;

	c->to = t;
	c->n = 0;
	for (c->db = 0; c->db < DB_COUNT; c->db++) {
		rc = txn_iter(t, c->db, NULL, 0, c->replace ? cp_del :
		    only_schema, c);
		if (rc < 0)
			return rc;
		if (c->n > 0) {
			snprintf(c->err, c->errlen, "the target already holds "
			    "a state (%s is not empty)", store_db_names[c->db]);
			return STORE_EXISTS;
		}
	}
	return store_read(c->from, cp_read, c);
}

int
store_copy_all(struct store *from, struct store *to, int replace, char *err,
    size_t errlen)
{
	struct cp c = { from, NULL, replace, DB_META, 0, err, errlen };
	int rc;

	err[0] = '\0';
	rc = store_write(to, cp_write, &c);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "the copy failed (see the log)");
	return rc;
}

int
store_copy(struct store *st, const char *path)
{
	struct store *to;
	char err[256];
	int rc;

	if (st->ops->copy != NULL)
		return st->ops->copy(st, path);
	if (store_lmdb_open_env(&to, path, 64 << 20, err, sizeof(err)) !=
	    STORE_OK) {
		log_err("store copy: %s", err);
		return STORE_ERR;
	}
	/* The new environment holds its schema record only. */
	rc = store_copy_all(st, to, 0, err, sizeof(err));
	store_close(to);
	if (rc != STORE_OK) {
		log_err("store copy: %s", err);
		return STORE_ERR;
	}
	return STORE_OK;
}

int
store_scrub(const char *statedir, size_t mapsize, unsigned wait, char *err,
    size_t errlen)
{
	const struct store_ops *ops = cf.pg ? pg_ops(cf.module, err, errlen) :
	    store_lmdb_ops();

	if (ops == NULL)
		return STORE_ERR;
	if (cf.pg && cf.conninfo == NULL) {
		snprintf(err, errlen, "store_conninfo is not set");
		return STORE_ERR;
	}
	return ops->scrub(cf.pg ? cf.conninfo : statedir, mapsize, wait, err,
	    errlen);
}
