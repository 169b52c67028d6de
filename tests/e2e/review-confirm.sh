# review-confirm.sh - confirmations against the outside review (issue
# 15): finding 1 (a cookie acts only on the very nym that asked, and
# delete, nymctl wipe and the idle wipe end every pending confirmation)
# and finding 11 (a confirmation that needs no reply from the owner's own
# mailbox: any sender, or a signed config@ command).  Real gpg and LMDB.
. "$(dirname "$0")/../lib.sh"
setup_nyms
for u in mallory victim owner; do mkkey "$u"; done
cfg() { nymserv -f someone@anywhere.example config <"$1"; }
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@"; }
state() { ctl list | awk -v n="$1" '$1 == n {print $2}'; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
# cookie: the confirmation cookie in the last notice.
cookie() { decrypt_notice "$T/rem/$(lastrem)" | grep -o 'confirm+[0-9a-f]\{20\}@' | head -1 | sed 's/confirm+//; s/@//'; }
confirm() { nymserv -f "${2-x@remailer.example}" "confirm+$1" <"$REPO/tests/data/help-normal.eml"; }
deliver() { nymserv -f x@example.org "$1" <"$REPO/tests/data/help-normal.eml"; }
blk() { printf '::\nAnon-To: %s@real.example\n' "$1" >"$T/blk-$1"; }
for b in m m2 m3 v v2 o o2 o3; do blk "$b"; done
# create NAME KEY BLOCK: a create request, handed in; the cookie in $C.
create() {
	nymcfg -n "$1" -u "$2" -k -c create -b "$T/blk-$3" >"$T/req"
	cfg "$T/req"
	C=$(cookie)
}
# newblock NAME KEY BLOCK: a block change; its cookie in $C.
newblock() {
	nymcfg -n "$1" -u "$2" -b "$T/blk-$3" >"$T/req"
	cfg "$T/req"
	C=$(cookie)
}
delete() { nymcfg -n "$1" -u "$2" -c delete >"$T/req"; cfg "$T/req"; }
# went_to BLOCK: the last remailer input starts with that block.
went_to() { [ "$(head -2 "$T/rem/$(lastrem)")" = "$(cat "$T/blk-$1")" ]; }

# --- finding 1: an old block cookie, after a signed delete ---
create shared mallory m
confirm "$C"
newblock shared mallory m2
old=$C
delete shared mallory
check "finding 1: the old owner's nym is deleted, a block cookie unused" \
    [ -z "$(state shared)" -a -n "$old" ]
create shared victim v
confirm "$C"
check "finding 1: the name has a new owner" [ "$(state shared)" = active ]
confirm "$old"
check "finding 1: an old confirm cookie does not act on the name's new owner (5.1.1)" \
    [ "$RC" = 67 -a "$(head -c 5 "$T/out")" = 5.1.1 ]
deliver shared
check "finding 1: ... mail to the name still goes through the new owner's block" \
    went_to v

# --- finding 1: an old create cookie ---
create second mallory m
old=$C
delete second mallory
create second victim v
confirm "$old"
check "finding 1: an old create cookie does not activate the new owner's pending nym" \
    [ "$RC" = 67 -a "$(state second)" = pending ]
confirm "$C"
check "finding 1: ... the new owner's own cookie does" [ "$(state second)" = active ]

# --- finding 1: nymctl wipe ---
create third mallory m
confirm "$C"
newblock third mallory m3
old=$C
ctl wipe third >/dev/null
create third victim v2
confirm "$C"
confirm "$old"
r=$RC
deliver third
check "finding 1: after nymctl wipe an old cookie acts on nothing" \
    [ "$r" = 67 -a "$(went_to v2 && echo y)" = y ]

# --- finding 1: a pending change that survived (restored with mdb_load)
# is bound to the nym's key and incarnation: it still acts on nothing ---
create fourth owner o
confirm "$C"
newblock fourth owner o2
old=$C
state_dump confirm >"$T/confirm.dump"
delete fourth owner
create fourth owner o3
confirm "$C"
state_restore confirm <"$T/confirm.dump" 2>/dev/null
confirm "$old"
deliver fourth
check "finding 1: a restored cookie of the same owner's earlier nym does not act on the new one" \
    went_to o3

# --- finding 11: the notice invites no unmasking reply ---
create eleven owner o
decrypt_notice "$T/rem/$(lastrem)" >"$T/n11"
check "finding 11: the confirmation notice carries no Reply-To" \
    bash -c "! sed '/^\$/q' '$T/n11' | grep -qi '^Reply-To:'"
check "finding 11: ... and does not ask for a reply" \
    bash -c "! grep -qi 'reply to this' '$T/n11' && grep -q 'Do not answer this message' '$T/n11'"
check "finding 11: ... it says how to confirm through a remailer" \
    grep -q "Anon-To: confirm+$C@nym.test" "$T/n11"
check "finding 11: ... or by a signed config@ command" \
    grep -q "Nym-Commands: confirm=$C" "$T/n11"
nymcfg -n eleven -u owner -C "$C" >"$T/req"
n=$(count_in "$T/rem")
cfg "$T/req"
check "finding 11: a signed config@ confirm=COOKIE activates the nym" \
    [ "$RC" = 0 -a "$(state eleven)" = active ]
check "finding 11: ... and its notice goes through the confirmed block" \
    [ "$(count_in "$T/rem")" = $((n + 1)) -a "$(went_to o && echo y)" = y ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/n11b"
check "finding 11: ... saying it is active" grep -q 'Your nym is active' "$T/n11b"
newblock eleven owner o2
printf 'Config:\nFrom: eleven\nConfirm: %s\n' "$C" |
    GNUPGHOME="$T/c" bash "$REPO/contrib/nymwrap" -H nym.test -u owner -m clear config >"$T/req"
cfg "$T/req"
deliver eleven
check "finding 11: a clear-signed 'Confirm: COOKIE' line confirms new blocks" went_to o2
newblock eleven owner o3
confirm "$C" ""
deliver eleven
check "finding 11: mail to confirm+COOKIE@ from the null sender counts (any sender does)" \
    went_to o3
create twelve victim v
vc=$C
nymcfg -n eleven -u owner -C "$vc" >"$T/req"
cfg "$T/req"
decrypt_notice "$T/rem/$(lastrem)" >"$T/n12"
check "finding 11: confirm= with another nym's cookie is refused, that nym stays pending" \
    bash -c "grep -q 'no such confirmation' '$T/n12' && [ '$(state twelve)' = pending ]"
nymcfg -n eleven -u owner -C "$vc" -c '+acksend' >"$T/req"
cfg "$T/req"
decrypt_notice "$T/rem/$(lastrem)" >"$T/n13"
check "finding 11: confirm= combined with other changes is refused" \
    grep -q 'stands alone' "$T/n13"

# --- finding 9 (residual): a cookie per reply block ---
# A bomber pairs a block to themselves with one to a victim, each
# reaching one address: the bomber's cookie must not activate the
# victim's block.  Remailer inputs that start with a block are what the
# server sends through it (tests/capture-sendmail as remail).
for b in bomb vic bomb2 vic2 p1 p2; do blk "$b"; done
# through BLOCK: how many remailer inputs went through that block.
through() {
	local f n=0
	for f in "$T"/rem/*.msg; do
		[ "$(head -2 "$f")" = "$(cat "$T/blk-$1")" ] && n=$((n + 1))
	done
	echo "$n"
}
# sent_via BLOCK: the last remailer input through that block.
sent_via() {
	local f last=
	for f in $(ls "$T/rem" | grep '\.msg$' | sort -n); do
		[ "$(head -2 "$T/rem/$f")" = "$(cat "$T/blk-$1")" ] && last=$T/rem/$f
	done
	echo "$last"
}
cookies_in() { decrypt_notice "$1" | grep -o 'confirm+[0-9a-f]\{20\}@' | sort -u | sed 's/confirm+//; s/@//'; }
n=$(count_in "$T/rem")
nymcfg -n pair -u mallory -k -c create -b "$T/blk-bomb" -b "$T/blk-vic" >"$T/req"
cfg "$T/req"
check "finding 9: a create with two blocks: one answer through each block" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = $((n + 2)) -a "$(through bomb)" = 1 -a "$(through vic)" = 1 ]
ca=$(cookies_in "$(sent_via bomb)")
cb=$(cookies_in "$(sent_via vic)")
check "finding 9: ... each answer names one cookie, its own block's" \
    [ "$(echo "$ca" | grep -c .)" = 1 -a "$(echo "$cb" | grep -c .)" = 1 -a "$ca" != "$cb" ]
decrypt_notice "$(sent_via vic)" >"$T/n9v"
check "finding 9: ... the victim's answer says it confirms block 2 of 2 only" \
    bash -c "grep -q 'went through reply block 2 of 2' '$T/n9v' && grep -q 'one confirms block 2,' '$T/n9v'"
confirm "$ca"
check "finding 9: the bomber's cookie activates the nym" \
    [ "$RC" = 0 -a "$(state pair)" = active ]
check "finding 9: ... its notice goes through the bomber's block only" \
    [ "$(through bomb)" = 2 -a "$(through vic)" = 1 ]
for i in 1 2 3; do deliver pair; done
check "finding 9: the bomber's cookie does not activate the victim's block (3 mails: 3 to the bomber, 0 to the victim)" \
    [ "$RC" = 0 -a "$(through bomb)" = 5 -a "$(through vic)" = 1 ]
nymcfg -n pair -u mallory -C "$ca" >"$T/req"
cfg "$T/req"
confirm "$ca"
deliver pair
check "finding 9: the used cookie again, by mail and signed: the victim's block stays unused" \
    [ "$(state pair)" = active -a "$(through vic)" = 1 ]
b0=$(through bomb)
nymcfg -n pair -u mallory -b "$T/blk-bomb2" -b "$T/blk-vic2" >"$T/req"
cfg "$T/req"
confirm "$(cookies_in "$(sent_via bomb2)")"
deliver pair
check "finding 9: a modify: the bomber's new block alone replaces the old ones" \
    [ "$(through bomb2)" = 3 -a "$(through vic2)" = 1 -a "$(through bomb)" = "$b0" ]
check "finding 9: the victim received only its own confirmation notice, once per request" \
    [ "$(through vic)" = 1 -a "$(through vic2)" = 1 ]
delete pair mallory
confirm "$cb"
check "finding 9: the victim's unused cookie ends with the nym (5.1.1)" \
    [ "$RC" = 67 -a "$(through vic)" = 1 ]
# Consent: a block whose own cookie comes back joins its request's set.
nymcfg -n both -u owner -k -c create -b "$T/blk-p1" -b "$T/blk-p2" >"$T/req"
cfg "$T/req"
c1=$(cookies_in "$(sent_via p1)") c2=$(cookies_in "$(sent_via p2)")
confirm "$c2"
confirm "$c1"
deliver both
check "finding 9: each block confirmed by its own cookie: mail goes through both" \
    [ "$(state both)" = active -a "$(through p1)" = 3 -a "$(through p2)" = 3 ]
nymcfg -n both -u owner -c '+acksend' >"$T/req"
cfg "$T/req"
check "finding 9: ... and answers to later requests go through both" \
    [ "$(through p1)" = 4 -a "$(through p2)" = 4 ]

# --- finding 1: the idle wipe ends pending confirmations too ---
newblock eleven owner o
old=$C
now=$(date +%s)
ctl expire -t $((now + 121 * 86400)) >/dev/null
check "finding 1: the idle wipe leaves no confirmation behind" \
    [ -z "$(state eleven)" -a "$(ctl stats | awk '$1 == "confirmations" {print $2}')" = 0 ]
