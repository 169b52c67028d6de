/* backup.c - nymctl backup/restore: a ustar writer and a strict ustar reader. */
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
#include "store.h"
#include "util.h"

#define BLK 512
#define TAR_NAME_MAX 99			/* no prefix field, no GNU longnames */
#define TAR_SIZE_MAX 077777777777ULL	/* 11 octal digits: 8 GiB - 1 */
#define MANIFEST_MAX 4096
#define TREE_DEPTH_MAX 4
#define TREE_ENTRIES_MAX 100000

struct tar {
	int fd;
	char *err;
	size_t errlen;
	size_t entries;
};

static int __attribute__((format(printf, 2, 3)))
terr(struct tar *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, t->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read up to n bytes; fewer only at end of file.  -1 on error. */
static ssize_t
read_full(int fd, void *data, size_t n)
{
	char *p = data;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* ---- writing ---- */

static void
octal(unsigned char *dst, size_t width, unsigned long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), v);
	memcpy(dst, tmp, width - 1);
	dst[width - 1] = '\0';
}

static unsigned
checksum(const unsigned char *h)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < BLK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

/* One ustar header: type '0' file or '5' directory. */
static int
put_header(struct tar *t, const char *name, int type, unsigned mode,
    unsigned long long size, long mtime)
{
	unsigned char h[BLK];
	size_t n = strlen(name);

	if (n == 0 || n > TAR_NAME_MAX)
		return terr(t, "%.120s: name too long for the archive", name);
	if (size > TAR_SIZE_MAX)
		return terr(t, "%s: too big for the archive", name);
	memset(h, 0, sizeof(h));
	memcpy(h, name, n);
	octal(h + 100, 8, mode);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, (unsigned long long)(mtime < 0 ? 0 : mtime));
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	octal(h + 148, 7, checksum(h));
	h[155] = ' ';
	if (util_write_all(t->fd, h, BLK) < 0)
		return terr(t, "write: %s", strerror(errno));
	return 0;
}

static int
put_pad(struct tar *t, unsigned long long size)
{
	static const unsigned char zero[BLK];
	size_t pad = (size_t)((BLK - size % BLK) % BLK);

	if (pad > 0 && util_write_all(t->fd, zero, pad) < 0)
		return terr(t, "write: %s", strerror(errno));
	return 0;
}

static int
put_data(struct tar *t, const char *name, const void *p, size_t n)
{
	if (put_header(t, name, '0', 0600, n, (long)time(NULL)) < 0)
		return -1;
	if (util_write_all(t->fd, p, n) < 0)
		return terr(t, "write: %s", strerror(errno));
	return put_pad(t, n);
}

