#!/usr/bin/env bash
# bench/soak.sh - 10,000 mixed messages through a queueing MTA (a private
# Postfix whose pipe to nymserv runs at most 4 processes at once): mail to
# nyms, config@ and send@ requests, help@, alias mail and hostile input
# (unknown nyms, unreadable config@, header bombs).  Every message carries
# a marker, so what arrived can be counted: nothing lost, nothing doubled,
# the nyms' chunk counters and the replay cache exact.  nymserv and remail
# run under `nymbench wrap`, which logs each process's peak RSS: the
# figures of the first thousand and the last thousand are printed side by
# side (flat means no leak or growth).  Root (Postfix in a namespace).
#   bench/soak.sh                     (TOTAL=10000 NYMS=20 WORKERS=4)
set -eu
. "$(dirname "$0")/../tests/lib.sh"
. "$REPO/tests/pflib.sh"
set +e
pf_namespace "$@" || exit 1
trap pf_cleanup EXIT
: "${TOTAL:=10000}" "${NYMS:=20}" "${WORKERS:=4}"
HELPER=${NYMBENCH:-$REPO/build/rel/bench/nymbench}
[ -x "$HELPER" ] || make -s -C "$REPO" bench >/dev/null || exit 1
say() { echo "soak: $*" >&2; }
start=$SECONDS

# ---- the state, set up by running nymserv directly (capture sendmail) --
setup_state "remail = $NYM_BIN/remail -c $T/nymserv.conf" "confirm = no" \
    "daily_chunks = 1000000" "alias_web_url = https://nym.test/nymreg"
client_init
mkdir -p "$T/log" && chown 65534:65534 "$T/log"
for i in $(seq 1 "$NYMS"); do
	mkkey "nym$i"
	printf '::\nAnon-To: reader%d@user.test\n' "$i" >"$T/blk-$i"
	nymcfg -n "nym$i" -u "nym$i" -k -c 'create -cryptrecv' -b "$T/blk-$i" >"$T/create"
	nymserv -f someone@user.test config <"$T/create"
	[ "$RC" = 0 ] || { say "nym$i not created: $(cat "$T/out")"; exit 1; }
done
# Two aliases, registered and confirmed by mail.
alias_reg() {	# ADDR ALIAS
	local tok
	clear_cap
	printf 'From: %s\nTo: register@nym.test\nSubject: %s\n\nplease\n' "$1" "$2" |
	    nymserv -f "$1" register
	tok=$(grep -o '^Reply-To: <register+[0-9a-f]*@' "$T/cap/1.msg" | sed 's/.*+//; s/@//')
	printf 'From: %s\nTo: register+%s@nym.test\nSubject: Re\n\nyes\n' "$1" "$tok" |
	    nymserv -f "$1" "register+$tok"
}
alias_reg aliasa@user.test ally && alias_reg aliasb@user.test bobby ||
    { say "aliases not registered"; exit 1; }
say "$NYMS nyms and 2 aliases in $((SECONDS - start)) s"

# ---- the messages: one file each, listed as "FROM TO FILE" ----------------
# The mix (per 100): 50 nym mail, 10 config@, 10 send@, 10 help@, 10 alias
# mail, 4 unknown nym, 3 unreadable config@, 3 header bombs.
mkdir -p "$T/msgs"
: >"$T/manifest"
gen() {	# I: message number I
	local i=$1 k=$(( $1 % NYMS + 1 )) f=$T/msgs/$1 c=$(( $1 % 100 ))
	if [ $c -lt 50 ]; then
		printf 'From: s%d@user.test\nTo: nym%d@nym.test\nSubject: hello\n\nsoak-nym-%d\n' "$i" "$k" "$i" >"$f"
		echo "s$i@user.test nym$k@nym.test $f"
	elif [ $c -lt 60 ]; then
		nymcfg -n "nym$k" -u "nym$k" -c "name=\"soak-cfg-$i\"" >"$f"
		echo "o$i@user.test config@nym.test $f"
	elif [ $c -lt 70 ]; then
		printf 'From: nym%d\nTo: sendee@user.test\nSubject: s\n\nsoak-send-%d\n' "$k" "$i" |
		    nymsend -u "nym$k" >"$f"
		echo "o$i@user.test send@nym.test $f"
	elif [ $c -lt 80 ]; then
		printf 'From: h%d@user.test\nTo: help@nym.test\nSubject: soak-help-%d\n\nhelp\n' "$i" "$i" >"$f"
		echo "h$i@user.test help@nym.test $f"
	elif [ $c -lt 90 ]; then
		printf 'From: aliasa@user.test\nTo: bobby@nym.test\nSubject: a\n\nsoak-alias-%d\n' "$i" >"$f"
		echo "aliasa@user.test bobby@nym.test $f"
	elif [ $c -lt 94 ]; then
		printf 'From: u%d@user.test\nTo: nosuch@nym.test\nSubject: soak-unk-%d\n\nanyone?\n' "$i" "$i" >"$f"
		echo "u$i@user.test nosuch@nym.test $f"
	elif [ $c -lt 97 ]; then
		{ printf 'From: j%d@user.test\nTo: config@nym.test\nSubject: j\n\n' "$i"
		  printf -- '-----BEGIN PGP MESSAGE-----\n\n%s\n-----END PGP MESSAGE-----\nsoak-junk-%d\n' \
		      "$(head -c 300 /dev/urandom | base64 -w 64)" "$i"; } >"$f"
		echo "j$i@user.test config@nym.test $f"
	else
		{ printf 'From: b%d@user.test\nTo: nym%d@nym.test\nSubject: soak-bomb-%d\n' "$i" "$k" "$i"
		  for j in $(seq 1 1200); do printf 'X-B%d: x\n' "$j"; done
		  printf '\nbomb\n'; } >"$f"
		echo "b$i@user.test nym$k@nym.test $f"
	fi
}
for i in $(seq 1 "$TOTAL"); do gen "$i"; done >>"$T/manifest"
say "$TOTAL messages made in $((SECONDS - start)) s"

