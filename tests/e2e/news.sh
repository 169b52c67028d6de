#!/usr/bin/env bash
# tests/e2e/news.sh - the mail-to-news gateway against a real, private INN:
# articles as posted, the abuse cases (spam-bait, the INN exploit control
# article, crossposts, size), framing, the flood budget, a peer that is
# down (queued, then posted exactly once), POST peers, remail's
# Anon-Post-To; a nym's articles (send@ Newsgroups, pool delivery) count
# against its daily chunks; a plain pool subject.  Mail goes to capture
# stand-ins; tests/e2e/news-postfix.sh runs the nym scenarios through a
# private Postfix.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/innlib.sh"
if [ ! -x "$NYM_BIN/mail2news" ]; then
	skip "news: bin/mail2news is not built"
	exit 0
fi
inn_available || exit 0
trap 'inn_cleanup; cleanup' EXIT
inn_setup
if inn_start; then ok "private INN started on 127.0.0.1:$INN_PORT"; else
	notok "private INN started"; exit 1
fi
setup_state "news_peers = 127.0.0.1:$INN_PORT" "remail = $NYM_BIN/remail -c $T/nymserv.conf"
HOMES+=("$T/s/remail-gnupg")
cp "$T/nymserv.conf" "$T/base.conf"

# m2n FILE [conf]: mail2news as the MTA runs it; $RC, stdout in $T/out.
m2n() {
	as_user "$NYM_BIN/mail2news" -c "${2:-$T/nymserv.conf}" \
	    -f someone@example.org <"$1" >"$T/out" 2>&1
	RC=$?
}
# m2nq [-P]: a queue run.
m2nq() {
	as_user "$NYM_BIN/mail2news" -c "$T/nymserv.conf" -q "$@" >"$T/qout" 2>&1
	QRC=$?
}
# arts GROUP: fetch GROUP into $T/f (one file per article).
arts() { rm -rf "$T/f"; mkdir "$T/f"; nntp_get fetch "$1" "$T/f" >/dev/null; }
# with GROUP REGEX: how many articles of GROUP have a line matching REGEX.
with() { arts "$1"; grep -l -- "$2" "$T"/f/* 2>/dev/null | wc -l; }
# art GROUP REGEX: the (last) article of GROUP with a line matching REGEX.
art() { arts "$1"; grep -l -- "$2" "$T"/f/* 2>/dev/null | tail -1; }
hdr() { sed '/^$/q' "$1"; }
queued() { ls "$T/s/news/out" 2>/dev/null | grep -c '^[0-9]*\.[0-9a-f]*$'; }
count() { nntp_get count "$1"; }
mail() {	# mail FILE GROUPS SUBJECT [more header lines]: a test mail
	local f=$1 g=$2 s=$3; shift 3
	{ printf 'From: Poster <poster@example.org>\nTo: mail2news@nym.test\n'
	  printf 'Newsgroups: %s\nSubject: %s\n' "$g" "$s"
	  [ $# -gt 0 ] && printf '%s\n' "$@"
	  printf '\nThe body of %s.\n' "$s"; } >"$f"
}

# --- A plain post, as INN stores it. ---
mail "$T/m1" alt.test "first post" "Message-ID: <orig-1@example.org>" \
    "Organization: Poster's employer"
m2n "$T/m1"
check "mail2news posts a plain mail (exit 0)" test "$RC" = 0
a=$(art alt.test '^Subject: first post$')
if [ -n "$a" ]; then
	ok "the article is in alt.test"
	check "From is the gateway's, not the poster's" \
	    sh -c "hdr() { sed '/^\$/q' \"\$1\"; }; hdr '$a' | grep -qx 'From: Anonymous <nobody@nym.test>' && ! grep -q poster@example.org '$a'"
	check "Path ends in the gateway's identity (INN prepends its own)" \
	    grep -qx 'Path: inn.test.invalid!nym.test!not-for-mail' "$a"
	check "Injection-Info names the complaints address" \
	    grep -qx 'Injection-Info: nym.test; mail-complaints-to="abuse@nym.test"' "$a"
	check "Date and Injection-Date were written at posting time" \
	    sh -c "grep -q '^Date: ' '$a' && grep -q '^Injection-Date: ' '$a'"
	check "a fresh Message-ID, not the mail's; no Organization" \
	    sh -c "grep -q '^Message-ID: <[0-9a-f]*@nym.test>\$' '$a' && ! grep -qi 'orig-1\|^Organization' '$a'"
	check "the body arrived" grep -qx 'The body of first post.' "$a"
else
	notok "the article is in alt.test"
fi
check "the spool is empty once the peer has it" test "$(queued)" = 0

# --- Spam-bait: a forged From is replaced. ---
m2n "$REPO/tests/data/news/spam-bait.eml"
a=$(art alt.test '^Subject: Email me for free stuff!$')
check "spam-bait: posted (exit $RC)" sh -c "[ $RC = 0 ] && [ -n '$a' ]"
check "spam-bait: the victim's address is nowhere in the article" \
    sh -c "[ -n '$a' ] && ! grep -qi 'victim' '$a'"
check "spam-bait: one From, the gateway's" \
    sh -c "[ -n '$a' ] && [ \$(grep -c '^From:' '$a') = 1 ] && grep -qx 'From: Anonymous <nobody@nym.test>' '$a'"

# --- The abuse cases never reach the news server. ---
n_alt=$(count alt.test) n_misc=$(count misc.test) n_ctl=$(count control)
m2n "$REPO/tests/data/news/inn-exploit.eml"
check "the INN exploit control article is refused as it stands (77, 5.7.1)" \
    sh -c "[ $RC = 77 ] && grep -q '^5.7.1 control messages' '$T/out'"
for f in "Control: cancel <orig-1@example.org>" "Approved: mod@example.org" \
    "Supersedes: <orig-1@example.org>" "Also-Control: cancel <x@y>"; do
	mail "$T/mc" alt.test "control ${f%%:*}" "$f"
	m2n "$T/mc"
	check "${f%%:*}: refused 5.7.1 (exit $RC)" \
	    sh -c "[ $RC = 77 ] && grep -q '^5.7.1' '$T/out'"
done
mail "$T/mc" alt.test "cmsg rmgroup alt.test"
m2n "$T/mc"
check "a cmsg Subject: refused 5.7.1" test "$RC" = 77
mail "$T/mc" control.cancel "cancelling"
m2n "$T/mc"
check "Newsgroups: control.cancel refused" test "$RC" = 65
mail "$T/mc" "alt.test,misc.test,alt.anonymous.messages,alt.mod.test" "crossposted"
m2n "$T/mc"
check "a crosspost to 4 groups (cap 3) refused 5.7.1" \
    sh -c "[ $RC = 77 ] && grep -q 'limit is 3' '$T/out'"
mail "$T/mc" "alt.test;rm -rf" "bad group"
m2n "$T/mc"
check "bad Newsgroups syntax refused 5.6.0" \
    sh -c "[ $RC = 65 ] && grep -q '^5.6.0' '$T/out'"
{ printf 'From: x@example.org\nNewsgroups: alt.test\nSubject: big\n\n'
  head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 70; } >"$T/big"
m2n "$T/big"
check "an article over news_max_size (200 KiB) refused 5.3.4" \
    sh -c "[ $RC = 65 ] && grep -q '^5.3.4' '$T/out'"
printf 'From: x@example.org\nNewsgroups: alt.test\nSubject: hi\rControl: cancel <orig-1@example.org>\nX-Injected: no\n\nbody\n' >"$T/inj"
m2n "$T/inj"
a=$(art alt.test '^Subject: hi')
check "a bare CR in Subject injects no Control field (exit $RC)" \
    sh -c "[ $RC = 0 ] && [ -n '$a' ] && ! grep -q '^Control:' '$a'"
check "nothing refused reached the server (alt.test +1, misc.test, control unchanged)" \
    sh -c "[ $(count alt.test) = $((n_alt + 1)) ] && [ $(count misc.test) = $n_misc ] && [ $(count control) = $n_ctl ]"
check "... and nothing refused was queued" test "$(queued)" = 0

# --- The peer's own refusal: an unapproved article for a moderated group. ---
mail "$T/mod" alt.mod.test "to the moderator"
m2n "$T/mod"
check "INN refuses (437) an unapproved moderated post: 69 5.3.0, not queued" \
    sh -c "[ $RC = 69 ] && grep -q '^5.3.0 every news server refused' '$T/out' && [ $(queued) = 0 ]"

# --- Framing: dot lines, CRLF mail, a long header. ---
printf 'From: x@example.org\r\nNewsgroups: alt.test\r\nSubject: dots\r\n\r\n.\r\n..\r\n.hidden\r\nQUIT\r\n.\r\nend\r\n' >"$T/dots"
m2n "$T/dots"
a=$(art alt.test '^Subject: dots$')
printf '.\n..\n.hidden\nQUIT\n.\nend\n' >"$T/dots.want"
check "dot lines and a lone dot in the body arrive as sent (exit $RC)" \
    sh -c "[ -n '$a' ] && sed '1,/^\$/d' '$a' | cmp -s - '$T/dots.want'"

# --- The flood budget: over news_rate a minute, deferred (75), never lost. ---
# A state of its own, so that the budget of this minute is untouched.
mkdir -p "$T/s2"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/s2"
sed "s|^statedir = .*|statedir = $T/s2|" "$T/base.conf" >"$T/nymserv.conf"
HOMES+=("$T/s2/gnupg")
fresh_store "$T/nymserv.conf"	# its own state under PostgreSQL too
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 >/dev/null 2>&1
echo "news_rate = 1" >>"$T/nymserv.conf"
queued() { ls "$T/s2/news/out" 2>/dev/null | grep -c '^[0-9]*\.[0-9a-f]*$'; }
for try in 1 2 3; do
	m0=$(($(date +%s) / 60))
	mail "$T/fl1" alt.test "flood one $try"
	mail "$T/fl2" alt.test "flood two $try"
	m2n "$T/fl1"; rc1=$RC
	m2n "$T/fl2"; rc2=$RC
	[ "$m0" = $(($(date +%s) / 60)) ] && break
done
check "news_rate = 1: the first article of the minute posted" test "$rc1" = 0
check "... the second deferred: exit 75 with a 4.3.0 line" \
    sh -c "[ $rc2 = 75 ] && grep -q '^4.3.0 news gateway busy' '$T/out'"
check "... neither queued nor posted" \
    sh -c "[ $(queued) = 0 ] && [ $(with alt.test "^Subject: flood two $try\$") = 0 ]"
sed -i '/^news_rate = 1$/d' "$T/nymserv.conf"
m2n "$T/fl2"
check "the MTA's retry of the deferred article posts it" \
    sh -c "[ $RC = 0 ] && [ $(with alt.test "^Subject: flood two $try\$") = 1 ]"
cp "$T/base.conf" "$T/nymserv.conf"
queued() { ls "$T/s/news/out" 2>/dev/null | grep -c '^[0-9]*\.[0-9a-f]*$'; }

# --- The peer down: queued (exit 0), posted exactly once when it is back. ---
inn_stop
mail "$T/dn" alt.test "while the server was down"
m2n "$T/dn"
check "INN stopped: mail2news queues the article (exit 0)" \
    sh -c "[ $RC = 0 ] && [ $(queued) = 1 ]"
m2nq
check "a queue run while INN is down keeps it (exit 75)" \
    sh -c "[ $QRC = 75 ] && [ $(queued) = 1 ]"
cp "$T"/s/news/out/[0-9]* "$T/dn.copy"
if inn_start; then ok "INN started again"; else notok "INN started again"; exit 1; fi
m2nq
check "the next queue run posts it (exit 0, spool empty)" \
    sh -c "[ $QRC = 0 ] && [ $(queued) = 0 ]"
# A crash between the post and the unlink offers it again: 435, once.
cp "$T/dn.copy" "$T/s/news/out/0000000001.00000000000000aa"
chown 65534:65534 "$T/s/news/out/0000000001.00000000000000aa"
m2nq
check "the same file offered again (a crash before its unlink): no second article" \
    sh -c "[ $QRC = 0 ] && [ $(queued) = 0 ]"
check "the article appears exactly once" \
    test "$(with alt.test '^Subject: while the server was down$')" = 1

# --- Several peers: the first down, the second takes it; POST peers. ---
dead=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s|^news_peers = .*|news_peers = 127.0.0.1:$dead 127.0.0.1:$INN_PORT|" "$T/nymserv.conf"
mail "$T/two" alt.test "second peer"
m2n "$T/two"
check "first peer down, second peer posts it" \
    sh -c "[ $RC = 0 ] && [ $(with alt.test '^Subject: second peer$') = 1 ] && [ $(queued) = 0 ]"
sed -i "s|^news_peers = .*|news_peers = 127.0.0.1:$INN_PORT/post|" "$T/nymserv.conf"
mail "$T/post" alt.test "by POST"
m2n "$T/post"
a=$(art alt.test '^Subject: by POST$')
check "a /post peer: posted through the reader server (MODE READER, POST)" \
    sh -c "[ $RC = 0 ] && [ -n '$a' ]"
check "... which injected it itself (its own Injection-Info, not ours)" \
    sh -c "[ -n '$a' ] && grep -q 'posting-host=' '$a' && ! grep -q 'abuse@nym.test' '$a'"
sed -i "s|^news_peers = .*|news_peers =|" "$T/nymserv.conf"
m2n "$T/m1"
check "no news peer configured: mail2news@ is refused 5.1.1" \
    sh -c "[ $RC = 67 ] && grep -q '^5.1.1' '$T/out'"
cp "$T/base.conf" "$T/nymserv.conf"

# --- remail's Anon-Post-To (local mode, as nymserv pipes a reply block). ---
printf '::\nAnon-Post-To: alt.test\nPost-To: misc.test\n\n##\nSubject: via remail\nReferences: <ref-1@example.org>\nFrom: forged@example.org\nNewsgroups: alt.binaries.x\n\nPosted through the remailer.\n' >"$T/rp"
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/rp" >"$T/out" 2>&1
RC=$?
a=$(art misc.test '^Subject: via remail$')
check "Anon-Post-To + Post-To: remail posts to both groups (exit $RC)" \
    sh -c "[ $RC = 0 ] && [ -n '$a' ] && grep -qx 'Newsgroups: alt.test,misc.test' '$a'"
check "... with the pasted References, the gateway's From, no pasted Newsgroups" \
    sh -c "[ -n '$a' ] && grep -qx 'References: <ref-1@example.org>' '$a' && grep -qx 'From: Anonymous <nobody@nym.test>' '$a' && ! grep -q 'forged\|binaries' '$a'"
printf '::\nAnon-Post-To: alt.test\n\n##\nSubject: cmsg cancel <x@y>\n\nx\n' >"$T/rpc"
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/rpc" >"$T/out" 2>&1
check "remail refuses a control message post (77)" test "$?" = 77
printf '::\nAnon-Post-To: alt.test\nLatent-Time: +1:00\n\n##\nSubject: later\n\nlater\n' >"$T/rpl"
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/rpl" >"$T/out" 2>&1
RC=$?
check "Latent-Time on a post: queued for later (exit $RC), not posted yet" \
    sh -c "[ $RC = 0 ] && [ $(queued) = 1 ] && [ $(with alt.test '^Subject: later$') = 0 ]"
rm -f "$T"/s/news/out/[0-9]*
# Without a gateway: refused, or mailed to remail_news_to.
sed -i "s|^news_peers = .*|news_peers =|" "$T/nymserv.conf"
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/rp" >"$T/out" 2>&1
check "no gateway: Anon-Post-To refused 5.7.1" \
    sh -c "[ $? = 77 ] && grep -q 'no news posting' '$T/out'"
echo "remail_news_to = mail2news@gw.example" >>"$T/nymserv.conf"
clear_cap
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/rp" >"$T/out" 2>&1
RC=$?
check "remail_news_to: the post is mailed to that gateway (exit $RC)" \
    sh -c "[ $RC = 0 ] && grep -qx mail2news@gw.example '$T/cap/1.args' && grep -qx 'Newsgroups: alt.test,misc.test' '$T/cap/1.msg' && ! grep -q forged '$T/cap/1.msg'"
cp "$T/base.conf" "$T/nymserv.conf"

# --- A nym's articles count against its daily chunks (send@, Newsgroups). ---
mkdir -p "$T/s3" "$T/rem"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/s3" "$T/rem"
{ sed "s|^statedir = .*|statedir = $T/s3|; /^remail = /d" "$T/base.conf"
  printf 'remail = %s/capture-sendmail %s/rem\nconfirm = no\ndaily_chunks = 5\n' "$T" "$T"; } >"$T/nymserv.conf"
HOMES+=("$T/s3/gnupg")
fresh_store "$T/nymserv.conf"	# its own state under PostgreSQL too
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 >/dev/null 2>&1
client_init
make_nym poster
npost() {	# npost N: the nym posts article N to two groups
	printf 'From: poster\nNewsgroups: alt.test, misc.test\nSubject: nym post %s\n\nPost %s.\n' "$1" "$1" |
	    nymsend -u poster >"$T/np$1"
	nymserv -f someone@example.org send <"$T/np$1"
}
npost 1
a=$(art misc.test '^Subject: nym post 1$')
check "send@ with Newsgroups: posted at once, From the nym (exit $RC)" \
    sh -c "[ $RC = 0 ] && [ -n '$a' ] && grep -qx 'From: poster@nym.test' '$a' && grep -qx 'Newsgroups: alt.test,misc.test' '$a'"
npost 2
check "a second post of 2 chunks: 4 of 5 chunks today, posted" \
    test "$(with misc.test '^Subject: nym post [12]$')" = 2
npost 3
check "the third would make 6 chunks (limit 5): not posted" \
    test "$(with misc.test '^Subject: nym post 3$')" = 0
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "... and the nym is disabled by the daily limit" grep -q '^poster active,limited' "$T/list"
decrypt_notice "$T/rem/$(ls "$T/rem" | grep '\.msg$' | sort -n | tail -1)" >"$T/ack3"
check "... and the owner is told" grep -q 'has been disabled' "$T/ack3"

# --- Pool delivery counts too: 1 chunk per started 32 KiB of the article. ---
make_nym pooler 'delivery=pool subject="Plain pool words"'
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "a nym with pool delivery and a plain pool subject created" grep -q '^pooler active ' "$T/list"
PD=$T/s3/news/pool
today() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" stats | sed -n 's/^chunks-today //p'; }
# topool N [BODY-FILE]: mail N to pooler; $RC; $NEW is the new pool file's
# chunks (1 per started 32 KiB after the spool's first line), or "none".
topool() {
	local before f
	before=$(ls "$PD" 2>/dev/null | sort)
	{ printf 'From: Bob <bob@example.org>\nTo: pooler@nym.test\nSubject: to the pool %s\n\n' "$1"
	  if [ -n "${2:-}" ]; then cat "$2"; else echo "Pool mail $1."; fi; } >"$T/pm$1"
	nymserv -f bob@example.org pooler <"$T/pm$1"
	f=$(comm -13 <(echo "$before") <(ls "$PD" 2>/dev/null | sort) | grep -v '^$')
	if [ -z "$f" ]; then NEW=none; else
		[ "$(echo "$f" | wc -l)" = 1 ] || { NEW=several; return; }
		NEW=$(( 1 + ($(stat -c %s "$PD/$f") - $(printf 'nymserv-news 1\n' | wc -c)) / 32768 ))
	fi
}
head -c 34000 /dev/urandom | base64 -w 76 >"$T/big-body"
c0=$(today)
topool 1
c1=$(today)
check "a small pool delivery: pooled (exit $RC), 1 chunk, the counter +1 ($c0 -> $c1)" \
    [ "$RC" = 0 -a "$NEW" = 1 -a $((c1 - c0)) = 1 ]
topool 2 "$T/big-body"
c2=$(today)
check "a 46 KB mail: its pool article takes $NEW chunks, the counter grows by as many ($c1 -> $c2)" \
    [ "$RC" = 0 -a "$NEW" -ge 2 -a $((c2 - c1)) = "$NEW" ]
used=$((1 + NEW)) i=3 took=2
while [ $((used + 1)) -le 5 ]; do
	topool $i
	[ "$RC" = 0 -a "$NEW" = 1 ] || break
	used=$((used + 1)) took=$((took + 1)) i=$((i + 1))
done
check "pool deliveries up to the daily limit (5 chunks): $took pooled, $used chunks used" \
    [ "$used" = 5 ]
nrem=$(count_in "$T/rem")
topool $i
check "the next pool delivery would make 6 chunks: refused 5.2.1 (exit $RC), nothing pooled" \
    bash -c "[ $RC = 69 ] && grep -q '5.2.1 mailbox disabled (daily limit)' '$T/out' && [ $NEW = none ]"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "... pooler is disabled by the daily limit" grep -q '^pooler active,limited' "$T/list"
decrypt_notice "$T/rem/$(ls "$T/rem" | grep '\.msg$' | sort -n | tail -1)" >"$T/ackp"
check "... and its owner is told through its reply block (one notice)" \
    bash -c "[ $(count_in "$T/rem") = $((nrem + 1)) ] && grep -q 'pooler@nym.test received more than 5 chunks' '$T/ackp'"
topool $((i + 1))
check "... and the one after is refused as well, nothing pooled" \
    bash -c "[ $RC = 69 ] && [ $NEW = none ]"

# --- The plain pool subject (subject=) is the articles' Subject. ---
n_aam=$(count alt.anonymous.messages)
as_user "$NYM_BIN/mail2news" -c "$T/nymserv.conf" -P >"$T/pout" 2>&1
PRC=$?
check "mail2news -P posts the $took pooled articles (exit $PRC)" \
    bash -c "[ $PRC = 0 ] && [ $(count alt.anonymous.messages) = $((n_aam + took)) ] && ! ls '$PD' | grep -q '^[0-9]'"
check "each with Subject: Plain pool words" \
    test "$(with alt.anonymous.messages '^Subject: Plain pool words$')" = "$took"
a=$(art alt.anonymous.messages '^Subject: Plain pool words$')
check "... Newsgroups alt.anonymous.messages, the gateway's From, no name of the nym or of Bob" \
    bash -c "[ -n '$a' ] && grep -qx 'Newsgroups: alt.anonymous.messages' '$a' && grep -qx 'From: Anonymous <nobody@nym.test>' '$a' && ! grep -qi 'pooler\|bob@' '$a'"
cp "$T/base.conf" "$T/nymserv.conf"
