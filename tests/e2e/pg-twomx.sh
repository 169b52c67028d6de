# pg-twomx.sh - two MX hosts on one PostgreSQL (issue 18): MX A and MX B
# have their own configuration, state directory, GnuPG home (a copy of
# A's: the same server keys), remailer capture and sendmail capture, and
# share one database through one PgBouncer (transaction pooling).  A
# request accepted at A and replayed at B is dropped; 20 concurrent
# deliveries spread over A and B leave exact counters; a nym disabled at
# A is refused at B; a config@ modify at A holds at B at once; a used
# confirmation cookie sent again at B does nothing.
NYM_STORE=lmdb	# this test writes its own store keys (its own cluster)
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pglib.sh"
pg_need
trap 'pgb_stop "$T/pg"; pg_stop "$T/pg"; cleanup' EXIT
pg_start "$T/pg" || { notok "private PostgreSQL started"; exit 1; }
pgb_start "$T/pg" || { notok "private PgBouncer started"; exit 1; }
pg_newdb nym || { notok "database created"; exit 1; }

# MX A: the usual test state, the store in PostgreSQL through PgBouncer.
mapfile -t keys < <(pg_store_keys nym bouncer)
setup_nyms "${keys[@]}" "daily_chunks = 20"
check "MX A: nymctl init on PostgreSQL ($(grep "^serverkey: " "$T/init.out"))" \
    grep -q '^serverkey: ' "$T/init.out"
# MX B: the same keys (a copy of A's GnuPG home, as an operator copies
# it), its own state directory, spool and captures.
mkdir -p "$T/sb" "$T/capb" "$T/remb"
(cd "$T/s" && tar --exclude=./db --exclude='S.*' -cf - .) |
    (cd "$T/sb" && tar -xpf -)
[ "$(id -u)" = 0 ] && chown -R 65534:65534 "$T/sb" "$T/capb" "$T/remb"
HOMES+=("$T/sb/gnupg")
sed -e "s#$T/s\$#$T/sb#" -e "s#$T/cap\$#$T/capb#" -e "s#$T/rem\$#$T/remb#" \
    "$T/nymserv.conf" >"$T/b.conf"
check "MX B: its own state directory, sendmail and remailer" \
    bash -c "grep -qx 'statedir = $T/sb' '$T/b.conf' && grep -q 'capb$' '$T/b.conf' && grep -q 'remb$' '$T/b.conf'"
# nymserv_b ARGS < message: nymserv at MX B, verbose (stdout in $T/outb,
# the log in $T/errb, $RC).
nymserv_b() {
	as_user "$NYM_BIN/nymserv" -v -c "$T/b.conf" "$@" >"$T/outb" 2>"$T/errb"
	RC=$?
}
ctl() { as_user "$NYM_BIN/nymctl" -c "$1" "${@:2}" >"$T/ctl" 2>"$T/ctl.err"; CRC=$?; }
nrem() { count_in "$1"; }
chunks_today() { ctl "$1" stats; awk '$1=="chunks-today"{print $2}' "$T/ctl"; }

make_nym alice
make_nym bob
make_nym carol
ctl "$T/b.conf" list
check "MX B sees the nyms made at A" \
    bash -c "grep -q '^alice ' '$T/ctl' && grep -q '^bob ' '$T/ctl' && grep -q '^carol ' '$T/ctl'"

# --- a send@ request accepted at A, replayed at B: dropped ---
printf 'From: alice\nTo: dave@example.org\nSubject: once\n\nonly once\n' >"$T/m1"
nymsend -u alice <"$T/m1" >"$T/r1"
nymserv -f someone@client.example send <"$T/r1"
check "send@ at A: exit 0, handed on once" [ "$RC" = 0 -a "$(captured)" = 1 ]
ra=$(nrem "$T/rem") rb=$(nrem "$T/remb")
nymserv_b -f someone@client.example send <"$T/r1"
check "the same request at B: exit 0 ($RC), nothing handed on" \
    [ "$RC" = 0 -a "$(count_in "$T/capb")" = 0 -a "$(nrem "$T/remb")" = "$rb" -a "$(nrem "$T/rem")" = "$ra" ]
