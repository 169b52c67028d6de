/* ctlstore.c - nymctl's store commands across backends: migrate, load. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ctlstore.h"
#include "store.h"

/* The side of a spec to name in messages: a conninfo may hold a password. */
static void
name_of(const char *spec, struct buf *out)
{
	buf_reset(out);
	if (strncmp(spec, "lmdb:", 5) == 0)
		buf_adds(out, spec);
	else
		buf_adds(out, "postgresql");
}

int
ctlstore_migrate(const struct conf *c, int argc, char **argv)
{
	struct store *from, *to;
	struct buf a = BUF_INIT, b = BUF_INIT;
	char err[512];
	int ch, force = 0, rc;

	optind = 1;
	while ((ch = getopt(argc, argv, "+f")) != -1) {
		if (ch == 'f')
			force = 1;
		else
			return 2;
	}
	if (optind + 2 != argc)
		return 2;
	name_of(argv[optind], &a);
	name_of(argv[optind + 1], &b);
	if (strcmp(argv[optind], argv[optind + 1]) == 0) {
		fprintf(stderr, "nymctl: migrate: %s onto itself\n", a.s);
		return 1;
	}
	if (store_open_spec(&from, argv[optind], c->map_size, 0, 1, err,
	    sizeof(err)) != STORE_OK) {
		fprintf(stderr, "nymctl: migrate: %s: %s\n", a.s, err);
		return 1;
	}
	/* An LMDB target: the state directory is made as init makes it. */
	if (strncmp(argv[optind + 1], "lmdb:", 5) == 0 &&
	    mkdir(argv[optind + 1] + 5, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "nymctl: migrate: %s: %s\n", b.s,
		    strerror(errno));
		store_close(from);
		return 1;
	}
	if (store_open_spec(&to, argv[optind + 1], c->map_size, 1, 0, err,
	    sizeof(err)) != STORE_OK) {
		fprintf(stderr, "nymctl: migrate: %s: %s\n", b.s, err);
		store_close(from);
		return 1;
	}
	rc = store_copy_all(from, to, force, err, sizeof(err));
	store_close(to);
	store_close(from);
	if (rc != STORE_OK) {
		fprintf(stderr, "nymctl: migrate: %s%s\n", err,
		    rc == STORE_EXISTS ? " (use -f to replace it)" : "");
		return 1;
	}
	printf("migrated %s to %s\n", a.s, b.s);
	buf_free(&a);
	buf_free(&b);
	return 0;
}

int
ctlstore_load(const struct conf *c, const char *statedir, int replace,
    char *err, size_t errlen)
{
	struct store *from, *to;
	struct buf spec = BUF_INIT;
	int rc;

	buf_addf(&spec, "lmdb:%s", statedir);
	rc = store_open_spec(&from, spec.s, c->map_size, 0, 1, err, errlen);
	buf_free(&spec);
	if (rc != STORE_OK)
		return -1;
	if (store_open(&to, c->statedir, c->map_size, 1, err, errlen) !=
	    STORE_OK) {
		store_close(from);
		return -1;
	}
	rc = store_copy_all(from, to, replace, err, errlen);
	if (rc == STORE_EXISTS)
		snprintf(err, errlen, "the PostgreSQL store already holds a "
		    "state (use -f to replace it)");
	store_close(to);
	store_close(from);
	return rc == STORE_OK ? 0 : -1;
}
