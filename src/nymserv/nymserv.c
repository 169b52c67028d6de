/* nymserv.c - run by the MTA once per message: read, dispatch, exit status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "conf.h"
#include "die.h"
#include "gpg.h"
#include "account.h"
#include "confirm.h"
#include "dstblk.h"
#include "msg.h"
#include "names.h"
#include "nym.h"
#include "nymmail.h"
#include "req.h"
#include "respond.h"
#include "send.h"
#include "store.h"
#include "util.h"

struct handler {
	const char *local;
	void (*fn)(struct req *);
};

static void
discard(struct req *r)
{
	(void)r;
	log_info("nobody: discarded");
}

/* Local parts the server answers itself (all are reserved names). */
static const struct handler handlers[] = {
	{ "help", respond_help },
	{ "list", respond_list },
	{ "used", respond_list },
	{ "nobody", discard },
	{ "config", account_config },
	{ "confirm", confirm_mail },
	{ "send", send_handle },
	{ "dstblk-request", dstblk_request },
	{ "dstblk", dstblk_reply },	/* dstblk+TOKEN: replies to probes */
	{ "register", alias_register },
	{ "remove", alias_remove },
};

static void
usage(void)
{
	die_usage(EX_TEMPFAIL_, "usage: nymserv [-Qv] [-c conf] [-f sender] [--] "
	    "[recipient] < message");
}

/*
 * Without an argument the MTA's environment names the recipient, so no
 * sample has to put an address on a command line (a shell may read it):
 * qmail-local's DEFAULT (the part after the .qmail-default prefix),
 * OpenSMTPD's ORIGINAL_RECIPIENT (the address as sent: its RECIPIENT is
 * the mapped delivery user), LOCAL, then Exim's RECIPIENT.
 */
static const char *
env_recipient(void)
{
	static const char *const vars[] = { "DEFAULT", "ORIGINAL_RECIPIENT",
	    "LOCAL", "RECIPIENT" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0')
			return v;
	return NULL;
}

static void
dispatch(struct req *r)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
		if (strcmp(r->local, handlers[i].local) == 0) {
			handlers[i].fn(r);
			return;
		}
	}
	if (names_valid(r->local)) {
		struct nym y;
		int rc = account_get(r->st, r->local, &y);

		if (rc == STORE_ERR)
			die_temp("cannot read the state");
		if (rc == STORE_OK) {
			nymmail_deliver(r, &y);
			nym_free(&y);
			return;
		}
	}
	alias_deliver(r);	/* returns only if r->local is no alias */
	die_perm(EX_NOUSER_, "5.1.1", "no such user here");
}

int
main(int argc, char **argv)
{
	struct conf conf;
	struct req r;
	struct buf in = BUF_INIT;
	struct msg_limits lim;
	const char *confpath = NULL, *recipient, *sender = NULL;
	char err[512];
	int c, rc;

	util_sane_fds();
	umask(077);
	die_init("nymserv");
	/* "+": options end at the first operand (no GNU permutation), so
	 * an MTA-supplied argument after them is never an option. */
	while ((c = getopt(argc, argv, "+c:f:Qv")) != -1) {
		switch (c) {
		case 'c': confpath = optarg; break;
		case 'f': sender = optarg; break;
		case 'Q': die_set_qmail(1); break;
		case 'v': die_set_verbose(1); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
	if (argc == 1)
		recipient = argv[0];
	else if ((recipient = env_recipient()) == NULL)
		usage();
	sender = req_start(&conf, confpath, sender);
	if (gpg_home_ok(conf.gnupghome) < 0)
		die_temp("GnuPG home %s: %s", conf.gnupghome, strerror(errno));

	memset(&r, 0, sizeof(r));
	r.conf = &conf;
	r.sender = sender;
	r.now = util_now();
	if (req_set_recipient(&r, recipient) < 0)
		die_perm(EX_NOUSER_, "5.1.3", "bad recipient address");

	req_read_stdin(&conf, &in);
	lim.max_size = conf.max_message_size;
	lim.max_header_lines = conf.max_header_lines;
	lim.max_line_length = conf.max_line_length;
	if (msg_parse(&r.msg, in.s ? in.s : "", in.len, &lim) != MSG_OK)
		die_perm(EX_DATAERR_, "5.6.0",
		    "message header too large (line or field limit)");
	buf_free(&in);

	rc = store_open(&r.st, conf.statedir, conf.map_size, 0, err,
	    sizeof(err));
	if (rc != STORE_OK)
		die_temp("state: %s", err);

	dispatch(&r);
	store_close(r.st);
	msg_free(&r.msg);
	die_ok();
}
