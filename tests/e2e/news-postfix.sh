#!/usr/bin/env bash
# tests/e2e/news-postfix.sh - nyms and the news, under a real private
# Postfix (tests/pflib.sh) and a real private INN (tests/innlib.sh):
#   - pool delivery: mail to a nym arrives as an article in
#     alt.anonymous.messages; its Subject is an hSub of the nym's
#     passphrase; the body opens only with the passphrase and the nym key;
#     the recipient key id is hidden; contrib/nymaam finds and reads it;
#   - a nym's send@ with Newsgroups appears From the nym;
#   - a reply block ending in Anon-Post-To: alt.anonymous.messages through
#     two remail hops: the confirmation and the mail end up as articles,
#     and no hop saw the body in clear.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pflib.sh"
. "$REPO/tests/innlib.sh"
if [ ! -x "$NYM_BIN/mail2news" ] || [ ! -x "$NYM_BIN/remail" ]; then
	skip "news under Postfix: bin/mail2news or bin/remail is not built"
	exit 0
fi
inn_available || exit 0
pf_namespace "$@" || exit 0
trap 'inn_cleanup; pf_cleanup' EXIT
AAM=alt.anonymous.messages

inn_setup
inn_start || { notok "private INN started"; exit 1; }
pf_nym_world || { notok "private Postfix configured"; exit 1; }
echo "news_peers = 127.0.0.1:$INN_PORT" >>"$T/nymserv.conf"
echo "news_peers = 127.0.0.1:$INN_PORT" >>"$T/hopb.conf"
HOMES+=("$T/s/pool-gnupg" "$T/s/remail-gnupg" "$T/hopa/remail-gnupg" "$T/hopb/remail-gnupg")
if pf_start; then ok "private Postfix and INN started"; else
	notok "private Postfix started"; exit 1
fi

count() { nntp_get count "$1"; }
# wait_for SECONDS 'CONDITION': until the shell condition holds, checked
# afresh every quarter second (bounded; the verdict is the test's).
wait_for() {
	local i n=$(($1 * 4))
	for i in $(seq 1 "$n"); do eval "$2" && return 0; sleep 0.25; done
	return 1
}
pooled() { ls "$T/s/news/pool" 2>/dev/null | grep -c '^[0-9]*\.[0-9a-f]*$'; }
# arts GROUP: every article of GROUP into $T/f.
arts() { rm -rf "$T/f"; mkdir "$T/f"; nntp_get fetch "$1" "$T/f" >/dev/null; }
body() { sed '1,/^$/d' "$1"; }
newest() { echo "$T/f/$(ls "$T/f" | sort -n | tail -1)"; }
# check_not DESCRIPTION COMMAND...: ok if the command fails.
check_not() { local w=$1; shift; if "$@"; then notok "$w"; else ok "$w"; fi; }
hsub_ok() {	# hsub_ok SUBJECT PASSPHRASE: the check of nymphemeral's hsub.py
	"$PY" -c 'import hashlib, sys
s, p = sys.argv[1], sys.argv[2].encode()
iv = bytes.fromhex(s[:16])
sys.exit(0 if 48 <= len(s) <= 80 and
         (iv + hashlib.sha256(iv + p).digest()).hex()[:len(s)] == s else 1)' "$1" "$2"
}
post_pool() { as_user "$NYM_BIN/mail2news" -c "$T/nymserv.conf" -P >"$T/pout" 2>&1; }
nymread() { bash "$REPO/contrib/nymread" -g "$T/c" passB passA; }
mkdir -m 700 "$T/e"	# an empty GnuPG home: no secret key at all
HOMES+=("$T/e")

# --- A nym with pool delivery, created and confirmed over Postfix. ---
mkkey shadow
bash "$REPO/contrib/nymblock" -g "$T/c" alice@user.test \
    remailer@hopa.test=passA remailer@hopb.test=passB >"$T/block"
nymcfg -n shadow -u shadow -k -c 'create name="Shadow Writer"' -p pool \
    -h 'the shadow knows' -y 'outer secret' -b "$T/block" >"$T/create"
check "config@ create with -p pool -h -y accepted over SMTP" \
    pf_submit alice@user.test config@nym.test <"$T/create"
if pf_wait_mail alice 1 90; then
	nymread <"$(pf_mails_to alice | tail -1)" >"$T/n1" 2>/dev/null
	cookie=$(grep -o 'confirm+[0-9a-f]*@' "$T/n1" | head -1 | sed 's/confirm+//; s/@//')
	check "the notice names the pool delivery, not the passphrases" \
	    sh -c "grep -q 'Delivery: the pool only (Subject: hSub, symmetric layer)' '$T/n1' && ! grep -q 'shadow knows\|outer secret' '$T/n1'"
else
	notok "confirmation request for the pool nym"; tail -30 "$PF/log/maillog"; exit 1
fi
printf 'From: alice@user.test\nSubject: confirm\n\nyes\n' |
    pf_submit alice@user.test "confirm+$cookie@nym.test"
pf_wait_mail alice 2 90 || notok "confirmation answered"

