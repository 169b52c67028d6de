/* nymctl.c - operator tool: state and keys, listing, maintenance, backups. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "alias.h"
#include "backup.h"
#include "buf.h"
#include "conf.h"
#include "die.h"
#include "dnsrec.h"
#include "dstblk.h"
#include "expire.h"
#include "names.h"
#include "outbound.h"
#include "pubwrite.h"
#include "pubview.h"
#include "nym.h"
#include "gpg.h"
#include "gpgkey.h"
#include "stamp.h"
#include "store.h"
#include "ctlstore.h"
#include "t1crypt.h"
#include "util.h"
#include "wipe.h"
#include "wkd.h"

/* Exit statuses of nymctl (see nymctl(8)). */
#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2
#define CTL_PROBLEMS 3		/* check found problems */
#define CTL_NONYM 4		/* no such nym */

static struct conf conf;

static void __attribute__((noreturn))
usage(void)
{
	die_usage(CTL_USAGE,
	    "usage: nymctl [-c conf] command [args]\n"
	    "commands:\n"
	    "  init [-t rsa|ed25519]   create the state directory and server keys\n"
	    "  export-keys             print the server's public keys, armored\n"
	    "  list                    names, state, switches, dates\n"
	    "  stats                   counts by state, today's chunk total\n"
	    "  wipe NAME               delete a nym and everything about it\n"
	    "  disable NAME            stop a nym (mail to it bounces)\n"
	    "  enable NAME             undo disable and the daily-limit stop\n"
	    "  block ADDRESS           nym mail no longer goes to ADDRESS\n"
	    "  unblock ADDRESS         lift such a block\n"
	    "  expire [-n] [-t EPOCH]  warn/wipe idle nyms, drop stale state\n"
	    "                          (-n: dry run, counts only; -t: the time)\n"
	    "  queue-run               run the configured remail with -q\n"
	    "  backup [-p] FILE|DIR    state and GnuPG home, encrypted to\n"
	    "                          backup_key, into FILE (- stdout) or a\n"
	    "                          dated file in DIR (-p: in clear)\n"
	    "  restore [-f] FILE       put a backup in place (-f: replace a state)\n"
	    "  migrate [-f] FROM TO    copy the state: lmdb:STATEDIR or\n"
	    "                          postgresql:CONNINFO (-f: replace TO's)\n"
	    "  check                   verify the state, repair the public view\n"
	    "  dns                     the DNS records this configuration needs\n"
	    "  scrub                   make deleted records unreadable on disk");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("nymctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CTL_FAIL);
}

static struct store *
open_store(int create)
{
	struct store *st;
	char err[512];

	if (store_open(&st, conf.statedir, conf.map_size, create, err,
	    sizeof(err)) != STORE_OK)
		fail("%s", err);
	return st;
}

static void
make_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno == EACCES)
		fail("mkdir %s: %s (the state's parent is root's: as root, "
		    "install -d -o nymserv -g nympub -m 2710 %s; the Debian "
		    "package does this)", path, strerror(errno), path);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		fail("mkdir %s: %s", path, strerror(errno));
	if (chmod(path, 0700) < 0)
		fail("chmod %s: %s", path, strerror(errno));
}

/*
 * The state directory: 0710 when the public view lies inside it, so
 * the view's group may pass through (to pub/ only: db/, gnupg/, spool/
 * and tmp/ are 0700); a set-group-ID bit the operator set is kept, so
 * pub/ gets the directory's group.
 */
