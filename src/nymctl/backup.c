/* backup.c - nymctl backup/restore: a tar archive (libarchive), encrypted to the operator. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "buf.h"
#include "conf.h"
#include "die.h"
#include "gpg.h"
#include "store.h"
#include "ctlstore.h"
#include "util.h"

#define MANIFEST_MAX 4096
#define TREE_DEPTH_MAX 4
#define TREE_ENTRIES_MAX 100000
#define NAME_MAX_LEN 255

struct bk {
	struct archive *a;
	char *err;
	size_t errlen;
	size_t entries;
};

static int __attribute__((format(printf, 2, 3)))
terr(struct bk *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, t->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- writing ---- */

/* One entry header: a regular file of size bytes, or a directory. */
static int
put_header(struct bk *t, const char *name, int dir, long long size,
    time_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (e == NULL)
		return terr(t, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0700 : 0600);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, mtime, 0);
	r = archive_write_header(t->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return terr(t, "%s: %s", name, archive_error_string(t->a));
	return 0;
}

static int
put_data(struct bk *t, const char *name, const void *p, size_t n)
{
	if (put_header(t, name, 0, (long long)n, time(NULL)) < 0)
		return -1;
	if (archive_write_data(t->a, p, n) != (la_ssize_t)n)
		return terr(t, "%s: %s", name, archive_error_string(t->a));
	return 0;
}

/* A regular file, exactly as big as it was when opened. */
static int
put_file(struct bk *t, const char *path, const char *name)
{
	struct stat sb;
	char tmp[65536];
	long long left;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return terr(t, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return terr(t, "%s: not a regular file", path);
	}
	if (put_header(t, name, 0, (long long)sb.st_size, sb.st_mtime) < 0) {
		close(fd);
		return -1;
	}
	for (left = (long long)sb.st_size; left > 0;) {
		size_t want = left < (long long)sizeof(tmp) ? (size_t)left :
		    sizeof(tmp);
		ssize_t r = read(fd, tmp, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return terr(t, "%s: %s", path, r < 0 ? strerror(errno) :
			    "changed while being archived");
		}
		if (archive_write_data(t->a, tmp, (size_t)r) != r) {
			close(fd);
			return terr(t, "%s: %s", name,
			    archive_error_string(t->a));
		}
		left -= r;
	}
	close(fd);
	return 0;
}

