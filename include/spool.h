/* spool.h - the remailer's delay queue: one fsynced file per message. */
#ifndef NYM_SPOOL_H
#define NYM_SPOOL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/*
 * Queue msg for rcpts, due at time due: written to a temporary name,
 * fsynced, renamed, directory fsynced (util_write_file).  The new file's
 * path is appended to path if not NULL.  0, or -1 with errno.
 */
int spool_put(const char *dir, time_t due, const char *const *rcpts,
    size_t n, const void *msg, size_t len, struct buf *path);

/*
 * Hand one queued file to sendmail (null envelope sender), then remove
 * it.  0 sent, -1 temporary failure (the file stays), -2 unreadable
 * (moved aside as NAME.bad).
 */
int spool_send(const char *path, char *const sendmail[], size_t max);

/*
 * Send every queued message whose time has come (one flusher at a
 * time: an exclusive lock on DIR/.lock).  *left counts messages that
 * failed and stay queued.  0, or -1 with errno if the directory is
 * unusable.
 */
int spool_flush(const char *dir, char *const sendmail[], time_t now,
    size_t max, size_t *sent, size_t *left);

#endif
