/* test_msg.c - message reader: caps, folding, CRLF, repeated fields. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "t.h"

static const struct msg_limits lim = { 1 << 20, 50, 200 };

static int
parse(struct msg *m, const char *s)
{
	return msg_parse(m, s, strlen(s), &lim);
}

static void
test_basic(void)
{
	struct msg m;

	T(parse(&m, "From: a@b\nSubject: hi\n there\nTo: x\n\nbody\n") ==
	    MSG_OK, "simple message parses");
	T(m.nh == 3, "three fields");
	T_STR(msg_get(&m, "subject"), "hi there", "folding unfolded, name "
	    "case-insensitive");
	T(m.bodylen == 5 && memcmp(m.body, "body\n", 5) == 0, "body found");
	T(m.headerlen == strlen("From: a@b\nSubject: hi\n there\nTo: x\n"),
	    "header length ends at the last field's newline");
	msg_free(&m);
}

static void
test_crlf(void)
{
	struct msg m;

	T(parse(&m, "Subject: a\r\n\tb\r\nX-Y:  z  \r\n\r\nline\r\n") ==
	    MSG_OK, "CRLF message parses");
	T_STR(msg_get(&m, "Subject"), "a\tb", "CRLF folding");
	T_STR(msg_get(&m, "X-Y"), "z", "value trimmed");
	T(m.bodylen == 5 && memcmp(m.body, "line\n", 5) == 0,
	    "CRLF turned into LF in the body");
	msg_free(&m);
}

static void
test_repeated(void)
{
	struct msg m;
	size_t i = 0;
	const struct hdr *h;
	int n = 0;

	parse(&m, "Received: one\nReceived: two\nreceived: three\n\n");
	T(msg_count(&m, "RECEIVED") == 3, "repeated fields counted");
	while ((h = msg_next(&m, "Received", &i)) != NULL)
		n++;
	T(n == 3, "iteration visits each");
	T_STR(msg_get(&m, "Received"), "one", "first value wins in get");
	msg_free(&m);
}

static void
test_edges(void)
{
	struct msg m;
	struct buf big = BUF_INIT;
	int i;

	T(parse(&m, "") == MSG_OK && m.nh == 0 && m.bodylen == 0,
	    "empty message");
	msg_free(&m);
	T(parse(&m, "From sender@x Mon Jan  1 00:00:00 2024\nA: b\n\nc") ==
	    MSG_OK && m.fromline != NULL && m.nh == 1,
	    "mbox From line kept apart");
	msg_free(&m);
	T(parse(&m, "no colon here\nA: b\n") == MSG_OK && m.nh == 0 &&
	    m.bodylen == strlen("no colon here\nA: b\n"),
	    "a non-field line starts the body");
	msg_free(&m);
	T(parse(&m, "A: b") == MSG_OK && m.nh == 1 && m.bodylen == 0,
	    "header without final newline");
	msg_free(&m);
	T(parse(&m, "Name : v\n\n") == MSG_OK && m.nh == 1 &&
	    strcmp(msg_get(&m, "Name"), "v") == 0, "obsolete space before "
	    "colon");
	msg_free(&m);
	for (i = 0; i < 60; i++)
		buf_adds(&big, "X: y\n");
	T(msg_parse(&m, big.s, big.len, &lim) == MSG_BADHDR,
	    "too many header lines refused");
	T(m.nh == 0 && m.h == NULL && m.data.s == NULL,
	    "a refused message leaves nothing to free (fuzz_mime found callers "
	    "that did not free it)");
	msg_free(&m);
	buf_reset(&big);
	buf_adds(&big, "X: ");
	for (i = 0; i < 300; i++)
		buf_addc(&big, 'a');
	T(msg_parse(&m, big.s, big.len, &lim) == MSG_BADHDR,
	    "over-long header line refused");
	msg_free(&m);
	buf_free(&big);
}

static void
test_read(void)
{
	int p[2];
	struct buf b = BUF_INIT;
	char chunk[1000];

	memset(chunk, 'x', sizeof(chunk));
	if (pipe(p) < 0)
		return;
	if (write(p[1], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
		return;
	close(p[1]);
	T(msg_read_fd(p[0], 999, &b) == MSG_TOOBIG, "over the cap");
	close(p[0]);
	if (pipe(p) < 0)
		return;
	if (write(p[1], chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
		return;
	close(p[1]);
	T(msg_read_fd(p[0], 1000, &b) == MSG_OK && b.len == 1000,
	    "exactly at the cap");
	close(p[0]);
	T(msg_read_fd(-1, 10, &b) == MSG_IOERR, "read error reported");
	buf_free(&b);
}

/* Finding 13: a bare CR (or NUL, or another control) in a header value
 * must not reach a header the server writes. */
static void
test_put_field(void)
{
	static const char evil[] = "Subject: x\rFrom: \"CEO\" <ceo@bank.example>";
	struct buf out = BUF_INIT;
	struct msg m;
	size_t n;

	n = msg_put_field(&out, evil, strlen(evil));
	T_STR(out.s, "Subject: x From: \"CEO\" <ceo@bank.example>\n",
	    "finding 13: a bare CR in a value becomes a space, one line out");
	T(n == 1, "finding 13: the one replaced byte is counted");
	T(msg_parse(&m, out.s, out.len, &lim) == MSG_OK && m.nh == 1 &&
	    msg_count(&m, "From") == 0, "finding 13: read back, the output is "
	    "one Subject field and no From");
	msg_free(&m);
	buf_reset(&out);
	{
		static const char ctl[] = "Subject: a\0b\x1b[31mc\x7f\x01" "d";

		n = msg_put_field(&out, ctl, sizeof(ctl) - 1);
	}
	T(out.len == 22 && memcmp(out.s, "Subject: a b [31mc  d\n", 22) == 0 &&
	    n == 4, "finding 13: NUL, ESC, DEL and other controls become "
	    "spaces");
	buf_reset(&out);
	n = msg_put_field(&out, "Subject: one\n two\n\tthree",
	    strlen("Subject: one\n two\n\tthree"));
	T_STR(out.s, "Subject: one\n two\n\tthree\n", "folding (LF and "
	    "white space) is kept");
	T(n == 0, "... and nothing counted");
	buf_reset(&out);
	n = msg_put_field(&out, "Subject: one\nFrom: forged",
	    strlen("Subject: one\nFrom: forged"));
	T_STR(out.s, "Subject: one From: forged\n", "finding 13: a LF that "
	    "does not fold cannot start a field");
	buf_reset(&out);
	n = msg_put_field(&out, "Subject: \xc3\xa9t\xc3\xa9\t tab",
	    strlen("Subject: \xc3\xa9t\xc3\xa9\t tab"));
	T_STR(out.s, "Subject: \xc3\xa9t\xc3\xa9\t tab\n", "UTF-8 and TAB "
	    "are kept");
	T(n == 0, "... unchanged");
	buf_reset(&out);
	n = msg_put_field(&out, "Subject: x\r", strlen("Subject: x\r"));
	T_STR(out.s, "Subject: x \n", "finding 13: a CR at the end too");
	buf_free(&out);
}

int
main(void)
{
	test_basic();
	test_crlf();
	test_repeated();
	test_edges();
	test_read();
	test_put_field();
	T_END();
}
