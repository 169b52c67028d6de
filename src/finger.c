/* finger.c - RFC 1288 for nymfingerd: the query parser and the answers. */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "die.h"
#include "finger.h"
#include "gpg.h"
#include "names.h"
#include "nym.h"
#include "store.h"

#define LIST_MAX_NAMES 100000

/*
 * RFC 1288 section 2.3:
 *   {Q1} ::= [{W}|{W}{S}{U}]{C}
 *   {Q2} ::= [{W}{S}][{U}]{H}{C}
 * with {W} "/W", {S} one or more spaces, {U} a user name, {H} "@host"
 * (possibly repeated).  Q2 asks us to forward, which we never do.
 */
void
finger_parse(const char *line, size_t len, struct finger_query *q)
{
	size_t i = 0, j;

	memset(q, 0, sizeof(*q));
	q->kind = FQ_BAD;
	if (len > FINGER_MAX_QUERY)
		return;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i + 1 < len && line[i] == '/' && (line[i + 1] == 'W' ||
	    line[i + 1] == 'w') && (i + 2 == len || line[i + 2] == ' ' ||
	    line[i + 2] == '\t')) {
		q->verbose = 1;
		i += 2;
	}
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (i == len) {
		q->kind = FQ_EMPTY;
		return;
	}
	for (j = i; j < len; j++) {
		unsigned char c = (unsigned char)line[j];

		if (c == '@') {
			q->kind = FQ_FORWARD;
			return;
		}
		if (c <= ' ' || c >= 127)
			return;		/* FQ_BAD: blanks inside, controls */
	}
	for (j = i; j < len; j++) {
		char c = line[j];

		q->name[j - i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a')
		    : c;
	}
	q->name[len - i] = '\0';
	q->kind = FQ_USER;
}

void
finger_crlf(struct buf *out, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			continue;
		if (text[i] == '\n')
			buf_addc(out, '\r');
		buf_addc(out, text[i]);
	}
}

static void
describe(const struct conf *c, struct buf *out)
{
	const char *h = c->hostname;

	buf_addf(out, "This is the nym server at %s.\n\n"
	    "It gives pseudonymous mail addresses (nyms): mail to NAME@%s\n"
	    "is encrypted to the nym's key and forwarded through its reply\n"
	    "blocks; the server does not know who owns a nym.\n\n"
	    "  finger NAME@%s          a nym's name (and key, if published)\n",
	    h, h, h);
	if (c->list_enabled)
		buf_addf(out, "  finger list@%s          the names in use\n", h);
	buf_addf(out, "  finger config@%s        the server's key for requests\n"
	    "  finger remailer-key@%s  the remailer's key\n\n"
	    "Mail help@%s for instructions.  To stop receiving mail from\n"
	    "this server's nyms, mail dstblk-request@%s.\n", h, h, h, h);
}

/* Export the server key META names by metakey. */
static int
server_key(const struct conf *c, struct store *st, const char *metakey,
    struct buf *out)
{
	struct buf fpr = BUF_INIT;
	int rc = -1;

	if (st != NULL && store_get(st, DB_META, metakey, &fpr) == STORE_OK &&
	    gpg_export(c->gnupghome, fpr.s, out) == 0)
		rc = 0;
	buf_free(&fpr);
	return rc;
}

struct names {
	struct buf *out;
	size_t n;
};

static int
list_fn(struct stxn *t, void *arg)
{
	struct names *nm = arg;
	int rc;

	if ((rc = txn_keys(t, DB_NYMS, "  ", LIST_MAX_NAMES, nm->out,
	    &nm->n)) < 0)
		return rc;
	return txn_keys(t, DB_ALIASES, "  ", LIST_MAX_NAMES, nm->out, &nm->n);
}

static int
list_names(const struct conf *c, struct store *st, struct buf *out)
{
	struct buf names = BUF_INIT;
	struct names nm = { &names, 0 };

	if (st == NULL || store_read(st, list_fn, &nm) < 0) {
		buf_free(&names);
		return -1;
	}
	buf_addf(out, "Names in use at %s (%zu):\n", c->hostname, nm.n);
	buf_add(out, names.s ? names.s : "", names.len);
	buf_free(&names);
	return 0;
}

static void
no_such_user(struct buf *out)
{
	buf_adds(out, "finger: no such user.\n");
}

/* One nym: active ones only; a pending nym does not exist yet. */
static int
nym_info(const struct conf *c, struct store *st, const char *name,
    struct buf *out)
{
	struct buf v = BUF_INIT;
	struct nym y;
	int rc;

	if (!names_valid(name)) {
		no_such_user(out);
		return 0;
	}
	if (st == NULL)
		return -1;
	rc = store_get(st, DB_NYMS, name, &v);
	if (rc == STORE_NOTFOUND) {
		no_such_user(out);
		buf_free(&v);
		return 0;
	}
	if (rc != STORE_OK || nym_decode(v.s, v.len, &y) < 0) {
		buf_free(&v);
		return -1;
	}
	buf_free(&v);
	if (y.state != NYM_ACTIVE) {
		no_such_user(out);
	} else {
		buf_addf(out, "Mail Alias: %s@%s\n", y.name, c->hostname);
		buf_addf(out, "Name: %s\n", y.fullname != NULL &&
		    y.fullname[0] != '\0' ? y.fullname : y.name);
		if ((y.flags & NF_FINGERKEY) && y.key.len > 0) {
			buf_adds(out, "\n");
			buf_add(out, y.key.s, y.key.len);
			if (y.key.s[y.key.len - 1] != '\n')
				buf_addc(out, '\n');
		}
	}
	nym_free(&y);
	return 0;
}

int
finger_answer(const struct conf *c, struct store *st,
    const struct finger_query *q, struct buf *out)
{
	int rc = 0;

	switch (q->kind) {
	case FQ_EMPTY:
		describe(c, out);
		return 0;
	case FQ_FORWARD:
		buf_adds(out, "finger: forwarding refused: this server answers "
		    "only for its own users.\n");
		return 0;
	case FQ_BAD:
		buf_adds(out, "finger: bad query.\n");
		return 0;
	case FQ_USER:
		break;
	}
	if (strcmp(q->name, "list") == 0) {
		if (!c->list_enabled) {
			buf_adds(out, "finger: the list of names is not "
			    "published here.\n");
			return 0;
		}
		rc = list_names(c, st, out);
	} else if (strcmp(q->name, "config") == 0 ||
	    strcmp(q->name, "send") == 0) {
		buf_addf(out, "The nym server key of %s (config@, send@):\n\n",
		    c->hostname);
		rc = server_key(c, st, "serverkey", out);
	} else if (strcmp(q->name, "remailer-key") == 0) {
		buf_addf(out, "The remailer key of %s (remailer@):\n\n",
		    c->hostname);
		rc = server_key(c, st, "remailerkey", out);
	} else {
		rc = nym_info(c, st, q->name, out);
	}
	if (rc < 0) {
		buf_reset(out);
		buf_adds(out, "finger: temporary failure, try again later.\n");
	}
	return rc;
}
