/* test_addr.c - address-list parser, table-driven. */
#include <stdlib.h>

#include "addr.h"
#include "t.h"

struct acase {
	const char *in;
	int rc;
	size_t n;
	const char *first;	/* canonical addr of the first entry */
	const char *display;	/* display of the first entry */
};

static const struct acase cases[] = {
	{ "a@b.example", 0, 1, "a@b.example", NULL },
	{ "John Doe <jd@x.org>", 0, 1, "jd@x.org", "John Doe" },
	{ "\"Doe, John\" <jd@x.org>, b@y", 0, 2, "jd@x.org", "Doe, John" },
	{ "jd@x.org (John Doe)", 0, 1, "jd@x.org", NULL },
	{ "(c) \"quoted local\"@x.org", 0, 1, "\"quoted local\"@x.org", NULL },
	{ "\"a\\\"b\"@x.org", 0, 1, "\"a\\\"b\"@x.org", NULL },
	{ "friends: a@x, b@y;, c@z", 0, 3, "a@x", NULL },
	{ "undisclosed-recipients:;", 0, 0, NULL, NULL },
	{ "<@route.x:u@dom.x>", 0, 1, "u@dom.x", NULL },
	{ "MAILER-DAEMON", 0, 1, "MAILER-DAEMON", NULL },
	{ "a@[127.0.0.1]", 0, 1, "a@[127.0.0.1]", NULL },
	{ "<>", 0, 0, NULL, NULL },
	{ "  ,  a@b ,, ", 0, 1, "a@b", NULL },
	{ "", 0, 0, NULL, NULL },
	{ "a@b.example,\r\n c@d", 0, 2, "a@b.example", NULL },
	{ "=?utf-8?q?J=C3=B6rg?= <j@x>", 0, 1, "j@x", "=?utf-8?q?J=C3=B6rg?=" },
	{ "John.Q. Public <jqp@x>", 0, 1, "jqp@x", "John.Q. Public" },
	/* regression: fuzz_msg found an empty quoted string unterminated */
	{ "\"\" <a@b>", 0, 1, "a@b", NULL },
	{ "\"\"@x", 0, 1, "\"\"@x", NULL },
	/* errors */
	{ "<a@b", -1, 0, NULL, NULL },
	{ "a@", -1, 0, NULL, NULL },
	{ "\"unterminated@x", -1, 0, NULL, NULL },
	{ "(unclosed comment a@b", -1, 0, NULL, NULL },
	{ "a@b c@d", -1, 0, NULL, NULL },
	{ "John Doe", -1, 0, NULL, NULL },
	{ "a@b\001", -1, 0, NULL, NULL },
	{ "g: a@b;, h: c@d;", 0, 2, "a@b", NULL },
	{ "g: h: a@b;;", -1, 0, NULL, NULL },
	{ "\"john\".doe@x", 0, 1, "john.doe@x", NULL },
	{ "john \"doe\"@x", -1, 0, NULL, NULL },
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct acase *c = &cases[i];
		struct addrlist l;
		int rc = addr_parse_list(c->in, strlen(c->in), 100, &l);
		int ok = rc == c->rc && l.n == c->n;

		if (ok && c->first != NULL)
			ok = strcmp(l.a[0].addr, c->first) == 0;
		if (ok && c->n > 0)
			ok = c->display == NULL ? l.a[0].display == NULL :
			    l.a[0].display != NULL &&
			    strcmp(l.a[0].display, c->display) == 0;
		T(ok, "parse [%s] (rc %d, n %zu, first %s)", c->in, rc, l.n,
		    l.n ? l.a[0].addr : "-");
		addr_free_list(&l);
	}
}

static void
test_group_and_cap(void)
{
	struct addrlist l;
	const char *s = "team: a@x, b@y;";

	T(addr_parse_list(s, strlen(s), 100, &l) == 0 && l.n == 2 &&
	    l.a[1].group != NULL && strcmp(l.a[1].group, "team") == 0,
	    "group name recorded");
	addr_free_list(&l);
	s = "a@x, b@x, c@x";
	T(addr_parse_list(s, strlen(s), 2, &l) == -1 && l.n == 0,
	    "more addresses than the cap refused");
}

static void
test_deliverable(void)
{
	T(addr_deliverable("user@example.org"), "plain address deliverable");
	T(!addr_deliverable("-oQ/tmp/x@example.org"), "leading dash refused");
	T(!addr_deliverable("user"), "no domain refused");
	T(!addr_deliverable("a b@example.org"), "space refused");
	T(!addr_deliverable("user@exa_mple.org"), "bad domain refused");
	T(!addr_deliverable("user@example.org."), "trailing dot refused");
	T(!addr_deliverable("a|b@x..y"), "double dot domain refused");
	T(addr_equal("A@X.org", "A@x.ORG") && !addr_equal("a@x", "A@x"),
	    "domains compare without case, local parts exactly");
}

static void
test_in_domain(void)
{
	T(addr_in_domain("a@nym.test", "nym.test"), "own domain");
	T(addr_in_domain("a@NYM.Test", "nym.test"), "case-insensitive");
	T(addr_in_domain("a@x.nym.test", "nym.test"), "a subdomain is ours");
	T(!addr_in_domain("a@evilnym.test", "nym.test"), "a suffix that is "
	    "no subdomain is not ours");
	T(!addr_in_domain("a@test", "nym.test") && !addr_in_domain("nym.test",
	    "nym.test"), "a parent domain and a bare word are not ours");
}

/* Finding 6: duplicate removal compared every pair before the cap, so
 * 40,000 recipients took 13 s; the cap must come before per-pair work. */
static void
test_rcpts(void)
{
	struct rcpts r;
	struct buf a = BUF_INIT;
	size_t i, added = 0;
	int rc = 0;

	addr_rcpts_init(&r, 20);
	for (i = 0; i < 40000 && rc == 0; i++) {
		buf_reset(&a);
		buf_addf(&a, "r%zu@example.org", i);
		rc = addr_rcpts_add(&r, a.s);
		added++;
	}
	T(rc == 1 && r.n == 20, "finding 6: of 40,000 recipients the 21st "
	    "distinct one stops the list (cap 20)");
	T(added == 21, "finding 6: the other 39,979 are never looked at "
	    "(%zu added)", added);
	T(r.compared <= 21 * 20 / 2, "finding 6: at most 210 comparisons, "
	    "not 800 million (%lu)", r.compared);
	addr_rcpts_free(&r);

	addr_rcpts_init(&r, 20);
	for (i = 0; i < 1000; i++)
		rc = addr_rcpts_add(&r, i % 2 ? "bob@EXAMPLE.org" :
		    "bob@example.org");
	T(rc == 0 && r.n == 1 && r.compared == 999, "a repeated address "
	    "(domain in any case) is listed once; one comparison each");
	T(addr_rcpts_add(&r, "Bob@example.org") == 0 && r.n == 2,
	    "local parts are compared exactly");
	addr_rcpts_free(&r);
	T(r.n == 0 && r.a == NULL, "freed list is empty");
	buf_free(&a);
}

int
main(void)
{
	test_table();
	test_group_and_cap();
	test_deliverable();
	test_in_domain();
	test_rcpts();
	T_END();
}
