/* test_mime.c - the RFC 3156 splitter (mime.c) and request extraction
 * from PGP/MIME messages (sigreq.c) on committed gpg fixtures.  No case
 * here reaches gpg: only signed (not encrypted) data is extracted. */
#include <stdlib.h>

#include "buf.h"
#include "conf.h"
#include "mime.h"
#include "msg.h"
#include "pgp.h"
#include "sigreq.h"
#include "util.h"
#include "t.h"

#define TEXT "Config:\nFrom: nym1\nNym-Commands: create? +acksend\n" \
    "- a line with a leading dash\n"

static void
test_type(void)
{
	T(mime_type_is("multipart/signed; boundary=x", "multipart/signed"),
	    "type with parameters");
	T(mime_type_is("  Multipart/SIGNED", "multipart/signed"),
	    "type: leading blanks, any case");
	T(mime_type_is("multipart/signed\t;x=y", "multipart/signed"),
	    "type followed by a tab");
	T(!mime_type_is("multipart/signedx", "multipart/signed"),
	    "a longer type is another type");
	T(!mime_type_is("multipart/sig", "multipart/signed"),
	    "a shorter type is another type");
	T(!mime_type_is("", "text/plain"), "empty type");
}

struct pcase {
	const char *ct, *name;
	int rc;
	const char *val;
};

static const struct pcase pcases[] = {
	{ "multipart/signed; boundary=abc", "boundary", 0, "abc" },
	{ "multipart/signed; BOUNDARY=abc", "boundary", 0, "abc" },
	{ "multipart/signed;boundary=\"a b;c\"", "boundary", 0, "a b;c" },
	{ "multipart/signed; boundary = abc ; x=y", "boundary", 0, "abc" },
	{ "multipart/signed; boundary=\"a\\\"b\"", "boundary", 0, "a\"b" },
	{ "multipart/signed; protocol=\"a;boundary=no\"; boundary=yes",
	    "boundary", 0, "yes" },
	{ "multipart/signed; boundaryx=no; boundary=yes", "boundary", 0,
	    "yes" },
	{ "multipart/signed; micalg=pgp-sha256; protocol="
	    "\"application/pgp-signature\"", "protocol", 0,
	    "application/pgp-signature" },
	{ "multipart/signed", "boundary", -1, NULL },
	{ "multipart/signed; boundary=", "boundary", -1, NULL },
	{ "multipart/signed; boundary=\"\"", "boundary", -1, NULL },
	{ "multipart/signed; boundary=\"abc", "boundary", -1, NULL },
	{ "multipart/signed; xboundary=abc", "boundary", -1, NULL },
	{ "multipart/signed; boundary", "boundary", -1, NULL },
};

static void
test_param(void)
{
	struct buf v = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		int rc = mime_param(c->ct, c->name, &v);

		T(rc == c->rc && (c->val == NULL || strcmp(v.s, c->val) == 0),
		    "param %s in [%s] -> %d [%s]", c->name, c->ct, rc,
		    rc == 0 ? v.s : "");
	}
	buf_free(&v);
}

static int
part_is(const struct mime_part *p, const char *s)
{
	return p->rawlen == strlen(s) && memcmp(p->raw, s, p->rawlen) == 0;
}

