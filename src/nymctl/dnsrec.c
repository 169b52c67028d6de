/* dnsrec.c - DNS records for deliverability and key discovery (nymctl dns). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "dnsrec.h"
#include "util.h"

/* A DER length at p (n bytes left); -1 if it does not fit. */
static long
der_len(const unsigned char **p, size_t *n)
{
	size_t k, i;
	long l = 0;

	if (*n < 1)
		return -1;
	if (**p < 0x80) {
		l = **p;
		(*p)++;
		(*n)--;
	} else {
		k = **p & 0x7f;
		if (k == 0 || k > 3 || *n < k + 1)
			return -1;
		for (i = 1; i <= k; i++)
			l = (l << 8) | (*p)[i];
		*p += k + 1;
		*n -= k + 1;
	}
	return (size_t)l > *n ? -1 : l;
}

/* Enter the DER element of tag t at p: *n becomes its length. */
static int
der_enter(const unsigned char **p, size_t *n, int t)
{
	long l;

	if (*n < 2 || **p != t)
		return -1;
	(*p)++;
	(*n)--;
	if ((l = der_len(p, n)) < 0)
		return -1;
	*n = (size_t)l;
	return 0;
}

unsigned
dnsrec_rsa_bits(const char *s, size_t len)
{
	struct buf d = BUF_INIT;
	const unsigned char *p;
	unsigned long acc = 0;
	size_t i, n, alg;
	int bits = 0, v;
	unsigned r = 0;

	for (i = 0; i < len; i++) {
		if ((v = util_b64val((unsigned char)s[i])) < 0)
			continue;	/* padding, blanks */
		acc = (acc << 6) | (unsigned)v;
		if ((bits += 6) >= 8) {
			buf_addc(&d, (int)((acc >> (bits - 8)) & 0xff));
			bits -= 8;
		}
	}
	/* SubjectPublicKeyInfo { { rsaEncryption, NULL }, BIT STRING {
	 * RSAPublicKey { modulus, exponent } } } */
	p = (const unsigned char *)d.s;
	n = d.len;
	if (p == NULL || der_enter(&p, &n, 0x30) < 0)
		goto out;
	{
		const unsigned char *q = p;
		size_t m = n;

		if (der_enter(&q, &m, 0x30) < 0)
			goto out;
		alg = (size_t)(q - p) + m;
		p += alg;
		n -= alg;
	}
	if (der_enter(&p, &n, 0x03) < 0 || n < 1 || *p != 0)
		goto out;
	p++;
	n--;
	if (der_enter(&p, &n, 0x30) < 0 || der_enter(&p, &n, 0x02) < 0)
		goto out;
	while (n > 0 && *p == 0)
		p++, n--;
	if (n == 0)
		goto out;
	r = (unsigned)(8 * n);
	for (v = 0x80; v > 0 && !(*p & v); v >>= 1)
		r--;
out:
	buf_free(&d);
	return r;
}

/* The TXT value of opendkim-genkey's record file: its quoted strings. */
static int
read_record(const char *path, struct buf *txt)
{
	struct buf f = BUF_INIT;
	const char *p, *e;
	int in = 0;

	if (util_read_file(path, 65536, &f) < 0 || f.s == NULL) {
		buf_free(&f);
		return -1;
	}
	for (p = f.s, e = f.s + f.len; p < e; p++) {
		if (*p == '"')
			in = !in;
		else if (in && *p != '\n' && *p != '\r')
			buf_addc(txt, *p);
		else if (!in && *p == ';')
			break;		/* the comment after the record */
	}
	buf_free(&f);
	return txt->len > 0 ? 0 : -1;
}

