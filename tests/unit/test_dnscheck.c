/* test_dnscheck.c - nympolicyd's resolver workers: a slow domain holds
 * one worker while others are answered; the queue is bounded. */
#include <arpa/nameser.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dnscheck.h"
#include "policy.h"
#include "t.h"

/* Names containing "slow" block until released; the rest answer at once. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int released, waiting, s2_asked;

static enum dns_q
query(const char *d, int type)
{
	if (strstr(d, "slow") != NULL) {
		pthread_mutex_lock(&mu);
		s2_asked += strcmp(d, "s2.slow.test") == 0 && type == ns_t_mx;
		waiting++;
		pthread_cond_broadcast(&cv);
		while (!released)
			pthread_cond_wait(&cv, &mu);
		waiting--;
		pthread_mutex_unlock(&mu);
	}
	if (strncmp(d, "nx", 2) == 0)
		return DNSQ_NXDOMAIN;
	return type == ns_t_mx ? DNSQ_FOUND : DNSQ_NODATA;
}

/* Wait (no time limit: the condition is certain) for n blocked lookups. */
static void
wait_blocked(int n)
{
	pthread_mutex_lock(&mu);
	while (waiting < n)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void
release(int yes)
{
	pthread_mutex_lock(&mu);
	released = yes;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/*
 * Collect answers until name has one.  Answers may trickle in one by one
 * (33 queued names under ASan), so the bound is no progress for 20 s,
 * which only a stuck queue meets, with a round count far above any queue.
 */
static int
answer_of(struct dnscache *c, const char *name)
{
	int v, rounds;

	for (rounds = 0; rounds < 10000; rounds++) {
		struct pollfd p = { dnscache_fd(c), POLLIN, 0 };

		if ((v = dnscache_get(c, name, 1)) != POLICY_DNS_PENDING)
			return v;
		if (poll(&p, 1, 20000) <= 0)
			break;
		dnscache_collect(c, 1);
	}
	return dnscache_get(c, name, 1);
}

int
main(void)
{
	struct dnscache *c;
	struct buf n = BUF_INIT;
	int i, pending = 0, temp;

	dnscheck_set_query(query);

	/* --- a slow domain holds one worker, not everyone --- */
	c = dnscache_new(4);
	T(c != NULL, "four resolver workers start");
	T(dnscache_get(c, "slow1.example", 0) == POLICY_DNS_PENDING &&
	    dnscache_get(c, "slow2.example", 0) == POLICY_DNS_PENDING,
	    "two slow domains are queued");
	wait_blocked(1);
	T(dnscache_get(c, "mx.example", 0) == POLICY_DNS_PENDING,
	    "a fast domain is queued behind them");
	T(answer_of(c, "mx.example") == POLICY_DNS_OK,
	    "nympolicyd DNS: the fast domain is answered while two slow "
	    "lookups are still held");
	T(answer_of(c, "nx.example") == POLICY_DNS_NOTFOUND,
	    "... and another one (not found)");
	pthread_mutex_lock(&mu);
	T(waiting >= 1 && !released, "the slow lookups were still held "
	    "meanwhile");
	pthread_mutex_unlock(&mu);
	T(dnscache_get(c, "slow1.example", 0) == POLICY_DNS_PENDING,
	    "a slow domain asked again is not queued twice (still pending)");
	release(1);
	T(answer_of(c, "slow1.example") == POLICY_DNS_OK &&
	    answer_of(c, "slow2.example") == POLICY_DNS_OK,
	    "released, the slow domains are answered too");
	dnscache_free(c);

	/* --- two names in one cache slot: s2.slow.test and nx.test
	 * collide in FNV-1a mod 1024; the pending one must stay --- */
	release(0);
	c = dnscache_new(4);
	T(dnscache_get(c, "s2.slow.test", 0) == POLICY_DNS_PENDING,
	    "s2.slow.test queued (held)");
	wait_blocked(1);
	T(answer_of(c, "nx.test") == POLICY_DNS_NOTFOUND, "nx.test, in the "
	    "same slot, answered meanwhile");
	T(dnscache_get(c, "s2.slow.test", 0) == POLICY_DNS_PENDING &&
	    dnscache_get(c, "s2.slow.test", 0) == POLICY_DNS_PENDING,
	    "s2.slow.test still pending, asked again");
	release(1);
	T(answer_of(c, "s2.slow.test") == POLICY_DNS_OK && s2_asked == 1,
	    "a colliding name did not evict the pending one: looked up once "
	    "(%d)", s2_asked);
	dnscache_free(c);

	/* --- the queue is bounded: beyond it, TEMP at once --- */
	release(0);
	c = dnscache_new(1);
	T(dnscache_get(c, "slow0.example", 0) == POLICY_DNS_PENDING,
	    "one worker, held by a slow domain");
	wait_blocked(1);
	for (i = 0; i < 40; i++) {
		buf_reset(&n);
		buf_addf(&n, "q%d.example", i);
		pending += dnscache_get(c, n.s, 0) == POLICY_DNS_PENDING;
	}
	temp = dnscache_get(c, "late.example", 0);
	T(pending == 32 && temp == POLICY_DNS_TEMP, "nympolicyd DNS: 32 "
	    "names wait per worker, the rest are answered TEMP at once "
	    "(%d waited)", pending);
	release(1);
	T(answer_of(c, "q31.example") == POLICY_DNS_OK, "the queued names "
	    "are answered once the worker is free");
	dnscache_free(c);

	/* --- inline (spawn mode) --- */
	c = dnscache_new(0);
	T(dnscache_fd(c) == -1 && dnscache_get(c, "mx.example", 0) ==
	    POLICY_DNS_OK, "without workers, lookups run inline");
	dnscache_free(c);
	dnscheck_set_query(NULL);
	buf_free(&n);
	T_END();
}
