# finger.sh - nymfingerd (RFC 1288) on stdin/stdout: nym answers, server
# keys, list on/off, /W, the empty query, refused forwarding, an
# over-long query, the read timeout, CRLF line ends.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '+fingerkey name="Alice Nym"'
make_nym bob
# fq QUERY: send QUERY (as given, caller adds CRLF) to nymfingerd; the
# answer in $T/f, exit status in $RC.
fq() {
	printf '%b' "$1" | as_user "$NYM_BIN/nymfingerd" -c "$T/nymserv.conf" \
	    >"$T/f" 2>"$T/f.err"
	RC=$?
}
crlf_only() { ! tr -d '\r' <"$T/f" | cmp -s - "$T/f" && ! grep -q $'[^\r]$' "$T/f"; }

fq 'alice\r\n'
check "nym: exit 0" [ "$RC" = 0 ]
check "nym: Mail Alias line" grep -qx $'Mail Alias: alice@nym.test\r' "$T/f"
check "nym: Name line" grep -qx $'Name: Alice Nym\r' "$T/f"
check "nym with +fingerkey: armored public key" grep -qx -e $'-----BEGIN PGP PUBLIC KEY BLOCK-----\r' "$T/f"
tr -d '\r' <"$T/f" | sed -n '/^-----BEGIN PGP PUBLIC KEY BLOCK/,/^-----END/p' >"$T/alice.asc"
check "the key is alice's" bash -c "gpg --batch --with-colons --show-keys '$T/alice.asc' 2>/dev/null | grep -q '^fpr:*$(fpr_of alice):'"
check "every line ends in CRLF" crlf_only

fq 'ALICE\r\n'
check "names are case-insensitive" grep -qx $'Mail Alias: alice@nym.test\r' "$T/f"
fq '/W alice\r\n'
check "/W accepted" grep -qx $'Mail Alias: alice@nym.test\r' "$T/f"
fq '/w   alice  \r\n'
check "/w and extra blanks accepted" grep -qx $'Name: Alice Nym\r' "$T/f"

fq 'bob\r\n'
check "nym without +fingerkey: name, no key" \
    bash -c "grep -qx \$'Mail Alias: bob@nym.test\r' '$T/f' && grep -qx \$'Name: bob\r' '$T/f' && ! grep -q 'PGP PUBLIC' '$T/f'"

fq 'nosuchnym\r\n'
check "unknown name: no such user" grep -q 'no such user' "$T/f"
fq 'postmaster\r\n'
check "reserved name: no such user" grep -q 'no such user' "$T/f"

fq '\r\n'
check "empty query: exit 0" [ "$RC" = 0 ]
check "empty query: describes the service" \
    bash -c "grep -q 'nym server at nym.test' '$T/f' && grep -q 'help@nym.test' '$T/f'"
check "empty query: CRLF" crlf_only
fq '/W\r\n'
check "/W alone is the empty query" grep -q 'nym server at nym.test' "$T/f"

fq 'list\r\n'
check "list: names in use" bash -c "grep -qx \$'  alice\r' '$T/f' && grep -qx \$'  bob\r' '$T/f'"

fq 'config\r\n'
check "config: the server key" grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$T/f"
tr -d '\r' <"$T/f" | sed -n '/^-----BEGIN/,/^-----END/p' >"$T/k1"
check "config: key has config@ and send@ uids" \
    bash -c "gpg --batch --with-colons --show-keys '$T/k1' 2>/dev/null | grep -q 'config@nym.test' && gpg --batch --with-colons --show-keys '$T/k1' 2>/dev/null | grep -q 'send@nym.test'"
fq 'send\r\n'
check "send: the same server key" bash -c "tr -d '\r' <'$T/f' | sed -n '/^-----BEGIN/,/^-----END/p' | cmp -s - '$T/k1'"
fq 'remailer-key\r\n'
tr -d '\r' <"$T/f" | sed -n '/^-----BEGIN/,/^-----END/p' >"$T/k2"
check "remailer-key: the remailer key" \
    bash -c "gpg --batch --with-colons --show-keys '$T/k2' 2>/dev/null | grep -q 'remailer@nym.test'"

fq 'alice@other.example\r\n'
check "user@otherhost: refused, not forwarded" \
    bash -c "grep -q 'forwarding refused' '$T/f' && ! grep -q 'Mail Alias' '$T/f'"
fq '@other.example\r\n'
check "@otherhost: refused" grep -q 'forwarding refused' "$T/f"
fq '/W bob@a.example@b.example\r\n'
check "/W user@h1@h2: refused" grep -q 'forwarding refused' "$T/f"

long=$(head -c 5000 /dev/zero | tr '\0' a)
fq "$long\r\n"
check "over-long query: clear error, no crash" \
    bash -c "grep -q 'query too long' '$T/f' && [ $RC = 1 ]"
fq "$(head -c 600 /dev/zero | tr '\0' b)\r\n"
check "600-byte query: too long" grep -q 'query too long' "$T/f"
fq 'al\001ce\r\n'
check "control characters: bad query" grep -q 'bad query' "$T/f"

# The read timeout: a client that sends nothing is dropped after 30 s.
mkfifo "$T/fifo"
chmod 666 "$T/fifo"
exec 7<>"$T/fifo"
start=$SECONDS
as_user "$NYM_BIN/nymfingerd" -c "$T/nymserv.conf" <"$T/fifo" >"$T/f" 2>&1 &
pid=$!
wait $pid
RC=$?
took=$((SECONDS - start))
exec 7>&-
# Never early (a loaded machine can only make it later; no upper bound:
# a slow machine is not a failure).
check "timeout: dropped no earlier than the 30 s read timeout (took ${took}s)" [ "$took" -ge 29 ]
check "timeout: says so, exit 1" bash -c "grep -q 'timeout' '$T/f' && [ $RC = 1 ]"

# list switched off.
echo 'list_enabled = no' >>"$T/nymserv.conf"
fq 'list\r\n'
check "list off: not published" bash -c "grep -q 'not published' '$T/f' && ! grep -q alice '$T/f'"
fq '\r\n'
check "list off: description does not offer it" bash -c "! grep -q 'list@' '$T/f'"
fq 'alice\r\n'
check "list off: nyms still answer" grep -q 'Mail Alias: alice@nym.test' "$T/f"

printf 'alice\r\n' | as_user "$NYM_BIN/nymfingerd" -v -c "$T/nymserv.conf" >"$T/f" 2>"$T/f.err"
check "the log line names the kind of query, not the name" \
    bash -c "grep -q 'query (user)' '$T/f.err' && ! grep -qi alice '$T/f.err'"
