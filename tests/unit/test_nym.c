/* test_nym.c - nym records (TLV), pending changes, stored lists, and the
 * choice of reply blocks by set and probability. */
#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "nym.h"
#include "nymkey.h"
#include "util.h"
#include "t.h"

static struct nym_block blocks[] = {
	{ 0, 1.0, (char *)"::\nAnon-To: always@example.net\n" },
	{ 'a', 0.2, (char *)"::\nAnon-To: a1@example.net\n" },
	{ 'a', 0.8, (char *)"::\nAnon-To: a2@example.net\n" },
	{ 'b', 1.0, (char *)"::\nAnon-To: b1@example.net\n" },
	{ 'b', 1.0, (char *)"::\nAnon-To: b2@example.net\n" },
	{ 'b', 2.0, (char *)"::\nAnon-To: b3@example.net\n" },
	{ 'c', 0.0, (char *)"::\nAnon-To: never@example.net\n" },
	{ 0, 0.5, (char *)"::\nAnon-To: always2@example.net\n" },
};
#define NBLOCKS (sizeof(blocks) / sizeof(blocks[0]))

static void
sample(struct nym *y)
{
	static const char key[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\0"
	    "\xff binary too\n";

	memset(y, 0, sizeof(*y));
	y->name = xstrdup("alice");
	y->state = NYM_ACTIVE;
	y->flags = NF_CRYPTRECV | NF_NOBCC | NF_DISABLE;
	y->limited = 1;
	y->fullname = xstrdup("Alice \"A\" Liddell: colons");
	y->fpr = xstrdup("99BA2A2D6AB67FD6523B87DE07198C14F6079789");
	buf_set(&y->key, key, sizeof(key) - 1);
	y->created = 1700000000L;
	y->lastsig = -5;
	y->lastwarn = 2147483648L;
	y->blocks = nym_blocks_copy(blocks, NBLOCKS);
	y->nblocks = NBLOCKS;
	y->gen = xstrdup("0123456789abcdef");
}

static int
blocks_equal(const struct nym_block *a, const struct nym_block *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].set != b[i].set || fabs(a[i].prob - b[i].prob) > 1e-6 ||
		    strcmp(a[i].text, b[i].text) != 0)
			return 0;
	return 1;
}

static int
nym_equal(const struct nym *a, const struct nym *b)
{
	return strcmp(a->name, b->name) == 0 && a->state == b->state &&
	    a->flags == b->flags && a->limited == b->limited &&
	    ((a->fullname == NULL && b->fullname == NULL) ||
	    (a->fullname != NULL && b->fullname != NULL &&
	    strcmp(a->fullname, b->fullname) == 0)) &&
	    strcmp(a->fpr, b->fpr) == 0 && a->key.len == b->key.len &&
	    memcmp(a->key.s, b->key.s, a->key.len) == 0 &&
	    a->created == b->created && a->lastsig == b->lastsig &&
	    a->lastwarn == b->lastwarn && a->nblocks == b->nblocks &&
	    ((a->gen == NULL && b->gen == NULL) || (a->gen != NULL &&
	    b->gen != NULL && strcmp(a->gen, b->gen) == 0)) &&
	    blocks_equal(a->blocks, b->blocks, a->nblocks);
}

/* Append one raw TLV field. */
static void
field(struct buf *b, int tag, const char *v, size_t n)
{
	unsigned char h[5] = { (unsigned char)tag, (unsigned char)(n >> 24),
	    (unsigned char)(n >> 16), (unsigned char)(n >> 8),
	    (unsigned char)n };

	buf_add(b, h, 5);
	buf_add(b, v, n);
}

