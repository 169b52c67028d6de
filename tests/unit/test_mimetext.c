/* test_mimetext.c - the request text in a MIME entity (mime.c): base64,
 * format=flowed, the first text/plain part of Thunderbird-shaped and other
 * multiparts, protected headers, the caps on depth and parts; and
 * sigreq_content on top of it.  No gpg. */
#include <stdlib.h>

#include "buf.h"
#include "mime.h"
#include "sigreq.h"
#include "t.h"

static void
test_b64(void)
{
	static const struct { const char *in; int rc; const char *out; } c[] = {
		{ "Q29uZmlnOgo=", 0, "Config:\n" },
		{ "Q29u\nZmln\r\nOgo=\n", 0, "Config:\n" },
		{ " QQ== ", 0, "A" },
		{ "QUI=", 0, "AB" },
		{ "QUJD", 0, "ABC" },
		{ "QQ", 0, "A" },
		{ "QUI", 0, "AB" },
		{ "", 0, "" },
		{ "Q", -1, NULL },
		{ "QQ=A", -1, NULL },
		{ "QQ===", -1, NULL },
		{ "QUJD=", -1, NULL },
		{ "QUI==", -1, NULL },
		{ "Q!==", -1, NULL },
		{ "QQ==QQ==", -1, NULL },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = mime_b64_decode(c[i].in, strlen(c[i].in), &b);

		T(rc == c[i].rc && (c[i].out == NULL ||
		    (b.len == strlen(c[i].out) &&
		    memcmp(b.s, c[i].out, b.len) == 0)),
		    "base64 case %zu -> %d", i, rc);
	}
	T(mime_decode("BASE64", "QQ==", 4, &b) == 0 && strcmp(b.s, "A") == 0 &&
	    mime_decode(NULL, "x=3D", 4, &b) == 0 && strcmp(b.s, "x=3D") == 0 &&
	    mime_decode("Quoted-Printable", "x=3D", 4, &b) == 0 &&
	    strcmp(b.s, "x=") == 0 && mime_decode("binary", "a", 1, &b) == 0 &&
	    mime_decode("x-uuencode", "a", 1, &b) == -1,
	    "mime_decode: the encodings by name, any case; others refused");
	buf_free(&b);
}

static void
test_unflow(void)
{
	static const struct { const char *in; int delsp; const char *out; } c[] = {
		{ "Nym-Commands: create \n+acksend\n", 0,
		    "Nym-Commands: create +acksend\n" },
		{ "ab \ncd\n", 1, "abcd\n" },
		{ "-- \nsig\n", 0, "-- \nsig\n" },
		{ " From me\n  two\n", 0, "From me\n two\n" },
		{ "fixed\nlines\n", 0, "fixed\nlines\n" },
		{ "last ", 0, "last " },
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		buf_sets(&b, c[i].in);
		mime_unflow(&b, c[i].delsp);
		T(b.len == strlen(c[i].out) && memcmp(b.s, c[i].out, b.len) ==
		    0, "format=flowed case %zu", i);
	}
	buf_free(&b);
}

#define REQ "Config:\nFrom: NAME\nNym-Commands: +nobcc\n"
/* base64 of REQ, in two lines as a mail client writes it. */
#define REQ64 "Q29uZmlnOgpGcm9tOiBOQU1FCk55bS1D\nb21tYW5kczogK25vYmNjCg==\n"

struct tcase {
	const char *what, *entity;
	int rc;
	const char *text;	/* expected text, or part of why */
	const char *subject, *from;
};

