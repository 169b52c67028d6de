/* outbound.h - hand mail to other programs: argv arrays, never a shell. */
#ifndef NYM_OUTBOUND_H
#define NYM_OUTBOUND_H

#include <stddef.h>

#include "buf.h"

/*
 * Run argv[0] with argv, feeding data on its stdin; its stdout and stderr
 * go to /dev/null (they may carry addresses).  The environment is rebuilt
 * (PATH, LANG=C).  Returns the exit status, or -1 if it could not run or
 * died by a signal.
 */
int run_pipe(char *const argv[], const void *data, size_t len);

/*
 * Like run_pipe, but stdout is captured into out (capped at max bytes)
 * and stdin may be NULL (then /dev/null).
 */
int run_capture(char *const argv[], const void *data, size_t len,
    struct buf *out, size_t max);

/*
 * Inject msg through the configured sendmail command:
 *   sendmail... -f SENDER -oi -- RCPT...
 * sender "" means the null sender.  Returns 0 only if sendmail accepted
 * the message (exit 0); -1 otherwise (the caller exits 75).
 */
int sendmail_send(char *const sendmail[], const char *sender,
    const char *const *rcpts, size_t nrcpts, const void *msg, size_t len);

/*
 * One more NAME=value (under 80 bytes) in every child's environment
 * from now on, e.g. the spool tag for remail (deliver_tag); NULL
 * removes it.
 */
void run_set_env(const char *kv);

#endif
