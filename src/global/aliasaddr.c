/* aliasaddr.c - alias names and real addresses (no state: nymreg links it). */
#include <string.h>

#include "addr.h"
#include "aliasaddr.h"
#include "buf.h"
#include "names.h"
#include "util.h"

const char *
alias_domain(const struct conf *c)
{
	return c->alias_domain != NULL ? c->alias_domain : c->hostname;
}

int
alias_norm_addr(const struct conf *c, const char *in, struct buf *out)
{
	struct addrlist l;
	char *at;
	int rc = -1;

	if (strlen(in) > 512 || addr_parse_list(in, strlen(in), 1, &l) < 0)
		return -1;
	if (l.n != 1 || l.a[0].domain == NULL || l.a[0].group != NULL)
		goto out;
	buf_sets(out, l.a[0].addr);
	if ((at = strrchr(out->s, '@')) == NULL)
		goto out;
	util_lower(at + 1);
	if (!addr_deliverable(out->s) || addr_in_domain(out->s, c->hostname) ||
	    addr_in_domain(out->s, alias_domain(c)))
		goto out;
	rc = 0;
out:
	addr_free_list(&l);
	return rc;
}

int
alias_name_ok(const char *name, struct buf *out)
{
	if (!names_valid(name) || names_reserved(name))
		return 0;
	buf_sets(out, name);
	util_lower(out->s);
	return 1;
}
