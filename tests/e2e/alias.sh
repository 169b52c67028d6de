# alias.sh - the alias service end to end by mail: register@/remove@ with
# confirmation, remailing both ways through aliases, refusals, namespace.
. "$(dirname "$0")/../lib.sh"
setup_state "alias_web_url = https://nym.test/cgi-bin/nymreg"

# mail FROM TO SUBJECT [BODY] [EXTRA-HEADER]: a message on stdout, with
# the Authentication-Results our MTA adds for an SPF pass of FROM's
# domain ($AR replaces it; AR=none leaves it out).
mail() {
	case "${AR:-}" in
	none) ;;
	'') printf 'Authentication-Results: nym.test; spf=pass smtp.mailfrom=%s\n' "$1" ;;
	*) printf '%s\n' "$AR" ;;
	esac
	printf 'Received: from pc.%s (pc [192.0.2.9])\n\tby mx.example with ESMTP id 1; Mon, 23 Nov 2026 10:00:00 +0000\n' "${1#*@}"
	printf 'Return-Path: <%s>\n' "$1"
	printf 'DKIM-Signature: v=1; d=%s; s=x;\n\tb=SIG\n' "${1#*@}"
	printf 'From: Real Person <%s>\nSender: %s\nReply-To: %s\n' "$1" "$1" "$1"
	printf 'To: %s\nSubject: %s\n' "$2" "$3"
	printf 'Message-ID: <m%s@pc.%s>\nX-Originating-IP: [192.0.2.9]\n' "$RANDOM" "${1#*@}"
	[ -n "${5:-}" ] && printf '%s\n' "$5"
	printf 'Date: Mon, 23 Nov 2026 11:00:00 +0100\n\n%s\n' "${4:-hello}"
}
# ok_if DESCRIPTION 'shell condition': ok if the condition holds.
ok_if() { local w=$1; shift; if eval "$*"; then ok "$w"; else notok "$w"; fi; }
# The confirmation token in captured message N.
token_of() { grep -o '^Reply-To: <[a-z]*+[0-9a-f]*@' "$T/cap/$1.msg" | sed 's/.*+//; s/@//'; }
last() { ls "$T/cap" | grep '\.msg$' | sort -n | tail -1 | sed 's/\.msg//'; }

# --- registration by mail, with confirmation ---
mail alice@Example.ORG register@nym.test ally >"$T/m"
nymserv -f alice@Example.ORG register <"$T/m"
check "register@: exit 0, one confirmation mail" [ "$RC" = 0 -a "$(captured)" = 1 ]
check "... to the envelope sender (domain lowercased), from nobody@nym.test (envelope_sender)" \
    diff <(printf '%s\n' -f nobody@nym.test -oi -- alice@example.org) "$T/cap/1.args"
