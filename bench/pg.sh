#!/usr/bin/env bash
# bench/pg.sh - what the PostgreSQL store costs (issue 18), as ratios
# measured in one run, against a private cluster and PgBouncer
# (tests/pglib.sh; fsync off there, so the figures leave out the commit
# fsync a real database pays, ~3 ms each here: NOTES-NEXT 3.5):
#
#   per message, median of ROUNDS rounds (each round runs every command
#   once, the order rotating; build/*/bench/nymbench run as in
#   bench/delivery.sh):
#     nym delivery   (sign+encrypt, chunk count + outbox, remail, sendmail)
#     unknown nym    (a 5.1.1 refusal: one lookup, no gpg)
#   each with store = lmdb, postgresql direct (a new backend per run) and
#   postgresql through PgBouncer (transaction pooling, Unix socket);
#
#   throughput of two MX hosts against one: 2 parallel streams of RUNS
#   deliveries each, both on MX A, or one on MX A and one on MX B (own
#   state directory and GnuPG home copy, the same database through the
#   same PgBouncer); median of REPEAT rounds.  On one machine both "hosts"
#   share its CPUs: the ratio shows what sharing one database costs, not
#   what a second machine adds.
#   bench/pg.sh                    (ROUNDS=20 RUNS=10 REPEAT=3)
set -eu
NYM_STORE=lmdb	# the bench makes its own states
. "$(dirname "$0")/../tests/lib.sh"
. "$REPO/tests/pglib.sh"
set +e
: "${ROUNDS:=20}" "${RUNS:=10}" "${REPEAT:=3}"
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || make -s -C "$REPO" bench >/dev/null || exit 1
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) || RUNU=()
trap 'pgb_stop "$T/pg"; pg_stop "$T/pg"; cleanup' EXIT
pg_start "$T/pg" && pgb_start "$T/pg" && pg_newdb nym ||
    { echo "bench: no private PostgreSQL" >&2; exit 1; }

# The LMDB state of bench/delivery.sh (nym "bench", clear reply block,
# remail, a sendmail keeping one file per process).
BENCH_CONF="store_module = $NYM_BIN/nymstore-pg.so"
. "$REPO/bench/dsetup.sh"
printf '#!/bin/sh\nexec cat >>%s/cap/m.$$\n' "$T" >"$T/fastmail"
mails() { cat "$T"/cap/m.* 2>/dev/null | grep -c '^-----END PGP MESSAGE-----$'; }
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" migrate "lmdb:$T/s" \
    "postgresql:$(pg_conninfo nym direct)" >"$T/mig" 2>&1 ||
    { echo "bench: migrate failed: $(cat "$T/mig")" >&2; exit 1; }
# conf NAME MODE [STATEDIR]: $T/NAME.conf, the state in PostgreSQL
# (MODE direct or bouncer), remail reading the same file.
conf() {
	local f=$T/$1.conf
	{ sed -e "s|^remail = .*|remail = $NYM_BIN/remail -c $f|" \
	      -e "s|^statedir = .*|statedir = ${3:-$T/s}|" "$T/nymserv.conf"
	  pg_store_keys nym "$2" | grep -v '^store_module'; } >"$f"
	chmod 644 "$f"
}
conf pgd direct
conf pgb bouncer
# MX B: a copy of the state directory without the LMDB files.
mkdir -p "$T/sb"
(cd "$T/s" && tar --exclude=./db --exclude='S.*' -cf - .) | (cd "$T/sb" && tar -xpf -)
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/sb"
HOMES+=("$T/sb/gnupg" "$T/sb/remail-gnupg")
conf mxb bouncer "$T/sb"
MSG=$REPO/tests/data/help-normal.eml

