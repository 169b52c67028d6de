/* keymin.c - walking a transferable public key: UIDs, self-signatures, subkeys. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gcrypt.h>

#include "buf.h"
#include "keymin.h"
#include "pgp.h"

#define MAX_PACKETS 1024
#define MAX_UID 2048

enum { C_PRIMARY, C_UID, C_ATTR, C_SUB };

/* One packet: where it is (header included) and what it belongs to. */
struct pk {
	size_t off, len;	/* the whole packet */
	int tag;
	int comp;		/* index of its component */
	int keep;		/* a self-signature, or not a signature */
};

/* The primary key, a UID, a user attribute or a subkey. */
struct comp {
	int kind;
	size_t pkt;		/* its key or UID packet */
	long created;		/* keys: creation time */
	int algo;		/* keys: public key algorithm */
	long cert_time;		/* newest certification / binding */
	int cert;		/* ... its packet index, -1 none */
	long cert_exp;		/* ... its key expiry (seconds), 0 none */
	int cert_flags;		/* ... key flags, -1 absent */
	long rev_time;		/* newest revocation, -1 none */
	long direct_exp;	/* primary: direct-key signature expiry */
};

struct sig {
	int type, self;
	long created, keyexp;
	int flags;		/* -1: no key flags subpacket */
};

static unsigned long
be32(const unsigned char *p)
{
	return ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) |
	    ((unsigned long)p[2] << 8) | p[3];
}

/* A packet header at p (n bytes left): tag, header and body length. */
static int
header(const unsigned char *p, size_t n, int *tag, size_t *hl, size_t *bl)
{
	if (n < 2 || !(p[0] & 0x80))
		return -1;
	if (p[0] & 0x40) {
		*tag = p[0] & 0x3f;
		if (p[1] < 192) {
			*hl = 2;
			*bl = p[1];
		} else if (p[1] < 224) {
			if (n < 3)
				return -1;
			*hl = 3;
			*bl = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
		} else if (p[1] == 255) {
			if (n < 6)
				return -1;
			*hl = 6;
			*bl = be32(p + 2);
		} else {
			return -1;	/* partial lengths: never in keys */
		}
	} else {
		*tag = (p[0] >> 2) & 0x0f;
		switch (p[0] & 3) {
		case 0:
			*hl = 2;
			*bl = p[1];
			break;
		case 1:
			if (n < 3)
				return -1;
			*hl = 3;
			*bl = ((size_t)p[1] << 8) | p[2];
			break;
		case 2:
			if (n < 5)
				return -1;
			*hl = 5;
			*bl = be32(p + 1);
			break;
		default:
			return -1;	/* indeterminate length */
		}
	}
	return *bl > n - *hl ? -1 : 0;
}

/* Walk one subpacket area (hashed: times and flags count there only). */
static int
subpackets(const unsigned char *p, size_t n, int hashed,
    const unsigned char fpr[20], struct sig *s)
{
	while (n > 0) {
		size_t l, hl;
		int type;

		if (p[0] < 192) {
			l = p[0];
			hl = 1;
		} else if (p[0] < 255) {
			if (n < 2)
				return -1;
			l = ((size_t)(p[0] - 192) << 8) + p[1] + 192;
			hl = 2;
		} else {
			if (n < 5)
				return -1;
			l = be32(p + 1);
			hl = 5;
		}
		if (l == 0 || l > n - hl)
			return -1;
		type = p[hl] & 0x7f;
		p += hl + 1;
		l--;
		if (hashed && type == 2 && l == 4)
			s->created = (long)be32(p);
		else if (hashed && type == 9 && l == 4)
			s->keyexp = (long)be32(p);
		else if (hashed && type == 27 && l >= 1)
			s->flags = p[0];
		else if (type == 16 && l == 8 && memcmp(p, fpr + 12, 8) == 0)
			s->self = 1;
		else if (type == 33 && l == 21 && p[0] == 4 &&
		    memcmp(p + 1, fpr, 20) == 0)
			s->self = 1;
		p += l;
		n -= hl + 1 + l;
	}
	return 0;
}

/* A signature packet's body: only v4 signatures are understood. */
static int
parse_sig(const unsigned char *b, size_t n, const unsigned char fpr[20],
    struct sig *s)
{
	size_t h, u;

	memset(s, 0, sizeof(*s));
	s->flags = -1;
	if (n < 1 || b[0] != 4)
		return 0;		/* not ours to judge: dropped */
	if (n < 8)
		return -1;
	s->type = b[1];
	h = ((size_t)b[4] << 8) | b[5];
	if (h + 8 > n || subpackets(b + 6, h, 1, fpr, s) < 0)
		return -1;
	u = ((size_t)b[6 + h] << 8) | b[7 + h];
	if (h + 8 + u > n || subpackets(b + 8 + h, u, 0, fpr, s) < 0)
		return -1;
	return 0;
}

