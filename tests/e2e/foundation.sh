# foundation.sh - nymserv's exit contract and autoresponders, end to end:
# .eml files through bin/nymserv with a capture stand-in for sendmail.
. "$(dirname "$0")/../lib.sh"
D=$REPO/tests/data
# Many answers go to one address here; the per-address limit
# (answer_limit) is tested in autoreply.sh.
setup_state "answer_limit = 1000"
check "nymctl init makes state and keys" grep -q '^serverkey: ' "$T/init.out"

# --- table-driven cases (tests/data/cases.tsv) ---
while IFS=$'\t' read -r eml rcpt sender code word answers to; do
	case "$eml" in '#'*|'') continue ;; esac
	clear_cap
	[ "$sender" = "<>" ] && sender=""
	nymserv -f "$sender" "$rcpt" <"$D/$eml"
	got_word=$(head -c 5 "$T/out")
	[ "$word" = "-" ] && word=""
	n=$(captured)
	what="$eml to $rcpt from '${sender:-<>}': exit $code, '$word', $answers answer(s)"
	if [ "$RC" = "$code" ] && [ "$got_word" = "$word" ] && [ "$n" = "$answers" ] &&
	    { [ "$to" = "-" ] || [ "$(tail -n 1 "$T/cap/1.args")" = "$to" ]; }; then
		ok "$what"
	else
		notok "$what (got exit $RC, '$(head -c 80 "$T/out")', $n answer(s))"
	fi
done <"$D/cases.tsv"

# --- the help answer itself ---
clear_cap
nymserv -f alice@example.org help <"$D/help-normal.eml"
A=$T/cap/1.msg
check "help: envelope is -f nobody@nym.test -oi -- address (envelope_sender: in the nym domain)" \
    diff <(printf '%s\n' -f nobody@nym.test -oi -- alice-replies@example.org) "$T/cap/1.args"
check "help: request header quoted line by line" \
    grep -qx '> Received: from client.example.org (client.example.org \[192.0.2.7\])' "$A"
check "help: folded line quoted too" \
    grep -qx '> 	by mx.example.org with ESMTP id 4AbC; Mon, 23 Nov 2026 10:00:00 +0000' "$A"
check "help: request body not quoted" bash -c "! grep -q 'Please send help' '$A'"
check "help: X-Loop" grep -qx 'X-Loop: nym.test' "$A"
check "help: Auto-Submitted" grep -qx 'Auto-Submitted: auto-replied' "$A"
check "help: In-Reply-To" grep -qx 'In-Reply-To: <req-1@example.org>' "$A"
check "help: References" grep -qx 'References: <req-1@example.org>' "$A"
check "help: help text with hostname" grep -q 'This is the nym server at nym.test' "$A"
check "help: Subject Re:" grep -qx 'Subject: Re: how does this work?' "$A"
# Our own answer sent back to us must not be answered (loop).
cp "$A" "$T/answer.eml"
clear_cap
nymserv -f alice@example.org help <"$T/answer.eml"
check "help: our own answer fed back is not answered" [ "$RC" = 0 -a "$(captured)" = 0 ]

# --- temporary failures: exit 75, nothing half-written ---
clear_cap
echo 1 >"$T/cap/exit"
nymserv -f alice@example.org help <"$D/help-normal.eml"
check "sendmail exiting 1 makes nymserv exit 75" [ "$RC" = 75 ]
check "... and says 4.3.0" grep -q '^4.3.0 ' "$T/out"
rm -f "$T/cap/exit"

if [ "${NYM_STORE:-lmdb}" = postgresql ]; then
	# (pg-outage.sh: the database down is 75, nothing lost)
	skip "unwritable state directory: the state is in PostgreSQL"
else
	chmod -R a-w "$T/s"
	nymserv -f alice@example.org help <"$D/help-normal.eml"
	check "unwritable state directory: exit 75, nothing sent" \
	    [ "$RC" = 75 -a "$(captured)" = 0 ]
	chmod -R u+w "$T/s"
fi

mv "$T/s/gnupg" "$T/s/gnupg.away"
nymserv -f alice@example.org help <"$D/help-normal.eml"
check "missing GnuPG home: exit 75, nothing sent" \
    [ "$RC" = 75 -a "$(captured)" = 0 ]
mv "$T/s/gnupg.away" "$T/s/gnupg"

cp "$T/nymserv.conf" "$T/good.conf"
echo 'max_recipients = many' >>"$T/nymserv.conf"
nymserv -f alice@example.org help <"$D/help-normal.eml"
check "broken configuration: exit 75 naming file and line" \
    [ "$RC" = 75 -a "$(captured)" = 0 ]
check "... the message names the line" grep -q 'nymserv.conf:[0-9]*: max_recipients' "$T/out"
echo 'frobnicate = 1' >"$T/nymserv.conf.2"
cat "$T/good.conf" "$T/nymserv.conf.2" >"$T/nymserv.conf"
nymserv -f alice@example.org help <"$D/help-normal.eml"
check "unknown configuration key: exit 75" [ "$RC" = 75 ]
cp "$T/good.conf" "$T/nymserv.conf"
as_user "$NYM_BIN/nymserv" -c "$T/missing.conf" help <"$D/help-normal.eml" >"$T/out" 2>&1
check "missing configuration file: exit 75" [ "$?" = 75 ]

