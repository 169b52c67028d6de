/*
 * wipe.c - deleted means gone from disk (SECURITY.md section 2): after a
 * delete, an idle wipe or nymctl wipe, nothing of the nym stays readable
 * under the state directory once the scrub has run.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "deliver.h"
#include "die.h"
#include "news.h"
#include "nym.h"
#include "pubwrite.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "wipe.h"

#define SCRUB_KEY "scrub"	/* DB_META: a scrub is due */

void
wipe_after(const struct conf *c, struct store *st, const char *name,
    int gone)
{
	if (pubview_sync(c, st, name) < 0)
		log_warn("public view not updated: nymctl check repairs it");
	if (gone && store_put(st, DB_META, SCRUB_KEY, "1", 1) != STORE_OK)
		log_warn("scrub not noted: the next nymctl expire scrubs");
}

/* ---- records hanging on names no longer in use ---- */

struct orphans {
	struct buf *k;
	size_t n;
	enum store_db db;
	struct stxn *t;
};

static void
add_key(struct orphans *o, const void *k, size_t kl)
{
	o->k = xrealloc(o->k, (o->n + 1) * sizeof(*o->k));
	buf_init(&o->k[o->n]);
	buf_set(&o->k[o->n++], k, kl);
}

static int
confirm_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct orphans *o = arg;
	struct nym_pending pd;

	if (nym_pending_decode(v, vl, &pd) < 0)
		return 0;
	if (txn_get(o->t, DB_NYMS, pd.name, strlen(pd.name), NULL) ==
	    STORE_NOTFOUND)
		add_key(o, k, kl);
	nym_pending_free(&pd);
	return 0;
}

static int
chunks_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct orphans *o = arg;

	(void)v;
	(void)vl;
	if (txn_get(o->t, DB_NYMS, k, kl, NULL) == STORE_NOTFOUND)
		add_key(o, k, kl);
	return 0;
}

static void
orphans_free(struct orphans *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		buf_free(&o->k[i]);
	free(o->k);
	o->k = NULL;
	o->n = 0;
}

/* One transaction: find and delete, so a concurrent create is seen. */
static int
orphans_fn(struct stxn *t, void *arg)
{
	struct orphans *o = arg;
	static const enum store_db dbs[] = { DB_CONFIRM, DB_CHUNKS };
	size_t i, d, total = 0;
	int rc;

	for (d = 0; d < 2; d++) {
		orphans_free(o);
		o->t = t;
		o->db = dbs[d];
		/* Collect first: no deletes under an open cursor. */
		if ((rc = txn_iter(t, dbs[d], NULL, 0, d == 0 ? confirm_cb :
		    chunks_cb, o)) < 0)
			return rc;
		for (i = 0; i < o->n; i++)
			if ((rc = txn_del(t, dbs[d], o->k[i].s, o->k[i].len)) <
			    0)
				return rc;
		total += o->n;
	}
	orphans_free(o);
	return (int)total;
}

/* ---- the remailer spool ---- */

struct tags {
	char (*t)[SPOOL_TAG_LEN + 1];
	size_t n;
};

static int
tag_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct tags *tg = arg;
	char name[512];

	(void)v;
	(void)vl;
	if (kl >= sizeof(name))
		return 0;
	memcpy(name, k, kl);
	name[kl] = '\0';
	tg->t = xrealloc(tg->t, (tg->n + 1) * sizeof(*tg->t));
	deliver_tag_of(name, tg->t[tg->n++]);
	return 0;
}

static int
tags_fn(struct stxn *t, void *arg)
{
	return txn_iter(t, DB_NYMS, NULL, 0, tag_cb, arg);
}