/* GnuPG's sockets, lock files and temporaries are not state. */
static int
skip_name(const char *n)
{
	size_t len = strlen(n);

	return strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
	    strncmp(n, "S.", 2) == 0 || strncmp(n, ".#lk", 4) == 0 ||
	    (len > 5 && strcmp(n + len - 5, ".lock") == 0) ||
	    strstr(n, ".tmp") != NULL;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's names, sorted, without what skip_name leaves out. */
static int
list_dir(struct bk *t, const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return terr(t, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (skip_name(e->d_name))
			continue;
		if (++t->entries > TREE_ENTRIES_MAX) {
			closedir(d);
			return terr(t, "%s: too many files", dir);
		}
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return 0;
}

/* A directory tree, entries sorted, regular files and directories only. */
static int
put_tree(struct bk *t, const char *dir, const char *name, int depth)
{
	char **names;
	size_t n = 0, i;
	struct buf path = BUF_INIT, an = BUF_INIT;
	int rc;

	if (depth > TREE_DEPTH_MAX)
		return terr(t, "%s: nested too deep", dir);
	if (put_header(t, name, 1, 0, time(NULL)) < 0)
		return -1;
	rc = list_dir(t, dir, &names, &n);
	for (i = 0; i < n && rc == 0; i++) {
		struct stat sb;

		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, names[i]);
		buf_reset(&an);
		buf_addf(&an, "%s/%s", name, names[i]);
		if (lstat(path.s, &sb) < 0)
			continue;	/* gone meanwhile (a temporary) */
		if (S_ISDIR(sb.st_mode))
			rc = put_tree(t, path.s, an.s, depth + 1);
		else if (S_ISREG(sb.st_mode))
			rc = put_file(t, path.s, an.s);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&path);
	buf_free(&an);
	return rc;
}

/* The archive itself, into fd: manifest, LMDB copy, GnuPG home. */
static int
write_tar(const struct conf *c, const char *dbcopy, int fd, struct bk *t)
{
	struct buf man = BUF_INIT;
	int rc = -1;

	if ((t->a = archive_write_new()) == NULL)
		return terr(t, "out of memory");
	/* ustar, with pax headers only where ustar cannot say it. */
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(t->a, fd) != ARCHIVE_OK) {
		terr(t, "archive: %s", archive_error_string(t->a));
		goto out;
	}
	buf_addf(&man, "nymserv backup\nschema %s\nhostname %s\ncreated %ld\n",
	    STORE_SCHEMA, c->hostname, (long)time(NULL));
	if (put_data(t, BACKUP_MANIFEST, man.s, man.len) < 0 ||
	    put_header(t, "db", 1, 0, time(NULL)) < 0 ||
	    put_file(t, dbcopy, "db/data.mdb") < 0 ||
	    put_tree(t, c->gnupghome, "gnupg", 0) < 0)
		goto out;
	if (archive_write_close(t->a) != ARCHIVE_OK) {
		terr(t, "archive: %s", archive_error_string(t->a));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(t->a);
	t->a = NULL;
	buf_free(&man);
	return rc;
}

/*
 * Where the archive goes: path itself, or for a directory a dated name
 * in it.  Backups are made in the target's own directory, as the state's
 * owner, so that directory must be the owner's (the package's
 * /var/backups/nymserv).
 */
static void
target_name(const char *path, int plain, struct buf *out)
{
	struct stat sb;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	buf_reset(out);
	if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		buf_adds(out, path);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	buf_addf(out, "%s/%s%s%s", path, BACKUP_PREFIX, stamp,
	    plain ? ".tar" : ".tar.gpg");
}

/* In a backup directory, keep the newest `keep` of our backups. */
static void
prune(const char *dir, unsigned keep)
{
	struct bk t = { NULL, NULL, 0, 0 };
	char e[256], **names;
	size_t n = 0, i, ours = 0;
	struct buf p = BUF_INIT;

	t.err = e;
	t.errlen = sizeof(e);
	if (list_dir(&t, dir, &names, &n) < 0)
		return;
	for (i = 0; i < n; i++)
		if (strncmp(names[i], BACKUP_PREFIX, strlen(BACKUP_PREFIX)) == 0)
			names[ours++] = names[i];
		else
			free(names[i]);
	/* Dated names sort by date: the oldest come first. */
	for (i = 0; i < ours; i++) {
		if (ours - i > keep) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s", dir, names[i]);
			if (unlink(p.s) < 0)
				log_warn("backup: cannot remove an old "
				    "backup: %s", strerror(errno));
		}
		free(names[i]);
	}
	free(names);
	buf_free(&p);
}

