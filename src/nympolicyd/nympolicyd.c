/* nympolicyd.c - Postfix policy service: sockets, event loop, signals. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "aliasaddr.h"
#include "buf.h"
#include "conf.h"
#include "die.h"
#include "util.h"
#include "dnscheck.h"
#include "policy.h"
#include "pubview.h"

/* Exit statuses (nympolicyd(8)). */
#define PD_OK 0
#define PD_FAIL 1
#define PD_USAGE 2

#define READ_CHUNK 4096
#define OUT_HIGH 65536		/* unsent answers before we stop reading */
#define MAX_REQUESTS 100000	/* per connection; then it is closed */
#define DEFAULT_MAXCONN 1000
#define DEFAULT_IDLE 600	/* above Postfix's policy max_idle (300 s) */
#define STATS_INTERVAL 3600.0

struct conn {
	int rfd, wfd;		/* one socket, or stdin/stdout with -s */
	struct buf in, out;
	size_t outoff;		/* bytes of out already written */
	struct policy_scan scan;
	struct policy_session ss;
	struct policy_req req;
	unsigned long nreq;
	double last;		/* time of the last input */
	int parked;		/* waiting for a DNS answer */
	int eof;		/* no more input */
	int closing;		/* close once out is written */
	int dead;		/* close now */
};

static struct conf conf;
static struct pubview *pv;
static struct dnscache *dns;
static struct policy *pol;
static struct conn **conns;
static size_t nconns, maxconns = DEFAULT_MAXCONN;
static unsigned idle_limit = DEFAULT_IDLE;
static int lfd = -1;
static char *unix_path;
static unsigned long overflows, accepted;
static volatile sig_atomic_t got_stop, got_usr1;

static void __attribute__((noreturn))
usage(void)
{
	die_usage(PD_USAGE, "usage: nympolicyd [-v] [-c conf] "
	    "[-n maxconn] [-t idle] [-m mode] [-g group]\n"
	    "       -l unix:PATH|inet:HOST:PORT\n"
	    "       nympolicyd [-v] [-c conf] -s");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;
	char why[512];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_err("%s", why);
	fprintf(stderr, "nympolicyd: %s\n", why);
	exit(PD_FAIL);
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop = 1;
}

/* Block the signals we handle; ppoll unblocks them while waiting. */
static void
setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGUSR1);
}

/* Counts only: never an address (DESIGN.md section 8). */
static void
log_stats(const char *why)
{
	struct policy_stats s;
	struct buf b = BUF_INIT;
	int i;

	policy_get_stats(pol, &s);
	buf_addf(&b, "%s: answers", why);
	for (i = 0; i < PV_PENDING; i++)
		buf_addf(&b, " %s=%lu", policy_verdict_name((enum
		    policy_verdict)i), s.verdicts[i]);
	buf_addf(&b, "; tracked senders=%zu hosts=%zu (%zu KiB), evicted=%lu;"
	    " connections open=%zu accepted=%lu cut-oversized=%lu", s.senders,
	    s.hosts, s.table_bytes / 1024, s.evicted, nconns, accepted,
	    overflows);
	log_info("%s", b.s);
	buf_free(&b);
}

/*
 * Alias mail from a sender without an alias is refused here, at RCPT,
 * not bounced later by Postfix to a forgeable sender: the view holds the
 * keyed hash of every address that has an alias (pubview.h).
 */
static int
alias_fn(void *arg, const char *name, const char *sender)
{
	struct pubview *v = arg;
	struct buf e = BUF_INIT, norm = BUF_INIT;
	int rc = pubview_get(v, name, &e);

	if (rc == 1)
		rc = e.len != 6 || memcmp(e.s, "alias\n", 6) != 0 ? 1 :
		    sender[0] == '\0' || alias_norm_addr(&conf, sender,
		    &norm) < 0 ? 0 : pubview_known(v, norm.s);
	else if (rc == 0)
		rc = 1;		/* gone meanwhile: nymserv decides */
	buf_free(&e);
	buf_free(&norm);
	return rc;
}

