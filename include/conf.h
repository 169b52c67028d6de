/* conf.h - nymserv.conf: "key = value" lines shared by every program. */
#ifndef NYM_CONF_H
#define NYM_CONF_H

#include <stddef.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc/nymserv"
#endif
#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/lib/nymserv"
#endif

#define CONF_DEFAULT_PATH SYSCONFDIR "/nymserv.conf"
#ifndef GPG_PATH
#define GPG_PATH "/usr/bin/gpg"	/* gnupg on Debian; make CPPFLAGS=-DGPG_PATH=... */
#endif

struct conf {
	char *path;			/* the file it was read from */
	char *hostname;			/* the nym domain, e.g. nym.example.org */
	char *statedir;			/* LMDB environment, gnupg/, spool/ */
	char *gnupghome;		/* default: statedir/gnupg */
	char *gpg;			/* the gpg program gpgme runs */
	char *pubdir;			/* the public view (default statedir/pub) */
	char **sendmail;		/* injection command as argv (NULL-ended) */
	char **remail;			/* remailer command as argv */
	char *remail_spool;		/* remail: delay queue directory */
	char *remail_gnupghome;		/* remail: Encrypt-Key GnuPG home */
	char *remail_s2k_digest;	/* Encrypt-Key S2K hash: SHA1 (classic) */
	int remail_public;		/* remail -p remailer: serve the public */
	int remail_accept_clear;	/* public input may be unencrypted */
	unsigned remail_max_latency;	/* seconds: cap on Latent-Time */
	unsigned remail_max_depth;	/* nested PGP layers peeled per input */
	unsigned remail_max_pieces;	/* messages per input (Cutmarks) */
	unsigned remail_max_recipients;	/* addresses in one Anon-To */
	char *helpfile;			/* text sent by help@ */
	char *loop_id;			/* our X-Loop value (default: hostname) */
	int list_enabled;		/* answer list@/used@ and finger list */
	int confirm;			/* reply blocks need confirmation */
	int alias_enabled;		/* the alias service */
	/* nympolicyd(8): in-memory quotas and recipient checks */
	unsigned policy_half_life;	/* seconds for a count to halve */
	unsigned policy_sender_limit;	/* decayed messages per sender */
	unsigned policy_host_limit;	/* decayed messages per client host */
	unsigned policy_max_rcpts;	/* recipients per message */
	unsigned policy_table_size;	/* senders (and hosts) tracked at most */
	int policy_dns_check;		/* sender domain must exist in DNS */
	char *policy_on_error;		/* "dunno" or "defer" */
	char *policy_dns_server;	/* IPv4[:port] instead of resolv.conf */
	unsigned policy_dns_workers;	/* resolver threads (socket mode) */
	unsigned policy_dns_timeout;	/* seconds per DNS try */
	int policy_alias_senders;	/* alias mail only from alias owners */
	char *backup_key;		/* nymctl backup encrypts to this key */
	unsigned backup_keep;		/* backups kept in a backup directory */
	size_t max_message_size;	/* bytes read from stdin */
	size_t max_header_lines;	/* physical header lines */
	size_t max_line_length;		/* bytes in one header line */
	unsigned max_recipients;	/* per send@ message */
	unsigned daily_chunks;		/* chunk limit per nym per UTC day */
	unsigned timeout;		/* seconds before exiting 75 */
	unsigned replay_days;		/* replay cache lifetime */
	unsigned future_days;		/* refuse signatures dated later */
	size_t map_size;		/* initial LMDB map size */
	size_t map_max;			/* the map grows up to this size */
	size_t max_send_size;		/* outgoing send@ message */
	char **strip_headers;		/* send@: header names to remove */
	char *mark_header;		/* send@: "Name: value" marking nym mail */
	char *alias_domain;		/* domain of aliases (default hostname) */
	int alias_keep_name;		/* keep the From display name */
	char *alias_log;		/* optional message log (off: NULL) */
	char *alias_web_url;		/* nymreg URL for confirmation links */
	unsigned alias_rate;		/* alias requests per minute, per domain */
	unsigned alias_rate_global;	/* ... and for all senders together */
	unsigned answer_limit;		/* automatic answers an hour, per address */
	char *alias_authserv_id;	/* our MTA's Authentication-Results id */
	/* where modern mail looks (issue 19) */
	char *wkd_dir;			/* Web Key Directory tree (NULL: none) */
	char *envelope_sender;		/* of mail wanting no answer ("": <>) */
	char *dkim_selector;		/* nymctl dns: the DKIM selector */
	char *dkim_record;		/* ... opendkim-genkey's SEL.txt */
	/* news: mail2news(8), remail's Anon-Post-To, pool delivery */
	char **news_peers;		/* host:port[/post] ... (none: no gateway) */
	char *news_path;		/* path identity (default hostname) */
	char *news_from;		/* From: of anonymous and pool articles */
	char *news_complaints;		/* mail-complaints-to (abuse@hostname) */
	char **news_groups;		/* [!]pattern allow/deny list (none: any) */
	unsigned news_max_groups;	/* crosspost cap */
	size_t news_max_size;		/* bytes in one article */
	unsigned news_rate;		/* anonymous articles a minute, global */
	unsigned news_timeout;		/* seconds for each NNTP wait */
	char *news_spool;		/* default statedir/news */
	char *news_pool_group;		/* pool deliveries go to this group */
	char *remail_news_to;		/* no gateway: remail mails posts here */
	/* the state store backend (issue 18) */
	char *store;			/* "lmdb" (default) or "postgresql" */
	char *store_conninfo;		/* libpq conninfo (postgresql only) */
	char *store_module;		/* the PostgreSQL backend module */
};

/*
 * Read path (CONF_DEFAULT_PATH when NULL).  On any error, returns -1 with
 * a message naming file and line in err (caller decides the exit status).
 */
int conf_load(struct conf *, const char *path, char *err, size_t errlen);
void conf_free(struct conf *);

/* Split a command value into a NULL-terminated argv (no shell quoting). */
char **conf_split_argv(const char *value);
void conf_free_argv(char **);

#endif
