#!/usr/bin/env bash
# contrib/demo.sh - a help@ request answered end to end, step by step.
# Runs nymserv as the MTA would (unprivileged, bare environment) against a
# throw-away state directory; a capture script stands in for sendmail.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/nd.XXXXXX)
chmod 755 "$T"
RUNAS=()
if [ "$(id -u)" = 0 ]; then
	RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	chown 65534:65534 "$T"
fi
as_user() { "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C "$@"; }
finish() {
	as_user env GNUPGHOME="$T/state/gnupg" gpgconf --kill all >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap finish EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { sed 's/^/   | /' "$@"; }

step "1. A configuration for the nym domain nym.demo"
mkdir -p "$T/cap"
cp "$REPO/tests/capture-sendmail" "$REPO/etc/help.txt" "$T/"
cat >"$T/nymserv.conf" <<CONF
hostname = nym.demo
statedir = $T/state
sendmail = $T/capture-sendmail $T/cap
helpfile = $T/help.txt
CONF
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T"
show "$T/nymserv.conf"

step "2. nymctl init: state directory, LMDB store, the server's OpenPGP keys"
as_user "$REPO/bin/nymctl" -c "$T/nymserv.conf" init -t ed25519 | show

step "3. A user mails help@nym.demo"
cat >"$T/request.eml" <<'MAIL'
From: Alice <alice@example.org>
To: help@nym.demo
Subject: how do I get a nym?
Message-ID: <demo-1@example.org>

Hello, how does this work?
MAIL
show "$T/request.eml"

step "4. The MTA runs: nymserv -f alice@example.org help@nym.demo < request"
set +e
as_user "$REPO/bin/nymserv" -c "$T/nymserv.conf" -f alice@example.org \
    help@nym.demo <"$T/request.eml"
rc=$?
set -e
echo "   nymserv exited $rc (0 = delivered; 75 = retry later; 6x/77 = bounce)"

step "5. What nymserv handed to sendmail: the arguments"
show "$T/cap/1.args"
step "   ... and the answer (note X-Loop, Auto-Submitted and the quoted header)"
show "$T/cap/1.msg"

step "6. The same request from MAILER-DAEMON (a forged bounce) is not answered"
set +e
as_user "$REPO/bin/nymserv" -c "$T/nymserv.conf" -f MAILER-DAEMON@example.org \
    help@nym.demo <"$T/request.eml"
echo "   nymserv exited $?; answers handed on in total: $(ls "$T/cap" | grep -c '\.msg$')"
set -e

step "7. Mail to a name nobody has bounces with a reason for the MTA"
set +e
as_user "$REPO/bin/nymserv" -c "$T/nymserv.conf" -f alice@example.org \
    nosuchnym@nym.demo <"$T/request.eml" | show
echo "   nymserv exited ${PIPESTATUS[0]} (67 = EX_NOUSER: the MTA bounces)"
set -e
echo
echo "Demo finished; everything it made is removed."