static int
dns_fn(void *arg, const char *domain)
{
	(void)arg;	/* the view: pubview_known's */
	return dnscache_get(dns, domain, now_mono());
}

static void
add_conn(int rfd, int wfd, double now)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->rfd = rfd;
	c->wfd = wfd;
	buf_init(&c->in);
	buf_init(&c->out);
	policy_req_init(&c->req);
	c->last = now;
	conns[nconns++] = c;
}

static void
close_conn(size_t i)
{
	struct conn *c = conns[i];

	close(c->rfd);
	if (c->wfd != c->rfd)
		close(c->wfd);
	buf_free(&c->in);
	buf_free(&c->out);
	policy_req_free(&c->req);
	free(c);
	conns[i] = conns[--nconns];
}

static void
conn_read(struct conn *c, double now)
{
	char chunk[READ_CHUNK];
	ssize_t r = read(c->rfd, chunk, sizeof(chunk));

	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->dead = 1;
		return;
	}
	if (r == 0) {
		c->eof = 1;
		return;
	}
	buf_add(&c->in, chunk, (size_t)r);
	c->last = now;
}

static void
conn_write(struct conn *c)
{
	ssize_t w;

	if (c->outoff == c->out.len)
		return;
	w = write(c->wfd, c->out.s + c->outoff, c->out.len - c->outoff);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->dead = 1;
		return;
	}
	c->outoff += (size_t)w;
	if (c->outoff == c->out.len) {
		buf_reset(&c->out);
		c->outoff = 0;
	}
}

/* Answer every complete request in the input, in order. */
static void
conn_process(struct conn *c, double now)
{
	size_t reqlen;
	int rc;

	while (!c->parked && !c->closing && !c->dead &&
	    c->out.len - c->outoff < OUT_HIGH) {
		rc = policy_scan(&c->scan, c->in.s, c->in.len, &reqlen);
		if (rc == POLICY_MORE) {
			if (c->eof)
				c->closing = 1;	/* a partial request is dropped */
			return;
		}
		if (rc < 0) {
			/* Over the caps: not a Postfix we want to talk to. */
			overflows++;
			c->dead = 1;
			return;
		}
		if (policy_parse(&c->req, c->in.s, reqlen) < 0)
			policy_error_action(pol, &c->out);
		else if (policy_decide(pol, &c->ss, &c->req, now, &c->out) ==
		    PV_PENDING) {
			/* Same request again once the answer is in. */
			c->parked = 1;
			memset(&c->scan, 0, sizeof(c->scan));
			return;
		}
		memmove(c->in.s, c->in.s + reqlen, c->in.len - reqlen);
		c->in.len -= reqlen;
		c->in.s[c->in.len] = '\0';
		memset(&c->scan, 0, sizeof(c->scan));
		if (++c->nreq >= MAX_REQUESTS)
			c->closing = 1;
	}
}

/*
 * A socket bound to a loopback address or a Unix path, listening.  A Unix
 * socket gets mode (default 0660: its answers tell which nyms exist and
 * its requests push quotas, so not every local user may connect) and,
 * with group != -1, that group (one Postfix's smtpd is in).
 */
