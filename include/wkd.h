/* wkd.h - the Web Key Directory tree for nym keys (static files). */
#ifndef NYM_WKD_H
#define NYM_WKD_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

/*
 * Layout under wkd_dir (draft-koch-openpgp-webkey-service), served by
 * the operator's web server as static files:
 *   .well-known/openpgpkey/HOST/hu/HASH   advanced method
 *   .well-known/openpgpkey/HOST/policy     (https://openpgpkey.HOST/...)
 *   .well-known/openpgpkey/hu/HASH        direct method
 *   .well-known/openpgpkey/policy          (https://HOST/...)
 * HASH is wkd_hash of the nym's name; each file is the binary key.
 * Written only by the owners of the state (pubwrite.c), under the public
 * view's lock, from what the view publishes: +fingerkey nyms.
 */
#define WKD_HASH_LEN 32
#define WKD_NEXT "wkd-next"	/* pubdir: the earliest expiry published */

/* z-base-32 (RFC 6189 5.1.6) of n bytes, appended to out. */
void wkd_zbase32(const unsigned char *p, size_t n, struct buf *out);

/* The WKD hash of a local part: z-base-32 of SHA-1 of it lowercased. */
void wkd_hash(const char *local, char out[WKD_HASH_LEN + 1]);

/*
 * What nym record v (DB_NYMS value) of name publishes at now: 1 with
 * the binary key (self-signatures only) in key and its expiry (0: none)
 * in *expires; 0 when it publishes nothing, *why (if not NULL) saying
 * why when it asked to (+fingerkey) but cannot.
 */
int wkd_entry(const struct conf *, const char *name, const void *v,
    size_t vl, long now, struct buf *key, long *expires, const char **why);

/* Create the tree and its policy files when missing; 0 or -1. */
int wkd_prepare(const struct conf *);

/* Write name's key (key not NULL) or remove its files; *changed counts. */
int wkd_put(const struct conf *, const char *name, const struct buf *key,
    size_t *changed);

/* Remove every hu/ file whose hash is not in keep (sorted); 0 or -1. */
int wkd_strays(const struct conf *, char (*keep)[WKD_HASH_LEN + 1],
    size_t n, size_t *changed);

/* The earliest expiry published (pubdir/wkd-next): set it (0: none),
 * or lower it to t; read whether it has come (1) at now. */
int wkd_next_set(const struct conf *, long t);
int wkd_next_lower(const struct conf *, long t);
int wkd_next_due(const struct conf *, long now);

#endif
