# pg-migrate.sh - nymctl migrate (issue 18): a real LMDB state (nyms, a
# pending nym's confirmation, aliases, replay entries, chunk counters,
# blocks, stamps) copied into PostgreSQL and back into a new LMDB state
# gives the same mdb_dump of every named database; a non-empty target
# is refused.  Then a PostgreSQL-only round of nymctl backup, restore
# (into a second database), check, stats and expire.
NYM_STORE=lmdb	# the state starts in LMDB; the cluster is this test's own
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pglib.sh"
pg_need
trap 'pg_stop "$T/pg"; cleanup' EXIT
pg_start "$T/pg" || { notok "private PostgreSQL started"; exit 1; }
pg_newdb nym && pg_newdb nym2 && pg_newdb nym3 ||
    { notok "databases created"; exit 1; }
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@" >"$T/ctl" 2>"$T/ctl.err"; CRC=$?; }

# --- a real LMDB state ---
setup_nyms "alias_web_url = https://nym.test/cgi-bin/nymreg" \
    "store_module = $NYM_BIN/nymstore-pg.so"	# for migrate
make_nym alice
make_nym bob '+acksend'
mkkey carol	# carol stays pending: a confirmation record
printf '::\nAnon-To: carol@real.example\n' >"$T/blk-carol"
nymcfg -n carol -u carol -k -c create -b "$T/blk-carol" >"$T/cc"
nymserv -f someone@example.org config <"$T/cc"
printf 'From: alice\nTo: dave@example.org\nSubject: s\n\nsent\n' >"$T/m1"
nymsend -u alice <"$T/m1" >"$T/r1"
nymserv -f someone@client.example send <"$T/r1"		# a replay entry
printf 'From: x@example.org\nTo: bob@nym.test\nSubject: d\n\nhi bob\n' >"$T/d1"
nymserv -f x@example.org bob <"$T/d1"			# chunks
printf 'Authentication-Results: nym.test; spf=pass smtp.mailfrom=al@example.org\nFrom: al@example.org\nTo: register@nym.test\nSubject: ally\nDate: Mon, 23 Nov 2026 11:00:00 +0100\n\n' >"$T/reg"
nymserv -f al@example.org register <"$T/reg"
tok=$(grep -o '^Reply-To: <[a-z]*+[0-9a-f]*@' "$T/cap/$(captured).msg" | sed 's/.*+//; s/@//')
printf 'Authentication-Results: nym.test; spf=pass smtp.mailfrom=al@example.org\nFrom: al@example.org\nTo: register+%s@nym.test\nSubject: Re\nDate: Mon, 23 Nov 2026 11:00:00 +0100\n\n' "$tok" >"$T/conf"
nymserv -f al@example.org "register+$tok@nym.test" <"$T/conf"	# an alias
ctl block list-owner@example.net				# a block
ctl stats
cp "$T/ctl" "$T/stats.lmdb"
check "the LMDB state has nyms, a confirmation, replay, an alias and a block" \
    bash -c "grep -qx 'nyms 3' '$T/ctl' && grep -qx 'confirmations 1' '$T/ctl' &&
      ! grep -qx 'replay 0' '$T/ctl' && grep -qx 'aliases 1' '$T/ctl' &&
      grep -qx 'blocked-destinations 1' '$T/ctl'"

# dumps DBDIR OUT: every named database of the environment, one file
# each (the header, which names the map size, left out).
dumps() {
	mkdir -p "$2"
	local d
	for d in $(as_user mdb_dump -l "$1"); do
		as_user mdb_dump -p -s "$d" "$1" | sed '1,/^HEADER=END$/d' >"$2/$d"
	done
}
dumps "$T/s/db" "$T/dump1"
check "mdb_dump lists the named databases ($(ls "$T/dump1" | tr '\n' ' '))" \
    [ "$(ls "$T/dump1" | wc -l)" -ge 8 ]

