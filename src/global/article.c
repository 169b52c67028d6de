/* article.c - the news article builder: a header of our own, checked groups, no control. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "article.h"
#include "buf.h"
#include "die.h"
#include "msg.h"
#include "util.h"

#define MAX_GROUP_LEN 80	/* RFC 5536 3.1.4 */
#define MAX_GROUPS_SEEN 100	/* groups looked at in one field */
#define MAX_SUBJECT 900		/* bytes of Subject kept */

/* Fields whose mere presence makes a control message: never posted. */
static const char *const poison[] = {
	"Control", "Also-Control", "Supersedes", "Approved",
};

/* Fields copied from the mail (first occurrence each); all others go. */
static const char *const copied[] = {
	"References", "Followup-To", "Keywords", "Summary", "X-No-Archive",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-Disposition", "Content-Language",
};

void
article_init(struct article *a)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->text);
	buf_init(&a->groups);
}

void
article_free(struct article *a)
{
	buf_wipe(&a->text);
	buf_free(&a->groups);
	article_init(a);
}

static int __attribute__((format(printf, 4, 5)))
refuse(struct article *a, int code, const char *status, const char *fmt, ...)
{
	va_list ap;

	a->code = code;
	a->status = status;
	a->logwhy = NULL;
	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
	buf_wipe(&a->text);
	return -1;
}

static int
component_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
	    c == '-' || c == '_';
}

/* One group name, lowercase already: syntax and the reserved names. */
static const char *
group_bad(const char *g, size_t n)
{
	size_t i, start = 0, comps = 0;

	if (n == 0)
		return "empty newsgroup name";
	if (n > MAX_GROUP_LEN)
		return "newsgroup name longer than 80 characters";
	if (!(g[0] >= 'a' && g[0] <= 'z'))
		return "a newsgroup name starts with a letter";
	for (i = 0; i <= n; i++) {
		if (i < n && component_char((unsigned char)g[i]))
			continue;
		if (i < n && g[i] != '.')
			return "bad character in a newsgroup name";
		if (i == start)
			return "empty component in a newsgroup name";
		if ((i - start == 3 && memcmp(g + start, "all", 3) == 0) ||
		    (i - start == 3 && memcmp(g + start, "ctl", 3) == 0))
			return "reserved component (all, ctl) in a newsgroup "
			    "name";
		comps++;
		start = i + 1;
	}
	if (comps < 2)
		return "a newsgroup name has at least two components";
	if ((n >= 7 && memcmp(g, "control", 7) == 0 &&
	    (n == 7 || g[7] == '.')) || (n == 4 && memcmp(g, "junk", 4) == 0) ||
	    (n >= 3 && memcmp(g, "to.", 3) == 0))
		return "control, junk and to.* groups are not posted to";
	return NULL;
}

int
article_newsgroups(const char *v, size_t len, int followup, struct buf *norm,
    size_t *n, const char **why)
{
	const char *p = v, *end = v + len;
	struct buf g = BUF_INIT;
	size_t seen = 0;

	buf_reset(norm);
	*n = 0;
	*why = NULL;
	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c ? c : end, *s = p;
		size_t i;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (++seen > MAX_GROUPS_SEEN) {
			*why = "too many newsgroups";
			break;
		}
		buf_set(&g, s, (size_t)(e - s));
		for (i = 0; i < g.len; i++)
			g.s[i] = (char)tolower((unsigned char)g.s[i]);
		if (followup && g.len == 6 && memcmp(g.s, "poster", 6) == 0 &&
		    seen == 1 && c == NULL) {
			buf_sets(norm, "poster");
			*n = 1;
			break;
		}
		if ((*why = group_bad(g.s, g.len)) != NULL)
			break;
		/* Duplicates are dropped (they would only pad the count). */
		{
			const char *q = norm->s ? norm->s : "";
			int dup = 0;

			while (*q) {
				const char *k = strchr(q, ',');
				size_t l = k ? (size_t)(k - q) : strlen(q);

				if (l == g.len && memcmp(q, g.s, l) == 0)
					dup = 1;
				q += l + (k != NULL);
			}
			if (!dup) {
				if (norm->len > 0)
					buf_addc(norm, ',');
				buf_add(norm, g.s, g.len);
				(*n)++;
			}
		}
		if (c == NULL)
			break;
		p = c + 1;
	}
	buf_free(&g);
	if (*why == NULL && *n == 0)
		*why = "no newsgroup named";
	if (*why != NULL) {
		buf_reset(norm);
		*n = 0;
		return -1;
	}
	return 0;
}

