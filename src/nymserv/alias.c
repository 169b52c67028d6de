/* alias.c - the alias service's mail: notices, the remailing rewrite, delivery. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "alias.h"
#include "authres.h"
#include "buf.h"
#include "die.h"
#include "names.h"
#include "outbound.h"
#include "pubwrite.h"
#include "respond.h"
#include "util.h"
#include "wipe.h"

/* ---- mail to the real address ---- */

/* An automatic message from LOCAL@hostname with the null sender. */
static int
send_auto(const struct req *r, const char *from_local, const char *to,
    const char *subject, const struct buf *body, const char *replyto)
{
	struct buf out = BUF_INIT, m = BUF_INIT;
	const char *rcpt[1] = { to };
	int rc;

	respond_compose(r, from_local, to, subject, body, &out);
	if (replyto != NULL)
		buf_addf(&m, "Reply-To: <%s>\n", replyto);
	buf_add(&m, out.s, out.len);
	rc = sendmail_send(r->conf->sendmail, "", rcpt, 1, m.s, m.len);
	buf_free(&out);
	buf_free(&m);
	return rc < 0 ? -1 : 0;
}

static const char *
op_word(int op)
{
	return op == ALIAS_REGISTER ? "register" : "remove";
}

int
alias_mail_outcome(const struct req *r, const struct alias_req *a,
    const char *quote, size_t quotelen)
{
	const struct conf *c = r->conf;
	struct buf body = BUF_INIT, subj = BUF_INIT, rt = BUF_INIT;
	const char *dom = alias_domain(c);
	int rc;

	switch (a->outcome) {
	case ALIAS_CONFIRM_SENT:
		if (a->op == ALIAS_REGISTER)
			buf_addf(&subj, "Confirm: register the alias %s@%s",
			    a->alias, dom);
		else
			buf_addf(&subj, "Confirm: remove the alias %s@%s",
			    a->current.s, dom);
		buf_addf(&body, "Someone, probably you, asked the alias service "
		    "at %s to %s\nthe alias %s@%s for this address.\n\n"
		    "Nothing changes until you confirm, within 48 hours%s",
		    c->hostname, op_word(a->op),
		    a->op == ALIAS_REGISTER ? a->alias : a->current.s, dom,
		    c->alias_web_url != NULL ? ", in one of two ways:\n\n" :
		    ":\n\n");
		/* Without the form's URL there is one way: say one. */
		if (c->alias_web_url != NULL)
			buf_addf(&body, "  - open this link and press "
			    "Confirm:\n    %s?t=%s\n\n", c->alias_web_url,
			    a->token);
		buf_addf(&rt, "%s+%s@%s", op_word(a->op), a->token,
		    c->hostname);
		buf_addf(&body, "  %s reply to this message (the reply goes "
		    "to %s).\n\nThe token works once.  If you did not ask for "
		    "this, ignore this message.\n",
		    c->alias_web_url != NULL ? "-" : " ", rt.s);
		break;
	case ALIAS_TAKEN:
		buf_addf(&subj, "Alias %s@%s is not available", a->alias, dom);
		buf_addf(&body, "The alias %s@%s cannot be registered: the name "
		    "is taken.\nPlease choose another name.\n", a->alias, dom);
		break;
	case ALIAS_HAS_ONE:
		buf_sets(&subj, "Your address already has an alias");
		buf_addf(&body, "This address already has the alias %s@%s.\n"
		    "An address has one alias; remove it first to register "
		    "another.\n", a->current.s, dom);
		break;
	case ALIAS_NONE:
		buf_sets(&subj, "No alias to remove");
		buf_addf(&body, "No such alias is registered for this "
		    "address, so nothing was removed.\n");
		break;
	default:
		return 0;	/* throttled or busy: no mail */
	}
	if (quote != NULL) {
		buf_adds(&body, "\n--- The header of the request this answers "
		    "(if you did not send it, someone forged your address) "
		    "---\n");
		util_quote_capped(&body, quote, quotelen, "> ",
		    RESPOND_QUOTE_MAX);
	}
	rc = send_auto(r, op_word(a->op), a->addr, subj.s, &body,
	    rt.len > 0 ? rt.s : NULL);
	buf_free(&body);
	buf_free(&subj);
	buf_free(&rt);
	return rc;
}

