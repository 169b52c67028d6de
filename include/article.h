/* article.h - a news article built from mail under the gateway's rules. */
#ifndef NYM_ARTICLE_H
#define NYM_ARTICLE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "msg.h"

#define ARTICLE_MAX_LINE 998	/* bytes in one line, header or body */

/* The operator's rules (news_* in nymserv.conf(5)). */
struct article_rules {
	const char *path;	/* path identity: Path: PATH!not-for-mail */
	const char *from;	/* From: of anonymous and pool articles */
	const char *complaints;	/* Injection-Info's mail-complaints-to */
	const char *domain;	/* right-hand side of Message-IDs */
	const char *mark;	/* "Name: value" on a nym's articles, or NULL */
	char *const *groups;	/* [!]pattern list, last match wins; NULL: any */
	unsigned max_groups;	/* crosspost cap */
	size_t max_size;	/* the whole article */
};

enum article_kind {
	ART_ANON,		/* mail2news@, remail's Anon-Post-To */
	ART_NYM,		/* send@ with Newsgroups: From the nym */
	ART_POOL		/* a pool delivery to alt.anonymous.messages */
};

struct article_in {
	enum article_kind kind;
	const struct msg *m;	/* ANON, NYM: the mail's header fields */
	const char *from;	/* NYM: the From value (the nym) */
	const char *newsgroups;	/* POOL: the group */
	const char *subject;	/* POOL: hSub, plain or fake */
	const char *body;	/* the body; NULL: m's */
	size_t bodylen;
};

struct article {
	struct buf text;	/* LF line ends, no Date or Injection-Date */
	char msgid[128];	/* <random@domain> */
	struct buf groups;	/* the Newsgroups value written */
	size_t ngroups;
	/* a refusal: exit code, "5.x.y" status and reason */
	int code;
	const char *status;
	char why[200];
	/* the reason for the log when why names what the sender wrote (a
	 * group): NULL when why itself may be logged */
	const char *logwhy;
};

void article_init(struct article *);
void article_free(struct article *);

/*
 * Build the article.  Its header is the gateway's own: Path, From (the
 * gateway's, or the nym's), Newsgroups (checked), Subject, a random
 * Message-ID, Injection-Info, then the few fields copied from the mail
 * (References, Followup-To, Keywords, Summary, X-No-Archive, MIME
 * fields) with control characters made spaces.  Refused (-1, code,
 * status and why set): control messages (Control, Also-Control,
 * Supersedes, Approved, a "cmsg" Subject), a missing, repeated or bad
 * Newsgroups, more groups than max_groups, a group the operator's list
 * does not allow (in Newsgroups or Followup-To), an article of ours
 * back by mail (our path identity in its Path or Injection-Info: 5.4.6,
 * a loop), NUL or bare CR in the body, lines over 998 bytes, an
 * article over max_size.  0 when built.
 */
int article_build(const struct article_rules *, const struct article_in *,
    struct article *);

/*
 * Check a Newsgroups (or, with followup, Followup-To) value: groups
 * separated by commas, each [a-z0-9+_-] components joined by dots (at
 * least two, the first starting with a letter), none of control, junk,
 * to.*, *.ctl or an "all" component; case folded, duplicates removed.
 * The list is written to norm and counted in *n.  0, or -1 with *why.
 * The operator's patterns and the cap are checked by article_build.
 */
int article_newsgroups(const char *v, size_t len, int followup,
    struct buf *norm, size_t *n, const char **why);

/* Does a Subject start with the word cmsg (an old-style control)? */
int article_is_cmsg(const char *subject);
/* Is group allowed by the [!]pattern list (last match wins)? */
int article_group_allowed(char *const *patterns, const char *group);

/*
 * The article as posted at time now: Date and (for IHAVE) Injection-Date
 * of that time in front.  For POST (reader servers inject themselves)
 * Injection-Info is left out.
 */
void article_dated(const char *text, size_t len, time_t now, int post,
    struct buf *out);

/* The value of header field name in an article (first one); NULL if none. */
const char *article_field(const char *text, size_t len, const char *name,
    size_t *vlen);

#endif
