#!/usr/bin/env bash
# bench/config-scale.sh - the cost of one config@ modify with SMALL (1,000)
# and with LARGE (20,000) nyms of distinct keys, measured in one run.
#
# Both states are real: the server keys come from `nymctl init`, the nym
# records are written straight into LMDB by build/*/bench/nymbench through
# the store and nym modules (the format account.c writes), the keys are
# those of ../shared/data/nymkeys-20000.pgp.  The modifies are config@
# requests built with contrib/nymcfg and signed by nym1..nym20 (secret
# keys in nymkeys-secret-1-20.pgp), each handed to nymserv at both scales,
# the order alternating so that load from elsewhere hits both alike.
#   bench/config-scale.sh            (ROUNDS=3 SMALL=1000 LARGE=20000)
# Target: mean(LARGE) / mean(SMALL) <= 1.25.  NYM_BIN_BEFORE=DIR runs that
# build's nymserv on the SMALL state too, in the same rounds, with requests
# of its own (before/after in one run).
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${SMALL:=1000}" "${LARGE:=20000}" "${ROUNDS:=3}" "${NYM_BIN_BEFORE:=}"
DATA=${NYM_DATA:-$REPO/../shared/data}
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || { echo "build the helper first: make bench" >&2; exit 1; }
[ -r "$DATA/nymkeys-20000.pgp" ] || { echo "no $DATA/nymkeys-20000.pgp" >&2; exit 1; }
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) || RUNU=()

setup_state "remail = $T/capture-sendmail $T/remA" "confirm = no"
mkdir -p "$T/remA" "$T/remB"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/remA" "$T/remB"
# The second state: the same server keys, its own LMDB and capture.
cp -a "$T/s" "$T/s2"
HOMES+=("$T/s2/gnupg")
sed "s|$T/s\$|$T/s2|; s|$T/remA|$T/remB|" "$T/nymserv.conf" >"$T/nymserv2.conf"
t0=$(date +%s.%N)
a=$(as_user "$HELPER" populate "$T/nymserv.conf" "$DATA/nymkeys-20000.pgp" 1 "$SMALL")
b=$(as_user "$HELPER" populate "$T/nymserv2.conf" "$DATA/nymkeys-20000.pgp" 1 "$LARGE")
t1=$(date +%s.%N)
na=$(as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | grep -c ' active ')
nb=$(as_user "$NYM_BIN/nymctl" -c "$T/nymserv2.conf" list | grep -c ' active ')
printf 'populated: %s and %s nym records in %.1f s; nymctl list sees %s and %s active\n' \
    "$a" "$b" "$(echo "$t1 - $t0" | bc)" "$na" "$nb"

client_init
cgpg --import "$DATA/nymkeys-secret-1-20.pgp"
# Requests: ROUNDS x nym1..nym20, plus one warm-up per state.
reqs=()
for r in $(seq 0 "$ROUNDS"); do
	# Each round's text differs: Ed25519 signatures are deterministic, so
	# the same text signed twice within a second is the same signature —
	# a replay, rightly dropped without a notice.
	[ $((r % 2)) = 0 ] && c=+acksend || c=-acksend
	c="$c name=\"Round $r\""
	for k in $(seq 1 20); do
		f=$T/req-$r-$k
		nymcfg -n "nym$k" -u "<nym$k@nym.example.org>" -c "$c" >"$f" || exit 1
		[ "$r" = 0 ] && [ "$k" -gt 1 ] && continue
		reqs+=("$f")
		[ -n "$NYM_BIN_BEFORE" ] && [ "$r" != 0 ] || continue
		nymcfg -n "nym$k" -u "<nym$k@nym.example.org>" \
		    -c "${c%\"} (before)\"" >"$f.b" || exit 1
	done
done
run() {	# run CONF REQUEST: one config@ through nymserv, "us=.. rss_kb=.. exit=.."
	"$HELPER" run "${RUNU[@]}" -i "$2" -- "$NYM_BIN/nymserv" -c "$1" \
	    -f someone@anywhere.example config | head -1
}
run "$T/nymserv.conf" "${reqs[0]}" >/dev/null	# warm-up (page cache, agent)
run "$T/nymserv2.conf" "${reqs[0]}" >/dev/null
: >"$T/A" && : >"$T/B" && : >"$T/C"
for i in $(seq 1 $((${#reqs[@]} - 1))); do
	f=${reqs[$i]}
	if [ $((i % 2)) = 0 ]; then
		run "$T/nymserv.conf" "$f" >>"$T/A"; run "$T/nymserv2.conf" "$f" >>"$T/B"
	else
		run "$T/nymserv2.conf" "$f" >>"$T/B"; run "$T/nymserv.conf" "$f" >>"$T/A"
	fi
	[ -n "$NYM_BIN_BEFORE" ] || continue
	NYM_BIN=$NYM_BIN_BEFORE run "$T/nymserv.conf" "$f.b" >>"$T/C"
done
stats() {	# mean and median of us= in a file, in ms
	sed 's/us=\([0-9]*\).*/\1/' "$1" | sort -n |
	    awk '{v[NR]=$1; s+=$1} END {printf "%.2f %.2f %d", s/NR/1000, v[int((NR+1)/2)]/1000, NR}'
}
read -r ma mda n <<<"$(stats "$T/A")"
read -r mb mdb _ <<<"$(stats "$T/B")"
bad=$(cat "$T/A" "$T/B" | grep -vc ' exit=0\( \|$\)')
okA=$(count_in "$T/remA") okB=$(count_in "$T/remB") nc=0
[ -n "$NYM_BIN_BEFORE" ] && nc=$((${#reqs[@]} - 1))
echo "config@ modify, $n requests signed by nym1..nym20 at each scale (+1 warm-up):"
printf '  %6d nyms: mean %7.2f ms  median %7.2f ms  notices %d\n' "$na" "$ma" "$mda" "$okA"
printf '  %6d nyms: mean %7.2f ms  median %7.2f ms  notices %d\n' "$nb" "$mb" "$mdb" "$okB"
printf '  ratio %d/%d nyms: mean %.3f  median %.3f  (target <= 1.25)\n' "$nb" "$na" \
    "$(echo "$mb / $ma" | bc -l)" "$(echo "$mdb / $mda" | bc -l)"
if [ -n "$NYM_BIN_BEFORE" ]; then
	cpu() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^cpu_us=/) { split($i, kv, "="); s += kv[2] } } END { printf "%.2f", s / NR / 1000 }' "$1"; }
	read -r mc mdc _ <<<"$(stats "$T/C")"
	bad=$((bad + $(grep -vc ' exit=0\( \|$\)' "$T/C")))
	printf '  before (%s), %6d nyms: mean %7.2f ms  median %7.2f ms  cpu %.2f ms (after: cpu %.2f ms)\n' \
	    "$NYM_BIN_BEFORE" "$na" "$mc" "$mdc" "$(cpu "$T/C")" "$(cpu "$T/A")"
	printf '  after/before, %d nyms: mean %.3f  median %.3f  cpu %.3f\n' "$na" \
	    "$(echo "$ma / $mc" | bc -l)" "$(echo "$mda / $mdc" | bc -l)" \
	    "$(echo "$(cpu "$T/A") / $(cpu "$T/C")" | bc -l)"
fi
if [ "$bad" != 0 ] || [ "$okA" != $((n + 1 + nc)) ] || [ "$okB" != $((n + 1)) ]; then
	echo "WARNING: $bad runs exited non-zero or a request made no notice" >&2
	exit 1
fi