static void
test_roundtrip(void)
{
	struct nym y, z;
	struct buf b = BUF_INIT, b2 = BUF_INIT;

	sample(&y);
	nym_encode(&y, &b);
	T(nym_decode(b.s, b.len, &z) == 0 && nym_equal(&y, &z),
	    "record round trip (binary key, blocks, large and negative dates)");
	nym_encode(&z, &b2);
	T(b.len == b2.len && memcmp(b.s, b2.s, b.len) == 0,
	    "re-encoding a decoded record gives the same bytes");
	nym_free(&z);
	free(y.fullname);
	y.fullname = NULL;
	nym_blocks_free(y.blocks, y.nblocks);
	y.blocks = NULL;
	y.nblocks = 0;
	nym_encode(&y, &b);
	T(nym_decode(b.s, b.len, &z) == 0 && z.fullname == NULL &&
	    z.nblocks == 0 && z.blocks == NULL && nym_equal(&y, &z),
	    "record without full name or blocks");
	nym_free(&z);
	/* Unknown fields are skipped: later versions add fields. */
	nym_encode(&y, &b);
	field(&b, 'Z', "future", 6);
	field(&b, 0, "", 0);
	T(nym_decode(b.s, b.len, &z) == 0 && nym_equal(&y, &z),
	    "unknown fields skipped");
	nym_free(&z);
	/* A repeated field: the last one wins, nothing leaks. */
	buf_reset(&b);
	field(&b, 'N', "first", 5);
	field(&b, 'N', "second", 6);
	field(&b, 'f', "A", 1);
	field(&b, 'f', "B", 1);
	T(nym_decode(b.s, b.len, &z) == 0 && strcmp(z.name, "second") == 0 &&
	    strcmp(z.fpr, "B") == 0, "a repeated field: the last wins");
	nym_free(&z);
	T(y.name != NULL, "the encoded record is left alone");
	nym_free(&y);
	T(y.name == NULL && y.key.len == 0, "nym_free clears the record");
	buf_free(&b);
	buf_free(&b2);
}

