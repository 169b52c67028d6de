/*
 * nymreg.c - CGI: the alias service's register/remove form and confirmation.
 * It holds no state and opens none: every request is handed to nymserv as
 * the mail a user could have sent (register@, remove@, register+TOKEN@)
 * through the configured sendmail, and the browser is told to check its
 * mail.  So it runs as the web server's own user (SECURITY.md section 2).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "cgi.h"
#include "conf.h"
#include "die.h"
#include "outbound.h"
#include "util.h"

struct page {
	struct conf *conf;
	int status;		/* HTTP status */
	struct buf html;	/* the page's main part */
};

/* Write the whole response: CGI header, then the page, in one go. */
static void
emit(struct page *pg, const char *title)
{
	struct buf out = BUF_INIT;
	const char *reason = pg->status == 200 ? "OK" :
	    pg->status == 400 ? "Bad Request" :
	    pg->status == 404 ? "Not Found" :
	    pg->status == 405 ? "Method Not Allowed" :
	    pg->status == 413 ? "Payload Too Large" :
	    "Service Unavailable";

	buf_addf(&out, "Status: %d %s\n", pg->status, reason);
	buf_adds(&out, "Content-Type: text/html; charset=utf-8\n"
	    "Cache-Control: no-store\n"
	    "Referrer-Policy: no-referrer\n"
	    "X-Content-Type-Options: nosniff\n"
	    "X-Frame-Options: DENY\n"
	    "Content-Security-Policy: default-src 'none'; "
	    "style-src 'unsafe-inline'; form-action 'self'; "
	    "frame-ancestors 'none'\n\n");
	buf_adds(&out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width\">\n<title>");
	cgi_html(&out, title);
	buf_adds(&out, "</title>\n<style>body{font-family:sans-serif;"
	    "max-width:40em;margin:2em auto;padding:0 1em;line-height:1.4}"
	    "label{display:block;margin-top:1em}input{font-size:1em;"
	    "width:100%;box-sizing:border-box;padding:.3em}"
	    "button{font-size:1em;margin:1em 1em 0 0;padding:.3em 1em}"
	    ".note{background:#fff4d6;padding:.5em 1em}</style></head>\n"
	    "<body>\n<h1>");
	cgi_html(&out, title);
	buf_adds(&out, "</h1>\n");
	buf_add(&out, pg->html.s, pg->html.len);
	buf_adds(&out, "</body></html>\n");
	if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout))
		log_err("nymreg: cannot write the response");
	buf_free(&out);
}

/* The form with the explanatory (honest) text. */
static void
form_page(struct page *pg)
{
	const struct conf *c = pg->conf;
	const char *dom = alias_domain(c);
	struct buf *h = &pg->html;

	buf_adds(h, "<p>Register an alias <b>name@");
	cgi_html(h, dom);
	buf_adds(h, "</b> for your e-mail address.  Mail you send from that "
	    "address to any alias at ");
	cgi_html(h, dom);
	buf_adds(h, " goes out with your alias as its sender, with your "
	    "address and the headers that trace your mail removed; replies "
	    "to your alias reach your address.  Both sides need an alias: "
	    "mail from an address without one is refused.</p>\n"
	    "<p><b>What is checked.</b> Anyone can write any sender address "
	    "on a message, so mail is rewritten only when this server's mail "
	    "system has authenticated the sender's domain: an SPF pass for "
	    "the domain of the envelope sender, or a valid DKIM signature of "
	    "the domain in From (aligned as DMARC asks).  Other mail from "
	    "your address is refused, with the same answer as mail from an "
	    "address without an alias.  The check is per domain: your mail "
	    "provider, and anyone it lets use your domain, could send as "
	    "you.</p>\n"
	    "<p class=\"note\"><b>How anonymous is this?</b> Only \"mostly\". "
	    "This server keeps the list of aliases and the real addresses "
	    "behind them.  Whoever controls it - its operator, or anyone who "
	    "takes or compels the machine or its operator - can see who is "
	    "behind every alias.  The service is only as anonymous as its "
	    "operator is trustworthy.  ");
	buf_adds(h, c->alias_log != NULL ?
	    "This server also keeps a log of which alias mailed which. " :
	    "This server keeps no log of the messages it passes on. ");
	buf_adds(h, "For strong anonymity use a nym with OpenPGP instead.</p>\n"
	    "<p>Registering and removing both send a confirmation message "
	    "to the address; nothing changes until you follow it (within 48 "
	    "hours).  One alias per address.</p>\n"
	    "<form method=\"post\" action=\"\">\n"
	    "<label for=\"alias\">Alias (2-16 letters, digits, _ or -; "
	    "may be left empty to remove)</label>\n"
	    "<input id=\"alias\" name=\"alias\" maxlength=\"16\" "
	    "autocomplete=\"off\">\n"
	    "<label for=\"email\">Your e-mail address</label>\n"
	    "<input id=\"email\" name=\"email\" type=\"email\" "
	    "maxlength=\"254\">\n"
	    "<button type=\"submit\" name=\"action\" value=\"register\" "
	    "id=\"register\">Register</button>"
	    "<button type=\"submit\" name=\"action\" value=\"remove\" "
	    "id=\"remove\">Remove</button>\n</form>\n");
}

