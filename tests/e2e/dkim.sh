#!/usr/bin/env bash
# tests/e2e/dkim.sh - what the server originates leaves signed for the nym
# domain, with the nym domain as envelope sender and From domain: the
# suite's private Postfix runs OpenDKIM with etc/opendkim.conf (Mode sv,
# non_smtpd_milters, milter_default_action = tempfail; smtpd_milters too,
# as the sample does, so it verifies what arrives for the alias service).
# Offline verification by dkimpy (tests/dkim-verify) with the key as DNS
# would give it: a help@ answer, a nym's notices and a nym delivery (to
# the final hop: the server's own remailer hands it to the owner), send@
# mail with +autocrypt, the alias service's confirmation and alias mail
# each verify with d=nym.test and h= covering From, Subject, Date,
# Message-ID (and Autocrypt); a one-byte change anywhere breaks it; with
# OpenDKIM down, mail waits in the queue rather than leaving unsigned.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 0
SYSPY=/usr/bin/python3
for need in /usr/sbin/opendkim /usr/sbin/opendkim-genkey; do
	if [ ! -x "$need" ]; then
		skip "dkim: $need is missing (apt-get install opendkim opendkim-tools)"
		exit 0
	fi
done
if ! $SYSPY -c 'import dkim' 2>/dev/null; then
	skip "dkim: python3-dkim is missing (apt-get install python3-dkim)"
	exit 0
fi
trap pf_cleanup EXIT

PF_DKIM_SMTPD=1 pf_nym_world || { notok "private Postfix configured"; exit 1; }
check "OpenDKIM (etc/opendkim.conf, signing nym.test) is running" \
    bash -c "[ -n '${PF_DKIM_PID:-}' ] && kill -0 '${PF_DKIM_PID:-0}'"
# user.test's own key: carol's MTA signs her mail for the alias service.
mkdir -p "$T/udk"
opendkim-genkey -b 2048 -d user.test -s u -D "$T/udk"
printf 'u._domainkey.user.test %s\n' "$(pf_dkim_txt "$T/udk/u.txt")" >>"$PF_DKIM/keys"
pf_start || { notok "private Postfix started"; tail "$PF/log/maillog"; exit 1; }

# verify NAME FILE [HEADER...]: FILE's first DKIM signature verifies,
# is d=nym.test with a 2048-bit key, and covers HEADER...; the mail's
# envelope sender (Return-Path) and From are in nym.test.
verify() {
	local name=$1 f=$2
	shift 2
	if [ -z "$f" ] || [ ! -s "$f" ]; then
		notok "$name: arrived"
		return
	fi
	$SYSPY "$REPO/tests/dkim-verify" "$PF_DKIM/keys" "$f" From Subject Date Message-ID "$@" >"$T/v.out" 2>&1
	check "$name: DKIM signature valid, d=nym.test, 2048 bits, h= covers From Subject Date Message-ID${*:+ $*} ($(head -c 60 "$T/v.out"))" \
	    bash -c "grep -q '^d=nym.test a=rsa-sha256 .* bits=2048\$' '$T/v.out'"
	check "$name: envelope sender and From in nym.test" \
	    bash -c "sed '/^\$/q' '$f' | grep -qi '^Return-Path: <[^@>]*@nym.test>' && sed '/^\$/q' '$f' | grep -qiE '^From: (.*<)?[^@<> ]+@nym\\.test>?\$'"
}
# broken NAME FILE: one byte changed in the body, in From, in Date, in
# Subject (when there is one): the signature fails each time.
broken() {
	local n=0 m=0 f=$2 b
	if ! $SYSPY "$REPO/tests/dkim-verify" "$PF_DKIM/keys" "$f" >/dev/null 2>&1; then
		notok "$1: a one-byte change breaks the signature (it does not verify as it is)"
		return
	fi
	sed '0,/^$/b; s/a/b/; t done; b; :done; n; b done' "$f" >"$T/b1"
	sed '0,/^From: /s/@nym\.test/@nym.tesu/' "$f" >"$T/b2"
	sed '0,/^Date: /s/^Date: \(.*\)[0-9]/Date: \1X/' "$f" >"$T/b3"
	sed '0,/^Subject: /s/^Subject: ./Subject: X/' "$f" >"$T/b4"
	for b in "$T/b1" "$T/b2" "$T/b3" "$T/b4"; do
		cmp -s "$b" "$f" && continue
		m=$((m + 1))
		$SYSPY "$REPO/tests/dkim-verify" "$PF_DKIM/keys" "$b" >/dev/null 2>&1 || n=$((n + 1))
	done
	check "$1: a one-byte change in the body, From, Date (, Subject): $n of $m fail" \
	    bash -c "[ $m -ge 3 ] && [ $n = $m ]"
}
last_to() { pf_mails_to "$1" | tail -1; }

