/* nymfingerd.c - RFC 1288 finger on stdin/stdout (inetd, systemd socket). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "die.h"
#include "finger.h"
#include "pubview.h"
#include "util.h"

/* Exit statuses (nymfingerd(8)). */
#define FD_OK 0
#define FD_FAIL 1		/* client error, timeout or server trouble */
#define FD_USAGE 2

/* Send text (LF line ends) as CRLF and exit with code. */
static void __attribute__((noreturn))
reply(const char *text, size_t len, int code)
{
	struct buf out = BUF_INIT;

	finger_crlf(&out, text, len);
	if (util_write_all(1, out.s ? out.s : "", out.len) < 0)
		code = FD_FAIL;
	buf_free(&out);
	exit(code);
}

#define REPLY(s, code) reply(s, sizeof(s) - 1, code)

/* The bound on the whole run (a stuck file system): tell, and go. */
static void
on_alarm(int sig)
{
	static const char msg[] = "finger: timeout.\r\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(FD_FAIL);
}

/*
 * Read the query line: at most FINGER_MAX_QUERY bytes before LF, within
 * FINGER_TIMEOUT seconds in all.  Returns its length (CR LF removed).
 */
static size_t
read_query(char *line)
{
	time_t deadline = time(NULL) + FINGER_TIMEOUT;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { 0, POLLIN, 0 };
		time_t left = deadline - time(NULL);
		ssize_t r;
		char *nl;

		if (left <= 0)
			REPLY("finger: timeout.\n", FD_FAIL);
		r = poll(&p, 1, (int)left * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			exit(FD_FAIL);
		if (r == 0)
			REPLY("finger: timeout.\n", FD_FAIL);
		r = read(0, line + len, FINGER_MAX_QUERY + 2 - len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			exit(FD_FAIL);
		if (r == 0)
			break;		/* no line end: take what came */
		len += (size_t)r;
		if ((nl = memchr(line, '\n', len)) != NULL) {
			len = (size_t)(nl - line);
			break;
		}
		if (len >= FINGER_MAX_QUERY + 2)
			REPLY("finger: query too long.\n", FD_FAIL);
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > FINGER_MAX_QUERY)
		REPLY("finger: query too long.\n", FD_FAIL);
	return len;
}

int
main(int argc, char **argv)
{
	static const char *const kinds[] = { "empty", "user", "forward",
	    "bad" };
	struct conf conf;
	struct pubview *pv = NULL;
	struct finger_query q;
	struct buf out = BUF_INIT;
	char line[FINGER_MAX_QUERY + 3], err[512];
	const char *confpath = NULL;
	size_t len;
	int c, rc;

	util_sane_fds();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	die_init("nymfingerd");
	/* "+": options end at the first operand (no GNU permutation), so
	 * an MTA-supplied argument after them is never an option. */
	while ((c = getopt(argc, argv, "+c:v")) != -1) {
		switch (c) {
		case 'c': confpath = optarg; break;
		case 'v': die_set_verbose(1); break;
		default:
			die_usage(FD_USAGE, "usage: nymfingerd [-v] [-c conf]");
		}
	}
	if (optind != argc)
		die_usage(FD_USAGE, "usage: nymfingerd [-v] [-c conf]");
	if (geteuid() == 0) {
		log_err("refusing to run as root");
		REPLY("finger: service unavailable.\n", FD_FAIL);
	}
	if (conf_load(&conf, confpath, err, sizeof(err)) < 0) {
		log_err("configuration: %s", err);
		REPLY("finger: service unavailable.\n", FD_FAIL);
	}
	/* A bound on the whole run, reading included. */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);
		alarm(2 * FINGER_TIMEOUT);
	}

	len = read_query(line);
	finger_parse(line, len, &q);
	if (q.kind == FQ_USER) {
		/* The public view only: never the state, never gnupg/. */
		if (pubview_open(&pv, conf.pubdir) < 0) {
			log_err("public view unusable: %s", strerror(errno));
			pv = NULL;
		}
	}
	rc = finger_answer(&conf, pv, &q, &out);
	/* Only the kind of query: never the name asked for. */
	log_info("query (%s)%s", kinds[q.kind], rc < 0 ? " failed" : "");
	pubview_close(pv);
	reply(out.s ? out.s : "", out.len, rc < 0 ? FD_FAIL : FD_OK);
}
