# pg-store.sh - the PostgreSQL store backend (issue 18): the store
# contract of test_storepg on a private cluster, direct and through
# PgBouncer in transaction pooling (get/put/put_new/del, iteration by
# prefix in key order, count, keys, read-only opens, concurrent writers
# whose serialization conflicts are retried to an exact sum, copies);
# nymserv on it; the database down means exit 75; and the programs do
# not link libpq (only the module does).
NYM_STORE=lmdb	# this test writes its own store keys (its own cluster)
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pglib.sh"
pg_need
trap 'pgb_stop "$T/pg"; pg_stop "$T/pg"; cleanup' EXIT
pg_start "$T/pg" || { notok "private PostgreSQL started"; exit 1; }
pgb_start "$T/pg" || { notok "private PgBouncer started"; exit 1; }
pg_newdb c1 && pg_newdb c2 && pg_newdb nym || { notok "databases created"; exit 1; }

for p in nymserv nymctl remail nymfingerd nympolicyd nymreg mail2news; do
	check "$p does not link libpq" \
	    bash -c "! readelf -d '$NYM_BIN/$p' | grep -q 'NEEDED.*libpq'"
done
check "the module links libpq" \
    bash -c "readelf -d '$NYM_BIN/nymstore-pg.so' | grep -q 'NEEDED.*libpq'"
check "the module exports one symbol" \
    bash -c "[ \"\$(nm -D --defined-only '$NYM_BIN/nymstore-pg.so' | awk '{print \$3}')\" = nymstore_ops ]"

# The contract, on LMDB and on both ways to PostgreSQL.
mkdir "$T/lm"
NYM_STORE_MODULE=$NYM_BIN/nymstore-pg.so "$NYM_UNITS/test_storepg" \
    "lmdb:$T/lm" "postgresql:$(pg_conninfo c1 direct)" \
    "postgresql:$(pg_conninfo c2 bouncer)" >"$T/unit" 2>&1
urc=$?
cat "$T/unit"
check "test_storepg on both backends: exit 0 ($urc)" [ "$urc" = 0 ]

# nymserv on PostgreSQL (through PgBouncer).
mapfile -t keys < <(pg_store_keys nym bouncer)
setup_nyms "${keys[@]}" "confirm = no"
check "nymctl init on PostgreSQL ($(head -c 200 "$T/init.out"))" \
    [ "$(pg_psql nym -c "SELECT encode(v, 'escape') FROM kv WHERE db = 0 AND k = 'schema'")" = 1 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 >"$T/init2" 2>&1
check "nymctl init again: refused or idempotent, schema kept" \
    [ "$(pg_psql nym -c "SELECT count(*) FROM kv WHERE db = 0 AND k = 'schema'")" = 1 ]
make_nym bob
check "a nym created on PostgreSQL" \
    [ "$(pg_psql nym -c "SELECT count(*) FROM kv WHERE db = 1 AND k = 'bob'")" = 1 ]
printf 'From: a@example.org\nTo: bob@nym.test\nSubject: hi\n\nhello\n' >"$T/m"
nymserv -f a@example.org bob <"$T/m"
check "a delivery to bob on PostgreSQL: exit 0 ($RC $(head -c 200 "$T/out"))" [ "$RC" = 0 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats >"$T/stats" 2>&1
check "nymctl stats on PostgreSQL (nyms 1)" grep -q 'nyms *1' "$T/stats"

# wipe + scrub: VACUUM (FULL) leaves no deleted record in the table's
# files (the WAL keeps them until recycled: SECURITY.md).
inbase() { pg_psql nym -c CHECKPOINT >/dev/null; grep -raqF "$1" "$T/pg/data/base"; }
if inbase 'bob@real.example'; then
	as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" wipe bob >"$T/wipe" 2>&1
	check "nymctl wipe bob on PostgreSQL ($(head -c 200 "$T/wipe"))" \
	    [ "$(pg_psql nym -c "SELECT count(*) FROM kv WHERE db = 1 AND k = 'bob'")" = 0 ]
	as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" scrub >"$T/scrub" 2>&1
	src=$?
	check "nymctl scrub on PostgreSQL: exit 0 ($src $(head -c 200 "$T/scrub"))" [ "$src" = 0 ]
	pg_psql nym -c CHECKPOINT >/dev/null
	check "... the deleted reply block is in no table file" bash -c "! grep -raqF bob@real.example '$T/pg/data/base'"
else
	echo "# the reply block is not stored in clear: nothing to look for"
fi

# The database down: 75, and no address in what nymserv says.
pgb_stop "$T/pg"
pg_stop "$T/pg"
nymserv -f a@example.org bob <"$T/m"
check "database down: nymserv exits 75 ($RC)" [ "$RC" = 75 ]
check "... and logs no address" bash -c "! grep -q 'a@example.org\|bob@' '$T/out'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats >"$T/stats" 2>&1
src=$?
check "database down: nymctl stats fails (exit 1, nymctl(8): the state cannot be opened) ($src)" [ "$src" = 1 ]