# --- help@ ---
printf 'From: Alice <alice@user.test>\nTo: help@nym.test\nSubject: help\nMessage-ID: <dk-help@user.test>\n\nHello.\n' |
    pf_submit alice@user.test help@nym.test
pf_wait_mail alice 1 90
verify "help@ answer" "$(last_to alice)"
broken "help@ answer" "$(last_to alice)"

# --- a nym (key UID shadow@nym.test, +autocrypt), its block straight to
# alice@user.test through the server's own remailer ---
cgpg --passphrase '' --quick-gen-key shadow@nym.test ed25519 sign 0
FS=$(cgpg --with-colons --list-keys =shadow@nym.test | awk -F: '/^fpr/{print $10; exit}')
cgpg --passphrase '' --quick-add-key "$FS" cv25519 encr 0
printf '::\nAnon-To: alice@user.test\n' >"$T/block"
nymcfg -n shadow -u "$FS" -k -c 'create +autocrypt name="Shadow"' -b "$T/block" >"$T/create"
pf_submit alice@user.test config@nym.test <"$T/create"
pf_wait_mail alice 2 120
f=$(last_to alice)
verify "nym notice (confirmation request, through the remailer)" "$f"
cookie=$(decrypt_notice "$f" | grep -o 'confirm+[0-9a-f]*@' | head -1 | sed 's/confirm+//; s/@//')
printf 'From: alice@user.test\nSubject: confirm\n\nyes\n' |
    pf_submit alice@user.test "confirm+$cookie@nym.test"
pf_wait_mail alice 3 120

printf 'From: Bob <bob@user.test>\nTo: shadow@nym.test\nSubject: a question\nMessage-ID: <dk-bob-1@user.test>\n\nThe fox asks.\n' |
    pf_submit bob@user.test shadow@nym.test
pf_wait_mail alice 4 120
f=$(last_to alice)
verify "nym delivery (final hop to the owner)" "$f"
broken "nym delivery" "$f"
check "... and it is the fox's mail" bash -c "sed -n '/^-----BEGIN PGP MESSAGE/,/^-----END/p' '$f' | gpg --homedir '$T/c' --batch --quiet --decrypt 2>/dev/null | grep -q 'The fox asks'"

# --- send@, +autocrypt ---
printf 'From: shadow\nTo: bob@user.test\nSubject: Re: a question\n\nThe nym answers.\n' >"$T/ans.txt"
nymsend -u "$FS" <"$T/ans.txt" >"$T/ans.eml"
pf_submit alice@user.test send@nym.test <"$T/ans.eml"
pf_wait_mail bob 1 120
f=$(last_to bob)
check "send@ mail carries the server's Autocrypt: header" grep -q '^Autocrypt: addr=shadow@nym.test;' "$f"
verify "send@ mail" "$f" Autocrypt
broken "send@ mail" "$f"
# Autocrypt's keydata: one byte of it changed breaks the signature too.
sed '/^Autocrypt:/,/^[^ 	]/{/^[ 	]/{s/A/B/;t done};b};b;:done;n;b done' "$f" >"$T/b5"
check "send@ mail: a one-byte change in Autocrypt's keydata fails" \
    bash -c "$SYSPY '$REPO/tests/dkim-verify' '$PF_DKIM/keys' '$f' >/dev/null && ! cmp -s '$T/b5' '$f' && ! $SYSPY '$REPO/tests/dkim-verify' '$PF_DKIM/keys' '$T/b5' >/dev/null 2>&1"

