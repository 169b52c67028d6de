/*
 * nymbench.c - helper for the benchmarks in bench/ (not installed).
 *
 *   nymbench populate CONF KEYRING FROM TO [FLAGS]
 *	Write active nym records for the keys of nymFROM..nymTO found in the
 *	binary KEYRING (user IDs "nymN <...>") straight into the LMDB state
 *	of CONF, through the store and nym modules, in the record format
 *	account.c writes: armored key, v4 fingerprint, one reply block,
 *	flags (default NF_DEFAULT).  Prints the number written.
 *
 *   nymbench run [-u UID:GID] [-r REPS] [-i INPUT] -- PROGRAM ARGS...
 *	Run PROGRAM REPS times (stdin from INPUT, output discarded, as
 *	UID:GID with an empty environment but PATH), timing fork to reap.
 *	One line per run "us=N rss_kb=N exit=N kids=N kids_rss_kb=N
 *	cpu_us=N", then a summary "runs=N mean_us=N min_us=N max_rss_kb=N
 *	max_kids_rss_kb=N exits=CODE:COUNT... mean_cpu_us=N".  cpu_us is the
 *	user + system time of the program, of the children it waited for and
 *	of the orphans reaped here (less disturbed by a loaded machine than
 *	the wall-clock us).  rss_kb is ru_maxrss of the program (wait4);
 *	gpgme double-forks gpg, so nymbench is a child subreaper and reaps
 *	those orphans itself: kids counts them, kids_rss_kb is the largest
 *	peak among them (a gpg-agent that stays up is not counted).
 *
 *   nymbench wrap LOG PROGRAM ARGS...
 *	Run PROGRAM in place (same stdin, stdout, stderr, environment) and
 *	append one line "prog=NAME rss_kb=N exit=N us=N" to LOG when it
 *	ends, then end as it did (its exit status, or its signal): a
 *	stand-in for it in an MTA's pipe, for peak memory per process.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#include "buf.h"
#include "conf.h"
#include "nym.h"
#include "pgp.h"
#include "store.h"
#include "util.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: nymbench populate CONF KEYRING FROM TO "
	    "[FLAGS]\n       nymbench run [-u UID:GID] [-r REPS] [-i INPUT] "
	    "-- PROGRAM ARGS...\n       nymbench wrap LOG PROGRAM ARGS...\n");
	exit(64);
}

/* ---- populate ---- */

/* Header length and body length of the (non-partial) packet at p. */
static int
packet_hdr(const unsigned char *p, size_t n, size_t *hl, size_t *bl)
{
	if (n < 2 || !(p[0] & 0x80))
		return -1;
	if (p[0] & 0x40) {			/* new format */
		if (p[1] < 192) {
			*hl = 2;
			*bl = p[1];
		} else if (p[1] < 224 && n >= 3) {
			*hl = 3;
			*bl = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
		} else if (p[1] == 255 && n >= 6) {
			*hl = 6;
			*bl = (size_t)p[2] << 24 | (size_t)p[3] << 16 |
			    (size_t)p[4] << 8 | p[5];
		} else {
			return -1;
		}
	} else {				/* old format */
		switch (p[0] & 3) {
		case 0: *hl = 2; *bl = p[1]; break;
		case 1:
			if (n < 3)
				return -1;
			*hl = 3;
			*bl = (size_t)p[1] << 8 | p[2];
			break;
		case 2:
			if (n < 5)
				return -1;
			*hl = 5;
			*bl = (size_t)p[1] << 24 | (size_t)p[2] << 16 |
			    (size_t)p[3] << 8 | p[4];
			break;
		default:
			return -1;
		}
	}
	return *hl + *bl <= n ? 0 : -1;
}

