/* accountdb.c - nym records in the store: lookup, update, comparison, removal. */
#include <string.h>
#include <strings.h>

#include "account.h"
#include "buf.h"
#include "confirm.h"
#include "die.h"
#include "names.h"
#include "nym.h"
#include "replay.h"
#include "store.h"

/* ---- lookups ---- */

struct getarg {
	const char *name;
	struct buf v;
};

static int
get_fn(struct stxn *t, void *arg)
{
	struct getarg *g = arg;

	return txn_get(t, DB_NYMS, g->name, strlen(g->name), &g->v);
}

int
account_get(struct store *st, const char *name, struct nym *out)
{
	struct getarg g = { name, BUF_INIT };
	int rc = store_read(st, get_fn, &g);

	if (rc == STORE_OK && nym_decode(g.v.s, g.v.len, out) < 0) {
		log_err("corrupt nym record");
		rc = STORE_ERR;
	}
	buf_free(&g.v);
	return rc;
}

int
account_name_taken(struct stxn *t, const char *name)
{
	size_t n = strlen(name);

	if (!names_valid(name) || names_reserved(name))
		return 1;
	return txn_get(t, DB_NYMS, name, n, NULL) == STORE_OK ||
	    txn_get(t, DB_ALIASES, name, n, NULL) == STORE_OK;
}

/* ---- changes to a stored nym ---- */

int
account_update(struct stxn *t, const char *name,
    void (*edit)(struct nym *, void *), void *arg)
{
	struct buf v = BUF_INIT;
	struct nym y;
	int rc = txn_get(t, DB_NYMS, name, strlen(name), &v);

	if (rc != STORE_OK)
		goto out;
	if (nym_decode(v.s, v.len, &y) < 0) {
		log_err("corrupt nym record");
		rc = STORE_ERR;
		goto out;
	}
	edit(&y, arg);
	nym_encode(&y, &v);
	nym_free(&y);
	rc = txn_put(t, DB_NYMS, name, strlen(name), v.s, v.len);
out:
	buf_wipe(&v);
	return rc;
}

int
account_same(const struct nym *a, const struct nym *b)
{
	return a->fpr != NULL && b->fpr != NULL &&
	    strcasecmp(a->fpr, b->fpr) == 0 && a->created == b->created &&
	    strcmp(a->gen != NULL ? a->gen : "", b->gen != NULL ? b->gen :
	    "") == 0;
}

int
account_forget(struct stxn *t, const char *name)
{
	size_t n = strlen(name);
	int rc = txn_del(t, DB_NYMS, name, n);

	if (rc != STORE_OK)
		return rc;
	if ((rc = txn_del(t, DB_CHUNKS, name, n)) < 0 ||
	    (rc = confirm_forget(t, name)) < 0 ||
	    (rc = outbox_forget(t, name)) < 0)
		return rc;
	return STORE_OK;
}