# --- size cap: permanent 5.3.4 ---
echo 'max_message_size = 2k' >>"$T/nymserv.conf"
{ cat "$D/help-normal.eml"; head -c 5000 /dev/zero | tr '\0' 'x'; } >"$T/big.eml"
nymserv -f alice@example.org help <"$T/big.eml"
check "over the size cap: 5.3.4, exit 65" [ "$RC" = 65 -a "$(head -c 5 "$T/out")" = 5.3.4 ]
cp "$T/good.conf" "$T/nymserv.conf"

# --- header caps: permanent ---
{ for i in $(seq 1200); do echo "X-Junk: $i"; done; echo; echo body; } >"$T/hdr.eml"
nymserv -f alice@example.org help <"$T/hdr.eml"
check "too many header lines: 5.6.0, exit 65" [ "$RC" = 65 -a "$(head -c 5 "$T/out")" = 5.6.0 ]

# --- qmail mode and environment ---
nymserv -Q -f alice@example.org no-such-nym <"$D/help-normal.eml"
check "-Q: permanent refusal is 100" [ "$RC" = 100 ]
echo 1 >"$T/cap/exit"
nymserv -Q -f alice@example.org help <"$D/help-normal.eml"
check "-Q: temporary failure is 111" [ "$RC" = 111 ]
clear_cap
as_user DEFAULT=help SENDER=alice@example.org "$NYM_BIN/nymserv" -Q \
    -c "$T/nymserv.conf" <"$D/help-normal.eml" >"$T/out" 2>&1
check "qmail environment: DEFAULT and SENDER used" [ "$?" = 0 -a "$(captured)" = 1 ]
clear_cap
as_user RECIPIENT=help@nym.test SENDER= "$NYM_BIN/nymserv" \
    -c "$T/nymserv.conf" <"$D/help-normal.eml" >"$T/out" 2>&1
check "qmail environment: RECIPIENT, null SENDER not answered" [ "$?" = 0 -a "$(captured)" = 0 ]

# --- alarm and SIGTERM end in 75 ---
# The stand-in sendmail hangs ten minutes; the alarm (1 s) must end the
# run long before that, whatever the load.
echo 'timeout = 1' >>"$T/nymserv.conf"
echo 600 >"$T/cap/sleep"
start=$SECONDS
nymserv -f alice@example.org help <"$D/help-normal.eml"
check "alarm: exit 75 'timed out', long before the hung sendmail ends" \
    [ "$RC" = 75 -a $((SECONDS - start)) -lt 300 ]
check "... and says so" grep -q '^4.3.0 timed out' "$T/out"
cp "$T/good.conf" "$T/nymserv.conf"
rm -f "$T/cap/asleep"
as_user "$NYM_BIN/nymserv" -c "$T/nymserv.conf" -f alice@example.org help \
    <"$D/help-normal.eml" >"$T/out" 2>&1 &
pid=$!
# SIGTERM while nymserv waits for the hung sendmail.
check "SIGTERM: nymserv reached sendmail" wait_until test -e "$T/cap/asleep"
pkill -TERM -P "$pid" nymserv 2>/dev/null || pkill -TERM -f "nymserv -c $T/nymserv.conf"
wait "$pid"
check "SIGTERM: exit 75" [ "$?" = 75 ]
check "SIGTERM: nothing was handed on" [ "$(captured)" = 0 ]
rm -f "$T/cap/sleep"
clear_cap

# --- twenty at once against one state directory ---
pids=()
for i in $(seq 20); do
	as_user "$NYM_BIN/nymserv" -c "$T/nymserv.conf" -f "u$i@example.org" list \
	    <"$D/help-no-replyto.eml" >"$T/out.$i" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "20 concurrent runs all succeed ($fails failed: $(cat "$T"/out.* | sort | uniq -c | head -3))" [ "$fails" = 0 ]
check "... and 20 answers were handed on ($(captured))" [ "$(captured)" = 20 ]

# --- never as root ---
if [ "$(id -u)" = 0 ]; then
	"$NYM_BIN/nymserv" -c "$T/nymserv.conf" -f alice@example.org help \
	    <"$D/help-normal.eml" >"$T/out" 2>&1
	check "as root: refuses with exit 75" [ "$?" = 75 ]
fi

# --- server keys for clients ---
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" export-keys >"$T/keys.asc"
check "export-keys prints two armored keys" \
    [ "$(grep -c 'BEGIN PGP PUBLIC KEY BLOCK' "$T/keys.asc")" = 2 ]
mkdir -m 700 "$T/g"
HOMES+=("$T/g")
gpg --homedir "$T/g" --batch --quiet --import "$T/keys.asc" 2>/dev/null
gpg --homedir "$T/g" --batch --with-colons --list-keys >"$T/keys.lst" 2>/dev/null
for u in config send remailer; do
	check "exported keys carry $u@nym.test" grep -q "^uid.*<$u@nym.test>" "$T/keys.lst"
done
check "each exported key has an encryption subkey" \
    [ "$(grep -c '^sub:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:e' "$T/keys.lst")" = 2 ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" init -t ed25519 >"$T/init2.out" 2>&1
check "init again keeps the keys" grep -q 'exists' "$T/init2.out"
srvfpr=$(sed -n 's/^serverkey: \([0-9A-F]*\).*/\1/p' "$T/init.out")
check "the server key is gpg's default-key in its home, once (signing lists no keys)" \
    sh -c "[ \$(grep -c '^default-key ' '$T/s/gnupg/gpg.conf') = 1 ] &&
        grep -qx 'default-key $srvfpr' '$T/s/gnupg/gpg.conf'"
