/* test_type1.c - the type-1 grammar: Latent-Time table, layers, pasting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "t.h"
#include "type1.h"

/* 2026-11-23 10:30:00 UTC */
#define NOW ((time_t)1795429800)

static const struct {
	const char *in;
	int ok;
	long max;		/* seconds, at NOW */
	int random;
} latent[] = {
	{ "+0:00", 1, 0, 0 },
	{ "+3:00r", 1, 3 * 3600, 1 },
	{ "+0:30", 1, 1800, 0 },
	{ "+99:59", 1, 99 * 3600 + 59 * 60, 0 },
	{ "+12:05R", 1, 12 * 3600 + 300, 1 },
	{ " +1:00 ", 1, 3600, 0 },
	{ "11:00", 1, 1800, 0 },		/* later today */
	{ "10:30", 1, 86400, 0 },		/* now: tomorrow */
	{ "09:15", 1, 86400 - 4500, 0 },	/* past: tomorrow */
	{ "0:00r", 1, 13 * 3600 + 1800, 1 },	/* midnight: tomorrow */
	{ "23:59", 1, 13 * 3600 + 29 * 60, 0 },
	{ "24:00", 0, 0, 0 },
	{ "+1:60", 0, 0, 0 },
	{ "+1:5", 0, 0, 0 },
	{ "+100:00", 0, 0, 0 },
	{ "1:00x", 0, 0, 0 },
	{ "", 0, 0, 0 },
	{ "+", 0, 0, 0 },
	{ ":30", 0, 0, 0 },
	{ "-1:00", 0, 0, 0 },
	{ "+1:00rr", 0, 0, 0 },
	{ "+1:000", 0, 0, 0 },
	{ "1;00", 0, 0, 0 },
};

static void
test_latent(void)
{
	size_t i;
	struct t1_latent l;

	for (i = 0; i < sizeof(latent) / sizeof(latent[0]); i++) {
		int rc = t1_latent_parse(latent[i].in, &l);

		if (!latent[i].ok) {
			T(rc < 0, "Latent-Time '%s' refused", latent[i].in);
			continue;
		}
		T(rc == 0 && t1_latent_max(&l, NOW) == latent[i].max &&
		    l.random == latent[i].random,
		    "Latent-Time '%s' -> %ld s%s", latent[i].in, latent[i].max,
		    latent[i].random ? " (random)" : "");
	}
}

static int
parse(const char *s, struct t1_layer *l, const char **why)
{
	t1_layer_free(l);
	return t1_parse(s, strlen(s), l, why);
}