static int
cmp_tag(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Remove queued mail tagged for a nym that no longer exists.  The live
 * tags are read first: a nym created after that read cannot have mail
 * queued under a tag we then miss, since its name was free when a wiped
 * nym's mail was tagged... unless the name was reused, in which case the
 * mail stays until it leaves (its recipients are the old reply block's).
 */
static int
sweep_spool(const struct conf *c, struct store *st, size_t *n)
{
	struct tags tg = { NULL, 0 };
	struct buf p = BUF_INIT;
	struct dirent *de;
	char tag[SPOOL_TAG_LEN + 1];
	DIR *d;
	int rc = 0;

	if (store_read(st, tags_fn, &tg) < 0)
		return -1;
	if (tg.n > 0)
		qsort(tg.t, tg.n, sizeof(*tg.t), cmp_tag);
	if ((d = opendir(c->remail_spool)) == NULL) {
		free(tg.t);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", c->remail_spool, de->d_name);
		if (spool_tag(p.s, tag) != 1 || (tg.n > 0 && bsearch(tag,
		    tg.t, tg.n, sizeof(*tg.t), cmp_tag) != NULL))
			continue;
		if (pubview_shred(p.s) < 0)
			rc = -1;
		else
			++*n;
	}
	closedir(d);
	buf_free(&p);
	free(tg.t);
	return rc;
}

/* ---- the news spool ---- */

/*
 * The nym a queued article is From, in name (NULL if it is not a nym's:
 * the gateway's own From, or not our host).  send@ writes From as
 * "name[+ext]@host" or "Full Name <name[+ext]@host>".
 */
static int
article_nym(const struct conf *c, const char *art, size_t len, char *name,
    size_t namelen)
{
	const char *v, *e, *lt, *at;
	size_t vl, nl;

	if ((v = article_field(art, len, "From", &vl)) == NULL || vl == 0)
		return 0;
	e = v + vl;
	if (e[-1] == '>') {
		for (lt = e - 1; lt > v && lt[-1] != '<'; lt--)
			;
		if (lt == v)
			return 0;
		v = lt;
		e--;
	}
	if ((at = memchr(v, '@', (size_t)(e - v))) == NULL ||
	    (size_t)(e - at - 1) != strlen(c->hostname) ||
	    strncasecmp(at + 1, c->hostname, (size_t)(e - at - 1)) != 0)
		return 0;
	nl = strcspn(v, "+@");
	if (nl == 0 || nl >= namelen || v + nl > at)
		return 0;
	memcpy(name, v, nl);
	name[nl] = '\0';
	util_lower(name);
	return 1;
}

/*
 * Remove articles queued in news_spool/out From a nym that no longer
 * exists (send@ with Newsgroups while every peer was down): the nym's
 * address and its words would outlive the delete.  Pool articles name
 * no nym (that is their point) and are left to the next pool run.
 */
static int
sweep_news(const struct conf *c, struct store *st, size_t *n)
{
	struct buf dir = BUF_INIT, p = BUF_INIT, f = BUF_INIT, v = BUF_INIT;
	size_t ml = sizeof(NEWS_MAGIC) - 1;
	struct dirent *de;
	char name[256];
	DIR *d;
	int rc = 0, got;

	buf_addf(&dir, "%s/out", c->news_spool);
	if ((d = opendir(dir.s)) == NULL) {
		buf_free(&dir);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir.s, de->d_name);
		if (util_read_file(p.s, c->news_max_size + 65536, &f) < 0)
			continue;	/* posted meanwhile, or not ours */
		if (f.len < ml || memcmp(f.s, NEWS_MAGIC, ml) != 0 ||
		    !article_nym(c, f.s + ml, f.len - ml, name,
		    sizeof(name))) {
			buf_wipe(&f);
			continue;
		}
		buf_wipe(&f);
		buf_reset(&v);
		got = store_get(st, DB_NYMS, name, &v);
		buf_wipe(&v);
		if (got == STORE_OK)
			continue;
		if (got != STORE_NOTFOUND || pubview_shred(p.s) < 0)
			rc = -1;
		else
			++*n;
	}
	closedir(d);
	buf_free(&dir);
	buf_free(&p);
	buf_free(&f);
	buf_free(&v);
	return rc;
}

/*
 * Files under statedir/tmp (a nym's key for --recipient-file, throw-away
 * GnuPG homes with its key imported) outlive their process only when it
 * was killed; none can be in use after the run's time limit.
 */
static int
sweep_tmp(const struct conf *c, size_t *n)
{
	struct buf dir = BUF_INIT, p = BUF_INIT;
	struct dirent *de;
	struct stat sb;
	time_t old = time(NULL) - (time_t)(c->timeout ? c->timeout : 300) -
	    60;
	DIR *d;
	int rc = 0;

	buf_addf(&dir, "%s/tmp", c->statedir);
	if ((d = opendir(dir.s)) == NULL) {
		buf_free(&dir);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir.s, de->d_name);
		if (lstat(p.s, &sb) < 0 || sb.st_mtime > old)
			continue;
		if ((S_ISDIR(sb.st_mode) ? util_rm_rf(p.s) :
		    pubview_shred(p.s)) < 0)
			rc = -1;
		else
			++*n;
	}
	closedir(d);
	buf_free(&dir);
	buf_free(&p);
	return rc;
}

static int
del_mark_fn(struct stxn *t, void *arg)
{
	(void)arg;
	return txn_del(t, DB_META, SCRUB_KEY, strlen(SCRUB_KEY)) < 0 ?
	    STORE_ERR : 0;
}

int
wipe_scrub(const struct conf *c, int force, unsigned wait,
    struct wipe_counts *cnt)
{
	struct orphans o = { NULL, 0, DB_CONFIRM, NULL };
	struct store *st;
	struct buf v = BUF_INIT;
	char err[512];
	int rc, due;

	memset(cnt, 0, sizeof(*cnt));
	if (store_open(&st, c->statedir, c->map_size, 0, err,
	    sizeof(err)) != STORE_OK) {
		log_err("scrub: %s", err);
		return -1;
	}
	rc = store_get(st, DB_META, SCRUB_KEY, &v);
	buf_free(&v);
	due = rc == STORE_OK;
	if (rc < 0 || (!due && !force)) {
		store_close(st);
		return rc < 0 ? -1 : 0;
	}
	rc = store_write(st, orphans_fn, &o);
	if (rc >= 0)
		cnt->records = (size_t)rc;
	if (rc < 0 || sweep_spool(c, st, &cnt->spool) < 0 ||
	    sweep_news(c, st, &cnt->spool) < 0 ||
	    sweep_tmp(c, &cnt->tmp) < 0 ||
	    pubview_rebuild(c, st, &cnt->view) < 0) {
		store_close(st);
		return -1;
	}
	/* Cleared before the scrub, so the "1" itself is scrubbed too; a
	 * scrub that cannot run puts it back. */
	if (due && store_write(st, del_mark_fn, NULL) < 0) {
		store_close(st);
		return -1;
	}
	store_close(st);
	rc = store_scrub(c->statedir, c->map_size, wait, err, sizeof(err));
	if (rc == STORE_OK) {
		cnt->scrubbed = 1;
		return 0;
	}
	log_warn("scrub: %s", err);
	if (due && store_open(&st, c->statedir, c->map_size, 0, err,
	    sizeof(err)) == STORE_OK) {
		(void)store_put(st, DB_META, SCRUB_KEY, "1", 1);
		store_close(st);
	}
	return rc == STORE_BUSY ? 1 : -1;
}
