/* respond.c - help@ and list@/used@ answers that cannot be turned into bombs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "die.h"
#include "outbound.h"
#include "respond.h"
#include "stamp.h"
#include "store.h"
#include "util.h"

#define HELP_MAX (256 * 1024)
#define LIST_NAMES 250		/* names of each kind list@ sends */
#define ANSWER_WINDOW 3600	/* answer_limit counts per hour */

/* First token of a header value, for Auto-Submitted and Precedence. */
static int
is_daemon_local(const char *local)
{
	return strcasecmp(local, "mailer-daemon") == 0 ||
	    strcasecmp(local, "postmaster") == 0;
}

/* Local part of an envelope address ("a@b" -> "a"), in buf. */
static void
local_of(struct buf *b, const char *a)
{
	const char *at = strrchr(a, '@');

	buf_set(b, a, at ? (size_t)(at - a) : strlen(a));
}

/* The first deliverable address of a header field, or -1. */
static int
header_addr(const struct req *r, const char *field, struct buf *out)
{
	const char *v = msg_get(&r->msg, field);
	struct addrlist l;
	int rc = -1;

	if (v == NULL || addr_parse_list(v, strlen(v), 16, &l) < 0)
		return -1;
	if (l.n > 0 && l.a[0].domain != NULL) {
		buf_sets(out, l.a[0].addr);
		rc = 0;
	}
	addr_free_list(&l);
	return rc;
}

const char *
respond_auto_header(const struct msg *m, const char *loop_id)
{
	const struct hdr *h;
	const char *v;
	size_t i = 0;

	while ((h = msg_next(m, "X-Loop", &i)) != NULL)
		if (strcasecmp(h->value, loop_id) == 0)
			return "our own X-Loop";
	if ((v = msg_get(m, "Auto-Submitted")) != NULL &&
	    !util_first_word(v, "no", ";("))
		return "Auto-Submitted";
	if ((v = msg_get(m, "Precedence")) != NULL &&
	    (util_first_word(v, "bulk", ";(") ||
	    util_first_word(v, "list", ";(") ||
	    util_first_word(v, "junk", ";(")))
		return "Precedence";
	return NULL;
}

int
respond_allowed(const struct req *r, struct buf *to, const char **why)
{
	struct buf tmp = BUF_INIT;
	int ok = 0;

	if (r->sender[0] == '\0' || strcmp(r->sender, "<>") == 0) {
		*why = "null sender";
		goto out;
	}
	local_of(&tmp, r->sender);
	if (is_daemon_local(tmp.s)) {
		*why = "sender is a mailer daemon";
		goto out;
	}
	if ((*why = respond_auto_header(&r->msg, r->conf->loop_id)) != NULL)
		goto out;
	if (msg_get(&r->msg, "List-Id") != NULL ||
	    msg_get(&r->msg, "List-Post") != NULL) {
		*why = "list mail";
		goto out;
	}
	/* Reply-To, else From, else the envelope sender. */
	if (header_addr(r, "Reply-To", to) < 0 &&
	    header_addr(r, "From", to) < 0)
		buf_sets(to, r->sender);
	if (!addr_deliverable(to->s)) {
		*why = "no usable reply address";
		goto out;
	}
	local_of(&tmp, to->s);
	if (is_daemon_local(tmp.s)) {
		*why = "reply address is a mailer daemon";
		goto out;
	}
	if (addr_in_domain(to->s, r->conf->hostname)) {
		*why = "reply address is ours";
		goto out;
	}
	ok = 1;
out:
	buf_free(&tmp);
	return ok;
}

/* Keep only printable ASCII of a header value (no folding, no CR/LF). */
static void
add_clean(struct buf *b, const char *v, size_t max)
{
	size_t n = 0;

	for (; *v && n < max; v++, n++)
		buf_addc(b, (*v >= 32 && *v < 127) || *v < 0 ? *v : ' ');
}

void
respond_compose(const struct req *r, const char *from_local, const char *to,
    const char *subject, const struct buf *body, struct buf *out)
{
	const char *msgid = msg_get(&r->msg, "Message-ID");
	const char *refs = msg_get(&r->msg, "References");

	buf_reset(out);
	buf_addf(out, "From: %s@%s\n", from_local, r->conf->hostname);
	buf_addf(out, "To: <%s>\n", to);
	buf_adds(out, "Subject: ");
	add_clean(out, subject, 200);
	buf_adds(out, "\nDate: ");
	util_date(out, r->now);
	buf_adds(out, "\nMessage-ID: ");
	util_msgid(out, r->conf->hostname);
	buf_addc(out, '\n');
	if (msgid != NULL && msgid[0] == '<' && strlen(msgid) < 998) {
		buf_adds(out, "In-Reply-To: ");
		add_clean(out, msgid, 998);
		buf_adds(out, "\nReferences: ");
		if (refs != NULL && strlen(refs) < 2000) {
			add_clean(out, refs, 2000);
			buf_addc(out, ' ');
		}
		add_clean(out, msgid, 998);
		buf_addc(out, '\n');
	}
	buf_addf(out, "X-Loop: %s\n", r->conf->loop_id);
	buf_adds(out, "Auto-Submitted: auto-replied\n");
	buf_adds(out, "Precedence: bulk\n");
	buf_adds(out, "MIME-Version: 1.0\n");
	buf_adds(out, "Content-Type: text/plain; charset=utf-8\n");
	buf_adds(out, "Content-Transfer-Encoding: 8bit\n\n");
	buf_add(out, body->s, body->len);
}

int
respond_throttled(const struct req *r, int purpose, const char *to)
{
	int rc = stamp_take(r->st, purpose, to, r->now, ANSWER_WINDOW,
	    r->conf->answer_limit);

	if (rc < 0)
		die_temp("cannot update the state");
	return rc == 1;
}

