/* remail.c - the type-1 remailer: run by nymserv (local) or the MTA (-p). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "die.h"
#include "msg.h"
#include "remailer.h"
#include "req.h"
#include "spool.h"
#include "util.h"

static void
usage(void)
{
	die_usage(EX_TEMPFAIL_, "usage: remail [-Qv] [-c conf] [-f sender] "
	    "[-p localpart] < message\n       remail [-v] [-c conf] -q");
}

/* remail -q: send what is due. */
static void
queue_run(const struct conf *c)
{
	struct rm_block blk;
	struct spool_check chk = { rm_block_check, &blk };
	size_t sent, left;

	/* Checked against the block list again: it may have changed. */
	rm_block_init(&blk, c);
	if (spool_flush(c->remail_spool, c->sendmail, util_now(),
	    c->max_message_size + 65536, &chk, &sent, &left) < 0)
		die_temp("spool %s: %s", c->remail_spool, strerror(errno));
	rm_block_close(&blk);
	log_info("queue run: %zu sent, %zu left, %zu blocked recipient(s) "
	    "dropped", sent, left, blk.dropped);
	if (left > 0)
		die_temp("%zu queued messages could not be sent", left);
	die_ok();
}

/* NYM_SPOOL_TAG from nymserv (deliver_tag), if it is one. */
static const char *
spool_tag_env(void)
{
	const char *t = getenv("NYM_SPOOL_TAG");
	size_t i;

	if (t == NULL || strlen(t) != SPOOL_TAG_LEN)
		return NULL;
	for (i = 0; i < SPOOL_TAG_LEN; i++)
		if (strchr("0123456789abcdef", t[i]) == NULL)
			return NULL;
	return t;
}

int
main(int argc, char **argv)
{
	struct conf conf;
	struct buf in = BUF_INIT;
	struct msg m;
	struct msg_limits lim;
	struct rm_run run;
	const char *confpath = NULL, *sender = NULL, *local = NULL;
	const char *body;
	size_t off, blen;
	int c, rc, flush = 0, public_mode;

	util_sane_fds();
	umask(077);
	die_init("remail");
	/* "+": options end at the first operand (no GNU permutation), so
	 * an MTA-supplied argument after them is never an option. */
	while ((c = getopt(argc, argv, "+c:f:p:qQv")) != -1) {
		switch (c) {
		case 'c': confpath = optarg; break;
		case 'f': sender = optarg; break;
		case 'p': local = optarg; break;
		case 'q': flush = 1; break;
		case 'Q': die_set_qmail(1); break;
		case 'v': die_set_verbose(1); break;
		default: usage();
		}
	}
	if (optind != argc || (flush && local != NULL))
		usage();
	sender = req_start(&conf, confpath, sender);
	if (flush)
		queue_run(&conf);

	public_mode = local != NULL;
	if (public_mode && strcasecmp(local, "remailer") != 0 &&
	    strcasecmp(local, "remailer-key") != 0)
		die_perm(EX_NOUSER_, "5.1.1", "no such user here");
	if (public_mode && strcasecmp(local, "remailer") == 0 &&
	    !conf.remail_public)
		die_perm(EX_NOUSER_, "5.1.1", "no public remailer here");

	req_read_stdin(&conf, &in);
	memset(&m, 0, sizeof(m));
	if (public_mode) {
		lim.max_size = conf.max_message_size;
		lim.max_header_lines = conf.max_header_lines;
		lim.max_line_length = conf.max_line_length;
		if (msg_parse(&m, in.s ? in.s : "", in.len, &lim) != MSG_OK)
			die_perm(EX_DATAERR_, "5.6.0",
			    "message header too large (line or field limit)");
		if (strcasecmp(local, "remailer-key") == 0) {
			if (rm_key_reply(&conf, sender, &m, util_now()) < 0)
				die_temp("remailer-key: answer not sent");
			die_ok();
		}
		body = m.body;
		blen = m.bodylen;
	} else {
		/* Input headers (if any) are dropped: only the body counts. */
		rm_find_body(in.s ? in.s : "", in.len, &off);
		body = (in.s ? in.s : "") + off;
		blen = in.len - off;
	}

	rm_init(&run, &conf, public_mode, util_now());
	/* nymserv says whose mail this is, so that a wipe can find it. */
	if (!public_mode)
		run.tag = spool_tag_env();
	rc = rm_process(&run, body, blen);
	if (rc == RM_TEMP)
		die_temp("temporary failure while processing a message");
	if (rc == RM_PERM)
		die_perm(run.code, run.status, "%s", run.why);
	if (rm_commit(&run) < 0)
		die_temp("hand-off failed (sendmail or spool)");
	log_info("remailed: %zu message(s), %zu blocked recipient(s) dropped",
	    run.nout, run.blk.dropped);
	rm_free(&run);
	msg_free(&m);
	buf_wipe(&in);
	conf_free(&conf);
	die_ok();
}
