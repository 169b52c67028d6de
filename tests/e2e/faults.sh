#!/usr/bin/env bash
# tests/e2e/faults.sh - faults that lose nothing: kill -9 of nymserv at
# random points, a full disk (ENOSPC) under the state, the spool and
# statedir/tmp, the LMDB map at map_max, gpg killed / missing / without a
# usable agent, a hung or killed sendmail.  Real gpg, real LMDB, the real
# remail; after every fault the MTA's retries are played out and the
# outcome checked: state effects exactly once, hand-offs at least once
# (duplicates counted and printed), never lost; nymctl check clean, no
# replay entry left pending, nothing left in statedir/tmp.  Every fault is
# counted, and a check that needs it fails when it did not happen.
. "$(dirname "$0")/../lib.sh"
lmdb_only "reads the replay cache and counters with mdb_dump"

# The tmpfs mounts need a mount namespace of their own (root): re-run
# this script inside one, so nothing is ever mounted outside it.
if [ "$(id -u)" = 0 ] && [ -z "${NYM_FAULTS_NS:-}" ] &&
    command -v unshare >/dev/null; then
	rm -rf "$T"	# exec skips the EXIT trap
	NYM_FAULTS_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
ROOT=
[ -n "${NYM_FAULTS_NS:-}" ] && ROOT=1
# The tmpfs go before the test directory, and the gpg-agents of the homes
# on them before the tmpfs (an agent's socket keeps its file system busy).
unmount_all() {
	local d h
	for h in "${HOMES[@]}"; do
		[ -d "$h" ] && as_user env GNUPGHOME="$h" gpgconf --kill all \
		    >/dev/null 2>&1
	done
	for d in "$T/s/tmp" "$T/fs1" "$T/fs2"; do
		mountpoint -q "$d" 2>/dev/null && umount "$d"
	done
	cleanup
}
trap unmount_all EXIT

# ---- the cast ----------------------------------------------------------
# hostname nym.test, state $T/s; remail is the real one (its sendmail is
# the capture too); gpg is $T/gpgw, a wrapper whose mode $T/gpgmode says
# what it does.  Nyms are created -cryptrecv, so notices and deliveries
# are clear-signed and can be counted by their text.
cat >"$T/gpgw" <<EOF
#!/bin/bash
# gpg as configured.  Each operation is a line in gpgcalls.  \$T/gpgmode
# "pass": exec gpg; "kill N [SPREAD]": the N-th operation since gpgcalls
# was emptied is killed at a random point 0..SPREAD-1 ms after it starts
# (SPREAD 0: at once; each kill that landed is a line in gpgkills).
mode=pass at=0 spread=8
[ -f "$T/gpgmode" ] && read -r mode at spread <"$T/gpgmode"
spread=\${spread:-8}
case " \$* " in *" --version "*) exec /usr/bin/gpg "\$@" ;; esac
echo x >>"$T/gpgcalls"
if [ "\$mode" = kill ]; then
	[ "\$(grep -c . "$T/gpgcalls")" = "\$at" ] || exec /usr/bin/gpg "\$@"
	/usr/bin/gpg "\$@" 0<&0 &
	p=\$!
	[ "\$spread" -gt 0 ] && sleep "0.00\$((RANDOM % spread))"
	kill -9 "\$p" 2>/dev/null
	wait "\$p"
	rc=\$?
	if [ "\$rc" = 137 ]; then
		echo k >>"$T/gpgkills"
		kill -9 \$\$
	fi
	exit "\$rc"
fi
exec /usr/bin/gpg "\$@"
EOF
chmod 755 "$T/gpgw"
: >"$T/gpgkills"
: >"$T/gpgcalls"
[ -n "$ROOT" ] && chown 65534:65534 "$T/gpgkills" "$T/gpgcalls"
setup_state "remail = $NYM_BIN/remail -c $T/nymserv.conf" "gpg = $T/gpgw"
cp "$T/nymserv.conf" "$T/base.conf"
client_init
check "state made by nymctl init (gpg through the wrapper)" \
    grep -q '^serverkey: ' "$T/init.out"

