# keyexpiry.sh - nym keys that expire or are revoked (issue 23, part 2):
# warnings 30 and 7 days ahead (nymctl expire, once per threshold, through
# the reply block, encrypted); a key that expires within the test: mail
# to the nym refused 5.2.1, send@ answered and refused, config@ without a
# refreshed copy answered, with one accepted (new expiry kept, replay
# still dropped); a revocation carried in Public-Key: disables the nym.
. "$(dirname "$0")/../lib.sh"
setup_nyms "confirm = no"
now=$(date +%s)
# all CMD1 -- CMD2 ...: every command succeeds.
all() {
	local a=()
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then "${a[@]}" || return 1; a=(); else a+=("$1"); fi
		shift
	done
	[ ${#a[@]} -eq 0 ] || "${a[@]}"
}
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@"; }
cfg() { nymserv -f someone@anywhere.example config <"$1"; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1 | sed 's/\.msg$//'; }
nrem() { count_in "$T/rem"; }
# keyline NYM: the key= field of NYM's line in nymctl list.
keyline() { ctl list | awk -v n="$1" '$1 == n { for (i = 2; i <= NF; i++) if ($i ~ /^key=/) print $i }'; }
state() { ctl list | awk -v n="$1" '$1 == n { print $2 }'; }
flags_of() { ctl list | awk -v n="$1" '$1 == n { for (i = 2; i <= NF; i++) if ($i ~ /^flags=/) print $i }'; }
# mkexp NAME SECONDS: a key for NAME made 30 days ago whose primary key
# and encryption subkey expire SECONDS from now.
mkexp() {
	local t=$((now - 30 * 86400)) life=$((30 * 86400 + $2)) fpr
	cgpg --faked-system-time "$t!" --passphrase '' \
	    --quick-gen-key "$1 <$1@client.test>" ed25519 sign "seconds=$life"
	fpr=$(fpr_of "$1")
	cgpg --faked-system-time "$t!" --passphrase '' \
	    --quick-add-key "$fpr" cv25519 encr "seconds=$life"
}
expiry_of() { cgpg --with-colons --list-keys "<$1@client.test>" | awk -F: '/^pub/{print $7; exit}'; }
printf 'From: Sender <sender@example.org>\nTo: n@nym.test\nSubject: hi\n\nHello nym.\n' >"$T/in"

# --- warnings before expiry ---
mkexp kwarn $((40 * 86400))
printf '::\nAnon-To: kwarn@real.example\n' >"$T/blk-w"
nymcfg -n kwarn -u kwarn -k -c create -b "$T/blk-w" >"$T/w1"
cfg "$T/w1"
exp=$(expiry_of kwarn)
check "a key expiring in 40 days: nym created, its expiry recorded" \
    [ "$RC" = 0 -a "$(state kwarn)" = active -a "$(keyline kwarn)" = "key=$(date -u -d "@$exp" +%Y-%m-%d)" ]
check "... and told in the creation notice" bash -c "grep -q '^Key expires: ' <<<\"\$(sed -n '/^-----BEGIN PGP MESSAGE-----\$/,/^-----END PGP MESSAGE-----\$/p' '$T/rem/$(lastrem).msg' | gpg --homedir '$T/c' --batch --quiet --decrypt 2>/dev/null)\""
ctl expire -t $((now + 5 * 86400)) >"$T/e0"
check "35 days ahead: no key warning" grep -q 'key expiry warnings 0,' "$T/e0"
ctl expire -n -t $((now + 11 * 86400)) >"$T/e1n"
n=$(nrem)
check "dry run 29 days ahead: counted, nothing sent" all grep -q 'key expiry warnings 1,' "$T/e1n" -- [ "$(nrem)" = "$n" ]
ctl expire -t $((now + 11 * 86400)) >"$T/e1"
m=$T/rem/$(lastrem).msg
decrypt_notice "$m" >"$T/w30"
check "29 days ahead: one warning, through the reply block" all \
    grep -q 'key expiry warnings 1,' "$T/e1" -- [ "$(nrem)" = $((n + 1)) ] -- \
    [ "$(head -2 "$m")" = "$(cat "$T/blk-w")" ]
check "... encrypted to the nym key, says when and how to refresh" all \
    bash -c "! grep -q 'expires on' '$m'" -- grep -q 'expires on' "$T/w30" -- \
    grep -q 'quick-set-expire' "$T/w30"
ctl expire -t $((now + 12 * 86400)) >"$T/e2"
check "28 days ahead: not warned again" all grep -q 'key expiry warnings 0,' "$T/e2" -- [ "$(nrem)" = $((n + 1)) ]
ctl expire -t $((now + 34 * 86400)) >"$T/e3"
decrypt_notice "$T/rem/$(lastrem).msg" >"$T/w7"
check "6 days ahead: the last warning" all grep -q 'key expiry warnings 1,' "$T/e3" -- \
    [ "$(nrem)" = $((n + 2)) ] -- grep -q 'in 6 days' "$T/w7"
ctl expire -t $((now + 35 * 86400)) >"$T/e4"
ctl expire -t $((now + 41 * 86400)) >"$T/e5"
check "5 days ahead and after expiry: no more warnings" all grep -q 'key expiry warnings 0,' "$T/e4" -- \
    grep -q 'key expiry warnings 0,' "$T/e5" -- [ "$(nrem)" = $((n + 2)) ]

# --- a key that expires within the test ---
# Its lifetime must outlast the creation, however loaded the machine:
# start short, and make a longer one until the nym is created with it.
life=20 name=
for try in 1 2 3 4 5; do
	name=kexp$try
	mkexp "$name" "$life"
	printf '::\nAnon-To: kexp@real.example\n' >"$T/blk-e"
	nymcfg -n "$name" -u "$name" -k -c 'create -cryptrecv' -b "$T/blk-e" >"$T/x1"
	cfg "$T/x1"
	[ "$(state "$name")" = active ] && break
	life=$((life * 2))
done
exp=$(expiry_of "$name")
check "a key expiring in seconds: nym created (lifetime ${life}s)" [ "$(state "$name")" = active ]
# Wait for the condition itself: the key's expiry has passed.
for i in $(seq 1 $((life + 120))); do
	[ "$(date +%s)" -gt "$exp" ] && break
	sleep 1
done
check "the key has expired" [ "$(date +%s)" -gt "$exp" ]

n=$(nrem)
nymserv -f sender@example.org "$name" <"$T/in"
check "delivery: refused 5.2.1 (exit 69), the key has expired" all [ "$RC" = 69 ] -- \
    grep -q "^5.2.1 mailbox disabled: the nym's key has expired" "$T/out"
check "delivery: nothing goes out" [ "$(nrem)" = "$n" -a "$(captured)" = 0 ]

# send@, signed while the key was valid: answered, not sent.
printf 'From: %s\nTo: friend@example.org\nSubject: s\n\nhello friend\n' "$name" |
    GNUPGHOME="$T/c" bash "$REPO/contrib/nymwrap" -H nym.test -u "$name" -t $((exp - 5)) send >"$T/s1"
nymserv -f x@remailer.example send <"$T/s1"
m=$T/rem/$(lastrem).msg
check "send@ by the expired key: exit 0, nothing sent" all [ "$RC" = 0 ] -- [ "$(captured)" = 0 ]
check "... the owner is told through the block (key expired, how to refresh)" all \
    [ "$(nrem)" = $((n + 1)) ] -- grep -q "The nym's key has expired" "$m" -- \
    grep -q 'quick-set-expire' "$m" -- [ "$(head -2 "$m")" = "$(cat "$T/blk-e")" ]
check "... and the log names neither the nym nor the key" bash -c \
    "! grep -q -e '$name' -e '$(fpr_of "$name")' '$T/out'"

# config@ signed while valid, without a refreshed copy: answered.
before=$(keyline "$name")
nymcfg -n "$name" -u "$name" -c '+acksend' -t $((exp - 5)) >"$T/c1"
cfg "$T/c1"
m=$T/rem/$(lastrem).msg
check "config@ without a refreshed key: exit 0, unchanged, told to refresh" all \
    [ "$RC" = 0 ] -- [ "$(nrem)" = $((n + 2)) ] -- grep -q "key expired on" "$m" -- \
    grep -q 'refreshed copy' "$m" -- [ "$(keyline "$name")" = "$before" ]

# The owner refreshes the key and sends it: accepted.
fpr=$(fpr_of "$name")
cgpg --quick-set-expire "$fpr" 1y
subs=$(cgpg --list-options show-unusable-subkeys --with-subkey-fingerprints \
    --with-colons --list-keys "$fpr" | awk -F: '/^sub/{s=1; next} s && /^fpr/{print $10; s=0}')
cgpg --quick-set-expire "$fpr" 1y $subs
check "the owner refreshed the key and its subkey" [ -n "$subs" -a \
    "$(cgpg --with-colons --list-keys "$fpr" | grep -c '^sub:[^e]')" = 1 ]
exp2=$(expiry_of "$name")
nymcfg -n "$name" -u "$name" -k -c '+acksend' >"$T/c2"
cfg "$T/c2"
tr -d '\r' <"$T/rem/$(lastrem).msg" >"$T/c2.notice"
check "config@ with the refreshed copy: accepted, new expiry recorded" all \
    [ "$RC" = 0 ] -- grep -q 'completed successfully' "$T/rem/$(lastrem).msg" -- \
    [ "$(keyline "$name")" = "key=$(date -u -d "@$exp2" +%Y-%m-%d)" ]
check "... the same key (fingerprint), +acksend set" all \
    grep -q "^Key: $fpr" "$T/c2.notice" -- [ "$(flags_of "$name")" = flags=0x1 ]
n=$(nrem)
cfg "$T/c2"
check "... its replay is dropped (no second answer)" [ "$RC" = 0 -a "$(nrem)" = "$n" ]
nymserv -f sender@example.org "$name" <"$T/in"
check "delivery after the refresh: exit 0, through the block" all [ "$RC" = 0 ] -- \
    [ "$(nrem)" = $((n + 1)) ] -- grep -q 'Hello nym' "$T/rem/$(lastrem).msg"

# --- revocation ---
make_nym krev -cryptrecv
fpr=$(fpr_of krev)
mkdir -m 700 "$T/rv"
HOMES+=("$T/rv")
cgpg --export "$fpr" >"$T/krev.pub"
gpg --homedir "$T/rv" --batch --quiet --import "$T/krev.pub" 2>/dev/null
sed 's/^:-----BEGIN/-----BEGIN/' "$T/c/openpgp-revocs.d/$fpr.rev" >"$T/krev.rev"
gpg --homedir "$T/rv" --batch --quiet --import "$T/krev.rev" 2>/dev/null
gpg --homedir "$T/rv" --batch --armor --export-options export-minimal --export "$fpr" >"$T/krev.asc" 2>/dev/null
check "the owner's revoked copy of the key" bash -c \
    "gpg --homedir '$T/rv' --batch --with-colons --list-keys '$fpr' 2>/dev/null | grep -q '^pub:r:'"
# Signed before the key is revoked in the owner's keyring, carrying the
# revoked copy: the revocation is the key's own signature.
printf 'Config:\nFrom: krev\nNym-Commands: +acksend\nPublic-Key:\n%s\n' "$(cat "$T/krev.asc")" |
    cgpg --armor --sign --encrypt -u "$fpr" --recipient config@nym.test >"$T/r1.pgp"
printf 'To: config@nym.test\nSubject: nym config\n\n%s\n' "$(cat "$T/r1.pgp")" >"$T/r1"
n=$(nrem)
cfg "$T/r1"
m=$T/rem/$(lastrem).msg
check "config@ carrying the revoked key: exit 0, the nym's key is revoked" all \
    [ "$RC" = 0 ] -- [ "$(keyline krev)" = key=revoked ] -- [ "$(nrem)" = $((n + 1)) ]
check "... the owner is told (through the block), +acksend not made" all \
    grep -q 'is revoked, so the' "$m" -- [ "$(head -2 "$m")" = "$(cat "$T/blk-krev")" ] -- \
    [ "$(flags_of krev)" = flags=0 ]
nymserv -f sender@example.org krev <"$T/in"
check "delivery to the revoked nym: refused 5.2.1 (exit 69)" all [ "$RC" = 69 ] -- \
    grep -q "^5.2.1 mailbox disabled: the nym's key has been revoked" "$T/out"
nymcfg -n krev -u krev -c '-acksend' >"$T/r2"
n=$(nrem)
cfg "$T/r2" 2>/dev/null
check "a later request signed by the revoked key: nothing done, no answer" \
    [ "$RC" = 0 -a "$(nrem)" = "$n" -a "$(keyline krev)" = key=revoked ]
