# tests/mxlib.sh - what the private Exim and OpenSMTPD harnesses share
# (sourced after tests/lib.sh, before tests/eximlib.sh or tests/smtpdlib.sh).
#
# Both MTAs conflict with postfix as Debian packages, so they are never
# installed: tests/mta-extract unpacks the .debs under /var/cache, and the
# test re-executes itself in a private mount namespace (mx_namespace) where
# overlays (upper directories under $MX) make the machine look like an
# Exim or OpenSMTPD host: the MTA's users in /etc/passwd, its binaries in
# /usr/sbin (sendmail included), its compiled-in directories.  Nothing
# outside the namespace changes; the overlays vanish with it.
#
# The cast (mx_world) is the Postfix suite's (tests/pflib.sh): nym.test
# piped to nymserv, hopa.test and hopb.test to remail instances with their
# own keys, user.test delivered into maildirs $MX/mail/USER.  The nym and
# hop domains are routed by the shipped sample (etc/exim, etc/opensmtpd)
# with only paths, names and ports substituted (mx_sample_subst).

# mx_namespace MTA "$@": skip (return 1, after a skip line) unless root and
# the extracted MTA tree can be had; otherwise re-run the calling script in
# a private mount namespace.  Inside, MX_ROOT is the extracted tree.
mx_namespace() {
	local mta=$1 err
	shift
	if [ -z "${NYM_MX_NS:-}" ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "skip - the $mta suite needs root (mount namespace, overlays, pipe users)"
			return 1
		fi
		if ! command -v unshare >/dev/null || ! command -v apt-get >/dev/null; then
			echo "skip - unshare(1) or apt-get is missing"
			return 1
		fi
		if ! grep -qw overlay /proc/filesystems &&
		    ! modprobe overlay 2>/dev/null; then
			echo "skip - the kernel has no overlay file system"
			return 1
		fi
		err=$(bash "$REPO/tests/mta-extract" "$mta" 2>&1 >/dev/null) || {
			echo "skip - $mta could not be extracted from Debian's packages (${err##*$'\n'})"
			return 1
		}
		# exec skips lib.sh's EXIT trap: remove this process's (empty) $T.
		rm -rf "$T"
		NYM_MX_NS=1 exec unshare -m --propagation private bash "$0" "$@"
	fi
	# A signal must not skip the EXIT trap (mx_cleanup): the daemon, the
	# overlays' directories and $T would outlive the test.
	trap 'exit 1' HUP INT TERM PIPE
	MX_ROOT=${NYM_MX_ROOT:-/var/cache/nymserv-test/$mta}
	MX=$(mktemp -d /tmp/mx.XXXXXX)
	chmod 755 "$MX"
	MX_OVERLAYS=()
	return 0
}

# mx_overlay DIR: an overlay over DIR whose changes live under $MX/ov.
mx_overlay() {
	local n
	n=$(printf '%s' "$1" | tr / _)
	mkdir -p "$MX/ov/$n.u" "$MX/ov/$n.w" || return 1
	mount -t overlay overlay \
	    -o "lowerdir=$1,upperdir=$MX/ov/$n.u,workdir=$MX/ov/$n.w" "$1" ||
	    return 1
	MX_OVERLAYS+=("$1")
}

# mx_users "name:uid" ...: add system users (and groups of the same name
# and id) to the overlaid /etc; nymserv, the user the samples run the
# programs as, is the tests' unprivileged 65534.
mx_users() {
	local u name id
	for u in "$@" nymserv:65534; do
		name=${u%%:*} id=${u#*:}
		if [ "$name" != nymserv ] && { getent passwd "$id" >/dev/null ||
		    getent group "$id" >/dev/null; }; then
			echo "mx_users: uid/gid $id is taken on this machine" >&2
			return 1
		fi
		echo "$name:x:$id:$id::/nonexistent:/usr/sbin/nologin" >>/etc/passwd
		echo "$name:x:$id:" >>/etc/group
	done
}

# mx_free_port: a TCP port on 127.0.0.1 nobody listens on now.
mx_free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || break
	done
	echo "$p"
}

# mx_wait_smtp PORT [SECONDS]: wait until PORT greets with 220.
mx_wait_smtp() {
	local i line
	for i in $(seq 1 $(($(mx_bound "${2:-60}") * 10))); do
		if exec 3<>"/dev/tcp/127.0.0.1/$1"; then
			line=
			read -r -t 10 line <&3
			printf 'QUIT\r\n' >&3
			exec 3<&- 3>&-
			case $line in 220*) return 0 ;; esac
		fi 2>/dev/null
		sleep 0.1
	done
	return 1
}

# mx_bound SECONDS: the bound of a wait, SECONDS or NYM_WAIT (the larger:
# a wait ends once its condition holds, so only a failure costs it, and
# no loaded machine may reach it).
mx_bound() { local w=${NYM_WAIT:-300}; echo $(($1 > w ? $1 : w)); }
# mx_wait SECONDS COMMAND...: wait until COMMAND succeeds; 1 on time-out.
mx_wait() {
	local limit=$(mx_bound "$1") i
	shift
	for i in $(seq 1 $((limit * 4))); do
		"$@" && return 0
		sleep 0.25
	done
	return 1
}

