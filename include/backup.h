/* backup.h - nymctl backup/restore: LMDB snapshot + GnuPG home in one tar file. */
#ifndef NYM_BACKUP_H
#define NYM_BACKUP_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "store.h"

/*
 * The archive is a tar file (libarchive, ustar with pax extensions only
 * where ustar cannot say it) holding, in this order:
 *   nymserv-backup   "nymserv backup", "schema N", "hostname H", "created T"
 *   db/data.mdb      a compacting copy of the environment (mdb_env_copy2),
 *                    taken in one read transaction: consistent
 *   gnupg/...        the server's GnuPG home (regular files and
 *                    directories; sockets and lock files are left out)
 * It holds the server's secret keys and every reply block, so it is
 * encrypted to the operator's public key (backup_key) unless plain.
 */
#define BACKUP_MANIFEST "nymserv-backup"
/* Dated names of backups written into a directory. */
#define BACKUP_PREFIX "nymserv-"

/*
 * Write the archive to path ("-": standard output; a directory: a dated
 * name in it, keeping the newest backup_keep) atomically, mode 0600,
 * encrypted to backup_key unless plain.  The name written goes to
 * written.  0, or -1 with err set.
 */
int backup_write(const struct conf *, struct store *, const char *path,
    int plain, struct buf *written, char *err, size_t errlen);

/*
 * Restore path ("-": standard input) into the configured statedir and
 * gnupghome.  Refuses a state that is not empty unless force; checks the
 * archive's names, the manifest and the schema before anything is
 * replaced.  0, or -1 with err set (the old state is then untouched).
 */
int backup_restore(const struct conf *, const char *path, int force,
    char *err, size_t errlen);

#endif