static void
test_malformed(void)
{
	struct nym y, z;
	struct buf b = BUF_INIT, m = BUF_INIT;
	size_t cut, bad = 0, boundary = 0;

	sample(&y);
	nym_encode(&y, &b);
	/* Every prefix: refused, or (cut at a field end) a shorter record. */
	for (cut = 0; cut < b.len; cut++) {
		int rc = nym_decode(b.s, cut, &z);

		if (rc == 0) {
			boundary++;
			if (strcmp(z.name, "alice") != 0)
				bad++;
			nym_free(&z);
		} else if (z.name != NULL || z.blocks != NULL) {
			bad++;		/* not cleared on failure */
		}
	}
	T(bad == 0 && boundary == 11 + NBLOCKS - 1, "every prefix of a "
	    "record refused or cut at a field end (%zu whole-field prefixes)",
	    boundary);
	buf_reset(&m);
	field(&m, 'S', "2", 1);
	T(nym_decode(m.s, m.len, &z) == -1, "record without a name refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	buf_add(&m, "K\0\0\0\x10short", 10);
	T(nym_decode(m.s, m.len, &z) == -1, "a length past the end refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	buf_add(&m, "K\xff\xff\xff\xff", 5);
	T(nym_decode(m.s, m.len, &z) == -1, "a 4 GB length refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	buf_add(&m, "K\0\0", 3);
	T(nym_decode(m.s, m.len, &z) == -1, "a cut field header refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	field(&m, 'B', "a0.5 no colon", 13);
	T(nym_decode(m.s, m.len, &z) == -1, "a block without ':' refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	field(&m, 'B', ":text", 5);
	T(nym_decode(m.s, m.len, &z) == -1, "a block without set refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	field(&m, 'B', "a000000000000000000000000000000000000001:t", 42);
	T(nym_decode(m.s, m.len, &z) == -1, "a block with an overlong "
	    "probability refused");
	buf_reset(&m);
	field(&m, 'N', "bob", 3);
	field(&m, 'S', "99999999999999999999999999999999999", 35);
	field(&m, 'B', "-1.5:", 5);
	T(nym_decode(m.s, m.len, &z) == 0 && z.state == 0 && z.nblocks == 1 &&
	    z.blocks[0].set == 0 && strcmp(z.blocks[0].text, "") == 0,
	    "an overlong number reads as 0; an empty block text is kept");
	nym_free(&z);
	T(nym_decode("", 0, &z) == -1, "empty record refused");
	nym_free(&y);
	buf_free(&b);
	buf_free(&m);
}

static void
test_pending(void)
{
	struct nym_pending p, q;
	struct buf b = BUF_INIT;
	size_t cut, bad = 0;

	memset(&p, 0, sizeof(p));
	p.name = xstrdup("carol");
	p.create = 1;
	p.created = 1763900000L;
	p.blocks = nym_blocks_copy(blocks, 3);
	p.nblocks = 3;
	p.fpr = xstrdup("99BA2A2D6AB67FD6523B87DE07198C14F6079789");
	p.gen = xstrdup("fedcba9876543210");
	p.nym_created = 1763800000L;
	nym_pending_encode(&p, &b);
	T(nym_pending_decode(b.s, b.len, &q) == 0 &&
	    strcmp(q.name, "carol") == 0 && q.create == 1 &&
	    q.created == 1763900000L && q.nblocks == 3 &&
	    blocks_equal(p.blocks, q.blocks, 3) && q.fpr != NULL &&
	    strcmp(q.fpr, p.fpr) == 0 && q.gen != NULL &&
	    strcmp(q.gen, p.gen) == 0 && q.nym_created == 1763800000L,
	    "pending change round trip, bound to key and incarnation");
	nym_pending_free(&q);
	for (cut = 0; cut < b.len; cut++) {
		if (nym_pending_decode(b.s, cut, &q) == 0) {
			if (strcmp(q.name, "carol") != 0)
				bad++;
			nym_pending_free(&q);
		} else if (q.name != NULL) {
			bad++;
		}
	}
	T(bad == 0, "every prefix of a pending change handled");
	T(nym_pending_decode("C\0\0\0\0011", 6, &q) == -1,
	    "pending change without a name refused");
	nym_pending_free(&p);
	buf_free(&b);
}

static void
test_list(void)
{
	struct buf in[3] = { BUF_INIT, BUF_INIT, BUF_INIT }, *out = NULL;
	struct buf b = BUF_INIT;
	size_t n = 0, i;

	buf_sets(&in[0], "first outcome");
	buf_set(&in[2], "bin\0ary", 7);
	nym_list_encode(&b, in, 3);
	T(nym_list_decode(b.s, b.len, &out, &n) == 0 && n == 3 &&
	    out[0].len == 13 && out[1].len == 0 && out[2].len == 7 &&
	    memcmp(out[2].s, "bin\0ary", 7) == 0, "list round trip (empty "
	    "and binary items)");
	for (i = 0; i < n; i++)
		buf_free(&out[i]);
	free(out);
	T(nym_list_decode(b.s, b.len - 1, &out, &n) == -1,
	    "a cut list refused");
	for (i = 0; i < n; i++)
		buf_free(&out[i]);
	free(out);
	T(nym_list_decode("", 0, &out, &n) == 0 && n == 0, "empty list");
	free(out);
	for (i = 0; i < 3; i++)
		buf_free(&in[i]);
	buf_free(&b);
}

#define DRAWS 20000

static void
test_choose(void)
{
	size_t idx[NBLOCKS], k, i, j, count[NBLOCKS];
	int shape_ok = 1;
	struct nym_block *c;

	memset(count, 0, sizeof(count));
	for (i = 0; i < DRAWS; i++) {
		int seen_a = 0, seen_b = 0, always = 0;

		k = nym_choose_blocks(blocks, NBLOCKS, idx);
		for (j = 0; j < k; j++) {
			count[idx[j]]++;
			if (blocks[idx[j]].set == 'a')
				seen_a++;
			else if (blocks[idx[j]].set == 'b')
				seen_b++;
			else if (blocks[idx[j]].set == 0)
				always++;
			if (j > 0 && idx[j] <= idx[j - 1])
				shape_ok = 0;
		}
		if (k != 4 || seen_a != 1 || seen_b != 1 || always != 2)
			shape_ok = 0;
	}
	T(shape_ok, "every draw: both unlettered blocks, one of set a, one of "
	    "set b, none of the zero-probability set, in order");
	T(count[0] == DRAWS && count[7] == DRAWS && count[6] == 0,
	    "unlettered blocks always, probability 0 never");
	/* Standard deviation of a share p over 20000 draws is at most
	 * 0.0036; allow 0.02 (more than 5 sigma). */
	T(fabs((double)count[1] / DRAWS - 0.2) < 0.02 &&
	    fabs((double)count[2] / DRAWS - 0.8) < 0.02,
	    "set a drawn 20/80 (%zu/%zu)", count[1], count[2]);
	T(fabs((double)count[3] / DRAWS - 0.25) < 0.02 &&
	    fabs((double)count[4] / DRAWS - 0.25) < 0.02 &&
	    fabs((double)count[5] / DRAWS - 0.5) < 0.02,
	    "set b drawn 25/25/50 (%zu/%zu/%zu)", count[3], count[4],
	    count[5]);
	/* Sets interleaved with other blocks are still one choice each. */
	{
		struct nym_block mix[] = {
			{ 'x', 1, (char *)"x1" }, { 0, 1, (char *)"u" },
			{ 'y', 1, (char *)"y1" }, { 'x', 3, (char *)"x2" },
			{ 'y', -1, (char *)"y2" }, { 'A', 1, (char *)"bad" },
		};
		size_t mi[6], x2 = 0, bad = 0;

		for (i = 0; i < DRAWS; i++) {
			k = nym_choose_blocks(mix, 6, mi);
			if (k != 3 || mi[1] != 1 || mi[2] != 2 ||
			    (mi[0] != 0 && mi[0] != 3))
				bad++;
			for (j = 0; j < k; j++)
				if (mi[j] == 3)
					x2++;
		}
		T(bad == 0, "interleaved sets; a negative probability and an "
		    "invalid set letter never chosen");
		T(fabs((double)x2 / DRAWS - 0.75) < 0.02, "set x drawn 25/75 "
		    "(%zu)", x2);
	}
	T(nym_choose_blocks(blocks, 0, idx) == 0, "no blocks, no choice");
	c = nym_blocks_copy(blocks, NBLOCKS);
	T(c != blocks && blocks_equal(c, blocks, NBLOCKS) &&
	    c[1].text != blocks[1].text, "blocks copied deeply");
	nym_blocks_free(c, NBLOCKS);
}

/* Pool delivery fields: older records decode unchanged, new ones round trip. */
static void
test_pool(void)
{
	struct buf old = BUF_INIT, b = BUF_INIT;
	struct nym y, z;

	/* A record as the encoder wrote it before pool delivery existed. */
	field(&old, 'N', "alice", 5);
	field(&old, 'S', "2", 1);
	field(&old, 'F', "2", 1);
	field(&old, 'L', "0", 1);
	field(&old, 'f', "99BA2A2D6AB67FD6523B87DE07198C14F6079789", 40);
	field(&old, 'K', "key", 3);
	field(&old, 'c', "1700000000", 10);
	field(&old, 'l', "1700000001", 10);
	field(&old, 'w', "0", 1);
	field(&old, 'B', "-1.000000:::\nAnon-To: a@example.net\n",
	    strlen("-1.000000:::\nAnon-To: a@example.net\n"));
	T(nym_decode(old.s, old.len, &z) == 0 && z.delivery ==
	    NYM_DELIVER_BLOCKS && z.hsub == NULL && z.symkey == NULL &&
	    z.subject == NULL && z.nblocks == 1,
	    "an old record decodes: delivery through the blocks, no pool "
	    "values");
	nym_encode(&z, &b);
	T(b.len == old.len && memcmp(b.s, old.s, b.len) == 0,
	    "a nym without pool delivery is stored exactly as before");
	nym_free(&z);

	sample(&y);
	y.delivery = NYM_DELIVER_BOTH;
	y.hsub = xstrdup("Panda pass");
	y.symkey = xstrdup("s3cret");
	y.subject = xstrdup("plain subject");
	nym_encode(&y, &b);
	T(nym_decode(b.s, b.len, &z) == 0 && nym_equal(&y, &z) &&
	    z.delivery == NYM_DELIVER_BOTH && strcmp(z.hsub, "Panda pass") ==
	    0 && strcmp(z.symkey, "s3cret") == 0 &&
	    strcmp(z.subject, "plain subject") == 0,
	    "pool delivery, hSub, symmetric and subject round trip");
	nym_free(&z);
	nym_free(&y);

	buf_set(&b, old.s, old.len);
	field(&b, 'D', "7", 1);
	T(nym_decode(b.s, b.len, &z) == 0 && z.delivery == NYM_DELIVER_BLOCKS,
	    "a delivery value this version does not know: the blocks");
	nym_free(&z);
	buf_free(&old);
	buf_free(&b);
}

/* The key's lifetime in the record, and what nymkey makes of it. */
static void
test_keylife(void)
{
	const long day = 86400, now = 1800000000L, exp = now + 40 * day;
	struct gpg_keyinfo ki;
	struct nym y, z;
	struct buf b = BUF_INIT;

	sample(&y);
	nym_encode(&y, &b);
	T(nym_decode(b.s, b.len, &z) == 0 && !z.keyknown && z.keyexp == 0 &&
	    !z.keyrevoked && z.keywarned == 0 && nymkey_unusable(&z, now) ==
	    NULL && nymkey_warn_due(&z, now) == 0, "a record from before: "
	    "lifetime unknown, usable, no warning");
	nym_free(&z);
	memset(&ki, 0, sizeof(ki));
	ki.expires = exp;
	nymkey_record(&y, &ki);
	y.keywarned = NYMKEY_WARN_FIRST;
	nym_encode(&y, &b);
	T(nym_decode(b.s, b.len, &z) == 0 && z.keyknown && z.keyexp == exp &&
	    z.keywarned == NYMKEY_WARN_FIRST && !z.keyrevoked,
	    "expiry and the warning sent round-trip");
	nym_free(&z);
	y.keywarned = 0;
	T(nymkey_warn_due(&y, exp - 31 * day) == 0 &&
	    nymkey_warn_due(&y, exp - 30 * day) == NYMKEY_WARN_FIRST &&
	    nymkey_warn_due(&y, exp - 6 * day) == NYMKEY_WARN_LAST &&
	    nymkey_warn_due(&y, exp) == 0, "warnings due at 30 and 7 days, "
	    "none once expired");
	y.keywarned = NYMKEY_WARN_FIRST;
	T(nymkey_warn_due(&y, exp - 20 * day) == 0 &&
	    nymkey_warn_due(&y, exp - 7 * day) == NYMKEY_WARN_LAST,
	    "the 30-day warning once; the 7-day one still due");
	y.keywarned = NYMKEY_WARN_LAST;
	T(nymkey_warn_due(&y, exp - day) == 0, "the 7-day warning once");
	ki.expires = exp + 365 * day;
	nymkey_record(&y, &ki);
	T(y.keywarned == 0 && y.keyexp == exp + 365 * day,
	    "a refreshed expiry earns its own warnings");
	T(nymkey_unusable(&y, now) == NULL && nymkey_unusable(&y, y.keyexp) !=
	    NULL && strstr(nymkey_unusable(&y, y.keyexp), "expired") != NULL,
	    "unusable from the expiry on");
	y.flags |= NF_CRYPTRECV;
	T(nymkey_reachable(&y, now) && !nymkey_reachable(&y, y.keyexp),
	    "a +cryptrecv nym is not written to once its key expired");
	ki.revoked = 1;
	ki.expires = 0;
	nymkey_record(&y, &ki);
	nym_encode(&y, &b);
	T(nym_decode(b.s, b.len, &z) == 0 && z.keyrevoked && z.keyexp == 0 &&
	    strstr(nymkey_unusable(&z, now), "revoked") != NULL &&
	    nymkey_warn_due(&z, now) == 0, "a revoked key: unusable, kept, "
	    "never warned");
	nym_free(&z);
	nym_free(&y);
	buf_free(&b);
}

int
main(void)
{
	test_pool();
	test_keylife();
	test_roundtrip();
	test_malformed();
	test_pending();
	test_list();
	test_choose();
	T_END();
}
