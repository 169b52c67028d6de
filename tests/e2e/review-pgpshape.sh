#!/usr/bin/env bash
# review-pgpshape.sh - OpenPGP data that is not "session keys, then
# encrypted data": gpg 2.2 ends some of it (a literal, a signed or
# compressed message, a marker alone) without any verdict on its status
# channel, which reads as a killed gpg: 75, retried for days.  Anyone can
# send it, to the remailer and to config@/send@; it must be refused.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '-acksend'
mkkey other
# arm: binary OpenPGP on stdin, ASCII-armored (CRC-24) on stdout.
arm() { python3 -c '
import sys,base64
d=sys.stdin.buffer.read(); c=0xB704CE
for b in d:
    c^=b<<16
    for i in range(8):
        c<<=1
        if c&0x1000000: c^=0x1864CFB
b=base64.b64encode(d).decode()
print("-----BEGIN PGP MESSAGE-----\n\n"+"\n".join(b[i:i+64] for i in range(0,len(b),64))+"\n="+base64.b64encode((c&0xFFFFFF).to_bytes(3,"big")).decode()+"\n-----END PGP MESSAGE-----")'; }

# ---- remail: a type-1 layer ($T/l) after "Encrypted: PGP" ----
layer() {
	{ printf '::\nEncrypted: PGP\n\n'; cat "$T/l"; } >"$T/in"
	as_user "$NYM_BIN/remail" -v -c "$T/nymserv.conf" -p remailer \
	    -f x@example.org <"$T/in" >"$T/out" 2>&1
	RC=$?
}
inner='::\nAnon-To: user@final.test\n\nthe body\n'
printf "$inner" | cgpg --armor --encrypt -r remailer@nym.test >"$T/l"; layer
check "control: a layer encrypted to the remailer is sent (0, got $RC)" test "$RC" = 0
printf "$inner" | cgpg --armor --store >"$T/l"; layer
check "remail: a literal packet as the layer: refused (65), not 75 forever (got $RC)" test "$RC" = 65
printf "$inner" | cgpg --armor -z 9 --store >"$T/l"; layer
check "remail: a compressed literal as the layer: refused (65), not 75 forever (got $RC)" test "$RC" = 65
printf "$inner" | cgpg --armor --local-user alice --sign >"$T/l"; layer
check "remail: a signed, unencrypted message as the layer: refused (65), not 75 forever (got $RC)" test "$RC" = 65
printf '\xa8\x03PGP' | arm >"$T/l"; layer
check "remail: a marker packet alone as the layer: refused (65), not 75 forever (got $RC)" test "$RC" = 65
{ printf "$inner" | cgpg --store; printf "$inner" | cgpg --encrypt -r remailer@nym.test; } | arm >"$T/l"; layer
check "remail: a literal packet before a layer to the remailer: refused (65), not 75 forever (got $RC)" test "$RC" = 65
# Anonymous key packets: gpg tries the secret key on each (an agent call,
# ~3.6 ms); 125,000 of them ran into the 300 s alarm, 75 each retry.
# Over 64 before the data (pgp_walk's cap for requests) is refused.
printf 'x\n' | cgpg --throw-keyids --encrypt -r alice@client.test >"$T/to.bin"
anon() { python3 -c '
import sys
d=open(sys.argv[1],"rb").read(); n=d[1]; pk=d[2:2+n]; rest=d[2+n:]
bits=(pk[10]<<8)|pk[11]; m=(bits+7)//8
s=pk[:12+m]+bytes([8])+b"\0"*8; p=bytes([0x84,len(s)])+s
sys.stdout.buffer.write(p*int(sys.argv[2])+rest)' "$T/to.bin" "$1" | arm; }
anon 65 >"$T/l"; layer
check "remail: 65 anonymous key packets before the data: refused (65) before gpg tries them (got $RC)" \
    sh -c "[ $RC = 65 ] && grep -q 'not an encrypted message' '$T/out'"
anon 64 >"$T/l"; layer
check "remail: 64 anonymous key packets for another key: gpg's to judge, refused (65) as before (got $RC)" \
    sh -c "[ $RC = 65 ] && ! grep -q 'not an encrypted message' '$T/out'"
anon 3 >"$T/l"; layer
check "remail: 3 anonymous key packets for another key: refused (65) by gpg, as before (got $RC)" test "$RC" = 65
check "remail: none of the refused layers was handed on" test "$(captured)" = 1

# Inside the encryption, built by hand with a session key we chose (the
# sender is a recipient too: --show-session-key): gpg 2.2 finds the
# session key (DECRYPTION_INFO), then dies on a broken compressed packet
# (log_fatal) with no verdict, as a killed gpg would; or reads "no secret
# key" for a nested message, which is not our key failing.
# seal INNER: a layer to the remailer and alice whose SEIPD holds INNER.
seal() { PYTHONWARNINGS=ignore python3 - "$T/base" "$1" <<'PY'
import sys, os, hashlib
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
msg = open(sys.argv[1], 'rb').read(); inner = open(sys.argv[2], 'rb').read()
algo, hx = os.environ['SK'].split(':'); key = bytes.fromhex(hx)
p = 0; out = b''
while True:                             # keep the key packets
    c = msg[p]
    tag = c & 0x3f if c & 0x40 else (c >> 2) & 15
    if tag in (9, 18):
        break
    if c & 0x40:
        l = msg[p + 1]
        if l < 192: h, n = 2, l
        elif l < 224: h, n = 3, ((l - 192) << 8) + msg[p + 2] + 192
        else: h, n = 6, int.from_bytes(msg[p + 2:p + 6], 'big')
    else:
        h = 1 + (1, 2, 4)[c & 3]; n = int.from_bytes(msg[p + 1:p + h], 'big')
    out += msg[p:p + h + n]; p += h + n
bs = 16 if algo in ('7', '8', '9') else 8
pre = os.urandom(bs); pre += pre[-2:]
body = pre + inner + b'\xd3\x14'
body += hashlib.sha1(body).digest()
e = Cipher(algorithms.AES(key), modes.CFB(b'\0' * bs)).encryptor()
ct = b'\x01' + e.update(body) + e.finalize()
sys.stdout.buffer.write(out + b'\xd2\xff' + len(ct).to_bytes(4, 'big') + ct)
PY
}
printf "$inner" | cgpg --encrypt -r remailer@nym.test -r alice@client.test >"$T/base"
SK=$(gpg --homedir "$T/c" --batch -q --show-session-key -d "$T/base" 2>&1 >/dev/null |
    sed -n "s/.*session key: .\(.*\).$/\1/p")
export SK
check "a session key to build layers with" test -n "$SK"
printf "$inner" | cgpg -z 0 --store >"$T/i-lit"
printf '\xc8\xff\x00\x00\x00\x08\x01\xff\xff\xff\x6a\x75\x6e\x6b' >"$T/i-zbad"
printf "$inner" | cgpg --compress-algo bzip2 --store | python3 -c '
import sys; d = bytearray(sys.stdin.buffer.read())
for i in range(12, 20): d[i] = 0
sys.stdout.buffer.write(d)' >"$T/i-bzbad"
printf "$inner" | cgpg --encrypt -r other@client.test >"$T/i-nest"
seal "$T/i-lit" | arm >"$T/l"; layer
check "control: a hand-built layer holding a literal is sent (0, got $RC)" test "$RC" = 0
n0=$(captured)
seal "$T/i-zbad" | arm >"$T/l"; layer
check "remail: a broken deflate packet inside the encryption: refused (65), not 75 forever (got $RC)" test "$RC" = 65
seal "$T/i-bzbad" | arm >"$T/l"; layer
check "remail: a broken bzip2 packet inside the encryption: refused (65), not 75 forever (got $RC)" test "$RC" = 65
seal "$T/i-nest" | arm >"$T/l"; layer
check "remail: a message to another key inside the encryption: refused (65), not 75 forever (got $RC)" test "$RC" = 65
check "remail: none of them handed on" test "$(captured)" = "$n0"

# ---- config@ and send@: pgp_walk calls these encrypted, gpg never
# decrypts them ----
mail_for() { printf 'To: %s@nym.test\nSubject: x\n\n' "$1"; cat; }
# req TAG KEY: a signed send@ request from alice, encrypted to KEY (binary).
req() {
	printf 'From: alice\nTo: bob@example.org\nSubject: %s\n\nbody %s\n' "$1" "$1" |
	    cgpg --local-user alice --sign --encrypt -r "$2"
}
# A compressed packet of definite length (a literal in it).
complit() { python3 -c '
import sys,zlib
lit=bytes([0xcb,8])+b"b\x00\x00\x00\x00\x00x\n"
co=zlib.compressobj(9,zlib.DEFLATED,-15); b=b"\x01"+co.compress(lit)+co.flush()
sys.stdout.buffer.write(bytes([0xc8,len(b)])+b)'; }
{ printf 'x\n' | cgpg -z 0 --store; req m1 config@nym.test; } | arm | mail_for send >"$T/m1"
{ complit; req m2 other@client.test; } | arm | mail_for send >"$T/m2"
{ complit; req m3 config@nym.test; } | arm | mail_for send >"$T/m3"
sed 's/^To: send@/To: config@/' "$T/m2" >"$T/m4"
clear_cap
nymserv -f someone@client.example send <"$T/m1"
check "send@: a literal packet before a layer to our key: dropped (0), not 75 forever (got $RC)" [ "$RC" = 0 ]
nymserv -f someone@client.example send <"$T/m2"
check "send@: a compressed literal before a layer to another key: dropped (0), not 75 forever (got $RC)" [ "$RC" = 0 ]
nymserv -f someone@client.example send <"$T/m3"
check "send@: a compressed literal before a layer to our key: dropped (0), not 75 forever (got $RC)" [ "$RC" = 0 ]
nymserv -f someone@client.example config <"$T/m4"
check "config@: a compressed literal before a layer to another key: dropped (0), not 75 forever (got $RC)" [ "$RC" = 0 ]
check "send@/config@: nothing sent for any of them" test "$(captured)" = 0
# The same requests without the packet in front are sent.
req m5 config@nym.test | arm | mail_for send >"$T/m5"
nymserv -f someone@client.example send <"$T/m5"
check "control: send@ signed and encrypted to our key is sent (0, got $RC; $(captured) sent)" [ "$RC" = 0 -a "$(captured)" = 1 ]
