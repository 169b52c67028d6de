# delivery.sh - mail to a nym with a capture stand-in for remail: the
# receipt, encryption to the nym key, reply-block choice, +nobcc,
# +fixedsize and the daily chunk limit.
. "$(dirname "$0")/../lib.sh"
setup_nyms "confirm = no"
make_nym alice
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }
nrem() { ls "$T/rem" | grep -c '\.msg$'; }

printf 'From sender@example.org Mon Nov 23 10:00:00 2026\nFrom: Sender <sender@example.org>\nTo: alice@nym.test\nSubject: for alice\n\nHello alice.\n' >"$T/in1"
n=$(nrem)
nymserv -f sender@example.org alice <"$T/in1"
check "delivery: exit 0" [ "$RC" = 0 ]
check "delivery: one remailer input" [ "$(nrem)" = $((n + 1)) ]
m=$T/rem/$(lastrem)
check "delivery: the input starts with the reply block" [ "$(head -2 "$m")" = "$(cat "$T/blk-alice")" ]
check "delivery: nothing in clear after the block" bash -c "! grep -q 'Hello alice' '$m'"
decrypt_notice "$m" >"$T/d1"
check "delivery: decrypts with the nym key to the message" grep -qx 'Hello alice.' "$T/d1"
check "delivery: Received with a unique id for the nym" \
    grep -q '^Received: by nym.test with unique id [0-9a-f]\{16\} for <alice@nym.test>; ' "$T/d1"
check "delivery: the From_ line became X-From:" grep -q '^X-From: sender@example.org Mon Nov 23' "$T/d1"
check "delivery: receipt certificate" grep -q 'only certifies the receipt and date' "$T/d1"
sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' "$m" | cgpg --decrypt --status-fd 1 2>/dev/null >"$T/st1" || true
check "delivery: signed by the server key" grep -q 'GOODSIG' "$T/st1"

nymserv -f sender@example.org alice+tag <"$T/in1"
check "delivery: nym+ext reaches the nym" [ "$RC" = 0 -a "$(nrem)" = $((n + 2)) ]

# --- reply-block sets: set-less always, one per lettered set ---
mkkey sets
for b in x y z w; do printf '::\nAnon-To: %s@real.example\n' "$b" >"$T/blk-$b"; done
nymcfg -n sets -u sets -k -c create -b "$T/blk-x" -B a=0.5 "$T/blk-y" -B a=0.5 "$T/blk-z" -B b=1 "$T/blk-w" >"$T/c-sets"
nymserv -f someone@example.org config <"$T/c-sets"
ya=0 za=0 bad=0
for i in $(seq 12); do
	n=$(nrem)
	nymserv -f sender@example.org sets <"$T/in1"
	got=$(( $(nrem) - n ))
	[ "$got" = 3 ] || bad=$((bad + 1))
	for j in $(seq $((n + 1)) $(nrem)); do
		case "$(sed -n 2p "$T/rem/$j.msg")" in
		*y@*) ya=$((ya + 1)) ;; *z@*) za=$((za + 1)) ;;
		esac
	done
done
check "sets: every message used 3 blocks (x, one of a, w)" [ "$bad" = 0 ]
check "sets: both blocks of set a were drawn ($ya/$za)" [ "$ya" -gt 0 -a "$za" -gt 0 -a $((ya + za)) = 12 ]

# --- +nobcc ---
make_nym nobcc '+nobcc'
printf 'From: a@example.org\nTo: someone@else.example\nSubject: bcc spam\n\nspam\n' >"$T/bcc"
nymserv -f a@example.org nobcc <"$T/bcc"
check "+nobcc: Bcc'd mail refused 5.7.1" [ "$RC" = 77 -a "$(head -c 5 "$T/out")" = 5.7.1 ]
printf 'From: a@example.org\nTo: x@else.example\nCc: "N" <NoBcc@Nym.Test>\nSubject: ok\n\nhi\n' >"$T/cc"
nymserv -f a@example.org nobcc <"$T/cc"
check "+nobcc: mail naming the nym in Cc passes" [ "$RC" = 0 ]

# --- +fixedsize ---
make_nym fixed '+fixedsize'
{ printf 'From: a@example.org\nTo: fixed@nym.test\nSubject: big\n\n'; head -c 30000 /dev/urandom | base64; } >"$T/big"
n=$(nrem)
nymserv -f a@example.org fixed <"$T/big"
k=$(( $(nrem) - n ))
check "+fixedsize: split into several message/partial pieces ($k)" [ "$k" -ge 4 ]
sizes=$(for j in $(seq $((n + 1)) $(nrem)); do sed '1,2d' "$T/rem/$j.msg" | sed 1d | wc -c; done | sort -u | wc -l)
check "+fixedsize: every piece has the same size" [ "$sizes" = 1 ]
check "+fixedsize: pieces are message/partial" grep -q '^Content-Type: message/partial; id=.*number=1; total=' "$T/rem/$((n + 1)).msg"
for j in $(seq $((n + 1)) $(nrem)); do sed '1,/^$/d' "$T/rem/$j.msg"; done >"$T/joined"
check "+fixedsize: the pieces join to the encrypted message" \
    bash -c "sed -n '/^-----BEGIN PGP MESSAGE-----\$/,/^-----END PGP MESSAGE-----\$/p' '$T/joined' | gpg --homedir '$T/c' --batch --quiet --decrypt 2>/dev/null | grep -q '^Subject: big'"

# --- refusals start no gpg: unknown, unconfirmed, disabled ---
nymserv -f a@example.org nosuch <"$T/in1"
check "unknown nym: 5.1.1" [ "$RC" = 67 ]

# --- the daily chunk limit disables a bombed nym once ---
make_nym bombed
echo 'daily_chunks = 5' >>"$T/nymserv.conf"
n=$(nrem)
codes=""
for i in $(seq 8); do
	nymserv -f bomber@example.org bombed <"$T/in1"
	codes="$codes$RC "
done
check "bomb: 5 delivered, then 5.2.1 ($codes)" [ "$codes" = "0 0 0 0 0 69 69 69 " ]
check "bomb: one notice, not more ($(( $(nrem) - n )) inputs)" [ "$(( $(nrem) - n ))" = 6 ]
decrypt_notice "$T/rem/$(lastrem)" >"$T/dn"
check "bomb: the notice says disabled" grep -q 'has been disabled' "$T/dn"