TA=$(token_of 1)
check "... carrying a 128-bit token in Reply-To" [ ${#TA} = 32 ]
check "... and the confirmation link" grep -q "^    https://nym.test/cgi-bin/nymreg?t=$TA\$" "$T/cap/1.msg"
check "... quoting the request header" grep -q '^> Subject: ally' "$T/cap/1.msg"
check "... the token is not in the state" bash -c "! grep -rqa '$TA' '$T/s'"

mail bob@example.net ally@nym.test "too early" >"$T/m"
clear_cap
nymserv -f bob@example.net ally <"$T/m"
check "unconfirmed alias does not exist yet: 5.1.1" [ "$RC" = 67 -a "$(head -c 5 "$T/out")" = 5.1.1 ]

# A vacation program answering the confirmation must not confirm it.
mail alice@example.org "register+$TA@nym.test" "Re: Confirm" "away" "Auto-Submitted: auto-replied" >"$T/m"
nymserv -f alice@example.org "register+$TA@nym.test" <"$T/m"
check "auto-submitted reply confirms nothing" [ "$RC" = 0 -a "$(captured)" = 0 ]

mail alice@example.org "register+$TA@nym.test" "Re: Confirm" >"$T/m"
nymserv -f alice@example.org "register+$TA@nym.test" <"$T/m"
ok_if "reply to register+TOKEN confirms: a 'registered' notice" \
    '[ "$RC" = 0 -a "$(captured)" = 1 ] && grep -q "^Subject: Alias ally@nym.test registered" "$T/cap/1.msg"'
clear_cap
nymserv -f alice@example.org "register+$TA@nym.test" <"$T/m"
check "the token is single use" [ "$RC" = 0 -a "$(captured)" = 0 ]

mail bob@example.net register@nym.test "" "Bobby@nym.test" >"$T/m"
nymserv -f bob@example.net register <"$T/m"
TB=$(token_of "$(last)")
check "name on the first body line (alias@host accepted)" grep -q '^Subject: Confirm: register the alias bobby@nym.test' "$T/cap/$(last).msg"
mail someone@else.example "register+$TB@nym.test" "ok" >"$T/m"
nymserv -f someone@else.example "register+$TB@nym.test" <"$T/m"
check "bob's confirmation (the token is the proof, not the sender)" [ "$RC" = 0 ]
# Issue 22, stumble 12: nympolicyd refuses alias mail from senders
# without an alias at RCPT time; it learns who has one from the view.
check "the view holds an entry for each registered address (keyed hash, 'sender')" \
    bash -c "[ \$(grep -lx sender '$T/s/pub/n'/* | wc -l) = 2 ] && ! grep -rq 'example' '$T/s/pub'"

# --- remailing both ways ---
clear_cap
mail alice@example.org bobby@nym.test "hi bob" "Body from Alice.
From: alice@example.org stays in the body" >"$T/m"
nymserv -f alice@example.org bobby <"$T/m"
check "alice -> bobby: delivered (exit 0, one message)" [ "$RC" = 0 -a "$(captured)" = 1 ]
check "... envelope from ally@nym.test to bob's real address" \
    diff <(printf '%s\n' -f ally@nym.test -oi -- bob@example.net) "$T/cap/1.args"
sed '/^$/q' "$T/cap/1.msg" >"$T/h1"
check "... From: <ally@nym.test>" grep -qx 'From: <ally@nym.test>' "$T/h1"
check "... no real address in the delivered header" bash -c "! grep -qi 'alice@example.org\|example\.org' '$T/h1'"
check "... no Received/DKIM/Sender/Reply-To/Return-Path/X-Originating-IP" \
    bash -c "! grep -qiE '^(Received|DKIM-Signature|Sender|Reply-To|Return-Path|X-Originating-IP):' '$T/h1'"
check "... no real host or IP" bash -c "! grep -q '192.0.2.9\|pc\.' '$T/h1'"
check "... Message-ID regenerated" grep -qE '^Message-ID: <[0-9a-f]{24}@nym.test>$' "$T/h1"
check "... real display name dropped" bash -c "! grep -q 'Real Person' '$T/h1'"
check "... body untouched" diff <(sed '1,/^$/d' "$T/m") <(sed '1,/^$/d' "$T/cap/1.msg")
MID=$(sed -n 's/^Message-ID: //p' "$T/h1")

clear_cap
mail bob@example.net ally@nym.test "Re: hi bob" "Hi Alice." "In-Reply-To: $MID" >"$T/m"
nymserv -f bob@example.net ally <"$T/m"
check "bob replies to ally: delivered to alice from bobby@nym.test" \
    diff <(printf '%s\n' -f bobby@nym.test -oi -- alice@example.org) "$T/cap/1.args"
sed '/^$/q' "$T/cap/1.msg" >"$T/h2"
check "... no real address of bob in the header" bash -c "! grep -qi 'bob@example.net\|example\.net' '$T/h2'"
check "... threading kept (In-Reply-To)" grep -qx "In-Reply-To: $MID" "$T/h2"

# --- refusals ---
clear_cap
mail carol@example.com ally@nym.test "hi" >"$T/m"
nymserv -f carol@example.com ally <"$T/m"
check "unregistered sender: exit 77 with 5.7.1" [ "$RC" = 77 -a "$(head -c 5 "$T/out")" = 5.7.1 ]
check "... explaining that an alias must be registered" grep -q 'register an alias' "$T/out"
check "... one line only" [ "$(wc -l <"$T/out")" = 1 ]
check "... nothing sent" [ "$(captured)" = 0 ]
nymserv -f "" ally <"$T/m"
check "null sender: 5.7.1, nothing sent" [ "$RC" = 77 -a "$(captured)" = 0 ]
nymserv -f MAILER-DAEMON@example.com ally <"$T/m"
check "MAILER-DAEMON: 5.7.1, nothing sent" [ "$RC" = 77 -a "$(captured)" = 0 ]
nymserv -f alice@example.org nosuchalias <"$T/m"
check "registered sender to an unknown alias: 5.1.1" [ "$RC" = 67 -a "$(head -c 5 "$T/out")" = 5.1.1 ]

# --- the sender's domain must be authenticated by our MTA ---
mail carol@example.com ally@nym.test hi >"$T/m"
nymserv -f carol@example.com ally <"$T/m"
NOREG=$(cat "$T/out")
# auth_refused WHAT: alice (registered) -> bobby with $AR must be refused
# exactly as the unregistered carol is, and nothing go out.
auth_refused() {
	clear_cap
	mail alice@example.org bobby@nym.test "forged?" >"$T/m"
	nymserv -f alice@example.org bobby <"$T/m"
	ok_if "$1: refused 5.7.1 like an unregistered sender, nothing sent" \
	    '[ "$RC" = 77 ] && [ "$(cat "$T/out")" = "$NOREG" ] && [ "$(captured)" = 0 ]'
}
AR=none auth_refused "registered sender, no Authentication-Results"
AR='Authentication-Results: mx.elsewhere.example; spf=pass smtp.mailfrom=alice@example.org' \
    auth_refused "registered sender, a pass from another authserv-id"
AR='Authentication-Results: nym.test; spf=softfail smtp.mailfrom=alice@example.org' \
    auth_refused "registered sender, SPF softfail"
AR='Authentication-Results: nym.test; spf=pass smtp.mailfrom=mallory@evil.example' \
    auth_refused "registered sender, SPF pass for another domain"
AR='Authentication-Results: nym.test; dkim=pass header.d=evil.example' \
    auth_refused "registered sender, DKIM of a domain not aligned with From"
# The sender's own field sits below our MTA's Received: it counts for nothing.
auth_refused_below() {
	clear_cap
	AR=none mail alice@example.org bobby@nym.test "forged below" "" \
	    "Authentication-Results: nym.test; spf=pass smtp.mailfrom=alice@example.org" >"$T/m"
	nymserv -f alice@example.org bobby <"$T/m"
	ok_if "registered sender, our authserv-id's pass below the Received field: refused, nothing sent" \
	    '[ "$RC" = 77 ] && [ "$(cat "$T/out")" = "$NOREG" ] && [ "$(captured)" = 0 ]'
}
auth_refused_below
AR='Authentication-Results: nym.test; spf=pass smtp.mailfrom=alice@example.org (unclosed' \
    auth_refused "registered sender, an unreadable field"
clear_cap
AR='Authentication-Results: nym.test; dkim=pass header.d=example.org header.i=@example.org' \
    mail alice@example.org bobby@nym.test "dkim" >"$T/m"
nymserv -f alice@example.org bobby <"$T/m"
check "registered sender, DKIM pass aligned with From: rewritten and sent" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
check "... no Authentication-Results left in what went out" \
    bash -c "! grep -qi '^Authentication-Results' '$T/cap/1.msg'"
clear_cap
mail MAILER-DAEMON@example.com register@nym.test zed >"$T/m"
nymserv -f MAILER-DAEMON@example.com register <"$T/m"
check "register@ from MAILER-DAEMON: not answered" [ "$RC" = 0 -a "$(captured)" = 0 ]
nymserv -f "" register <"$T/m"
check "register@ from the null sender: not answered" [ "$RC" = 0 -a "$(captured)" = 0 ]

# --- the shared namespace ---
mail carol@example.com register@nym.test ally >"$T/m"
nymserv -f carol@example.com register <"$T/m"
ok_if "a taken alias: a notice, no token" \
    'grep -q "^Subject: Alias ally@nym.test is not available" "$T/cap/$(last).msg" &&
    ! grep -q "^Reply-To:" "$T/cap/$(last).msg"'
clear_cap
mail dave@example.com register@nym.test help >"$T/m"
nymserv -f dave@example.com register <"$T/m"
check "a reserved name (help): not understood, no token" \
    grep -q '^Subject: Alias request not understood' "$T/cap/1.msg"
# A nym's name cannot become an alias (the nym is put into the nyms table
# directly: creating nyms is another module's business).
if command -v mdb_load >/dev/null; then
	printf 'takenym\nx\n' | state_load nyms 2>"$T/mdb.err"
	clear_cap
	mail erin@example.com register@nym.test takenym >"$T/m"
	nymserv -f erin@example.com register <"$T/m"
	check "a nym's name: 'not available' notice, no token" \
	    grep -q '^Subject: Alias takenym@nym.test is not available' "$T/cap/1.msg"
else
	skip "nym/alias collision: mdb_load (lmdb-utils) not installed"
fi

# Both directions through config@, when the accounts module is present.
if declare -F make_nym >/dev/null && [ -f "$REPO/contrib/nymcfg" ]; then
	mkdir -p "$T/rem"
	[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/rem"
	echo "remail = $T/capture-sendmail $T/rem" >>"$T/nymserv.conf"
	client_init
	make_nym realnym
	clear_cap
	mail henry@example.com register@nym.test realnym >"$T/m"
	nymserv -f henry@example.com register <"$T/m"
	check "a nym made by config@: its name cannot become an alias" \
	    grep -q '^Subject: Alias realnym@nym.test is not available' "$T/cap/1.msg"
	mkkey ally
	printf '::\nAnon-To: ally@real.example\n' >"$T/blk-ally"
	nymcfg -n ally -u ally -k -c create -b "$T/blk-ally" >"$T/create-ally"
	n=$(count_in "$T/rem")
	nymserv -f someone@example.org config <"$T/create-ally"
	# (If this fails with exit 75 "cannot update the state", account.c's
	# plan does not check DB_ALIASES before its apply step does.)
	ok_if "an alias's name: config@ create refused, 'taken' (exit $RC)" \
	    '[ "$RC" = 0 ] && decrypt_notice "$T/rem/$((n + 1)).msg" | grep -q "is taken"'
	ok_if "... and no nym ally exists" \
	    '! as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | grep -q "^ally "'
	clear_cap
else
	skip "nym/alias collision through config@: the accounts module is not in this tree"
fi

# --- a sendmail failure is retried, and the retry is answered ---
clear_cap
mail frank@example.com register@nym.test frank >"$T/m"
touch "$T/cap/fail-once"
nymserv -f frank@example.com register <"$T/m"
check "sendmail failing: exit 75" [ "$RC" = 75 -a "$(captured)" = 0 ]
nymserv -f frank@example.com register <"$T/m"
check "... the MTA's retry is answered (not throttled)" [ "$RC" = 0 -a "$(captured)" = 1 ]
nymserv -f frank@example.com register <"$T/m"
check "a repeat within 10 minutes: no second mail to that address" [ "$RC" = 0 -a "$(captured)" = 1 ]
clear_cap
mail alice@example.org bobby@nym.test "x" >"$T/m"
touch "$T/cap/fail-once"
nymserv -f alice@example.org bobby <"$T/m"
check "remailing with sendmail failing: exit 75" [ "$RC" = 75 -a "$(captured)" = 0 ]

# --- nymreg as a CGI program, without a web server ---
# cgi METHOD QUERY [BODY]: run bin/nymreg as the web server would.
cgi() {
	local len=${3+${#3}}
	printf '%s' "${3:-}" | as_user REQUEST_METHOD="$1" QUERY_STRING="$2" \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    CONTENT_LENGTH="${len:-}" NYMREG_CONF="$T/nymserv.conf" \
	    "$NYM_BIN/nymreg" >"$T/cgi.out" 2>&1
	RC=$?
}
cgi GET ""
ok_if "nymreg GET: 200, the form" '[ "$RC" = 0 ] && grep -q "^Status: 200" "$T/cgi.out" && grep -q "name=\"email\"" "$T/cgi.out"'
# form_says TEXT: the page holds TEXT (line breaks read as spaces).
form_says() { tr '\n' ' ' <"$T/cgi.out" | grep -qF -- "$1"; }
# What the form says is checked: the sentences of nymreg.c's form_page.
said=0
for p in "mail is rewritten only when this server's mail system has authenticated the sender's domain" \
    "an SPF pass for the domain of the envelope sender" \
    "or a valid DKIM signature of the domain in From (aligned as DMARC asks)" \
    "Other mail from your address is refused, with the same answer as mail from an address without an alias" \
    "The check is per domain: your mail provider, and anyone it lets use your domain, could send as you" \
    "Whoever controls it - its operator, or anyone who takes or compels the machine or its operator - can see who is behind every alias" \
    "This server keeps no log of the messages it passes on."; do
	form_says "$p" && said=$((said + 1))
done
check "the form says what is authenticated (SPF of the envelope sender or aligned DKIM, per domain), who can see behind an alias, and that no log is kept: $said of 7 sentences" \
    [ "$said" = 7 ]
clear_cap
cgi POST "" "alias=ivan&email=ivan%40example.com&action=register"
ok_if "nymreg POST register: 200 'check your mail', the request handed on as mail" \
    '[ "$(captured)" = 1 ] && grep -q "^Status: 200" "$T/cgi.out" && grep -q "check your mail" "$T/cgi.out"'
check "... from ivan@example.com to register@nym.test, Subject ivan" \
    bash -c "diff <(printf '%s\n' -f ivan@example.com -oi -- register@nym.test) '$T/cap/1.args' && grep -qx 'Subject: ivan' '$T/cap/1.msg'"
pass_on 1
ok_if "... nymserv answers it: one confirmation mailed to ivan" \
    '[ "$RC" = 0 ] && [ "$(captured)" = 2 ] && [ "$(tail -1 "$T/cap/2.args")" = ivan@example.com ]'
TI=$(grep -o '?t=[0-9a-f]\{32\}' "$T/cap/2.msg" | head -1 | sed 's/?t=//')
cgi GET "t=$TI"
check "nymreg GET ?t=TOKEN shows a Confirm button" grep -q 'id="confirm"' "$T/cgi.out"
mail ivan@example.com bobby@nym.test "x" >"$T/m"
nymserv -f ivan@example.com bobby <"$T/m"
check "... and registers nothing (ivan is refused 5.7.1)" [ "$RC" = 77 ]
clear_cap
cgi POST "" "t=$TI&action=confirm"
ok_if "nymreg POST confirm: 'passed on', handed on to register+TOKEN@" \
    'grep -q "confirmation is passed on" "$T/cgi.out" && [ "$(tail -1 "$T/cap/1.args")" = "register+$TI@nym.test" ]'
pass_on 1
ok_if "... nymserv registers ivan and tells ivan's address" \
    '[ "$RC" = 0 ] && grep -q "^Subject: Alias ivan@nym.test registered" "$T/cap/2.msg" && [ "$(tail -1 "$T/cap/2.args")" = ivan@example.com ]'
clear_cap
cgi POST "" "t=${TI%?}x&action=confirm"
ok_if "nymreg: a malformed token: 400, nothing handed on" \
    'grep -q "^Status: 400" "$T/cgi.out" && [ "$(captured)" = 0 ]'
clear_cap
cgi POST "" "$(head -c 5000 /dev/zero | tr '\0' a)"
check "nymreg: a body over 4096 bytes is refused (400)" grep -q '^Status: 400' "$T/cgi.out"
printf 'alias=x' | as_user REQUEST_METHOD=POST CONTENT_TYPE=application/x-www-form-urlencoded \
    CONTENT_LENGTH=100 NYMREG_CONF="$T/nymserv.conf" "$NYM_BIN/nymreg" >"$T/cgi.out" 2>&1
check "nymreg: a short body is refused (400)" grep -q '^Status: 400' "$T/cgi.out"
cgi POST "" "alias=x%0d%0aBcc:%20y&email=a%40b.org&action=register"
check "nymreg: CR LF in a field is refused (400)" grep -q '^Status: 400' "$T/cgi.out"
cgi POST "" "alias=%3Cb%3Ehi&email=a%40b.org&action=register"
ok_if "nymreg: a bad alias is refused (400) and nothing of it echoed" \
    'grep -q "^Status: 400" "$T/cgi.out" && ! grep -q "<b>hi" "$T/cgi.out"'
cgi PUT ""
check "nymreg: PUT is refused (405)" grep -q '^Status: 405' "$T/cgi.out"
clear_cap
cgi POST "" "email=x%40nym.test&action=remove"
ok_if "nymreg: an address in our domain is refused, nothing sent" \
    'grep -q "^Status: 400" "$T/cgi.out" && [ "$(captured)" = 0 ]'
if [ "$(id -u)" = 0 ]; then
	REQUEST_METHOD=GET NYMREG_CONF="$T/nymserv.conf" "$NYM_BIN/nymreg" >"$T/cgi.out" 2>&1
	check "nymreg refuses to run as root (503)" grep -q '^Status: 503' "$T/cgi.out"
fi
cp "$T/nymserv.conf" "$T/good.conf"
echo "alias_rate = 1" >>"$T/nymserv.conf"
clear_cap
cgi POST "" "alias=jack&email=jack%40example.com&action=register"
cgi POST "" "alias=kate&email=kate%40example.com&action=register"
pass_on 1
R1=$RC
pass_on 2
ok_if "nymreg: over alias_rate a minute: 200 for the browser; nymserv defers (75), no mail for it" \
    'grep -q "^Status: 200" "$T/cgi.out" && [ "$RC" = 75 ] && [ "$(captured)" -le 3 ]'
cp "$T/good.conf" "$T/nymserv.conf"
echo "alias_enabled = no" >>"$T/nymserv.conf"
cgi GET ""
check "nymreg with alias_enabled = no: 404" grep -q '^Status: 404' "$T/cgi.out"
cp "$T/good.conf" "$T/nymserv.conf"
clear_cap

# --- the optional message log: off by default ---
check "no message log by default" bash -c "! ls '$T/s' | grep -qi log"
cp "$T/nymserv.conf" "$T/good.conf"
echo "alias_log = $T/s/alias.log" >>"$T/nymserv.conf"
cgi GET ""
check "with alias_log the form says a log of which alias mailed which is kept" \
    bash -c "[ $RC = 0 ] && tr '\n' ' ' <'$T/cgi.out' | grep -qF 'This server also keeps a log of which alias mailed which.' && ! grep -qF 'keeps no log' '$T/cgi.out'"
mail alice@example.org bobby@nym.test "logged" >"$T/m"
nymserv -f alice@example.org bobby <"$T/m"
ok_if "alias_log: one line with aliases only" \
    '[ "$RC" = 0 ] && grep -qP "\tally\tbobby\t[0-9]+$" "$T/s/alias.log" &&
    ! grep -q example "$T/s/alias.log"'
cp "$T/good.conf" "$T/nymserv.conf"

# --- removal ---
clear_cap
mail alice@example.org remove@nym.test "" " " >"$T/m"
nymserv -f alice@example.org remove <"$T/m"
check "remove@: confirmation for ally" grep -q '^Subject: Confirm: remove the alias ally@nym.test' "$T/cap/1.msg"
TR=$(token_of 1)
check "... Reply-To remove+TOKEN" grep -q "^Reply-To: <remove+$TR@nym.test>" "$T/cap/1.msg"
mail bob@example.net ally@nym.test "still there" >"$T/m"
nymserv -f bob@example.net ally <"$T/m"
check "... nothing changes before confirmation" [ "$RC" = 0 ]
mail alice@example.org "remove+$TR@nym.test" "ok" >"$T/m"
nymserv -f alice@example.org "remove+$TR@nym.test" <"$T/m"
check "... confirmed: 'removed' notice" grep -q '^Subject: Alias ally@nym.test removed' "$T/cap/$(last).msg"
clear_cap
mail bob@example.net ally@nym.test "gone?" >"$T/m"
nymserv -f bob@example.net ally <"$T/m"
check "removed alias: 5.1.1" [ "$RC" = 67 -a "$(captured)" = 0 ]
check "... and its owner's 'sender' entry is gone from the view" \
    [ "$(grep -lx sender "$T/s/pub/n"/* 2>/dev/null | wc -l)" = "$(state_dump addrs 2>/dev/null | sed '1,/^HEADER=END/d' | grep -c '^ ' | awk '{print int($1/2)}')" ]
mail alice@example.org bobby@nym.test "me?" >"$T/m"
nymserv -f alice@example.org bobby <"$T/m"
check "removed sender: 5.7.1" [ "$RC" = 77 -a "$(captured)" = 0 ]

# --- switched off ---
echo "alias_enabled = no" >>"$T/nymserv.conf"
mail bob@example.net bobby@nym.test "x" >"$T/m"
nymserv -f bob@example.net bobby <"$T/m"
check "alias_enabled = no: aliases are unknown (5.1.1)" [ "$RC" = 67 -a "$(captured)" = 0 ]
nymserv -f bob@example.net register <"$T/m"
check "alias_enabled = no: register@ unknown (5.1.1)" [ "$RC" = 67 -a "$(captured)" = 0 ]
cp "$T/good.conf" "$T/nymserv.conf"

# --- its own domain ---
echo "alias_domain = Anon.Test" >>"$T/nymserv.conf"
mail gina@example.com register@nym.test gina >"$T/m"
nymserv -f gina@example.com register <"$T/m"
check "alias_domain: the confirmation names gina@anon.test" \
    grep -q '^Subject: Confirm: register the alias gina@anon.test' "$T/cap/$(last).msg"
TC=$(token_of "$(last)")
nymserv -f gina@example.com "register+$TC@nym.test" <"$T/m"
clear_cap
mail gina@example.com bobby@anon.test "own domain" >"$T/m"
nymserv -f gina@example.com bobby@anon.test <"$T/m"
check "alias_domain: sender is gina@anon.test" \
    diff <(printf '%s\n' -f gina@anon.test -oi -- bob@example.net) "$T/cap/1.args"
ok_if "... From and Message-ID in that domain" \
    'grep -qx "From: <gina@anon.test>" "$T/cap/1.msg" &&
    grep -q "^Message-ID: <.*@anon.test>" "$T/cap/1.msg"'
cp "$T/good.conf" "$T/nymserv.conf"
