/* fuzz_type1.c - libFuzzer harness for the type-1 grammar (type1.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "type1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct t1_layer l;
	struct t1_latent lt;
	struct buf b = BUF_INIT;
	const char *why;
	size_t starts[17], ends[17], after, n, i;
	char *s;

	size_t own;
	const uint8_t *ff;

	/* A form feed marks where a decrypted layer's own text ends and
	 * the appended text begins (t1_parse_own); none: all is own. */
	ff = memchr(data, '\f', size);
	buf_set(&b, data, ff ? (size_t)(ff - data) : size);
	t1_crlf(&b);
	own = b.len;
	if (ff != NULL)
		buf_add(&b, ff + 1, size - (size_t)(ff - data) - 1);
	t1_layer_init(&l);
	if (t1_parse_own(b.s ? b.s : "", b.len, own, &l, &why) == T1_OK) {
		/* Every directive came from the own text. */
		if (l.has_block && (l.arm_end > own ||
		    (l.encrypted && l.arm_start >= own)))
			__builtin_trap();
		if (l.payload > b.len || l.arm_end > b.len ||
		    l.arm_start > l.arm_end || l.paste.len > T1_MAX_PASTE_BYTES)
			__builtin_trap();
		if (l.cutmarks != NULL) {
			n = t1_cut(b.s + l.payload, b.len - l.payload,
			    l.cutmarks, 16, starts, ends);
			if (n == 0 || n > 17)
				__builtin_trap();
			for (i = 1; i < n && i < 16; i++)
				if (starts[i] > ends[i] ||
				    ends[i] > b.len - l.payload)
					__builtin_trap();
		}
		(void)t1_stars(b.s + l.payload, b.len - l.payload, &after);
		if (l.latent.set && t1_latent_max(&l.latent, 0) > 100 * 3600L)
			__builtin_trap();
	} else if (why == NULL) {
		__builtin_trap();
	}
	t1_layer_free(&l);
	/* The Latent-Time parser alone, on a short string. */
	s = strndup((const char *)data, size < 32 ? size : 32);
	if (s != NULL && t1_latent_parse(s, &lt) == 0 &&
	    (lt.minutes > 59 || (!lt.relative && lt.hours > 23)))
		__builtin_trap();
	free(s);
	buf_free(&b);
	return 0;
}
