/* test_alias.c - the alias service: the header rewrite, addresses, state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/nymaliasXXXXXX";

static const char sample[] =
    "From alice@example.org Mon Nov 23 10:00:00 2026\n"
    "Return-Path: <alice@example.org>\n"
    "Received: from pc.alice.example (pc.alice.example [192.0.2.7])\n"
    "\tby mx.example.org with ESMTP id 1; Mon, 23 Nov 2026 10:00:00 +0000\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s1;\n"
    "\tb=AAAA\n"
    "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org\n"
    "ARC-Message-Signature: i=1; d=example.org\n"
    "From: Alice Realname <alice@example.org>, <a.realname@work.example>\n"
    "Sender: alice@example.org\n"
    "Reply-To: Alice <ALICE@Example.ORG>\n"
    "To: bob@nym.test\n"
    "Cc: carol@nym.test\n"
    "Subject: hello\n"
    "Date: Mon, 23 Nov 2026 11:00:00 +0100\n"
    "Message-ID: <1234@pc.alice.example>\n"
    "X-Originating-IP: [192.0.2.7]\n"
    "X-Mailer: Example Mail 1.0\n"
    "X-Contact: a.realname@work.example, and more\n"
    "X-Comment: write to alice@EXAMPLE.org\n"
    "\tanytime\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain;\n"
    "\tcharset=utf-8\n"
    "\n"
    "Body line one\n"
    "From: alice@example.org (in the body: untouched)\n";

static int
has_line(const struct buf *b, const char *line)
{
	const char *p = b->s;
	size_t n = strlen(line);

	while (p != NULL) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

/* The header part of b (up to the empty line). */
static void
header_of(const struct buf *b, struct buf *h)
{
	const char *e = strstr(b->s, "\n\n");

	buf_set(h, b->s, e ? (size_t)(e - b->s + 1) : b->len);
}

static void
test_rewrite(void)
{
	struct msg m;
	struct msg_limits lim = { 1 << 20, 1000, 8192 };
	struct buf out = BUF_INIT, h = BUF_INIT;
	const char *body;

	T(msg_parse(&m, sample, strlen(sample), &lim) == MSG_OK, "sample parses");
	alias_rewrite(&m, "al@nym.test", NULL, "alice@example.org", "nym.test",
	    0, &out);
	header_of(&out, &h);
	T(has_line(&h, "From: <al@nym.test>"), "From is the sender's alias");
	T(strstr(h.s, "Realname") == NULL, "display name dropped by default");
	T(strcasestr(h.s, "alice@example.org") == NULL,
	    "no real address left in the header");
	T(strstr(h.s, "192.0.2.7") == NULL && strstr(h.s, "pc.alice") == NULL,
	    "no real host or IP left");
	T(strncmp(out.s, "From alice", 10) != 0, "mbox From line dropped");
	T(strstr(h.s, "Received:") == NULL, "Received removed");
	T(strstr(h.s, "Return-Path:") == NULL, "Return-Path removed");
	T(strstr(h.s, "DKIM-Signature") == NULL && strstr(h.s, "b=AAAA") == NULL,
	    "DKIM signature (folded) removed");
	T(strstr(h.s, "ARC-") == NULL, "ARC-* removed");
	T(strstr(h.s, "Sender:") == NULL && strstr(h.s, "Reply-To:") == NULL,
	    "Sender and Reply-To removed");
	T(strstr(h.s, "X-Originating-IP") == NULL, "X-Originating-IP removed");
	T(strstr(h.s, "X-Comment") == NULL && strstr(h.s, "anytime") == NULL,
	    "a field naming the real address (folded, any case) removed");
	T(strstr(h.s, "X-Contact") == NULL,
	    "a field naming an address of the old From removed");
	T(strstr(h.s, "<1234@") == NULL && strstr(h.s, "Message-ID: <") != NULL &&
	    strstr(h.s, "@nym.test>") != NULL, "Message-ID regenerated");
	T(has_line(&h, "Date: Thu, 01 Jan 1970 00:00:00 +0000"),
	    "Date regenerated in UTC");
	T(msg_count(&m, "Date") == 1 && strstr(h.s, "+0100") == NULL,
	    "old Date (with the sender's zone) removed");
	T(has_line(&h, "To: bob@nym.test") && has_line(&h, "Cc: carol@nym.test"),
	    "To and Cc kept");
	T(has_line(&h, "Subject: hello") && has_line(&h, "X-Mailer: Example Mail 1.0"),
	    "other fields kept");
	T(strstr(h.s, "Content-Type: text/plain;\n\tcharset=utf-8\n") != NULL,
	    "folded MIME field kept byte for byte");
	body = strstr(out.s, "\n\n");
	T(body != NULL && strcmp(body + 2, m.body) == 0 &&
	    strlen(body + 2) == m.bodylen, "body untouched");

	alias_rewrite(&m, "al@nym.test", "Al \"the\" <Pal>", "alice@example.org",
	    "nym.test", 0, &out);
	header_of(&out, &h);
	T(has_line(&h, "From: \"Al the Pal\" <al@nym.test>"),
	    "display name kept when asked, quotes and brackets removed");
	alias_rewrite(&m, "al@nym.test", "alice@example.org",
	    "alice@example.org", "nym.test", 0, &out);
	header_of(&out, &h);
	T(has_line(&h, "From: <al@nym.test>"),
	    "display name holding the real address dropped");
	buf_free(&out);
	buf_free(&h);
	msg_free(&m);

	T(alias_strip_field("received", 8) && alias_strip_field("ARC-Seal", 8) &&
	    alias_strip_field("X-Google-Smtp-Source", 20) &&
	    alias_strip_field("Resent-From", 11) &&
	    alias_strip_field("Authentication-Results", 22),
	    "strip list by name and prefix");
	T(!alias_strip_field("Subject", 7) && !alias_strip_field("To", 2) &&
	    !alias_strip_field("In-Reply-To", 11), "threading fields kept");
}

