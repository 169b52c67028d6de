/* test_finger.c - the RFC 1288 query parser, table-driven, and CRLF output. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "finger.h"
#include "t.h"

struct tc {
	const char *in;
	enum finger_kind kind;
	int verbose;
	const char *name;
};

static const struct tc cases[] = {
	{ "", FQ_EMPTY, 0, NULL },
	{ "   ", FQ_EMPTY, 0, NULL },
	{ "/W", FQ_EMPTY, 1, NULL },
	{ "/w ", FQ_EMPTY, 1, NULL },
	{ "alice", FQ_USER, 0, "alice" },
	{ "ALICE", FQ_USER, 0, "alice" },
	{ " alice\t", FQ_USER, 0, "alice" },
	{ "/W alice", FQ_USER, 1, "alice" },
	{ "/W   Bob_2", FQ_USER, 1, "bob_2" },
	{ "/Walice", FQ_USER, 0, "/walice" },	/* no blank: not /W */
	{ "remailer-key", FQ_USER, 0, "remailer-key" },
	{ "alice@other.example", FQ_FORWARD, 0, NULL },
	{ "@other.example", FQ_FORWARD, 0, NULL },
	{ "/W a@b@c", FQ_FORWARD, 1, NULL },
	{ "alice bob", FQ_BAD, 0, NULL },
	{ "al\001ce", FQ_BAD, 0, NULL },
	{ "al\377ce", FQ_BAD, 0, NULL },
	{ "/W /W alice", FQ_BAD, 1, NULL },
};

int
main(void)
{
	struct finger_query q;
	struct buf b = BUF_INIT;
	char big[FINGER_MAX_QUERY + 2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tc *c = &cases[i];

		finger_parse(c->in, strlen(c->in), &q);
		T(q.kind == c->kind && q.verbose == c->verbose &&
		    (c->name == NULL || strcmp(q.name, c->name) == 0),
		    "parse \"%s\": kind %d verbose %d name \"%s\"", c->in,
		    (int)q.kind, q.verbose, q.name);
	}
	memset(big, 'a', sizeof(big));
	finger_parse(big, FINGER_MAX_QUERY, &q);
	T(q.kind == FQ_USER && strlen(q.name) == FINGER_MAX_QUERY,
	    "a query of exactly the maximum length parses");
	finger_parse(big, FINGER_MAX_QUERY + 1, &q);
	T(q.kind == FQ_BAD, "one byte more is refused");

	finger_crlf(&b, "a\nb\r\n\nc", 7);
	T(b.len == 9 && memcmp(b.s, "a\r\nb\r\n\r\nc", 9) == 0,
	    "LF and CRLF both become CRLF, once");
	buf_free(&b);
	T_END();
}
