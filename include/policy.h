/* policy.h - Postfix SMTPD policy delegation: framing, parsing, decisions. */
#ifndef NYM_POLICY_H
#define NYM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * A request is "name=value" lines ended by an empty line; the answer is
 * "action=..." and an empty line (Postfix SMTPD_POLICY_README).  Input is
 * capped: a longer line or more attributes closes the connection.
 */
#define POLICY_MAX_LINE 1024	/* bytes in one line, newline included */
#define POLICY_MAX_ATTRS 100	/* attributes in one request */

/* Resumable framing state, one per connection. */
struct policy_scan {
	size_t off;		/* bytes examined so far */
	size_t line;		/* where the current line starts */
	unsigned nattrs;	/* lines seen in this request */
};

enum {
	POLICY_MORE = 0,	/* no complete request yet */
	POLICY_REQUEST = 1,	/* *reqlen bytes hold one request */
	POLICY_TOO_LONG = -1,	/* a line over POLICY_MAX_LINE */
	POLICY_TOO_MANY = -2	/* over POLICY_MAX_ATTRS attributes */
};

/*
 * Look for the end of the first request in data[0..len), resuming where
 * the last call on the same data stopped.  On POLICY_REQUEST the caller
 * consumes *reqlen bytes and clears the scan state.
 */
int policy_scan(struct policy_scan *, const char *data, size_t len,
    size_t *reqlen);

/* The attributes nympolicyd uses; absent ones are "". */
struct policy_req {
	const char *request;
	const char *protocol_state;
	const char *sender;
	const char *recipient;
	const char *client_address;
	const char *instance;
	unsigned nattrs;
	struct buf text;	/* the request, lines split in place */
};

void policy_req_init(struct policy_req *);
void policy_req_free(struct policy_req *);
/*
 * Parse one request (as framed by policy_scan).  -1 on a line without
 * '=', an empty name, a NUL byte or too many attributes.  A repeated
 * attribute: the last one counts.  "\r\n" is accepted as a line end.
 */
int policy_parse(struct policy_req *, const char *data, size_t len);

/* Answers from the sender-domain lookup (dnscheck.h). */
enum {
	POLICY_DNS_OK = 0,	/* the domain can receive mail */
	POLICY_DNS_NOTFOUND,	/* no such domain, or no mail host at all */
	POLICY_DNS_TEMP,	/* the lookup failed for now */
	POLICY_DNS_PENDING	/* the answer is on its way: ask again */
};

/* 1 if name (lowercase, no +ext) is a nym or alias, 0 if not, -1 on error. */
typedef int (*policy_known_fn)(void *arg, const char *name);
/* nympolicyd's is pubview_known (pubview.h): the public view only. */
/* POLICY_DNS_* for a lowercase domain name. */
typedef int (*policy_dns_fn)(void *arg, const char *domain);

struct policy_settings {
	const char *hostname;	/* the nym domain */
	double half_life;	/* seconds */
	unsigned sender_limit;	/* decayed messages per sender */
	unsigned host_limit;	/* decayed messages per client host */
	unsigned max_rcpts;	/* recipients per message */
	size_t table_size;	/* entries per table */
	int dns_check;
	int on_error_defer;	/* internal error: defer instead of dunno */
};

/* Outcomes, also the statistics' categories. */
enum policy_verdict {
	PV_DUNNO,		/* nothing against it */
	PV_NOUSER,		/* reject 5.1.1: unknown nym */
	PV_DOMAIN,		/* reject 5.1.8: sender domain does not exist */
	PV_DNS_TEMP,		/* defer 4.1.8: sender domain lookup failed */
	PV_RCPTS,		/* defer 4.5.3: too many recipients */
	PV_HOST,		/* defer 4.7.1: client host over quota */
	PV_SENDER,		/* defer 4.7.1: sender over quota */
	PV_ERROR,		/* internal error: dunno or defer 4.3.0 */
	PV_PENDING,		/* waiting for DNS: decide again later */
	PV_COUNT
};

/* One connection's current message, told apart by Postfix's "instance". */
struct policy_session {
	uint64_t instance;	/* hash of the instance attribute */
	unsigned rcpts;		/* recipients let through */
	int counted;		/* the message counted against the quotas */
};

struct policy;

/* NULL if the tables cannot be set up (no randomness for their keys). */
struct policy *policy_new(const struct policy_settings *, policy_known_fn,
    policy_dns_fn, void *arg);
void policy_free(struct policy *);

/*
 * Decide on one request at monotonic time now (seconds) and append the
 * answer ("action=...\n\n") to out, except for PV_PENDING, where nothing
 * is counted and the caller asks again when the DNS answer is in.
 */
enum policy_verdict policy_decide(struct policy *, struct policy_session *,
    const struct policy_req *, double now, struct buf *out);

/* Answer for a request that could not be read at all (on_error). */
void policy_error_action(struct policy *, struct buf *out);

/* Requests by verdict, and the number of senders and hosts tracked. */
struct policy_stats {
	unsigned long verdicts[PV_COUNT];
	size_t senders, hosts;
	size_t table_bytes;
	unsigned long evicted;
};
void policy_get_stats(const struct policy *, struct policy_stats *);
const char *policy_verdict_name(enum policy_verdict);

/*
 * The quota key of a client address: IPv4 as 4 bytes, IPv6 as its /64
 * (one site's prefix), IPv4-mapped IPv6 as IPv4; anything else as text.
 * Returns the key length written to out (at most POLICY_MAX_LINE).
 */
size_t policy_host_key(const char *client_address, unsigned char *out);

/*
 * The sender's domain for the DNS check, lowercase without a final dot,
 * into out (256 bytes); -1 if there is nothing to check (null sender,
 * no '@', an address literal, not a plain LDH host name).
 */
int policy_sender_domain(const char *sender, char out[256]);

#endif