check "B logged it as a replay" grep -q 'dropped: replay' "$T/errb"

# --- 20 concurrent deliveries to bob, 10 at A and 10 at B ---
c0=$(chunks_today "$T/nymserv.conf")
ra=$(nrem "$T/rem") rb=$(nrem "$T/remb")
for i in $(seq 1 20); do
	printf 'From: s%d@example.org\nTo: bob@nym.test\nSubject: burst %d\n\nburst message %d\n' \
	    "$i" "$i" "$i" >"$T/d$i"
done
# deliver I: message I at A (odd) or B (even), retried on 75 as the MTA
# would (bounded by rounds); $T/rc.I is the first exit status, the
# number of 75s in $T/t.I.
deliver() {
	local i=$1 conf=$T/nymserv.conf r n=0
	[ $((i % 2)) = 0 ] && conf=$T/b.conf
	for r in $(seq 1 20); do
		as_user "$NYM_BIN/nymserv" -c "$conf" -f "s$i@example.org" bob \
		    <"$T/d$i" >"$T/o$i" 2>&1
		rc=$?
		[ "$r" = 1 ] && echo "$rc" >"$T/rc.$i"
		[ "$rc" = 75 ] || break
		n=$((n + 1))
	done
	echo "$n" >"$T/t.$i"
	echo "$rc" >"$T/last.$i"
}
for i in $(seq 1 20); do deliver "$i" & done
wait
bad=0 temp=0
for i in $(seq 1 20); do
	[ "$(cat "$T/last.$i")" = 0 ] || { bad=$((bad + 1)); echo "# delivery $i: $(cat "$T/last.$i") $(head -3 "$T/o$i")"; }
	temp=$((temp + $(cat "$T/t.$i")))
done
check "20 concurrent deliveries over A and B: all exit 0 (75s retried: $temp)" [ "$bad" = 0 ]
got=$(( $(nrem "$T/rem") - ra + $(nrem "$T/remb") - rb ))
check "20 deliveries handed to the remailers ($got: A $(( $(nrem "$T/rem") - ra )), B $(( $(nrem "$T/remb") - rb )))" \
    [ "$got" = 20 ]
c1=$(chunks_today "$T/b.conf")
check "the chunk count grew by exactly 20 ($c0 -> $c1)" [ "$((c1 - c0))" = 20 ]
# daily_chunks = 20: the counter both hosts share is at the limit, so
# the next message is refused, wherever it arrives.
printf 'From: s21@example.org\nTo: bob@nym.test\nSubject: one more\n\nover\n' >"$T/d21"
nymserv -f s21@example.org bob <"$T/d21"
check "the 21st message (at A) is over the shared limit: 5.2.1 ($RC)" \
    [ "$RC" = 69 -a "$(head -c 5 "$T/out")" = 5.2.1 ]
nymserv_b -f s22@example.org bob <"$T/d21"
check "... and at B too ($RC)" [ "$RC" = 69 -a "$(head -c 5 "$T/outb")" = 5.2.1 ]

# --- a nym disabled at A is refused at B ---
printf 'From: x@example.org\nTo: carol@nym.test\nSubject: hi\n\nhi carol\n' >"$T/c1"
ctl "$T/nymserv.conf" disable carol
check "nymctl disable carol at A: exit 0" [ "$CRC" = 0 ]
nymserv_b -f x@example.org carol <"$T/c1"
check "mail to carol at B: refused 5.2.1 ($RC)" \
    [ "$RC" = 69 -a "$(head -c 5 "$T/outb")" = 5.2.1 ]
ctl "$T/b.conf" enable carol
nymserv -f x@example.org carol <"$T/c1"
check "enabled at B: mail to carol at A is delivered ($RC)" [ "$RC" = 0 ]

