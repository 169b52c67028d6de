# accounts.sh - config@ with real gpg: create, modify, delete, replay,
# confirmation, signature age, forged and tampered requests, expiry.
. "$(dirname "$0")/../lib.sh"
setup_state "remail = $T/capture-sendmail $T/rem"
mkdir -p "$T/rem" && [ "$(id -u)" = 0 ] && chown 65534:65534 "$T/rem"
client_init
for u in alice bob carol dave erin; do mkkey "$u"; done
mkkey zoe
mkkey nocrypt signonly
printf '::\nAnon-To: alice@real.example\n' >"$T/blk-a"
printf '::\nAnon-To: alice-new@real.example\n' >"$T/blk-a2"
printf '::\nAnon-To: bob@real.example\n' >"$T/blk-b"
now=$(date +%s)

# cfg FILE: hand a request to nymserv as the MTA would.
cfg() { nymserv -f "someone@anywhere.example" config <"$1"; }
state() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | awk -v n="$1" '$1 == n {print $2}'; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
cookie_in() { grep -o 'confirm+[0-9a-f]*@' "$1" | head -1 | sed 's/confirm+//; s/@//'; }

# --- create, inline, and the confirmation round trip ---
nymcfg -n alice -u alice -k -c 'create +acksend name="Alice Nym"' -b "$T/blk-a" >"$T/r1"
cfg "$T/r1"
check "create: exit 0" [ "$RC" = 0 ]
check "create: one notice handed to remail" [ "$(count_in "$T/rem")" = 1 ]
check "create: the notice starts with the new reply block" \
    [ "$(head -2 "$T/rem/1.msg")" = "$(cat "$T/blk-a")" ]
decrypt_notice "$T/rem/1.msg" >"$T/n1"
check "create: notice decrypts with the nym key, says success" \
    grep -q 'completed successfully' "$T/n1"
check "create: notice names the confirmation address (and sets no Reply-To)" \
    bash -c "grep -q 'confirm+[0-9a-f]\{20\}@nym.test' '$T/n1' && ! grep -qi '^Reply-To:' '$T/n1'"
check "create: nym pending until confirmed" [ "$(state alice)" = pending ]
check "create: nothing went to the envelope sender" [ "$(captured)" = 0 ]
nymserv -f x@example.org alice <"$REPO/tests/data/help-normal.eml"
check "mail to an unconfirmed nym: 5.2.1" [ "$(head -c 5 "$T/out")" = 5.2.1 ]
c=$(cookie_in "$T/n1")
nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
check "confirm: exit 0" [ "$RC" = 0 ]
check "confirm: nym active" [ "$(state alice)" = active ]
decrypt_notice "$T/rem/2.msg" >"$T/n2"
check "confirm: notice through the new block says active" grep -q 'Your nym is active' "$T/n2"
n=$(count_in "$T/rem")
nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
check "confirm: a used cookie again (a retry or a replay): exit 0, nothing sent, no bounce" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" -a "$(state alice)" = active ]
nymserv -f x@remailer.example "confirm+00000000000000000000" <"$REPO/tests/data/help-normal.eml"
check "confirm: an unknown cookie is refused 5.1.1" [ "$RC" = 67 -a "$(head -c 5 "$T/out")" = 5.1.1 ]

# --- replay ---
n=$(count_in "$T/rem")
cfg "$T/r1"
check "replayed create: exit 0, nothing sent, still active" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" -a "$(state alice)" = active ]

