#!/usr/bin/env bash
# tests/e2e/review-news.sh - the hostile review of the news gateway
# (SECURITY.md section 5), against the private INN: an article of ours
# mailed back (a posting loop), Followup-To past the caps, and what the
# log keeps of a refusal that names a group (ours or the peer's).
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/innlib.sh"
if [ ! -x "$NYM_BIN/mail2news" ]; then
	skip "review-news: bin/mail2news is not built"
	exit 0
fi
inn_available || exit 0
trap 'inn_cleanup; cleanup' EXIT
inn_setup
if inn_start; then ok "private INN started on 127.0.0.1:$INN_PORT"; else
	notok "private INN started"; exit 1
fi
setup_state "news_peers = 127.0.0.1:$INN_PORT" "news_max_groups = 3" \
    "remail = $NYM_BIN/remail -c $T/nymserv.conf"
HOMES+=("$T/s/remail-gnupg")

# m2n FILE: mail2news -v as the MTA runs it; $RC, stdout in $T/out, the
# log lines (-v copies them to stderr) in $T/log.
m2n() {
	as_user "$NYM_BIN/mail2news" -v -c "$T/nymserv.conf" \
	    -f someone@example.org <"$1" >"$T/out" 2>"$T/log"
	RC=$?
}
arts() { rm -rf "$T/f"; mkdir "$T/f"; nntp_get fetch "$1" "$T/f" >/dev/null; }
art() { arts "$1"; grep -l -- "$2" "$T"/f/* 2>/dev/null | tail -1; }
count() { nntp_get count "$1"; }
queued() { ls "$T/s/news/out" 2>/dev/null | grep -c '^[0-9]*\.[0-9a-f]*$'; }

# --- A posting loop: our article, mailed back to mail2news@ by a news-to-mail
# gateway (a list fed from the group), must not be posted again. ---
printf 'From: a@example.org\nNewsgroups: alt.test\nSubject: loop seed\n\nround one\n' >"$T/m1"
m2n "$T/m1"
a=$(art alt.test '^Subject: loop seed$')
check "the seed article is posted (exit $RC)" sh -c "[ $RC = 0 ] && [ -n '$a' ]"
n=$(count alt.test)
# What a gateway mails: the article's header and body, a To: of ours.
{ printf 'To: mail2news@nym.test\n'; cat "$a"; } >"$T/back"
m2n "$T/back"
check "the article mailed back is refused as a loop (69, 5.4.6)" \
    sh -c "[ $RC = 69 ] && grep -q '^5.4.6 ' '$T/out'"
check "... nothing more in alt.test, nothing queued" \
    sh -c "[ $(count alt.test) = $n ] && [ $(queued) = 0 ]"
# Through remail's Anon-Post-To: a pasted Path is not in remail's paste
# list (held): the article carries the gateway's Path alone.
printf '::\nAnon-Post-To: alt.test\n\n##\nPath: far.example!nym.test!not-for-mail\nSubject: loop via remail\n\nround two\n' >"$T/rp"
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/rp" >"$T/out" 2>&1
RC=$?
a=$(art alt.test '^Subject: loop via remail$')
check "remail: a pasted Path is dropped, the post has ours (exit $RC)" \
    sh -c "[ $RC = 0 ] && [ -n '$a' ] && grep -qx 'Path: inn.test.invalid!nym.test!not-for-mail' '$a'"
n=$(count alt.test)
printf 'From: a@example.org\nNewsgroups: alt.test\nPath: far.example!news.example!not-for-mail\nSubject: not a loop\n\nfrom elsewhere\n' >"$T/m2"
m2n "$T/m2"
check "another site's Path is no loop: posted (exit $RC)" \
    sh -c "[ $RC = 0 ] && [ $(count alt.test) = $((n + 1)) ]"

# --- Followup-To is a crosspost too: the same cap. ---
printf 'From: a@example.org\nNewsgroups: alt.test\nFollowup-To: alt.a,alt.b,alt.c,alt.d,alt.e,alt.f\nSubject: fan out\n\nfollow me\n' >"$T/fu"
n=$(count alt.test)
m2n "$T/fu"
check "Followup-To with 6 groups (cap 3) is refused 5.7.1 (exit $RC)" \
    sh -c "[ $RC = 77 ] && grep -q '^5.7.1 Followup-To' '$T/out' && [ $(count alt.test) = $n ]"

# --- A refusal names the group to the sender, never to the log. ---
cp "$T/nymserv.conf" "$T/base.conf"
echo "news_groups = alt.* misc.test" >>"$T/nymserv.conf"
printf 'From: a@example.org\nNewsgroups: alt.test,comp.secret.leak\nSubject: where\n\nx\n' >"$T/m3"
m2n "$T/m3"
check "a group outside news_groups: 77 5.7.1, named to the sender" \
    sh -c "[ $RC = 77 ] && grep -q '^5.7.1 .*comp.secret.leak' '$T/out'"
check "... the log line is there and names no group" \
    sh -c "grep -q 'refused: 5.7.1' '$T/log' && ! grep -q 'comp\.secret\|alt\.test' '$T/log'"
cp "$T/base.conf" "$T/nymserv.conf"
printf 'From: a@example.org\nNewsgroups: alt.mod.test\nSubject: to the moderator\n\nx\n' >"$T/m4"
m2n "$T/m4"
check "INN refuses a moderated post: 69 5.3.0, its text to the sender" \
    sh -c "[ $RC = 69 ] && grep -q '^5.3.0 every news server refused the article: 437' '$T/out'"
check "... the log has the code, not INN's text naming the group" \
    sh -c "grep -q 'refused an article (437)' '$T/log' && grep -q 'refused: 5.3.0' '$T/log' && ! grep -q 'alt\.mod' '$T/log'"
printf '::\nAnon-Post-To: alt.test,comp.secret.leak\n\n##\nSubject: via remail\n\nx\n' >"$T/rp2"
echo "news_groups = alt.*" >>"$T/nymserv.conf"
as_user "$NYM_BIN/remail" -v -c "$T/nymserv.conf" <"$T/rp2" >"$T/out" 2>"$T/log"
RC=$?
check "remail: a denied group refused 77, the log names no group" \
    sh -c "[ $RC = 77 ] && grep -q 'refused: 5.7.1' '$T/log' && ! grep -q 'comp\.secret' '$T/log' '$T/out'"
cp "$T/base.conf" "$T/nymserv.conf"


# --- A deleted nym's article waiting in the news spool (every peer down)
# goes with the nym at the scrub: its From would outlive the delete. ---
mkdir -p "$T/s3" "$T/rem"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/s3" "$T/rem"
{ sed "s|^statedir = .*|statedir = $T/s3|; /^remail = /d; s|^news_peers = .*|news_peers = 127.0.0.1:1|" "$T/base.conf"
  printf 'remail = %s/capture-sendmail %s/rem\nconfirm = no\n' "$T" "$T"; } >"$T/nymserv.conf"
HOMES+=("$T/s3/gnupg")
fresh_store "$T/nymserv.conf"	# its own state under PostgreSQL too
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 >/dev/null 2>&1
client_init
make_nym ghostwriter
make_nym keeper
for n in ghostwriter keeper; do
	printf 'From: %s\nNewsgroups: alt.test\nSubject: queued by %s\n\nWaits for a peer.\n' "$n" "$n" |
	    nymsend -u "$n" >"$T/np-$n"
	nymserv -f someone@example.org send <"$T/np-$n"
	check "$n: send@ with Newsgroups, every peer down: queued (exit $RC)" \
	    sh -c "[ $RC = 0 ] && grep -rqx 'From: $n@nym.test' '$T/s3/news/out'"
done
nymcfg -n ghostwriter -u ghostwriter -c delete >"$T/del-gw"
nymserv -f someone@example.org config <"$T/del-gw"
check "ghostwriter: the signed delete is done" [ "$RC" = 0 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" scrub >"$T/scrub.out" 2>&1
check "the scrub ran (exit $?)" grep -Eq 'scrub: (state compacted|table rewritten)' "$T/scrub.out"
check "... the deleted nym's queued article is gone from the spool" \
    sh -c "! grep -raq 'ghostwriter' '$T/s3/news'"
check "... a live nym's queued article stays" \
    grep -rqx 'From: keeper@nym.test' "$T/s3/news/out"
cp "$T/base.conf" "$T/nymserv.conf"
