# send.sh - send@ with real gpg: rewrite, Hidden-To, replay, retry after a
# sendmail failure, acknowledgements, signsend, caps and the daily limit.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '+acksend name="Alice Nym"'
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
snd() { nymserv -f "someone@client.example" send <"$1"; }
hdr_of() { sed '/^$/q' "$1"; }

cat >"$T/m1" <<'MSG'
Received: from laptop.realhost.example (laptop [198.51.100.23])
From: alice
To: Bob <bob@example.org>
Cc: carol@example.org
Hidden-To: hidden@example.org
Subject: hello from a nym
X-Mailer: Mutt 2.2.9
User-Agent: Mutt/2.2.9 (realhost)
X-Originating-IP: [198.51.100.23]
Sender: me@realhost.example
Return-Path: <me@realhost.example>

Hi Bob, this is the body.
MSG
nymsend -u alice <"$T/m1" >"$T/r1"
snd "$T/r1"
check "send: exit 0" [ "$RC" = 0 ]
check "send: one message injected" [ "$(captured)" = 1 ]
check "send: envelope -f alice@nym.test, recipients incl. Hidden-To" \
    diff <(printf '%s\n' -f alice@nym.test -oi -- bob@example.org carol@example.org hidden@example.org) "$T/cap/1.args"
hdr_of "$T/cap/1.msg" >"$T/h1"
check "send: From rewritten to the full name and nym" grep -qx 'From: Alice Nym <alice@nym.test>' "$T/h1"
for h in Received X-Mailer User-Agent X-Originating-IP Sender Return-Path Hidden-To Nym-Commands Bcc; do
	check "send: no $h in the header" bash -c "! grep -qi '^$h:' '$T/h1'"
done
check "send: no trace of the real host, IP or mail program" \
    bash -c "! grep -qiE 'realhost|198\.51\.100|mutt|hidden@' '$T/cap/1.msg'"
check "send: Subject kept" grep -qx 'Subject: hello from a nym' "$T/h1"
check "send: Date and Message-ID added" bash -c "grep -q '^Date: ' '$T/h1' && grep -q '^Message-ID: <.*@nym.test>' '$T/h1'"
check "send: marked as pseudonymous" grep -q '^X-Nym-Server: nym.test' "$T/h1"
check "send: body untouched" grep -qx 'Hi Bob, this is the body.' "$T/cap/1.msg"
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack1"
check "send: +acksend acknowledgement lists the header as sent" \
    bash -c "grep -q 'Sent to 3 recipients' '$T/ack1' && grep -q '^> From: Alice Nym <alice@nym.test>' '$T/ack1'"
check "send: the acknowledgement names what was removed" grep -q 'removed X-Mailer:' "$T/ack1"

# --- replay ---
clear_cap
n=$(ls "$T/rem" | grep -c '\.msg$')
snd "$T/r1"
check "replayed send@ sends nothing" [ "$RC" = 0 -a "$(captured)" = 0 -a "$(ls "$T/rem" | grep -c '\.msg$')" = "$n" ]

# --- sendmail fails once: delivered exactly once on the retry ---
printf 'From: alice+work\nTo: dave@example.org\nNym-Commands: -acksend\nSubject: retry\n\nbody\n' >"$T/m2"
nymsend -u alice <"$T/m2" >"$T/r2"
touch "$T/cap/fail-once"
snd "$T/r2"
check "sendmail fails: exit 75" [ "$RC" = 75 -a "$(captured)" = 0 ]
snd "$T/r2"
check "the retry delivers it once" [ "$RC" = 0 -a "$(captured)" = 1 ]
snd "$T/r2"
check "a further copy is a replay" [ "$(captured)" = 1 ]
check "+ext kept in From, envelope is the bare nym" \
    bash -c "grep -qx 'From: Alice Nym <alice+work@nym.test>' '$T/cap/1.msg' && head -2 '$T/cap/1.args' | tail -1 | grep -qx alice@nym.test"
check "per-message -acksend: no acknowledgement" [ "$(ls "$T/rem" | grep -c '\.msg$')" = "$n" ]

# --- signsend: the certificate verifies with the server's key ---
clear_cap
printf 'From: alice\nTo: erin@example.org\nNym-Commands: +signsend -acksend\nSubject: signed\n\nsigned body\n' >"$T/m3"
nymsend -u alice -m mime-signed <"$T/m3" >"$T/r3"
snd "$T/r3"
sed '1,/^$/d' "$T/cap/1.msg" >"$T/b3"
check "signsend: body is clear-signed" grep -q 'BEGIN PGP SIGNED MESSAGE' "$T/b3"
check "signsend: certificate text" grep -q 'only certifies the sender and date' "$T/b3"
check "signsend: verifies with the server's public key" cgpg --verify "$T/b3"
srvfpr=$(sed -n 's/^serverkey: \([0-9A-F]*\).*/\1/p' "$T/init.out")
v=$(cgpg --status-fd 1 --verify "$T/b3" | grep '^\[GNUPG:\] VALIDSIG ')
check "signsend: made by the server key itself (gpg's default-key), not the remailer key" \
    test -n "$srvfpr" -a "${v##* }" = "$srvfpr"

