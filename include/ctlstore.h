/* ctlstore.h - nymctl's store commands across backends (migrate). */
#ifndef NYM_CTLSTORE_H
#define NYM_CTLSTORE_H

#include <stddef.h>

#include "conf.h"

/* nymctl migrate [-f] FROM TO: exit status (nymctl(8)). */
int ctlstore_migrate(const struct conf *, int argc, char **argv);
/*
 * Restore into the configured PostgreSQL store the LMDB state under
 * statedir (an extracted backup); replace: delete what is there first.
 * 0, or -1 with err.
 */
int ctlstore_load(const struct conf *, const char *statedir, int replace,
    char *err, size_t errlen);

#endif
