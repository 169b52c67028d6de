#!/usr/bin/env bash
# bench/delivery.sh - nym deliveries per second against the same gpg work
# done by plain gpg commands, measured in one run; peak memory per run.
#
#   nymserv: one message to a nym (+cryptrecv, one reply block whose
#            outermost layer is in clear), i.e. nymserv signs with the
#            server key and encrypts to the nym key, then pipes the block
#            and the result into the local remail, which hands the mail
#            to sendmail (a script appending to a file).
#   gpg:     `gpg --sign --encrypt` of the same message with the server's
#            key to the nym's key (--recipient-file), from the server's
#            GnuPG home: the cryptographic work alone, one process.
# The two are run alternately, ROUNDS times each, under the same user and
# timer (build/*/bench/nymbench run: fork to reap, including the gpg
# processes gpgme starts).  Target: mean(nymserv) / mean(gpg) <= 1.3.
#   bench/delivery.sh                 (ROUNDS=30)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${ROUNDS:=30}"
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || make -s -C "$REPO" bench >/dev/null || exit 1
[ "$(id -u)" = 0 ] && RUNU=(-u 65534:65534) || RUNU=()

setup_state "remail = $NYM_BIN/remail -c $T/nymserv.conf" "confirm = no" \
    "daily_chunks = 1000000"
# remail hands the mail to a sendmail that only appends it to a file (the
# test suite's capture script costs several processes per message).
printf '#!/bin/sh\nexec cat >>%s/cap/out.mbox\n' "$T" >"$T/fastmail"
chmod 755 "$T/fastmail"
sed -i "s|^sendmail = .*|sendmail = $T/fastmail|" "$T/nymserv.conf"
HOMES+=("$T/s/remail-gnupg")
client_init
mkkey bench
printf '::\nAnon-To: reader@final.example\n' >"$T/block"
nymcfg -n bench -u bench -k -c create -b "$T/block" >"$T/create"
nymserv -f someone@example.org config <"$T/create"
[ "$RC" = 0 ] || { echo "bench: nym not created: $(cat "$T/out")" >&2; exit 1; }
{
	printf 'From: Bob <bob@example.org>\nTo: bench@nym.test\n'
	printf 'Subject: a benchmark\nMessage-ID: <b1@example.org>\n\n'
	for i in $(seq 1 40); do
		echo "Line $i of a short letter, about the size of an ordinary mail."
	done
} >"$T/msg"
# The baseline's inputs: the nym's public key in a file, the server key.
cgpg --armor --export bench >"$T/nymkey.asc"
chmod 644 "$T/nymkey.asc" "$T/msg"
srvfpr=$(gpg --homedir "$T/s/gnupg" --batch --with-colons --list-secret-keys 2>/dev/null |
    awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$srvfpr" ] || { echo "bench: no server key" >&2; exit 1; }

nym() {
	"$HELPER" run "${RUNU[@]}" -i "$T/msg" -- "$NYM_BIN/nymserv" \
	    -c "$T/nymserv.conf" -f bob@example.org bench | head -1
}
plain() {
	"$HELPER" run "${RUNU[@]}" -i "$T/msg" -- /usr/bin/gpg \
	    --homedir "$T/s/gnupg" --batch --quiet --no-tty --armor \
	    --trust-model always --local-user "$srvfpr" --sign --encrypt \
	    --recipient-file "$T/nymkey.asc" --output /dev/null | head -1
}
nym >/dev/null; plain >/dev/null	# warm-up: page cache, agent
mails() { grep -c "^-----END PGP MESSAGE-----$" "$T/cap/out.mbox" 2>/dev/null; }
before=$(mails)
: >"$T/A" && : >"$T/B"
for i in $(seq 1 "$ROUNDS"); do
	if [ $((i % 2)) = 0 ]; then nym >>"$T/A"; plain >>"$T/B"
	else plain >>"$T/B"; nym >>"$T/A"; fi
done
delivered=$(( $(mails) - before ))
stats() {	# mean ms, median ms, max rss KB (program), max rss KB (children)
	local med
	med=$(sed 's/^us=\([0-9]*\).*/\1/' "$1" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	awk -v med="$med" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	       s += v["us"]
	       if (v["rss_kb"] + 0 > r) r = v["rss_kb"] + 0
	       if (v["kids_rss_kb"] + 0 > k) k = v["kids_rss_kb"] + 0 }
	     END { printf "%.2f %.2f %d %d", s / NR / 1000, med / 1000, r, k }' "$1"
}
read -r ma mda ra ka <<<"$(stats "$T/A")"
read -r mb mdb rb kb <<<"$(stats "$T/B")"
bad=$(cat "$T/A" "$T/B" | grep -vc ' exit=0 ')
echo "nym delivery vs plain gpg, $ROUNDS runs each, alternating (+1 warm-up each)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  nymserv delivery: mean %7.2f ms  median %7.2f ms  %5.1f/s  peak RSS nymserv %d KB, its gpg %d KB\n' \
    "$ma" "$mda" "$(echo "1000 / $ma" | bc -l)" "$ra" "$ka"
printf '  gpg --sign --encrypt: mean %7.2f ms  median %7.2f ms  %5.1f/s  peak RSS gpg %d KB\n' \
    "$mb" "$mdb" "$(echo "1000 / $mb" | bc -l)" "$rb"
printf '  ratio nymserv/gpg: mean %.3f  median %.3f  (target <= 1.3)\n' \
    "$(echo "$ma / $mb" | bc -l)" "$(echo "$mda / $mdb" | bc -l)"
echo "  deliveries handed to sendmail by remail: $delivered of $ROUNDS; runs not exiting 0: $bad"
# The fixed costs a delivery cannot avoid in this design, for the ratio's
# floor: the remail process handing a clear block to sendmail, and the one
# `gpg --version` gpgme 1.18 runs in every process.
{ printf '::\nAnon-To: reader@final.example\n\n'
  printf -- '-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n'; } >"$T/rin"
chmod 644 "$T/rin"
part() { "$HELPER" run "${RUNU[@]}" -r "$ROUNDS" -i "$T/rin" -- "$@" |
    sed -n 's/^runs=.* mean_us=\([0-9]*\) .*/\1/p'; }
rm_us=$(part "$NYM_BIN/remail" -c "$T/nymserv.conf")
gv_us=$(part /usr/bin/gpg --version)
printf '  floor: remail + sendmail %.2f ms, gpg --version %.2f ms: (gpg + these) / gpg = %.2f\n' \
    "$(echo "$rm_us / 1000" | bc -l)" "$(echo "$gv_us / 1000" | bc -l)" \
    "$(echo "($mb * 1000 + $rm_us + $gv_us) / ($mb * 1000)" | bc -l)"
[ "$delivered" -ge "$ROUNDS" ] && [ "$bad" = 0 ]
