# review-race.sh - finding 10 of the outside review (issue 15): writes
# re-read what they change inside their own transaction, so a
# confirmation racing a signed delete or modify neither brings the nym
# back nor undoes the other change.  The remailer stand-in holds the
# confirmation inside its hand-off while the other request is processed:
# the interleaving is forced, not timed.
. "$(dirname "$0")/../lib.sh"
setup_nyms
cp "$REPO/tests/hold-sendmail" "$T/hold-sendmail"
sed -i "s|^remail = .*|remail = $T/hold-sendmail $T/rem|" "$T/nymserv.conf"
mkkey alice
cfg() { nymserv -f someone@anywhere.example config <"$1"; }
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@"; }
state() { ctl list | awk -v n="$1" '$1 == n {print $2}'; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
cookie() { decrypt_notice "$T/rem/$(lastrem)" | grep -o 'confirm+[0-9a-f]\{20\}@' | head -1 | sed 's/confirm+//; s/@//'; }
# waitfor FILE: until it exists (bounded by NYM_WAIT), 0 if it does.
waitfor() { wait_until test -e "$1"; }
# held_confirm COOKIE: start a confirmation whose notice hand-off is held.
held_confirm() {
	rm -f "$T/rem/holding" "$T/rem/release"
	touch "$T/rem/hold"
	as_user "$NYM_BIN/nymserv" -c "$T/nymserv.conf" -f x@remailer.example \
	    "confirm+$1" <"$REPO/tests/data/help-normal.eml" >"$T/held.out" 2>&1 &
	HELD=$!
	waitfor "$T/rem/holding"
}
release() { touch "$T/rem/release"; wait "$HELD"; HRC=$?; }
printf '::\nAnon-To: alice@real.example\n' >"$T/blk-a"
printf '::\nAnon-To: alice-new@real.example\n' >"$T/blk-a2"
printf '::\nAnon-To: alice-3@real.example\n' >"$T/blk-a3"
make_nym alice

# --- a confirmation racing a signed delete ---
nymcfg -n alice -u alice -b "$T/blk-a2" >"$T/r-blk"
cfg "$T/r-blk"
c=$(cookie)
check "finding 10: the confirmation's hand-off is held" held_confirm "$c"
nymcfg -n alice -u alice -c delete >"$T/r-del"
cfg "$T/r-del"
check "finding 10: meanwhile the signed delete is done" [ "$RC" = 0 -a -z "$(state alice)" ]
release
check "finding 10: a confirmation racing a signed delete does not bring the nym back" \
    [ -z "$(state alice)" ]
check "finding 10: ... and leaves nothing of the nym in the state" \
    [ "$(ctl check 2>&1)" = "state ok" ]

# --- a confirmation racing a signed modify ---
# Not the first create's text again: the same text signed within the same
# second is the same request to the replay cache (a fast machine gets
# here in one), and it would be dropped as a replay.
make_nym alice 'name="Alice Again"'
nymcfg -n alice -u alice -b "$T/blk-a3" >"$T/r-blk3"
cfg "$T/r-blk3"
c=$(cookie)
held_confirm "$c"
nymcfg -n alice -u alice -c 'name="Alice Raced" +nobcc' >"$T/r-mod"
cfg "$T/r-mod"
release
ctl list >"$T/list"
check "finding 10: a confirmation racing a modify does not undo it" \
    grep -q '^alice active flags=0x22 ' "$T/list"
nymserv -f x@example.org alice <<'MSG'
To: alice@nym.test
Subject: hi

x
MSG
check "finding 10: ... and the confirmed block is in use" \
    [ "$RC" = 0 -a "$(head -2 "$T/rem/$(lastrem)")" = "$(cat "$T/blk-a3")" ]
