/* fuzz_cgi.c - libFuzzer harness for nymreg's form parser and HTML escaping. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_form f;
	struct buf b = BUF_INIT;
	size_t i, j;

	if (cgi_parse((const char *)data, size, &f) == 0) {
		if (f.n > CGI_MAX_FIELDS)
			__builtin_trap();
		for (i = 0; i < f.n; i++) {
			const char *v = f.f[i].value;

			/* No control character survives decoding. */
			for (j = 0; v[j] != '\0'; j++)
				if ((unsigned char)v[j] < 32 || v[j] == 127)
					__builtin_trap();
			if (strlen(v) > CGI_MAX_VALUE ||
			    cgi_get(&f, f.f[i].name) == NULL)
				__builtin_trap();
			buf_reset(&b);
			cgi_html(&b, v);
			/* Escaped text holds no markup characters. */
			if (memchr(b.s ? b.s : "", '<', b.len) != NULL ||
			    memchr(b.s ? b.s : "", '"', b.len) != NULL)
				__builtin_trap();
		}
	}
	buf_free(&b);
	return 0;
}
