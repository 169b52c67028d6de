# tests/pflib.sh - a private Postfix instance for end-to-end tests (sourced
# after tests/lib.sh).
#
# The instance has its own configuration, queue, data and mail directories
# under $PF, listens for SMTP on 127.0.0.1 on a free port ($PF_PORT), routes
# the domains the test names to pipe transports and delivers user.test into
# maildirs under $PF/mail.  Nothing is relayed anywhere else.
#
# Programs in a pipe transport inject mail with /usr/sbin/sendmail, whose
# setgid postdrop only trusts the system's /etc/postfix.  So the test runs
# in its own mount namespace (pf_namespace re-executes the script under
# `unshare -m`) with the private configuration bind-mounted over
# /etc/postfix: sendmail, postqueue and postfix all see the private
# instance, and the system's own Postfix (if any) is untouched.

# pf_namespace "$@": re-run the calling script in a private mount namespace;
# returns 1 (after printing why) where that is impossible.
pf_namespace() {
	[ -n "${NYM_PF_NS:-}" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "skip - the Postfix suite needs root (own mount namespace, pipe users)"
		return 1
	fi
	if ! command -v postfix >/dev/null || ! command -v postconf >/dev/null; then
		echo "skip - Postfix is not installed (bash contrib/run check installs it)"
		return 1
	fi
	if ! command -v unshare >/dev/null; then
		echo "skip - unshare(1) is missing"
		return 1
	fi
	# exec skips lib.sh's EXIT trap: remove this process's (empty) $T.
	rm -rf "$T"
	NYM_PF_NS=1 exec unshare -m --propagation private bash "$0" "$@"
}

# pf_free_port: a TCP port on 127.0.0.1 nobody listens on now.
pf_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pf_master_cf ADDR:PORT: the master.cf services a private instance runs,
# with its SMTP listener on ADDR:PORT.
pf_master_cf() {
	echo "$1 inet n - n - - smtpd"
	cat <<'EOF'
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

# pf_setup: write the instance.  PF_TRANSPORTS holds "domain service" pairs
# and PF_SERVICES the master.cf lines of those services (pipe transports).
# PF_MAINCF_EXTRA holds more main.cf settings, one "name = value" a line
# (a setting made here replaces the default above).
pf_setup() {
	PF=$(mktemp -d /tmp/pf.XXXXXX)
	chmod 755 "$PF"
	PF_PORT=$(pf_free_port)
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/log" "$PF/mail"
	cp -a /etc/postfix/. "$PF/etc/"
	rm -f "$PF/etc/main.cf" "$PF/etc/master.cf"
	chown postfix "$PF/data"
	chown 65534:65534 "$PF/mail"
	local tr="" d s rel=""
	while read -r d s; do
		[ -n "$d" ] || continue
		tr="$tr $d=$s:,"
		rel="$rel $d"
	done <<<"${PF_TRANSPORTS:-}"
	cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test
mydomain = test
myorigin = mx.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
relay_domains =$rel
${tr:+transport_maps = inline:{${tr%,} \}}
default_transport = error:5.7.1 this test instance relays nowhere
virtual_mailbox_domains = user.test
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = inline:{ {@user.test = user.test/} }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtp_dns_support_level = disabled
smtputf8_enable = no
biff = no
delay_warning_time = 0
maillog_file = $PF/log/maillog
maillog_file_prefixes = $PF
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
	# postconf -e replaces a setting written above instead of adding a
	# second one (Postfix warns on every command about those).
	local l
	while IFS= read -r l; do
		[ -n "$l" ] && postconf -c "$PF/etc" -e "$l"
	done <<<"${PF_MAINCF_EXTRA:-}"
	{ pf_master_cf "127.0.0.1:$PF_PORT"; printf '%s\n' "${PF_SERVICES:-}"; } \
	    >"$PF/etc/master.cf"
	# Each pipe transport delivers one recipient per run.
	for s in $(printf '%s\n' "${PF_TRANSPORTS:-}" | awk '{print $2}' | sort -u); do
		echo "${s}_destination_recipient_limit = 1" >>"$PF/etc/main.cf"
	done
	# Postfix programs wait while main.cf is younger than a second.
	touch -d '-5 seconds' "$PF/etc/main.cf" "$PF/etc/master.cf"
	mount --bind "$PF/etc" /etc/postfix || return 1
}

# pf_start: start the instance and wait until it answers on $PF_PORT.
pf_start() {
	local i
	if ! postfix start >"$PF/start.out" 2>&1; then
		cat "$PF/start.out" >&2
		return 1
	fi
	PF_STARTED=1
	for i in $(seq 1 100); do
		python3 - "$PF_PORT" <<'PY' 2>/dev/null && return 0
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
assert s.recv(100).startswith(b"220")
PY
		sleep 0.1
	done
	return 1
}

pf_stop() {
	[ -n "${PF_STARTED:-}" ] || return 0
	postfix stop >/dev/null 2>&1
	# The master exits shortly after; wait so the queue can be removed.
	local i pid
	pid=$(cat "$PF/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
	for i in $(seq 1 50); do
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	PF_STARTED=
}

# pf_cleanup: stop Postfix, then the usual cleanup of tests/lib.sh.
pf_cleanup() {
	pf_stop
	umount /etc/postfix 2>/dev/null
	[ -n "${PF:-}" ] && [ -z "${NYM_KEEP:-}" ] && rm -rf "$PF"
	cleanup
}

# pf_submit FROM RCPT... < message: submit over SMTP as a mail program
# would.  Returns non-zero (and prints the reply) on a refusal.
pf_submit() {
	python3 "$REPO/tests/smtp-submit" "$PF_PORT" "$@"
}

# pf_wait_queue [SECONDS]: wait until the queue is empty (seen twice in a
# row); returns 1 on timeout.
pf_wait_queue() {
	local limit=${1:-60} i empty=0
	for i in $(seq 1 $((limit * 4))); do
		if [ -z "$(postqueue -j 2>/dev/null)" ]; then
			empty=$((empty + 1))
			[ $empty -ge 2 ] && return 0
		else
			empty=0
		fi
		sleep 0.25
	done
	return 1
}

# pf_queue_count: messages in the queue now.
pf_queue_count() { postqueue -j 2>/dev/null | grep -c .; }

# pf_maildir USER: the new messages delivered to USER@user.test.
pf_maildir() { ls -d "$PF/mail/user.test/new"/* 2>/dev/null | sort; }
# pf_mails_to USER: messages whose envelope recipient was USER@user.test.
pf_mails_to() {
	local f
	for f in $(pf_maildir); do
		grep -qi "^Delivered-To: $1@user.test" "$f" && echo "$f"
	done
	return 0
}
# pf_wait_mail USER N [SECONDS]: wait until USER has at least N messages.
pf_wait_mail() {
	local i limit=${3:-60}
	for i in $(seq 1 $((limit * 4))); do
		[ "$(pf_mails_to "$1" | grep -c .)" -ge "$2" ] && return 0
		sleep 0.25
	done
	return 1
}

# pf_nym_world: the whole cast for the nym scenarios, not yet started.
#  nym.test   -> nymserv (state $T/s, config $T/nymserv.conf), whose
#                remail is bin/remail when built ($HAVE_REMAIL)
#  hopa.test, hopb.test -> remail instances with their own keys and state
#                ($T/hopa, $T/hopb); a copy of every input they get is kept
#                in $T/seen-a, $T/seen-b
#  user.test  -> maildirs under $PF/mail
# plus a client GnuPG home $T/c holding the server's and the hops' keys.
pf_nym_world() {
	local h
	HAVE_REMAIL=
	[ -x "$NYM_BIN/remail" ] && HAVE_REMAIL=1
	setup_state "sendmail = /usr/sbin/sendmail" \
	    ${HAVE_REMAIL:+"remail = $NYM_BIN/remail -c $T/nymserv.conf"}
	client_init
	cp "$REPO/tests/tee-run" "$T/tee-run"
	for h in a b; do
		mkdir -p "$T/hop$h" "$T/seen-$h"
		cat >"$T/hop$h.conf" <<CONF
hostname = hop$h.test
statedir = $T/hop$h
sendmail = /usr/sbin/sendmail
timeout = 60
CONF
		chown 65534:65534 "$T/hop$h" "$T/seen-$h"
		HOMES+=("$T/hop$h/gnupg")
		as_user "$NYM_BIN/nymctl" -c "$T/hop$h.conf" init -t ed25519 \
		    >/dev/null 2>&1 || return 1
		as_user "$NYM_BIN/nymctl" -c "$T/hop$h.conf" export-keys |
		    cgpg --import
	done
	local pipe="unix - n n - - pipe user=nobody null_sender= argv="
	PF_TRANSPORTS="nym.test nymserv
hopa.test remaila
hopb.test remailb"
	PF_SERVICES="nymserv $pipe$NYM_BIN/nymserv -c $T/nymserv.conf -f \${sender} -- \${recipient}
remaila $pipe$T/tee-run $T/seen-a $NYM_BIN/remail -c $T/hopa.conf -f \${sender} -p \${user}
remailb $pipe$T/tee-run $T/seen-b $NYM_BIN/remail -c $T/hopb.conf -f \${sender} -p \${user}"
	pf_setup
}
