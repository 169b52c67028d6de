/* die.c - the exit-status contract with the MTA in one place. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "die.h"

#define MAX_UNLINK 16

static const char *prog = "nymserv";
static int qmail_mode;
static int verbose;
static char *unlink_paths[MAX_UNLINK];
static volatile sig_atomic_t child_pid;

void
die_init(const char *progname)
{
	prog = progname;
	openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
die_set_qmail(int on)
{
	qmail_mode = on;
}

void
die_set_verbose(int on)
{
	verbose = on;
}

static void
vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	syslog(prio, "%s", line);
	if (verbose)
		fprintf(stderr, "%s: %s\n", prog, line);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
die_unlink_on_exit(const char *path)
{
	int i;

	for (i = 0; i < MAX_UNLINK; i++) {
		if (unlink_paths[i] == NULL) {
			unlink_paths[i] = strdup(path);
			if (unlink_paths[i] == NULL)
				die_nomem();
			return;
		}
	}
	die_temp("too many temporary files");
}

/*
 * Directories are removed by a forked "rm -rf"-free walk in the normal
 * path (util_rm_rf); from a signal handler only their registration is
 * used to unlink the few files a GnuPG home holds.
 */
static char *rm_dirs[MAX_UNLINK];

void
die_rmdir_on_exit(const char *path)
{
	int i;

	for (i = 0; i < MAX_UNLINK; i++) {
		if (rm_dirs[i] == NULL) {
			rm_dirs[i] = strdup(path);
			if (rm_dirs[i] == NULL)
				die_nomem();
			return;
		}
	}
	die_temp("too many temporary directories");
}

void
die_keep(const char *path)
{
	int i;

	for (i = 0; i < MAX_UNLINK; i++) {
		if (unlink_paths[i] != NULL && strcmp(unlink_paths[i], path) == 0) {
			free(unlink_paths[i]);
			unlink_paths[i] = NULL;
		}
		if (rm_dirs[i] != NULL && strcmp(rm_dirs[i], path) == 0) {
			free(rm_dirs[i]);
			rm_dirs[i] = NULL;
		}
	}
}

void
die_child(int pid)
{
	child_pid = pid;
}

/* Remove a temporary GnuPG home: async-signal-safe (no malloc). */
static void
rm_home(const char *dir)
{
	static const char *const names[] = { "gpg.conf", "pubring.kbx",
	    "pubring.kbx~", "trustdb.gpg", "pubring.gpg", "random_seed",
	    ".#lk", NULL };
	char p[512];
	size_t n = strlen(dir), i;

	for (i = 0; names[i] != NULL; i++) {
		size_t m = strlen(names[i]);

		if (n + 1 + m + 1 > sizeof(p))
			return;
		memcpy(p, dir, n);
		p[n] = '/';
		memcpy(p + n + 1, names[i], m + 1);
		unlink(p);
	}
	rmdir(dir);
}

/* Async-signal-safe: only unlink(2), rmdir(2) and kill(2). */
static void
cleanup(void)
{
	int i;

	if (child_pid > 0)
		kill((pid_t)child_pid, SIGKILL);
	for (i = 0; i < MAX_UNLINK; i++)
		if (unlink_paths[i] != NULL)
			unlink(unlink_paths[i]);
	for (i = 0; i < MAX_UNLINK; i++)
		if (rm_dirs[i] != NULL)
			rm_home(rm_dirs[i]);
}

static int
temp_code(void)
{
	return qmail_mode ? 111 : EX_TEMPFAIL_;
}

void
die_temp(const char *fmt, ...)
{
	va_list ap;
	char why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	cleanup();
	syslog(LOG_WARNING, "temporary failure: %s", why);
	if (verbose)
		fprintf(stderr, "%s: temporary failure: %s\n", prog, why);
	printf("4.3.0 %s\n", why);
	fflush(stdout);
	_exit(temp_code());
}

void
die_nomem(void)
{
	die_temp("out of memory");
}

/* The refusal: logged as logwhy (or why), printed as why, then exit. */
static void __attribute__((noreturn))
refuse_exit(int code, const char *status, const char *logwhy,
    const char *why)
{
	cleanup();
	syslog(LOG_INFO, "refused: %s %s", status, logwhy);
	if (verbose)
		fprintf(stderr, "%s: refused: %s %s\n", prog, status, logwhy);
	printf("%s %s\n", status, why);
	if (fflush(stdout) != 0 && errno != EPIPE)
		_exit(temp_code());
	_exit(qmail_mode ? 100 : code);
}

void
die_perm(int code, const char *status, const char *fmt, ...)
{
	va_list ap;
	char why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	refuse_exit(code, status, why, why);
}

void
die_perm_log(int code, const char *status, const char *logwhy,
    const char *fmt, ...)
{
	va_list ap;
	char why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	refuse_exit(code, status, logwhy != NULL ? logwhy : why, why);
}

void
die_ok(void)
{
	int i;

	for (i = 0; i < MAX_UNLINK; i++)
		if (unlink_paths[i] != NULL)
			unlink(unlink_paths[i]);
	for (i = 0; i < MAX_UNLINK; i++)
		if (rm_dirs[i] != NULL)
			rm_home(rm_dirs[i]);
	if (fflush(stdout) != 0 && errno != EPIPE)
		_exit(temp_code());
	_exit(EXIT_OK);
}

void
die_usage(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* The MTA's time limit or a shutdown: clean up and ask for a retry. */
static void
on_signal(int sig)
{
	static const char alrm[] = "4.3.0 timed out\n";
	static const char term[] = "4.3.0 terminated\n";

	cleanup();
	if (sig == SIGALRM)
		(void)!write(1, alrm, sizeof(alrm) - 1);
	else
		(void)!write(1, term, sizeof(term) - 1);
	_exit(temp_code());
}

void
die_signals(unsigned seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (seconds > 0)
		alarm(seconds);
}
