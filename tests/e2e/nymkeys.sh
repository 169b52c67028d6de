# nymkeys.sh - nym key types end to end: an RSA-2048 nym (create, modify,
# a delivery encrypted to its RSA subkey) and a sign-only key once it
# exists (cryptrecv cannot be switched on later; mail to it is signed, not
# encrypted).  The create-time refusal of a sign-only key is in accounts.sh.
. "$(dirname "$0")/../lib.sh"
setup_state "remail = $T/capture-sendmail $T/rem" "confirm = no"
mkdir -p "$T/rem" && [ "$(id -u)" = 0 ] && chown 65534:65534 "$T/rem"
client_init
mkkey rsanym rsa2048
mkkey plain signonly
printf '::\nAnon-To: rsa@real.example\n' >"$T/blk-r"
printf '::\nAnon-To: plain@real.example\n' >"$T/blk-p"

cfg() { nymserv -f "someone@anywhere.example" config <"$1"; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1 | sed 's/\.msg$//'; }
# has NYM PATTERN: nymctl list shows NYM's line matching PATTERN.
has() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list | grep -q "^$1 $2"; }
# all CMD1 -- CMD2 ...: every command succeeds.
all() {
	local a=()
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then "${a[@]}" || return 1; a=(); else a+=("$1"); fi
		shift
	done
	[ ${#a[@]} -eq 0 ] || "${a[@]}"
}
# status_of FILE: gpg's status lines for the PGP message in a remail input.
status_of() {
	sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' "$1" |
	    cgpg --status-fd 1 --decrypt 2>/dev/null
}
printf 'From: Sender <sender@example.org>\nTo: nym@nym.test\nSubject: hi\n\nHello nym, in clear only to you.\n' >"$T/in"

# --- RSA-2048 ---
check "the client made an RSA-2048 key with an RSA-2048 encryption subkey" \
    [ "$(cgpg --with-colons --list-keys '<rsanym@client.test>' | awk -F: '/^(pub|sub)/{print $1 $3 $4}' | tr '\n' ' ')" = "pub20481 sub20481 " ]
nymcfg -n rsanym -u rsanym -k -c create -b "$T/blk-r" >"$T/r1"
cfg "$T/r1"
check "RSA-2048 create: exit 0, nym active" all [ "$RC" = 0 ] -- has rsanym 'active '
status_of "$T/rem/$(lastrem).msg" >"$T/st1"
check "RSA-2048 create: notice decrypts, says success" grep -q 'completed successfully' "$T/st1"
check "RSA-2048 create: notice encrypted to an RSA key (algo 1)" grep -q '^\[GNUPG:\] ENC_TO [0-9A-F]* 1 ' "$T/st1"
nymcfg -n rsanym -u rsanym -c '+acksend' -m mime-signed >"$T/r2"
cfg "$T/r2"
check "RSA-2048 modify (PGP/MIME signed): +acksend recorded" all [ "$RC" = 0 ] -- has rsanym 'active flags=0x3 '

n=$(lastrem)
nymserv -f sender@example.org rsanym <"$T/in"
check "delivery to the RSA nym: exit 0, one remail input" [ "$RC" = 0 -a "$(lastrem)" = $((n + 1)) ]
m=$T/rem/$(lastrem).msg
check "delivery: goes through the reply block" [ "$(head -2 "$m")" = "$(cat "$T/blk-r")" ]
check "delivery: nothing in clear" bash -c "! grep -q 'Hello nym' '$m'"
status_of "$m" >"$T/st2"
sub=$(cgpg --with-colons --list-keys '<rsanym@client.test>' | awk -F: '/^sub/{print $5; exit}')
check "delivery: encrypted to the nym's RSA subkey only" all \
    [ "$(grep -c '^\[GNUPG:\] ENC_TO ' "$T/st2")" = 1 ] -- grep -q "^\[GNUPG:\] ENC_TO $sub 1 " "$T/st2"
check "delivery: decrypts to the message" grep -q 'Hello nym, in clear only to you.' "$T/st2"
check "delivery: signed by the server" grep -q '^\[GNUPG:\] GOODSIG ' "$T/st2"

# --- a sign-only key after creation ---
nymcfg -n plain -u plain -k -c 'create -cryptrecv' -b "$T/blk-p" >"$T/p1"
cfg "$T/p1"
check "sign-only key with -cryptrecv: created" all [ "$RC" = 0 ] -- has plain 'active flags=0 '
nymcfg -n plain -u plain -c '+cryptrecv +acksend' >"$T/p2"
n=$(lastrem)
cfg "$T/p2"
check "+cryptrecv later for a sign-only key: refused, flags unchanged" \
    has plain 'active flags=0 '
m=$T/rem/$(lastrem).msg
check "... with a notice through the block, signed not encrypted" all \
    [ "$(lastrem)" = $((n + 1)) ] -- grep -q 'encryption subkey' "$m" -- \
    grep -q 'BEGIN PGP SIGNED MESSAGE' "$m" -- [ "$(head -2 "$m")" = "$(cat "$T/blk-p")" ]
nymserv -f sender@example.org plain <"$T/in"
m=$T/rem/$(lastrem).msg
check "delivery to a -cryptrecv nym: exit 0, through its block" \
    [ "$RC" = 0 -a "$(head -2 "$m")" = "$(cat "$T/blk-p")" ]
check "... not encrypted (no encryption key)" bash -c "! grep -q 'BEGIN PGP MESSAGE' '$m' && grep -q 'Hello nym' '$m'"
