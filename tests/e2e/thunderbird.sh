# thunderbird.sh - requests built the way Thunderbird builds them, signed
# and encrypted by RNP (the OpenPGP engine inside Thunderbird) on the
# owner's side, with RNP's default key (RSA-2048, expiring in 2 years):
# PGP/MIME whose encrypted entity is a multipart/mixed with protected
# headers (protected-headers="v1"), a base64 text/plain part and the
# owner's key attached; inline OpenPGP in a base64 text/plain part.  For
# config@ (create, modify) and send@ (protected From and Subject), and
# requests that cannot be read: answered through the nym's block. And
# Sequoia (sq): its default key signs with a separate subkey, by which an
# unreadable request finds the nym to answer.
. "$(dirname "$0")/../lib.sh"
command -v rnp >/dev/null || { skip "rnp is not installed (apt-get install rnp)"; exit 0; }
setup_nyms "confirm = no"
R=$T/r
mkdir -m 700 "$R"
rk() { rnpkeys --homedir "$R" --notty "$@"; }
rnpx() { rnp --homedir "$R" --notty --password '' "$@"; }
all_ok() { grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/tb.asc" && rk --list-keys 2>/dev/null | grep -q '^pub   2048/RSA .*EXPIRES'; }
rk --generate-key --userid 'tb <tb@client.test>' --password '' >/dev/null 2>&1
rk --import "$T/srv.asc" >/dev/null 2>&1
rk --export-key tb@client.test >"$T/tb.asc" 2>/dev/null
check "RNP made its default key (RSA-2048, expiring) and exported it" all_ok
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1 | sed 's/\.msg$//'; }
nrem() { count_in "$T/rem"; }
state() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | awk -v n="$1" '$1 == n { print $2, $3 }'; }
b64() { base64 -w 76; }
# rnp_notice FILE: the PGP message of a remail input, decrypted by RNP.
rnp_notice() {
	sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' "$1" >"$T/n.asc"
	rnpx --decrypt --output - "$T/n.asc" 2>/dev/null
}
# sealed FILE: FILE signed by tb and encrypted to config@, armored.
sealed() { rnpx --sign --encrypt -u tb@client.test -r config@nym.test --armor --output - "$1" 2>/dev/null; }
# pgpmime TO ENTITY: a PGP/MIME (RFC 3156) message whose encrypted part
# holds ENTITY, as Thunderbird sends it.
pgpmime() {
	cat <<EOF
To: $1@nym.test
Subject: ...
MIME-Version: 1.0
Content-Type: multipart/encrypted;
 protocol="application/pgp-encrypted";
 boundary="------------enc0TB"

This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)
--------------enc0TB
Content-Type: application/pgp-encrypted
Content-Description: PGP/MIME version identification

Version: 1

--------------enc0TB
Content-Type: application/octet-stream; name="encrypted.asc"
Content-Description: OpenPGP encrypted message
Content-Disposition: inline; filename="encrypted.asc"

$(sealed "$2")

--------------enc0TB--
EOF
}
# entity FILE SUBJECT FROM TEXTFILE: Thunderbird's inner entity: protected
# headers, the text base64 (format=flowed), the owner's key attached.
entity() {
	cat >"$1" <<EOF
Content-Type: multipart/mixed; boundary="------------mix1TB";
 protected-headers="v1"
From: $3
To: x@nym.test
Message-ID: <tb-$RANDOM@client.test>
Subject: $2

--------------mix1TB
Content-Type: multipart/mixed; boundary="------------mix2TB"

--------------mix2TB
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: base64

$(b64 <"$4")

--------------mix2TB
Content-Type: application/pgp-keys; name="OpenPGP_0xTB.asc"
Content-Disposition: attachment; filename="OpenPGP_0xTB.asc"
Content-Description: OpenPGP public key
Content-Transfer-Encoding: 7bit

$(cat "$T/tb.asc")

--------------mix2TB--

--------------mix1TB--
EOF
}

