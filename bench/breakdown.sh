#!/usr/bin/env bash
# bench/breakdown.sh - where the time of one nym delivery goes, phase by
# phase, and what the candidate causes cost on this machine; one run.
#
# 1. Phases: ROUNDS deliveries of bench/delivery.sh's letter, each under
#    strace -f --seccomp-bpf stopping only at process events (execve,
#    clone, clone3, vfork, exit_group, wait4) and fdatasync, so the rest
#    of the run goes at full speed; the timestamps split the delivery into
#      nymserv start-up      exec of nymserv to its first child
#      gpg --version         gpgme's spawn (double fork) of gpg --version
#                            to its next spawn (gpgme does not wait for
#                            the gpg it double-forked: its exit may come
#                            later), the nym key's file, the context
#      gpg sign+encrypt      spawn (double fork) to gpg's exit
#      to the LMDB commit    reading gpg's output, the transaction's work
#      LMDB commit -> spawn  the commit's fdatasync to the remail spawn
#      remail spawn+start-up the spawn to remail's spawn of sendmail
#                            (exec, start-up, parse of the block)
#      sendmail              spawn to exit (sh + cat here)
#      remail exit           sendmail's exit to remail's
#      nymserv exit          remail's exit to nymserv's
#    Means in ms.  strace's stops add to each process event, most to a
#    spawn in the parent's memory (posix_spawn's CLONE_VM|CLONE_VFORK):
#    the "remail spawn+start-up" row is inflated by strace; part 2 and
#    bench/delivery.sh time the same without it.
# 2. Costs measured alone, interleaved (nymbench run, mean wall and cpu):
#    /bin/true; an empty program calling gpgme, lmdb and libgcrypt linked
#    against the shared libraries (full RELRO) and the same linked from
#    the .a files as the Makefile does; gpg --version; the floor's remail;
#    a refusal (unknown nym: nymserv start-up, configuration, LMDB read).
# NYM_BIN_BEFORE=DIR: the phases and costs of that build's nymserv and
# remail too, in the same rounds (before/after).
#   bench/breakdown.sh                (ROUNDS=10)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${ROUNDS:=10}" "${NYM_BIN_BEFORE:=}"
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || make -s -C "$REPO" bench >/dev/null || exit 1
command -v strace >/dev/null || { echo "bench: needs strace" >&2; exit 1; }
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) SU=(-u nobody) || RUNU=() SU=()

. "$REPO/bench/dsetup.sh"
builds=(after)
declare -A BIN CONF
BIN[after]=$NYM_BIN CONF[after]=$T/nymserv.conf
if [ -n "$NYM_BIN_BEFORE" ]; then
	builds=(before after)
	BIN[before]=$NYM_BIN_BEFORE CONF[before]=$T/before.conf
	sed "s|^remail = .*|remail = $NYM_BIN_BEFORE/remail -c $T/nymserv.conf|" \
	    "$T/nymserv.conf" >"$T/before.conf"
	chmod 644 "$T/before.conf"
fi

