#!/usr/bin/env bash
# tests/e2e/backup.sh - backups an operator can trust (issue 22, stumble 7):
# the nightly command as the state's owner into its own backup directory,
# encrypted to an operator key by default (the clear archive never leaves
# the 0700 state), old backups pruned, restore from the encrypted file
# through the operator's gpg, and restores of hostile archives refused.
. "$(dirname "$0")/../lib.sh"
lmdb_only "removes and restores the LMDB files"
setup_nyms "backup_key = $T/op.asc" "backup_keep = 3"
make_nym alice
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@" >"$T/ctl" 2>"$T/ctl.err"; CRC=$?; }

# The operator's key pair lives elsewhere (their own machine): only the
# public half is given to the server.
mkdir -m 700 "$T/op"
HOMES+=("$T/op")
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/op"
ogpg() { as_user gpg --homedir "$T/op" --batch --quiet --no-tty "$@"; }
ogpg --passphrase '' --quick-gen-key 'operator <op@example.org>' ed25519 sign 0
ofpr=$(ogpg --with-colons --list-keys | awk -F: '/^fpr/{print $10; exit}')
ogpg --passphrase '' --quick-add-key "$ofpr" cv25519 encr 0
ogpg --export -a >"$T/op.asc"
chmod 644 "$T/op.asc"

# --- no backup_key: refused, nothing written ---
sed '/^backup_key/d' "$T/nymserv.conf" >"$T/nokey.conf"
as_user "$NYM_BIN/nymctl" -c "$T/nokey.conf" backup "$T/s/x.tar" >"$T/ctl" 2>"$T/ctl.err"
check "without backup_key, backup refuses (exit 1) and says why" \
    bash -c "[ $? = 1 ] && grep -q 'no backup_key' '$T/ctl.err'"
check "... and writes no file" [ ! -e "$T/s/x.tar" ]

# --- the nightly command: a directory of the state's owner ---
mkdir -m 700 "$T/bk"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/bk"
ctl backup "$T/bk"
f=$(ls "$T/bk" | head -1)
check "backup into the owner's directory: exit 0 ($(cat "$T/ctl.err"))" [ "$CRC" = 0 ]
check "one dated file, nymserv-*.tar.gpg ($f)" \
    bash -c "[ \$(ls '$T/bk' | wc -l) = 1 ] && [[ '$f' == nymserv-*Z.tar.gpg ]]"
check "nymctl names the file it wrote" grep -qx "backup written to $T/bk/$f" "$T/ctl"
check "the backup is mode 0600" [ "$(stat -c %a "$T/bk/$f")" = 600 ]
ogpg --list-packets "$T/bk/$f" >"$T/packets" 2>&1
check "the backup is OpenPGP encrypted to the operator's key only" \
    bash -c "grep -q '^:pubkey enc packet:' '$T/packets' &&
      [ \$(grep -c '^:pubkey enc packet:' '$T/packets') = 1 ] &&
      grep -q 'encrypted data packet\|aead encrypted packet' '$T/packets'"
check "nothing of the archive is readable in the file (no manifest, no names, no key)" \
    bash -c "! grep -aq 'nymserv backup\|db/data.mdb\|private-keys-v1.d\|alice' '$T/bk/$f'"
check "no clear archive is left in the state's tmp/" \
    bash -c "[ -z \"\$(ls -A '$T/s/tmp' 2>/dev/null)\" ]"
check "no temporary file is left beside the backup" [ "$(ls -A "$T/bk" | wc -l)" = 1 ]

# Pruning: with backup_keep = 3, five nights leave the newest three.
for i in 1 2 3 4; do
	sleep 1.1	# the names carry the second; two in one second would clash
	ctl backup "$T/bk"
done
check "five backups made, the newest 3 kept (backup_keep)" \
    [ "$(ls "$T/bk" | grep -c '^nymserv-.*\.tar\.gpg$')" = 3 ]
check "the first backup was the one pruned" [ ! -e "$T/bk/$f" ]
last=$(ls "$T/bk" | sort | tail -1)

# To standard output: encrypted too (the shell's file mode no longer
# matters).
ctl backup -
check "backup - writes OpenPGP to standard output" \
    bash -c "[ $CRC = 0 ] && [ -s '$T/ctl' ] && ! grep -aq 'nymserv backup' '$T/ctl'"

# --- restore from the encrypted file ---
ctl restore -f "$T/bk/$last"
check "restore of the encrypted file itself: refused with the way to do it" \
    bash -c "[ $CRC = 1 ] && grep -q 'gpg -d FILE | nymctl restore -' '$T/ctl.err'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" export-keys >"$T/keys-before"
as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill all
rm -rf "$T/s/db" "$T/s/gnupg"
ogpg --decrypt "$T/bk/$last" 2>/dev/null |
    as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" restore - >"$T/ctl" 2>"$T/ctl.err"
check "gpg -d BACKUP | nymctl restore -: exit 0 ($(head -c 300 "$T/ctl.err"))" \
    [ "${PIPESTATUS[1]}" = 0 ]
ctl check
check "the restored state passes check" bash -c "[ $CRC = 0 ] && grep -qx 'state ok' '$T/ctl'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" export-keys >"$T/keys-after"
check "the restored server keys are the same" cmp -s "$T/keys-before" "$T/keys-after"
n=$(count_in "$T/rem")
nymserv -f x@example.org alice <"$REPO/tests/data/help-normal.eml"
check "a delivery to alice works after the restore" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = $((n + 1)) ]

# --- hostile archives: nothing lands outside the state ---
# hostile NAME KIND: a tar (Python's tarfile) whose first entry is a
# proper manifest and whose second is the attack.
hostile() {
	python3 - "$T/h-$1.tar" "$2" <<'PY'
import io, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
def add(name, data=b"x", typ=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = typ; i.linkname = link
    i.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
add("nymserv-backup", b"nymserv backup\nschema 1\nhostname nym.test\ncreated 1\n")
if kind == "dotdot":   add("gnupg/../../escaped")
if kind == "absolute": add("/tmp/escaped-abs")
if kind == "symlink":  add("gnupg/pubring.kbx", typ=tarfile.SYMTYPE, link="/etc/passwd")
if kind == "hardlink": add("gnupg/trustdb.gpg", typ=tarfile.LNKTYPE, link="/etc/shadow")
if kind == "device":   add("gnupg/dev", typ=tarfile.CHRTYPE)
if kind == "other":    add("etc/cron.d/evil")
if kind == "twice":    add("db", typ=tarfile.DIRTYPE); add("db/data.mdb"); add("db/data.mdb")
t.close()
PY
}
for k in dotdot absolute symlink hardlink device other twice; do
	hostile "$k" "$k"
	as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill all
	ctl restore -f "$T/h-$k.tar"
	check "hostile archive ($k): refused, exit 1" [ "$CRC" = 1 ]
done
check "nothing escaped the state directory" \
    bash -c "[ ! -e '$T/escaped' ] && [ ! -e /tmp/escaped-abs ] && [ ! -e '$T/s/escaped' ]"
ctl check
check "the state is untouched by the refused restores" \
    bash -c "[ $CRC = 0 ] && grep -qx 'state ok' '$T/ctl'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" export-keys >"$T/keys-after2"
check "... with the same server keys" cmp -s "$T/keys-before" "$T/keys-after2"
check "no restore temporaries left in the state" \
    bash -c "! ls -d '$T/s'/restore.* >/dev/null 2>&1"
