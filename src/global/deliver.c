/* deliver.c - sign, encrypt to the nym key, and pipe through reply blocks. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "die.h"
#include "gpg.h"
#include "outbound.h"
#include "remailer.h"
#include "spool.h"
#include "util.h"

int
server_keys_load(struct store *st, struct server_keys *k)
{
	buf_init(&k->server);
	buf_init(&k->remailer);
	if (store_get(st, DB_META, "serverkey", &k->server) != STORE_OK ||
	    store_get(st, DB_META, "remailerkey", &k->remailer) != STORE_OK)
		return -1;
	return 0;
}

void
server_keys_free(struct server_keys *k)
{
	buf_free(&k->server);
	buf_free(&k->remailer);
}

/* Equal fingerprints, or fpr is the 16+ digit key id at the end of one. */
static int
fpr_match(const char *full, const char *fpr)
{
	size_t fl = strlen(full), n = strlen(fpr);

	if (fl == 0 || n < 16 || n > fl)
		return 0;
	return strcasecmp(full + fl - n, fpr) == 0;
}

int
server_keys_match(const struct server_keys *k, const char *fpr)
{
	return fpr_match(k->server.s ? k->server.s : "", fpr) ||
	    fpr_match(k->remailer.s ? k->remailer.s : "", fpr);
}

/* Write the nym's public key where gpg can read it (--recipient-file). */
static int
key_file(const struct conf *c, const struct buf *key, struct buf *path)
{
	struct buf dir = BUF_INIT;
	int fd;

	if (util_tmp_dir(c->statedir, &dir) < 0) {
		buf_free(&dir);
		return -1;
	}
	buf_reset(path);
	buf_addf(path, "%s/k.%ld.XXXXXX", dir.s, (long)getpid());
	buf_free(&dir);
	if ((fd = mkstemp(path->s)) < 0) {
		log_err("mkstemp: %s", strerror(errno));
		return -1;
	}
	die_unlink_on_exit(path->s);
	if (write(fd, key->s, key->len) != (ssize_t)key->len || close(fd) < 0) {
		log_err("write key file: %s", strerror(errno));
		return -1;
	}
	return 0;
}

size_t
deliver_usable(const struct conf *c, const struct nym_block *blocks,
    size_t *idx, size_t m)
{
	char why[256];
	size_t i, k = 0;

	for (i = 0; i < m; i++) {
		const char *t = blocks[idx[i]].text;

		/* An empty text is nymmail's "the message alone"; RM_TEMP
		 * cannot happen without peeling. */
		if (t[0] == '\0' || rm_consent_check(c, t, strlen(t), 0, why,
		    sizeof(why)) == RM_OK)
			idx[k++] = idx[i];
	}
	if (k < m)
		log_warn("%zu reply block(s) left out: they reach more than one "
		    "address", m - k);
	return k;
}

int
deliver_prepare(const struct conf *c, const struct server_keys *k,
    const struct buf *key, int encrypt, const struct nym_block *blocks,
    size_t nblocks, const void *plain, size_t len, struct buf **in,
    size_t *n)
{
	struct buf path = BUF_INIT, ct = BUF_INIT;
	size_t *idx, m, i;
	int rc = GPG_TEMP;

	if (encrypt) {
		if (key_file(c, key, &path) < 0)
			goto out;
		rc = gpg_sign_encrypt_file(c->gnupghome, k->server.s, path.s,
		    plain, len, &ct);
		unlink(path.s);
		die_keep(path.s);
	} else {
		rc = gpg_clearsign(c->gnupghome, k->server.s, plain, len, &ct);
	}
	if (rc != GPG_OK)
		goto out;
	idx = xcalloc(nblocks ? nblocks : 1, sizeof(*idx));
	m = deliver_usable(c, blocks, idx, nym_choose_blocks(blocks, nblocks,
	    idx));
	*in = xrealloc(*in, (*n + m + 1) * sizeof(**in));
	for (i = 0; i < m; i++) {
		struct buf *b = &(*in)[(*n)++];
		const char *t = blocks[idx[i]].text;
		size_t tl = strlen(t);

		buf_init(b);
		buf_add(b, t, tl);
		if (tl > 0 && t[tl - 1] != '\n')
			buf_addc(b, '\n');
		buf_add(b, ct.s, ct.len);
	}
	free(idx);
	rc = GPG_OK;
out:
	buf_free(&path);
	buf_free(&ct);
	return rc;
}

void
deliver_tag_of(const char *name, char tag[SPOOL_TAG_LEN + 1])
{
	static const char ctx[] = "nymserv spool tag";
	struct buf b = BUF_INIT, h = BUF_INIT;
	unsigned char d[32];

	buf_add(&b, ctx, sizeof(ctx));	/* with its NUL */
	buf_adds(&b, name);
	util_sha256(b.s, b.len, d);
	util_hex(&h, d, SPOOL_TAG_LEN / 2);
	memcpy(tag, h.s, SPOOL_TAG_LEN + 1);
	buf_free(&b);
	buf_free(&h);
}

void
deliver_tag(const char *name)
{
	char tag[SPOOL_TAG_LEN + 1], kv[64];

	if (name == NULL) {
		run_set_env(NULL);
		return;
	}
	deliver_tag_of(name, tag);
	snprintf(kv, sizeof(kv), "NYM_SPOOL_TAG=%s", tag);
	run_set_env(kv);
}

int
deliver_encrypt_hidden(const struct conf *c, const struct server_keys *k,
    const struct buf *key, const void *plain, size_t len, struct buf *out)
{
	struct buf path = BUF_INIT;
	int rc = GPG_TEMP;

	if (key_file(c, key, &path) == 0) {
		rc = gpg_sign_encrypt_hidden(c->gnupghome, k->server.s, path.s,
		    plain, len, out);
		unlink(path.s);
		die_keep(path.s);
	}
	buf_free(&path);
	return rc;
}

int
deliver_send(const struct conf *c, const struct buf *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int rc = run_pipe(c->remail, in[i].s, in[i].len);

		if (rc != 0) {
			log_warn("remail failed (status %d)", rc);
			return -1;
		}
	}
	return 0;
}

void
deliver_free(struct buf *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_wipe(&in[i]);
	free(in);
}

void
notice_compose(const struct conf *c, const char *from_local, const char *nym,
    const char *subject, const char *reply_to, const char *text, time_t now,
    struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "From: %s@%s\n", from_local, c->hostname);
	buf_addf(out, "To: %s@%s\n", nym, c->hostname);
	buf_addf(out, "Subject: %s\n", subject);
	buf_adds(out, "Date: ");
	util_date(out, now);
	buf_adds(out, "\nMessage-ID: ");
	util_msgid(out, c->hostname);
	buf_addc(out, '\n');
	if (reply_to != NULL)
		buf_addf(out, "Reply-To: %s\n", reply_to);
	buf_addf(out, "X-Loop: %s\n", c->loop_id);
	buf_adds(out, "Auto-Submitted: auto-replied\n");
	buf_adds(out, "MIME-Version: 1.0\nContent-Type: text/plain; "
	    "charset=us-ascii\n\n");
	buf_adds(out, text);
	if (out->len > 0 && out->s[out->len - 1] != '\n')
		buf_addc(out, '\n');
}
