/* policy.c - the policy protocol and the decision on one request. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "names.h"
#include "policy.h"
#include "ratetab.h"

struct policy {
	struct policy_settings set;
	char *hostname;
	struct ratetab *senders;
	struct ratetab *hosts;
	policy_known_fn known;
	policy_dns_fn dns;
	policy_alias_fn alias_ok;
	void *arg;
	unsigned long verdicts[PV_COUNT];
};

static const char *const verdict_names[PV_COUNT] = {
	"dunno", "nouser", "noalias", "domain", "dnstemp", "rcpts", "host", "sender",
	"error", "pending",
};

/*
 * The actions.  Postfix adds the address and "Recipient address
 * rejected:" itself.  Quotas use defer_if_permit, so a later reject
 * still wins.
 */
static const char *const actions[PV_COUNT] = {
	[PV_DUNNO] = "dunno",
	[PV_NOUSER] = "reject 5.1.1 No such user here",
	[PV_NOALIAS] = "reject 5.7.1 The sender has no alias here: register "
	    "an alias for your address first",
	[PV_DOMAIN] = "reject 5.1.8 Sender address domain not found",
	[PV_DNS_TEMP] = "defer_if_permit 4.1.8 Sender address domain lookup "
	    "failed, try again later",
	[PV_RCPTS] = "defer_if_permit 4.5.3 Too many recipients, send the "
	    "rest later",
	[PV_HOST] = "defer_if_permit 4.7.1 Too much mail from this client, "
	    "try again later",
	[PV_SENDER] = "defer_if_permit 4.7.1 Too much mail from this sender, "
	    "try again later",
	[PV_ERROR] = "defer_if_permit 4.3.0 Policy service error, try again "
	    "later",
};

int
policy_scan(struct policy_scan *sc, const char *data, size_t len,
    size_t *reqlen)
{
	while (sc->off < len) {
		const char *nl = memchr(data + sc->off, '\n', len - sc->off);
		size_t end, ll;

		if (nl == NULL) {
			sc->off = len;
			/* With its newline it would be too long. */
			return len - sc->line >= POLICY_MAX_LINE ?
			    POLICY_TOO_LONG : POLICY_MORE;
		}
		end = (size_t)(nl - data) + 1;
		ll = end - sc->line;
		if (ll > POLICY_MAX_LINE)
			return POLICY_TOO_LONG;
		sc->off = sc->line = end;
		if (ll == 1 || (ll == 2 && data[end - 2] == '\r')) {
			*reqlen = end;
			return POLICY_REQUEST;
		}
		if (++sc->nattrs > POLICY_MAX_ATTRS)
			return POLICY_TOO_MANY;
	}
	return POLICY_MORE;
}

void
policy_req_init(struct policy_req *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text);
	r->request = r->protocol_state = r->sender = r->recipient =
	    r->client_address = r->instance = "";
}

void
policy_req_free(struct policy_req *r)
{
	buf_free(&r->text);
	policy_req_init(r);
}

/* Point the matching field of r at value. */
static void
set_attr(struct policy_req *r, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "request", offsetof(struct policy_req, request) },
		{ "protocol_state", offsetof(struct policy_req, protocol_state) },
		{ "sender", offsetof(struct policy_req, sender) },
		{ "recipient", offsetof(struct policy_req, recipient) },
		{ "client_address", offsetof(struct policy_req, client_address) },
		{ "instance", offsetof(struct policy_req, instance) },
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(name, known[i].name) == 0) {
			*(const char **)((char *)r + known[i].off) = value;
			return;
		}
	}
}

int
policy_parse(struct policy_req *r, const char *data, size_t len)
{
	char *p, *end;

	policy_req_free(r);
	if (memchr(data, '\0', len) != NULL)
		return -1;
	buf_set(&r->text, data, len);
	p = r->text.s;
	end = p + r->text.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eq;

		if (nl == NULL)
			nl = end;	/* a last line without newline */
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*p == '\0')
			break;		/* the empty line ends the request */
		if ((eq = strchr(p, '=')) == NULL || eq == p ||
		    ++r->nattrs > POLICY_MAX_ATTRS) {
			policy_req_free(r);
			return -1;
		}
		*eq = '\0';
		set_attr(r, p, eq + 1);
		p = nl + 1;
	}
	return 0;
}

