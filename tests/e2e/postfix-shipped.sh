#!/usr/bin/env bash
# tests/e2e/postfix-shipped.sh - the shipped Postfix samples on Debian's
# default master.cf (issue 22, stumbles 2, 3, 5, 9, 10): a private Postfix
# built by pf_shipped from etc/postfix/{main,master}.cf, transport and
# virtual exactly as shipped except for the substitutions below, smtpd
# chrooted as Debian runs it, nympolicyd in front on loopback TCP, and
# Postfix logging through a real rsyslogd that reads the shipped
# etc/rsyslog.d/10-nymserv-privacy.conf.
#
# Substituted, and nothing else: nym.example.org -> nym.test; the
# installed paths (/usr/local/lib/nymserv/..., /etc/nymserv/nymserv.conf)
# -> the build's and the test's; user=nymserv -> user=nobody (the suite's
# unprivileged user); the policy port 10045 -> a free one.  The test's
# world around the server (hops, user maildirs, mynetworks narrowed to
# 127.0.0.1 so that 127.0.0.2 is an outside client) comes on top.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 0
if ! command -v rsyslogd >/dev/null; then
	notok "rsyslogd installed (bash contrib/run check installs rsyslog)"
	exit 1
fi
PD= RS= DEVC=
stop_all() {
	[ -n "$PD" ] && kill "$PD" 2>/dev/null && wait "$PD" 2>/dev/null
	pf_stop
	[ -n "$RS" ] && kill "$RS" 2>/dev/null && wait "$RS" 2>/dev/null
	# The /dev copy: unmounted before anything is removed (its files are
	# the real devices, bound).
	if [ -n "$DEVC" ]; then
		umount -R -l /dev 2>/dev/null
		umount -R -l "$DEVC" 2>/dev/null && rmdir "$DEVC"
	fi
	pf_cleanup
}
trap stop_all EXIT

# --- the log: /dev/log of this namespace is a real rsyslogd's ---
# A copy of /dev (the devices the programs use) with a log socket of its
# own, mounted over /dev in this mount namespace only.
DEVC=$(mktemp -d /tmp/pfdev.XXXXXX)
mount -t tmpfs -o mode=755 tmpfs "$DEVC"
for n in null zero full random urandom tty; do
	touch "$DEVC/$n" && mount --bind "/dev/$n" "$DEVC/$n"
done
mkdir "$DEVC/pts" "$DEVC/shm"
mount --rbind /dev/pts "$DEVC/pts"
mount -t tmpfs -o mode=1777 tmpfs "$DEVC/shm"
ln -s /proc/self/fd "$DEVC/fd"
for i in 0 1 2; do ln -s "/proc/self/fd/$i" "$DEVC/$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))"; done
mount --rbind "$DEVC" /dev
# all.log: every line, before the filter (what Postfix said); mail.log:
# what Debian's 50-default.conf would keep after the shipped rule.
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
*.* action(type="omfile" file="$T/all.log")
include(file="$REPO/etc/rsyslog.d/10-nymserv-privacy.conf")
mail.* action(type="omfile" file="$T/mail.log")
EOF
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" 2>"$T/rsyslog.err" &
RS=$!
wait_until test -S /dev/log
check "rsyslogd listens on this namespace's /dev/log" test -S /dev/log

# --- the state, two remailer hops, the client ---
PPORT=$(pf_free_port)
PF_NO_SETUP=1 pf_nym_world || { notok "nym world set up"; exit 1; }
PF=$(mktemp -d /tmp/pf.XXXXXX)
SED="s/nym\.example\.org/nym.test/g
s|/usr/local/lib/nymserv/|$NYM_BIN/|g
s|/etc/nymserv/nymserv.conf|$T/nymserv.conf|g
s/user=nymserv /user=nobody /
s/127\.0\.0\.1:10045/127.0.0.1:$PPORT/"
pipe="unix - n n - - pipe user=nobody null_sender= argv="
PF_SERVICES="remaila $pipe$T/tee-run $T/seen-a $NYM_BIN/remail -c $T/hopa.conf -f \${sender} -p \${user}
remailb $pipe$T/tee-run $T/seen-b $NYM_BIN/remail -c $T/hopb.conf -f \${sender} -p \${user}"
PF_TRANSPORT_EXTRA="hopa.test remaila:
hopb.test remailb:"
PF_MAINCF_EXTRA="mynetworks = 127.0.0.1/32
relay_domains = nym.test hopa.test hopb.test
remaila_destination_recipient_limit = 1
remailb_destination_recipient_limit = 1
virtual_mailbox_domains = user.test
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = inline:{ {@user.test = user.test/} }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100"
pf_shipped "$REPO/etc" "$SED" >"$T/shipped.out" 2>&1
rc=$?
check "the shipped samples pass postmap, newaliases, postfix check ($(tr '\n' ' ' <"$T/shipped.out" | head -c 300))" \
    test $rc = 0
