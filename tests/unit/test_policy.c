/* test_policy.c - request framing and parsing, host keys, decisions
 * against a real LMDB state, and the DNS decision table. */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dnscheck.h"
#include "policy.h"
#include "conf.h"
#include "pubview.h"
#include "pubwrite.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/nympolXXXXXX";

/* Frame data as one connection would receive it, in one piece. */
static int
scan_all(const char *data, size_t *reqlen)
{
	struct policy_scan sc = { 0, 0, 0 };

	return policy_scan(&sc, data, strlen(data), reqlen);
}

static int
put_names(struct stxn *t, void *arg)
{
	(void)arg;
	if (txn_put(t, DB_NYMS, "alice", 5, "x", 1) < 0 ||
	    txn_put(t, DB_ALIASES, "carol", 5, "y", 1) < 0)
		return STORE_ERR;
	return 0;
}

/* A canned DNS: name -> answer per type. */
static enum dns_q
fake_query(const char *d, int type)
{
	if (strcmp(d, "mx.example") == 0)
		return type == ns_t_mx ? DNSQ_FOUND : DNSQ_NODATA;
	if (strcmp(d, "aonly.example") == 0)
		return type == ns_t_a ? DNSQ_FOUND : DNSQ_NODATA;
	if (strcmp(d, "v6only.example") == 0)
		return type == ns_t_aaaa ? DNSQ_FOUND : DNSQ_NODATA;
	if (strcmp(d, "nullmx.example") == 0)
		return type == ns_t_mx ? DNSQ_NULLMX : DNSQ_FOUND;
	if (strcmp(d, "empty.example") == 0)
		return DNSQ_NODATA;
	if (strcmp(d, "broken.example") == 0)
		return DNSQ_TEMP;
	if (strcmp(d, "halfbroken.example") == 0)
		return type == ns_t_a ? DNSQ_TEMP : DNSQ_NODATA;
	return DNSQ_NXDOMAIN;
}

/* The policy hands one argument to both callbacks. */
struct ctx {
	struct pubview *pv;
	struct dnscache *dc;
};

static int
ctx_known(void *arg, const char *name)
{
	return pubview_known(((struct ctx *)arg)->pv, name);
}

static int
ctx_dns(void *arg, const char *domain)
{
	return dnscache_get(((struct ctx *)arg)->dc, domain, 0);
}

static struct policy_req req;
static struct policy_session ss;

/* Decide on a request built from its parts; the action text. */
static const char *
ask(struct policy *p, const char *state, const char *sender,
    const char *rcpt, const char *client, const char *inst, double now)
{
	static struct buf out;
	struct buf in = BUF_INIT;

	buf_addf(&in, "request=smtpd_access_policy\nprotocol_state=%s\n"
	    "protocol_name=ESMTP\nclient_address=%s\nsender=%s\n"
	    "recipient=%s\ninstance=%s\n\n", state, client, sender, rcpt,
	    inst);
	if (policy_parse(&req, in.s, in.len) < 0)
		return "parse failed";
	buf_free(&in);
	buf_reset(&out);
	policy_decide(p, &ss, &req, now, &out);
	if (out.len > 9 && strncmp(out.s, "action=", 7) == 0)
		out.s[out.len - 2] = '\0';
	return out.s + 7;
}

#undef T_STR
#define T_STR(a, b, ...) do { const char *a_ = (a); \
	if (strcmp(a_, (b)) != 0) printf("# got: %s\n", a_); \
	t_check(strcmp(a_, (b)) == 0, __FILE__, __LINE__, __VA_ARGS__); \
} while (0)
#define STARTS(s, p) (strncmp((s), (p), strlen(p)) == 0)

