#!/bin/bash
# policyd.sh - benchmark of nympolicyd: policy requests per second at 1, 10
# and 100 concurrent connections, and memory per tracked sender.
#
#   bench/policyd.sh [unix|inet]     (default unix)
#   SECONDS_PER_LEVEL=8 MEM_SENDERS=100000 bench/policyd.sh
#
# A standalone daemon on a Unix socket (or loopback TCP) with a temporary
# state (one nym, alice) and quotas set far above the load, so every
# answer is the full path: parse, unknown-nym lookup in LMDB, sender and
# host counters, "dunno".  The load comes from bench/policy-load.c (built
# here with cc): one thread, epoll, each connection in lock step as
# Postfix's smtpd is, every request a new message from a new sender and
# a new client address.  Each level gets a fresh daemon and a short
# warm-up.  Besides the wall-clock rate it prints the daemon's own CPU
# seconds (and requests per daemon CPU second), so a loaded machine shows
# as a lower rate, not a lower cost, and the client's CPU seconds, to show
# how much of the machine the load generator itself took.
# Memory: VmRSS (and RssAnon) of a fresh daemon before and after
# MEM_SENDERS distinct senders from one host, divided by the number of
# senders the daemon reports tracking (SIGUSR1 totals).  Not part of the
# test suite; takes about a minute.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-unix}
DUR=${SECONDS_PER_LEVEL:-8}
NMEM=${MEM_SENDERS:-100000}
case $MODE in unix|inet) ;; *) echo "usage: $0 [unix|inet]" >&2; exit 2;; esac

cd "$REPO" || exit 1
make -s all >/dev/null || { echo "make failed" >&2; exit 1; }
BIN=${NYM_BIN:-$REPO/bin}

T=$(mktemp -d /tmp/pb.XXXXXX) || exit 1
if [ "$(id -u)" = 0 ]; then
	RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	chown 65534:65534 "$T"
else
	RUNAS=()