/* The v4 fingerprint of a key packet body. */
static void
fingerprint(const unsigned char *body, size_t n, unsigned char fpr[20])
{
	unsigned char pre[3] = { 0x99, (unsigned char)(n >> 8),
	    (unsigned char)n };
	gcry_md_hd_t h;

	if (gcry_md_open(&h, GCRY_MD_SHA1, 0) != 0) {
		memset(fpr, 0, 20);
		return;
	}
	gcry_md_write(h, pre, sizeof(pre));
	gcry_md_write(h, body, n);
	memcpy(fpr, gcry_md_read(h, GCRY_MD_SHA1), 20);
	gcry_md_close(h);
}

/* Is the UID's mailbox (inside <> or the whole UID) exactly addr? */
static int
mailbox_is(const unsigned char *u, size_t n, const char *addr)
{
	const unsigned char *lt = NULL, *gt, *p;
	size_t al = strlen(addr);

	if (n > MAX_UID || memchr(u, 0, n) != NULL)
		return 0;
	for (p = u; p < u + n; p++)
		if (*p == '<')
			lt = p;
	if (lt != NULL) {
		gt = memchr(lt, '>', (size_t)(u + n - lt));
		if (gt == NULL)
			return 0;
		u = lt + 1;
		n = (size_t)(gt - u);
	} else {
		while (n > 0 && u[0] == ' ')
			u++, n--;
		while (n > 0 && u[n - 1] == ' ')
			n--;
	}
	return n == al && strncasecmp((const char *)u, addr, al) == 0;
}

/* A signature belongs to its component: remember what counts. */
static void
attach(struct comp *c, const struct sig *s, int idx)
{
	int rev = s->type == 0x20 || s->type == 0x28 || s->type == 0x30;
	int cert = (c->kind == C_UID || c->kind == C_ATTR) ?
	    (s->type >= 0x10 && s->type <= 0x13) :
	    c->kind == C_SUB ? s->type == 0x18 : 0;

	if (c->kind == C_PRIMARY && s->type == 0x1f && s->keyexp > 0)
		c->direct_exp = s->keyexp;
	if (rev && s->created >= c->rev_time)
		c->rev_time = s->created;
	if (cert && (c->cert < 0 || s->created >= c->cert_time)) {
		c->cert = idx;
		c->cert_time = s->created;
		c->cert_exp = s->keyexp;
		c->cert_flags = s->flags;
	}
}

/* Can the subkey encrypt at now (RFC 4880 5.2.3.21, else by algorithm)? */
static int
enc_usable(const struct comp *c, long now)
{
	int enc;

	if (c->cert < 0 || c->rev_time >= 0)
		return 0;
	if (c->cert_flags >= 0)
		enc = (c->cert_flags & 0x0c) != 0;
	else
		enc = c->algo == 1 || c->algo == 2 || c->algo == 16 ||
		    c->algo == 18;
	if (c->cert_exp > 0 && c->created + c->cert_exp <= now)
		return 0;
	return enc;
}

static void
add_pkt(struct buf *out, const unsigned char *data, const struct pk *p)
{
	buf_add(out, data + p->off, p->len);
}

struct walk {
	struct pk pk[MAX_PACKETS];
	struct comp comp[MAX_PACKETS];
	size_t npk, ncomp;
};

/* Split into packets and components; judge each signature. */
static int
walk(const unsigned char *d, size_t len, struct walk *w)
{
	unsigned char fpr[20];
	size_t off = 0;
	int skip = 0;		/* inside a subkey we cannot judge */

	w->npk = w->ncomp = 0;
	while (off < len) {
		struct pk *p;
		struct comp *c;
		size_t hl, bl;
		int tag;

		if (w->npk == MAX_PACKETS ||
		    header(d + off, len - off, &tag, &hl, &bl) < 0)
			return -1;
		p = &w->pk[w->npk];
		p->off = off;
		p->len = hl + bl;
		p->tag = tag;
		p->keep = 1;
		if (w->npk == 0) {
			/* A v4 primary key: version, time, algorithm. */
			if (tag != 6 || bl < 6 || d[off + hl] != 4)
				return -1;
			fingerprint(d + off + hl, bl, fpr);
		} else if (tag == 6) {
			return -1;	/* a second key */
		}
		if (tag == 6 || tag == 13 || tag == 17 || tag == 14) {
			skip = tag == 14 && (bl < 6 || d[off + hl] != 4);
			if (skip) {
				p->keep = 0;	/* dropped with its signatures */
			} else {
				c = &w->comp[w->ncomp];
				memset(c, 0, sizeof(*c));
				c->kind = tag == 6 ? C_PRIMARY : tag == 13 ?
				    C_UID : tag == 17 ? C_ATTR : C_SUB;
				c->pkt = w->npk;
				c->cert = -1;
				c->rev_time = -1;
				if (tag == 6 || tag == 14) {
					c->created = (long)be32(d + off + hl +
					    1);
					c->algo = d[off + hl + 5];
				}
				w->ncomp++;
			}
		}
		p->comp = (int)w->ncomp - 1;
		if (tag == 2) {
			struct sig s;

			if (parse_sig(d + off + hl, bl, fpr, &s) < 0)
				return -1;
			p->keep = s.self && !skip;
			if (p->keep)
				attach(&w->comp[p->comp], &s, (int)w->npk);
		} else if (tag != 6 && tag != 13 && tag != 17 && tag != 14) {
			p->keep = 0;	/* trust packets, anything else */
		}
		off += hl + bl;
		w->npk++;
	}
	return w->npk > 0 ? 0 : -1;
}

