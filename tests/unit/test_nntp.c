/* test_nntp.c - the NNTP client against scripted peers: replies, framing, results. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "nntp.h"
#include "t.h"

/* A scripted peer: replies come from script; what we write is kept. */
struct script {
	const char *in;
	size_t len, pos, chunk;
	struct buf sent;
	int fail_write;
};

static ssize_t
s_read(void *ctx, void *p, size_t n)
{
	struct script *s = ctx;
	size_t k = s->len - s->pos;

	if (k == 0)
		return 0;
	if (s->chunk > 0 && k > s->chunk)
		k = s->chunk;
	if (k > n)
		k = n;
	memcpy(p, s->in + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

static int
s_write(void *ctx, const void *p, size_t n)
{
	struct script *s = ctx;

	if (s->fail_write)
		return -1;
	buf_add(&s->sent, p, n);
	return 0;
}

static const char ART[] = "Path: gw.test!not-for-mail\nFrom: a@b.test\n"
    "Newsgroups: alt.test\nSubject: x\nMessage-ID: <1@gw.test>\n\n"
    ".leading dot\n..two dots\n.\nend\n";

/* Run an IHAVE (or POST) of ART against replies; return the result. */
static int
run(const char *replies, int post, size_t chunk, struct buf *sent)
{
	struct script s = { replies, strlen(replies), 0, chunk, BUF_INIT, 0 };
	struct nntp_io io = { s_read, s_write, &s };
	struct nntp n;
	int rc;

	memset(&n, 0, sizeof(n));
	n.fd = -1;
	if (nntp_start(&n, &io) != NNTP_OK)
		rc = 100;
	else if (post)
		rc = nntp_post(&n, ART, sizeof(ART) - 1);
	else
		rc = nntp_ihave(&n, "<1@gw.test>", ART, sizeof(ART) - 1);
	nntp_close(&n);
	if (sent != NULL)
		buf_set(sent, s.sent.s, s.sent.len);
	buf_free(&s.sent);
	return rc;
}

static void
replies(void)
{
	static const struct {
		const char *line;
		int ok, code;
	} t[] = {
		{ "200 server ready", 0, 200 },
		{ "235", 0, 235 },
		{ "437 Too old", 0, 437 },
		{ "20", -1, 0 },
		{ "2000 x", -1, 0 },
		{ "600 x", -1, 0 },
		{ "099 x", -1, 0 },
		{ "2a0 x", -1, 0 },
		{ "", -1, 0 },
		{ " 200", -1, 0 },
		{ "200\tx", -1, 0 },
	};
	struct nntp_reply r;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = nntp_parse_reply(t[i].line, strlen(t[i].line), &r);

		T(rc == t[i].ok && (rc < 0 || r.code == t[i].code),
		    "reply line '%s' -> %s %d", t[i].line,
		    t[i].ok == 0 ? "code" : "refused", t[i].code);
	}
	T(nntp_parse_reply("437 bad\033[31m\001text", 18, &r) == 0 &&
	    strchr(r.text, '\033') == NULL && strchr(r.text, '\001') == NULL,
	    "controls in the text of a reply are made printable");
}

static void
wire(void)
{
	struct buf w = BUF_INIT;

	nntp_wire(".a\n..b\nc\n.\n", 11, &w);
	T(w.len == 21 && memcmp(w.s, "..a\r\n...b\r\nc\r\n..\r\n.\r\n", 21) == 0,
	    "dot-stuffing: every line starting with a dot gets one more");
	buf_reset(&w);
	nntp_wire("no newline", 10, &w);
	T_STR(w.s, "no newline\r\n.\r\n", "a last line without LF is ended");
	buf_reset(&w);
	nntp_wire("", 0, &w);
	T_STR(w.s, ".\r\n", "an empty article is just the end mark");
	buf_free(&w);
}

static void
sessions(void)
{
	struct buf sent = BUF_INIT;
	size_t i;
	static const struct {
		const char *replies;
		int post, rc;
		const char *what;
	} t[] = {
		{ "200 hi\r\n335 send\r\n235 ok\r\n205 bye\r\n", 0, NNTP_OK,
		    "IHAVE 335 then 235: transferred" },
		{ "200 hi\r\n435 have it\r\n205\r\n", 0, NNTP_DUP,
		    "IHAVE 435: the peer has it" },
		{ "200 hi\r\n436 later\r\n205\r\n", 0, NNTP_TEMP,
		    "IHAVE 436: try later" },
		{ "200 hi\r\n335 send\r\n437 Too old\r\n", 0, NNTP_REFUSED,
		    "IHAVE 335 then 437: refused" },
		{ "200 hi\r\n335 send\r\n436 Retry later\r\n", 0, NNTP_TEMP,
		    "IHAVE 335 then 436: try later" },
		{ "200 hi\r\n480 auth\r\n", 0, NNTP_TEMP,
		    "IHAVE 480: not a peer there: try later" },
		{ "200 hi\r\n500 what?\r\n", 0, NNTP_TEMP,
		    "IHAVE 500: try later, never lost" },
		{ "200 hi\r\n335 send\r\n", 0, NNTP_TEMP,
		    "the peer hangs up after 335: try later" },
		{ "201 no posting\r\n335 send\r\n235\r\n", 0, NNTP_OK,
		    "greeting 201 still takes IHAVE" },
		{ "400 busy\r\n", 0, 100, "greeting 400: no session" },
		{ "502 go away\r\n", 0, 100, "greeting 502: no session" },
		{ "", 0, 100, "no greeting at all: no session" },
		{ "200 hi\r\n335 send\r\n235 ok", 0, NNTP_TEMP,
		    "a reply without its line end: try later" },
		{ "200 hi\r\n200 reader\r\n340 go\r\n240 ok\r\n", 1, NNTP_OK,
		    "MODE READER, POST 340, 240: posted" },
		{ "200 hi\r\n200 reader\r\n340 go\r\n441 435 Duplicate\r\n", 1,
		    NNTP_DUP, "POST 441 435 (INN's duplicate): the peer has it" },
		{ "200 hi\r\n200 reader\r\n340 go\r\n441 Can't set system "
		    "Injection-Info header field\r\n", 1, NNTP_REFUSED,
		    "POST 441: refused" },
		{ "200 hi\r\n201 no posting\r\n", 1, NNTP_TEMP,
		    "MODE READER 201 (no posting): try later" },
		{ "200 hi\r\n200 reader\r\n440 no\r\n", 1, NNTP_TEMP,
		    "POST 440: try later" },
	};

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		T(run(t[i].replies, t[i].post, 0, NULL) == t[i].rc, "%s",
		    t[i].what);
	T(run("200 hi\r\n335 send\r\n235 ok\r\n205\r\n", 0, 1, &sent) ==
	    NNTP_OK, "replies arriving one byte at a time");
	T(strstr(sent.s, "IHAVE <1@gw.test>\r\n") == sent.s,
	    "the command line is IHAVE <msgid>");
	T(strstr(sent.s, "\r\n..leading dot\r\n...two dots\r\n..\r\nend\r\n"
	    ".\r\nQUIT\r\n") != NULL,
	    "the body's dot lines are stuffed; one end mark; then QUIT");
	T(strstr(sent.s, "\n.\r\n") == strstr(sent.s, "end\r\n.\r\n") + 4,
	    "no line of the article is a lone dot on the wire");
	{
		struct buf big = BUF_INIT;
		size_t k;

		buf_adds(&big, "200 ");
		for (k = 0; k < 5000; k++)
			buf_addc(&big, 'x');
		buf_adds(&big, "\r\n");
		T(run(big.s, 0, 0, NULL) == 100,
		    "a greeting over %d bytes breaks the session",
		    NNTP_MAX_LINE);
		buf_free(&big);
	}
	T(run("200 hi\r\n335 send\r\n235 ok\r\n\0x", 0, 0, NULL) == NNTP_OK,
	    "bytes after the last reply are never read as one");
	buf_free(&sent);
}

int
main(void)
{
	replies();
	wire();
	sessions();
	T_END();
}