/* A one-paragraph answer page (text is escaped). */
static void
message(struct page *pg, int status, const char *text)
{
	pg->status = status;
	buf_adds(&pg->html, "<p id=\"result\">");
	cgi_html(&pg->html, text);
	buf_adds(&pg->html, "</p>\n<p><a href=\"?\">Back to the form</a></p>\n");
}

/*
 * Hand one request to nymserv as mail: envelope sender and From are
 * sender, the recipient local@hostname, the Subject subj (already
 * checked: no controls).  0, or -1 if sendmail failed.
 */
static int
hand_on(const struct page *pg, const char *sender, const char *local,
    const char *subj)
{
	const struct conf *c = pg->conf;
	struct buf to = BUF_INIT, m = BUF_INIT;
	const char *rcpt[1];
	int rc;

	buf_addf(&to, "%s@%s", local, c->hostname);
	rcpt[0] = to.s;
	buf_addf(&m, "From: <%s>\nTo: <%s>\nSubject: %s\nDate: ", sender,
	    to.s, subj);
	util_date(&m, util_now());
	buf_adds(&m, "\nMessage-ID: ");
	util_msgid(&m, c->hostname);
	/* No body: register@/remove@ read an empty Subject's name there. */
	buf_adds(&m, "\nComments: made with the alias service's web form\n\n");
	rc = sendmail_send(c->sendmail, sender, rcpt, 1, m.s, m.len);
	buf_free(&to);
	buf_free(&m);
	return rc < 0 ? -1 : 0;
}

/*
 * Register or Remove: validate, hand on as mail to register@/remove@,
 * and answer the same "check your mail" whatever will happen: nymserv
 * decides and mails the address (a token, or a notice saying why not).
 */
static void
do_request(struct page *pg, const struct cgi_form *f, int op)
{
	const char *alias = cgi_get(f, "alias"), *email = cgi_get(f, "email");
	struct buf name = BUF_INIT, addr = BUF_INIT;

	if (alias == NULL)
		alias = "";
	if ((op == ALIAS_REGISTER || alias[0] != '\0') &&
	    !alias_name_ok(alias, &name)) {
		message(pg, 400, "That alias name cannot be used: it must have "
		    "2-16 letters, digits, '_' or '-' and not be a reserved "
		    "name.");
		goto out;
	}
	if (name.s == NULL)
		buf_sets(&name, "");
	if (email == NULL || alias_norm_addr(pg->conf, email, &addr) < 0) {
		message(pg, 400, "That e-mail address cannot be used.");
		goto out;
	}
	if (hand_on(pg, addr.s, op == ALIAS_REGISTER ? "register" : "remove",
	    name.s) < 0) {
		message(pg, 503, "Temporary failure; please try again later.");
		goto out;
	}
	log_info("nymreg: %s request handed on", op == ALIAS_REGISTER ?
	    "register" : "remove");
	/* The same words whatever happens: nothing is revealed here. */
	message(pg, 200, "Thank you.  Please check your mail: the answer "
	    "to your request is on its way to the address you gave.  (An "
	    "address gets at most one such message every ten minutes.)");
out:
	buf_free(&name);
	buf_free(&addr);
}

/* A token as the confirmation mail carries it: lowercase hex. */
static int
token_ok(const char *t)
{
	size_t i;

	for (i = 0; t[i] != '\0'; i++)
		if (strchr("0123456789abcdef", t[i]) == NULL)
			return 0;
	return i == 2 * ALIAS_TOKEN_BYTES;
}

/* GET ?t=TOKEN: a button, so that link scanners confirm nothing. */
static void
confirm_form(struct page *pg, const char *token)
{
	struct buf *h = &pg->html;

	buf_adds(h, "<p>Press the button to carry out the request "
	    "confirmed by this link.</p>\n<form method=\"post\" action=\"?\">"
	    "<input type=\"hidden\" name=\"t\" value=\"");
	cgi_html(h, token);
	buf_adds(h, "\"><button type=\"submit\" name=\"action\" "
	    "value=\"confirm\" id=\"confirm\">Confirm</button></form>\n");
}

