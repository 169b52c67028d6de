/* dnscheck.c - sender-domain lookups through res_query, cached, in worker threads. */
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
#define PENDING_MAX 120.0	/* give up waiting for an answer after this */
#define MAX_DOMAIN 253
#define QUEUE_PER_WORKER 32	/* names waiting per worker, then TEMP */

static enum dns_q res_lookup(const char *, int);
static dnscheck_query_fn query = res_lookup;

/*
 * Each thread that looks names up (a worker, or the main thread in
 * spawn mode) has its own resolver state: res_nquery is thread-safe on
 * separate states, the name server can be overridden and the timeouts
 * kept short.
 */
static __thread struct __res_state rs;
static __thread int rs_ready;
static struct sockaddr_in server;
static int have_server;
static int try_seconds = 2;	/* per try; 2 tries per query */

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

int
dnscheck_set_timeout(unsigned seconds)
{
	if (seconds < 1 || seconds > 60)
		return -1;
	try_seconds = (int)seconds;
	return 0;
}

/* Set up rs on first use: try_seconds per try, 2 tries, our server. */
static int
rs_init(void)
{
	int i;

	if (rs_ready)
		return 0;
	if (res_ninit(&rs) < 0)
		return -1;
	rs.retrans = try_seconds;
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

/* Close this thread's resolver state: res_send keeps the name servers'
 * addresses in it (malloc'd), which a thread ending without this leaks. */
static void
rs_close(void)
{
	if (!rs_ready)
		return;
	res_nclose(&rs);
	rs_ready = 0;
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

/*
 * What the main thread and the workers share (SECURITY.md 3.16): a
 * bounded queue of names, and the answer pipe.  One slow domain used to
 * hold the single resolver thread, and every other lookup queued behind
 * it; now up to nworkers lookups run at once, each bounded by the
 * resolver's timeout, and a full queue answers TEMP at once rather than
 * making everyone wait.  Reference-counted: workers still inside a
 * lookup when the cache is freed finish it and free the pool last.
 */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char (*q)[MAX_DOMAIN + 1];	/* ring of waiting names */
	size_t cap, head, n;
	int stop;
	int refs;
	int wfd;			/* answers: workers -> main */
};

struct dnscache {
	struct centry e[CACHE_SLOTS];
	unsigned workers;	/* 0: lookups inline */
	struct pool *pool;
	int rfd;		/* the main thread's end of the answers */
	struct buf in;		/* a partial answer line */
};

/*
 * The cache is set-associative: a name lives in one of WAYS slots after
 * its FNV-1a hash.  A name waiting for its answer (PENDING) is never
 * evicted by another: with a direct-mapped table, two colliding names
 * (s2.slow.test and nx.test do) threw each other's pending entries out
 * and were queued again and again.
 */
#define WAYS 4

static uint32_t
hash(const char *name)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The live or expired entry of name, or NULL. */
static struct centry *
lookup(struct dnscache *c, const char *name)
{
	uint32_t h = hash(name);
	int i;

	for (i = 0; i < WAYS; i++) {
		struct centry *e = &c->e[(h + (uint32_t)i) % CACHE_SLOTS];

		if (e->state >= 0 && strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

/*
 * Where name goes: its own entry, else an empty or expired slot, else
 * the non-pending entry that expires first; NULL when every slot holds
 * a name still waiting for its answer.
 */
static struct centry *
place(struct dnscache *c, const char *name, double now)
{
	struct centry *e = lookup(c, name), *best = NULL;
	uint32_t h = hash(name);
	int i;

	if (e != NULL)
		return e;
	for (i = 0; i < WAYS; i++) {
		e = &c->e[(h + (uint32_t)i) % CACHE_SLOTS];
		if (e->state < 0 || now >= e->expires)
			return e;
		if (e->state != POLICY_DNS_PENDING &&
		    (best == NULL || e->expires < best->expires))
			best = e;
	}
	return best;
}

static void
store_in(struct centry *e, const char *name, int state, double now)
{
	double ttl = state == POLICY_DNS_OK ? TTL_OK :
	    state == POLICY_DNS_NOTFOUND ? TTL_NOTFOUND :
	    state == POLICY_DNS_PENDING ? PENDING_MAX : TTL_TEMP;

	snprintf(e->name, sizeof(e->name), "%s", name);
	e->state = state;
	e->expires = now + ttl;
}

static void
store(struct dnscache *c, const char *name, int state, double now)
{
	struct centry *e = place(c, name, now);

	if (e != NULL)
		store_in(e, name, state, now);
}

/* Drop one reference; the last one frees the pool. */
static void
pool_unref(struct pool *p)
{
	int last;

	pthread_mutex_lock(&p->mu);
	last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (!last)
		return;
	close(p->wfd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->q);
	free(p);
}

/* A worker: take a name, look it up, write "verdict name\n". */
static void *
worker(void *arg)
{
	struct pool *p = arg;
	char name[MAX_DOMAIN + 1], out[MAX_DOMAIN + 16];

	for (;;) {
		int len;

		pthread_mutex_lock(&p->mu);
		while (p->n == 0 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		memcpy(name, p->q[p->head], sizeof(name));
		p->head = (p->head + 1) % p->cap;
		p->n--;
		pthread_mutex_unlock(&p->mu);
		len = snprintf(out, sizeof(out), "%d %s\n",
		    dnscheck_lookup(name), name);
		/* Under PIPE_BUF: lines from several workers never mix. */
		if (len < 0 || write(p->wfd, out, (size_t)len) != len)
			break;
	}
	rs_close();
	pool_unref(p);
	return NULL;
}

struct dnscache *
dnscache_new(unsigned workers)
{
	struct dnscache *c = xcalloc(1, sizeof(*c));
	struct pool *p;
	int fds[2];
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++)
		c->e[i].state = -1;
	c->rfd = -1;
	buf_init(&c->in);
	if (workers == 0)
		return c;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		dnscache_free(c);
		return NULL;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		dnscache_free(c);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->cap = (size_t)workers * QUEUE_PER_WORKER;
	p->q = xcalloc(p->cap, sizeof(*p->q));
	p->wfd = fds[1];
	p->refs = 1;		/* the cache's own */
	c->pool = p;
	c->rfd = fds[0];
	{
		pthread_attr_t at;
		sigset_t all, old;

		/* Signals are for the main thread's event loop. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 * 1024);
		for (i = 0; i < workers; i++) {
			pthread_t th;

			pthread_mutex_lock(&p->mu);
			p->refs++;
			pthread_mutex_unlock(&p->mu);
			if (pthread_create(&th, &at, worker, p) != 0) {
				pthread_mutex_lock(&p->mu);
				p->refs--;
				pthread_mutex_unlock(&p->mu);
				break;
			}
		}
		pthread_attr_destroy(&at);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (i == 0) {
			dnscache_free(c);
			return NULL;
		}
	}
	c->workers = (unsigned)i;
	return c;
}

/*
 * The workers stop after their current lookup; the last one to leave
 * frees the pool (and closes the pipe's write end).
 */
void
dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	if (c->pool != NULL) {
		pthread_mutex_lock(&c->pool->mu);
		c->pool->stop = 1;
		pthread_cond_broadcast(&c->pool->cv);
		pthread_mutex_unlock(&c->pool->mu);
		pool_unref(c->pool);
	}
	if (c->rfd >= 0)
		close(c->rfd);
	buf_free(&c->in);
	free(c);
}

int
dnscache_fd(const struct dnscache *c)
{
	return c->workers > 0 ? c->rfd : -1;
}

unsigned
dnscache_workers(const struct dnscache *c)
{
	return c->workers;
}

int
dnscache_get(struct dnscache *c, const char *domain, double now)
{
	struct centry *e;
	size_t n = strlen(domain);
	int v;

	if (n == 0 || n > MAX_DOMAIN || strchr(domain, '\n') != NULL)
		return POLICY_DNS_TEMP;
	e = lookup(c, domain);
	if (e != NULL && now < e->expires)
		return e->state;
	if (c->workers == 0) {
		v = dnscheck_lookup(domain);
		store(c, domain, v, now);
		return v;
	}
	if ((e = place(c, domain, now)) == NULL)
		return POLICY_DNS_TEMP;	/* its slots all wait for answers */
	pthread_mutex_lock(&c->pool->mu);
	if (c->pool->n == c->pool->cap) {
		/* Bounded: this sender is deferred, nobody else waits. */
		pthread_mutex_unlock(&c->pool->mu);
		return POLICY_DNS_TEMP;
	}
	memcpy(c->pool->q[(c->pool->head + c->pool->n) % c->pool->cap],
	    domain, n + 1);
	c->pool->n++;
	pthread_cond_signal(&c->pool->cv);
	pthread_mutex_unlock(&c->pool->mu);
	store_in(e, domain, POLICY_DNS_PENDING, now);
	return POLICY_DNS_PENDING;
}

int
dnscache_collect(struct dnscache *c, double now)
{
	char chunk[4096];
	int got = 0;

	if (c->workers == 0)
		return 0;
	for (;;) {
		ssize_t r = read(c->rfd, chunk, sizeof(chunk));
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
