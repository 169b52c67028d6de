/* wkd.c - the Web Key Directory tree: hashes, entries, policy, expiry. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>

#include "buf.h"
#include "conf.h"
#include "die.h"
#include "keymin.h"
#include "nym.h"
#include "pubwrite.h"
#include "util.h"
#include "wkd.h"

#define DIR_MODE 0755
#define HU_MODE 0711		/* the web server reads files by name; local
				   users cannot list which hashes exist */
#define FILE_MODE 0644		/* published on purpose */

void
wkd_zbase32(const unsigned char *p, size_t n, struct buf *out)
{
	static const char alpha[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
	unsigned long acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			buf_addc(out, alpha[(acc >> (bits - 5)) & 31]);
			bits -= 5;
		}
	}
	if (bits > 0)
		buf_addc(out, alpha[(acc << (5 - bits)) & 31]);
}

void
wkd_hash(const char *local, char out[WKD_HASH_LEN + 1])
{
	struct buf low = BUF_INIT, z = BUF_INIT;
	unsigned char d[20];
	size_t i;

	/* Only A-Z are lowercased (the draft; GnuPG does the same). */
	buf_sets(&low, local);
	for (i = 0; i < low.len; i++)
		if (low.s[i] >= 'A' && low.s[i] <= 'Z')
			low.s[i] = (char)(low.s[i] - 'A' + 'a');
	gcry_md_hash_buffer(GCRY_MD_SHA1, d, low.s, low.len);
	wkd_zbase32(d, sizeof(d), &z);
	memcpy(out, z.s, WKD_HASH_LEN);
	out[WKD_HASH_LEN] = '\0';
	buf_free(&low);
	buf_free(&z);
}

int
wkd_entry(const struct conf *c, const char *name, const void *v, size_t vl,
    long now, struct buf *key, long *expires, const char **why)
{
	struct buf bin = BUF_INIT, addr = BUF_INIT;
	struct keymin k;
	struct nym y;
	int rc = 0;

	*expires = 0;
	if (why != NULL)
		*why = NULL;
	buf_reset(key);
	if (nym_decode(v, vl, &y) < 0)
		return 0;
	if (!(y.flags & NF_FINGERKEY) || y.state != NYM_ACTIVE ||
	    (y.flags & NF_DISABLE) || y.limited || y.key.len == 0)
		goto out;
	buf_addf(&addr, "%s@%s", name, c->hostname);
	if (keymin_dearmor(y.key.s, y.key.len, &bin) < 0 ||
	    keymin_parse(bin.s, bin.len, addr.s, now, &k, key, NULL) < 0) {
		if (why != NULL)
			*why = "the key cannot be read";
		goto out;
	}
	if (!keymin_wkd_ok(&k, now, why))
		goto out;
	*expires = k.expires;
	rc = 1;
out:
	if (rc == 0)
		buf_reset(key);
	nym_free(&y);
	buf_free(&bin);
	buf_free(&addr);
	return rc;
}