# --- config@ create, PGP/MIME, Thunderbird's entity ---
printf '::\nAnon-To: tb@real.example\n' >"$T/blk"
{ printf 'Config:\nFrom: tb\nNym-Commands: create\nPublic-Key:\n'; cat "$T/tb.asc"; printf 'Reply-Block:\n'; cat "$T/blk"; } >"$T/t1"
entity "$T/e1" "nym config" "tb <tb@client.test>" "$T/t1"
pgpmime config "$T/e1" >"$T/m1"
nymserv -f someone@example.org config <"$T/m1"
check "config@ create, PGP/MIME multipart/mixed, base64 text, key attached: nym active" \
    [ "$RC" = 0 -a "$(state tb)" = "active flags=0x2" ]
rnp_notice "$T/rem/$(lastrem).msg" >"$T/n1"
check "... RNP decrypts the answer: completed, key expiry shown" bash -c \
    "grep -q 'completed successfully' '$T/n1' && grep -q '^Key expires: ' '$T/n1'"

# --- config@ modify, inline OpenPGP in a base64 text part ---
printf 'Config:\nFrom: tb\nNym-Commands: +acksend\n' >"$T/t2"
sealed "$T/t2" >"$T/t2.asc"
cat >"$T/m2" <<EOF
To: config@nym.test
Subject: nym config
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="------------inl0TB"

--------------inl0TB
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

$(b64 <"$T/t2.asc")

--------------inl0TB
Content-Type: application/pgp-keys; name="OpenPGP_0xTB.asc"
Content-Disposition: attachment; filename="OpenPGP_0xTB.asc"

$(cat "$T/tb.asc")
--------------inl0TB--
EOF
nymserv -f someone@example.org config <"$T/m2"
check "config@ modify, inline in a base64 text part of multipart/mixed: +acksend" \
    [ "$RC" = 0 -a "$(state tb)" = "active flags=0x3" ]

# --- send@, PGP/MIME: From and Subject only in the protected headers ---
printf 'To: friend@example.org\n\nHello from Thunderbird, caf\xc3\xa9.\n' >"$T/t3"
entity "$T/e3" "tb says hi" "tb <tb@nym.test>" "$T/t3"
pgpmime send "$T/e3" >"$T/m3"
nymserv -f someone@example.org send <"$T/m3"
c=$T/cap/$(ls "$T/cap" | grep '\.msg$' | head -1)
check "send@ PGP/MIME with protected From and Subject: exit 0, one message sent" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
check "... From the nym, the protected Subject, the decoded text" bash -c \
    "grep -q '^From: .*tb@nym.test' '$c' && grep -q '^Subject: tb says hi' '$c' && grep -q 'Hello from Thunderbird' '$c' && grep -q 'friend@example.org' '$T/cap/'*.args"
check "... the owner's key and the protected legacy parts are not sent" bash -c \
    "! grep -q -e 'BEGIN PGP PUBLIC KEY' -e 'protected-headers' '$c'"
clear_cap

# --- send@, inline in a base64 text/plain body ---
printf 'From: tb\nTo: friend2@example.org\nSubject: inline\n\nInline hello\n' >"$T/t4"
rnpx --sign --encrypt -u tb@client.test -r config@nym.test --armor --output - "$T/t4" >"$T/t4.asc" 2>/dev/null
{ printf 'To: send@nym.test\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n'; b64 <"$T/t4.asc"; } >"$T/m4"
nymserv -f someone@example.org send <"$T/m4"
check "send@ inline in a base64 text/plain body: sent" bash -c \
    "[ '$RC' = 0 ] && [ \"\$(ls '$T/cap' | grep -c '\\.msg\$')\" = 1 ] && grep -q 'Inline hello' '$T/cap/'*.msg"
clear_cap

# --- requests that cannot be read: answered through the nym's block ---
n=$(nrem)
cat >"$T/e5" <<EOF
Content-Type: multipart/alternative; boundary="alt5"; protected-headers="v1"
Subject: nym config

--alt5
Content-Type: text/html; charset=UTF-8

