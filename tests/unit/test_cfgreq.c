/* test_cfgreq.c - the config@ plaintext parser, table-driven. */
#include <stdlib.h>

#include "buf.h"
#include "cfgreq.h"
#include "nym.h"
#include "t.h"

#define ALLSW (NF_ACKSEND | NF_CRYPTRECV | NF_SIGNSEND | NF_FIXEDSIZE | \
    NF_FINGERKEY | NF_NOBCC | NF_DISABLE | NF_AUTOCRYPT)

struct ccase {
	const char *what;
	const char *in;
	int rc;			/* -1: not a config request */
	const char *name;	/* expected From: name, NULL for none */
	int create, maybe, del;
	const char *fullname;	/* expected name=, NULL for none */
	unsigned set, clear;
	size_t nblocks;
	int nerrors;
	const char *err;	/* a substring of the error list, or NULL */
};

#define H "Config:\nFrom: alice\n"
#define BLK "Reply-Block:\n::\nAnon-To: a@example.net\n"

static const struct ccase cases[] = {
	/* Config: detection */
	{ "minimal", H, 0, "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "blank lines before Config:", "\n \n\t\nConfig:\nFrom: alice\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "CRLF lines", "\r\n\r\nConfig:\r\nFrom: alice\r\n"
	    "Nym-Commands: create\r\n", 0, "alice", 1, 0, 0, NULL, 0, 0, 0,
	    0, NULL },
	{ "field names without case", "CONFIG:\nfrom: Alice\n"
	    "nym-commands: CREATE\n", 0, "alice", 1, 0, 0, NULL, 0, 0, 0, 0,
	    NULL },
	{ "Config: with trailing blanks", "Config: \t\nFrom: alice\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "text before Config:", "hello\nConfig:\nFrom: alice\n", -1, NULL,
	    0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "indented Config:", " Config:\nFrom: alice\n", -1, NULL, 0, 0, 0,
	    NULL, 0, 0, 0, 0, NULL },
	{ "Config: with a value", "Config: yes\nFrom: alice\n", -1, NULL, 0,
	    0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "a send@ plaintext", "From: alice\nTo: bob@example.org\n\nhi\n",
	    -1, NULL, 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "a send@ plaintext quoting Config:", "From: alice\n\nConfig:\n",
	    -1, NULL, 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "empty text", "", -1, NULL, 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "blank text", "\n\r\n \n", -1, NULL, 0, 0, 0, NULL, 0, 0, 0, 0,
	    NULL },
	{ "Config: alone, no newline", "Config:", 0, NULL, 0, 0, 0, NULL, 0,
	    0, 0, 1, "From: is missing" },

	/* From: */
	{ "From: with @domain, mixed case", "Config:\nFrom: AlIcE@Nym.Example."
	    "ORG\n", 0, "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "From: surrounding blanks", "Config:\nFrom:  \t alice \t\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "From: 2 characters", "Config:\nFrom: ab\n", 0, "ab", 0, 0, 0,
	    NULL, 0, 0, 0, 0, NULL },
	{ "From: 16 characters", "Config:\nFrom: abcdefghijklmnop\n", 0,
	    "abcdefghijklmnop", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "From: _ first, - and _ later", "Config:\nFrom: _a-b_9\n", 0,
	    "_a-b_9", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },
	{ "From: 1 character", "Config:\nFrom: a\n", 0, "a", 0, 0, 0, NULL,
	    0, 0, 0, 1, "not a valid nym name" },
	{ "From: 17 characters", "Config:\nFrom: abcdefghijklmnopq\n", 0,
	    "abcdefghijklmnopq", 0, 0, 0, NULL, 0, 0, 0, 1,
	    "not a valid nym name" },
	{ "From: - first", "Config:\nFrom: -ab\n", 0, "-ab", 0, 0, 0, NULL,
	    0, 0, 0, 1, "not a valid nym name" },
	{ "From: +ext", "Config:\nFrom: alice+x\n", 0, "alice+x", 0, 0, 0,
	    NULL, 0, 0, 0, 1, "not a valid nym name" },
	{ "From: a display name", "Config:\nFrom: Al <al@x>\n", 0, "al <al",
	    0, 0, 0, NULL, 0, 0, 0, 1, "not a valid nym name" },
	{ "From: empty", "Config:\nFrom:\nNym-Commands: create\n", 0, "", 1,
	    0, 0, NULL, 0, 0, 0, 1, "not a valid nym name" },
	/* regression: a blank after the colon ran the value past its line */
	{ "From: only a blank", "Config:\nFrom: \nNym-Commands: create\n", 0,
	    "", 1, 0, 0, NULL, 0, 0, 0, 1, "not a valid nym name" },
	{ "From: only a tab, last line", "Config:\nFrom:\t", 0, "", 0, 0, 0,
	    NULL, 0, 0, 0, 1, "not a valid nym name" },
	{ "From: missing", "Config:\nNym-Commands: create\n", 0, NULL, 1, 0,
	    0, NULL, 0, 0, 0, 1, "From: is missing" },
	{ "From: twice, the last counts", "Config:\nFrom: bob\nFrom: alice\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },

	/* Nym-Commands: */
	{ "create", H "Nym-Commands: create\n", 0, "alice", 1, 0, 0, NULL,
	    0, 0, 0, 0, NULL },
	{ "create? (Nym-Command:)", H "Nym-Command: create?\n", 0, "alice",
	    0, 1, 0, NULL, 0, 0, 0, 0, NULL },
	{ "delete", H "Nym-Commands: delete\n", 0, "alice", 0, 0, 1, NULL,
	    0, 0, 0, 0, NULL },
	{ "create and delete", H "Nym-Commands: create delete\n", 0, "alice",
	    1, 0, 1, NULL, 0, 0, 0, 1, "only one of" },
	{ "create and create?", H "Nym-Commands: create\nNym-Command: "
	    "create?\n", 0, "alice", 1, 1, 0, NULL, 0, 0, 0, 1,
	    "only one of" },
	{ "every switch on", H "Nym-Commands: +acksend +cryptrecv +signsend "
	    "+fixedsize +fingerkey +nobcc +disable +autocrypt\n", 0, "alice", 0,
	    0, 0, NULL, ALLSW, 0, 0, 0, NULL },
	{ "every switch off", H "Nym-Commands: -acksend -cryptrecv -signsend "
	    "-fixedsize -fingerkey -nobcc -disable -autocrypt\n", 0, "alice", 0,
	    0, 0, NULL, 0, ALLSW, 0, 0, NULL },
	{ "switches without case, tabs", H "Nym-Commands:\t+AckSend\t"
	    "-CRYPTRECV  \n", 0, "alice", 0, 0, 0, NULL, NF_ACKSEND,
	    NF_CRYPTRECV, 0, 0, NULL },
	{ "repeated lines: the last word counts", H "Nym-Commands: +acksend "
	    "-nobcc\nNym-Commands: -acksend\nNym-Command: +nobcc create\n", 0,
	    "alice", 1, 0, 0, NULL, NF_NOBCC, NF_ACKSEND, 0, 0, NULL },
	{ "unknown switch", H "Nym-Commands: +acksend +bogus -x\n", 0,
	    "alice", 0, 0, 0, NULL, NF_ACKSEND, 0, 0, 2,
	    "unknown switch +bogus" },
	{ "switch prefix is not a switch", H "Nym-Commands: +ack\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "unknown switch +ack" },
	{ "unknown command", H "Nym-Commands: frobnicate create\n", 0,
	    "alice", 1, 0, 0, NULL, 0, 0, 0, 1, "unknown command frobnicate" },
	{ "bare + and -", H "Nym-Commands: + -\n", 0, "alice", 0, 0, 0, NULL,
	    0, 0, 0, 2, "unknown command +" },
	{ "empty Nym-Commands:", H "Nym-Commands:\nNym-Commands:   \n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 0, NULL },

	/* name="..." */
	{ "name=", H "Nym-Commands: create name=\"Jo Doe\" +acksend\n", 0,
	    "alice", 1, 0, 0, "Jo Doe", NF_ACKSEND, 0, 0, 0, NULL },
	{ "name= escapes", H "Nym-Commands: name=\"a \\\"q\\\" \\\\ b\"\n", 0,
	    "alice", 0, 0, 0, "a \"q\" \\ b", 0, 0, 0, 0, NULL },
	{ "name= ends with an escaped backslash", H "Nym-Commands: "
	    "name=\"x\\\\\" create\n", 0, "alice", 1, 0, 0, "x\\", 0, 0, 0, 0,
	    NULL },
	{ "name= empty", H "Nym-Commands: name=\"\"\n", 0, "alice", 0, 0, 0,
	    "", 0, 0, 0, 0, NULL },
	{ "name= twice, the last counts", H "Nym-Commands: name=\"A\"\n"
	    "Nym-Commands: name=\"B\"\n", 0, "alice", 0, 0, 0, "B", 0, 0, 0, 0,
	    NULL },
	{ "NAME= without case", H "Nym-Commands: NAME=\"Jo\"\n", 0, "alice",
	    0, 0, 0, "Jo", 0, 0, 0, 0, NULL },
	{ "name= unquoted", H "Nym-Commands: name=Jo\n", 0, "alice", 0, 0, 0,
	    NULL, 0, 0, 0, 1, "needs a quoted value" },
	{ "name= unterminated", H "Nym-Commands: name=\"Jo Doe\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "needs a quoted value" },
	{ "name= escaped closing quote", H "Nym-Commands: name=\"Jo\\\"\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "escapes" },
	{ "name= inner quote", H "Nym-Commands: name=\"a\"b\"\n", 0, "alice",
	    0, 0, 0, NULL, 0, 0, 0, 1, "unescaped quote" },
	{ "name= other escape", H "Nym-Commands: name=\"a\\nb\"\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "only \\\" and \\\\ escapes" },
	{ "name= with <", H "Nym-Commands: name=\"Jo <jo\"\n", 0, "alice", 0,
	    0, 0, NULL, 0, 0, 0, 1, "not <>@," },
	{ "name= with >", H "Nym-Commands: name=\"a>b\"\n", 0, "alice", 0, 0,
	    0, NULL, 0, 0, 0, 1, "not <>@," },
	{ "name= with @", H "Nym-Commands: name=\"a@b\"\n", 0, "alice", 0, 0,
	    0, NULL, 0, 0, 0, 1, "not <>@," },
	{ "name= with ,", H "Nym-Commands: name=\"Doe, Jo\"\n", 0, "alice",
	    0, 0, 0, NULL, 0, 0, 0, 1, "not <>@," },
	{ "name= with a tab", H "Nym-Commands: name=\"a\tb\"\n", 0, "alice",
	    0, 0, 0, NULL, 0, 0, 0, 1, "printable" },
	{ "name= with 8-bit bytes", H "Nym-Commands: name=\"J\xc3\xb6rg\"\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "printable" },
	{ "name= with DEL", H "Nym-Commands: name=\"a\x7f\"\n", 0, "alice",
	    0, 0, 0, NULL, 0, 0, 0, 1, "printable" },

	/* Reply-Block: */
	{ "one block", H BLK, 0, "alice", 0, 0, 0, NULL, 0, 0, 1, 0, NULL },
	/* regression: a blank after the colon was read as parameters */
	{ "Reply-Block: with a trailing blank", H "Reply-Block: \n::\n"
	    "Anon-To: a@x\n", 0, "alice", 0, 0, 0, NULL, 0, 0, 1, 0, NULL },
	{ "block in a set", H "Reply-Block: a=0.5\n::\nAnon-To: a@x\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 1, 0, NULL },
	{ "probability 1", H "Reply-Block: z=1\n::\nAnon-To: a@x\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 1, 0, NULL },
	{ "probability 0", H "Reply-Block: a=0\n::\nAnon-To: a@x\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "probability must be" },
	{ "probability over 1", H "Reply-Block: a=1.5\n::\nAnon-To: a@x\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "probability must be" },
	{ "probability negative", H "Reply-Block: a=-0.5\n::\nAnon-To: a@x\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "probability must be" },
	{ "probability not a number", H "Reply-Block: a=half\n::\n"
	    "Anon-To: a@x\n", 0, "alice", 0, 0, 0, NULL, 0, 0, 0, 1,
	    "probability must be" },
	{ "probability NaN", H "Reply-Block: a=nan\n::\nAnon-To: a@x\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "probability must be" },
	{ "probability with junk", H "Reply-Block: a=0.5x\n::\nAnon-To: a@x\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "probability must be" },
	{ "upper-case set", H "Reply-Block: A=0.5\n::\nAnon-To: a@x\n", 0,
	    "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "expected SET=PROBABILITY" },
	{ "set without probability", H "Reply-Block: a\n::\nAnon-To: a@x\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 0, 1, "expected SET=PROBABILITY" },
	{ "digit set", H "Reply-Block: 1=0.5\n::\nAnon-To: a@x\n", 0, "alice",
	    0, 0, 0, NULL, 0, 0, 0, 1, "expected SET=PROBABILITY" },
	{ "a bad block does not stop the next", H "Reply-Block: a=2\n::\n"
	    "Anon-To: a@x\n" BLK, 0, "alice", 0, 0, 0, NULL, 0, 0, 1, 1,
	    "probability must be" },
	{ "three blocks", H BLK "Reply-Block: a=0.3\n::\nAnon-To: b@x\n"
	    "Reply-Block: a=0.7\n::\nAnon-To: c@x\n", 0, "alice", 0, 0, 0,
	    NULL, 0, 0, 3, 0, NULL },
	{ "empty block", H "Reply-Block:\n\n\nReply-Block:\n::\nAnon-To: a@x\n",
	    0, "alice", 0, 0, 0, NULL, 0, 0, 2, 1, "empty reply block" },
	{ "empty block at the end", H "Reply-Block:\n", 0, "alice", 0, 0, 0,
	    NULL, 0, 0, 1, 1, "empty reply block" },
	{ "fields after Reply-Block: belong to the block", "Config:\n"
	    "Reply-Block:\n::\nFrom: alice\n", 0, NULL, 0, 0, 0, NULL, 0, 0, 1,
	    1, "From: is missing" },

	/* everything else */
	{ "unknown line", H "Subject: hello\n", 0, "alice", 0, 0, 0, NULL, 0,
	    0, 0, 1, "unknown line: Subject: hello" },
	{ "errors accumulate", "Config:\nFrom: a\nNym-Commands: +x name=y "
	    "create delete\nBogus: 1\nReply-Block: q\n::\n", 0, "a", 1, 0, 1,
	    NULL, 0, 0, 0, 6, "unknown line: Bogus: 1" },
	{ "doubled blank lines everywhere", "\n\nConfig:\n\n\nFrom: alice\n\n"
	    "\nNym-Commands: create\n\n\nReply-Block:\n\n\n::\n\n\nAnon-To: a@x"
	    "\n\n\n", 0, "alice", 1, 0, 0, NULL, 0, 0, 1, 0, NULL },
};

/* The error list on one line, for a test's description. */
static const char *
oneline(const struct buf *b)
{
	static char s[512];
	size_t i;

	for (i = 0; b->s != NULL && i < b->len && i + 1 < sizeof(s); i++)
		s[i] = b->s[i] == '\n' ? '|' : b->s[i];
	s[i] = '\0';
	return s;
}

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase *c = &cases[i];
		struct cfgreq r;
		int rc = cfgreq_parse(c->in, strlen(c->in), &r);
		int ok = rc == c->rc;

		if (ok && rc == 0) {
			ok = (c->name == NULL ? r.name == NULL : r.name != NULL &&
			    strcmp(r.name, c->name) == 0) &&
			    r.create == c->create && r.create_maybe == c->maybe &&
			    r.del == c->del && r.set == c->set &&
			    r.clear == c->clear && r.nblocks == c->nblocks &&
			    r.nerrors == c->nerrors &&
			    (c->fullname == NULL ? r.fullname == NULL :
			    r.fullname != NULL &&
			    strcmp(r.fullname, c->fullname) == 0) &&
			    (c->err == NULL || (r.errors.s != NULL &&
			    strstr(r.errors.s, c->err) != NULL));
		}
		T(ok, "%s (rc %d, name %s, errors %d: %s)", c->what, rc,
		    r.name ? r.name : "-", r.nerrors,
		    oneline(&r.errors));
		T(cfgreq_is_config(c->in, strlen(c->in)) == (c->rc == 0),
		    "%s: cfgreq_is_config agrees", c->what);
		cfgreq_free(&r);
	}
}

/* Length limits of name=: 255 characters pass, 256 do not. */
static void
test_fullname_length(void)
{
	struct buf b = BUF_INIT;
	struct cfgreq r;
	size_t i;

	buf_adds(&b, H "Nym-Commands: name=\"");
	for (i = 0; i < 254; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\\\"\"\n");	/* the escape counts as one */
	T(cfgreq_parse(b.s, b.len, &r) == 0 && r.nerrors == 0 &&
	    r.fullname != NULL && strlen(r.fullname) == 255 &&
	    r.fullname[254] == '"', "name= of 255 characters");
	cfgreq_free(&r);
	buf_reset(&b);
	buf_adds(&b, H "Nym-Commands: name=\"");
	for (i = 0; i < 256; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\"\n");
	T(cfgreq_parse(b.s, b.len, &r) == 0 && r.nerrors == 1 &&
	    r.fullname == NULL && strstr(r.errors.s, "longer than 255"),
	    "name= of 256 characters refused");
	cfgreq_free(&r);
	buf_free(&b);
}

#define KEY_BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define KEY_END "-----END PGP PUBLIC KEY BLOCK-----"
#define KEY KEY_BEGIN "\n\nmDMEaYxbMxYJKwYBBAHaRw8BAQdA\n=AbCd\n" KEY_END "\n"

struct kcase {
	const char *what;
	const char *in;
	const char *key;	/* expected key, "" for none */
	size_t nblocks;
	int nerrors;
};

static const struct kcase kcases[] = {
	{ "key", H "Public-Key:\n" KEY BLK, KEY, 1, 0 },
	{ "key after blank lines", H "Public-Key:\n\n\n" KEY BLK, KEY, 1, 0 },
	{ "key with armor headers", H "Public-Key:\n" KEY_BEGIN "\nVersion: "
	    "x\nComment: y\n\nmDMEaYxb\n" KEY_END "\n",
	    KEY_BEGIN "\nVersion: x\nComment: y\n\nmDMEaYxb\n" KEY_END "\n", 0,
	    0 },
	/* regression: CRLF lines hid the END line */
	{ "key with CRLF lines", "Config:\r\nFrom: alice\r\nPublic-Key:\r\n"
	    KEY_BEGIN "\r\n\r\nmDMEaYxbMxYJKwYBBAHaRw8BAQdA\r\n=AbCd\r\n"
	    KEY_END "\r\nReply-Block:\r\n::\r\nAnon-To: a@x\r\n", KEY, 1, 0 },
	/* regression: an END line without a newline was not seen */
	{ "key as the last line, no newline", H "Public-Key:\n" KEY_BEGIN
	    "\n\nmDMEaYxbMxYJKwYBBAHaRw8BAQdA\n=AbCd\n" KEY_END, KEY, 0, 0 },
	{ "key without END", H "Public-Key:\n" KEY_BEGIN "\n\nmDMEaYxb\n", "",
	    0, 1 },
	{ "no key after Public-Key:", H "Public-Key:\n", "", 0, 1 },
	{ "not an armored key", H "Public-Key:\n-----BEGIN PGP MESSAGE-----\n"
	    "\nhQEM\n" KEY_END "\n", "", 0, 1 },
	{ "two Public-Key: lines, the last counts", H "Public-Key:\n"
	    KEY_BEGIN "\n\nAAAA\n" KEY_END "\nPublic-Key:\n" KEY, KEY, 0, 0 },
};

static void
test_keys(void)
{
	size_t i;

	for (i = 0; i < sizeof(kcases) / sizeof(kcases[0]); i++) {
		const struct kcase *c = &kcases[i];
		struct cfgreq r;
		int rc = cfgreq_parse(c->in, strlen(c->in), &r);

		T(rc == 0 && r.key.len == strlen(c->key) &&
		    memcmp(r.key.s ? r.key.s : "", c->key, r.key.len) == 0 &&
		    r.nblocks == c->nblocks && r.nerrors == c->nerrors &&
		    (c->nerrors == 0 || strstr(r.errors.s, "Public-Key:")),
		    "%s (key %zu bytes, %zu blocks, errors: %s)", c->what,
		    r.key.len, r.nblocks, oneline(&r.errors));
		cfgreq_free(&r);
	}
}

/* Block texts, sets and probabilities as stored. */
static void
test_blocks(void)
{
	const char *in = H "Reply-Block:\r\n\r\n\r\n::\r\nAnon-To: a@x\r\n"
	    "\r\n\r\n##\r\nSubject: s\r\n\r\n"
	    "Reply-Block: a=0.25\n::\nAnon-To: b@x\n"
	    "Reply-Block: b=1\n-----BEGIN PGP MESSAGE-----\n\nhQEM\n"
	    "-----END PGP MESSAGE-----\n\n**\n";
	struct cfgreq r;
	int rc;

	rc = cfgreq_parse(in, strlen(in), &r);
	T(rc == 0 && r.nerrors == 0 && r.nblocks == 3, "three blocks, loose layout (%zu)", r.nblocks);
	if (r.nblocks == 3) {
		T_STR(r.blocks[0].text, "::\nAnon-To: a@x\n\n\n##\nSubject: s\n"
		    "\n", "CRLF block: leading blank lines dropped, inner "
		    "blank lines kept, LF endings");
		T(r.blocks[0].set == 0 && r.blocks[0].prob == 1.0,
		    "a block without a set is always used (prob 1)");
		T(r.blocks[1].set == 'a' && r.blocks[1].prob == 0.25,
		    "set a, probability 0.25");
		T_STR(r.blocks[1].text, "::\nAnon-To: b@x\n", "second text");
		T(r.blocks[2].set == 'b' && r.blocks[2].prob == 1.0,
		    "set b, probability 1");
		T_STR(r.blocks[2].text, "-----BEGIN PGP MESSAGE-----\n\nhQEM\n"
		    "-----END PGP MESSAGE-----\n\n**\n",
		    "armored block and ** kept whole");
	}
	cfgreq_free(&r);
}

/* More than ten blocks, and blocks or keys over their size caps. */
static void
test_caps(void)
{
	struct buf b = BUF_INIT;
	struct cfgreq r;
	int i, rc;

	buf_adds(&b, H);
	for (i = 0; i < 12; i++)
		buf_addf(&b, "Reply-Block:\n::\nAnon-To: n%d@x\n", i);
	rc = cfgreq_parse(b.s, b.len, &r);
	T(rc == 0 && r.nblocks == CFG_MAX_BLOCKS &&
	    r.nerrors >= 1 && strstr(r.errors.s, "more than 10 reply blocks"),
	    "12 blocks: 10 kept, error reported (%zu, %d)", r.nblocks,
	    r.nerrors);
	T(r.nblocks == CFG_MAX_BLOCKS && strcmp(r.blocks[9].text,
	    "::\nAnon-To: n9@x\n") == 0, "... the first ten");
	cfgreq_free(&r);

	buf_reset(&b);
	buf_adds(&b, H "Reply-Block:\n::\nAnon-To: big@x\n");
	while (b.len < CFG_MAX_BLOCK + 100)
		buf_adds(&b, "0123456789abcdef0123456789abcdef0123456789abcdef\n");
	buf_adds(&b, BLK);
	rc = cfgreq_parse(b.s, b.len, &r);
	T(rc == 0 && r.nblocks == 1 &&
	    r.nerrors == 1 && strstr(r.errors.s, "reply block over 65536"),
	    "oversized block refused, the next one kept (%zu, %s)", r.nblocks,
	    oneline(&r.errors));
	cfgreq_free(&r);

	buf_reset(&b);
	buf_adds(&b, H "Public-Key:\n" KEY_BEGIN "\n\n");
	while (b.len < CFG_MAX_KEY + 100)
		buf_adds(&b, "mDMEaYxbMxYJKwYBBAHaRw8BAQdAmDMEaYxbMxYJKwYBBAHaRw8B\n");
	buf_adds(&b, KEY_END "\n");
	rc = cfgreq_parse(b.s, b.len, &r);
	T(rc == 0 && r.key.len == 0 &&
	    r.nerrors >= 1 && strstr(r.errors.s, "Public-Key:"),
	    "oversized key refused (%d errors)", r.nerrors);
	cfgreq_free(&r);

	buf_reset(&b);
	buf_adds(&b, H);
	for (i = 0; i < 30; i++)
		buf_addf(&b, "Bad-%d: x\n", i);
	rc = cfgreq_parse(b.s, b.len, &r);
	T(rc == 0 && r.nerrors == 30 &&
	    strstr(r.errors.s, "Bad-19:") && !strstr(r.errors.s, "Bad-20:"),
	    "30 errors counted, the first 20 listed");
	cfgreq_free(&r);
	buf_free(&b);
}

/* Input that is not NUL-terminated: nothing may be read past len. */
static void
test_unterminated(void)
{
	static const char *const ins[] = {
		"Config:\nFrom: ", "Config:\nFrom:\t", "Config:\nReply-Block: ",
		"Config:\nNym-Commands: ", "Config:\nNym-Commands: name=\"a\\",
		"Config:\nPublic-Key: ", "Config:\nFrom: alice",
	};
	size_t i;

	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		size_t n = strlen(ins[i]);
		char *p = xmalloc(n);
		struct cfgreq r;

		memcpy(p, ins[i], n);
		T(cfgreq_parse(p, n, &r) == 0, "unterminated input %zu parsed "
		    "within its length", i);
		cfgreq_free(&r);
		free(p);
	}
}

static void
test_flag_names(void)
{
	T_STR(cfgreq_flag_name(NF_ACKSEND), "acksend", "flag name acksend");
	T_STR(cfgreq_flag_name(NF_DISABLE), "disable", "flag name disable");
	T_STR(cfgreq_flag_name(0x8000), "?", "unknown flag bit");
}

/* confirm=COOKIE and Confirm: COOKIE (issue 15, finding 11). */
static void
test_confirm(void)
{
	static const struct {
		const char *text, *cookie;
		int errors;
	} c[] = {
		{ "Config:\nFrom: a1\nNym-Commands: confirm=0123456789abcdef0123\n",
		    "0123456789abcdef0123", 0 },
		{ "Config:\nFrom: a1\nConfirm: 0123456789ABCDEF0123\n",
		    "0123456789abcdef0123", 0 },
		{ "Config:\nFrom: a1\nconfirm:   0123456789abcdef0123  \n",
		    "0123456789abcdef0123", 0 },
		{ "Config:\nFrom: a1\nNym-Commands: confirm=0123\n", NULL, 1 },
		{ "Config:\nFrom: a1\nConfirm: 0123456789abcdef012g\n", NULL, 1 },
		{ "Config:\nFrom: a1\nNym-Commands: confirm=\n", NULL, 1 },
		{ "Config:\nFrom: a1\nConfirm: 0123456789abcdef0123\n"
		    "Confirm: 0123456789abcdef0124\n", "0123456789abcdef0123", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct cfgreq r;
		int rc = cfgreq_parse(c[i].text, strlen(c[i].text), &r);

		T(rc == 0 && (c[i].cookie == NULL ? r.confirm == NULL :
		    r.confirm != NULL && strcmp(r.confirm, c[i].cookie) == 0) &&
		    (r.nerrors > 0) == c[i].errors, "confirm case %zu", i);
		cfgreq_free(&r);
	}
}

/* delivery=, hsub=, symmetric=, subject= (pool delivery). */
static void
test_pool(void)
{
	struct cfgreq r;

	T(cfgreq_parse(H "Nym-Commands: delivery=pool hsub=\"Panda pass\" "
	    "symmetric=\"s3 \\\"cret\\\"\" subject=\"hello\"\n",
	    strlen(H "Nym-Commands: delivery=pool hsub=\"Panda pass\" "
	    "symmetric=\"s3 \\\"cret\\\"\" subject=\"hello\"\n"), &r) == 0 &&
	    r.nerrors == 0 && r.delivery == NYM_DELIVER_POOL &&
	    strcmp(r.hsub, "Panda pass") == 0 &&
	    strcmp(r.symkey, "s3 \"cret\"") == 0 &&
	    strcmp(r.subject, "hello") == 0,
	    "delivery=pool with hsub=, symmetric= (escapes) and subject=");
	cfgreq_free(&r);
	/* A cmsg pool subject: every delivery's article would be refused
	 * (exit 75 until the MTA gives up); refused here instead. */
	T(cfgreq_parse(H "Nym-Commands: subject=\" CMSG newgroup x\"\n",
	    strlen(H "Nym-Commands: subject=\" CMSG newgroup x\"\n"), &r) ==
	    0 && r.nerrors == 1 && r.subject == NULL,
	    "subject= starting with cmsg (a control message) refused");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: subject=\"cmsgs and more\"\n",
	    strlen(H "Nym-Commands: subject=\"cmsgs and more\"\n"), &r) ==
	    0 && r.nerrors == 0 && r.subject != NULL,
	    "subject= with a word cmsgs passes");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: delivery=both\n", strlen(H
	    "Nym-Commands: delivery=both\n"), &r) == 0 && r.nerrors == 0 &&
	    r.delivery == NYM_DELIVER_BOTH && r.hsub == NULL,
	    "delivery=both; other values unchanged (NULL)");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: delivery=blocks hsub=\"\"\n", strlen(H
	    "Nym-Commands: delivery=blocks hsub=\"\"\n"), &r) == 0 &&
	    r.nerrors == 0 && r.delivery == NYM_DELIVER_BLOCKS &&
	    r.hsub != NULL && r.hsub[0] == '\0',
	    "delivery=blocks; hsub=\"\" clears (an empty, not a NULL)");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: create\n", strlen(H
	    "Nym-Commands: create\n"), &r) == 0 && r.delivery == -1,
	    "no delivery=: -1 (unchanged)");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: delivery=news\n", strlen(H
	    "Nym-Commands: delivery=news\n"), &r) == 0 && r.nerrors == 1,
	    "delivery=news refused");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: hsub=Panda\n", strlen(H
	    "Nym-Commands: hsub=Panda\n"), &r) == 0 && r.nerrors == 1 &&
	    r.hsub == NULL, "hsub= unquoted refused");
	cfgreq_free(&r);
	T(cfgreq_parse(H "Nym-Commands: symmetric=\"a\tb\"\n", strlen(H
	    "Nym-Commands: symmetric=\"a\tb\"\n"), &r) == 0 && r.nerrors == 1 &&
	    r.symkey == NULL, "a tab in symmetric= refused");
	cfgreq_free(&r);
	{
		struct buf big = BUF_INIT;
		int k;

		for (k = CFG_MAX_POOLVALUE; k <= CFG_MAX_POOLVALUE + 1; k++) {
			int i;

			buf_reset(&big);
			buf_adds(&big, H "Nym-Commands: hsub=\"");
			for (i = 0; i < k; i++)
				buf_addc(&big, 'p');
			buf_adds(&big, "\"\n");
			T(cfgreq_parse(big.s, big.len, &r) == 0 &&
			    (k == CFG_MAX_POOLVALUE ? r.nerrors == 0 &&
			    strlen(r.hsub) == (size_t)k : r.nerrors == 1 &&
			    r.hsub == NULL), "hsub= of %d characters %s", k,
			    k == CFG_MAX_POOLVALUE ? "kept" : "refused");
			cfgreq_free(&r);
		}
		buf_free(&big);
	}
}

int
main(void)
{
	test_pool();
	test_table();
	test_fullname_length();
	test_keys();
	test_blocks();
	test_caps();
	test_unterminated();
	test_flag_names();
	test_confirm();
	T_END();
}
