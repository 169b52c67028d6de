#!/usr/bin/env bash
# tests/e2e/policyd-postfix.sh - a mail bomb against a real, private
# Postfix whose smtpd asks nympolicyd (standalone, on a Unix socket, as
# nobody) at RCPT time, as etc/postfix/nympolicyd.main.cf configures it.
#
# The cast, all on loopback (mynetworks is 127.0.0.1 only, so every other
# client host is checked):
#   127.0.0.2  a bomber talking SMTP itself: one sender, a burst, then
#              resending what was deferred (the sender quota)
#   127.0.0.3  a friend, and a sender writing to a nym that does not exist
#   127.0.0.4  a second private Postfix, the bomb's MTA: many senders,
#              relayed to ours, retried by Postfix's own queue (the host
#              quota)
# The nym domain nym.test is delivered into maildirs, so every message
# accepted can be counted: nothing lost, nothing doubled.
#
# No count depends on the machine's speed: the quotas are first held by a
# daemon with a half-life of an hour (a burst would have to last minutes
# before decay let one more message in), so exactly the limit passes.
# Then the operator restarts the service with a 2 s half-life (statistics
# live in memory only), and the bomber and the bomb's MTA retry until
# everything is delivered: a delay, never a loss.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 0

SLIM=4 HLIM=6		# policy_sender_limit, _host_limit
N1=10			# the burst from one sender
N2=12			# the bomb through the second Postfix, one sender each
BURST="python3 $REPO/tests/smtp-burst"
B=$(mktemp -d /tmp/pfb.XXXXXX)
chmod 755 "$B"
PD=

# bmaster_gone: the bomb's Postfix master has exited.
bmaster_gone() { [ -z "$BPID" ] || ! kill -0 "$BPID" 2>/dev/null; }
stop_all() {
	if [ -n "$PD" ]; then kill -TERM "$PD" 2>/dev/null; wait "$PD"; fi
	if [ -n "${B_STARTED:-}" ]; then
		BPID=$(tr -d ' ' <"$B/spool/pid/master.pid" 2>/dev/null)
		postfix -c "$B/etc" stop >/dev/null 2>&1
		wait_until bmaster_gone
	fi
	[ -z "${NYM_KEEP:-}" ] && rm -rf "$B"
	pf_cleanup
}
trap stop_all EXIT

# --- the nym state and the policy service ---
setup_state "policy_half_life = 3600" "policy_sender_limit = $SLIM" \
    "policy_host_limit = $HLIM"
sed 's/^policy_half_life = .*/policy_half_life = 2/' "$T/nymserv.conf" >"$T/decay.conf"
add_alice() { printf 'alice\nx\n' | state_load nyms; }
check "nym alice in the state" add_alice
# Written behind nymserv's back: the owner's check publishes it.
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >/dev/null
check "... and in the public view nympolicyd reads (nymctl check wrote it)" \
    [ "$(ls "$T/s/pub/n" | wc -l)" = 1 ]
SOCK=$T/policy.sock
# start_pd CONF LOG: nympolicyd on $SOCK, as nobody; waits for the socket.
# As etc/nympolicyd.service: a member of the postfix group, the socket
# mode 0660 with that group (-g), so smtpd (user postfix) can connect.
PFGID=$(getent group postfix | cut -d: -f3)
start_pd() {
	(exec setpriv --reuid=65534 --regid=65534 --groups="$PFGID" -- \
	    env -i PATH=/usr/bin:/bin LANG=C \
	    "$NYM_BIN/nympolicyd" -c "$1" -v -g postfix -l "unix:$SOCK" 2>"$2") &
	PD=$!
	wait_until test -S "$SOCK"
}
# stop_pd LOG WHAT: SIGTERM; exit 0, totals logged, no address, no report.
stop_pd() {
	kill -TERM "$PD"
	wait "$PD"
	check "$2: nympolicyd stops on SIGTERM with exit 0" [ $? = 0 ]
	PD=
	check "$2: nympolicyd logged its totals" grep -q 'stopping: answers' "$1"
	check "$2: no address of anyone in nympolicyd's log" \
	    bash -c "! grep -q '@\|spam.example\|good.example' '$1'"
	check "$2: no sanitizer report from nympolicyd" \
	    bash -c "! grep -q 'Sanitizer\|runtime error' '$1'"
}
start_pd "$T/nymserv.conf" "$T/policyd.log"
check "nympolicyd listening on a Unix socket, as nobody" \
    [ -S "$SOCK" -a "$(stat -c %u "/proc/$PD" 2>/dev/null)" = 65534 ]