static void
test_addresses(struct conf *c)
{
	struct buf b = BUF_INIT;

	T(alias_norm_addr(c, "Alice@Example.ORG", &b) == 0 &&
	    strcmp(b.s, "Alice@example.org") == 0,
	    "domain lowercased, local part kept");
	T(alias_norm_addr(c, "Alice Real <a@B.org>", &b) == 0 &&
	    strcmp(b.s, "a@b.org") == 0, "display name dropped");
	T(alias_norm_addr(c, "x@nym.test", &b) < 0, "our own domain refused");
	T(alias_norm_addr(c, "x@mail.NYM.test", &b) < 0, "our subdomain refused");
	T(alias_norm_addr(c, "a@b.org, c@d.org", &b) < 0, "two addresses refused");
	T(alias_norm_addr(c, "", &b) < 0, "empty refused");
	T(alias_norm_addr(c, "nodomain", &b) < 0, "no domain refused");
	T(alias_norm_addr(c, "-oQ/tmp@b.org", &b) < 0,
	    "leading '-' refused (sendmail option)");
	T(alias_norm_addr(c, "a@b.org\nBcc: x@y.org", &b) < 0,
	    "newline refused");
	T(alias_name_ok("Alice_1", &b) && strcmp(b.s, "alice_1") == 0,
	    "alias name lowercased");
	T(!alias_name_ok("help", &b) && !alias_name_ok("postmaster", &b) &&
	    !alias_name_ok("x-request", &b), "reserved names refused");
	T(!alias_name_ok("a", &b) && !alias_name_ok("abcdefghijklmnopq", &b) &&
	    !alias_name_ok("a.b", &b) && !alias_name_ok("-ab", &b),
	    "bad syntax refused");
	buf_free(&b);
}

static int
find_token(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	const char *tok = arg;

	(void)k;
	(void)kl;
	if (memmem(v, vl, tok, strlen(tok)) != NULL ||
	    memmem(k, kl, tok, strlen(tok)) != NULL)
		return -5;
	return 0;
}

