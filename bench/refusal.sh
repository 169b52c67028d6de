#!/usr/bin/env bash
# bench/refusal.sh - the refusal paths of nymserv (unknown nym: 5.1.1,
# disabled nym: 5.2.1) start no gpg process and cost at most 3x an exec
# of /bin/true; peak memory of one nymserv run for those paths and for
# one config@ modify.  Everything measured in one run by
# build/*/bench/nymbench (fork to reap; max RSS from wait4, which
# includes the children nymserv waited for, i.e. gpg).
# NYM_BIN_BEFORE=DIR times that build's nymserv on the same refusals in
# the same slices (before/after in one run).
#   bench/refusal.sh                 (REPS=200 per command, in 10 slices)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${REPS:=200}" "${NYM_BIN_BEFORE:=}"
DATA=${NYM_DATA:-$REPO/../shared/data}
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || { echo "build the helper first: make bench" >&2; exit 1; }
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) || RUNU=()
setup_state "remail = $T/capture-sendmail $T/rem" "confirm = no"
mkdir -p "$T/rem" && [ "$(id -u)" = 0 ] && chown 65534:65534 "$T/rem"
as_user "$HELPER" populate "$T/nymserv.conf" "$DATA/nymkeys-20000.pgp" 1 1000 >/dev/null &&
as_user "$HELPER" populate "$T/nymserv.conf" "$DATA/nymkeys-20000.pgp" 1001 1001 0x42 >/dev/null ||
    { echo "populate failed" >&2; exit 1; }
MSG=$REPO/tests/data/help-normal.eml
fail=0

# The exit statuses and reply lines, once each.
nymserv -f sender@example.org nobody1 <"$MSG"
echo "unknown nym:  exit $RC, $(head -1 "$T/out")"
[ "$RC" = 67 ] && grep -q '^5\.1\.1' "$T/out" || fail=1
nymserv -f sender@example.org nym1001 <"$MSG"
echo "disabled nym: exit $RC, $(head -1 "$T/out")"
[ "$RC" = 69 ] && grep -q '^5\.2\.1' "$T/out" || fail=1

# Proof 1: strace sees no execve other than nymserv's own.
if command -v strace >/dev/null; then
	for who in nobody1 nym1001; do
		strace -f -qq -e trace=execve,clone,clone3,fork,vfork \
		    ${RUNU:+-u nobody} -o "$T/strace-$who" \
		    env -i PATH=/usr/bin:/bin "$NYM_BIN/nymserv" -c "$T/nymserv.conf" \
		    -f sender@example.org "$who" <"$MSG" >/dev/null 2>&1
		ex=$(grep -c 'execve(' "$T/strace-$who")
		fk=$(grep -cE 'clone\(|clone3\(|fork\(' "$T/strace-$who")
		gp=$(grep -cE 'execve\("[^"]*gpg' "$T/strace-$who")
		echo "strace -f, $who: $ex execve (env, nymserv), $fk process/thread creations, $gp of gpg*"
		[ "$gp" = 0 ] && [ "$fk" = 0 ] || fail=1
	done
else
	echo "strace not installed: proof 1 skipped"
fi
# Proof 2: with an empty GnuPG home nobody may read, the refusals are
# unchanged while a delivery (which needs gpg) fails temporarily.
mkdir -m 000 "$T/nohome"
cp "$T/nymserv.conf" "$T/nohome.conf"
echo "gnupghome = $T/nohome" >>"$T/nohome.conf"
run_conf() { as_user "$NYM_BIN/nymserv" -c "$T/nohome.conf" -f sender@example.org "$1" <"$MSG" >/dev/null 2>&1; echo $?; }
r1=$(run_conf nobody1) r2=$(run_conf nym1001) r3=$(run_conf nym1)
echo "unreadable empty GnuPG home: unknown exit $r1, disabled exit $r2; a delivery to nym1 exit $r3"
[ "$r1" = 67 ] && [ "$r2" = 69 ] && [ "$r3" = 75 ] || fail=1

# Timing, interleaved in slices so that load from elsewhere hits all alike.
: >"$T/true" && : >"$T/unk" && : >"$T/dis" && : >"$T/unk0" && : >"$T/dis0"
per=$((REPS / 10))
for s in $(seq 10); do
	"$HELPER" run "${RUNU[@]}" -r "$per" -i "$MSG" -- /bin/true | grep '^us=' >>"$T/true"
	"$HELPER" run "${RUNU[@]}" -r "$per" -i "$MSG" -- "$NYM_BIN/nymserv" \
	    -c "$T/nymserv.conf" -f sender@example.org nobody1 | grep '^us=' >>"$T/unk"
	"$HELPER" run "${RUNU[@]}" -r "$per" -i "$MSG" -- "$NYM_BIN/nymserv" \
	    -c "$T/nymserv.conf" -f sender@example.org nym1001 | grep '^us=' >>"$T/dis"
	[ -n "$NYM_BIN_BEFORE" ] || continue
	"$HELPER" run "${RUNU[@]}" -r "$per" -i "$MSG" -- "$NYM_BIN_BEFORE/nymserv" \
	    -c "$T/nymserv.conf" -f sender@example.org nobody1 | grep '^us=' >>"$T/unk0"
	"$HELPER" run "${RUNU[@]}" -r "$per" -i "$MSG" -- "$NYM_BIN_BEFORE/nymserv" \
	    -c "$T/nymserv.conf" -f sender@example.org nym1001 | grep '^us=' >>"$T/dis0"
