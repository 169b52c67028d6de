# review-agent.sh - finding 4 of the outside review (issue 15): when the
# server cannot use its own key (gpg-agent killed and unstartable), mail
# for it is kept (exit 75), never discarded with exit 0; mail that really
# is not for its key is still dropped.  Real gpg, real gpg-agent.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '-acksend'
G=$T/s/gnupg
snd() { nymserv -f someone@client.example send <"$1"; }
cfg() { nymserv -f someone@client.example config <"$1"; }
rem() { count_in "$T/rem"; }
# agent_off: stop the server's agent and make it unstartable.
agent_off() {
	as_user env GNUPGHOME="$G" gpgconf --kill gpg-agent
	as_user sh -c "echo 'agent-program /bin/false' >>'$G/gpg.conf'"
}
agent_on() { as_user sed -i '/^agent-program/d' "$G/gpg.conf"; }
enc_to() { cgpg --armor --encrypt "$@"; }
mail_for() { printf 'To: %s@nym.test\nSubject: x\n\n' "$1"; cat; }

printf 'From: alice\nTo: bob@example.org\nSubject: finding 4\n\nbody\n' >"$T/m"
nymsend -u alice <"$T/m" >"$T/r-send"
nymcfg -n alice -u alice -c 'name="Alice Four"' >"$T/r-cfg"
printf 'From: alice\nTo: carol@example.org\nSubject: anonymous recipient\n\nbody\n' |
    cgpg --local-user alice --armor --sign >"$T/s-anon"
enc_to --throw-keyids -r config@nym.test <"$T/s-anon" | mail_for send >"$T/r-anon"
mkkey other
enc_to -r other@client.test <"$T/s-anon" | mail_for send >"$T/r-other"
printf '::\nEncrypted: PGP\n\n' >"$T/t1"
printf '::\nAnon-To: dave@example.org\n\nhello\n' | enc_to -r remailer@nym.test >>"$T/t1"

agent_off
clear_cap
snd "$T/r-send"
check "finding 4: an encrypted send@ while gpg-agent cannot be used: exit 75, not 0" \
    [ "$RC" = 75 -a "$(captured)" = 0 ]
n=$(rem)
cfg "$T/r-cfg"
check "finding 4: an encrypted config@ request likewise: exit 75, nothing done" \
    [ "$RC" = 75 -a "$(rem)" = "$n" ]
snd "$T/r-anon"
check "finding 4: encrypted to an anonymous recipient (throw-keyids): exit 75" \
    [ "$RC" = 75 -a "$(captured)" = 0 ]
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" -p remailer -f x@example.org \
    <"$T/t1" >"$T/out" 2>&1
RC=$?
check "finding 4: remail: a layer for the remailer key while gpg-agent cannot be used: exit 75" \
    [ "$RC" = 75 -a "$(captured)" = 0 ]
nymserv -f x@example.org alice <"$REPO/tests/data/help-normal.eml"
check "finding 4: a delivery (signing with the server key): exit 75" \
    [ "$RC" = 75 -a "$(rem)" = "$n" ]
snd "$T/r-other"
check "finding 4: mail not encrypted to our key is still dropped (exit 0), agent or not" \
    [ "$RC" = 0 -a "$(captured)" = 0 ]

agent_on
snd "$T/r-send"
check "finding 4: the agent back, the MTA's retry of send@ is sent once" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
cfg "$T/r-cfg"
check "finding 4: ... and the config@ retry is carried out" \
    [ "$RC" = 0 -a "$(rem)" = $((n + 1)) ]
snd "$T/r-anon"
check "finding 4: ... and the anonymous-recipient one" \
    [ "$RC" = 0 -a "$(captured)" = 2 ]
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" -p remailer -f x@example.org \
    <"$T/t1" >"$T/out" 2>&1
RC=$?
check "finding 4: ... and the remailer's" [ "$RC" = 0 -a "$(captured)" = 3 ]
enc_to --throw-keyids -r other@client.test <"$T/s-anon" | mail_for send >"$T/r-anon2"
snd "$T/r-anon2"
check "finding 4: an anonymous recipient that is not us, with a working agent: dropped" \
    [ "$RC" = 0 -a "$(captured)" = 3 ]
# A session-key packet for our key with garbage in it: ours, but no
# local failure -- the message is broken, not our agent.
sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$T/r-send" |
    cgpg --dearmor >"$T/r.bin"
python3 - "$T/r.bin" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
for i in range(20, 40):
    d[i] ^= 0x55
open(sys.argv[1], 'wb').write(d)
PY
{ printf 'To: send@nym.test\nSubject: x\n\n'; cgpg --enarmor <"$T/r.bin" 2>/dev/null |
    sed 's/ARMORED FILE/MESSAGE/; /^Comment:/d'; } >"$T/r-garbage"
snd "$T/r-garbage"
check "finding 4: a garbled session key for our key, agent working: dropped (exit 0)" \
    [ "$RC" = 0 -a "$(captured)" = 3 ]

# A passphrase layer is not for us: gpg asks for a passphrase, none is
# given, and that is the sender's input, not our trouble (the soak's
# random config@ bodies that began with a tag-9 packet were kept with 75
# and retried for days).  Encrypted with a passphrase, and bare
# symmetrically encrypted data (no session-key packet at all):
printf 'x\n' >"$T/pw"
enc_sym() { cgpg --armor --symmetric --pinentry-mode loopback --passphrase-file "$T/pw"; }
enc_sym <"$T/s-anon" | mail_for send >"$T/r-sym"
n=$(rem)
snd "$T/r-sym"
check "a send@ encrypted with a passphrase, agent working: dropped (exit 0), nothing sent" \
    [ "$RC" = 0 -a "$(captured)" = 3 ]