struct scan {
	const char *tok;
	int rc;
};

static int
scan_fn(struct stxn *t, void *arg)
{
	struct scan *s = arg;

	s->rc = txn_iter(t, DB_PENDING, NULL, 0, find_token, (void *)s->tok);
	return 0;
}

static int
put_nym(struct stxn *t, void *arg)
{
	(void)arg;
	return txn_put(t, DB_NYMS, "somenym", 7, "x", 1);
}

static int
request(struct store *st, int op, const char *alias, const char *addr,
    time_t now, unsigned rate, char *tok)
{
	struct alias_req a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.alias = alias;
	a.addr = addr;
	a.now = now;
	a.rate = rate;
	if (alias_request(st, &a) < 0)
		return -1;
	if (tok != NULL)
		strcpy(tok, a.token);
	buf_free(&a.current);
	return a.outcome;
}

static int
confirm(struct store *st, const char *tok, time_t now)
{
	struct alias_confirm c;

	memset(&c, 0, sizeof(c));
	c.token = tok;
	c.now = now;
	if (alias_confirm(st, &c) < 0)
		return -1;
	buf_free(&c.alias);
	buf_free(&c.addr);
	return c.outcome;
}

static void
test_state(void)
{
	struct store *st;
	struct buf v = BUF_INIT;
	struct scan sc;
	char err[256], tok[64], tok2[64];
	time_t now = 1800000000;

	if (mkdtemp(dir) == NULL)
		return;
	T(store_open(&st, dir, 1 << 20, 1, err, sizeof(err)) == STORE_OK,
	    "store created");
	T(request(st, ALIAS_REGISTER, "al", "alice@example.org", now, 100, tok)
	    == ALIAS_CONFIRM_SENT && strlen(tok) == 32, "register: token made");
	sc.tok = tok;
	store_read(st, scan_fn, &sc);
	T(sc.rc == 0, "the token itself is not stored");
	T(store_get(st, DB_ALIASES, "al", &v) == STORE_NOTFOUND,
	    "nothing changes before confirmation");
	T(request(st, ALIAS_REGISTER, "al2", "alice@example.org", now + 60, 100,
	    NULL) == ALIAS_THROTTLED, "second request within 10 min throttled");
	T(confirm(st, "0123456789abcdef0123456789abcdef", now) ==
	    ALIAS_BADTOKEN, "unknown token refused");
	T(confirm(st, "../../etc", now) == ALIAS_BADTOKEN, "malformed token refused");
	T(confirm(st, tok, now + 10) == ALIAS_DONE, "confirmation applies");
	T(store_get(st, DB_ALIASES, "al", &v) == STORE_OK &&
	    strcmp(v.s, "alice@example.org") == 0, "alias -> address");
	T(store_get(st, DB_ADDRS, "alice@example.org", &v) == STORE_OK &&
	    strcmp(v.s, "al") == 0, "address -> alias");
	T(confirm(st, tok, now + 20) == ALIAS_BADTOKEN, "token is single use");

	T(request(st, ALIAS_REGISTER, "al", "bob@example.net", now, 100, NULL)
	    == ALIAS_TAKEN, "a taken name is refused");
	T(request(st, ALIAS_REGISTER, "bb", "alice@example.org", now + 30, 100,
	    NULL) == ALIAS_HAS_ONE,
	    "one alias per address (confirming lifted the 10-minute stamp)");
	store_write(st, put_nym, NULL);
	T(request(st, ALIAS_REGISTER, "somenym", "carol@example.net", now, 100,
	    NULL) == ALIAS_TAKEN, "a nym's name cannot become an alias");

	/* Two requests for one name: the first confirmation wins. */
	T(request(st, ALIAS_REGISTER, "dd", "dave@example.net", now, 100, tok)
	    == ALIAS_CONFIRM_SENT, "dave asks for dd");
	T(request(st, ALIAS_REGISTER, "dd", "erin@example.net", now, 100, tok2)
	    == ALIAS_CONFIRM_SENT, "erin asks for dd too");
	T(confirm(st, tok2, now + 5) == ALIAS_DONE, "erin confirms first");
	T(confirm(st, tok, now + 6) == ALIAS_TAKEN, "dave's confirmation finds it taken");

	T(request(st, ALIAS_REGISTER, "ff", "frank@example.net", now, 100, tok)
	    == ALIAS_CONFIRM_SENT, "frank asks");
	T(confirm(st, tok, now + ALIAS_TOKEN_TTL + 1) == ALIAS_BADTOKEN,
	    "token expires after 48 h");

	T(request(st, ALIAS_REMOVE, "xx", "alice@example.org", now + 2000, 100,
	    NULL) == ALIAS_NONE, "remove: wrong name refused");
	T(request(st, ALIAS_REMOVE, "", "alice@example.org", now + 3000, 100,
	    tok) == ALIAS_CONFIRM_SENT, "remove: token made");
	T(store_get(st, DB_ALIASES, "al", &v) == STORE_OK,
	    "removal waits for confirmation");
	T(confirm(st, tok, now + 3001) == ALIAS_DONE, "removal confirmed");
	T(store_get(st, DB_ALIASES, "al", &v) == STORE_NOTFOUND &&
	    store_get(st, DB_ADDRS, "alice@example.org", &v) == STORE_NOTFOUND,
	    "both directions removed");

	/* The global budget: rate 2 per minute. */
	T(request(st, ALIAS_REGISTER, "g1", "g1@example.net", now + 6000, 2,
	    NULL) == ALIAS_CONFIRM_SENT &&
	    request(st, ALIAS_REGISTER, "g2", "g2@example.net", now + 6000, 2,
	    NULL) == ALIAS_CONFIRM_SENT, "two requests within the budget");
	T(request(st, ALIAS_REGISTER, "g3", "g3@example.net", now + 6000, 2,
	    NULL) == ALIAS_BUSY, "the third in that minute is refused");
	T(request(st, ALIAS_REGISTER, "g3", "g3@example.net", now + 6060, 2,
	    NULL) == ALIAS_CONFIRM_SENT, "the next minute has a new budget");

	/* Expiry leaves nothing of the pending records behind. */
	T(alias_expire(st, now + 6060 + ALIAS_TOKEN_TTL + 1) == 0, "expire runs");
	sc.tok = "alias:t:";
	store_read(st, scan_fn, &sc);
	T(sc.rc == 0, "expired tokens are gone");
	sc.tok = "alias:a:";
	store_read(st, scan_fn, &sc);
	T(sc.rc == 0, "expired address stamps are gone");
	store_close(st);
	buf_reset(&v);
	buf_addf(&v, "rm -rf %s", dir);
	if (system(v.s) != 0)
		T(0, "cleanup");
	buf_free(&v);
}