int
keymin_parse(const void *key, size_t len, const char *addr, long now,
    struct keymin *info, struct buf *full, struct buf *cut)
{
	const unsigned char *d = key;
	struct walk *w;
	const struct comp *prim, *uid = NULL, *sub = NULL, *first = NULL;
	size_t i;
	int nuid = 0, rc = -1;

	memset(info, 0, sizeof(*info));
	info->uid_match = -1;
	if (len == 0 || len > KEYMIN_MAX)
		return -1;
	w = xcalloc(1, sizeof(*w));
	if (walk(d, len, w) < 0)
		goto out;
	prim = &w->comp[0];
	info->created = prim->created;
	info->revoked = prim->rev_time >= 0;
	for (i = 1; i < w->ncomp; i++) {
		const struct comp *c = &w->comp[i];
		const struct pk *p = &w->pk[c->pkt];
		size_t hl = 0, bl = 0;
		int tag;

		if (c->kind == C_ATTR)
			info->nattrs++;
		if (c->kind == C_SUB && enc_usable(c, now) &&
		    (sub == NULL || c->created >= sub->created))
			sub = c;
		if (c->kind != C_UID)
			continue;
		if (header(d + p->off, p->len, &tag, &hl, &bl) < 0)
			goto out;
		if (first == NULL)
			first = c;
		if (uid == NULL && c->cert >= 0 && (c->rev_time < 0 ||
		    c->rev_time < c->cert_time) &&
		    mailbox_is(d + p->off + hl, bl, addr)) {
			uid = c;
			info->uid_match = nuid;
		}
		nuid++;
	}
	info->nuids = nuid;
	{
		const struct comp *u = uid ? uid : first;
		long e = u != NULL && u->cert_exp > 0 ? u->cert_exp :
		    prim->direct_exp;

		info->expires = e > 0 ? prim->created + e : 0;
	}
	if (sub != NULL) {
		info->has_enc = 1;
		info->enc_created = sub->created;
	}
	if (full != NULL) {
		buf_reset(full);
		for (i = 0; i < w->npk; i++)
			if (w->pk[i].keep)
				add_pkt(full, d, &w->pk[i]);
	}
	if (cut != NULL) {
		buf_reset(cut);
		if (uid != NULL && sub != NULL && !info->revoked) {
			add_pkt(cut, d, &w->pk[0]);
			add_pkt(cut, d, &w->pk[uid->pkt]);
			add_pkt(cut, d, &w->pk[uid->cert]);
			add_pkt(cut, d, &w->pk[sub->pkt]);
			add_pkt(cut, d, &w->pk[sub->cert]);
		}
	}
	rc = 0;
out:
	free(w);
	return rc;
}

int
keymin_dearmor(const void *armored, size_t len, struct buf *bin)
{
	const char *start, *end;

	buf_reset(bin);
	if (pgp_find_armor(armored, len, &start, &end) != PGP_PUBKEY)
		return -1;
	if (pgp_dearmor(start, (size_t)(end - start), bin) < 0 ||
	    bin->len == 0)
		return -1;
	return 0;
}

int
keymin_wkd_ok(const struct keymin *k, long now, const char **why)
{
	const char *w = NULL;

	if (k->nuids != 1 || k->nattrs != 0)
		w = "the key has more than one user ID (or a photo ID)";
	else if (k->uid_match != 0)
		w = "the key's user ID is not the nym's address";
	else if (k->revoked)
		w = "the key is revoked";
	else if (k->expires != 0 && k->expires <= now)
		w = "the key has expired";
	if (why != NULL)
		*why = w;
	return w == NULL;
}