CONF=$T/nymserv.conf	# the configuration the helpers below use
# ns RCPT [SENDER] < msg: nymserv as the MTA runs it, verbose (the log on
# stderr): output in $T/out, exit status in $RC.
ns() {
	as_user "$NYM_BIN/nymserv" -v -c "$CONF" -f "${2:-x@example.org}" \
	    "$1" >"$T/out" 2>&1
	RC=$?
	{ echo "== ns $1: $RC"; cat "$T/out"; } >>"$T/runs.log"
}
# mta FILE RCPT [SENDER]: the MTA's retries: again while it exits 75
# (bounded by rounds).  Exit status in $RC, tries in $TRIES.
mta() {
	TRIES=0
	while [ $TRIES -lt 20 ]; do
		TRIES=$((TRIES + 1))
		ns "$2" "${3:-}" <"$1"
		[ "$RC" = 75 ] || return 0
	done
}
# capn LINE: captured messages holding LINE (a whole line).
capn() { grep -lxF -- "$1" "$T"/cap/*.msg 2>/dev/null | grep -c .; }
# capsub TEXT: captured messages holding TEXT anywhere.
capsub() { grep -lF -- "$1" "$T"/cap/*.msg 2>/dev/null | grep -c .; }
# to_n ADDR: captured messages whose last envelope recipient is ADDR.
to_n() {
	local a n=0
	for a in "$T"/cap/*.args; do
		[ -e "$a" ] && [ "$(tail -1 "$a")" = "$1" ] && n=$((n + 1))
	done
	echo $n
}
ctl() { as_user "$NYM_BIN/nymctl" -c "$CONF" "$@"; }
state_ok() { ctl check >"$T/check.out" 2>&1 && grep -qx 'state ok' "$T/check.out"; }
# pending_values DB: the value lines (not the keys, which are hashes that
# may begin with any byte) of the replay entries still pending ('P').
pending_values() {
	as_user mdb_dump -p -s replay "$1" 2>/dev/null >"$T/replay.dump" || return 2
	awk '/^HEADER=END$/ { on = 1; n = 0; next } /^DATA=END$/ { on = 0 }
	    on && /^ / { if (++n % 2 == 0 && substr($0, 2, 1) == "P")
	    print substr($0, 1, 80) }' "$T/replay.dump"
}
# no_pending DB: every replay entry is done ('D'), none left pending.  On
# failure it shows each pending entry's head and the lines of the runs'
# logs ($T/runs.log) that speak of the state or of a replay.
no_pending() {
	local p
	p=$(pending_values "$1") || return 1
	[ -z "$p" ] && return 0
	echo "$p" | sed 's/^/# pending: /'
	grep -iE 'lmdb|state|replay|retry|progress|done' "$T/runs.log" 2>/dev/null |
	    sort | uniq -c | sort -rn | head -20 | sed 's/^/# runs.log: /'
	return 1
}
tmp_empty() { [ -z "$(ls -A "$1/tmp" 2>/dev/null)" ]; }
nym_line() { ctl list | grep "^$1 "; }
# request files for nym NAME (client key NAME, block to NAME@real.example)
req_create() {
	[ -n "$(fpr_of "$1")" ] || mkkey "$1"
	printf '::\nAnon-To: %s@real.example\n' "$1" >"$T/blk-$1"
	nymcfg -n "$1" -u "$1" -k -c "create -cryptrecv ${2:-}" -b "$T/blk-$1"
}
req_modify() { nymcfg -n "$1" -u "$1" -c "$2"; }
req_delete() { nymcfg -n "$1" -u "$1" -c delete; }
req_send() {
	printf 'From: %s\nTo: bob@example.org\nSubject: s\n\nsend-%s-%s\n' "$1" "$1" "$2" |
	    nymsend -u "$1"
}
mail_to() {
	printf 'From: Bob <bob@example.org>\nTo: %s@nym.test\nSubject: m\n\nmail-%s-%s\n' "$1" "$1" "$2"
}
# notices NAME: the captured messages to NAME@real.example.
notices() { grep -lx "$1@real.example" "$T"/cap/*.args 2>/dev/null | sed 's/args$/msg/'; }
# cookie NAME: the confirmation cookie of the last notice to NAME.
cookie() {
	grep -ho 'confirm+[0-9a-f]*@' $(notices "$1") /dev/null | tail -1 |
	    sed 's/confirm+//; s/@.*//'
}
confirm_msg() { printf 'From: x@real.example\nSubject: yes\n\nyes\n'; }
# make_live NAME: create and confirm a nym without faults.
make_live() {
	req_create "$1" >"$T/c-$1"
	mta "$T/c-$1" config
	confirm_msg >"$T/y-$1"
	mta "$T/y-$1" "confirm+$(cookie "$1")"
	nym_line "$1" | grep -q ' active'
}
# fault_then WHAT FILE RCPT HIT UNDO...: one run under the fault: exit 75,
# nothing handed on, and HIT (a function) says the fault was met; then
# UNDO... removes the fault and the MTA's retries must end in 0.
fault_then() {
	local what=$1 f=$2 rcpt=$3 hit=$4 c0
	shift 4
	c0=$(ls "$T/cap" | grep -c '\.msg$')
	ns "$rcpt" <"$f"
	check "$what: exit 75 under the fault (got $RC: $(grep -m1 '^[2-5]\.[0-9]' "$T/out"))" [ "$RC" = 75 ]
	check "$what: nothing handed on under the fault" \
	    [ "$(ls "$T/cap" | grep -c '\.msg$')" = "$c0" ]
	"$hit" "$what"
	"$@"
	mta "$f" "$rcpt"
	check "$what: the MTA's retry succeeds once the fault is gone ($TRIES tries)" [ "$RC" = 0 ]
}

for n in alice bob; do
	check "nym $n created and confirmed" make_live $n
done

