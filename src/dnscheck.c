/* dnscheck.c - sender-domain lookups through res_query, cached, off-thread. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dnscheck.h"

#define CACHE_SLOTS 1024
#define TTL_OK 3600.0
#define TTL_NOTFOUND 600.0
#define TTL_TEMP 30.0
#define PENDING_MAX 120.0	/* give up waiting for the thread after this */
#define MAX_DOMAIN 253

static enum dns_q res_lookup(const char *, int);
static dnscheck_query_fn query = res_lookup;

/*
 * The resolver state of the one thread that looks names up (the resolver
 * thread, or the main thread in spawn mode): private, so the name server
 * can be overridden and the timeouts kept short.
 */
static struct __res_state rs;
static int rs_ready;
static struct sockaddr_in server;
static int have_server;

int
dnscheck_set_server(const char *spec)
{
	char host[64], *colon, *end;
	unsigned long port = 53;

	if (snprintf(host, sizeof(host), "%s", spec) >= (int)sizeof(host))
		return -1;
	if ((colon = strchr(host, ':')) != NULL) {
		*colon = '\0';
		port = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || port < 1 ||
		    port > 65535)
			return -1;
	}
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &server.sin_addr) != 1)
		return -1;
	have_server = 1;
	return 0;
}

/* Set up rs on first use: 2 s per try, 2 tries, our server if given. */
static int
rs_init(void)
{
	int i;

	if (rs_ready)
		return 0;
	if (res_ninit(&rs) < 0)
		return -1;
	rs.retrans = 2;
	rs.retry = 2;
	if (have_server) {
		for (i = 0; i < MAXNS; i++) {
			free(rs._u._ext.nsaddrs[i]);
			rs._u._ext.nsaddrs[i] = NULL;
		}
		rs.nscount = 1;
		rs.nsaddr_list[0] = server;
	}
	rs_ready = 1;
	return 0;
}

void
dnscheck_set_query(dnscheck_query_fn fn)
{
	query = fn != NULL ? fn : res_lookup;
}

/* One query through the system resolver, classified. */
static enum dns_q
res_lookup(const char *domain, int type)
{
	unsigned char ans[4096];
	ns_msg msg;
	ns_rr rr;
	int n, i, count, found = 0, nullmx = 0;

	if (rs_init() < 0)
		return DNSQ_TEMP;
	n = res_nquery(&rs, domain, ns_c_in, type, ans, sizeof(ans));
	if (n < 0) {
		switch (rs.res_h_errno) {
		case HOST_NOT_FOUND:
			return DNSQ_NXDOMAIN;
		case NO_DATA:
			return DNSQ_NODATA;
		default:
			return DNSQ_TEMP;
		}
	}
	if (ns_initparse(ans, n, &msg) < 0)
		return DNSQ_TEMP;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return DNSQ_TEMP;
		if ((int)ns_rr_type(rr) != type)
			continue;	/* the CNAME chain */
		if (type == ns_t_mx) {
			char exch[NS_MAXDNAME];

			if (ns_rr_rdlen(rr) < 3 ||
			    ns_name_uncompress(ns_msg_base(msg),
			    ns_msg_end(msg), ns_rr_rdata(rr) + 2, exch,
			    sizeof(exch)) < 0)
				continue;
			if (exch[0] == '\0' || strcmp(exch, ".") == 0) {
				nullmx++;
				continue;
			}
		}
		found++;
	}
	if (found > 0)
		return DNSQ_FOUND;
	return nullmx > 0 ? DNSQ_NULLMX : DNSQ_NODATA;
}

int
dnscheck_lookup(const char *domain)
{
	enum dns_q a, aaaa;

	switch (query(domain, ns_t_mx)) {
	case DNSQ_FOUND:
		return POLICY_DNS_OK;
	case DNSQ_NULLMX:
	case DNSQ_NXDOMAIN:
		return POLICY_DNS_NOTFOUND;
	case DNSQ_NODATA:
		break;
	default:
		return POLICY_DNS_TEMP;
	}
	/* No MX: the domain's own address is the mail host (RFC 5321 5.1). */
	a = query(domain, ns_t_a);
	if (a == DNSQ_FOUND)
		return POLICY_DNS_OK;
	aaaa = query(domain, ns_t_aaaa);
	if (aaaa == DNSQ_FOUND)
		return POLICY_DNS_OK;
	if (a == DNSQ_TEMP || aaaa == DNSQ_TEMP)
		return POLICY_DNS_TEMP;
	return POLICY_DNS_NOTFOUND;
}

struct centry {
	char name[MAX_DOMAIN + 1];
	int state;		/* POLICY_DNS_*, or -1 for an empty slot */
	double expires;
};

struct dnscache {
	struct centry e[CACHE_SLOTS];
	int async;
	int req[2];		/* names to look up: main -> thread */
	int ans[2];		/* "verdict name\n": thread -> main */
	struct buf in;		/* a partial answer line */
};

/* FNV-1a: collisions only cost a repeated lookup. */
static struct centry *
slot(struct dnscache *c, const char *name)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &c->e[h % CACHE_SLOTS];
}