int
main(void)
{
	struct policy_settings set;
	struct store *st;
	struct pubview *ro;
	struct conf vc;
	struct buf pubdir = BUF_INIT;
	size_t changed;
	struct policy *p;
	struct dnscache *dc;
	struct ctx ctx;
	char err[256], dom[256], line[2048];
	unsigned char k1[POLICY_MAX_LINE + 1], k2[POLICY_MAX_LINE + 1];
	size_t reqlen, n1, n2;
	struct buf big = BUF_INIT, out = BUF_INIT;
	int i, pass;

	/* --- framing --- */
	T(scan_all("a=1\nb=2\n\nrest", &reqlen) == POLICY_REQUEST &&
	    reqlen == 9, "one request framed, rest left");
	T(scan_all("a=1\r\nb=2\r\n\r\n", &reqlen) == POLICY_REQUEST &&
	    reqlen == 12, "CRLF line ends framed");
	T(scan_all("a=1\nb=2\n", &reqlen) == POLICY_MORE, "no empty line: more");
	{
		/* Resumed scanning over data arriving in pieces. */
		struct policy_scan sc = { 0, 0, 0 };
		const char *s = "request=smtpd_access_policy\nsender=a@b\n\n";
		size_t len;
		int rc = POLICY_MORE;

		for (len = 1; len <= strlen(s) && rc == POLICY_MORE; len++)
			rc = policy_scan(&sc, s, len, &reqlen);
		T(rc == POLICY_REQUEST && reqlen == strlen(s),
		    "byte-by-byte arrival framed once, at the end");
	}
	memset(line, 'x', sizeof(line));
	memcpy(line, "a=", 2);
	line[POLICY_MAX_LINE - 1] = '\n';	/* exactly the cap */
	line[POLICY_MAX_LINE] = '\n';
	line[POLICY_MAX_LINE + 1] = '\0';
	T(scan_all(line, &reqlen) == POLICY_REQUEST, "line of %d bytes ok",
	    POLICY_MAX_LINE);
	line[POLICY_MAX_LINE - 1] = 'x';
	T(scan_all(line, &reqlen) == POLICY_TOO_LONG, "one byte more: too long");
	line[POLICY_MAX_LINE + 1] = 'x';
	line[POLICY_MAX_LINE + 200] = '\0';
	T(scan_all(line, &reqlen) == POLICY_TOO_LONG,
	    "an unfinished over-long line is refused before its newline");
	for (i = 0; i < POLICY_MAX_ATTRS; i++)
		buf_addf(&big, "a%d=%d\n", i, i);
	buf_adds(&big, "\n");
	T(scan_all(big.s, &reqlen) == POLICY_REQUEST, "%d attributes ok",
	    POLICY_MAX_ATTRS);
	big.len--;
	buf_adds(&big, "one=more\n\n");
	T(scan_all(big.s, &reqlen) == POLICY_TOO_MANY, "one more: too many");

	/* --- parsing --- */
	policy_req_init(&req);
	{
		const char *r = "request=smtpd_access_policy\r\n"
		    "protocol_state=RCPT\nsender=a@b.example\n"
		    "recipient=x@nym.test\nclient_address=192.0.2.1\n"
		    "instance=1a.2b\nunknown_attr=whatever\nsender=last@b\n"
		    "empty=\n\n";

		T(policy_parse(&req, r, strlen(r)) == 0 &&
		    strcmp(req.request, "smtpd_access_policy") == 0 &&
		    strcmp(req.protocol_state, "RCPT") == 0 &&
		    strcmp(req.recipient, "x@nym.test") == 0 &&
		    strcmp(req.client_address, "192.0.2.1") == 0 &&
		    strcmp(req.instance, "1a.2b") == 0 && req.nattrs == 9,
		    "attributes parsed, unknown ones ignored");
		T_STR(req.sender, "last@b", "a repeated attribute: last wins");
	}
	T(policy_parse(&req, "sender=a\n\n", 10) == 0 &&
	    strcmp(req.recipient, "") == 0 && strcmp(req.request, "") == 0,
	    "missing attributes read as empty");
	T(policy_parse(&req, "novalue\n\n", 9) < 0, "line without '=' refused");
	T(policy_parse(&req, "=x\n\n", 4) < 0, "empty name refused");
	T(policy_parse(&req, "a=b\0c\n\n", 7) < 0, "NUL byte refused");
	T(policy_parse(&req, "a=b=c\n\n", 7) == 0, "'=' in a value kept");

	/* --- keys --- */
	n1 = policy_host_key("2001:db8:1:2::1", k1);
	n2 = policy_host_key("2001:db8:1:2:ffff::9", k2);
	T(n1 == n2 && memcmp(k1, k2, n1) == 0, "IPv6: one key per /64");
	n2 = policy_host_key("2001:db8:1:3::1", k2);
	T(n1 != n2 || memcmp(k1, k2, n1) != 0, "IPv6: other /64, other key");
	n1 = policy_host_key("192.0.2.1", k1);
	n2 = policy_host_key("::ffff:192.0.2.1", k2);
	T(n1 == 5 && n1 == n2 && memcmp(k1, k2, n1) == 0,
	    "IPv4-mapped IPv6 is the IPv4 host");
	n2 = policy_host_key("192.0.2.2", k2);
	T(memcmp(k1, k2, n1) != 0, "IPv4: one key per address");
	n1 = policy_host_key("unknown", k1);
	T(n1 == 8 && k1[0] == '?', "other text keyed as text");

	T(policy_sender_domain("a@Example.ORG.", dom) == 0 &&
	    strcmp(dom, "example.org") == 0, "sender domain lowercased");
	T(policy_sender_domain("", dom) < 0, "null sender: no check");
	T(policy_sender_domain("a@[192.0.2.1]", dom) < 0,
	    "address literal: no check");
	T(policy_sender_domain("a@b..c", dom) < 0 &&
	    policy_sender_domain("a@-b.c", dom) < 0 &&
	    policy_sender_domain("nodomain", dom) < 0, "bad domains: no check");

	/* --- decisions against a real LMDB state --- */
	if (mkdtemp(dir) == NULL)
		return 1;
	T(store_open(&st, dir, 1 << 20, 1, err, sizeof(err)) == STORE_OK &&
	    store_write(st, put_names, NULL) == 0, "state with nym alice, "
	    "alias carol");
	/* nympolicyd reads the public view the state's owner writes. */
	memset(&vc, 0, sizeof(vc));
	buf_addf(&pubdir, "%s/pub", dir);
	vc.pubdir = pubdir.s;
	T(pubview_rebuild(&vc, st, &changed) == 0 && changed == 2,
	    "public view written: two entries");
	store_close(st);
	T(pubview_open(&ro, pubdir.s) == 0, "public view opened");
	memset(&set, 0, sizeof(set));
	set.hostname = "nym.test";
	set.half_life = 60;
	set.sender_limit = 3;
	set.host_limit = 5;
	set.max_rcpts = 5;
	set.table_size = 1000;
	p = policy_new(&set, pubview_known, NULL, ro);
	T(p != NULL, "policy made");

	T_STR(ask(p, "RCPT", "s@x.example", "alice@nym.test", "192.0.2.1",
	    "i1", 0), "dunno", "known nym: dunno");
	T_STR(ask(p, "RCPT", "s@x.example", "ALICE+ext@NYM.TEST",
	    "192.0.2.1", "i1", 0), "dunno", "known nym, +ext, any case");
	T_STR(ask(p, "RCPT", "s@x.example", "carol@nym.test", "192.0.2.1",
	    "i1", 0), "dunno", "known alias: dunno");
	T(STARTS(ask(p, "RCPT", "s@x.example", "bob@nym.test", "192.0.2.1",
	    "i1", 0), "reject 5.1.1 "), "unknown nym: reject 5.1.1");
	T(STARTS(ask(p, "RCPT", "s@x.example", "\"a b\"@nym.test",
	    "192.0.2.1", "i1", 0), "reject 5.1.1 "), "impossible name: 5.1.1");
	T_STR(ask(p, "RCPT", "s@x.example", "bob@elsewhere.example",
	    "192.0.2.1", "i1", 0), "dunno", "other domain: not ours");
	ss.instance = 0;
	{
		static const char *const svc[] = { "config", "send", "help",
		    "list", "used", "confirm+0123abcd", "remailer",
		    "postmaster", "abuse", "remailer-key" };
		size_t j;

		pass = 0;
		for (j = 0; j < sizeof(svc) / sizeof(svc[0]); j++) {
			char r[64];

			snprintf(r, sizeof(r), "%s@nym.test", svc[j]);
			ss.instance = 0;
			pass += strcmp(ask(p, "RCPT", "", r, "", "", 0),
			    "dunno") == 0;
		}
		T(pass == (int)j, "service addresses pass (%d of %zu)", pass,
		    j);
	}

	/* Recipients per message, told apart by the instance. */
	pass = 0;
	for (i = 0; i < 5; i++)
		pass += strcmp(ask(p, "RCPT", "", "alice@nym.test",
		    "198.51.100.1", "m1", 0), "dunno") == 0;
	T(pass == 5, "5 recipients pass");
	T(STARTS(ask(p, "RCPT", "", "alice@nym.test", "198.51.100.1", "m1",
	    0), "defer_if_permit 4.5.3 "), "6th recipient: defer_if_permit "
	    "4.5.3");
	T_STR(ask(p, "RCPT", "", "alice@nym.test", "198.51.100.1", "m2", 0),
	    "dunno", "next message: the count starts again");

	/* Sender quota: 3 messages, then deferred; others unaffected. */
	pass = 0;
	for (i = 0; i < 10; i++) {
		char inst[16];

		snprintf(inst, sizeof(inst), "s%d", i);
		pass += strcmp(ask(p, "RCPT", "Flood@x.example",
		    "alice@nym.test", i % 2 ? "203.0.113.1" : "203.0.113.2",
		    inst, 10), "dunno") == 0;
	}
	T(pass == 3, "sender over quota: 3 of 10 pass (%d)", pass);
	T(STARTS(ask(p, "RCPT", "flood@X.example", "alice@nym.test",
	    "203.0.113.9", "s99", 10), "defer_if_permit 4.7.1 "),
	    "sender quota ignores case: defer_if_permit 4.7.1");
	T_STR(ask(p, "RCPT", "other@x.example", "alice@nym.test",
	    "203.0.113.9", "s100", 10), "dunno", "another sender passes");
	T_STR(ask(p, "RCPT", "flood@x.example", "alice@nym.test",
	    "203.0.113.9", "s101", 10 + 60), "dunno",
	    "a half-life later the sender passes again");

	/* Host quota: 5 messages per host, any senders. */
	pass = 0;
	for (i = 0; i < 10; i++) {
		char inst[16], snd[32];

		snprintf(inst, sizeof(inst), "h%d", i);
		snprintf(snd, sizeof(snd), "u%d@x.example", i);
		pass += strcmp(ask(p, "RCPT", snd, "alice@nym.test",
		    "2001:db8:5::1", inst, 200), "dunno") == 0;
	}
	T(pass == 5, "host over quota: 5 of 10 pass (%d)", pass);
	T(STARTS(ask(p, "RCPT", "z@x.example", "alice@nym.test",
	    "2001:db8:5::77", "h99", 200), "defer_if_permit 4.7.1 "),
	    "same /64: deferred 4.7.1");
	T_STR(ask(p, "RCPT", "z@x.example", "alice@nym.test",
	    "2001:db8:6::1", "h100", 200), "dunno", "another host passes");

	/* One message counts once, however many recipients. */
	pass = 0;
	for (i = 0; i < 5; i++)
		pass += strcmp(ask(p, "RCPT", "multi@x.example",
		    "alice@nym.test", "192.0.2.50", "one", 300), "dunno") == 0;
	T(pass == 5, "5 recipients of one message under a 3-message quota");

	/* Other states and requests. */
	T_STR(ask(p, "DATA", "s@x.example", "bob@nym.test", "192.0.2.1",
	    "d1", 400), "dunno", "not RCPT: dunno");
	buf_reset(&out);
	policy_parse(&req, "request=junk\n\n", 14);
	policy_decide(p, &ss, &req, 400, &out);
	T_STR(out.s, "action=dunno\n\n", "unknown request: dunno (on_error)");
	buf_reset(&out);
	policy_error_action(p, &out);
	T_STR(out.s, "action=dunno\n\n", "unreadable request: dunno");
	{
		struct policy_stats s;

		policy_get_stats(p, &s);
		T(s.verdicts[PV_NOUSER] == 2 && s.verdicts[PV_RCPTS] == 1 &&
		    s.verdicts[PV_ERROR] == 2 && s.senders > 0 && s.hosts > 0,
		    "statistics counted");
	}
	policy_free(p);
	set.on_error_defer = 1;
	p = policy_new(&set, pubview_known, NULL, ro);
	buf_reset(&out);
	policy_error_action(p, &out);
	T(STARTS(out.s, "action=defer_if_permit 4.3.0 "),
	    "on_error defer: defer_if_permit 4.3.0");
	policy_free(p);

	/* --- the DNS decision (canned answers) --- */
	dnscheck_set_query(fake_query);
	T(dnscheck_lookup("mx.example") == POLICY_DNS_OK, "MX: ok");
	T(dnscheck_lookup("aonly.example") == POLICY_DNS_OK, "no MX, A: ok");
	T(dnscheck_lookup("v6only.example") == POLICY_DNS_OK,
	    "no MX, AAAA: ok");
	T(dnscheck_lookup("nullmx.example") == POLICY_DNS_NOTFOUND,
	    "null MX: not found");
	T(dnscheck_lookup("empty.example") == POLICY_DNS_NOTFOUND,
	    "no MX, no address: not found");
	T(dnscheck_lookup("nx.example") == POLICY_DNS_NOTFOUND,
	    "NXDOMAIN: not found");
	T(dnscheck_lookup("broken.example") == POLICY_DNS_TEMP,
	    "server failure: temporary");
	T(dnscheck_lookup("halfbroken.example") == POLICY_DNS_TEMP,
	    "A failed, no AAAA: temporary");
	ctx.pv = ro;
	ctx.dc = dc = dnscache_new(0);
	set.on_error_defer = 0;
	set.dns_check = 1;
	p = policy_new(&set, ctx_known, ctx_dns, &ctx);
	T(p != NULL, "policy with the DNS check");
	T_STR(ask(p, "RCPT", "s@mx.example", "alice@nym.test", "192.0.2.1",
	    "n1", 0), "dunno", "sender domain with MX: dunno");
	T(STARTS(ask(p, "RCPT", "s@nx.example", "alice@nym.test",
	    "192.0.2.1", "n2", 0), "reject 5.1.8 "), "NXDOMAIN: reject 5.1.8");
	T(STARTS(ask(p, "RCPT", "s@nullmx.example", "alice@nym.test",
	    "192.0.2.1", "n3", 0), "reject 5.1.8 "), "null MX: reject 5.1.8");
	T(STARTS(ask(p, "RCPT", "s@broken.example", "alice@nym.test",
	    "192.0.2.1", "n4", 0), "defer_if_permit 4.1.8 "),
	    "DNS failure: defer_if_permit 4.1.8");
	T(STARTS(ask(p, "RCPT", "s@nx.example", "bob@nym.test",
	    "192.0.2.1", "n5", 0), "reject 5.1.1 "),
	    "unknown nym decided before the DNS");
	T_STR(ask(p, "RCPT", "", "alice@nym.test", "192.0.2.1", "n6", 0),
	    "dunno", "null sender: no DNS check");
	dnscheck_set_query(NULL);
	T(STARTS(ask(p, "RCPT", "s@nx.example", "alice@nym.test",
	    "192.0.2.1", "n7", 100), "reject 5.1.8 "),
	    "answer cached (no resolver asked)");
	policy_free(p);
	dnscache_free(dc);

	pubview_close(ro);
	buf_free(&pubdir);
	snprintf(line, sizeof(line), "rm -rf %s", dir);
	if (system(line) != 0)
		return 1;
	policy_req_free(&req);
	buf_free(&big);
	buf_free(&out);
	T_END();
}
