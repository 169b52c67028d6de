# admin.sh - every nymctl administration command on a populated state:
# list, stats, disable/enable, wipe, expire, queue-run, check (healthy and
# corrupted), backup -> state removed -> restore -> a delivery still works.
. "$(dirname "$0")/../lib.sh"
lmdb_only "checks the backup archive and the state with mdb_dump"
setup_nyms
make_nym alice '+acksend name="Alice Nym"'
make_nym bob
mkkey carol
printf '::\nAnon-To: carol@real.example\n' >"$T/blk-carol"
nymcfg -n carol -u carol -k -c create -b "$T/blk-carol" >"$T/create-carol"
nymserv -f someone@example.org config <"$T/create-carol"   # stays pending
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@" >"$T/ctl" 2>"$T/ctl.err"; CRC=$?; }
deliver() { nymserv -f x@example.org "$1" <"$REPO/tests/data/help-normal.eml"; }
today=$(date -u +%F)

deliver alice
check "a delivery to alice before the admin commands" [ "$RC" = 0 ]

# --- list ---
ctl list
check "list: exit 0" [ "$CRC" = 0 ]
check "list: alice active, created and last signature today" \
    grep -q "^alice active .*created=$today lastsig=$today" "$T/ctl"
check "list: carol pending" grep -q '^carol pending' "$T/ctl"
check "list: three nyms" [ "$(wc -l <"$T/ctl")" = 3 ]
check "list: no key owners, fingerprints or reply blocks" \
    bash -c "! grep -qiE 'client.test|real.example|anon-to|Alice Nym|$(fpr_of alice)' '$T/ctl'"

# --- stats ---
ctl stats
check "stats: exit 0" [ "$CRC" = 0 ]
check "stats: nyms 3, active 2, pending 1" \
    bash -c "grep -qx 'nyms 3' '$T/ctl' && grep -qx 'active 2' '$T/ctl' && grep -qx 'pending 1' '$T/ctl'"
check "stats: today's chunks counted (the delivery)" \
    bash -c "n=\$(awk '\$1==\"chunks-today\"{print \$2}' '$T/ctl'); [ \"\$n\" -ge 1 ]"
check "stats: one confirmation pending (carol)" grep -qx 'confirmations 1' "$T/ctl"

# --- disable / enable ---
ctl disable ALICE
check "disable: exit 0" [ "$CRC" = 0 ]
deliver alice
check "disabled nym: mail refused 5.2.1" [ "$RC" = 69 -a "$(head -c 5 "$T/out")" = 5.2.1 ]
ctl list
check "list shows it disabled" grep -q '^alice active,disabled' "$T/ctl"
ctl stats
check "stats counts it disabled" grep -qx 'disabled 1' "$T/ctl"
ctl enable alice
check "enable: exit 0" [ "$CRC" = 0 ]
deliver alice
check "enabled again: delivered" [ "$RC" = 0 ]
ctl disable nosuch
check "disable an unknown nym: exit 4, clear message" \
    bash -c "[ $CRC = 4 ] && grep -q 'nosuch: no such nym' '$T/ctl.err'"
ctl disable 'bad name!'
check "disable a malformed name: usage exit 2" [ "$CRC" = 2 ]

# --- wipe ---
ctl wipe carol
check "wipe: exit 0" [ "$CRC" = 0 ]
ctl list
check "wipe: carol gone from the list" bash -c "! grep -q '^carol' '$T/ctl'"
ctl stats
check "wipe: its pending confirmation went with it" grep -qx 'confirmations 0' "$T/ctl"
deliver carol
check "wipe: mail to carol is 5.1.1" [ "$RC" = 67 ]
ctl wipe carol
check "wipe an unknown nym: exit 4" [ "$CRC" = 4 ]

# --- expire ---
ctl expire -n
check "expire -n: exit 0, counts printed" bash -c "[ $CRC = 0 ] && grep -q '^dry run: warned 0, wiped 0' '$T/ctl'"
ctl expire
check "expire: exit 0" bash -c "[ $CRC = 0 ] && grep -q 'block requests expired 0' '$T/ctl'"

# --- queue-run: the configured remail with -q appended ---
mkdir -p "$T/q" && [ "$(id -u)" = 0 ] && chown 65534:65534 "$T/q"
sed "s|^remail = .*|remail = $T/capture-sendmail $T/q --extra|" "$T/nymserv.conf" >"$T/q.conf"
as_user "$NYM_BIN/nymctl" -c "$T/q.conf" queue-run >"$T/ctl" 2>&1
check "queue-run: exit 0" [ "$?" = 0 ]
check "queue-run: remail ran with its argv and -q appended" \
    diff <(printf '%s\n' --extra -q) "$T/q/1.args"
