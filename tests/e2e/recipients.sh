# recipients.sh - finding 6 with real gpg and LMDB: a send@ request naming
# 40,000 recipients took 13 s on main (duplicate removal compared every
# pair before the 20-recipient cap); the cap now comes first.  The bound
# below (10 s, also under the sanitizers on a loaded machine) can only be
# missed by a quadratic path; the timing figure itself is in
# bench/recipients.sh.  The assertions that matter are about outcomes:
# refused, nothing sent, the owner told.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '-acksend'
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }

# 100 To: fields of 400 addresses each (within max_line_length 8192 and
# max_header_lines 1000, as on main).
python3 - "$T/m40k" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: alice\n")
    n = 0
    for line in range(100):
        f.write("To: " + ", ".join("r%d@x.example" % (n + i) for i in range(400)) + "\n")
        n += 400
    f.write("Subject: to everyone\n\nbuy now\n")
PY
check "the request names 40,000 recipients" \
    [ "$(grep '^To:' "$T/m40k" | tr ',' '\n' | grep -c '@x.example')" = 40000 ]
nymsend -u alice <"$T/m40k" >"$T/r40k"
n0=$(count_in "$T/rem")
start=$SECONDS
nymserv -f someone@client.example send <"$T/r40k"
took=$((SECONDS - start))
check "finding 6: 40,000 recipients: refused (exit 0, nothing handed to sendmail)" \
    [ "$RC" = 0 -a "$(captured)" = 0 ]
# How long it took is a figure for bench/recipients.sh, not a check: that
# the list is built capped (210 comparisons, the other 39,979 addresses
# never touched) is counted by test_addr's finding-6 case.
echo "# 40,000 recipients refused in ${took}s"
check "finding 6: ... and the owner is told, through the reply block" \
    [ "$(count_in "$T/rem")" = $((n0 + 1)) ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack"
check "finding 6: the notice says too many recipients, and the limit" \
    bash -c "grep -q 'Too many recipients' '$T/ack' && grep -q 'more than 20 recipients; the limit is 20' '$T/ack'"
check "finding 6: the notice does not list 40,000 addresses" \
    [ "$(grep -c '@x.example' "$T/ack")" -le 25 ]

# Duplicates are not recipients: 30 names of 3 addresses pass the cap.
{ printf 'From: alice\nTo: '; for i in $(seq 10); do printf 'a@x.example, B@x.example, c@X.example, '; done
  printf 'a@x.example\nCc: B@X.EXAMPLE\nSubject: three\n\nhi\n'; } >"$T/m3"
nymsend -u alice <"$T/m3" >"$T/r3"
clear_cap
nymserv -f someone@client.example send <"$T/r3"
check "31 names of 3 distinct addresses: sent once to each" \
    bash -c "[ $RC = 0 ] && [ $(captured) = 1 ] && diff <(printf '%s\n' -f alice@nym.test -oi -- a@x.example B@x.example c@X.example) '$T/cap/1.args'"
# The 21st distinct address is the one that stops it.
{ printf 'From: alice\nTo: '; for i in $(seq 20); do printf 'p%d@x.example, ' "$i"; done
  printf 'p1@x.example\nSubject: twenty\n\nhi\n'; } >"$T/m20"
nymsend -u alice <"$T/m20" >"$T/r20"
clear_cap
nymserv -f someone@client.example send <"$T/r20"
check "exactly 20 distinct recipients: sent" [ "$RC" = 0 -a "$(captured)" = 1 ]
