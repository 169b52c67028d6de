/* sendmsg.c - send@'s outgoing message: recipients, header and body. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "autocrypt.h"
#include "block.h"
#include "buf.h"
#include "die.h"
#include "gpg.h"
#include "msg.h"
#include "nym.h"
#include "sendmsg.h"
#include "util.h"

/*
 * The only header fields send@ passes on (SECURITY.md 3.5): addresses,
 * Subject, threading and MIME structure.  Whatever else a mail client
 * writes (Date in its time zone, Message-ID with its host name,
 * Content-Language, Accept-Language, Thread-Index, X-MS-*, X-Mozilla-*,
 * identity and account keys, Importance, User-Agent, ...) tells about
 * the machine and the person, and fields nobody knows yet will too; Date
 * and Message-ID are made fresh.  strip_headers drops some of these too.
 */
static const char *const allowed[] = {
	"To", "Cc", "Reply-To", "Mail-Followup-To", "Mail-Reply-To",
	"Subject", "In-Reply-To", "References", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
	NULL
};

/* Is name in the list (with "Prefix-*" wildcards)? */
static int
in_list(char *const *list, const struct hdr *h)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++) {
		const char *w = list[i];
		size_t n = strlen(w);

		if (n > 0 && w[n - 1] == '*') {
			if (h->namelen >= n - 1 &&
			    strncasecmp(h->name, w, n - 1) == 0)
				return 1;
		} else if (msg_name_is(h, w)) {
			return 1;
		}
	}
	return 0;
}

/*
 * Add each deliverable address of a field to the recipient list, which
 * stops at the first distinct address past max_recipients (SECURITY.md
 * 3.6): no per-pair work beyond the cap, whatever the header holds.
 */
void
sendmsg_collect(struct snd *x, const char *field)
{
	size_t i = 0, k;
	const struct hdr *h;

	while (!x->over && (h = msg_next(&x->m, field, &i)) != NULL) {
		struct addrlist l;

		if (addr_parse_list(h->value, strlen(h->value), 1000, &l) < 0) {
			buf_addf(&x->problems, "%s: cannot parse the address "
			    "list\n", field);
			x->refused = 1;
			continue;
		}
		for (k = 0; k < l.n && !x->over; k++) {
			const char *a = l.a[k].addr;

			if (!addr_deliverable(a)) {
				if (++x->nbad <= BAD_LISTED)
					buf_addf(&x->problems, "%s: not a "
					    "deliverable address: %.80s\n",
					    field, a);
				x->refused = 1;
				continue;
			}
			if (addr_rcpts_add(&x->rl, a) == 1)
				x->over = 1;
		}
		addr_free_list(&l);
	}
}

/*
 * Drop recipients on the destination block list (DESIGN.md section 7):
 * the owner is told which, in the acknowledgement; the log only counts.
 */
void
sendmsg_drop_blocked(struct snd *x)
{
	int *blocked;
	size_t i, k = 0;
	int rc;

	if (x->rl.n == 0)
		return;
	blocked = xcalloc(x->rl.n, sizeof(*blocked));
	rc = block_check(x->r->st, (const char *const *)x->rl.a, x->rl.n,
	    blocked);
	if (rc < 0)
		die_temp("cannot read the block list");
	for (i = 0; i < x->rl.n; i++) {
		if (!blocked[i]) {
			x->rl.a[k++] = x->rl.a[i];
			continue;
		}
		buf_addf(&x->changes, "not sent to %.254s: that destination "
		    "asked not to receive nym mail\n", x->rl.a[i]);
		free(x->rl.a[i]);
	}
	x->rl.n = k;
	free(blocked);
	if (rc > 0)
		log_info("send: %d blocked recipient%s dropped", rc,
		    rc == 1 ? "" : "s");
}

