#!/usr/bin/env bash
# bench/recipients.sh - finding 6: the cost of a send@ request naming
# 40,000 recipients (refused: more than max_recipients) against one naming
# 20 (sent), with real gpg and LMDB.  On main the first took 13-22 s
# (duplicate removal compared every pair before the cap); now the cap
# stops the list at the 21st distinct address.  Each request is signed
# anew per round (a replay would be dropped early); the rounds alternate,
# so load from elsewhere hits both alike.  Prints medians and their ratio.
#   bench/recipients.sh              (ROUNDS=5)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
set +e
: "${ROUNDS:=5}"
setup_nyms
make_nym alice '-acksend'

python3 - "$T/m40k" "$T/m20" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: alice\n")
    for line in range(100):
        f.write("To: " + ", ".join("r%d@x.example" % (line * 400 + i)
                                   for i in range(400)) + "\n")
    f.write("Subject: to everyone\n\nbuy now\n")
with open(sys.argv[2], "w") as f:
    f.write("From: alice\nTo: " +
            ", ".join("r%d@x.example" % i for i in range(20)) +
            "\nSubject: to twenty\n\nhello\n")
PY
# one FILE ROUND: ms for one nymserv run on a freshly signed request.
one() {
	sed "s/^Subject: .*/& $2/" "$1" | nymsend -u alice >"$T/req"
	local a b
	a=$(date +%s%N)
	nymserv -f someone@client.example send <"$T/req"
	b=$(date +%s%N)
	[ "$RC" = 0 ] || { echo "nymserv exited $RC" >&2; exit 1; }
	echo $(( (b - a) / 1000000 ))
}
: >"$T/t40k"; : >"$T/t20"
for r in $(seq "$ROUNDS"); do
	one "$T/m40k" "a$r" >>"$T/t40k"
	one "$T/m20" "b$r" >>"$T/t20"
	clear_cap
done
med() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
m40=$(med "$T/t40k") m20=$(med "$T/t20")
echo "send@ with 40,000 recipients (refused): median ${m40} ms over $ROUNDS runs"
echo "send@ with 20 recipients (sent):        median ${m20} ms"
awk -v a="$m40" -v b="$m20" 'BEGIN { printf "ratio 40,000 / 20 recipients: %.2f\n", (b > 0 ? a / b : 0) }'