static void
test_layers(void)
{
	struct t1_layer l;
	const char *why, *s;

	t1_layer_init(&l);
	s = "\n\n::\nAnon-To: a@b.example\nLatent-Time: +1:00r\n"
	    "Encrypt-Key: 4QBUBWRGQgRsa0ATirS8ew==\n\n\n##\n"
	    "Subject: hi\nCc: spy@x.example\nFrom: me@x.example\n"
	    "Bcc: x@y.example\nReply-To: r@x.example\n"
	    "References: <a@b>\n <c@d>\n\nbody\n";
	T(parse(s, &l, &why) == T1_OK && l.has_block, "loose layout parses");
	T_STR(l.anon_to, "a@b.example", "Anon-To");
	T_STR(l.encrypt_key, "4QBUBWRGQgRsa0ATirS8ew==", "base64 Encrypt-Key");
	T(l.latent.set && l.latent.relative && l.latent.random, "Latent-Time");
	T_STR(l.paste.s, "Subject: hi\nReferences: <a@b> <c@d>\n",
	    "## pastes only allow-listed fields (no Cc/Bcc/From/Reply-To)");
	T_STR(s + l.payload, "body\n", "payload after the ## block");

	s = "::\nRequest-Remailing-To: a@b.example\nRemail-To: c@d.example\n"
	    "\n::\nEncrypted: PGP\n\nx\n";
	T(parse(s, &l, &why) == T1_OK && !l.encrypted, "aliases of Anon-To");
	T_STR(l.anon_to, "a@b.example, c@d.example", "aliases joined");
	T_STR(s + l.payload, "::\nEncrypted: PGP\n\nx\n",
	    "a second :: block is payload");

	s = "::\nEncrypted: PGP\nAnon-To: mitm@evil.example\n\n"
	    "-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----\n"
	    "\n**\ntail\n";
	T(parse(s, &l, &why) == T1_OK && l.encrypted, "Encrypted: PGP");
	T(strncmp(s + l.arm_start, "-----BEGIN", 10) == 0 &&
	    strcmp(s + l.arm_end, "\n**\ntail\n") == 0 &&
	    l.payload == l.arm_end, "armored block located, tail kept");

	s = "::\nAnon-To: a@b.example\n-----BEGIN PGP MESSAGE-----\nx\n";
	T(parse(s, &l, &why) == T1_OK && strcmp(l.anon_to, "a@b.example") == 0
	    && strncmp(s + l.payload, "-----BEGIN", 10) == 0,
	    "armor right after a block (no blank line) is payload");
	T(parse("::\nEncrypted: PGP\n\nnot armored\n", &l, &why) == T1_BAD,
	    "Encrypted without armor refused (%s)", why);
	T(parse("::\nEncrypted: PGP\n\n-----BEGIN PGP MESSAGE-----\nx\n", &l,
	    &why) == T1_BAD, "armor without END refused");
	T(parse("::\nEncrypt-Key:\nAnon-To: a@b.example\n\n", &l, &why) ==
	    T1_BAD && strstr(why, "empty") != NULL, "empty Encrypt-Key refused");
	T(parse("::\nLatent-Time: soon\n\n", &l, &why) == T1_BAD,
	    "bad Latent-Time refused");
	T(parse("::\nEncrypted: IDEA\n\n", &l, &why) == T1_BAD,
	    "Encrypted: other than PGP refused");
	T(parse("::\nAnon-Post-To: alt.test\npost-to: misc.test\n\n", &l,
	    &why) == T1_OK && strcmp(l.post_to, "alt.test,misc.test") == 0 &&
	    l.anon_to == NULL,
	    "Anon-Post-To and Post-To (any case) join one group list");
	T(parse("::\nAnon-Post-To:\n\n", &l, &why) == T1_BAD,
	    "empty Anon-Post-To refused");
	T(parse("::\nRemix-To: x\n\n", &l, &why) == T1_BAD,
	    "Remix-To refused (no Mixmaster here)");
	T(parse("::\nno colon here\n\n", &l, &why) == T1_BAD,
	    "malformed directive refused");
	T(parse("hello\n::\nAnon-To: a@b.example\n\n", &l, &why) == T1_OK &&
	    !l.has_block, "text before :: means no block");
	T(parse("::\r\nAnon-To: a@b.example\r\nNull:\r\n\r\nx\r\n", &l, &why)
	    == T1_OK && l.null && strcmp(l.anon_to, "a@b.example") == 0,
	    "CRLF lines and Null:");
	T(parse("::\nCutmarks: --\nAnon-To: a@b.example\nX-Unknown: y\n\n", &l,
	    &why) == T1_OK && strcmp(l.cutmarks, "--") == 0,
	    "Cutmarks; unknown directives ignored");
	t1_layer_free(&l);
}

/* A decrypted layer (own) with text a man in the middle appended. */
static int
parse_own(const char *own, const char *appended, struct t1_layer *l,
    const char **why, struct buf *text)
{
	buf_reset(text);
	buf_adds(text, own);
	buf_adds(text, appended);
	t1_layer_free(l);
	return t1_parse_own(text->s, text->len, strlen(own), l, why);
}

