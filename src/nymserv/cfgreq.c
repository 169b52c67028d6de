/* cfgreq.c - parser for config@ plaintexts: Config:, From:, Nym-Commands:, keys, blocks. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "article.h"
#include "buf.h"
#include "cfgreq.h"
#include "names.h"
#include "util.h"

static const struct {
	const char *name;
	unsigned bit;
} switches[] = {
	{ "acksend", NF_ACKSEND }, { "cryptrecv", NF_CRYPTRECV },
	{ "signsend", NF_SIGNSEND }, { "fixedsize", NF_FIXEDSIZE },
	{ "fingerkey", NF_FINGERKEY }, { "nobcc", NF_NOBCC },
	{ "disable", NF_DISABLE }, { "autocrypt", NF_AUTOCRYPT },
};

const char *
cfgreq_flag_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++)
		if (switches[i].bit == bit)
			return switches[i].name;
	return "?";
}

static void __attribute__((format(printf, 2, 3)))
err(struct cfgreq *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nerrors++ >= 20)
		return;
	va_start(ap, fmt);
	buf_vaddf(&r->errors, fmt, ap);
	va_end(ap);
	buf_addc(&r->errors, '\n');
}

/* The line at p: its length without CR/LF, and where the next starts. */
static size_t
line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *le = nl ? nl : end;

	*next = nl ? nl + 1 : end;
	while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
		le--;
	return (size_t)(le - p);
}

/*
 * Does the line (n bytes) start with field name (case-insensitive, then
 * ':')?  Returns where the value starts, never past the line's end.
 */
static const char *
field(const char *p, size_t n, const char *name)
{
	const char *end = p + n;
	size_t k = strlen(name);

	if (n < k + 1 || strncasecmp(p, name, k) != 0 || p[k] != ':')
		return NULL;
	p += k + 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int
cfgreq_is_config(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *next;

	while (p < end) {
		size_t n = line_len(p, end, &next);

		if (n > 0)
			return n == 7 && strncasecmp(p, "Config:", 7) == 0;
		p = next;
	}
	return 0;
}

/* name="..." with \" and \\ escapes; printable ASCII, no <>@, */
static void
parse_fullname(struct cfgreq *r, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
		err(r, "name= needs a quoted value");
		return;
	}
	for (i = 1; i + 1 < n; i++) {
		char c = s[i];

		if (c == '\\') {
			if (i + 2 >= n || (s[i + 1] != '"' && s[i + 1] != '\\')) {
				err(r, "name=: only \\\" and \\\\ escapes");
				goto out;
			}
			c = s[++i];
		} else if (c == '"') {
			err(r, "name=: unescaped quote");
			goto out;
		}
		if (c < 32 || c > 126 || strchr("<>@,", c) != NULL) {
			err(r, "name=: characters must be printable and not <>@,");
			goto out;
		}
		buf_addc(&b, c);
	}
	if (b.len > CFG_MAX_FULLNAME) {
		err(r, "name=: longer than %d characters", CFG_MAX_FULLNAME);
		goto out;
	}
	free(r->fullname);
	r->fullname = buf_steal(&b);
out:
	buf_free(&b);
}

/* confirm=COOKIE / Confirm: COOKIE: the cookie of a pending change. */
static void
parse_confirm(struct cfgreq *r, const char *v, size_t n)
{
	size_t i;

	if (r->confirm != NULL) {
		err(r, "only one confirmation per request");
		return;
	}
	if (n != CFG_COOKIE_LEN) {
		err(r, "confirm: a cookie has 20 hexadecimal digits");
		return;
	}
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)v[i])) {
			err(r, "confirm: a cookie has 20 hexadecimal digits");
			return;
		}
	}
	r->confirm = util_lower(xstrndup(v, n));
}

/*
 * A pool delivery value, key="..." (\" and \\ escapes, printable ASCII,
 * at most CFG_MAX_POOLVALUE bytes; "" clears it) into *out.
 */
static void
parse_poolvalue(struct cfgreq *r, const char *key, const char *s, size_t n,
    char **out)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
		err(r, "%s= needs a quoted value", key);
		return;
	}
	for (i = 1; i + 1 < n; i++) {
		char c = s[i];

		if (c == '\\') {
			if (i + 2 >= n || (s[i + 1] != '"' && s[i + 1] != '\\')) {
				err(r, "%s=: only \\\" and \\\\ escapes", key);
				goto out;
			}
			c = s[++i];
		} else if (c == '"') {
			err(r, "%s=: unescaped quote", key);
			goto out;
		}
		if (c < 32 || c > 126) {
			err(r, "%s=: characters must be printable ASCII", key);
			goto out;
		}
		buf_addc(&b, c);
	}
	if (b.len > CFG_MAX_POOLVALUE) {
		err(r, "%s=: longer than %d characters", key, CFG_MAX_POOLVALUE);
		goto out;
	}
	/* A pool article with it would be refused at every delivery. */
	if (strcmp(key, "subject") == 0 && b.s != NULL &&
	    article_is_cmsg(b.s)) {
		err(r, "subject=: a subject starting with cmsg is a control "
		    "message");
		goto out;
	}
	if (*out != NULL)
		memset(*out, 0, strlen(*out));
	free(*out);
	*out = buf_steal(&b);	/* "" (not NULL) when cleared */
