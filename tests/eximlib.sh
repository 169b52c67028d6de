# tests/eximlib.sh - a private Exim 4.96 for end-to-end tests (sourced
# after tests/lib.sh and tests/mxlib.sh, inside mx_namespace exim).
#
# Debian's exim4 from the extracted exim4-daemon-light, set up inside the
# namespace as on an Exim machine, because the binary has its paths and
# users compiled in: /usr/sbin/exim4 setuid root (so the sendmail that
# nymserv runs as the nymserv user can queue mail), /usr/sbin/sendmail a
# link to it, the configuration at /etc/exim4/exim4.conf (a file named
# with -C would make Exim give up root, and then no pipe could run as the
# nymserv user), the Debian-exim user, libidn.so.12.  Spool and logs are
# under $MX; SMTP on 127.0.0.1:$MX_PORT.  Start-up takes ~0.1 s.
#
# The configuration: the shipped etc/exim/nymserv.conf three times (the
# nym domain, and each hop domain with its own nymserv.conf and remail
# behind tests/tee-run), with one change besides paths and names:
# auto_thaw is 1 s instead of 15 min, so a frozen message is retried
# within the test.  Retry rule F,2h,2s; a queue runner every 2 s.

EXIM_UID=4711

# mx_setup: lay out the instance (not yet started).
mx_setup() {
	local ma lib s=$REPO/etc/exim/nymserv.conf
	ma=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	mx_overlay /etc && mx_overlay /usr/sbin && mx_overlay "/usr/lib/$ma" ||
	    return 1
	mx_users "Debian-exim:$EXIM_UID" || return 1
	install -o root -g root -m 4755 "$MX_ROOT/usr/sbin/exim4" /usr/sbin/exim4
	ln -sf exim4 /usr/sbin/sendmail
	for lib in "$MX_ROOT/usr/lib/$ma"/libidn.so.12*; do
		cp -a "$lib" "/usr/lib/$ma/"
	done
	MX_NAME="Exim $(sed -n 's/^exim4-daemon-light //p' "$MX_ROOT/.version")"
	MX_PORT=$(mx_free_port)
	MX_LOG=$MX/log/mainlog
	mkdir -p "$MX/spool" "$MX/log" /etc/exim4
	chown "$EXIM_UID:$EXIM_UID" "$MX/spool" "$MX/log"
	mx_world || return 1
	local nym=$T/nymserv.conf a="$T/tee-run $T/seen-a $NYM_BIN/remail"
	local b="$T/tee-run $T/seen-b $NYM_BIN/remail"
	{
		cat <<EOF
primary_hostname = mx.test
qualify_domain = mx.test
domainlist local_domains = nym.test : hopa.test : hopb.test : user.test
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $MX_PORT
acl_smtp_rcpt = acl_rcpt
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
log_file_path = $MX/log/%slog
spool_directory = $MX/spool
pid_file_path = $MX/exim.pid
keep_environment =
never_users = root
ignore_bounce_errors_after = 0s
EOF
		exim_part main "$s" | sed 's/^auto_thaw = .*/auto_thaw = 1s/'
		cat <<EOF

begin acl
acl_rcpt:
  accept domains = +local_domains
  deny message = this test instance relays nowhere

begin routers
EOF
		mx_sample_subst "$s" "" nym.test "$nym" "$NYM_BIN/remail" |
		    exim_part routers
		mx_sample_subst "$s" hopa hopa.test "$T/hopa.conf" "$a" |
		    exim_part routers
		mx_sample_subst "$s" hopb hopb.test "$T/hopb.conf" "$b" |
		    exim_part routers
		cat <<EOF
person:
  driver = accept
  domains = nym.test
  local_parts = postmaster : abuse
  transport = box_postmaster
users:
  driver = accept
  domains = user.test
  local_parts = ${MX_USERS// / : }
  transport = box
others:
  driver = accept
  domains = user.test
  transport = box_other

begin transports
EOF
		mx_sample_subst "$s" "" nym.test "$nym" "$NYM_BIN/remail" |
		    exim_part transports
		mx_sample_subst "$s" hopa hopa.test "$T/hopa.conf" "$a" |
		    exim_part transports
		mx_sample_subst "$s" hopb hopb.test "$T/hopb.conf" "$b" |
		    exim_part transports
		local box dir
		for box in box box_other box_postmaster; do
			case $box in
			box) dir='$local_part_data' ;;
			box_other) dir=other ;;
			*) dir=postmaster ;;
			esac
			cat <<EOF
$box:
  driver = appendfile
  directory = $MX_MAIL/$dir
  maildir_format
  user = nobody
  group = nogroup
  envelope_to_add
  return_path_add
EOF
		done
		printf '\nbegin retry\n* * F,2h,2s\n'
	} >/etc/exim4/exim4.conf
	chmod 644 /etc/exim4/exim4.conf
	/usr/sbin/exim4 -bV >"$MX/bV.out" 2>&1 || { cat "$MX/bV.out" >&2; return 1; }
}

# exim_part main|routers|transports [FILE]: one part of the shipped
# sample, between its "# --- NAME" marker and the next marker.
exim_part() {
	awk -v want="$1" '
		/^# --- / { on = ($3 == want); next }
		on' "${2:--}"
}

# mx_start: start the daemon (its own session, so mx_stop can end it and
# every delivery process it started) and wait until it answers on SMTP.
mx_start() {
	setsid /usr/sbin/exim4 -bdf -q2s </dev/null >"$MX/daemon.out" 2>&1 &
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

# mx_queue_count: messages in the queue now (frozen ones included).
mx_queue_count() { /usr/sbin/exim4 -bpc 2>/dev/null || echo error; }
# mx_flush: a queue run now, retry times ignored (frozen messages stay).
mx_flush() { timeout 300 /usr/sbin/exim4 -qf >/dev/null 2>&1; }

# mx_seen_defer ADDR / mx_seen_signal ADDR / mx_seen_bounce ADDR: the log
# shows a delivery to ADDR deferred on exit 75 / deferred (frozen) after
# the command was killed by a signal / failed permanently.
mx_seen_defer() { mx_log_has "== $1 .*returned 75"; }
mx_seen_signal() { mx_log_has "== $1 .*terminated by signal 9" && mx_log_has ' Frozen$'; }
mx_seen_bounce() { mx_log_has "\\*\\* $1 "; }
