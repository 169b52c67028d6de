/* conf.c - strict reader for nymserv.conf: unknown keys and bad values are errors. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "util.h"

static int finish(struct conf *, const char *, char *, size_t);

#define CONF_MAX_LINE 4096
#define CONF_MAX_LINES 10000

enum kind { K_STR, K_ARGV, K_WORDS, K_BOOL, K_SIZE, K_UINT };

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	unsigned long long min, max;
};

#define O(f) offsetof(struct conf, f)
static const struct key keys[] = {
	{ "hostname", K_STR, O(hostname), 0, 0 },
	{ "statedir", K_STR, O(statedir), 0, 0 },
	{ "gnupghome", K_STR, O(gnupghome), 0, 0 },
	{ "gpg", K_STR, O(gpg), 0, 0 },
	{ "pubdir", K_STR, O(pubdir), 0, 0 },
	{ "sendmail", K_ARGV, O(sendmail), 0, 0 },
	{ "remail", K_ARGV, O(remail), 0, 0 },
	{ "remail_spool", K_STR, O(remail_spool), 0, 0 },
	{ "remail_gnupghome", K_STR, O(remail_gnupghome), 0, 0 },
	{ "remail_s2k_digest", K_STR, O(remail_s2k_digest), 0, 0 },
	{ "remail_public", K_BOOL, O(remail_public), 0, 1 },
	{ "remail_accept_clear", K_BOOL, O(remail_accept_clear), 0, 1 },
	{ "remail_max_latency", K_UINT, O(remail_max_latency), 0, 7 * 86400 },
	{ "remail_max_depth", K_UINT, O(remail_max_depth), 1, 64 },
	{ "remail_max_pieces", K_UINT, O(remail_max_pieces), 1, 1000 },
	{ "remail_max_recipients", K_UINT, O(remail_max_recipients), 1, 100 },
	{ "helpfile", K_STR, O(helpfile), 0, 0 },
	{ "loop_id", K_STR, O(loop_id), 0, 0 },
	{ "list_enabled", K_BOOL, O(list_enabled), 0, 1 },
	{ "confirm", K_BOOL, O(confirm), 0, 1 },
	{ "alias_enabled", K_BOOL, O(alias_enabled), 0, 1 },
	{ "policy_half_life", K_UINT, O(policy_half_life), 1, 7 * 86400 },
	{ "policy_sender_limit", K_UINT, O(policy_sender_limit), 1, 1000000 },
	{ "policy_host_limit", K_UINT, O(policy_host_limit), 1, 1000000 },
	{ "policy_max_rcpts", K_UINT, O(policy_max_rcpts), 1, 10000 },
	{ "policy_table_size", K_UINT, O(policy_table_size), 16, 10000000 },
	{ "policy_dns_check", K_BOOL, O(policy_dns_check), 0, 1 },
	{ "policy_on_error", K_STR, O(policy_on_error), 0, 0 },
	{ "policy_dns_server", K_STR, O(policy_dns_server), 0, 0 },
	{ "policy_dns_workers", K_UINT, O(policy_dns_workers), 1, 64 },
	{ "policy_dns_timeout", K_UINT, O(policy_dns_timeout), 1, 60 },
	{ "policy_alias_senders", K_BOOL, O(policy_alias_senders), 0, 1 },
	{ "backup_key", K_STR, O(backup_key), 0, 0 },
	{ "backup_keep", K_UINT, O(backup_keep), 1, 10000 },
	{ "max_message_size", K_SIZE, O(max_message_size), 1024,
	    1ULL << 30 },
	{ "max_header_lines", K_SIZE, O(max_header_lines), 10, 100000 },
	{ "max_line_length", K_SIZE, O(max_line_length), 78, 1 << 20 },
	{ "max_recipients", K_UINT, O(max_recipients), 1, 10000 },
	{ "daily_chunks", K_UINT, O(daily_chunks), 1, 1000000 },
	{ "timeout", K_UINT, O(timeout), 0, 86400 },
	{ "replay_days", K_UINT, O(replay_days), 1, 365 },
	{ "future_days", K_UINT, O(future_days), 0, 365 },
	{ "map_size", K_SIZE, O(map_size), 1 << 20, 1ULL << 40 },
	{ "map_max", K_SIZE, O(map_max), 1 << 20, 1ULL << 40 },
	{ "max_send_size", K_SIZE, O(max_send_size), 1024, 1ULL << 30 },
	{ "strip_headers", K_WORDS, O(strip_headers), 0, 0 },
	{ "mark_header", K_STR, O(mark_header), 0, 0 },
	{ "alias_domain", K_STR, O(alias_domain), 0, 0 },
	{ "alias_keep_name", K_BOOL, O(alias_keep_name), 0, 1 },
	{ "alias_log", K_STR, O(alias_log), 0, 0 },
	{ "alias_web_url", K_STR, O(alias_web_url), 0, 0 },
	{ "alias_rate", K_UINT, O(alias_rate), 1, 100000 },
	{ "alias_rate_global", K_UINT, O(alias_rate_global), 1, 1000000 },
	{ "answer_limit", K_UINT, O(answer_limit), 1, 1000000 },
	{ "alias_authserv_id", K_STR, O(alias_authserv_id), 0, 0 },
	{ "wkd_dir", K_STR, O(wkd_dir), 0, 0 },
	{ "envelope_sender", K_STR, O(envelope_sender), 0, 0 },
	{ "dkim_selector", K_STR, O(dkim_selector), 0, 0 },
	{ "dkim_record", K_STR, O(dkim_record), 0, 0 },
	{ "news_peers", K_WORDS, O(news_peers), 0, 0 },
	{ "news_path", K_STR, O(news_path), 0, 0 },
	{ "news_from", K_STR, O(news_from), 0, 0 },
	{ "news_complaints", K_STR, O(news_complaints), 0, 0 },
	{ "news_groups", K_WORDS, O(news_groups), 0, 0 },
	{ "news_max_groups", K_UINT, O(news_max_groups), 1, 20 },
	{ "news_max_size", K_SIZE, O(news_max_size), 4096, 1 << 24 },
	{ "news_rate", K_UINT, O(news_rate), 1, 100000 },
	{ "news_timeout", K_UINT, O(news_timeout), 1, 3600 },
	{ "news_spool", K_STR, O(news_spool), 0, 0 },
	{ "news_pool_group", K_STR, O(news_pool_group), 0, 0 },
	{ "remail_news_to", K_STR, O(remail_news_to), 0, 0 },
	{ "store", K_STR, O(store), 0, 0 },
	{ "store_conninfo", K_STR, O(store_conninfo), 0, 0 },
	{ "store_module", K_STR, O(store_module), 0, 0 },
};
#undef O

static void
set_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->statedir = xstrdup("/var/lib/nymserv");
	c->gpg = xstrdup(GPG_PATH);
	c->sendmail = conf_split_argv("/usr/sbin/sendmail");
	c->remail = conf_split_argv(LIBEXECDIR "/remail");
	c->remail_s2k_digest = xstrdup("SHA1");
	c->remail_public = 1;
	c->remail_max_latency = 86400;
	c->remail_max_depth = 16;
	c->remail_max_pieces = 16;
	c->remail_max_recipients = 5;
	c->helpfile = xstrdup(SYSCONFDIR "/help.txt");
	c->list_enabled = 1;
	c->confirm = 1;
	c->alias_enabled = 1;
	c->policy_half_life = 3600;
	c->policy_sender_limit = 20;
	c->policy_host_limit = 100;
	c->policy_max_rcpts = 5;
	c->policy_alias_senders = 1;
	c->backup_keep = 7;
	c->policy_table_size = 100000;
	c->policy_on_error = xstrdup("dunno");
	c->policy_dns_workers = 8;
	c->policy_dns_timeout = 2;
	c->max_message_size = 10 * 1024 * 1024;
	c->max_header_lines = 1000;
	c->max_line_length = 8192;
	c->max_recipients = 20;
	c->daily_chunks = 512;
	c->timeout = 300;
	c->replay_days = 7;
	c->future_days = 1;
	c->map_size = 64 * 1024 * 1024;
	c->map_max = (size_t)4 << 30;
	c->max_send_size = 2 * 1024 * 1024;
	/* send@ passes on only its allow-list; these are further drops. */
	c->strip_headers = conf_split_argv("");
	c->alias_rate = 10;
	c->alias_rate_global = 100;
	c->answer_limit = 3;
	c->news_peers = conf_split_argv("");
	c->news_groups = conf_split_argv("");
	c->news_max_groups = 3;
	c->news_max_size = 200 * 1024;
	c->news_rate = 20;
	c->news_timeout = 30;
	c->news_pool_group = xstrdup("alt.anonymous.messages");
	c->store = xstrdup("lmdb");
	c->store_module = xstrdup(LIBEXECDIR "/nymstore-pg.so");
}

