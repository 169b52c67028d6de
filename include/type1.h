/* type1.h - the type-1 remailer grammar: one layer's directives, no I/O. */
#ifndef NYM_TYPE1_H
#define NYM_TYPE1_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* Latent-Time: [+][H]H:MM[r] */
struct t1_latent {
	int set;
	int relative;		/* "+": a delay, otherwise a UTC time of day */
	int random;		/* "r": uniform random delay up to the time */
	unsigned hours, minutes;
};

#define T1_MAX_PASTE_FIELDS 32
#define T1_MAX_PASTE_BYTES 8192
#define T1_MAX_VALUE 2048	/* one directive value */

/*
 * What one layer says.  Offsets index the text given to t1_parse.
 * A layer honours its first "::" block only; whatever follows is either
 * the armored block to decrypt (Encrypted: PGP) or the payload.
 */
struct t1_layer {
	int has_block;		/* a "::" block was found */
	char *anon_to;		/* Anon-To and aliases, joined with ", " */
	char *post_to;		/* Anon-Post-To and Post-To, joined with "," */
	int encrypted;		/* Encrypted: PGP */
	char *encrypt_key;	/* Encrypt-Key value */
	struct t1_latent latent;
	char *cutmarks;		/* Cutmarks value */
	int null;		/* Null: drop the message */
	size_t arm_start;	/* Encrypted: first armored block [start,end) */
	size_t arm_end;		/* end includes the END line's newline */
	struct buf paste;	/* allow-listed "Name: value\n" from "##" */
	size_t payload;		/* start of the payload (not encrypted) */
};

enum { T1_OK = 0, T1_BAD = -1 };

void t1_layer_init(struct t1_layer *);
void t1_layer_free(struct t1_layer *);

/*
 * Parse one layer of text (LF line ends; a CR before LF is ignored).
 * Returns T1_OK (l filled; has_block 0 if the text holds no "::" block)
 * or T1_BAD with *why set to a static reason.
 */
int t1_parse(const char *text, size_t len, struct t1_layer *l,
    const char **why);
/*
 * The same for a decrypted layer: its own text is the first own bytes
 * (the plaintext); what follows was appended after its armored block and
 * is payload only.  The "::" and "##" blocks and the armored block of
 * Encrypted: PGP are read from the own text alone, so whoever appends
 * text in transit adds no directive (SECURITY.md 3.2).
 */
int t1_parse_own(const char *text, size_t len, size_t own,
    struct t1_layer *l, const char **why);

/* Parse a Latent-Time value; 0 or -1. */
int t1_latent_parse(const char *s, struct t1_latent *l);
/*
 * The longest delay in seconds the value asks for at time now: a time of
 * day already past today means tomorrow.
 */
long t1_latent_max(const struct t1_latent *l, time_t now);

/* Is a pasted header field name on the allow-list? */
int t1_paste_allowed(const char *name, size_t len);

/*
 * Split a payload at lines starting with mark: returns the number of
 * pieces (1 when the mark never starts a line), counting at most max + 1.
 * If starts is not NULL it receives the offsets where pieces 2.. begin
 * (after the cut line); ends[i] is where piece i stops (the cut line).
 */
size_t t1_cut(const char *p, size_t len, const char *mark, size_t max,
    size_t *starts, size_t *ends);

/*
 * Offset of the first "**" line in p and the offset after it; -1 if none.
 */
long t1_stars(const char *p, size_t len, size_t *after);

/* Remove CRs before LFs in place. */
void t1_crlf(struct buf *);

#endif