int
backup_write(const struct conf *c, struct store *st, const char *path,
    int plain, struct buf *written, char *err, size_t errlen)
{
	struct bk t = { NULL, err, errlen, 0 };
	struct buf tmpdir = BUF_INIT, outtmp = BUF_INIT, p = BUF_INIT,
	    tar = BUF_INIT, dest = BUF_INIT;
	int rc = -1, fd = -1, tfd = -1, to_stdout = strcmp(path, "-") == 0;
	struct stat sb;

	if (!plain && c->backup_key == NULL)
		return terr(&t, "no backup_key in %s: the archive holds the "
		    "server's secret keys and every reply block, so it is "
		    "encrypted to an operator's public key (nymctl(8)); -p "
		    "writes it in clear", c->path);
	if (!plain && stat(c->backup_key, &sb) < 0)
		return terr(&t, "backup_key %s: %s", c->backup_key,
		    strerror(errno));
	buf_addf(&tmpdir, "%s/tmp", c->statedir);
	if (mkdir(tmpdir.s, 0700) < 0 && errno != EEXIST) {
		terr(&t, "%s: %s", tmpdir.s, strerror(errno));
		goto out;
	}
	buf_adds(&tmpdir, "/backup.XXXXXX");
	if (mkdtemp(tmpdir.s) == NULL) {
		terr(&t, "mkdtemp: %s", strerror(errno));
		buf_reset(&tmpdir);
		goto out;
	}
	if (store_copy(st, tmpdir.s) != STORE_OK) {
		terr(&t, "cannot copy the LMDB environment (see the log)");
		goto out;
	}
	target_name(path, plain, &dest);
	if (to_stdout) {
		fd = 1;
	} else {
		buf_addf(&outtmp, "%s.tmp%ld", dest.s, (long)getpid());
		fd = open(outtmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd < 0) {
			terr(&t, "%s: %s%s", outtmp.s, strerror(errno),
			    errno == EACCES ? " (the backup directory must "
			    "be writable by the state's owner)" : "");
			buf_reset(&outtmp);
			goto out;
		}
	}
	buf_addf(&p, "%s/data.mdb", tmpdir.s);
	if (plain) {
		if (write_tar(c, p.s, fd, &t) < 0)
			goto out;
	} else {
		/* The clear archive exists only inside the 0700 state. */
		buf_addf(&tar, "%s/archive.tar", tmpdir.s);
		tfd = open(tar.s, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (tfd < 0 || write_tar(c, p.s, tfd, &t) < 0 ||
		    lseek(tfd, 0, SEEK_SET) < 0) {
			if (t.err[0] == '\0' || tfd < 0)
				terr(&t, "%s: %s", tar.s, strerror(errno));
			goto out;
		}
		if (gpg_encrypt_fd(c->gnupghome, c->backup_key, tfd, fd) < 0) {
			terr(&t, "cannot encrypt to backup_key %s (see the "
			    "log)", c->backup_key);
			goto out;
		}
	}
	if (!to_stdout) {
		if (fsync(fd) < 0 || close(fd) < 0) {
			fd = -1;
			terr(&t, "%s: %s", outtmp.s, strerror(errno));
			goto out;
		}
		fd = -1;
		if (rename(outtmp.s, dest.s) < 0) {
			terr(&t, "%s: %s", dest.s, strerror(errno));
			goto out;
		}
		buf_reset(&outtmp);
		if (strcmp(dest.s, path) != 0)
			prune(path, c->backup_keep);
	}
	rc = 0;
out:
	if (fd >= 0 && !to_stdout)
		close(fd);
	if (tfd >= 0)
		close(tfd);
	if (outtmp.len > 0)
		unlink(outtmp.s);
	if (tmpdir.len > 0)
		util_rm_rf(tmpdir.s);
	buf_free(&tmpdir);
	buf_free(&outtmp);
	buf_free(&p);
	buf_free(&tar);
	if (rc == 0 && !to_stdout)
		buf_sets(written, dest.s);
	buf_free(&dest);
	return rc;
}

/* ---- reading ---- */

enum entry { E_BAD, E_MANIFEST, E_DBDIR, E_DB, E_GNUPG };

/* One name component GnuPG could have made: [A-Za-z0-9._~+-], not . or .. */
static int
good_component(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr("._~+-", s[i]) != NULL) || s[i] == '\0')
			return 0;
	return 1;
}

/*
 * Which entry is this?  Only the names backup_write makes are accepted:
 * relative, no empty, "." or ".." components, under our three roots.
 * libarchive parses the format; which names we write to is our decision.
 */
static enum entry
classify(const char *name, int dir)
{
	const char *p;
	int depth = 0;

	if (!dir && strcmp(name, BACKUP_MANIFEST) == 0)
		return E_MANIFEST;
	if (dir && strcmp(name, "db") == 0)
		return E_DBDIR;
	if (!dir && strcmp(name, "db/data.mdb") == 0)
		return E_DB;
	if (strcmp(name, "gnupg") == 0)
		return dir ? E_GNUPG : E_BAD;
	if (strncmp(name, "gnupg/", 6) != 0)
		return E_BAD;
	for (p = name + 6;;) {
		const char *s = strchr(p, '/');
		size_t n = s ? (size_t)(s - p) : strlen(p);

		if (!good_component(p, n) || ++depth > TREE_DEPTH_MAX)
			return E_BAD;
		if (s == NULL)
			return E_GNUPG;
		p = s + 1;
	}
}