static void
make_statedir(void)
{
	size_t n = strlen(conf.statedir);
	struct stat sb;
	mode_t mode = 0700;

	if (strncmp(conf.pubdir, conf.statedir, n) == 0 &&
	    conf.pubdir[n] == '/')
		mode = 0710;
	/*
	 * An existing directory is left alone when its permissions are
	 * right: a chmod by its owner, who is not in its group (nympub),
	 * would clear the set-group-ID bit root gave it.
	 */
	if (stat(conf.statedir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if ((sb.st_mode & 0777) != mode && chmod(conf.statedir,
		    mode | (sb.st_mode & S_ISGID)) < 0)
			fail("chmod %s: %s", conf.statedir, strerror(errno));
		return;
	}
	make_dir(conf.statedir);
	if (chmod(conf.statedir, mode) < 0)
		fail("chmod %s: %s", conf.statedir, strerror(errno));
}

/*
 * The public view: the server's public keys (exported here, by the
 * state's owner, so that nymfingerd never runs gpg in the secret home)
 * and every name's entry.  *changed counts files written or removed.
 */
static int
publish(struct store *st, size_t *changed)
{
	static const char *const meta[] = { "serverkey", "remailerkey" };
	static const char *const file[] = { PUBVIEW_SERVERKEY,
	    PUBVIEW_REMAILERKEY };
	struct buf fpr = BUF_INIT, key = BUF_INIT;
	size_t i;

	int rc = 0;

	if (pubview_rebuild(&conf, st, changed) < 0) {
		fprintf(stderr, "nymctl: cannot write the public view in %s\n",
		    conf.pubdir);
		return -1;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		buf_reset(&key);
		if (store_get(st, DB_META, meta[i], &fpr) != STORE_OK ||
		    gpg_export(conf.gnupghome, fpr.s, &key) < 0 ||
		    pubview_put(&conf, file[i], key.s, key.len) < 0) {
			fprintf(stderr, "nymctl: public view: cannot publish "
			    "%s\n", meta[i]);
			rc = -1;
		}
	}
	buf_free(&fpr);
	buf_free(&key);
	return rc;
}

/* Run the scrub (wipe.h) and say what it did; 0, or -1 if it failed. */
static int
scrub(int force, int quiet)
{
	struct wipe_counts n;
	int rc = wipe_scrub(&conf, force, 30, &n);

	if (rc == 1) {
		fprintf(stderr, "nymctl: scrub: the state stayed in use; it "
		    "stays due\n");
		return 0;
	}
	if (rc < 0)
		return -1;
	if (!quiet || n.scrubbed)
		printf("scrub: %s; %zu orphan records, %zu queued messages, "
		    "%zu temporary files removed; %zu public view files "
		    "updated\n", !n.scrubbed ? "nothing due" :
		    strcmp(store_backend(), "lmdb") == 0 ? "state compacted "
		    "and the old file overwritten" : "table rewritten "
		    "(VACUUM FULL)", n.records, n.spool, n.tmp, n.view);
	return 0;
}

/* Make one server key unless META already names it. */
static void
ensure_key(struct store *st, const char *metakey, enum gpg_keytype type,
    const char *const *uids)
{
	struct buf fpr = BUF_INIT;
	char err[512];
	int rc = store_get(st, DB_META, metakey, &fpr);

	if (rc == STORE_OK) {
		printf("%s: %s (exists)\n", metakey, fpr.s);
		buf_free(&fpr);
		return;
	}
	if (rc != STORE_NOTFOUND)
		fail("cannot read state");
	if (gpg_make_key(conf.gnupghome, type, uids, &fpr, err,
	    sizeof(err)) < 0)
		fail("%s", err);
	if (store_put(st, DB_META, metakey, fpr.s, fpr.len) != STORE_OK)
		fail("cannot record %s", metakey);
	printf("%s: %s\n", metakey, fpr.s);
	buf_free(&fpr);
}

/*
 * The server key becomes gpg's default-key in its home, so signing needs
 * no key listing first (gpg.c).  Appended once, to a gpg.conf nymctl
 * wrote or the operator keeps.
 */
static void
set_default_key(struct store *st, const char *gpgconf)
{
	struct buf fpr = BUF_INIT, cur = BUF_INIT, line = BUF_INIT;

	if (store_get(st, DB_META, "serverkey", &fpr) != STORE_OK)
		fail("cannot read serverkey");
	if (util_read_file(gpgconf, 65536, &cur) < 0)
		fail("%s: %s", gpgconf, strerror(errno));
	if (cur.s == NULL || strstr(cur.s, "\ndefault-key ") == NULL) {
		buf_add(&line, cur.s, cur.len);
		if (line.len > 0 && line.s[line.len - 1] != '\n')
			buf_addc(&line, '\n');
		buf_addf(&line, "default-key %s\n", fpr.s);
		if (util_write_file(gpgconf, line.s, line.len, 0600) < 0)
			fail("%s: %s", gpgconf, strerror(errno));
	}
	buf_free(&fpr);
	buf_free(&cur);
	buf_free(&line);
}

/*
 * Key generation started a gpg-agent for home; nothing of init needs it
 * afterwards, and an agent left behind outlives the operator's session
 * (and a package purge).  nymserv starts its own when it needs one.
 */
static void
stop_agent(const char *home)
{
	char *av[] = { (char *)"/usr/bin/gpgconf", (char *)"--homedir", (char *)home,
	    (char *)"--kill", (char *)"all", NULL };
	struct buf out = BUF_INIT;

	if (run_capture(av, NULL, 0, &out, 4096) != 0)
		log_warn("gpgconf --kill all failed for the server's home");
	buf_free(&out);
}

static int
cmd_init(int argc, char **argv)
{
	enum gpg_keytype type = GPG_RSA3072;
	struct buf u1 = BUF_INIT, u2 = BUF_INIT, u3 = BUF_INIT,
	    path = BUF_INIT;
	struct store *st;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "+t:")) != -1) {
		if (c == 't' && strcmp(optarg, "rsa") == 0)
			type = GPG_RSA3072;
		else if (c == 't' && strcmp(optarg, "ed25519") == 0)
			type = GPG_ED25519;
		else
			usage();
	}
	make_statedir();
	make_dir(conf.gnupghome);
	buf_addf(&path, "%s/gpg.conf", conf.gnupghome);
	if (access(path.s, F_OK) < 0) {
		static const char gc[] = "# written by nymctl init\n"
		    "no-greeting\nno-permission-warning\n"
		    "trust-model always\nno-auto-key-retrieve\n";

		if (util_write_file(path.s, gc, sizeof(gc) - 1, 0600) < 0)
			fail("%s: %s", path.s, strerror(errno));
	}
	st = open_store(1);
	/*
	 * Directories made inside a set-group-ID state directory inherit
	 * the bit and the view's group: the private ones lose the bit
	 * (their mode has no group permission either way).
	 */
	{
		struct buf db = BUF_INIT;

		buf_addf(&db, "%s/db", conf.statedir);
		if (access(db.s, F_OK) == 0)
			make_dir(db.s);
		buf_free(&db);
	}
	buf_addf(&u1, "nym server <config@%s>", conf.hostname);
	buf_addf(&u2, "nym server <send@%s>", conf.hostname);
	buf_addf(&u3, "remailer <remailer@%s>", conf.hostname);
	{
		const char *srv[] = { u1.s, u2.s, NULL };
		const char *rem[] = { u3.s, NULL };

		ensure_key(st, "serverkey", type, srv);
		ensure_key(st, "remailerkey", type, rem);
	}
	set_default_key(st, path.s);
	/* What the remailer needs, made now rather than at first use. */
	make_dir(conf.remail_spool);
	if (t1c_symhome(conf.remail_gnupghome, conf.remail_s2k_digest) < 0)
		fail("%s: %s", conf.remail_gnupghome, strerror(errno));
	make_dir(conf.remail_gnupghome);
	printf("remailer spool: %s\nEncrypt-Key home: %s\n",
	    conf.remail_spool, conf.remail_gnupghome);
	{
		size_t changed;

		if (publish(st, &changed) < 0)
			fail("public view %s not written", conf.pubdir);
		printf("public view: %s\n", conf.pubdir);
	}
	store_close(st);
	stop_agent(conf.gnupghome);
	buf_free(&u1);
	buf_free(&u2);
	buf_free(&u3);
	buf_free(&path);
	return CTL_OK;
}

