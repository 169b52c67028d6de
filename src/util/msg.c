/* msg.c - read a message from the MTA within caps and split its header. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"

#define READ_CHUNK 65536

int
msg_read_fd(int fd, size_t cap, struct buf *out)
{
	char tmp[READ_CHUNK];
	int over = 0;

	buf_reset(out);
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return MSG_IOERR;
		}
		if (n == 0)
			break;
		if (over)
			continue;
		if ((size_t)n > cap - out->len) {
			/* Keep draining: the MTA must see a consumed message. */
			over = 1;
			continue;
		}
		buf_add(out, tmp, (size_t)n);
	}
	return over ? MSG_TOOBIG : MSG_OK;
}

/* Copy data, turning every CRLF into LF. */
static void
copy_lf(struct buf *out, const char *p, size_t len)
{
	size_t i, start = 0;

	buf_reset(out);
	buf_reserve(out, len);
	for (i = 0; i + 1 < len; i++) {
		if (p[i] == '\r' && p[i + 1] == '\n') {
			buf_add(out, p + start, i - start);
			start = i + 1;
		}
	}
	buf_add(out, p + start, len - start);
}

static int
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* Length of a field-name at p (up to the colon), or 0 if not a field. */
static size_t
field_name_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && is_ftext((unsigned char)*q))
		q++;
	if (q == p)
		return 0;
	/* Tolerate white space before the colon (obsolete syntax). */
	{
		const char *r = q;

		while (r < end && (*r == ' ' || *r == '\t'))
			r++;
		if (r < end && *r == ':')
			return (size_t)(q - p);
	}
	return 0;
}

/* Unfold a raw field body into a trimmed string. */
static char *
unfold(const char *p, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			continue;
		buf_addc(&b, p[i]);
	}
	if (b.s == NULL)
		buf_reserve(&b, 0);
	{
		char *s = b.s, *e = b.s + b.len;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		memmove(b.s, s, (size_t)(e - s));
		b.len = (size_t)(e - s);
		b.s[b.len] = '\0';
	}
	return buf_steal(&b);
}

static int
parse(struct msg *m, const char *data, size_t len,
    const struct msg_limits *lim)
{
	const char *p, *end;
	size_t lines = 0, cap = 0;

	memset(m, 0, sizeof(*m));
	copy_lf(&m->data, data, len);
	p = m->data.s;
	end = p + m->data.len;

	if (end - p >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		m->fromline = p;
		m->fromlinelen = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
	}
	m->header = p;
	while (p < end) {
		const char *start = p, *nl, *colon;
		size_t nlen;
		struct hdr *h;

		if (*p == '\n') {		/* the empty line */
			m->headerlen = (size_t)(p - m->header);
			m->body = p + 1;
			m->bodylen = (size_t)(end - p - 1);
			return MSG_OK;
		}
		nlen = field_name_len(p, end);
		if (nlen == 0)
			break;			/* not a field: body starts */
		/* Find the end of this field, following folded lines. */
		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (++lines > lim->max_header_lines)
				return MSG_BADHDR;
			if ((size_t)((nl ? nl : end) - p) > lim->max_line_length)
				return MSG_BADHDR;
			if (nl == NULL) {
				p = end;
				break;
			}
			p = nl + 1;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
		if (m->nh == cap) {
			cap = cap ? cap * 2 : 32;
			m->h = xrealloc(m->h, cap * sizeof(*m->h));
		}
		h = &m->h[m->nh++];
		h->name = start;
		h->namelen = nlen;
		h->raw = start;
		h->rawlen = (size_t)(p - start);
		if (h->rawlen > 0 && start[h->rawlen - 1] == '\n')
			h->rawlen--;
		colon = memchr(start, ':', h->rawlen);
		h->value = unfold(colon + 1,
		    h->rawlen - (size_t)(colon + 1 - start));
	}
	/* No empty line: whatever is left is the body. */
	m->headerlen = (size_t)(p - m->header);
	m->body = p;
	m->bodylen = (size_t)(end - p);
	return MSG_OK;
}

/* A refused message leaves nothing to free (msg_free is still harmless). */
int
msg_parse(struct msg *m, const char *data, size_t len,
    const struct msg_limits *lim)
{
	int rc = parse(m, data, len, lim);

	if (rc != MSG_OK)
		msg_free(m);
	return rc;
}

void
msg_free(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nh; i++)
		free(m->h[i].value);
	free(m->h);
	buf_free(&m->data);
	memset(m, 0, sizeof(*m));
}

int
msg_name_is(const struct hdr *h, const char *name)
{
	return strlen(name) == h->namelen &&
	    strncasecmp(h->name, name, h->namelen) == 0;
}

const struct hdr *
msg_next(const struct msg *m, const char *name, size_t *i)
{
	for (; *i < m->nh; (*i)++) {
		if (msg_name_is(&m->h[*i], name))
			return &m->h[(*i)++];
	}
	return NULL;
}

const struct hdr *
msg_field(const struct msg *m, const char *name)
{
	size_t i = 0;

	return msg_next(m, name, &i);
}

const char *
msg_get(const struct msg *m, const char *name)
{
	const struct hdr *h = msg_field(m, name);

	return h ? h->value : NULL;
}

size_t
msg_count(const struct msg *m, const char *name)
{
	size_t i = 0, n = 0;

	while (msg_next(m, name, &i) != NULL)
		n++;
	return n;
}

size_t
msg_put_field(struct buf *out, const char *raw, size_t len)
{
	size_t i, n = 0;

	buf_reserve(out, len + 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];
		int fold = c == '\n' && i + 1 < len &&
		    (raw[i + 1] == ' ' || raw[i + 1] == '\t');

		if ((c < 32 && c != '\t' && !fold) || c == 127) {
			buf_addc(out, ' ');
			n++;
		} else {
			buf_addc(out, (char)c);
		}
	}
	buf_addc(out, '\n');
	return n;
}
