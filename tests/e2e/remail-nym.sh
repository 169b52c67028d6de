#!/usr/bin/env bash
# tests/e2e/remail-nym.sh - nymserv delivering to nyms through the real
# remail: a reply block with a public hop, and the exponential loop of a
# nym whose two reply blocks lead back to itself.
# The suite runs the loop against daily_chunks = 16 (seconds); the
# default limit is LOOP_CHUNKS=512 tests/run.sh remail-nym (about 9 min).
. "$(dirname "$0")/../lib.sh"
if ! declare -F client_init >/dev/null || [ ! -f "$REPO/contrib/nymcfg" ]; then
	skip "nym delivery through remail: this tree has no nym delivery"
	exit 0
fi
setup_state "remail = $NYM_BIN/remail -c $T/nymserv.conf" "confirm = no" "daily_chunks = ${LOOP_CHUNKS:-16}"
client_init
# Hop a: a public remail instance whose mail is captured with the rest.
mkdir -p "$T/a"
cat >"$T/a.conf" <<CONF
hostname = a.test
statedir = $T/a
sendmail = $T/capture-sendmail $T/cap
timeout = 300
CONF
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/a"
HOMES+=("$T/a/gnupg" "$T/a/remail-gnupg" "$T/s/remail-gnupg")
as_user "$NYM_BIN/nymctl" -c "$T/a.conf" init -t ed25519 >/dev/null 2>&1
as_user "$NYM_BIN/nymctl" -c "$T/a.conf" export-keys | cgpg --import
ncap() { ls "$T/cap" | grep -c '\.msg$'; }
lastcap() { ls "$T/cap" | grep '\.msg$' | sort -n | tail -1 | sed "s|^|$T/cap/|"; }
armored() { sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/{p;/^-----END PGP MESSAGE-----$/q}'; }
hop_a() { as_user "$NYM_BIN/remail" -c "$T/a.conf" -p remailer -f '' <"$1" >"$T/out-a" 2>&1; }

# --- A nym whose reply block goes nymserv -> remail (local) -> hop a. ---
mkkey alice
printf '::\nAnon-To: alice@real.example\nEncrypt-Key: alicepass\n\n' |
    cgpg --armor --encrypt --recipient '<remailer@a.test>' >"$T/la"
{ printf '::\nAnon-To: remailer@a.test\n\n::\nEncrypted: PGP\n\n'; cat "$T/la"; } >"$T/blk-alice"
nymcfg -n alice -u alice -k -c create -b "$T/blk-alice" >"$T/create-alice"
nymserv -f someone@example.org config <"$T/create-alice"
check "config@ create accepted, notice through real remail" \
    sh -c "[ $RC = 0 ] && grep -qx remailer@a.test '$(lastcap | sed 's/msg$/args/')'"
printf 'From: Bob <bob@example.org>\nTo: alice@nym.test\nSubject: hello\n\nThe fox writes to alice.\n' >"$T/in1"
nymserv -f bob@example.org alice <"$T/in1"
m=$(lastcap)
check "delivery through remail: exit 0, mailed to hop a" \
    sh -c "[ $RC = 0 ] && grep -qx remailer@a.test '${m%.msg}.args'"
check "what the local remail sent holds no body and no final address" \
    sh -c "! grep -q 'fox writes\|real.example' '$m'"
check "local remail wrote fresh headers" grep -qx 'From: Anonymous <remailer@nym.test>' "$m"
hop_a "$m"
m=$(lastcap)
check "hop a peels its layer and mails alice" \
    sh -c "grep -qx alice@real.example '${m%.msg}.args'"
armored <"$m" | cgpg --pinentry-mode loopback --passphrase alicepass --decrypt >"$T/p1"
armored <"$T/p1" | cgpg --decrypt >"$T/final"
check "alice decrypts the mail to the original body" grep -qx 'The fox writes to alice.' "$T/final"
check "the hop never saw the body in clear" sh -c "! grep -q 'fox writes' '$m'"

# --- Finding 9: a reply block reaches one address through this server.
# A bomber's blocks name a victim beside the bomber in the layers the
# server reads; none may be accepted, and nothing may reach the victim.
mkkey bomber
victim() { grep -l 'victim' "$T"/cap/*.args 2>/dev/null | wc -l; }
printf '::\nAnon-To: bomber@evil.test, victim@victim.test\n' >"$T/b1"
printf '::\nAnon-To: victim@victim.test\nCutmarks: --\n\nspam for the victim\n--\n::\nAnon-To: bomber@evil.test\n' >"$T/b2"
printf '::\nAnon-To: bomber@evil.test, victim@victim.test\n\n' |
    cgpg --armor --encrypt --recipient '<remailer@nym.test>' >"$T/b3l"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/b3l"; } >"$T/b3"
{ printf '::\nAnon-To: remailer@nym.test\n\n::\nEncrypted: PGP\n\n'; cat "$T/b3l"; } >"$T/b4"
printf '::\nAnon-To: bomber@evil.test\nRemail-To: victim@victim.test\n' >"$T/b5"
n0=$(ncap)
i=0
for b in b1 b2 b3 b4 b5; do
	i=$((i + 1))
	nymcfg -n bomber -u bomber -k -c create -b "$T/$b" -b "$T/$b" -b "$T/$b" >"$T/create-bomber"
	nymserv -f someone@example.org config <"$T/create-bomber"
	nymserv -f bob@example.org bomber <"$T/in1"
	check "finding 9: a bomber+victim reply block is refused at create ($b), nothing reaches the victim" \
	    sh -c "[ $RC = 67 ] && [ $(ncap) = $n0 ] && [ $(victim) = 0 ]"
done
# Modify: the errors go back through the old block, which stays in use.
nymcfg -n alice -u alice -c 'create?' -b "$T/b1" >"$T/mod-alice"
nymserv -f someone@example.org config <"$T/mod-alice"
m=$(lastcap)
check "finding 9: a bomber+victim block is refused at modify; the answer goes through the old block only" \
    sh -c "[ $RC = 0 ] && [ $(ncap) = $((n0 + 1)) ] && grep -qx remailer@a.test '${m%.msg}.args' && [ $(victim) = 0 ]"
hop_a "$m"
m=$(lastcap)
armored <"$m" | cgpg --pinentry-mode loopback --passphrase alicepass --decrypt >"$T/p1"
armored <"$T/p1" | cgpg --decrypt >"$T/ans"
check "finding 9: the config@ answer names the refused block and why" \
    sh -c "grep -q 'NOT carried out' '$T/ans' && grep -q 'Reply-Block 1 refused:.*recipients' '$T/ans'"
nymserv -f bob@example.org alice <"$T/in1"
check "finding 9: after the refused modify, alice's mail still goes to hop a only" \
    sh -c "[ $RC = 0 ] && grep -qx remailer@a.test '$(lastcap | sed 's/msg$/args/')' && [ $(victim) = 0 ]"

# --- A blocked final address: nymserv -> remail drops it silently. ---
mkkey carol
printf '::\nAnon-To: carol@real.example\n' >"$T/blk-carol"
nymcfg -n carol -u carol -k -c create -b "$T/blk-carol" >"$T/create-carol"
nymserv -f someone@example.org config <"$T/create-carol"
printf 'From: Bob <bob@example.org>\nTo: carol@nym.test\nSubject: one\n\nfirst\n' >"$T/in2"
n0=$(ncap)
nymserv -f bob@example.org carol <"$T/in2"
check "carol not blocked yet: her mail reaches carol@real.example" \
    sh -c "[ $RC = 0 ] && [ $(ncap) = $((n0 + 1)) ] && grep -qx carol@real.example '$(lastcap | sed 's/msg$/args/')'"
# carol@real.example blocks itself: a request, then a reply to the probe.
printf 'From: carol@real.example\nTo: dstblk-request@nym.test\nSubject: block me\n\nplease\n' >"$T/req"
nymserv -f carol@real.example dstblk-request <"$T/req"
tok=
for a in "$T"/cap/*.args; do
	[ "$(tail -1 "$a")" = carol@real.example ] &&
	    sed -n 2p "$a" | grep -q '^dstblk+' &&
	    tok=$(sed -n 2p "$a" | sed 's/^dstblk+//; s/@nym.test$//')
done
printf 'From: carol@real.example\nTo: dstblk+%s@nym.test\nSubject: Re: confirm\n\nyes\n' "$tok" >"$T/ans"
nymserv -f carol@real.example "dstblk+$tok" <"$T/ans"
check "carol@real.example is blocked" sh -c "[ -n '$tok' ] && [ $RC = 0 ] && grep -q 'is now blocked' '$(lastcap)'"
n0=$(ncap)
printf 'From: Bob <bob@example.org>\nTo: carol@nym.test\nSubject: two\n\nsecond\n' >"$T/in3"
nymserv -f bob@example.org carol <"$T/in3"
check "mail to the nym whose final address is blocked: exit 0, nothing mailed" \
    sh -c "[ $RC = 0 ] && [ $(ncap) = $n0 ]"

# --- Exponential loop: two reply blocks that lead back to the nym. ---
mkkey loop
printf '::\nAnon-To: loop@nym.test\n\n' |
    cgpg --armor --encrypt --recipient '<remailer@a.test>' >"$T/ll"
{ printf '::\nAnon-To: remailer@a.test\n\n::\nEncrypted: PGP\n\n'; cat "$T/ll"; } >"$T/blk-loop"
nymcfg -n loop -u loop -k -c create -b "$T/blk-loop" -b "$T/blk-loop" >"$T/create-loop"
start=$(ncap)
nymserv -f someone@example.org config <"$T/create-loop"
check "loop nym created" test "$RC" = 0
# Everything captured from now on is fed back where it is addressed,
# until nothing is left: hop a's mail to loop@nym.test goes to nymserv.
done_=$start
to_nym=0 refused=0 hopin=0 s=$SECONDS
nymserv -f bob@example.org loop <"$T/in1"
# Bounded by a count of messages fed (the limit stops the loop long
# before), not by time.
lim=${LOOP_CHUNKS:-16}
while [ "$done_" -lt "$(ncap)" ] && [ "$done_" -lt $((start + 40 * lim + 400)) ]; do
	done_=$((done_ + 1))
	f=$T/cap/$done_.msg
	if grep -qx remailer@a.test "$T/cap/$done_.args"; then
		hopin=$((hopin + 1))
		# As the MTA would: again while it exits 75.
		for r in 1 2 3 4 5; do hop_a "$f" && break; [ $? = 75 ] || break; done
	elif grep -qx loop@nym.test "$T/cap/$done_.args"; then
		to_nym=$((to_nym + 1))
		for r in 1 2 3 4 5; do nymserv -f '' loop <"$f"; [ "$RC" = 75 ] || break; done
		[ "$RC" = 69 ] && refused=$((refused + 1))
	fi
done
echo "# loop: $hopin remailer inputs (chunks), $to_nym deliveries to the nym, $refused refused, $((SECONDS - s)) s"
nymserv -f x@example.org loop <"$T/in1"
check "loop: the nym ends disabled (69 on new mail, was $RC)" test "$RC" = 69
check "loop: the loop stopped (nothing left to feed)" test "$done_" = "$(ncap)"
check "loop: total chunks stay near the daily limit of $lim ($hopin)" \
    test "$hopin" -lt $((lim + lim / 8 + 24))
