# autocrypt.sh - +autocrypt: send@ mail carries the server's own
# Autocrypt: header (addr= the From address, keydata= the nym key cut to
# primary key, the nym's UID and one encryption subkey), folded as RFC
# 5322 wants; the keydata imports into a fresh GnuPG home as exactly that
# key; the client's own Autocrypt field never passes; absent unless asked.
. "$(dirname "$0")/../lib.sh"
setup_nyms
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
snd() { nymserv -f "someone@client.example" send <"$1"; }
# nymkey UID [MORE-UID...]: a key whose first UID is UID; prints its fpr.
nymkey() {
	local f u=$1
	cgpg --passphrase '' --quick-gen-key "$u" ed25519 sign 0
	f=$(cgpg --with-colons --list-keys "=$u" | awk -F: '/^fpr/{print $10; exit}')
	cgpg --passphrase '' --quick-add-key "$f" cv25519 encr 0
	shift
	for u; do cgpg --passphrase '' --quick-add-uid "$f" "$u"; done
	echo "$f"
}
# create NAME FPR COMMANDS: create and confirm nym NAME with key FPR.
create() {
	local c n
	printf '::\nAnon-To: %s@real.example\n' "$1" >"$T/blk-$1"
	nymcfg -n "$1" -u "$2" -k -c "create $3" -b "$T/blk-$1" >"$T/create-$1"
	nymserv -f someone@example.org config <"$T/create-$1"
	n=$(lastrem)
	c=$(decrypt_notice "$T/rem/$n" | grep -o 'confirm+[0-9a-f]*@' | head -1 | sed 's/confirm+//; s/@//')
	[ -n "$c" ] && nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
}
FA=$(nymkey alice@nym.test)
FB=$(nymkey bob@nym.test 'Bob Realname <bob.real@home.example>')
FC=$(nymkey carol@client.test)
FD=$(nymkey dave@nym.test)
create alice "$FA" '+autocrypt'
create bob "$FB" '+autocrypt'
create carol "$FC" '+autocrypt'
create dave "$FD" ''
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "four active nyms (alice, bob, carol +autocrypt (0x80); dave not)" \
    bash -c "[ \$(grep -c ' active ' '$T/list') = 4 ] && grep -q '^alice active flags=0x82' '$T/list' && grep -q '^dave active flags=0x2 ' '$T/list'"

# send NAME[+EXT] FPR N: send@ a message as NAME; it is $T/cap/N.msg.
send() {
	printf 'From: %s\nTo: rcpt@example.org\nSubject: hello from %s\nAutocrypt: addr=%s@nym.test; keydata=Q0xJRU5UIEtFWQ==\n\nbody\n' \
	    "$1" "$1" "$1" >"$T/m-$1"
	nymsend -u "$2" <"$T/m-$1" >"$T/r-$1"
	snd "$T/r-$1"
	[ "$RC" = 0 ] && [ -s "$T/cap/$3.msg" ]
}
check "alice sends (exit 0)" send alice "$FA" 1
# ac FILE: the message's Autocrypt fields, checked with Python's email
# parser: prints "n=COUNT addr=ADDR" and writes the keydata to FILE.key.
ac() {
	python3 - "$1" <<'PY'
import base64, email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\n\n", 1)[0].decode()
lines = head.split("\n")
# The raw field: its first line and its continuation lines.
field, i = [], 0
while i < len(lines):
    if lines[i].lower().startswith("autocrypt:"):
        field.append(lines[i]); i += 1
        while i < len(lines) and lines[i][:1] in (" ", "\t"):
            field.append(lines[i]); i += 1
    else:
        i += 1
m = email.message_from_bytes(raw, policy=email.policy.compat32)
vals = m.get_all("Autocrypt") or []
print("n=%d" % len(vals))
if not vals:
    sys.exit(0)
v = " ".join(vals[0].split())
attrs = dict(a.strip().split("=", 1) for a in v.split(";"))
print("addr=%s" % attrs.get("addr"))
print("keys=%s" % ",".join(sorted(attrs)))
print("longest=%d" % max(len(l) for l in field))
print("cont_ok=%d" % all(l[:1] == " " for l in field[1:]))
kd = "".join(attrs["keydata"].split())
open(sys.argv[1] + ".key", "wb").write(base64.b64decode(kd, validate=True))
PY
}
ac "$T/cap/1.msg" >"$T/a1"
check "alice: exactly one Autocrypt field (the client's was dropped)" grep -qx 'n=1' "$T/a1"
check "alice: addr= is the From address alice@nym.test" grep -qx 'addr=alice@nym.test' "$T/a1"
check "alice: only addr and keydata (no prefer-encrypt)" grep -qx 'keys=addr,keydata' "$T/a1"
check "alice: folded: no line over 78 characters, continuations start with a space" \
    bash -c "awk -F= '/^longest=/{exit !(\$2 <= 78)}' '$T/a1' && grep -qx 'cont_ok=1' '$T/a1'"
