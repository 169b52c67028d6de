/* outbound.c - posix_spawn with a built environment and no shell. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "util.h"
#include "outbound.h"

static char extra_env[80];
static char *child_env[] = {
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG=C",
	"NYM_CHILD=1",	/* skip the scrub gate (store.c scrub_lock) */
	NULL,		/* run_set_env */
	NULL
};

void
run_set_env(const char *kv)
{
	if (kv == NULL || strlen(kv) >= sizeof(extra_env)) {
		child_env[3] = NULL;
		return;
	}
	strcpy(extra_env, kv);
	child_env[3] = extra_env;
}

static int
wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	die_child(0);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}

/*
 * Start argv[0] with stdin from infd and stdout to outfd (/dev/null for
 * -1), stderr to /dev/null, the signals we catch or ignore back to their
 * defaults, nothing blocked.  posix_spawn rather than fork + exec: glibc
 * starts the child in the parent's memory (CLONE_VM|CLONE_VFORK), so no
 * page tables are copied and no page of the parent is faulted in again
 * afterwards, which a delivery paid twice (nymserv -> remail -> sendmail;
 * bench/breakdown.sh).  The alarm is not inherited, as with fork.
 * Returns the pid, -1 if no process could be made, -2 if the program
 * could not be executed (the old child's exit 127).
 */
static pid_t
spawn(char *const argv[], int infd, int outfd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t none, def;
	pid_t pid;
	int e;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	if (posix_spawnattr_init(&sa) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGALRM);
	sigaddset(&def, SIGTERM);
	e = posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK);
	if (e == 0)
		e = posix_spawnattr_setsigdefault(&sa, &def);
	if (e == 0)
		e = posix_spawnattr_setsigmask(&sa, &none);
	if (e == 0)
		e = infd >= 0 ? posix_spawn_file_actions_adddup2(&fa, infd, 0) :
		    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDWR, 0);
	if (e == 0)
		e = outfd >= 0 ? posix_spawn_file_actions_adddup2(&fa, outfd,
		    1) : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
		    O_RDWR, 0);
	if (e == 0)
		e = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null",
		    O_RDWR, 0);
	if (e == 0)
		e = posix_spawn(&pid, argv[0], &fa, &sa, argv, child_env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	if (e == 0)
		return pid;
	errno = e;
	return e == ENOMEM || e == EAGAIN ? -1 : -2;
}

int
run_capture(char *const argv[], const void *data, size_t len,
    struct buf *out, size_t max)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, rc, werr = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (out != NULL && pipe2(outp, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if ((pid = spawn(argv, data != NULL ? in[0] : -1,
	    out != NULL ? outp[1] : -1)) < 0) {
		close(in[0]);
		close(in[1]);
		if (out != NULL) {
			close(outp[0]);
			close(outp[1]);
		}
		return pid == -2 ? 127 : -1;
	}
	die_child((int)pid);
	close(in[0]);
	if (out != NULL)
		close(outp[1]);
	if (out == NULL) {
		if (data != NULL && util_write_all(in[1], data, len) < 0)
			werr = 1;
		close(in[1]);
	} else {
		/* Feed stdin and drain stdout without deadlock. */
		const char *p = data;
		size_t left = data != NULL ? len : 0;
		int infd = in[1];
		char tmp[8192];

		if (data == NULL || left == 0) {
			close(infd);
			infd = -1;
		} else {
			fcntl(infd, F_SETFL, O_NONBLOCK);
		}
		buf_reset(out);
		for (;;) {
			fd_set rf, wf;
			int maxfd = outp[0];

			FD_ZERO(&rf);
			FD_ZERO(&wf);
			FD_SET(outp[0], &rf);
			if (infd >= 0) {
				FD_SET(infd, &wf);
				if (infd > maxfd)
					maxfd = infd;
			}
			if (select(maxfd + 1, &rf, &wf, NULL, NULL) < 0) {
				if (errno == EINTR)
					continue;
				werr = 1;
				break;
			}
			if (infd >= 0 && FD_ISSET(infd, &wf)) {
				ssize_t n = write(infd, p, left);

				if (n < 0 && errno != EAGAIN && errno != EINTR) {
					werr = 1;
					close(infd);
					infd = -1;
				} else if (n > 0) {
					p += n;
					left -= (size_t)n;
					if (left == 0) {
						close(infd);
						infd = -1;
					}
				}
			}
			if (FD_ISSET(outp[0], &rf)) {
				ssize_t n = read(outp[0], tmp, sizeof(tmp));

				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				if (out->len + (size_t)n > max)
					werr = 1;
				else
					buf_add(out, tmp, (size_t)n);
			}
		}
		if (infd >= 0)
			close(infd);
		close(outp[0]);
	}
	rc = wait_child(pid);
	if (werr && rc == 0)
		rc = -1;
	return rc;
}

int
run_pipe(char *const argv[], const void *data, size_t len)
{
	return run_capture(argv, data, len, NULL, 0);
}

static char *auto_sender;

void
sendmail_auto_sender(const char *addr)
{
	free(auto_sender);
	auto_sender = addr != NULL && addr[0] != '\0' ? xstrdup(addr) : NULL;
}

int
sendmail_send(char *const sendmail[], const char *sender,
    const char *const *rcpts, size_t nrcpts, const void *msg, size_t len)
{
	size_t n = 0, i, j;
	char **av;
	int rc;

	for (i = 0; sendmail[i] != NULL; i++)
		n++;
	av = xcalloc(n + nrcpts + 6, sizeof(*av));
	for (i = 0, j = 0; sendmail[i] != NULL; i++)
		av[j++] = sendmail[i];
	av[j++] = "-f";
	if (sender[0] == '\0' && auto_sender != NULL)
		sender = auto_sender;
	av[j++] = (char *)(sender[0] ? sender : "<>");
	av[j++] = "-oi";
	av[j++] = "--";
	for (i = 0; i < nrcpts; i++)
		av[j++] = (char *)rcpts[i];
	av[j] = NULL;
	rc = run_pipe(av, msg, len);
	free(av);
	if (rc != 0) {
		log_warn("sendmail failed (status %d)", rc);
		return -1;
	}
	return 0;
}