one() {	# one LABEL INPUT PROGRAM ARGS...: one timed run, appended to $T/r.LABEL
	local l=$1 in=$2; shift 2
	"$HELPER" run "${RUNU[@]}" -i "$in" -- "$@" | head -1 >>"$T/r.$l"
}
series=(nym.lmdb nym.pgd nym.pgb ref.lmdb ref.pgd ref.pgb)
step() {
	local c=$T/${1#*.}.conf
	[ "${1#*.}" = lmdb ] && c=$T/nymserv.conf
	case $1 in
	nym.*) one "$1" "$T/msg" "$NYM_BIN/nymserv" -c "$c" -f bob@example.org bench ;;
	ref.*) one "$1" "$MSG" "$NYM_BIN/nymserv" -c "$c" -f bob@example.org nosuch ;;
	esac
}
for s in "${series[@]}"; do step "$s"; done	# warm-up
for s in "${series[@]}"; do : >"$T/r.$s"; done
before=$(mails)
n=${#series[@]}
for i in $(seq 1 "$ROUNDS"); do
	for k in $(seq 0 $((n - 1))); do step "${series[$(((i + k) % n))]}"; done
done
delivered=$(( $(mails) - before ))
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
med() { sed 's/^us=\([0-9]*\).*/\1/' "$T/r.$1" | median | awk '{ printf "%.2f", $1 / 1000 }'; }
q() { echo "scale=6; $1" | bc -l; }
bad=$(cat "$T"/r.nym.* | grep -vc ' exit=0 ')
badr=$(cat "$T"/r.ref.* | grep -vc ' exit=67 ')

# Two MX hosts against one: 2 streams of RUNS deliveries.
for i in 1 2; do
	sed "s/<b1@example.org>/<s$i@example.org>/" "$T/msg" >"$T/msg.$i"
	chmod 644 "$T/msg.$i"
done
: >"$T/sbad"
streams() {	# streams CONF1 CONF2: deliveries per second of both at once
	local t0 t1 i pids=() c=("$1" "$2")
	t0=$(date +%s%N)
	for i in 1 2; do
		"$HELPER" run "${RUNU[@]}" -r "$RUNS" -i "$T/msg.$i" -- \
		    "$NYM_BIN/nymserv" -c "${c[$((i - 1))]}" -f bob@example.org bench |
		    tail -1 >"$T/sum.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s%N)
	for i in 1 2; do
		grep -Eq "exits=0:$RUNS( |\$)" "$T/sum.$i" || cat "$T/sum.$i" >>"$T/sbad"
	done
	echo "$RUNS $t0 $t1" | awk '{ printf "%.3f", 2 * $1 / (($3 - $2) / 1e9) }'
}
streams "$T/pgb.conf" "$T/mxb.conf" >/dev/null	# warm-up
for r in $(seq 1 "$REPEAT"); do
	echo "one $(streams "$T/pgb.conf" "$T/pgb.conf")" >>"$T/rates"
	echo "two $(streams "$T/pgb.conf" "$T/mxb.conf")" >>"$T/rates"
done
rate() { awk -v k="$1" '$1 == k { print $2 }' "$T/rates" | median; }

echo "PostgreSQL store vs LMDB, $ROUNDS rounds, each round runs every command once, order rotating (+1 warm-up); medians"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); private cluster with fsync off"
for kind in nym ref; do
	l=$(med "$kind.lmdb") d=$(med "$kind.pgd") b=$(med "$kind.pgb")
	[ "$kind" = nym ] && what="nym delivery" || what="unknown nym (5.1.1)"
	printf '  %-20s lmdb %7.2f ms  pg direct %7.2f ms  pg bouncer %7.2f ms\n' "$what:" "$l" "$d" "$b"
	printf '  %-20s ratio pg direct/lmdb %.3f  pg bouncer/lmdb %.3f  direct/bouncer %.3f\n' "" \
	    "$(q "$d / $l")" "$(q "$b / $l")" "$(q "$d / $b")"
done
o=$(rate one) t=$(rate two)
printf '  2 streams, PgBouncer: one MX %.2f/s  two MX %.2f/s  ratio two/one %.3f (median of %d)\n' \
    "$o" "$t" "$(q "$t / $o")" "$REPEAT"
want=$(( 3 * ROUNDS ))
echo "  deliveries handed to sendmail: $delivered of $want; deliveries not exiting 0: $bad; refusals not 67: $badr; streams with a failed run: $(wc -l <"$T/sbad")"
[ "$delivered" -ge "$want" ] && [ "$bad" = 0 ] && [ "$badr" = 0 ] && [ ! -s "$T/sbad" ]
