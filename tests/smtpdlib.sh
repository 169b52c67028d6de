# tests/smtpdlib.sh - a private OpenSMTPD 6.8 for end-to-end tests (sourced
# after tests/lib.sh and tests/mxlib.sh, inside mx_namespace opensmtpd).
#
# OpenSMTPD needs root (privilege separation) and has all its paths
# compiled in: /var/spool/smtpd, /run/smtpd.sock, the chroot
# /var/lib/opensmtpd/empty, the delivery helpers in /usr/libexec/opensmtpd,
# the users opensmtpd and opensmtpq.  Inside the namespace those exist
# only on overlays; smtpctl (setgid opensmtpq) is /usr/sbin/sendmail, as
# on a Debian OpenSMTPD machine.  The configuration is /etc/smtpd.conf;
# smtpd runs in the foreground (-d) with its log in $MX/smtpd.log; SMTP on
# 127.0.0.1:$MX_PORT.  Start-up takes ~0.5 s.
#
# The configuration: the shipped etc/opensmtpd/smtpd.conf three times (the
# nym domain, and each hop domain with its own nymserv.conf and remail
# behind tests/tee-run), with only paths and names substituted.

SMTPD_UID=4712	# opensmtpd; opensmtpq is the next one

# mx_setup: lay out the instance (not yet started).
mx_setup() {
	local d s=$REPO/etc/opensmtpd/smtpd.conf
	for d in /etc /usr/sbin /usr/libexec /var/spool /var/lib /run; do
		mx_overlay "$d" || return 1
	done
	mx_users "opensmtpd:$SMTPD_UID" "opensmtpq:$((SMTPD_UID + 1))" ||
	    return 1
	MX_NAME="OpenSMTPD $(sed -n 's/^opensmtpd //p' "$MX_ROOT/.version")"
	install -o root -g root -m 755 "$MX_ROOT/usr/sbin/smtpd" /usr/sbin/smtpd
	install -o root -g "$((SMTPD_UID + 1))" -m 2755 \
	    "$MX_ROOT/usr/sbin/smtpctl" /usr/sbin/smtpctl
	ln -sf smtpctl /usr/sbin/sendmail
	mkdir -p /usr/libexec/opensmtpd /var/lib/opensmtpd/empty
	cp -a "$MX_ROOT/usr/libexec/opensmtpd/." /usr/libexec/opensmtpd/
	rm -rf /var/spool/smtpd
	mkdir -m 711 /var/spool/smtpd
	MX_PORT=$(mx_free_port)
	MX_LOG=$MX/smtpd.log
	mx_world || return 1
	local nym=$T/nymserv.conf a="$T/tee-run $T/seen-a $NYM_BIN/remail"
	local b="$T/tee-run $T/seen-b $NYM_BIN/remail"
	{
		cat <<EOF
listen on 127.0.0.1 port $MX_PORT hostname mx.test
table people { "@nym.test" = "nobody", "@hopa.test" = "nobody", "@hopb.test" = "nobody" }
table users { "@user.test" = "nobody" }
action "local" maildir "$MX_MAIL/postmaster" virtual <people>
action "box" maildir "$MX_MAIL/%{rcpt.user:lowercase}" virtual <users>
action "box_other" maildir "$MX_MAIL/other" virtual <users>
EOF
		mx_sample_subst "$s" "" nym.test "$nym" "$NYM_BIN/remail" |
		    grep -v '^#'
		mx_sample_subst "$s" hopa hopa.test "$T/hopa.conf" "$a" |
		    grep -v '^#'
		mx_sample_subst "$s" hopb hopb.test "$T/hopb.conf" "$b" |
		    grep -v '^#'
		printf 'match from any for rcpt-to { %s } action "box"\n' \
		    "$(for d in $MX_USERS; do printf '"%s@user.test" ' "$d"; done |
		    sed 's/" "/", "/g')"
		echo 'match from any for domain "user.test" action "box_other"'
	} >/etc/smtpd.conf
	chmod 644 /etc/smtpd.conf
	/usr/sbin/smtpd -n -f /etc/smtpd.conf >"$MX/n.out" 2>&1 ||
	    { cat "$MX/n.out" >&2; return 1; }
}

# mx_start: start smtpd in the foreground in its own session (so mx_stop
# can end it and its privilege-separated children) and wait for SMTP.
mx_start() {
	setsid /usr/sbin/smtpd -d -v -f /etc/smtpd.conf </dev/null \
	    >"$MX_LOG" 2>&1 &
	MX_PID=$!
	mx_wait_smtp "$MX_PORT" 60
}

mx_stop() {
	[ -n "${MX_PID:-}" ] || return 0
	kill -TERM -- "-$MX_PID" 2>/dev/null
	mx_wait 20 mx_gone || kill -KILL -- "-$MX_PID" 2>/dev/null
	wait "$MX_PID" 2>/dev/null
	MX_PID=
}
mx_gone() { ! kill -0 "$MX_PID" 2>/dev/null; }

# mx_queue_count: envelopes in the queue now.
mx_queue_count() {
	local q
	q=$(/usr/sbin/smtpctl show queue 2>/dev/null) || { echo error; return; }
	printf '%s\n' "$q" | grep -c .
}
# mx_flush: schedule every queued envelope for delivery now.
mx_flush() { /usr/sbin/smtpctl schedule all >/dev/null 2>&1; }

# mx_seen_defer ADDR / mx_seen_signal ADDR / mx_seen_bounce ADDR: the log
# shows a delivery to ADDR deferred on exit 75 / deferred after the command
# was killed by a signal / failed permanently.
mx_seen_defer() {
	grep -E "to=<$1> .*result=TempFail" "$MX_LOG" 2>/dev/null |
	    grep -vq 'exited abnormally'
}
mx_seen_signal() { mx_log_has "to=<$1> .*result=TempFail .*exited abnormally"; }
mx_seen_bounce() { mx_log_has "to=<$1> .*result=PermFail"; }