done
# One config@ modify (signed by nym1) for its peak memory and time.
client_init
cgpg --import "$DATA/nymkeys-secret-1-20.pgp"
nymcfg -n nym1 -u "<nym1@nym.example.org>" -c +acksend >"$T/req"
"$HELPER" run "${RUNU[@]}" -i "$T/req" -- "$NYM_BIN/nymserv" -c "$T/nymserv.conf" \
    -f someone@anywhere.example config | grep '^us=' >"$T/mod"
[ "$(count_in "$T/rem")" = 1 ] || { echo "the modify made no notice" >&2; fail=1; }

stats() {	# mean ms, median ms, max rss kB, max gpg rss kB, gpg runs, exits
	sed 's/[a-z_]*=//g' "$1" | sort -n |
	    awk '{v[NR]=$1; s+=$1; if ($2 > r) r = $2; e[$3]++; k+=$4; if ($5 > kr) kr = $5}
	         END {ex=""; for (x in e) ex=ex x ":" e[x] " ";
	              printf "%.3f %.3f %d %d %d %s", s/NR/1000, v[int((NR+1)/2)]/1000, r, kr, k, ex}'
}
read -r mt mdt rt _ kt et <<<"$(stats "$T/true")"
read -r mu mdu ru _ ku eu <<<"$(stats "$T/unk")"
read -r md mdd rd _ kd ed <<<"$(stats "$T/dis")"
read -r mm _ rm km kn em <<<"$(stats "$T/mod")"
printf '%-22s %9s %9s %10s %12s  %s\n' "" "mean ms" "median ms" "maxRSS kB" "gpg procs" "exits"
printf '%-22s %9.3f %9.3f %10d %12d  %s\n' "/bin/true" "$mt" "$mdt" "$rt" "$kt" "$et"
printf '%-22s %9.3f %9.3f %10d %12d  %s\n' "unknown nym (5.1.1)" "$mu" "$mdu" "$ru" "$ku" "$eu"
printf '%-22s %9.3f %9.3f %10d %12d  %s\n' "disabled nym (5.2.1)" "$md" "$mdd" "$rd" "$kd" "$ed"
printf '%-22s %9.3f %9s %10d %12d  %s\n' "config@ modify" "$mm" "-" "$rm" "$kn" "$em"
echo "  (config@ modify: its gpg processes peaked at $km kB RSS, the largest one)"
r() { echo "scale=3; $1 / $2" | bc | sed 's/^\./0./'; }
echo "time ratios to /bin/true (target <= 3): unknown $(r "$mu" "$mt") (medians $(r "$mdu" "$mdt")), disabled $(r "$md" "$mt") (medians $(r "$mdd" "$mdt"))"
echo "peak memory: unknown/modify(nymserv) $(r "$ru" "$rm"), unknown/modify(largest gpg) $(r "$ru" "$km"), unknown//bin/true $(r "$ru" "$rt"), disabled/unknown $(r "$rd" "$ru")"
if [ -n "$NYM_BIN_BEFORE" ]; then
	read -r mu0 mdu0 _ _ _ _ <<<"$(stats "$T/unk0")"
	read -r md0 mdd0 _ _ _ _ <<<"$(stats "$T/dis0")"
	cpu() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^cpu_us=/) { split($i, kv, "="); s += kv[2] } } END { printf "%.3f", s / NR / 1000 }' "$1"; }
	echo "before ($NYM_BIN_BEFORE), same slices: unknown mean $mu0 ms (cpu $(cpu "$T/unk0")), disabled mean $md0 ms (cpu $(cpu "$T/dis0"))"
	echo "after/before: unknown $(r "$mu" "$mu0") (medians $(r "$mdu" "$mdu0"), cpu $(r "$(cpu "$T/unk")" "$(cpu "$T/unk0")")), disabled $(r "$md" "$md0") (medians $(r "$mdd" "$mdd0"), cpu $(r "$(cpu "$T/dis")" "$(cpu "$T/dis0")"))"
fi
[ "$eu" = "67:$REPS" ] && [ "$ed" = "69:$REPS" ] && [ "$ku" = 0 ] && [ "$kd" = 0 ] || fail=1
exit $fail
