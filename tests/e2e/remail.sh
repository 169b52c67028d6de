#!/usr/bin/env bash
# tests/e2e/remail.sh - the type-1 remailer: layers, Encrypt-Key, pasting,
# caps, the man in the middle, the delay spool and crashes.
. "$(dirname "$0")/../lib.sh"

# hop NAME: a remail instance with its own config, state and key;
# its sendmail captures into $T/cap-NAME.
hop() {
	local h=$1; shift
	mkdir -p "$T/$h" "$T/cap-$h"
	cp "$REPO/tests/capture-sendmail" "$T/capture-sendmail"
	cat >"$T/$h.conf" <<CONF
hostname = $h.test
statedir = $T/$h
sendmail = $T/capture-sendmail $T/cap-$h
timeout = 300
CONF
	[ $# -gt 0 ] && printf '%s\n' "$@" >>"$T/$h.conf"
	[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/$h" "$T/cap-$h"
	HOMES+=("$T/$h/gnupg" "$T/$h/remail-gnupg")
	as_user "$NYM_BIN/nymctl" -c "$T/$h.conf" init -t ed25519 >/dev/null 2>&1 &&
	as_user "$NYM_BIN/nymctl" -c "$T/$h.conf" export-keys | cgpg --import
}
# remail HOP [args] < input: exit status in $RC, stdout in $T/out.
remail() {
	local h=$1; shift
	as_user "$NYM_BIN/remail" -c "$T/$h.conf" "$@" >"$T/out" 2>&1
	RC=$?
}
cgpg() { gpg --homedir "$T/c" --batch --quiet --no-tty --trust-model always "$@" 2>/dev/null; }
# enc ADDR: armored encryption of stdin to a hop's key.
enc() { cgpg --armor --encrypt --recipient "<$1>"; }
last() { ls "$1" | grep '\.msg$' | sort -n | tail -1 | sed "s|^|$1/|"; }
n_in() { ls "$1" 2>/dev/null | grep -c '\.msg$'; }
body_of() { sed '1,/^$/d' "$1"; }
armored() { sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/{p;/^-----END PGP MESSAGE-----$/q}'; }

mkdir -m 700 "$T/c"
HOMES+=("$T/c")
cgpg --passphrase '' --quick-gen-key 'user <user@final.test>' ed25519 sign 0
fpr=$(cgpg --with-colons --list-keys '<user@final.test>' | awk -F: '/^fpr/{print $10; exit}')
cgpg --passphrase '' --quick-add-key "$fpr" cv25519 encr 0
hop a || { notok "hop a initialised"; exit 1; }
hop b || { notok "hop b initialised"; exit 1; }
hop l

# --- Two hops: user -> remailer A -> remailer B -> final address. ---
# The reply block as a client builds it, innermost layer first.
printf '::\nAnon-To: user@final.test\nEncrypt-Key: 4QBUBWRGQgRsa0ATirS8ew==\n\n' |
    enc remailer@b.test >"$T/lb"
{ printf '::\nAnon-To: remailer@b.test\nEncrypt-Key: passA\nLatent-Time: +0:00\n\n\n'
  printf '::\nEncrypted: PGP\n\n'; cat "$T/lb"; printf '**\n'; } |
    enc remailer@a.test >"$T/la"
printf 'The secret body of the letter.\n' | cgpg --armor --encrypt -r user@final.test >"$T/payload"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/la"; printf '\n**\n'; cat "$T/payload"; } >"$T/in-a"
remail a -p remailer -f someone@example.org <"$T/in-a"
check "hop A accepts the encrypted message (exit 0)" test "$RC" = 0
fa=$(last "$T/cap-a")
check "hop A forwards to hop B" grep -qx remailer@b.test "${fa%.msg}.args"
check "hop A uses its envelope_sender (nobody@a.test)" grep -qx 'nobody@a.test' "${fa%.msg}.args"
check "hop A's output holds no final address" sh -c "! grep -q 'final.test' '$fa'"
check "hop A's output holds no body in clear" sh -c "! grep -q 'secret body' '$fa'"
check "hop A's output has a fresh From" grep -q '^From: Anonymous <remailer@a.test>$' "$fa"
remail b -p remailer -f '' <"$fa"
check "hop B accepts hop A's output" test "$RC" = 0
fb=$(last "$T/cap-b")
check "hop B mails the final address" grep -qx user@final.test "${fb%.msg}.args"
check "hop B's output holds no body in clear" sh -c "! grep -q 'secret body' '$fb'"
armored <"$fb" | cgpg --pinentry-mode loopback --passphrase 4QBUBWRGQgRsa0ATirS8ew== --decrypt >"$T/p1"
armored <"$T/p1" | cgpg --pinentry-mode loopback --passphrase passA --decrypt >"$T/p2"
armored <"$T/p2" | cgpg --decrypt >"$T/final"
check "final message decrypts to the original body" grep -qx 'The secret body of the letter.' "$T/final"
armored <"$fb" | cgpg --list-packets >"$T/packets" 2>&1
check "Encrypt-Key uses AES-256" grep -q 'symkey enc packet: version 4, cipher 9' "$T/packets"
check "Encrypt-Key output is integrity protected (MDC)" grep -q 'mdc_method: 2' "$T/packets"

# --- Finding 15: Encrypt-Key layers a classic reader can undo. ---
# Mixmaster 3's nym reader knows MD5, SHA-1 and RIPEMD-160 for S2K
# (OpenPGP hash ids 1, 2, 3); gpg has no option that restricts the S2K
# digest when decrypting, so the packet is inspected for that, and the
# layer is decrypted by a passphrase-only gpg in an empty home.
s2k_hash() { sed -n 's/^:symkey enc packet: .*s2k 3, hash \([0-9]*\).*/\1/p' "$1" | head -1; }
check "finding 15: remail's Encrypt-Key layer uses a classic S2K digest (SHA-1), AES-256, MDC" \
    sh -c "[ '$(s2k_hash "$T/packets")' = 2 ] && grep -q 'symkey enc packet: version 4, cipher 9' '$T/packets' && grep -q 'mdc_method: 2' '$T/packets'"
case $(s2k_hash "$T/packets") in 1|2|3) classic=1 ;; *) classic=0 ;; esac
mkdir -m 700 "$T/e"
HOMES+=("$T/e")
armored <"$fb" | gpg --homedir "$T/e" --batch --quiet --no-tty --pinentry-mode loopback \
    --passphrase 4QBUBWRGQgRsa0ATirS8ew== --decrypt >"$T/p1e" 2>/dev/null
check "finding 15: the layer decrypts with a passphrase-only gpg restricted to MD5/SHA-1/RIPEMD-160 S2K" \
    sh -c "[ $classic = 1 ] && cmp -s '$T/p1' '$T/p1e' && [ -s '$T/p1e' ]"
hop m "remail_s2k_digest = SHA256"
remail m < <(printf '::\nAnon-To: user@final.test\nEncrypt-Key: modernpass\n\nmodern body\n')
f=$(last "$T/cap-m")
armored <"$f" | cgpg --list-packets >"$T/packets-m" 2>&1
check "finding 15: remail_s2k_digest = SHA256 writes SHA-256 S2K (AES-256, MDC)" \
    sh -c "[ $RC = 0 ] && [ '$(s2k_hash "$T/packets-m")' = 8 ] && grep -q 'cipher 9' '$T/packets-m' && grep -q 'mdc_method: 2' '$T/packets-m'"
printf 'remail_s2k_digest = MD4\n' >>"$T/m.conf"
remail m < <(printf '::\nAnon-To: user@final.test\n\nx\n')
check "remail_s2k_digest: an unknown digest is a configuration error (75)" test "$RC" = 75
# contrib/nymread and a legacy hop: 3DES without MDC only with -L.
printf 'From: config@nym.test\nSubject: legacy\n\nThrough a legacy hop.\n' |
    cgpg --armor --encrypt -r user@final.test >"$T/leg-inner"
gpg --homedir "$T/e" --batch --quiet --no-tty --pinentry-mode loopback --passphrase legacypass \
    --symmetric --armor --rfc2440 --cipher-algo 3DES --s2k-digest-algo SHA1 \
    <"$T/leg-inner" >"$T/leg-layer" 2>/dev/null
{ printf 'From: remailer@old.test\nTo: user@final.test\n\n'; cat "$T/leg-layer"; } >"$T/leg-mail"
gpg --homedir "$T/e" --batch --list-packets --pinentry-mode loopback --passphrase legacypass \
    <"$T/leg-layer" >"$T/leg-packets" 2>&1
bash "$REPO/contrib/nymread" -g "$T/c" legacypass <"$T/leg-mail" >"$T/leg-out" 2>"$T/leg-err"
lrc=$?
check "finding 15: nymread refuses a 3DES layer without MDC by default, with a clear message" \
    sh -c "grep -q 'symkey enc packet: version 4, cipher 2,' '$T/leg-packets' && ! grep -q mdc_method '$T/leg-packets' && [ $lrc = 3 ] && grep -q 'no integrity protection.*-L' '$T/leg-err' && ! grep -q 'legacy hop\.' '$T/leg-out'"
bash "$REPO/contrib/nymread" -g "$T/c" -L legacypass <"$T/leg-mail" >"$T/leg-out" 2>"$T/leg-err"
lrc=$?
check "finding 15: nymread -L reads the legacy layer, with a warning" \
    sh -c "[ $lrc = 0 ] && grep -qx 'Through a legacy hop.' '$T/leg-out' && grep -q 'warning: layer 1 has no integrity' '$T/leg-err'"
bash "$REPO/contrib/nymread" -g "$T/c" 4QBUBWRGQgRsa0ATirS8ew== passA <"$fb" >"$T/nr-out" 2>/dev/null
check "nymread peels remail's Encrypt-Key layers (no -L needed)" grep -qx 'The secret body of the letter.' "$T/nr-out"

# --- Local mode (as nymserv pipes it): clear outer layer, pasting. ---
cat >"$T/local.eml" <<'MAIL'
From: Real Sender <real@sender.example>
Sender: real@sender.example
Reply-To: real@sender.example
Message-ID: <identifying@sender.example>
Received: from host.sender.example by mx
X-Mailer: Identifying Mailer 1.0
Return-Path: <real@sender.example>
Subject: the input's own subject

::
Anon-To: dest@final.test


##
Subject: pasted subject
In-Reply-To: <parent@x.example>
Cc: cc-victim@x.example
Bcc: bcc-victim@x.example
From: forged@x.example
Reply-To: forged@x.example
X-Tracking: 1

The body goes out.
MAIL
clear_cap_all() { rm -rf "$T"/cap-?/*; }
clear_cap_all
remail l -f real@sender.example <"$T/local.eml"
check "local mode: clear outer layer accepted" test "$RC" = 0
f=$(last "$T/cap-l")
# The recipients are the arguments after "--" (before it: -f and the
# envelope sender, nobody@HOST since envelope_sender).
check "local mode: mailed to the Anon-To address only" \
    test "$(sed '1,/^--$/d' "${f%.msg}.args" | grep -c .)" = 1 -a "$(sed '1,/^--$/d' "${f%.msg}.args")" = dest@final.test
check "pasted allow-listed headers pass" \
    sh -c "grep -qx 'Subject: pasted subject' '$f' && grep -qx 'In-Reply-To: <parent@x.example>' '$f'"
check "Cc/Bcc/From/Reply-To/X- in ## never pass" \
    sh -c "! grep -qi 'victim\|forged\|X-Tracking' '$f'"
check "identifying input headers never pass" \
    sh -c "! grep -qi 'sender.example\|Identifying\|Received:\|Return-Path\|the input' '$f'"
check "fresh Date, Message-ID, From, To" \
    sh -c "grep -q '^Date: ' '$f' && grep -q '^Message-ID: <[0-9a-f]*@l.test>$' '$f' && grep -qx 'From: Anonymous <remailer@l.test>' '$f' && grep -qx 'To: dest@final.test' '$f'"
check "body delivered" grep -qx 'The body goes out.' "$f"

printf '::\nAnon-To: dest@final.test\n\nclear\n' >"$T/clear.txt"
remail a -p remailer -f x@example.org <"$T/clear.txt"
check "public mode refuses clear input (77, 5.7.1)" \
    sh -c "[ $RC = 77 ] && grep -q '^5.7.1' '$T/out'"
hop p "remail_accept_clear = yes" "remail_public = yes"
remail p -p remailer -f x@example.org <"$T/clear.txt"
check "remail_accept_clear = yes accepts clear public input" test "$RC" = 0
hop q "remail_public = no"
remail q -p remailer -f x@example.org <"$T/in-a"
check "remail_public = no refuses remailer@ (67, 5.1.1)" \
    sh -c "[ $RC = 67 ] && grep -q '^5.1.1' '$T/out'"
remail a -p postmaster -f x@example.org <"$T/clear.txt"
check "other local parts: 5.1.1" test "$RC" = 67

# --- The man in the middle gets no copy. ---
printf '::\nAnon-To: victim-dest@final.test\n\nfor the right reader\n' |
    enc remailer@a.test >"$T/lm"
{ printf 'Anon-To: mitm0@evil.test\n\n::\nAnon-To: mitm1@evil.test\nEncrypted: PGP\nRemail-To: mitm2@evil.test\n\n'
  cat "$T/lm"; } >"$T/mitm"
clear_cap_all
remail a -p remailer -f x@example.org <"$T/mitm"
check "man in the middle: message still delivered" test "$RC" = 0
check "man in the middle: only the inner Anon-To gets it" \
    sh -c "grep -qx victim-dest@final.test '$T'/cap-a/*.args && ! grep -q evil '$T'/cap-a/*.msg '$T'/cap-a/*.args"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/lm"; printf '::\nAnon-To: mitm3@evil.test\n\n'; } >"$T/mitm2"
remail a -p remailer -f x@example.org <"$T/mitm2"
check "a :: block appended after the armor travels as payload" \
    sh -c "[ $RC = 0 ] && ! grep -q evil '$T'/cap-a/*.args"

# --- Finding 2: text appended after a layer's armored block is payload.
# The layer for hop a ends without a blank line; a man in the middle
# appends an Anon-To (and, in a second message, a ## block) after it.
printf '::\nAnon-To: remailer@b.test\n' | enc remailer@a.test >"$T/f2"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/f2"
  printf 'Anon-To: spy@evil.test\nfor the next hop\n'; } >"$T/f2-in"
clear_cap_all
remail a -p remailer -f x@example.org <"$T/f2-in"
f=$(last "$T/cap-a")
check "finding 2: text appended after a layer's armored block is payload, not directives (no copy to the spy, the next hop receives)" \
    sh -c "[ $RC = 0 ] && [ $(n_in "$T/cap-a") = 1 ] && grep -qx remailer@b.test '${f%.msg}.args' && ! grep -q evil '${f%.msg}.args' && grep -qx 'To: remailer@b.test' '$f'"
check "finding 2: the appended text reaches the next hop as payload" \
    sh -c "body_() { sed '1,/^\$/d' \"\$1\"; }; body_ '$f' | grep -qx 'Anon-To: spy@evil.test' && body_ '$f' | grep -qx 'for the next hop'"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/f2"
  printf '\n##\nSubject: tagged by the mitm\nIn-Reply-To: <mitm@evil.test>\n\nbody\n'; } >"$T/f2-in2"
clear_cap_all
remail a -p remailer -f x@example.org <"$T/f2-in2"
f=$(last "$T/cap-a")
check "finding 2: an appended ## block pastes no header (plaintext without a blank line)" \
    sh -c "[ $RC = 0 ] && grep -qx remailer@b.test '${f%.msg}.args' && ! sed '/^\$/q' '$f' | grep -qi 'mitm'"
printf '::\nAnon-To: remailer@b.test\n\n' | enc remailer@a.test >"$T/f2b"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/f2b"
  printf '##\nSubject: tagged by the mitm\n\nbody\n'; } >"$T/f2-in3"
clear_cap_all
remail a -p remailer -f x@example.org <"$T/f2-in3"
f=$(last "$T/cap-a")
check "finding 2: an appended ## block pastes no header (plaintext ending in a blank line)" \
    sh -c "[ $RC = 0 ] && grep -qx remailer@b.test '${f%.msg}.args' && ! sed '/^\$/q' '$f' | grep -qi 'mitm'"

# --- Refusals and caps. ---
remail l < <(printf '::\nAnon-To: a@final.test\nEncrypt-Key:\n\nx\n')
check "empty Encrypt-Key refused (65, 5.6.0)" sh -c "[ $RC = 65 ] && grep -q '^5.6.0.*Encrypt-Key' '$T/out'"
remail l < <(printf '::\nAnon-To: a@final.test, b@final.test, c@final.test, d@final.test, e@final.test, f@final.test\n\nx\n')
check "more than remail_max_recipients addresses refused" test "$RC" = 65
remail l < <(printf '::\nAnon-To: -oQ/tmp/x@final.test\n\nx\n')
check "an address starting with '-' refused" test "$RC" = 65
remail l < <(printf '::\nAnon-To: nodomain\n\nx\n')
check "an address without a domain refused" test "$RC" = 65
remail l < <(printf 'no directives at all\n')
check "input without directives refused" test "$RC" = 65
clear_cap_all
remail l < <(printf '::\nAnon-To: a@final.test\nNull:\n\nx\n')
check "Null: drops the message (exit 0, nothing sent)" \
    sh -c "[ $RC = 0 ] && [ $(n_in "$T/cap-l") = 0 ]"
printf 'For the real one\n' >"$T/deep"
for i in $(seq 1 100); do
	{ printf '::\nEncrypted: PGP\n\n'; enc remailer@a.test <"$T/deep"; } >"$T/deep2"
	mv "$T/deep2" "$T/deep"
done
s=$SECONDS
remail a -p remailer <"$T/deep"
check "100-deep nested layers refused within the depth cap (5.7.0)" \
    sh -c "[ $RC = 65 ] && grep -q '^5.7.0.*nested' '$T/out'"
echo "# 100-deep input refused in $((SECONDS - s)) s"
{ printf '::\nAnon-To: a@final.test\nCutmarks: --\n\nfirst\n'
  for i in $(seq 1 10000); do printf -- '--\n::\nAnon-To: v%d@victim.test\n\nbomb\n' "$i"; done; } >"$T/bomb"
# Cutmarks are for the public remailer (hop p takes clear input): in
# local mode (nymserv's hand-off) they are refused, see finding 9 below.
clear_cap_all
s=$SECONDS
remail p -p remailer <"$T/bomb"
check "10,000-piece cutmark bomb refused (5.7.0), nothing sent" \
    sh -c "[ $RC = 65 ] && grep -q '^5.7.0' '$T/out' && [ $(n_in "$T/cap-p") = 0 ]"
echo "# cutmark bomb refused in $((SECONDS - s)) s"
remail p -p remailer < <(printf '::\nAnon-To: a@final.test\nCutmarks: --\n\nthe text\n-- \nISP footer\n--\n::\nAnon-To: b@final.test\n\nsecond piece\n')
check "Cutmarks: footer cut off, a piece with directives sent alone" \
    sh -c "[ $RC = 0 ] && [ $(n_in "$T/cap-p") = 2 ] && ! grep -q 'ISP footer' '$T'/cap-p/*.msg && grep -qx 'the text' '$T'/cap-p/*.msg && grep -qx 'second piece' '$T'/cap-p/*.msg"
# Finding 9: what nymserv hands the local remail reaches one address.
clear_cap_all
remail l < <(printf '::\nAnon-To: bomber@evil.test, victim@victim.test\n\nmail for a nym\n')
check "finding 9: local mode refuses a layer naming several recipients (65, 5.7.1), nothing sent" \
    sh -c "[ $RC = 65 ] && grep -q '^5.7.1.*recipients' '$T/out' && [ $(n_in "$T/cap-l") = 0 ]"
remail l < <(printf '::\nAnon-To: bomber@evil.test\nAnon-To: victim@victim.test\n\nmail for a nym\n')
check "finding 9: local mode refuses two Anon-To lines, nothing sent" \
    sh -c "[ $RC = 65 ] && [ $(n_in "$T/cap-l") = 0 ]"
remail l < <(printf '::\nAnon-To: bomber@evil.test\nCutmarks: --\n\nx\n--\n::\nAnon-To: victim@victim.test\n\nmail for a nym\n')
check "finding 9: local mode refuses Cutmarks (a piece to a third party), nothing sent" \
    sh -c "[ $RC = 65 ] && grep -q '^5.7.1.*Cutmarks' '$T/out' && [ $(n_in "$T/cap-l") = 0 ]"
printf '::\nAnon-To: bomber@evil.test, victim@victim.test\n\n' | enc remailer@l.test >"$T/f9l"
remail l < <(printf '::\nEncrypted: PGP\n\n'; cat "$T/f9l"; printf 'mail for a nym\n')
check "finding 9: local mode refuses several recipients in a layer it decrypts, nothing sent" \
    sh -c "[ $RC = 65 ] && [ $(n_in "$T/cap-l") = 0 ]"
remail p -p remailer < <(printf '::\nAnon-To: one@final.test, two@final.test\n\npublic\n')
check "the public remailer still takes several Anon-To addresses" \
    sh -c "[ $RC = 0 ] && grep -qx one@final.test '$(last "$T/cap-p" | sed 's/msg$/args/')' && grep -qx two@final.test '$(last "$T/cap-p" | sed 's/msg$/args/')'"

# --- Latent-Time: the delay spool and remail -q. ---
clear_cap_all
remail l < <(printf '::\nAnon-To: late@final.test\nLatent-Time: +2:00r\n\nlater\n')
check "Latent-Time message spooled (exit 0, not sent yet)" \
    sh -c "[ $RC = 0 ] && [ $(n_in "$T/cap-l") = 0 ] && [ \$(ls '$T/l/spool' | grep -c '^[0-9]') = 1 ]"
as_user "$NYM_BIN/remail" -c "$T/l.conf" -q >"$T/out" 2>&1
check "remail -q leaves messages not yet due" \
    sh -c "[ $? = 0 ] && [ $(n_in "$T/cap-l") = 0 ]"
for f in "$T"/l/spool/[0-9]*; do mv "$f" "$T/l/spool/0000000001.${f##*.}"; done
as_user "$NYM_BIN/remail" -c "$T/l.conf" -q >"$T/out" 2>&1
check "remail -q sends what is due and empties the spool" \
    sh -c "[ $? = 0 ] && [ $(n_in "$T/cap-l") = 1 ] && [ \$(ls '$T/l/spool' | grep -c '^[0-9]') = 0 ]"
hop z "remail_max_latency = 0"
remail z < <(printf '::\nAnon-To: late@final.test\nLatent-Time: 23:59\n\nnow\n')
check "remail_max_latency caps Latent-Time (0: sent at once)" \
    sh -c "[ $RC = 0 ] && [ $(n_in "$T/cap-z") = 1 ]"
remail z < <(printf '::\nAnon-To: late@final.test\nLatent-Time: 25:00\n\nx\n')
check "invalid Latent-Time refused" test "$RC" = 65

# --- Temporary failures. ---
echo 75 >"$T/cap-l/exit"
remail l < <(printf '::\nAnon-To: a@final.test\n\nx\n')
check "sendmail failure: exit 75" test "$RC" = 75
rm -f "$T/cap-l/exit"

# --- remailer-key@ ---
clear_cap_all
remail a -p remailer-key -f asker@example.org < <(printf 'From: asker@example.org\nSubject: key\n\nplease\n')
f=$(last "$T/cap-a")
check "remailer-key@ answers with the public key" \
    sh -c "[ $RC = 0 ] && grep -qx asker@example.org '${f%.msg}.args' && grep -q 'BEGIN PGP PUBLIC KEY BLOCK' '$f'"
remail a -p remailer-key -f '' < <(printf 'From: x\n\nplease\n')
remail a -p remailer-key -f MAILER-DAEMON@example.org < <(printf 'From: x\n\nplease\n')
remail a -p remailer-key -f bot@example.org < <(printf 'From: x\nAuto-Submitted: auto-replied\n\nplease\n')
check "remailer-key@ never answers null sender, MAILER-DAEMON, automatic mail" \
    sh -c "[ $RC = 0 ] && [ $(n_in "$T/cap-a") = 1 ]"

# --- Legacy encryption without MDC is refused with a clear error. ---
printf '::\nAnon-To: a@final.test\n\nold\n' |
    cgpg --armor --rfc2440 --cipher-algo CAST5 --encrypt --recipient '<remailer@a.test>' >"$T/nomdc"
if [ -s "$T/nomdc" ] && ! cgpg --list-packets <"$T/nomdc" 2>&1 | grep -q mdc_method; then
	remail a -p remailer < <(printf '::\nEncrypted: PGP\n\n'; cat "$T/nomdc")
	check "layer without MDC refused (65, 5.7.5, says MDC)" \
	    sh -c "[ $RC = 65 ] && grep -q '^5.7.5.*MDC' '$T/out'"
else
	skip "gpg made no MDC-less message for this key"
fi

# --- kill -9 at random points while spooling and while flushing: every
# message delivered at least once, none lost.  The random sleeps only pick
# where a kill lands; no check depends on how long anything takes. ---
hop k
N=40 kills=0
track_start	# every remail and every sendmail it starts, orphans included
for i in $(seq 1 $N); do
	printf '::\nAnon-To: k@final.test\nLatent-Time: +0:01\n\nmarker-%d-end\n' "$i" >"$T/k.in"
	for try in $(seq 1 50); do
		# exec: $! must be remail itself, not a subshell whose kill
		# would leave remail running on to spool after the count.
		(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C \
		    "$NYM_BIN/remail" -c "$T/k.conf" <"$T/k.in" >/dev/null 2>&1) &
		pid=$!
		sleep "0.00$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=$?	# 137: the kill landed (not on a process already done)
		[ "$rc" = 137 ] && kills=$((kills + 1))
		[ "$rc" = 0 ] && break	# spooled; otherwise the MTA retries
	done
	# 50 kills in a row (a slow, sanitized build): the MTA's next
	# retries are not interrupted.
	for try in $(seq 1 20); do
		[ "$rc" = 0 ] && break
		as_user "$NYM_BIN/remail" -c "$T/k.conf" <"$T/k.in" >/dev/null 2>&1
		rc=$?
	done
done
spooled=$(ls "$T/k/spool" | grep -c '^[0-9]*\.[0-9a-f]*$')
for f in "$T"/k/spool/[0-9]*; do
	case $f in *.tmp*) continue ;; esac
	mv "$f" "$T/k/spool/0000000001.${f##*.}"
done
flushes=0
for try in $(seq 1 300); do
	(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C \
	    "$NYM_BIN/remail" -c "$T/k.conf" -q >/dev/null 2>&1) &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? = 137 ] && kills=$((kills + 1)) flushes=$((flushes + 1))
	spool_empty "$T/k/spool" && break
done
# The timer's next runs, uninterrupted, until the spool is empty.
flush_spool "$T/k.conf" "$T/k/spool"
# Sendmails orphaned by a kill finish their work: wait until they exited.
check "every process of the kill -9 runs has exited" track_wait
lost=0 dups=0
for i in $(seq 1 $N); do
	c=$(grep -l "^marker-$i-end\$" "$T"/cap-k/*.msg 2>/dev/null | wc -l)
	[ "$c" -eq 0 ] && lost=$((lost + 1))
	[ "$c" -gt 1 ] && dups=$((dups + c - 1))
done
echo "# kill -9: $kills kills, $N messages, $spooled spooled ($((spooled - N)) duplicates from retried spooling), $flushes killed flushes, $lost lost, $dups duplicates delivered"
check "kill -9 while spooling and flushing: kills made ($kills)" test "$kills" -gt 0
check "kill -9 while spooling and flushing: no message lost ($dups duplicates)" test "$lost" = 0
check "spool empty after the last queue run" spool_empty "$T/k/spool"
