/* pubview.c - reading the public view (pubview.h): keyed name hashes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>

#include "buf.h"
#include "die.h"
#include "pubview.h"
#include "util.h"

#define KEY_HEX 64

struct pubview {
	char *dir;
	unsigned char key[KEY_HEX / 2];
};

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		const char *d = strchr("0123456789abcdef", s[i]);

		if (s[i] == '\0' || d == NULL)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)((d - "0123456789abcdef")
			    << 4);
		else
			out[i / 2] |= (unsigned char)(d -
			    "0123456789abcdef");
	}
	return 0;
}

int
pubview_open(struct pubview **out, const char *dir)
{
	struct pubview *pv;
	struct buf path = BUF_INIT, k = BUF_INIT;
	int rc;

	*out = NULL;
	if (util_crypto_init() < 0) {
		errno = EIO;
		return -1;
	}
	buf_addf(&path, "%s/key", dir);
	rc = util_read_file(path.s, 2 * KEY_HEX, &k);
	buf_free(&path);
	if (rc < 0) {
		buf_free(&k);
		return -1;
	}
	pv = xcalloc(1, sizeof(*pv));
	if (k.len < KEY_HEX || unhex(k.s, pv->key, sizeof(pv->key)) < 0) {
		buf_wipe(&k);
		free(pv);
		errno = EINVAL;
		return -1;
	}
	buf_wipe(&k);
	pv->dir = xstrdup(dir);
	*out = pv;
	return 0;
}

void
pubview_close(struct pubview *pv)
{
	if (pv == NULL)
		return;
	free(pv->dir);
	memset(pv->key, 0, sizeof(pv->key));
	free(pv);
}

const char *
pubview_dir(const struct pubview *pv)
{
	return pv->dir;
}

void
pubview_entry_path(const struct pubview *pv, const char *name,
    struct buf *out)
{
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0 ||
	    gcry_md_setkey(h, pv->key, sizeof(pv->key)) != 0)
		die_temp("libgcrypt: cannot make an HMAC");
	gcry_md_write(h, name, strlen(name));
	buf_reset(out);
	buf_addf(out, "%s/n/", pv->dir);
	util_hex(out, gcry_md_read(h, GCRY_MD_SHA256), PUBVIEW_HASH_LEN / 2);
	gcry_md_close(h);
}

/* Read a file of the view; 1, 0 when it does not exist, -1. */
static int
read_opt(const char *path, size_t max, struct buf *out)
{
	if (util_read_file(path, max, out) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

int
pubview_get(struct pubview *pv, const char *name, struct buf *out)
{
	struct buf path = BUF_INIT;
	int rc;

	pubview_entry_path(pv, name, &path);
	rc = read_opt(path.s, PUBVIEW_MAX_ENTRY, out);
	buf_free(&path);
	return rc;
}

int
pubview_known(void *arg, const char *name)
{
	struct pubview *pv = arg;
	struct buf path = BUF_INIT;
	struct stat sb;
	int rc;

	pubview_entry_path(pv, name, &path);
	rc = stat(path.s, &sb) == 0 ? 1 : errno == ENOENT ? 0 : -1;
	buf_free(&path);
	return rc;
}

int
pubview_file(struct pubview *pv, const char *file, size_t max,
    struct buf *out)
{
	struct buf path = BUF_INIT;
	int rc;

	buf_addf(&path, "%s/%s", pv->dir, file);
	rc = read_opt(path.s, max, out);
	buf_free(&path);
	return rc;
}
