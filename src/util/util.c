/* util.c - time, random tokens, hashing and small text helpers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>

#include "buf.h"
#include "die.h"
#include "util.h"

int
util_crypto_init(void)
{
	static int done;

	if (done)
		return 0;
	/*
	 * The system generator (getrandom) instead of libgcrypt's CSPRNG,
	 * whose seeding read the kernel pool 24 times in every process
	 * (strace of remail); tokens and nonces need no more than the
	 * kernel gives.  Must come before gcry_check_version.
	 */
	gcry_control(GCRYCTL_SET_PREFERRED_RNG_TYPE, GCRY_RNG_TYPE_SYSTEM);
	if (gcry_check_version(GCRYPT_VERSION) == NULL)
		return -1;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	done = 1;
	return 0;
}

time_t
util_now(void)
{
	return time(NULL);
}

void
util_date(struct buf *b, time_t t)
{
	struct tm tm;
	char s[64];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_adds(b, s);
}

void
util_random(void *p, size_t n)
{
	if (util_crypto_init() < 0)
		die_temp("libgcrypt unusable");
	gcry_randomize(p, n, GCRY_STRONG_RANDOM);
}

void
util_hex(struct buf *b, const unsigned char *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	buf_reserve(b, 2 * n);
	for (i = 0; i < n; i++) {
		buf_addc(b, hx[p[i] >> 4]);
		buf_addc(b, hx[p[i] & 15]);
	}
}

void
util_random_hex(struct buf *b, size_t n)
{
	unsigned char tmp[64];

	while (n > 0) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);

		util_random(tmp, k);
		util_hex(b, tmp, k);
		n -= k;
	}
}

unsigned long
util_random_below(unsigned long n)
{
	unsigned long r, limit;

	if (n <= 1)
		return 0;
	limit = (unsigned long)-1 - ((unsigned long)-1 % n);
	do
		util_random(&r, sizeof(r));
	while (r >= limit);
	return r % n;
}

void
util_msgid(struct buf *b, const char *host)
{
	buf_addc(b, '<');
	util_random_hex(b, 12);
	buf_addf(b, "@%s>", host);
}

void
util_sha256(const void *data, size_t len, unsigned char out[32])
{
	if (util_crypto_init() < 0)
		die_temp("libgcrypt unusable");
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
}

char *
util_lower(char *s)
{
	char *p;

	for (p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

int
util_read_file(const char *path, size_t max, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char tmp[8192];

	if (fd < 0)
		return -1;
	buf_reset(out);
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > max) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		buf_add(out, tmp, (size_t)n);
	}
	close(fd);
	if (out->s == NULL)
		buf_reserve(out, 0);
	return 0;
}

int
util_write_file(const char *path, const void *data, size_t len, int mode)
{
	struct buf tmp = BUF_INIT, dir = BUF_INIT;
	const char *p = data, *slash;
	int fd, dfd, saved;

	buf_addf(&tmp, "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, (mode_t)mode) < 0)	/* the mode asked, whatever umask */
		goto fail_close;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail_close;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail_close;
	}
	if (rename(tmp.s, path) < 0)
		goto fail_unlink;
	slash = strrchr(path, '/');
	buf_add(&dir, path, slash ? (size_t)(slash - path) : 0);
	if (dir.len == 0)
		buf_sets(&dir, slash ? "/" : ".");
	if ((dfd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	buf_free(&tmp);
	buf_free(&dir);
	return 0;
fail_close:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp.s);
	errno = saved;
fail:
	buf_free(&tmp);
	buf_free(&dir);
	return -1;
}

void
util_quote(struct buf *b, const char *text, size_t len, const char *prefix)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		buf_adds(b, prefix);
		buf_add(b, p, n);
		buf_addc(b, '\n');
		p += n + (nl != NULL);
	}
}

void
util_quote_capped(struct buf *b, const char *text, size_t len,
    const char *prefix, size_t max)
{
	size_t n = len;

	if (len > max) {
		/* Whole lines only; a first line longer than max is cut. */
		n = max;
		while (n > 0 && text[n - 1] != '\n')
			n--;
		if (n == 0)
			n = max;
	}
	util_quote(b, text, n, prefix);
	if (n < len)
		buf_addf(b, "[the rest of the header, %zu bytes, is not "
		    "quoted]\n", len - n);
}

int
util_rm_rf(const char *path)
{
	DIR *d;
	struct dirent *e;
	struct buf p = BUF_INIT;
	int rc = 0;

	if ((d = opendir(path)) == NULL)
		return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", path, e->d_name);
		if (lstat(p.s, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc |= util_rm_rf(p.s);
		else if (unlink(p.s) < 0 && errno != ENOENT)
			rc = -1;
	}
	closedir(d);
	buf_free(&p);
	if (rmdir(path) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int
util_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Is name "X.PID.rest" of a process that no longer runs? */
static int
orphan(const char *name)
{
	const char *p = name;
	char *end;
	long pid;

	if (p[0] == '\0' || p[1] != '.')
		return 0;
	pid = strtol(p + 2, &end, 10);
	if (end == p + 2 || *end != '.' || pid <= 0 || pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int
util_tmp_dir(const char *statedir, struct buf *dir)
{
	static int swept;
	struct buf p = BUF_INIT;
	struct dirent *de;
	DIR *d;

	buf_reset(dir);
	buf_addf(dir, "%s/tmp", statedir);
	if (mkdir(dir->s, 0700) < 0 && errno != EEXIST) {
		log_err("mkdir %s: %s", dir->s, strerror(errno));
		return -1;
	}
	if (swept || (d = opendir(dir->s)) == NULL)
		return 0;
	swept = 1;
	while ((de = readdir(d)) != NULL) {
		if (!orphan(de->d_name))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir->s, de->d_name);
		(void)util_rm_rf(p.s);
	}
	closedir(d);
	buf_free(&p);
	return 0;
}

void
util_sane_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* The value of base64 digit c (RFC 4648 alphabet), or -1. */
int
util_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
util_first_word(const char *v, const char *word, const char *ends)
{
	size_t n = strlen(word);

	while (*v == ' ' || *v == '\t')
		v++;
	return strncasecmp(v, word, n) == 0 && (v[n] == '\0' ||
	    v[n] == ' ' || v[n] == '\t' || strchr(ends, v[n]) != NULL);
}