static void
test_appended(void)
{
	struct t1_layer l;
	struct buf b = BUF_INIT;
	const char *why;

	t1_layer_init(&l);
	T(parse_own("::\nAnon-To: next@hop.example\n",
	    "Anon-To: spy@evil.example\n\nbody\n", &l, &why, &b) == T1_OK &&
	    l.anon_to != NULL && strcmp(l.anon_to, "next@hop.example") == 0 &&
	    strcmp(b.s + l.payload, "Anon-To: spy@evil.example\n\nbody\n")
	    == 0, "finding 2: text appended after a layer's armored block is "
	    "payload, not directives (Anon-To, no blank line)");
	T(parse_own("::\nAnon-To: next@hop.example\n",
	    "Remail-To: spy@evil.example\nEncrypt-Key: mitm\n"
	    "Latent-Time: +9:00\nCutmarks: --\nNull:\n\nbody\n", &l, &why,
	    &b) == T1_OK && strcmp(l.anon_to, "next@hop.example") == 0 &&
	    l.encrypt_key == NULL && !l.latent.set && l.cutmarks == NULL &&
	    !l.null, "finding 2: appended Remail-To/Encrypt-Key/Latent-Time/"
	    "Cutmarks/Null are payload");
	T(parse_own("::\nAnon-To: next@hop.example\n\n",
	    "##\nSubject: tagged by the mitm\n\nbody\n", &l, &why, &b) ==
	    T1_OK && l.paste.len == 0 && strncmp(b.s + l.payload, "##\n", 3)
	    == 0, "finding 2: an appended ## block pastes nothing (payload)");
	T(parse_own("::\nAnon-To: next@hop.example\n",
	    "\n##\nSubject: tagged by the mitm\n\nbody\n", &l, &why, &b) ==
	    T1_OK && l.paste.len == 0 && strncmp(b.s + l.payload, "##\n", 3)
	    == 0, "finding 2: an appended ## block pastes nothing, also after "
	    "a plaintext without a blank line");
	T(parse_own("\n\n", "::\nAnon-To: spy@evil.example\n\nx\n", &l, &why,
	    &b) == T1_OK && !l.has_block, "finding 2: a :: block only in the "
	    "appended text is no block of the layer");
	T(parse_own("::\nEncrypted: PGP\n\n",
	    "-----BEGIN PGP MESSAGE-----\n\nabc\n-----END PGP MESSAGE-----\n",
	    &l, &why, &b) == T1_BAD, "finding 2: the armored block of "
	    "Encrypted: PGP must be in the layer's own text");
	T(parse_own("::\nEncrypted: PGP\n\n-----BEGIN PGP MESSAGE-----\n\nabc\n",
	    "-----END PGP MESSAGE-----\n", &l, &why, &b) == T1_BAD,
	    "finding 2: an END line only in the appended text ends nothing");
	T(parse_own("::\nAnon-To: n@hop.example\n\n##\nSubject: s\n\nbody\n",
	    "appended\n", &l, &why, &b) == T1_OK &&
	    strcmp(l.anon_to, "n@hop.example") == 0 &&
	    strcmp(l.paste.s, "Subject: s\n") == 0 &&
	    strcmp(b.s + l.payload, "body\nappended\n") == 0,
	    "finding 2: the layer's own ## block pastes; appended text follows "
	    "its payload");
	T(parse_own("::\nAnon-To: n@hop.example\n\n", "\n**\nreply\n", &l,
	    &why, &b) == T1_OK && strcmp(b.s + l.payload, "**\nreply\n") == 0,
	    "reply block: blank lines then ** after the layer start the payload");
	t1_layer_free(&l);
	buf_free(&b);
}

static void
test_cut_stars(void)
{
	const char *p = "one\n--\ntwo\n-- sig\nthree";
	size_t starts[4], ends[4], after;

	T(t1_cut(p, strlen(p), "--", 10, starts, ends) == 3 && ends[0] == 4 &&
	    starts[1] == 7 && ends[1] == 11 && starts[2] == 18 &&
	    ends[2] == strlen(p), "cutmarks split into three pieces");
	T(t1_cut(p, strlen(p), "--", 2, NULL, NULL) == 3,
	    "piece count stops at max + 1");
	T(t1_cut(p, strlen(p), "==", 10, NULL, NULL) == 1, "no cutmark");
	T(t1_stars("a\n**\nb\n", 7, &after) == 2 && after == 5, "** line");
	T(t1_stars("a\n** x\n", 7, &after) == -1, "not a ** line");
}

static void
test_paste_list(void)
{
	static const char *ok[] = { "Subject", "in-reply-to", "References",
	    "Newsgroups", "Content-Type", "MIME-Version" };
	static const char *no[] = { "From", "Sender", "Cc", "Bcc", "Reply-To",
	    "Received", "Message-ID", "Return-Path", "X-Mailer", "To",
	    "Subjec", "Subjects" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		T(t1_paste_allowed(ok[i], strlen(ok[i])), "paste %s", ok[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		T(!t1_paste_allowed(no[i], strlen(no[i])), "never paste %s",
		    no[i]);
}

int
main(void)
{
	test_latent();
	test_layers();
	test_appended();
	test_cut_stars();
	test_paste_list();
	T_END();
}
