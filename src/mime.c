/* mime.c - just the MIME needed for RFC 3156: types, boundaries, parts. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mime.h"

int
mime_type_is(const char *ct, const char *t)
{
	size_t n = strlen(t);

	while (*ct == ' ' || *ct == '\t')
		ct++;
	return strncasecmp(ct, t, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

int
mime_param(const char *ct, const char *name, struct buf *val)
{
	const char *p = strchr(ct, ';');
	size_t n = strlen(name);

	while (p != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, n) == 0) {
			const char *q = p + n;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				buf_reset(val);
				if (*q == '"') {
					for (q++; *q && *q != '"'; q++) {
						if (*q == '\\' && q[1])
							q++;
						buf_addc(val, *q);
					}
					if (*q != '"')
						return -1;
				} else {
					for (; *q && *q != ';' && *q != ' ' &&
					    *q != '\t'; q++)
						buf_addc(val, *q);
				}
				return val->len > 0 ? 0 : -1;
			}
		}
		/* Skip to the next ';' outside quotes. */
		{
			int inq = 0;

			for (; *p; p++) {
				if (*p == '"')
					inq = !inq;
				else if (*p == ';' && !inq)
					break;
			}
			p = *p ? p : NULL;
		}
	}
	return -1;
}

/* Is the line at p a delimiter for b?  1 = part, 2 = closing, 0 = no. */
static int
delimiter(const char *p, const char *le, const char *b, size_t bl)
{
	const char *q;

	if ((size_t)(le - p) < bl + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, bl) != 0)
		return 0;
	q = p + 2 + bl;
	if (le - q >= 2 && q[0] == '-' && q[1] == '-') {
		q += 2;
		while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		return q == le ? 2 : 0;
	}
	while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;		/* transport padding */
	return q == le ? 1 : 0;
}

int
mime_split(const char *body, size_t len, const char *boundary,
    struct mime_part *parts, size_t max)
{
	const char *p = body, *end = body + len, *start = NULL;
	size_t bl = strlen(boundary), n = 0;

	if (bl == 0 || bl > 70)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int d = delimiter(p, le, boundary, bl);

		if (d != 0) {
			if (start != NULL) {
				if (n >= max)
					return -1;
				parts[n].raw = start;
				/* The newline before the delimiter is its own. */
				parts[n].rawlen = p > start ? (size_t)(p - 1 -
				    start) : 0;
				n++;
			}
			if (d == 2)
				return (int)n;
			start = nl ? nl + 1 : end;
		}
		p = nl ? nl + 1 : end;
	}
	return -1;
}

void
mime_crlf(struct buf *out, const char *p, size_t len)
{
	size_t i, s = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
			buf_add(out, p + s, i - s);
			buf_add(out, "\r\n", 2);
			s = i + 1;
		}
	}
	buf_add(out, p + s, len - s);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = toupper(c);
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mime_qp_decode(const char *p, size_t len, struct buf *out)
{
	size_t i;

	buf_reset(out);
	buf_reserve(out, len);
	for (i = 0; i < len; i++) {
		if (p[i] != '=') {
			buf_addc(out, p[i]);
			continue;
		}
		if (i + 1 < len && p[i + 1] == '\n') {		/* soft break */
			i++;
			continue;
		}
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 2 < len && hexval((unsigned char)p[i + 1]) >= 0 &&
		    hexval((unsigned char)p[i + 2]) >= 0) {
			buf_addc(out, hexval((unsigned char)p[i + 1]) * 16 +
			    hexval((unsigned char)p[i + 2]));
			i += 2;
			continue;
		}
		return -1;
	}
	return 0;
}
