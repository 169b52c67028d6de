/*
 * policy-load.c - load generator for nympolicyd (bench/policyd.sh).
 *
 *   policy-load SOCK CONNS -t SECONDS TAG [HOST]
 *   policy-load SOCK CONNS -n TOTAL TAG [HOST]
 *
 * Opens CONNS connections to SOCK (unix:PATH or inet:HOST:PORT) and, on
 * each, sends full Postfix RCPT-time policy requests in lock step (the
 * next one once the answer is in, as smtpd does), all connections at
 * once from one thread with epoll, so the client costs little next to
 * the daemon.  Every request is a new message (own instance) from a new
 * sender TAG-CONN-SEQ@bench.example; the client address is a new one per
 * request unless HOST is given.  With -t it runs SECONDS of wall time
 * and counts the answers that came in by then; with -n it stops after
 * TOTAL answers.  A connection the server closes between answers (it
 * does after 100000 requests) is opened again, as smtpd would.  Prints
 * one line:
 *
 *   answers N seconds S rate R dunno D other O reconnects C cpu U
 *
 * where U is this client's own CPU seconds (user and system).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	unsigned id;
	unsigned long seq;
	char out[640];
	size_t outlen, outoff;
	int stuck;		/* EPOLLOUT watched */
	char in[512];
	size_t inlen;
};

static const char *tag, *fixed_host;
static unsigned long nsent;
static int ep;
static const char *spec;
static unsigned long reconnects;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
connect_to(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(spec + 5) >= sizeof(sun.sun_path))
			die("socket path too long");
		strcpy(sun.sun_path, spec + 5);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			die(spec);
		return fd;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		char host[256];
		const char *port = strrchr(spec + 5, ':');
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;

		if (port == NULL || (size_t)(port - spec - 5) >= sizeof(host))
			die("bad inet:HOST:PORT");
		memcpy(host, spec + 5, port - spec - 5);
		host[port - spec - 5] = '\0';
		if (getaddrinfo(host, port + 1, &hints, &ai) != 0)
			die("getaddrinfo");
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) < 0 ||
		    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			die(spec);
		freeaddrinfo(ai);
		/* Blocking connect on loopback, then non-blocking I/O. */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			die("fcntl");
		return fd;
	}
	fprintf(stderr, "expected unix:PATH or inet:HOST:PORT\n");
	exit(2);
}

static int flush_out(struct conn *);

/*
 * The server ends a connection after so many requests; like smtpd,
 * connect again and send the unanswered request once more.
 */
static void
reconnect(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = connect_to(spec);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		die("epoll_ctl");
	c->stuck = 0;
	c->outoff = 0;
	c->inlen = 0;
	reconnects++;
	flush_out(c);
}

/* Format the next request of c and try to write it. */
static void
next_request(struct conn *c)
{
	char host[32];
	unsigned long g = nsent++;
	int n;

	if (fixed_host != NULL)
		snprintf(host, sizeof(host), "%s", fixed_host);
	else
		snprintf(host, sizeof(host), "10.%lu.%lu.%lu", (g >> 16) & 255,
		    (g >> 8) & 255, g & 255);
	n = snprintf(c->out, sizeof(c->out),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\n"
	    "reverse_client_name=unknown\nhelo_name=bench.example\n"
	    "sender=%s-%u-%lu@bench.example\nrecipient=alice@nym.test\n"
	    "recipient_count=0\nqueue_id=\ninstance=%s.%u.%lu\nsize=0\n"
	    "etrn_domain=\nstress=\nsasl_method=\nsasl_username=\n"
	    "sasl_sender=\nccert_subject=\nccert_issuer=\n"
	    "ccert_fingerprint=\nencryption_protocol=\nencryption_cipher=\n"
	    "encryption_keysize=0\n\n",
	    host, tag, c->id, c->seq, tag, c->id, c->seq);
	if (n < 0 || (size_t)n >= sizeof(c->out))
		die("request too long");
	c->seq++;
	c->outlen = n;
	c->outoff = 0;
}

