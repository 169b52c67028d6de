/* dnscheck.h - does a sender domain exist for mail?  MX, else A/AAAA. */
#ifndef NYM_DNSCHECK_H
#define NYM_DNSCHECK_H

#include "policy.h"

/* What one DNS query found. */
enum dns_q {
	DNSQ_FOUND,		/* records of the type asked for */
	DNSQ_NULLMX,		/* only "MX 0 ." (RFC 7505): no mail */
	DNSQ_NODATA,		/* the name exists, no such records */
	DNSQ_NXDOMAIN,		/* no such name */
	DNSQ_TEMP		/* server failure, timeout, no resolver */
};

/* One query; type is ns_t_mx, ns_t_a or ns_t_aaaa. */
typedef enum dns_q (*dnscheck_query_fn)(const char *domain, int type);

/* Replace the resolver (unit tests); NULL restores res_nquery(3). */
void dnscheck_set_query(dnscheck_query_fn);

/*
 * Ask the name server at spec ("IPv4" or "IPv4:port", e.g. a local
 * validating resolver) instead of those in resolv.conf.  Call before the
 * first lookup; -1 if spec is not such an address.
 */
int dnscheck_set_server(const char *spec);

/*
 * The decision for a domain, blocking: POLICY_DNS_OK if it has an MX, or
 * no MX but an A or AAAA record; POLICY_DNS_NOTFOUND if it does not
 * exist, has only a null MX, or has neither MX nor address;
 * POLICY_DNS_TEMP if a query needed for the answer failed.
 */
int dnscheck_lookup(const char *domain);

/*
 * Seconds per try of one query (2 tries; default 2): a slow name server
 * costs a lookup at most about three times this per query type.  Call
 * before the first lookup; -1 outside 1..60.
 */
int dnscheck_set_timeout(unsigned seconds);

/*
 * A bounded cache of answers (ok 1 h, not found 10 min, failures 30 s).
 * With workers > 0, lookups run in that many threads: dnscache_get
 * answers POLICY_DNS_PENDING meanwhile (the name queued, at most 32 per
 * worker: beyond that POLICY_DNS_TEMP at once), dnscache_fd becomes
 * readable when answers arrive and dnscache_collect takes them in, so a
 * slow domain holds one worker, not every lookup.  With 0, lookups run
 * inline.  Only the calling thread touches the cache.
 */
struct dnscache;

struct dnscache *dnscache_new(unsigned workers);	/* NULL: no threads */
void dnscache_free(struct dnscache *);
int dnscache_fd(const struct dnscache *);	/* -1 when inline */
unsigned dnscache_workers(const struct dnscache *);	/* threads started */
int dnscache_get(struct dnscache *, const char *domain, double now);
int dnscache_collect(struct dnscache *, double now);	/* answers read */

#endif
