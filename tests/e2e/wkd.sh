# wkd.sh - the Web Key Directory of the nyms: built from the public view
# by the state's owners for +fingerkey nyms whose key has one UID, the
# nym's address; both layouts and their policy files; a key change, -fingerkey,
# disable, delete and expiry update or remove the entry at once (expiry:
# nymctl expire, and the minutely nymctl queue-run).  As root,
# end to end: real `gpg --locate-external-keys` (auto-key-locate wkd)
# fetches a published nym key from lighttpd (the sample configuration)
# over HTTPS with a private CA, on loopback inside a private mount and
# network namespace, by the advanced and by the direct method; an
# unpublished and a deleted nym's key are not found.
. "$(dirname "$0")/../lib.sh"
if [ -z "${NYM_WKD_NS:-}" ] && [ "$(id -u)" = 0 ] &&
    command -v unshare >/dev/null && command -v lighttpd >/dev/null; then
	rm -rf "$T"
	NYM_WKD_NS=1 exec unshare -mn --propagation private bash "$0" "$@"
fi
setup_nyms "wkd_dir = $T/wkd"
W=$T/wkd/.well-known/openpgpkey
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
# nymkey UID [MORE-UID...] [-e EXPIRY]: a key whose first UID is UID.
nymkey() {
	local f u=$1 exp=0
	shift
	if [ "${1:-}" = -e ]; then exp=$2; shift 2; fi
	cgpg --passphrase '' --quick-gen-key "$u" ed25519 sign "$exp"
	f=$(cgpg --with-colons --list-keys "=$u" | awk -F: '/^fpr/{print $10; exit}')
	cgpg --passphrase '' --quick-add-key "$f" cv25519 encr "$exp"
	for u; do cgpg --passphrase '' --quick-add-uid "$f" "$u"; done
	echo "$f"
}
# cfg NAME FPR COMMANDS [-k]: a signed config@ request, handled.
cfg() {
	nymcfg -n "$1" -u "$2" ${4:+-k} -c "$3" ${4:+-b "$T/blk-$1"} >"$T/cfg-$1"
	nymserv -f someone@example.org config <"$T/cfg-$1"
}
create() {
	local c
	printf '::\nAnon-To: %s@real.example\n' "$1" >"$T/blk-$1"
	cfg "$1" "$2" "create $3" -k
	c=$(decrypt_notice "$T/rem/$(lastrem)" | grep -o 'confirm+[0-9a-f]*@' | head -1 | sed 's/confirm+//; s/@//')
	[ -n "$c" ] && nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
}
WKS=/usr/lib/gnupg/gpg-wks-client
hash() { "$WKS" --print-wkd-hash "$1@nym.test" 2>/dev/null | awk '{print $1}'; }
HA=$(hash alice) HB=$(hash bob) HC=$(hash carol)
adv() { echo "$W/nym.test/hu/$1"; }
dir() { echo "$W/hu/$1"; }
# keyfacts FILE: the key file's keys, fingerprint and UIDs, from a fresh home.
keyfacts() {
	local h=$T/k$RANDOM
	mkdir -m 700 "$h"
	HOMES+=("$h")
	gpg --homedir "$h" --batch --quiet --import "$1" 2>/dev/null
	gpg --homedir "$h" --batch --with-colons --list-keys 2>/dev/null |
	    awk -F: '/^pub/{print "pub"} /^fpr/&&!s{print "fpr " $10; s=1} /^uid/{print "uid " $10}'
	gpgconf --homedir "$h" --kill all 2>/dev/null
}