# --- the alias service: registration by mail, then alias mail ---
# reg USER ALIAS: register@ and the reply to its confirmation, by mail.
reg() {
	local n tok
	n=$(pf_mails_to "$1" | grep -c .)
	printf 'From: <%s@user.test>\nTo: register@nym.test\nSubject: %s\n\nplease\n' "$1" "$2" |
	    pf_submit "$1@user.test" register@nym.test
	pf_wait_mail "$1" $((n + 1)) 90
	REGF=$(last_to "$1")
	tok=$(grep -o '^Reply-To: <register+[0-9a-f]*@' "$REGF" | sed 's/.*+//; s/@//')
	printf 'From: <%s@user.test>\nTo: register@nym.test\nSubject: %s\n\nyes\n' "$1" "$2" |
	    pf_submit "$1@user.test" "register+$tok@nym.test"
	pf_wait_mail "$1" $((n + 2)) 90
	grep -q "^Subject: Alias $2@nym.test registered" "$(last_to "$1")"
}
check "carol registers cary@nym.test by mail" reg carol cary
verify "alias service confirmation request" "$REGF"
nb=$(pf_mails_to bob | grep -c .)
check "bob registers bobby@nym.test by mail" reg bob bobby
nb=$((nb + 2))
# Carol's mail, signed by her domain, from a host that is not internal
# (127.0.0.2): OpenDKIM verifies it, nymserv rewrites it as cary's.
$SYSPY -c 'import dkim, sys, email.utils
m = ("From: Carol <carol@user.test>\nTo: bobby@nym.test\nSubject: via the alias\nDate: %s\nMessage-ID: <dk-carol-1@user.test>\n\nCarol writes to bobby.\n" % email.utils.formatdate()).encode().replace(b"\n", b"\r\n")
k = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(dkim.sign(m, b"u", b"user.test", k,
    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]) + m)' \
    "$T/udk/u.private" >"$T/carol.eml"
SMTP_SOURCE=127.0.0.2 pf_submit carol@user.test bobby@nym.test <"$T/carol.eml"
pf_wait_mail bob $((nb + 1)) 120
f=$(pf_mails_to bob | xargs grep -l 'Carol writes to bobby' 2>/dev/null | head -1)
check "alias mail: delivered to bob From cary@nym.test" \
    bash -c "[ -n '$f' ] && grep -q '^From: .*cary@nym.test' '$f'"
verify "alias mail" "$f"
broken "alias mail" "$f"
check "alias mail: carries no DKIM-Signature but the server's" \
    bash -c "[ \$(sed '/^\$/q' '$f' | grep -ci '^DKIM-Signature:') = 1 ] && ! sed '/^\$/q' '$f' | grep -qi 'd=user.test'"

# --- OpenDKIM down: what nymserv injects waits (tempfail), unsigned
# mail never leaves ---
nh=$(pf_mails_to alice | grep -c .)
kill "$PF_DKIM_PID" 2>/dev/null
wait "$PF_DKIM_PID" 2>/dev/null
PF_DKIM_PID=
printf 'From: Alice <alice@user.test>\nTo: help@nym.test\nSubject: help again\nMessage-ID: <dk-help-2@user.test>\n\nHello.\n' >"$T/help2"
nymserv -f alice@user.test help <"$T/help2"
check "OpenDKIM down: nymserv hands the help@ answer to sendmail (exit $RC)" [ "$RC" = 0 ]
wait_until grep -q 'milter-reject: .* 4.7.1 ' "$PF/log/maillog"
check "... Postfix finds the milter unreachable and tempfails (4.7.1)" grep -q 'milter-reject: .* 4.7.1 ' "$PF/log/maillog"
check "... the answer waits in the queue" [ "$(pf_queue_count)" -ge 1 ]
check "... and nothing reached alice unsigned (still $nh)" [ "$(pf_mails_to alice | grep -c .)" = "$nh" ]

# --- nymctl dns: the DKIM record it prints is the key that signed ---
cp "$PF_DKIM/nym.txt" "$T/nym.txt"
chmod 644 "$T/nym.txt"
echo "dkim_record = $T/nym.txt" >>"$T/nymserv.conf"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" dns >"$T/dns.out" 2>&1
rc=$?
p=$(grep -o 'p=[A-Za-z0-9+/=]*' "$PF_DKIM/keys" | head -1)
check "nymctl dns: exit 0, SPF, DMARC aligned, and the DKIM record of the signing key ($rc)" \
    bash -c "[ $rc = 0 ] && grep -q '^nym.test.	IN TXT \"v=spf1 mx -all\"' '$T/dns.out' && grep -q '^_dmarc.nym.test.	IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"' '$T/dns.out' && grep '^nym._domainkey.nym.test.	IN TXT' '$T/dns.out' | grep -qF -- '$p\"' && ! grep -q PROBLEM '$T/dns.out'"
opendkim-genkey -b 1024 -d nym.test -s weak -D "$T"
chmod 644 "$T/weak.txt"
sed -i "s|^dkim_record = .*|dkim_record = $T/weak.txt|" "$T/nymserv.conf"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" dns >"$T/dns2.out" 2>&1
rc=$?
check "nymctl dns: a 1024-bit key is a problem (exit $rc)" \
    bash -c "[ $rc = 3 ] && grep -q 'PROBLEM: the DKIM key has 1024 bits' '$T/dns2.out'"
