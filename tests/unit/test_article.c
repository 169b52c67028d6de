/* test_article.c - the article builder: the gateway's defences, one case each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "buf.h"
#include "die.h"
#include "msg.h"
#include "nntp.h"
#include "t.h"
#include "util.h"

static char *deny_list[] = { "alt.*", "!alt.binaries.*", "misc.test", NULL };

static struct article_rules rules = {
	"gw.test", "Anonymous <nobody@gw.test>", "abuse@gw.test", "gw.test",
	"X-Nym-Server: gw.test", NULL, 3, 200 * 1024
};

static const struct msg_limits lim = { 1 << 24, 1000, 65536 };

/* Build an anonymous article from mail text; 0 or -1 (a holds why). */
static int
build(const char *mail, size_t len, enum article_kind kind, struct article *a)
{
	struct article_in in;
	struct msg m;
	int rc;

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.m = &m;
	in.from = "Shadow <shadow@nym.test>";
	if (msg_parse(&m, mail, len, &lim) != MSG_OK)
		return -2;
	article_init(a);
	rc = article_build(&rules, &in, a);
	msg_free(&m);
	return rc;
}

static int
builds(const char *mail, struct article *a)
{
	return build(mail, strlen(mail), ART_ANON, a);
}

/* The number of header lines of a that start with name + ':'. */
static int
fields(const struct article *a, const char *name)
{
	const char *p = a->text.s;
	size_t n = strlen(name);
	int k = 0;

	while (p != NULL && *p != '\0' && *p != '\n') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			k++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return k;
}

/* The header of a (up to the empty line) as a string. */
static char *
header_of(const struct article *a)
{
	const char *e = strstr(a->text.s, "\n\n");

	return xstrndup(a->text.s, e ? (size_t)(e - a->text.s) + 1 :
	    a->text.len);
}

static void
spam_bait(void)
{
	struct buf mail = BUF_INIT;
	struct article a;
	char *h;

	if (util_read_file("tests/data/news/spam-bait.eml", 65536, &mail) < 0) {
		T(0, "cannot read tests/data/news/spam-bait.eml");
		return;
	}
	T(build(mail.s, mail.len, ART_ANON, &a) == 0, "spam-bait: built");
	h = header_of(&a);
	T(strstr(h, "From: Anonymous <nobody@gw.test>\n") != NULL &&
	    fields(&a, "From") == 1,
	    "spam-bait: the forged From is replaced by the gateway's");
	T(strstr(h, "victim") == NULL,
	    "spam-bait: the victim's address is nowhere in the header");
	T(fields(&a, "Sender") == 0 && fields(&a, "Reply-To") == 0 &&
	    fields(&a, "Organization") == 0 && fields(&a, "Received") == 0 &&
	    fields(&a, "NNTP-Posting-Host") == 0 && fields(&a, "X-Trace") == 0 &&
	    fields(&a, "User-Agent") == 0 && fields(&a, "Date") == 0,
	    "spam-bait: Sender, Reply-To, Organization, Received, "
	    "NNTP-Posting-Host, X-Trace, User-Agent and Date are dropped");
	T(strstr(h, "Path: gw.test!not-for-mail\n") == h &&
	    fields(&a, "Path") == 1, "spam-bait: Path is the gateway's own");
	T(strstr(h, "forged.42") == NULL && fields(&a, "Message-ID") == 1 &&
	    strstr(h, a.msgid) != NULL,
	    "spam-bait: a new Message-ID (%s)", a.msgid);
	T(strstr(h, "Injection-Info: gw.test; mail-complaints-to="
	    "\"abuse@gw.test\"\n") != NULL,
	    "Injection-Info names the complaints address");
	free(h);
	article_free(&a);
	buf_free(&mail);
}

static void
repeated_from(void)
{
	struct article a;

	T(builds("From: a@one.test\nFrom: b@two.test\nNewsgroups: alt.test\n"
	    "Subject: two\n\nbody\n", &a) == 0 && fields(&a, "From") == 1 &&
	    strstr(a.text.s, "one.test") == NULL &&
	    strstr(a.text.s, "two.test") == NULL,
	    "repeated From fields: neither passes, one From of the gateway's");
	article_free(&a);
}

