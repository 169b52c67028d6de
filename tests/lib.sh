# tests/lib.sh - shared setup for the end-to-end tests (sourced).
# Makes a short temporary directory, a configuration, a state directory
# owned by the unprivileged user the programs run as (nobody when the
# suite runs as root, as the MTA would never run nymserv as root), and a
# capture stand-in for sendmail.  Everything is removed on exit and the
# gpg-agents started for the test's GnuPG homes are stopped.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${NYM_BIN:=$REPO/bin}"
T=$(mktemp -d /tmp/nt.XXXXXX)
chmod 755 "$T"
if [ "$(id -u)" = 0 ]; then
	RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	chown 65534:65534 "$T"
else
	RUNAS=()
fi
HOMES=()

cleanup() {
	local h
	for h in "${HOMES[@]}"; do
		[ -d "$h" ] && as_user env GNUPGHOME="$h" gpgconf --kill all \
		    >/dev/null 2>&1
	done
	# NYM_KEEP=1 keeps the directory for a post-mortem.
	[ -n "${NYM_KEEP:-}" ] && { echo "# kept $T"; return; }
	chmod -R u+w "$T" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Run a command as the unprivileged user with a bare environment, as the
# MTA's pipe would.
as_user() {
	"${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C "$@"
}

# NYM_WAIT: the bound, in seconds, of every wait for a condition.  A wait
# ends as soon as its condition holds, so only a failure costs the bound;
# it is generous so that no loaded machine reaches it.
: "${NYM_WAIT:=300}"
# by_mtime DIR: the files in DIR, oldest first, by modification time to
# the nanosecond (a maildir name orders by the second only, and by inode
# within one: two messages delivered in the same second sorted by name
# came in either order, and "the last message" was now and then the one
# before it).
by_mtime() {
	stat -c '%.9Y %n' "$1"/* 2>/dev/null | sort -k1,1n -k2,2 | cut -d' ' -f2-
}
# wait_until CMD...: run CMD until it succeeds (0), or NYM_WAIT seconds
# have passed (1).
wait_until() {
	local end=$((SECONDS + NYM_WAIT))
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# track_start: every process started from now on holds descriptor 8
# (our programs leave inherited descriptors open, so the children they
# start, orphans of a kill -9 included, hold it too); track_wait closes
# ours and waits until every one of them has exited.  That is how a test
# waits for "the other processes are done" without guessing a time.
track_start() {
	rm -f "$T/.track" "$T/.track-done"
	mkfifo "$T/.track"
	# The reader sees end of file once the last holder is gone.
	{ cat "$T/.track" >/dev/null; : >"$T/.track-done"; } &
	exec 8>"$T/.track"
	rm -f "$T/.track"
}
track_wait() {
	exec 8>&-
	wait_until test -e "$T/.track-done"
}

# spool_empty DIR: no queued message (DUE.RANDOM) in a remail spool.
spool_empty() { ! ls "$1" 2>/dev/null | grep -q '^[0-9]*\.[0-9a-f]*$'; }
# flush_spool CONF SPOOL: run remail -q until SPOOL holds nothing due, as
# the minutely timer would.  Bounded by rounds, not by time: a run that
# reaches its own time limit exits 75 with files left and the next round
# goes on where it stopped.
flush_spool() {
	local i
	for i in $(seq 1 50); do
		spool_empty "$2" && return 0
		as_user "$NYM_BIN/remail" -c "$1" -q >/dev/null 2>&1
	done
	spool_empty "$2"
}

# fresh_store CONF: under NYM_STORE=postgresql, point CONF's store at a
# new database (a test's second state directory needs its own state);
# nothing under LMDB, where statedir says it.
PGN=0
fresh_store() {
	[ -n "${PGDB:-}" ] || return 0
	PGN=$((PGN + 1))
	pg_newdb "${PGDB}_$PGN" || echo "not ok - database ${PGDB}_$PGN created"
	sed -i "s|^store_conninfo = .*|store_conninfo = $(pg_conninfo "${PGDB}_$PGN" direct)|" "$1"
}

# state_dump DB [DBDIR]: DB's records as `mdb_dump -p -s DB` prints them,
# from the LMDB environment or from this test's PostgreSQL database;
# state_load DB [DBDIR] < text: as `mdb_load -T -s DB` (key line, value
# line), into either.
STATE_DBS="meta nyms replay confirm chunks aliases addrs blocks pending outbox"
state_dbnum() {
	local i=0 d
	for d in $STATE_DBS; do
		[ "$d" = "$1" ] && { echo "$i"; return 0; }
		i=$((i + 1))
	done
	return 1
}
state_dump() {
	if [ -n "${PGDB:-}" ]; then
		pg_psql "$PGDB" -F "$(printf '\t')" -c "SELECT encode(k, 'hex'), encode(v, 'hex') FROM kv WHERE db = $(state_dbnum "$1") ORDER BY k" |
		    "$REPO/tests/state-kv" dump "$1"
	else
		as_user mdb_dump -p -s "$1" "${2:-$T/s/db}"
	fi
}
# state_dump_all: every database, as `mdb_dump -p -a`.
state_dump_all() {
	local d
	if [ -n "${PGDB:-}" ]; then
		for d in $STATE_DBS; do state_dump "$d"; done
	else
		as_user mdb_dump -p -a "${1:-$T/s/db}"
	fi
}
# state_restore DB < what state_dump wrote: put those records back.
state_restore() {
	if [ -n "${PGDB:-}" ]; then
		"$REPO/tests/state-kv" restore "$(state_dbnum "$1")" |
		    pg_psql "$PGDB" >/dev/null
	else
		as_user mdb_load -s "$1" "${2:-$T/s/db}"
	fi
}
state_load() {
	if [ -n "${PGDB:-}" ]; then
		"$REPO/tests/state-kv" load "$(state_dbnum "$1")" |
		    pg_psql "$PGDB" >/dev/null
	else
		as_user mdb_load -T -s "$1" "${2:-$T/s/db}"
	fi
}

# lmdb_only WHY: the test reads or writes the LMDB files themselves
# (mdb_dump, mdb_load, data.mdb): under NYM_STORE=postgresql it skips,
# saying why (pg-store.sh, pg-migrate.sh and pg-twomx.sh cover the store
# there).
lmdb_only() {
	[ "${NYM_STORE:-lmdb}" = postgresql ] || return 0
	echo "skip - $(basename "$0" .sh) under store = postgresql: $*"
	exit 0
}

NOTOK=0	# "not ok" lines so far (for keeping what a failed run made)
ok() { echo "ok - $*"; }
notok() { NOTOK=$((NOTOK + 1)); echo "not ok - $*"; }
skip() { echo "skip - $*"; }
# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}

# setup_state [extra conf lines]: config in $T/nymserv.conf, state in
# $T/s, captured mail in $T/cap.
setup_state() {
	mkdir -p "$T/cap" "$T/s"
	cp "$REPO/tests/capture-sendmail" "$T/capture-sendmail"
	cp "$REPO/etc/help.txt" "$T/help.txt"
	cat >"$T/nymserv.conf" <<CONF
hostname = nym.test
statedir = $T/s
sendmail = $T/capture-sendmail $T/cap
helpfile = $T/help.txt
timeout = 300
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$T/nymserv.conf"
	# NYM_STORE=postgresql (tests/run.sh's switch): a fresh database of
	# the suite's cluster for this test.
	if [ "${NYM_STORE:-lmdb}" = postgresql ] && \
	    ! grep -q '^store *=' "$T/nymserv.conf"; then
		. "$REPO/tests/pglib.sh"
		PGDB=t_$(basename "$T" | tr -c 'A-Za-z0-9\n' _)
		pg_newdb "$PGDB" || echo "not ok - database $PGDB created"
		pg_store_keys "$PGDB" direct >>"$T/nymserv.conf"
	fi
	[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/cap" "$T/s"
	HOMES+=("$T/s/gnupg")
	as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 \
	    >"$T/init.out" 2>&1
}

# nymserv [args] < message: run as the MTA would; stdout in $T/out,
# exit status in $RC.
nymserv() {
	as_user "$NYM_BIN/nymserv" -c "$T/nymserv.conf" "$@" >"$T/out" 2>&1
	RC=$?
}

captured() { ls "$T/cap" | grep -c '\.msg$'; }
# pass_on N: hand captured message N to nymserv as the MTA would deliver
# it (nymreg's requests are mail: -f SENDER -oi -- RECIPIENT).
pass_on() {
	nymserv -f "$(sed -n 2p "$T/cap/$1.args")" \
	    "$(sed -n 5p "$T/cap/$1.args")" <"$T/cap/$1.msg"
}
clear_cap() { rm -rf "$T"/cap/*; }

# ---- nym clients (config@/send@ tests) ----

# client_init: a client GnuPG home $T/c holding the server's public keys.
client_init() {
	mkdir -m 700 "$T/c"
	HOMES+=("$T/c")
	as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" export-keys >"$T/srv.asc"
	cgpg --import "$T/srv.asc"
}
cgpg() { gpg --homedir "$T/c" --batch --quiet --no-tty --trust-model always "$@" 2>/dev/null; }
# mkkey NAME [rsa2048|signonly]: a key for NAME in the client home, made
# 30 days ago (so tests can sign with a clock set back a week).
mkkey() {
	local algo=ed25519 sub=cv25519 t=$(( $(date +%s) - 30 * 86400 ))
	[ "${2:-}" = rsa2048 ] && algo=rsa2048 sub=rsa2048
	cgpg --faked-system-time "$t!" --passphrase '' \
	    --quick-gen-key "$1 <$1@client.test>" "$algo" sign 0
	local fpr
	fpr=$(fpr_of "$1")
	[ "${2:-}" = signonly ] || cgpg --faked-system-time "$t!" \
	    --passphrase '' --quick-add-key "$fpr" "$sub" encr 0
}
fpr_of() { cgpg --with-colons --list-keys "<$1@client.test>" | awk -F: '/^fpr/{print $10; exit}'; }
# nymcfg ARGS: a config@ request from the client home.
nymcfg() { bash "$REPO/contrib/nymcfg" -g "$T/c" -H nym.test "$@"; }
# captured_in DIR: number of messages a capture stand-in kept.
count_in() { ls "$1" 2>/dev/null | grep -c '\.msg$'; }
# decrypt_notice FILE: the PGP message in a remailer input, decrypted.
decrypt_notice() {
	sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' "$1" |
	    cgpg --decrypt
}
# nymsend ARGS < message: a send@ request from the client home.
nymsend() { GNUPGHOME="$T/c" bash "$REPO/contrib/nymwrap" -H nym.test "$@" send; }
# setup_nyms: state + remail capture ($T/rem) + client home.
setup_nyms() {
	setup_state "remail = $T/capture-sendmail $T/rem" "$@"
	mkdir -p "$T/rem"
	[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/rem"
	client_init
}
# make_nym NAME [commands]: create (and confirm, if needed) nym NAME.
make_nym() {
	local n
	[ -n "$(fpr_of "$1")" ] || mkkey "$1"
	printf '::\nAnon-To: %s@real.example\n' "$1" >"$T/blk-$1"
	nymcfg -n "$1" -u "$1" -k -c "create ${2:-}" -b "$T/blk-$1" >"$T/create-$1"
	nymserv -f someone@example.org config <"$T/create-$1"
	n=$(ls "$T/rem" | grep '\.msg$' | sort -n | tail -1)
	local c
	c=$(decrypt_notice "$T/rem/$n" | grep -o 'confirm+[0-9a-f]*@' | head -1 | sed 's/confirm+//; s/@//')
	if [ -n "$c" ]; then
		nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
	fi
}
