/* news.c - the news spool (out/, pool/) and the poster that empties it over NNTP. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "article.h"
#include "buf.h"
#include "conf.h"
#include "die.h"
#include "news.h"
#include "nntp.h"
#include "spool.h"
#include "stamp.h"
#include "store.h"
#include "util.h"

#define STALE_TMP 3600		/* seconds before a crashed write is removed */
#define BUDGET_KEY "news:rate"	/* DB_PENDING: "MINUTE COUNT" */

int
news_enabled(const struct conf *c)
{
	return c->news_peers != NULL && c->news_peers[0] != NULL;
}

void
news_rules(const struct conf *c, struct article_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->path = c->news_path;
	r->from = c->news_from;
	r->complaints = c->news_complaints;
	r->domain = c->news_path;
	r->mark = c->mark_header;
	r->groups = c->news_groups;
	r->max_groups = c->news_max_groups;
	r->max_size = c->news_max_size;
}

/* DIR/sub, made (0700) if missing. */
static int
subdir(const struct conf *c, const char *sub, struct buf *out)
{
	buf_reset(out);
	buf_adds(out, c->news_spool);
	if (mkdir(out->s, 0700) < 0 && errno != EEXIST)
		return -1;
	buf_addf(out, "/%s", sub);
	if (mkdir(out->s, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
put(const struct conf *c, const char *sub, time_t due, const struct buf *art,
    struct buf *path)
{
	struct buf data = BUF_INIT, name = BUF_INIT;
	int rc = -1, saved;

	if (subdir(c, sub, &name) < 0)
		goto out;
	buf_adds(&data, NEWS_MAGIC);
	buf_add(&data, art->s, art->len);
	buf_addc(&name, '/');
	spool_name(&name, due);
	rc = util_write_file(name.s, data.s, data.len, 0600);
	if (rc == 0 && path != NULL)
		buf_add(path, name.s, name.len);
out:
	saved = errno;
	buf_wipe(&data);
	buf_free(&name);
	errno = saved;
	return rc;
}

int
news_spool_put(const struct conf *c, time_t due, const struct buf *art,
    struct buf *path)
{
	return put(c, "out", due, art, path);
}

int
news_pool_put(const struct conf *c, const struct buf *art)
{
	return put(c, "pool", 0, art, NULL);
}

/* ---- the poster: the configured peers, each connected once per run ---- */

struct peer {
	char *host, *port;
	int post;		/* POST as a reader instead of IHAVE */
	int state;		/* 0 not connected, 1 connected, -1 down */
	struct nntp c;
};

struct poster {
	const struct conf *conf;
	struct peer *p;
	size_t n;
};

/* "host:port" or "host:port/post" (checked by conf.c); "[v6]:port". */
static void
poster_init(struct poster *ps, const struct conf *c)
{
	size_t i;

	memset(ps, 0, sizeof(*ps));
	ps->conf = c;
	for (i = 0; c->news_peers[i] != NULL; i++)
		ps->n++;
	ps->p = xcalloc(ps->n, sizeof(*ps->p));
	for (i = 0; i < ps->n; i++) {
		char *w = xstrdup(c->news_peers[i]), *slash, *colon;
		struct peer *p = &ps->p[i];

		if ((slash = strchr(w, '/')) != NULL) {
			*slash = '\0';
			p->post = 1;
		}
		colon = strrchr(w, ':');
		*colon = '\0';
		p->port = xstrdup(colon + 1);
		if (w[0] == '[' && colon > w + 1 && colon[-1] == ']') {
			colon[-1] = '\0';
			p->host = xstrdup(w + 1);
		} else {
			p->host = xstrdup(w);
		}
		p->c.fd = -1;
		free(w);
	}
}

static void
poster_free(struct poster *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (ps->p[i].state == 1)
			nntp_close(&ps->p[i].c);
		free(ps->p[i].host);
		free(ps->p[i].port);
	}
	free(ps->p);
	memset(ps, 0, sizeof(*ps));
}

/*
 * Offer one article (undated) to the peers in order until one has it.
 * NEWS_SENT, NEWS_KEPT (some peer down or "later") or NEWS_REFUSED
 * (every peer refused it).
 */
static int
offer(struct poster *ps, const char *art, size_t len, time_t now, char *why,
    size_t whylen)
{
	struct buf dated = BUF_INIT;
	const char *v;
	char id[256];
	size_t vl, i;
	int kept = 0, rc;

	if (ps->n == 0)
		return NEWS_KEPT;	/* no peer configured (yet) */
	v = article_field(art, len, "Message-ID", &vl);
	if (v == NULL || vl < 3 || vl >= sizeof(id) || v[0] != '<' ||
	    memchr(v, ' ', vl) != NULL || memchr(v, '\t', vl) != NULL) {
		if (why != NULL)
			snprintf(why, whylen, "no usable Message-ID");
		return NEWS_REFUSED;
	}
	memcpy(id, v, vl);
	id[vl] = '\0';
	for (i = 0; i < vl; i++)
		if ((unsigned char)id[i] <= 32 || (unsigned char)id[i] >= 127) {
			if (why != NULL)
				snprintf(why, whylen, "no usable Message-ID");
			return NEWS_REFUSED;
		}
	for (i = 0; i < ps->n; i++) {
		struct peer *p = &ps->p[i];

		if (p->state == 0) {
			p->state = nntp_connect(&p->c, p->host, p->port,
			    ps->conf->news_timeout) == NNTP_OK ? 1 : -1;
		}
		if (p->state < 0) {
			kept = 1;
			continue;
		}
		article_dated(art, len, now, p->post, &dated);
		rc = p->post ? nntp_post(&p->c, dated.s, dated.len) :
		    nntp_ihave(&p->c, id, dated.s, dated.len);
		if (rc == NNTP_OK || rc == NNTP_DUP) {
			buf_wipe(&dated);
			return NEWS_SENT;
		}
		if (rc == NNTP_REFUSED) {
			/* The code only: INN's texts may name the groups. */
			log_info("news peer %s:%s refused an article (%d)",
			    p->host, p->port, p->c.last.code);
			if (why != NULL)
				snprintf(why, whylen, "%d %s", p->c.last.code,
				    p->c.last.text);
			continue;
		}
		kept = 1;
		log_warn("news peer %s:%s: try later (%d)", p->host, p->port,
		    p->c.last.code);
		if (p->c.broken) {
			nntp_close(&p->c);
			p->state = -1;
		}
	}
	buf_wipe(&dated);
	return kept ? NEWS_KEPT : NEWS_REFUSED;
}

/* Offer the file at path; remove it once it is sent or refused. */
static int
offer_file(struct poster *ps, const char *path, time_t now, char *why,
    size_t whylen)
{
	struct buf f = BUF_INIT;
	size_t ml = sizeof(NEWS_MAGIC) - 1;
	int rc;

	if (util_read_file(path, ps->conf->news_max_size + 65536, &f) < 0) {
		if (errno == ENOENT)
			return NEWS_SENT;	/* another poster had it */
		log_warn("news spool: cannot read a queued file: %s",
		    strerror(errno));
		return NEWS_KEPT;
	}
	if (f.len < ml || memcmp(f.s, NEWS_MAGIC, ml) != 0) {
		log_err("news spool: malformed file removed");
		rc = NEWS_REFUSED;
	} else {
		rc = offer(ps, f.s + ml, f.len - ml, now, why, whylen);
	}
	buf_wipe(&f);
	/* A crash before the unlink offers it again: the Message-ID is the
	 * same, so the peers answer 435 and nothing is posted twice. */
	if (rc != NEWS_KEPT && unlink(path) < 0 && errno != ENOENT)
		log_warn("news spool: cannot remove a file: %s",
		    strerror(errno));
	return rc;
}

int
news_send_file(const struct conf *c, const char *path, time_t now, char *why,
    size_t whylen)
{
	struct poster ps;
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	poster_init(&ps, c);
	rc = offer_file(&ps, path, now, why, whylen);
	poster_free(&ps);
	return rc;
}

int
news_inject(const struct conf *c, const struct buf *art, time_t due,
    time_t now)
{
	struct buf path = BUF_INIT;
	int rc;

	if (news_spool_put(c, due, art, &path) < 0) {
		log_err("news spool %s: %s", c->news_spool, strerror(errno));
		buf_free(&path);
		return -1;
	}
	if (due <= now) {
		rc = news_send_file(c, path.s, now, NULL, 0);
		log_info("news: article %s", rc == NEWS_SENT ? "posted" :
		    rc == NEWS_KEPT ? "queued (peers down)" :
		    "refused by every peer");
	} else {
		log_info("news: article queued");
	}
	buf_free(&path);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in DIR due by now; stale temporary files are removed. */
static char **
list_due(const char *dir, time_t now, size_t *n)
{
	struct buf p = BUF_INIT;
	struct dirent *de;
	struct stat sb;
	char **names = NULL;
	long long due;
	DIR *d;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (spool_queue_name(de->d_name, &due)) {
			if (due > (long long)now)
				continue;
			names = xrealloc(names, (*n + 1) * sizeof(*names));
			names[(*n)++] = xstrdup(de->d_name);
		} else if (strstr(de->d_name, ".tmp") != NULL) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s", dir, de->d_name);
			if (lstat(p.s, &sb) == 0 &&
			    sb.st_mtime + STALE_TMP < now)
				(void)unlink(p.s);
		}
	}
	closedir(d);
	buf_free(&p);
	return names;
}

/* Post the files of sub (sorted, or shuffled with the CSPRNG). */
static void
run_dir(struct poster *ps, const char *sub, time_t now, int shuffle,
    struct news_counts *k)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	char **names;
	size_t n, i;

	if (subdir(ps->conf, sub, &dir) < 0) {
		log_err("news spool %s: %s", dir.s, strerror(errno));
		k->kept++;
		buf_free(&dir);
		return;
	}
	names = list_due(dir.s, now, &n);
	if (shuffle) {
		for (i = n; i > 1; i--) {
			size_t j = util_random_below(i);
			char *t = names[i - 1];

			names[i - 1] = names[j];
			names[j] = t;
		}
	} else if (n > 1) {
		qsort(names, n, sizeof(*names), cmp);
	}
	for (i = 0; i < n; i++) {
		int rc;

		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir.s, names[i]);
		rc = offer_file(ps, path.s, now, NULL, 0);
		if (rc == NEWS_SENT)
			k->sent++;
		else if (rc == NEWS_KEPT)
			k->kept++;
		else
			k->refused++;
		free(names[i]);
	}
	free(names);
	buf_free(&dir);
	buf_free(&path);
}

int
news_flush(const struct conf *c, time_t now, int pool, struct news_counts *k)
{
	struct poster ps;
	struct buf path = BUF_INIT;
	int lock;

	memset(k, 0, sizeof(*k));
	if (mkdir(c->news_spool, 0700) < 0 && errno != EEXIST)
		return -1;
	buf_addf(&path, "%s/.lock", c->news_spool);
	lock = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	buf_free(&path);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		if (lock >= 0)
			close(lock);
		return -1;
	}
	poster_init(&ps, c);
	run_dir(&ps, "out", now, 0, k);
	if (pool)
		run_dir(&ps, "pool", now, 1, k);
	poster_free(&ps);
	close(lock);
	return 0;
}

struct budget {
	time_t now;
	unsigned rate;
};

static int
budget_fn(struct stxn *t, void *arg)
{
	struct budget *b = arg;

	return stamp_txn_minute(t, BUDGET_KEY, b->now, b->rate);
}

int
news_budget(struct store *st, time_t now, unsigned rate)
{
	struct budget b = { now, rate };

	return store_write(st, budget_fn, &b);
}