fi
PID=
stop() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	PID=
}
finish() {
	stop
	[ -d "$T/s/gnupg" ] && "${RUNAS[@]}" env -i PATH=/usr/bin:/bin \
	    GNUPGHOME="$T/s/gnupg" gpgconf --kill all >/dev/null 2>&1
	rm -rf "$T"
}
trap finish EXIT
as_user() { "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C "$@"; }

cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$T/policy-load" \
    bench/policy-load.c || exit 1
LOAD=$T/policy-load

# The state: nymctl init, one nym in LMDB; quotas out of reach.
mkdir -p "$T/s" "$T/cap"
cp etc/help.txt "$T/help.txt"
cat >"$T/nymserv.conf" <<CONF
hostname = nym.test
statedir = $T/s
sendmail = /bin/true
helpfile = $T/help.txt
policy_sender_limit = 1000000
policy_host_limit = 1000000
policy_table_size = 1000000
CONF
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/s" "$T/cap"
as_user "$BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 >"$T/init.out" 2>&1 ||
    { cat "$T/init.out" >&2; exit 1; }
printf 'alice\nx\n' | as_user mdb_load -T -s nyms "$T/s/db" || exit 1

# start: a fresh daemon; sets PID and SOCK once it is listening.
start() {
	local i spec
	rm -f "$T/d.log"
	if [ "$MODE" = unix ]; then spec=unix:$T/p.sock; else spec=inet:127.0.0.1:0; fi
	(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C \
	    "$BIN/nympolicyd" -c "$T/nymserv.conf" -v -l "$spec" 2>"$T/d.log") &
	PID=$!
	SOCK=
	for i in $(seq 100); do
		if [ "$MODE" = unix ]; then
			[ -S "$T/p.sock" ] && SOCK=$spec
		else
			SOCK=$(grep -o 'listening on inet:[^ ]*' "$T/d.log" |
			    sed 's/^listening on //')
		fi
		[ -n "$SOCK" ] && return 0
		sleep 0.1
	done
	echo "nympolicyd did not start:" >&2
	cat "$T/d.log" >&2
	exit 1
}
# cpu: the daemon's user+system time so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
# field NAME: a line of /proc/PID/status, in kB.
field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$PID/status"; }
HZ=$(getconf CLK_TCK)

echo "nympolicyd benchmark ($MODE socket), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "each level: fresh daemon, 1 s warm-up, $DUR s measured; every answer must be dunno, with no internal error"
echo
printf '%-6s %9s %9s %6s %13s %10s %13s %11s\n' conns answers req/s vs_1 daemon_cpu_s req/cpu_s client_cpu_s reconnects
declare -A RATE EFF
fail=0
for c in 1 10 100; do
	start
	"$LOAD" "$SOCK" "$c" -t 1 w$c >/dev/null || { fail=1; stop; continue; }
	c0=$(cpu)
	out=$("$LOAD" "$SOCK" "$c" -t "$DUR" r$c) || { fail=1; stop; continue; }
	c1=$(cpu)
	stop
	# dunno is also the answer to an internal error: the daemon's
	# totals must show none.
	grep 'stopping:' "$T/d.log" | grep -q ' error=0;' ||
	    { echo "level $c: internal errors:" >&2; cat "$T/d.log" >&2; fail=1; }
	set -- $out
	# answers N seconds S rate R dunno D other O reconnects C cpu U
	[ "${10}" = 0 ] || { echo "level $c: ${10} answers were not dunno" >&2; fail=1; }
	cs=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
	RATE[$c]=$6
	EFF[$c]=$(awk -v n="$2" -v s="$cs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	printf '%-6s %9s %9s %6s %13s %10s %13s %11s\n' "$c" "$2" "$6" \
	    "$(awk -v r="$6" -v b="${RATE[1]:-0}" 'BEGIN { if (b > 0) printf "%.2f", r / b; else print "-" }')" \
	    "$cs" "${EFF[$c]}" "${14}" "${12}"
done
echo
if [ "$fail" = 0 ]; then
	awk -v a="${RATE[1]}" -v b="${RATE[10]}" -v c="${RATE[100]}" \
	    -v e="${EFF[1]}" -v f="${EFF[10]}" -v g="${EFF[100]}" 'BEGIN {
	    printf "ratio rate 10/1 = %.2f, 100/1 = %.2f\n", b / a, c / a
	    printf "ratio per daemon CPU second 10/1 = %.2f, 100/1 = %.2f\n", f / e, g / e }'
fi

# Memory per tracked sender.
start
"$LOAD" "$SOCK" 1 -n 10 m0 192.0.2.1 >/dev/null
sleep 0.2
rss0=$(field VmRSS) anon0=$(field RssAnon)
out=$("$LOAD" "$SOCK" 10 -n "$NMEM" m1 192.0.2.1) || fail=1
sleep 0.2
rss1=$(field VmRSS) anon1=$(field RssAnon)
kill -USR1 "$PID"
sleep 0.3
stats=$(grep 'tracked senders=' "$T/d.log" | tail -1)
stop
tracked=$(echo "$stats" | sed -n 's/.*tracked senders=\([0-9]*\).*/\1/p')
tabkib=$(echo "$stats" | sed -n 's/.*hosts=[0-9]* (\([0-9]*\) KiB).*/\1/p')
echo
echo "memory: $NMEM requests, distinct senders, one client host ($(echo "$out" | cut -d' ' -f1-2) answers)"
echo "daemon reports: tracked senders=${tracked:-?}, tables $tabkib KiB"
echo "VmRSS   before $rss0 kB, after $rss1 kB, +$((rss1 - rss0)) kB"
echo "RssAnon before $anon0 kB, after $anon1 kB, +$((anon1 - anon0)) kB"
if [ -n "$tracked" ] && [ "$tracked" -gt 0 ]; then
	awk -v d=$((rss1 - rss0)) -v a=$((anon1 - anon0)) -v n="$tracked" \
	    -v t="$tabkib" 'BEGIN {
	    printf "memory per tracked sender: %.1f bytes (VmRSS), %.1f bytes (RssAnon), table alone %.1f bytes\n",
	        d * 1024 / n, a * 1024 / n, t * 1024 / n }'
else
	fail=1
fi
exit $fail