int
article_group_allowed(char *const *pat, const char *group)
{
	int ok = 1;
	size_t i;

	if (pat == NULL || pat[0] == NULL)
		return 1;
	ok = 0;
	for (i = 0; pat[i] != NULL; i++) {
		const char *p = pat[i];
		int neg = p[0] == '!';

		if (fnmatch(p + neg, group, 0) == 0)
			ok = !neg;
	}
	return ok;
}

/* A copied value: one line, control characters made spaces, trimmed. */
static void
clean_value(const char *v, struct buf *out)
{
	const char *s = v, *e = v + strlen(v);
	size_t i;

	buf_reset(out);
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	buf_set(out, s, (size_t)(e - s));
	for (i = 0; i < out->len; i++) {
		unsigned char c = (unsigned char)out->s[i];

		if (c < 32 || c == 127)
			out->s[i] = ' ';
	}
	if (out->s == NULL)
		buf_reserve(out, 0);
}

/* Cut s to at most max bytes without splitting a UTF-8 sequence. */
static void
cut(struct buf *s, size_t max)
{
	size_t n = s->len;

	if (n <= max)
		return;
	n = max;
	while (n > 0 && ((unsigned char)s->s[n] & 0xc0) == 0x80)
		n--;
	s->len = n;
	s->s[n] = '\0';
}

/* References: keep the newest ids that fit one line. */
static void
trim_references(struct buf *v, size_t max)
{
	const char *p;

	while (v->len > max && (p = memchr(v->s, ' ', v->len)) != NULL) {
		size_t skip = (size_t)(p - v->s) + 1;

		memmove(v->s, v->s + skip, v->len - skip);
		v->len -= skip;
		v->s[v->len] = '\0';
	}
	if (v->len > max)
		buf_reset(v);
}

/* Does a Subject make an old-style control message (RFC 1036 "cmsg")? */
int
article_is_cmsg(const char *subj)
{
	while (*subj == ' ' || *subj == '\t')
		subj++;
	return strncasecmp(subj, "cmsg", 4) == 0 &&
	    (subj[4] == '\0' || isspace((unsigned char)subj[4]));
}

/* Is the mail a control message in any of the ways servers know? */
static const char *
control_field(const struct msg *m)
{
	const char *subj;
	size_t i;

	for (i = 0; i < sizeof(poison) / sizeof(poison[0]); i++)
		if (msg_field(m, poison[i]) != NULL)
			return poison[i];
	/* Old-style control: "Subject: cmsg newgroup ..." (RFC 1036). */
	for (i = 0; i < m->nh; i++) {
		if (!msg_name_is(&m->h[i], "Subject"))
			continue;
		subj = m->h[i].value;
		if (article_is_cmsg(subj))
			return "Subject: cmsg";
	}
	return NULL;
}

/* Is the n bytes at p our path identity (case folded)? */
static int
is_us(const struct article_rules *r, const char *p, size_t n)
{
	return r->path != NULL && n == strlen(r->path) &&
	    strncasecmp(p, r->path, n) == 0;
}

/*
 * Is the mail an article of ours coming back (a news-to-mail gateway or
 * a mailing list fed from a group we post to)?  Our path identity as an
 * element of its Path or as the first word of its Injection-Info: only
 * news software writes those.  (Not a Message-ID on our right-hand side:
 * our MTA gives one to local mail that has none.)
 */
static int
own_article(const struct article_rules *r, const struct msg *m)
{
	const char *v, *e, *p;

	if ((v = msg_get(m, "Path")) != NULL) {
		for (p = v;; p = e + 1) {
			e = p + strcspn(p, "! \t\r\n");
			if (is_us(r, p, (size_t)(e - p)))
				return 1;
			if (*e == '\0')
				break;
		}
	}
	if ((v = msg_get(m, "Injection-Info")) != NULL) {
		v += strspn(v, " \t\r\n");
		if (is_us(r, v, strcspn(v, "; \t\r\n")))
			return 1;
	}
	return 0;
}

/*
 * The groups of a value (Newsgroups or Followup-To, normalized) under the
 * operator's cap and list: NULL, or why not (naming the group in bad).
 */
static const char *
groups_refused(const struct article_rules *r, const char *g, size_t n,
    char *bad, size_t badlen)
{
	if (n > r->max_groups)
		return "cap";
	while (*g) {
		const char *k = strchr(g, ',');
		size_t l = k ? (size_t)(k - g) : strlen(g);

		snprintf(bad, badlen, "%.*s", (int)l, g);
		if (strcmp(bad, "poster") != 0 &&
		    !article_group_allowed(r->groups, bad))
			return "list";
		g += l + (k != NULL);
	}
	return NULL;
}