static void
test_split(void)
{
	struct mime_part parts[MIME_MAX_PARTS];
	struct buf b = BUF_INIT;
	const char *s;
	int n, i;

	s = "preamble\n--b\nA: 1\n\none\n--b\n\ntwo\n\n--b--\nepilogue\n";
	n = mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS);
	T(n == 2 && part_is(&parts[0], "A: 1\n\none") &&
	    part_is(&parts[1], "\ntwo\n"), "two parts, preamble and epilogue "
	    "dropped, the newline before a delimiter is the delimiter's");
	s = "--b \t\r\nx\n--b--  \r\n";
	n = mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS);
	T(n == 1 && part_is(&parts[0], "x"), "transport padding after "
	    "delimiters");
	s = "--b\nx\n--b--";
	n = mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS);
	T(n == 1 && part_is(&parts[0], "x"), "closing delimiter without a "
	    "newline");
	s = "--b\n--b--\n";
	n = mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS);
	T(n == 1 && parts[0].rawlen == 0, "an empty part");
	s = "--b\nx\n--bb\ny\n--b--\n";
	n = mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS);
	T(n == 1 && part_is(&parts[0], "x\n--bb\ny"), "a longer boundary is "
	    "not a delimiter");
	s = "--b\nx\n --b\n-b\n--b--x\n--b--\n";
	n = mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS);
	T(n == 1 && part_is(&parts[0], "x\n --b\n-b\n--b--x"),
	    "lookalike delimiters are content");
	s = "--b\nx\n--b\ny\n";
	T(mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS) == -1,
	    "no closing delimiter: malformed");
	s = "just text\n";
	T(mime_split(s, strlen(s), "b", parts, MIME_MAX_PARTS) == -1,
	    "no delimiter at all: malformed");
	T(mime_split("--\n----\n", 8, "", parts, MIME_MAX_PARTS) == -1,
	    "empty boundary refused");
	buf_reset(&b);
	for (i = 0; i < 71; i++)
		buf_addc(&b, 'x');
	{
		struct buf m = BUF_INIT;

		buf_addf(&m, "--%s\nx\n--%s--\n", b.s, b.s);
		T(mime_split(m.s, m.len, b.s, parts, MIME_MAX_PARTS) == -1,
		    "a boundary over 70 characters refused");
		buf_reset(&m);
		b.s[70] = '\0';
		b.len = 70;
		buf_addf(&m, "--%s\nx\n--%s--\n", b.s, b.s);
		T(mime_split(m.s, m.len, b.s, parts, MIME_MAX_PARTS) == 1,
		    "a boundary of 70 characters accepted");
		buf_free(&m);
	}
	buf_reset(&b);
	for (i = 0; i < MIME_MAX_PARTS; i++)
		buf_addf(&b, "--b\npart %d\n", i);
	buf_adds(&b, "--b--\n");
	T(mime_split(b.s, b.len, "b", parts, MIME_MAX_PARTS) ==
	    MIME_MAX_PARTS, "%d parts accepted", MIME_MAX_PARTS);
	T(mime_split(b.s, b.len, "b", parts, 2) == -1,
	    "more parts than room refused");
	buf_free(&b);
}

