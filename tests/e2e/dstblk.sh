# dstblk.sh - self-service destination blocking: the probe, the block
# through a reply to it, send@ dropping the blocked recipient (and saying
# so), unblock, finding 8 (whoever read owner-X@ could block X: only X's
# own mailbox confirms now), a list blocked through its own address or by
# the operator, requests never answered, expiry, hashes not addresses;
# remail (direct, public and through its delay spool) dropping blocked
# recipients silently and logging no address.
. "$(dirname "$0")/../lib.sh"
setup_nyms "remail_accept_clear = yes"	# several Anon-To and Cutmarks: the public side (local mode is one address per layer)
make_nym alice '+acksend name="Alice Nym"'
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }

# request SENDER [SUBJECT] [extra header]: mail dstblk-request@ from SENDER.
request() {
	printf 'From: %s\nTo: dstblk-request@nym.test\nSubject: %s\n%s\nplease\n' \
	    "$1" "${2:-block me}" "${3:-}" >"$T/req"
	nymserv -f "$1" dstblk-request <"$T/req"
}
# token_for RCPT: the token of the probe sent to RCPT (last one).
token_for() {
	local a f=""
	for a in $(ls "$T/cap" | grep '\.args$' | sort -n); do
		[ "$(tail -1 "$T/cap/$a")" = "$1" ] && f=$a
	done
	[ -n "$f" ] && sed -n 2p "$T/cap/$f" | sed 's/^dstblk+//; s/@nym.test$//'
}
# answer TOKEN SENDER [FROM] [extra header]: a reply to a probe.
answer() {
	printf 'From: %s\nTo: dstblk+%s@nym.test\nSubject: Re: confirm\n%s\nyes\n' \
	    "${3:-$2}" "$1" "${4:-}" >"$T/ans"
	nymserv -f "$2" "dstblk+$1" <"$T/ans"
}
# sendto RCPTS...: alice sends one message to these recipients (each
# message differs: two identical ones signed in one second are a replay).
nsent=0
sendto() {
	nsent=$((nsent + 1))
	{ printf 'From: alice\nTo: '; local IFS=,; printf '%s' "$*"; printf '\nSubject: hi %d\n\nbody\n' "$nsent"; } >"$T/m"
	nymsend -u alice <"$T/m" >"$T/r"
	clear_cap
	nymserv -f someone@client.example send <"$T/r"
}

# rml [args] < input: remail on this server's state (verbose: its log
# lines on stderr), output in $T/rout, every log line kept in $T/rlog.
rml() {
	as_user "$NYM_BIN/remail" -v -c "$T/nymserv.conf" "$@" >"$T/rout" 2>&1
	RC=$?
	cat "$T/rout" >>"$T/rlog"
}
: >"$T/rlog"
# spooled: messages waiting in remail's delay queue.
spooled() { ls "$T/s/spool" 2>/dev/null | grep -c '^[0-9]*\.[0-9a-f]*$'; }
# make_due: everything in the delay queue is due now.
make_due() {
	local f
	for f in "$T"/s/spool/[0-9]*; do
		case $f in *.tmp*|*.bad) continue ;; esac
		mv "$f" "$T/s/spool/0000000001.${f##*.}"
	done
}
rcpts_of() { grep -v '^-' "$1" | sed 1d; }

