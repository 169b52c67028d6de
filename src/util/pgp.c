/* pgp.c - OpenPGP armor and packet framing (RFC 4880), no cryptography. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <gcrypt.h>
#include <zlib.h>

#include "buf.h"
#include "pgp.h"
#include "util.h"

static const struct {
	const char *begin, *end;
	enum pgp_armor kind;
} armors[] = {
	{ "-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----",
	    PGP_MESSAGE },
	{ "-----BEGIN PGP SIGNED MESSAGE-----", "-----END PGP SIGNATURE-----",
	    PGP_SIGNED },
	{ "-----BEGIN PGP SIGNATURE-----", "-----END PGP SIGNATURE-----",
	    PGP_SIGNATURE },
	{ "-----BEGIN PGP PUBLIC KEY BLOCK-----",
	    "-----END PGP PUBLIC KEY BLOCK-----", PGP_PUBKEY },
};

/* Does the line at p (within end) start with s? */
static int
line_starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

static const char *
next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

enum pgp_armor
pgp_find_armor(const char *text, size_t len, const char **start,
    const char **end)
{
	const char *p = text, *e = text + len;

	for (; p < e; p = next_line(p, e)) {
		size_t i;

		for (i = 0; i < sizeof(armors) / sizeof(armors[0]); i++) {
			const char *q;

			if (!line_starts(p, e, armors[i].begin))
				continue;
			for (q = next_line(p, e); q < e; q = next_line(q, e)) {
				if (line_starts(q, e, armors[i].end)) {
					*start = p;
					*end = next_line(q, e);
					return armors[i].kind;
				}
			}
			return PGP_NONE;	/* unterminated */
		}
	}
	return PGP_NONE;
}

int
pgp_dearmor(const char *start, size_t len, struct buf *out)
{
	const char *p = start, *e = start + len;
	unsigned acc = 0;
	int bits = 0, in_body = 0;

	buf_reset(out);
	p = next_line(p, e);			/* BEGIN line */
	for (; p < e; p = next_line(p, e)) {
		const char *le = memchr(p, '\n', (size_t)(e - p)), *q;

		if (le == NULL)
			le = e;
		if (line_starts(p, e, "-----END "))
			break;
		if (!in_body) {
			/* Armor headers run to the first empty line. */
			const char *r = p;

			while (r < le && (*r == ' ' || *r == '\t' || *r == '\r'))
				r++;
			if (r == le)
				in_body = 1;
			else if (memchr(p, ':', (size_t)(le - p)) == NULL) {
				/* No headers and no blank line: body. */
				in_body = 1;
				goto body;
			}
			continue;
		}
body:
		if (*p == '=')			/* CRC-24 line */
			continue;
		for (q = p; q < le; q++) {
			int v;

			if (*q == '=' )
				break;
			if (*q == '\r' || *q == ' ' || *q == '\t')
				continue;
			if ((v = util_b64val((unsigned char)*q)) < 0)
				return -1;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf_addc(out, (int)((acc >> bits) & 0xff));
			}
		}
	}
	return out->len > 0 ? 0 : -1;
}

struct reader {
	const unsigned char *p, *end;
};

/* Decompress an OpenPGP compressed packet body into out (capped). */
static int
decompress(int algo, const unsigned char *p, size_t len, size_t max,
    struct buf *out)
{
	unsigned char tmp[16384];

	buf_reset(out);
	if (algo == 0) {
		if (len > max)
			return -1;
		buf_add(out, p, len);
		return 0;
	}
	if (algo == 1 || algo == 2) {
		z_stream z;
		int rc;

		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, algo == 1 ? -15 : 15) != Z_OK)
			return -1;
		z.next_in = (unsigned char *)p;
		z.avail_in = (uInt)len;
		do {
			z.next_out = tmp;
			z.avail_out = sizeof(tmp);
			rc = inflate(&z, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END &&
			    !(rc == Z_BUF_ERROR && z.avail_in == 0)) {
				inflateEnd(&z);
				return -1;
			}
			if (out->len + (sizeof(tmp) - z.avail_out) > max) {
				inflateEnd(&z);
				return -1;
			}
			buf_add(out, tmp, sizeof(tmp) - z.avail_out);
			if (rc == Z_BUF_ERROR)
				break;
		} while (rc != Z_STREAM_END);
		inflateEnd(&z);
		return 0;
	}
	if (algo == 3) {
		bz_stream b;
		int rc;

		memset(&b, 0, sizeof(b));
		if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
			return -1;
		b.next_in = (char *)p;
		b.avail_in = (unsigned)len;
		do {
			b.next_out = (char *)tmp;
			b.avail_out = sizeof(tmp);
			rc = BZ2_bzDecompress(&b);
			if (rc != BZ_OK && rc != BZ_STREAM_END) {
				BZ2_bzDecompressEnd(&b);
				return -1;
			}
			if (out->len + (sizeof(tmp) - b.avail_out) > max) {
				BZ2_bzDecompressEnd(&b);
				return -1;
			}
			buf_add(out, tmp, sizeof(tmp) - b.avail_out);
			if (rc == BZ_OK && b.avail_in == 0 &&
			    b.avail_out == sizeof(tmp))
				break;
		} while (rc != BZ_STREAM_END);
		BZ2_bzDecompressEnd(&b);
		return 0;
	}
	return -1;
}