static void
test_crlf(void)
{
	static const struct { const char *in, *out; } c[] = {
		{ "a\nb\n", "a\r\nb\r\n" },
		{ "a\r\nb\n", "a\r\nb\r\n" },
		{ "\n\n", "\r\n\r\n" },
		{ "a\rb", "a\rb" },
		{ "no newline", "no newline" },
		{ "", "" },
		{ "x\r\n\r\n\n", "x\r\n\r\n\r\n" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_reset(&b);
		buf_adds(&b, "pre:");
		mime_crlf(&b, c[i].in, strlen(c[i].in));
		T(b.len == 4 + strlen(c[i].out) &&
		    memcmp(b.s + 4, c[i].out, b.len - 4) == 0,
		    "canonical CRLF %zu (appends)", i);
	}
	buf_free(&b);
}

static void
test_qp(void)
{
	static const struct { const char *in; int rc; const char *out; } c[] = {
		{ "plain", 0, "plain" },
		{ "a=3Db", 0, "a=b" },
		{ "a=3db=C3=A9", 0, "a=b\xc3\xa9" },
		{ "soft=\nbreak", 0, "softbreak" },
		{ "soft=\r\nbreak", 0, "softbreak" },
		{ "end=\n", 0, "end" },
		{ "=41", 0, "A" },
		{ "a=\tb", -1, NULL },
		{ "a=G1", -1, NULL },
		{ "a=4", -1, NULL },
		{ "a=", -1, NULL },
		{ "a=\r", -1, NULL },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = mime_qp_decode(c[i].in, strlen(c[i].in), &b);

		T(rc == c[i].rc && (c[i].out == NULL ||
		    (b.len == strlen(c[i].out) &&
		    memcmp(b.s, c[i].out, b.len) == 0)),
		    "quoted-printable case %zu -> %d", i, rc);
	}
	buf_free(&b);
}

/* The identity of the signature in an armored block over text (NULL:
 * the block's own literal data). */
static int
sighash(const struct buf *armored, const char *text, unsigned char out[32])
{
	const char *s, *e;
	struct buf bin = BUF_INIT;
	struct pgp_info info;
	int rc = -1;

	if (pgp_find_armor(armored->s, armored->len, &s, &e) != PGP_NONE &&
	    pgp_dearmor(s, (size_t)(e - s), &bin) == 0 &&
	    pgp_walk(bin.s, bin.len, 1 << 20, &info) == 0) {
		if (info.nsigs > 0)
			rc = text != NULL ? pgp_sigid(&info, text, strlen(text),
			    out) : pgp_sigid(&info, info.literal.s,
			    info.literal.len, out);
		pgp_info_free(&info);
	}
	buf_free(&bin);
	return rc;
}

static struct conf cf;

static int
extract(const char *raw, size_t len, struct sigreq *sr)
{
	static const struct msg_limits lim = { 1 << 20, 200, 8192 };
	struct msg m;
	int rc;

	if (msg_parse(&m, raw, len, &lim) != MSG_OK) {
		memset(sr, 0, sizeof(*sr));
		return -100;
	}
	rc = sigreq_extract(&cf, &m, sr);
	msg_free(&m);
	return rc;
}

#define SIGNED_HDR "From: someone@example.net\nTo: config@nym.example.org\n" \
    "MIME-Version: 1.0\nContent-Type: multipart/signed; micalg=pgp-sha256;" \
    "\n protocol=\"application/pgp-signature\"; boundary=\"=-b1\"\n\n"
#define PART1 "Content-Type: text/plain; charset=us-ascii\n" \
    "Content-Transfer-Encoding: quoted-printable\n\n" \
    "Config:=20\nFrom: nym1\n"

static void
signed_msg(struct buf *out, const char *eol, const char *sigtype,
    const struct buf *sig, int extra)
{
	struct buf t = BUF_INIT;
	size_t i;

	buf_reset(&t);
	buf_addf(&t, SIGNED_HDR "This is an OpenPGP/MIME signed message.\n"
	    "--=-b1\n" PART1 "\n--=-b1\nContent-Type: %s\n\n", sigtype);
	buf_add(&t, sig->s, sig->len);
	if (extra)
		buf_adds(&t, "\n--=-b1\nContent-Type: text/plain\n\nmore");
	buf_adds(&t, "\n--=-b1--\n");
	buf_reset(out);
	for (i = 0; i < t.len; i++) {
		if (t.s[i] == '\n')
			buf_adds(out, eol);
		else
			buf_addc(out, t.s[i]);
	}
	buf_free(&t);
}

static void
test_signed(void)
{
	struct buf sig = BUF_INIT, m = BUF_INIT, want = BUF_INIT;
	struct mime_text c;
	unsigned char h[32];
	struct sigreq sr;
	int rc, i;

	t_pgp_fixture("detached.asc", &sig);
	T(sighash(&sig, PART1, h) == 0, "the detached fixture has a signature");
	mime_crlf(&want, PART1, strlen(PART1));
	for (i = 0; i < 2; i++) {
		const char *eol = i ? "\r\n" : "\n";

		signed_msg(&m, eol, "application/pgp-signature", &sig, 0);
		rc = extract(m.s, m.len, &sr);
		T(rc == GPG_OK && sr.kind == SR_DETACHED && sr.mime == 1 &&
		    !sr.encrypted, "multipart/signed (%s) extracted",
		    i ? "CRLF" : "LF");
		T(sr.text.len == want.len && memcmp(sr.text.s, want.s,
		    want.len) == 0, "the signed part in canonical CRLF form, "
		    "no trailing delimiter newline (%s)", i ? "CRLF" : "LF");
		T(sr.preplain.len == strlen(PART1) && memcmp(sr.preplain.s,
		    PART1, strlen(PART1)) == 0, "the signed part as text (%s)",
		    i ? "CRLF" : "LF");
		T(memcmp(sr.hash, h, 32) == 0, "replay key: the signature's "
		    "identity over the signed part (%s)", i ? "CRLF" : "LF");
		T(sr.sigdata.len > 0 && strncmp(sr.sigdata.s,
		    "-----BEGIN PGP SIGNATURE-----", 29) == 0,
		    "gpg gets the armored signature (%s)", i ? "CRLF" : "LF");
		rc = sigreq_content(&sr, sr.preplain.s, sr.preplain.len, &c);
		T(rc == 0 && strcmp(c.text.s, "Config: \nFrom: nym1\n") == 0,
		    "request text: the part's body, QP decoded (%s)",
		    i ? "CRLF" : "LF");
		mime_text_free(&c);
		sigreq_free(&sr);
	}
	signed_msg(&m, "\n", "application/pgp-signature", &sig, 1);
	T(extract(m.s, m.len, &sr) == GPG_BAD, "multipart/signed with three "
	    "parts refused");
	sigreq_free(&sr);
	signed_msg(&m, "\n", "text/plain", &sig, 0);
	T(extract(m.s, m.len, &sr) == GPG_BAD, "second part not "
	    "application/pgp-signature: refused");
	sigreq_free(&sr);
	/* The signature part holds a PGP MESSAGE, not a SIGNATURE. */
	{
		struct buf other = BUF_INIT;

		t_pgp_fixture("signed-zip.asc", &other);
		signed_msg(&m, "\n", "application/pgp-signature", &other, 0);
		T(extract(m.s, m.len, &sr) == GPG_BAD, "a PGP MESSAGE as the "
		    "signature part refused");
		sigreq_free(&sr);
		buf_free(&other);
	}
	/* The boundary never closes. */
	signed_msg(&m, "\n", "application/pgp-signature", &sig, 0);
	m.len -= strlen("--\n");
	T(extract(m.s, m.len, &sr) == GPG_BAD, "no closing delimiter: "
	    "refused");
	sigreq_free(&sr);
	/* No boundary parameter. */
	buf_reset(&m);
	buf_adds(&m, "Content-Type: multipart/signed\n\n--=-b1\nx\n--=-b1\n"
	    "Content-Type: application/pgp-signature\n\n");
	buf_add(&m, sig.s, sig.len);
	buf_adds(&m, "--=-b1--\n");
	T(extract(m.s, m.len, &sr) == GPG_BAD, "no boundary parameter: "
	    "refused");
	sigreq_free(&sr);
	/* A signature part whose armor is damaged. */
	signed_msg(&m, "\n", "application/pgp-signature", &sig, 0);
	{
		char *p = strstr(m.s, "iIsE");

		if (p != NULL)
			memcpy(p, "!!!!", 4);
	}
	T(extract(m.s, m.len, &sr) == GPG_BAD, "damaged signature armor: "
	    "refused");
	sigreq_free(&sr);
	buf_free(&sig);
	buf_free(&m);
	buf_free(&want);
}

static void
test_encrypted_unwrapped(void)
{
	struct buf pgp = BUF_INIT, m = BUF_INIT;
	struct mime_text c;
	unsigned char h[32];
	struct sigreq sr;
	int rc;

	/* multipart/encrypted whose second part holds a signed (here not
	 * encrypted, so no gpg call) OpenPGP message. */
	t_pgp_fixture("signed-zip.asc", &pgp);
	T(sighash(&pgp, NULL, h) == 0, "the signed fixture has a signature");
	buf_adds(&m, "Content-Type: multipart/encrypted;\n"
	    " protocol=\"application/pgp-encrypted\"; boundary=xyz\n\n"
	    "--xyz\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
	    "--xyz\nContent-Type: application/octet-stream; name=m.asc\n\n");
	buf_add(&m, pgp.s, pgp.len);
	buf_adds(&m, "\n--xyz--\n");
	rc = extract(m.s, m.len, &sr);
	T(rc == GPG_OK && sr.kind == SR_OPAQUE && sr.mime == 1 &&
	    memcmp(sr.hash, h, 32) == 0, "multipart/encrypted: the OpenPGP "
	    "message in part 2 (rc %d)", rc);
	T(sr.preplain.len == strlen(TEXT) && memcmp(sr.preplain.s, TEXT,
	    sr.preplain.len) == 0, "the literal data, decompressed");
	sigreq_free(&sr);
	/* Part 2 of the wrong type. */
	buf_reset(&m);
	buf_adds(&m, "Content-Type: multipart/encrypted; boundary=xyz\n\n"
	    "--xyz\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
	    "--xyz\nContent-Type: text/plain\n\n");
	buf_add(&m, pgp.s, pgp.len);
	buf_adds(&m, "\n--xyz--\n");
	T(extract(m.s, m.len, &sr) == GPG_BAD, "multipart/encrypted with a "
	    "text/plain second part refused");
	sigreq_free(&sr);
	/* Inline in a quoted-printable text/plain body (= becomes =3D). */
	buf_reset(&m);
	buf_adds(&m, "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n");
	{
		size_t i;

		for (i = 0; i < pgp.len; i++) {
			if (pgp.s[i] == '=')
				buf_adds(&m, "=3D");
			else
				buf_addc(&m, pgp.s[i]);
		}
	}
	rc = extract(m.s, m.len, &sr);
	T(rc == GPG_OK && sr.kind == SR_OPAQUE && sr.mime == 0 &&
	    memcmp(sr.hash, h, 32) == 0, "inline armor in a quoted-printable "
	    "body (rc %d)", rc);
	T(sigreq_content(&sr, "as is", 5, &c) == 0 && strcmp(c.text.s, "as is")
	    == 0, "request text of a non-MIME request is the plaintext");
	mime_text_free(&c);
	sigreq_free(&sr);
	/* Inline in a base64 body, and in a mixed message's first text
	 * part with a key attached (mail clients that attach keys). */
	{
		static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
		    "ghijklmnopqrstuvwxyz0123456789+/";
		size_t i, col = 0;
		unsigned acc;

		buf_reset(&m);
		buf_adds(&m, "Content-Type: text/plain; charset=UTF-8\n"
		    "Content-Transfer-Encoding: base64\n\n");
		for (i = 0; i < pgp.len; i += 3) {
			size_t k, left = pgp.len - i < 3 ? pgp.len - i : 3;

			acc = 0;
			for (k = 0; k < 3; k++)
				acc = acc << 8 | (k < left ?
				    (unsigned char)pgp.s[i + k] : 0);
			for (k = 0; k < 4; k++)
				buf_addc(&m, k <= left ? b64[(acc >> (18 - 6 *
				    k)) & 63] : '=');
			if ((col += 4) >= 76) {
				buf_addc(&m, '\n');
				col = 0;
			}
		}
		buf_addc(&m, '\n');
	}
	rc = extract(m.s, m.len, &sr);
	T(rc == GPG_OK && sr.kind == SR_OPAQUE && sr.mime == 0 &&
	    memcmp(sr.hash, h, 32) == 0, "inline armor in a base64 text/plain "
	    "body (rc %d)", rc);
	sigreq_free(&sr);
	buf_reset(&m);
	buf_adds(&m, "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
	    "Content-Type: text/plain\n\n");
	buf_add(&m, pgp.s, pgp.len);
	buf_adds(&m, "\n--q\nContent-Type: application/pgp-keys\n\n"
	    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n-----END PGP PUBLIC KEY "
	    "BLOCK-----\n--q--\n");
	rc = extract(m.s, m.len, &sr);
	T(rc == GPG_OK && sr.kind == SR_OPAQUE && memcmp(sr.hash, h, 32) == 0,
	    "inline armor in the first text part of multipart/mixed (rc %d)",
	    rc);
	sigreq_free(&sr);
	/* A clear-signed text in a message without MIME headers. */
	t_pgp_fixture("clearsigned.asc", &pgp);
	buf_reset(&m);
	buf_adds(&m, "Subject: x\n\n");
	buf_add(&m, pgp.s, pgp.len);
	rc = extract(m.s, m.len, &sr);
	{
		/* The hash is the signature block's, not the whole text's. */
		struct buf sigpart = BUF_INIT;
		const char *sp = strstr(pgp.s, "-----BEGIN PGP SIGNATURE");

		buf_sets(&sigpart, sp != NULL ? sp : "");
		if (sighash(&sigpart, TEXT, h) < 0)
			memset(h, 0, sizeof(h));
		buf_free(&sigpart);
	}
	T(rc == GPG_OK && sr.kind == SR_CLEAR &&
	    memcmp(sr.hash, h, 32) == 0 && sr.preplain.len == strlen(TEXT) &&
	    memcmp(sr.preplain.s, TEXT, strlen(TEXT)) == 0,
	    "clear-signed text: dash-escaping undone, signature hashed");
	sigreq_free(&sr);
	/* Neither: an HTML body, an unsigned text. */
	buf_reset(&m);
	buf_adds(&m, "Content-Type: text/html\n\n");
	buf_add(&m, pgp.s, pgp.len);
	T(extract(m.s, m.len, &sr) == GPG_BAD, "text/html body refused");
	sigreq_free(&sr);
	buf_reset(&m);
	buf_adds(&m, "Subject: x\n\nConfig:\nFrom: nym1\n");
	T(extract(m.s, m.len, &sr) == GPG_BAD, "unsigned text refused");
	sigreq_free(&sr);
	buf_free(&pgp);
	buf_free(&m);
}

/* pgp_sigid over a C string. */
static int
sid(const struct pgp_info *info, const char *text, unsigned char out[32])
{
	return pgp_sigid(info, text, strlen(text), out);
}

/* pgp_sigid: the signed fields and the text, normalised. */
static void
test_sigid(void)
{
	struct pgp_info a, b;
	unsigned char x[32], y[32];

	memset(&a, 0, sizeof(a));
	a.sigversion = 4;
	memset(a.sigpart, 7, sizeof(a.sigpart));
	b = a;
	b.sigpart[31] = 8;
	T(sid(&a, "Config:\nFrom: x\n", x) == 0 &&
	    sid(&a, "Config:  \r\nFrom: x\t\r\n\r\n\n", y) == 0 &&
	    memcmp(x, y, 32) == 0, "sigid: line ends, trailing blanks and "
	    "final empty lines do not count");
	T(sid(&a, "Config:\nFrom: y\n", y) == 0 && memcmp(x, y, 32) != 0,
	    "sigid: another text, same fields: another identity");
	T(sid(&b, "Config:\nFrom: x\n", y) == 0 && memcmp(x, y, 32) != 0,
	    "sigid: other fields, same text: another identity");
	T(sid(&a, " Config:\nFrom: x\n", y) == 0 && memcmp(x, y, 32) != 0 &&
	    sid(&a, "", y) == 0, "sigid: leading blanks count; an empty text "
	    "is a text");
	a.sigversion = 0;
	T(sid(&a, "x", y) < 0, "sigid: unknown version refused");
}

int
main(void)
{
	cf.max_message_size = 1 << 20;
	cf.gnupghome = (char *)"/nonexistent/gnupg";	/* never reached */
	test_type();
	test_param();
	test_split();
	test_crlf();
	test_qp();
	test_signed();
	test_encrypted_unwrapped();
	test_sigid();
	T_END();
}
