# policyd.sh - nympolicyd end to end: the Postfix policy protocol in spawn
# and socket modes, its caps, quotas under a flood from a second process,
# recovery by decay, recipient limits, unknown nyms against a real LMDB
# state, the sender-domain check against a fake DNS server on loopback.
. "$(dirname "$0")/../lib.sh"
PC=$REPO/tests/policy-client
# The quotas are checked for exact counts with a half-life of an hour: a
# flood would have to take minutes before decay let one more through, so
# no count depends on how fast the machine is.  Recovery by decay is
# checked on a second daemon with a 1 s half-life by waiting until the
# deferred client passes again.  The decay itself, against a given clock,
# is test_ratetab's.
HALF=3600
setup_state "policy_half_life = $HALF" "policy_sender_limit = 5" \
    "policy_host_limit = 10"
sed 's/^policy_half_life = .*/policy_half_life = 1/' "$T/nymserv.conf" >"$T/decay.conf"
check "state made by nymctl init" state_dump meta >/dev/null

# Nyms and aliases in the real LMDB state: through config@ when the
# account helpers are there (make_nym), else written with mdb_load.
add_names() {
	printf 'alice\nx\n' | state_load nyms &&
	    printf 'carol\nowner@example.org\n' | state_load aliases &&
	    printf 'owner@example.org\ncarol\n' | state_load addrs &&
	    { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >/dev/null ||
	    [ $? = 3 ]; }	# 3: the stand-in records do not decode
	# (written behind nymserv's back: the owner's check publishes them)
}
check "nym alice and alias carol in the state" add_names

PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	cleanup
}
trap stop_all EXIT