cat >"$T/tonym.eml" <<'MAIL'
From: Bob <bob@user.test>
To: shadow@nym.test
Subject: a question for the pool
Message-ID: <bob-pool-1@user.test>

The owl asks the shadow a question.
MAIL
n_aam=$(count $AAM)
n_alice=$(pf_mails_to alice | grep -c .)
check "mail to the pool nym accepted over SMTP" pf_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
if wait_for 90 '[ "$(pooled)" -ge 1 ]'; then ok "nymserv put the delivery in the pool"; else
	notok "nymserv put the delivery in the pool"; tail -20 "$PF/log/maillog"
fi
check "nothing was posted before the pool run" test "$(count $AAM)" = "$n_aam"
post_pool
check "mail2news -P posts the pool (exit $?)" sh -c "[ $(count $AAM) = $((n_aam + 1)) ] && [ $(pooled) = 0 ]"
arts $AAM
a=$(newest)
subj=$(sed -n 's/^Subject: //p' "$a" | head -1)
check "the article: the gateway's From, Newsgroups alt.anonymous.messages" \
    sh -c "grep -qx 'From: Anonymous <nobody@nym.test>' '$a' && grep -qx 'Newsgroups: $AAM' '$a'"
check "its Subject passes the hSub check for the nym's passphrase" hsub_ok "$subj" 'the shadow knows'
check_not "... and fails for another passphrase" hsub_ok "$subj" 'the shadow know'
check "the article names neither the nym, nor Bob, nor the body" \
    sh -c "! grep -qi 'shadow\\|bob@user\\|owl asks' '$a'"
body "$a" >"$T/outer"
check "the outer layer does not open without its passphrase" \
    sh -c "! gpg --homedir '$T/c' --batch --quiet --pinentry-mode loopback --passphrase 'wrong' --decrypt <'$T/outer' >/dev/null 2>&1"
gpg --homedir "$T/c" --batch --quiet --pinentry-mode loopback --passphrase 'outer secret' \
    --decrypt <"$T/outer" >"$T/inner" 2>/dev/null
check "the outer layer opens with the nym's symmetric passphrase" grep -q 'BEGIN PGP MESSAGE' "$T/inner"
check "the inner layer hides the recipient's key id (0000000000000000)" \
    sh -c "gpg --homedir '$T/e' --batch --list-packets <'$T/inner' 2>&1 | grep -q 'keyid 0000000000000000'"
check "the inner layer does not open without the nym key" \
    sh -c "! gpg --homedir '$T/e' --batch --quiet --decrypt <'$T/inner' >/dev/null 2>&1"
cgpg --status-fd 3 --decrypt <"$T/inner" >"$T/plain" 3>"$T/status"
check "the nym key opens it: Bob's mail, signed by the server" \
    sh -c "grep -qx 'The owl asks the shadow a question.' '$T/plain' && grep -q '^\[GNUPG:\] GOODSIG' '$T/status'"
bash "$REPO/contrib/nymaam" -g "$T/c" -s "127.0.0.1:$INN_PORT" -y 'outer secret' \
    'the shadow knows' >"$T/aam" 2>"$T/aam.err"
check "contrib/nymaam finds the article by its hSub and decrypts it" \
    sh -c "grep -qx 'The owl asks the shadow a question.' '$T/aam' && [ \$(grep -c '^== article' '$T/aam') = 1 ]"
bash "$REPO/contrib/nymaam" -g "$T/c" -s "127.0.0.1:$INN_PORT" -y 'outer secret' \
    'not my passphrase' >"$T/aam2" 2>/dev/null
check "... and finds nothing for another passphrase" test ! -s "$T/aam2"
check "no mail went to the owner's address for the pool delivery" \
    test "$(pf_mails_to alice | grep -c .)" = "$n_alice"

# --- delivery=both, no symmetric layer, no hSub: a fake hSub. ---
nymcfg -n shadow -u shadow -c 'delivery=both symmetric="" hsub=""' >"$T/mod"
pf_submit alice@user.test config@nym.test <"$T/mod"
pf_wait_mail alice $((n_alice + 1)) 90 || notok "the change is answered"
n_alice=$(pf_mails_to alice | grep -c .)
sed 's/a question for the pool/a second question/; s/The owl/The lark/' "$T/tonym.eml" >"$T/tonym2.eml"
pf_submit bob@user.test shadow@nym.test <"$T/tonym2.eml"
wait_for 90 '[ "$(pooled)" -ge 1 ]' || notok "second delivery pooled"
post_pool
arts $AAM
a=$(newest)
subj=$(sed -n 's/^Subject: //p' "$a" | head -1)
check "no hSub set: a fake hSub of the same shape (48 hex digits)" \
    sh -c "echo '$subj' | grep -qx '[0-9a-f]\{48\}'"
check_not "... which passes no check" hsub_ok "$subj" 'the shadow knows'
body "$a" >"$T/inner2"
check "no symmetric layer: the key id is still hidden" \
    sh -c "gpg --homedir '$T/e' --batch --list-packets <'$T/inner2' 2>&1 | grep -q 'keyid 0000000000000000'"
