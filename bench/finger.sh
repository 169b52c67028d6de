#!/usr/bin/env bash
# bench/finger.sh [N] - nymfingerd cost per connection, by kind of query,
# on a state with one nym (+fingerkey).  Each query is one process, as
# inetd or a systemd socket would start it.  Prints ms per query and the
# ratio to the empty query (no state opened) measured in the same run.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
n=${1:-50}
setup_nyms
make_nym alice '+fingerkey name="Alice Nym"'
declare -A ms
for k in empty alice list config remailer-key; do
	q=$k; [ "$k" = empty ] && q=''
	s=$(date +%s%N)
	for i in $(seq "$n"); do
		printf '%s\r\n' "$q" | as_user "$NYM_BIN/nymfingerd" \
		    -c "$T/nymserv.conf" >/dev/null
	done
	e=$(date +%s%N)
	ms[$k]=$(( (e - s) / n / 1000 ))	# microseconds
done
base=${ms[empty]}
for k in empty alice list config remailer-key; do
	printf '%-14s %7.2f ms/query  x%.2f of the empty query\n' \
	    "$k" "$(echo "${ms[$k]} / 1000" | bc -l)" \
	    "$(echo "${ms[$k]} / $base" | bc -l)"
done