# mx_sample_subst FILE INSTANCE DOMAIN CONF REMAIL...: FILE with the
# shipped paths replaced: the nym domain by DOMAIN, nymserv.conf by CONF,
# the programs by $NYM_BIN's, remail by the REMAIL words (a tee-run prefix
# for the hops); INSTANCE (a word, or empty) names this copy's routers,
# transports, actions and tables apart from the other copies'.
mx_sample_subst() {
	local f=$1 inst=$2 dom=$3 conf=$4
	shift 4
	local remail="$*"
	sed -e "s|/usr/local/lib/nymserv/remail|$remail|g" \
	    -e "s|/usr/local/lib/nymserv/nymserv|$NYM_BIN/nymserv|g" \
	    -e "s|/etc/nymserv/nymserv.conf|$conf|g" \
	    -e "s|nym\.example\.org|$dom|g" \
	    ${inst:+-e "s|^nymserv|${inst}_nymserv|" \
	        -e "s|transport = nymserv|transport = ${inst}_nymserv|" \
	        -e "s|action \"nymserv|action \"${inst}-nymserv|g" \
	        -e "s|nymserv-users|${inst}-nymserv-users|g"} "$f"
}

# mx_world: the cast, not yet started (see the top of this file).  The
# nym server's remail runs behind $T/kill-switch: while $T/kill/on exists
# it SIGKILLs its parent nymserv (counting each kill in $T/kill/count), so
# a test can kill the real nymserv in the middle of a delivery.
mx_world() {
	local h u
	HAVE_REMAIL=
	[ -x "$NYM_BIN/remail" ] && HAVE_REMAIL=1
	mkdir -p "$T/kill"
	chown 65534:65534 "$T/kill"
	cat >"$T/kill-switch" <<EOF
#!/bin/sh
# kill-switch COMMAND...: run COMMAND, unless $T/kill/on exists: then kill
# the caller (nymserv) with SIGKILL.
if [ -e $T/kill/on ]; then
	echo killed >>$T/kill/count
	kill -KILL \$PPID
	exit 75
fi
exec "\$@"
EOF
	chmod 755 "$T/kill-switch"
	setup_state "sendmail = /usr/sbin/sendmail" \
	    ${HAVE_REMAIL:+"remail = $T/kill-switch $NYM_BIN/remail -c $T/nymserv.conf"} ||
	    return 1
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
	MX_MAIL=$MX/mail
	for u in $MX_USERS other postmaster; do
		mkdir -p "$MX_MAIL/$u"
	done
	chown -R 65534:65534 "$MX_MAIL"
}
# The user.test mailboxes (every other local part goes to "other").
MX_USERS="alice bob"

# mx_mails_to USER: the messages delivered to USER (or other, postmaster).
# In the order of delivery (by_mtime).
mx_mails_to() { by_mtime "$MX_MAIL/$1/new"; }
mx_count() { mx_mails_to "$1" | grep -c .; }
# mx_wait_mail USER N [SECONDS]: wait until USER has at least N messages.
mx_wait_mail() { mx_wait "${3:-60}" mx_has "$1" "$2"; }
mx_has() { [ "$(mx_count "$1")" -ge "$2" ]; }

# mx_wait_queue [SECONDS]: wait until the MTA's queue is empty, seen twice
# in a row (a message moving between queues can be missed once).
mx_wait_queue() {
	local limit=$(mx_bound "${1:-60}") i empty=0
	for i in $(seq 1 $((limit * 4))); do
		if [ "$(mx_queue_count)" = 0 ]; then
			empty=$((empty + 1))
			[ $empty -ge 2 ] && return 0
		else
			empty=0
		fi
		sleep 0.25
	done
	return 1
}

# mx_submit FROM RCPT... < message: submit over SMTP as a mail program
# would; non-zero (and the reply printed) on a refusal.
mx_submit() { python3 "$REPO/tests/smtp-submit" "$MX_PORT" "$@"; }

# mx_log_has ERE: the MTA's log has a line matching ERE.
mx_log_has() { grep -Eq -- "$1" "$MX_LOG" 2>/dev/null; }

# mx_cleanup: stop the MTA (mx_stop, from the MTA's library), take the
# overlays down, then the usual cleanup of tests/lib.sh.
mx_cleanup() {
	local i
	mx_stop
	for ((i = ${#MX_OVERLAYS[@]} - 1; i >= 0; i--)); do
		umount "${MX_OVERLAYS[i]}" 2>/dev/null ||
		    umount -l "${MX_OVERLAYS[i]}" 2>/dev/null
	done
	[ -n "${MX:-}" ] && [ -z "${NYM_KEEP:-}" ] && rm -rf "$MX"
	[ -n "${MX_EV:-}" ] && rm -rf "$MX_EV"
	cleanup
}
