# bench/dsetup.sh - the state of bench/delivery.sh and bench/breakdown.sh
# (sourced after tests/lib.sh): a server, one nym "bench" whose reply block
# is in clear (Anon-To reader@final.example), remail handing mail to a
# sendmail that only appends it to $T/cap/out.mbox, the letter in $T/msg,
# the nym's public key in $T/nymkey.asc, the server key's fingerprint in
# $srvfpr, a clear remail input in $T/rin (the floor's remail run), and
# the plain gpg and floor commands as functions.
# BENCH_CONF: one more line for nymserv.conf (e.g. a setting to compare).
setup_state "remail = $NYM_BIN/remail -c $T/nymserv.conf" "confirm = no" \
    "daily_chunks = 1000000" "${BENCH_CONF:-}"
# remail hands the mail to a sendmail that only appends it to a file (the
# test suite's capture script costs several processes per message).
printf '#!/bin/sh\nexec cat >>%s/cap/out.mbox\n' "$T" >"$T/fastmail"
chmod 755 "$T/fastmail"
sed -i "s|^sendmail = .*|sendmail = $T/fastmail|" "$T/nymserv.conf"
HOMES+=("$T/s/remail-gnupg")
client_init
mkkey bench
printf '::\nAnon-To: reader@final.example\n' >"$T/block"
nymcfg -n bench -u bench -k -c create -b "$T/block" >"$T/create"
nymserv -f someone@example.org config <"$T/create"
[ "$RC" = 0 ] || { echo "bench: nym not created: $(cat "$T/out")" >&2; exit 1; }
{
	printf 'From: Bob <bob@example.org>\nTo: bench@nym.test\n'
	printf 'Subject: a benchmark\nMessage-ID: <b1@example.org>\n\n'
	for i in $(seq 1 40); do
		echo "Line $i of a short letter, about the size of an ordinary mail."
	done
} >"$T/msg"
# The baseline's inputs: the nym's public key in a file, the server key.
cgpg --armor --export bench >"$T/nymkey.asc"
chmod 644 "$T/nymkey.asc" "$T/msg"
srvfpr=$(gpg --homedir "$T/s/gnupg" --batch --with-colons --list-secret-keys 2>/dev/null |
    awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$srvfpr" ] || { echo "bench: no server key" >&2; exit 1; }
# The floor's remail run: a clear block handed to sendmail.
{ printf '::\nAnon-To: reader@final.example\n\n'
  printf -- '-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n'; } >"$T/rin"
chmod 644 "$T/rin"
# PLAIN: the gpg sign+encrypt of the same letter with the same keys.
PLAIN=(/usr/bin/gpg --homedir "$T/s/gnupg" --batch --quiet --no-tty --armor
    --trust-model always --local-user "$srvfpr" --sign --encrypt
    --recipient-file "$T/nymkey.asc" --output /dev/null)
mails() { grep -c "^-----END PGP MESSAGE-----$" "$T/cap/out.mbox" 2>/dev/null; }