# ---- kill -9 of nymserv at random points, then the MTA's retries -------
# Each message is killed a few times at random points (the random sleep
# only picks the point: no check depends on it) and then retried without
# a kill until it is done.  Only kills that landed count (exit 137).
sec_kill() {
KILLS=0
# killed_run FILE RCPT NKILLS: the MTA's attempts with up to NKILLS kills.
killed_run() {
	local f=$1 rcpt=$2 want=$3 k=0 pid rc t0 t1
	while [ $k -lt "$want" ]; do
		t0=$(date +%s%N)
		(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C \
		    "$NYM_BIN/nymserv" -v -c "$T/nymserv.conf" -f x@example.org \
		    "$rcpt" <"$f" >"$T/kout" 2>&1) &
		pid=$!
		sleep "$(awk -v d="$DUR" -v r="$RANDOM" 'BEGIN { printf "%.3f", d * r / 32768 / 1e9 }')"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=$?
		t1=$(date +%s%N)
		{ echo "== killed_run $rcpt: $rc"; cat "$T/kout"; } >>"$T/runs.log"
		if [ "$rc" = 137 ]; then
			k=$((k + 1)) KILLS=$((KILLS + 1))
		else
			# It ended before the kill: that is its duration.
			DUR=$((t1 - t0))
			[ "$rc" = 75 ] || { RC=$rc; pending_after "$f"; return 0; }
		fi
	done
	mta "$f" "$rcpt"
	pending_after "$f"
}
# pending_after FILE: name the first request after which an entry stays
# pending (for the diagnosis of a failing no_pending below).
pending_after() {
	[ -e "$T/pending-after" ] && return 0
	[ -n "$(pending_values "$T/s/db")" ] || return 0
	echo "$1 (kills so far $KILLS)" >"$T/pending-after"
	echo "# an entry stays pending after $(cat "$T/pending-after")"
}
DUR=300000000	# ns; adjusted to what a run takes here
KN=${FAULTS_NYMS:-"k1 k2 k3 k4 k5 k6 k7 k8"}
NK=$(echo $KN | wc -w)
track_start
bad=0
for n in $KN; do
	req_create "$n" >"$T/c-$n"
	killed_run "$T/c-$n" config $((3 + RANDOM % 4))
	[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# create $n: $RC $(cat "$T/out")"; }
done
check "kill -9 during config@ create: every retry ends in 0 ($bad not)" [ $bad = 0 ]
bad=0 dups=0
for n in $KN; do
	nym_line "$n" | grep -q ' pending' || bad=$((bad + 1))
	c=$(to_n "$n@real.example")
	[ "$c" -ge 1 ] || bad=$((bad + 1))
	dups=$((dups + c - 1))
	# Every notice names the one cookie stored with the nym.
	[ "$(grep -ho 'confirm+[0-9a-f]*@' $(notices "$n") | sort -u | grep -c .)" = 1 ] ||
	    bad=$((bad + 1))
done
check "create: each nym exists once, pending, its notice sent at least once with one cookie ($dups duplicate notices)" [ $bad = 0 ]
echo "# create: $KILLS kills so far, $dups duplicate notices"

bad=0
for n in $KN; do
	confirm_msg >"$T/y-$n"
	killed_run "$T/y-$n" "confirm+$(cookie "$n")" $((3 + RANDOM % 4))
	[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# confirm $n: $RC $(cat "$T/out")"; }
	nym_line "$n" | grep -q ' active' || bad=$((bad + 1))
done
check "kill -9 during confirm: every retry ends in 0, every nym active ($bad not)" [ $bad = 0 ]
c=$(capsub 'confirmed and in use')
check "confirm: each success notice sent at least once ($((c - NK - 2)) duplicates)" [ "$c" -ge $((NK + 2)) ]

bad=0
for n in $KN; do
	req_modify "$n" '+fingerkey +acksend' >"$T/m-$n"
	killed_run "$T/m-$n" config $((3 + RANDOM % 4))
	[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# modify $n: $RC $(cat "$T/out")"; }
	nym_line "$n" | grep -q ' active flags=' || bad=$((bad + 1))
done
check "kill -9 during config@ modify: every retry ends in 0 ($bad not)" [ $bad = 0 ]
flags=$(for n in $KN; do nym_line "$n"; done | sed 's/.* flags=\([^ ]*\).*/\1/' | sort -u)
check "modify: every nym carries the new switches, one value ($flags)" \
    [ "$(echo "$flags" | grep -c .)" = 1 ]

bad=0
for n in $KN; do
	req_send "$n" 1 >"$T/s-$n"
	killed_run "$T/s-$n" send $((3 + RANDOM % 4))
	[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# send $n: $RC $(cat "$T/out")"; }
done
check "kill -9 during send@: every retry ends in 0 ($bad not)" [ $bad = 0 ]
lost=0 dups=0
for n in $KN; do
	c=$(capn "send-$n-1")
	[ "$c" = 0 ] && lost=$((lost + 1))
	[ "$c" -gt 1 ] && dups=$((dups + c - 1))
done
check "send@: no message lost, each sent at least once ($dups duplicates)" [ $lost = 0 ]
as_user mdb_dump -p -s chunks "$T/s/db" >"$T/chunks.dump"
# The send counted once (one recipient) in the same transaction as its
# replay entry, however often it was killed and retried.
bad=0
for n in $KN; do
	v=$(awk -v k=" $n" '$0 == k { getline; print; exit }' "$T/chunks.dump")
	[ "${v##* }" = 1 ] || { bad=$((bad + 1)); echo "# chunks of $n: '$v'"; }
done
check "send@: the day's chunk counter of each nym is exactly 1 ($bad not)" [ $bad = 0 ]

bad=0
for n in $KN; do
	mail_to "$n" 1 >"$T/d-$n"
	killed_run "$T/d-$n" "$n" $((3 + RANDOM % 4))
	[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# delivery $n: $RC $(cat "$T/out")"; }
done
check "kill -9 during nym delivery: every retry ends in 0 ($bad not)" [ $bad = 0 ]
lost=0 dups=0
for n in $KN; do
	c=$(capn "mail-$n-1")
	[ "$c" = 0 ] && lost=$((lost + 1))
	[ "$c" -gt 1 ] && dups=$((dups + c - 1))
done
check "delivery: no message lost, each handed on at least once ($dups duplicates)" [ $lost = 0 ]
echo "# delivery: $dups duplicate deliveries (a kill after the hand-off, before the exit)"

bad=0
for n in $KN; do
	req_delete "$n" >"$T/x-$n"
	killed_run "$T/x-$n" config $((3 + RANDOM % 4))
	[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# delete $n: $RC $(cat "$T/out")"; }
	[ -z "$(nym_line "$n")" ] || bad=$((bad + 1))
done
check "kill -9 during config@ delete: every retry ends in 0, every nym gone ($bad not)" [ $bad = 0 ]
c=$(capsub 'has been deleted')
check "delete: each notice sent at least once ($((c - NK)) duplicates)" [ "$c" -ge $NK ]
# More kills where the count is short (every run ended early): deliveries
# to alice, each killed and retried like the others.
i=0
while [ "$KILLS" -lt "${FAULTS_MIN_KILLS:-200}" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	mail_to alice "x$i" >"$T/d-x"
	killed_run "$T/d-x" alice 5
	[ "$RC" = 0 ] && [ "$(capn "mail-alice-x$i")" -ge 1 ] || bad=$((bad + 1))
done
check "extra kills during deliveries to alice ($i messages): each retry ends in 0, none lost ($bad not)" [ $bad = 0 ]
check "every process of the killed runs has exited" track_wait
echo "# kill -9: $KILLS kills of nymserv in all"
check "kill -9: at least ${FAULTS_MIN_KILLS:-200} kills landed ($KILLS)" [ "$KILLS" -ge "${FAULTS_MIN_KILLS:-200}" ]
check "kill -9: nymctl check clean" state_ok
check "kill -9: no replay entry left pending" no_pending "$T/s/db"
check "kill -9: nothing left in statedir/tmp" tmp_empty "$T/s"
c0=$(ls "$T/cap" | grep -c '\.msg$')
ns config <"$T/c-k1"
check "a true replay afterwards: exit 0, nothing handed on" \
    [ "$RC" = 0 -a "$(ls "$T/cap" | grep -c '\.msg$')" = "$c0" ]

# A kill while a temporary GnuPG home (holding the nym's key) exists in
# statedir/tmp: waited for, not guessed; the next run removes it.
req_create t1 >"$T/c-t1"
caught=0
for try in $(seq 1 30); do
	(exec "${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C "$NYM_BIN/nymserv" \
	    -c "$T/nymserv.conf" -f x@example.org config <"$T/c-t1" >/dev/null 2>&1) &
	pid=$!
	i=0
	until [ -n "$(ls -A "$T/s/tmp" 2>/dev/null)" ] || [ ! -e /proc/$pid ] ||
	    [ $i -gt 20000 ]; do i=$((i + 1)); done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && [ -n "$(ls -A "$T/s/tmp")" ] && { caught=1; break; }
done
check "kill -9 with a temporary GnuPG home in statedir/tmp ($try tries)" [ $caught = 1 ]
mta "$T/c-t1" config
done_clean() { [ "$RC" = 0 ] && tmp_empty "$T/s"; }
check "... the retry succeeds and removes what the killed run left" done_clean
}

# ---- the exit status lost after the work was done (a kill just before
# exit, or the MTA crashing): the retry must succeed and change nothing.
# (The random kills above rarely land in that window; here it is sure.)
sec_exit() {
for n in q1; do
	req_create $n >"$T/c-$n"
	mta "$T/c-$n" config
	confirm_msg >"$T/y-$n"
	ck=$(cookie $n)
	mta "$T/y-$n" "confirm+$ck"
	c0=$(ls "$T/cap" | grep -c '\.msg$')
	ns "confirm+$ck" <"$T/y-$n"
	check "confirm retried after it was done: exit 0 (no bounce), nothing handed on (got $RC: $(head -1 "$T/out"))" \
	    [ "$RC" = 0 -a "$(ls "$T/cap" | grep -c '\.msg$')" = "$c0" ]
	req_send $n 2 >"$T/s-$n"
	mta "$T/s-$n" send
	ns send <"$T/s-$n"
	check "send@ retried after it was done: exit 0, sent once" \
	    [ "$RC" = 0 -a "$(capn "send-$n-2")" = 1 ]
	ns config <"$T/c-$n"
	check "config@ retried after it was done: exit 0, one notice" \
	    [ "$RC" = 0 -a "$(to_n "$n@real.example")" = 2 ]
done
}

# ---- a full disk (ENOSPC): a small tmpfs under the state directory, the
# remailer's spool and statedir/tmp in turn, filled to the last block.  A
# run under the fault exits 75 having met ENOSPC (counted from its log)
# and handed nothing on; once there is space, the retry does it once.
# fill DIR / unfill DIR: a file taking every free block of DIR's tmpfs.
sec_enospc() {
fill() { dd if=/dev/zero of="$1/.filler" bs=64k >/dev/null 2>&1; [ -s "$1/.filler" ]; }
unfill() { rm -f "$1/.filler"; }
ENOSPC=0
# nospc WHAT: the last run's log shows ENOSPC (the hits are counted).
nospc() {
	local n
	n=$(grep -c 'No space left on device' "$T/out")
	ENOSPC=$((ENOSPC + n))
	check "$1: ENOSPC met ($n in the log)" [ "$n" -gt 0 ]
}
# nospc_gpg WHAT DIR: as nospc, or else gpg (its agent, in the full
# state's GnuPG home) met it first: then the run's log names the server's
# key unusable and DIR's file system is still full after the run (no
# free block), so the fault was there for the whole run.
nospc_gpg() {
	local n free
	n=$(grep -c 'No space left on device' "$T/out")
	free=$(stat -f -c %a "$2")
	if [ "$n" = 0 ] && [ "$free" = 0 ] &&
	    grep -q "the server's own key cannot be used\|gpg failed" "$T/out"; then
		n=1
		echo "# $1: gpg met the full disk (0 free blocks; its error in the log)"
	fi
	ENOSPC=$((ENOSPC + n))
	check "$1: ENOSPC met ($n in the log, $free blocks free)" [ "$n" -gt 0 ]
}
# spool_empty_all: nothing at all in the spool, no partial file either.
spool_empty_all() { [ -z "$(ls "$T/fs2/spool")" ]; }
# due_all SPOOL: every queued message is due now.
due_all() {
	local f
	for f in "$1"/[0-9]*; do
		[ -e "$f" ] || continue
		case $f in *.tmp*) continue ;; esac
		mv "$f" "$1/0000000001.${f##*.}"
	done
}
# tmpfs DIR SIZE: a small file system at DIR (this namespace only).
tmpfs() { mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=755" tmpfs "$1"; }
# active NAME: nym NAME is active (ctl uses $CONF).
active() { nym_line "$1" | grep -q ' active'; }
if [ -z "$ROOT" ]; then
	skip "ENOSPC faults: need root (a tmpfs in a mount namespace of the test's own)"
else
	# -- the whole state directory on a full tmpfs: a server of its own --
	tmpfs "$T/fs1" 24m
	mkdir "$T/fs1/s" && chown 65534:65534 "$T/fs1/s"
	sed -e "s|^hostname = .*|hostname = fs.test|" \
	    -e "s|^statedir = .*|statedir = $T/fs1/s|" \
	    -e "s|^remail = .*|remail = $NYM_BIN/remail -c $T/fs.conf|" \
	    "$T/base.conf" >"$T/fs.conf"
	HOMES+=("$T/fs1/s/gnupg")
	CONF=$T/fs.conf
	ctl init -t ed25519 >/dev/null 2>&1
	ctl export-keys | cgpg --import
	for n in e1 e2; do
		mkkey $n
		printf '::\nAnon-To: %s@real.example\n' $n >"$T/blk-$n"
	done
	nymcfg -H fs.test -n e1 -u e1 -k -c 'create -cryptrecv' -b "$T/blk-e1" >"$T/c-e1"
	nymcfg -H fs.test -n e2 -u e2 -k -c 'create -cryptrecv' -b "$T/blk-e2" >"$T/c-e2"
	fill "$T/fs1"
	nospc_fs1() { nospc_gpg "$1" "$T/fs1"; }
	fault_then "ENOSPC under the state: config@ create" "$T/c-e1" config \
	    nospc_fs1 unfill "$T/fs1"
	check "ENOSPC under the state: the notice sent once" [ "$(to_n e1@real.example)" = 1 ]
	mta "$T/c-e2" config
	for n in e1 e2; do
		confirm_msg >"$T/y-$n"
		mta "$T/y-$n" "confirm+$(cookie $n)"
	done
	check "ENOSPC under the state: e1 active" active e1
	printf 'From: e1\nTo: bob@example.org\nSubject: s\n\nsend-e1-1\n' |
	    GNUPGHOME="$T/c" bash "$REPO/contrib/nymwrap" -H fs.test -u e1 send >"$T/s-e1"
	fill "$T/fs1"
	fault_then "ENOSPC under the state: send@" "$T/s-e1" send nospc unfill "$T/fs1"
	check "ENOSPC under the state: sent once" [ "$(capn send-e1-1)" = 1 ]
	# Delivery to a +cryptrecv nym: its key goes to a file in statedir/tmp.
	nymcfg -H fs.test -n e2 -u e2 -c '+cryptrecv' >"$T/m-e2"
	mta "$T/m-e2" config
	d0=$(to_n e2@real.example)
	printf 'From: b@example.org\nTo: e2@fs.test\nSubject: m\n\nmail-e2-1\n' >"$T/d-e2"
	fill "$T/fs1"
	fault_then "ENOSPC under the state: nym delivery" "$T/d-e2" e2 nospc unfill "$T/fs1"
	check "ENOSPC under the state: delivered once" [ "$(to_n e2@real.example)" = $((d0 + 1)) ]
	check "ENOSPC under the state: nymctl check clean" state_ok
	check "ENOSPC under the state: no replay entry pending" no_pending "$T/fs1/s/db"
	check "ENOSPC under the state: nothing left in statedir/tmp" tmp_empty "$T/fs1/s"

	# -- statedir/tmp alone on a full tmpfs (the main server) --
	CONF=$T/nymserv.conf
	tmpfs "$T/s/tmp" 4m
	chown 65534:65534 "$T/s/tmp" && chmod 700 "$T/s/tmp"
	req_modify alice '-fingerkey' >"$T/m-alice"
	fill "$T/s/tmp"
	fault_then "ENOSPC in statedir/tmp: config@ modify" "$T/m-alice" config \
	    nospc unfill "$T/s/tmp"
	req_send alice 9 >"$T/s-alice"
	fill "$T/s/tmp"
	fault_then "ENOSPC in statedir/tmp: send@" "$T/s-alice" send nospc unfill "$T/s/tmp"
	check "ENOSPC in statedir/tmp: sent once" [ "$(capn send-alice-9)" = 1 ]
	req_modify bob '+cryptrecv' >"$T/m-bob"
	mta "$T/m-bob" config
	d0=$(to_n bob@real.example)
	mail_to bob 9 >"$T/d-bob"
	fill "$T/s/tmp"
	fault_then "ENOSPC in statedir/tmp: nym delivery" "$T/d-bob" bob nospc unfill "$T/s/tmp"
	check "ENOSPC in statedir/tmp: delivered once" [ "$(to_n bob@real.example)" = $((d0 + 1)) ]
	check "ENOSPC in statedir/tmp: nothing left there" tmp_empty "$T/s"
	umount "$T/s/tmp"

	# -- the remailer's spool on a full tmpfs: Latent-Time mail --
	tmpfs "$T/fs2" 4m
	mkdir "$T/fs2/spool" && chown 65534:65534 "$T/fs2/spool" && chmod 700 "$T/fs2/spool"
	echo "remail_spool = $T/fs2/spool" >>"$T/nymserv.conf"
	printf '::\nAnon-To: late@final.test\nLatent-Time: +0:01\n\nlate-1\n' >"$T/late"
	fill "$T/fs2"
	as_user "$NYM_BIN/remail" -v -c "$T/nymserv.conf" <"$T/late" >"$T/out" 2>&1
	RC=$?
	check "ENOSPC in the spool: remail exits 75 (got $RC)" [ "$RC" = 75 ]
	nospc "ENOSPC in the spool: remail"
	check "ENOSPC in the spool: no partial file left" spool_empty_all
	# A nym whose reply block is delayed: nymserv's hand-off to remail
	# fails with the spool full, and succeeds on the retry.
	mkkey sp
	printf '::\nAnon-To: sp@real.example\nLatent-Time: +0:01\n' >"$T/blk-sp"
	nymcfg -n sp -u sp -k -c 'create -cryptrecv' -b "$T/blk-sp" >"$T/c-sp"
	unfill "$T/fs2"
	mta "$T/c-sp" config
	as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" -q >/dev/null 2>&1
	due_all "$T/fs2/spool"
	flush_spool "$T/nymserv.conf" "$T/fs2/spool"
	confirm_msg >"$T/y-sp"
	mta "$T/y-sp" "confirm+$(cookie sp)"
	due_all "$T/fs2/spool"
	flush_spool "$T/nymserv.conf" "$T/fs2/spool"
	check "a nym behind a delayed reply block is active" active sp
	d0=$(to_n sp@real.example)
	mail_to sp 1 >"$T/d-sp"
	fill "$T/fs2"
	c0=$(ls "$T/cap" | grep -c '\.msg$')
	ns sp <"$T/d-sp"
	check "ENOSPC in the spool: the delivery exits 75 (got $RC)" [ "$RC" = 75 ]
	nothing_sent() { [ "$(ls "$T/cap" | grep -c '\.msg$')" = "$c0" ] && spool_empty_all; }
	check "ENOSPC in the spool: nothing spooled, nothing sent" nothing_sent
	unfill "$T/fs2"
	mta "$T/d-sp" sp
	check "ENOSPC in the spool: the retry spools it (exit $RC)" \
	    [ "$RC" = 0 -a "$(ls "$T/fs2/spool" | grep -c '^[0-9]')" = 1 ]
	due_all "$T/fs2/spool"
	flush_spool "$T/nymserv.conf" "$T/fs2/spool"
	check "ENOSPC in the spool: delivered once when due" \
	    [ "$(capn mail-sp-1)" = 1 ]
	sed -i '/^remail_spool = /d' "$T/nymserv.conf"
	check "ENOSPC: met $ENOSPC times in all" [ "$ENOSPC" -ge 7 ]
fi
}

# ---- the LMDB map at its configured maximum: a server whose map may
# not grow past 1 MiB, its replay cache filled to the brim (entries of
# long ago, as expire prunes them).  A create needs pages the map cannot
# give: exit 75 ("state map full"), nothing written; with map_max raised,
# the retry succeeds once. ---
sec_map() {
mkdir "$T/m" && { [ -z "$ROOT" ] || chown 65534:65534 "$T/m"; }
sed -e "s|^hostname = .*|hostname = map.test|" -e "s|^statedir = .*|statedir = $T/m|" \
    -e "s|^remail = .*|remail = $NYM_BIN/remail -c $T/map.conf|" "$T/base.conf" >"$T/map.conf"
printf 'map_size = 1M\nmap_max = 1M\n' >>"$T/map.conf"
HOMES+=("$T/m/gnupg")
CONF=$T/map.conf
ctl init -t ed25519 >/dev/null 2>&1
ctl export-keys | cgpg --import
/usr/bin/python3 - >"$T/junk" <<'PY'
import os
print("VERSION=3\nformat=print\ntype=btree\nHEADER=END")
for i in range(20000):
    print(" " + "".join("\\%02x" % b for b in os.urandom(32)))
    print(" D1000000000\\0a")
print("DATA=END")
PY
as_user mdb_load -s replay "$T/m/db" <"$T/junk" >/dev/null 2>&1	# stops when full
check "the map is nearly full (mdb_stat)" \
    sh -c "mdb_stat -e '$T/m/db' | awk '/Max pages/ {m=\$3} /pages used/ {u=\$5} END {exit !(u > m - 16)}'"
mkkey mm
# A reply block padded to 40 KB: the record needs overflow pages.
{ printf '::\nAnon-To: mm@real.example\n\n'; head -c 40000 /dev/zero | tr '\0' x | fold -w 64; echo; } >"$T/blk-mm"
nymcfg -H map.test -n mm -u mm -k -c 'create -cryptrecv' -b "$T/blk-mm" >"$T/c-mm"
mapfull() {
	check "$1: the log says the map is full" grep -q 'state map full' "$T/out"
}
fault_then "map at map_max: config@ create" "$T/c-mm" config mapfull \
    sed -i 's/^map_max = 1M$/map_max = 64M/' "$T/map.conf"
check "map at map_max: the notice sent once" [ "$(to_n mm@real.example)" = 1 ]
check "map at map_max: expire prunes the old entries" \
    sh -c "${RUNAS[*]} env -i PATH=/usr/bin:/bin $NYM_BIN/nymctl -c $T/map.conf expire | grep -q 'replay entries pruned [1-9]'"
check "map at map_max: nymctl check clean" state_ok
CONF=$T/nymserv.conf
}

# ---- gpg killed in the middle of an operation (the wrapper), gpg
# missing, gpg-agent dead or unusable.  Each faulted run exits 75 and hands
# nothing on; the retry does the work once. ---
# The operations: config@ modify (decrypt, verify), send@ (decrypt,
# verify, sign), nym delivery (sign), confirm (sign).
sec_gpg() {
gpg_ops() {	# TAG: request files $T/go-{config,send,nym,confirm}-TAG
	req_modify alice "name=\"Alice $1\"" >"$T/go-config-$1"
	req_send alice "$1" >"$T/go-send-$1"
	mail_to bob "$1" >"$T/go-nym-$1"
}
gk=0 g75=0 gdone=0 gd0=0
# killed_gpg WHAT REGEN RCPT: each gpg operation of a request in turn is
# killed (a fresh request REGEN makes in $T/gk each time), as long as the
# request has that many; a run whose gpg was killed exits 75 and hands
# nothing on, and the MTA's retry then succeeds.  A short operation can
# finish before a kill up to 7 ms late lands; such a point is tried again
# (a whole fresh request each time), the last time with the kill at once.
killed_gpg() {
	local what=$1 regen=$2 rcpt=$3 at k0 c0 c1 o1 landed=0 bad=0 ops=8 spread
	gd0=$gdone
	for at in 1 2 3 4 5 6 7 8; do
	    [ "$at" -le "$ops" ] || break	# the request has no more
	    for spread in 8 8 0; do
		"$regen"
		k0=$(grep -c . "$T/gpgkills")
		c0=$(ls "$T/cap" | grep -c '\.msg$')
		: >"$T/gpgcalls"
		echo "kill $at $spread" >"$T/gpgmode"
		ns "$rcpt" <"$T/gk"
		echo pass >"$T/gpgmode"
		if [ "$(grep -c . "$T/gpgkills")" -gt "$k0" ]; then
			landed=$((landed + 1)) gk=$((gk + 1))
			c1=$(ls "$T/cap" | grep -c '\.msg$')
			if [ "$RC" = 75 ]; then
				g75=$((g75 + 1))
				[ "$c1" = "$c0" ] || { bad=$((bad + 1)); echo "# $what, operation $at: 75 but handed on"; }
			elif [ "$RC" = 0 ]; then
				# gpg was killed after its whole answer (output
				# and status lines) was read: the work is done,
				# once; the retry below must add nothing.
				gdone=$((gdone + 1))
				echo "# $what, gpg operation $at killed after its answer: exit 0"
				[ "$c1" -gt "$c0" ] || { bad=$((bad + 1)); echo "# $what, operation $at: exit 0, nothing handed on"; }
			else
				bad=$((bad + 1)); echo "# $what, gpg operation $at killed: exit $RC $(grep -m1 '^[2-5]\.[0-9]' "$T/out")"
			fi
			c1=$(ls "$T/cap" | grep -c '\.msg$')
			o1=$(grep -c . "$T/gpgcalls")
			: >"$T/gpgcalls"
			# The MTA retries a 75.  After a 0 it does not; a
			# signed request is sent again anyway, as a replay
			# would be, and must add nothing (mail to a nym has
			# no replay cache: it is not sent again).
			if [ "$RC" = 0 ] && [ "$rcpt" != config ] && [ "$rcpt" != send ]; then
				ops=$o1 gd0=$gdone
				break
			fi
			mta "$T/gk" "$rcpt"
			[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# $what, operation $at: retry $RC"; }
			[ "$gd0" = "$gdone" ] || [ "$(ls "$T/cap" | grep -c '\.msg$')" = "$c1" ] ||
			    { bad=$((bad + 1)); echo "# $what, operation $at: the retry of a completed run handed on again"; }
			# A whole run: how many gpg operations there are (the
			# completed run itself, else the retry; a completed
			# run's retry is a replay and asks gpg for less).
			if [ "$gd0" = "$gdone" ]; then
				ops=$(grep -c . "$T/gpgcalls")
			else
				ops=$o1
			fi
			gd0=$gdone
			break
		else
			[ "$RC" = 0 ] || { bad=$((bad + 1)); echo "# $what, operation $at not killed: exit $RC"; }
			ops=$(grep -c . "$T/gpgcalls")
			[ "$at" -le "$ops" ] || break	# no such operation
		fi
	    done
	done
	check "gpg killed during $what: $landed of its $ops gpg operations killed, each run 75 with nothing handed on (or done once from gpg's whole answer), each retry 0 ($bad not)" \
	    [ "$landed" -ge 1 -a "$bad" = 0 ]
}
n=0
regen_config() { n=$((n + 1)); req_modify alice "name=\"Alice k$n\"" >"$T/gk"; }
regen_send() { n=$((n + 1)); req_send alice "gk$n" >"$T/gk"; }
regen_nym() { n=$((n + 1)); mail_to bob "gk$n" >"$T/gk"; }
regen_confirm() {
	n=$((n + 1))
	req_create "g$n" >"$T/c-g$n"
	mta "$T/c-g$n" config
	confirm_msg >"$T/gk"
	CK=confirm+$(cookie "g$n")
}
killed_gpg "config@ modify" regen_config config
n0=$n
killed_gpg "send@" regen_send send
bad=0
for k in $(seq $((n0 + 1)) $n); do
	[ "$(capn "send-alice-gk$k")" = 1 ] || bad=$((bad + 1))
done
check "gpg killed during send@: each message sent exactly once ($bad not)" [ $bad = 0 ]
d0=$(to_n bob@real.example) n0=$n
killed_gpg "nym delivery" regen_nym bob
check "gpg killed during nym delivery: each message delivered once" \
    [ "$(to_n bob@real.example)" = $((d0 + n - n0)) ]
# remail decrypting a type-1 layer to its key: gpg killed there is 75
# (the MTA retries), never a bounce or a drop of the layer.
printf '::\nAnon-To: layer@real.example\n\nthe layer body\n' |
    cgpg --armor --encrypt --recipient '<remailer@nym.test>' >"$T/l1"
{ printf '::\nEncrypted: PGP\n\n'; cat "$T/l1"; } >"$T/t1"
rml() {
	as_user "$NYM_BIN/remail" -v -c "$CONF" -p remailer -f '' <"$T/t1" \
	    >"$T/out" 2>&1
	RC=$?
	{ echo "== remail: $RC"; cat "$T/out"; } >>"$T/runs.log"
}
rk=0 rbad=0
for spread in 8 8 0 0; do
	k0=$(grep -c . "$T/gpgkills")
	c0=$(captured)
	: >"$T/gpgcalls"
	echo "kill 1 $spread" >"$T/gpgmode"
	rml
	echo pass >"$T/gpgmode"
	[ "$(grep -c . "$T/gpgkills")" -gt "$k0" ] || continue
	rk=$((rk + 1))
	# 0 (sent once) only when gpg was killed after its whole answer.
	{ [ "$RC" = 75 ] && [ "$(captured)" = "$c0" ]; } ||
	    { [ "$RC" = 0 ] && [ "$(captured)" = $((c0 + 1)) ]; } ||
	    { rbad=$((rbad + 1)); echo "# remail, gpg killed in its decryption: exit $RC, $(( $(captured) - c0 )) handed on"; }
done
l0=$(to_n layer@real.example)
rml
check "gpg killed during remail's decryption: $rk kills, each 75 with nothing handed on or done once from gpg's whole answer ($rbad not); then exit 0 (got $RC)" \
    [ "$rk" -ge 2 -a "$rbad" = 0 -a "$RC" = 0 ]
check "gpg killed during remail's decryption: the layer is sent once it can be" \
    [ "$(to_n layer@real.example)" = $((l0 + 1)) ]
confirm_run() { ns "$CK" <"$T/gk"; }
regen_confirm
for at in 1 2; do
	: >"$T/gpgcalls"
	k0=$(grep -c . "$T/gpgkills")
	echo "kill $at" >"$T/gpgmode"
	ns "$CK" <"$T/gk"
	echo pass >"$T/gpgmode"
	if [ "$(grep -c . "$T/gpgkills")" -gt "$k0" ]; then
		gk=$((gk + 1))
		# 0 only when gpg was killed after its whole answer: then the
		# retry must hand on nothing more.
		r1=$RC c1=$(ls "$T/cap" | grep -c '\.msg$')
		check "gpg killed during confirm: exit 75 (got $RC)" [ "$RC" = 75 -o "$RC" = 0 ]
		mta "$T/gk" "$CK"
		again=0
		[ "$r1" = 0 ] && again=$(( $(ls "$T/cap" | grep -c '\.msg$') - c1 ))
		check "gpg killed during confirm: the retry succeeds (and adds nothing to a completed run: $again)" \
		    [ "$RC" = 0 -a "$again" = 0 ]
		break
	fi
	regen_confirm
done
check "gpg killed: $gk operations interrupted by a kill" [ "$gk" -ge 4 ]
check "gpg killed: $g75 of the killed runs exited 75 ($gdone had gpg's whole answer first)" [ "$g75" -ge 1 ]

# gpg missing: the configured program does not exist.
sed -i "s|^gpg = .*|gpg = $T/no-such-gpg|" "$T/nymserv.conf"
usegpg() { sed -i "s|^gpg = .*|gpg = $T/gpgw|" "$T/nymserv.conf"; }
nogpg() { check "$1: gpg was missing" test ! -e "$T/no-such-gpg"; }
gpg_ops miss
fault_then "gpg missing: config@ modify" "$T/go-config-miss" config nogpg usegpg
sed -i "s|^gpg = .*|gpg = $T/no-such-gpg|" "$T/nymserv.conf"
fault_then "gpg missing: send@" "$T/go-send-miss" send nogpg usegpg
check "gpg missing: sent once" [ "$(capn send-alice-miss)" = 1 ]
sed -i "s|^gpg = .*|gpg = $T/no-such-gpg|" "$T/nymserv.conf"
d0=$(to_n bob@real.example)
fault_then "gpg missing: nym delivery" "$T/go-nym-miss" bob nogpg usegpg
check "gpg missing: delivered once" [ "$(to_n bob@real.example)" = $((d0 + 1)) ]

# gpg-agent dead: gpg starts a new one, nothing fails.
# agent_up: an agent answers for the server home (its pid, without
# starting one).
agent_up() {
	as_user env GNUPGHOME="$T/s/gnupg" gpg-connect-agent --no-autostart \
	    'GETINFO pid' /bye 2>/dev/null | grep -q '^D [0-9]'
}
agent_down() { ! agent_up; }
as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill gpg-agent
check "gpg-agent of the server home killed" wait_until agent_down
gpg_ops dead
d0=$(to_n bob@real.example)
mta "$T/go-nym-dead" bob
check "gpg-agent dead: the delivery starts a new one and succeeds (exit $RC)" \
    [ "$RC" = 0 -a "$TRIES" = 1 -a "$(to_n bob@real.example)" = $((d0 + 1)) ]

# gpg-agent unusable: it cannot be started (a missing agent-program).
cp "$T/s/gnupg/gpg.conf" "$T/gpg.conf.good"
noagent() { check "$1: no agent could run" agent_down; }
agent_back() { cp "$T/gpg.conf.good" "$T/s/gnupg/gpg.conf"; }
unusable() {
	echo "agent-program $T/no-such-agent" >>"$T/s/gnupg/gpg.conf"
	as_user env GNUPGHOME="$T/s/gnupg" gpgconf --kill gpg-agent
	wait_until agent_down
}
gpg_ops agent
unusable
fault_then "gpg-agent unusable: config@ modify (encrypted)" "$T/go-config-agent" config noagent agent_back
unusable
fault_then "gpg-agent unusable: send@ (encrypted)" "$T/go-send-agent" send noagent agent_back
check "gpg-agent unusable: sent once" [ "$(capn send-alice-agent)" = 1 ]
unusable
d0=$(to_n bob@real.example)
fault_then "gpg-agent unusable: nym delivery" "$T/go-nym-agent" bob noagent agent_back
check "gpg-agent unusable: delivered once" [ "$(to_n bob@real.example)" = $((d0 + 1)) ]
}

# ---- sendmail that hangs (the alarm fires) or is killed ----
# The alarm (30 s: generous for the work before sendmail) must end a run
# whose sendmail hangs for ten minutes.  A hung sendmail that outlives its
# caller (remail killed by nymserv's alarm) is ended by its pid.
sec_sendmail() {
hung() { check "$1: sendmail hung" test -e "$T/cap/asleep"; }
unhang() {
	local p
	read -r p <"$T/cap/asleep" 2>/dev/null && kill -9 "$p" 2>/dev/null
	rm -f "$T/cap/sleep" "$T/cap/asleep"
	sed -i 's/^timeout = .*/timeout = 300/' "$T/nymserv.conf"
}
hang() { echo 600 >"$T/cap/sleep"; sed -i 's/^timeout = .*/timeout = 30/' "$T/nymserv.conf"; }
req_send alice hang >"$T/s-hang"
hang
fault_then "sendmail hangs: send@" "$T/s-hang" send hung unhang
check "sendmail hangs: sent once" [ "$(capn send-alice-hang)" = 1 ]
mail_to bob hang >"$T/d-hang"
hang
d0=$(to_n bob@real.example)
fault_then "sendmail hangs: nym delivery (through remail)" "$T/d-hang" bob hung unhang
check "sendmail hangs: delivered once" [ "$(to_n bob@real.example)" = $((d0 + 1)) ]
: >"$T/cap/killed"
[ -n "$ROOT" ] && chown 65534:65534 "$T/cap/killed"
killedsm() { check "$1: sendmail was killed ($(grep -c . "$T/cap/killed"))" [ -s "$T/cap/killed" ]; }
req_send alice smkill >"$T/s-smkill"
: >"$T/cap/kill-once"
fault_then "sendmail killed: send@" "$T/s-smkill" send killedsm true
check "sendmail killed: sent once" [ "$(capn send-alice-smkill)" = 1 ]
mail_to bob smkill >"$T/d-smkill"
: >"$T/cap/killed"
: >"$T/cap/kill-once"
d0=$(to_n bob@real.example)
fault_then "sendmail killed: nym delivery (through remail)" "$T/d-smkill" bob killedsm true
check "sendmail killed: delivered once" [ "$(to_n bob@real.example)" = $((d0 + 1)) ]
}

# FAULTS_SECTIONS picks sections (for working on one); the suite runs all.
for sec in ${FAULTS_SECTIONS:-kill exit enospc map gpg sendmail}; do
	"sec_$sec"
done

# ---- after all of it ----
check "at the end: nymctl check clean" state_ok
check "at the end: no replay entry left pending" no_pending "$T/s/db"
check "at the end: nothing left in statedir/tmp" tmp_empty "$T/s"