python3 -c 'import os, sys; sys.stdout.buffer.write(b"\xa7" + os.urandom(299))' |
    cgpg --enarmor 2>/dev/null | sed 's/ARMORED FILE/MESSAGE/; /^Comment:/d' |
    mail_for config >"$T/r-tag9"
cfg "$T/r-tag9"
check "a config@ whose body is bare symmetrically encrypted data: dropped (exit 0), nothing done" \
    [ "$RC" = 0 -a "$(rem)" = "$n" ]
enc_sym <"$T/s-anon" | mail_for config >"$T/r-symcfg"
cfg "$T/r-symcfg"
check "a config@ encrypted with a passphrase: dropped (exit 0), nothing done" \
    [ "$RC" = 0 -a "$(rem)" = "$n" ]
# Both a key packet for us and a passphrase packet: gpg falls back to the
# passphrase when our key cannot be used, and that is still our trouble.
printf 'From: alice\nTo: carol@example.org\nSubject: both\n\nbody\n' |
    cgpg --local-user alice --armor --sign |
    cgpg --armor --encrypt -r config@nym.test --symmetric --pinentry-mode loopback \
    --passphrase-file "$T/pw" | mail_for send >"$T/r-both"
agent_off
snd "$T/r-both"
check "for our key and a passphrase, agent unusable: exit 75, not dropped" \
    [ "$RC" = 75 -a "$(captured)" = 3 ]
snd "$T/r-sym"
check "a passphrase layer alone, agent unusable: still dropped (exit 0)" \
    [ "$RC" = 0 -a "$(captured)" = 3 ]
agent_on
snd "$T/r-both"
check "... the agent back, the retry of the one for our key and a passphrase is sent" \
    [ "$RC" = 0 -a "$(captured)" = 4 ]
# The queue-buildup attack: a key packet that names our published key
# but holds garbage (or a wrong algorithm), followed by any passphrase
# packet.  gpg fails the key packet on its contents, not for want of our
# key, falls back to the passphrase, and none is given: the sender's, so
# dropped (exit 0) -- answered 75, each such mail would sit in the MTA's
# queue for days, a decryption per retry, and bounce in the end.
# pkesk_bad FILE HOW: the first packet of FILE (armored) is our PKESK;
# HOW=mpi garbles its encrypted session key, HOW=algo its algorithm byte.
pkesk_bad() {
	sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$1" |
	    cgpg --dearmor >"$T/pk.bin"
	python3 - "$T/pk.bin" "$2" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
c = d[0]
if c & 0x40:                    # new format header
    tag, l0 = c & 0x3f, d[1]
    hl = 2 if l0 < 192 else 3 if l0 < 224 else 6
else:                           # old format header
    tag, hl = (c >> 2) & 0xf, 1 + [1, 2, 4][c & 3]
assert tag == 1 and d[hl] == 3, "not a v3 PKESK"
b = hl                          # version, key id (8), algorithm, MPI
if sys.argv[2] == 'algo':
    d[b + 9] = 99
else:
    for i in range(b + 13, b + 45):     # inside the first MPI's value
        d[i] ^= 0x5a
open(sys.argv[1], 'wb').write(d)
PY
	cgpg --enarmor <"$T/pk.bin" 2>/dev/null | sed 's/ARMORED FILE/MESSAGE/; /^Comment:/d'
}
printf 'From: alice\nTo: carol@example.org\nSubject: hostile\n\nbody\n' |
    cgpg --local-user alice --armor --sign |
    cgpg --armor --encrypt -r config@nym.test --symmetric --pinentry-mode loopback \
    --passphrase-file "$T/pw" >"$T/h-send"
n=$(rem)
pkesk_bad "$T/h-send" mpi | mail_for send >"$T/r-hmpi"
snd "$T/r-hmpi"
check "a key packet for our key with a garbage session key, then a passphrase packet (send@), agent working: dropped (exit 0), not 75" \
    [ "$RC" = 0 -a "$(captured)" = 4 ]
pkesk_bad "$T/h-send" algo | mail_for send >"$T/r-halgo"
snd "$T/r-halgo"
check "... the same with a wrong algorithm byte in our key packet (send@): dropped (exit 0)" \
    [ "$RC" = 0 -a "$(captured)" = 4 ]
pkesk_bad "$T/h-send" mpi | mail_for config >"$T/r-hcfg"
cfg "$T/r-hcfg"
check "... and such a config@ request: dropped (exit 0), nothing done" \
    [ "$RC" = 0 -a "$(rem)" = "$n" ]
pkesk_bad "$T/h-send" algo | mail_for config >"$T/r-hcfg2"
cfg "$T/r-hcfg2"
check "... and a config@ with the wrong algorithm byte: dropped (exit 0), nothing done" \
    [ "$RC" = 0 -a "$(rem)" = "$n" ]
# Our key as the ninth recipient: every key id named is looked at (the
# first eight only were, and mail for us behind eight others was dropped
# for good while the agent was down).
rs=
for i in 1 2 3 4 5 6 7 8; do mkkey "r$i"; rs="$rs -r r$i@client.test"; done
# shellcheck disable=SC2086
printf 'From: alice\nTo: erin@example.org\nSubject: ninth\n\nbody\n' |
    cgpg --local-user alice --armor --sign |
    enc_to $rs -r config@nym.test | mail_for send >"$T/r-ninth"
agent_off
snd "$T/r-ninth"
check "our key as the ninth recipient, agent unusable: exit 75, not dropped" \
    [ "$RC" = 75 -a "$(captured)" = 4 ]
agent_on
snd "$T/r-ninth"
check "... the agent back, it is sent" [ "$RC" = 0 -a "$(captured)" = 5 ]