/* Armor a public key block as gpg exports it. */
static void
armor_key(struct buf *out, const unsigned char *p, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long crc = 0xB704CEUL;
	size_t i, col = 0;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= (unsigned long)p[i] << 16;
		for (k = 0; k < 8; k++) {
			crc <<= 1;
			if (crc & 0x1000000UL)
				crc ^= 0x1864CFBUL;
		}
	}
	crc &= 0xFFFFFFUL;
	buf_reset(out);
	buf_adds(out, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_addc(out, a[v >> 18 & 63]);
		buf_addc(out, a[v >> 12 & 63]);
		buf_addc(out, i + 1 < n ? a[v >> 6 & 63] : '=');
		buf_addc(out, i + 2 < n ? a[v & 63] : '=');
		if ((col += 4) == 64) {
			buf_addc(out, '\n');
			col = 0;
		}
	}
	if (col)
		buf_addc(out, '\n');
	buf_addf(out, "=%c%c%c%c\n-----END PGP PUBLIC KEY BLOCK-----\n",
	    a[crc >> 18 & 63], a[crc >> 12 & 63], a[crc >> 6 & 63],
	    a[crc & 63]);
}

struct pop {
	struct buf *recs;	/* encoded records */
	char **names;
	size_t n, from, to;	/* this transaction: [from, to) */
};

static int
put_batch(struct stxn *t, void *arg)
{
	struct pop *p = arg;
	size_t i;
	int rc;

	for (i = p->from; i < p->to; i++)
		if ((rc = txn_put(t, DB_NYMS, p->names[i], strlen(p->names[i]),
		    p->recs[i].s, p->recs[i].len)) != STORE_OK)
			return rc;
	return 0;
}