/*
 * Send an answer with the null envelope sender, or give the answer back
 * to the address's count (the MTA's retry is answered) and exit 75.
 */
static void
send_answer(const struct req *r, int purpose, const char *to,
    const struct buf *m)
{
	const char *rcpt[1] = { to };

	if (sendmail_send(r->conf->sendmail, "", rcpt, 1, m->s, m->len) < 0) {
		if (stamp_drop(r->st, purpose, to) < 0)
			log_err("cannot give an answer back to its count");
		die_temp("cannot hand the answer to sendmail");
	}
}

/* Replace every "${hostname}" in the help text. */
static void
expand_help(struct buf *out, const struct buf *text, const char *host)
{
	static const char var[] = "${hostname}";
	const char *p = text->s, *end = text->s + text->len, *q;

	while (p < end && (q = strstr(p, var)) != NULL) {
		buf_add(out, p, (size_t)(q - p));
		buf_adds(out, host);
		p = q + sizeof(var) - 1;
	}
	buf_add(out, p, (size_t)(end - p));
}

static const char *
subject_re(const struct req *r, const char *dflt, struct buf *tmp)
{
	const char *s = msg_get(&r->msg, "Subject");

	if (s == NULL || *s == '\0')
		return dflt;
	buf_sets(tmp, strncasecmp(s, "Re:", 3) == 0 ? "" : "Re: ");
	buf_adds(tmp, s);
	return tmp->s;
}

void
respond_help(struct req *r)
{
	struct buf to = BUF_INIT, text = BUF_INIT, body = BUF_INIT,
	    out = BUF_INIT, subj = BUF_INIT;
	const char *why;

	if (!respond_allowed(r, &to, &why)) {
		log_info("help: not answered: %s", why);
		goto done;
	}
	if (respond_throttled(r, STAMP_HELP, to.s)) {
		log_info("help: not answered: that address had its answers "
		    "this hour");
		goto done;
	}
	if (util_read_file(r->conf->helpfile, HELP_MAX, &text) < 0)
		die_temp("cannot read help file %s: %s", r->conf->helpfile,
		    strerror(errno));
	expand_help(&body, &text, r->conf->hostname);
	if (body.len > 0 && body.s[body.len - 1] != '\n')
		buf_addc(&body, '\n');
	buf_adds(&body, "\n--- The header of the request this answers "
	    "(if you did not send it, someone forged your address) ---\n");
	if (r->msg.fromline != NULL)
		util_quote_capped(&body, r->msg.fromline, r->msg.fromlinelen,
		    "> ", RESPOND_QUOTE_MAX);
	util_quote_capped(&body, r->msg.header, r->msg.headerlen, "> ",
	    RESPOND_QUOTE_MAX);
	respond_compose(r, "help", to.s, subject_re(r, "nym server help", &subj),
	    &body, &out);
	send_answer(r, STAMP_HELP, to.s, &out);
	log_info("help: answered");
done:
	buf_free(&to);
	buf_free(&text);
	buf_free(&body);
	buf_free(&out);
	buf_free(&subj);
}

struct list_arg {
	struct buf nyms, aliases;
	size_t nn, na;		/* listed */
	size_t tn, ta;		/* in the state */
};

/* The first LIST_NAMES names of each kind, and how many there are. */
static int
list_fn(struct stxn *t, void *arg)
{
	struct list_arg *la = arg;
	int rc;

	buf_reset(&la->nyms);
	buf_reset(&la->aliases);
	la->nn = la->na = 0;
	if ((rc = txn_count(t, DB_NYMS, &la->tn)) < 0 ||
	    (rc = txn_count(t, DB_ALIASES, &la->ta)) < 0 ||
	    (rc = txn_keys(t, DB_NYMS, "", LIST_NAMES, &la->nyms,
	    &la->nn)) < 0)
		return rc;
	return txn_keys(t, DB_ALIASES, "", LIST_NAMES, &la->aliases,
	    &la->na);
}

/* "(N more not listed)" when a kind had more names than the answer. */
static void
more(struct buf *b, size_t listed, size_t total)
{
	if (total > listed)
		buf_addf(b, "(%zu more not listed: the answer is kept "
		    "short)\n", total - listed);
}

void
respond_list(struct req *r)
{
	struct buf to = BUF_INIT, body = BUF_INIT, out = BUF_INIT;
	struct list_arg la = { BUF_INIT, BUF_INIT, 0, 0, 0, 0 };
	const char *why;

	if (!r->conf->list_enabled)
		die_perm(EX_NOUSER_, "5.1.1", "no such user");
	if (!respond_allowed(r, &to, &why)) {
		log_info("list: not answered: %s", why);
		goto done;
	}
	if (respond_throttled(r, STAMP_LIST, to.s)) {
		log_info("list: not answered: that address had its answers "
		    "this hour");
		goto done;
	}
	if (store_read(r->st, list_fn, &la) < 0)
		die_temp("cannot read the state");
	buf_addf(&body, "Names in use at %s (%zu nyms, %zu aliases).\n"
	    "They cannot be taken by anyone else.\n\nNyms:\n",
	    r->conf->hostname, la.tn, la.ta);
	buf_add(&body, la.nyms.s, la.nyms.len);
	more(&body, la.nn, la.tn);
	buf_adds(&body, "\nAliases:\n");
	buf_add(&body, la.aliases.s, la.aliases.len);
	more(&body, la.na, la.ta);
	respond_compose(r, r->local, to.s, "Names in use", &body, &out);
	send_answer(r, STAMP_LIST, to.s, &out);
	log_info("list: answered");
done:
	buf_free(&to);
	buf_free(&body);
	buf_free(&out);
	buf_free(&la.nyms);
	buf_free(&la.aliases);
}