/* Input for libarchive: the bytes already read to sniff, then the fd. */
struct src {
	int fd;
	unsigned char head[512], buf[65536];
	size_t headlen;
	int head_given;
};

static la_ssize_t
src_read(struct archive *a, void *arg, const void **out)
{
	struct src *s = arg;
	ssize_t r;

	if (!s->head_given && s->headlen > 0) {
		s->head_given = 1;
		*out = s->head;
		return (la_ssize_t)s->headlen;
	}
	do
		r = read(s->fd, s->buf, sizeof(s->buf));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		archive_set_error(a, errno, "read: %s", strerror(errno));
	*out = s->buf;
	return r;
}

/* Does the input start like OpenPGP (armor, or a binary packet)? */
static int
looks_openpgp(const struct src *s)
{
	return (s->headlen >= 10 && memcmp(s->head, "-----BEGIN", 10) == 0) ||
	    (s->headlen > 0 && (s->head[0] & 0x80) != 0);
}

/* Copy the entry's data to fd (or into keep, at most cap bytes). */
static int
copy_body(struct bk *t, int fd, struct buf *keep, size_t cap)
{
	char tmp[65536];
	la_ssize_t r;

	while ((r = archive_read_data(t->a, tmp, sizeof(tmp))) > 0) {
		if (fd >= 0 && util_write_all(fd, tmp, (size_t)r) < 0)
			return terr(t, "write: %s", strerror(errno));
		if (keep != NULL) {
			if (keep->len + (size_t)r > cap)
				return terr(t, "the manifest is too big");
			buf_add(keep, tmp, (size_t)r);
		}
	}
	if (r < 0)
		return terr(t, "the archive is damaged: %s",
		    archive_error_string(t->a));
	return 0;
}

/* One entry into dir (the manifest into man).  0 or -1. */
static int
extract_one(struct bk *t, struct archive_entry *e, const char *dir,
    struct buf *man, int *have, int first)
{
	char name[NAME_MAX_LEN * (TREE_DEPTH_MAX + 2)];
	const char *pn = archive_entry_pathname(e);
	mode_t type = archive_entry_filetype(e);
	struct buf path = BUF_INIT;
	int isdir = type == AE_IFDIR, fd, rc = -1;
	size_t n;
	enum entry k;

