/* cgi.c - form decoding for nymreg: every byte checked, every size capped. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Is p[0..n) well-formed UTF-8 without control characters? */
static int
text_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, k, need;
	unsigned long cp;

	while (i < n) {
		unsigned char c = p[i];

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF, C1 controls */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Decode one %-encoded component into out (cap bytes); length or -1. */
static long
decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= len)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+')
			c = ' ';
		else if (c <= 32 || c >= 127)
			return -1;	/* raw bytes must be encoded */
		if (o >= cap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return 1;
}

int
cgi_parse(const char *s, size_t len, struct cgi_form *form)
{
	const char *p = s, *end = s + len;

	memset(form, 0, sizeof(*form));
	if (len > CGI_MAX_INPUT)
		return -1;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end, *eq;
		struct cgi_field *f;
		long n;
		size_t i;

		if (e == p) {		/* "&&" or a trailing '&' */
			p = e + 1;
			continue;
		}
		if (form->n >= CGI_MAX_FIELDS)
			goto bad;
		f = &form->f[form->n];
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq == NULL)
			eq = e;
		if (decode(p, (size_t)(eq - p), f->name, CGI_MAX_NAME) < 0 ||
		    !name_ok(f->name))
			goto bad;
		n = eq < e ? decode(eq + 1, (size_t)(e - eq - 1), f->value,
		    CGI_MAX_VALUE) : 0;
		if (n < 0 || !text_ok((const unsigned char *)f->value,
		    (size_t)n))
			goto bad;
		for (i = 0; i < form->n; i++)
			if (strcmp(form->f[i].name, f->name) == 0)
				goto bad;
		form->n++;
		p = amp ? amp + 1 : end;
	}
	return 0;
bad:
	memset(form, 0, sizeof(*form));
	return -1;
}

const char *
cgi_get(const struct cgi_form *form, const char *name)
{
	size_t i;

	for (i = 0; i < form->n; i++)
		if (strcmp(form->f[i].name, name) == 0)
			return form->f[i].value;
	return NULL;
}

void
cgi_html(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, *s); break;
		}
	}
}

int
cgi_read_body(int fd, const char *cl, struct buf *out)
{
	size_t n = 0, got = 0;
	char tmp[CGI_MAX_INPUT];

	if (cl == NULL || *cl == '\0')
		return -1;
	for (; *cl != '\0'; cl++) {
		if (*cl < '0' || *cl > '9' || n > CGI_MAX_INPUT)
			return -1;
		n = n * 10 + (size_t)(*cl - '0');
	}
	if (n > CGI_MAX_INPUT)
		return -1;
	while (got < n) {
		ssize_t r = read(fd, tmp + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	buf_set(out, tmp, got);
	return 0;
}
