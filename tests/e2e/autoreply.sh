# autoreply.sh - finding 7: help@ quoted a 7 MB request header back in
# full to a forged Reply-To (an amplifier and a spam relay), list@ grew
# with the number of names.  Every automatic answer is bounded now (the
# quoted header cut at 8 KiB with a note, list@ at a few hundred names),
# and each requester address gets at most answer_limit answers an hour
# from each responder, counted under a keyed hash that expires (no
# readable address in the state).  Real LMDB throughout.
. "$(dirname "$0")/../lib.sh"
D=$REPO/tests/data
setup_state
answers_to() { grep -lx -- "$1" "$T"/cap/*.args 2>/dev/null | wc -l; }
size_of() { wc -c <"$1"; }

# A request whose header is ~7 MB of spam lines (900 lines of 8,000
# bytes: within max_line_length and max_header_lines, as on main).
python3 - "$T/big.eml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: Someone <someone@example.net>\n")
    f.write("Reply-To: victim@example.org\n")
    f.write("To: help@nym.test\nSubject: help\n")
    for i in range(900):
        f.write("X-Spam-%d: " % i + ("BUY CHEAP PILLS AT spam.example " * 250)[:7990] + "\n")
    f.write("\nplease\n")
PY
check "the request header is over 7 MB" [ "$(size_of "$T/big.eml")" -gt 7000000 ]
nymserv -f someone@example.net help <"$T/big.eml"
check "finding 7: help@ with a 7 MB header: exit 0, one answer to the Reply-To" \
    [ "$RC" = 0 -a "$(captured)" = 1 -a "$(answers_to victim@example.org)" = 1 ]
help_size=$(size_of "$REPO/etc/help.txt")
got=$(size_of "$T/cap/1.msg")
check "finding 7: the answer is bounded: $got bytes <= help text + 8 KiB quote + 4 KiB" \
    [ "$got" -le $((help_size + 8192 + 4096)) ]
check "finding 7: the quote starts with the request's first lines" \
    bash -c "grep -qx '> From: Someone <someone@example.net>' '$T/cap/1.msg' && grep -q '^> X-Spam-0: BUY' '$T/cap/1.msg'"
check "finding 7: ... and says the rest was cut" \
    grep -q '^\[the rest of the header, [0-9]* bytes, is not quoted\]$' "$T/cap/1.msg"

# --- at most answer_limit (3) answers an hour per requester address ---
clear_cap
for i in 1 2 3; do
	nymserv -f someone@example.net help <"$D/help-normal.eml"
done
check "help@: three requests from one address: three answers" \
    [ "$(answers_to alice-replies@example.org)" = 3 ]
nymserv -f someone@example.net help <"$D/help-normal.eml"
check "finding 7: the fourth within the hour is not answered (exit 0)" \
    [ "$RC" = 0 -a "$(answers_to alice-replies@example.org)" = 3 ]
for i in 1 2 3; do nymserv -f someone@example.net help <"$T/big.eml"; done
check "finding 7: three more 7 MB requests for the first victim: 2 answers (3 in the hour), then none" \
    [ "$RC" = 0 -a "$(answers_to victim@example.org)" = 2 ]
sed 's/alice-replies@example.org/other@example.org/' "$D/help-normal.eml" >"$T/other.eml"
nymserv -f someone@example.net help <"$T/other.eml"
check "another address is answered meanwhile" [ "$(answers_to other@example.org)" = 1 ]
nymserv -f someone@example.net list <"$D/help-normal.eml"
check "list@ counts apart from help@: answered" \
    [ "$(answers_to alice-replies@example.org)" = 4 ]
for i in 1 2 3; do nymserv -f someone@example.net used <"$D/help-normal.eml"; done
check "finding 7: list@ and used@ share their limit (3 answers, then none)" \
    [ "$(answers_to alice-replies@example.org)" = 6 ]

# A failed hand-off gives the answer back: the MTA's retry is answered.
clear_cap
sed 's/alice-replies@example.org/retry@example.org/' "$D/help-normal.eml" >"$T/retry.eml"
touch "$T/cap/fail-once"
nymserv -f someone@example.net help <"$T/retry.eml"
check "sendmail failing: exit 75" [ "$RC" = 75 -a "$(captured)" = 0 ]
for i in 1 2 3; do nymserv -f someone@example.net help <"$T/retry.eml"; done
check "... the failed try did not use up the address's answers (3 more)" \
    [ "$(answers_to retry@example.org)" = 3 ]

# --- no readable address in the state ---
state_dump_all >"$T/dump" 2>&1
check "the answer counts are in the state (keyed hashes under stamp:)" \
    grep -q '^ stamp:[0-9a-f]\{64\}$' "$T/dump"
check "finding 7: no requester address in the state, not even its plain SHA-256" \
    bash -c "! grep -qi 'victim\|alice-replies\|example' '$T/dump' &&
        for a in victim@example.org alice-replies@example.org; do
            h=\$(printf %s \$a | sha256sum | cut -c1-64); ! grep -q \$h '$T/dump' || exit 1; done"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" expire -t $(( $(date +%s) + 3601 )) >"$T/ex"
state_dump_all >"$T/dump" 2>&1
check "nymctl expire an hour later: every stamp is gone" \
    bash -c "grep -q 'stamps expired [1-9]' '$T/ex' && ! grep -q '^ stamp:' '$T/dump'"

# --- list@ is bounded however many names there are ---
python3 - "$T/names" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        f.write("name%05d\nsomeone%d@example.com\n" % (i, i))
PY
state_load aliases <"$T/names"
clear_cap
sed 's/alice-replies@example.org/lister@example.org/' "$D/help-normal.eml" >"$T/list.eml"
nymserv -f someone@example.net list <"$T/list.eml"
got=$(size_of "$T/cap/1.msg")
check "finding 7: list@ with 5,000 aliases: one answer of $got bytes <= 16 KiB" \
    [ "$RC" = 0 -a "$(captured)" = 1 -a "$got" -le 16384 ]
check "finding 7: list@ says how many names there are and that not all are listed" \
    bash -c "grep -q '5000 aliases' '$T/cap/1.msg' && grep -q 'more not listed' '$T/cap/1.msg'"

# --- every other notice that quotes the request is bounded too ---
python3 - "$T/big.eml" "$T/reg.eml" "$T/blk.eml" <<'PY'
import sys
big = open(sys.argv[1]).read()
head, body = big.split("\n\n", 1)
lines = [l for l in head.split("\n") if not l.startswith(("To:", "Subject:", "Reply-To:"))]
open(sys.argv[2], "w").write("\n".join(lines) + "\nTo: register@nym.test\nSubject: newalias\n\nx\n")
open(sys.argv[3], "w").write("\n".join(lines) + "\nTo: dstblk-request@nym.test\nSubject: block\n\nx\n")
PY
clear_cap
nymserv -f big1@example.net register <"$T/reg.eml"
got=$(size_of "$T/cap/1.msg")
check "finding 7: register@ with a 7 MB header: the confirmation is $got bytes <= 12 KiB" \
    [ "$RC" = 0 -a "$(captured)" = 1 -a "$got" -le 12288 ]
clear_cap
nymserv -f big2@example.net dstblk-request <"$T/blk.eml"
n=$(captured)
max=$(for f in "$T"/cap/*.msg; do size_of "$f"; done | sort -n | tail -1)
check "finding 7: dstblk-request with a 7 MB header: $n probe(s), the largest $max bytes <= 12 KiB" \
    [ "$RC" = 0 -a "$n" -ge 1 -a "${max:-99999999}" -le 12288 ]

# --- remailer-key@: the same limit per sender ---
clear_cap
for i in 1 2 3 4; do
	as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" -p remailer-key -f asker@example.org \
	    < <(printf 'From: asker@example.org\nSubject: key\n\nplease\n') >/dev/null 2>&1
done
check "finding 7: remailer-key@: 3 answers an hour to one sender, the 4th not" \
    [ "$(answers_to asker@example.org)" = 3 ]