	if (pn == NULL || (n = strlen(pn)) == 0 || n >= sizeof(name))
		return terr(t, "an entry without a usable name");
	memcpy(name, pn, n + 1);
	if (isdir && name[n - 1] == '/')
		name[--n] = '\0';
	if ((type != AE_IFREG && !isdir) ||
	    archive_entry_hardlink(e) != NULL ||
	    archive_entry_symlink(e) != NULL)
		return terr(t, "%.100s: not a file or directory", name);
	k = classify(name, isdir);
	if (k == E_BAD || (first && k != E_MANIFEST) ||
	    (isdir && archive_entry_size(e) > 0))
		return terr(t, "%.100s: unexpected in a nymserv backup", name);
	if (k == E_MANIFEST) {
		buf_reset(man);
		return copy_body(t, -1, man, MANIFEST_MAX);
	}
	buf_addf(&path, "%s/%s", dir, name);
	if (isdir) {
		if (mkdir(path.s, 0700) < 0)
			terr(t, "%s: %s", name, strerror(errno));
		else
			rc = 0;
		*have |= k == E_GNUPG && strcmp(name, "gnupg") == 0 ? 2 : 0;
		goto out;
	}
	/* O_EXCL: a name twice, or through a link, is refused. */
	fd = open(path.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		terr(t, "%s: %s", name, strerror(errno));
		goto out;
	}
	if (copy_body(t, fd, NULL, 0) < 0) {
		close(fd);
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		terr(t, "%s: %s", name, strerror(errno));
		goto out;
	}
	*have |= k == E_DB ? 1 : 0;
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

/* Extract the archive on fd into dir.  0 or -1. */
static int
extract(struct bk *t, int fd, const char *dir, struct buf *man, int *have)
{
	struct src *s = xcalloc(1, sizeof(*s));
	struct archive_entry *e;
	ssize_t r;
	int rc = -1, first = 1, ar;

	s->fd = fd;
	do
		r = read(fd, s->head, sizeof(s->head));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		terr(t, "read: %s", strerror(errno));
		goto out;
	}
	s->headlen = (size_t)r;
	if (looks_openpgp(s)) {
		terr(t, "the backup is encrypted: decrypt it with the "
		    "operator's key and restore from the pipe (gpg -d FILE | "
		    "nymctl restore -)");
		goto out;
	}
	if ((t->a = archive_read_new()) == NULL ||
	    archive_read_support_format_tar(t->a) != ARCHIVE_OK ||
	    archive_read_open(t->a, s, NULL, src_read, NULL) != ARCHIVE_OK) {
		terr(t, "not a nymserv backup: %s", t->a ?
		    archive_error_string(t->a) : "out of memory");
		goto out;
	}
	while ((ar = archive_read_next_header(t->a, &e)) == ARCHIVE_OK) {
		if (++t->entries > TREE_ENTRIES_MAX) {
			terr(t, "too many entries");
			goto out;
		}
		if (extract_one(t, e, dir, man, have, first) < 0)
			goto out;
		first = 0;
	}
	if (ar != ARCHIVE_EOF) {
		terr(t, "not a nymserv backup, or damaged: %s",
		    archive_error_string(t->a));
		goto out;
	}
	rc = 0;
out:
	if (t->a != NULL)
		archive_read_free(t->a);
	t->a = NULL;
	free(s);
	return rc;
}