/*
 * alias_rate as one global budget: anyone with fresh addresses could use
 * it up and stop registration for everyone.  Ten forged requests from
 * one domain must not keep a request from another domain out.
 */
static void
test_budget_domains(void)
{
	static char d2[] = "/tmp/nymaliasbXXXXXX";
	struct store *st;
	struct buf a = BUF_INIT, n = BUF_INIT;
	char err[256];
	time_t now = 1800000000;
	int i, sent = 0;

	if (mkdtemp(d2) == NULL ||
	    store_open(&st, d2, 1 << 20, 1, err, sizeof(err)) != STORE_OK)
		return;
	for (i = 0; i < 11; i++) {
		buf_reset(&a);
		buf_addf(&a, "fresh%d@attacker.example", i);
		buf_reset(&n);
		buf_addf(&n, "at%d", i);
		sent += request(st, ALIAS_REGISTER, n.s, a.s, now, 10, NULL) ==
		    ALIAS_CONFIRM_SENT;
	}
	T(sent == 10, "alias_rate: 10 requests a minute from one domain "
	    "pass, the 11th not (%d)", sent);
	T(request(st, ALIAS_REGISTER, "legit", "me@good.example", now + 1, 10,
	    NULL) == ALIAS_CONFIRM_SENT, "alias_rate: a request from another "
	    "domain in the same minute still gets its confirmation");
	{
		struct alias_req r;

		memset(&r, 0, sizeof(r));
		r.op = ALIAS_REGISTER;
		r.alias = "third";
		r.addr = "me@third.example";
		r.now = now + 2;
		r.rate = 10;
		r.rate_global = 1;
		T(alias_request(st, &r) == 0 &&
		    r.outcome == ALIAS_CONFIRM_SENT, "alias_rate_global 1: "
		    "the first request of the minute passes");
		buf_free(&r.current);
		r.alias = "fourth";
		r.addr = "me@fourth.example";
		T(alias_request(st, &r) == 0 && r.outcome == ALIAS_BUSY,
		    "alias_rate_global: the ceiling for all senders holds "
		    "(another domain, the same minute)");
		buf_free(&r.current);
		r.now = now + 61;
		T(alias_request(st, &r) == 0 &&
		    r.outcome == ALIAS_CONFIRM_SENT, "... and a refused "
		    "request left no stamp: its retry a minute later passes");
		buf_free(&r.current);
	}
	store_close(st);
	buf_reset(&a);
	buf_addf(&a, "rm -rf %s", d2);
	if (system(a.s) != 0)
		T(0, "cleanup");
	buf_free(&a);
	buf_free(&n);
}