/*
 * POST action=confirm: hand the token on as a reply to the confirmation
 * would (register+TOKEN@); nymserv mails the result to the address the
 * token was made for.  The sender is nymreg@hostname: the form knows no
 * address, and nymserv answers the stored one.
 */
static void
do_confirm(struct page *pg, const char *token)
{
	struct buf local = BUF_INIT, sender = BUF_INIT;

	if (!token_ok(token)) {
		message(pg, 400, "This link is not valid: it was mistyped or "
		    "cut short.");
		return;
	}
	buf_addf(&local, "register+%s", token);
	buf_addf(&sender, "nymreg@%s", pg->conf->hostname);
	if (hand_on(pg, sender.s, local.s, "confirm") < 0) {
		message(pg, 503, "Temporary failure; please try again later.");
	} else {
		log_info("nymreg: confirmation handed on");
		message(pg, 200, "Thank you.  Your confirmation is passed on: "
		    "the result will be mailed to the address the request was "
		    "for.  (A link works once, within 48 hours.)");
	}
	buf_free(&local);
	buf_free(&sender);
}

/* Route one request; the caller writes the page. */
static const char *
handle(struct page *pg)
{
	const char *method = getenv("REQUEST_METHOD");
	const char *qs = getenv("QUERY_STRING"), *action, *t;
	struct buf body = BUF_INIT;
	struct cgi_form f;

	if (qs == NULL)
		qs = "";
	if (method != NULL && strcmp(method, "POST") == 0) {
		const char *ct = getenv("CONTENT_TYPE");

		if (ct == NULL || strncasecmp(ct,
		    "application/x-www-form-urlencoded", 33) != 0 ||
		    cgi_read_body(0, getenv("CONTENT_LENGTH"), &body) < 0 ||
		    cgi_parse(body.s ? body.s : "", body.len, &f) < 0) {
			message(pg, 400, "The form data could not be read.");
			buf_free(&body);
			return "Bad request";
		}
		buf_free(&body);
		action = cgi_get(&f, "action");
		if (action != NULL && strcmp(action, "register") == 0) {
			do_request(pg, &f, ALIAS_REGISTER);
			return "Alias registration";
		}
		if (action != NULL && strcmp(action, "remove") == 0) {
			do_request(pg, &f, ALIAS_REMOVE);
			return "Alias removal";
		}
		if (action != NULL && strcmp(action, "confirm") == 0 &&
		    (t = cgi_get(&f, "t")) != NULL) {
			do_confirm(pg, t);
			return "Confirmation";
		}
		message(pg, 400, "Unknown request.");
		return "Bad request";
	}
	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0)) {
		message(pg, 405, "Only GET and POST are understood.");
		return "Bad request";
	}
	if (cgi_parse(qs, strlen(qs), &f) < 0) {
		message(pg, 400, "The address of this page is malformed.");
		return "Bad request";
	}
	if ((t = cgi_get(&f, "t")) != NULL) {
		confirm_form(pg, t);
		return "Confirm your request";
	}
	form_page(pg);
	return "Aliases at this server";
}

int
main(void)
{
	struct conf conf;
	struct page pg;
	const char *path = getenv("NYMREG_CONF"), *title;
	char err[512] = "";
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	umask(077);
	die_init("nymreg");
	memset(&pg, 0, sizeof(pg));
	pg.status = 200;
	if (geteuid() == 0) {
		message(&pg, 503, "Misconfigured: nymreg refuses to run as "
		    "root.");
		emit(&pg, "Unavailable");
		return 0;
	}
	if (conf_load(&conf, path, err, sizeof(err)) < 0) {
		log_err("configuration: %s", err);
		message(&pg, 503, "The service is not configured.");
		emit(&pg, "Unavailable");
		return 0;
	}
	pg.conf = &conf;
	die_signals(conf.timeout < 60 ? conf.timeout : 60);
	if (!conf.alias_enabled) {
		message(&pg, 404, "The alias service is not offered here.");
		emit(&pg, "Not here");
		conf_free(&conf);
		return 0;
	}
	if (util_crypto_init() < 0) {
		message(&pg, 503, "Temporary failure; please try again later.");
		emit(&pg, "Unavailable");
		conf_free(&conf);
		return 0;
	}
	title = handle(&pg);
	emit(&pg, title);
	buf_free(&pg.html);
	conf_free(&conf);
	return 0;
}
