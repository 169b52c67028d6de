/* die.h - exit statuses, named die helpers, signal/alarm handling, logging. */
#ifndef NYM_DIE_H
#define NYM_DIE_H

#include <stdarg.h>

/* sysexits(3) values used by the MTA contract (DESIGN.md section 5). */
#define EXIT_OK		0
#define EX_DATAERR_	65
#define EX_NOUSER_	67
#define EX_UNAVAIL_	69
#define EX_TEMPFAIL_	75
#define EX_NOPERM_	77

/* Name the program for log lines and choose qmail (111/100) statuses. */
void die_init(const char *progname);
void die_set_qmail(int on);
void die_set_verbose(int on);		/* copy log lines to stderr */

/*
 * Temporary failure: log, run the cleanup hooks, print "4.3.0 why" and
 * exit 75 (111 with -Q).  The text must never contain user addresses.
 */
void die_temp(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* Out of memory: always temporary. */
void die_nomem(void) __attribute__((noreturn));
/*
 * Deliberate permanent refusal: print one "5.x.y text" line on stdout
 * and exit with code (65, 67, 69 or 77; 100 with -Q).
 */
void die_perm(int code, const char *status, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/*
 * The same, but the log line says logwhy (when not NULL) instead: for a
 * reason that names what the sender wrote (a newsgroup), which the
 * sender may read and the log may not hold.
 */
void die_perm_log(int code, const char *status, const char *logwhy,
    const char *fmt, ...) __attribute__((noreturn, format(printf, 4, 5)));
/* Exit 0 after running the cleanup hooks. */
void die_ok(void) __attribute__((noreturn));

/* Usage errors of operator tools: message on stderr, exit status given. */
void die_usage(int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

/*
 * Cleanup hooks run at every exit through this module, including the
 * alarm and SIGTERM.  Paths registered with die_unlink_on_exit are removed
 * (async-signal-safe) unless released with die_keep().
 */
void die_unlink_on_exit(const char *path);
void die_keep(const char *path);
/* A directory tree to remove at exit (temporary GnuPG homes). */
void die_rmdir_on_exit(const char *path);
/* A running child process to kill if the alarm fires. */
void die_child(int pid);

/* Arm SIGALRM after seconds (0: none) and catch SIGTERM/SIGHUP/SIGINT. */
void die_signals(unsigned seconds);

/* syslog; never pass an address, subject or key id of a nym user. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