static int
populate(int argc, char **argv)
{
	struct conf c;
	struct store *st;
	struct buf ring = BUF_INIT, arm = BUF_INIT;
	struct pop pop = { NULL, NULL, 0, 0, 0 };
	char err[256];
	const unsigned char *d;
	size_t off = 0, from, to, i;
	unsigned flags = NF_DEFAULT;
	long now = (long)time(NULL);

	if (argc < 6)
		usage();
	if (util_crypto_init() < 0)
		return 1;
	from = strtoul(argv[4], NULL, 10);
	to = strtoul(argv[5], NULL, 10);
	if (argc > 6)
		flags = (unsigned)strtoul(argv[6], NULL, 0);
	if (conf_load(&c, argv[2], err, sizeof(err)) < 0) {
		fprintf(stderr, "nymbench: %s\n", err);
		return 1;
	}
	if (util_read_file(argv[3], 256 << 20, &ring) < 0) {
		perror(argv[3]);
		return 1;
	}
	pop.recs = calloc(to - from + 1, sizeof(*pop.recs));
	pop.names = calloc(to - from + 1, sizeof(*pop.names));
	if (pop.recs == NULL || pop.names == NULL)
		return 1;
	d = (const unsigned char *)ring.s;
	while (off < ring.len) {
		size_t start = off, end, hl, bl, p, num = 0;
		int tag;
		struct nym y;
		unsigned char fp[20];
		char name[32] = "";

		/* One transferable key: a tag 6 packet up to the next. */
		if (pgp_packet(d, ring.len, &off, &tag) != 0 || tag != 6)
			break;
		for (end = off; end < ring.len; end = off) {
			if (pgp_packet(d, ring.len, &off, &tag) != 0)
				break;
			if (tag == 6) {
				off = end;
				break;
			}
		}
		end = off;
		/* v4 fingerprint: SHA-1 of 0x99, length, key packet body. */
		if (packet_hdr(d + start, end - start, &hl, &bl) < 0 || bl > 65535)
			continue;
		{
			gcry_md_hd_t h;

			gcry_md_open(&h, GCRY_MD_SHA1, 0);
			gcry_md_putc(h, 0x99);
			gcry_md_putc(h, (int)(bl >> 8));
			gcry_md_putc(h, (int)(bl & 0xff));
			gcry_md_write(h, d + start + hl, bl);
			memcpy(fp, gcry_md_read(h, GCRY_MD_SHA1), 20);
			gcry_md_close(h);
		}
		/* The name from the first user ID packet. */
		for (p = start + hl + bl; p < end; p += hl + bl) {
			if (packet_hdr(d + p, end - p, &hl, &bl) < 0)
				break;
			if (((d[p] & 0x40) ? (d[p] & 0x3f) :
			    ((d[p] >> 2) & 0xf)) == 13) {
				size_t k = 0;

				while (k < bl && k < sizeof(name) - 1 &&
				    d[p + hl + k] != ' ') {
					name[k] = (char)d[p + hl + k];
					k++;
				}
				name[k] = '\0';
				break;
			}
		}
		if (strncmp(name, "nym", 3) != 0)
			continue;
		num = strtoul(name + 3, NULL, 10);
		if (num < from || num > to)
			continue;
		memset(&y, 0, sizeof(y));
		y.name = name;
		y.state = NYM_ACTIVE;
		y.flags = flags;
		{
			struct buf hex = BUF_INIT;

			util_hex(&hex, fp, 20);
			for (i = 0; i < hex.len; i++)
				if (hex.s[i] >= 'a' && hex.s[i] <= 'f')
					hex.s[i] = (char)(hex.s[i] - 'a' + 'A');
			y.fpr = buf_steal(&hex);
		}
		armor_key(&arm, d + start, end - start);
		buf_init(&y.key);
		buf_set(&y.key, arm.s, arm.len);
		y.created = now - 86400;
		y.lastsig = now - 86400;
		{
			struct nym_block b = { 0, 1.0, NULL };
			struct buf t = BUF_INIT;

			buf_addf(&t, "::\nAnon-To: %s@real.example\n", name);
			b.text = t.s;
			y.blocks = &b;
			y.nblocks = 1;
			buf_init(&pop.recs[pop.n]);
			nym_encode(&y, &pop.recs[pop.n]);
			buf_free(&t);
		}
		pop.names[pop.n++] = xstrdup(name);
		free(y.fpr);
		buf_free(&y.key);
	}
	if (store_open(&st, c.statedir, c.map_size, 0, err, sizeof(err)) !=
	    STORE_OK) {
		fprintf(stderr, "nymbench: %s\n", err);
		return 1;
	}
	for (pop.from = 0; pop.from < pop.n; pop.from = pop.to) {
		pop.to = pop.from + 1000 < pop.n ? pop.from + 1000 : pop.n;
		if (store_write(st, put_batch, &pop) < 0) {
			fprintf(stderr, "nymbench: store write failed\n");
			return 1;
		}
	}
	store_close(st);
	printf("%zu\n", pop.n);
	for (i = 0; i < pop.n; i++) {
		buf_free(&pop.recs[i]);
		free(pop.names[i]);
	}
	free(pop.recs);
	free(pop.names);
	buf_free(&ring);
	buf_free(&arm);
	conf_free(&c);
	return pop.n == to - from + 1 ? 0 : 1;
}

/* ---- run ---- */

/* User + system time of a reaped process, in microseconds. */
static long long
ru_us(const struct rusage *ru)
{
	return (long long)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) *
	    1000000 + ru->ru_utime.tv_usec + ru->ru_stime.tv_usec;
}

