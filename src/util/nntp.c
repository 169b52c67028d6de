/* nntp.c - NNTP posting: bounded replies, dot-stuffing, a timeout on every wait. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "nntp.h"

int
nntp_parse_reply(const char *s, size_t len, struct nntp_reply *r)
{
	size_t i, k = 0;

	memset(r, 0, sizeof(*r));
	if (len < 3 || s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	if (len > 3 && s[3] != ' ')
		return -1;
	r->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	/* The text is only ever logged: printable ASCII, cut short. */
	for (i = 4; i < len && k + 1 < sizeof(r->text); i++) {
		unsigned char c = (unsigned char)s[i];

		r->text[k++] = c >= 32 && c < 127 ? (char)c : '?';
	}
	r->text[k] = '\0';
	return 0;
}

/* The socket transport: poll for each read and write, within timeout. */
static int
wait_fd(int fd, short ev, unsigned timeout)
{
	struct pollfd p = { fd, ev, 0 };
	int rc;

	do
		rc = poll(&p, 1, (int)(timeout * 1000));
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

static ssize_t
sock_read(void *ctx, void *p, size_t n)
{
	struct nntp *c = ctx;
	ssize_t k;

	for (;;) {
		if (wait_fd(c->fd, POLLIN, c->timeout) < 0)
			return -1;
		k = read(c->fd, p, n);
		if (k >= 0 || (errno != EAGAIN && errno != EINTR))
			return k;
	}
}

static int
sock_write(void *ctx, const void *p, size_t n)
{
	struct nntp *c = ctx;
	const char *s = p;

	while (n > 0) {
		ssize_t k;

		if (wait_fd(c->fd, POLLOUT, c->timeout) < 0)
			return -1;
		k = send(c->fd, s, n, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/*
 * One reply line into r.  A line longer than NNTP_MAX_LINE, the end of
 * the connection or a timeout break the session (NNTP_TEMP).
 */
static int
reply(struct nntp *n, struct nntp_reply *r)
{
	char line[NNTP_MAX_LINE + 1];
	size_t k = 0;

	if (n->broken)
		return NNTP_TEMP;
	for (;;) {
		char c;

		if (n->pos == n->len) {
			ssize_t got = n->io.read(n->io.ctx, n->in,
			    sizeof(n->in));

			if (got <= 0)
				goto broken;
			n->len = (size_t)got;
			n->pos = 0;
		}
		c = n->in[n->pos++];
		if (c == '\n')
			break;
		if (k == NNTP_MAX_LINE)
			goto broken;
		line[k++] = c;
	}
	if (k > 0 && line[k - 1] == '\r')
		k--;
	if (nntp_parse_reply(line, k, r) < 0)
		goto broken;
	n->last = *r;
	return NNTP_OK;
broken:
	n->broken = 1;
	memset(r, 0, sizeof(*r));
	return NNTP_TEMP;
}

/* Send one command line (never user text: a verb and a Message-ID). */
static int
command(struct nntp *n, const char *verb, const char *arg)
{
	struct buf b = BUF_INIT;
	int rc;

	if (n->broken)
		return NNTP_TEMP;
	buf_adds(&b, verb);
	if (arg != NULL)
		buf_addf(&b, " %s", arg);
	buf_adds(&b, "\r\n");
	rc = n->io.write(n->io.ctx, b.s, b.len);
	buf_free(&b);
	if (rc < 0) {
		n->broken = 1;
		return NNTP_TEMP;
	}
	return NNTP_OK;
}

void
nntp_wire(const char *art, size_t len, struct buf *out)
{
	const char *p = art, *end = art + len;

	buf_reserve(out, len + len / 32 + 8);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l > 0 && p[0] == '.')
			buf_addc(out, '.');
		buf_add(out, p, l);
		buf_adds(out, "\r\n");
		p += l + (nl != NULL);
	}
	buf_adds(out, ".\r\n");
}

/* Send the article, then read the final reply. */
static int
transfer(struct nntp *n, const char *art, size_t len, struct nntp_reply *r)
{
	struct buf w = BUF_INIT;
	int rc;

	nntp_wire(art, len, &w);
	rc = n->io.write(n->io.ctx, w.s, w.len);
	buf_free(&w);
	if (rc < 0) {
		n->broken = 1;
		return NNTP_TEMP;
	}
	return reply(n, r);
}

int
nntp_start(struct nntp *n, const struct nntp_io *io)
{
	struct nntp_reply r;

	n->io = *io;
	n->len = n->pos = 0;
	n->reader = n->broken = 0;
	if (reply(n, &r) != NNTP_OK)
		return NNTP_TEMP;
	if (r.code != 200 && r.code != 201) {
		n->broken = 1;
		return NNTP_TEMP;
	}
	return NNTP_OK;
}

int
nntp_connect(struct nntp *n, const char *host, const char *port,
    unsigned timeout)
{
	struct addrinfo hints, *res = NULL, *a;
	struct nntp_io io = { sock_read, sock_write, n };
	int fd = -1, e;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	n->timeout = timeout ? timeout : 30;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_warn("news peer %s:%s: %s", host, port, gai_strerror(e));
		return NNTP_TEMP;
	}
	for (a = res; a != NULL; a = a->ai_next) {
		socklen_t sl = sizeof(e);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT,
		    n->timeout) == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
		    &e, &sl) == 0 && e == 0))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		log_warn("news peer %s:%s: cannot connect", host, port);
		return NNTP_TEMP;
	}
	n->fd = fd;
	if (nntp_start(n, &io) != NNTP_OK) {
		log_warn("news peer %s:%s: no greeting (%d %s)", host, port,
		    n->last.code, n->last.text);
		nntp_close(n);
		return NNTP_TEMP;
	}
	return NNTP_OK;
}

