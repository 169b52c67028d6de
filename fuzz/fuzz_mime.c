/* fuzz_mime.c - libFuzzer harness for the RFC 3156 splitter, the decoders
 * (base64, quoted-printable, format=flowed), the search for the request
 * text in a MIME entity (first text/plain part, protected headers) and the
 * extraction of a signed request from a mail (sigreq), without gpg: the
 * OpenPGP engine is pointed at a missing program, so an encrypted layer
 * ends in GPG_TEMP instead of a gpg process. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gpgme.h>

#include "buf.h"
#include "conf.h"
#include "gpg.h"
#include "mime.h"
#include "msg.h"
#include "sigreq.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct conf cf;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	gpgme_check_version(NULL);
	gpgme_set_engine_info(GPGME_PROTOCOL_OpenPGP,
	    "/nonexistent/fuzz_mime/gpg", "/nonexistent/fuzz_mime");
	cf.max_message_size = 1 << 20;
	cf.gnupghome = (char *)"/nonexistent/fuzz_mime";
	return 0;
}

/* The splitter on its own: first line is a Content-Type, rest a body. */
static void
split(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	struct mime_part parts[MIME_MAX_PARTS];
	struct buf ct = BUF_INIT, b = BUF_INIT, out = BUF_INIT;
	int k, i;

	if (nl == NULL)
		return;
	buf_set(&ct, p, (size_t)(nl - p));	/* NUL-terminated copy */
	if (strlen(ct.s) != ct.len)
		goto out;
	(void)mime_type_is(ct.s, "multipart/signed");
	if (mime_param(ct.s, "boundary", &b) == 0) {
		k = mime_split(nl + 1, n - (size_t)(nl + 1 - p), b.s, parts,
		    MIME_MAX_PARTS);
		if (k > MIME_MAX_PARTS)
			__builtin_trap();
		for (i = 0; i < k; i++) {
			if (parts[i].raw < nl + 1 ||
			    parts[i].raw + parts[i].rawlen > p + n)
				__builtin_trap();
			buf_reset(&out);
			mime_crlf(&out, parts[i].raw, parts[i].rawlen);
			if (out.len < parts[i].rawlen ||
			    out.len > 2 * parts[i].rawlen)
				__builtin_trap();
			if (mime_qp_decode(parts[i].raw, parts[i].rawlen,
			    &out) == 0 && out.len > parts[i].rawlen)
				__builtin_trap();
		}
	}
out:
	buf_free(&ct);
	buf_free(&b);
	buf_free(&out);
}

/* The decoders and the request text: bounded outputs, a reason on
 * failure, nothing left behind on failure. */
static void
text(const char *p, size_t n)
{
	struct mime_text t;
	struct buf out = BUF_INIT;
	int raw;

	if (mime_b64_decode(p, n, &out) == 0 && out.len > n / 4 * 3 + 2)
		__builtin_trap();
	buf_set(&out, p, n);
	mime_unflow(&out, n > 0 && (p[0] & 1));
	if (out.len > n)
		__builtin_trap();
	for (raw = 0; raw <= 1; raw++) {
		if (mime_request_text(p, n, raw, &t) == 0) {
			if (t.text.len > n || t.subject.len > MIME_MAX_PROT ||
			    t.from.len > MIME_MAX_PROT)
				__builtin_trap();
		} else if (t.why == NULL || t.text.len != 0) {
			__builtin_trap();
		}
		mime_text_free(&t);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct msg_limits lim = { 1 << 20, 1000, 8192 };
	struct msg m;
	struct sigreq sr;
	struct mime_text content;
	int rc;

	split((const char *)data, size);
	text((const char *)data, size);
	if (msg_parse(&m, (const char *)data, size, &lim) == MSG_OK) {
		rc = sigreq_extract(&cf, &m, &sr);
		if (rc != GPG_OK && rc != GPG_BAD && rc != GPG_TEMP)
			__builtin_trap();
		if (rc == GPG_OK) {
			if (sr.sigdata.len == 0 || sr.sigdata.len > size)
				__builtin_trap();
			if (sigreq_content(&sr, sr.preplain.s,
			    sr.preplain.len, &content) < 0 &&
			    content.why == NULL)
				__builtin_trap();
			mime_text_free(&content);
		}
		sigreq_free(&sr);
	}
	msg_free(&m);
	return 0;
}