/*
 * The copied fields of m, checked, appended to out.  A nym's article
 * (send@) leaves out Content-Language, as its mail does (SECURITY.md
 * 3.5): the client's language setting says who is writing.
 */
static void
copy_fields(const struct msg *m, int nym, struct buf *out)
{
	struct buf v = BUF_INIT, g = BUF_INIT;
	size_t i, n;
	const char *why;

	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		const char *raw = msg_get(m, copied[i]);
		size_t room = ARTICLE_MAX_LINE - strlen(copied[i]) - 2;

		if (raw == NULL ||
		    (nym && strcmp(copied[i], "Content-Language") == 0))
			continue;
		clean_value(raw, &v);
		if (strcmp(copied[i], "Followup-To") == 0) {
			if (article_newsgroups(v.s, v.len, 1, &g, &n,
			    &why) < 0)
				continue;
			buf_set(&v, g.s, g.len);
		}
		if (strcmp(copied[i], "References") == 0)
			trim_references(&v, room);
		if (v.len == 0 || v.len > room)
			continue;
		buf_addf(out, "%s: %s\n", copied[i], v.s);
	}
	buf_free(&v);
	buf_free(&g);
}

/* The body: no NUL, no bare CR, no line over ARTICLE_MAX_LINE. */
static const char *
body_bad(const char *b, size_t len)
{
	const char *p = b, *end = b + len;

	if (memchr(b, '\0', len) != NULL)
		return "NUL byte in the body";
	if (memchr(b, '\r', len) != NULL)
		return "bare CR in the body";
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l > ARTICLE_MAX_LINE)
			return "a body line longer than 998 bytes";
		p += l + 1;
	}
	return NULL;
}

/* A From value we write: one printable line. */
static int
from_ok(const char *f)
{
	size_t i, n = f ? strlen(f) : 0;

	if (n == 0 || n > 300)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)f[i] < 32 || (unsigned char)f[i] == 127)
			return 0;
	return 1;
}

int
article_build(const struct article_rules *r, const struct article_in *in,
    struct article *a)
{
	struct buf subj = BUF_INIT, id = BUF_INIT;
	const char *from, *body = in->body, *why, *ng, *cf;
	size_t blen = in->bodylen, i;
	int rc = -1;

	buf_reset(&a->text);
	if (in->kind != ART_POOL) {
		const struct msg *m = in->m;

		if ((cf = control_field(m)) != NULL)
			return refuse(a, EX_NOPERM_, "5.7.1", "control messages "
			    "are not posted (%s)", cf);
		if (own_article(r, m))
			return refuse(a, EX_UNAVAIL_, "5.4.6", "an article of "
			    "this gateway came back by mail (a posting loop): "
			    "not posted again");
		if (msg_count(m, "Newsgroups") > 1)
			return refuse(a, EX_DATAERR_, "5.6.0", "more than one "
			    "Newsgroups field");
		if ((ng = msg_get(m, "Newsgroups")) == NULL)
			return refuse(a, EX_DATAERR_, "5.6.0", "no Newsgroups "
			    "field");
		if (body == NULL) {
			body = m->body;
			blen = m->bodylen;
		}
		clean_value(msg_get(m, "Subject") ? msg_get(m, "Subject") :
		    "", &subj);
	} else {
		ng = in->newsgroups;
		clean_value(in->subject ? in->subject : "", &subj);
	}
	if (article_newsgroups(ng, strlen(ng), 0, &a->groups, &a->ngroups,
	    &why) < 0) {
		rc = refuse(a, EX_DATAERR_, "5.6.0", "Newsgroups: %s", why);
		goto out;
	}
	if (in->kind != ART_POOL) {
		char one[MAX_GROUP_LEN + 1];
		struct buf fg = BUF_INIT, fv = BUF_INIT;
		size_t fn = 0;
		const char *fraw = msg_get(in->m, "Followup-To"), *w;

		w = groups_refused(r, a->groups.s, a->ngroups, one,
		    sizeof(one));
		if (w == NULL && fraw != NULL) {
			/* Followups are crossposts too: the same rules
			 * (a malformed value is dropped by copy_fields). */
			clean_value(fraw, &fv);
			if (article_newsgroups(fv.s, fv.len, 1, &fg, &fn,
			    &why) == 0 && (w = groups_refused(r, fg.s, fn, one,
			    sizeof(one))) != NULL)
				w = w[0] == 'c' ? "fcap" : "flist";
		}
		buf_free(&fg);
		buf_free(&fv);
		if (w != NULL && strcmp(w, "cap") == 0) {
			rc = refuse(a, EX_NOPERM_, "5.7.1", "crossposted to %zu "
			    "groups; the limit is %u", a->ngroups,
			    r->max_groups);
			goto out;
		}
		if (w != NULL && strcmp(w, "fcap") == 0) {
			rc = refuse(a, EX_NOPERM_, "5.7.1", "Followup-To names "
			    "%zu groups; the limit is %u", fn, r->max_groups);
			goto out;
		}
		if (w != NULL) {
			rc = refuse(a, EX_NOPERM_, "5.7.1", "this gateway does "
			    "not post to %s%s", one, w[0] == 'f' ?
			    " (Followup-To)" : "");
			/* The sender may read the group; the log may not. */
			a->logwhy = "this gateway does not post to a group "
			    "named";
			goto out;
		}
	}
	if (body == NULL)
		body = "";
	if ((why = body_bad(body, blen)) != NULL) {
		rc = refuse(a, EX_DATAERR_, "5.6.0", "%s", why);
		goto out;
	}
	from = in->kind == ART_NYM ? in->from : r->from;
	if (!from_ok(from)) {
		rc = refuse(a, EX_DATAERR_, "5.6.0", "unusable From");
		goto out;
	}
	cut(&subj, MAX_SUBJECT);
	if (subj.len == 0)
		buf_sets(&subj, "(no subject)");
	if (article_is_cmsg(subj.s)) {
		/* After clean_value: a pool subject, or control characters
		 * in front of the word. */
		rc = refuse(a, EX_NOPERM_, "5.7.1", "control messages are not "
		    "posted (Subject: cmsg)");
		goto out;
	}

