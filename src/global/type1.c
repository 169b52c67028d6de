/* type1.c - the type-1 remailer grammar (DESIGN.md section 4): pure parsing. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "type1.h"

#define T1_MAX_DIRECTIVES 64
#define T1_MAX_ANON_TO 8192

static const char BEGIN_LINE[] = "-----BEGIN PGP MESSAGE-----";
static const char END_LINE[] = "-----END PGP MESSAGE-----";

/* Header fields a sender may paste into the outgoing mail ("##"). */
static const char *const paste_ok[] = {
	"Subject", "In-Reply-To", "References", "Newsgroups", "Followup-To",
	"Keywords", "Summary", "Comments", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Content-Disposition",
	"Content-Language",
};

struct line {
	const char *s;		/* start */
	size_t len;		/* without LF and a CR before it */
	size_t next;		/* offset of the following line */
};

/* The line starting at pos; 0 at the end of the text. */
static int
get_line(const char *t, size_t len, size_t pos, struct line *l)
{
	const char *nl;

	if (pos >= len)
		return 0;
	l->s = t + pos;
	nl = memchr(l->s, '\n', len - pos);
	if (nl == NULL) {
		l->len = len - pos;
		l->next = len;
	} else {
		l->len = (size_t)(nl - l->s);
		l->next = (size_t)(nl - t) + 1;
	}
	if (l->len > 0 && l->s[l->len - 1] == '\r')
		l->len--;
	return 1;
}

/* Length without trailing blanks. */
static size_t
rtrim(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

static int
is_blank(const struct line *l)
{
	return rtrim(l->s, l->len) == 0;
}

static int
line_is(const struct line *l, const char *what)
{
	size_t n = rtrim(l->s, l->len);

	return n == strlen(what) && memcmp(l->s, what, n) == 0;
}

static size_t
skip_blank(const char *t, size_t len, size_t pos)
{
	struct line l;

	while (get_line(t, len, pos, &l) && is_blank(&l))
		pos = l.next;
	return pos;
}

void
t1_layer_init(struct t1_layer *l)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->paste);
}

void
t1_layer_free(struct t1_layer *l)
{
	free(l->anon_to);
	free(l->post_to);
	if (l->encrypt_key != NULL) {
		memset(l->encrypt_key, 0, strlen(l->encrypt_key));
		free(l->encrypt_key);
	}
	free(l->cutmarks);
	buf_free(&l->paste);
	t1_layer_init(l);
}

static int
name_is(const char *n, size_t nl, const char *what)
{
	return nl == strlen(what) && strncasecmp(n, what, nl) == 0;
}

static int
valid_name(const char *n, size_t nl)
{
	size_t i;

	if (nl == 0 || nl > 64)
		return 0;
	for (i = 0; i < nl; i++)
		if ((unsigned char)n[i] <= 32 || (unsigned char)n[i] >= 127 ||
		    n[i] == ':')
			return 0;
	return 1;
}

/* One field of a block: name and its unfolded, trimmed value. */
struct field {
	const char *name;
	size_t namelen;
	struct buf value;
};

/*
 * Read "Name: value" lines (folded lines continue a value) from pos up
 * to a blank line or the end; calls fn for each.  *pos ends on the blank
 * line (or the end).
 */
typedef int (*field_fn)(struct t1_layer *, struct field *, const char **);

static int
read_fields(const char *t, size_t len, size_t *pos, size_t maxfields,
    struct t1_layer *lay, field_fn fn, const char **why)
{
	struct field f;
	struct line l;
	size_t n = 0, vl;
	const char *colon;
	int have = 0, rc = T1_OK;

	buf_init(&f.value);
	while (get_line(t, len, *pos, &l) && !is_blank(&l)) {
		/* An armored block may follow a block without a blank line
		 * (nymserv appends its message right after the reply block). */
		if (l.len >= 11 && memcmp(l.s, "-----BEGIN ", 11) == 0)
			break;
		*pos = l.next;
		if (l.s[0] == ' ' || l.s[0] == '\t') {
			if (!have) {
				*why = "continuation line without a field";
				rc = T1_BAD;
				break;
			}
			vl = rtrim(l.s, l.len);
			while (vl > 0 && (*l.s == ' ' || *l.s == '\t')) {
				l.s++;
				vl--;
			}
			if (f.value.len + vl + 1 > T1_MAX_VALUE) {
				*why = "directive value too long";
				rc = T1_BAD;
				break;
			}
			buf_addc(&f.value, ' ');
			buf_add(&f.value, l.s, vl);
			continue;
		}
		if (have && (rc = fn(lay, &f, why)) != T1_OK)
			break;
		have = 0;
		if (++n > maxfields) {
			*why = "too many lines in a block";
			rc = T1_BAD;
			break;
		}
		colon = memchr(l.s, ':', l.len);
		if (colon == NULL || !valid_name(l.s, (size_t)(colon - l.s))) {
			*why = "malformed line in a block (expected Name: value)";
			rc = T1_BAD;
			break;
		}
		f.name = l.s;
		f.namelen = (size_t)(colon - l.s);
		colon++;
		vl = rtrim(colon, (size_t)(l.s + l.len - colon));
		while (vl > 0 && (*colon == ' ' || *colon == '\t')) {
			colon++;
			vl--;
		}
		if (vl > T1_MAX_VALUE) {
			*why = "directive value too long";
			rc = T1_BAD;
			break;
		}
		buf_set(&f.value, colon, vl);
		have = 1;
	}
	if (rc == T1_OK && have)
		rc = fn(lay, &f, why);
	buf_free(&f.value);
	return rc;
}

