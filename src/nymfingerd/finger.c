/* finger.c - RFC 1288 for nymfingerd: the query parser and the answers
 * (from the public view only: pubview.h). */
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "die.h"
#include "finger.h"
#include "names.h"
#include "pubview.h"

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

/* A server key, exported by nymctl init into the public view. */
static int
server_key(struct pubview *pv, const char *file, struct buf *out)
{
	struct buf k = BUF_INIT;
	int rc = pv != NULL ? pubview_file(pv, file, PUBVIEW_MAX_ENTRY, &k) :
	    -1;

	if (rc > 0)
		buf_add(out, k.s, k.len);
	buf_free(&k);
	return rc > 0 ? 0 : -1;
}

/* list@: the view holds the names only while list_enabled. */
static int
list_names(const struct conf *c, struct pubview *pv, struct buf *out)
{
	struct buf names = BUF_INIT;
	size_t n = 0, i;
	int rc = pv != NULL ? pubview_file(pv, PUBVIEW_LIST, 64 * LIST_MAX_NAMES,
	    &names) : -1;

	if (rc <= 0) {
		buf_free(&names);
		return -1;
	}
	for (i = 0; i < names.len; i++)
		if (names.s[i] == '\n')
			n++;
	buf_addf(out, "Names in use at %s (%zu):\n", c->hostname, n);
	for (i = 0; i < names.len; i++) {
		if (i == 0 || names.s[i - 1] == '\n')
			buf_adds(out, "  ");
		buf_addc(out, names.s[i]);
	}
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
nym_info(const struct conf *c, struct pubview *pv, const char *name,
    struct buf *out)
{
	struct buf e = BUF_INIT;
	const char *full, *key;
	int rc;

	if (!names_valid(name)) {
		no_such_user(out);
		return 0;
	}
	if (pv == NULL)
		return -1;
	rc = pubview_get(pv, name, &e);
	if (rc < 0) {
		buf_free(&e);
		return -1;
	}
	if (rc == 0 || e.len < 4 || memcmp(e.s, "nym\n", 4) != 0) {
		no_such_user(out);	/* none, pending, or an alias */
		buf_free(&e);
		return 0;
	}
	full = e.s + 4;
	if ((key = memchr(full, '\n', e.len - 4)) == NULL) {
		buf_free(&e);
		return -1;
	}
	buf_addf(out, "Mail Alias: %s@%s\n", name, c->hostname);
	buf_adds(out, "Name: ");
	if (key > full)
		buf_add(out, full, (size_t)(key - full));
	else
		buf_adds(out, name);
	buf_addc(out, '\n');
	key++;
	if (key < e.s + e.len) {
		buf_adds(out, "\n");
		buf_add(out, key, (size_t)(e.s + e.len - key));
		if (e.s[e.len - 1] != '\n')
			buf_addc(out, '\n');
	}
	buf_free(&e);
	return 0;
}

int
finger_answer(const struct conf *c, struct pubview *pv,
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
		rc = list_names(c, pv, out);
	} else if (strcmp(q->name, "config") == 0 ||
	    strcmp(q->name, "send") == 0) {
		buf_addf(out, "The nym server key of %s (config@, send@):\n\n",
		    c->hostname);
		rc = server_key(pv, PUBVIEW_SERVERKEY, out);
	} else if (strcmp(q->name, "remailer-key") == 0) {
		buf_addf(out, "The remailer key of %s (remailer@):\n\n",
		    c->hostname);
		rc = server_key(pv, PUBVIEW_REMAILERKEY, out);
	} else {
		rc = nym_info(c, pv, q->name, out);
	}
	if (rc < 0) {
		buf_reset(out);
		buf_adds(out, "finger: temporary failure, try again later.\n");
	}
	return rc;
}