out:
	buf_wipe(&b);
}

/* delivery=blocks|pool|both */
static void
parse_delivery(struct cfgreq *r, const char *v, size_t n)
{
	if (n == 6 && strncasecmp(v, "blocks", 6) == 0)
		r->delivery = NYM_DELIVER_BLOCKS;
	else if (n == 4 && strncasecmp(v, "pool", 4) == 0)
		r->delivery = NYM_DELIVER_POOL;
	else if (n == 4 && strncasecmp(v, "both", 4) == 0)
		r->delivery = NYM_DELIVER_BOTH;
	else
		err(r, "delivery=: expected blocks, pool or both");
}

/* Tokens of a Nym-Commands line; quoted values may hold blanks. */
static void
parse_commands(struct cfgreq *r, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *t;
		size_t tl;
		int inq = 0;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		for (t = p; p < end; p++) {
			if (inq && *p == '\\' && p + 1 < end) {
				p++;
				continue;
			}
			if (*p == '"')
				inq = !inq;
			else if (!inq && (*p == ' ' || *p == '\t'))
				break;
		}
		tl = (size_t)(p - t);
		if (tl == 6 && strncasecmp(t, "create", 6) == 0)
			r->create = 1;
		else if (tl == 7 && strncasecmp(t, "create?", 7) == 0)
			r->create_maybe = 1;
		else if (tl == 6 && strncasecmp(t, "delete", 6) == 0)
			r->del = 1;
		else if (tl >= 5 && strncasecmp(t, "name=", 5) == 0)
			parse_fullname(r, t + 5, tl - 5);
		else if (tl >= 8 && strncasecmp(t, "confirm=", 8) == 0)
			parse_confirm(r, t + 8, tl - 8);
		else if (tl >= 9 && strncasecmp(t, "delivery=", 9) == 0)
			parse_delivery(r, t + 9, tl - 9);
		else if (tl >= 5 && strncasecmp(t, "hsub=", 5) == 0)
			parse_poolvalue(r, "hsub", t + 5, tl - 5, &r->hsub);
		else if (tl >= 10 && strncasecmp(t, "symmetric=", 10) == 0)
			parse_poolvalue(r, "symmetric", t + 10, tl - 10,
			    &r->symkey);
		else if (tl >= 8 && strncasecmp(t, "subject=", 8) == 0)
			parse_poolvalue(r, "subject", t + 8, tl - 8,
			    &r->subject);
		else if (tl > 1 && (t[0] == '+' || t[0] == '-')) {
			size_t i;

			for (i = 0; i < sizeof(switches) / sizeof(switches[0]);
			    i++) {
				if (strlen(switches[i].name) == tl - 1 &&
				    strncasecmp(t + 1, switches[i].name,
				    tl - 1) == 0)
					break;
			}
			if (i == sizeof(switches) / sizeof(switches[0])) {
				err(r, "unknown switch %.*s", (int)(tl > 40 ? 40 :
				    tl), t);
			} else if (t[0] == '+') {
				r->set |= switches[i].bit;
				r->clear &= ~switches[i].bit;
			} else {
				r->clear |= switches[i].bit;
				r->set &= ~switches[i].bit;
			}
		} else {
			err(r, "unknown command %.*s", (int)(tl > 40 ? 40 : tl),
			    t);
		}
	}
}

/* "Reply-Block:" parameters: nothing, or "a=0.5". */
static int
block_params(struct cfgreq *r, const char *v, struct nym_block *b)
{
	char *endp;

	b->set = 0;
	b->prob = 1.0;
	if (*v == '\0')
		return 0;
	if (v[0] < 'a' || v[0] > 'z' || v[1] != '=') {
		err(r, "Reply-Block: expected SET=PROBABILITY, e.g. a=0.5");
		return -1;
	}
	b->set = v[0];
	b->prob = strtod(v + 2, &endp);
	if (endp == v + 2 || *endp != '\0' || !(b->prob > 0 && b->prob <= 1)) {
		err(r, "Reply-Block: probability must be in (0, 1]");
		return -1;
	}
	return 0;
}

/* Append the block collected so far (within the cap on blocks). */
static void
finish_block(struct cfgreq *r, struct nym_block *cur, const struct buf *text)
{
	if (r->nblocks >= CFG_MAX_BLOCKS) {
		err(r, "more than %d reply blocks", CFG_MAX_BLOCKS);
		return;
	}
	r->blocks = xrealloc(r->blocks, (r->nblocks + 1) * sizeof(*r->blocks));
	cur->text = xstrndup(text->s ? text->s : "", text->len);
	r->blocks[r->nblocks++] = *cur;
}

