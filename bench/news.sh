#!/usr/bin/env bash
# bench/news.sh - articles per second through the gateway to a private INN,
# as a ratio to posting the same articles with a plain NNTP client, in one
# run.  The gateway is run as the MTA runs it: one mail2news process per
# mail (read, build, take the budget in LMDB, spool with fsync, connect,
# IHAVE, unlink).  The plain client (tests/nntp-get, Python) offers
# ready-made articles of the same size by IHAVE: one process and one
# connection per article, one process with a connection per article, and
# one connection for all.  Rounds alternate so machine load hits all alike;
# every article is checked to have arrived.
# Usage (as root, after make): [N=200] bash bench/news.sh
. "$(dirname "$0")/../tests/lib.sh"
. "$REPO/tests/innlib.sh"
: "${N:=200}"
inn_available || exit 1
trap 'inn_cleanup; cleanup' EXIT
inn_setup
inn_start || { echo "INN did not start" >&2; exit 1; }
setup_state "news_peers = 127.0.0.1:$INN_PORT" "news_rate = 100000"
R=4 per=$((N / R))
mkdir -p "$T/mail" "$T/art"
for i in $(seq 1 $((N * 4))); do
	body=$(printf 'line %d of an article of about a kilobyte, for the bench.\n' $(seq 1 16))
	printf 'From: bench@example.org\nNewsgroups: alt.test\nSubject: bench %d\n\n%s\n' \
	    "$i" "$body" >"$T/mail/$i"
	printf 'Path: bench.test!not-for-mail\nFrom: Anonymous <nobody@bench.test>\nNewsgroups: alt.test\nSubject: plain %d\nDate: %s\nMessage-ID: <plain-%d-%d@bench.test>\nInjection-Info: bench.test; mail-complaints-to="abuse@bench.test"\n\n%s\n' \
	    "$i" "$(date -R)" "$$" "$i" "$body" >"$T/art/$i"
done
now() { date +%s%N; }
gw=0 p1=0 pc=0 pa=0 next=1 nexta=1
for r in $(seq 1 $R); do
	# One shell as the unprivileged user runs the loop: each mail2news
	# is a plain fork+exec, as from the MTA's pipe (no setpriv per run).
	s=$(now)
	as_user /bin/bash -c 'for i in $(seq "$1" "$2"); do
		"$3" -c "$4" <"$5/$i" >/dev/null 2>&1 || exit 1; done' _ \
	    "$next" $((next + per - 1)) "$NYM_BIN/mail2news" "$T/nymserv.conf" \
	    "$T/mail" || { echo "mail2news failed" >&2; exit 1; }
	gw=$((gw + $(now) - s))
	next=$((next + per))
	files=()
	for i in $(seq $nexta $((nexta + per - 1))); do files+=("$T/art/$i"); done
	s=$(now)
	for f in "${files[@]}"; do nntp_get ihave1 "$f" >/dev/null; done
	p1=$((p1 + $(now) - s))
	nexta=$((nexta + per))
	files=()
	for i in $(seq $nexta $((nexta + per - 1))); do files+=("$T/art/$i"); done
	s=$(now)
	nntp_get ihave1 "${files[@]}" >/dev/null
	pc=$((pc + $(now) - s))
	nexta=$((nexta + per))
	files=()
	for i in $(seq $nexta $((nexta + per - 1))); do files+=("$T/art/$i"); done
	s=$(now)
	nntp_get ihave "${files[@]}" >/dev/null
	pa=$((pa + $(now) - s))
	nexta=$((nexta + per))
done
n=$((per * R))
got=$(nntp_get count alt.test)
rate() { echo "scale=1; $n * 1000000000 / $1" | bc; }
echo "articles: $n per client, $got in alt.test (expected $((4 * n)))"
printf 'gateway (mail2news per mail, IHAVE)      %7s articles/s\n' "$(rate $gw)"
printf 'plain: a process and connection each     %7s articles/s   gateway/plain %.2f\n' \
    "$(rate $p1)" "$(echo "scale=4; $p1 / $gw" | bc)"
printf 'plain: one process, a connection each    %7s articles/s   gateway/plain %.2f\n' \
    "$(rate $pc)" "$(echo "scale=4; $pc / $gw" | bc)"
printf 'plain: one connection for all            %7s articles/s   gateway/plain %.2f\n' \
    "$(rate $pa)" "$(echo "scale=4; $pa / $gw" | bc)"
[ "$got" = $((4 * n)) ] || { echo "articles missing" >&2; exit 1; }
