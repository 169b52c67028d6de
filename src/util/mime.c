/* mime.c - just the MIME a request needs: RFC 3156 parts, encodings, text. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mime.h"
#include "util.h"
#include "msg.h"

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

int
mime_b64_decode(const char *p, size_t len, struct buf *out)
{
	unsigned acc = 0;
	size_t i, n = 0, pad = 0;

	buf_reset(out);
	buf_reserve(out, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		int c = (unsigned char)p[i], v;

		if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			/* Padding ends the data: only more '=' or blanks. */
			pad++;
			if (pad > 2 || n % 4 < 2)
				return -1;
			continue;
		}
		if (pad > 0 || (v = util_b64val(c)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		if (++n % 4 == 0) {
			buf_addc(out, (int)((acc >> 16) & 0xff));
			buf_addc(out, (int)((acc >> 8) & 0xff));
			buf_addc(out, (int)(acc & 0xff));
			acc = 0;
		}
	}
	/* A final quantum of 2 or 3 characters, padded or not. */
	switch (n % 4) {
	case 0:
		return pad == 0 ? 0 : -1;
	case 1:
		return -1;
	case 2:
		if (pad != 0 && pad != 2)
			return -1;
		buf_addc(out, (int)((acc >> 4) & 0xff));
		return 0;
	default:
		if (pad > 1)
			return -1;
		buf_addc(out, (int)((acc >> 10) & 0xff));
		buf_addc(out, (int)((acc >> 2) & 0xff));
		return 0;
	}
}

int
mime_decode(const char *cte, const char *p, size_t len, struct buf *out)
{
	if (cte == NULL || strcasecmp(cte, "7bit") == 0 ||
	    strcasecmp(cte, "8bit") == 0 || strcasecmp(cte, "binary") == 0) {
		buf_set(out, p, len);
		return 0;
	}
	if (strcasecmp(cte, "quoted-printable") == 0)
		return mime_qp_decode(p, len, out);
	if (strcasecmp(cte, "base64") == 0)
		return mime_b64_decode(p, len, out);
	return -1;
}

void
mime_unflow(struct buf *t, int delsp)
{
	struct buf o = BUF_INIT;
	const char *p = t->s, *e = t->s + t->len;

	if (t->len == 0)
		return;
	buf_reserve(&o, t->len);
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl != NULL ? nl : e;
		size_t n;

		if (*p == ' ')		/* space-stuffed */
			p++;
		n = (size_t)(le - p);
		/* A line ending in a space is soft, except "-- ". */
		if (nl != NULL && n > 0 && p[n - 1] == ' ' &&
		    !(n == 3 && memcmp(p, "-- ", 3) == 0)) {
			buf_add(&o, p, delsp ? n - 1 : n);
		} else {
			buf_add(&o, p, n);
			if (nl != NULL)
				buf_addc(&o, '\n');
		}
		p = nl != NULL ? nl + 1 : e;
	}
	buf_wipe(t);
	*t = o;
}

/* The walk of mime_request_text: entities seen so far, the output. */
struct walk {
	int seen;
	int raw;		/* leave format=flowed alone */
	struct mime_text *out;
};

/* Keep a protected header field's value (bounded). */
static void
keep_field(const struct msg *m, const char *name, struct buf *to)
{
	const char *v = msg_get(m, name);

	if (v != NULL)
		buf_set(to, v, strnlen(v, MIME_MAX_PROT));
}

/* Is this part an attachment (Content-Disposition: attachment)? */
static int
attachment(const struct msg *m)
{
	const char *d = msg_get(m, "Content-Disposition");

	return d != NULL && mime_type_is(d, "attachment");
}

/*
 * One entity of the walk: 1 when it gave the text, 0 when it holds none
 * (passed over), -1 on an error that ends the search (w->out->why).
 */
static int
walk_entity(struct walk *w, const char *raw, size_t len, int depth)
{
	static const struct msg_limits lim = { 1 << 24, 200, 8192 };
	struct mime_text *out = w->out;
	struct mime_part parts[MIME_MAX_PARTS];
	struct buf b = BUF_INIT;
	struct msg m;
	const char *ct, *cte;
	int rc = 0, n, i;

	if (++w->seen > MIME_MAX_SEEN) {
		out->why = "too many MIME parts";
		return -1;
	}
	if (msg_parse(&m, raw, len, &lim) != MSG_OK) {
		out->why = "a MIME header is over the limits";
		return -1;
	}
	ct = msg_get(&m, "Content-Type");
	if (ct == NULL)
		ct = "text/plain";	/* RFC 2045's default */
	if (depth == 0 && (mime_param(ct, "protected-headers", &b) == 0 ||
	    mime_param(ct, "hp", &b) == 0)) {
		/* Protected headers (RFC 9788): the signed entity's own. */
		out->protected = 1;
		keep_field(&m, "Subject", &out->subject);
		keep_field(&m, "From", &out->from);
	}
	if (mime_type_is(ct, "text/plain")) {
		/* Inside a multipart: a legacy display part repeats the
		 * protected headers for old clients; an attachment is one. */
		if (depth > 0 && (mime_param(ct, "protected-headers", &b) == 0 ||
		    mime_param(ct, "hp-legacy-display", &b) == 0 ||
		    attachment(&m)))
			goto out;
		cte = msg_get(&m, "Content-Transfer-Encoding");
		if (mime_decode(cte, m.body, m.bodylen, &out->text) < 0) {
			out->why = cte != NULL && strcasecmp(cte,
			    "quoted-printable") != 0 && strcasecmp(cte,
			    "base64") != 0 ? "unknown Content-Transfer-Encoding"
			    : "the text cannot be decoded (bad base64 or "
			    "quoted-printable)";
			rc = -1;
			goto out;
		}
		if (!w->raw && mime_param(ct, "format", &b) == 0 &&
		    strcasecmp(b.s, "flowed") == 0)
			mime_unflow(&out->text, mime_param(ct, "delsp", &b) ==
			    0 && strcasecmp(b.s, "yes") == 0);
		rc = 1;
		goto out;
	}
	if (!mime_type_is(ct, "multipart/mixed") &&
	    !mime_type_is(ct, "multipart/alternative"))
		goto out;		/* HTML, keys, images: not the text */
	if (depth >= MIME_MAX_DEPTH) {
		out->why = "MIME parts nested too deep";
		rc = -1;
		goto out;
	}
	if (mime_param(ct, "boundary", &b) < 0 ||
	    (n = mime_split(m.body, m.bodylen, b.s, parts, MIME_MAX_PARTS))
	    < 0) {
		out->why = "a malformed multipart (no boundary, no closing "
		    "delimiter, or too many parts)";
		rc = -1;
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = walk_entity(w, parts[i].raw, parts[i].rawlen, depth + 1);
out:
	buf_free(&b);
	msg_free(&m);
	return rc;
}

int
mime_request_text(const char *entity, size_t len, int raw,
    struct mime_text *out)
{
	struct walk w = { 0, raw, out };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = walk_entity(&w, entity, len, 0);
	if (rc == 1)
		return 0;
	buf_wipe(&out->text);
	if (rc == 0)
		out->why = "no text/plain part (send the request as plain "
		    "text)";
	return -1;
}

void
mime_text_free(struct mime_text *t)
{
	buf_wipe(&t->text);
	buf_free(&t->subject);
	buf_free(&t->from);
}