/* Make a directory (mode applied whatever the umask); 0 or -1. */
static int
make_dir(const char *path, int mode)
{
	struct stat sb;

	if (mkdir(path, (mode_t)mode) == 0)
		return chmod(path, (mode_t)mode);
	if (errno != EEXIST || lstat(path, &sb) < 0)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* The two roots: direct (host NULL) and advanced. */
static void
root(const struct conf *c, const char *host, struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/.well-known/openpgpkey", c->wkd_dir);
	if (host != NULL)
		buf_addf(out, "/%s", host);
}

int
wkd_prepare(const struct conf *c)
{
	static const char *const sub[] = { "/.well-known",
	    "/.well-known/openpgpkey" };
	struct buf p = BUF_INIT, pol = BUF_INIT;
	const char *hosts[2];
	size_t i;
	int rc = -1;

	hosts[0] = NULL;
	hosts[1] = c->hostname;
	if (make_dir(c->wkd_dir, DIR_MODE) < 0)
		goto out;
	for (i = 0; i < 2; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s%s", c->wkd_dir, sub[i]);
		if (make_dir(p.s, DIR_MODE) < 0)
			goto out;
	}
	/* No submission address: keys come by signed config@ requests. */
	buf_addf(&pol, "# Web Key Directory of %s, written by nymserv: a nym "
	    "publishes its key\n# with +fingerkey in a signed config@ "
	    "request; there is no submission address.\n", c->hostname);
	for (i = 0; i < 2; i++) {
		struct buf cur = BUF_INIT;

		root(c, hosts[i], &p);
		if (make_dir(p.s, DIR_MODE) < 0)
			goto out;
		buf_adds(&p, "/hu");
		if (make_dir(p.s, HU_MODE) < 0)
			goto out;
		root(c, hosts[i], &p);
		buf_adds(&p, "/policy");
		if (util_read_file(p.s, 4096, &cur) < 0 || cur.len != pol.len ||
		    memcmp(cur.s, pol.s, pol.len) != 0) {
			if (util_write_file(p.s, pol.s, pol.len, FILE_MODE) < 0) {
				buf_free(&cur);
				goto out;
			}
		}
		buf_free(&cur);
	}
	rc = 0;
out:
	if (rc < 0)
		log_err("web key directory %s: %s", c->wkd_dir,
		    strerror(errno));
	buf_free(&p);
	buf_free(&pol);
	return rc;
}

int
wkd_put(const struct conf *c, const char *name, const struct buf *key,
    size_t *changed)
{
	struct buf p = BUF_INIT, cur = BUF_INIT;
	char h[WKD_HASH_LEN + 1];
	const char *hosts[2];
	size_t i;
	int rc = 0;

	hosts[0] = NULL;
	hosts[1] = c->hostname;
	wkd_hash(name, h);
	for (i = 0; i < 2 && rc == 0; i++) {
		struct stat sb;

		root(c, hosts[i], &p);
		buf_addf(&p, "/hu/%s", h);
		if (key == NULL) {
			if (lstat(p.s, &sb) == 0) {
				rc = pubview_shred(p.s);
				++*changed;
			}
			continue;
		}
		buf_reset(&cur);
		if (util_read_file(p.s, KEYMIN_MAX + 1, &cur) == 0 &&
		    cur.len == key->len && memcmp(cur.s, key->s, key->len) == 0)
			continue;
		rc = util_write_file(p.s, key->s, key->len, FILE_MODE);
		++*changed;
	}
	if (rc < 0)
		log_err("web key directory: cannot write an entry: %s",
		    strerror(errno));
	buf_free(&p);
	buf_free(&cur);
	return rc < 0 ? -1 : 0;
}

static int
cmp_hash(const void *x, const void *y)
{
	return memcmp(x, y, WKD_HASH_LEN);
}

int
wkd_strays(const struct conf *c, char (*keep)[WKD_HASH_LEN + 1], size_t n,
    size_t *changed)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	const char *hosts[2];
	size_t i;
	int rc = 0;

	hosts[0] = NULL;
	hosts[1] = c->hostname;
	for (i = 0; i < 2; i++) {
		struct dirent *de;
		DIR *d;

		root(c, hosts[i], &dir);
		buf_adds(&dir, "/hu");
		if ((d = opendir(dir.s)) == NULL) {
			rc = -1;
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (strlen(de->d_name) == WKD_HASH_LEN && n > 0 &&
			    bsearch(de->d_name, keep, n, sizeof(*keep),
			    cmp_hash) != NULL)
				continue;
			buf_reset(&path);
			buf_addf(&path, "%s/%s", dir.s, de->d_name);
			if (pubview_shred(path.s) < 0)
				rc = -1;
			else
				++*changed;
		}
		closedir(d);
	}
	buf_free(&dir);
	buf_free(&path);
	return rc;
}

/* pubdir/wkd-next as a number: 1 read, 0 absent, -1 error. */
static int
next_read(const struct conf *c, long *t)
{
	struct buf p = BUF_INIT, v = BUF_INIT;
	int rc;

	buf_addf(&p, "%s/%s", c->pubdir, WKD_NEXT);
	if (util_read_file(p.s, 64, &v) < 0)
		rc = errno == ENOENT ? 0 : -1;
	else
		rc = v.s != NULL && sscanf(v.s, "%ld", t) == 1 ? 1 : 0;
	buf_free(&p);
	buf_free(&v);
	return rc;
}

int
wkd_next_set(const struct conf *c, long t)
{
	struct buf p = BUF_INIT, v = BUF_INIT;
	long cur;
	int rc = 0;

	buf_addf(&p, "%s/%s", c->pubdir, WKD_NEXT);
	if (t == 0) {
		if (unlink(p.s) < 0 && errno != ENOENT)
			rc = -1;
	} else if (next_read(c, &cur) != 1 || cur != t) {
		buf_addf(&v, "%ld\n", t);
		rc = util_write_file(p.s, v.s, v.len, 0640);
	}
	buf_free(&p);
	buf_free(&v);
	return rc;
}

int
wkd_next_lower(const struct conf *c, long t)
{
	long cur;
	int rc = next_read(c, &cur);

	if (t == 0 || (rc == 1 && cur <= t))
		return rc < 0 ? -1 : 0;
	return wkd_next_set(c, t);
}

int
wkd_next_due(const struct conf *c, long now)
{
	long t;
	int rc = next_read(c, &t);

	if (rc <= 0)
		return rc;
	return now >= t;
}
