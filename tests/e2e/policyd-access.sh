# policyd-access.sh - two "also seen" items of the review, against real
# daemons: nympolicyd's socket was world-writable (mode 0666: any local
# user could push a sender over quota or probe names); its DNS check ran
# in one resolver thread, so one slow domain deferred everyone.  The
# slow name server is tests/fake-dns holding *.slow.test unanswered until
# the test releases it, so nothing here waits on a clock.
. "$(dirname "$0")/../lib.sh"
PC=$REPO/tests/policy-client
setup_state
# The nym alice, written behind nymserv's back; nymctl check publishes
# it in the public view nympolicyd reads (3: the stand-in does not decode).
printf 'alice\nx\n' | state_load nyms
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >/dev/null
rc=$?
check "nym alice in the state and the public view" [ "$rc" = 0 -o "$rc" = 3 ]
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	cleanup
}
trap stop_all EXIT
req() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\nsender=%s\nrecipient=%s\ninstance=i%s\n\n' \
	    "${3:-192.0.2.$((RANDOM % 200 + 1))}" "$1" "$2" "$RANDOM$RANDOM"
}
# start NAME [setpriv args --] ARGS...: a daemon as the unprivileged user.
start() {
	local name=$1; shift
	(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C \
	    "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -v "$@" \
	    2>"$T/$name.log") &
	PID=$!
	PIDS+=("$PID")
}
wait_for() {
	wait_until test -e "$1"
}
wait_grep() {	# PATTERN FILE: wait until the file holds a matching line
	wait_until grep -q "$1" "$2"
}
ask() { "$PC" raw "$@" | grep '^action='; }

# --- the socket's mode and group ---
if [ "$(id -u)" = 0 ]; then
	start m -l "unix:$T/m.sock"
	M=$PID
	wait_for "$T/m.sock"
	check "socket: default mode 0660, not world-writable (was 0666)" \
	    [ "$(stat -c %a "$T/m.sock")" = 660 ]
	# Another local user (uid 65533, not in the daemon's group).
	out=$(req s@x.example bob@nym.test | setpriv --reuid=65533 --regid=65533 \
	    --clear-groups -- "$PC" raw "unix:$T/m.sock" 2>&1)
	check "socket: another local user cannot connect (no answer, no probing of names)" \
	    bash -c "! printf '%s' \"\$1\" | grep -q '^action='" _ "$out"
	check "socket: the daemon's own user still can" \
	    [ "$(req s@x.example bob@nym.test | as_user "$PC" raw "unix:$T/m.sock" | grep '^action=')" = "action=reject 5.1.1 No such user here" ]
	kill -TERM "$M"; wait "$M"
	# -g GROUP: the group smtpd is in (here gid 4711), the daemon a member.
	(exec setpriv --reuid=65534 --regid=65534 --groups=4711 -- env -i \
	    PATH=/usr/bin:/bin "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" \
	    -g 4711 -l "unix:$T/g.sock" 2>"$T/g.log") &
	G=$!
	PIDS+=("$G")
	wait_for "$T/g.sock"
	check "socket -g 4711: group 4711, mode 0660" \
	    [ "$(stat -c '%g %a' "$T/g.sock")" = "4711 660" ]
	check "socket -g: a member of the group (smtpd) is answered" \
	    [ "$(req s@x.example bob@nym.test | setpriv --reuid=65533 --regid=65533 --groups=4711 -- "$PC" raw "unix:$T/g.sock" | grep '^action=')" = "action=reject 5.1.1 No such user here" ]
	out=$(req s@x.example bob@nym.test | setpriv --reuid=65533 --regid=65533 \
	    --clear-groups -- "$PC" raw "unix:$T/g.sock" 2>&1)
	check "socket -g: a non-member is not" \
	    bash -c "! printf '%s' \"\$1\" | grep -q '^action='" _ "$out"
	kill -TERM "$G"; wait "$G"
	as_user "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -g 4711 \
	    -l "unix:$T/x.sock" 2>"$T/x.log"
	check "socket -g GROUP the daemon is not in: refused at start (exit 1)" \
	    [ $? = 1 -a ! -e "$T/x.sock" ]
	as_user "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -g no-such-group-x \
	    -l "unix:$T/x.sock" 2>/dev/null
	check "socket -g with an unknown group: usage (exit 2)" [ $? = 2 ]
else
	skip "socket modes and groups need root (other uids and groups)"
fi

# --- DNS: one slow domain does not defer everyone ---
"$REPO/tests/fake-dns" "$T/dns.port" & PIDS+=($!)
wait_for "$T/dns.port"
cat >>"$T/nymserv.conf" <<CONF
policy_dns_check = yes
policy_dns_server = 127.0.0.1:$(cat "$T/dns.port")
CONF
# A per-try timeout long enough that the held lookups never time out
# before the release (unless a run on main, which knows no such key).
[ -z "${NYM_TEST_MAIN:-}" ] && echo 'policy_dns_timeout = 30' >>"$T/nymserv.conf"
start dns -l "unix:$T/d.sock"
D=$PID
wait_for "$T/d.sock"
U=unix:$T/d.sock
for i in 1 2 3; do
	req "u@s$i.slow.test" alice@nym.test | "$PC" raw "$U" 120 >"$T/slow$i.out" &
	PIDS+=($!)
	SL[$i]=$!
done
for i in 1 2 3; do
	check "dns: the lookup of s$i.slow.test reached the slow server" \
	    wait_grep "^s$i.slow.test " "$T/dns.port.log"
done
fast=$(req u@mx.test alice@nym.test | "$PC" raw "$U" 60 | grep '^action=')
notyet=$(cat "$T"/slow[123].out)
check "dns: a sender at a fast domain is answered while three slow lookups are held (got '$fast')" \
    [ "$fast" = "action=dunno" ]
check "dns: ... the slow ones still wait (their server has not answered)" \
    [ -z "$notyet" ]
nx=$(req u@nx.test alice@nym.test | "$PC" raw "$U" 60 | grep '^action=')
check "dns: ... and a domain that does not exist is refused meanwhile" \
    bash -c "case '$nx' in 'action=reject 5.1.8'*) exit 0;; esac; exit 1"
touch "$T/dns.port.release"

for i in 1 2 3; do wait "${SL[$i]}"; done
got=$(cat "$T"/slow[123].out | tr '\n' ' ')
check "dns: released, each slow domain gets its own answer (dunno; got: $got)" \
    [ "$(cat "$T"/slow[123].out | grep -c '^action=dunno$')" = 3 ]
kill -TERM "$D"; wait "$D"
check "dns: SIGTERM with the workers idle: exit 0" [ $? = 0 ]
check "no sanitizer report and no address in the daemons' logs" \
    bash -c "! grep -l 'Sanitizer\|runtime error' '$T'/*.log && ! grep -h '@' '$T'/*.log"