static void
listen_on(const char *spec, unsigned mode, gid_t group)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun;
		const char *path = spec + 5;
		struct stat sb;
		char tmp[sizeof(sun.sun_path)];

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		/* Room for the temporary name ".new" too. */
		if (*path == '\0' || strlen(path) + 4 >= sizeof(sun.sun_path))
			fail("%s: bad or too long socket path", spec);
		memcpy(sun.sun_path, path, strlen(path));
		if (lstat(path, &sb) == 0) {
			int t;

			if (!S_ISSOCK(sb.st_mode))
				fail("%s exists and is not a socket", path);
			t = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (t >= 0 && connect(t, (struct sockaddr *)&sun,
			    sizeof(sun)) == 0)
				fail("%s: another server is listening", path);
			if (t >= 0)
				close(t);
			unlink(path);	/* left over from a crash */
		}
		/*
		 * Bind a temporary name and rename it into place once it
		 * listens: whoever sees PATH can connect (the ready signal).
		 */
		snprintf(tmp, sizeof(tmp), "%s.new", path);
		memcpy(sun.sun_path, tmp, strlen(tmp) + 1);
		(void)unlink(tmp);
		lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun,
		    sizeof(sun)) < 0)
			fail("%s: %s", spec, strerror(errno));
		if ((group != (gid_t)-1 && chown(tmp, (uid_t)-1, group) < 0) ||
		    chmod(tmp, mode) < 0 || listen(lfd, SOMAXCONN) < 0 ||
		    rename(tmp, path) < 0) {
			(void)unlink(tmp);
			fail("%s: %s", spec, strerror(errno));
		}
		unix_path = xstrdup(path);
		log_info("listening on %s", spec);
	} else if (strncmp(spec, "inet:", 5) == 0) {
		struct addrinfo hints, *res;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[256], port[16], *colon;
		const char *h = host;
		int one = 1, rc, loop = 0;

		if (snprintf(host, sizeof(host), "%s", spec + 5) >=
		    (int)sizeof(host) || (colon = strrchr(host, ':')) == NULL ||
		    strlen(colon + 1) >= sizeof(port))
			fail("%s: expected inet:HOST:PORT", spec);
		*colon = '\0';
		snprintf(port, sizeof(port), "%s", colon + 1);
		if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
			colon[-1] = '\0';
			h = host + 1;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		if ((rc = getaddrinfo(h, port, &hints, &res)) != 0)
			fail("%s: %s", spec, gai_strerror(rc));
		if (res->ai_family == AF_INET)
			loop = (ntohl(((struct sockaddr_in *)res->ai_addr)->
			    sin_addr.s_addr) >> 24) == 127;
		else if (res->ai_family == AF_INET6)
			loop = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)
			    res->ai_addr)->sin6_addr);
		if (!loop) {
			freeaddrinfo(res);
			fail("%s: not a loopback address (the answers reveal "
			    "which nyms exist)", spec);
		}
		lfd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) < 0 || bind(lfd, res->ai_addr,
		    res->ai_addrlen) < 0 || listen(lfd, SOMAXCONN) < 0) {
			freeaddrinfo(res);
			fail("%s: %s", spec, strerror(errno));
		}
		freeaddrinfo(res);
		/* Name the port actually bound (PORT may be 0). */
		if (getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0 &&
		    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
			log_info("listening on inet:%s:%s", host, port);
	} else {
		fail("%s: expected unix:PATH or inet:HOST:PORT", spec);
	}
}

/* More connections than descriptors would make accept(2) spin. */
static void
fit_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < maxconns + 32) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max >= maxconns + 32 ? maxconns + 32 : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < maxconns + 32) {
		maxconns = rl.rlim_cur > 48 ? rl.rlim_cur - 32 : 16;
		log_warn("descriptor limit: at most %zu connections", maxconns);
	}
}

/* What to wait for on connection c. */
static short
want_read(const struct conn *c)
{
	return !c->parked && !c->closing && !c->eof && !c->dead &&
	    c->out.len - c->outoff < OUT_HIGH ? POLLIN : 0;
}

static short
want_write(const struct conn *c)
{
	return c->out.len > c->outoff ? POLLOUT : 0;
}