char **
conf_split_argv(const char *v)
{
	char **av;
	size_t n = 0, cap = 4;
	const char *p = v;

	av = xcalloc(cap, sizeof(*av));
	for (;;) {
		const char *q;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\t'; q++)
			;
		if (n + 2 > cap) {
			cap *= 2;
			av = xrealloc(av, cap * sizeof(*av));
		}
		av[n++] = xstrndup(p, (size_t)(q - p));
		p = q;
	}
	av[n] = NULL;
	return av;
}

void
conf_free_argv(char **av)
{
	size_t i;

	if (av == NULL)
		return;
	for (i = 0; av[i] != NULL; i++)
		free(av[i]);
	free(av);
}

/* Parse a size with an optional k/M/G suffix (powers of 1024). */
static int
parse_number(const char *v, int suffix_ok, unsigned long long *out)
{
	unsigned long long n = 0, mul = 1;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (ULLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (suffix_ok && *p != '\0' && p[1] == '\0') {
		switch (*p) {
		case 'k': case 'K': mul = 1024ULL; p++; break;
		case 'm': case 'M': mul = 1024ULL * 1024; p++; break;
		case 'g': case 'G': mul = 1024ULL * 1024 * 1024; p++; break;
		default: return -1;
		}
	}
	if (*p != '\0' || n > ULLONG_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") ||
	    !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* A hostname we are willing to put into headers and envelopes. */
static int
valid_hostname(const char *h)
{
	size_t n = strlen(h);
	const char *p;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-' || h[n - 1] == '.')
		return 0;
	for (p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	return strstr(h, "..") == NULL;
}

static int
apply(struct conf *c, const struct key *k, const char *v, const char **why)
{
	char *base = (char *)c;
	unsigned long long n;

	switch (k->kind) {
	case K_STR:
		if (*v == '\0') {
			*why = "empty value";
			return -1;
		}
		free(*(char **)(base + k->off));
		*(char **)(base + k->off) = xstrdup(v);
		return 0;
	case K_ARGV: {
		char **av = conf_split_argv(v);

		if (av[0] == NULL || av[0][0] != '/') {
			conf_free_argv(av);
			*why = "command must start with an absolute path";
			return -1;
		}
		conf_free_argv(*(char ***)(base + k->off));
		*(char ***)(base + k->off) = av;
		return 0;
	}
	case K_WORDS:
		conf_free_argv(*(char ***)(base + k->off));
		*(char ***)(base + k->off) = conf_split_argv(v);
		return 0;
	case K_BOOL:
		if (parse_bool(v, (int *)(base + k->off)) < 0) {
			*why = "expected yes or no";
			return -1;
		}
		return 0;
	case K_SIZE:
	case K_UINT:
		if (parse_number(v, k->kind == K_SIZE, &n) < 0) {
			*why = "expected a number";
			return -1;
		}
		if (n < k->min || n > k->max) {
			*why = "value out of range";
			return -1;
		}
		if (k->kind == K_SIZE)
			*(size_t *)(base + k->off) = (size_t)n;
		else
			*(unsigned *)(base + k->off) = (unsigned)n;
		return 0;
	}
	*why = "internal error";
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	char line[CONF_MAX_LINE + 2];
	unsigned lineno = 0;

	set_defaults(c);
	if (path == NULL)
		path = CONF_DEFAULT_PATH;
	c->path = xstrdup(path);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *eq, *k, *v;
		const char *why = NULL;
		size_t i, len = strlen(line);

		if (++lineno > CONF_MAX_LINES) {
			snprintf(err, errlen, "%s:%u: too many lines", path,
			    lineno);
			goto fail;
		}
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f) || len > CONF_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line too long", path,
			    lineno);
			goto fail;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errlen, "%s:%u: expected key = value",
			    path, lineno);
			goto fail;
		}
		*eq = '\0';
		k = trim(p);
		v = trim(eq + 1);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].name, k) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			snprintf(err, errlen, "%s:%u: unknown key '%.64s'", path,
			    lineno, k);
			goto fail;
		}
		if (apply(c, &keys[i], v, &why) < 0) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno, k,
			    why);
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	return finish(c, path, err, errlen);
fail:
	fclose(f);
	return -1;
}

