/* spool.h - the remailer's delay queue: one fsynced file per message. */
#ifndef NYM_SPOOL_H
#define NYM_SPOOL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SPOOL_TAG_LEN 32	/* hex characters of a spool tag */

/*
 * Queue msg for rcpts, due at time due: written to a temporary name,
 * fsynced, renamed, directory fsynced (util_write_file).  tag (NULL, or
 * SPOOL_TAG_LEN hex characters: deliver_tag's) says whose nym mail it
 * is, so that a wipe can remove it.  The new file's path is appended to
 * path if not NULL.  0, or -1 with errno.
 */
int spool_put(const char *dir, time_t due, const char *tag,
    const char *const *rcpts, size_t n, const void *msg, size_t len,
    struct buf *path);

/*
 * Queue file names, here and in the news spool: DUE (10 or more digits,
 * the time it is due) '.' 16 random hex digits.  spool_name appends
 * "DUE.RANDOM" to out; spool_queue_name says whether s is such a name
 * (1, its due time in *due) or not (0: a temporary or foreign file).
 */
void spool_name(struct buf *out, time_t due);
int spool_queue_name(const char *s, long long *due);

/* The tag of a queued file into tag: 1, 0 untagged, -1 unreadable. */
int spool_tag(const char *path, char tag[SPOOL_TAG_LEN + 1]);

/*
 * A last look at the recipients when a queued message goes out: fn sets
 * blocked[i] to 1 for each of the n addresses that must not be mailed
 * now (the destination block list may have changed since the message
 * was queued) and returns how many, or -1 (temporary: the file stays).
 */
struct spool_check {
	int (*fn)(const char *const *rcpts, size_t n, int *blocked,
	    void *arg);
	void *arg;
};

/*
 * Hand one queued file to sendmail (null envelope sender), then remove
 * it; chk (may be NULL) drops recipients first, and a message left with
 * none is removed unsent.  0 done, -1 temporary failure (the file
 * stays), -2 unreadable (moved aside as NAME.bad).
 */
int spool_send(const char *path, char *const sendmail[], size_t max,
    const struct spool_check *chk);

/*
 * Send every queued message whose time has come (one flusher at a
 * time: an exclusive lock on DIR/.lock), each through spool_send with
 * chk.  *sent counts messages done (sent or dropped), *left messages that
 * failed and stay queued.  0, or -1 with errno if the directory is
 * unusable.
 */
int spool_flush(const char *dir, char *const sendmail[], time_t now,
    size_t max, const struct spool_check *chk, size_t *sent, size_t *left);

#endif