# --- recipient cap ---
clear_cap
{ printf 'From: alice\nTo: '; for i in $(seq 21); do printf 'r%d@example.org, ' "$i"; done; printf 'last@example.org\nSubject: bulk\n\nx\n'; } >"$T/m4"
nymsend -u alice <"$T/m4" >"$T/r4"
snd "$T/r4"
check "22 recipients (cap 20): nothing sent" [ "$RC" = 0 -a "$(captured)" = 0 ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack4"
check "... and the owner is told why" grep -q 'Too many recipients' "$T/ack4"

# --- a config request sent to send@ (and the reverse): answered ---
# Never dropped in silence (issue 23): the owner is told, through the
# block, where the request belongs; the signed copy is used up (a replay
# of it would otherwise be a way to flood the nym with answers).
nymcfg -n alice -u alice -c '+nobcc' >"$T/r5"
n=$(ls "$T/rem" | grep -c '\.msg$')
snd "$T/r5"
check "config plaintext to send@: nothing sent, one answer" \
    [ "$RC" = 0 -a "$(captured)" = 0 -a "$(ls "$T/rem" | grep -c '\.msg$')" = $((n + 1)) ]
check "... telling the owner where it belongs" bash -c \
    "sed -n '/^-----BEGIN PGP MESSAGE-----\$/,/^-----END PGP MESSAGE-----\$/p' '$T/rem/$(lastrem)' | gpg --homedir '$T/c' --batch --quiet --decrypt 2>/dev/null | grep -q 'send it to config@'"
# Not m1 again: the same text signed within the same second as r1 is the
# same request to the replay cache, and a fast machine gets here in one.
sed 's/^Subject: .*/Subject: sent to config@/' "$T/m1" >"$T/m6"
grep -q '^Subject: sent to config@' "$T/m6" || echo "not ok - m6 made"
nymsend -u alice <"$T/m6" >"$T/r6"
nymserv -f x@example.org config <"$T/r6"
check "send plaintext to config@: nothing done, one answer" \
    [ "$RC" = 0 -a "$(captured)" = 0 -a "$(ls "$T/rem" | grep -c '\.msg$')" = $((n + 2)) ]
check "... telling the owner it is no config request" bash -c \
    "sed -n '/^-----BEGIN PGP MESSAGE-----\$/,/^-----END PGP MESSAGE-----\$/p' '$T/rem/$(lastrem)' | gpg --homedir '$T/c' --batch --quiet --decrypt 2>/dev/null | grep -q 'not a config request'"
nymserv -f x@example.org config <"$T/r5"
check "... the used-up copy is a replay at config@ (no answer)" [ "$(ls "$T/rem" | grep -c '\.msg$')" = $((n + 2)) ]
# Different text: two signatures of the same text within one second are
# the same request to the replay cache (a fast machine signs both in one).
nymcfg -n alice -u alice -c '+nobcc name="Alice A."' >"$T/r5b"
nymserv -f x@example.org config <"$T/r5b"
check "... a request signed anew works at config@" [ "$(ls "$T/rem" | grep -c '\.msg$')" = $((n + 3)) ]

# --- bulk mail trips the daily limit ---
echo 'daily_chunks = 30' >>"$T/nymserv.conf"
make_nym bulk '-acksend'
clear_cap
bulk() {
	{ printf 'From: bulk\nTo: '; for i in $(seq 14); do printf 'b%d-%s@example.org, ' "$i" "$1"; done
	  printf 'z-%s@example.org\nSubject: bulk %s\n\nbuy\n' "$1" "$1"; } | nymsend -u bulk >"$T/rb$1"
	snd "$T/rb$1"
}
bulk 1; bulk 2
check "bulk: 2 x 15 recipients within a limit of 30" [ "$(captured)" = 2 ]
bulk 3
check "bulk: the third message passes the limit and is not sent" [ "$(captured)" = 2 ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/ackb"
check "bulk: the nym is told it is disabled" grep -q 'has been disabled' "$T/ackb"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | grep -q '^bulk active,limited' && ok "bulk: state says limited" || notok "bulk: state says limited"
nymserv -f x@example.org bulk <"$REPO/tests/data/help-normal.eml"
check "mail to the disabled nym: 5.2.1" [ "$(head -c 5 "$T/out")" = 5.2.1 ]
bulk 4
check "a disabled nym sends nothing" [ "$(captured)" = 2 ]
nymcfg -n bulk -u bulk -c '-disable' >"$T/ren"
nymserv -f x@example.org config <"$T/ren"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | grep -q '^bulk active ' && ok "a signed -disable re-enables it" || notok "a signed -disable re-enables it"

# --- an unconfirmed nym sends nothing and is told ---
mkkey pend
printf '::\nAnon-To: pend@real.example\n' >"$T/blk-pend"
nymcfg -n pend -u pend -k -c create -b "$T/blk-pend" >"$T/cp"
nymserv -f x@example.org config <"$T/cp"
printf 'From: pend\nTo: x@example.org\nSubject: early\n\nx\n' | nymsend -u pend >"$T/rp"
clear_cap
n=$(count_in "$T/rem")
snd "$T/rp"
check "unconfirmed nym: nothing sent" [ "$RC" = 0 -a "$(captured)" = 0 ]
# It holds no block until one is confirmed (per-block cookies): no answer
# goes through the pending block, or send@ would be a way to flood
# whoever a bomber named in it.
check "... and nothing goes through its unconfirmed block" [ "$(count_in "$T/rem")" = "$n" ]
