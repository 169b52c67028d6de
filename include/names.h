/* names.h - the shared namespace of nyms and aliases: syntax, reserved names. */
#ifndef NYM_NAMES_H
#define NYM_NAMES_H

/*
 * A nym or alias name: 2-16 characters [A-Za-z0-9_][A-Za-z0-9_-]{1,15}
 * (DESIGN.md section 4).  Returns 1 if valid.  Names are stored lowercase.
 */
int names_valid(const char *name);

/*
 * Names nobody may take: every local part the server answers itself, the
 * RFC 2142 role names, and names that invite confusion.  Case-insensitive.
 */
int names_reserved(const char *name);

#endif
