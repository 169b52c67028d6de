/* fuzz_addr.c - libFuzzer harness for the address-list parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addrlist l;
	size_t i;

	if (addr_parse_list((const char *)data, size, 1000, &l) == 0) {
		for (i = 0; i < l.n; i++) {
			/* Canonical forms must parse again to one address. */
			struct addrlist again;

			if (strlen(l.a[i].addr) == 0)
				__builtin_trap();
			(void)addr_deliverable(l.a[i].addr);
			if (addr_parse_list(l.a[i].addr, strlen(l.a[i].addr),
			    10, &again) == 0)
				addr_free_list(&again);
		}
		addr_free_list(&l);
	}
	return 0;
}
