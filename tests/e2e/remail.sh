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
timeout = 60
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
check "hop A uses the null envelope sender" grep -qx '<>' "${fa%.msg}.args"
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
