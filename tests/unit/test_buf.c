/* test_buf.c - the buffer type and small helpers. */
#include <stdlib.h>

#include "buf.h"
#include "util.h"
#include "t.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "abc");
	buf_addf(&b, "%d-%s", 42, "x");
	T_STR(b.s, "abc42-x", "buf_adds + buf_addf");
	T(b.len == 7, "length counts bytes");
	buf_add(&b, "\0z", 2);
	T(b.len == 9 && b.s[9] == '\0', "embedded NUL kept, terminator after");
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, 'a' + (int)(i % 26));
	T(b.len == 100000 && b.s[25] == 'z', "growth keeps content");
	buf_wipe(&b);
	T(b.s == NULL && b.len == 0, "wipe frees");
	buf_free(&b);

	util_random_hex(&b, 8);
	T(b.len == 16, "random hex has 2n digits");
	buf_free(&b);
	util_date(&b, 0);
	T_STR(b.s, "Thu, 01 Jan 1970 00:00:00 +0000", "RFC 5322 date");
	buf_free(&b);
	util_quote(&b, "a\nb\n", 4, "> ");
	T_STR(b.s, "> a\n> b\n", "quote prefixes each line");
	buf_free(&b);
	{
		int seen[3] = { 0, 0, 0 };

		for (i = 0; i < 300; i++)
			seen[util_random_below(3)]++;
		T(seen[0] > 50 && seen[1] > 50 && seen[2] > 50,
		    "random_below covers its range");
	}
	T_END();
}