static void
store(struct dnscache *c, const char *name, int state, double now)
{
	struct centry *e = slot(c, name);
	double ttl = state == POLICY_DNS_OK ? TTL_OK :
	    state == POLICY_DNS_NOTFOUND ? TTL_NOTFOUND :
	    state == POLICY_DNS_PENDING ? PENDING_MAX : TTL_TEMP;

	snprintf(e->name, sizeof(e->name), "%s", name);
	e->state = state;
	e->expires = now + ttl;
}

/* The thread's own ends of the two pipes (it never touches the cache). */
struct ends {
	int rfd, wfd;
};

/* The resolver thread: one name per line in, one answer per line out. */
static void *
resolver(void *arg)
{
	struct ends *ends = arg;
	char line[MAX_DOMAIN + 2], out[MAX_DOMAIN + 16];
	size_t have = 0;
	int rfd = ends->rfd, wfd = ends->wfd;

	free(ends);
	for (;;) {
		char *nl;
		ssize_t r;

		while ((nl = memchr(line, '\n', have)) != NULL) {
			size_t n = (size_t)(nl - line);
			int len;

			*nl = '\0';
			len = snprintf(out, sizeof(out), "%d %s\n",
			    dnscheck_lookup(line), line);
			if (len < 0 || write(wfd, out, (size_t)len) != len)
				goto done;
			memmove(line, nl + 1, have - n - 1);
			have -= n + 1;
		}
		if (have == sizeof(line))
			have = 0;	/* cannot happen: names are capped */
		r = read(rfd, line + have, sizeof(line) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
	}
done:
	close(rfd);
	close(wfd);
	return NULL;
}

struct dnscache *
dnscache_new(int async)
{
	struct dnscache *c = xcalloc(1, sizeof(*c));
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++)
		c->e[i].state = -1;
	c->async = async;
	c->req[0] = c->req[1] = c->ans[0] = c->ans[1] = -1;
	buf_init(&c->in);
	if (async) {
		pthread_t th;
		pthread_attr_t at;
		sigset_t all, old;
		struct ends *ends;
		int rc;

		if (pipe2(c->req, O_CLOEXEC) < 0 ||
		    pipe2(c->ans, O_CLOEXEC) < 0 ||
		    fcntl(c->req[1], F_SETFL, O_NONBLOCK) < 0 ||
		    fcntl(c->ans[0], F_SETFL, O_NONBLOCK) < 0) {
			if (c->req[0] >= 0)
				close(c->req[0]);
			if (c->ans[1] >= 0)
				close(c->ans[1]);
			dnscache_free(c);
			return NULL;
		}
		ends = xmalloc(sizeof(*ends));
		ends->rfd = c->req[0];
		ends->wfd = c->ans[1];
		/* Signals are for the main thread's event loop. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&th, &at, resolver, ends);
		pthread_attr_destroy(&at);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc != 0) {
			free(ends);
			close(c->req[0]);
			close(c->ans[1]);
			dnscache_free(c);
			return NULL;
		}
	}
	return c;
}

/*
 * Closing the request pipe ends the thread after its current lookup; it
 * closes its own ends of the pipes.
 */
void
dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	if (c->req[1] >= 0)
		close(c->req[1]);
	if (c->ans[0] >= 0)
		close(c->ans[0]);
	buf_free(&c->in);
	free(c);
}

int
dnscache_fd(const struct dnscache *c)
{
	return c->async ? c->ans[0] : -1;
}

int
dnscache_get(struct dnscache *c, const char *domain, double now)
{
	struct centry *e;
	char line[MAX_DOMAIN + 2];
	size_t n = strlen(domain);
	int v;

	if (n == 0 || n > MAX_DOMAIN || strchr(domain, '\n') != NULL)
		return POLICY_DNS_TEMP;
	e = slot(c, domain);
	if (e->state >= 0 && strcmp(e->name, domain) == 0 && now < e->expires)
		return e->state;
	if (!c->async) {
		v = dnscheck_lookup(domain);
		store(c, domain, v, now);
		return v;
	}
	memcpy(line, domain, n);
	line[n] = '\n';
	/* Under PIPE_BUF: written whole or not at all. */
	if (write(c->req[1], line, n + 1) != (ssize_t)(n + 1))
		return POLICY_DNS_TEMP;
	store(c, domain, POLICY_DNS_PENDING, now);
	return POLICY_DNS_PENDING;
}

int
dnscache_collect(struct dnscache *c, double now)
{
	char chunk[4096];
	int got = 0;

	if (!c->async)
		return 0;
	for (;;) {
		ssize_t r = read(c->ans[0], chunk, sizeof(chunk));
		char *p, *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_add(&c->in, chunk, (size_t)r);
		p = c->in.s;
		while ((nl = memchr(p, '\n', c->in.len -
		    (size_t)(p - c->in.s))) != NULL) {
			char *sp;

			*nl = '\0';
			if ((sp = strchr(p, ' ')) != NULL && sp - p == 1 &&
			    *p >= '0' && *p <= '0' + POLICY_DNS_TEMP &&
			    strlen(sp + 1) <= MAX_DOMAIN) {
				store(c, sp + 1, *p - '0', now);
				got++;
			}
			p = nl + 1;
		}
		{
			size_t left = c->in.len - (size_t)(p - c->in.s);

			memmove(c->in.s, p, left);
			c->in.len = left;
			c->in.s[left] = '\0';
		}
	}
	return got;
}