FA=$(nymkey alice@nym.test)
FB=$(nymkey bob@nym.test 'Bob Realname <bob@home.example>')
FC=$(nymkey carol@nym.test)
create alice "$FA" '+fingerkey'
create bob "$FB" '+fingerkey'
create carol "$FC" ''
check "the hashes are gpg-wks-client's ($HA)" [ ${#HA} = 32 ]
check "alice (+fingerkey, one UID alice@nym.test): published, advanced layout" [ -s "$(adv "$HA")" ]
check "... and direct layout, the same bytes" cmp -s "$(adv "$HA")" "$(dir "$HA")"
keyfacts "$(adv "$HA")" >"$T/fa"
check "... the file is alice's key, binary, one UID" \
    bash -c "[ \$(grep -c '^pub' '$T/fa') = 1 ] && grep -qx 'fpr $FA' '$T/fa' && [ \$(grep -c '^uid' '$T/fa') = 1 ] && ! grep -q 'BEGIN PGP' '$(adv "$HA")'"
check "bob (+fingerkey, a second UID with a real name): not published" \
    bash -c "[ ! -e '$(adv "$HB")' ] && [ ! -e '$(dir "$HB")' ]"
check "carol (no +fingerkey): not published" bash -c "[ ! -e '$(adv "$HC")' ] && [ ! -e '$(dir "$HC")' ]"
check "policy files in both layouts" bash -c "[ -f '$W/policy' ] && [ -f '$W/nym.test/policy' ]"
check "modes: hu/ 0711 (not listable), keys and policy 0644, the rest 0755" \
    bash -c "[ \$(stat -c %a '$W/hu') = 711 ] && [ \$(stat -c %a '$W/nym.test/hu') = 711 ] && [ \$(stat -c %a '$(adv "$HA")') = 644 ] && [ \$(stat -c %a '$W/policy') = 644 ] && [ \$(stat -c %a '$W/nym.test') = 755 ]"
check "only alice's files in the tree" \
    bash -c "[ \$(find '$T/wkd' -type f | wc -l) = 4 ]"

# A key change: the entry is the new key at once.
FA2=$(nymkey alice@nym.test)
nymcfg -n alice -u "$FA" -K "$FA2" -c 'create?' >"$T/rk"
nymserv -f someone@example.org config <"$T/rk"
keyfacts "$(adv "$HA")" >"$T/fa2"
check "key change: the entry holds the new key at once" grep -qx "fpr $FA2" "$T/fa2"
check "... in both layouts" cmp -s "$(adv "$HA")" "$(dir "$HA")"
FA=$FA2
cfg alice "$FA" '-fingerkey'
check "-fingerkey: removed at once (both layouts)" bash -c "[ ! -e '$(adv "$HA")' ] && [ ! -e '$(dir "$HA")' ]"
cfg alice "$FA" '+fingerkey'
check "+fingerkey again: back" [ -s "$(adv "$HA")" ]
cfg alice "$FA" '+disable'
check "+disable: removed at once" bash -c "[ ! -e '$(adv "$HA")' ] && [ ! -e '$(dir "$HA")' ]"
cfg alice "$FA" '-disable'
check "-disable: back" [ -s "$(adv "$HA")" ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" disable alice >/dev/null
check "nymctl disable: removed at once" bash -c "[ ! -e '$(adv "$HA")' ]"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" enable alice >/dev/null
check "nymctl enable: back" [ -s "$(adv "$HA")" ]
# A stray file (a crash, a hand edit) is removed by the rebuild.
cp "$(adv "$HA")" "$W/nym.test/hu/ybndrfg8ejkmcpqxot1uwisza345h769"
chown 65534:65534 "$W/nym.test/hu/ybndrfg8ejkmcpqxot1uwisza345h769" 2>/dev/null
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >/dev/null
check "nymctl check removes a stray entry, keeps alice's" \
    bash -c "[ ! -e '$W/nym.test/hu/ybndrfg8ejkmcpqxot1uwisza345h769' ] && [ -s '$(adv "$HA")' ]"

# Expiry: dave's key expires in 2 days; the mark says when; nymctl
# expire -t after that removes the entry.
FD=$(nymkey dave@nym.test -e 2d)
create dave "$FD" '+fingerkey'
HD=$(hash dave)
exp=$(cgpg --with-colons --list-keys "$FD" | awk -F: '/^pub/{print $7; exit}')
check "dave (key expiring in 2 days): published" [ -s "$(adv "$HD")" ]
check "... pub/wkd-next holds its expiry ($exp)" [ "$(cat "$T/s/pub/wkd-next" 2>/dev/null)" = "$exp" ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" expire -t $((exp + 60)) >/dev/null 2>&1
check "nymctl expire -t after the expiry: dave's entry removed" \
    bash -c "[ ! -e '$(adv "$HD")' ] && [ ! -e '$(dir "$HD")' ]"
check "... alice's (no expiry) stays, and the mark is gone" \
    bash -c "[ -s '$(adv "$HA")' ] && [ ! -e '$T/s/pub/wkd-next' ]"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >/dev/null
check "nymctl check (now): dave's key is valid again, back" [ -s "$(adv "$HD")" ]

# The minutely nymctl queue-run removes it too, without nymctl expire:
# nymctl runs with its clock moved (tests/clock-skew.c, as gpg's
# --faked-system-time) to 60 s before, then 60 s after dave's expiry.
check "... and pub/wkd-next holds its expiry again" [ "$(cat "$T/s/pub/wkd-next" 2>/dev/null)" = "$exp" ]
# qrun SECONDS: nymctl queue-run with its wall clock SECONDS from now.
qrun() {
	as_user env LD_PRELOAD="$T/skew.so" NYM_CLOCK_SKEW="$1" \
	    ASAN_OPTIONS=verify_asan_link_order=0 \
	    "$NYM_BIN/nymctl" -c "$T/nymserv.conf" queue-run >"$T/qr.out" 2>&1
}
if cc -shared -fPIC -o "$T/skew.so" "$REPO/tests/clock-skew.c" -ldl 2>"$T/cc.err" &&
    [ "$(as_user env LD_PRELOAD="$T/skew.so" NYM_CLOCK_SKEW=86400 date -u +%F)" = "$(date -u -d tomorrow +%F)" ]; then
	ok "tests/clock-skew.c built; it moves a program's clock (date: tomorrow)"
else
	notok "tests/clock-skew.c built and moves the clock ($(head -3 "$T/cc.err"))"
fi
qrun $((exp - 60 - $(date +%s)))
QRC=$?
check "queue-run 60 s before dave's expiry (exit $QRC): the entry and the mark stay" \
    bash -c "[ $QRC = 0 ] && [ -s '$(adv "$HD")' ] && [ -s '$(dir "$HD")' ] && [ \"\$(cat '$T/s/pub/wkd-next')\" = $exp ]"
qrun $((exp + 60 - $(date +%s)))
QRC=$?
check "queue-run 60 s after it (exit $QRC): dave's entry removed (both layouts), alice's stays, the mark gone" \
    bash -c "[ $QRC = 0 ] && [ ! -e '$(adv "$HD")' ] && [ ! -e '$(dir "$HD")' ] && [ -s '$(adv "$HA")' ] && [ ! -e '$T/s/pub/wkd-next' ]"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >/dev/null
check "nymctl check (now): back again" [ -s "$(adv "$HD")" ]

# ---- real gpg over HTTPS (root: own network namespace) ----
if [ -z "${NYM_WKD_NS:-}" ]; then
	skip "wkd: gpg --locate-external-keys over HTTPS needs root (own network namespace) and lighttpd"
	cfg alice "$FA" 'delete'
	check "delete: removed at once" bash -c "[ ! -e '$(adv "$HA")' ] && [ ! -e '$(dir "$HA")' ]"
	exit 0
fi
LPID= DNSPID=
stop_web() {
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	[ -n "$DNSPID" ] && kill "$DNSPID" 2>/dev/null && wait "$DNSPID" 2>/dev/null
	cleanup
}
trap stop_web EXIT
ip link set lo up
X=$T/tls
mkdir -p "$X"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$X/ca.key" -out "$X/ca.crt" \
    -subj /CN=nymserv-test-ca -days 2 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout "$X/srv.key" -out "$X/srv.csr" \
    -subj /CN=openpgpkey.nym.test >/dev/null 2>&1
printf 'subjectAltName=DNS:openpgpkey.nym.test,DNS:nym.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$X/ext"
openssl x509 -req -in "$X/srv.csr" -CA "$X/ca.crt" -CAkey "$X/ca.key" -CAcreateserial \
    -out "$X/srv.crt" -days 2 -extfile "$X/ext" >/dev/null 2>&1
cat "$X/srv.crt" "$X/srv.key" >"$X/srv.pem"
# dirmngr trusts the system store only: the test CA joins it, here only.
cat /etc/ssl/certs/ca-certificates.crt "$X/ca.crt" >"$X/bundle.crt"
mount --bind "$X/bundle.crt" /etc/ssl/certs/ca-certificates.crt
printf '127.0.0.1 localhost openpgpkey.nym.test nym.test\n' >"$T/hosts"
mount --bind "$T/hosts" /etc/hosts
# The sample, with the test's wkd_dir; lighttpd drops root for www-data,
# so the tree's modes must let the web server read the keys.
sed "s|^var.nym_wkd_dir = .*|var.nym_wkd_dir = \"$T/wkd\"|" "$REPO/etc/lighttpd/wkd.conf" >"$T/wkd-site.conf"
chmod 644 "$X/srv.pem"
cat >"$T/lighttpd.conf" <<CONF
server.document-root = "$T/empty"
server.port = 443
server.bind = "127.0.0.1"
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "$T/lighttpd.err"
server.modules = ( "mod_openssl", "mod_accesslog" )
accesslog.filename = "$T/access.log"
ssl.engine = "enable"
ssl.pemfile = "$X/srv.pem"
include "$T/wkd-site.conf"
CONF
mkdir -p "$T/empty"
touch "$T/access.log" "$T/lighttpd.err"
chown www-data "$T/access.log" "$T/lighttpd.err"
lighttpd -D -f "$T/lighttpd.conf" >"$T/lighttpd.out" 2>&1 &
LPID=$!
up=
for i in $(seq 1 200); do
	curl -s -o /dev/null --cacert "$X/ca.crt" https://openpgpkey.nym.test/ && { up=1; break; }
	kill -0 "$LPID" 2>/dev/null || break
	sleep 0.1
done
check "lighttpd (sample wkd.conf) answers HTTPS on 127.0.0.1:443 in the namespace" [ -n "$up" ]
curl -s --cacert "$X/ca.crt" -D "$T/hdr" -o "$T/got" "https://openpgpkey.nym.test/.well-known/openpgpkey/nym.test/hu/$HA?l=alice"
check "curl: alice's key by the advanced URL, application/octet-stream, CORS" \
    bash -c "cmp -s '$T/got' '$(adv "$HA")' && grep -qi '^Content-Type: application/octet-stream' '$T/hdr' && grep -qi '^Access-Control-Allow-Origin: \*' '$T/hdr'"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$X/ca.crt" "https://openpgpkey.nym.test/.well-known/openpgpkey/nym.test/hu/")
check "no directory listing of hu/ ($code)" [ "$code" = 403 -o "$code" = 404 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$X/ca.crt" "https://openpgpkey.nym.test/.well-known/openpgpkey/nym.test/hu/$HC")
check "an unpublished nym: 404 ($code)" [ "$code" = 404 ]
# HTTP/1.1: lighttpd 1.4.69 resets an HTTP/2 stream it denies before
# reading the body (curl reports no status at all), a refusal too.
code=$(curl -s --http1.1 -o /dev/null -w '%{http_code}' -d x --cacert "$X/ca.crt" "https://nym.test/.well-known/openpgpkey/hu/$HA")
check "POST refused ($code)" [ "$code" = 403 ]

# locate NAME: a fresh GnuPG home asks WKD only; prints the fingerprint.
locate() {
	local h=$T/l$RANDOM
	mkdir -m 700 "$h"
	HOMES+=("$h")
	echo standard-resolver >"$h/dirmngr.conf"
	gpg --homedir "$h" --batch --quiet --auto-key-locate clear,nodefault,wkd \
	    --locate-external-keys "$1@nym.test" >/dev/null 2>"$h/err"
	gpg --homedir "$h" --batch --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/{print $10; exit}'
	gpgconf --homedir "$h" --kill all 2>/dev/null
}
got=$(locate alice)
check "gpg --locate-external-keys alice@nym.test: alice's key, from WKD" [ "$got" = "$FA" ]
check "... by the advanced method (lighttpd's log, written after the answer: waited for)" wait_until grep -q "GET /.well-known/openpgpkey/nym.test/hu/$HA?l=alice" "$T/access.log"
check "gpg --locate-external-keys bob@nym.test (two UIDs, not published): nothing" [ -z "$(locate bob)" ]
check "gpg --locate-external-keys carol@nym.test (no +fingerkey): nothing" [ -z "$(locate carol)" ]

# The direct method: openpgpkey.nym.test does not resolve (a DNS server
# answering NXDOMAIN for it and for the SRV name); nym.test does.
python3 "$REPO/tests/fake-dns" "$T/dns.port" /dev/null 127.0.0.1:53 2>"$T/dns.err" &
DNSPID=$!
for i in $(seq 100); do [ -s "$T/dns.port" ] && break; sleep 0.1; done
echo 'nameserver 127.0.0.1' >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
printf '127.0.0.1 localhost nym.test\n' >"$T/hosts"
: >"$T/access.log"
got=$(locate alice)
check "direct method: gpg finds alice's key at https://nym.test/.well-known/openpgpkey/hu/" [ "$got" = "$FA" ]
check "... lighttpd's log shows the direct URL (waited for)" wait_until grep -q "GET /.well-known/openpgpkey/hu/$HA?l=alice" "$T/access.log"
printf '127.0.0.1 localhost openpgpkey.nym.test nym.test\n' >"$T/hosts"

cfg alice "$FA" 'delete'
check "delete: removed at once (both layouts)" bash -c "[ ! -e '$(adv "$HA")' ] && [ ! -e '$(dir "$HA")' ]"
check "gpg --locate-external-keys alice@nym.test after the delete: nothing" [ -z "$(locate alice)" ]