	buf_addc(&id, '<');
	util_random_hex(&id, 12);
	buf_addf(&id, "@%s>", r->domain);
	snprintf(a->msgid, sizeof(a->msgid), "%s", id.s);

	buf_addf(&a->text, "Path: %s!not-for-mail\n", r->path);
	buf_addf(&a->text, "From: %s\n", from);
	buf_addf(&a->text, "Newsgroups: %s\n", a->groups.s);
	buf_addf(&a->text, "Subject: %s\n", subj.s);
	buf_addf(&a->text, "Message-ID: %s\n", a->msgid);
	buf_addf(&a->text, "Injection-Info: %s; mail-complaints-to=\"%s\"\n",
	    r->path, r->complaints);
	if (in->kind != ART_POOL)
		copy_fields(in->m, in->kind == ART_NYM, &a->text);
	if (in->kind == ART_NYM && r->mark != NULL)
		buf_addf(&a->text, "%s\n", r->mark);
	buf_addc(&a->text, '\n');
	buf_add(&a->text, body, blen);
	if (blen > 0 && body[blen - 1] != '\n')
		buf_addc(&a->text, '\n');
	/* Room for Date and Injection-Date, added when it is posted. */
	if (a->text.len + 2 * 48 > r->max_size) {
		i = a->text.len;
		rc = refuse(a, EX_DATAERR_, "5.3.4", "article of %zu bytes; "
		    "the limit is %zu", i, r->max_size);
		goto out;
	}
	rc = 0;
out:
	buf_free(&subj);
	buf_free(&id);
	return rc;
}

void
article_dated(const char *text, size_t len, time_t now, int post,
    struct buf *out)
{
	const char *p = text, *end = text + len;
	struct buf date = BUF_INIT;

	util_date(&date, now);
	buf_reset(out);
	buf_addf(out, "Date: %s\n", date.s);
	if (!post)
		buf_addf(out, "Injection-Date: %s\n", date.s);
	/* The header: drop any dates, and Injection-Info for POST. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (l == 1 && *p == '\n')
			break;
		if (!(l >= 5 && strncasecmp(p, "Date:", 5) == 0) &&
		    !(l >= 15 && strncasecmp(p, "Injection-Date:", 15) == 0) &&
		    !(post && l >= 15 &&
		    strncasecmp(p, "Injection-Info:", 15) == 0))
			buf_add(out, p, l);
		p += l;
	}
	buf_add(out, p, (size_t)(end - p));
	buf_free(&date);
}

const char *
article_field(const char *text, size_t len, const char *name, size_t *vlen)
{
	const char *p = text, *end = text + len;
	size_t n = strlen(name);

	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (v < p + l && *v == ' ')
				v++;
			*vlen = (size_t)(p + l - v);
			return v;
		}
		p += l + 1;
	}
	return NULL;
}
