#!/usr/bin/env bash
# tests/e2e/package.sh - the Debian package (issue 22): dpkg-buildpackage
# -us -uc from this tree, lintian at the default level, then the README's
# operator guide run as written on a copy of this machine: an overlay over
# / (changes in a tmpfs) as the root of a chroot, in private mount and
# network namespaces, so the machine's own users, /etc and Postfix are
# never touched and nothing listens outside.  There, every step in the
# README's order of work: the host's packages, apt-get install
# ./nymserv_*.deb, the server keys, nymctl check, the shipped Postfix
# samples, a help@ request answered, the log rule, nymctl dns with and
# without a DKIM key, the alias form and an alias by mail, the first nym
# (created, confirmed by nymcfg -C, mailed, sending) by the guide's
# commands as a local account, an encrypted backup restored, purge and
# what is left, then the source install's users, directories and
# nymctl init.  Root only (CI is root).
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
W=$T/root U=$T/ov PFUP= OPG= LPID= RSPID=
stop_all() {
	if [ -d "$W/proc/1" ]; then
		chroot "$W" postfix stop >/dev/null 2>&1
		[ -n "$PFUP" ] && kill "$PFUP" 2>/dev/null
		[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
		[ -n "$RSPID" ] && kill "$RSPID" 2>/dev/null
		for u in op friend; do
			chroot "$W" runuser -u "$u" -- env HOME="/home/$u" \
			    gpgconf --kill all >/dev/null 2>&1
		done
		chroot "$W" runuser -u nymserv -- sh -c 'for h in /var/lib/nymserv/gnupg \
		    /var/lib/nymserv/remail-gnupg; do gpgconf --homedir $h --kill all; done' \
		    >/dev/null 2>&1
		# Whatever else this test started in the copy (its root is $W).
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$W" ] && kill "${p#/proc/}" 2>/dev/null
		done
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
sed 's/^/# lintian said: /' "$T/lintian.out"
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
# A /dev of the copy's own (the real devices, bound), so that the copy's
# rsyslogd makes its /dev/log there and not in the machine's /dev.
mount -t tmpfs -o mode=755 tmpfs "$W/dev"
for n in null zero full random urandom tty; do
	touch "$W/dev/$n" && mount --bind "/dev/$n" "$W/dev/$n"
done
mkdir "$W/dev/pts" "$W/dev/shm"
mount --rbind /dev/pts "$W/dev/pts"
mount -t tmpfs -o mode=1777 tmpfs "$W/dev/shm"
ln -s /proc/self/fd "$W/dev/fd"
ln -s /proc/self/fd/0 "$W/dev/stdin"
ln -s /proc/self/fd/1 "$W/dev/stdout"
ln -s /proc/self/fd/2 "$W/dev/stderr"
mount -t tmpfs tmpfs "$W/run"
mount -t tmpfs -o mode=1777 tmpfs "$W/tmp"
# The tree itself, for the source install as the guide writes it: a
# clone under /tmp (as CI's may be) is hidden by the copy's own /tmp.
if [ ! -e "$W$REPO/Makefile" ]; then
	mkdir -p "$W$REPO" && mount --bind "$REPO" "$W$REPO" ||
	    { notok "the tree bound into the copy"; exit 1; }
fi
ip link set lo up
# A fresh host: Postfix installed with "No configuration" (no main.cf,
# Debian's master.cf), no services started by maintainer scripts.
rm -f "$W/etc/postfix/main.cf" "$W/etc/postfix/"*.db
cp "$W/usr/share/postfix/master.cf.dist" "$W/etc/postfix/master.cf"
printf '#!/bin/sh\nexit 101\n' >"$W/usr/sbin/policy-rc.d"
chmod 755 "$W/usr/sbin/policy-rc.d"
chroot "$W" useradd -m op 2>/dev/null
chroot "$W" useradd -m friend 2>/dev/null
cp "$deb" "$W/root/"
# none_running PATTERN: no process's command line matches (pgrep -f;
# this script's own command line does not hold the pattern).
none_running() { ! pgrep -f "$1" >/dev/null; }
# root's PATH on Debian (/usr/local/sbin for the source install)
ROOTENV=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C)
in_root() { chroot "$W" "${ROOTENV[@]}" "$@"; }
# A server is started as `chroot "$W" "${ROOTENV[@]}" SERVER &`, not
# through in_root: $! is then the server itself (chroot and env exec it),
# not a subshell whose kill would leave the server running.
# readme_has CMD: the README holds CMD as written (runs of blanks and
# line breaks count as one space: a command may wrap in the prose).
tr -s ' \n' '  ' <"$REPO/README.md" >"$T/readme.flat"
readme_has() { grep -qF -- "$(printf '%s' "$1" | tr -s ' \n' '  ')" "$T/readme.flat"; }
# guide CMD: a command of the README's guide, checked to be there as
# written, then run in the copy (from /root, as root); it exits
# $GUIDE_RC (0 unless set).
guide() {
	local what=$1 cmd=$2
	check "README's guide has: $cmd" readme_has "$cmd"
	local rc
	in_root bash -c "cd /root && $cmd" >"$T/out" 2>&1
	rc=$?
	check "$what ($(tail -3 "$T/out" | tr '\n' ' ' | head -c 300))" test $rc = "${GUIDE_RC:-0}"
}
# The owner's side of steps 8 and 9, as the local account op with the
# helpers on its PATH.  fill: the README's placeholders, filled in.
KEYID= COOKIE= ALIAS=oppy
fill() {
	local c=$1
	c=${c//me@example.org/op@localhost}
	c=${c//remailer@hop1/remailer@nym.test} c=${c//remailer@hop2/remailer@nym.test}
	c=${c//PASS1/pass-one} c=${c//PASS2/pass-two}
	c=${c//HOST/nym.test} c=${c//NAME/shadow} c=${c//Full Name/Shadow Owner}
	c=${c//KEYID/$KEYID} c=${c//COOKIE/$COOKIE} c=${c//ALIAS/$ALIAS}
	printf '%s' "$c"
}
as_op() {
	in_root runuser -u op -- env HOME=/home/op \
	    PATH=/usr/share/nymserv/contrib:/usr/local/bin:/usr/bin:/bin bash -c "cd && $1"
}
# guide_op WHAT TEMPLATE: the README has TEMPLATE; op runs it filled in.
guide_op() {
	local what=$1 cmd
	check "README's guide has: $2" readme_has "$2"
	cmd=$(fill "$2")
	as_op "$cmd" >"$T/out" 2>&1
	check "$what: $cmd ($(tail -3 "$T/out" | tr '\n' ' ' | head -c 300))" test $? = 0
}
# nmail USER: messages in USER's mailbox; has_mail USER N: at least N;
# last_mail USER: the newest one, without its mbox From_ line.
nmail() { local n; n=$(grep -c '^From ' "$W/var/mail/$1" 2>/dev/null); echo "${n:-0}"; }
has_mail() { [ "$(nmail "$1")" -ge "$2" ]; }
last_mail() {
	awk -v n="$(nmail "$1")" '/^From /{i++; next} i == n' "$W/var/mail/$1"
}
# op_mail N: wait for op's Nth message, save it as ~op/mail (the file the
# guide's commands read).
op_mail() {
	wait_until has_mail op "$1" || return 1
	last_mail op | in_root runuser -u op -- sh -c 'cat >/home/op/mail'
}

# --- the guide, step 0 and step 1's build dependencies (already
# installed here: no network in this namespace, so this checks that
# apt-get knows the names and has nothing to do) ---
guide "step 0's packages" "apt-get install -y postfix rsyslog bsd-mailx finger"
guide "step 1's build dependencies" \
    "apt-get install -y debhelper dpkg-dev fakeroot libgpgme-dev libassuan-dev libgpg-error-dev liblmdb-dev libgcrypt20-dev libarchive-dev zlib1g-dev libbz2-dev pkg-config"
# The host's syslog, running as step 0 leaves it (by its unit's
# ExecStart; imklog off: the copy must not read the machine's kernel
# log), with one rule of the test's ahead of everything: all.log, what
# was said before any filter.
sed -i '/imklog/d' "$W/etc/rsyslog.conf"
echo '*.* /var/log/all.log' >"$W/etc/rsyslog.d/00-test-all.conf"
: >"$W/var/log/mail.log"
start_rsyslog() {
	rm -f "$W/dev/log"
	chroot "$W" "${ROOTENV[@]}" /usr/sbin/rsyslogd -n -iNONE 2>"$T/rsyslog.err" &
	RSPID=$!
	wait_until test -S "$W/dev/log"
}
start_rsyslog
check "the copy's rsyslogd listens on its own /dev/log" test -S "$W/dev/log"

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
chroot "$W" "${ROOTENV[@]}" setpriv --reuid=nympolicy --regid=nympub --clear-groups \
    /usr/lib/nymserv/nympolicyd -l inet:127.0.0.1:10045 2>"$T/policyd.err" &
PFUP=$!
# policy_ask RCPT: nympolicyd's answer for an outside sender's RCPT TO.
policy_ask() {
	in_root /usr/bin/python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", 10045), 30)
s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\n"
    "sender=x@example.org\nrecipient=%s\ninstance=a1\n\n" % sys.argv[1]).encode())
a = b""
while not a.endswith(b"\n\n"):
    d = s.recv(4096)
    if not d:
        break
    a += d
print(a.decode().strip())' "$1" 2>&1
}
# policy_up: nympolicyd listens, or has exited.
policy_up() {
	! kill -0 "$PFUP" 2>/dev/null ||
	    in_root /usr/bin/python3 -c 'import socket; socket.create_connection(("127.0.0.1", 10045), 5)' 2>/dev/null
}
wait_until policy_up
ans=$(policy_ask nosuchnym@nym.test)
check "nympolicyd (nympolicy:nympub, the unit's user) refuses an unknown nym ($ans $(head -c 200 "$T/policyd.err"))" \
    grep -q '^action=reject 5.1.1' <<<"$ans"

# --- step 4: the check as written: help@ answered to a local account ---
check "README's guide has: echo test | mail -s help help@nym.test" \
    grep -qF 'echo test | mail -s help help@nym.test' "$REPO/README.md"
in_root runuser -u op -- sh -c 'echo test | mail -s help help@nym.test' >"$T/out" 2>&1
check "mail help@nym.test from a local account" test $? = 0
wait_until grep -q 'help@nym.test' "$W/var/mail/op" 2>/dev/null
check "the help text arrives in op's mailbox" grep -q 'help@nym.test' "$W/var/mail/op"
check "... it is the installed help.txt" \
    grep -qF 'The server answers through your reply block' "$W/var/mail/op"

# --- step 6: the MTA's own logs (the rule; rsyslogd restarted) ---
guide "the privacy rule copied to /etc/rsyslog.d" \
    "cp /usr/share/doc/nymserv/examples/rsyslog.d/10-nymserv-privacy.conf /etc/rsyslog.d/"
# systemctl restart rsyslog in the guide: no systemd here, so the
# unit's ExecStart again.
check "README's guide has: systemctl restart rsyslog" readme_has "systemctl restart rsyslog"
kill "$RSPID" 2>/dev/null && wait "$RSPID" 2>/dev/null
# What is logged from now on (the lines before the rule stay: README).
ml0=$(stat -c %s "$W/var/log/mail.log") sl0=$(stat -c %s "$W/var/log/syslog" 2>/dev/null || echo 0)
start_rsyslog
check "rsyslogd restarted with the rule ($(head -c 200 "$T/rsyslog.err"))" test -S "$W/dev/log"

# --- step 7: DNS (printed, never published: the copy has no network) ---
GUIDE_RC=3 guide "nymctl dns without a DKIM key exits 3" "runuser -u nymserv -- nymctl dns"
cp "$T/out" "$T/dns1"
check "... it prints MX, SPF and DMARC for nym.test and names the missing DKIM key" \
    bash -c "grep -qP '^nym\.test\.\tIN MX 10 HOST\.\$' '$T/dns1' &&
	grep -qF 'nym.test.	IN TXT \"v=spf1 mx -all\"' '$T/dns1' &&
	grep -qF '_dmarc.nym.test.	IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"' '$T/dns1' &&
	grep -q '^; PROBLEM: no DKIM key record' '$T/dns1'"
guide "the DKIM key" "opendkim-genkey -b 2048 -d nym.test -s nym -D /etc/dkimkeys"
guide "... its private half opendkim's" "chown opendkim: /etc/dkimkeys/nym.private"
guide "... its record where nymctl reads it" "install -m 644 /etc/dkimkeys/nym.txt /etc/nymserv/dkim.txt"
guide "dkim_record set" "echo 'dkim_record = /etc/nymserv/dkim.txt' >>/etc/nymserv/nymserv.conf"
guide "nymctl dns with the key exits 0" "runuser -u nymserv -- nymctl dns"
check "... it prints the key's TXT record, 2048 bits, no PROBLEM line" \
    bash -c "grep -q '^nym\._domainkey\.nym\.test\.	IN TXT \"v=DKIM1; h=sha256; k=rsa; .*p=MIIBIj' '$T/out' &&
	! grep -q PROBLEM '$T/out'"

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
	# An alias by the form, for the local account friend.
	ans=$(in_root /usr/bin/python3 -c 'import urllib.request as u, urllib.parse as p
d = p.urlencode({"action": "register", "alias": "pal", "email": "friend@localhost"}).encode()
print(u.urlopen("http://127.0.0.1/nymreg", d, timeout=30).read().decode())' 2>&1)
	check "POST register (alias pal for friend@localhost): 'check your mail'" \
	    grep -q 'Please check your mail' <<<"$ans"
	wait_until has_mail friend 1
	last_mail friend >"$T/fr"
	check "... friend gets the confirmation for pal@nym.test" \
	    grep -q '^Subject: Confirm: register the alias pal@nym.test' "$T/fr"
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && LPID=
else
	notok "lighttpd installed (bash contrib/run check installs it)"
fi
# An alias by mail, as step 8 says: register@, then a reply to the
# confirmation (to the register+TOKEN@ address it comes from).
n=$(nmail op)
guide_op "an alias by mail" "echo | mail -s ALIAS register@HOST"
op_mail $((n + 1))
check "... op gets the confirmation for $ALIAS@nym.test" \
    grep -q "^Subject: Confirm: register the alias $ALIAS@nym.test" "$W/home/op/mail"
tok=$(grep -o 'register+[A-Za-z0-9_-]*@nym.test' "$W/home/op/mail" | head -1)
as_op "echo | mail -s 'Re: Confirm' $tok" >"$T/out" 2>&1
check "... op replies to ${tok:-no register+TOKEN address}" test $? = 0 -a -n "$tok"
op_mail $((n + 2))
check "... and gets the 'registered' notice" \
    grep -q "^Subject: Alias $ALIAS@nym.test registered" "$W/home/op/mail"

# --- step 9: the first nym, by the guide's commands, as op ---
as_op "gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'shadow@nym.test' future-default default never" \
    >"$T/out" 2>&1
KEYID=$(as_op "gpg --with-colons -k shadow@nym.test" 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')
check "op has a key for the nym (${KEYID:-none})" test -n "$KEYID"
in_root runuser -u nymserv -- nymctl export-keys >"$T/server.asc" 2>&1
as_op "gpg --batch --import" <"$T/server.asc" >"$T/out" 2>&1
check "op imports the server keys (nymctl export-keys, the web page's)" test $? = 0
n=$(nmail op)
guide_op "remailer-key@ asked" "echo | mail -s key remailer-key@HOST"
op_mail $((n + 1))
guide_op "the remailer's key imported from the answer" "gpg --import mail"
check "... op has the remailer key" as_op "gpg -k remailer@nym.test >/dev/null 2>&1"
guide_op "a reply block through both hops" \
    "nymblock me@example.org remailer@hop1=PASS1 remailer@hop2=PASS2 > block"
guide_op "the create request" \
    "nymcfg -H HOST -n NAME -u KEYID -k -c 'create name=\"Full Name\"' -b block -r remailer@hop1 > request"
check "... a mail for the remailer, nothing of the request in clear" \
    bash -c "grep -qx 'To: remailer@nym.test' '$W/home/op/request' && ! grep -q 'config@\|Nym-Commands' '$W/home/op/request'"
n=$(nmail op)
guide_op "the request sent as it is" "/usr/sbin/sendmail -t < request"
op_mail $((n + 1))
guide_op "the confirmation request read" "nymread PASS2 PASS1 < mail"
COOKIE=$(grep -o 'confirm+[0-9a-f]*@' "$T/out" | head -1 | sed 's/confirm+//; s/@//')
check "... it came through the block and names confirm+COOKIE@nym.test (${COOKIE:-none})" test -n "$COOKIE"
guide_op "the confirmation by nymcfg -C" \
    "nymcfg -H HOST -n NAME -u KEYID -C COOKIE -r remailer@hop1 > confirm"
guide_op "... sent as it is" "/usr/sbin/sendmail -t < confirm"
op_mail $((n + 2))
as_op "nymread pass-two pass-one < mail" >"$T/out" 2>&1
check "the nym is confirmed ($(grep -m1 -i 'confirm\|success' "$T/out" | head -c 120))" \
    grep -qi 'completed successfully\|confirmed' "$T/out"
# friend_mails N BODY: friend mails the nym; op's Nth message is it.
friend_mails() {
	in_root runuser -u friend -- sh -c "echo '$2' | mail -s hello shadow@nym.test"
	op_mail "$1" && as_op "nymread pass-two pass-one < mail" >"$T/out" 2>&1 &&
	    grep -q "$2" "$T/out"
}
n=$(nmail op)
check "mail to shadow@nym.test arrives through the block (nymread PASS2 PASS1 < mail)" \
    friend_mails $((n + 1)) 'hello shadow'
printf 'From: shadow\nTo: friend@localhost\nSubject: re hello\n\nhello friend\n' |
    in_root runuser -u op -- sh -c 'cat >/home/op/message'
nf=$(nmail friend)
guide_op "send@ by nymwrap" "nymwrap -H HOST -u KEYID -r remailer@hop1 send < message > out"
guide_op "... sent as it is" "/usr/sbin/sendmail -t < out"
wait_until has_mail friend $((nf + 1))
last_mail friend >"$T/fr"
check "friend gets the nym's mail, from shadow@nym.test" \
    bash -c "grep -q '^From: .*shadow@nym.test' '$T/fr' && grep -q 'hello friend' '$T/fr' && ! grep -q 'op@' '$T/fr'"

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
# The restore: Postfix stopped, the archive decrypted on the operator's
# machine (here: outside the copy) and streamed in; the part after
# "ssh root@HOST" is run as written.
check "README's guide has: gpg -d nymserv-….tar.gpg | ssh root@HOST runuser -u nymserv -- nymctl restore -f -" \
    readme_has "gpg -d nymserv-….tar.gpg | ssh root@HOST runuser -u nymserv -- nymctl restore -f -"
in_root runuser -u nymserv -- nymctl export-keys >"$T/keys-before" 2>/dev/null
in_root postfix stop >/dev/null 2>&1
gpg --batch --homedir "$OPG" -d "$b" 2>/dev/null |
    in_root bash -c "cd /root && runuser -u nymserv -- nymctl restore -f -" >"$T/out" 2>&1
check "the restore as written exits 0 ($(tail -2 "$T/out" | tr '\n' ' ' | head -c 200))" \
    [ "${PIPESTATUS[1]}" = 0 ]
in_root runuser -u nymserv -- nymctl export-keys >"$T/keys-after" 2>/dev/null
check "... the server keys are the same" cmp -s "$T/keys-before" "$T/keys-after"
in_root postfix start >"$T/out" 2>&1
check "Postfix started again ($(tr '\n' ' ' <"$T/out"))" test $? = 0
n=$(nmail op)
check "the nym still gets mail through its block after the restore" \
    friend_mails $((n + 1)) 'after the restore'
wait_until grep -q 'after the restore' "$T/out"

# --- step 6, checked: what Postfix said and what the rule kept ---
wait_until grep -q 'from=<friend@localhost>' "$W/var/log/all.log"
check "Postfix logged the owner's and friend's addresses (before the rule)" \
    bash -c "grep -q 'from=<op@localhost>' '$W/var/log/all.log' && grep -q 'from=<friend@localhost>' '$W/var/log/all.log'"
tail -c +$((ml0 + 1)) "$W/var/log/mail.log" >"$T/mail.log"
tail -c +$((sl0 + 1)) "$W/var/log/syslog" >"$T/syslog" 2>/dev/null
check "/var/log/mail.log since the rule has nymserv's own lines" grep -q ' nymserv\[' "$T/mail.log"
bad=$(grep -m3 'from=<\|to=<\|client=\|op@\|friend@' "$T/mail.log" | head -c 300)
check "... and no per-message line, no address of op or friend (${bad:-none})" test -z "$bad"
bad=$(grep -m3 'from=<\|to=<\|op@localhost\|friend@localhost' "$T/syslog" | head -c 300)
check "... nor has /var/log/syslog (${bad:-none})" test -z "$bad"

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
    ! -path './etc/postfix/*' ! -path './etc/lighttpd/*' ! -path './etc/rsyslog.d/*' \
    ! -path './etc/dkimkeys/*' 2>/dev/null | grep -v '^\./var/cache/\|^\./var/log/\|^\./var/mail/' | head -10)
check "nothing of nymserv left but its users (left: ${left:-nothing})" test -z "$left"
check "... the users stay (Debian policy: files may still be theirs)" \
    in_root sh -c 'id nymserv >/dev/null'
[ -n "$RSPID" ] && kill "$RSPID" 2>/dev/null && wait "$RSPID" 2>/dev/null
RSPID=

# --- the source install instead, on the same copy: a host that never
# had the package (its users removed) ---
in_root sh -c 'userdel nymserv; userdel nymfinger; userdel nympolicy; groupdel nympub' 2>/dev/null
check "README's guide has: make install PREFIX=/usr/local" readme_has "make install PREFIX=/usr/local"
in_root bash -c "cd '$REPO' && make -s install PREFIX=/usr/local" >"$T/out" 2>&1
rc=$?
check "make install PREFIX=/usr/local in the tree (exit $rc: $(tail -3 "$T/out" | tr '\n' ' ' | head -c 300))" test $rc = 0
guide "the nym domain set" "sed -i 's/nym\.example\.org/nym.test/g' /etc/nymserv/nymserv.conf"
guide "group nympub" "groupadd --system nympub"
guide "user nymserv" "useradd --system --home-dir /var/lib/nymserv --no-create-home --shell /usr/sbin/nologin nymserv"
guide "user nymfinger" "useradd --system --no-create-home --shell /usr/sbin/nologin -g nympub nymfinger"
guide "user nympolicy" "useradd --system --no-create-home --shell /usr/sbin/nologin -g nympub nympolicy"
# Stumble 1: init before the state directory exists says how to make it.
in_root runuser -u nymserv -- nymctl init >"$T/out" 2>&1
rc=$?
check "nymctl init without /var/lib/nymserv: refused (exit $rc) with the command to make it" \
    bash -c "[ $rc != 0 ] && grep -qF 'install -d -o nymserv -g nympub -m 2710 /var/lib/nymserv' '$T/out'"
guide "the state directory" "install -d -o nymserv -g nympub -m 2710 /var/lib/nymserv"
guide "the backup directory" "install -d -o nymserv -g nymserv -m 0700 /var/backups/nymserv"
guide "nymctl init" "runuser -u nymserv -- nymctl init"
cp "$T/out" "$T/init.out"
# owner_mode PATH: "user:group mode" in the copy
owner_mode() { in_root stat -c '%U:%G %a' "$1" 2>/dev/null; }
check "/var/lib/nymserv: nymserv:nympub 2710 ($(owner_mode /var/lib/nymserv))" \
    [ "$(owner_mode /var/lib/nymserv)" = "nymserv:nympub 2710" ]
check "/var/backups/nymserv: nymserv:nymserv 700" \
    [ "$(owner_mode /var/backups/nymserv)" = "nymserv:nymserv 700" ]
for d in db gnupg spool remail-gnupg; do
	check "init made /var/lib/nymserv/$d, nymserv's, 0700 ($(owner_mode /var/lib/nymserv/$d))" \
	    bash -c "case '$(owner_mode /var/lib/nymserv/$d)' in nymserv:*' 700') ;; *) exit 1 ;; esac"
done
check "... and says where the spool and the Encrypt-Key home are" \
    bash -c "grep -qx 'remailer spool: /var/lib/nymserv/spool' '$T/init.out' &&
	grep -qx 'Encrypt-Key home: /var/lib/nymserv/remail-gnupg' '$T/init.out'"
check "the public view pub/ is the group's to read ($(owner_mode /var/lib/nymserv/pub))" \
    bash -c "case '$(owner_mode /var/lib/nymserv/pub)' in nymserv:nympub*) ;; *) exit 1 ;; esac"
guide "nymctl check after the source install" "runuser -u nymserv -- nymctl check"
check "... says the state is ok" grep -q 'state ok' "$T/out"
echo "# package test: $((SECONDS - start)) s"