/* A value must be one line of printable text (no NUL or controls). */
static int
printable(const struct buf *v)
{
	size_t i;

	for (i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->s[i];

		if (c < 32 && c != '\t')
			return 0;
		if (c == 127)
			return 0;
	}
	return 1;
}

static int
directive(struct t1_layer *l, struct field *f, const char **why)
{
	const char *n = f->name;
	size_t nl = f->namelen;
	const char *v = f->value.s ? f->value.s : "";

	if (!printable(&f->value)) {
		*why = "control character in a directive";
		return T1_BAD;
	}
	if (name_is(n, nl, "Anon-To") || name_is(n, nl, "Request-Remailing-To") ||
	    name_is(n, nl, "Remail-To")) {
		struct buf b = BUF_INIT;

		if (f->value.len == 0) {
			*why = "empty Anon-To";
			return T1_BAD;
		}
		if (l->anon_to != NULL)
			buf_addf(&b, "%s, ", l->anon_to);
		buf_add(&b, v, f->value.len);
		if (b.len > T1_MAX_ANON_TO) {
			buf_free(&b);
			*why = "Anon-To too long";
			return T1_BAD;
		}
		free(l->anon_to);
		l->anon_to = buf_steal(&b);
	} else if (name_is(n, nl, "Encrypted")) {
		if (strcasecmp(v, "PGP") != 0) {
			*why = "unsupported Encrypted: value (only PGP)";
			return T1_BAD;
		}
		l->encrypted = 1;
	} else if (name_is(n, nl, "Encrypt-Key")) {
		if (f->value.len == 0) {
			*why = "empty Encrypt-Key refused";
			return T1_BAD;
		}
		if (l->encrypt_key != NULL) {
			memset(l->encrypt_key, 0, strlen(l->encrypt_key));
			free(l->encrypt_key);
		}
		l->encrypt_key = xstrndup(v, f->value.len);
	} else if (name_is(n, nl, "Latent-Time")) {
		if (t1_latent_parse(v, &l->latent) < 0) {
			*why = "bad Latent-Time (expected [+][H]H:MM[r])";
			return T1_BAD;
		}
	} else if (name_is(n, nl, "Cutmarks")) {
		if (f->value.len == 0) {
			*why = "empty Cutmarks";
			return T1_BAD;
		}
		free(l->cutmarks);
		l->cutmarks = xstrndup(v, f->value.len);
	} else if (name_is(n, nl, "Null")) {
		l->null = 1;
	} else if (name_is(n, nl, "Anon-Post-To") || name_is(n, nl, "Post-To")) {
		/* Each occurrence adds to one Newsgroups value (Mixmaster);
		 * the gateway checks the groups. */
		struct buf b = BUF_INIT;

		if (f->value.len == 0) {
			*why = "empty Anon-Post-To";
			return T1_BAD;
		}
		if (l->post_to != NULL)
			buf_addf(&b, "%s,", l->post_to);
		buf_add(&b, v, f->value.len);
		if (b.len > T1_MAX_VALUE) {
			buf_free(&b);
			*why = "Anon-Post-To too long";
			return T1_BAD;
		}
		free(l->post_to);
		l->post_to = buf_steal(&b);
	} else if (name_is(n, nl, "Remix-To")) {
		*why = "unsupported directive (no Mixmaster remixing here)";
		return T1_BAD;
	}
	/* Other directives (Hash, Test-To, ...) are ignored, as classic
	 * remailers do. */
	return T1_OK;
}

int
t1_paste_allowed(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(paste_ok) / sizeof(paste_ok[0]); i++)
		if (name_is(name, len, paste_ok[i]))
			return 1;
	return 0;
}

static int
paste(struct t1_layer *l, struct field *f, const char **why)
{
	size_t i;

	if (!t1_paste_allowed(f->name, f->namelen))
		return T1_OK;		/* dropped, never an error */
	for (i = 0; i < f->value.len; i++)
		if ((unsigned char)f->value.s[i] < 32 ||
		    (unsigned char)f->value.s[i] == 127)
			f->value.s[i] = ' ';
	if (l->paste.len + f->namelen + f->value.len + 3 > T1_MAX_PASTE_BYTES) {
		*why = "pasted header block too large";
		return T1_BAD;
	}
	buf_add(&l->paste, f->name, f->namelen);
	buf_adds(&l->paste, ": ");
	buf_add(&l->paste, f->value.s ? f->value.s : "", f->value.len);
	buf_addc(&l->paste, '\n');
	return T1_OK;
}