static void
control(void)
{
	static const char *const cases[] = {
		"Control: cancel <x@y>\n", "CONTROL: newgroup alt.x\n",
		"control : rmgroup alt.x\n", "Also-Control: cancel <x@y>\n",
		"Supersedes: <x@y>\n", "Approved: moderator@example.org\n",
		"Subject: cmsg newgroup alt.x\n", "Subject: CMSG cancel <x@y>\n",
		"Subject:   cmsg\n", "Subject: \001cmsg newgroup alt.x\n",
		"Subject: fine\nSubject: cmsg checkgroups\n",
	};
	struct buf mail = BUF_INIT;
	struct article a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&mail);
		buf_addf(&mail, "From: x@y.test\nNewsgroups: alt.test\n%s\n"
		    "body\n", cases[i]);
		T(builds(mail.s, &a) < 0 && a.code == EX_NOPERM_ &&
		    strcmp(a.status, "5.7.1") == 0 && a.text.len == 0,
		    "control message refused (5.7.1): %.*s",
		    (int)strcspn(cases[i], "\n"), cases[i]);
		article_free(&a);
	}
	T(builds("From: x@y.test\nNewsgroups: alt.test\nSubject: Re: cmsg talk"
	    "\n\nbody\n", &a) == 0, "a Subject merely mentioning cmsg is "
	    "no control message");
	article_free(&a);
	T(builds("From: x@y.test\nNewsgroups: alt.test\nSubject: cmsgfoo\n\n"
	    "body\n", &a) == 0, "cmsgfoo is a word, not cmsg");
	article_free(&a);
	if (util_read_file("tests/data/news/inn-exploit.eml", 65536, &mail) <
	    0) {
		T(0, "cannot read tests/data/news/inn-exploit.eml");
	} else {
		T(build(mail.s, mail.len, ART_ANON, &a) < 0 &&
		    a.code == EX_NOPERM_ && a.text.len == 0,
		    "the INN exploit control article is refused as it stands "
		    "(%s)", a.why);
		article_free(&a);
		T(build(mail.s, mail.len, ART_NYM, &a) < 0,
		    "... and from a nym too");
		article_free(&a);
	}
	buf_free(&mail);
}

static void
newsgroups(void)
{
	static const struct {
		const char *v, *norm;
	} t[] = {
		{ "alt.test", "alt.test" },
		{ "alt.test,misc.test", "alt.test,misc.test" },
		{ " alt.test ,\tmisc.test ", "alt.test,misc.test" },
		{ "ALT.Test", "alt.test" },
		{ "alt.test,alt.test,ALT.TEST", "alt.test" },
		{ "alt.c++.x_y-z", "alt.c++.x_y-z" },
		{ "", NULL }, { "alt", NULL }, { "alt..test", NULL },
		{ ".alt.test", NULL }, { "alt.test.", NULL },
		{ "alt.te st", NULL }, { "alt.test;rm", NULL },
		{ "alt.test,", NULL }, { ",alt.test", NULL },
		{ "control", NULL }, { "control.cancel", NULL },
		{ "junk", NULL }, { "to.somehost.example", NULL },
		{ "alt.all.test", NULL }, { "alt.test.ctl", NULL },
		{ "1alt.test", NULL }, { "alt.t\xc3\xa9st", NULL },
		{ "alt.te\x01st", NULL }, { "poster", NULL },
		{ "alt.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
	};
	struct buf norm = BUF_INIT;
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = article_newsgroups(t[i].v, strlen(t[i].v), 0, &norm,
		    &n, &why);

		if (t[i].norm == NULL)
			T(rc < 0 && why != NULL && n == 0,
			    "Newsgroups '%s' refused (%s)", t[i].v, why);
		else
			T(rc == 0 && strcmp(norm.s, t[i].norm) == 0,
			    "Newsgroups '%s' -> '%s'", t[i].v, t[i].norm);
	}
	T(article_newsgroups("poster", 6, 1, &norm, &n, &why) == 0 &&
	    strcmp(norm.s, "poster") == 0, "Followup-To: poster is allowed");
	buf_free(&norm);
}