<p>Config:<br>From: tb<br>Nym-Commands: -acksend</p>
--alt5--
EOF
pgpmime config "$T/e5" >"$T/m5"
nymserv -f someone@example.org config <"$T/m5"
m=$T/rem/$(lastrem).msg
rnp_notice "$m" >"$T/n5"
check "an HTML-only request: exit 0, answered once through the block, nothing changed" \
    [ "$RC" = 0 -a "$(nrem)" = $((n + 1)) -a "$(head -2 "$m")" = "$(cat "$T/blk")" -a "$(state tb)" = "active flags=0x3" ]
check "... the answer (encrypted to the nym key) says what was wrong" bash -c \
    "grep -q 'NOT carried out' '$T/n5' && grep -q 'no text/plain part' '$T/n5'"
nymserv -f someone@example.org config <"$T/m5"
check "... its replay is not answered again" [ "$RC" = 0 -a "$(nrem)" = $((n + 1)) ]
cat >"$T/e6" <<EOF
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

Q29uZmlnOgpGcm9tOiB0Ygo!!!=
EOF
pgpmime send "$T/e6" >"$T/m6"
nymserv -f someone@example.org send <"$T/m6"
rnp_notice "$T/rem/$(lastrem).msg" >"$T/n6"
check "bad base64 at send@: exit 0, nothing sent, the owner told" bash -c \
    "[ '$RC' = 0 ] && [ \"\$(ls '$T/cap' | grep -c '\\.msg\$')\" = 0 ] && [ $(nrem) = $((n + 2)) ] && grep -q 'cannot be decoded' '$T/n6'"
grep -q -w -e 'tb' -e "$(rk --list-keys 2>/dev/null | awk '/^pub/{print $3; exit}')" "$T/out" &&
    notok "the log names the nym or its key" || ok "the log names neither the nym nor its key"

# --- Sequoia (sq) on the owner's side: its default key signs with a
# separate signing subkey, which is what the answer to an unreadable
# request must find the nym by (the signature's issuer is the subkey) ---
if ! command -v sq >/dev/null; then
	skip "sq is not installed (apt-get install sq)"
	exit 0
fi
sqq() { sq "$@" 2>/dev/null; }
sqq key generate --userid '<sqn@client.test>' --export "$T/sq.key"
sqq key extract-cert "$T/sq.key" >"$T/sq.asc"
# sealedsq FILE: signed by the sq key and encrypted to the server.
sealedsq() { sqq encrypt --recipient-cert "$T/srv.asc" --signer-key "$T/sq.key" "$1"; }
printf '::\nAnon-To: sqn@real.example\n' >"$T/blk-sq"
{ printf 'Config:\nFrom: sqn\nNym-Commands: create\nPublic-Key:\n'; cat "$T/sq.asc"; printf 'Reply-Block:\n'; cat "$T/blk-sq"; } >"$T/s1"
{ printf 'To: config@nym.test\nSubject: c\n\n'; sealedsq "$T/s1"; } >"$T/ms1"
nymserv -f someone@example.org config <"$T/ms1"
check "sq (Cv25519, signing subkey): config@ create inline: nym active" \
    [ "$RC" = 0 -a "$(state sqn)" = "active flags=0x2" ]
n=$(nrem)
printf 'Content-Type: text/html\n\n<p>Config:</p>\n' >"$T/s2"
{ printf 'To: config@nym.test\nSubject: c\nMIME-Version: 1.0\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\n\n--b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b\nContent-Type: application/octet-stream\n\n'; sealedsq "$T/s2"; printf '\n--b--\n'; } >"$T/ms2"
nymserv -f someone@example.org config <"$T/ms2"
m=$T/rem/$(lastrem).msg
sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' "$m" >"$T/sqn.asc"
check "sq: an unreadable request is answered once, through the nym found by its signing subkey" \
    [ "$RC" = 0 -a "$(nrem)" = $((n + 1)) -a "$(head -2 "$m")" = "$(cat "$T/blk-sq")" ]
check "... sq decrypts it: what was wrong" bash -c \
    "sq decrypt --recipient-key '$T/sq.key' '$T/sqn.asc' 2>/dev/null | grep -q 'no text/plain part'"
