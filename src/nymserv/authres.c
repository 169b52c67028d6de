/*
 * authres.c - Authentication-Results (RFC 8601 section 2.2) from hostile
 * input: a bounded recursive-descent reader of the grammar, keeping only
 * what the alias service decides on.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "authres.h"

#define AUTHRES_MAX_LEN 8192
#define MAX_COMMENT_DEPTH 8

struct in {
	const char *p, *e;
	int bad;
};

/* CFWS: blanks, line folds, comments (nested, with quoted-pairs). */
static void
cfws(struct in *s)
{
	int depth;

	for (;;) {
		while (s->p < s->e && (*s->p == ' ' || *s->p == '\t' ||
		    *s->p == '\r' || *s->p == '\n'))
			s->p++;
		if (s->p >= s->e || *s->p != '(')
			return;
		depth = 0;
		while (s->p < s->e) {
			char c = *s->p++;

			if (c == '\\' && s->p < s->e)
				s->p++;
			else if (c == '(' && ++depth > MAX_COMMENT_DEPTH) {
				s->bad = 1;
				return;
			} else if (c == ')' && --depth == 0)
				break;
		}
		if (depth != 0) {
			s->bad = 1;	/* unclosed comment */
			return;
		}
	}
}

/* A token character (RFC 2045): no space, control or tspecial. */
static int
tokc(unsigned char c)
{
	return c > ' ' && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Copy a value (token or quoted-string) into out; extra: more allowed. */
static int
value(struct in *s, char *out, const char *extra)
{
	size_t n = 0;

	if (s->p < s->e && *s->p == '"') {
		s->p++;
		while (s->p < s->e && *s->p != '"') {
			if (*s->p == '\\' && s->p + 1 < s->e)
				s->p++;
			if ((unsigned char)*s->p < ' ' && *s->p != '\t')
				return -1;
			if (n >= AUTHRES_MAX_VALUE)
				return -1;
			out[n++] = *s->p++;
		}
		if (s->p >= s->e)
			return -1;
		s->p++;
	} else {
		while (s->p < s->e && (tokc((unsigned char)*s->p) ||
		    (extra != NULL && *s->p != '\0' &&
		    strchr(extra, *s->p) != NULL))) {
			if (n >= AUTHRES_MAX_VALUE)
				return -1;
			out[n++] = *s->p++;
		}
		if (n == 0)
			return -1;
	}
	out[n] = '\0';
	return 0;
}

/* Keyword: letters, digits, '-' (and '_' seen in the wild); lowercased. */
static int
keyword(struct in *s, char *out)
{
	size_t n = 0;

	while (s->p < s->e && (isalnum((unsigned char)*s->p) ||
	    *s->p == '-' || *s->p == '_')) {
		if (n >= AUTHRES_MAX_VALUE)
			return -1;
		out[n++] = (char)tolower((unsigned char)*s->p++);
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int
expect(struct in *s, char c)
{
	cfws(s);
	if (s->bad || s->p >= s->e || *s->p != c)
		return -1;
	s->p++;
	cfws(s);
	return s->bad ? -1 : 0;
}

static void
lower(char *v)
{
	for (; *v; v++)
		*v = (char)tolower((unsigned char)*v);
}

/* [CFWS] ptype "." property "=" pvalue, or "reason" "=" value. */
static int
propspec(struct in *s, struct authres_result *r)
{
	char ptype[AUTHRES_MAX_VALUE + 1], prop[AUTHRES_MAX_VALUE + 1];
	char v[AUTHRES_MAX_VALUE + 1], *t;
	unsigned bit;

	if (keyword(s, ptype) < 0)
		return -1;
	cfws(s);
	if (strcmp(ptype, "reason") == 0 && s->p < s->e && *s->p == '=') {
		if (expect(s, '=') < 0 || value(s, v, NULL) < 0)
			return -1;
		return 0;
	}
	if (expect(s, '.') < 0 || keyword(s, prop) < 0 || expect(s, '=') < 0)
		return -1;
	/*
	 * pvalue: a value, or [local-part] "@" domain-name; and, as
	 * OpenDKIM writes header.b (a piece of base64) unquoted, '/' and
	 * '=' too: the field is not refused for a value nothing reads.
	 */
	if (value(s, v, "@/=") < 0)
		return -1;
	if (strcmp(ptype, "smtp") == 0 && strcmp(prop, "mailfrom") == 0)
		t = r->smtp_mailfrom, bit = 1;
	else if (strcmp(ptype, "header") == 0 && strcmp(prop, "d") == 0)
		t = r->header_d, bit = 2;
	else if (strcmp(ptype, "header") == 0 && strcmp(prop, "i") == 0)
		t = r->header_i, bit = 4;
	else
		return 0;
	/* A property the decision reads, given twice in one result: which
	 * one is meant?  Refuse the field rather than guess. */
	if (r->seen & bit)
		return -1;
	r->seen |= bit;
	lower(v);
	strcpy(t, v);
	return 0;
}

/* ";" methodspec *(CFWS propspec) */
static int
resinfo(struct in *s, struct authres *ar)
{
	struct authres_result *r;
	char ver[AUTHRES_MAX_VALUE + 1];

	if (ar->n >= AUTHRES_MAX_RESULTS)
		return -1;
	r = &ar->r[ar->n];
	memset(r, 0, sizeof(*r));
	if (keyword(s, r->method) < 0)
		return -1;
	cfws(s);
	if (s->p < s->e && *s->p == '/') {
		if (expect(s, '/') < 0 || keyword(s, ver) < 0)
			return -1;
	}
	if (expect(s, '=') < 0 || keyword(s, r->result) < 0)
		return -1;
	for (;;) {
		cfws(s);
		if (s->bad)
			return -1;
		if (s->p >= s->e || *s->p == ';')
			break;
		if (propspec(s, r) < 0)
			return -1;
	}
	ar->n++;
	return 0;
}

int
authres_parse(const char *val, size_t len, struct authres *ar)
{
	struct in s = { val, val + len, 0 };
	char word[AUTHRES_MAX_VALUE + 1];

	memset(ar, 0, sizeof(*ar));
	if (len > AUTHRES_MAX_LEN || memchr(val, '\0', len) != NULL)
		return -1;
	cfws(&s);
	if (s.bad || value(&s, ar->authserv_id, NULL) < 0)
		goto bad;
	lower(ar->authserv_id);
	cfws(&s);
	/* An optional authres-version (digits). */
	if (s.p < s.e && isdigit((unsigned char)*s.p)) {
		while (s.p < s.e && isdigit((unsigned char)*s.p))
			s.p++;
		cfws(&s);
	}
	if (s.bad || s.p >= s.e)
		goto bad;	/* neither "; none" nor a result */
	while (s.p < s.e) {
		if (expect(&s, ';') < 0)
			goto bad;
		if (s.p >= s.e)
			break;		/* a trailing ';' is tolerated */
		if (ar->n == 0 && s.e - s.p >= 4 &&
		    strncasecmp(s.p, "none", 4) == 0) {
			const char *save = s.p;

			s.p += 4;
			cfws(&s);
			if (!s.bad && s.p >= s.e)
				return 0;	/* no-result */
			s.p = save;
			s.bad = 0;
		}
		if (keyword(&s, word) < 0)
			goto bad;
		s.p -= strlen(word);	/* resinfo reads it again */
		if (resinfo(&s, ar) < 0)
			goto bad;
	}
	return 0;
bad:
	memset(ar, 0, sizeof(*ar));
	return -1;
}

/* Is d equal to dom or a parent domain of it (label boundary)? */
static int
parent_or_same(const char *d, const char *dom)
{
	size_t dl = strlen(d), ml = strlen(dom);

	if (dl == 0 || ml == 0)
		return 0;
	if (strcasecmp(d, dom) == 0)
		return 1;
	/* One label at least: "com" is no parent anyone can sign for,
	 * but a bare top-level domain is refused all the same. */
	return ml > dl && dom[ml - dl - 1] == '.' &&
	    strcasecmp(dom + ml - dl, d) == 0 && strchr(d, '.') != NULL;
}

/* The domain part of "local@domain", "@domain" or "domain". */
static const char *
domain_of(const char *v)
{
	const char *at = strrchr(v, '@');

	return at != NULL ? at + 1 : v;
}

int
authres_authenticates(const struct authres *ar, const char *id,
    const char *env_domain, const char *from_domain)
{
	size_t i;

	if (strcasecmp(ar->authserv_id, id) != 0 || env_domain == NULL ||
	    env_domain[0] == '\0')
		return 0;
	for (i = 0; i < ar->n; i++) {
		const struct authres_result *r = &ar->r[i];

		if (strcmp(r->result, "pass") != 0)
			continue;
		if (strcmp(r->method, "spf") == 0 &&
		    r->smtp_mailfrom[0] != '\0' &&
		    strcasecmp(domain_of(r->smtp_mailfrom), env_domain) == 0)
			return 1;
		if (strcmp(r->method, "dkim") == 0 && from_domain != NULL &&
		    strcasecmp(from_domain, env_domain) == 0) {
			const char *d = r->header_d[0] != '\0' ? r->header_d :
			    r->header_i[0] != '\0' ? domain_of(r->header_i) : "";

			if (parent_or_same(d, from_domain))
				return 1;
		}
	}
	return 0;
}