/* The event loop; returns on SIGTERM/SIGINT, or at EOF with -s. */
static void
serve(int spawn, const sigset_t *waitmask)
{
	struct pollfd *pfd = xcalloc(2 + 2 * maxconns, sizeof(*pfd));
	struct conn **who = xcalloc(2 + 2 * maxconns, sizeof(*who));
	double next_stats = now_mono() + STATS_INTERVAL, now;
	unsigned long seen = 0;

	while (!got_stop) {
		size_t n = 0, i, k;
		int nl = -1, nd = -1, rc;
		struct timespec tmo = { 1, 0 };

		if (lfd >= 0 && nconns < maxconns) {
			pfd[n].fd = lfd;
			pfd[n].events = POLLIN;
			nl = (int)n++;
		}
		if (dns != NULL && dnscache_fd(dns) >= 0) {
			pfd[n].fd = dnscache_fd(dns);
			pfd[n].events = POLLIN;
			nd = (int)n++;
		}
		for (i = 0; i < nconns; i++) {
			struct conn *c = conns[i];

			if (c->rfd == c->wfd) {
				pfd[n].fd = c->rfd;
				pfd[n].events = want_read(c) | want_write(c);
				who[n++] = c;
			} else {
				pfd[n].fd = c->rfd;
				pfd[n].events = want_read(c);
				who[n++] = c;
				pfd[n].fd = c->wfd;
				pfd[n].events = want_write(c);
				who[n++] = c;
			}
		}
		rc = ppoll(pfd, n, &tmo, waitmask);
		if (rc < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		now = now_mono();
		if (got_usr1) {
			got_usr1 = 0;
			log_stats("statistics");
		}
		if (got_stop)
			break;
		if (rc > 0) {
			for (k = 0; k < n; k++) {
				struct conn *c = who[k];

				if ((int)k == nl || (int)k == nd ||
				    pfd[k].revents == 0)
					continue;
				if (pfd[k].revents & (POLLIN | POLLHUP |
				    POLLERR) && pfd[k].fd == c->rfd &&
				    want_read(c))
					conn_read(c, now);
				if (pfd[k].revents & POLLERR &&
				    pfd[k].fd == c->wfd)
					c->dead = 1;
				if (pfd[k].revents & POLLNVAL)
					c->dead = 1;
				conn_process(c, now);
				conn_write(c);
			}
			if (nd >= 0 && pfd[nd].revents != 0 &&
			    dnscache_collect(dns, now) > 0) {
				for (i = 0; i < nconns; i++) {
					if (!conns[i]->parked)
						continue;
					conns[i]->parked = 0;
					conn_process(conns[i], now);
					conn_write(conns[i]);
				}
			}
		}
		/* Retire finished, broken and idle connections. */
		for (i = 0; i < nconns;) {
			struct conn *c = conns[i];

			if (!c->dead && !c->parked)
				conn_process(c, now);
			if (c->dead || (c->closing && c->out.len ==
			    c->outoff) || now - c->last > idle_limit) {
				close_conn(i);
				if (spawn)
					got_stop = 1;
				continue;
			}
			i++;
		}
		if (rc > 0 && nl >= 0 && pfd[nl].revents & POLLIN) {
			while (nconns < maxconns) {
				int fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0) {
					if (errno == EINTR ||
					    errno == ECONNABORTED)
						continue;
					if (errno != EAGAIN)
						log_warn("accept: %s",
						    strerror(errno));
					break;
				}
				add_conn(fd, fd, now);
				accepted++;
			}
		}
		if (now >= next_stats) {
			struct policy_stats s;
			unsigned long total = 0;

			policy_get_stats(pol, &s);
			for (i = 0; i < PV_COUNT; i++)
				total += s.verdicts[i];
			if (total != seen)
				log_stats("statistics");
			seen = total;
			next_stats = now + STATS_INTERVAL;
		}
	}
	free(pfd);
	free(who);
}

