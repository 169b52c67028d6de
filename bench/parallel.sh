#!/usr/bin/env bash
# bench/parallel.sh - nym deliveries per second with 1, 2 and 4 parallel
# streams on one state, as ratios to one stream, beside what this machine
# itself can do in parallel, all measured in the same run:
#
#   nym      nymserv delivering to a nym (sign+encrypt, the chunk count in
#            LMDB, remail on a clear block, sendmail), as bench/delivery.sh
#   stand-in a script starting the same processes without our state: the
#            plain gpg --sign --encrypt from the server's home, then remail
#            on a clear block with the result, then the sendmail
#   spawn    fork+exec of /bin/true (process creation)
#   cpu      a pure CPU loop in one process
#
# A stream is one process running its runs one after the other
# (build/*/bench/nymbench run -r RUNS); N streams start together and the
# rate is N*RUNS over the wall time until the last ends.  Each kind is
# measured REPEAT times, the rounds interleaved, and the median taken.
# Target (issue 14): nym's 2-stream ratio within 10 % of the stand-in's.
#   bench/parallel.sh                 (RUNS=20 REPEAT=3)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${RUNS:=20}" "${REPEAT:=3}"
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || make -s -C "$REPO" bench >/dev/null || exit 1
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) || RUNU=()

# The state, the nym "bench", the letter, the nym's key and $srvfpr: the
# same as bench/delivery.sh's.
. "$REPO/bench/dsetup.sh"
# A sendmail that only keeps the mail, one file per process id: parallel
# streams never append to the same file at once.
printf '#!/bin/sh\nexec cat >>%s/cap/m.$$\n' "$T" >"$T/fastmail"
# Each stream its own message (another Message-ID): the same bytes for
# the same nym at the same time are the MTA's retry of one delivery to
# nymserv (its outbox), done once; one after the other they are new.
for i in 1 2 3 4; do
	sed "s/<b1@example.org>/<b$i@example.org>/" "$T/msg" >"$T/msg.$i"
done
cat >"$T/standin" <<EOF
#!/bin/sh
# The processes of a delivery without our state: gpg, remail, sendmail.
{ printf '::\nAnon-To: reader@final.example\n\n'
  /usr/bin/gpg --homedir $T/s/gnupg --batch --quiet --no-tty --armor \
      --trust-model always --local-user $srvfpr --sign --encrypt \
      --recipient-file $T/nymkey.asc; } | $NYM_BIN/remail -c $T/nymserv.conf
EOF
chmod 755 "$T/standin"
chmod 644 "$T"/msg.*

# The command of each kind.
cmd_nym=("$NYM_BIN/nymserv" -c "$T/nymserv.conf" -f bob@example.org bench)
cmd_standin=("$T/standin")
cmd_spawn=(/bin/true)
cmd_cpu=(/bin/sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i + 1)); done')
mails() { cat "$T"/cap/m.* 2>/dev/null | grep -c '^-----END PGP MESSAGE-----$'; }

# streams KIND N: deliveries (runs) per second of N parallel streams.
streams() {
	local kind=$1 n=$2 i t0 t1 pids=() c
	local -n cmd="cmd_$kind"
	t0=$(date +%s%N)
	for i in $(seq 1 "$n"); do
		"$HELPER" run "${RUNU[@]}" -r "$RUNS" -i "$T/msg.$i" -- "${cmd[@]}" |
		    tail -1 >"$T/sum.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s%N)
	for i in $(seq 1 "$n"); do
		# One line in $T/bad per stream with a run not exiting 0 (a
		# file: streams runs in a command substitution, a subshell).
		grep -Eq "exits=0:$RUNS( |\$)" "$T/sum.$i" ||
		    echo "$kind $n: $(cat "$T/sum.$i")" >>"$T/bad"
	done
	echo "$n $RUNS $t0 $t1" | awk '{ printf "%.3f", $1 * $2 / (($4 - $3) / 1e9) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$T/bad"
before=$(mails)
for k in nym standin spawn cpu; do streams $k 1 >/dev/null; done	# warm-up
for r in $(seq 1 "$REPEAT"); do
	for n in 1 2 4; do
		for k in nym standin spawn cpu; do
			echo "$k $n $(streams $k $n)" >>"$T/rates"
		done
	done
done
delivered=$(( $(mails) - before ))
BAD=$(wc -l <"$T/bad")
sed 's/^/  failed: /' "$T/bad" | head -5
expect=$(( (REPEAT * 7 + 1) * RUNS * 2 ))
rate() { awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$T/rates" | median; }
echo "parallel streams on one state: $RUNS runs per stream, median of $REPEAT rounds"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-9s %10s %8s %8s\n' kind "1 stream/s" "2 / 1" "4 / 1"
for k in nym standin spawn cpu; do
	r1=$(rate $k 1) r2=$(rate $k 2) r4=$(rate $k 4)
	printf '  %-9s %10.2f %8.2f %8.2f\n' "$k" "$r1" "$(echo "$r2 / $r1" | bc -l)" \
	    "$(echo "$r4 / $r1" | bc -l)"
	eval "x2_$k=$(echo "$r2 / $r1" | bc -l)"
done
printf '  nym 2-stream ratio / stand-in 2-stream ratio: %.3f (target >= 0.90)\n' \
    "$(echo "$x2_nym / $x2_standin" | bc -l)"
echo "  mails handed to sendmail: $delivered of $expect; streams with a failed run: $BAD"
[ "$BAD" = 0 ] && [ "$delivered" -ge "$expect" ]