check "alice: the keydata is not what the client wrote" \
    bash -c "! grep -q 'CLIENT KEY' '$T/cap/1.msg.key' && [ \$(wc -c <'$T/cap/1.msg.key') -gt 100 ]"
# imported FILE: a fresh GnuPG home's view of the key in FILE.
imported() {
	local h=$T/f$RANDOM
	mkdir -m 700 "$h"
	HOMES+=("$h")
	gpg --homedir "$h" --batch --quiet --import "$1" 2>/dev/null
	gpg --homedir "$h" --batch --with-colons --list-keys 2>/dev/null |
	    awk -F: '/^pub/{print "pub"} /^fpr/&&!s{print "fpr " $10; s=1} /^uid/{print "uid " $10} /^sub/{print "sub " $12}'
	gpgconf --homedir "$h" --kill all 2>/dev/null
}
imported "$T/cap/1.msg.key" >"$T/k1"
check "alice: the keydata imports as exactly one key, alice's ($FA)" \
    bash -c "[ \$(grep -c '^pub' '$T/k1') = 1 ] && grep -qx 'fpr $FA' '$T/k1'"
check "... with exactly one UID, alice@nym.test" \
    bash -c "[ \$(grep -c '^uid' '$T/k1') = 1 ] && grep -qx 'uid alice@nym.test' '$T/k1'"
check "... and exactly one subkey, for encryption" \
    bash -c "[ \$(grep -c '^sub' '$T/k1') = 1 ] && grep -qx 'sub e' '$T/k1'"

check "alice+work sends (exit 0)" send alice+work "$FA" 2
ac "$T/cap/2.msg" >"$T/a2"
check "alice+work: addr= is the From address with its extension" grep -qx 'addr=alice+work@nym.test' "$T/a2"

check "bob (a second UID with a real name) sends" send bob "$FB" 3
ac "$T/cap/3.msg" >"$T/a3"
imported "$T/cap/3.msg.key" >"$T/k3"
check "bob: the keydata holds one UID, the nym's (bob@nym.test)" \
    bash -c "[ \$(grep -c '^uid' '$T/k3') = 1 ] && grep -qx 'uid bob@nym.test' '$T/k3'"
check "bob: the real name is nowhere in the mail" \
    bash -c "! grep -qi 'realname\|home.example' '$T/cap/3.msg' && ! grep -qi 'realname' '$T/cap/3.msg.key'"

check "dave (no +autocrypt) sends" send dave "$FD" 4
ac "$T/cap/4.msg" >"$T/a4"
check "dave: no Autocrypt field at all (not asked for; the client's dropped)" grep -qx 'n=0' "$T/a4"

n=$(ls "$T/rem" | grep -c '\.msg$')
check "carol (key UID not the nym's address) sends" send carol "$FC" 5
ac "$T/cap/5.msg" >"$T/a5"
check "carol: no Autocrypt field" grep -qx 'n=0' "$T/a5"
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack5"
check "carol: the acknowledgement says why" \
    grep -q "no Autocrypt: header: no user ID of the key is the nym's address" "$T/ack5"