int
main(int argc, char **argv)
{
	const char *confpath = NULL, *listen_spec = NULL;
	struct policy_settings set;
	sigset_t waitmask;
	char err[512], *end;
	unsigned long v;
	unsigned mode = 0660;
	gid_t group = (gid_t)-1;
	struct group *gr;
	int spawn = 0, c;

	util_sane_fds();
	die_init("nympolicyd");
	/* "+": options end at the first operand (no GNU permutation), so
	 * an MTA-supplied argument after them is never an option. */
	while ((c = getopt(argc, argv, "+c:g:l:m:n:st:v")) != -1) {
		switch (c) {
		case 'c':
			confpath = optarg;
			break;
		case 'g':
			v = strtoul(optarg, &end, 10);
			if (*optarg != '\0' && *end == '\0' && v < (gid_t)-1)
				group = (gid_t)v;
			else if ((gr = getgrnam(optarg)) != NULL)
				group = gr->gr_gid;
			else
				usage();
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'm':
			v = strtoul(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || v > 0777)
				usage();
			mode = (unsigned)v;
			break;
		case 'n':
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > 100000)
				usage();
			maxconns = v;
			break;
		case 's':
			spawn = 1;
			break;
		case 't':
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > 86400)
				usage();
			idle_limit = (unsigned)v;
			break;
		case 'v':
			die_set_verbose(1);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || spawn == (listen_spec != NULL))
		usage();
	if (geteuid() == 0)
		fail("refusing to run as root: run it as the nymserv user");
	if (conf_load(&conf, confpath, err, sizeof(err)) < 0)
		fail("%s", err);
	/* Names in use come from the public view: never db/ nor gnupg/. */
	if (pubview_open(&pv, conf.pubdir) < 0)
		fail("public view %s: %s (run nymctl check as the state owner)",
		    conf.pubdir, strerror(errno));
	if (conf.policy_dns_server != NULL &&
	    dnscheck_set_server(conf.policy_dns_server) < 0)
		fail("policy_dns_server: expected IPv4 or IPv4:port");
	if (dnscheck_set_timeout(conf.policy_dns_timeout) < 0)
		fail("policy_dns_timeout: out of range");
	if (conf.policy_dns_check && (dns = dnscache_new(spawn ? 0 :
	    conf.policy_dns_workers)) == NULL)
		fail("cannot start the resolver threads: %s", strerror(errno));
	if (dns != NULL && !spawn && dnscache_workers(dns) <
	    conf.policy_dns_workers)
		log_warn("only %u of %u resolver threads started",
		    dnscache_workers(dns), conf.policy_dns_workers);
	memset(&set, 0, sizeof(set));
	set.hostname = conf.hostname;
	set.half_life = conf.policy_half_life;
	set.sender_limit = conf.policy_sender_limit;
	set.host_limit = conf.policy_host_limit;
	set.max_rcpts = conf.policy_max_rcpts;
	set.table_size = conf.policy_table_size;
	set.dns_check = conf.policy_dns_check;
	set.on_error_defer = strcmp(conf.policy_on_error, "defer") == 0;
	if ((pol = policy_new(&set, pubview_known, dns_fn, pv)) == NULL)
		fail("cannot set up the quota tables");
	if (conf.policy_alias_senders && conf.alias_enabled)
		policy_set_alias_check(pol, alias_fn);
	setup_signals(&waitmask);
	if (spawn) {
		maxconns = 1;
		conns = xcalloc(maxconns, sizeof(*conns));
		if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) < 0 ||
		    fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) < 0)
			fail("stdin/stdout: %s", strerror(errno));
		add_conn(0, 1, now_mono());
	} else {
		fit_fd_limit();
		conns = xcalloc(maxconns, sizeof(*conns));
		listen_on(listen_spec, mode, group);
	}
	serve(spawn, &waitmask);
	log_stats(spawn ? "done" : "stopping");
	while (nconns > 0)
		close_conn(nconns - 1);
	if (lfd >= 0)
		close(lfd);
	if (unix_path != NULL) {
		unlink(unix_path);
		free(unix_path);
	}
	free(conns);
	policy_free(pol);
	dnscache_free(dns);
	pubview_close(pv);
	conf_free(&conf);
	return PD_OK;
}