/* The alias service's keys (alias_domain, alias_log, alias_web_url). */
static int
finish_alias(struct conf *c, const char *path, char *err, size_t errlen)
{
	const char *u = c->alias_web_url;
	const char *p;

	if (c->alias_domain != NULL && !valid_hostname(c->alias_domain)) {
		snprintf(err, errlen, "%s: alias_domain: not a valid domain",
		    path);
		return -1;
	}
	if (c->alias_domain != NULL)
		util_lower(c->alias_domain);
	if (c->alias_log != NULL && c->alias_log[0] != '/') {
		snprintf(err, errlen, "%s: alias_log: must be an absolute path",
		    path);
		return -1;
	}
	if (u == NULL)
		return 0;
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 ||
		    *p == '"' || *p == '<' || *p == '>' || *p == '?' ||
		    *p == '#' || *p == '&')
			break;
	if (*p != '\0' || strlen(u) > 400 || (strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://", 7) != 0)) {
		snprintf(err, errlen, "%s: alias_web_url: expected an http(s) "
		    "URL without query", path);
		return -1;
	}
	return 0;
}

/*
 * Where modern mail looks: the WKD tree, the envelope sender of mail
 * that wants no answer (in the nym domain, so SPF and DMARC align; its
 * bounces reach nobody@, which discards them), the DKIM record.
 */