/*
 * Read one packet header at r->p: tag and body.  Partial body lengths
 * are joined into body (a copy).  Returns 0, 1 at the end, -1 on error.
 */
static int
read_packet(struct reader *r, int *tag, struct buf *body)
{
	const unsigned char *p = r->p, *e = r->end;
	unsigned ctb;
	int partial;

	buf_reset(body);
	if (p >= e)
		return 1;
	ctb = *p++;
	if (!(ctb & 0x80))
		return -1;
	if (ctb & 0x40) {			/* new format */
		*tag = (int)(ctb & 0x3f);
		do {
			size_t n;

			partial = 0;
			if (p >= e)
				return -1;
			if (*p < 192) {
				n = *p++;
			} else if (*p < 224) {
				if (e - p < 2)
					return -1;
				n = ((size_t)(p[0] - 192) << 8) + p[1] + 192;
				p += 2;
			} else if (*p == 255) {
				if (e - p < 5)
					return -1;
				n = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) |
				    ((size_t)p[3] << 8) | p[4];
				p += 5;
			} else {
				n = (size_t)1 << (*p & 0x1f);
				p++;
				partial = 1;
			}
			if (n > (size_t)(e - p))
				return -1;
			buf_add(body, p, n);
			p += n;
		} while (partial);
	} else {				/* old format */
		size_t n;

		*tag = (int)((ctb >> 2) & 0x0f);
		switch (ctb & 3) {
		case 0:
			if (e - p < 1)
				return -1;
			n = p[0];
			p += 1;
			break;
		case 1:
			if (e - p < 2)
				return -1;
			n = ((size_t)p[0] << 8) | p[1];
			p += 2;
			break;
		case 2:
			if (e - p < 4)
				return -1;
			n = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) |
			    ((size_t)p[2] << 8) | p[3];
			p += 4;
			break;
		default:			/* indeterminate: to the end */
			n = (size_t)(e - p);
			break;
		}
		if (n > (size_t)(e - p))
			return -1;
		buf_add(body, p, n);
		p += n;
	}
	r->p = p;
	return 0;
}

int
pgp_packet(const void *data, size_t len, size_t *off, int *tag)
{
	struct reader r;
	struct buf body = BUF_INIT;
	int rc;

	if (*off > len)
		return -1;
	r.p = (const unsigned char *)data + *off;
	r.end = (const unsigned char *)data + len;
	if ((rc = read_packet(&r, tag, &body)) == 0)
		*off = (size_t)(r.p - (const unsigned char *)data);
	buf_free(&body);
	return rc;
}

/*
 * The issuer key id from a v4 signature's subpacket area (p, n): an
 * Issuer subpacket (16), else the key id of an Issuer Fingerprint (33).
 */
static void
sig_issuer(const unsigned char *p, size_t n, struct pgp_info *info)
{
	while (n > 0) {
		size_t len, hl;
		int type;

		if (p[0] < 192) {
			len = p[0];
			hl = 1;
		} else if (p[0] < 255) {
			if (n < 2)
				return;
			len = ((size_t)(p[0] - 192) << 8) + p[1] + 192;
			hl = 2;
		} else {
			if (n < 5)
				return;
			len = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) |
			    ((size_t)p[3] << 8) | p[4];
			hl = 5;
		}
		if (len == 0 || len > n - hl)
			return;
		type = p[hl] & 0x7f;
		if (type == 16 && len == 9) {
			memcpy(info->issuer, p + hl + 1, 8);
			info->has_issuer = 2;
		} else if (type == 33 && info->has_issuer < 2 && len >= 2) {
			if (p[hl + 1] == 4 && len == 22) {
				memcpy(info->issuer, p + hl + 2 + 12, 8);
				info->has_issuer = 1;
			} else if ((p[hl + 1] == 5 || p[hl + 1] == 6) &&
			    len == 34) {
				memcpy(info->issuer, p + hl + 2, 8);
				info->has_issuer = 1;
			}
		}
		p += hl + len;
		n -= hl + len;
	}
}