int
alias_mail_done(const struct req *r, const struct alias_confirm *cf)
{
	struct buf body = BUF_INIT, subj = BUF_INIT;
	const char *dom = alias_domain(r->conf);
	int rc;

	if (cf->outcome == ALIAS_DONE && cf->op == ALIAS_REGISTER) {
		buf_addf(&subj, "Alias %s@%s registered", cf->alias.s, dom);
		buf_addf(&body, "Your alias is %s@%s.  Mail you send to any "
		    "alias at %s now\nleaves with this alias as its sender, "
		    "and mail to it reaches this address.\n\nThe server keeps "
		    "the list of aliases and their addresses: it is only as\n"
		    "anonymous as its operator is trustworthy.\n", cf->alias.s,
		    dom, dom);
	} else if (cf->outcome == ALIAS_DONE) {
		buf_addf(&subj, "Alias %s@%s removed", cf->alias.s, dom);
		buf_addf(&body, "The alias %s@%s is removed; its name is "
		    "free again.\n", cf->alias.s, dom);
	} else if (cf->outcome == ALIAS_TAKEN || cf->outcome == ALIAS_HAS_ONE ||
	    cf->outcome == ALIAS_NONE) {
		buf_addf(&subj, "Alias %s@%s: not changed", cf->alias.s, dom);
		buf_addf(&body, "The confirmation came too late: %s\n",
		    cf->outcome == ALIAS_TAKEN ? "the name is taken now." :
		    cf->outcome == ALIAS_HAS_ONE ?
		    "this address has an alias now." :
		    "the alias is no longer registered for this address.");
	} else
		return 0;
	rc = send_auto(r, op_word(cf->op), cf->addr.s, subj.s, &body, NULL);
	buf_free(&body);
	buf_free(&subj);
	return rc;
}

/* ---- the rewrite ---- */

/* Fields that carry or trace the sender's identity, host or path. */
static const char *const strip_exact[] = {
	"from", "sender", "reply-to", "return-path", "received",
	"message-id", "date", "dkim-signature", "domainkey-signature",
	"x-originating-ip", "x-originating-email", "x-sender",
	"x-authenticated-sender", "x-authenticated-user", "x-auth-id",
	"x-apparently-from", "x-envelope-from", "x-envelope-to",
	"x-original-to", "x-original-from", "x-real-ip", "x-forwarded-for",
	"x-x-sender", "x-sender-ip", "x-mailer-ip", "x-client-ip",
	"x-source", "x-source-args", "x-source-dir", "x-source-ip",
	"authentication-results", "received-spf", "delivered-to",
	"errors-to", "disposition-notification-to", "return-receipt-to",
	"x-confirm-reading-to", "organization", "x-organization",
	"original-recipient", "x-loop", "autocrypt", "openpgp",
	"x-uidl", "status", "x-status", "x-keywords", "x-mozilla-status",
	"x-mozilla-status2", "list-unsubscribe", "feedback-id",
};
static const char *const strip_prefix[] = {
	"arc-", "resent-", "x-google-", "x-gm-", "x-ms-", "x-microsoft-",
	"x-forefront-", "x-yahoo-", "x-ymail-", "x-received", "x-spam-",
	"x-virus-", "x-authenticated-", "x-originating-", "x-forwarded-",
	"x-proofpoint-", "x-mimecast-", "x-apple-", "x-icloud-", "x-hashcash",
};

int
alias_strip_field(const char *name, size_t len)
{
	size_t i, n;

	for (i = 0; i < sizeof(strip_exact) / sizeof(strip_exact[0]); i++)
		if (strlen(strip_exact[i]) == len &&
		    strncasecmp(name, strip_exact[i], len) == 0)
			return 1;
	for (i = 0; i < sizeof(strip_prefix) / sizeof(strip_prefix[0]); i++) {
		n = strlen(strip_prefix[i]);
		if (len >= n && strncasecmp(name, strip_prefix[i], n) == 0)
			return 1;
	}
	return 0;
}

/* Case-insensitive search of needle (NUL-free) in len bytes of hay. */
static int
contains_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0 || n > len)
		return 0;
	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* A display name that may travel: printable, no address characters. */
static void
add_display(struct buf *b, const char *d)
{
	size_t n = 0;

	buf_addc(b, '"');
	for (; *d != '\0' && n < 64; d++, n++) {
		unsigned char ch = (unsigned char)*d;

		if (ch < 32 || ch == 127 || ch == '"' || ch == '\\' ||
		    ch == '<' || ch == '>' || ch == '@')
			continue;
		buf_addc(b, *d);
	}
	buf_adds(b, "\" ");
}

/*
 * The sender's own addresses: real (the envelope) and those in From,
 * Sender and Reply-To, NUL-separated in list.  A field naming any of
 * them goes, even when the header From differs from the envelope.
 */
