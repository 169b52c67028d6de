/* fuzz_finger.c - libFuzzer harness for the finger query parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "finger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct finger_query q;
	struct conf c;
	struct buf out = BUF_INIT;
	size_t i, n;

	finger_parse((const char *)data, size, &q);
	if (q.kind == FQ_USER) {
		/* A user name is non-empty, lowercase, printable, no '@'. */
		n = strlen(q.name);
		if (n == 0 || n > FINGER_MAX_QUERY)
			__builtin_trap();
		for (i = 0; i < n; i++)
			if (q.name[i] <= ' ' || q.name[i] >= 127 ||
			    q.name[i] == '@' ||
			    (q.name[i] >= 'A' && q.name[i] <= 'Z'))
				__builtin_trap();
	}
	if (size > FINGER_MAX_QUERY && q.kind != FQ_BAD)
		__builtin_trap();
	/* Answers that need no state (st NULL: a user query fails soft). */
	memset(&c, 0, sizeof(c));
	c.hostname = (char *)"nym.test";
	c.list_enabled = 1;
	if (q.kind != FQ_USER || strcmp(q.name, "list") == 0 ||
	    strncmp(q.name, "c", 1) != 0)
		(void)finger_answer(&c, NULL, &q, &out);
	finger_crlf(&out, (const char *)data, size);
	buf_free(&out);
	return 0;
}
