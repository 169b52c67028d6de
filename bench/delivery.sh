#!/usr/bin/env bash
# bench/delivery.sh - nym deliveries against the same gpg work done by
# plain gpg commands and against the design's floor, measured in one run;
# peak memory per run.
#
#   nymserv: one message to a nym (+cryptrecv, one reply block whose
#            outermost layer is in clear), i.e. nymserv signs with the
#            server key and encrypts to the nym key, then pipes the block
#            and the result into the local remail, which hands the mail
#            to sendmail (a script appending to a file).
#   gpg:     `gpg --sign --encrypt` of the same message with the server's
#            key to the nym's key (--recipient-file), from the server's
#            GnuPG home: the cryptographic work alone, one process.
#   floor:   what this design cannot avoid: that gpg run, the one
#            `gpg --version` gpgme 1.18 runs in every process, and the
#            remail process handing a clear block to sendmail.
# All are run in turn in every round (the order rotating), ROUNDS rounds,
# under the same user and timer (build/*/bench/nymbench run: fork to reap,
# including the gpg processes gpgme starts; cpu = user + system time of
# all of them).  Targets: ratio to gpg <= 1.3, ratio to floor <= 1.2.
# NYM_BIN_BEFORE=DIR adds the nymserv and remail of another build (e.g.
# main's) to every round: before/after figures from the same run.
#   bench/delivery.sh                 (ROUNDS=30)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${ROUNDS:=30}" "${NYM_BIN_BEFORE:=}"
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || make -s -C "$REPO" bench >/dev/null || exit 1
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) || RUNU=()

. "$REPO/bench/dsetup.sh"
if [ -n "$NYM_BIN_BEFORE" ]; then
	sed "s|^remail = .*|remail = $NYM_BIN_BEFORE/remail -c $T/nymserv.conf|" \
	    "$T/nymserv.conf" >"$T/before.conf"
	chmod 644 "$T/before.conf"
fi

one() {	# one LABEL INPUT PROGRAM ARGS...: one timed run, appended to $T/LABEL
	local l=$1 in=$2; shift 2
	"$HELPER" run "${RUNU[@]}" -i "$in" -- "$@" | head -1 >>"$T/r.$l"
}
series=(nym gpg ver rem)
[ -n "$NYM_BIN_BEFORE" ] && series+=(old)
step() {
	case $1 in
	nym) one nym "$T/msg" "$NYM_BIN/nymserv" -c "$T/nymserv.conf" \
	    -f bob@example.org bench ;;
	old) one old "$T/msg" "$NYM_BIN_BEFORE/nymserv" -c "$T/before.conf" \
	    -f bob@example.org bench ;;
	gpg) one gpg "$T/msg" "${PLAIN[@]}" ;;
	ver) one ver /dev/null /usr/bin/gpg --version ;;
	rem) one rem "$T/rin" "$NYM_BIN/remail" -c "$T/nymserv.conf" ;;
	esac
}
for s in "${series[@]}"; do step "$s"; done	# warm-up: page cache, agent
for s in "${series[@]}"; do : >"$T/r.$s"; done
before=$(mails)
n=${#series[@]}
for i in $(seq 1 "$ROUNDS"); do
	for k in $(seq 0 $((n - 1))); do step "${series[$(((i + k) % n))]}"; done
done
delivered=$(( $(mails) - before ))
stats() {	# mean ms, median ms, max rss KB, max kids rss KB, mean cpu ms
	local med
	med=$(sed 's/^us=\([0-9]*\).*/\1/' "$1" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	awk -v med="$med" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       s += v["us"]; c += v["cpu_us"]
	       if (v["rss_kb"] + 0 > r) r = v["rss_kb"] + 0
	       if (v["kids_rss_kb"] + 0 > k) k = v["kids_rss_kb"] + 0 }
	     END { printf "%.2f %.2f %d %d %.2f", s / NR / 1000, med / 1000, r, k, c / NR / 1000 }' "$1"
}
read -r ma mda ra ka ca <<<"$(stats "$T/r.nym")"
read -r mb mdb rb _ cb <<<"$(stats "$T/r.gpg")"
read -r mv mdv _ _ cv <<<"$(stats "$T/r.ver")"
read -r mr mdr _ _ cr <<<"$(stats "$T/r.rem")"
bad=$(cat "$T"/r.* | grep -vc ' exit=0 ')
q() { echo "scale=6; $1" | bc -l; }
echo "nym delivery vs plain gpg and the floor, $ROUNDS rounds, each round runs every command once, order rotating (+1 warm-up)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  nymserv delivery: mean %7.2f ms  median %7.2f ms  %5.1f/s  cpu %6.2f ms  peak RSS nymserv %d KB, its gpg %d KB\n' \
    "$ma" "$mda" "$(q "1000 / $ma")" "$ca" "$ra" "$ka"
printf '  gpg --sign --encrypt: mean %7.2f ms  median %7.2f ms  %5.1f/s  cpu %6.2f ms  peak RSS gpg %d KB\n' \
    "$mb" "$mdb" "$(q "1000 / $mb")" "$cb" "$rb"
printf '  ratio nymserv/gpg: mean %.3f  median %.3f  cpu %.3f  (target <= 1.3)\n' \
    "$(q "$ma / $mb")" "$(q "$mda / $mdb")" "$(q "$ca / $cb")"
printf '  floor: gpg --sign --encrypt %.2f ms + gpg --version %.2f ms + remail -> sendmail %.2f ms = %.2f ms (cpu %.2f ms)\n' \
    "$mb" "$mv" "$mr" "$(q "$mb + $mv + $mr")" "$(q "$cb + $cv + $cr")"
printf 'ratio to floor: %.3f\n' "$(q "$ma / ($mb + $mv + $mr)")"
printf '  ratio to floor: mean %.3f  median %.3f  cpu %.3f  (target <= 1.2)\n' \
    "$(q "$ma / ($mb + $mv + $mr)")" "$(q "$mda / ($mdb + $mdv + $mdr)")" \
    "$(q "$ca / ($cb + $cv + $cr)")"
if [ -n "$NYM_BIN_BEFORE" ]; then
	read -r mo mdo ro _ co <<<"$(stats "$T/r.old")"
	printf '  before (%s): mean %7.2f ms  median %7.2f ms  cpu %6.2f ms  peak RSS %d KB; ratio to floor %.3f\n' \
	    "$NYM_BIN_BEFORE" "$mo" "$mdo" "$co" "$ro" "$(q "$mo / ($mb + $mv + $mr)")"
	printf '  after/before: mean %.3f  median %.3f  cpu %.3f\n' \
	    "$(q "$ma / $mo")" "$(q "$mda / $mdo")" "$(q "$ca / $co")"
fi
# Every nymserv run and every floor remail run hands one message on.
want=$((2 * ROUNDS))
[ -n "$NYM_BIN_BEFORE" ] && want=$((3 * ROUNDS))
echo "  messages handed to sendmail by remail (deliveries + floor runs): $delivered of $want; runs not exiting 0: $bad"
[ "$delivered" -ge "$want" ] && [ "$bad" = 0 ]