cgpg --decrypt <"$T/inner2" >"$T/plain2"
check "the nym key opens it" grep -qx 'The lark asks the shadow a question.' "$T/plain2"
if pf_wait_mail alice $((n_alice + 1)) 90; then
	nymread <"$(pf_mails_to alice | tail -1)" >"$T/read2" 2>/dev/null
	check "delivery=both: the reply blocks carry a copy too" grep -q 'The lark asks' "$T/read2"
else
	notok "delivery=both: the reply blocks carry a copy too"
fi

# --- send@ with Newsgroups: an article From the nym. ---
n_test=$(count alt.test)
cat >"$T/post.txt" <<'MAIL'
From: shadow
Newsgroups: alt.test
Subject: the shadow speaks
Organization: must not pass

A post from the shadow.
MAIL
nymsend -u shadow <"$T/post.txt" >"$T/post.eml"
check "send@ with Newsgroups accepted over SMTP" pf_submit alice@user.test send@nym.test <"$T/post.eml"
if wait_for 90 '[ "$(count alt.test)" -gt "$n_test" ]'; then
	arts alt.test
	a=$(grep -l '^Subject: the shadow speaks$' "$T"/f/* | tail -1)
	check "the article is From the nym" grep -qx 'From: Shadow Writer <shadow@nym.test>' "${a:-/dev/null}"
	check "... marked, without the owner's header fields" \
	    sh -c "grep -q '^X-Nym-Server: nym.test' '$a' && ! grep -qi 'Organization\|alice' '$a'"
	check "... with its body" grep -qx 'A post from the shadow.' "${a:-/dev/null}"
else
	notok "send@ with Newsgroups: the article appears"
fi

# --- A reply block that ends in a newsgroup, through two remail hops. ---
mkkey inkwell
printf '::\nAnon-Post-To: %s\n\n##\nSubject: inkwell-%s\n\n' $AAM $$ |
    cgpg --armor --encrypt --recipient '<remailer@hopb.test>' >"$T/lb"
{ printf '::\nAnon-To: remailer@hopb.test\n\n::\nEncrypted: PGP\n\n'; cat "$T/lb"; } |
    cgpg --armor --encrypt --recipient '<remailer@hopa.test>' >"$T/la"
{ printf '::\nAnon-To: remailer@hopa.test\n\n::\nEncrypted: PGP\n\n'; cat "$T/la"; } >"$T/blk-ink"
nymcfg -n inkwell -u inkwell -k -c create -b "$T/blk-ink" >"$T/create-ink"
n_aam=$(count $AAM)
pf_submit alice@user.test config@nym.test <"$T/create-ink"
if wait_for 90 '[ "$(count $AAM)" -gt "$n_aam" ]'; then
	ok "the confirmation request ends as an article (hop B posted it)"
	arts $AAM
	a=$(grep -l "^Subject: inkwell-$$\$" "$T"/f/* | tail -1)
	body "${a:-/dev/null}" | cgpg --decrypt >"$T/ink1"
	cookie=$(grep -o 'confirm+[0-9a-f]*@' "$T/ink1" | head -1 | sed 's/confirm+//; s/@//')
	check "... with the pasted Subject, the gateway's From; it decrypts" \
	    sh -c "[ -n '$cookie' ] && grep -qx 'From: Anonymous <nobody@hopb.test>' '$a'"
else
	notok "the confirmation request ends as an article"; tail -30 "$PF/log/maillog"; exit 1
fi
printf 'From: alice@user.test\nSubject: confirm\n\nyes\n' |
    pf_submit alice@user.test "confirm+$cookie@nym.test"
wait_for 90 '[ "$(count $AAM)" -gt "$((n_aam + 1))" ]' || notok "confirmed notice posted"
n_aam=$(count $AAM)
printf 'From: Bob <bob@user.test>\nTo: inkwell@nym.test\nSubject: ink\n\nThe heron writes to the inkwell.\n' >"$T/toink"
pf_submit bob@user.test inkwell@nym.test <"$T/toink"
if wait_for 90 '[ "$(count $AAM)" -gt "$n_aam" ]'; then
	arts $AAM
	a=$(grep -l "^Subject: inkwell-$$\$" "$T"/f/* | tail -1)
	body "$a" | cgpg --decrypt >"$T/ink2" 2>/dev/null
	check "mail to the nym ends in alt.anonymous.messages and decrypts" \
	    grep -qx 'The heron writes to the inkwell.' "$T/ink2"
else
	notok "mail to the nym ends in alt.anonymous.messages"
fi
check "no hop saw the body in clear" \
    sh -c "! grep -q 'heron writes' $T/seen-a/*.in $T/seen-b/*.in"
check "hop A never saw the group or the Subject in clear" \
    sh -c "! grep -q 'Anon-Post-To\|inkwell-$$' $T/seen-a/*.in"
check "news spools empty at the end (nymserv, hop B)" \
    sh -c "! ls '$T/hopb/news/out' '$T/s/news/out' '$T/s/news/pool' 2>/dev/null | grep -q '^[0-9]'"
check "Postfix queue empty" pf_wait_queue 60
