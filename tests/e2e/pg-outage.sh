# pg-outage.sh - PostgreSQL stopped during a burst of deliveries (issue
# 18): the runs that cannot reach it exit 75 and hand nothing on; a run
# whose hand-off was already done when the database went away exits 0
# (the message is out) and leaves its outbox record behind ("cannot mark
# the request done"); once the database is back, the MTA's retries of
# every 75'd message deliver each message exactly once, the chunk count
# is exact, and the records left are the ones logged, which nymctl
# expire drops after replay_days.  Nothing is lost.
NYM_STORE=lmdb	# this test writes its own store keys (its own cluster)
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pglib.sh"
pg_need
trap 'pg_stop "$T/pg"; cleanup' EXIT
pg_start "$T/pg" || { notok "private PostgreSQL started"; exit 1; }
pg_newdb nym || { notok "database created"; exit 1; }
mapfile -t keys < <(pg_store_keys nym direct)
setup_nyms "${keys[@]}" "confirm = no"
make_nym bob
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@" >"$T/ctl" 2>"$T/ctl.err"; CRC=$?; }
chunks_today() { ctl stats; awk '$1=="chunks-today"{print $2}' "$T/ctl"; }
c0=$(chunks_today)
r0=$(count_in "$T/rem")

N=24
for i in $(seq 1 $N); do
	printf 'From: s%d@example.org\nTo: bob@nym.test\nSubject: burst %d\n\nmarker-%d-end\n' \
	    "$i" "$i" "$i" >"$T/d$i"
done
run() {
	as_user "$NYM_BIN/nymserv" -v -c "$T/nymserv.conf" -f "s$1@example.org" bob \
	    <"$T/d$1" >>"$T/o$1" 2>&1
	echo $? >"$T/rc.$1"
}
# The burst: the first half starts; the first of them to hand its
# message to the remailer (tests/hold-sendmail) waits there, its outbox
# record committed; PostgreSQL is stopped (fast: open sessions are cut);
# the second half starts while it is down; then the held hand-off goes
# on and cannot be struck off.
cp "$REPO/tests/hold-sendmail" "$T/hold-sendmail"
sed -i "s#^remail = $T/capture-sendmail #remail = $T/hold-sendmail #" "$T/nymserv.conf"
check "the remailer is the holding capture" grep -q "^remail = $T/hold-sendmail $T/rem\$" "$T/nymserv.conf"
touch "$T/rem/hold"
for i in $(seq 1 $((N / 2))); do run "$i" & done
wait_until test -e "$T/rem/holding"
pg_stop "$T/pg"
check "PostgreSQL stopped during the burst, one hand-off held" \
    [ ! -S "$T/pg/sock/.s.PGSQL.5432" -a -e "$T/rem/holding" ]
for i in $(seq $((N / 2 + 1)) $N); do run "$i" & done
wait_until bash -c "[ \$(ls '$T' | grep -c '^rc\.') -ge $((N - 1)) ]"
touch "$T/rem/release"
wait
r1=$(count_in "$T/rem")
t75=() other=0
for i in $(seq 1 $N); do
	case $(cat "$T/rc.$i") in
	0) ;;
	75) t75+=("$i") ;;
	*) other=$((other + 1)); echo "# run $i: $(cat "$T/rc.$i") $(head -3 "$T/o$i")" ;;
	esac
done
check "runs during the outage exit 75 (${#t75[@]} of $N; at least the $((N / 2)) started while it was down)" \
    [ "${#t75[@]}" -ge $((N / 2)) ]
check "no run failed otherwise (0 or 75 only)" [ "$other" = 0 ]
check "no address in the log of a 75'd run" \
    bash -c "! cat $(printf "'$T/o%s' " "${t75[@]}") | grep -q 's[0-9]*@example.org\|bob@nym.test'"

# PostgreSQL back: the MTA retries every deferred message (bounded by
# rounds: each retry is one more run, as a queue run would be).
pg_start "$T/pg" || { notok "PostgreSQL restarted"; exit 1; }
left=("${t75[@]}")
for round in $(seq 1 10); do
	[ ${#left[@]} = 0 ] && break
	again=()
	for i in "${left[@]}"; do
		run "$i"
		[ "$(cat "$T/rc.$i")" = 75 ] && again+=("$i")
	done
	left=("${again[@]}")
done
check "after the restart every deferred message is accepted (left: ${left[*]:-none})" \
    [ ${#left[@]} = 0 ]

# Which message each remailer input carries (decrypted with bob's key).
: >"$T/seen"
for f in $(seq $((r0 + 1)) "$(count_in "$T/rem")"); do
	m=$(decrypt_notice "$T/rem/$f.msg" | grep -o 'marker-[0-9]*-end' | head -1)
	echo "$f ${m:-none}" >>"$T/seen"
done
lost=0 dup=0
for i in $(seq 1 $N); do
	k=$(grep -c " marker-$i-end\$" "$T/seen")
	[ "$k" = 0 ] && { lost=$((lost + 1)); echo "# message $i lost"; }
	[ "$k" -gt 1 ] && { dup=$((dup + 1)); echo "# message $i handed on $k times"; }
done
check "every message reached the remailer (none lost of $N)" [ "$lost" = 0 ]
check "no message handed on twice ($dup)" [ "$dup" = 0 ]
check "nothing unreadable handed on" bash -c "! grep -q ' none$' '$T/seen'"
c1=$(chunks_today)
check "the chunk count grew by exactly $N ($c0 -> $c1)" [ "$((c1 - c0))" = "$N" ]
# The outbox (DB_OUTBOX, db 9 of the kv table): the records left are
# exactly those of the runs that could not mark their delivery done.
nleft=$(cat "$T"/o* | grep -c 'cannot mark the request done')
check "the held hand-off went out, and its run could not mark it done" \
    [ "$nleft" -ge 1 ]
rows=$(pg_psql nym -c 'SELECT count(*) FROM kv WHERE db = 9')
check "outbox records left: $rows, one per run that logged it ($nleft)" [ "$rows" = "$nleft" ]
ctl check
check "nymctl check: state ok ($(tail -1 "$T/ctl"))" grep -qx 'state ok' "$T/ctl"
ctl expire -t $(( $(date +%s) + 9 * 86400 ))
check "expire after replay_days drops them ($(cat "$T/ctl"))" \
    grep -q "stale hand-offs dropped $nleft," "$T/ctl"
check "... the outbox is empty" [ "$(pg_psql nym -c 'SELECT count(*) FROM kv WHERE db = 9')" = 0 ]
[ "$NOTOK" = 0 ]
