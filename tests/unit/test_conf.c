/* test_conf.c - configuration: defaults, errors naming file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "t.h"

static char path[] = "/tmp/nymconfXXXXXX";

static int
load(const char *text, struct conf *c, char *err, size_t n)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return conf_load(c, path, err, n);
}

int
main(void)
{
	struct conf c;
	char err[512];
	int fd = mkstemp(path);

	close(fd);
	T(load("hostname = Nym.Example.ORG\n# comment\n\nstatedir=/tmp/s\n"
	    "sendmail = /usr/sbin/sendmail -C /tmp/pf\nmax_message_size = 2M\n"
	    "list_enabled = no\n", &c, err, sizeof(err)) == 0,
	    "valid file loads");
	T_STR(c.hostname, "nym.example.org", "hostname lowercased");
	T_STR(c.gnupghome, "/tmp/s/gnupg", "gnupghome derived from statedir");
	T_STR(c.gpg, GPG_PATH, "gpg defaults to the build's GPG_PATH");
	T(c.map_size == 64 << 20 && c.map_max == (size_t)4 << 30,
	    "map defaults: 64 MiB, growing up to 4 GiB");
	T(c.sendmail[0] && c.sendmail[1] && c.sendmail[2] && !c.sendmail[3] &&
	    strcmp(c.sendmail[2], "/tmp/pf") == 0, "sendmail split into argv");
	T(c.max_message_size == 2 * 1024 * 1024, "size suffix");
	T(c.list_enabled == 0 && c.confirm == 1, "bool and default");
	T(c.daily_chunks == 512 && c.max_recipients == 20,
	    "limit defaults");
	T(c.policy_max_rcpts == 5 && c.policy_dns_check == 0 &&
	    strcmp(c.policy_on_error, "dunno") == 0 &&
	    c.policy_half_life == 3600, "policy defaults");
	conf_free(&c);

	T(load("hostname = h.example\npolicy_sender_limit = 3\n"
	    "policy_half_life = 2\npolicy_on_error = defer\n"
	    "policy_dns_check = yes\n", &c, err, sizeof(err)) == 0 &&
	    c.policy_sender_limit == 3 && c.policy_half_life == 2 &&
	    strcmp(c.policy_on_error, "defer") == 0 && c.policy_dns_check,
	    "policy keys load");
	conf_free(&c);
	T(load("hostname = h.example\npolicy_on_error = reject\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "policy_on_error"),
	    "policy_on_error other than dunno/defer refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\npolicy_half_life = 0\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "out of range"),
	    "zero half-life refused: %s", err);
	conf_free(&c);

	/* News: off by default, derived values, peers checked. */
	T(load("hostname = h.example\nstatedir = /tmp/s\n", &c, err,
	    sizeof(err)) == 0 && c.news_peers[0] == NULL &&
	    strcmp(c.news_path, "h.example") == 0 &&
	    strcmp(c.news_from, "Anonymous <nobody@h.example>") == 0 &&
	    strcmp(c.news_complaints, "abuse@h.example") == 0 &&
	    strcmp(c.news_spool, "/tmp/s/news") == 0 &&
	    strcmp(c.news_pool_group, "alt.anonymous.messages") == 0 &&
	    c.news_max_groups == 3 && c.news_max_size == 200 * 1024 &&
	    c.news_rate == 20 && c.remail_news_to == NULL,
	    "news defaults: no peer (gateway off), values from hostname");
	conf_free(&c);
	T(load("hostname = h.example\nnews_peers = 127.0.0.1:119 "
	    "news.example.net:563/post [::1]:119\nnews_groups = alt.* "
	    "!alt.binaries.*\n", &c, err, sizeof(err)) == 0 &&
	    c.news_peers[2] != NULL && c.news_peers[3] == NULL &&
	    strcmp(c.news_groups[1], "!alt.binaries.*") == 0,
	    "news_peers host:port, host:port/post, [v6]:port; news_groups");
	conf_free(&c);
	{
		static const char *const bad[] = {
			"news_peers = news.example.net", "news_peers = :119",
			"news_peers = h:119/ihave", "news_peers = h:abc",
			"news_peers = h:1234567", "news_from = \"A\" <a@b>",
			"news_complaints = nobody", "news_path = bad_path!",
			"news_pool_group = a.b,c.d", "remail_news_to = x y@z",
			"news_max_groups = 0",
		};
		size_t i;
		struct buf t = BUF_INIT;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			buf_reset(&t);
			buf_addf(&t, "hostname = h.example\n%s\n", bad[i]);
			T(load(t.s, &c, err, sizeof(err)) < 0,
			    "refused: %s (%s)", bad[i], err);
			conf_free(&c);
		}
		buf_free(&t);
	}

	T(load("hostname = h.example\nfrobnicate = 1\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, ":2: unknown key 'frobnicate'") &&
	    strstr(err, path), "unknown key names file and line: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\nmax_recipients = lots\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, ":2: max_recipients"),
	    "bad number names the line: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\nmax_recipients = 0\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "out of range"),
	    "out of range refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\nsendmail = sendmail\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "absolute"),
	    "relative command refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\ngpg = /opt/wrap/gpg\n", &c, err,
	    sizeof(err)) == 0 && strcmp(c.gpg, "/opt/wrap/gpg") == 0,
	    "gpg names the program gpgme runs");
	conf_free(&c);
	T(load("hostname = h.example\nmap_size = 8M\nmap_max = 4M\n", &c,
	    err, sizeof(err)) < 0 && strstr(err, "map_max: below map_size"),
	    "map_max below map_size refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\n", &c, err, sizeof(err)) == 0 &&
	    strcmp(c.store, "lmdb") == 0 && c.store_conninfo == NULL &&
	    strstr(c.store_module, "/nymstore-pg.so") != NULL,
	    "store: lmdb by default");
	conf_free(&c);
	T(load("hostname = h.example\nstore = postgresql\nstore_conninfo = "
	    "host=/run/postgresql port=6432 dbname=nym\n", &c, err,
	    sizeof(err)) == 0 && strcmp(c.store, "postgresql") == 0 &&
	    strcmp(c.store_conninfo, "host=/run/postgresql port=6432 "
	    "dbname=nym") == 0, "store = postgresql with a conninfo");
	conf_free(&c);
	T(load("hostname = h.example\nstore = postgresql\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "store_conninfo: required"),
	    "postgresql without store_conninfo refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\nstore = mysql\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "store: expected"),
	    "an unknown store refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\nstore_module = pg.so\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "store_module: must be"),
	    "a relative store_module refused: %s", err);
	conf_free(&c);
	T(load("hostname = h.example\ngpg = gpg\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "gpg: must be an absolute path"),
	    "relative gpg refused: %s", err);
	conf_free(&c);
	T(load("statedir = /x\n", &c, err, sizeof(err)) < 0 &&
	    strstr(err, "hostname is not set"), "hostname required: %s", err);
	conf_free(&c);
	T(load("hostname = bad_host!\n", &c, err, sizeof(err)) < 0,
	    "bad hostname refused: %s", err);
	conf_free(&c);
	T(load("hostname\n", &c, err, sizeof(err)) < 0 &&
	    strstr(err, ":1: expected key = value"), "missing '=': %s", err);
	conf_free(&c);
	T(load("hostname = h.example\nconfirm = maybe\n", &c, err,
	    sizeof(err)) < 0 && strstr(err, "yes or no"), "bad bool: %s", err);
	conf_free(&c);
	unlink(path);
	T(conf_load(&c, path, err, sizeof(err)) < 0 && strstr(err, path),
	    "missing file names the file: %s", err);
	conf_free(&c);
	T_END();
}