static int
finish_mail(struct conf *c, const char *path, char *err, size_t errlen)
{
	const char *e = c->envelope_sender, *at;

	if ((c->wkd_dir != NULL && c->wkd_dir[0] != '/') ||
	    (c->dkim_record != NULL && c->dkim_record[0] != '/')) {
		snprintf(err, errlen, "%s: wkd_dir, dkim_record: must be "
		    "absolute paths", path);
		return -1;
	}
	if (c->dkim_selector == NULL)
		c->dkim_selector = xstrdup("nym");
	else if (!valid_hostname(c->dkim_selector)) {
		snprintf(err, errlen, "%s: dkim_selector: not a DNS label",
		    path);
		return -1;
	}
	if (e == NULL) {
		struct buf b = BUF_INIT;

		buf_addf(&b, "nobody@%s", c->hostname);
		c->envelope_sender = buf_steal(&b);
		return 0;
	}
	if (strcmp(e, "<>") == 0) {
		c->envelope_sender[0] = '\0';
		return 0;
	}
	if ((at = strrchr(e, '@')) == NULL || at == e ||
	    !valid_hostname(at + 1) || strspn(e, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+=@") != strlen(e)) {
		snprintf(err, errlen, "%s: envelope_sender: expected "
		    "local@domain or <>", path);
		return -1;
	}
	return 0;
}

/* One line of printable ASCII without quotes: safe in a header. */
static int
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s >= 127 ||
		    *s == '"')
			return 0;
	return 1;
}