static int
cmd_export_keys(void)
{
	struct store *st = open_store(0);
	struct buf fpr = BUF_INIT, out = BUF_INIT;
	const char *which[] = { "serverkey", "remailerkey" };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (store_get(st, DB_META, which[i], &fpr) != STORE_OK)
			fail("no %s (run nymctl init)", which[i]);
		if (gpg_export(conf.gnupghome, fpr.s, &out) < 0)
			fail("cannot export %s", which[i]);
	}
	fwrite(out.s, 1, out.len, stdout);
	store_close(st);
	buf_free(&fpr);
	buf_free(&out);
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAIL;
}

static void
day(struct buf *b, long t)
{
	char s[16];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0) {
		buf_adds(b, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d", &tm);
	buf_adds(b, s);
}

static int
list_cb(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
	struct buf *out = arg;
	struct nym y;

	if (nym_decode(v, vl, &y) < 0) {
		buf_addf(out, "%.*s corrupt\n", (int)kl, (const char *)k);
		return 0;
	}
	buf_addf(out, "%s %s%s flags=%#x blocks=%zu created=", y.name,
	    y.state == NYM_ACTIVE ? "active" : "pending",
	    y.limited ? ",limited" : (y.flags & NF_DISABLE) ? ",disabled" : "",
	    y.flags, y.nblocks);
	day(out, y.created);
	buf_adds(out, " lastsig=");
	day(out, y.lastsig);
	/* The key's end: a date, "never", "revoked", "?" (not learnt). */
	buf_adds(out, " key=");
	if (y.keyrevoked)
		buf_adds(out, "revoked");
	else if (!y.keyknown)
		buf_adds(out, "?");
	else if (y.keyexp == 0)
		buf_adds(out, "never");
	else
		day(out, y.keyexp);
	buf_addc(out, '\n');
	nym_free(&y);
	return 0;
}

static int
list_fn(struct stxn *t, void *arg)
{
	return txn_iter(t, DB_NYMS, NULL, 0, list_cb, arg);
}

/* Names and state only: never keys' owners, keys or reply blocks. */
static int
cmd_list(void)
{
	struct store *st = open_store(0);
	struct buf out = BUF_INIT;

	if (store_read(st, list_fn, &out) < 0)
		fail("cannot read state");
	fwrite(out.s ? out.s : "", 1, out.len, stdout);
	store_close(st);
	buf_free(&out);
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAIL;
}

static int
cmd_expire(int argc, char **argv)
{
	struct store *st;
	struct expire_counts n;
	time_t now = time(NULL);
	int c, dry = 0, rc, probes, stamps;

	optind = 1;
	while ((c = getopt(argc, argv, "+nt:")) != -1) {
		if (c == 'n')
			dry = 1;
		else if (c == 't')
			now = (time_t)strtoll(optarg, NULL, 10);
		else
			usage();
	}
	if (!dry) {
		struct buf tmp = BUF_INIT;

		/* Temporary homes and key files of killed processes. */
		(void)util_tmp_dir(conf.statedir, &tmp);
		buf_free(&tmp);
	}
	st = open_store(0);
	rc = expire_run(&conf, st, now, dry, &n);
	probes = dstblk_expire(st, now, dry);
	/* Answer and request counts (keyed hashes) end with their window. */
	stamps = dry ? 0 : stamp_expire(st, now);
	if (!dry && alias_expire(st, now) < 0)
		stamps = -1;
	printf("%swarned %u, wiped %u, unconfirmed removed %u, "
	    "changes dropped %u, replay entries pruned %u, "
	    "stale hand-offs dropped %u, block requests expired %d, "
	    "key expiry warnings %u, stamps expired %d\n",
	    dry ? "dry run: " : "", n.warned, n.wiped, n.unconfirmed,
	    n.dropped_changes, n.replay_pruned, n.handoffs_dropped,
	    probes < 0 ? 0 : probes, n.keys_warned, stamps < 0 ? 0 : stamps);
	store_close(st);
	/* Daily: whatever a crash left stale is put right here too. */
	if (!dry && scrub(1, 0) < 0)
		rc = -1;
	/* Published keys expired by then leave the Web Key Directory (the
	 * scrub's rebuild went by the clock, this one by -t). */
	if (!dry && conf.wkd_dir != NULL) {
		size_t changed;

		st = open_store(0);
		if (pubview_rebuild_at(&conf, st, (long)now, &changed) < 0)
			rc = -1;
		store_close(st);
	}
	if (rc < 0 || probes < 0 || stamps < 0)
		fail("some actions failed (see the log); run again later");
	return CTL_OK;
}

static int
cmd_stats(void)
{
	struct store *st = open_store(0);
	struct admin_stats s;

	if (admin_stats(st, time(NULL), &s) < 0)
		fail("cannot read state");
	store_close(st);
	printf("nyms %zu\nactive %zu\npending %zu\ndisabled %zu\n"
	    "limited %zu\naliases %zu\nconfirmations %zu\nreplay %zu\n"
	    "blocked-destinations %zu\nblock-requests %zu\n"
	    "chunks-today %lu\n", s.nyms, s.active, s.pending, s.disabled,
	    s.limited, s.aliases, s.confirmations, s.replay, s.blocked,
	    s.block_requests, s.chunks_today);
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAIL;
}

/* NAME as stored: lowercase, and it must be a possible nym name. */
static char *
nym_arg(const char *arg)
{
	char *name = util_lower(xstrdup(arg));

	if (!names_valid(name))
		die_usage(CTL_USAGE, "%s: not a nym name", arg);
	return name;
}

enum nym_op { OP_WIPE, OP_DISABLE, OP_ENABLE };

/* wipe, disable, enable NAME: 4 (CTL_NONYM) when there is no such nym. */
static int
cmd_nym_op(const char *arg, enum nym_op op)
{
	static const char *const done[] = { "wiped", "disabled", "enabled" };
	struct store *st = open_store(0);
	char *name = nym_arg(arg);
	int rc = op == OP_WIPE ? admin_wipe(st, name) :
	    admin_disable(st, name, op == OP_DISABLE);

	if (rc == STORE_OK)
		wipe_after(&conf, st, name, op == OP_WIPE);
	store_close(st);
	if (rc == STORE_NOTFOUND) {
		fprintf(stderr, "nymctl: %s: no such nym\n", name);
		free(name);
		return CTL_NONYM;
	}
	if (rc != STORE_OK)
		fail("cannot update state");
	/* The operator waits: the wipe reaches the disk now. */
	if (op == OP_WIPE && scrub(0, 1) < 0)
		fail("%s wiped, but the scrub failed: run nymctl scrub", name);
	printf("%s: %s\n", name, done[op]);
	free(name);
	return CTL_OK;
}

/* The remail queue: the configured command with -q appended. */
static int
cmd_queue_run(void)
{
	struct buf out = BUF_INIT;
	char **av;
	size_t n, i;
	int rc;

	for (n = 0; conf.remail != NULL && conf.remail[n] != NULL; n++)
		;
	if (n == 0)
		fail("no remail command configured");
	/* Every minute: a scrub that a deletion asked for runs here. */
	if (scrub(0, 1) < 0)
		log_warn("scrub failed; the next run tries again");
	/*
	 * ... a published key that has expired leaves the WKD; and on a
	 * shared store (several MX hosts) the changes the other hosts
	 * made reach this host's public view within a minute.
	 */
	if (strcmp(store_backend(), "lmdb") != 0 || (conf.wkd_dir != NULL &&
	    wkd_next_due(&conf, (long)time(NULL)) > 0)) {
		struct store *st = open_store(0);
		size_t changed;

		if (pubview_rebuild(&conf, st, &changed) < 0)
			log_warn("web key directory: expired keys not removed");
		store_close(st);
	}
	av = xcalloc(n + 2, sizeof(*av));
	for (i = 0; i < n; i++)
		av[i] = conf.remail[i];
	av[n] = (char *)"-q";
	rc = run_capture(av, NULL, 0, &out, 1 << 20);
	free(av);
	fwrite(out.s ? out.s : "", 1, out.len, stdout);
	buf_free(&out);
	fflush(stdout);
	if (rc < 0)
		fail("%s -q: could not run, or killed by a signal",
		    conf.remail[0]);
	if (rc != 0)
		fail("%s -q exited %d", conf.remail[0], rc);
	return CTL_OK;
}

/*
 * The operator's destination block, e.g. for a list owner who cannot
 * reply as the list (SECURITY.md 3.8).  Only the keyed hash is stored.
 */
static int
cmd_block(const char *addr, int block)
{
	struct store *st = open_store(0);
	int rc = dstblk_set(st, addr, block, time(NULL));

	store_close(st);
	if (rc == 1)
		usage();
	if (rc < 0)
		fail("cannot update the state");
	printf("%s\n", block ? "blocked" : "unblocked");
	return CTL_OK;
}

static int
cmd_backup(int argc, char **argv)
{
	struct store *st;
	struct buf written = BUF_INIT;
	char err[512];
	int c, plain = 0, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "p")) != -1) {
		if (c == 'p')
			plain = 1;
		else
			usage();
	}
	if (optind + 1 != argc)
		usage();
	st = open_store(0);
	rc = backup_write(&conf, st, argv[optind], plain, &written, err,
	    sizeof(err));
	store_close(st);
	if (rc < 0)
		fail("backup: %s", err);
	if (written.len > 0)
		printf("backup written to %s\n", written.s);
	buf_free(&written);
	return CTL_OK;
}

