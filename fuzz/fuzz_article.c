/* fuzz_article.c - libFuzzer harness for the article builder (article.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "article.h"
#include "buf.h"
#include "hsub.h"
#include "msg.h"
#include "nntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *pats[] = { "alt.*", "!alt.binaries.*", "misc.*", NULL };

/* The invariants of a built article. */
static void
check(const struct article_rules *r, const struct article *a)
{
	const char *t = a->text.s, *p, *hend;
	int from = 0, path = 0, ng = 0;
	struct buf w = BUF_INIT, back = BUF_INIT;

	if (t == NULL || a->text.len > r->max_size || a->ngroups == 0 ||
	    a->ngroups > r->max_groups || memchr(t, '\r', a->text.len) ||
	    memchr(t, '\0', a->text.len))
		__builtin_trap();
	hend = strstr(t, "\n\n");
	if (hend == NULL)
		__builtin_trap();
	for (p = t; p <= hend; ) {
		size_t l = strcspn(p, "\n");

		if (l > ARTICLE_MAX_LINE || l == 0 || *p == ' ' || *p == '\t')
			__builtin_trap();
		if (strncasecmp(p, "Control:", 8) == 0 ||
		    strncasecmp(p, "Also-Control:", 13) == 0 ||
		    strncasecmp(p, "Approved:", 9) == 0 ||
		    strncasecmp(p, "Supersedes:", 11) == 0 ||
		    (strncasecmp(p, "Subject: cmsg", 13) == 0 &&
		    (p[13] == ' ' || p[13] == '\t' || p[13] == '\n')) ||
		    strncasecmp(p, "Sender:", 7) == 0)
			__builtin_trap();
		from += strncmp(p, "From: ", 6) == 0;
		path += strncmp(p, "Path: ", 6) == 0;
		ng += strncmp(p, "Newsgroups: ", 12) == 0;
		p += l + 1;
	}
	if (from != 1 || path != 1 || ng != 1)
		__builtin_trap();
	/* Framing: the wire form reads back as the article, ending once. */
	nntp_wire(t, a->text.len, &w);
	for (p = w.s; ; ) {
		const char *e = strstr(p, "\r\n");
		size_t l;

		if (e == NULL)
			__builtin_trap();
		l = (size_t)(e - p);
		if (l == 1 && p[0] == '.') {
			if ((size_t)(e + 2 - w.s) != w.len)
				__builtin_trap();
			break;
		}
		buf_add(&back, p + (p[0] == '.'), l - (p[0] == '.'));
		buf_addc(&back, '\n');
		p = e + 2;
	}
	if (back.len != a->text.len || memcmp(back.s, t, back.len) != 0)
		__builtin_trap();
	buf_free(&w);
	buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct msg_limits lim = { 1 << 20, 200, 4096 };
	struct article_rules r = { "gw.test", "Anonymous <nobody@gw.test>",
	    "abuse@gw.test", "gw.test", "X-Nym: 1", NULL, 3, 32768 };
	struct article_in in;
	struct article a;
	struct buf norm = BUF_INIT;
	const char *why;
	size_t n;
	struct msg m;
	int k;

	(void)article_newsgroups((const char *)data, size, size & 1, &norm,
	    &n, &why);
	(void)hsub_check((const char *)data, size, "Panda", 5);
	if (msg_parse(&m, (const char *)data, size, &lim) != MSG_OK)
		goto out;
	for (k = 0; k < 3; k++) {
		memset(&in, 0, sizeof(in));
		in.kind = k == 0 ? ART_ANON : k == 1 ? ART_NYM : ART_POOL;
		in.m = &m;
		in.from = "Nym <nym@gw.test>";
		in.newsgroups = "alt.anonymous.messages";
		in.subject = msg_get(&m, "Subject");
		r.groups = k == 1 ? pats : NULL;
		article_init(&a);
		if (article_build(&r, &in, &a) == 0)
			check(&r, &a);
		else if (a.why[0] == '\0' || a.status == NULL ||
		    a.text.len != 0)
			__builtin_trap();
		article_free(&a);
	}
	msg_free(&m);
out:
	buf_free(&norm);
	return 0;
}