/* The display name, quoted when it holds specials. */
static void
add_display(struct buf *b, const char *name)
{
	const char *p;
	int plain = 1;

	for (p = name; *p; p++)
		if (!(*p == ' ' || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *p)))
			plain = 0;
	if (plain) {
		buf_adds(b, name);
		return;
	}
	buf_addc(b, '"');
	for (p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

/* Is the body plain text that a clear signature will not break? */
static int
plain_text(const struct msg *m)
{
	const char *ct = msg_get(m, "Content-Type");
	const char *cte = msg_get(m, "Content-Transfer-Encoding");

	if (ct != NULL && strncasecmp(ct, "text/plain", 10) != 0)
		return 0;
	return cte == NULL || strcasecmp(cte, "7bit") == 0 ||
	    strcasecmp(cte, "8bit") == 0;
}

/* The nym's From value: Full Name <nym+ext@HOST>. */
void
sendmsg_from_value(const struct snd *x, struct buf *b)
{
	if (x->y.fullname != NULL && x->y.fullname[0] != '\0') {
		add_display(b, x->y.fullname);
		buf_adds(b, " <");
	}
	buf_adds(b, x->nym);
	if (x->ext != NULL)
		buf_addf(b, "+%s", x->ext);
	buf_addf(b, "@%s", x->r->conf->hostname);
	if (x->y.fullname != NULL && x->y.fullname[0] != '\0')
		buf_addc(b, '>');
}

/* Does one of the lines in b start with the n bytes of line? */
static int
listed(const struct buf *b, const char *line, size_t n)
{
	const char *p = b->s, *end = b->s + b->len;

	while (p != NULL && p < end) {
		if ((size_t)(end - p) >= n && strncasecmp(p, line, n) == 0)
			return 1;
		if ((p = memchr(p, '\n', (size_t)(end - p))) != NULL)
			p++;
	}
	return 0;
}

/* Note a field not passed on, once per name, for the acknowledgement. */
static void
note_dropped(struct snd *x, const struct hdr *h)
{
	struct buf line = BUF_INIT;

	buf_addf(&line, "removed %.*s:\n", (int)(h->namelen > 64 ? 64 :
	    h->namelen), h->name);
	if (!listed(&x->dropped, line.s, line.len) &&
	    ++x->ndropped <= DROPPED_LISTED)
		buf_add(&x->dropped, line.s, line.len);
	buf_free(&line);
}

/* Is the field on the allow-list and not named by strip_headers? */
static int
passed_on(const struct conf *c, const struct hdr *h)
{
	size_t k;

	for (k = 0; allowed[k] != NULL; k++)
		if (msg_name_is(h, allowed[k]))
			return !in_list(c->strip_headers, h);
	return 0;
}

/*
 * The header as sent: From rewritten, the allowed fields (controls in
 * them turned into spaces), a fresh Date in UTC and Message-ID, the mark.
 */
void
sendmsg_rewrite(struct snd *x)
{
	const struct conf *c = x->r->conf;
	size_t i;

	buf_adds(&x->out, "From: ");
	sendmsg_from_value(x, &x->out);
	buf_addc(&x->out, '\n');
	for (i = 0; i < x->m.nh; i++) {
		const struct hdr *h = &x->m.h[i];

		if (!passed_on(c, h)) {
			/* Consumed, not removed: From is rewritten, the
			 * commands obeyed, Newsgroups made an article. */
			if (!msg_name_is(h, "From") &&
			    !msg_name_is(h, "Nym-Commands") &&
			    !msg_name_is(h, "Newsgroups"))
				note_dropped(x, h);
			continue;
		}
		if (msg_put_field(&x->out, h->raw, h->rawlen) > 0)
			buf_addf(&x->changes, "control characters replaced by "
			    "spaces in %.*s:\n", (int)h->namelen, h->name);
	}
	buf_adds(&x->out, "Date: ");
	util_date(&x->out, x->r->now);
	buf_adds(&x->out, "\nMessage-ID: ");
	util_msgid(&x->out, c->hostname);
	buf_addc(&x->out, '\n');
	buf_addf(&x->out, "%s\n", c->mark_header);
}

/* The body, clear-signed with the sender certificate when +signsend. */
void
sendmsg_body(struct snd *x, struct buf *dst)
{
	struct buf text = BUF_INIT, signed_ = BUF_INIT;

	if (!(x->flags & NF_SIGNSEND)) {
		buf_add(dst, x->m.body, x->m.bodylen);
		return;
	}
	if (!plain_text(&x->m)) {
		buf_adds(&x->changes, "not signed: +signsend needs a plain "
		    "text message\n");
		buf_add(dst, x->m.body, x->m.bodylen);
		return;
	}
	buf_add(&text, x->m.body, x->m.bodylen);
	if (text.len > 0 && text.s[text.len - 1] != '\n')
		buf_addc(&text, '\n');
	buf_addf(&text, "\n-- \nSender certificate: this message was sent by "
	    "%s@%s on ", x->nym, x->r->conf->hostname);
	util_date(&text, x->r->now);
	buf_adds(&text, ".\nThe signature of the nym server only certifies "
	    "the sender and date.\n");
	if (gpg_clearsign(x->r->conf->gnupghome, x->keys.server.s, text.s,
	    text.len, &signed_) != GPG_OK)
		die_temp("cannot sign");
	buf_add(dst, signed_.s, signed_.len);
	buf_free(&text);
	buf_free(&signed_);
}

/*
 * +autocrypt: the server's own Autocrypt: header for the From address,
 * made from the stored nym key (never the client's: that one is dropped
 * with the fields the allow-list drops).  A key it cannot use is told.
 */
void
sendmsg_autocrypt(struct snd *x)
{
	struct buf from = BUF_INIT, uid = BUF_INIT;
	const char *why;

	if (!(x->flags & NF_AUTOCRYPT))
		return;
	buf_addf(&uid, "%s@%s", x->nym, x->r->conf->hostname);
	buf_addf(&from, "%s%s%s@%s", x->nym, x->ext ? "+" : "",
	    x->ext ? x->ext : "", x->r->conf->hostname);
	if (autocrypt_header(&x->out, from.s, uid.s, &x->y.key,
	    (long)x->r->now, &why) < 0)
		buf_addf(&x->changes, "no Autocrypt: header: %s\n", why);
	buf_free(&from);
	buf_free(&uid);
}

/* Per-message Nym-Commands: only +/-acksend and +/-signsend. */
void
sendmsg_commands(struct snd *x)
{
	size_t i = 0;
	const struct hdr *h;

	x->flags = x->y.flags;
	while ((h = msg_next(&x->m, "Nym-Commands", &i)) != NULL) {
		const char *p = h->value;

		while (*p) {
			const char *t;
			size_t n;

			while (*p == ' ' || *p == '\t')
				p++;
			for (t = p; *p && *p != ' ' && *p != '\t'; p++)
				;
			n = (size_t)(p - t);
			if (n == 0)
				break;
			if (n == 8 && strncasecmp(t, "+acksend", 8) == 0)
				x->flags |= NF_ACKSEND;
			else if (n == 8 && strncasecmp(t, "-acksend", 8) == 0)
				x->flags &= ~NF_ACKSEND;
			else if (n == 9 && strncasecmp(t, "+signsend", 9) == 0)
				x->flags |= NF_SIGNSEND;
			else if (n == 9 && strncasecmp(t, "-signsend", 9) == 0)
				x->flags &= ~NF_SIGNSEND;
			else
				buf_addf(&x->problems, "Nym-Commands: %.*s is "
				    "not a per-message command (ignored)\n",
				    (int)(n > 40 ? 40 : n), t);
		}
	}
}
