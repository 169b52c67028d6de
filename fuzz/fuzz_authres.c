/* fuzz_authres.c - libFuzzer harness for the Authentication-Results reader. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authres ar;
	size_t i;

	if (authres_parse((const char *)data, size, &ar) == 0) {
		if (ar.n > AUTHRES_MAX_RESULTS ||
		    strlen(ar.authserv_id) > AUTHRES_MAX_VALUE)
			__builtin_trap();
		for (i = 0; i < ar.n; i++)
			if (ar.r[i].method[0] == '\0' ||
			    ar.r[i].result[0] == '\0')
				__builtin_trap();
		/* The decision reads only what the parser kept. */
		(void)authres_authenticates(&ar, ar.authserv_id, "example.org",
		    "example.org");
	} else if (ar.n != 0 || ar.authserv_id[0] != '\0') {
		__builtin_trap();	/* a refused field leaves nothing */
	}
	return 0;
}