/* The value of "key value" in the manifest, or NULL. */
static char *
manifest_get(const struct buf *man, const char *key)
{
	const char *p = man->s, *end = man->s + man->len;
	size_t kl = strlen(key);

	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return xstrndup(p + kl + 1, n - kl - 1);
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Is there state already?  A database file, or anything in the GnuPG home. */
static int
state_present(const struct conf *c)
{
	struct buf p = BUF_INIT;
	struct stat sb;
	DIR *d;
	struct dirent *e;
	int present;

	buf_addf(&p, "%s/db/data.mdb", c->statedir);
	present = stat(p.s, &sb) == 0;
	buf_free(&p);
	if (!present && (d = opendir(c->gnupghome)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				present = 1;
		closedir(d);
	}
	return present;
}

/* Open the extracted environment: schema and server key records. */
static int
verify_db(const struct conf *c, const char *dir, struct bk *t)
{
	struct store *st;
	struct buf v = BUF_INIT;
	char e[256];
	int rc;

	buf_addf(&v, "lmdb:%s", dir);	/* an archive holds LMDB */
	rc = store_open_spec(&st, v.s, c->map_size, 0, 1, e, sizeof(e));
	buf_reset(&v);
	if (rc != STORE_OK)
		return terr(t, "the archived state does not open: %s", e);
	rc = store_get(st, DB_META, "serverkey", &v) == STORE_OK &&
	    store_get(st, DB_META, "remailerkey", &v) == STORE_OK ? 0 : -1;
	store_close(st);
	buf_free(&v);
	if (rc < 0)
		return terr(t, "the archived state names no server keys");
	return 0;
}

/* Move one path aside into old (if it exists), then new into place. */
static int
swap_in(const char *live, const char *fresh, const char *old)
{
	if (rename(live, old) < 0 && errno != ENOENT)
		return -1;
	if (rename(fresh, live) < 0) {
		int saved = errno;

		(void)rename(old, live);
		errno = saved;
		return -1;
	}
	return 0;
}

/* The manifest names a backup this nymserv can restore here. */
static int
check_manifest(const struct conf *c, const struct buf *man, int force,
    int have, struct bk *t)
{
	char *schema = NULL, *host = NULL;
	int rc = -1;

	if (man->len == 0 || strncmp(man->s, "nymserv backup\n", 15) != 0 ||
	    (schema = manifest_get(man, "schema")) == NULL ||
	    (host = manifest_get(man, "hostname")) == NULL)
		terr(t, "not a nymserv backup (no manifest)");
	else if (strcmp(schema, STORE_SCHEMA) != 0)
		terr(t, "the backup has schema %.16s; this nymserv reads %s",
		    schema, STORE_SCHEMA);
	else if (strcmp(host, c->hostname) != 0 && !force)
		terr(t, "the backup is of %.100s, not %s (use -f to restore "
		    "it anyway)", host, c->hostname);
	else if (have != 3)
		terr(t, "the backup lacks %s", have & 1 ? "the GnuPG home" :
		    "the database");
	else
		rc = 0;
	free(schema);
	free(host);
	return rc;
}

int
backup_restore(const struct conf *c, const char *path, int force, char *err,
    size_t errlen)
{
	struct bk t = { NULL, err, errlen, 0 };
	struct buf tmp = BUF_INIT, man = BUF_INIT, a = BUF_INIT, b = BUF_INIT,
	    o = BUF_INIT;
	int rc = -1, have = 0, fd = -1, from_stdin = strcmp(path, "-") == 0,
	    pg;

	err[0] = '\0';
	if (state_present(c) && !force) {
		terr(&t, "%s already holds a state (use -f to replace it)",
		    c->statedir);
		goto out;
	}
	if (mkdir(c->statedir, 0700) < 0 && errno != EEXIST) {
		terr(&t, "%s: %s", c->statedir, strerror(errno));
		goto out;
	}
	fd = from_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		terr(&t, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf_addf(&tmp, "%s/restore.XXXXXX", c->statedir);
	if (mkdtemp(tmp.s) == NULL) {
		terr(&t, "mkdtemp: %s", strerror(errno));
		buf_reset(&tmp);
		goto out;
	}
	if (extract(&t, fd, tmp.s, &man, &have) < 0 ||
	    check_manifest(c, &man, force, have, &t) < 0 ||
	    verify_db(c, tmp.s, &t) < 0)
		goto out;
	buf_addf(&a, "%s/db/lock.mdb", tmp.s);
	unlink(a.s);

	/* Everything checked: now replace (PostgreSQL: in one transaction,
	 * before the GnuPG home, which is per host). */
	buf_reset(&a);
	buf_addf(&a, "%s/db", c->statedir);
	buf_addf(&b, "%s/db", tmp.s);
	buf_addf(&o, "%s/old-db", tmp.s);
	pg = strcmp(store_backend(), "postgresql") == 0;
	if (pg && ctlstore_load(c, tmp.s, force, err, errlen) < 0)
		goto out;
	if (!pg && swap_in(a.s, b.s, o.s) < 0) {
		terr(&t, "%s: %s", a.s, strerror(errno));
		goto out;
	}
	buf_reset(&b);
	buf_addf(&b, "%s/gnupg", tmp.s);
	buf_reset(&o);
	buf_addf(&o, "%s/old-gnupg", tmp.s);
	if (swap_in(c->gnupghome, b.s, o.s) < 0) {
		int saved = errno;
		struct buf od = BUF_INIT;

		/* Put the old database back: all or nothing (PostgreSQL:
		 * the restored state stays; the message says so). */
		buf_addf(&od, "%s/old-db", tmp.s);
		buf_reset(&b);
		buf_addf(&b, "%s/db", tmp.s);
		if (!pg) {
			(void)rename(a.s, b.s);
			(void)rename(od.s, a.s);
		}
		buf_free(&od);
		terr(&t, "%s: %s%s%s", c->gnupghome, strerror(saved),
		    saved == EXDEV ? " (gnupghome must be on the file system "
		    "of statedir)" : "", pg ? " (the database was restored, "
		    "the GnuPG home not)" : "");
		goto out;
	}
	rc = 0;
out:
	if (fd > 0 && !from_stdin)
		close(fd);
	if (tmp.len > 0)
		util_rm_rf(tmp.s);
	buf_free(&tmp);
	buf_wipe(&man);
	buf_free(&a);
	buf_free(&b);
	buf_free(&o);
	return rc;
}
