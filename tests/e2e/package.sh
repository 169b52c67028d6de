#!/usr/bin/env bash
# tests/e2e/package.sh - the Debian package (issue 22): dpkg-buildpackage
# -us -uc from this tree, lintian at the default level, then the README's
# operator guide run as written on a copy of this machine: an overlay over
# / (changes in a tmpfs) as the root of a chroot, in private mount and
# network namespaces, so the machine's own users, /etc and Postfix are
# never touched and nothing listens outside.  There: apt-get install
# ./nymserv_*.deb, the server keys, nymctl check, the shipped Postfix
# samples, a help@ request answered, an encrypted backup, then purge and
# what is left.  Root only (CI is root).
. "$(dirname "$0")/../lib.sh"
# Run by `make check SANITIZE=1`, the make below would inherit SANITIZE=1
# through MAKEFLAGS and build (or compare) the sanitizer tree: this test
# is about the release build, as an operator makes it.
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE
if [ -z "${NYM_PKG_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		skip "the package test needs root (apt-get in a chroot, namespaces)"
		exit 0
	fi
	for c in dpkg-buildpackage lintian unshare chroot postfix; do
		command -v "$c" >/dev/null || {
			notok "$c installed (bash contrib/run check installs it)"
			exit 1
		}
	done
	rm -rf "$T"
	NYM_PKG_NS=1 exec unshare -m -n --propagation private bash "$0" "$@"
fi
W=$T/root U=$T/ov PFUP= OPG= LPID=
stop_all() {
	if [ -d "$W/proc/1" ]; then
		chroot "$W" postfix stop >/dev/null 2>&1
		[ -n "$PFUP" ] && kill "$PFUP" 2>/dev/null
		[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
		umount -R -l "$W" 2>/dev/null
	fi
	umount -l "$U" 2>/dev/null
	[ -d "${OPG:-}" ] && gpgconf --homedir "$OPG" --kill all 2>/dev/null
	cleanup
}
trap stop_all EXIT
start=$SECONDS

# --- the build, from a copy of this tree (no build products) ---
mkdir -p "$T/b/nymserv"
tar -C "$REPO" --exclude=./.git --exclude=./build --exclude=./bin -cf - . |
    tar -C "$T/b/nymserv" -xf -
(cd "$T/b/nymserv" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc) \
    >"$T/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc exits 0 ($(tail -3 "$T/build.log" | tr '\n' ' '))" test $rc = 0
deb=$(ls "$T"/b/nymserv_*_*.deb 2>/dev/null | grep -v dbgsym | head -1)
check "a binary package was built (${deb##*/})" test -f "$deb"
[ -f "$deb" ] || exit 1
lintian "$T"/b/nymserv_*.changes >"$T/lintian.out" 2>&1
sed -i '/^running with root privileges is not recommended/d' "$T/lintian.out"
check "lintian (default level) says nothing ($(head -5 "$T/lintian.out" | tr '\n' ' '))" \
    test ! -s "$T/lintian.out"
sed 's/^/# lintian: /' "$T/lintian.out"
# Static linking (issue 21): the package names the sources of what it
# links statically, each with the version built in, and lintian's
# embedded-library tags are answered by narrow overrides, not silence.
sbu=$(dpkg-deb -f "$deb" Static-Built-Using)
echo "# Static-Built-Using: $sbu"
# Each -dev package that ships one of the archives (Makefile STATIC_LIBS),
# and the source it is built from, at the version installed here.
for dev in libgpgme-dev libassuan-dev libgpg-error-dev libgcrypt20-dev \
    liblmdb-dev zlib1g-dev libbz2-dev; do
	sv=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' "$dev")
	check "Static-Built-Using names $sv ($dev)" grep -qF "$sv" <<<"$sbu"
done
dbg=$(ls "$T"/b/nymserv-dbgsym_*.deb 2>/dev/null | head -1)
check "... and the -dbgsym package (${dbg##*/}) does not carry it" \
    bash -c "dpkg-deb -f '$dbg' Package >/dev/null && test -z \"\$(dpkg-deb -f '$dbg' Static-Built-Using)\""
check "lintian was told of the embedded copies (overrides used, not absent)" \
    bash -c "lintian --show-overrides '$deb' 2>/dev/null | grep -q '^O: nymserv: embedded-library zlib'"
echo "# build and lintian: $((SECONDS - start)) s"

# --- a copy of this machine to install into ---
mkdir -p "$U" "$W"
mount -t tmpfs -o mode=755 tmpfs "$U"
mkdir "$U/up" "$U/wk"
mount -t overlay overlay -o "lowerdir=/,upperdir=$U/up,workdir=$U/wk" "$W" ||
    { notok "overlay over / mounted"; exit 1; }
mount -t proc proc "$W/proc"
mount --rbind /dev "$W/dev"
mount -t tmpfs tmpfs "$W/run"
mount -t tmpfs -o mode=1777 tmpfs "$W/tmp"
ip link set lo up
# A fresh host: Postfix installed with "No configuration" (no main.cf,
# Debian's master.cf), no services started by maintainer scripts.
rm -f "$W/etc/postfix/main.cf" "$W/etc/postfix/"*.db
cp "$W/usr/share/postfix/master.cf.dist" "$W/etc/postfix/master.cf"
printf '#!/bin/sh\nexit 101\n' >"$W/usr/sbin/policy-rc.d"
chmod 755 "$W/usr/sbin/policy-rc.d"
chroot "$W" useradd -m op 2>/dev/null
cp "$deb" "$W/root/"
# none_running PATTERN: no process's command line matches (pgrep -f;
# this script's own command line does not hold the pattern).
none_running() { ! pgrep -f "$1" >/dev/null; }
in_root() { chroot "$W" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C "$@"; }
# guide CMD: a command of the README's guide, checked to be there as
# written, then run in the copy (from /root, as root).
guide() {
	local what=$1 cmd=$2
	check "README's guide has: $cmd" grep -qF -- "$cmd" "$REPO/README.md"
	local rc
	in_root bash -c "cd /root && $cmd" >"$T/out" 2>&1
	rc=$?
	check "$what ($(tail -3 "$T/out" | tr '\n' ' ' | head -c 300))" test $rc = 0
}

# --- the guide, step 1: the package ---
guide "apt-get installs the package" \
    "apt-get install -y ./nymserv_0.1_amd64.deb"
check "system users nymserv, nymfinger, nympolicy and group nympub" \
    in_root sh -c '{ id nymserv && id nymfinger && id nympolicy && getent group nympub; } >/dev/null'
check "/var/lib/nymserv is nymserv:nympub 2710" \
    [ "$(in_root stat -c '%U:%G %a' /var/lib/nymserv)" = "nymserv:nympub 2710" ]
check "/var/backups/nymserv is nymserv:nymserv 700" \
    [ "$(in_root stat -c '%U:%G %a' /var/backups/nymserv)" = "nymserv:nymserv 700" ]
check "dpkg -s nymserv shows what is built in (Static-Built-Using with libgcrypt20)" \
    bash -c "chroot '$W' dpkg -s nymserv | grep -q '^Static-Built-Using: .*libgcrypt20 (= '"
cf=$(in_root dpkg-query -W -f='${Conffiles}' nymserv)
check "/etc/nymserv/nymserv.conf and help.txt are conffiles" \
    bash -c "grep -q '/etc/nymserv/nymserv.conf ' <<<'$cf' && grep -q '/etc/nymserv/help.txt ' <<<'$cf'"
check "no server keys before the nym domain is set" test ! -e "$W/var/lib/nymserv/db/data.mdb"
check "the timers and nympolicyd are enabled, finger and news are not" \
    bash -c "cd '$W/etc/systemd/system' && test -L timers.target.wants/nymserv-expire.timer &&
	test -L timers.target.wants/nymserv-queue.timer && test -L timers.target.wants/nymserv-backup.timer &&
	test -L multi-user.target.wants/nympolicyd.service && ! test -e sockets.target.wants/nymfingerd.socket &&
	! test -e timers.target.wants/nymserv-news.timer"
check "samples under /usr/share/doc/nymserv/examples name the installed programs" \
    grep -q 'argv=/usr/lib/nymserv/nymserv ' "$W/usr/share/doc/nymserv/examples/postfix/master.cf"
check "man pages installed" test -f "$W/usr/share/man/man8/nymctl.8.gz"

# --- step 2: the nym domain and the server keys ---
guide "the nym domain set" \
    "sed -i 's/nym\.example\.org/nym.test/g' /etc/nymserv/nymserv.conf"
guide "dpkg-reconfigure makes the server keys" "dpkg-reconfigure nymserv"
check "... the state exists, owned by nymserv" \
    [ "$(in_root stat -c %U /var/lib/nymserv/db/data.mdb 2>/dev/null)" = nymserv ]
check "... no gpg-agent left running from the key generation" \
    none_running 'gpg-agent --homedir /var/lib/nymserv' 
guide "nymctl check" "runuser -u nymserv -- nymctl check"
check "... says the state is ok" grep -q 'state ok' "$T/out"

# --- step 3: Postfix from the shipped samples (a trial: nothing leaves) ---
guide "main.cf from the sample" \
    "cp /usr/share/doc/nymserv/examples/postfix/main.cf /etc/postfix/main.cf"
guide "the nymserv services added to Debian's master.cf" \
    "cat /usr/share/doc/nymserv/examples/postfix/master.cf >>/etc/postfix/master.cf"
guide "transport and virtual from the samples" \
    "cp /usr/share/doc/nymserv/examples/postfix/transport /usr/share/doc/nymserv/examples/postfix/virtual /etc/postfix/"
guide "the nym domain in the Postfix files" \
    "sed -i 's/nym\.example\.org/nym.test/g' /etc/postfix/main.cf /etc/postfix/transport /etc/postfix/virtual"
guide "the trial settings" \
    "postconf -e inet_interfaces=loopback-only 'default_transport=error:5.7.1 trial host: no mail leaves it'"
guide "postmap" "postmap /etc/postfix/transport /etc/postfix/virtual"
guide "newaliases" "newaliases"
guide "postfix check" "postfix check"
# systemctl restart postfix / nympolicyd in the guide; no systemd here,
# so their ExecStart lines, as the units run them.
in_root postfix start >"$T/out" 2>&1
rc=$?
check "Postfix starts ($(tr '\n' ' ' <"$T/out"))" test $rc = 0
in_root setpriv --reuid=nympolicy --regid=nympub --clear-groups \
    /usr/lib/nymserv/nympolicyd -l inet:127.0.0.1:10045 2>"$T/policyd.err" &
PFUP=$!

# --- step 4: the check as written: help@ answered to a local account ---
check "README's guide has: echo test | mail -s help help@nym.test" \
    grep -qF 'echo test | mail -s help help@nym.test' "$REPO/README.md"
in_root runuser -u op -- sh -c 'echo test | mail -s help help@nym.test' >"$T/out" 2>&1
check "mail help@nym.test from a local account" test $? = 0
got=
for i in $(seq 600); do
	grep -q 'help@nym.test' "$W/var/mail/op" 2>/dev/null && { got=1; break; }
	sleep 0.2
done
check "the help text arrives in op's mailbox" test -n "$got"
check "... it is the installed help.txt" \
    grep -qF 'The server answers through your reply block' "$W/var/mail/op"

# --- step 8, the alias form in Debian's own lighttpd (stumble 6) ---
if [ -x "$W/usr/sbin/lighttpd" ]; then
	guide "the lighttpd sample as a conf-available module" \
	    "cp /usr/share/doc/nymserv/examples/lighttpd/nymreg.conf /etc/lighttpd/conf-available/50-nymreg.conf"
	guide "lighty-enable-mod nymreg" "lighty-enable-mod nymreg"
	in_root lighttpd -tt -f /etc/lighttpd/lighttpd.conf >"$T/out" 2>&1
	rc=$?
	check "Debian's lighttpd.conf with the module loads ($(tr '\n' ' ' <"$T/out" | head -c 300))" test $rc = 0
	in_root lighttpd -f /etc/lighttpd/lighttpd.conf >"$T/out" 2>&1
	rc=$?
	check "lighttpd starts as www-data with Debian's log directory ($(tr '\n' ' ' <"$T/out" | head -c 200))" test $rc = 0
	form=
	get_form() {
		form=$(in_root /usr/bin/python3 -c 'import urllib.request as u; print(u.urlopen("http://127.0.0.1/nymreg", timeout=10).read().decode())' 2>/dev/null) && [ -n "$form" ]
	}
	wait_until get_form
	check "GET /nymreg returns the form" grep -qi '<form' <<<"$form"
	LPID=$(cat "$W/run/lighttpd.pid" 2>/dev/null)
	check "... lighttpd runs as www-data" \
	    test -n "$LPID" -a "$(in_root ps -o user= -p "${LPID:-0}" 2>/dev/null)" = www-data
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && LPID=
else
	notok "lighttpd installed (bash contrib/run check installs it)"
fi

# --- step 5: the nightly backup, encrypted to an operator key ---
# The operator's key is made on the operator's machine (here: a GnuPG
# home of this test outside the copy); only its public key goes over.
OPG=$T/opg
mkdir -m 700 "$OPG"
opgpg() { gpg --batch --homedir "$OPG" --passphrase '' --pinentry-mode loopback "$@"; }
opgpg --quick-gen-key 'Operator <op@localhost>' ed25519 cert,sign never >"$T/opkey.log" 2>&1
opgpg --quick-add-key "$(opgpg --with-colons -k op@localhost 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')" \
    cv25519 encr never >>"$T/opkey.log" 2>&1
opgpg --export op@localhost >"$W/root/operator.gpg" 2>>"$T/opkey.log"
check "an operator key exported ($(tr '\n' ' ' <"$T/opkey.log" | head -c 300))" test -s "$W/root/operator.gpg"
guide "the operator key installed as backup_key" \
    "install -m 644 operator.gpg /etc/nymserv/backup-key.gpg"
guide "backup_key set" \
    "echo 'backup_key = /etc/nymserv/backup-key.gpg' >>/etc/nymserv/nymserv.conf"
guide "the nightly command as the state's owner" \
    "runuser -u nymserv -- nymctl backup /var/backups/nymserv"
b=$(ls "$W"/var/backups/nymserv/nymserv-*.tar.gpg 2>/dev/null | head -1)
check "a dated encrypted backup (${b##*/}), mode 600, nymserv's" \
    test -n "$b" -a "$(in_root stat -c '%a %U' "/var/backups/nymserv/${b##*/}" 2>/dev/null)" = "600 nymserv"
check "... not a tar in clear" bash -c "! tar -tf '$b' >/dev/null 2>&1"
check "... decrypts with the operator's key to the archive" \
    bash -c "gpg --batch --homedir '$OPG' -d '$b' 2>/dev/null | tar -t 2>/dev/null | grep -q 'db/data.mdb'"
check "no clear archive left in the state" \
    bash -c "! find '$W/var/lib/nymserv' -name '*.tar' | grep -q ."

# --- purge ---
in_root postfix stop >/dev/null 2>&1
kill "$PFUP" 2>/dev/null && wait "$PFUP" 2>/dev/null
PFUP=
rm -f "$W"/var/backups/nymserv/nymserv-*.tar.gpg
guide "apt-get purge" "apt-get purge -y nymserv"
check "the state is gone" test ! -e "$W/var/lib/nymserv"
check "/etc/nymserv is gone" test ! -e "$W/etc/nymserv"
check "the empty backup directory is gone" test ! -e "$W/var/backups/nymserv"
check "no nymserv process left" none_running '/usr/lib/nymserv/|gpg-agent --homedir /var/lib/nymserv' 
# Every file the package or its scripts made is gone from the copy's
# changes; what Debian policy keeps: the system users and group (and
# what the operator copied into Postfix's and lighttpd's configuration).
left=$(cd "$U/up" && find . \( -name '*nym*' -o -path './etc/nymserv*' \) \
    ! -path './root/*' ! -path './home/*' ! -path './var/spool/postfix/*' \
    ! -path './etc/postfix/*' ! -path './etc/lighttpd/*' 2>/dev/null | grep -v '^\./var/cache/\|^\./var/log/\|^\./var/mail/' | head -10)
check "nothing of nymserv left but its users (left: ${left:-nothing})" test -z "$left"
check "... the users stay (Debian policy: files may still be theirs)" \
    in_root sh -c 'id nymserv >/dev/null'
echo "# package test: $((SECONDS - start)) s"