int
t1_parse(const char *t, size_t len, struct t1_layer *l, const char **why)
{
	return t1_parse_own(t, len, len, l, why);
}

/*
 * Directives are read from [0, own) only; blank lines between them and
 * the payload may run on into the appended text (they are no directive).
 */
int
t1_parse_own(const char *t, size_t len, size_t own, struct t1_layer *l,
    const char **why)
{
	struct line ln;
	size_t pos;

	*why = NULL;
	if (own > len)
		own = len;
	pos = skip_blank(t, own, 0);
	if (!get_line(t, own, pos, &ln) || !line_is(&ln, "::")) {
		l->payload = pos;
		return T1_OK;
	}
	l->has_block = 1;
	pos = ln.next;
	if (read_fields(t, own, &pos, T1_MAX_DIRECTIVES, l, directive, why)
	    != T1_OK)
		return T1_BAD;
	pos = skip_blank(t, own, pos);
	if (l->encrypted) {
		if (!get_line(t, own, pos, &ln) || !line_is(&ln, BEGIN_LINE)) {
			*why = "Encrypted: PGP without an armored PGP message";
			return T1_BAD;
		}
		l->arm_start = pos;
		for (pos = ln.next; get_line(t, own, pos, &ln); pos = ln.next) {
			if (line_is(&ln, END_LINE)) {
				l->arm_end = ln.next;
				l->payload = ln.next;
				return T1_OK;
			}
		}
		*why = "armored PGP message without an END line";
		return T1_BAD;
	}
	if (get_line(t, own, pos, &ln) && line_is(&ln, "##")) {
		pos = ln.next;
		if (read_fields(t, own, &pos, T1_MAX_PASTE_FIELDS, l, paste,
		    why) != T1_OK)
			return T1_BAD;
	}
	l->payload = skip_blank(t, len, pos);
	return T1_OK;
}

/* 1 or 2 decimal digits (exactly n when n > 0) at *p. */
static int
digits(const char **p, int n, unsigned *out)
{
	int k = 0;

	*out = 0;
	while (isdigit((unsigned char)**p) && k < 2) {
		*out = *out * 10 + (unsigned)(**p - '0');
		(*p)++;
		k++;
	}
	if (k == 0 || (n > 0 && k != n) || isdigit((unsigned char)**p))
		return -1;
	return 0;
}

int
t1_latent_parse(const char *s, struct t1_latent *l)
{
	const char *p = s;
	struct t1_latent v;

	memset(&v, 0, sizeof(v));
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+') {
		v.relative = 1;
		p++;
	}
	if (digits(&p, 0, &v.hours) < 0 || *p++ != ':' ||
	    digits(&p, 2, &v.minutes) < 0 || v.minutes > 59)
		return -1;
	if (*p == 'r' || *p == 'R') {
		v.random = 1;
		p++;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return -1;
	if (!v.relative && v.hours > 23)
		return -1;
	v.set = 1;
	*l = v;
	return 0;
}

long
t1_latent_max(const struct t1_latent *l, time_t now)
{
	struct tm tm;
	long target, today, d;

	if (!l->set)
		return 0;
	target = (long)l->hours * 3600 + (long)l->minutes * 60;
	if (l->relative)
		return target;
	if (gmtime_r(&now, &tm) == NULL)
		return 0;
	today = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
	d = target - today;
	if (d <= 0)
		d += 86400;
	return d;
}

size_t
t1_cut(const char *p, size_t len, const char *mark, size_t max,
    size_t *starts, size_t *ends)
{
	struct line ln;
	size_t pos = 0, pieces = 1, ml = strlen(mark);

	if (starts != NULL)
		starts[0] = 0;
	if (ml == 0)
		goto done;
	for (; get_line(p, len, pos, &ln); pos = ln.next) {
		if (ln.len < ml || memcmp(ln.s, mark, ml) != 0)
			continue;
		if (ends != NULL)
			ends[pieces - 1] = pos;
		if (pieces == max)
			return max + 1;
		if (starts != NULL)
			starts[pieces] = ln.next;
		pieces++;
	}
done:
	if (ends != NULL)
		ends[pieces - 1] = len;
	return pieces;
}

long
t1_stars(const char *p, size_t len, size_t *after)
{
	struct line ln;
	size_t pos;

	for (pos = 0; get_line(p, len, pos, &ln); pos = ln.next) {
		if (line_is(&ln, "**")) {
			*after = ln.next;
			return (long)pos;
		}
	}
	return -1;
}

void
t1_crlf(struct buf *b)
{
	size_t i, j;

	for (i = 0, j = 0; i < b->len; i++) {
		if (b->s[i] == '\r' && i + 1 < b->len && b->s[i + 1] == '\n')
			continue;
		b->s[j++] = b->s[i];
	}
	b->len = j;
	if (b->s != NULL)
		b->s[j] = '\0';
}