# ---- the MTA: nym.test piped to nymserv (at most WORKERS at once) -------
W="$HELPER wrap $T/log/rss"
sed -i -e "s|^sendmail = .*|sendmail = /usr/sbin/sendmail|" \
    -e "s|^remail = .*|remail = $W $NYM_BIN/remail -c $T/nymserv.conf|" "$T/nymserv.conf"
PF_TRANSPORTS="nym.test nymserv"
PF_SERVICES="nymserv unix - n n - $WORKERS pipe user=nobody null_sender= argv=$W $NYM_BIN/nymserv -c $T/nymserv.conf -f \${sender} -- \${recipient}"
# Alias mail is remailed only when our MTA says the sender is who it
# claims: here an access table plays the SPF checker (policyd-spf, as
# tests/e2e/alias-auth.sh runs it), adding its Authentication-Results
# above Postfix's Received for the alias holder's own address only.
printf 'aliasa@user.test PREPEND Authentication-Results: nym.test; spf=pass smtp.mailfrom=aliasa@user.test\n' >"$T/spf-access"
PF_MAINCF_EXTRA="nymserv_destination_concurrency_limit = $WORKERS
header_size_limit = 1024000
smtpd_sender_restrictions = check_sender_access texthash:$T/spf-access"
pf_setup && pf_start || { say "Postfix did not start"; exit 1; }
t0=$SECONDS
/usr/bin/python3 - "$PF_PORT" "$T/manifest" <<'PY' || { say "submission failed"; exit 1; }
import smtplib, sys
port, manifest = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP("127.0.0.1", port, timeout=300)
n = 0
for line in open(manifest):
    frm, to, path = line.split()
    s.sendmail(frm, [to], open(path, "rb").read())
    n += 1
    if n % 500 == 0:
        s.quit()
        s = smtplib.SMTP("127.0.0.1", port, timeout=300)
s.quit()
PY
t1=$SECONDS
say "submitted in $((t1 - t0)) s; waiting for the queue to drain"
pf_wait_queue 7200 || say "the queue did not drain"
t2=$SECONDS

# ---- what arrived ------------------------------------------------------
# Each marker counted once per message it is in (a notice may name it
# twice).  A config@ marker is the nym's new name, so it also shows in the
# From of the nym's later mail and as the old name in the next notice: it
# counts only in a message of no other kind, and there only the newest.
grep -rHoE 'soak-[a-z]+-[0-9]+' "$PF/mail" | sort -u | awk -F: '
    { f = $1; m = $2; split(m, p, "-"); k = p[2]; n = p[3] + 0
      if (!(f in seen)) order[++nf] = f
      seen[f] = 1
      if (k == "cfg") { if (n > cfg[f]) cfg[f] = n } else { other[f] = 1; print m } }
    END { for (i = 1; i <= nf; i++) { f = order[i]
      if (!(f in other) && (f in cfg)) print "soak-cfg-" cfg[f] } }' |
    sort | uniq -c >"$T/arrived"
count() { awk -v k="soak-$1-" 'index($2, k) == 1 { n++; if ($1 > 1) d += $1 - 1 } END { printf "%d %d", n, d }' "$T/arrived"; }
expected() { awk -v c="$1" '{ split($3, p, "/"); n = p[length(p)] } { print n }' "$T/manifest" |
    awk -v lo="$2" -v hi="$3" '$1 % 100 >= lo && $1 % 100 < hi' | grep -c .; }
