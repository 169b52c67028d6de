# alias-browser.sh - the registration form in a real browser: headless
# Chromium (driven through the DevTools protocol by tests/cdp-drive) on
# the form that lighttpd serves on loopback, running bin/nymreg as CGI.
# As root, lighttpd (and so nymreg) runs as www-data, a user that cannot
# read the state: nymreg hands every request on as mail (to a capture
# outbox here, where the test plays the MTA and runs nymserv as nobody).
# Screenshots of every page go to $NYM_TEST_OUT/alias-browser, or by
# default to a directory of this run's own, /tmp/nymtest-out.XXXXXX (runs
# at the same time never share one), removed at the end when every check
# passed (kept with NYM_KEEP=1).
. "$(dirname "$0")/../lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
LIGHTTPD=$(command -v lighttpd || ls /usr/sbin/lighttpd 2>/dev/null || true)
if [ -z "$CHROMIUM" ]; then
	skip "browser test: chromium is not installed (apt-get install chromium)"
	exit 0
fi
if [ -z "$LIGHTTPD" ]; then
	skip "browser test: lighttpd is not installed (apt-get install lighttpd)"
	exit 0
fi
if [ -n "${NYM_TEST_OUT:-}" ]; then
	OUT=$NYM_TEST_OUT/alias-browser
	mkdir -p "$OUT"
	rm -f "$OUT"/*.png
else
	OUTDIR=$(mktemp -d /tmp/nymtest-out.XXXXXX)
	OUT=$OUTDIR/alias-browser
	mkdir "$OUT"
fi
echo "# screenshots in $OUT"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/nymreg
setup_state "alias_web_url = $URL"
# nymreg's configuration: the same, but its mail goes to an outbox the
# web server's user may write (the MTA's part is pass_cgi below).
mkdir -p "$T/outbox"
sed "s|^sendmail = .*|sendmail = $T/capture-sendmail $T/outbox|" \
    "$T/nymserv.conf" >"$T/nymreg.conf"
chmod 644 "$T/nymreg.conf" "$T/nymserv.conf"
WEBUSER=
if [ "$(id -u)" = 0 ]; then
	WEBUSER=www-data
	id "$WEBUSER" >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin "$WEBUSER"
	chown "$WEBUSER" "$T/outbox"
	check "the web server's user cannot read the state" \
	    bash -c "! setpriv --reuid=$(id -u $WEBUSER) --regid=$(id -g $WEBUSER) --clear-groups -- ls '$T/s/db' >/dev/null 2>&1 && ! setpriv --reuid=$(id -u $WEBUSER) --regid=$(id -g $WEBUSER) --clear-groups -- cat '$T/s/db/data.mdb' >/dev/null 2>&1"
else
	skip "lighttpd as another user than the state's owner: needs root"
fi
# pass_cgi: every message nymreg handed on, to nymserv (as the MTA would).
PASSED=0
pass_cgi() {
	local n
	for n in $(ls "$T/outbox" | grep '\.msg$' | sed 's/\.msg//' | sort -n); do
		[ "$n" -le "$PASSED" ] && continue
		nymserv -f "$(sed -n 2p "$T/outbox/$n.args")" \
		    "$(sed -n 5p "$T/outbox/$n.args")" <"$T/outbox/$n.msg"
		PASSED=$n
	done
}

mkdir -p "$T/www"
{
	echo "server.document-root = \"$T/www\""
	echo "server.bind = \"127.0.0.1\""
	echo "server.port = $PORT"
	echo "server.errorlog = \"$T/lighttpd.err\""
	echo "server.modules = (\"mod_alias\", \"mod_cgi\", \"mod_setenv\")"
	[ -n "$WEBUSER" ] && echo "server.username = \"$WEBUSER\"" &&
	    echo "server.groupname = \"$(id -gn $WEBUSER)\""
	echo "alias.url = (\"/nymreg\" => \"$NYM_BIN/nymreg\")"
	echo '$HTTP["url"] =~ "^/nymreg" { cgi.assign = ("" => "") }'
	echo "setenv.add-environment = (\"NYMREG_CONF\" => \"$T/nymreg.conf\")"
} >"$T/lighttpd.conf"
touch "$T/lighttpd.err"
[ -n "$WEBUSER" ] && chown "$WEBUSER" "$T/www" "$T/lighttpd.err"
"$LIGHTTPD" -D -f "$T/lighttpd.conf" >"$T/lighttpd.out" 2>&1 &
LPID=$!
stop_all() {
	kill "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null
	# A per-run screenshot directory goes unless a check failed.
	[ -n "${OUTDIR:-}" ] && [ "$NOTOK" = 0 ] && [ -z "${NYM_KEEP:-}" ] &&
	    rm -rf "$OUTDIR"
	cleanup
}
trap stop_all EXIT

# fetch URL [BODY]: status line, headers and page into $T/fetch.
fetch() {
	python3 - "$@" >"$T/fetch" 2>&1 <<'PY'
import sys, urllib.request, urllib.error
url = sys.argv[1]
data = sys.argv[2].encode() if len(sys.argv) > 2 else None
req = urllib.request.Request(url, data=data)
if data is not None:
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
try:
    r = urllib.request.urlopen(req, timeout=300)
except urllib.error.HTTPError as e:
    r = e
print(r.status if hasattr(r, "status") else r.code)
print(str(r.headers))
print(r.read().decode("utf-8", "replace"))
PY
}
serving() { fetch "$URL" && [ "$(head -1 "$T/fetch")" = 200 ]; }
if ! wait_until serving; then
	notok "lighttpd serves nymreg on 127.0.0.1:$PORT ($(head -3 "$T/fetch" "$T/lighttpd.out" "$T/lighttpd.err" 2>/dev/null | tr '\n' ' '))"
	exit 1
fi
ok "lighttpd serves nymreg on 127.0.0.1:$PORT"

# browser STEP...: one headless Chromium session.
N=0
# Chromium's own temporary files (org.chromium.*) go under $T, not /tmp.
browser() {
	mkdir -p "$T/ctmp"
	TMPDIR="$T/ctmp" "$REPO/tests/cdp-drive" "$CHROMIUM" "$T/chrome" "$@" \
	    2>>"$T/cdp.err"
}
ok_if() { local w=$1; shift; if eval "$*"; then ok "$w"; else notok "$w"; fi; }
link_of() { grep -o "$URL?t=[0-9a-f]*" "$T/cap/$1.msg" | head -1; }
last() { ls "$T/cap" | grep '\.msg$' | sort -n | tail -1 | sed 's/\.msg//'; }
# shot NAME: the next screenshot file name in $SHOT (no subshell, so
# the number counts up).
shot() { N=$((N + 1)); SHOT=$(printf '%s/%02d-%s.png' "$OUT" "$N" "$1"); }

# register USER-ALIAS EMAIL: fill in the form, press Register, follow the
# confirmation link from the captured mail, press Confirm.
register() {
	local alias=$1 email=$2 s1 s2 s3 s4 n link
	shot "form-$alias"; s1=$SHOT
	shot "register-$alias"; s2=$SHOT
	before=$(captured)
	browser nav "$URL" shot "$s1" fill alias "$alias" fill email "$email" \
	    click register shot "$s2" text "$T/page.txt"
	check "$alias: the form page was shown and saved" [ -s "$s1" ]
	check "$alias: Register answers 'check your mail'" grep -q 'check your mail' "$T/page.txt"
	pass_cgi
	n=$(last)
	ok_if "$alias: one confirmation mail to $email" \
	    '[ "$(captured)" = $((before + 1)) ] && [ "$(tail -1 "$T/cap/$n.args")" = "$email" ]'
	link=$(link_of "$n")
	check "$alias: the mail carries the confirmation link" [ -n "$link" ]
	shot "confirm-$alias"; s3=$SHOT
	shot "confirmed-$alias"; s4=$SHOT
	browser nav "$link" shot "$s3" text "$T/page1.txt" click confirm \
	    shot "$s4" text "$T/page.txt"
	check "$alias: the link shows a Confirm button (nothing done on GET)" \
	    grep -q 'Press the button' "$T/page1.txt"
	check "$alias: Confirm answers 'passed on'" \
	    grep -q "confirmation is passed on" "$T/page.txt"
	pass_cgi
	n=$(last)
	ok_if "$alias: ... and the alias is registered (notice to $email)" \
	    'grep -q "^Subject: Alias $alias@nym.test registered" "$T/cap/$n.msg" && [ "$(tail -1 "$T/cap/$n.args")" = "$email" ]'
}

register ally alice@example.org
register bobby bob@example.net
check "screenshots saved ($(ls "$OUT" | wc -l) so far)" [ "$(ls "$OUT"/*.png | wc -l)" = 8 ]

# --- the two talk through their aliases ---
cat >"$T/m" <<'EOF'
Authentication-Results: nym.test; spf=pass smtp.mailfrom=alice@example.org
Received: from pc.example.org (pc.example.org [192.0.2.9])
	by mx.example.org; Mon, 23 Nov 2026 10:00:00 +0000
Return-Path: <alice@example.org>
From: Alice Realname <alice@example.org>
Reply-To: alice@example.org
To: bobby@nym.test
Subject: hello Bob
Message-ID: <a1@pc.example.org>
X-Originating-IP: [192.0.2.9]

Hello from Alice.
EOF
clear_cap
nymserv -f alice@example.org bobby <"$T/m"
check "alice -> bobby@nym.test delivered to bob's real address" \
    diff <(printf '%s\n' -f ally@nym.test -oi -- bob@example.net) "$T/cap/1.args"
sed '/^$/q' "$T/cap/1.msg" >"$T/h"
check "... delivered header carries no real address or host" \
    bash -c "! grep -qi 'alice@example.org\|example\.org\|192\.0\.2\.9\|Realname' '$T/h'"
check "... From is ally@nym.test" grep -qx 'From: <ally@nym.test>' "$T/h"
sed 's/alice@example.org/bob@example.net/g; s/bobby@nym.test/ally@nym.test/;
    s/Alice Realname/Bob Realname/; s/example\.org/example.net/g' "$T/m" >"$T/m2"
clear_cap
nymserv -f bob@example.net ally <"$T/m2"
check "bob -> ally@nym.test delivered to alice's real address" \
    diff <(printf '%s\n' -f bobby@nym.test -oi -- alice@example.org) "$T/cap/1.args"
sed '/^$/q' "$T/cap/1.msg" >"$T/h"
check "... delivered header carries no real address or host" \
    bash -c "! grep -qi 'bob@example.net\|example\.net\|192\.0\.2\.9\|Realname' '$T/h'"

# --- the form reveals nothing: a taken name gets the same answer ---
before=$(captured)
shot taken-name
browser nav "$URL" fill alias bobby fill email carol@example.com \
    click register shot "$SHOT" text "$T/taken.txt"
browser nav "$URL" fill alias carol fill email dave@example.com \
    click register text "$T/free.txt"
check "taken and free names get the same page" diff "$T/taken.txt" "$T/free.txt"
pass_cgi
check "... the difference is only in the mail" \
    grep -q 'is not available' "$T/cap/$((before + 1)).msg"

# --- hostile input through the browser ---
shot hostile-token
browser nav "$URL?t=%3Cscript%3Ealert(1)%3C%2Fscript%3E" \
    shot "$SHOT" html "$T/hostile.html"
check "script in the query is echoed escaped, never as markup" \
    bash -c "grep -q '&lt;script&gt;' '$T/hostile.html' && ! grep -q '<script' '$T/hostile.html'"
fetch "$URL?t=a%0d%0aSet-Cookie:+x=1"
check "encoded CR LF in the query: 400, no header injected" \
    bash -c "[ \"\$(head -1 '$T/fetch')\" = 400 ] && ! grep -qi '^Set-Cookie' '$T/fetch'"
fetch "$URL" "alias=x&email=a%40b.org%0d%0aBcc:+v%40x.org&action=register"
check "CR LF injection in the POST body: 400" [ "$(head -1 "$T/fetch")" = 400 ]
before=$(captured)
fetch "$URL" "t=00000000000000000000000000000000&action=confirm"
pass_cgi
ok_if "an unknown token: handed on, nymserv mails nothing" \
    '[ "$(head -1 "$T/fetch")" = 200 ] && [ "$(captured)" = "$before" ]'
fetch "$URL" "t=0000&action=confirm"
check "a malformed token: 400, 'not valid'" \
    bash -c "[ \"\$(head -1 '$T/fetch')\" = 400 ] && grep -q 'not valid' '$T/fetch'"
fetch "$URL"
check "security headers: CSP, no-store, no-referrer" \
    bash -c "grep -qi '^Content-Security-Policy: default-src' '$T/fetch' && grep -qi '^Cache-Control: no-store' '$T/fetch' && grep -qi '^Referrer-Policy: no-referrer' '$T/fetch'"
check "the page says the server keeps the alias list" \
    grep -q 'only as anonymous as its operator is trustworthy' "$T/fetch"

# --- removal through the form ---
shot remove-ally
browser nav "$URL" fill email alice@example.org click remove \
    shot "$SHOT" text "$T/page.txt"
check "Remove answers 'check your mail'" grep -q 'check your mail' "$T/page.txt"
pass_cgi
link=$(link_of "$(last)")
check "... the removal mail carries a link" [ -n "$link" ]
shot removed-ally
browser nav "$link" click confirm shot "$SHOT" text "$T/page.txt"
pass_cgi
check "... Confirm removes ally" grep -q '^Subject: Alias ally@nym.test removed' "$T/cap/$(last).msg"
before=$(captured)
browser nav "$link" click confirm text "$T/page.txt"
pass_cgi
check "... the link works once (nothing done, nothing mailed)" [ "$(captured)" = "$before" ]
clear_cap
nymserv -f alice@example.org bobby <"$T/m"
check "alice without alias is refused (5.7.1), nothing sent" \
    [ "$RC" = 77 -a "$(captured)" = 0 ]
nymserv -f bob@example.net ally <"$T/m2"
check "ally is gone (5.1.1)" [ "$RC" = 67 ]
check "no browser errors" [ ! -s "$T/cdp.err" ] || cat "$T/cdp.err"
echo "# $(ls "$OUT" | wc -l) screenshots in $OUT"
