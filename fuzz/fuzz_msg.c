/* fuzz_msg.c - libFuzzer harness for the message reader (header parser). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct msg_limits lim = { 1 << 20, 1000, 8192 };
	struct msg m;
	size_t i, n = 0;

	if (msg_parse(&m, (const char *)data, size, &lim) == MSG_OK) {
		/* Every field must lie inside the data, values are strings. */
		for (i = 0; i < m.nh; i++)
			n += strlen(m.h[i].value) + m.h[i].namelen;
		if (m.body + m.bodylen != m.data.s + m.data.len)
			__builtin_trap();
		(void)msg_get(&m, "From");
		/* Feed address fields to the address parser as nymserv does. */
		for (i = 0; i < m.nh; i++) {
			struct addrlist l;

			if (addr_parse_list(m.h[i].value, strlen(m.h[i].value),
			    100, &l) == 0)
				addr_free_list(&l);
		}
	}
	msg_free(&m);
	(void)n;
	return 0;
}