struct policy *
policy_new(const struct policy_settings *set, policy_known_fn known,
    policy_dns_fn dns, void *arg)
{
	struct policy *p;

	if (set->hostname == NULL || set->half_life <= 0 ||
	    set->table_size < 1 || set->sender_limit < 1 ||
	    set->host_limit < 1 || set->max_rcpts < 1 || known == NULL ||
	    (set->dns_check && dns == NULL))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->set = *set;
	p->hostname = xstrdup(set->hostname);
	p->set.hostname = p->hostname;
	p->known = known;
	p->dns = dns;
	p->arg = arg;
	p->senders = ratetab_new(set->table_size, set->half_life);
	p->hosts = ratetab_new(set->table_size, set->half_life);
	if (p->senders == NULL || p->hosts == NULL) {
		policy_free(p);
		return NULL;
	}
	return p;
}

void
policy_set_alias_check(struct policy *p, policy_alias_fn fn)
{
	p->alias_ok = fn;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	ratetab_free(p->senders);
	ratetab_free(p->hosts);
	free(p->hostname);
	free(p);
}

size_t
policy_host_key(const char *a, unsigned char *out)
{
	struct in_addr v4;
	struct in6_addr v6;
	size_t n;

	if (inet_pton(AF_INET, a, &v4) == 1) {
		out[0] = '4';
		memcpy(out + 1, &v4, 4);
		return 5;
	}
	if (inet_pton(AF_INET6, a, &v6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&v6)) {
			out[0] = '4';
			memcpy(out + 1, v6.s6_addr + 12, 4);
			return 5;
		}
		out[0] = '6';
		memcpy(out + 1, v6.s6_addr, 8);
		return 9;
	}
	n = strnlen(a, POLICY_MAX_LINE - 1);
	out[0] = '?';
	memcpy(out + 1, a, n);
	return n + 1;
}

int
policy_sender_domain(const char *sender, char out[256])
{
	const char *at = strrchr(sender, '@'), *d;
	size_t n, i;

	if (at == NULL)
		return -1;
	d = at + 1;
	n = strlen(d);
	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-')
		return -1;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)d[i]) && d[i] != '-' &&
		    d[i] != '.')
			return -1;
		if (d[i] == '.' && i + 1 < n && d[i + 1] == '.')
			return -1;
		out[i] = (char)tolower((unsigned char)d[i]);
	}
	out[n] = '\0';
	return 0;
}

/*
 * Unknown nym at RCPT: PV_NOUSER; an alias the sender may not mail:
 * PV_NOALIAS; not our domain or known: PV_DUNNO.
 */
static enum policy_verdict
check_recipient(struct policy *p, const char *rcpt, const char *sender)
{
	const char *at = strrchr(rcpt, '@');
	char local[POLICY_MAX_LINE], *plus;
	size_t n, i;

	if (at == NULL || strcasecmp(at + 1, p->hostname) != 0)
		return PV_DUNNO;
	n = (size_t)(at - rcpt);
	if (n >= sizeof(local))
		return PV_NOUSER;
	for (i = 0; i < n; i++)
		local[i] = (char)tolower((unsigned char)rcpt[i]);
	local[n] = '\0';
	if ((plus = strchr(local, '+')) != NULL)
		*plus = '\0';
	/* Service names (confirm+COOKIE too), postmaster, abuse... */
	if (names_reserved(local))
		return PV_DUNNO;
	if (!names_valid(local))
		return PV_NOUSER;
	switch (p->known(p->arg, local)) {
	case 1:
		if (p->alias_ok == NULL)
			return PV_DUNNO;
		switch (p->alias_ok(p->arg, local, sender)) {
		case 1:
			return PV_DUNNO;
		case 0:
			return PV_NOALIAS;
		default:
			return PV_ERROR;
		}
	case 0:
		return PV_NOUSER;
	default:
		return PV_ERROR;
	}
}

/* Hash of the sender address, case folded. */
static uint64_t
sender_key(const struct policy *p, const char *sender)
{
	char low[POLICY_MAX_LINE];
	size_t i, n = strnlen(sender, sizeof(low));

	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)sender[i]);
	return ratetab_key(p->senders, low, n);
}