ok_all=1
printf 'soak: %d messages, %d nyms, %d workers; submitted in %d s, drained %d s later\n' \
    "$TOTAL" "$NYMS" "$WORKERS" $((t1 - t0)) $((t2 - t1))
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-22s %8s %8s %8s\n' kind expected arrived doubled
for kl in "nym 0 50 nym mail (to a reader)" "cfg 50 60 config@ notices" \
    "send 60 70 send@ mail" "help 70 80 help@ answers" \
    "alias 80 90 alias mail" "unk 90 94 unknown nym (DSN)" \
    "junk 94 97 bad config@ (nothing)" "bomb 97 100 header bomb (DSN)"; do
	set -- $kl
	k=$1 lo=$2 hi=$3; shift 3
	e=$(expected "$k" "$lo" "$hi")
	[ "$k" = junk ] && e=0
	read -r a d <<<"$(count "$k")"
	printf '  %-22s %8d %8d %8d\n' "$*" "$e" "$a" "$d"
	[ "$a" = "$e" ] && [ "$d" = 0 ] || ok_all=0
done
# Bounces: only the unknown nyms and the header bombs are answered with
# a DSN (a refused alias mail would be one too, and its marker counted).
ndsn=$(grep -rlE '^Content-Type: multipart/report' "$PF/mail" | wc -l)
edsn=$(( $(expected unk 90 94) + $(expected bomb 97 100) ))
echo "  delivery status notices: $ndsn (expected $edsn)"
[ "$ndsn" = "$edsn" ] || ok_all=0
left=$(pf_queue_count)
echo "  left in the queue: $left"
[ "$left" = 0 ] || ok_all=0

# Counters: per nym, its deliveries plus its sends (one recipient each),
# all on this UTC day (a run across midnight is reported, not judged).
as_user mdb_dump -p -s chunks "$T/s/db" | awk 'NR > 1 && !/^ /{next} {print}' >"$T/chunks"
cbad=0
for k in $(seq 1 "$NYMS"); do
	want=$(awk -v k="$k" -v N="$NYMS" '{ split($3, p, "/"); i = p[length(p)]; c = i % 100 }
	    i % N + 1 == k && (c < 50 || (c >= 60 && c < 70)) { n++ } END { print n + 0 }' "$T/manifest")
	got=$(awk -v key=" nym$k" '$0 == key { getline; print $2; exit }' "$T/chunks")
	[ "$got" = "$want" ] || { cbad=$((cbad + 1)); echo "  nym$k: chunks $got, expected $want"; }
done
echo "  chunk counters exact: $((NYMS - cbad)) of $NYMS nyms"
[ "$cbad" = 0 ] || ok_all=0
nreplay=$(as_user mdb_stat -s replay "$T/s/db" | awk '/Entries/ { print $2 }')
nsigned=$(( NYMS + $(expected cfg 50 60) + $(expected send 60 70) ))
echo "  replay cache entries: $nreplay (signed requests: $nsigned)"
[ "$nreplay" = "$nsigned" ] || ok_all=0
check_out=$(as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check 2>&1 | tail -1)
echo "  nymctl check: $check_out"
[ "$check_out" = "state ok" ] || ok_all=0

# Peak RSS per process: the first thousand runs against the last thousand.
for p in nymserv remail; do
	grep "^prog=$p " "$T/log/rss" | sed 's/.* rss_kb=\([0-9]*\).*/\1/' >"$T/rss.$p"
	n=$(grep -c . "$T/rss.$p")
	first=$(head -1000 "$T/rss.$p" | sort -n | awk '{ v[NR] = $1 } END { printf "median %d max %d", v[int((NR + 1) / 2)], v[NR] }')
	last=$(tail -1000 "$T/rss.$p" | sort -n | awk '{ v[NR] = $1 } END { printf "median %d max %d", v[int((NR + 1) / 2)], v[NR] }')
	echo "  peak RSS of $p ($n runs), KB: first 1000: $first; last 1000: $last"
done
# Exit statuses: refusals of hostile input are 6x, a retry is 75 (Postfix
# tries again: counted above if it lost or doubled anything); a signal
# (128+N: a crash) is a failure.
echo "  exits (status:runs): $(sed 's/.* exit=\([0-9]*\) .*/\1/' "$T/log/rss" | sort -n | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')"
crashed=$(grep -c ' exit=1[2-9][0-9] ' "$T/log/rss")
echo "  runs ended by a signal: $crashed; total $((SECONDS - start)) s"
[ "$crashed" = 0 ] || ok_all=0
[ "$ok_all" = 1 ] && echo "soak: ok" || { echo "soak: FAILED"; exit 1; }