/* The records of one mail domain. */
static int
domain(const struct conf *c, const char *d, struct buf *o)
{
	struct buf txt = BUF_INIT;
	int problems = 0;

	buf_addf(o, "\n; ---- %s ----\n", d);
	buf_addf(o, "; MX: mail for the domain comes here (HOST: this "
	    "machine's name)\n%s.\tIN MX 10 HOST.\n", d);
	buf_addf(o, "; SPF: envelope senders are in %s (nyms, aliases, "
	    "%s for notices);\n; \"mx\" covers this host when it is "
	    "the MX; else name its addresses (ip4:, ip6:)\n", d,
	    c->envelope_sender[0] ? c->envelope_sender : "<>");
	buf_addf(o, "%s.\tIN TXT \"v=spf1 mx -all\"\n", d);
	buf_addf(o, "; DKIM: OpenDKIM signs everything with d=%s, selector "
	    "%s (RSA, 2048 bits)\n", d, c->dkim_selector);
	if (c->dkim_record == NULL || read_record(c->dkim_record, &txt) < 0) {
		buf_addf(o, "; PROBLEM: no DKIM key record (set dkim_record "
		    "to opendkim-genkey -b 2048 -d %s -s %s's %s.txt)\n", d,
		    c->dkim_selector, c->dkim_selector);
		buf_addf(o, "%s._domainkey.%s.\tIN TXT \"v=DKIM1; k=rsa; "
		    "p=...\"\n", c->dkim_selector, d);
		problems++;
	} else {
		const char *p = strstr(txt.s, "p=");
		unsigned bits = 0;

		if (p != NULL)
			bits = dnsrec_rsa_bits(p + 2, strcspn(p + 2, ";"));
		buf_addf(o, "%s._domainkey.%s.\tIN TXT \"%s\"\n",
		    c->dkim_selector, d, txt.s);
		if (bits < 2048) {
			buf_addf(o, "; PROBLEM: the DKIM key has %u bits; the "
			    "receivers want 2048 (opendkim-genkey -b 2048)\n",
			    bits);
			problems++;
		}
	}
	buf_addf(o, "; DMARC: From, envelope sender and d= are all exactly "
	    "%s (strict alignment).\n; p=none is the least the big "
	    "receivers ask for; reject also stops mail forged as a nym\n",
	    d);
	buf_addf(o, "_dmarc.%s.\tIN TXT \"v=DMARC1; p=reject; adkim=s; "
	    "aspf=s\"\n", d);
	buf_free(&txt);
	return problems;
}

int
dnsrec_print(const struct conf *c, struct buf *o)
{
	int problems;

	buf_addf(o, "; DNS records for %s (nymctl dns), a checklist against "
	    "the 2024+ requirements\n; of Gmail, Yahoo and Outlook: SPF and "
	    "DKIM (2048-bit), DMARC aligned with them,\n; forward-confirmed "
	    "reverse DNS, TLS.  Publish, then check each with dig.\n",
	    c->hostname);
	problems = domain(c, c->hostname, o);
	if (c->alias_domain != NULL && strcasecmp(c->alias_domain,
	    c->hostname) != 0)
		problems += domain(c, c->alias_domain, o);
	buf_adds(o, "\n; ---- the host ----\n; PTR: each address the MTA "
	    "sends from has a PTR naming HOST, and HOST's A/AAAA\n; gives "
	    "that address back (forward-confirmed); HELO with that name "
	    "(myhostname).\n; TLS: outbound smtp_tls_security_level = may "
	    "(or MTA-STS/DANE), a certificate\n; for HOST inbound "
	    "(smtpd_tls_cert_file).  Optional: _smtp._tls TXT "
	    "\"v=TLSRPTv1; rua=...\"\n");
	if (c->wkd_dir != NULL)
		buf_addf(o, "\n; ---- Web Key Directory (wkd_dir %s) ----\n"
		    "; advanced method: a name with a TLS certificate, "
		    "serving wkd_dir:\nopenpgpkey.%s.\tIN A WEBSERVER\n"
		    "; or no record at all for openpgpkey.%s (never a "
		    "wildcard covering it: GnuPG\n; then uses the advanced "
		    "URL and does not fall back), and https://%s/\n; serves "
		    "wkd_dir's .well-known/openpgpkey/ (the direct method)\n",
		    c->wkd_dir, c->hostname, c->hostname, c->hostname);
	return problems;
}
