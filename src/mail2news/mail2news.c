/* mail2news.c - the mail-to-news gateway: run by the MTA for mail2news@, and its queue runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "article.h"
#include "buf.h"
#include "conf.h"
#include "die.h"
#include "msg.h"
#include "news.h"
#include "req.h"
#include "store.h"
#include "util.h"

static void
usage(void)
{
	die_usage(EX_TEMPFAIL_, "usage: mail2news [-Qv] [-c conf] [-f sender] "
	    "< message\n       mail2news [-v] [-c conf] -q | -P");
}

/* -q: post what waits in the spool; -P: the pool too. */
static void __attribute__((noreturn))
queue_run(const struct conf *c, int pool)
{
	struct news_counts k;

	if (news_flush(c, util_now(), pool, &k) < 0)
		die_temp("news spool %s: %s", c->news_spool, strerror(errno));
	log_info("news run: %zu posted, %zu left, %zu refused by every peer",
	    k.sent, k.kept, k.refused);
	if (k.kept > 0)
		die_temp("%zu articles wait for a news peer", k.kept);
	die_ok();
}

/* One mail to mail2news@: an anonymous article, queued, then offered. */
static void __attribute__((noreturn))
gateway(const struct conf *c)
{
	struct buf in = BUF_INIT, path = BUF_INIT;
	struct msg_limits lim;
	struct article_rules rules;
	struct article a;
	struct store *st;
	struct msg m;
	char err[512], why[160];
	time_t now = util_now();
	int rc;

	if (!news_enabled(c))
		die_perm(EX_NOUSER_, "5.1.1", "no news gateway here");
	req_read_stdin(c, &in);
	lim.max_size = c->max_message_size;
	lim.max_header_lines = c->max_header_lines;
	lim.max_line_length = c->max_line_length;
	if (msg_parse(&m, in.s ? in.s : "", in.len, &lim) != MSG_OK)
		die_perm(EX_DATAERR_, "5.6.0",
		    "message header too large (line or field limit)");
	buf_wipe(&in);
	/* The refusals first: they cost no budget. */
	article_init(&a);
	news_rules(c, &rules);
	if (article_build(&rules, &(struct article_in){ .kind = ART_ANON,
	    .m = &m }, &a) < 0)
		die_perm_log(a.code, a.status, a.logwhy, "%s", a.why);
	msg_free(&m);
	if (store_open(&st, c->statedir, c->map_size, 0, err, sizeof(err)) !=
	    STORE_OK)
		die_temp("state: %s", err);
	rc = news_budget(st, now, c->news_rate);
	store_close(st);
	if (rc == 1)
		die_temp("news gateway busy (over %u articles a minute): "
		    "try later", c->news_rate);
	if (rc < 0)
		die_temp("cannot update the state");
	if (news_spool_put(c, now, &a.text, &path) < 0)
		die_temp("news spool %s: %s", c->news_spool, strerror(errno));
	/*
	 * Queued: the article is safe.  From here a time limit would make
	 * the MTA deliver it again, as a second article; every wait on a
	 * peer has its own news_timeout instead.
	 */
	alarm(0);
	rc = news_send_file(c, path.s, now, why, sizeof(why));
	article_free(&a);
	buf_free(&path);
	/* The peers' texts may name the groups: the sender reads them, the
	 * log has the code only (news.c logged it). */
	if (rc == NEWS_REFUSED)
		die_perm_log(EX_UNAVAIL_, "5.3.0", "every news server refused "
		    "the article", "every news server refused the article: %s",
		    why);
	log_info("mail2news: article %s", rc == NEWS_SENT ? "posted" :
	    "queued (no news peer took it yet)");
	die_ok();
}

int
main(int argc, char **argv)
{
	struct conf conf;
	const char *confpath = NULL, *sender = NULL;
	int c, flush = 0, pool = 0;

	util_sane_fds();
	umask(077);
	die_init("mail2news");
	while ((c = getopt(argc, argv, "+c:f:PqQv")) != -1) {
		switch (c) {
		case 'c': confpath = optarg; break;
		case 'f': sender = optarg; break;
		case 'P': flush = pool = 1; break;
		case 'q': flush = 1; break;
		case 'Q': die_set_qmail(1); break;
		case 'v': die_set_verbose(1); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	(void)req_start(&conf, confpath, sender);
	if (flush)
		queue_run(&conf, pool);
	gateway(&conf);
}
