/* util.h - small shared helpers: time, random tokens, ids, text. */
#ifndef NYM_UTIL_H
#define NYM_UTIL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* Initialise libgcrypt (random numbers, hashes); -1 on failure. */
int util_crypto_init(void);

/* The current time (one place, so every clock read is the same). */
time_t util_now(void);

/* Append an RFC 5322 date (UTC) for t. */
void util_date(struct buf *, time_t t);

/* Append n random bytes from the CSPRNG as lowercase hex (2n chars). */
void util_random_hex(struct buf *, size_t n);
/* Fill p with n random bytes from the CSPRNG. */
void util_random(void *p, size_t n);
/* Uniform random integer in [0, n), n > 0, without modulo bias. */
unsigned long util_random_below(unsigned long n);

/* Append "<random@host>" as a fresh Message-ID. */
void util_msgid(struct buf *, const char *host);

/* SHA-256 of data into out (32 bytes). */
void util_sha256(const void *data, size_t len, unsigned char out[32]);
int util_b64val(int c);
/* Append hex of n bytes. */
void util_hex(struct buf *, const unsigned char *p, size_t n);

/* Lowercase ASCII in place; returns s. */
char *util_lower(char *s);

/* Read a whole file, at most max bytes; -1 with errno on failure. */
int util_read_file(const char *path, size_t max, struct buf *out);

/*
 * Write data to path atomically: path.tmp, fsync, rename, fsync dir.
 * Mode is applied to the new file.  -1 with errno on failure.
 */
int util_write_file(const char *path, const void *data, size_t len, int mode);

/* Remove a directory tree (no symlinks followed); -1 on failure. */
int util_rm_rf(const char *path);

/*
 * statedir/tmp (made 0700 if missing) into dir, for temporary GnuPG homes
 * and key files, each named "X.PID.random" by the process that owns it.
 * Once per process, what processes killed without cleaning up (kill -9,
 * an MTA's SIGKILL) left there is removed: entries whose PID no longer
 * runs.  -1 (logged) if the directory cannot be made.
 */
int util_tmp_dir(const char *statedir, struct buf *dir);

/* Append each line of text prefixed with prefix (for quoting headers). */
void util_quote(struct buf *, const char *text, size_t len,
    const char *prefix);
/*
 * The same for at most max bytes of text, cut at a line end; when text
 * is longer, a line "[the rest of the header, N bytes, is not quoted]"
 * follows.  Automatic answers quote with this (SECURITY.md 3.7).
 */
void util_quote_capped(struct buf *, const char *text, size_t len,
    const char *prefix, size_t max);

/* Write all of data to fd (EINTR retried); -1 with errno on error. */
int util_write_all(int fd, const void *data, size_t len);
/*
 * Whether v, after leading blanks, begins with word (ASCII case ignored)
 * followed by the end, a blank, or one of the characters of ends.
 */
int util_first_word(const char *v, const char *word, const char *ends);
/* Make sure fds 0-2 are open, so no file a program opens becomes one. */
void util_sane_fds(void);

#endif