/*
 * The fields of a signature packet its signer signed besides the data:
 * v3, the class and time (hashed) and the algorithms (they decide how the
 * digest is made and checked); v4, everything up to the end of the hashed
 * subpacket area.  Not the key id, the unhashed area, the digest's first
 * two bytes or the signature values: anyone may alter those without the
 * signature failing (or, for ECDSA, re-encode s as n - s).
 */
static void
sig_fields(const struct buf *body, struct pgp_info *info)
{
	const unsigned char *p = (const unsigned char *)body->s;
	size_t n = body->len, hl;
	struct buf f = BUF_INIT;

	info->sigversion = 0;
	if (n >= 19 && p[0] == 3 && p[1] == 5) {
		buf_add(&f, p, 7);
		buf_add(&f, p + 15, 2);
		memcpy(info->issuer, p + 7, 8);
		info->has_issuer = 2;
	} else if (n >= 6 && p[0] == 4) {
		size_t ul;

		hl = ((size_t)p[4] << 8) | p[5];
		if (hl + 10 > n)		/* + unhashed count, left 16 */
			return;
		buf_add(&f, p, 6 + hl);
		ul = ((size_t)p[6 + hl] << 8) | p[7 + hl];
		sig_issuer(p + 6, hl, info);
		if (ul <= n - hl - 10)
			sig_issuer(p + 8 + hl, ul, info);
	} else {
		return;
	}
	info->sigversion = p[0];
	util_sha256(f.s, f.len, info->sigpart);
	buf_free(&f);
}

int
pgp_key_ids(const void *data, size_t len, unsigned char (*ids)[8],
    size_t max)
{
	struct reader r = { data, (const unsigned char *)data + len };
	struct buf body = BUF_INIT, h = BUF_INIT;
	unsigned char d[32];
	size_t n = 0;
	int tag, rc = 0;

	if (util_crypto_init() < 0)
		return -1;
	while (n < max && (rc = read_packet(&r, &tag, &body)) == 0) {
		const unsigned char *b = (const unsigned char *)body.s;

		if ((tag != 6 && tag != 14) || body.len < 1)
			continue;
		buf_reset(&h);
		if (b[0] == 4 && body.len <= 0xffff) {
			buf_addc(&h, 0x99);
			buf_addc(&h, (int)(body.len >> 8));
			buf_addc(&h, (int)(body.len & 0xff));
			buf_add(&h, body.s, body.len);
			gcry_md_hash_buffer(GCRY_MD_SHA1, d, h.s, h.len);
			memcpy(ids[n++], d + 12, 8);
		} else if (b[0] == 5 || b[0] == 6) {
			/* RFC 9580 (v6) hashes like the v5 draft, 0x9b. */
			buf_addc(&h, b[0] == 5 ? 0x9a : 0x9b);
			buf_addc(&h, (int)((body.len >> 24) & 0xff));
			buf_addc(&h, (int)((body.len >> 16) & 0xff));
			buf_addc(&h, (int)((body.len >> 8) & 0xff));
			buf_addc(&h, (int)(body.len & 0xff));
			buf_add(&h, body.s, body.len);
			util_sha256(h.s, h.len, d);
			memcpy(ids[n++], d, 8);
		}
	}
	buf_free(&body);
	buf_free(&h);
	return rc < 0 ? -1 : (int)n;
}

/* Walk one level of packets, descending into compressed ones. */
/*
 * *budget is what may still be decompressed in the whole walk: a cap per
 * packet would let sibling compressed packets nested a few levels deep
 * inflate 64^depth times the cap from a few kilobytes.
 */
static int
walk(const unsigned char *data, size_t len, size_t *budget, int depth,
    struct pgp_info *info)
{
	struct reader r = { data, data + len };
	struct buf body = BUF_INIT, inner = BUF_INIT;
	int tag, rc = 0, n = 0;