/* A regular file, exactly as big as it was when opened. */
static int
put_file(struct tar *t, const char *path, const char *name)
{
	struct stat sb;
	char tmp[65536];
	unsigned long long left;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return terr(t, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return terr(t, "%s: not a regular file", path);
	}
	if (put_header(t, name, '0', 0600, (unsigned long long)sb.st_size,
	    (long)sb.st_mtime) < 0) {
		close(fd);
		return -1;
	}
	for (left = (unsigned long long)sb.st_size; left > 0;) {
		size_t want = left < sizeof(tmp) ? (size_t)left : sizeof(tmp);
		ssize_t r = read_full(fd, tmp, want);

		if (r <= 0) {
			close(fd);
			return terr(t, "%s: %s", path, r < 0 ? strerror(errno) :
			    "changed while being archived");
		}
		if (util_write_all(t->fd, tmp, (size_t)r) < 0) {
			close(fd);
			return terr(t, "write: %s", strerror(errno));
		}
		left -= (unsigned long long)r;
	}
	close(fd);
	return put_pad(t, (unsigned long long)sb.st_size);
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

/* A directory tree, entries sorted, regular files and directories only. */
static int
put_tree(struct tar *t, const char *dir, const char *name, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	struct buf path = BUF_INIT, an = BUF_INIT;
	int rc = 0;

	if (depth > TREE_DEPTH_MAX)
		return terr(t, "%s: nested too deep", dir);
	buf_addf(&an, "%s/", name);
	if (put_header(t, an.s, '5', 0700, 0, (long)time(NULL)) < 0) {
		buf_free(&an);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		buf_free(&an);
		return terr(t, "%s: %s", dir, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		if (skip_name(e->d_name))
			continue;
		if (++t->entries > TREE_ENTRIES_MAX) {
			rc = terr(t, "%s: too many files", dir);
			break;
		}
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
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

int
backup_write(const struct conf *c, struct store *st, const char *path,
    char *err, size_t errlen)
{
	static const unsigned char zero[2 * BLK];
	struct tar t = { -1, err, errlen, 0 };
	struct buf tmpdir = BUF_INIT, outtmp = BUF_INIT, man = BUF_INIT,
	    p = BUF_INIT;
	int rc = -1, to_stdout = strcmp(path, "-") == 0;

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
	if (to_stdout) {
		t.fd = 1;
	} else {
		buf_addf(&outtmp, "%s.tmp%ld", path, (long)getpid());
		t.fd = open(outtmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (t.fd < 0) {
			terr(&t, "%s: %s", outtmp.s, strerror(errno));
			buf_reset(&outtmp);
			goto out;
		}
	}
	buf_addf(&man, "nymserv backup\nschema %s\nhostname %s\ncreated %ld\n",
	    STORE_SCHEMA, c->hostname, (long)time(NULL));
	buf_addf(&p, "%s/data.mdb", tmpdir.s);
	if (put_data(&t, BACKUP_MANIFEST, man.s, man.len) < 0 ||
	    put_header(&t, "db/", '5', 0700, 0, (long)time(NULL)) < 0 ||
	    put_file(&t, p.s, "db/data.mdb") < 0 ||
	    put_tree(&t, c->gnupghome, "gnupg", 0) < 0)
		goto out;
	if (util_write_all(t.fd, zero, sizeof(zero)) < 0) {
		terr(&t, "write: %s", strerror(errno));
		goto out;
	}
	if (!to_stdout) {
		if (fsync(t.fd) < 0 || close(t.fd) < 0) {
			t.fd = -1;
			terr(&t, "%s: %s", outtmp.s, strerror(errno));
			goto out;
		}
		t.fd = -1;
		if (rename(outtmp.s, path) < 0) {
			terr(&t, "%s: %s", path, strerror(errno));
			goto out;
		}
		buf_reset(&outtmp);
	}
	rc = 0;
out:
	if (t.fd >= 0 && !to_stdout)
		close(t.fd);
	if (outtmp.len > 0)
		unlink(outtmp.s);
	if (tmpdir.len > 0)
		util_rm_rf(tmpdir.s);
	buf_free(&tmpdir);
	buf_free(&outtmp);
	buf_free(&man);
	buf_free(&p);
	return rc;
}

/* ---- reading ---- */

enum entry { E_BAD, E_MANIFEST, E_DBDIR, E_DB, E_GNUPG };

/* One name component GnuPG could have made: [A-Za-z0-9._~+-], not . or .. */
static int
good_component(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255 || (n == 1 && s[0] == '.') ||
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

/* Parse an octal header field (digits, then NUL or blanks). */
static int
parse_octal(const unsigned char *f, size_t width, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;

	while (i < width && f[i] == ' ')
		i++;
	if (i == width || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (TAR_SIZE_MAX >> 3))
			return -1;
		v = v << 3 | (unsigned long long)(f[i] - '0');
	}
	for (; i < width; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int
all_zero(const unsigned char *h)
{
	size_t i;

	for (i = 0; i < BLK; i++)
		if (h[i] != 0)
			return 0;
	return 1;
}

/* Copy size bytes of the archive to fd (or drop them: fd < 0). */
static int
copy_body(struct tar *t, int fd, unsigned long long size, struct buf *keep)
{
	char tmp[65536];
	unsigned long long left = size + (BLK - size % BLK) % BLK;
	unsigned long long data = size;

	while (left > 0) {
		size_t want = left < sizeof(tmp) ? (size_t)left : sizeof(tmp);
		ssize_t r = read_full(t->fd, tmp, want);
		size_t use;

		if (r < 0)
			return terr(t, "read: %s", strerror(errno));
		if ((size_t)r < want)
			return terr(t, "the archive is truncated");
		use = data < (unsigned long long)r ? (size_t)data : (size_t)r;
		if (fd >= 0 && use > 0 && util_write_all(fd, tmp, use) < 0)
			return terr(t, "write: %s", strerror(errno));
		if (keep != NULL && use > 0)
			buf_add(keep, tmp, use);
		data -= use;
		left -= (unsigned long long)r;
	}
	return 0;
}

/* Extract into dir; the manifest goes to man.  0 or -1. */
static int
extract(struct tar *t, const char *dir, struct buf *man, int *have)
{
	unsigned char h[BLK];
	struct buf path = BUF_INIT;
	int rc = -1, first = 1;

	for (;;) {
		unsigned long long size, sum;
		char name[TAR_NAME_MAX + 2];
		enum entry e;
		int isdir, fd;
		ssize_t r = read_full(t->fd, h, BLK);
		size_t n;

		if (r < 0) {
			terr(t, "read: %s", strerror(errno));
			goto out;
		}
		if (r < BLK) {
			terr(t, "the archive is truncated (no end marker)");
			goto out;
		}
		if (all_zero(h))
			break;
		if (parse_octal(h + 148, 8, &sum) < 0 || sum != checksum(h)) {
			terr(t, "not a nymserv backup (bad tar header)");
			goto out;
		}
		if (memcmp(h + 257, "ustar", 5) != 0 || h[345] != '\0' ||
		    memchr(h, '\0', 100) == NULL ||
		    parse_octal(h + 124, 12, &size) < 0) {
			terr(t, "unexpected tar header (not written by nymctl)");
			goto out;
		}
		memcpy(name, h, 100);
		name[100] = '\0';
		n = strlen(name);
		isdir = h[156] == '5';
		if (!isdir && h[156] != '0' && h[156] != '\0') {
			terr(t, "%s: not a file or directory", name);
			goto out;
		}
		if (isdir && n > 0 && name[n - 1] == '/')
			name[--n] = '\0';
		e = classify(name, isdir);
		if (e == E_BAD || (first && e != E_MANIFEST) ||
		    (isdir && size != 0)) {
			terr(t, "%.100s: unexpected in a nymserv backup", name);
			goto out;
		}
		first = 0;
		if (e == E_MANIFEST) {
			if (size > MANIFEST_MAX) {
				terr(t, "the manifest is too big");
				goto out;
			}
			buf_reset(man);
			if (copy_body(t, -1, size, man) < 0)
				goto out;
			continue;
		}
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, name);
		if (isdir) {
			if (mkdir(path.s, 0700) < 0) {
				terr(t, "%s: %s", name, strerror(errno));
				goto out;
			}
			*have |= e == E_GNUPG && strcmp(name, "gnupg") == 0 ? 2 : 0;
			continue;
		}
		/* O_EXCL: a name twice, or through a link, is refused. */
		fd = open(path.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0) {
			terr(t, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (copy_body(t, fd, size, NULL) < 0 || fsync(fd) < 0) {
			if (errno != 0 && t->err[0] == '\0')
				terr(t, "%s: %s", name, strerror(errno));
			close(fd);
			goto out;
		}
		if (close(fd) < 0) {
			terr(t, "%s: %s", name, strerror(errno));
			goto out;
		}
		*have |= e == E_DB ? 1 : 0;
	}
	rc = 0;
out:
	buf_free(&path);
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
verify_db(const struct conf *c, const char *dir, struct tar *t)
{
	struct store *st;
	struct buf v = BUF_INIT;
	char e[256];
	int rc;

	if (store_open(&st, dir, c->map_size, 0, e, sizeof(e)) != STORE_OK)
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

int
backup_restore(const struct conf *c, const char *path, int force, char *err,
    size_t errlen)
{
	struct tar t = { -1, err, errlen, 0 };
	struct buf tmp = BUF_INIT, man = BUF_INIT, a = BUF_INIT, b = BUF_INIT,
	    o = BUF_INIT;
	char *schema = NULL, *host = NULL;
	int rc = -1, have = 0, from_stdin = strcmp(path, "-") == 0;

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
	t.fd = from_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (t.fd < 0) {
		terr(&t, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf_addf(&tmp, "%s/restore.XXXXXX", c->statedir);
	if (mkdtemp(tmp.s) == NULL) {
		terr(&t, "mkdtemp: %s", strerror(errno));
		buf_reset(&tmp);
		goto out;
	}
	if (extract(&t, tmp.s, &man, &have) < 0)
		goto out;
	if (man.len == 0 || strncmp(man.s, "nymserv backup\n", 15) != 0 ||
	    (schema = manifest_get(&man, "schema")) == NULL ||
	    (host = manifest_get(&man, "hostname")) == NULL) {
		terr(&t, "not a nymserv backup (no manifest)");
		goto out;
	}
	if (strcmp(schema, STORE_SCHEMA) != 0) {
		terr(&t, "the backup has schema %.16s; this nymserv reads %s",
		    schema, STORE_SCHEMA);
		goto out;
	}
	if (strcmp(host, c->hostname) != 0 && !force) {
		terr(&t, "the backup is of %.100s, not %s (use -f to restore "
		    "it anyway)", host, c->hostname);
		goto out;
	}
	if (have != 3) {
		terr(&t, "the backup lacks %s", have & 1 ? "the GnuPG home" :
		    "the database");
		goto out;
	}
	if (verify_db(c, tmp.s, &t) < 0)
		goto out;
	buf_addf(&a, "%s/db/lock.mdb", tmp.s);
	unlink(a.s);

	/* Everything checked: now replace. */
	buf_reset(&a);
	buf_addf(&a, "%s/db", c->statedir);
	buf_addf(&b, "%s/db", tmp.s);
	buf_addf(&o, "%s/old-db", tmp.s);
	if (swap_in(a.s, b.s, o.s) < 0) {
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

		/* Put the old database back: all or nothing. */
		buf_addf(&od, "%s/old-db", tmp.s);
		buf_reset(&b);
		buf_addf(&b, "%s/db", tmp.s);
		(void)rename(a.s, b.s);
		(void)rename(od.s, a.s);
		buf_free(&od);
		terr(&t, "%s: %s%s", c->gnupghome, strerror(saved),
		    saved == EXDEV ? " (gnupghome must be on the file system "
		    "of statedir)" : "");
		goto out;
	}
	rc = 0;
out:
	if (t.fd > 0 && !from_stdin)
		close(t.fd);
	if (tmp.len > 0)
		util_rm_rf(tmp.s);
	free(schema);
	free(host);
	buf_free(&tmp);
	buf_wipe(&man);
	buf_free(&a);
	buf_free(&b);
	buf_free(&o);
	return rc;
}