static int
cmd_restore(int argc, char **argv)
{
	char err[512];
	int c, force = 0;

	optind = 1;
	while ((c = getopt(argc, argv, "+f")) != -1) {
		if (c == 'f')
			force = 1;
		else
			usage();
	}
	if (optind + 1 != argc)
		usage();
	if (backup_restore(&conf, argv[optind], force, err, sizeof(err)) < 0)
		fail("restore: %s", err);
	printf("restored into %s (GnuPG home %s)\n", conf.statedir,
	    conf.gnupghome);
	{
		struct store *st = open_store(0);
		size_t changed;

		if (publish(st, &changed) < 0)
			fail("public view %s not written", conf.pubdir);
		store_close(st);
		printf("public view rebuilt: %zu files\n", changed);
	}
	return CTL_OK;
}

static int
cmd_check(void)
{
	struct store *st = open_store(0);
	struct buf out = BUF_INIT;
	int n = admin_check(&conf, st, &out);
	size_t changed = 0;

	if (n >= 0 && publish(st, &changed) < 0) {
		buf_addf(&out, "public view: cannot be rebuilt in %s\n",
		    conf.pubdir);
		n++;
	}
	store_close(st);
	if (changed > 0)
		printf("public view: %zu file%s repaired\n", changed,
		    changed == 1 ? "" : "s");
	if (n < 0)
		fail("cannot read state");
	if (n > 0) {
		fwrite(out.s, 1, out.len, stdout);
		printf("%d problem%s found\n", n, n == 1 ? "" : "s");
		buf_free(&out);
		fflush(stdout);
		return CTL_PROBLEMS;
	}
	printf("state ok\n");
	buf_free(&out);
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAIL;
}

