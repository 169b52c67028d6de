/* addr.h - RFC 5322 address-list parser (From, To, Cc, Reply-To). */
#ifndef NYM_ADDR_H
#define NYM_ADDR_H

#include <stddef.h>

struct addr {
	char *display;		/* display name (decoded words untouched) or NULL */
	char *local;		/* local part, unquoted */
	char *domain;		/* domain, or NULL for a bare local part */
	char *addr;		/* canonical local@domain (local quoted if needed) */
	char *group;		/* name of the enclosing group, or NULL */
};

struct addrlist {
	struct addr *a;
	size_t n;
};

#define ADDR_MAX_INPUT 65536	/* longer field bodies are refused */

/*
 * Parse a field body.  Returns 0 and fills list (possibly empty), or -1 on
 * a syntax error or more than max addresses; list is empty then.
 * Comments are dropped; an empty group is allowed.
 */
int addr_parse_list(const char *s, size_t len, size_t max,
    struct addrlist *list);
void addr_free_list(struct addrlist *list);

/*
 * An address we are willing to hand to sendmail: local@domain, printable,
 * no leading '-', at most 254 bytes, sane domain.
 */
int addr_deliverable(const char *addr);

/* Case-insensitive compare of domains, exact compare of local parts. */
int addr_equal(const char *a, const char *b);
/* 1 if addr's domain is host or a subdomain of it (case-insensitive). */
int addr_in_domain(const char *addr, const char *host);

/*
 * A recipient list without duplicates (addr_equal), capped at max
 * distinct addresses.  Each address is compared only with those already
 * listed, and the first address past the cap ends the list, so the work
 * is bounded by the cap, not the number of names in the header.
 */
struct rcpts {
	char **a;
	size_t n, max;
	unsigned long compared;	/* addr_equal calls so far */
};
void addr_rcpts_init(struct rcpts *, size_t max);
/* 0: added or already listed; 1: a new address past the cap (not added). */
int addr_rcpts_add(struct rcpts *, const char *addr);
void addr_rcpts_free(struct rcpts *);

#endif
