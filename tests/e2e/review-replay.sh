# review-replay.sh - the replay cache against the outside review (issue 15):
# finding 3 (a signature is identified by what its signer signed, so
# altering the unhashed subpacket area does not make a new request) and
# finding 12 (an entry lives until its signature can no longer be
# accepted, future-dated ones included).  Real gpg, real LMDB.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '-acksend'
snd() { nymserv -f someone@client.example send <"$1"; }
cfg() { nymserv -f someone@client.example config <"$1"; }
ctl() { as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" "$@"; }
mutate() { "$REPO/tests/sig-mutate" "$@"; }
rem() { count_in "$T/rem"; }
now=$(date +%s)

# --- finding 3: every request form, send@ ---
for mode in sign clear mime-signed; do
	printf 'From: alice\nTo: bob@example.org\nSubject: finding 3 %s\n\nbody\n' \
	    "$mode" >"$T/m-$mode"
	nymsend -u alice -m "$mode" <"$T/m-$mode" >"$T/o-$mode"
	mutate one <"$T/o-$mode" >"$T/a-$mode"
	mutate two <"$T/o-$mode" >"$T/b-$mode"
	check "finding 3: $mode: two altered copies, each different from the original" \
	    bash -c "! cmp -s '$T/o-$mode' '$T/a-$mode' && ! cmp -s '$T/o-$mode' '$T/b-$mode' && ! cmp -s '$T/a-$mode' '$T/b-$mode'"
	clear_cap
	snd "$T/a-$mode"
	check "finding 3: $mode: an altered copy still verifies (nymserv sends it)" \
	    [ "$RC" = 0 -a "$(captured)" = 1 ]
	snd "$T/o-$mode"
	r1=$RC
	snd "$T/b-$mode"
	check "finding 3: $mode send@: the original and a second altered copy are replays (1 message sent, not 3)" \
	    [ "$r1" = 0 -a "$RC" = 0 -a "$(captured)" = 1 ]
done
# The altered signatures verify for gpg itself, too.
sed -n '/^-----BEGIN PGP SIGNED MESSAGE-----/,$p' "$T/a-clear" >"$T/a-clear.asc"
check "finding 3: gpg --verify accepts the altered clear signature" \
    cgpg --verify "$T/a-clear.asc"
sed -n '/^-----BEGIN PGP MESSAGE-----/,$p' "$T/a-sign" >"$T/a-sign.asc"
check "finding 3: gpg --verify accepts the altered signed message" \
    bash -c "gpg --homedir '$T/c' --batch --quiet --trust-model always --verify '$T/a-sign.asc' 2>/dev/null >/dev/null"
check "finding 3: ... which carries the added unhashed subpacket" \
    bash -c "gpg --homedir '$T/c' --batch --list-packets '$T/a-sign.asc' 2>/dev/null | grep -q 'subpkt 105'"

# Signed, then encrypted to the server (anyone can encrypt to it): the
# identity is the inner signature's.
printf 'From: alice\nTo: carol@example.org\nSubject: finding 3 encrypted\n\nbody\n' |
    cgpg --local-user alice --armor --sign >"$T/s.asc"
mutate enc <"$T/s.asc" >"$T/s-a.asc"
wrap() { printf 'To: send@nym.test\nSubject: nym send\n\n'; cgpg --armor --encrypt -r config@nym.test <"$1"; }
wrap "$T/s-a.asc" >"$T/e-a"
wrap "$T/s.asc" >"$T/e-o1"
wrap "$T/s.asc" >"$T/e-o2"
clear_cap
snd "$T/e-a"
check "finding 3: signed+encrypted: an altered signature inside the encryption is sent once" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
snd "$T/e-o1"
snd "$T/e-o2"
check "finding 3: signed+encrypted: the original, encrypted afresh twice, is a replay" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]

# config@ goes through the same gate.
nymcfg -n alice -u alice -c 'name="Alice Three"' -m clear >"$T/c-o"
mutate cfg <"$T/c-o" >"$T/c-a"
n=$(rem)
cfg "$T/c-a"
cfg "$T/c-o"
check "finding 3: clear-signed config@: one notice for the altered copy and the original" \
    [ "$RC" = 0 -a "$(rem)" = $((n + 1)) ]

# A request carrying a second signature packet (one gpg skips, put
# first) is no request: its identity would be the added packet's.
for mode in sign clear; do
	mutate -x extra <"$T/o-$mode" >"$T/x-$mode"
	clear_cap
	snd "$T/x-$mode"
	check "finding 3: $mode: a copy with an extra signature packet is dropped" \
	    [ "$RC" = 0 -a "$(captured)" = 0 ]
done

# --- finding 12: future-dated signatures ---
printf 'From: alice\nTo: erin@example.org\nSubject: finding 12\n\nbody\n' >"$T/m12"
nymsend -u alice -m sign -t $((now + 20 * 3600)) <"$T/m12" >"$T/f12" 2>/dev/null
clear_cap
snd "$T/f12"
check "finding 12: a signature dated 20 hours ahead is accepted" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
ctl expire -t $((now + 7 * 86400 + 3600)) >"$T/ex1"
check "finding 12: an expire run 7 days after arrival prunes entries" \
    grep -q 'replay entries pruned [1-9]' "$T/ex1"
snd "$T/f12"
check "finding 12: replayed after that expire run (its signature still fresh): nothing sent" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
ctl expire -t $((now + 20 * 3600 + 7 * 86400 + 3600)) >"$T/ex2"
check "finding 12: the entry goes once its signature is too old to be accepted" \
    grep -q 'replay entries pruned [1-9]' "$T/ex2"
ctl expire -t $((now + 20 * 3600 + 7 * 86400 + 7200)) >"$T/ex3"
check "finding 12: ... and the cache is then empty" grep -q 'replay entries pruned 0' "$T/ex3"