/* The news keys: peers host:port[/post], and the header values. */
static int
finish_news(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct buf tmp = BUF_INIT;
	size_t i;

	for (i = 0; c->news_peers[i] != NULL; i++) {
		const char *w = c->news_peers[i], *colon = strrchr(w, ':');
		const char *slash = strchr(w, '/');
		size_t pl;

		if (slash != NULL && strcmp(slash, "/post") != 0)
			colon = NULL;
		pl = colon == NULL ? 0 : (size_t)((slash ? slash : w +
		    strlen(w)) - colon - 1);
		if (colon == NULL || colon == w || pl == 0 || pl > 5 ||
		    strspn(colon + 1, "0123456789") != pl) {
			snprintf(err, errlen, "%s: news_peers: expected "
			    "host:port or host:port/post, not '%.64s'", path,
			    w);
			return -1;
		}
	}
	if (c->news_path == NULL)
		c->news_path = xstrdup(c->hostname);
	if (c->news_from == NULL) {
		buf_addf(&tmp, "Anonymous <nobody@%s>", c->hostname);
		c->news_from = buf_steal(&tmp);
	}
	if (c->news_complaints == NULL) {
		buf_addf(&tmp, "abuse@%s", c->hostname);
		c->news_complaints = buf_steal(&tmp);
	}
	if (c->news_spool == NULL) {
		buf_addf(&tmp, "%s/news", c->statedir);
		c->news_spool = buf_steal(&tmp);
	}
	if (!valid_hostname(c->news_path) || !header_safe(c->news_from) ||
	    strchr(c->news_from, '@') == NULL ||
	    !header_safe(c->news_complaints) ||
	    strchr(c->news_complaints, '@') == NULL ||
	    strchr(c->news_pool_group, ',') != NULL ||
	    !header_safe(c->news_pool_group) || c->news_spool[0] != '/' ||
	    (c->remail_news_to != NULL &&
	    (!header_safe(c->remail_news_to) ||
	    strchr(c->remail_news_to, '@') == NULL ||
	    strchr(c->remail_news_to, ' ') != NULL))) {
		snprintf(err, errlen, "%s: news_path, news_from, "
		    "news_complaints, news_pool_group, news_spool or "
		    "remail_news_to: unusable value", path);
		return -1;
	}
	return 0;
}

