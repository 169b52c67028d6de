/* names.c - name syntax and the reserved-name list. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "names.h"

static const char *const reserved[] = {
	/* answered by nymserv itself */
	"config", "send", "help", "list", "used", "confirm", "nobody",
	"remailer", "remailer-key", "register", "remove", "dstblk-request",
	"dstblk", "finger", "nymserv", "mail2news",
	/* RFC 2142 and system names */
	"postmaster", "abuse", "root", "mailer-daemon", "hostmaster",
	"webmaster", "security", "noc", "admin", "administrator", "info",
	"support", "operator", "daemon", "bin", "sys", "www", "uucp", "news",
	"usenet", "ftp", "mail", "owner", "listserv", "majordomo", "devnull",
	"null", "anonymous", "anon", "test",
};

int
names_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || n > 16)
		return 0;
	if (!isalnum((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

int
names_reserved(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(s, reserved[i]) == 0)
			return 1;
	/* owner-x, x-request and x-owner are list-owner probes (dstblk). */
	if (strncasecmp(s, "owner-", 6) == 0)
		return 1;
	{
		size_t n = strlen(s);

		if ((n > 8 && strcasecmp(s + n - 8, "-request") == 0) ||
		    (n > 6 && strcasecmp(s + n - 6, "-owner") == 0))
			return 1;
	}
	return 0;
}
