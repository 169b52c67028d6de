/* pubwrite.h - keeping the public view (pubview.h) in step with the state. */
#ifndef NYM_PUBWRITE_H
#define NYM_PUBWRITE_H

#include <stddef.h>

#include "conf.h"
#include "store.h"

/*
 * Only the programs that own the state call these (nymserv, nymctl).
 * Each takes an exclusive lock on pubdir/.lock and re-reads the state
 * it publishes from a fresh read transaction, so whichever call runs
 * last after concurrent commits publishes the latest state.  Called
 * right after a commit; a crash in between leaves the view stale until
 * the next pubview_rebuild (nymctl expire, check, init, restore).
 */

/* Publish name's current state (or remove its entry); 0 or -1. */
int pubview_sync(const struct conf *, struct store *, const char *name);

/*
 * Make the view match the state: create pubdir and its key if missing,
 * write every entry that differs, remove (overwrite, then unlink) every
 * entry of a name no longer in use, rewrite the list.  *changed counts
 * the files written or removed.  0 or -1.
 */
int pubview_rebuild(const struct conf *, struct store *, size_t *changed);

/* Write one whole file of the view (server keys), mode 0640; 0 or -1. */
int pubview_put(const struct conf *, const char *file, const void *data,
    size_t len);

/* Overwrite a regular file with zeros, sync it, unlink it; 0 or -1. */
int pubview_shred(const char *path);

#endif