echo 75 >"$T/q/exit"
as_user "$NYM_BIN/nymctl" -c "$T/q.conf" queue-run >"$T/ctl" 2>&1
check "queue-run: remail failing -> exit 1 naming its status" \
    bash -c "[ $? = 1 ] && grep -q 'exited 75' '$T/ctl'"

# --- check ---
ctl check
check "check: healthy state, exit 0" bash -c "[ $CRC = 0 ] && grep -qx 'state ok' '$T/ctl'"

# --- backup, remove the state, restore, deliver ---
ctl backup -p "$T/bk.tar"
check "backup: exit 0" [ "$CRC" = 0 ]
check "backup: mode 0600 (it holds the secret keys)" [ "$(stat -c %a "$T/bk.tar")" = 600 ]
check "backup: a tar with the database and the GnuPG home" \
    bash -c "tar tf '$T/bk.tar' | grep -qx db/data.mdb && tar tf '$T/bk.tar' | grep -q '^gnupg/private-keys-v1.d/'"
check "backup: no agent sockets" bash -c "! tar tf '$T/bk.tar' | grep -q '/S\\.'"
ctl restore "$T/bk.tar"
check "restore over a live state: refused, exit 1" \
    bash -c "[ $CRC = 1 ] && grep -q 'already holds a state' '$T/ctl.err'"
as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill all
rm -rf "$T/s/db" "$T/s/gnupg" "$T/s/tmp"
ctl list
check "the state is gone" [ "$CRC" != 0 ]
ctl restore "$T/bk.tar"
check "restore: exit 0" [ "$CRC" = 0 ]
ctl check
check "restored state passes check" [ "$CRC" = 0 ]
ctl list
check "restored: alice and bob listed" bash -c "grep -q '^alice active' '$T/ctl' && grep -q '^bob active' '$T/ctl'"
n=$(count_in "$T/rem")
deliver alice
check "restored: a delivery to alice works" [ "$RC" = 0 -a "$(count_in "$T/rem")" = $((n + 1)) ]
decrypt_notice "$T/rem/$((n + 1)).msg" >"$T/d1"
check "restored: the delivery decrypts with alice's key" grep -q 'unique id' "$T/d1"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" export-keys >"$T/srv2.asc"
check "restored: the same server keys" cmp -s "$T/srv.asc" "$T/srv2.asc"
as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill all
ctl restore -f "$T/bk.tar"
check "restore -f over a live state: exit 0" [ "$CRC" = 0 ]
head -c 3000 "$T/bk.tar" >"$T/bad.tar"
ctl restore -f "$T/bad.tar"
check "restore of a truncated archive: refused, state untouched" \
    bash -c "[ $CRC = 1 ] && grep -qi truncated '$T/ctl.err'"
ctl check
check "state still ok after the refused restore" [ "$CRC" = 0 ]

# --- check on a damaged state ---
as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill all
cp -a "$T/s" "$T/s2"
sed "s|^statedir = .*|statedir = $T/s2|" "$T/nymserv.conf" >"$T/s2.conf"
HOMES+=("$T/s2/gnupg")
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n zz\n garbage\nDATA=END\n' |
    as_user mdb_load -T -s nyms "$T/s2/db" 2>/dev/null ||
    printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n zz\n garbage\nDATA=END\n' |
    as_user mdb_load -s nyms "$T/s2/db"
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n ghost\n 99999 5\nDATA=END\n' |
    as_user mdb_load -s chunks "$T/s2/db"
as_user mdb_dump -p -s nyms "$T/s2/db" |
    sed 's/BEGIN PGP PUBLIC KEY BLOCK/BEGIN PGP PUBLIC KEX BLOCK/' |
    as_user mdb_load -s nyms "$T/s2/db"
rm -rf "$T/s2/gnupg/private-keys-v1.d"
as_user "$NYM_BIN/nymctl" -c "$T/s2.conf" check >"$T/ctl" 2>&1
CRC=$?
check "check on a damaged state: exit 3" [ "$CRC" = 3 ]
check "check names the undecodable record" grep -q '^nyms: zz: the record does not decode' "$T/ctl"
check "check names the counter of a missing nym" grep -q '^chunks: ghost: a counter for a nym that does not exist' "$T/ctl"
check "check names a counter dated in the future" grep -q '^chunks: ghost: dated day 99999' "$T/ctl"
check "check names a key that does not parse" grep -q '^nyms: alice: the public key does not parse' "$T/ctl"
check "check names the missing secret keys" grep -q 'secret key of serverkey .* is missing' "$T/ctl"
check "check ends with the count" grep -q 'problems found$' "$T/ctl"