# --- the probe ---
request victim@example.org
check "request: exit 0" [ "$RC" = 0 ]
rcpts=$(for a in "$T"/cap/*.args; do tail -1 "$a"; done | sort | tr '\n' ' ')
check "finding 8: one probe, to the address itself (no owner-x, x-request, x-owner)" \
    [ "$(captured)" = 1 -a "$rcpts" = "victim@example.org " ]
check "request: the probe from its own dstblk+COOKIE (128 bits)" \
    bash -c "[ \$(awk 'FNR==2' '$T'/cap/*.args | sort -u | grep -c '^dstblk+[0-9a-f]\{32\}@nym.test$') = 1 ]"
# Whoever reads another probe's mailbox (owner-victim@ at a free-mail
# domain is someone else's) answers it, from their usual address.
for a in "$T"/cap/*.args; do
	r=$(tail -1 "$a")
	[ "$r" = victim@example.org ] && continue
	answer "$(sed -n 2p "$a" | sed 's/^dstblk+//; s/@nym.test$//')" reader@example.net
done
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats >"$T/st"
check "finding 8: replies from owner-x@, x-request@, x-owner@ block nothing" \
    grep -qx 'blocked-destinations 0' "$T/st"
check "probe: From and envelope agree, it says how to confirm" \
    bash -c "f=\$(grep -l 'victim@example.org' '$T'/cap/*.args | head -1); m=\${f%.args}.msg; grep -q '^From: .*<dstblk+' \$m && grep -q 'reply to this message' \$m"
check "probe: quotes the request's header" grep -q '^> Subject: block me' "$T/cap/1.msg"
tself=$(token_for victim@example.org)
state_dump pending >"$T/dump" 2>&1
check "pending probes hold no address, only hashes" \
    bash -c "grep -q '^ dstblk:a:' '$T/dump' && ! grep -qi 'victim\|example' '$T/dump'"

request victim@example.org
check "a second request the same day: no new probes" [ "$(captured)" = 1 ]

# --- a wrong reply to the self probe does nothing ---
clear_cap
answer "$tself" stranger@example.net
check "self probe answered from another address: 5.7.1" [ "$RC" = 77 ]
answer "$tself" MAILER-DAEMON@example.org
check "a bounce to the probe: ignored (exit 0, nothing sent)" [ "$RC" = 0 -a "$(captured)" = 0 ]
answer "$tself" victim@example.org victim@example.org 'Auto-Submitted: auto-replied'
check "an auto-reply to the probe: ignored" [ "$RC" = 0 -a "$(captured)" = 0 ]
sendto victim@example.org
check "not blocked yet: send@ delivers" [ "$RC" = 0 -a "$(captured)" = 1 ]

# --- the block: a reply to the self probe ---
clear_cap
answer "$tself" victim@example.org
check "reply to the self probe: exit 0" [ "$RC" = 0 ]
check "the replier is told (envelope sender nobody@nym.test, whose bounces are discarded)" \
    bash -c "[ $(captured) = 1 ] && sed -n 2p '$T/cap/1.args' | grep -qx 'nobody@nym.test' && grep -q 'is now blocked' '$T/cap/1.msg'"
answer "$tself" victim@example.org
check "the token is used up: 5.1.1" [ "$RC" = 67 ]
for db in blocks meta; do state_dump $db; done >"$T/dump" 2>&1
check "the block list holds no address, only keyed hashes" \
    bash -c "grep -q '^database=blocks' '$T/dump' && ! grep -qi 'victim\|example' '$T/dump'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats >"$T/st"
check "stats: one blocked destination" grep -qx 'blocked-destinations 1' "$T/st"

# --- send@ honours the list ---
n=$(count_in "$T/rem")
sendto friend@example.net Victim@Example.org
check "send@ with a blocked recipient: exit 0" [ "$RC" = 0 ]
check "the blocked recipient is dropped from the envelope" \
    diff <(printf '%s\n' -f alice@nym.test -oi -- friend@example.net) "$T/cap/1.args"
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack"
check "the acknowledgement says it was not sent there" \
    grep -qi 'not sent to victim@example.org' "$T/ack"
sendto victim@example.org
check "send@ to only a blocked recipient: nothing sent" [ "$(captured)" = 0 ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack2"
check "... and the owner is told why" grep -q 'asked not to receive nym mail' "$T/ack2"

# --- remail honours the list: the blocked recipient is dropped silently
# (exit 0: a bounce would tell anyone who is on the list), the others
# are mailed, and the log only counts ---
clear_cap
rml < <(printf '::\nAnon-To: victim@example.org\n\nfor the victim\n')
check "remail to a blocked address: exit 0, nothing mailed" \
    [ "$RC" = 0 -a "$(captured)" = 0 ]
check "remail logs the drop as a count" \
    grep -q 'remailed: 0 message(s), 1 blocked recipient(s) dropped' "$T/rout"
rml -p remailer -f anyone@example.net < <(printf '::\nAnon-To: friend@example.net, Victim@Example.ORG\n\n::\nEncrypted: PGP\n\npayload\n')
check "remail with a blocked and a free recipient: exit 0, one message" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
check "... its envelope holds only the free recipient" \
    [ "$(rcpts_of "$T/cap/1.args")" = friend@example.net ]
check "... and its To: too; the payload travels on" \
    sh -c "grep -qx 'To: friend@example.net' '$T/cap/1.msg' && ! grep -qi victim '$T/cap/1.msg' && grep -qx payload '$T/cap/1.msg'"
clear_cap
printf '::\nAnon-To: victim@example.org\n\nthrough the public remailer\n' |
    cgpg --armor --encrypt --recipient '<remailer@nym.test>' >"$T/pub"
rml -p remailer -f anyone@example.net < <(printf '::\nEncrypted: PGP\n\n'; cat "$T/pub")
check "public remailer@ to a blocked address: exit 0, nothing mailed" \
    [ "$RC" = 0 -a "$(captured)" = 0 ]
rml < <(printf '::\nAnon-To: victim@example.org\nLatent-Time: +1:00\n\nlater\n')
check "remail with Latent-Time to a blocked address: nothing spooled" \
    [ "$RC" = 0 -a "$(spooled)" = 0 ]
rml -p remailer -f anyone@example.net < <(printf '::\nAnon-To: friend@example.net\nCutmarks: --\n\nfirst\n--\n::\nAnon-To: victim@example.org\n\nsecond\n--\n::\nAnon-To: other@example.net\n\nthird\n')
check "Cutmarks: the blocked piece dropped, the other pieces mailed" \
    sh -c "[ $RC = 0 ] && [ $(captured) = 2 ] && ! grep -qi victim '$T'/cap/*.args '$T'/cap/*.msg && grep -qx friend@example.net '$T'/cap/*.args && grep -qx other@example.net '$T'/cap/*.args"

# --- unblock round trip ---
clear_cap
request victim@example.org unblock
check "unblock request: one probe sent" [ "$(captured)" = 1 ]
check "unblock probe says unblock" grep -q '^Subject: confirm: unblock' "$T/cap/1.msg"
tu=$(token_for victim@example.org)
clear_cap
answer "$tu" victim@example.org
check "unblock: reply accepted" [ "$RC" = 0 ]
check "unblock: the replier is told" grep -q 'is now unblocked' "$T/cap/1.msg"
sendto victim@example.org
check "unblocked: send@ delivers again" [ "$RC" = 0 -a "$(captured)" = 1 ]
clear_cap
rml < <(printf '::\nAnon-To: victim@example.org\n\nwelcome back\n')
check "unblocked: remail mails the address again" \
    sh -c "[ $RC = 0 ] && [ $(captured) = 1 ] && grep -qx victim@example.org '$T/cap/1.args'"

# --- a mailing list: only the list's own address confirms ---
clear_cap
request list@lists.example
tl=$(token_for list@lists.example)
check "finding 8: a list gets one probe, at the list address" \
    [ "$(captured)" = 1 -a -n "$tl" ]
clear_cap
answer "$tl" member@else.example
check "list: a member answering the list's probe cannot block it" [ "$RC" = 77 ]
answer "$tl" list-bounces@lists.example list@lists.example 'List-Id: <list.lists.example>'
check "list: the probe coming back through the list is ignored" [ "$RC" = 0 -a "$(captured)" = 0 ]
sendto list@lists.example
check "list: not blocked yet" [ "$(captured)" = 1 ]
# Queued in remail's delay spool before the block, due after it.
clear_cap
rml < <(printf '::\nAnon-To: list@lists.example\nLatent-Time: +1:00\n\nqueued for the list\n')
rml -p remailer -f anyone@example.net < <(printf '::\nAnon-To: friend@example.net, list@lists.example\nLatent-Time: +1:00\n\nqueued for both\n')
rml < <(printf '::\nAnon-To: friend@example.net\nLatent-Time: +1:00\n\nqueued for the friend\n')
check "list: not blocked yet, so remail spools all three" \
    [ "$(spooled)" = 3 -a "$(captured)" = 0 ]
clear_cap
answer "$tl" listadmin@owner.example
check "finding 8: the owner answering from their own address cannot block the list" \
    [ "$RC" = 77 ]
answer "$tl" list@lists.example
check "list: a reply from the list's own address (its owner writing as the list) blocks it" \
    [ "$RC" = 0 ]
check "list: the replier is told" grep -q 'now blocked' "$T/cap/1.msg"
sendto list@lists.example
check "list: blocked now" [ "$(captured)" = 0 ]
make_due
rml -q
check "remail -q after the block: exit 0, the spool emptied" \
    [ "$RC" = 0 -a "$(spooled)" = 0 ]
check "remail -q: the message only for the list is not sent" \
    sh -c "[ $(captured) = 2 ] && ! grep -q 'queued for the list' '$T'/cap/*.msg"
check "remail -q: the shared message goes to the free recipient only" \
    sh -c "f=\$(grep -l 'queued for both' '$T'/cap/*.msg) && [ \"\$(grep -v '^-' \${f%.msg}.args | sed 1d)\" = friend@example.net ]"
check "remail -q: the unblocked message is sent" grep -q 'queued for the friend' "$T"/cap/*.msg
check "remail -q logs a count, no address" \
    grep -q 'queue run: 3 sent, 0 left, 2 blocked recipient(s) dropped' "$T/rout"
check "no remail log line holds an address" \
    sh -c "[ -s '$T/rlog' ] && ! grep -qi '@\|victim\|example\|lists' '$T/rlog'"

# --- requests that are never answered ---
clear_cap
request ""
check "null sender: no probes" [ "$RC" = 0 -a "$(captured)" = 0 ]
request MAILER-DAEMON@example.org
check "MAILER-DAEMON: no probes" [ "$(captured)" = 0 ]
request someone@example.org "block" 'Auto-Submitted: auto-generated'
check "auto-submitted: no probes" [ "$(captured)" = 0 ]
request someone@nym.test
check "our own domain: no probes" [ "$(captured)" = 0 ]
answer 0123 x@example.org
check "malformed token: 5.1.1" [ "$RC" = 67 ]

# --- finding 8: an owner-probe token left from before cannot act ---
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats | grep '^blocked-destinations' >"$T/before"
legacy=0123456789abcdef0123456789abcdef
{ printf 'dstblk:t:%s\n' "$(printf %s "$legacy" | sha256sum | cut -c1-64)"
  printf '1 b %s o %s\n' "$(date +%s)" "$(printf x | sha256sum | cut -c1-64)"; } |
    state_load pending
answer "$legacy" anyone@free.example
check "finding 8: a pending owner-probe token (made by an older version) is refused: 5.1.1" \
    [ "$RC" = 67 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats | grep '^blocked-destinations' >"$T/after"
check "finding 8: ... and blocks nothing" diff "$T/before" "$T/after"

# --- the operator blocks and unblocks (a list owner may ask them) ---
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" block Big-List@Lists.example >"$T/ctl" 2>&1
check "nymctl block ADDRESS: exit 0" [ $? = 0 ]
sendto big-list@lists.example
check "nymctl block: send@ no longer delivers there" [ "$(captured)" = 0 ]
state_dump_all >"$T/dump" 2>&1
check "nymctl block: the state holds no address" bash -c "! grep -qi 'big-list' '$T/dump'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" unblock big-list@lists.example >"$T/ctl" 2>&1
check "nymctl unblock ADDRESS: exit 0" [ $? = 0 ]
sendto big-list@lists.example
check "nymctl unblock: send@ delivers again" [ "$(captured)" = 1 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" block 'not an address' >/dev/null 2>&1
check "nymctl block with no address: usage (exit 2)" [ $? = 2 ]

# --- pending probes expire ---
clear_cap
request late@example.org
tlate=$(token_for late@example.org)
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats >"$T/st"
check "stats: one block request pending" grep -qx 'block-requests 1' "$T/st"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" expire -t $(( $(date +%s) + 8 * 86400 )) >"$T/ex"
check "expire after 8 days drops the request" grep -q 'block requests expired 1' "$T/ex"
answer "$tlate" late@example.org
check "a reply after expiry: 5.1.1, nothing blocked" [ "$RC" = 67 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check >"$T/ck"
check "nymctl check: state ok after all this" grep -qx 'state ok' "$T/ck"
