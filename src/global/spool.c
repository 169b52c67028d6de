/* spool.c - delay queue: DIR/DUE.RANDOM files, written atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "outbound.h"
#include "spool.h"
#include "util.h"

#define SPOOL_MAGIC "remail-spool 1\n"
#define SPOOL_MAX_RCPTS 1000
#define SPOOL_STALE_TMP 3600	/* seconds before a crashed write is removed */

int
spool_put(const char *dir, time_t due, const char *tag,
    const char *const *rcpts, size_t n, const void *msg, size_t len,
    struct buf *path)
{
	struct buf data = BUF_INIT, name = BUF_INIT;
	size_t i;
	int rc, saved;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	buf_adds(&data, SPOOL_MAGIC);
	if (tag != NULL)
		buf_addf(&data, "tag %s\n", tag);
	for (i = 0; i < n; i++)
		buf_addf(&data, "to %s\n", rcpts[i]);
	buf_addc(&data, '\n');
	buf_add(&data, msg, len);
	buf_addf(&name, "%s/", dir);
	spool_name(&name, due);
	rc = util_write_file(name.s, data.s, data.len, 0600);
	saved = errno;
	buf_wipe(&data);
	if (rc == 0 && path != NULL)
		buf_add(path, name.s, name.len);
	buf_free(&name);
	errno = saved;
	return rc;
}

void
spool_name(struct buf *out, time_t due)
{
	buf_addf(out, "%010lld.", (long long)due);
	util_random_hex(out, 8);
}

int
spool_queue_name(const char *s, long long *due)
{
	const char *p = s;
	long long d = 0;
	int k = 0;

	while (*p >= '0' && *p <= '9' && k < 18) {
		d = d * 10 + (*p++ - '0');
		k++;
	}
	if (k < 10 || *p++ != '.')
		return 0;
	for (k = 0; k < 16; k++, p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	if (*p != '\0')
		return 0;
	*due = d;
	return 1;
}

/* Split a spool file into recipients and message; -1 if malformed. */
static int
parse(struct buf *f, char ***rcpts, size_t *n, const char **msg,
    size_t *len)
{
	char *p, *nl, *end;
	size_t ml = sizeof(SPOOL_MAGIC) - 1;

	*rcpts = NULL;
	*n = 0;
	if (f->len < ml || memcmp(f->s, SPOOL_MAGIC, ml) != 0)
		return -1;
	p = f->s + ml;
	end = f->s + f->len;
	if (end - p > 4 && memcmp(p, "tag ", 4) == 0 &&
	    (nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
		p = nl + 1;	/* whose mail it is (spool_tag) */
	while (p < end && *p != '\n') {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    nl - p < 4 || memcmp(p, "to ", 3) != 0 ||
		    *n >= SPOOL_MAX_RCPTS)
			goto bad;
		*nl = '\0';
		*rcpts = xrealloc(*rcpts, (*n + 2) * sizeof(**rcpts));
		(*rcpts)[(*n)++] = p + 3;
		(*rcpts)[*n] = NULL;
		p = nl + 1;
	}
	if (p >= end || *n == 0)
		goto bad;
	*msg = p + 1;
	*len = (size_t)(end - p - 1);
	return 0;
bad:
	free(*rcpts);
	*rcpts = NULL;
	return -1;
}

/* Drop the recipients chk rejects; 0, or -1 (temporary). */
static int
checked(const struct spool_check *chk, char **rcpts, size_t *n)
{
	int *blocked;
	size_t i, k = 0;
	int rc;

	if (chk == NULL || chk->fn == NULL || *n == 0)
		return 0;
	blocked = xcalloc(*n, sizeof(*blocked));
	rc = chk->fn((const char *const *)rcpts, *n, blocked, chk->arg);
	if (rc > 0) {
		for (i = 0; i < *n; i++)
			if (!blocked[i])
				rcpts[k++] = rcpts[i];
		rcpts[k] = NULL;
		*n = k;
	}
	free(blocked);
	return rc < 0 ? -1 : 0;
}

int
spool_send(const char *path, char *const sendmail[], size_t max,
    const struct spool_check *chk)
{
	struct buf f = BUF_INIT, bad = BUF_INIT;
	char **rcpts;
	const char *msg;
	size_t n, len;
	int rc;

	if (util_read_file(path, max, &f) < 0) {
		if (errno == ENOENT)
			return 0;	/* another flusher sent it */
		log_warn("spool: cannot read a queued file: %s",
		    strerror(errno));
		return -1;
	}
	if (parse(&f, &rcpts, &n, &msg, &len) < 0) {
		log_err("spool: malformed queue file moved aside");
		buf_addf(&bad, "%s.bad", path);
		(void)rename(path, bad.s);
		buf_free(&bad);
		buf_wipe(&f);
		return -2;
	}
	if (checked(chk, rcpts, &n) < 0)
		rc = -1;
	else if (n == 0)
		rc = 0;		/* every recipient blocked: nothing to send */
	else
		rc = sendmail_send(sendmail, "", (const char *const *)rcpts,
		    n, msg, len);
	free(rcpts);
	buf_wipe(&f);
	if (rc != 0)
		return -1;
	/* Done: a crash before this unlink means a duplicate, never a loss. */
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("spool: cannot remove a sent file: %s",
		    strerror(errno));
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_flush(const char *dir, char *const sendmail[], time_t now, size_t max,
    const struct spool_check *chk, size_t *sent, size_t *left)
{
	struct buf path = BUF_INIT;
	struct dirent *de;
	struct stat sb;
	char **names = NULL;
	size_t n = 0, i;
	long long due;
	DIR *d;
	int lock;

	*sent = *left = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	buf_addf(&path, "%s/.lock", dir);
	lock = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		buf_free(&path);
		if (lock >= 0)
			close(lock);
		return -1;
	}
	if ((d = opendir(dir)) == NULL) {
		buf_free(&path);
		close(lock);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (spool_queue_name(de->d_name, &due)) {
			if (due > (long long)now)
				continue;
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		} else if (strstr(de->d_name, ".tmp") != NULL) {
			/* A write that crashed before its rename. */
			buf_reset(&path);
			buf_addf(&path, "%s/%s", dir, de->d_name);
			if (lstat(path.s, &sb) == 0 &&
			    sb.st_mtime + SPOOL_STALE_TMP < now)
				(void)unlink(path.s);
		}
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, names[i]);
		if (spool_send(path.s, sendmail, max, chk) == 0)
			(*sent)++;
		else
			(*left)++;
		free(names[i]);
	}
	free(names);
	buf_free(&path);
	close(lock);
	return 0;
}

int
spool_tag(const char *path, char tag[SPOOL_TAG_LEN + 1])
{
	char head[sizeof(SPOOL_MAGIC) - 1 + 5 + SPOOL_TAG_LEN];
	size_t ml = sizeof(SPOOL_MAGIC) - 1, got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	tag[0] = '\0';
	if (fd < 0)
		return -1;
	while (got < sizeof(head)) {
		ssize_t r = read(fd, head + got, sizeof(head) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got == sizeof(head) && memcmp(head, SPOOL_MAGIC, ml) == 0 &&
	    memcmp(head + ml, "tag ", 4) == 0 &&
	    head[sizeof(head) - 1] == '\n') {
		memcpy(tag, head + ml + 4, SPOOL_TAG_LEN);
		tag[SPOOL_TAG_LEN] = '\0';
		return 1;
	}
	return 0;
}
