# review-retry.sh - hand-offs without a signature, exactly once across the
# MTA's retries (issue 15, "also seen"): a delivery through two reply
# blocks whose second hand-off fails is retried without resending the
# first and without counting its chunks again; a confirmation whose
# notice failed likewise.  Real gpg, real LMDB.
. "$(dirname "$0")/../lib.sh"
setup_nyms
cp "$REPO/tests/hold-sendmail" "$T/hold-sendmail"
sed -i "s|^remail = .*|remail = $T/hold-sendmail $T/rem|" "$T/nymserv.conf"
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@"; }
chunks() { ctl stats | awk '$1 == "chunks-today" {print $2}'; }
state() { ctl list | awk -v n="$1" '$1 == n {print $2}'; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
# starting BLOCKFILE: remailer inputs that start with that block.
starting() {
	local f n=0
	for f in "$T"/rem/*.msg; do
		[ "$(head -2 "$f")" = "$(cat "$1")" ] && n=$((n + 1))
	done
	echo "$n"
}
mkkey two
printf '::\nAnon-To: first@real.example\n' >"$T/b1"
printf '::\nAnon-To: second@real.example\n' >"$T/b2"
nymcfg -n two -u two -k -c create -b "$T/b1" -b "$T/b2" >"$T/r-create"
nymserv -f x@example.org config <"$T/r-create"
# Each block has its own cookie, in the notice that went through it.
ck() { decrypt_notice "$1" | grep -o 'confirm+[0-9a-f]\{20\}@' | head -1 | sed 's/confirm+//; s/@//'; }
for f in "$T"/rem/*.msg; do
	[ "$(head -2 "$f")" = "$(cat "$T/b1")" ] && c=$(ck "$f")
	[ "$(head -2 "$f")" = "$(cat "$T/b2")" ] && c2=$(ck "$f")
done

# --- a confirmation whose notice fails ---
n=$(count_in "$T/rem")
touch "$T/rem/fail-once"
nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
check "retry: a confirmation whose notice hand-off fails: exit 75" \
    [ "$RC" = 75 -a "$(count_in "$T/rem")" = "$n" ]
check "retry: ... the confirmation itself is recorded" [ "$(state two)" = active ]
nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
check "retry: the MTA's retry sends the notice, once, through the confirmed block" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = $((n + 1)) -a "$(head -2 "$T/rem/$(lastrem)")" = "$(cat "$T/b1")" ]
nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
check "retry: ... and then the cookie is used up (exit 0, nothing sent: a replay)" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = $((n + 1)) ]
nymserv -f x@remailer.example "confirm+$c2" <"$REPO/tests/data/help-normal.eml"
check "retry: the second block's own cookie adds it" \
    [ "$RC" = 0 -a -n "$c2" -a "$c2" != "$c" -a "$(count_in "$T/rem")" = $((n + 2)) ]
# Once it is done, the cookie's done record answers every later arrival
# (the MTA retrying after a lost exit status looks like any other): exit
# 0, nothing sent, nothing changed, until the record expires (replay_days).
n=$(count_in "$T/rem")
sed 's/id 4AbC;/id 5XyZ;/; s/req-1@/req-2@/' "$REPO/tests/data/help-normal.eml" >"$T/other.eml"
nymserv -f x@remailer.example "confirm+$c" <"$T/other.eml"
check "retry: ... another message to the used cookie: exit 0, nothing handed on, the nym unchanged" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" -a "$(state two)" = active ]

# --- a delivery through two blocks, the second hand-off failing ---
cat >"$T/m1" <<'MSG'
Received: from mx.example.org by nym.test (Postfix) with ESMTP id 4ABCDEF
To: two@nym.test
Subject: through two blocks

hello
MSG
c0=$(chunks)
b1=$(starting "$T/b1") b2=$(starting "$T/b2")
touch "$T/rem/fail-second"
nymserv -f x@example.org two <"$T/m1"
check "retry: the second block's hand-off fails: exit 75, the first went out" \
    [ "$RC" = 75 -a "$(starting "$T/b1")" = $((b1 + 1)) -a "$(starting "$T/b2")" = "$b2" ]
check "retry: ... its chunks are counted (2 blocks: 2)" [ "$(chunks)" = $((c0 + 2)) ]
nymserv -f x@example.org two <"$T/m1"
check "retry: a failure of the second reply block does not repeat the first on retry" \
    [ "$RC" = 0 -a "$(starting "$T/b1")" = $((b1 + 1)) -a "$(starting "$T/b2")" = $((b2 + 1)) ]
check "retry: ... and the retry does not count the chunks again" \
    [ "$(chunks)" = $((c0 + 2)) ]
check "retry: ... nothing is left in the outbox" [ "$(ctl check 2>&1)" = "state ok" ]
printf 'To: two@nym.test\nSubject: another message\n\nhello again\n' >"$T/m2"
nymserv -f x@example.org two <"$T/m2"
check "retry: another message is a new delivery (both blocks, counted)" \
    [ "$RC" = 0 -a "$(starting "$T/b1")" = $((b1 + 2)) -a "$(chunks)" = $((c0 + 4)) ]

# --- one block failing: the retry does not count twice ---
make_nym one
touch "$T/rem/fail-once"
c1=$(chunks)
nymserv -f x@example.org one <"$T/m1"
r1=$RC
nymserv -f x@example.org one <"$T/m1"
check "retry: a one-block delivery that failed is counted once over its retry" \
    [ "$r1" = 75 -a "$RC" = 0 -a "$(chunks)" = $((c1 + 1)) ]

# --- the outbox holds nothing of a deleted nym ---
printf 'To: two@nym.test\nSubject: third\n\nx\n' >"$T/m3"
touch "$T/rem/fail-second"
nymserv -f x@example.org two <"$T/m3"
r3=$RC
nymcfg -n two -u two -c delete >"$T/r-del"
nymserv -f x@example.org config <"$T/r-del"
nymserv -f x@example.org two <"$T/m3"
check "retry: a nym deleted between a failed hand-off and the retry: 5.1.1, its outbox wiped" \
    [ "$r3" = 75 -a "$RC" = 67 -a "$(ctl check 2>&1)" = "state ok" ]
ctl expire -t $(( $(date +%s) + 8 * 86400 )) >"$T/ex"
check "retry: expire drops stale hand-offs (none left here)" \
    grep -q 'stale hand-offs dropped 0' "$T/ex"