# --- a config@ modify at A holds at B at once ---
printf 'From: a@example.org\nTo: someone@else.example\nSubject: bcc\n\nbcc\n' >"$T/bcc"
nymserv_b -f a@example.org alice <"$T/bcc"
check "before: Bcc'd mail to alice passes at B ($RC)" [ "$RC" = 0 ]
nymcfg -n alice -u alice -c '+nobcc' >"$T/mod"
nymserv -f someone@example.org config <"$T/mod"
check "config@ modify +nobcc at A: exit 0" [ "$RC" = 0 ]
nymserv_b -f a@example.org alice <"$T/bcc"
check "after: Bcc'd mail to alice refused 5.7.1 at B ($RC)" \
    [ "$RC" = 77 -a "$(head -c 5 "$T/outb")" = 5.7.1 ]
nymserv_b -f someone@example.org config <"$T/mod"
check "the modify replayed at B: dropped (exit $RC)" [ "$RC" = 0 ]
check "... as a replay" grep -q 'dropped: replay' "$T/errb"

# --- a used confirmation cookie sent again at B does nothing ---
mkkey erin
printf '::\nAnon-To: erin@real.example\n' >"$T/blk-erin"
nymcfg -n erin -u erin -k -c create -b "$T/blk-erin" >"$T/create-erin"
nymserv -f someone@example.org config <"$T/create-erin"
n=$(ls "$T/rem" | grep '\.msg$' | sort -n | tail -1)
cookie=$(decrypt_notice "$T/rem/$n" | grep -o 'confirm+[0-9a-f]*@' | head -1 | sed 's/confirm+//; s/@//')
check "erin created at A, a confirmation cookie sent" [ -n "$cookie" ]
ctl "$T/b.conf" list
check "... erin pending, seen at B" grep -q '^erin pending' "$T/ctl"
nymserv -f x@remailer.example "confirm+$cookie" <"$REPO/tests/data/help-normal.eml"
check "the cookie at A confirms: exit 0" [ "$RC" = 0 ]
ctl "$T/b.conf" list
cp "$T/ctl" "$T/list1"
check "... erin active, seen at B" grep -q '^erin active' "$T/list1"
ra=$(nrem "$T/rem") rb=$(nrem "$T/remb")
ctl "$T/b.conf" stats
cp "$T/ctl" "$T/stats1"
nymserv_b -f x@remailer.example "confirm+$cookie" <"$REPO/tests/data/help-normal.eml"
check "the used cookie at B: not a temporary failure ($RC)" [ "$RC" != 75 ]
ctl "$T/b.conf" list
check "... the nyms unchanged" cmp -s "$T/list1" "$T/ctl"
ctl "$T/b.conf" stats
check "... the counts unchanged" cmp -s "$T/stats1" "$T/ctl"
check "... nothing handed on at A or B" \
    [ "$(nrem "$T/rem")" = "$ra" -a "$(nrem "$T/remb")" = "$rb" -a "$(count_in "$T/capb")" = 0 ]

# --- B's public view catches up at its minutely queue-run ---
# (nympolicyd and nymfingerd at B read only B's pub/: without this a nym
# made at A would be refused at B's RCPT until an operator's check.)
view() { ls "$1/pub/n" | sort | tr '\n' ' '; }
check "erin's entry is in A's view, not yet in B's" \
    [ "$(view "$T/s")" != "$(view "$T/sb")" ]
ctl "$T/b.conf" queue-run
check "nymctl queue-run at B: exit 0 ($CRC)" [ "$CRC" = 0 ]
check "... B's view now holds the same entries as A's ($(view "$T/sb" | wc -w))" \
    [ "$(view "$T/s")" = "$(view "$T/sb")" ]

ctl "$T/b.conf" check
check "nymctl check at B: state ok ($(tail -1 "$T/ctl"))" grep -qx 'state ok' "$T/ctl"
# Both hosts went through the one PgBouncer (its log has a login per
# client connection).
nl=$(grep -c 'login attempt: db=nym user=nym' "$T/pg/pgb/log")
check "the runs logged in through PgBouncer ($nl logins)" [ "$nl" -ge 40 ]
[ "$NOTOK" = 0 ]