int
nntp_ihave(struct nntp *n, const char *msgid, const char *art, size_t len)
{
	struct nntp_reply r;

	if (command(n, "IHAVE", msgid) != NNTP_OK || reply(n, &r) != NNTP_OK)
		return NNTP_TEMP;
	if (r.code == 435)
		return NNTP_DUP;
	if (r.code == 436)
		return NNTP_TEMP;
	if (r.code != 335) {
		/* 480, 500, 502...: the peer does not take IHAVE from us. */
		n->broken = 1;
		return NNTP_TEMP;
	}
	if (transfer(n, art, len, &r) != NNTP_OK)
		return NNTP_TEMP;
	switch (r.code) {
	case 235: return NNTP_OK;
	case 435: return NNTP_DUP;
	case 437: return NNTP_REFUSED;
	case 436: return NNTP_TEMP;
	default:
		n->broken = 1;
		return NNTP_TEMP;
	}
}

int
nntp_post(struct nntp *n, const char *art, size_t len)
{
	struct nntp_reply r;

	if (!n->reader) {
		if (command(n, "MODE READER", NULL) != NNTP_OK ||
		    reply(n, &r) != NNTP_OK)
			return NNTP_TEMP;
		if (r.code != 200) {
			/* 201: no posting; 502: no reading either. */
			n->broken = 1;
			return NNTP_TEMP;
		}
		n->reader = 1;
	}
	if (command(n, "POST", NULL) != NNTP_OK || reply(n, &r) != NNTP_OK)
		return NNTP_TEMP;
	if (r.code != 340) {
		if (r.code != 440)
			n->broken = 1;
		return NNTP_TEMP;
	}
	if (transfer(n, art, len, &r) != NNTP_OK)
		return NNTP_TEMP;
	if (r.code == 240)
		return NNTP_OK;
	if (r.code == 441)
		/* INN says "441 435 Duplicate" for a Message-ID it has. */
		return strncmp(r.text, "435", 3) == 0 ? NNTP_DUP :
		    NNTP_REFUSED;
	n->broken = 1;
	return NNTP_TEMP;
}

void
nntp_close(struct nntp *n)
{
	struct nntp_reply r;

	if (!n->broken && n->io.write != NULL &&
	    command(n, "QUIT", NULL) == NNTP_OK)
		(void)reply(n, &r);
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->broken = 1;
}
