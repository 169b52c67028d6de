/* fuzz_cfgreq.c - libFuzzer harness for the config@ plaintext parser. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cfgreq.h"
#include "nym.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct cfgreq r;
	size_t i;
	int isconf = cfgreq_is_config(text, size);

	memset(&r, 0, sizeof(r));
	if (cfgreq_parse(text, size, &r) == 0) {
		if (!isconf)		/* the two must agree */
			__builtin_trap();
		/* The caps hold whatever the input. */
		if (r.nblocks > CFG_MAX_BLOCKS || r.key.len > CFG_MAX_KEY ||
		    (r.fullname != NULL &&
		    strlen(r.fullname) > CFG_MAX_FULLNAME))
			__builtin_trap();
		for (i = 0; i < r.nblocks; i++)
			if (r.blocks[i].text == NULL ||
			    strlen(r.blocks[i].text) > CFG_MAX_BLOCK)
				__builtin_trap();
		/* A name is lowercase and has no domain part. */
		if (r.name != NULL)
			for (i = 0; r.name[i]; i++)
				if (isupper((unsigned char)r.name[i]) ||
				    r.name[i] == '@')
					__builtin_trap();
		if ((r.set | r.clear) & ~(unsigned)(NF_ACKSEND | NF_CRYPTRECV |
		    NF_SIGNSEND | NF_FIXEDSIZE | NF_FINGERKEY | NF_NOBCC |
		    NF_DISABLE | NF_AUTOCRYPT))
			__builtin_trap();
		for (i = 0; i < 32; i++)
			if ((r.set | r.clear) & (1u << i))
				(void)cfgreq_flag_name(1u << i);
		/* Errors are whole lines, one per counted error. */
		if (r.nerrors > 0 && (r.errors.len == 0 ||
		    r.errors.s[r.errors.len - 1] != '\n'))
			__builtin_trap();
	} else if (isconf) {
		__builtin_trap();
	}
	cfgreq_free(&r);
	return 0;
}