static int
run(int argc, char **argv)
{
	const char *input = "/dev/null";
	char *const envp[] = { (char *)"PATH=/usr/bin:/bin",
	    (char *)"LANG=C", NULL };
	long uid = -1, gid = -1, reps = 1, r;
	long long sum = 0, min = -1, cpusum = 0;
	long maxrss = 0, maxkidrss = 0;
	int exits[256], o, i;

	memset(exits, 0, sizeof(exits));
	optind = 2;
	while ((o = getopt(argc, argv, "u:r:i:")) != -1) {
		switch (o) {
		case 'u':
			if (sscanf(optarg, "%ld:%ld", &uid, &gid) != 2)
				usage();
			break;
		case 'r': reps = strtol(optarg, NULL, 10); break;
		case 'i': input = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || reps < 1)
		usage();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		perror("prctl");
	for (r = 0; r < reps; r++) {
		struct timespec t0, t1;
		struct rusage ru;
		int status, st, fd, kids;
		long long us, cpu;
		long rss, kidrss;
		pid_t pid;

		if ((fd = open(input, O_RDONLY)) < 0) {
			perror(input);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((pid = fork()) < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			if (dup2(fd, 0) < 0 || null < 0 || dup2(null, 1) < 0 ||
			    dup2(null, 2) < 0)
				_exit(126);
			if (gid >= 0 && (setgroups(0, NULL) < 0 ||
			    setgid((gid_t)gid) < 0))
				_exit(126);
			if (uid >= 0 && setuid((uid_t)uid) < 0)
				_exit(126);
			execve(argv[optind], argv + optind, envp);
			_exit(127);
		}
		close(fd);
		kids = 0;
		kidrss = 0;
		cpu = 0;
		for (;;) {			/* the program and orphans */
			pid_t w = wait4(-1, &st, 0, &ru);

			if (w < 0) {
				perror("wait4");
				return 1;
			}
			cpu += ru_us(&ru);
			if (w == pid) {
				status = st;
				rss = ru.ru_maxrss;
				break;
			}
			kids++;
			if (ru.ru_maxrss > kidrss)
				kidrss = ru.ru_maxrss;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (;;) {			/* orphans already done */
			pid_t w = wait4(-1, &st, WNOHANG, &ru);

			if (w <= 0)
				break;
			cpu += ru_us(&ru);
			kids++;
			if (ru.ru_maxrss > kidrss)
				kidrss = ru.ru_maxrss;
		}
		us = (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000;
		sum += us;
		cpusum += cpu;
		if (min < 0 || us < min)
			min = us;
		if (rss > maxrss)
			maxrss = rss;
		if (kidrss > maxkidrss)
			maxkidrss = kidrss;
		i = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
		exits[i]++;
		printf("us=%lld rss_kb=%ld exit=%d kids=%d kids_rss_kb=%ld "
		    "cpu_us=%lld\n", us, rss, i, kids, kidrss, cpu);
	}
	printf("runs=%ld mean_us=%lld min_us=%lld max_rss_kb=%ld "
	    "max_kids_rss_kb=%ld exits=", reps, sum / reps, min, maxrss,
	    maxkidrss);
	for (i = 0, o = 0; i < 256; i++)
		if (exits[i])
			printf("%s%d:%d", o++ ? "," : "", i, exits[i]);
	printf(" mean_cpu_us=%lld\n", cpusum / reps);
	return 0;
}

/* ---- wrap ---- */

static int
wrap(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	char line[512];
	const char *name;
	pid_t pid;
	int st, fd, n;

	if (argc < 4)
		usage();
	name = strrchr(argv[3], '/') ? strrchr(argv[3], '/') + 1 : argv[3];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0)
		return 75;
	if (pid == 0) {
		execv(argv[3], argv + 3);
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return 75;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	n = snprintf(line, sizeof(line), "prog=%s rss_kb=%ld exit=%d us=%lld\n",
	    name, ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) :
	    128 + WTERMSIG(st), (long long)(t1.tv_sec - t0.tv_sec) * 1000000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000);
	/* One write on an O_APPEND file: lines of parallel runs never mix. */
	if ((fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644)) >= 0) {
		if (write(fd, line, (size_t)n) != n)
			perror(argv[2]);
		close(fd);
	}
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 75;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "wrap") == 0)
		return wrap(argc, argv);
	if (strcmp(argv[1], "populate") == 0)
		return populate(argc, argv);
	if (strcmp(argv[1], "run") == 0)
		return run(argc, argv);
	usage();
}
