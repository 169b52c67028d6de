#!/usr/bin/env bash
# bench/remail-block.sh - what the destination block check costs remail.
# Times N local-mode remail runs (clear layer, one recipient, a sendmail
# stand-in that only reads its input) with the block check (this tree's
# remail) against another remail binary without it (OLD=path/to/remail,
# e.g. a build of main), interleaved in one run so machine load hits both
# alike; once with no block list yet and once with 1000 blocked hashes.
# Usage (after make): OLD=/path/to/old/remail [N=300] bash bench/remail-block.sh
. "$(dirname "$0")/../tests/lib.sh"
: "${N:=300}" "${OLD:?set OLD to a remail binary without the block check}"
NEW=$NYM_BIN/remail
cd "$REPO"
cp "$OLD" "$T/remail-old"
chmod 755 "$T/remail-old"
printf '#!/bin/sh\ncat >/dev/null\n' >"$T/sink"
chmod 755 "$T/sink"
setup_state "sendmail = $T/sink"
printf '::\nAnon-To: dest@final.example\n\nthe body\n' >"$T/in"
# run BIN N: milliseconds per run
run() {
	local s e i
	s=$(date +%s%N)
	for i in $(seq 1 "$2"); do
		as_user "$1" -c "$T/nymserv.conf" <"$T/in" >/dev/null 2>&1 ||
		    { echo "run failed" >&2; return 1; }
	done
	e=$(date +%s%N)
	echo "scale=3; ($e - $s) / 1000000 / $2" | bc
}
round() {
	local o=0 n=0 k x
	for k in 1 2 3 4 5; do
		x=$(run "$T/remail-old" $((N / 5))); o=$(echo "$o + $x" | bc)
		x=$(run "$NEW" $((N / 5))); n=$(echo "$n + $x" | bc)
	done
	o=$(echo "scale=3; $o / 5" | bc) n=$(echo "scale=3; $n / 5" | bc)
	printf '%-26s without check %6.3f ms/run   with check %6.3f ms/run   ratio %.3f\n' \
	    "$1" "$o" "$n" "$(echo "scale=4; $n / $o" | bc)"
}
round "no block list yet:"
# 1000 blocked hashes (written directly, as dstblk confirmations would).
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats >/dev/null
cat >"$T/fill.c" <<'C'
#include <stdio.h>
#include "block.h"
#include "die.h"
#include "util.h"
static int fill(struct stxn *t, void *a) {
	unsigned char key[BLOCK_KEY_LEN], h[BLOCK_HASH_LEN]; char addr[64]; int i;
	for (i = 0; i < 32; i++) key[i] = ((unsigned char *)a)[i];
	for (i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "blocked%d@example.org", i);
		block_hash(key, addr, h);
		if (block_set(t, h, 0) < 0) return -1;
	}
	return 0;
}
int main(int argc, char **argv) {
	struct store *st; unsigned char key[BLOCK_KEY_LEN]; char err[256];
	(void)argc;
	if (store_open(&st, argv[1], 1 << 24, 0, err, sizeof(err)) != STORE_OK ||
	    block_key(st, 1, key) != STORE_OK || store_write(st, fill, key) < 0)
		return 1;
	store_close(st);
	return 0;
}
C
if cc -Iinclude -o "$T/fill" "$T/fill.c" build/rel/libnym.a \
    $(pkg-config --libs gpgme lmdb) -lgcrypt -lz -lbz2 -lresolv -lm 2>"$T/cc.err" &&
    as_user "$T/fill" "$T/s"; then
	round "1000 blocked hashes:"
else
	echo "could not fill the block list"; cat "$T/cc.err"
fi
