#!/usr/bin/env bash
# bench/postfix.sh [N] - messages per second through a private Postfix:
#   baseline: Postfix piping each message to a trivial command (cat > /dev/null)
#   answer:   Postfix piping each message to a script that submits one
#             fixed answer to the sender with sendmail (the answer goes
#             back through Postfix into a maildir): help@'s like for like
#   gpg+answer: the same script, the answer being the plain `gpg --sign
#             --encrypt` of the message with the server key to the nym's
#             key, submitted to the nym's final address: nym delivery's
#             like for like
#   help@:    Postfix + nymserv answering help@ (the answer goes back through Postfix)
#   nym:      Postfix + nymserv delivering to a nym (sign+encrypt, one reply
#             block, one local remail hop, final delivery into a maildir)
# All in one run on one instance, the baselines run before and after the
# nymserv paths; help@ and nym delivery are given as ratios to their like-
# for-like baselines (target >= 0.8) and to the plain pipe.
# Needs root (private mount namespace), Postfix and a built tree (make).
. "$(dirname "$0")/../tests/lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 1
trap pf_cleanup EXIT
N=${1:-100}
# Debian's python3 (a version manager's shim on PATH took seconds a start, inside
# the timed window).
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

# answer_limit: all N help@ requests come from one address, which the
# default (3 answers an hour, SECURITY.md 3.7) would leave unanswered.
setup_state "sendmail = /usr/sbin/sendmail" "confirm = no" \
    "remail = $NYM_BIN/remail -c $T/nymserv.conf" "daily_chunks = 100000" \
    "answer_limit = 1000000"
client_init
# The like-for-like baselines: read the message, submit one answer.
cat >"$T/answer" <<SH
#!/bin/sh
cat >/dev/null
{ printf 'To: %s\nSubject: an answer\n\n' "\$1"; cat $T/help.txt; } |
    exec /usr/sbin/sendmail -f '' -oi -- "\$1"
SH
# The nym's key is in $T/nymkey.asc; the server key signs (its default-key).
cat >"$T/gpganswer" <<SH
#!/bin/sh
{ printf 'To: %s\nSubject: an answer\n\n' "\$1"
  /usr/bin/gpg --homedir $T/s/gnupg --batch --quiet --no-tty --armor \\
      --trust-model always --sign --encrypt --recipient-file $T/nymkey.asc; } |
    exec /usr/sbin/sendmail -f '' -oi -- "\$1"
SH
chmod 755 "$T/answer" "$T/gpganswer"
PF_TRANSPORTS="nym.test nymserv
null.test nullpipe
ans.test anspipe
enc.test encpipe"
PF_SERVICES="nymserv unix - n n - - pipe user=nobody null_sender= argv=$NYM_BIN/nymserv -c $T/nymserv.conf -f \${sender} -- \${recipient}
nullpipe unix - n n - - pipe user=nobody argv=/bin/sh -c { exec cat >/dev/null }
anspipe unix - n n - - pipe user=nobody null_sender= argv=$T/answer \${sender}
encpipe unix - n n - - pipe user=nobody null_sender= argv=$T/gpganswer reader@user.test"
pf_setup && pf_start || { echo "bench: Postfix did not start" >&2; exit 1; }

# A nym whose one reply block goes straight to a maildir.
mkkey bench
printf '::\nAnon-To: reader@user.test\n' >"$T/block"
nymcfg -n bench -u bench -k -c create -b "$T/block" >"$T/create"
pf_submit reader@user.test config@nym.test <"$T/create" >/dev/null
pf_wait_mail reader 1 60 || { echo "bench: nym not created" >&2; exit 1; }

cgpg --armor --export bench >"$T/nymkey.asc" && chmod 644 "$T/nymkey.asc"

# run LABEL RCPT WAITUSER: submit N messages on one SMTP connection, time
# until the queue is empty (and WAITUSER has N more messages).
run() {
	local label=$1 rcpt=$2 who=${3:-} before=0 t0 t1
	[ -n "$who" ] && before=$(pf_mails_to "$who" | grep -c .)
	t0=$(date +%s.%N)
	"$PY" - "$PF_PORT" "$rcpt" "$N" <<'PY'
import smtplib, sys
port, rcpt, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with smtplib.SMTP("127.0.0.1", port) as s:
    for i in range(n):
        s.sendmail("writer@user.test", [rcpt],
                   ("From: writer@user.test\r\nTo: %s\r\nSubject: bench %d\r\n"
                    "Message-ID: <b%d@user.test>\r\n\r\n" % (rcpt, i, i)
                    + "A line of benchmark text.\r\n" * 40).encode())
PY
	[ -n "$who" ] && pf_wait_mail "$who" $((before + N)) 600
	pf_wait_queue 600
	t1=$(date +%s.%N)
	"$PY" -c "import sys; print('%s %.2f' % (sys.argv[1], float(sys.argv[2]) / (float(sys.argv[4]) - float(sys.argv[3]))))" \
	    "$label" "$N" "$t0" "$t1"
}
{
	run base1 x@null.test
	run ans1 x@ans.test writer
	run gpg1 x@enc.test reader
	run help help@nym.test writer
	run nym bench@nym.test reader
	run gpg2 x@enc.test reader
	run ans2 x@ans.test writer
	run base2 x@null.test
} >"$T/rates"
"$PY" - "$T/rates" "$N" <<'PY'
import sys
r = dict((l.split()[0], float(l.split()[1])) for l in open(sys.argv[1]))
base = (r["base1"] + r["base2"]) / 2
ans = (r["ans1"] + r["ans2"]) / 2
enc = (r["gpg1"] + r["gpg2"]) / 2
print("messages: %s per path" % sys.argv[2])
print("baseline (Postfix -> cat > /dev/null): %.1f msg/s (runs %.1f, %.1f)" % (base, r["base1"], r["base2"]))
print("answer baseline (pipe -> sendmail of one answer): %.1f msg/s (runs %.1f, %.1f)" % (ans, r["ans1"], r["ans2"]))
print("gpg+answer baseline (pipe -> gpg --sign --encrypt | sendmail): %.1f msg/s (runs %.1f, %.1f)" % (enc, r["gpg1"], r["gpg2"]))
print("help@ (Postfix + nymserv + answer):    %.1f msg/s  ratio %.2f of baseline" % (r["help"], r["help"] / base))
print("nym delivery (+ gpg + remail hop):     %.1f msg/s  ratio %.2f of baseline" % (r["nym"], r["nym"] / base))
print("help@ / answer baseline: %.2f  (target >= 0.8)" % (r["help"] / ans))
print("nym delivery / gpg+answer baseline: %.2f  (target >= 0.8)" % (r["nym"] / enc))
PY
