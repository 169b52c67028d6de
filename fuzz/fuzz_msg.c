/* fuzz_msg.c - libFuzzer harness for the message reader (header parser). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
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
		/* Every field as the server writes it (SECURITY.md 3.13):
		 * one field, no CR, NUL or other control but folding. */
		for (i = 0; i < m.nh; i++) {
			struct buf out = BUF_INIT;
			struct msg back;
			size_t k;

			msg_put_field(&out, m.h[i].raw, m.h[i].rawlen);
			for (k = 0; k < out.len; k++) {
				unsigned char c = (unsigned char)out.s[k];

				if ((c < 32 && c != '\t' && c != '\n') ||
				    c == 127 || (c == '\n' && k + 1 < out.len &&
				    out.s[k + 1] != ' ' && out.s[k + 1] != '\t'))
					__builtin_trap();
			}
			if (msg_parse(&back, out.s, out.len, &lim) == MSG_OK &&
			    back.nh > 1)
				__builtin_trap();
			msg_free(&back);
			buf_free(&out);
		}
	}
	msg_free(&m);
	(void)n;
	return 0;
}
