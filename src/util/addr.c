/* addr.c - RFC 5322 address lists: tokenize, then parse the token array. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"

enum tok { T_ATOM, T_QSTR, T_DLIT, T_SPECIAL, T_END };

struct token {
	enum tok t;
	char special;
	char *text;		/* atom, unquoted string, or [literal] */
};

struct toks {
	struct token *v;
	size_t n, cap;
};

/* atext plus '.', so dot-atoms and obsolete dotted words are one token. */
static int
is_atext(unsigned char c)
{
	if (isalnum(c) || c >= 0x80)
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static void
tok_push(struct toks *ts, enum tok t, char special, struct buf *text)
{
	struct token *k;

	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 16;
		ts->v = xrealloc(ts->v, ts->cap * sizeof(*ts->v));
	}
	k = &ts->v[ts->n++];
	k->t = t;
	k->special = special;
	k->text = text ? buf_steal(text) : NULL;
}

static void
tok_free(struct toks *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		free(ts->v[i].text);
	free(ts->v);
}

/* Split into tokens; comments and folding white space are dropped. */
static int
tokenize(const char *p, const char *end, struct toks *ts)
{
	struct buf b = BUF_INIT;

	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			p++;
		} else if (c == '(') {
			int depth = 0;

			while (p < end) {
				char d = *p++;

				if (d == '\\' && p < end)
					p++;
				else if (d == '(')
					depth++;
				else if (d == ')' && --depth == 0)
					break;
			}
			if (depth != 0)
				goto bad;
		} else if (c == '"') {
			p++;
			buf_reset(&b);
			buf_reserve(&b, 0);
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				if (*p != '\r' && *p != '\n')
					buf_addc(&b, *p);
				p++;
			}
			if (p >= end)
				goto bad;
			p++;
			tok_push(ts, T_QSTR, 0, &b);
		} else if (c == '[') {
			buf_reset(&b);
			buf_addc(&b, *p++);
			while (p < end && *p != ']') {
				if (*p == '[' || *p == '\\')
					goto bad;
				buf_addc(&b, *p++);
			}
			if (p >= end)
				goto bad;
			buf_addc(&b, *p++);
			tok_push(ts, T_DLIT, 0, &b);
		} else if (is_atext(c)) {
			buf_reset(&b);
			while (p < end && is_atext((unsigned char)*p))
				buf_addc(&b, *p++);
			tok_push(ts, T_ATOM, 0, &b);
		} else if (c < 32 || c == 127) {
			goto bad;
		} else {
			tok_push(ts, T_SPECIAL, (char)c, NULL);
			p++;
		}
	}
	tok_push(ts, T_END, 0, NULL);
	buf_free(&b);
	return 0;
bad:
	buf_free(&b);
	return -1;
}

static int
is_dot_atom(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '.' || s[n - 1] == '.' || strstr(s, "..") != NULL)
		return 0;
	for (; *s; s++)
		if (!is_atext((unsigned char)*s))
			return 0;
	return 1;
}

struct parser {
	struct toks ts;
	size_t i;
	struct addrlist *l;
	size_t cap, max;
};

static const struct token *
cur(const struct parser *p)
{
	return &p->ts.v[p->i];
}

static int
is_sp(const struct token *k, char c)
{
	return k->t == T_SPECIAL && k->special == c;
}

static int
is_word(const struct token *k)
{
	return k->t == T_ATOM || k->t == T_QSTR;
}

static int
push(struct parser *p, const char *display, const char *local,
    const char *domain, const char *group)
{
	struct addr *a;
	struct buf b = BUF_INIT;
	const char *s;

	if (p->l->n >= p->max)
		return -1;
	if (p->l->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->l->a = xrealloc(p->l->a, p->cap * sizeof(*p->l->a));
	}
	a = &p->l->a[p->l->n++];
	a->display = display && *display ? xstrdup(display) : NULL;
	a->local = xstrdup(local);
	a->domain = domain ? xstrdup(domain) : NULL;
	a->group = group ? xstrdup(group) : NULL;
	if (is_dot_atom(local)) {
		buf_adds(&b, local);
	} else {
		buf_addc(&b, '"');
		for (s = local; *s; s++) {
			if (*s == '"' || *s == '\\')
				buf_addc(&b, '\\');
			buf_addc(&b, *s);
		}
		buf_addc(&b, '"');
	}
	if (domain != NULL) {
		buf_addc(&b, '@');
		buf_adds(&b, domain);
	}
	a->addr = buf_steal(&b);
	return 0;
}

/* local-part '@' domain, or a bare local part; words i..j-1 are the local. */
static int
addr_spec(struct parser *p, struct buf *local, struct buf *domain)
{
	if (!is_word(cur(p)))
		return -1;
	buf_adds(local, cur(p)->text);
	p->i++;
	/* Further words only where a dot joins them (obs-local-part). */
	while (is_word(cur(p))) {
		const char *t = cur(p)->text;

		if ((local->len == 0 || local->s[local->len - 1] != '.') &&
		    t[0] != '.')
			return -1;
		buf_adds(local, t);
		p->i++;
	}
	if (is_sp(cur(p), '@')) {
		p->i++;
		if (cur(p)->t == T_DLIT ||
		    (cur(p)->t == T_ATOM && is_dot_atom(cur(p)->text)))
			buf_adds(domain, cur(p)->text);
		else
			return -1;
		p->i++;
	}
	return 0;
}

static int parse_group(struct parser *, const char *name);