int
cfgreq_parse(const char *text, size_t len, struct cfgreq *r)
{
	const char *p = text, *end = text + len, *next, *v;
	struct nym_block cur;
	struct buf btext = BUF_INIT;
	int in_block = 0, bad_block = 0;

	memset(r, 0, sizeof(*r));
	r->delivery = -1;
	if (!cfgreq_is_config(text, len))
		return -1;
	while (p < end) {		/* to the Config: line */
		size_t n = line_len(p, end, &next);

		p = next;
		if (n > 0)
			break;
	}
	memset(&cur, 0, sizeof(cur));
	while (p < end) {
		size_t n = line_len(p, end, &next);
		const char *line = p;

		p = next;
		if (n >= 12 && (v = field(line, n, "Reply-Block")) != NULL) {
			char param[64];
			size_t pl = n - (size_t)(v - line);

			if (in_block && !bad_block)
				finish_block(r, &cur, &btext);
			in_block = 1;
			bad_block = 0;
			buf_reset(&btext);
			snprintf(param, sizeof(param), "%.*s",
			    (int)(pl < 63 ? pl : 63), v);
			if (block_params(r, param, &cur) < 0)
				bad_block = 1;
			continue;
		}
		if (in_block) {
			/* A block runs to the next Reply-Block: or the end. */
			if (btext.len == 0 && n == 0)
				continue;	/* leading blank lines */
			if (btext.len + n + 1 > CFG_MAX_BLOCK) {
				if (!bad_block)
					err(r, "reply block over %d bytes",
					    CFG_MAX_BLOCK);
				bad_block = 1;
				continue;
			}
			buf_add(&btext, line, n);
			buf_addc(&btext, '\n');
			continue;
		}
		if (n == 0)
			continue;
		if ((v = field(line, n, "From")) != NULL) {
			size_t vl = n - (size_t)(v - line);
			const char *at = memchr(v, '@', vl);

			free(r->name);
			r->name = util_lower(xstrndup(v, at ? (size_t)(at - v) :
			    vl));
			if (!names_valid(r->name))
				err(r, "From: not a valid nym name (2-16 "
				    "letters, digits, _ or -)");
		} else if ((v = field(line, n, "Nym-Commands")) != NULL ||
		    (v = field(line, n, "Nym-Command")) != NULL) {
			parse_commands(r, v, n - (size_t)(v - line));
		} else if ((v = field(line, n, "Confirm")) != NULL) {
			parse_confirm(r, v, n - (size_t)(v - line));
		} else if ((v = field(line, n, "Public-Key")) != NULL) {
			/* The armored key follows, through its END line. */
			int done = 0;

			buf_reset(&r->key);
			while (p < end) {
				const char *kl = p;
				size_t kn = line_len(p, end, &next);

				if (r->key.len + kn + 1 > CFG_MAX_KEY)
					break;
				p = next;
				if (r->key.len == 0 && kn == 0)
					continue;
				buf_add(&r->key, kl, kn);
				buf_addc(&r->key, '\n');
				if (kn >= 34 && strncmp(kl,
				    "-----END PGP PUBLIC KEY BLOCK-----", 34) == 0) {
					done = 1;
					break;
				}
			}
			if (!done || strncmp(r->key.s ? r->key.s : "",
			    "-----BEGIN PGP PUBLIC KEY BLOCK-----", 36) != 0) {
				err(r, "Public-Key: expected one armored "
				    "public key block");
				buf_reset(&r->key);
			}
		} else {
			err(r, "unknown line: %.*s", (int)(n > 40 ? 40 : n),
			    line);
		}
	}
	if (in_block && !bad_block)
		finish_block(r, &cur, &btext);
	buf_free(&btext);
	{
		size_t i;

		for (i = 0; i < r->nblocks; i++)
			if (r->blocks[i].text[0] == '\0')
				err(r, "empty reply block");
	}
	if (r->name == NULL)
		err(r, "From: is missing");
	if (r->del + r->create + r->create_maybe > 1)
		err(r, "only one of create, create? and delete");
	return 0;
}

void
cfgreq_free(struct cfgreq *r)
{
	free(r->name);
	free(r->fullname);
	free(r->confirm);
	if (r->hsub != NULL)
		memset(r->hsub, 0, strlen(r->hsub));
	if (r->symkey != NULL)
		memset(r->symkey, 0, strlen(r->symkey));
	free(r->hsub);
	free(r->symkey);
	free(r->subject);
	buf_free(&r->key);
	nym_blocks_free(r->blocks, r->nblocks);
	buf_free(&r->errors);
	memset(r, 0, sizeof(*r));
}