static const struct tcase tcases[] = {
	{ "issue 23: multipart/mixed with protected headers",
	    "Content-Type: multipart/mixed; boundary=\"X\"; "
	    "protected-headers=\"v1\"\nSubject: nym config\n\n--X\n"
	    "Content-Type: text/plain; charset=UTF-8\n\n" REQ "\n--X--\n",
	    0, REQ, "nym config", "" },
	{ "Thunderbird: legacy display part, base64 flowed text, a key",
	    "Content-Type: multipart/mixed; boundary=\"------------A1\";\n"
	    " protected-headers=\"v1\"\nFrom: Jo <jo@real.example>\n"
	    "To: config@nym.example\nSubject: nym config\n\n"
	    "This is a multi-part message in MIME format.\n"
	    "--------------A1\nContent-Type: text/plain; charset=UTF-8; "
	    "protected-headers=\"v1\"\nContent-Disposition: inline\n\n"
	    "Subject: nym config\n\n--------------A1\n"
	    "Content-Type: multipart/mixed; boundary=\"------------B2\"\n\n"
	    "--------------B2\nContent-Type: text/plain; charset=UTF-8; "
	    "format=flowed\nContent-Transfer-Encoding: base64\n\n" REQ64
	    "\n--------------B2\nContent-Type: application/pgp-keys; "
	    "name=\"OpenPGP_0x1.asc\"\nContent-Disposition: attachment; "
	    "filename=\"OpenPGP_0x1.asc\"\n\n-----BEGIN PGP PUBLIC KEY "
	    "BLOCK-----\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n"
	    "--------------B2--\n\n--------------A1--\n",
	    0, REQ, "nym config", "Jo <jo@real.example>" },
	{ "multipart/alternative: text/plain before HTML",
	    "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\nContent-Transfer-Encoding: "
	    "quoted-printable\n\nConfig:=20\nFrom: x\n--b\nContent-Type: "
	    "text/html\n\n<p>Config:</p>\n--b--\n",
	    0, "Config: \nFrom: x", "", "" },
	{ "multipart/alternative: HTML first, then text/plain",
	    "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/html\n\n<p>x</p>\n--b\n\nConfig:\n--b--\n",
	    0, "Config:", "", "" },
	{ "an attached text file is passed over",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: text/plain; name=a.txt\nContent-Disposition: "
	    "attachment; filename=a.txt\n\nnot this\n--b\n"
	    "Content-Type: text/plain\n\nthis\n--b--\n",
	    0, "this", "", "" },
	{ "RFC 9788: hp=\"cipher\", hp-legacy-display part passed over",
	    "Content-Type: multipart/mixed; boundary=b; hp=\"cipher\"\n"
	    "Subject: real\nFrom: nym@nym.example\n\n--b\nContent-Type: "
	    "text/plain; charset=us-ascii; hp-legacy-display=\"1\"\n\n"
	    "Subject: real\n--b\nContent-Type: text/plain\n\nbody\n--b--\n",
	    0, "body", "real", "nym@nym.example" },
	{ "no protected-headers parameter: Subject and From not kept",
	    "Content-Type: multipart/mixed; boundary=b\nSubject: s\n"
	    "From: f@x\n\n--b\n\nt\n--b--\n", 0, "t", "", "" },
	{ "a text/plain entity is its own text (protected headers kept)",
	    "Content-Type: text/plain; protected-headers=v1\nSubject: s\n\n"
	    "t\n", 0, "t\n", "s", "" },
	{ "no Content-Type: text/plain", "\nt\n", 0, "t\n", "", "" },
	{ "HTML only", "Content-Type: text/html\n\n<p>Config:</p>\n", -1,
	    "no text/plain part", NULL, NULL },
	{ "a key only", "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: application/pgp-keys\n\nk\n--b--\n", -1,
	    "no text/plain part", NULL, NULL },
	{ "bad base64", "Content-Transfer-Encoding: base64\n\nQ29u!mln\n", -1,
	    "cannot be decoded", NULL, NULL },
	{ "unknown encoding", "Content-Transfer-Encoding: x-uuencode\n\nx\n",
	    -1, "unknown Content-Transfer-Encoding", NULL, NULL },
	{ "no closing delimiter", "Content-Type: multipart/mixed; "
	    "boundary=b\n\n--b\n\nt\n", -1, "malformed multipart", NULL,
	    NULL },
	{ "no boundary", "Content-Type: multipart/mixed\n\n--b\n\nt\n--b--\n",
	    -1, "malformed multipart", NULL, NULL },
	{ "multipart/signed inside is not looked into",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: multipart/signed; boundary=c\n\n--c\n\nt\n--c\n\n"
	    "s\n--c--\n--b--\n", -1, "no text/plain part", NULL, NULL },
};

/* An entity nested depth multiparts deep around one text part. */
static void
nested(struct buf *b, int depth)
{
	int i;

	buf_reset(b);
	for (i = 0; i < depth; i++)
		buf_addf(b, "Content-Type: multipart/mixed; boundary=b%d\n\n"
		    "--b%d\n", i, i);
	buf_adds(b, "\nt\n");
	for (i = depth - 1; i >= 0; i--)
		buf_addf(b, "--b%d--\n", i);
}

