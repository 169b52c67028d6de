/* fuzz_nntp.c - libFuzzer harness for the NNTP client: hostile peer replies. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "nntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t len, pos, chunk;
	struct buf out;
};

static ssize_t
f_read(void *ctx, void *p, size_t n)
{
	struct feed *f = ctx;
	size_t k = f->len - f->pos;

	if (k > f->chunk)
		k = f->chunk;
	if (k > n)
		k = n;
	memcpy(p, f->p + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

static int
f_write(void *ctx, const void *p, size_t n)
{
	struct feed *f = ctx;

	buf_add(&f->out, p, n);
	return 0;
}

static const char ART[] = "Path: gw!not-for-mail\nFrom: a@b\nNewsgroups: "
    "alt.test\nSubject: s\nMessage-ID: <1@gw>\n\n.\n..x\nbody\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f;
	struct nntp_io io = { f_read, f_write, &f };
	struct nntp_reply r;
	struct nntp n;
	const uint8_t *nl;
	int rc, i;

	/* The reply parser alone, on the first line. */
	nl = memchr(data, '\n', size);
	if (nntp_parse_reply((const char *)data, nl ? (size_t)(nl - data) :
	    size, &r) == 0 && (r.code < 100 || r.code > 599 ||
	    memchr(r.text, '\0', sizeof(r.text)) == NULL))
		__builtin_trap();
	if (size < 1)
		return 0;
	/* A whole session: byte 0 picks IHAVE/POST and the read size. */
	memset(&f, 0, sizeof(f));
	f.p = data + 1;
	f.len = size - 1;
	f.chunk = 1 + (data[0] >> 1) % 64;
	buf_init(&f.out);
	memset(&n, 0, sizeof(n));
	n.fd = -1;
	if (nntp_start(&n, &io) == NNTP_OK) {
		for (i = 0; i < 3 && !n.broken; i++) {
			rc = (data[0] & 1) ? nntp_post(&n, ART, sizeof(ART) - 1)
			    : nntp_ihave(&n, "<1@gw>", ART, sizeof(ART) - 1);
			if (rc != NNTP_OK && rc != NNTP_DUP &&
			    rc != NNTP_REFUSED && rc != NNTP_TEMP)
				__builtin_trap();
		}
	}
	nntp_close(&n);
	/* What we wrote: CRLF lines only, never a lone LF. */
	for (size_t k = 0; k < f.out.len; k++)
		if (f.out.s[k] == '\n' && (k == 0 || f.out.s[k - 1] != '\r'))
			__builtin_trap();
	buf_free(&f.out);
	return 0;
}