static void
sender_addrs(const struct msg *m, const char *real, struct buf *list)
{
	static const char *const fields[] = { "From", "Sender", "Reply-To" };
	struct addrlist l;
	const struct hdr *h;
	size_t f, i, k;

	buf_reset(list);
	buf_add(list, real, strlen(real) + 1);
	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		k = 0;
		while ((h = msg_next(m, fields[f], &k)) != NULL) {
			if (addr_parse_list(h->value, strlen(h->value), 16,
			    &l) < 0)
				continue;
			for (i = 0; i < l.n; i++)
				if (l.a[i].domain != NULL)
					buf_add(list, l.a[i].addr,
					    strlen(l.a[i].addr) + 1);
			addr_free_list(&l);
		}
	}
}

static int
names_sender(const struct hdr *h, const struct buf *list)
{
	size_t off = 0;

	while (off < list->len) {
		const char *a = list->s + off;

		if (contains_ci(h->raw, h->rawlen, a))
			return 1;
		off += strlen(a) + 1;
	}
	return 0;
}

void
alias_rewrite(const struct msg *m, const char *from_addr, const char *display,
    const char *real, const char *host, time_t now, struct buf *out)
{
	struct buf list = BUF_INIT;
	size_t i;

	buf_reset(out);
	buf_adds(out, "From: ");
	if (display != NULL && *display != '\0' &&
	    !contains_ci(display, strlen(display), real))
		add_display(out, display);
	buf_addf(out, "<%s>\nDate: ", from_addr);
	util_date(out, now);
	buf_adds(out, "\nMessage-ID: ");
	util_msgid(out, host);
	buf_addc(out, '\n');
	sender_addrs(m, real, &list);
	for (i = 0; i < m->nh; i++) {
		const struct hdr *h = &m->h[i];

		if (alias_strip_field(h->name, h->namelen) ||
		    names_sender(h, &list))
			continue;
		(void)msg_put_field(out, h->raw, h->rawlen);
	}
	buf_addc(out, '\n');
	buf_add(out, m->body, m->bodylen);
	buf_free(&list);
}

/* ---- nymserv: delivery and the mail handlers ---- */

struct lookup {
	const char *rcpt, *sender;
	struct buf rcpt_addr, sender_alias;
	int rcpt_found, sender_found;
};

/* Both lookups of a delivery in one read transaction. */
static int
lookup_fn(struct stxn *t, void *arg)
{
	struct lookup *l = arg;
	int rc;

	rc = txn_get(t, DB_ALIASES, l->rcpt, strlen(l->rcpt), &l->rcpt_addr);
	if (rc < 0)
		return rc;
	l->rcpt_found = rc == STORE_OK;
	if (l->sender == NULL)
		return 0;
	rc = txn_get(t, DB_ADDRS, l->sender, strlen(l->sender),
	    &l->sender_alias);
	if (rc < 0)
		return rc;
	l->sender_found = rc == STORE_OK;
	return 0;
}

/* Append a line to the optional message log (alias_log; off by default). */
static void
message_log(const struct conf *c, const char *from, const char *to,
    size_t size, time_t now)
{
	struct buf line = BUF_INIT;
	int fd;

	util_date(&line, now);
	buf_addf(&line, "\t%s\t%s\t%zu\n", from, to, size);
	fd = open(c->alias_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd < 0 || write(fd, line.s, line.len) != (ssize_t)line.len ||
	    close(fd) < 0)
		die_temp("cannot write the alias message log: %s",
		    strerror(errno));
	buf_free(&line);
}

/* The display name of the sender's From, or NULL. */
static const char *
from_display(const struct msg *m, struct buf *out)
{
	const char *v = msg_get(m, "From");
	struct addrlist l;

	if (v == NULL || addr_parse_list(v, strlen(v), 1, &l) < 0)
		return NULL;
	if (l.n == 1 && l.a[0].display != NULL)
		buf_sets(out, l.a[0].display);
	addr_free_list(&l);
	return out->len > 0 ? out->s : NULL;
}

/*
 * Did our MTA authenticate the sender's domain?  Only Authentication-
 * Results fields with our alias_authserv_id count, and only those above
 * the first Received field: our MTA writes its own Received field on top
 * of what the sender sent, and its results above it (Postfix: a policy
 * service's PREPEND and a milter's inserted fields), so a field the
 * sender wrote, whatever it claims, sits below (SECURITY.md section 2).
 * The rewrite removes every such field anyway.
 */
