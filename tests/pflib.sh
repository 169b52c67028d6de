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

# pf_answers: the instance answers 220 on $PF_PORT.
pf_answers() {
	python3 - "$PF_PORT" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 30)
assert s.recv(100).startswith(b"220")
PY
}

# pf_bound [SECONDS]: the bound of a wait, never below NYM_WAIT (lib.sh):
# waits end when their condition holds, so a generous bound costs
# nothing unless something is broken.
pf_bound() {
	local b=${NYM_WAIT:-300}
	[ -n "${1:-}" ] && [ "$1" -gt "$b" ] && b=$1
	echo "$b"
}

# pf_until SECONDS CMD...: run CMD every 0.25 s until it succeeds (0) or
# SECONDS have passed (1).
pf_until() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.25
	done
}

# pf_start: start the instance and wait until it answers on $PF_PORT.
pf_start() {
	if ! postfix start >"$PF/start.out" 2>&1; then
		cat "$PF/start.out" >&2
		return 1
	fi
	PF_STARTED=1
	pf_until "$(pf_bound)" pf_answers
}

# pf_master_gone: the instance's master process has exited.
pf_master_gone() {
	[ -z "$PF_MASTER" ] || ! kill -0 "$PF_MASTER" 2>/dev/null
}

pf_stop() {
	[ -n "${PF_STARTED:-}" ] || return 0
	PF_MASTER=$(cat "$PF/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
	postfix stop >/dev/null 2>&1
	# The master exits shortly after; wait so the queue can be removed.
	pf_until "$(pf_bound)" pf_master_gone
	PF_STARTED=
}

# pf_cleanup: stop Postfix, then the usual cleanup of tests/lib.sh.
pf_cleanup() {
	pf_stop
	pf_dkim_stop
	umount /etc/postfix 2>/dev/null
	[ -n "${PF:-}" ] && [ -z "${NYM_KEEP:-}" ] && rm -rf "$PF"
	cleanup
}

# pf_submit FROM RCPT... < message: submit over SMTP as a mail program
# would.  Returns non-zero (and prints the reply) on a refusal.
pf_submit() {
	python3 "$REPO/tests/smtp-submit" "$PF_PORT" "$@"
}

# pf_queue_empty_twice: the queue is empty, and still after a moment (a
# message moving between queues can be missed once).
pf_queue_empty_twice() {
	[ -z "$(postqueue -j 2>/dev/null)" ] || return 1
	sleep 0.25
	[ -z "$(postqueue -j 2>/dev/null)" ]
}
# pf_wait_queue [SECONDS]: wait until the queue is empty (seen twice in a
# row); returns 1 if it is not within the bound (pf_bound).
pf_wait_queue() {
	pf_until "$(pf_bound "${1:-}")" pf_queue_empty_twice
}

# pf_queue_count: messages in the queue now.
pf_queue_count() { postqueue -j 2>/dev/null | grep -c .; }

# pf_maildir USER: the new messages delivered to USER@user.test.
# In the order of delivery (by_mtime).
pf_maildir() { by_mtime "$PF/mail/user.test/new"; }
# pf_mails_to USER: messages whose envelope recipient was USER@user.test.
pf_mails_to() {
	local f
	for f in $(pf_maildir); do
		grep -qi "^Delivered-To: $1@user.test" "$f" && echo "$f"
	done
	return 0
}
# pf_has_mail USER N: USER has at least N messages.
pf_has_mail() { [ "$(pf_mails_to "$1" | grep -c .)" -ge "$2" ]; }
# pf_wait_mail USER N [SECONDS]: wait until USER has at least N messages
# (bound: pf_bound).
pf_wait_mail() {
	pf_until "$(pf_bound "${3:-}")" pf_has_mail "$1" "$2"
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
timeout = 300
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
	# The suite's Postfix signs what the nym server sends, as the
	# sample does (tests/e2e/dkim.sh verifies it).
	pf_dkim nym.test || echo "skip - OpenDKIM is missing: mail leaves unsigned"
	# PF_NO_SETUP: the caller builds the instance itself (pf_shipped).
	[ -n "${PF_NO_SETUP:-}" ] || pf_setup
}

# pf_shipped EXAMPLES SED: a private instance built from the shipped
# samples, as the README's guide builds the operator's: Debian's default
# master.cf (/usr/share/postfix/master.cf.dist: smtpd and most daemons
# chrooted in the queue directory) plus EXAMPLES/postfix/master.cf,
# EXAMPLES/postfix/main.cf, transport and virtual, each through the sed
# script SED (the test's domain, paths, users, the policy port).  Then
# only what makes it a private test instance is changed (queue and data
# directories, SMTP on 127.0.0.1:$PF_PORT, the log, DNS off, aliases in
# the private /etc/postfix), with the trial lines of main.cf switched on
# (nothing leaves the host).  PF_MAINCF_EXTRA and PF_TRANSPORT_EXTRA
# (lines) and PF_SERVICES add the test's own world (other domains).
pf_shipped() {
	local ex=$1 sed=$2 l
	[ -n "${PF:-}" ] || PF=$(mktemp -d /tmp/pf.XXXXXX)
	chmod 755 "$PF"
	PF_PORT=$(pf_free_port)
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/log" "$PF/mail"
	cp -a /etc/postfix/. "$PF/etc/"
	rm -f "$PF/etc/main.cf" "$PF/etc/master.cf"
	chown postfix "$PF/data"
	chown 65534:65534 "$PF/mail"
	sed -e "$sed" -e 's/^#\(inet_interfaces = loopback-only\)/\1/' \
	    -e 's/^#\(default_transport = error:\)/\1/' \
	    -e '/^inet_interfaces = all$/d' \
	    "$ex/postfix/main.cf" >"$PF/etc/main.cf" || return 1
	sed -e "s/^smtp      inet /127.0.0.1:$PF_PORT inet /" \
	    /usr/share/postfix/master.cf.dist >"$PF/etc/master.cf" || return 1
	sed -e "$sed" "$ex/postfix/master.cf" >>"$PF/etc/master.cf"
	printf '%s\n' "${PF_SERVICES:-}" >>"$PF/etc/master.cf"
	{ sed -e "$sed" "$ex/postfix/transport"
	  printf '%s\n' "${PF_TRANSPORT_EXTRA:-}"; } >"$PF/etc/transport"
	sed -e "$sed" "$ex/postfix/virtual" >"$PF/etc/virtual"
	printf 'postmaster: root\nroot: operator@user.test\n' >"$PF/etc/aliases"
	postconf -c "$PF/etc" -e "queue_directory = $PF/spool" \
	    "data_directory = $PF/data" "inet_protocols = ipv4" \
	    "alias_maps = hash:/etc/postfix/aliases" \
	    "alias_database = hash:/etc/postfix/aliases" \
	    "smtp_dns_support_level = disabled" "smtputf8_enable = no" \
	    "delay_warning_time = 0" "queue_run_delay = 5s" \
	    "minimal_backoff_time = 5s" "maximal_backoff_time = 10s" || return 1
	while IFS= read -r l; do
		[ -n "$l" ] && postconf -c "$PF/etc" -e "$l"
	done <<<"${PF_MAINCF_EXTRA:-}"
	touch -d '-5 seconds' "$PF/etc/main.cf" "$PF/etc/master.cf"
	mount --bind "$PF/etc" /etc/postfix || return 1
	# The guide's commands, as written (inside the private /etc/postfix).
	postmap /etc/postfix/transport /etc/postfix/virtual &&
	    newaliases && postfix check
}

# pf_dkim_txt FILE: the TXT value in opendkim-genkey's SEL.txt.
pf_dkim_txt() {
	tr -d '\n\t' <"$1" | sed 's/^[^(]*(//; s/).*//; s/" *"//g; s/"//g; s/^ *//'
}

# pf_dkim DOMAIN: OpenDKIM running etc/opendkim.conf (Mode sv: mail from
# 127.0.0.1, i.e. what programs inject through sendmail, is signed with
# d=DOMAIN, selector nym, a fresh 2048-bit key; other mail is verified)
# on a free loopback port, and its Postfix settings in PF_MAINCF_EXTRA:
# non_smtpd_milters (with PF_DKIM_SMTPD=1 also smtpd_milters) and
# milter_default_action = tempfail.  Keys for verifiers in
# $PF_DKIM/keys (OpenDKIM's TestPublicKeys form, one "SEL._domainkey.D
# TXT" a line) and $PF_DKIM/nym.txt.  Call before pf_setup; pf_cleanup
# stops it.  Returns 1 (nothing started) without OpenDKIM.
pf_dkim() {
	local i
	[ -x /usr/sbin/opendkim ] && command -v opendkim-genkey >/dev/null &&
	    id opendkim >/dev/null 2>&1 || return 1
	PF_DKIM=$(mktemp -d /tmp/dk.XXXXXX)
	opendkim-genkey -b 2048 -d "$1" -s nym -D "$PF_DKIM" || return 1
	printf 'nym._domainkey.%s %s\n' "$1" "$(pf_dkim_txt "$PF_DKIM/nym.txt")" \
	    >"$PF_DKIM/keys"
	PF_DKIM_PORT=$(pf_free_port)
	sed -e "s|^Socket.*|Socket inet:$PF_DKIM_PORT@127.0.0.1|" \
	    -e "s|^Domain.*|Domain $1|" \
	    -e "s|^KeyFile.*|KeyFile $PF_DKIM/nym.private|" \
	    -e "s|^AuthservID.*|AuthservID $1|" -e "s|^Syslog.*|Syslog no|" \
	    "$REPO/etc/opendkim.conf" >"$PF_DKIM/opendkim.conf"
	# Verifying needs keys: OpenDKIM's resolver does not ask any DNS
	# here; this file stands in for the TXT records.
	printf 'Background no\nPidFile %s/pid\nTestPublicKeys %s/keys\n' \
	    "$PF_DKIM" "$PF_DKIM" >>"$PF_DKIM/opendkim.conf"
	# RequireSafeKeys refuses a key below /tmp (writable by all, sticky
	# or not); the key's own directory is the milter user's alone.
	echo 'RequireSafeKeys no' >>"$PF_DKIM/opendkim.conf"
	chown -R opendkim "$PF_DKIM"
	chmod 700 "$PF_DKIM"
	/usr/sbin/opendkim -f -x "$PF_DKIM/opendkim.conf" >"$PF_DKIM/out" 2>&1 &
	PF_DKIM_PID=$!
	for i in $(seq 1 300); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $PF_DKIM_PORT), 1)" \
		    2>/dev/null && break
		kill -0 "$PF_DKIM_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	PF_MAINCF_EXTRA="${PF_MAINCF_EXTRA:-}
non_smtpd_milters = inet:127.0.0.1:$PF_DKIM_PORT
milter_default_action = tempfail"
	[ -n "${PF_DKIM_SMTPD:-}" ] && PF_MAINCF_EXTRA="$PF_MAINCF_EXTRA
smtpd_milters = inet:127.0.0.1:$PF_DKIM_PORT"
	return 0
}

# pf_dkim_stop: stop the OpenDKIM pf_dkim started (and remove its keys).
pf_dkim_stop() {
	if [ -n "${PF_DKIM_PID:-}" ]; then
		kill "$PF_DKIM_PID" 2>/dev/null
		wait "$PF_DKIM_PID" 2>/dev/null
		PF_DKIM_PID=
	fi
	[ -n "${PF_DKIM:-}" ] && [ -z "${NYM_KEEP:-}" ] && rm -rf "$PF_DKIM"
	return 0
}