# --- PGP/MIME and the other inline forms ---
for m in mime-signed:bob mime-encrypted:carol sign:dave clear:erin; do
	mode=${m%%:*} who=${m#*:}
	nymcfg -n "$who" -u "$who" -k -c create -b "$T/blk-b" -m "$mode" >"$T/r-$who"
	n=$(count_in "$T/rem")
	cfg "$T/r-$who"
	check "create $mode: pending nym $who" [ "$RC" = 0 -a "$(state "$who")" = pending ]
	decrypt_notice "$T/rem/$((n + 1)).msg" >"$T/n-$who"
	check "create $mode: success notice" grep -q 'completed successfully' "$T/n-$who"
done
# bob's block is confirmed (the later requests are answered through it);
# carol's is not: an unconfirmed nym holds no block, so nothing answers
# a request for it until a block is confirmed (SECURITY.md 3.9).
nymserv -f x@remailer.example "confirm+$(cookie_in "$T/n-bob")" <"$REPO/tests/data/help-normal.eml"
check "create: bob's block confirmed, bob active" [ "$(state bob)" = active ]
n=$(count_in "$T/rem")
nymcfg -n carol -u carol -c '+fixedsize' -t $((now + 2 * 86400)) >"$T/r-carol-fut"
cfg "$T/r-carol-fut"
check "a request for an unconfirmed nym is answered through no unconfirmed block" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" ]

# --- create? makes or modifies ---
nymcfg -n frank -u alice -k -K zoe -c 'create?' -b "$T/blk-a" >"$T/r-frank-bad"
cfg "$T/r-frank-bad"
check "create? of a new name signed by another key than offered: dropped" [ -z "$(state frank)" ]
mkkey frank
nymcfg -n frank -u frank -k -c 'create?' -b "$T/blk-a" >"$T/r-frank"
cfg "$T/r-frank"
check "create? of a new name creates it" [ "$(state frank)" = pending ]
nymcfg -n alice -u alice -c 'create? +nobcc name="Alice Q. Nym"' >"$T/r-mod"
cfg "$T/r-mod"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "create? of an existing name modifies it (+nobcc recorded)" \
    grep -q '^alice active flags=0x23 ' "$T/list"

# --- modify with a new key, then the old key is useless ---
nymcfg -n alice -u alice -K zoe -c '' >"$T/r-key"
cfg "$T/r-key"
decrypt_notice "$T/rem/$(lastrem)" >"$T/n-key"
check "key change: success notice encrypted to the new key" grep -q "Key: $(fpr_of zoe)" "$T/n-key"
n=$(count_in "$T/rem")
nymcfg -n alice -u alice -c '+fingerkey' >"$T/r-old"
cfg "$T/r-old"
check "after a key change the old key is refused (nothing sent)" [ "$(count_in "$T/rem")" = "$n" ]
nymcfg -n alice -u zoe -c '+fingerkey' >"$T/r-new"
cfg "$T/r-new"
check "the new key is accepted" [ "$(count_in "$T/rem")" = $((n + 1)) ]

# --- another nym's key cannot modify ---
n=$(count_in "$T/rem")
nymcfg -n alice -u bob -c '-acksend' >"$T/r-forge"
cfg "$T/r-forge"
check "modify signed by another nym's key: dropped, nothing sent" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list2"
check "... and alice is unchanged" diff <(grep '^alice ' "$T/list") <(grep '^alice ' "$T/list2" | sed 's/flags=0x33/flags=0x23/')

# --- tampering ---
nymcfg -n bob -u bob -c '+signsend' -m clear >"$T/r-clear"
sed 's/+signsend/+nobcc/' "$T/r-clear" >"$T/r-tamper"
n=$(count_in "$T/rem")
cfg "$T/r-tamper"
check "tampered clear-signed request: dropped" [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" ]
nymcfg -n bob -u bob -c '+signsend' -m mime-signed >"$T/r-ms"
sed 's/^Nym-Commands: +signsend/Nym-Commands: +nobcc/' "$T/r-ms" >"$T/r-ms-t"
cfg "$T/r-ms-t"
check "tampered PGP/MIME request: dropped" [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" ]
awk '/^-----BEGIN PGP MESSAGE/{f=1} f&&/^[A-Za-z0-9+\/]{60,}$/&&!done{$0=substr($0,1,30) (substr($0,31,1)=="A"?"B":"A") substr($0,32); done=1} {print}' "$T/r1" >"$T/r-bits"
cfg "$T/r-bits"
check "flipped bits in an encrypted request: dropped" [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" ]

# --- signature age ---
nymcfg -n bob -u bob -c '+fixedsize' -m sign -t $((now - 8 * 86400)) >"$T/r-old8"
cfg "$T/r-old8"
check "signature older than 7 days: dropped without reply" [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" ]
nymcfg -n bob -u bob -c '+fixedsize' -m sign -t $((now + 2 * 86400)) >"$T/r-fut"
cfg "$T/r-fut"
decrypt_notice "$T/rem/$(lastrem)" >"$T/n-fut"
check "signature 2 days in the future: refused with a notice" grep -q 'dated in the future' "$T/n-fut"

# --- reserved and bad names, the server's own key ---
nymcfg -n help -u carol -k -c create -b "$T/blk-b" >"$T/r-help"
cfg "$T/r-help"
decrypt_notice "$T/rem/$(lastrem)" >"$T/n-help"
check "reserved name: refused with a notice" grep -q 'reserved' "$T/n-help"
check "... and not created" [ -z "$(state help)" ]
n=$(count_in "$T/rem")
{ printf 'Config:\nFrom: evil\nNym-Commands: create\nPublic-Key:\n'
  as_user env GNUPGHOME="$T/s/gnupg" gpg --batch --armor --export config@nym.test
  printf 'Reply-Block:\n::\nAnon-To: victim@example.org\n'; } >"$T/evil.txt"
{ printf 'To: config@nym.test\n\n'
  as_user env GNUPGHOME="$T/s/gnupg" gpg --batch --armor --sign -u config@nym.test <"$T/evil.txt"; } >"$T/r-evil" 2>/dev/null
cfg "$T/r-evil"
check "request signed by the server's own key: dropped" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = "$n" -a -z "$(state evil)" ]

# --- keys: no encryption subkey while cryptrecv ---
nymcfg -n nocrypt -u nocrypt -k -c create -b "$T/blk-b" >"$T/r-nc"
cfg "$T/r-nc"
check "key without encryption subkey refused while +cryptrecv" [ -z "$(state nocrypt)" ]
nymcfg -n nocrypt -u nocrypt -k -c 'create -cryptrecv' -b "$T/blk-b" >"$T/r-nc2"
cfg "$T/r-nc2"
check "... accepted with -cryptrecv" [ "$(state nocrypt)" = pending ]
check "... and its notice is clear-signed, not encrypted" grep -q 'BEGIN PGP SIGNED MESSAGE' "$T/rem/$(lastrem)"

# --- modify with a new reply block needs confirmation ---
nymcfg -n alice -u zoe -b "$T/blk-a2" >"$T/r-blk"
cfg "$T/r-blk"
m=$(lastrem)
check "new block: notice goes through the new block" \
    [ "$(head -2 "$T/rem/$m")" = "$(cat "$T/blk-a2")" ]
decrypt_notice "$T/rem/$m" >"$T/n-blk"
c=$(cookie_in "$T/n-blk")
check "new block: pending with a cookie" [ -n "$c" ]
nymserv -f x@remailer.example "confirm+$c" <"$REPO/tests/data/help-normal.eml"
check "new block confirmed: the confirmation goes through it" \
    [ "$RC" = 0 -a "$(head -2 "$T/rem/$(lastrem)")" = "$(cat "$T/blk-a2")" ]

# --- a temporary failure after the replay entry, then the retry ---
mkkey gina
nymcfg -n gina -u gina -k -c create -b "$T/blk-b" >"$T/r-gina"
touch "$T/rem/fail-once"
n=$(count_in "$T/rem")
cfg "$T/r-gina"
check "remail fails: exit 75" [ "$RC" = 75 ]
cfg "$T/r-gina"
check "the MTA's retry is processed, not taken for a replay" \
    [ "$RC" = 0 -a "$(count_in "$T/rem")" = $((n + 1)) -a "$(state gina)" = pending ]
cfg "$T/r-gina"
check "a third copy is a replay: nothing more" [ "$(count_in "$T/rem")" = $((n + 1)) ]

# --- delete wipes ---
nymcfg -n bob -u bob -c delete >"$T/r-del"
cfg "$T/r-del"
check "delete: gone" [ -z "$(state bob)" ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/n-del"
check "delete: told through the old block" grep -q 'has been deleted' "$T/n-del"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list3"
check "delete: the record is gone from the state" bash -c "! grep -q '^bob ' '$T/list3'"
n=$(count_in "$T/rem")
cfg "$T/r-del"
check "replayed delete changes nothing" [ "$(count_in "$T/rem")" = "$n" ]
nymcfg -n bob -u bob -k -c create -b "$T/blk-b" >"$T/r-bob2"
cfg "$T/r-bob2"
check "a deleted name can be created again" [ "$(state bob)" = pending ]

# --- expiry with a controllable clock ---
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@"; }
ctl expire -n -t $((now + 91 * 86400)) >"$T/ex0"
check "expire --dry-run counts only" grep -q '^dry run: warned [1-9]' "$T/ex0"
n=$(count_in "$T/rem")
check "... and sends nothing" [ "$(count_in "$T/rem")" = "$n" ]
ctl expire -t $((now + 91 * 86400)) >"$T/ex1"
check "expire at day 91: idle nyms warned" grep -q 'warned [1-9]' "$T/ex1"
check "... unconfirmed accounts removed after 7 days" [ -z "$(state gina)" ]
check "... a warning went through the reply block" [ "$(count_in "$T/rem")" -gt "$n" ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/n-warn" || true
ctl expire -t $((now + 95 * 86400)) >"$T/ex2"
check "no second warning within 10 days" grep -q 'warned 0' "$T/ex2"
ctl expire -t $((now + 101 * 86400)) >"$T/ex3"
check "another warning after 10 days" grep -q 'warned [1-9]' "$T/ex3"
ctl expire -t $((now + 121 * 86400)) >"$T/ex4"
check "wiped at day 120" [ -z "$(state alice)" ]
check "replay entries pruned after 7 days" grep -q 'replay entries pruned [1-9]' "$T/ex1"
