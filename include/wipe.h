/* wipe.h - deleted means gone from disk: the view, leftovers, the scrub. */
#ifndef NYM_WIPE_H
#define NYM_WIPE_H

#include <stddef.h>

#include "conf.h"
#include "store.h"

/*
 * After a committed change of name (nymserv, nymctl): publish it in the
 * public view, and when the name is gone (delete, wipe, alias removal)
 * note in the state that a scrub is due.  Failures are logged: the
 * change stands, and the next nymctl expire or check repairs the view.
 */
void wipe_after(const struct conf *, struct store *, const char *name,
    int gone);

struct wipe_counts {
	size_t records;		/* orphan confirmation and chunk records */
	size_t spool;		/* queued remailer mail of wiped nyms */
	size_t tmp;		/* stale temporary files and GnuPG homes */
	size_t view;		/* public view files written or removed */
	int scrubbed;		/* 1: data.mdb was compacted and overwritten */
};

/*
 * The scrub (nymctl wipe, expire, queue-run, scrub): remove what hangs on
 * names no longer in use (confirmation and chunk records, the remailer
 * spool's tagged mail, stale files under tmp/), rebuild the public view,
 * then store_scrub.  force: scrub even if no deletion asked for it.
 * Opens and closes the store itself.  0, 1 when the state stayed busy
 * for wait seconds (the scrub stays due), -1 on failure.
 */
int wipe_scrub(const struct conf *, int force, unsigned wait,
    struct wipe_counts *);

#endif
