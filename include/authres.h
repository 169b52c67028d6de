/* authres.h - Authentication-Results (RFC 8601): parse, and decide for aliases. */
#ifndef NYM_AUTHRES_H
#define NYM_AUTHRES_H

#include <stddef.h>

#define AUTHRES_MAX_RESULTS 16	/* resinfo entries kept from one field */
#define AUTHRES_MAX_VALUE 255	/* bytes of an id, a method, a property */

struct authres_result {
	char method[AUTHRES_MAX_VALUE + 1];	/* lowercase, no version */
	char result[AUTHRES_MAX_VALUE + 1];	/* lowercase */
	char smtp_mailfrom[AUTHRES_MAX_VALUE + 1];	/* smtp.mailfrom */
	char header_d[AUTHRES_MAX_VALUE + 1];	/* header.d (DKIM) */
	char header_i[AUTHRES_MAX_VALUE + 1];	/* header.i (DKIM) */
	unsigned seen;		/* which of the three were given */
};

struct authres {
	char authserv_id[AUTHRES_MAX_VALUE + 1];	/* lowercase */
	size_t n;
	struct authres_result r[AUTHRES_MAX_RESULTS];
};

/*
 * Parse one field value (after "Authentication-Results:", folding and
 * comments allowed, at most 8192 bytes).  Results past
 * AUTHRES_MAX_RESULTS and over-long values make it fail: a field that
 * cannot be read whole proves nothing.  0, or -1 (out is then empty).
 */
int authres_parse(const char *value, size_t len, struct authres *out);

/*
 * Does ar, if its authserv-id is ours, authenticate the sender?  Either
 * spf=pass with smtp.mailfrom in the envelope sender's domain, or
 * dkim=pass with header.d (else header.i's domain) aligned with the
 * From domain (equal, or a parent of it: DMARC's relaxed alignment as
 * far as it can be decided without the public suffix list), the From
 * domain being the envelope sender's.  Domains compare without case.
 * 1 yes, 0 no.
 */
int authres_authenticates(const struct authres *ar, const char *authserv_id,
    const char *envelope_domain, const char *from_domain);

#endif