/* Checks that need the whole file, and derived defaults. */
static int
finish(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct buf tmp = BUF_INIT;

	if (c->hostname == NULL) {
		snprintf(err, errlen, "%s: hostname is not set", path);
		return -1;
	}
	if (!valid_hostname(c->hostname)) {
		snprintf(err, errlen, "%s: hostname: not a valid domain", path);
		return -1;
	}
	util_lower(c->hostname);
	if (strcmp(c->policy_on_error, "dunno") != 0 &&
	    strcmp(c->policy_on_error, "defer") != 0) {
		snprintf(err, errlen, "%s: policy_on_error: expected dunno or "
		    "defer", path);
		return -1;
	}
	if (strcasecmp(c->remail_s2k_digest, "SHA1") != 0 &&
	    strcasecmp(c->remail_s2k_digest, "SHA256") != 0 &&
	    strcasecmp(c->remail_s2k_digest, "SHA512") != 0) {
		snprintf(err, errlen, "%s: remail_s2k_digest: expected SHA1 "
		    "(classic readers), SHA256 or SHA512", path);
		return -1;
	}
	if (c->statedir[0] != '/') {
		snprintf(err, errlen, "%s: statedir: must be an absolute path",
		    path);
		return -1;
	}
	if (strcmp(c->store, "lmdb") != 0 &&
	    strcmp(c->store, "postgresql") != 0) {
		snprintf(err, errlen, "%s: store: expected lmdb or postgresql",
		    path);
		return -1;
	}
	if (strcmp(c->store, "postgresql") == 0 && c->store_conninfo == NULL) {
		snprintf(err, errlen, "%s: store_conninfo: required with "
		    "store = postgresql", path);
		return -1;
	}
	if (c->store_module[0] != '/') {
		snprintf(err, errlen, "%s: store_module: must be an absolute "
		    "path", path);
		return -1;
	}
	if (c->map_max < c->map_size) {
		snprintf(err, errlen, "%s: map_max: below map_size", path);
		return -1;
	}
	if (c->gpg[0] != '/') {
		snprintf(err, errlen, "%s: gpg: must be an absolute path", path);
		return -1;
	}
	if (c->gnupghome == NULL) {
		buf_addf(&tmp, "%s/gnupg", c->statedir);
		c->gnupghome = buf_steal(&tmp);
	}
	if (c->pubdir == NULL) {
		buf_addf(&tmp, "%s/pub", c->statedir);
		c->pubdir = buf_steal(&tmp);
	} else if (c->pubdir[0] != '/') {
		snprintf(err, errlen, "%s: pubdir: must be an absolute path",
		    path);
		return -1;
	}
	if (c->alias_authserv_id == NULL)
		c->alias_authserv_id = xstrdup(c->hostname);
	if (c->remail_spool == NULL) {
		buf_addf(&tmp, "%s/spool", c->statedir);
		c->remail_spool = buf_steal(&tmp);
	}
	if (c->remail_gnupghome == NULL) {
		buf_addf(&tmp, "%s/remail-gnupg", c->statedir);
		c->remail_gnupghome = buf_steal(&tmp);
	}
	if (c->loop_id == NULL)
		c->loop_id = xstrdup(c->hostname);
	if (c->mark_header == NULL) {
		buf_addf(&tmp, "X-Nym-Server: %s (the sender is pseudonymous)",
		    c->hostname);
		c->mark_header = buf_steal(&tmp);
	} else if (strchr(c->mark_header, ':') == NULL ||
	    strchr(c->mark_header, ':') == c->mark_header) {
		snprintf(err, errlen, "%s: mark_header: expected Name: value",
		    path);
		return -1;
	}
	if (finish_mail(c, path, err, errlen) < 0 ||
	    finish_news(c, path, err, errlen) < 0)
		return -1;
	return finish_alias(c, path, err, errlen);
}

void
conf_free(struct conf *c)
{
	free(c->path);
	free(c->hostname);
	free(c->statedir);
	free(c->remail_spool);
	free(c->remail_gnupghome);
	free(c->remail_s2k_digest);
	free(c->gnupghome);
	free(c->gpg);
	free(c->pubdir);
	free(c->alias_authserv_id);
	conf_free_argv(c->sendmail);
	conf_free_argv(c->remail);
	conf_free_argv(c->strip_headers);
	free(c->mark_header);
	free(c->helpfile);
	free(c->loop_id);
	free(c->alias_domain);
	free(c->alias_log);
	free(c->alias_web_url);
	free(c->policy_on_error);
	free(c->policy_dns_server);
	free(c->wkd_dir);
	free(c->envelope_sender);
	free(c->dkim_selector);
	free(c->dkim_record);
	free(c->backup_key);
	conf_free_argv(c->news_peers);
	free(c->news_path);
	free(c->news_from);
	free(c->news_complaints);
	conf_free_argv(c->news_groups);
	free(c->news_spool);
	free(c->news_pool_group);
	free(c->remail_news_to);
	free(c->store);
	free(c->store_conninfo);
	free(c->store_module);
	memset(c, 0, sizeof(*c));
}