/* Count the message against both quotas unless one is used up. */
static enum policy_verdict
check_quotas(struct policy *p, const struct policy_req *r, double now)
{
	unsigned char hk[POLICY_MAX_LINE + 1];
	uint64_t host = 0, sender = 0;

	if (r->client_address[0] != '\0') {
		host = ratetab_key(p->hosts, hk,
		    policy_host_key(r->client_address, hk));
		if (ratetab_get(p->hosts, host, now) + 1 > p->set.host_limit)
			return PV_HOST;
	}
	/* The null sender (bounces) is counted per host only. */
	if (r->sender[0] != '\0') {
		sender = sender_key(p, r->sender);
		if (ratetab_get(p->senders, sender, now) + 1 >
		    p->set.sender_limit)
			return PV_SENDER;
	}
	if (host != 0)
		ratetab_add(p->hosts, host, 1, now);
	if (sender != 0)
		ratetab_add(p->senders, sender, 1, now);
	return PV_DUNNO;
}

static enum policy_verdict
decide(struct policy *p, struct policy_session *ss,
    const struct policy_req *r, double now)
{
	enum policy_verdict v;
	uint64_t inst = 0;
	char dom[256];

	if (strcmp(r->request, "smtpd_access_policy") != 0)
		return PV_ERROR;
	if (strcasecmp(r->protocol_state, "RCPT") != 0)
		return PV_DUNNO;
	/* A new message: no instance means every request is one. */
	if (r->instance[0] != '\0')
		inst = ratetab_key(p->senders, r->instance,
		    strlen(r->instance));
	if (inst == 0 || inst != ss->instance) {
		ss->instance = inst;
		ss->rcpts = 0;
		ss->counted = 0;
	}
	if ((v = check_recipient(p, r->recipient, r->sender)) != PV_DUNNO)
		return v;
	if (p->set.dns_check && policy_sender_domain(r->sender, dom) == 0) {
		switch (p->dns(p->arg, dom)) {
		case POLICY_DNS_OK:
			break;
		case POLICY_DNS_NOTFOUND:
			return PV_DOMAIN;
		case POLICY_DNS_TEMP:
			return PV_DNS_TEMP;
		case POLICY_DNS_PENDING:
			return PV_PENDING;
		default:
			return PV_ERROR;
		}
	}
	if (ss->rcpts >= p->set.max_rcpts)
		return PV_RCPTS;
	if (!ss->counted) {
		if ((v = check_quotas(p, r, now)) != PV_DUNNO)
			return v;
		ss->counted = 1;
	}
	ss->rcpts++;
	return PV_DUNNO;
}

static void
add_action(const struct policy *p, enum policy_verdict v, struct buf *out)
{
	const char *a = actions[v];

	if (v == PV_ERROR && !p->set.on_error_defer)
		a = actions[PV_DUNNO];
	buf_adds(out, "action=");
	buf_adds(out, a);
	buf_adds(out, "\n\n");
}

enum policy_verdict
policy_decide(struct policy *p, struct policy_session *ss,
    const struct policy_req *r, double now, struct buf *out)
{
	enum policy_verdict v = decide(p, ss, r, now);

	if (v == PV_PENDING)
		return v;
	p->verdicts[v]++;
	add_action(p, v, out);
	return v;
}

void
policy_error_action(struct policy *p, struct buf *out)
{
	p->verdicts[PV_ERROR]++;
	add_action(p, PV_ERROR, out);
}

void
policy_get_stats(const struct policy *p, struct policy_stats *st)
{
	memcpy(st->verdicts, p->verdicts, sizeof(st->verdicts));
	st->senders = ratetab_count(p->senders);
	st->hosts = ratetab_count(p->hosts);
	st->table_bytes = ratetab_bytes(p->senders) + ratetab_bytes(p->hosts);
	st->evicted = ratetab_evicted(p->senders) +
	    ratetab_evicted(p->hosts);
}

const char *
policy_verdict_name(enum policy_verdict v)
{
	return (unsigned)v < PV_COUNT ? verdict_names[v] : "?";
}