static void
caps_and_lists(void)
{
	struct article a;
	struct buf big = BUF_INIT;
	size_t i;

	T(builds("Newsgroups: alt.a,alt.b,alt.c\n\nx\n", &a) == 0 &&
	    a.ngroups == 3, "three groups: posted");
	article_free(&a);
	T(builds("Newsgroups: alt.a,alt.b,alt.c,alt.d\n\nx\n", &a) < 0 &&
	    a.code == EX_NOPERM_ && strstr(a.why, "limit is 3") != NULL,
	    "a crosspost over the cap (4 > 3) is refused: %s", a.why);
	article_free(&a);
	T(builds("Newsgroups: alt.a,alt.a,alt.b,alt.b\n\nx\n", &a) == 0 &&
	    a.ngroups == 2, "repeated groups do not count twice");
	article_free(&a);
	T(builds("Newsgroups: alt.test\nNewsgroups: misc.test\n\nx\n", &a) <
	    0 && a.code == EX_DATAERR_, "two Newsgroups fields are refused");
	article_free(&a);
	T(builds("Subject: none\n\nx\n", &a) < 0 && a.code == EX_DATAERR_ &&
	    strcmp(a.status, "5.6.0") == 0, "no Newsgroups: refused 5.6.0");
	article_free(&a);

	rules.groups = deny_list;
	T(builds("Newsgroups: alt.test\n\nx\n", &a) == 0,
	    "operator list: alt.* allowed");
	article_free(&a);
	T(builds("Newsgroups: alt.test,alt.binaries.warez\n\nx\n", &a) < 0 &&
	    a.code == EX_NOPERM_ && strstr(a.why, "alt.binaries.warez"),
	    "operator list: !alt.binaries.* denies, the whole article goes");
	article_free(&a);
	T(builds("Newsgroups: comp.lang.c\n\nx\n", &a) < 0,
	    "operator list: a group no pattern matches is refused");
	article_free(&a);
	T(builds("Newsgroups: misc.test\n\nx\n", &a) == 0,
	    "operator list: misc.test allowed by name");
	article_free(&a);
	rules.groups = NULL;

	buf_adds(&big, "Newsgroups: alt.test\n\n");
	for (i = 0; i < 4000; i++)
		buf_adds(&big, "0123456789012345678901234567890123456789"
		    "012345678901234567890123456789\n");
	T(builds(big.s, &a) < 0 && a.code == EX_DATAERR_ &&
	    strcmp(a.status, "5.3.4") == 0,
	    "an article over news_max_size is refused 5.3.4: %s", a.why);
	article_free(&a);
	buf_free(&big);
}

static void
header_rules(void)
{
	struct article a;
	char *h;

	T(builds("From: x@y.test\nNewsgroups: alt.test\nSubject: hello\n"
	    "References: <a@b> <c@d>\nKeywords: k\nSummary: s\n"
	    "X-No-Archive: yes\nMIME-Version: 1.0\nContent-Type: text/plain; "
	    "charset=utf-8\nFollowup-To: misc.test\nOrganization: Org\n"
	    "Distribution: local\nExpires: never\nLines: 3\nXref: x alt.test:1\n"
	    "Injection-Info: forged\nInjection-Date: forged\nX-Loop: x\n"
	    "Cancel-Key: sha1:abc\nX-Face: face\nComments: c\n\nbody\n", &a) ==
	    0, "a mail with many header fields: built");
	h = header_of(&a);
	T(fields(&a, "References") == 1 && fields(&a, "Keywords") == 1 &&
	    fields(&a, "Summary") == 1 && fields(&a, "X-No-Archive") == 1 &&
	    fields(&a, "MIME-Version") == 1 && fields(&a, "Content-Type") == 1 &&
	    fields(&a, "Followup-To") == 1,
	    "allow-list: References, Keywords, Summary, X-No-Archive, MIME, "
	    "Followup-To copied");
	T(fields(&a, "Organization") == 0 && fields(&a, "Distribution") == 0 &&
	    fields(&a, "Expires") == 0 && fields(&a, "Lines") == 0 &&
	    fields(&a, "Xref") == 0 && fields(&a, "X-Loop") == 0 &&
	    fields(&a, "Cancel-Key") == 0 && fields(&a, "X-Face") == 0 &&
	    fields(&a, "Comments") == 0 && fields(&a, "Injection-Date") == 0 &&
	    strstr(h, "forged") == NULL && fields(&a, "Injection-Info") == 1,
	    "allow-list: every other field is dropped");
	free(h);
	article_free(&a);

	T(builds("Newsgroups: alt.test\nSubject: hi\r there\rControl: cancel "
	    "<x@y>\nKeywords: a\001b\n\nbody\n", &a) == 0 &&
	    strstr(a.text.s, "\nSubject: hi  there Control: cancel <x@y>\n") &&
	    strstr(a.text.s, "\nKeywords: a b\n") && fields(&a, "Control") == 0 &&
	    memchr(a.text.s, '\r', a.text.len) == NULL,
	    "bare CR and controls in copied values become spaces: no "
	    "injected field");
	article_free(&a);
	T(builds("Newsgroups: alt.test\nSubject: folded\n Control: cancel "
	    "<x@y>\n\nbody\n", &a) == 0 && fields(&a, "Control") == 0 &&
	    strstr(a.text.s, "\nSubject: folded Control: cancel <x@y>\n"),
	    "a folded value is written on one line");
	article_free(&a);
	T(builds("Newsgroups: alt.test\n\nbody\n", &a) == 0 &&
	    strstr(a.text.s, "\nSubject: (no subject)\n"),
	    "no Subject: (no subject)");
	article_free(&a);
	T(builds("Newsgroups: alt.test\nFollowup-To: control.cancel\n\nb\n",
	    &a) == 0 && fields(&a, "Followup-To") == 0,
	    "a bad Followup-To is dropped");
	article_free(&a);
	{
		struct buf m = BUF_INIT;
		size_t i;

		buf_adds(&m, "Newsgroups: alt.test\nReferences:");
		for (i = 0; i < 100; i++)
			buf_addf(&m, " <%03zu.abcdefgh@example.org>", i);
		buf_adds(&m, "\nSubject: ");
		for (i = 0; i < 2000; i++)
			buf_addc(&m, 's');
		buf_adds(&m, "\n\nbody\n");
		T(builds(m.s, &a) == 0, "long References and Subject: built");
		h = header_of(&a);
		{
			const char *p = h;
			size_t longest = 0;

			while (*p) {
				size_t l = strcspn(p, "\n");

				if (l > longest)
					longest = l;
				p += l + (p[l] != '\0');
			}
			T(longest <= ARTICLE_MAX_LINE &&
			    strstr(h, "<099.abcdefgh@example.org>") &&
			    !strstr(h, "<000.abcdefgh@example.org>"),
			    "References keeps its newest ids within 998 bytes "
			    "a line (longest %zu)", longest);
		}
		free(h);
		article_free(&a);
		buf_free(&m);
	}
}

