#!/usr/bin/env bash
# tests/e2e/postfix.sh - nymserv under a real, private Postfix instance.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 0
trap pf_cleanup EXIT

pf_nym_world || { notok "private Postfix configured"; exit 1; }
if pf_start; then ok "private Postfix started on 127.0.0.1:$PF_PORT"; else
	notok "private Postfix started"; tail "$PF/log/maillog"; exit 1
fi

# help@: answered through Postfix into the sender's maildir.
cat >"$T/help.eml" <<'MAIL'
From: Alice <alice@user.test>
To: help@nym.test
Subject: how do I get a nym?
Message-ID: <pf-help-1@user.test>

Hello.
MAIL
check "help@ accepted over SMTP" pf_submit alice@user.test help@nym.test <"$T/help.eml"
if pf_wait_mail alice 1; then
	f=$(pf_mails_to alice | head -1)
	ok "help@ answer delivered"
	check "answer quotes the request header" grep -q 'pf-help-1@user.test' "$f"
	check "answer is auto-replied" grep -qi '^Auto-Submitted: auto-replied' "$f"
else
	notok "help@ answer delivered"; tail -20 "$PF/log/maillog"
fi

# Mail to an unknown nym bounces; the DSN reaches the sender.
cat >"$T/unk.eml" <<'MAIL'
From: Bob <bob@user.test>
To: nosuchnym@nym.test
Subject: hello

Are you there?
MAIL
check "unknown nym accepted over SMTP" pf_submit bob@user.test nosuchnym@nym.test <"$T/unk.eml"
if pf_wait_mail bob 1; then
	f=$(pf_mails_to bob | head -1)
	check "DSN for the unknown nym reaches the sender" grep -q 'Status: 5.1.1' "$f"
else
	notok "DSN for the unknown nym reaches the sender"; tail -20 "$PF/log/maillog"
fi

check "queue empty at the end" pf_wait_queue

if [ -z "$HAVE_REMAIL" ]; then
	skip "nym scenarios: bin/remail is not built"
	exit 0
fi

# --- A nym, created over config@ with a two-hop reply block. ---
mkkey shadow
bash "$REPO/contrib/nymblock" -g "$T/c" alice@user.test \
    remailer@hopa.test=passA remailer@hopb.test=passB >"$T/block"
check "reply block names only the first hop in clear" \
    sh -c "! grep -q 'hopb.test\|alice@' '$T/block'"
nymcfg -n shadow -u shadow -k -c 'create name="Shadow Writer"' -b "$T/block" >"$T/create"
check "config@ create accepted over SMTP" pf_submit alice@user.test config@nym.test <"$T/create"
# nymread PASS... < mail: what alice reads.
nymread() { bash "$REPO/contrib/nymread" -g "$T/c" passB passA; }
if pf_wait_mail alice 2; then
	f=$(pf_mails_to alice | tail -1)
	nymread <"$f" >"$T/notice1" 2>/dev/null
	cookie=$(grep -o 'confirm+[0-9a-f]*@' "$T/notice1" | head -1 | sed 's/confirm+//; s/@//')
	check "confirmation request arrives through both hops and decrypts" test -n "$cookie"
else
	notok "confirmation request arrives through both hops"; tail -30 "$PF/log/maillog"
	exit 1
fi
check "hop A saw neither the final address nor hop B's directives in clear" \
    sh -c "! grep -q 'alice@user.test\|Anon-To: remailer@hopb' $T/seen-a/*.in"
check "hop B saw no final address in clear" \
    sh -c "! grep -q 'alice@user.test' $T/seen-b/*.in"

printf 'From: alice@user.test\nSubject: confirm\n\nyes\n' |
    pf_submit alice@user.test "confirm+$cookie@nym.test"
if pf_wait_mail alice 3; then
	nymread <"$(pf_mails_to alice | tail -1)" >"$T/notice2" 2>/dev/null
	check "success notice arrives after the confirmation" \
	    grep -qi 'completed successfully\|confirmed' "$T/notice2"
else
	notok "success notice arrives after the confirmation"
fi

# --- Bob writes to the nym; alice reads it through the hops. ---
cat >"$T/tonym.eml" <<'MAIL'
From: Bob <bob@user.test>
To: shadow@nym.test
Subject: a question
Message-ID: <bob-1@user.test>

The quick brown fox asks the nym a question.
MAIL
check "mail to the nym accepted over SMTP" pf_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
if pf_wait_mail alice 4; then
	f=$(pf_mails_to alice | tail -1)
	check "delivered mail carries no body in clear" \
	    sh -c "! grep -q 'quick brown fox' '$f'"
	nymread <"$f" >"$T/read1" 2>/dev/null
	check "delivered mail decrypts to the original body" grep -q 'quick brown fox asks' "$T/read1"
	check "the hops never saw the body in clear" \
	    sh -c "! grep -q 'quick brown fox' $T/seen-a/*.in $T/seen-b/*.in"
else
	notok "mail to the nym delivered through both hops"; tail -30 "$PF/log/maillog"
fi

# --- The nym answers through send@. ---
cat >"$T/answer.txt" <<'MAIL'
From: shadow
To: bob@user.test
Subject: Re: a question
In-Reply-To: <bob-1@user.test>

The nym answers the fox.
MAIL
nymsend -u shadow <"$T/answer.txt" >"$T/answer.eml"
check "send@ accepted over SMTP" pf_submit alice@user.test send@nym.test <"$T/answer.eml"
if pf_wait_mail bob 2; then
	f=$(pf_mails_to bob | tail -1)
	check "bob gets the answer from the nym address" \
	    grep -q '^From: Shadow Writer <shadow@nym.test>' "$f"
	check "the answer carries no trace of alice" sh -c "! grep -qi 'alice' '$f'"
	check "the answer's body arrived" grep -q 'The nym answers the fox' "$f"
else
	notok "send@ answer delivered"; tail -30 "$PF/log/maillog"
fi

# --- A temporary failure: Postfix defers, then delivers. ---
n_alice=$(pf_mails_to alice | grep -c .)
deferrals() { [ "$(grep -c 'status=deferred' "$PF/log/maillog")" -gt "$1" ]; }
d0=$(grep -c 'status=deferred' "$PF/log/maillog")
chmod 000 "$T/s"
check "mail accepted while the state is unwritable" \
    pf_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
check "Postfix defers the delivery (nymserv exit 75)" \
    wait_until deferrals "$d0"
check "the deferred message waits in the queue" test "$(pf_queue_count)" -ge 1
chmod 700 "$T/s"
postqueue -f
if pf_wait_mail alice $((n_alice + 1)); then
	ok "the deferred message is delivered after the retry"
else
	notok "the deferred message is delivered after the retry"
fi

check "queue empty at the end" pf_wait_queue
# Nothing lost, nothing doubled: help answer, confirmation request,
# success notice, two deliveries for alice; DSN and answer for bob.
check "alice received exactly 5 messages" test "$(pf_mails_to alice | grep -c .)" -eq 5
check "bob received exactly 2 messages" test "$(pf_mails_to bob | grep -c .)" -eq 2