/* Load a configuration made of the given lines; 0 or -1. */
static int
load(struct conf *c, const char *text)
{
	char path[] = "/tmp/nymaliasconfXXXXXX", err[256];
	int fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -2;
	close(fd);
	rc = conf_load(c, path, err, sizeof(err));
	unlink(path);
	return rc;
}

static void
test_conf(void)
{
	struct conf c;

	T(load(&c, "hostname = nym.test\n") == 0 && c.alias_enabled &&
	    !c.alias_keep_name && c.alias_log == NULL &&
	    c.alias_web_url == NULL && c.alias_rate == 10 &&
	    strcmp(alias_domain(&c), "nym.test") == 0,
	    "alias defaults: on, no log, name dropped, 10/min");
	conf_free(&c);
	T(load(&c, "hostname = nym.test\nalias_domain = Anon.Test\n"
	    "alias_keep_name = yes\nalias_log = /var/log/a\n"
	    "alias_web_url = https://nym.test/nymreg\nalias_rate = 3\n") == 0 &&
	    strcmp(alias_domain(&c), "anon.test") == 0 && c.alias_keep_name &&
	    strcmp(c.alias_log, "/var/log/a") == 0 && c.alias_rate == 3,
	    "alias keys read (domain lowercased)");
	conf_free(&c);
	T(load(&c, "hostname = h.test\nalias_domain = bad..domain\n") < 0,
	    "bad alias_domain refused");
	conf_free(&c);
	T(load(&c, "hostname = h.test\nalias_log = relative\n") < 0,
	    "relative alias_log refused");
	conf_free(&c);
	T(load(&c, "hostname = h.test\nalias_web_url = ftp://x/\n") < 0 &&
	    (conf_free(&c), load(&c, "hostname = h.test\nalias_web_url = "
	    "https://x/y?t=\n")) < 0 &&
	    (conf_free(&c), load(&c, "hostname = h.test\nalias_web_url = "
	    "https://x/\"><script>\n")) < 0,
	    "alias_web_url: only http(s), no query, no markup");
	conf_free(&c);
	T(load(&c, "hostname = h.test\nalias_rate = 0\n") < 0,
	    "alias_rate 0 refused");
	conf_free(&c);
}

int
main(void)
{
	struct conf c;

	memset(&c, 0, sizeof(c));
	c.hostname = "nym.test";
	test_rewrite();
	test_addresses(&c);
	test_state();
	test_budget_domains();
	test_conf();
	T_END();
}