static void
body_rules(void)
{
	struct article a;
	struct buf m = BUF_INIT;
	size_t i;

	T(build("Newsgroups: alt.test\n\nbare\rCR\n", 28, ART_ANON, &a) < 0 &&
	    a.code == EX_DATAERR_, "a bare CR in the body is refused");
	article_free(&a);
	T(build("Newsgroups: alt.test\n\nNUL\0here\n", 31, ART_ANON, &a) < 0,
	    "a NUL in the body is refused");
	article_free(&a);
	T(build("Newsgroups: alt.test\r\n\r\nCRLF\r\nlines\r\n", 37, ART_ANON,
	    &a) == 0 && memchr(a.text.s, '\r', a.text.len) == NULL,
	    "CRLF mail becomes LF text");
	article_free(&a);
	buf_adds(&m, "Newsgroups: alt.test\n\n");
	for (i = 0; i < 998; i++)
		buf_addc(&m, 'x');
	buf_addc(&m, '\n');
	T(builds(m.s, &a) == 0, "a body line of 998 bytes passes");
	article_free(&a);
	buf_reset(&m);
	buf_adds(&m, "Newsgroups: alt.test\n\n");
	for (i = 0; i < 999; i++)
		buf_addc(&m, 'x');
	buf_addc(&m, '\n');
	T(builds(m.s, &a) < 0 && a.code == EX_DATAERR_,
	    "a body line of 999 bytes is refused");
	article_free(&a);
	buf_free(&m);
	/* Framing: the wire form, read back line by line, is the article. */
	T(builds("Newsgroups: alt.test\n\n.\n..\n.hidden\n\n.\nQUIT\nend", &a) ==
	    0, "a body of dot lines: built");
	{
		struct buf w = BUF_INIT, back = BUF_INIT;
		const char *p;

		nntp_wire(a.text.s, a.text.len, &w);
		for (p = w.s; *p;) {
			const char *e = strstr(p, "\r\n");
			size_t l = (size_t)(e - p);

			if (l == 1 && p[0] == '.')
				break;
			if (p[0] == '.')
				buf_add(&back, p + 1, l - 1);
			else
				buf_add(&back, p, l);
			buf_addc(&back, '\n');
			p = e + 2;
		}
		T(back.len == a.text.len && memcmp(back.s, a.text.s,
		    back.len) == 0 && (size_t)(p - w.s) + 3 == w.len,
		    "the wire form ends once, at the end, and reads back whole");
		buf_free(&w);
		buf_free(&back);
	}
	article_free(&a);
}