static void
test_request_text(void)
{
	struct mime_text t;
	struct buf b = BUF_INIT;
	struct sigreq sr;
	size_t i;
	int rc, k;

	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *c = &tcases[i];

		rc = mime_request_text(c->entity, strlen(c->entity), 0, &t);
		if (c->rc == 0)
			T(rc == 0 && t.text.len == strlen(c->text) &&
			    memcmp(t.text.s, c->text, t.text.len) == 0 &&
			    strcmp(t.subject.s ? t.subject.s : "", c->subject)
			    == 0 && strcmp(t.from.s ? t.from.s : "", c->from) ==
			    0 && t.protected == (c->subject[0] != '\0'),
			    "request text: %s", c->what);
		else
			T(rc == -1 && t.why != NULL && strstr(t.why, c->text)
			    != NULL && t.text.len == 0, "request text "
			    "refused: %s (%s)", c->what, t.why ? t.why : "-");
		mime_text_free(&t);
	}
	for (k = MIME_MAX_DEPTH; k <= MIME_MAX_DEPTH + 1; k++) {
		nested(&b, k);
		rc = mime_request_text(b.s, b.len, 0, &t);
		T(k == MIME_MAX_DEPTH ? rc == 0 && strcmp(t.text.s, "t") == 0 :
		    rc == -1 && strstr(t.why, "too deep") != NULL,
		    "%d multiparts deep: %s", k, k == MIME_MAX_DEPTH ?
		    "read" : "refused");
		mime_text_free(&t);
	}
	/* Parts: at most MIME_MAX_PARTS per multipart, MIME_MAX_SEEN in
	 * all (nested multiparts full of non-text parts). */
	buf_reset(&b);
	buf_adds(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (k = 0; k <= MIME_MAX_PARTS; k++)
		buf_adds(&b, "--b\nContent-Type: image/png\n\nx\n");
	buf_adds(&b, "--b\n\nt\n--b--\n");
	T(mime_request_text(b.s, b.len, 0, &t) == -1 && strstr(t.why,
	    "too many parts") != NULL, "more than %d parts refused",
	    MIME_MAX_PARTS);
	mime_text_free(&t);
	buf_reset(&b);
	buf_adds(&b, "Content-Type: multipart/mixed; boundary=a\n\n");
	for (k = 0; k < 3; k++) {
		int j;

		buf_addf(&b, "--a\nContent-Type: multipart/mixed; "
		    "boundary=c%d\n\n", k);
		for (j = 0; j < MIME_MAX_PARTS; j++)
			buf_addf(&b, "--c%d\nContent-Type: image/png\n\nx\n", k);
		buf_addf(&b, "--c%d--\n", k);
	}
	buf_adds(&b, "--a\n\nt\n--a--\n");
	rc = mime_request_text(b.s, b.len, 0, &t);
	T(rc == -1 && strstr(t.why, "too many MIME parts") != NULL,
	    "more than %d entities in all refused (%s)", MIME_MAX_SEEN,
	    t.why ? t.why : "-");
	mime_text_free(&t);
	/* Long protected values are cut. */
	buf_reset(&b);
	buf_adds(&b, "Content-Type: text/plain; protected-headers=v1\n"
	    "Subject: ");
	for (k = 0; k < 2000; k++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\n\nt\n");
	T(mime_request_text(b.s, b.len, 0, &t) == 0 && t.subject.len ==
	    MIME_MAX_PROT, "a protected Subject is cut at %d bytes",
	    MIME_MAX_PROT);
	mime_text_free(&t);
	/* raw: format=flowed left alone (inline OpenPGP). */
	buf_sets(&b, "Content-Type: text/plain; format=flowed\n\na \nb\n");
	T(mime_request_text(b.s, b.len, 1, &t) == 0 && strcmp(t.text.s,
	    "a \nb\n") == 0, "raw: format=flowed not undone");
	mime_text_free(&t);
	T(mime_request_text(b.s, b.len, 0, &t) == 0 && strcmp(t.text.s,
	    "a b\n") == 0, "format=flowed undone");
	mime_text_free(&t);
	/* sigreq_content: a MIME entity, or the text as it is. */
	memset(&sr, 0, sizeof(sr));
	sr.mime = 1;
	buf_sets(&b, "Content-Transfer-Encoding: base64\n\nQ29uZmlnOgo=\n");
	T(sigreq_content(&sr, b.s, b.len, &t) == 0 && strcmp(t.text.s,
	    "Config:\n") == 0, "sigreq_content: base64 body read");
	mime_text_free(&t);
	buf_sets(&b, "Content-Type: text/html\n\n<p>Config:</p>\n");
	T(sigreq_content(&sr, b.s, b.len, &t) == -1 && t.why != NULL,
	    "sigreq_content: HTML refused, with a reason");
	mime_text_free(&t);
	sr.mime = 0;
	T(sigreq_content(&sr, b.s, b.len, &t) == 0 && t.text.len == b.len,
	    "sigreq_content: not MIME, the text as it is");
	mime_text_free(&t);
	buf_free(&b);
}

int
main(void)
{
	test_b64();
	test_unflow();
	test_request_text();
	T_END();
}