/* One mailbox (or a group when allowed); group names the enclosing group. */
static int
parse_address(struct parser *p, const char *group)
{
	struct buf phrase = BUF_INIT, local = BUF_INIT, domain = BUF_INIT;
	size_t j = p->i;
	int rc = -1;

	while (is_word(&p->ts.v[j]))
		j++;
	if (is_sp(&p->ts.v[j], '<')) {
		for (; p->i < j; p->i++) {
			if (phrase.len > 0)
				buf_addc(&phrase, ' ');
			buf_adds(&phrase, cur(p)->text);
		}
		p->i++;			/* '<' */
		if (is_sp(cur(p), '>')) {	/* <>: the null address */
			p->i++;
			rc = 0;
			goto out;
		}
		if (is_sp(cur(p), '@')) {	/* obsolete route: skip */
			while (cur(p)->t != T_END && !is_sp(cur(p), ':'))
				p->i++;
			if (cur(p)->t == T_END)
				goto out;
			p->i++;
		}
		if (addr_spec(p, &local, &domain) < 0 || !is_sp(cur(p), '>'))
			goto out;
		p->i++;
		rc = push(p, phrase.s, local.s, domain.len ? domain.s : NULL,
		    group);
		goto out;
	}
	if (is_sp(&p->ts.v[j], ':') && j > p->i && group == NULL) {
		for (; p->i < j; p->i++) {
			if (phrase.len > 0)
				buf_addc(&phrase, ' ');
			buf_adds(&phrase, cur(p)->text);
		}
		p->i++;			/* ':' */
		rc = parse_group(p, phrase.s);
		goto out;
	}
	if (addr_spec(p, &local, &domain) < 0)
		goto out;
	rc = push(p, NULL, local.s, domain.len ? domain.s : NULL, group);
out:
	buf_free(&phrase);
	buf_free(&local);
	buf_free(&domain);
	return rc;
}

/* group-list after the ':' up to ';' (tolerated missing at the end). */
static int
parse_group(struct parser *p, const char *name)
{
	for (;;) {
		if (is_sp(cur(p), ';')) {
			p->i++;
			return 0;
		}
		if (cur(p)->t == T_END)
			return 0;
		if (is_sp(cur(p), ',')) {
			p->i++;
			continue;
		}
		if (parse_address(p, name) < 0)
			return -1;
		if (!is_sp(cur(p), ',') && !is_sp(cur(p), ';') &&
		    cur(p)->t != T_END)
			return -1;
	}
}

int
addr_parse_list(const char *s, size_t len, size_t max, struct addrlist *l)
{
	struct parser p;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	l->a = NULL;
	l->n = 0;
	p.l = l;
	p.max = max;
	if (len > ADDR_MAX_INPUT || tokenize(s, s + len, &p.ts) < 0) {
		tok_free(&p.ts);
		return -1;
	}
	while (cur(&p)->t != T_END) {
		if (is_sp(cur(&p), ',')) {
			p.i++;
			continue;
		}
		if (parse_address(&p, NULL) < 0 ||
		    (!is_sp(cur(&p), ',') && cur(&p)->t != T_END)) {
			rc = -1;
			break;
		}
	}
	tok_free(&p.ts);
	if (rc < 0)
		addr_free_list(l);
	return rc;
}

void
addr_free_list(struct addrlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->a[i].display);
		free(l->a[i].local);
		free(l->a[i].domain);
		free(l->a[i].addr);
		free(l->a[i].group);
	}
	free(l->a);
	l->a = NULL;
	l->n = 0;
}

int
addr_deliverable(const char *a)
{
	const char *at = strrchr(a, '@'), *d, *s;
	size_t n = strlen(a);

	if (n == 0 || n > 254 || a[0] == '-' || at == NULL || at == a)
		return 0;
	for (s = a; *s; s++)
		if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 ||
		    *s == '<' || *s == '>' || *s == '(' || *s == ')' ||
		    *s == ',' || *s == ';' || (*s == '\\' && s < at))
			return 0;
	d = at + 1;
	if (*d == '\0' || *d == '.' || *d == '-' || strstr(d, "..") != NULL)
		return 0;
	for (s = d; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
			return 0;
	return d[strlen(d) - 1] != '.';
}

int
addr_equal(const char *a, const char *b)
{
	const char *ea = strrchr(a, '@'), *eb = strrchr(b, '@');
	size_t la = ea ? (size_t)(ea - a) : strlen(a);
	size_t lb = eb ? (size_t)(eb - b) : strlen(b);

	if (la != lb || memcmp(a, b, la) != 0)
		return 0;
	if ((ea == NULL) != (eb == NULL))
		return 0;
	return ea == NULL || strcasecmp(ea, eb) == 0;
}

int
addr_in_domain(const char *addr, const char *host)
{
	const char *at = strrchr(addr, '@');
	size_t hl = strlen(host), al;

	if (at == NULL)
		return 0;
	at++;
	al = strlen(at);
	if (strcasecmp(at, host) == 0)
		return 1;
	/* A subdomain of ours is ours too. */
	return al > hl && at[al - hl - 1] == '.' &&
	    strcasecmp(at + al - hl, host) == 0;
}

void
addr_rcpts_init(struct rcpts *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

int
addr_rcpts_add(struct rcpts *r, const char *addr)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		r->compared++;
		if (addr_equal(r->a[i], addr))
			return 0;
	}
	if (r->n >= r->max)
		return 1;
	if (r->a == NULL)
		r->a = xcalloc(r->max + 1, sizeof(*r->a));
	r->a[r->n++] = xstrdup(addr);
	return 0;
}

void
addr_rcpts_free(struct rcpts *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->a[i]);
	free(r->a);
	memset(r, 0, sizeof(*r));
}