static int
sender_authenticated(const struct req *r, const char *addr)
{
	const char *envdom = strrchr(addr, '@') + 1, *v = msg_get(&r->msg,
	    "From");
	struct buf fromdom = BUF_INIT;
	struct addrlist l;
	struct authres ar;
	size_t i;
	int ok = 0;

	if (v != NULL && addr_parse_list(v, strlen(v), 1, &l) == 0) {
		if (l.n == 1 && l.a[0].domain != NULL)
			buf_sets(&fromdom, l.a[0].domain);
		addr_free_list(&l);
	}
	for (i = 0; !ok && i < r->msg.nh; i++) {
		const struct hdr *h = &r->msg.h[i];

		if (h->namelen == 8 && strncasecmp(h->name, "Received", 8) == 0)
			break;
		if (h->namelen == 22 && strncasecmp(h->name,
		    "Authentication-Results", 22) == 0)
			ok = authres_parse(h->value, strlen(h->value), &ar) ==
			    0 && authres_authenticates(&ar,
			    r->conf->alias_authserv_id, envdom, fromdom.s);
	}
	buf_free(&fromdom);
	return ok;
}

/*
 * Mail to an alias: the sender must have one, and our MTA must have
 * authenticated its domain (else 5.7.1, the same words for both); the rewritten
 * message goes to the recipient alias's real address.  Exits, except when
 * r->local is no alias (the caller then refuses with 5.1.1).
 */
void
alias_deliver(struct req *r)
{
	const struct conf *c = r->conf;
	struct lookup l = { r->local, NULL, BUF_INIT, BUF_INIT, 0, 0 };
	struct buf norm = BUF_INIT, from = BUF_INIT, out = BUF_INIT,
	    disp = BUF_INIT;
	const char *rcpt[1];

	if (!c->alias_enabled || !names_valid(r->local))
		return;
	if (r->sender[0] != '\0' && alias_norm_addr(c, r->sender, &norm) == 0)
		l.sender = norm.s;
	if (store_read(r->st, lookup_fn, &l) < 0)
		die_temp("cannot read the state");
	if (!l.rcpt_found)
		goto out;	/* not an alias: the caller says 5.1.1 */
	/* Unauthenticated mail from a registered address reads like mail
	 * from an unregistered one: a forged sender learns nothing. */
	if (!l.sender_found || !sender_authenticated(r, norm.s))
		die_perm(EX_NOPERM_, "5.7.1", "the sender has no alias here: "
		    "register an alias for your address at %s first",
		    c->alias_web_url ? c->alias_web_url : c->hostname);
	buf_addf(&from, "%s@%s", l.sender_alias.s, alias_domain(c));
	alias_rewrite(&r->msg, from.s, c->alias_keep_name ?
	    from_display(&r->msg, &disp) : NULL, norm.s, alias_domain(c),
	    r->now, &out);
	if (c->alias_log != NULL)
		message_log(c, l.sender_alias.s, r->local, out.len, r->now);
	rcpt[0] = l.rcpt_addr.s;
	if (sendmail_send(c->sendmail, from.s, rcpt, 1, out.s, out.len) < 0)
		die_temp("cannot hand the message to sendmail");
	log_info("alias: remailed");
	store_close(r->st);
	msg_free(&r->msg);
	die_ok();
out:
	buf_free(&l.rcpt_addr);
	buf_free(&l.sender_alias);
	buf_free(&norm);
	buf_free(&from);
	buf_free(&out);
	buf_free(&disp);
}

/* The alias a register@ mail names: its Subject, else its first line. */
static void
requested_name(const struct msg *m, struct buf *out)
{
	const char *s = msg_get(m, "Subject"), *p, *e;

	buf_reset(out);
	if (s != NULL) {
		while (*s == ' ' || *s == '\t')
			s++;
		buf_sets(out, s);
	}
	if (out->len == 0) {
		p = m->body;
		e = m->body + m->bodylen;
		while (p < e && (*p == '\n' || *p == ' ' || *p == '\t'))
			p++;
		for (s = p; s < e && *s != '\n'; s++)
			;
		if (s - p < 64)
			buf_set(out, p, (size_t)(s - p));
	}
	while (out->len > 0 && (out->s[out->len - 1] == ' ' ||
	    out->s[out->len - 1] == '\t' || out->s[out->len - 1] == '\r'))
		out->s[--out->len] = '\0';
	/* "alias@HOST" is accepted for "alias". */
	if ((p = strchr(out->s ? out->s : "", '@')) != NULL)
		out->s[out->len = (size_t)(p - out->s)] = '\0';
}

