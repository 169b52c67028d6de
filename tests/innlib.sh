# tests/innlib.sh - a private INN 2.7 news server for the news tests
# (sourced after tests/lib.sh).
#
# innd runs from the tree tests/inn-extract makes (Debian's inn2 .debs
# extracted, never installed), as user news, with its configuration,
# history, spool and logs under $INN (/tmp), listening on 127.0.0.1:$INN_PORT
# only.  The system's /etc/news (if any) is never read: INNCONF points at
# the private inn.conf.  Starting takes ~0.3 s, stopping (ctlinnd
# shutdown) ~3.4 s, so each test script shares one instance.
#
# The server is a peer for 127.0.0.1 (IHAVE) and lets localhost read and
# post (POST through nnrpd), whatever the machine's load (nnrpd's
# load limit, 16 by default, would turn readers away on a busy test
# machine).  Its groups: alt.anonymous.messages,
# alt.test, misc.test, a moderated alt.mod.test, and control, junk.

# Debian's Python, not a version manager's shim in PATH (one measured here
# took 3 s to start; the tests start Python dozens of times).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# inn_available: 0 if a private INN can run here; otherwise prints a skip
# line saying why and returns 1.
inn_available() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip - the INN tests need root (innd must run as user news)"
		return 1
	fi
	if ! id news >/dev/null 2>&1; then
		echo "skip - there is no user news"
		return 1
	fi
	INN_ROOT=$(bash "$REPO/tests/inn-extract" "${NYM_INN_ROOT:-/var/cache/nymserv-test/inn}" 2>"$T/inn-extract.err") || {
		echo "skip - INN 2.7 could not be extracted ($(tail -1 "$T/inn-extract.err"))"
		return 1
	}
	return 0
}

# as_news CMD...: run an INN program as news with the private inn.conf.
as_news() {
	setpriv --reuid=news --regid=news --init-groups env -i PATH=/usr/bin:/bin \
	    INNCONF="$INN/etc/inn.conf" \
	    LD_LIBRARY_PATH="$INN_ROOT/usr/lib/news:$INN_ROOT/usr/lib/x86_64-linux-gnu" \
	    "$@"
}

# inn_setup: lay out the private instance (not yet started).
inn_setup() {
	local b=$INN_ROOT/usr/lib/news d
	INN=$(mktemp -d /tmp/inn.XXXXXX)
	chmod 755 "$INN"
	INN_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	for d in etc db log run http filter tmp spool/articles spool/overview \
	    spool/incoming/tmp spool/outgoing spool/archive; do
		mkdir -p "$INN/$d"
	done
	cp -a "$INN_ROOT/etc/news/." "$INN/etc/"
	# No Perl or Python filters: an empty filter directory.
	rm -rf "$INN/etc/filter"
	# Every path into $INN; the programs from the extracted tree.
	sed -i -e '/^path[a-z]*:/d' -e '/^port:/d' -e '/^nnrpdpostport:/d' \
	    -e '/^pgpverify:/d' -e '/^doinnwatch:/d' -e '/^pathhost:/d' \
	    -e '/^mta:/d' -e '/^mailcmd:/d' -e '/^artcutoff:/d' \
	    -e '/^nnrpdloadlimit:/d' "$INN/etc/inn.conf"
	cat >>"$INN/etc/inn.conf" <<EOF
pathnews:       $b
pathbin:        $b/bin
pathcontrol:    $b/bin/control
pathfilter:     $INN/filter
pathetc:        $INN/etc
pathdb:         $INN/db
pathrun:        $INN/run
pathlog:        $INN/log
pathhttp:       $INN/http
pathtmp:        $INN/tmp
pathspool:      $INN/spool
patharticles:   $INN/spool/articles
pathoverview:   $INN/spool/overview
pathincoming:   $INN/spool/incoming
pathoutgoing:   $INN/spool/outgoing
patharchive:    $INN/spool/archive
pathhost:       inn.test.invalid
domain:         test.invalid
fromhost:       test.invalid
port:           $INN_PORT
nnrpdpostport:  $INN_PORT
bindaddress:    127.0.0.1
pgpverify:      false
doinnwatch:     false
artcutoff:      10
nnrpdloadlimit: 0
mta:            "/bin/true %s"
mailcmd:        /bin/true
EOF
	echo 'ME:!*/!local::' >"$INN/etc/newsfeeds"
	cat >"$INN/db/active" <<'EOF'
control 0000000000 0000000001 n
control.cancel 0000000000 0000000001 n
junk 0000000000 0000000001 n
alt.anonymous.messages 0000000000 0000000001 y
alt.test 0000000000 0000000001 y
misc.test 0000000000 0000000001 y
alt.mod.test 0000000000 0000000001 m
EOF
	: >"$INN/db/active.times"
	: >"$INN/db/newsgroups"
	: >"$INN/db/history"
	chown -R news:news "$INN"
	(cd "$INN/db" && as_news "$b/bin/makedbz" -i -o) >"$INN/makedbz.out" 2>&1
}

# inn_start: start innd in the foreground (recorded PID) and wait until
# it greets on $INN_PORT.
inn_start() {
	as_news "$INN_ROOT/usr/lib/news/bin/innd" -f -c 0 \
	    >>"$INN/innd.out" 2>&1 &
	INN_PID=$!
	local end=$((SECONDS + ${NYM_WAIT:-300}))
	while [ "$SECONDS" -lt "$end" ]; do
		if "$PY" - "$INN_PORT" <<'PY' 2>/dev/null; then return 0; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
assert s.recv(200).startswith(b"200")
PY
		kill -0 "$INN_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$INN/innd.out" >&2
	return 1
}

# inn_stop: ctlinnd shutdown, then wait for the recorded PID to go.
inn_stop() {
	[ -n "${INN_PID:-}" ] || return 0
	as_news "$INN_ROOT/usr/lib/news/bin/ctlinnd" -t 30 shutdown test \
	    >/dev/null 2>&1
	local end=$((SECONDS + ${NYM_WAIT:-300}))
	while [ "$SECONDS" -lt "$end" ]; do
		kill -0 "$INN_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$INN_PID" 2>/dev/null; then
		kill -9 "$INN_PID" 2>/dev/null
	fi
	wait "$INN_PID" 2>/dev/null
	INN_PID=
}

# inn_cleanup: stop innd and remove its tree.
inn_cleanup() {
	inn_stop
	[ -n "${INN:-}" ] && [ -z "${NYM_KEEP:-}" ] && rm -rf "$INN"
	return 0
}

# nntp_get ARGS: the test's own NNTP reader (tests/nntp-get) on $INN_PORT.
nntp_get() { "$PY" "$REPO/tests/nntp-get" "$INN_PORT" "$@"; }