# phases FILE: one line of phase durations (ms) from an strace -f -ttt log.
phases() {
	awk -v ns="${2}/nymserv\"" -v rm="${2}/remail\"" -v sm="$T/fastmail\"" '
	function t() { return $2 + 0 }
	/resumed>/ { next }
	/execve\(/ && index($0, "execve(\"" ns) { P = $1; t0 = t(); next }
	/execve\("\/usr\/bin\/gpg"/ { if (index($0, "\"--version\"")) G1 = $1; else G2 = $1; next }
	/execve\(/ && index($0, "execve(\"" rm) { R = $1; trx = t(); next }
	/execve\(/ && index($0, "execve(\"" sm) { S = $1; next }
	$1 == P && /(clone|clone3|vfork)\(/ { c[++nc] = t(); next }
	$1 == P && /fdatasync\(/ { if (!ts) ts = t(); next }
	$1 == R && /(clone|clone3|vfork)\(/ { if (!trc) trc = t(); next }
	/exit_group\(/ {
		if ($1 == G1) tg1 = t(); else if ($1 == G2) tg2 = t()
		else if ($1 == S) tse = t(); else if ($1 == R) tre = t()
		else if ($1 == P) te = t()
	}
	END {
		if (!(t0 && nc >= 3 && tg1 && tg2 && ts && trx && trc && tse && tre && te)) { print "bad"; exit }
		d = 1000
		printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n",
		    (c[1] - t0) * d, (c[2] - c[1]) * d, (tg2 - c[2]) * d,
		    (ts - tg2) * d, (c[3] - ts) * d, (trc - c[3]) * d,
		    (tse - trc) * d, (tre - tse) * d, (te - tre) * d, (te - t0) * d
	}' "$1"
}
names=("nymserv start-up" "gpg --version" "gpg sign+encrypt"
    "to the LMDB commit" "LMDB commit -> spawn" "remail spawn+start-up"
    "sendmail (sh + cat)" "remail exit" "nymserv exit" "total")

# The empty programs: the libraries' start-up alone.
cat >"$T/empty.c" <<'C'
#include <gcrypt.h>
#include <gpgme.h>
#include <lmdb.h>
int main(void) { return !gpgme_check_version(NULL) + !mdb_version(0, 0, 0) + !gcry_check_version(NULL); }
C
CF=(-O2 -fPIE -fstack-protector-strong -D_FORTIFY_SOURCE=2)
LF=(-pie -Wl,-z,relro,-z,now)
cc "${CF[@]}" "${LF[@]}" -Wl,--as-needed -o "$T/empty-shared" "$T/empty.c" \
    -lgpgme -llmdb -lgcrypt -lz -lbz2 -lresolv -lm || exit 1
cc "${CF[@]}" "${LF[@]}" -o "$T/empty-static" "$T/empty.c" -Wl,-Bstatic \
    -lgpgme -lassuan -llmdb -lgcrypt -lgpg-error -lz -lbz2 -Wl,-Bdynamic \
    -lresolv -lm -lpthread || exit 1

for b in "${builds[@]}"; do : >"$T/ph.$b"; done
cost=(true shared static version)
for b in "${builds[@]}"; do cost+=("remail.$b" "refusal.$b"); done
for c in "${cost[@]}"; do : >"$T/c.$c"; done
costrun() {
	local in=/dev/null
	case $1 in
	true) set -- /bin/true ;;
	shared) set -- "$T/empty-shared" ;;
	static) set -- "$T/empty-static" ;;
	version) set -- /usr/bin/gpg --version ;;
	remail.*) in=$T/rin; set -- "${BIN[${1#remail.}]}/remail" -c "$T/nymserv.conf" ;;
	refusal.*) in=$T/msg; set -- "${BIN[${1#refusal.}]}/nymserv" \
	    -c "${CONF[${1#refusal.}]}" -f bob@example.org nobody1 ;;
	esac
	"$HELPER" run "${RUNU[@]}" -r 3 -i "$in" -- "$@" | grep '^us='
}
traced() {	# traced BUILD: one delivery under strace, its phases
	local b=$1
	strace -f --seccomp-bpf -qq -ttt -e signal=none \
	    -e trace=execve,clone,clone3,vfork,exit_group,wait4,fdatasync \
	    "${SU[@]}" -o "$T/st" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C \
	    "${BIN[$b]}/nymserv" -c "${CONF[$b]}" -f bob@example.org bench \
	    <"$T/msg" >/dev/null 2>&1 || echo "bench: a $b delivery failed" >&2
	phases "$T/st" "${BIN[$b]}" >>"$T/ph.$b"
}
for b in "${builds[@]}"; do traced "$b" >/dev/null; : >"$T/ph.$b"; done	# warm-up
for i in $(seq 1 "$ROUNDS"); do
	for b in "${builds[@]}"; do traced "$b"; done
	for c in "${cost[@]}"; do costrun "$c" >>"$T/c.$c"; done
	builds=("${builds[@]:1}" "${builds[0]}")	# rotate the order
done
builds=(after)
[ -n "$NYM_BIN_BEFORE" ] && builds=(before after)

echo "one nym delivery, phase by phase: mean ms of $ROUNDS deliveries per build (strace -f, process events only)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
bad=0
for b in "${builds[@]}"; do
	nb=$(grep -c '^bad' "$T/ph.$b")
	[ "$nb" = 0 ] || { echo "  $b: $nb traces could not be split" >&2; bad=1; }
	grep -v '^bad' "$T/ph.$b" | awk '{ for (i = 1; i <= NF; i++) s[i] += $i; n++ }
	    END { for (i = 1; i <= 10; i++) printf "%.2f ", s[i] / n; print "" }' >"$T/m.$b"
done
printf '  %-24s' "phase"; for b in "${builds[@]}"; do printf ' %9s' "$b"; done
[ ${#builds[@]} = 2 ] && printf ' %9s' "after/before"
echo
for i in $(seq 0 9); do
	printf '  %-24s' "${names[$i]}"
	for b in "${builds[@]}"; do printf ' %9s' "$(cut -d' ' -f$((i + 1)) "$T/m.$b")"; done
	if [ ${#builds[@]} = 2 ]; then
		x=$(cut -d' ' -f$((i + 1)) "$T/m.before") y=$(cut -d' ' -f$((i + 1)) "$T/m.after")
		printf ' %9s' "$(echo "$x > 0" | bc -l | grep -q 1 && printf '%.3f' "$(echo "$y / $x" | bc -l)")"
	fi
	echo
done
echo "costs measured alone, $((3 * ROUNDS)) runs each, interleaved: mean wall ms, mean cpu ms (user+system, children included)"
label() {
	case $1 in
	true) echo "/bin/true" ;;
	shared) echo "empty program, shared libraries (full RELRO)" ;;
	static) echo "empty program, libraries from the .a files" ;;
	version) echo "gpg --version" ;;
	remail.*) echo "remail -> sendmail, clear block (${1#remail.})" ;;
	refusal.*) echo "nymserv refusal, unknown nym (${1#refusal.})" ;;
	esac
}
for c in "${cost[@]}"; do
	awk -v c="$(label "$c")" -v r="$c" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	    w += v["us"]; u += v["cpu_us"]; n++; if (v["exit"] != 0 && r !~ /^refusal/) bad++ }
	    END { printf "  %-46s %8.2f %8.2f%s\n", c, w / n / 1000, u / n / 1000, bad ? "  (" bad " runs failed)" : "" }' "$T/c.$c"
done
exit $bad