/* register+TOKEN@ / remove+TOKEN@: use the token, mail the result. */
static void
mail_confirm(struct req *r)
{
	struct alias_confirm cf;
	const char *why;
	struct buf to = BUF_INIT;

	/* The result goes to the address stored with the token, so the
	 * sender need not be answerable (nymreg hands confirmations on as
	 * nymreg@hostname); automatic mail still confirms nothing. */
	if (!respond_allowed(r, &to, &why) &&
	    strcmp(why, "reply address is ours") != 0) {
		log_info("alias confirm: ignored: %s", why);
		buf_free(&to);
		return;
	}
	buf_free(&to);
	memset(&cf, 0, sizeof(cf));
	cf.token = r->ext;
	cf.now = r->now;
	if (alias_confirm(r->st, &cf) < 0)
		die_temp("cannot update the state");
	if (cf.outcome == ALIAS_DONE) {
		wipe_after(r->conf, r->st, cf.alias.s, cf.op == ALIAS_REMOVE);
		/* nympolicyd's view of who may mail aliases. */
		if (pubview_sync(r->conf, r->st, cf.addr.s) < 0)
			log_warn("public view not updated: nymctl check "
			    "repairs it");
	}
	log_info("alias confirm: %s", cf.outcome == ALIAS_DONE ? "applied" :
	    cf.outcome == ALIAS_BADTOKEN ? "bad token" : "refused");
	if (cf.outcome != ALIAS_BADTOKEN && alias_mail_done(r, &cf) < 0)
		log_warn("alias confirm: could not send the notice");
	buf_free(&cf.alias);
	buf_free(&cf.addr);
}

/* register@ / remove@: a request for the envelope sender's address. */
static void
mail_request(struct req *r, int op)
{
	struct alias_req a;
	struct buf to = BUF_INIT, name = BUF_INIT, alias = BUF_INIT,
	    addr = BUF_INIT;
	const char *why;

	if (!r->conf->alias_enabled)
		die_perm(EX_NOUSER_, "5.1.1", "no such user here");
	if (r->ext != NULL) {
		mail_confirm(r);
		return;
	}
	if (!respond_allowed(r, &to, &why)) {
		log_info("alias %s: not answered: %s", op_word(op), why);
		goto out;
	}
	/* The address registered is the envelope sender, as on delivery. */
	if (alias_norm_addr(r->conf, r->sender, &addr) < 0) {
		log_info("alias %s: unusable sender address", op_word(op));
		goto out;
	}
	requested_name(&r->msg, &name);
	if (op == ALIAS_REGISTER || name.len > 0) {
		if (!alias_name_ok(name.s ? name.s : "", &alias)) {
			struct buf body = BUF_INIT;

			buf_addf(&body, "No valid alias name was found.  Put the "
			    "name in the Subject:\n2-16 characters, letters, "
			    "digits, '_' and '-', not a reserved name.\n");
			if (send_auto(r, op_word(op), addr.s,
			    "Alias request not understood", &body, NULL) < 0)
				die_temp("cannot hand the answer to sendmail");
			buf_free(&body);
			goto out;
		}
	} else
		buf_sets(&alias, "");
	memset(&a, 0, sizeof(a));
	a.op = op;
	a.alias = alias.s;
	a.addr = addr.s;
	a.now = r->now;
	a.rate = r->conf->alias_rate;
	a.rate_global = r->conf->alias_rate_global;
	if (alias_request(r->st, &a) < 0)
		die_temp("cannot update the state");
	if (a.outcome == ALIAS_BUSY)
		die_temp("too many alias requests; try later");
	if (alias_mail_outcome(r, &a, r->msg.header, r->msg.headerlen) < 0) {
		/* Forget the request, so that the MTA's retry is answered. */
		if (alias_request_undo(r->st, &a) < 0)
			log_err("alias: cannot undo a request");
		die_temp("cannot hand the answer to sendmail");
	}
	log_info("alias %s: %s", op_word(op), a.outcome == ALIAS_THROTTLED ?
	    "throttled" : "answered");
	buf_free(&a.current);
out:
	buf_free(&to);
	buf_free(&name);
	buf_free(&alias);
	buf_free(&addr);
}

void
alias_register(struct req *r)
{
	mail_request(r, ALIAS_REGISTER);
}

void
alias_remove(struct req *r)
{
	mail_request(r, ALIAS_REMOVE);
}
