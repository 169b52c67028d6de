/* pubwrite.c - the owners' side of the public view: entries, list, keys. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "die.h"
#include "nym.h"
#include "pubview.h"
#include "pubwrite.h"
#include "store.h"
#include "util.h"
#include "wkd.h"

#define DIR_MODE 02750
#define FILE_MODE 0640
#define LIST_MAX 100000

/*
 * mkdir with DIR_MODE's permissions (whatever the umask) and the group
 * and set-group-ID bit of the parent, as the state directory's group
 * (nympub) must reach the view.  No chmod: one by the owner, who is not
 * in that group, would clear the set-group-ID bit the directory got
 * from its parent, and the view's files would get the owner's group.
 */
static int
make_view_dir(const char *path)
{
	mode_t old = umask(~DIR_MODE & 0777);
	int r = mkdir(path, DIR_MODE & 0777);

	umask(old);
	return r == 0 || errno == EEXIST ? 0 : -1;
}

/* The view's lock; also creates pubdir, n/ and the key when missing. */
static int
lock_view(const struct conf *c, int *fd)
{
	struct buf p = BUF_INIT, k = BUF_INIT;
	int kfd, rc = -1;

	*fd = -1;
	if (make_view_dir(c->pubdir) < 0)
		goto out;
	buf_addf(&p, "%s/n", c->pubdir);
	if (make_view_dir(p.s) < 0)
		goto out;
	buf_reset(&p);
	buf_addf(&p, "%s/.lock", c->pubdir);
	if ((*fd = open(p.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		goto out;
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR)
			goto out;
	buf_reset(&p);
	buf_addf(&p, "%s/key", c->pubdir);
	kfd = open(p.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FILE_MODE);
	if (kfd >= 0) {
		util_random_hex(&k, 32);
		buf_addc(&k, '\n');
		if (fchmod(kfd, FILE_MODE) < 0 ||
		    util_write_all(kfd, k.s, k.len) < 0 || fsync(kfd) < 0) {
			close(kfd);
			unlink(p.s);
			goto out;
		}
		close(kfd);
	} else if (errno != EEXIST) {
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		log_err("public view %s: %s", c->pubdir, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	buf_wipe(&k);
	buf_free(&p);
	return rc;
}

int
pubview_shred(const char *path)
{
	static const char zero[4096];
	struct stat sb;
	off_t off = 0;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		while (off < sb.st_size) {
			size_t n = (size_t)(sb.st_size - off) < sizeof(zero) ?
			    (size_t)(sb.st_size - off) : sizeof(zero);

			if (util_write_all(fd, zero, n) < 0)
				break;
			off += (off_t)n;
		}
		(void)fdatasync(fd);
	}
	close(fd);
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Write path unless it already holds exactly data; 1 written, 0, -1. */
static int
put_if_changed(const char *path, const struct buf *data)
{
	struct buf cur = BUF_INIT;
	int same = util_read_file(path, PUBVIEW_MAX_ENTRY + 1, &cur) == 0 &&
	    cur.len == data->len && memcmp(cur.s, data->s, data->len) == 0;

	buf_free(&cur);
	if (same)
		return 0;
	return util_write_file(path, data->s ? data->s : "", data->len,
	    FILE_MODE) < 0 ? -1 : 1;
}

/*
 * The entry text of a nym record (pubview.h).  A record that does not
 * decode (nymctl check names it) still holds its name: "unreadable".
 */
static int
nym_entry(const void *v, size_t vl, struct buf *out)
{
	struct nym y;

	buf_reset(out);
	if (nym_decode(v, vl, &y) < 0) {
		buf_sets(out, "unreadable\n");
		return 0;
	}
	if (y.state != NYM_ACTIVE) {
		buf_adds(out, "pending\n");
	} else {
		buf_adds(out, "nym\n");
		if (y.fullname != NULL)
			buf_adds(out, y.fullname);
		buf_addc(out, '\n');
		if ((y.flags & NF_FINGERKEY) && y.key.len > 0)
			buf_add(out, y.key.s, y.key.len);
	}
	nym_free(&y);
	return 0;
}

struct one {
	const struct conf *c;
	const char *name;
	struct buf entry;
	int found;
	struct buf wkd;		/* the Web Key Directory entry, if any */
	long wkd_exp;
	int has_wkd;
};

static int
one_fn(struct stxn *t, void *arg)
{
	struct one *o = arg;
	struct buf v = BUF_INIT;
	size_t n = strlen(o->name);
	int rc = txn_get(t, DB_NYMS, o->name, n, &v);

	o->found = o->has_wkd = 0;
	if (rc == STORE_OK) {
		rc = nym_entry(v.s, v.len, &o->entry) < 0 ? STORE_ERR : 0;
		o->found = rc == 0;
		if (o->c->wkd_dir != NULL)
			o->has_wkd = wkd_entry(o->c, o->name, v.s, v.len,
			    (long)util_now(), &o->wkd, &o->wkd_exp, NULL);
	} else if (rc == STORE_NOTFOUND) {
		/* An address (it has an '@', no name has) with an alias. */
		int addr = strchr(o->name, '@') != NULL;

		rc = txn_get(t, addr ? DB_ADDRS : DB_ALIASES, o->name, n, NULL);
		if (rc == STORE_OK) {
			buf_sets(&o->entry, addr ? "sender\n" : "alias\n");
			o->found = 1;
		}
		rc = rc < 0 ? rc : 0;
	}
	buf_wipe(&v);
	return rc;
}

struct names {
	struct buf list;
	size_t n;
};

static int
names_fn(struct stxn *t, void *arg)
{
	struct names *nm = arg;
	int rc;

	if ((rc = txn_keys(t, DB_NYMS, "", LIST_MAX, &nm->list, &nm->n)) < 0)
		return rc;
	return txn_keys(t, DB_ALIASES, "", LIST_MAX, &nm->list, &nm->n);
}

/* The list file: the names while list_enabled, else no file. */
static int
write_list(const struct conf *c, struct store *st, size_t *changed)
{
	struct names nm = { BUF_INIT, 0 };
	struct buf path = BUF_INIT;
	int rc;

	buf_addf(&path, "%s/%s", c->pubdir, PUBVIEW_LIST);
	if (!c->list_enabled) {
		struct stat sb;

		rc = 0;
		if (lstat(path.s, &sb) == 0) {
			rc = pubview_shred(path.s);
			++*changed;
		}
	} else if ((rc = store_read(st, names_fn, &nm)) >= 0) {
		if (nm.list.s == NULL)
			buf_sets(&nm.list, "");
		rc = put_if_changed(path.s, &nm.list);
		if (rc > 0)
			++*changed;
	}
	buf_free(&nm.list);
	buf_free(&path);
	return rc < 0 ? -1 : 0;
}

/* The name's Web Key Directory entry, as one_fn found it. */
static int
sync_wkd(const struct conf *c, const struct one *o, size_t *changed)
{
	if (c->wkd_dir == NULL)
		return 0;
	if (wkd_prepare(c) < 0 ||
	    wkd_put(c, o->name, o->has_wkd ? &o->wkd : NULL, changed) < 0)
		return -1;
	return o->has_wkd ? wkd_next_lower(c, o->wkd_exp) : 0;
}

/* Publish one name's state under the view's lock. */
static int
sync_one(const struct conf *c, struct store *st, struct pubview *pv,
    const char *name, size_t *changed)
{
	struct one o = { c, name, BUF_INIT, 0, BUF_INIT, 0, 0 };
	struct buf path = BUF_INIT;
	struct stat sb;
	int rc;

	if (store_read(st, one_fn, &o) < 0) {
		buf_free(&o.entry);
		buf_free(&o.wkd);
		return -1;
	}
	pubview_entry_path(pv, name, &path);
	if (o.found) {
		rc = put_if_changed(path.s, &o.entry);
		if (rc > 0)
			++*changed;
	} else {
		rc = 0;
		if (lstat(path.s, &sb) == 0) {
			rc = pubview_shred(path.s);
			++*changed;
		}
	}
	if (rc >= 0)
		rc = sync_wkd(c, &o, changed);
	buf_wipe(&o.entry);
	buf_free(&o.wkd);
	buf_free(&path);
	if (rc < 0)
		return -1;
	return write_list(c, st, changed);
}

int
pubview_sync(const struct conf *c, struct store *st, const char *name)
{
	struct pubview *pv = NULL;
	size_t changed = 0;
	int fd, rc = -1;

	if (lock_view(c, &fd) < 0)
		return -1;
	if (pubview_open(&pv, c->pubdir) == 0)
		rc = sync_one(c, st, pv, name, &changed);
	pubview_close(pv);
	close(fd);
	if (rc < 0)
		log_err("public view: cannot publish a change");
	return rc;
}

/* ---- the whole view ---- */

struct all {
	const struct conf *c;
	struct pubview *pv;
	char (*hash)[PUBVIEW_HASH_LEN + 1];
	size_t n, cap, changed;
	int failed;
	char (*wkd)[WKD_HASH_LEN + 1];	/* Web Key Directory entries */
	size_t nwkd, capwkd;
	long wkd_next;			/* their earliest expiry */
	long now;			/* keys expired by then leave */
};

static void
keep(struct all *a, const struct buf *path)
{
	const char *h = strrchr(path->s, '/') + 1;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->hash = xrealloc(a->hash, a->cap * sizeof(*a->hash));
	}
	memcpy(a->hash[a->n], h, PUBVIEW_HASH_LEN);
	a->hash[a->n++][PUBVIEW_HASH_LEN] = '\0';
}

/* Write one entry, remembering its hash; a failure is counted, not fatal. */
static void
put_entry(struct all *a, const void *k, size_t kl, const struct buf *entry)
{
	struct buf path = BUF_INIT;
	char name[512];
	int rc;

	if (kl >= sizeof(name))
		return;
	memcpy(name, k, kl);
	name[kl] = '\0';
	pubview_entry_path(a->pv, name, &path);
	keep(a, &path);
	rc = put_if_changed(path.s, entry);
	if (rc < 0)
		a->failed = 1;
	else if (rc > 0)
		a->changed++;
	buf_free(&path);
}

/* A nym's Web Key Directory entry, remembering its hash and expiry. */
static void
put_wkd(struct all *a, const void *k, size_t kl, const void *v, size_t vl)
{
	struct buf key = BUF_INIT;
	char name[512];
	long exp;

	if (kl >= sizeof(name))
		return;
	memcpy(name, k, kl);
	name[kl] = '\0';
	if (wkd_entry(a->c, name, v, vl, a->now, &key, &exp, NULL) != 1) {
		buf_free(&key);
		return;
	}
	if (a->nwkd == a->capwkd) {
		a->capwkd = a->capwkd ? 2 * a->capwkd : 64;
		a->wkd = xrealloc(a->wkd, a->capwkd * sizeof(*a->wkd));
	}
	wkd_hash(name, a->wkd[a->nwkd++]);
	if (wkd_put(a->c, name, &key, &a->changed) < 0)
		a->failed = 1;
	if (exp != 0 && (a->wkd_next == 0 || exp < a->wkd_next))
		a->wkd_next = exp;
	buf_free(&key);
}

static int
all_nym(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct all *a = arg;
	struct buf e = BUF_INIT;

	if (nym_entry(v, vl, &e) == 0)
		put_entry(a, k, kl, &e);
	else
		a->failed = 1;
	if (a->c->wkd_dir != NULL)
		put_wkd(a, k, kl, v, vl);
	buf_wipe(&e);
	return 0;
}

static int
all_alias(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct buf e = BUF_INIT;

	(void)v;
	(void)vl;
	buf_sets(&e, "alias\n");
	put_entry(arg, k, kl, &e);
	buf_free(&e);
	return 0;
}

static int
all_sender(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct buf e = BUF_INIT;

	(void)v;
	(void)vl;
	buf_sets(&e, "sender\n");
	put_entry(arg, k, kl, &e);
	buf_free(&e);
	return 0;
}

static int
all_fn(struct stxn *t, void *arg)
{
	struct all *a = arg;
	int rc;

	a->n = a->changed = a->nwkd = 0;
	a->failed = 0;
	a->wkd_next = 0;
	if ((rc = txn_iter(t, DB_NYMS, NULL, 0, all_nym, a)) < 0 ||
	    (rc = txn_iter(t, DB_ALIASES, NULL, 0, all_alias, a)) < 0)
		return rc;
	return txn_iter(t, DB_ADDRS, NULL, 0, all_sender, a);
}

static int
cmp_hash(const void *x, const void *y)
{
	return memcmp(x, y, PUBVIEW_HASH_LEN);
}

static int
cmp_wkd(const void *x, const void *y)
{
	return memcmp(x, y, WKD_HASH_LEN);
}

/* Remove every file of n/ that is no entry of a name in use. */
static int
remove_strays(const struct conf *c, struct all *a)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (a->n > 0)
		qsort(a->hash, a->n, sizeof(*a->hash), cmp_hash);
	buf_addf(&dir, "%s/n", c->pubdir);
	if ((d = opendir(dir.s)) == NULL) {
		buf_free(&dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (strlen(de->d_name) == PUBVIEW_HASH_LEN && a->n > 0 &&
		    bsearch(de->d_name, a->hash, a->n, sizeof(*a->hash),
		    cmp_hash) != NULL)
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir.s, de->d_name);
		if (pubview_shred(path.s) < 0)
			rc = -1;
		else
			a->changed++;
	}
	closedir(d);
	buf_free(&dir);
	buf_free(&path);
	return rc;
}

int
pubview_rebuild(const struct conf *c, struct store *st, size_t *changed)
{
	return pubview_rebuild_at(c, st, (long)util_now(), changed);
}

int
pubview_rebuild_at(const struct conf *c, struct store *st, long now,
    size_t *changed)
{
	struct all a;
	int fd, rc = -1;

	*changed = 0;
	memset(&a, 0, sizeof(a));
	a.c = c;
	a.now = now;
	if (lock_view(c, &fd) < 0)
		return -1;
	if (pubview_open(&a.pv, c->pubdir) < 0)
		goto out;
	if (c->wkd_dir != NULL && wkd_prepare(c) < 0)
		goto out;
	if (store_read(st, all_fn, &a) < 0 || a.failed ||
	    remove_strays(c, &a) < 0)
		goto out;
	if (c->wkd_dir != NULL) {
		if (a.nwkd > 0)
			qsort(a.wkd, a.nwkd, sizeof(*a.wkd), cmp_wkd);
		if (wkd_strays(c, a.wkd, a.nwkd, &a.changed) < 0 ||
		    wkd_next_set(c, a.wkd_next) < 0)
			goto out;
	}
	*changed = a.changed;
	rc = write_list(c, st, changed);
out:
	if (rc < 0)
		log_err("public view: cannot rebuild %s", c->pubdir);
	pubview_close(a.pv);
	free(a.hash);
	free(a.wkd);
	close(fd);
	return rc;
}

int
pubview_put(const struct conf *c, const char *file, const void *data,
    size_t len)
{
	struct buf path = BUF_INIT, d = BUF_INIT;
	int fd, rc = -1;

	if (lock_view(c, &fd) < 0)
		return -1;
	buf_addf(&path, "%s/%s", c->pubdir, file);
	buf_set(&d, data, len);
	rc = put_if_changed(path.s, &d) < 0 ? -1 : 0;
	close(fd);
	buf_free(&path);
	buf_free(&d);
	return rc;
}