	if (depth > PGP_MAX_DEPTH)
		return -1;
	while ((rc = read_packet(&r, &tag, &body)) == 0) {
		if (++n > 64) {			/* packets per level */
			rc = -1;
			break;
		}
		switch (tag) {
		case 1: case 3:			/* PKESK, SKESK */
			info->encrypted = 1;
			break;
		case 9:				/* SE without MDC */
			info->encrypted = 1;
			break;
		case 18:			/* SEIPD */
			info->encrypted = 1;
			info->mdc = 1;
			break;
		case 2:				/* signature */
			if (info->nsigs++ == 0)
				sig_fields(&body, info);
			break;
		case 8:				/* compressed */
			if (body.len < 1 || decompress((unsigned char)body.s[0],
			    (unsigned char *)body.s + 1, body.len - 1, *budget,
			    &inner) < 0) {
				rc = -1;
				break;
			}
			*budget -= inner.len;
			if (walk((unsigned char *)inner.s, inner.len, budget,
			    depth + 1, info) < 0)
				rc = -1;
			break;
		case 11:			/* literal */
			info->nliterals++;
			if (!info->has_literal && body.len >= 6) {
				size_t fnlen = (unsigned char)body.s[1];

				if (2 + fnlen + 4 > body.len) {
					rc = -1;
					break;
				}
				buf_set(&info->literal, body.s + 2 + fnlen + 4,
				    body.len - 2 - fnlen - 4);
				info->has_literal = 1;
			}
			break;
		case 0:
			rc = -1;
			break;
		default:			/* one-pass sig, marker, keys… */
			break;
		}
		/* Stop at encrypted data; session keys come before it. */
		if (rc < 0 || tag == 9 || tag == 18)
			break;
	}
	buf_free(&body);
	buf_free(&inner);
	return rc < 0 ? -1 : 0;
}

int
pgp_walk(const void *data, size_t len, size_t max, struct pgp_info *info)
{
	size_t budget = max;

	memset(info, 0, sizeof(*info));
	if (walk(data, len, &budget, 0, info) < 0) {
		/* Nothing to free after a failure (callers just return). */
		pgp_info_free(info);
		memset(info, 0, sizeof(*info));
		return -1;
	}
	return 0;
}

void
pgp_info_free(struct pgp_info *info)
{
	buf_free(&info->literal);
}

int
pgp_sigid(const struct pgp_info *info, const void *text, size_t len,
    unsigned char out[32])
{
	static const char tag[] = "nymserv signature id 1";
	const char *p = text, *e = p + len;
	struct buf b = BUF_INIT;
	unsigned char th[32];

	if (info->sigversion == 0)
		return -1;
	/* Lines without trailing blanks or CR, LF-separated, no final
	 * empty lines: coarser than any OpenPGP canonical text form. */
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl != NULL ? nl : e;

		while (le > p && (le[-1] == ' ' || le[-1] == '\t' ||
		    le[-1] == '\r'))
			le--;
		buf_add(&b, p, (size_t)(le - p));
		buf_addc(&b, '\n');
		p = nl != NULL ? nl + 1 : e;
	}
	while (b.len > 0 && b.s[b.len - 1] == '\n')
		b.len--;
	util_sha256(b.s != NULL ? b.s : "", b.len, th);
	buf_wipe(&b);
	buf_add(&b, tag, sizeof(tag));
	buf_add(&b, info->sigpart, sizeof(info->sigpart));
	buf_add(&b, th, sizeof(th));
	util_sha256(b.s, b.len, out);
	buf_free(&b);
	return 0;
}

int
pgp_cleartext(const char *start, size_t len, struct buf *out)
{
	const char *p = start, *e = start + len;

	buf_reset(out);
	p = next_line(p, e);			/* BEGIN PGP SIGNED MESSAGE */
	/* Hash: headers up to the empty line. */
	while (p < e && *p != '\n' && !(*p == '\r' && p + 1 < e && p[1] == '\n'))
		p = next_line(p, e);
	if (p >= e)
		return -1;
	p = next_line(p, e);
	for (; p < e; p = next_line(p, e)) {
		const char *le = next_line(p, e);

		if (line_starts(p, e, "-----BEGIN PGP SIGNATURE-----"))
			return 0;
		if (line_starts(p, e, "- "))
			p += 2;
		buf_add(out, p, (size_t)(le - p));
	}
	return -1;
}

int
pgp_encrypted_shape(const void *data, size_t len)
{
	struct reader r = { data, (const unsigned char *)data + len };
	struct buf body = BUF_INIT;
	int tag, rc, ret = 0, n = 0;

	/* At most 64 packets before the data, as pgp_walk: gpg tries every
	 * secret key on each anonymous key packet, an agent call each. */
	while ((rc = read_packet(&r, &tag, &body)) == 0) {
		if (tag == 1 || tag == 3 || tag == 10) {
			if (++n > 64)	/* PKESK, SKESK, marker */
				break;
			continue;
		}
		ret = tag == 9 || tag == 18;	/* the encrypted data */
		break;
	}
	buf_free(&body);
	return ret;
}