check "smtpd runs chrooted, as Debian's master.cf has it" \
    bash -c "postconf -M '127.0.0.1:$PF_PORT/inet' | awk '{exit !(\$5 == \"y\")}'"
check "the nymserv pipe is the shipped one (recipient after -f sender)" \
    bash -c "postconf -M nymserv/unix | grep -q 'argv=$NYM_BIN/nymserv -c $T/nymserv.conf -f \${sender}'"

# nympolicyd, standalone on loopback TCP as etc/nympolicyd.service runs it.
(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C "$NYM_BIN/nympolicyd" \
    -c "$T/nymserv.conf" -l "inet:127.0.0.1:$PPORT" 2>"$T/policyd.log") &
PD=$!
pd_up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $PPORT), 1)" 2>/dev/null; }
wait_until pd_up
if pf_start; then ok "private Postfix from the shipped samples started"; else
	notok "private Postfix from the shipped samples started"; tail "$T/all.log"; exit 1
fi
BURST="python3 $REPO/tests/smtp-burst"
# outside RCPT...: one message per recipient from 127.0.0.2, the code
# each got ("250" or "554 5.7.1 ..."), one line each.
outside() {
	local r
	for r in "$@"; do
		$BURST "$PF_PORT" 127.0.0.2 bob@user.test "$r" x | cut -d' ' -f2-
	done
}
code() { outside "$1" | head -1 | cut -c1-9; }

# --- stumble 2: the chrooted smtpd reaches nympolicyd ---
check "outside, unknown nym: 554 5.1.1 at RCPT (nympolicyd answered the chrooted smtpd)" \
    [ "$(code nosuchnym@nym.test)" = "554 5.1.1" ]
pid=$(pgrep -f "smtpd -n 127.0.0.1:$PF_PORT" | head -1)
check "... from an smtpd whose root is the queue directory (pid ${pid:-none})" \
    test -n "$pid" -a "$(readlink "/proc/${pid:-0}/root")" = "$PF/spool"
check "outside, help@: accepted" [ "$(code help@nym.test)" = 250 ]

# --- stumble 3: nothing relayed for any domain but the nym domain ---
for r in victim@test victim@www.test x@sub.nym.test x@deep.sub.nym.test \
    victim@elsewhere.example victim@hopa.test.evil 'victim%elsewhere.example@nym.test'; do
	c=$(code "$r")
	case "$r" in
	*%*) check "outside, $r: refused or not relayed ($c)" \
	    bash -c "[ '$c' != 250 ] || ! grep -q 'to=<victim@elsewhere' '$T/all.log'" ;;
	*) check "outside, $r: refused at RCPT ($c)" [ "$c" = "554 5.7.1" ] ;;
	esac
done
check "the relay attempts were refused as 'Relay access denied'" \
    [ "$(grep -c 'Relay access denied' "$T/all.log")" -ge 6 ]

# --- stumble 5: postmaster@ and abuse@ reach a person ---
printf 'Subject: abuse report\n\nabuse here\n' |
    pf_submit bob@user.test abuse@nym.test postmaster@nym.test >/dev/null
check "abuse@ and postmaster@ accepted" test $? = 0
if pf_wait_mail operator 2 60; then ok "abuse@ and postmaster@ delivered to the operator (virtual -> postmaster -> root)"
else notok "abuse@ and postmaster@ delivered to the operator"; grep -i 'abuse\|postmaster' "$T/all.log" | tail -5; fi
check "... neither went to nymserv" bash -c "! grep -q 'to=<abuse@nym.test>.*relay=nymserv' '$T/all.log'"

# help@ answered: the outside message above reached bob.
if pf_wait_mail bob 1 60; then ok "help@ answered through the shipped pipe"
else notok "help@ answered through the shipped pipe"; tail -20 "$T/all.log"; fi