static void
kinds(void)
{
	struct article a, b;
	struct article_in in;
	struct buf d = BUF_INIT;

	T(build("From: x@y.test\nNewsgroups: alt.test\nSubject: s\n\nb\n", 47,
	    ART_NYM, &a) == 0 &&
	    strstr(a.text.s, "\nFrom: Shadow <shadow@nym.test>\n") &&
	    fields(&a, "From") == 1 &&
	    strstr(a.text.s, "\nX-Nym-Server: gw.test\n"),
	    "a nym's article: From the nym, marked");
	article_free(&a);
	{
		static const char cl[] = "From: x@y.test\nNewsgroups: alt.test\n"
		    "Subject: s\nContent-Language: de-CH\n\nb\n";

		T(build(cl, strlen(cl), ART_NYM, &a) == 0 &&
		    fields(&a, "Content-Language") == 0,
		    "finding 5: a nym's article leaves out the client's "
		    "Content-Language, as its mail does");
		article_free(&a);
		T(build(cl, strlen(cl), ART_ANON, &a) == 0 &&
		    fields(&a, "Content-Language") == 1,
		    "... an anonymous article keeps it (mail2news(8))");
		article_free(&a);
	}
	T(builds("Newsgroups: alt.test\nSubject: same\n\nsame\n", &a) == 0 &&
	    builds("Newsgroups: alt.test\nSubject: same\n\nsame\n", &b) == 0 &&
	    strcmp(a.msgid, b.msgid) != 0,
	    "the same mail twice: two unrelated Message-IDs");
	article_free(&a);
	article_free(&b);

	memset(&in, 0, sizeof(in));
	in.kind = ART_POOL;
	in.newsgroups = "alt.anonymous.messages";
	in.subject = "0b07815eac0b4631e8814855af5bf9f5c691f36ddd47c7b4";
	in.body = "-----BEGIN PGP MESSAGE-----\n\nx\n-----END PGP MESSAGE-----\n";
	in.bodylen = strlen(in.body);
	in.subject = "cmsg cancel <x@y>";
	article_init(&a);
	T(article_build(&rules, &in, &a) < 0 && a.code == EX_NOPERM_,
	    "a pool article with a cmsg subject is refused too");
	article_free(&a);
	in.subject = "0b07815eac0b4631e8814855af5bf9f5c691f36ddd47c7b4";
	article_init(&a);
	T(article_build(&rules, &in, &a) == 0 &&
	    strstr(a.text.s, "\nFrom: Anonymous <nobody@gw.test>\n") &&
	    strstr(a.text.s, "\nNewsgroups: alt.anonymous.messages\n") &&
	    strstr(a.text.s, "\nSubject: 0b07815eac0b4631e8814855af5bf9f5c691f"
	    "36ddd47c7b4\n") && fields(&a, "Date") == 0,
	    "a pool article: the gateway's From, the hSub, no Date yet");
	article_dated(a.text.s, a.text.len, 1795429800, 0, &d);
	T(strncmp(d.s, "Date: Mon, 23 Nov 2026 10:30:00 +0000\n"
	    "Injection-Date: Mon, 23 Nov 2026 10:30:00 +0000\nPath: ", 92) == 0,
	    "dated for IHAVE: Date and Injection-Date of the posting time");
	article_dated(a.text.s, a.text.len, 1795429800, 1, &d);
	T(strstr(d.s, "Injection-Date:") == NULL &&
	    strstr(d.s, "Injection-Info:") == NULL && strncmp(d.s, "Date: ", 6)
	    == 0, "dated for POST: no Injection-Date or Injection-Info (the "
	    "reader server injects)");
	{
		size_t vl;
		const char *v = article_field(a.text.s, a.text.len,
		    "message-id", &vl);

		T(v != NULL && vl == strlen(a.msgid) &&
		    memcmp(v, a.msgid, vl) == 0, "article_field finds the "
		    "Message-ID");
	}
	article_free(&a);
	buf_free(&d);
}

int
main(void)
{
	if (util_crypto_init() < 0)
		return 1;
	spam_bait();
	repeated_from();
	control();
	newsgroups();
	caps_and_lists();
	header_rules();
	body_rules();
	kinds();
	T_END();
}