# req SENDER RCPT [CLIENT] [INSTANCE]: one RCPT-time request.  SENDER
# "-" and no CLIENT: a random one, to keep clear of the quotas.
req() {
	local s=$1
	[ "$s" = - ] && s=s$RANDOM$RANDOM@x.example
	set -- "$s" "$2" "${3:-10.$((RANDOM % 256)).$((RANDOM % 256)).$((RANDOM % 256))}" "${4:-}"
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\nhelo_name=h\nsender=%s\nrecipient=%s\nrecipient_count=0\ninstance=%s\nsize=0\n\n' \
	    "${3:-192.0.2.1}" "$1" "$2" "${4:-i$RANDOM}"
}
spawn() { as_user "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -s "$@"; }
# start NAME ARGS...: a standalone daemon; waits until its socket is there.
start() {
	local name=$1 i; shift
	# exec: $! is the daemon itself, so signals reach it.
	(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C \
	    "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -v "$@" \
	    2>"$T/$name.log") &
	PID=$!
	PIDS+=("$PID")
}
wait_for() { wait_until test -e "$1"; }
# ask SOCK < request: the answer's action line(s), one per request.
ask() { "$PC" raw "$@" | grep '^action=' ; }

# --- spawn(8) mode: stdin/stdout, one client, exit at EOF ---
out=$(req - alice@nym.test | spawn)
check "spawn: known nym -> action=dunno and an empty line" \
    [ "$out" = "action=dunno" ]
check "spawn: the answer ends with an empty line" \
    bash -c "[ \"\$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\n\n' | setpriv --reuid=65534 --regid=65534 --clear-groups -- $NYM_BIN/nympolicyd -c $T/nymserv.conf -s 2>/dev/null | od -An -c | tr -d ' \n')\" = 'action=dunno\n\n' ] || [ \"\$(id -u)\" != 0 ]"
out=$({ req - alice@nym.test; req - bob@nym.test;
    req - config@nym.test; } | spawn)
check "spawn: three pipelined requests, three answers in order" \
    [ "$out" = "$(printf 'action=dunno\n\naction=reject 5.1.1 No such user here\n\naction=dunno\n\n')" ]
req - alice@nym.test | spawn >/dev/null
check "spawn: exits 0 at end of input" [ $? = 0 ]
out=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\n' | spawn)
check "spawn: a partial request at EOF gets no answer" [ -z "$out" ]
out=$(req - alice@nym.test | as_user "$NYM_BIN/nympolicyd" -c /nonexistent -s 2>&1)
check "missing configuration: exit 1, nothing answered" [ $? = 1 ]
if [ "$(id -u)" = 0 ]; then
	"$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -s </dev/null 2>/dev/null
	check "refuses to run as root" [ $? = 1 ]
fi
"$NYM_BIN/nympolicyd" -s -l unix:/x 2>/dev/null
check "usage error: exit 2" [ $? = 2 ]

# --- socket mode ---
S=$T/p.sock
start main -l "unix:$S"
MAIN=$PID
check "socket mode: the socket appears (ready signal)" wait_for "$S"
U=unix:$S
check "socket: well-formed request -> dunno" \
    [ "$(req - alice@nym.test | ask $U)" = "action=dunno" ]
check "socket: unknown nym -> reject 5.1.1" \
    [ "$(req - bob@nym.test | ask $U)" = "action=reject 5.1.1 No such user here" ]
check "socket: alias from its owner's address -> dunno" \
    [ "$(req owner@Example.ORG carol@nym.test | ask $U)" = "action=dunno" ]
# Issue 22, stumble 12: no bounce to a forgeable sender later.
check "socket: alias from an address without one -> reject 5.7.1 at RCPT" \
    [ "$(req - carol@nym.test | ask $U)" = "action=reject 5.7.1 The sender has no alias here: register an alias for your address first" ]
check "socket: alias from the null sender -> reject 5.7.1" \
    [ "$(req '' carol@nym.test | ask $U)" = "action=reject 5.7.1 The sender has no alias here: register an alias for your address first" ]
for a in config send help list used confirm+0a1b2c3d remailer postmaster \
    alice+tag; do
	check "socket: $a@nym.test passes" \
	    [ "$(req - "$a@nym.test" | ask $U)" = "action=dunno" ]
done
check "socket: other domains are not ours -> dunno" \
    [ "$(req - bob@elsewhere.example | ask $U)" = "action=dunno" ]
check "socket: missing attributes -> dunno" \
    [ "$(printf 'request=smtpd_access_policy\n\n' | ask $U)" = "action=dunno" ]
check "socket: not a policy request -> dunno (policy_on_error)" \
    [ "$(printf 'request=other\nprotocol_state=RCPT\nrecipient=bob@nym.test\n\n' | ask $U)" = "action=dunno" ]
out=$({ printf 'garbage line\n\n'; req - bob@nym.test; } | ask $U)
check "socket: a line without '=' -> dunno, connection goes on" \
    [ "$out" = "$(printf 'action=dunno\naction=reject 5.1.1 No such user here')" ]
out=$(printf 'request=smtpd_access_policy\r\nprotocol_state=RCPT\r\nrecipient=bob@nym.test\r\n\r\n' | ask $U)
check "socket: CRLF line ends accepted" \
    [ "$out" = "action=reject 5.1.1 No such user here" ]
out=$({ for i in 1 2 3 4 5 6 7; do req - alice@nym.test 192.0.2.77 msg1; done;
    req - alice@nym.test 192.0.2.77 msg2; } | ask $U)
check "socket: 8 pipelined requests, 8 answers" [ "$(echo "$out" | wc -l)" = 8 ]
check "socket: recipients 1-5 of one message pass" \
    [ "$(echo "$out" | head -5 | grep -c '^action=dunno$')" = 5 ]
check "socket: recipients 6 and 7 -> defer_if_permit 4.5.3" \
    [ "$(echo "$out" | sed -n 6,7p | grep -c '^action=defer_if_permit 4.5.3 ')" = 2 ]
check "socket: the next message starts again" \
    [ "$(echo "$out" | tail -1)" = "action=dunno" ]
long=$(head -c 2000 /dev/zero | tr '\0' x)
out=$({ req - alice@nym.test; printf 'request=smtpd_access_policy\nsender=%s\n\n' "$long"; } | "$PC" raw $U)
check "socket: over-long line -> connection closed, earlier answer kept" \
    [ "$out" = "$(printf 'action=dunno\n\n')" ]
out=$({ printf 'request=smtpd_access_policy\n'; for i in $(seq 150); do printf 'a%d=1\n' $i; done; printf '\n'; } | "$PC" raw $U)
check "socket: too many attributes -> closed without an answer" [ -z "$out" ]
check "socket: the daemon still serves" \
    [ "$(req - alice@nym.test | ask $U)" = "action=dunno" ]

# --- the flood: a second process floods from one host, another passes ---
"$PC" load $U 203.0.113.66 "flood%d@spam.example" 300 10 >"$T/flood.out" &
FL=$!
"$PC" load $U 198.51.100.7 "friend%d@good.example" 8 2 >"$T/good.out"
wait $FL
passed=$(awk '$1=="dunno"{print $2}' "$T/flood.out")
deferred=$(awk '$1=="defer_if_permit" && $2=="4.7.1"{print $3}' "$T/flood.out")
check "flood from one host: exactly the host limit (10) of 300 pass (${passed:-0} passed, ${deferred:-0} deferred 4.7.1)" \
    [ "${passed:-0}" = 10 -a "${deferred:-0}" = 290 ]
check "meanwhile another host's 8 messages all pass" \
    [ "$(cat "$T/good.out")" = "dunno 8" ]
"$PC" load $U 192.0.2.200 "same@spam.example" 40 4 >"$T/snd.out"
check "one sender from many connections: 5 pass, 35 deferred 4.7.1" \
    [ "$(cat "$T/snd.out")" = "$(printf 'defer_if_permit 4.7.1 35\ndunno 5')" ]

# --- recovery by decay (half-life 1 s): a flooding host and sender are
# deferred, and pass again once their counts have decayed.  Flooded until
# a deferral is seen, then asked until one passes: no time is assumed. ---
start decay -l "unix:$T/decay.sock" -c "$T/decay.conf"
DECAY=$PID
wait_for "$T/decay.sock"
D=unix:$T/decay.sock
flooded() {	# HOST SENDER-FORMAT: flood until one request is deferred
	local r
	for r in $(seq 1 20); do
		"$PC" load $D "$1" "$2" 100 4 >"$T/decay.out"
		grep -q '^defer_if_permit 4.7.1 ' "$T/decay.out" && return 0
	done
	return 1
}
passes() { [ "$("$PC" load $D "$1" "$2" 1 1)" = "dunno 1" ]; }
check "decay: a flooding host is deferred" flooded 203.0.113.99 "d%d@spam.example"
check "decay: ... and passes again once its count decayed" \
    wait_until passes 203.0.113.99 "later@spam.example"
check "decay: a flooding sender is deferred" flooded 192.0.2.201 "same@decay.example"
check "decay: ... and passes again once its count decayed" \
    wait_until passes 192.0.2.250 "same@decay.example"
kill -TERM $DECAY; wait $DECAY

# --- the connection cap: with two connections open, a third waits (the
# daemon's own count says so) and is served once one of them closes. ---
start capped -n 2 -l "unix:$T/c.sock"
CAP=$PID
wait_for "$T/c.sock"
# stats_say TEXT: the daemon's statistics line, asked for now, holds TEXT.
# The count of lines is taken afresh on every turn of the wait (a count
# expanded once, as an argument, would wait for ever on a line written
# before it was taken).
stats_lines() { grep -c 'statistics: ' "$T/capped.log"; }
stats_more() { [ "$(stats_lines)" -gt "$1" ]; }
stats_say() {
	local n
	n=$(stats_lines)
	kill -USR1 $CAP
	wait_until stats_more "$n" &&
	    grep 'statistics: ' "$T/capped.log" | tail -1 | grep -q "$1"
}
"$PC" hold unix:$T/c.sock 3600 & H1=$!
"$PC" hold unix:$T/c.sock 3600 & H2=$!
check "connection cap: two clients connected" \
    wait_until stats_say 'connections open=2 accepted=2 '
# The client touches $T/third.sent once its connect returned and its
# request is written: from then on it waits in the daemon's listen queue.
req - alice@nym.test | POLICY_CLIENT_SENT=$T/third.sent \
    "$PC" raw unix:$T/c.sock 600 >"$T/third.out" & H3=$!
wait_for "$T/third.sent"
# Asked twice: the second answer comes from a turn of the event loop that
# began after the third connection was queued (an accept would show).
still_two() {
	stats_say 'connections open=2 accepted=2 ' &&
	    stats_say 'connections open=2 accepted=2 '
}
check "connection cap: a third client waits while two are open (not accepted)" \
    still_two
check "... and got no answer" [ ! -s "$T/third.out" ]
kill $H1; wait $H1 2>/dev/null
wait $H3
check "connection cap: served once one of the others closed" \
    [ "$(grep '^action=' "$T/third.out")" = "action=dunno" ]
kill $H2; wait $H2 2>/dev/null
kill -TERM $CAP; wait $CAP

# --- loopback TCP ---
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start tcp -l "inet:127.0.0.1:$PORT"
TCP=$PID
wait_until grep -q "listening on inet:127.0.0.1:$PORT" "$T/tcp.log"
check "loopback TCP: unknown nym -> reject 5.1.1" \
    [ "$(req - bob@nym.test | ask inet:127.0.0.1:$PORT)" = "action=reject 5.1.1 No such user here" ]
kill -TERM $TCP; wait $TCP
as_user "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -l inet:0.0.0.0:$PORT 2>"$T/any.log"
check "a non-loopback TCP address is refused" \
    [ $? = 1 ] && grep -q 'not a loopback' "$T/any.log"

# --- SIGTERM: clean stop, socket removed ---
kill -TERM $MAIN
wait $MAIN
check "SIGTERM: exit 0" [ $? = 0 ]
check "SIGTERM: socket removed" [ ! -e "$S" ]
check "no address of anyone in the daemon's log" \
    bash -c "! grep -h '@' '$T'/main.log '$T'/tcp.log '$T'/capped.log"
check "the log holds only totals" grep -q 'stopping: answers dunno=' "$T/main.log"
start again -l "unix:$S"
AG=$PID
wait_for "$S"
"$PC" load $U 203.0.113.66 "fresh%d@spam.example" 5 1 >"$T/fresh.out"
check "statistics are in memory only: a restart forgets them" \
    [ "$(cat "$T/fresh.out")" = "dunno 5" ]
kill -TERM $AG; wait $AG
if [ -z "${PGDB:-}" ]; then
	check "nothing written to the state directory" \
	    bash -c "[ -z \"\$(find '$T/s/db' -newer '$T/fresh.out')\" ]"
fi

# --- the sender-domain check against a fake DNS server on loopback ---
"$REPO/tests/fake-dns" "$T/dns.port" & PIDS+=($!)
wait_for "$T/dns.port"
cat >>"$T/nymserv.conf" <<CONF
policy_dns_check = yes
policy_dns_server = 127.0.0.1:$(cat "$T/dns.port")
CONF
dnscase() {	# MODE DOMAIN EXPECTED
	local out
	if [ "$1" = spawn ]; then
		out=$(req "u@$2" alice@nym.test | spawn | grep '^action=')
	else
		out=$(req "u@$2" alice@nym.test | ask unix:$T/d.sock)
	fi
	case "$out" in "action=$3"*) ok "dns $1: $2 -> $3" ;;
	*) notok "dns $1: $2 -> $3 (got '$out')" ;; esac
}
for m in spawn socket; do
	if [ $m = socket ]; then
		start dns -l "unix:$T/d.sock"
		DNSD=$PID
		wait_for "$T/d.sock"
	fi
	dnscase $m mx.test dunno
	dnscase $m a.test dunno
	dnscase $m v6.test dunno
	dnscase $m nx.test "reject 5.1.8"
	dnscase $m nullmx.test "reject 5.1.8"
	dnscase $m empty.test "reject 5.1.8"
	dnscase $m fail.test "defer_if_permit 4.1.8"
done
n=$(grep -c '^mx.test ' "$T/dns.port.log")
check "dns: answers cached per daemon (mx.test asked $n times for 2 runs)" [ "$n" = 2 ]
check "dns: unknown nym rejected without a DNS query" \
    [ "$(req u@other.test bob@nym.test | ask unix:$T/d.sock)" = "action=reject 5.1.1 No such user here" ] &&
    ! grep -q '^other.test' "$T/dns.port.log"
kill -TERM $DNSD; wait $DNSD
check "no sanitizer report from any daemon" \
    bash -c "! grep -l 'Sanitizer\|runtime error' '$T'/*.log"