# --- stumbles 9, 10: the first nym, every request through a remailer ---
mkkey shadow
bash "$REPO/contrib/nymblock" -g "$T/c" alice@user.test \
    remailer@hopa.test=passA remailer@hopb.test=passB >"$T/block"
nymcfg -n shadow -u shadow -k -c 'create name="Shadow"' -b "$T/block" \
    -r remailer@hopb.test >"$T/create"
check "nymcfg -r: a mail for the remailer, nothing of the request in clear" \
    bash -c "grep -qx 'To: remailer@hopb.test' '$T/create' && ! grep -q 'config@\|Config:' '$T/create'"
check "config@ create sent through hop B" pf_submit alice@user.test remailer@hopb.test <"$T/create"
nymread() { bash "$REPO/contrib/nymread" -g "$T/c" passB passA; }
cookie=
if pf_wait_mail alice 1 90; then
	nymread <"$(pf_mails_to alice | tail -1)" >"$T/n1" 2>/dev/null
	cookie=$(grep -o 'confirm+[0-9a-f]*@' "$T/n1" | head -1 | sed 's/confirm+//; s/@//')
fi
check "the confirmation request arrives through both hops" test -n "$cookie"
printf '::\nAnon-To: confirm+%s@nym.test\n\nyes\n' "$cookie" |
    cgpg --armor --encrypt --recipient '<remailer@hopa.test>' >"$T/conf.asc"
{ printf 'To: remailer@hopa.test\nSubject: x\n\n::\nEncrypted: PGP\n\n'; cat "$T/conf.asc"; } >"$T/conf.eml"
check "confirm+COOKIE sent through hop A" pf_submit alice@user.test remailer@hopa.test <"$T/conf.eml"
if pf_wait_mail alice 2 90; then
	nymread <"$(pf_mails_to alice | tail -1)" >"$T/n2" 2>/dev/null
	check "the nym is confirmed" grep -qi 'completed successfully\|confirmed' "$T/n2"
else notok "the nym is confirmed"; fi
printf 'From: shadow\nTo: bob@user.test\nSubject: hello\n\nfrom the nym\n' |
    nymsend -u shadow -r remailer@hopb.test >"$T/send.eml"
check "send@ sent through hop B" pf_submit alice@user.test remailer@hopb.test <"$T/send.eml"
if pf_wait_mail bob 2 90; then
	check "bob gets the nym's mail" grep -q '^From: Shadow <shadow@nym.test>' "$(pf_mails_to bob | tail -1)"
else notok "bob gets the nym's mail"; fi
check "queue empty" pf_wait_queue 60

# What the MTA said (all.log) and what the shipped rule keeps (mail.log).
check "Postfix logged the requests' deliveries (before the filter)" \
    bash -c "grep -q 'to=<config@nym.test>' '$T/all.log' && grep -q 'to=<confirm+' '$T/all.log' && grep -q 'to=<send@nym.test>' '$T/all.log'"
ids=$(grep -E 'to=<(config|send|confirm\+[0-9a-f]*)@nym.test>' "$T/all.log" | sed 's/.*: \([0-9A-F]*\): to=.*/\1/' | sort -u)
leak=0
for id in $ids; do grep " $id: " "$T/all.log" | grep -q 'alice' && leak=1; done
check "no queue id of a config@/send@/confirm delivery ever names alice ($(echo $ids | wc -w) ids)" \
    [ -n "$ids" -a $leak = 0 ]
check "the kept mail log has no per-message line: no from=<, to=<, client=" \
    bash -c "[ -s '$T/mail.log' ] && ! grep -q 'from=<\|to=<\|client=' '$T/mail.log'"
check "... no address of alice or bob at all" bash -c "! grep -q 'alice\|bob@' '$T/mail.log'"
check "... while nymserv's own lines (no addresses by design) are kept" \
    grep -q ' nymserv\[' "$T/mail.log"
# A warning in Postfix's words (a real one cannot be had on demand).
logger -p mail.warning -t postfix/smtpd "warning: disk nearly full (test)"
logger -p mail.info -t postfix/qmgr "ABCDEF: from=<probe@user.test>, size=1 (test)"
wait_until grep -q 'from=<probe@user.test>' "$T/all.log"
check "... and Postfix's warnings are kept, its info lines not" \
    bash -c "grep -q 'disk nearly full (test)' '$T/mail.log' && grep -q 'probe@user.test' '$T/all.log' && ! grep -q 'probe@user.test' '$T/mail.log'"