check "the socket: mode 0660, group postfix (not world-writable)" \
    [ "$(stat -c '%a %G' "$SOCK")" = "660 postfix" ]

# --- our Postfix: the restrictions of etc/postfix/nympolicyd.main.cf ---
pf_setup || { notok "private Postfix configured"; exit 1; }
# No transports: all our mail goes into maildirs.  Edited in place (an
# entry appended twice makes every Postfix program
# warn, and the warnings of the log daemon itself can wedge it).
postconf -c "$PF/etc" -e "mynetworks = 127.0.0.1/32" "transport_maps =" \
    "virtual_mailbox_domains = user.test nym.test" \
    "virtual_mailbox_maps = inline:{ {@user.test = user.test/}, {@nym.test = nym.test/} }" \
    "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination, check_policy_service unix:$SOCK" \
    "smtpd_policy_service_timeout = 300s" \
    "alternate_config_directories = $B/etc"
touch -d '-5 seconds' "$PF/etc/main.cf"
if pf_start; then ok "private Postfix started on 127.0.0.1:$PF_PORT"; else
	notok "private Postfix started"; tail "$PF/log/maillog"; exit 1
fi
MAILDIR=$PF/mail/nym.test/new
# arrived ID: how many copies of message ID the nym's maildir holds.
arrived() { grep -lx "Subject: $1" "$MAILDIR"/* 2>/dev/null | grep -c .; }
# refusals FILE CODE: lines of a smtp-burst output refused with CODE,
# e.g. "450 4.7.1".
refusals() { awk -v c="$2" 'substr($0, length($1) + 2, length(c)) == c' "$1" | grep -c .; }
# nlines FILE PATTERN N: FILE holds at least N lines matching.
nlines() { [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
# logged PATTERN [N]: wait until the maillog holds N lines matching.
logged() { wait_until nlines "$PF/log/maillog" "$1" "${2:-1}"; }

# --- a nym that does not exist: refused at RCPT, never accepted ---
$BURST "$PF_PORT" 127.0.0.3 someone@good.example bob@nym.test nobody-1 \
    >"$T/bob.out"
# (Postfix answers an access "reject" with access_map_reject_code, 554.)
check "unknown nym: 554 5.1.1 at RCPT time" [ "$(refusals "$T/bob.out" "554 5.1.1")" = 1 ]
check "unknown nym: the maillog shows the RCPT reject" \
    logged 'NOQUEUE: reject: RCPT from [^ ]*\[127.0.0.3\]: 554 5.1.1 <bob@nym.test>'

# --- phase 1: a burst from one sender on one connection ---
ids1=$(seq -f 'bomb-%g' 1 $N1)
# shellcheck disable=SC2086
$BURST "$PF_PORT" 127.0.0.2 bomber@spam.example alice@nym.test $ids1 \
    >"$T/burst1.out"
acc=$(awk '$2 == 250' "$T/burst1.out" | grep -c .)
check "burst: the first $SLIM of $N1 accepted, no more" \
    [ "$(head -$SLIM "$T/burst1.out" | awk '$2 == 250' | grep -c .)" = $SLIM -a "$acc" = $SLIM ]
check "burst: the other $((N1 - SLIM)) answered 450 4.7.1 (sender quota)" \
    [ "$(refusals "$T/burst1.out" "450 4.7.1")" = $((N1 - SLIM)) ] &&
    [ "$(grep -c 'Too much mail from this sender' "$T/burst1.out")" = $((N1 - SLIM)) ]
check "burst: the maillog shows $((N1 - SLIM)) RCPT rejects 450 4.7.1" \
    logged 'NOQUEUE: reject: RCPT from [^ ]*\[127.0.0.2\]: 450 4.7.1 ' $((N1 - SLIM))
$BURST "$PF_PORT" 127.0.0.3 friend@good.example alice@nym.test friend-1 \
    >"$T/friend1.out"
check "meanwhile another sender's mail passes" \
    [ "$(cat "$T/friend1.out")" = "friend-1 250" ]
$BURST "$PF_PORT" 127.0.0.2 bomber@spam.example alice@nym.test bomb-early \
    >"$T/early.out"
check "burst: a retry while the quota holds is deferred again, not refused" \
    [ "$(refusals "$T/early.out" "450 4.7.1")" = 1 ]

# --- phase 2: a bomb through a second Postfix, which retries itself ---
BPORT=$(pf_free_port)
mkdir -p "$B/etc" "$B/spool" "$B/data" "$B/log"
cp -a /etc/postfix/. "$B/etc/"
rm -f "$B/etc/main.cf" "$B/etc/master.cf"
chown postfix "$B/data"
cat >"$B/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $B/spool
data_directory = $B/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = bomber
myhostname = bomber.test
mydomain = test
myorigin = bomber.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$PF_PORT
smtp_bind_address = 127.0.0.4
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_client_access inline:{ 127.0.0.1=HOLD },
    permit_mynetworks, reject
smtp_dns_support_level = disabled
smtputf8_enable = no
biff = no
delay_warning_time = 0
maillog_file = $B/log/maillog
maillog_file_prefixes = $B
initial_destination_concurrency = 20
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
CF
pf_master_cf "127.0.0.4:$BPORT" >"$B/etc/master.cf"
touch -d '-5 seconds' "$B/etc/main.cf" "$B/etc/master.cf"
bq() { postqueue -c "$B/etc" -j 2>/dev/null | grep -c .; }
# bq_in QUEUE: messages the bomb's MTA holds in QUEUE (hold, deferred...).
bq_in() { postqueue -c "$B/etc" -j 2>/dev/null | grep -c "\"queue_name\": *\"$1\""; }
if postfix -c "$B/etc" start >"$B/start.out" 2>&1; then
	B_STARTED=1
	ok "the bomb's Postfix started on 127.0.0.4:$BPORT"
else
	notok "the bomb's Postfix started ($?)"; cat "$B/start.out"; exit 1
fi
b_answers() {
	python3 - "$BPORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.4", int(sys.argv[1])), 30)
assert s.recv(100).startswith(b"220")
PY
}
wait_until b_answers
# The bomb: N2 messages, each from its own sender, all held until the
# last one is in, then released at once.
ids2=$(seq -f 'flood-%g' 1 $N2)
# shellcheck disable=SC2086
$BURST "127.0.0.4:$BPORT" 127.0.0.1 'r-%s@spam.example' alice@nym.test $ids2 \
    >"$T/bomb.out"
check "the bomb's MTA took all $N2 messages" \
    [ "$(awk '$2 == 250' "$T/bomb.out" | grep -c .)" = $N2 ]
check "... and holds them" [ "$(bq)" = $N2 ]
postsuper -c "$B/etc" -H ALL 2>/dev/null
postqueue -c "$B/etc" -f
# attempted N: the bomb's maillog shows a first attempt for N messages.
attempted() {
	[ "$(awk '/ status=/ { print $6 }' "$B/log/maillog" 2>/dev/null | sort -u | grep -c .)" -ge "$1" ]
}
check "the bomb's MTA tried every message once" wait_until attempted $N2
# The first attempt of every message.
awk '/ status=/ && !seen[$6]++ { print $6, ($0 ~ / status=sent /) ? "sent" : $0 ~ /dsn=4\.7\.1, status=deferred / ? "deferred" : "other" }' \
    "$B/log/maillog" >"$T/first.out"
first_sent=$(grep -c ' sent$' "$T/first.out")
first_def=$(grep -c ' deferred$' "$T/first.out")
check "first wave: exactly $HLIM of $N2 relayed, $first_def deferred 450 4.7.1 (host quota $HLIM; $first_sent sent)" \
    [ "$first_sent" = $HLIM -a "$first_def" = $((N2 - HLIM)) ]
$BURST "$PF_PORT" 127.0.0.3 friend@good.example alice@nym.test friend-2 \
    >"$T/friend2.out"
check "while the bomb's MTA is deferred ($(bq) queued), another host's mail passes" \
    [ "$(cat "$T/friend2.out")" = "friend-2 250" ]

# --- the operator restarts the policy service (2 s half-life).  The
# bomb's MTA is put on hold first, so no request finds the socket gone:
# every deferral it sees stays the policy's own 450 4.7.1. ---
all_held() {
	postsuper -c "$B/etc" -h ALL deferred 2>/dev/null
	[ "$(bq_in hold)" = "$(bq)" ]
}
check "the bomb's MTA holds what is left" wait_until all_held
stop_pd "$T/policyd.log" "restart"
start_pd "$T/decay.conf" "$T/policyd2.log"
check "the policy service is back (2 s half-life)" test -S "$SOCK"

# The bomber resends what was deferred, once a second, as an MTA would,
# until everything is in (bounded by rounds, not by time).
pending="$(awk '$2 != 250 {print $1}' "$T/burst1.out") bomb-early"
rounds=0
: >"$T/retries.out"
while [ -n "$pending" ] && [ $rounds -lt 120 ]; do
	[ $rounds -gt 0 ] && sleep 1
	rounds=$((rounds + 1))
	# shellcheck disable=SC2086
	$BURST "$PF_PORT" 127.0.0.2 bomber@spam.example alice@nym.test \
	    $pending >"$T/retry.out"
	cat "$T/retry.out" >>"$T/retries.out"
	pending=$(awk '$2 != 250 {print $1}' "$T/retry.out")
done
check "burst: every deferred message accepted on a retry ($rounds rounds)" \
    [ -z "$pending" ]
check "burst: retries too early were deferred again (450), never refused for good" \
    [ "$(awk '$2 != 250 && $2 != 450' "$T/retries.out" | grep -c .)" = 0 ]

postsuper -c "$B/etc" -H ALL 2>/dev/null
postqueue -c "$B/etc" -f
b_empty() { [ "$(bq)" = 0 ]; }
check "the bomb's MTA delivered its whole queue by retrying" wait_until b_empty
check "every message sent exactly once, none bounced" \
    [ "$(grep -c ' status=sent ' "$B/log/maillog")" = $N2 ] &&
    ! grep -q ' status=bounced' "$B/log/maillog"
ndef=$(grep -c ' status=deferred ' "$B/log/maillog")
check "every deferral ($ndef) was the policy's 450 4.7.1" \
    [ "$(grep -c 'dsn=4.7.1, status=deferred (host 127.0.0.1\[127.0.0.1\] said: 450 4.7.1 .*Too much mail from this client' "$B/log/maillog")" = "$ndef" ]
check "our maillog shows the same $ndef RCPT rejects from 127.0.0.4" \
    logged 'NOQUEUE: reject: RCPT from [^ ]*\[127.0.0.4\]: 450 4.7.1 .*Too much mail from this client' "$ndef"

# --- nothing lost, nothing doubled, nothing for the unknown nym ---
check "queue empty at the end" pf_wait_queue
lost=0
for id in $ids1 bomb-early $ids2 friend-1 friend-2; do
	[ "$(arrived "$id")" = 1 ] || { lost=1; echo "# $id arrived $(arrived "$id") times"; }
done
check "every one of the $((N1 + 1 + N2)) bomb messages and the friend's 2 delivered exactly once" \
    [ $lost = 0 ]
check "the maildir holds exactly $((N1 + 1 + N2 + 2)) messages" \
    [ "$(ls "$MAILDIR" | grep -c .)" = $((N1 + 1 + N2 + 2)) ]
check "the unknown nym's message was never queued" \
    bash -c "! grep -q ': to=<bob@nym.test>' '$PF/log/maillog' && ! grep -rqx 'Subject: nobody-1' '$PF/mail'"

# --- the policy service: totals only, no address of anyone ---
stop_pd "$T/policyd2.log" "end"
