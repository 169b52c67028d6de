/* fuzz_alias.c - libFuzzer harness for the alias rewrite and address rules. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "buf.h"
#include "conf.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char real[] = "alice@example.org";
	struct msg_limits lim = { 1 << 20, 1000, 8192 };
	struct conf c;
	struct msg m;
	struct buf out = BUF_INIT, s = BUF_INIT;
	const char *e;

	memset(&c, 0, sizeof(c));
	c.hostname = (char *)"nym.test";
	/* The first line, as an address to normalise. */
	e = memchr(data, '\n', size);
	buf_set(&s, data, e ? (size_t)(e - (const char *)data) : size);
	if (strlen(s.s) == s.len && alias_norm_addr(&c, s.s, &out) == 0) {
		const char *at = strrchr(out.s, '@');
		size_t dl = at ? strlen(at + 1) : 0;

		/* Never one of our own domains (nym.test or below). */
		if (at == NULL || strcasecmp(at + 1, "nym.test") == 0 ||
		    (dl > 9 && strcasecmp(at + 1 + dl - 9, ".nym.test") == 0))
			__builtin_trap();
	}
	if (msg_parse(&m, (const char *)data, size, &lim) == MSG_OK) {
		alias_rewrite(&m, "al@nym.test", s.s, real, "nym.test", 0,
		    &out);
		/* The real address never survives in the new header. */
		e = memmem(out.s, out.len, "\n\n", 2);
		if (e == NULL || memmem(out.s, (size_t)(e - out.s), real,
		    sizeof(real) - 1) != NULL)
			__builtin_trap();
		msg_free(&m);
	}
	buf_free(&out);
	buf_free(&s);
	return 0;
}
