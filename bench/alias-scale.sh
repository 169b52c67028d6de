#!/usr/bin/env bash
# bench/alias-scale.sh - the cost of remailing one message between two
# aliases with SMALL (2) and with LARGE (20,000) aliases registered,
# measured in one run, alternating, so that load from elsewhere hits both
# alike.  The alias tables are filled straight into LMDB with mdb_load
# (lmdb-utils), in the layout src/global/aliasdb.c writes (aliases: name ->
# address, addrs: address -> name).
#   bench/alias-scale.sh             (ROUNDS=5 PER=40 LARGE=20000)
# Expected: the ratio stays near 1 (two B-tree lookups per message).
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${LARGE:=20000}" "${ROUNDS:=5}" "${PER:=40}"
command -v mdb_load >/dev/null || { echo "needs mdb_load (apt-get install lmdb-utils)" >&2; exit 1; }
setup_state
cp -a "$T/s" "$T/s2"
HOMES+=("$T/s2/gnupg")
sed "s|$T/s\$|$T/s2|" "$T/nymserv.conf" >"$T/nymserv2.conf"
load() {	# load DIR TABLE < "key\nvalue\n" pairs
	as_user mdb_load -T -s "$2" "$1/db"
}
printf 'ally\nalice@example.org\nbobby\nbob@example.net\n' | load "$T/s" aliases
printf 'alice@example.org\nally\nbob@example.net\nbobby\n' | load "$T/s" addrs
{ printf 'ally\nalice@example.org\nbobby\nbob@example.net\n'
  seq "$LARGE" | awk '{printf "a%d\nuser%d@example.net\n", $1, $1}'; } | load "$T/s2" aliases
{ printf 'alice@example.org\nally\nbob@example.net\nbobby\n'
  seq "$LARGE" | awk '{printf "user%d@example.net\na%d\n", $1, $1}'; } | load "$T/s2" addrs
cat >"$T/m" <<'MSG'
Received: from pc.example.org by mx.example.org; Mon, 23 Nov 2026 10:00:00 +0000
From: Alice <alice@example.org>
To: bobby@nym.test
Subject: bench
Message-ID: <b@pc.example.org>

A short message.
MSG
# run CONF: PER deliveries, milliseconds in total on stdout.
run() {
	local i s e
	s=$(date +%s%N)
	for i in $(seq "$PER"); do
		as_user "$NYM_BIN/nymserv" -c "$1" -f alice@example.org bobby \
		    <"$T/m" >/dev/null 2>&1 || { echo "delivery failed" >&2; exit 1; }
	done
	e=$(date +%s%N)
	echo $(( (e - s) / 1000000 ))
	rm -rf "$T"/cap/*
}
small=0 large=0
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		a=$(run "$T/nymserv.conf"); b=$(run "$T/nymserv2.conf")
	else
		b=$(run "$T/nymserv2.conf"); a=$(run "$T/nymserv.conf")
	fi
	small=$((small + a)) large=$((large + b))
done
n=$((ROUNDS * PER))
awk -v s="$small" -v l="$large" -v n="$n" -v L="$LARGE" 'BEGIN {
	printf "remail alias->alias, 2 aliases:      %.2f ms/message (%d messages)\n", s / n, n
	printf "remail alias->alias, %d aliases:  %.2f ms/message (%d messages)\n", L + 2, l / n, n
	printf "ratio large/small: %.2f\n", l / s
}'