# --- LMDB -> PostgreSQL -> LMDB ---
ci=$(pg_conninfo nym direct)
ctl migrate "lmdb:$T/s" "postgresql:$ci"
check "migrate lmdb -> postgresql: exit 0 ($(cat "$T/ctl.err"))" [ "$CRC" = 0 ]
ctl migrate "lmdb:$T/s" "postgresql:$ci"
check "migrate into a non-empty database: refused ($CRC)" [ "$CRC" != 0 ]
mkdir -m 700 "$T/s2"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/s2"
ctl migrate "postgresql:$ci" "lmdb:$T/s2"
check "migrate postgresql -> lmdb: exit 0 ($(cat "$T/ctl.err"))" [ "$CRC" = 0 ]
dumps "$T/s2/db" "$T/dump2"
check "the round trip gives identical dumps of every named database" \
    diff -r "$T/dump1" "$T/dump2"
for d in $(ls "$T/dump1"); do
	[ -s "$T/dump1/$d" ] && n=$(grep -c '^ ' "$T/dump1/$d") || n=0
	echo "# $d: $((n / 2)) records"
done

# --- PostgreSQL only: stats, check, backup, restore, expire ---
mapfile -t keys < <(pg_store_keys nym direct)
cp "$T/nymserv.conf" "$T/lmdb.conf"
printf '%s\n' "${keys[@]}" >>"$T/nymserv.conf"
ctl stats
check "stats on PostgreSQL: the same counts as on LMDB" diff "$T/stats.lmdb" "$T/ctl"
ctl check
check "check on PostgreSQL: state ok ($(tail -1 "$T/ctl"))" grep -qx 'state ok' "$T/ctl"
nymserv -f y@example.org bob <"$T/d1"
check "a delivery on the migrated state: exit 0 ($RC)" [ "$RC" = 0 ]
ctl backup -p "$T/s/tmp/b.tar"
check "backup -p on PostgreSQL: exit 0 ($(cat "$T/ctl.err"))" [ "$CRC" = 0 -a -s "$T/s/tmp/b.tar" ]
ctl stats
cp "$T/ctl" "$T/stats.pg"
# restore into another database and another state directory
mkdir -m 700 "$T/s3"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/s3"
sed -e "s#^statedir = .*#statedir = $T/s3#" -e "s#dbname=nym #dbname=nym2 #" \
    "$T/nymserv.conf" >"$T/r.conf"
HOMES+=("$T/s3/gnupg")
rctl() { as_user "$NYM_BIN/nymctl" -c "$T/r.conf" "$@" >"$T/ctl" 2>"$T/ctl.err"; CRC=$?; }
rctl restore "$T/s/tmp/b.tar"
check "restore into an empty PostgreSQL database: exit 0 ($(cat "$T/ctl.err"))" [ "$CRC" = 0 ]
rctl stats
check "... the same counts as the source" diff "$T/stats.pg" "$T/ctl"
rctl check
check "... check: state ok" grep -qx 'state ok' "$T/ctl"
rctl restore "$T/s/tmp/b.tar"
check "a second restore over it is refused ($CRC)" [ "$CRC" = 1 ]
# expire, as if 40 days had passed: the replay entries go, carol's
# unconfirmed account is removed
ctl expire -n -t $(( $(date +%s) + 40 * 86400 ))
check "expire -n on PostgreSQL: exit 0, counts only ($(cat "$T/ctl"))" [ "$CRC" = 0 ]
ctl stats
check "... nothing changed" diff "$T/stats.pg" "$T/ctl"
ctl expire -t $(( $(date +%s) + 40 * 86400 ))
check "expire on PostgreSQL: exit 0 ($(cat "$T/ctl"))" [ "$CRC" = 0 ]
ctl stats
check "... the replay cache pruned, the pending nym gone" \
    bash -c "grep -qx 'replay 0' '$T/ctl' && grep -qx 'pending 0' '$T/ctl'"
# the store file under statedir is not what PostgreSQL uses
check "the PostgreSQL state never wrote an LMDB file in the new state" [ ! -e "$T/s3/db/data.mdb" ]
[ "$NOTOK" = 0 ]
