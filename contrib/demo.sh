#!/usr/bin/env bash
# contrib/demo.sh - the whole job end to end, step by step, under a real
# (private, loopback-only) Postfix:
#   a nym is created over config@ with a two-hop reply block, confirmed,
#   receives mail through two remailers, and answers through send@.
# Everything runs in a throw-away directory and a private mount namespace;
# the machine's own mail setup is not touched.
. "$(dirname "$0")/../tests/lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 1
trap pf_cleanup EXIT
set -e

B=$(tput bold 2>/dev/null || true) N=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() { sed 's/^/   | /' "$@"; }
# short FILE: a message with long armored blocks cut down for the eye.
short() {
	awk '/^-----BEGIN PGP/ { print; n = 0; inb = 1; next }
	     /^-----END PGP/ { if (n > 3) print "   ... (" n - 3 " more lines)"; inb = 0 }
	     inb { if (++n <= 3) print; next } { print }' "$@" | show
}
die() { echo "demo: $*" >&2; exit 1; }
wait_mail() { pf_wait_mail "$@" || die "no mail for $1 (see $PF/log/maillog)"; }

step "1. The cast: a private Postfix on 127.0.0.1, the nym server nym.test, two remailers hopa.test and hopb.test, and mailboxes for user.test"
pf_nym_world || die "cannot set up Postfix"
[ -n "$HAVE_REMAIL" ] || die "bin/remail is missing (make)"
pf_start || die "Postfix did not start"
echo "   Postfix listens on 127.0.0.1:$PF_PORT; its master.cf pipes nym.test to:"
grep '^nymserv' "$PF/etc/master.cf" | show
echo "   nymserv.conf:"
show "$T/nymserv.conf"

step "2. Alice makes a key for her nym 'shadow' and a reply block: nym server -> hopa -> hopb -> alice@user.test"
mkkey shadow
bash "$REPO/contrib/nymblock" -g "$T/c" alice@user.test \
    remailer@hopa.test=passA remailer@hopb.test=passB >"$T/block"
short "$T/block"
echo "   Only the first hop is in clear; each layer is encrypted to one hop."

step "3. Alice mails a signed, encrypted config@ request (create) over SMTP"
nymcfg -n shadow -u shadow -k -c 'create name="Shadow Writer"' \
    -b "$T/block" >"$T/create"
short "$T/create"
pf_submit alice@user.test config@nym.test <"$T/create"
wait_mail alice 1 120

step "4. What hop A received (it can read only its own layer)"
short "$(ls "$T"/seen-a/*.in | head -1)"
step "   ... and what hop B received"
short "$(ls "$T"/seen-b/*.in | head -1)"

step "5. What arrived in alice's maildir"
f=$(pf_mails_to alice | tail -1)
short "$f"
step "   ... and what it decrypts to (peeling hopb's and hopa's Encrypt-Key layers, then her nym key)"
bash "$REPO/contrib/nymread" -g "$T/c" passB passA <"$f" >"$T/notice" 2>/dev/null
show "$T/notice"
cookie=$(grep -o 'confirm+[0-9a-f]*@' "$T/notice" | head -1 | sed 's/confirm+//; s/@//')
[ -n "$cookie" ] || die "no confirmation address in the notice"

step "6. Alice confirms the reply block: a mail to confirm+$cookie@nym.test"
printf 'From: alice@user.test\nSubject: confirm\n\nyes\n' |
    pf_submit alice@user.test "confirm+$cookie@nym.test"
wait_mail alice 2 120
bash "$REPO/contrib/nymread" -g "$T/c" passB passA \
    <"$(pf_mails_to alice | tail -1)" 2>/dev/null | show

step "7. Bob writes to shadow@nym.test"
cat >"$T/tonym.eml" <<'MAIL'
From: Bob <bob@user.test>
To: shadow@nym.test
Subject: a question
Message-ID: <bob-1@user.test>

Who are you?
MAIL
show "$T/tonym.eml"
pf_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
wait_mail alice 3 120
f=$(pf_mails_to alice | tail -1)
echo "   It reaches alice's maildir through both hops:"
short "$f"
echo "   Decrypted by alice:"
bash "$REPO/contrib/nymread" -g "$T/c" passB passA <"$f" 2>/dev/null | show

step "8. Shadow answers through send@ (signed by the nym key, encrypted to the server)"
cat >"$T/answer.txt" <<'MAIL'
From: shadow
To: bob@user.test
Subject: Re: a question
In-Reply-To: <bob-1@user.test>

A friend.
MAIL
show "$T/answer.txt"
nymsend -u shadow <"$T/answer.txt" >"$T/answer.eml"
pf_submit alice@user.test send@nym.test <"$T/answer.eml"
wait_mail bob 1 120
step "9. What bob received: from the nym, nothing of alice"
show "$(pf_mails_to bob | tail -1)"

pf_wait_queue 60 || die "the queue did not drain"
step "Done: the queue is empty, nothing was lost. Postfix's log: $PF/log/maillog (removed on exit; NYM_KEEP=1 keeps it)"