/* Watch c for EVENTS (EPOLLIN, with EPOLLOUT while a write is stuck). */
static void
watch(struct conn *c, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

/* Write what is pending; 0 when all of it went out. */
static int
flush_out(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = write(c->fd, c->out + c->outoff,
		    c->outlen - c->outoff);

		if (w < 0 && errno == EAGAIN) {
			if (!c->stuck)
				watch(c, EPOLLIN | EPOLLOUT);
			c->stuck = 1;
			return 1;
		}
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			reconnect(c);
			return 1;
		}
		if (w < 0)
			die("write");
		c->outoff += w;
	}
	if (c->stuck)
		watch(c, EPOLLIN);
	c->stuck = 0;
	return 0;
}

int
main(int argc, char **argv)
{
	struct conn *cs;
	struct epoll_event ev, evs[256];
	struct rusage ru;
	unsigned long answers = 0, dunno = 0, total = 0;
	unsigned nconn, i, open;
	double seconds = 0, t0, deadline, t1;
	int timed;

	if (argc < 6 || argc > 7 || (strcmp(argv[3], "-t") != 0 &&
	    strcmp(argv[3], "-n") != 0)) {
		fprintf(stderr, "usage: policy-load SOCK CONNS -t SECONDS|"
		    "-n TOTAL TAG [HOST]\n");
		return 2;
	}
	spec = argv[1];
	signal(SIGPIPE, SIG_IGN);
	nconn = strtoul(argv[2], NULL, 10);
	timed = argv[3][1] == 't';
	if (timed)
		seconds = strtod(argv[4], NULL);
	else
		total = strtoul(argv[4], NULL, 10);
	tag = argv[5];
	fixed_host = argc == 7 ? argv[6] : NULL;
	if (nconn < 1 || nconn > 10000 || (timed ? seconds <= 0 : total < 1))
		die("bad arguments");

	if ((ep = epoll_create1(0)) < 0)
		die("epoll_create1");
	if ((cs = calloc(nconn, sizeof(*cs))) == NULL)
		die("calloc");
	for (i = 0; i < nconn; i++) {
		cs[i].fd = connect_to(spec);
		cs[i].id = i;
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
			die("epoll_ctl");
	}

	t0 = now();
	deadline = t0 + seconds;
	open = nconn;
	for (i = 0; i < nconn; i++) {
		if (!timed && nsent >= total) {
			close(cs[i].fd);
			cs[i].fd = -1;
			open--;
			continue;
		}
		next_request(&cs[i]);
		flush_out(&cs[i]);
	}
	while (open > 0) {
		int n, k, ms = -1;

		if (timed) {
			double left = deadline - now();

			if (left <= 0)
				break;
			ms = (int)(left * 1000) + 1;
		}
		if ((n = epoll_wait(ep, evs, 256, ms)) < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t r;
			char *end;

			if (c->fd < 0)
				continue;
			if (flush_out(c))
				continue;
			r = read(c->fd, c->in + c->inlen,
			    sizeof(c->in) - 1 - c->inlen);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (c->inlen == 0 && (r == 0 ||
			    (r < 0 && errno == ECONNRESET))) {
				reconnect(c);
				continue;
			}
			if (r <= 0) {
				fprintf(stderr, "policy-load: connection %u "
				    "closed by the server mid-answer\n", c->id);
				return 1;
			}
			c->inlen += r;
			c->in[c->inlen] = '\0';
			if ((end = strstr(c->in, "\n\n")) == NULL) {
				if (c->inlen + 1 >= sizeof(c->in))
					die("answer too long");
				continue;
			}
			if (timed && now() > deadline)
				break;
			answers++;
			if (strncmp(c->in, "action=dunno\n", 13) == 0)
				dunno++;
			/* Lock step: one answer per request, nothing after. */
			c->inlen = 0;
			if (!timed && nsent >= total) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				open--;
				continue;
			}
			next_request(c);
			flush_out(c);
		}
	}
	t1 = now();
	getrusage(RUSAGE_SELF, &ru);
	printf("answers %lu seconds %.3f rate %.0f dunno %lu other %lu "
	    "reconnects %lu cpu %.2f\n", answers, t1 - t0, answers / (t1 - t0),
	    dunno, answers - dunno, reconnects, ru.ru_utime.tv_sec +
	    ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
	    1e6);
	return 0;
}
