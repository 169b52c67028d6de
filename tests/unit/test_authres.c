/* test_authres.c - Authentication-Results parsing and the alias decision. */
#include <stdio.h>
#include <string.h>

#include "authres.h"
#include "t.h"

static struct authres ar;

static int
parse(const char *s)
{
	return authres_parse(s, strlen(s), &ar);
}

/* Does field s, from id nym.test, authenticate env/from domains? */
static int
auth(const char *s, const char *env, const char *from)
{
	return parse(s) == 0 && authres_authenticates(&ar, "nym.test", env,
	    from);
}

int
main(void)
{
	struct { const char *v; int ok; } table[] = {
		{ "nym.test; spf=pass smtp.mailfrom=a@example.org", 1 },
		{ "nym.test 1; none", 1 },
		{ "nym.test; none", 1 },
		{ " nym.test (comment (nested)) ; dkim=pass (2048-bit key) "
		    "header.d=example.org header.i=@example.org "
		    "header.b=\"abc\"", 1 },
		/* OpenDKIM writes header.b, a piece of base64, unquoted:
		 * '/' and '=' in it must not spoil the field (it failed
		 * about one run in eight of alias-auth.sh). */
		{ "nym.test; dkim=pass (2048-bit key; unprotected) "
		    "header.d=example.org header.i=@example.org "
		    "header.a=rsa-sha256 header.s=sel header.b=Ab/x+9=Q", 1 },
		{ "nym.test; dkim=pass header.d=example.org header.b=/AbCdEf", 1 },
		{ "nym.test;\r\n\tspf=pass smtp.mailfrom=example.org;\r\n\t"
		    "dkim=fail reason=\"bad sig\" header.d=x.example", 1 },
		{ "nym.test; dkim/1=pass header.d=example.org", 1 },
		{ "\"quoted id\"; spf=none", 1 },
		{ "", 0 },
		{ "nym.test", 0 },
		{ "nym.test; =pass", 0 },
		{ "nym.test; spf", 0 },
		{ "nym.test; spf=", 0 },
		{ "nym.test; spf=pass smtp", 0 },
		{ "nym.test; spf=pass smtp.mailfrom", 0 },
		{ "nym.test (unclosed; spf=pass", 0 },
		{ "nym.test; spf=pass smtp.mailfrom=\"unclosed", 0 },
		{ "((((((((((deep))))))))))nym.test; spf=pass", 0 },
		/* A property the decision reads, twice in one result. */
		{ "nym.test; spf=pass smtp.mailfrom=a@x.example "
		    "smtp.mailfrom=b@y.example", 0 },
		{ "nym.test; dkim=pass header.d=x.example header.d=y.example", 0 },
		{ "nym.test; dkim=pass header.i=@x.example header.i=@y.example", 0 },
		{ "nym.test; spf=pass smtp.mailfrom=\"\" smtp.mailfrom=b@y.example", 0 },
		/* ... but once in each of two results is fine. */
		{ "nym.test; dkim=pass header.d=x.example; dkim=pass "
		    "header.d=y.example", 1 },
	};
	char big[9000];
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		T((parse(table[i].v) == 0) == table[i].ok, "parse %s: case %zu",
		    table[i].ok ? "accepts" : "refuses", i);
	T(parse("Nym.TEST; SPF=Pass smtp.mailfrom=A@Example.ORG") == 0 &&
	    strcmp(ar.authserv_id, "nym.test") == 0 && ar.n == 1 &&
	    strcmp(ar.r[0].method, "spf") == 0 &&
	    strcmp(ar.r[0].result, "pass") == 0 &&
	    strcmp(ar.r[0].smtp_mailfrom, "a@example.org") == 0,
	    "id, method, result and property lowercased");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T(parse(big) < 0, "over 8192 bytes: refused");
	memcpy(big, "nym.test; spf=pass smtp.mailfrom=", 33);
	big[33 + 300] = '\0';
	T(parse(big) < 0, "over-long value: refused");
	{
		char many[2048] = "nym.test";

		for (i = 0; i <= AUTHRES_MAX_RESULTS; i++)
			strcat(many, "; spf=pass");
		T(parse(many) < 0, "more results than kept: refused");
	}
	T(authres_parse("nym.test; spf=pass\0x", 20, &ar) < 0, "NUL refused");

	/* --- the decision --- */
	T(auth("nym.test; spf=pass smtp.mailfrom=alice@example.org",
	    "example.org", NULL), "SPF pass for the envelope domain");
	T(auth("nym.test; spf=pass smtp.mailfrom=example.org",
	    "example.org", NULL), "SPF pass naming the domain only");
	T(!auth("nym.test; spf=pass smtp.mailfrom=alice@evil.example",
	    "example.org", "example.org"), "SPF pass for another domain: no");
	T(!auth("nym.test; spf=softfail smtp.mailfrom=alice@example.org",
	    "example.org", "example.org"), "SPF softfail: no");
	T(!auth("nym.test; spf=neutral smtp.mailfrom=alice@example.org",
	    "example.org", "example.org"), "SPF neutral: no");
	T(!auth("mx.elsewhere.example; spf=pass smtp.mailfrom=a@example.org",
	    "example.org", "example.org"), "another authserv-id: ignored");
	T(auth("nym.test; dkim=pass header.d=example.org", "example.org",
	    "example.org"), "DKIM pass, d= the From domain");
	T(auth("nym.test; dkim=pass header.d=example.org", "mail.example.org",
	    "mail.example.org"), "DKIM pass by a parent domain: aligned");
	T(!auth("nym.test; dkim=pass header.d=mail.example.org", "example.org",
	    "example.org"), "DKIM by a subdomain: not aligned here");
	T(!auth("nym.test; dkim=pass header.d=org", "example.org",
	    "example.org"), "DKIM by a top-level domain: no");
	T(!auth("nym.test; dkim=pass header.d=example.org", "example.org",
	    "other.example"), "From domain not the envelope's: no");
	T(!auth("nym.test; dkim=pass header.d=evil.example", "example.org",
	    "example.org"), "DKIM by another domain: no");
	T(!auth("nym.test; dkim=fail header.d=example.org", "example.org",
	    "example.org"), "DKIM fail: no");
	T(auth("nym.test; dkim=pass header.i=@example.org", "example.org",
	    "example.org"), "DKIM header.i only: its domain");
	T(!auth("nym.test; none", "example.org", "example.org"),
	    "no result: no");
	T(!auth("nym.test; spf=pass smtp.mailfrom=a@example.org", "",
	    NULL), "null sender: no");
	T(auth("nym.test; spf=fail smtp.mailfrom=a@x.example; "
	    "dkim=pass header.d=EXAMPLE.org", "example.org", "example.org"),
	    "one passing method of several is enough");
	T_END();
}
