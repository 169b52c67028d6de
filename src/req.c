/* req.c - the request context: recipient splitting. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "req.h"
#include "util.h"

int
req_set_recipient(struct req *r, const char *rcpt)
{
	const char *at = strrchr(rcpt, '@'), *plus;
	size_t n = at ? (size_t)(at - rcpt) : strlen(rcpt);
	char *local;

	if (n == 0 || n > 255)
		return -1;
	local = util_lower(xstrndup(rcpt, n));
	if ((plus = strchr(local, '+')) != NULL) {
		r->ext = xstrdup(plus + 1);
		local[plus - local] = '\0';
	}
	r->local = local;
	return 0;
}
