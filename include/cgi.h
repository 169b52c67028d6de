/* cgi.h - bounded parsing of CGI form data and HTML escaping (nymreg). */
#ifndef NYM_CGI_H
#define NYM_CGI_H

#include <stddef.h>

#include "buf.h"

#define CGI_MAX_INPUT 4096	/* QUERY_STRING or POST body, bytes */
#define CGI_MAX_FIELDS 8	/* name=value pairs */
#define CGI_MAX_NAME 16		/* bytes of a field name */
#define CGI_MAX_VALUE 256	/* decoded bytes of a value */

struct cgi_field {
	char name[CGI_MAX_NAME + 1];
	char value[CGI_MAX_VALUE + 1];
};

struct cgi_form {
	struct cgi_field f[CGI_MAX_FIELDS];
	size_t n;
};

/*
 * Parse application/x-www-form-urlencoded data ("a=1&b=x%20y").  Field
 * names are [a-z_]; values are percent- and '+'-decoded and must not
 * decode to a control character (CR, LF, NUL, ...) or invalid UTF-8.
 * Over-long input, names or values, too many fields, a repeated name or
 * a bad %-escape make the whole input invalid: returns -1, form empty.
 */
int cgi_parse(const char *s, size_t len, struct cgi_form *form);

/* The value of name, or NULL. */
const char *cgi_get(const struct cgi_form *, const char *name);

/* Append s with & < > " ' escaped for HTML text and attributes. */
void cgi_html(struct buf *, const char *s);

/*
 * Read a POST body of CONTENT_LENGTH bytes from fd into out, at most
 * CGI_MAX_INPUT; -1 if the length is missing, bad, too big or short.
 */
int cgi_read_body(int fd, const char *content_length, struct buf *out);

#endif