/* The DNS records to publish; 3 when one is missing or too weak. */
static int
cmd_dns(void)
{
	struct buf out = BUF_INIT;
	int n = dnsrec_print(&conf, &out);

	fwrite(out.s, 1, out.len, stdout);
	buf_free(&out);
	if (fflush(stdout) != 0)
		return CTL_FAIL;
	return n > 0 ? CTL_PROBLEMS : CTL_OK;
}

int
main(int argc, char **argv)
{
	const char *confpath = NULL;
	char err[512];
	int c;

	umask(077);
	die_init("nymctl");
	/* "+": options end at the first operand (no GNU permutation), so
	 * an MTA-supplied argument after them is never an option. */
	while ((c = getopt(argc, argv, "+c:v")) != -1) {
		switch (c) {
		case 'c': confpath = optarg; break;
		case 'v': die_set_verbose(1); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (geteuid() == 0)
		fail("refusing to run as root: run it as the nymserv user "
		    "(e.g. runuser -u nymserv -- nymctl ...)");
	if (conf_load(&conf, confpath, err, sizeof(err)) < 0)
		fail("%s", err);
	gpg_set_program(conf.gpg);
	store_set_map_max(conf.map_max);
	store_configure(conf.store, conf.store_conninfo, conf.store_module);
	if (util_crypto_init() < 0)
		fail("libgcrypt unusable");
	sendmail_auto_sender(conf.envelope_sender);
	if (strcmp(argv[0], "init") == 0)
		return cmd_init(argc, argv);
	if (strcmp(argv[0], "export-keys") == 0 && argc == 1)
		return cmd_export_keys();
	if (strcmp(argv[0], "list") == 0 && argc == 1)
		return cmd_list();
	if (strcmp(argv[0], "expire") == 0)
		return cmd_expire(argc, argv);
	if (strcmp(argv[0], "stats") == 0 && argc == 1)
		return cmd_stats();
	if (strcmp(argv[0], "wipe") == 0 && argc == 2)
		return cmd_nym_op(argv[1], OP_WIPE);
	if (strcmp(argv[0], "disable") == 0 && argc == 2)
		return cmd_nym_op(argv[1], OP_DISABLE);
	if (strcmp(argv[0], "enable") == 0 && argc == 2)
		return cmd_nym_op(argv[1], OP_ENABLE);
	if (strcmp(argv[0], "queue-run") == 0 && argc == 1)
		return cmd_queue_run();
	if (strcmp(argv[0], "backup") == 0)
		return cmd_backup(argc, argv);
	if (strcmp(argv[0], "restore") == 0)
		return cmd_restore(argc, argv);
	if (strcmp(argv[0], "migrate") == 0) {
		int rc = ctlstore_migrate(&conf, argc, argv);

		if (rc == 2)
			usage();
		return rc;
	}
	if (strcmp(argv[0], "check") == 0 && argc == 1)
		return cmd_check();
	if (strcmp(argv[0], "block") == 0 && argc == 2)
		return cmd_block(argv[1], 1);
	if (strcmp(argv[0], "unblock") == 0 && argc == 2)
		return cmd_block(argv[1], 0);
	if (strcmp(argv[0], "dns") == 0 && argc == 1)
		return cmd_dns();
	if (strcmp(argv[0], "scrub") == 0 && argc == 1)
		return scrub(1, 0) < 0 ? CTL_FAIL : CTL_OK;
	usage();
}
