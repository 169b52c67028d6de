/* finger.h - RFC 1288 queries for nymfingerd: parse one line, build the answer. */
#ifndef NYM_FINGER_H
#define NYM_FINGER_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "pubview.h"

#define FINGER_MAX_QUERY 512	/* bytes before the line end */
#define FINGER_TIMEOUT 30	/* seconds to wait for the query line */

enum finger_kind {
	FQ_EMPTY,		/* "" or "/W": describe the service */
	FQ_USER,		/* one name, in q->name (lowercase) */
	FQ_FORWARD,		/* user@host or @host: never forwarded */
	FQ_BAD			/* not a query we understand */
};

struct finger_query {
	enum finger_kind kind;
	int verbose;		/* /W was given (accepted, changes nothing) */
	char name[FINGER_MAX_QUERY + 1];
};

/*
 * Parse one query line (without its CRLF; at most FINGER_MAX_QUERY
 * bytes, the caller refuses longer ones).  Never fails: anything odd is
 * FQ_BAD.
 */
void finger_parse(const char *line, size_t len, struct finger_query *q);

/*
 * The answer to q with LF line ends (the caller sends CRLF), read from
 * the public view pv; pv may be NULL when the view cannot be opened (then
 * only FQ_EMPTY and refusals are answered).  Returns 0, or -1 when the
 * view cannot be read (out then holds a short apology).
 */
int finger_answer(const struct conf *, struct pubview *pv,
    const struct finger_query *q, struct buf *out);

/* Append text to out with every LF (bare or after CR) turned into CRLF. */
void finger_crlf(struct buf *out, const char *text, size_t len);

#endif
