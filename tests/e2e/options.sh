# options.sh - finding 14 (options after the recipient were still parsed)
# and the envelope from the environment (MTAs that set it there: qmail,
# Exim, OpenSMTPD), so that no sample needs to put an address on a
# command line a shell reads.
. "$(dirname "$0")/../lib.sh"
D=$REPO/tests/data
setup_state "answer_limit = 1000"	# help@ answers one address often
# A second configuration an attacker managed to place: its sendmail
# captures into evil/, so its use is visible.  Named like the recipient
# "-c$T/evil@nym.test" would name it.
mkdir -p "$T/evil"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$T/evil"
sed "s|^sendmail = .*|sendmail = $T/capture-sendmail $T/evil|" \
    "$T/nymserv.conf" >"$T/evil@nym.test"
evil() { count_in "$T/evil"; }
clear_all() { clear_cap; rm -rf "$T"/evil/*; }

# --- nymserv: the first operand ends the options ---
clear_all
nymserv -f alice@example.org help@nym.test "-c$T/evil@nym.test" <"$D/help-normal.eml"
# (A usage error, not any other temporary failure: a configuration that
# does not load exits 75 too.)
check "finding 14: an option-like argument after the recipient is an operand (usage: exit 75, nothing sent by either configuration)" \
    [ "$RC" = 75 -a "$(captured)" = 0 -a "$(evil)" = 0 ] && grep -q '^nymserv: usage:' "$T/out"
clear_all
nymserv -f alice@example.org help@nym.test -v <"$D/help-normal.eml"
check "finding 14: -v after the recipient is not an option either (usage)" \
    [ "$RC" = 75 -a "$(captured)" = 0 ] && grep -q '^nymserv: usage:' "$T/out"
# The samples' form: "--" before the MTA-supplied recipient.
clear_all
nymserv -f alice@example.org -- "-c$T/evil@nym.test" <"$D/help-normal.eml"
check "finding 14: after --, a recipient -cFILE@domain is a recipient (5.1.1), not a configuration" \
    [ "$RC" = 67 -a "$(head -c 5 "$T/out")" = 5.1.1 -a "$(evil)" = 0 ]
clear_all
nymserv -f alice@example.org -- help@nym.test <"$D/help-normal.eml"
check "finding 14: -- then an ordinary recipient works (help answered)" \
    [ "$RC" = 0 -a "$(captured)" = 1 -a "$(evil)" = 0 ]
clear_all
nymserv -f -c/evil -- help@nym.test <"$D/help-normal.eml"
check "finding 14: a sender that looks like an option is -f's argument" \
    [ "$RC" = 0 -a "$(evil)" = 0 ]

# --- nymctl: restore FILE -f must not force the restore ---
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" backup "$T/bk.tar" >/dev/null 2>&1
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" restore "$T/bk.tar" -f >"$T/ctl" 2>&1
rc=$?
check "finding 14: nymctl restore FILE -f: -f after the operand is no option (usage, exit 2; the live state is not replaced)" \
    [ "$rc" = 2 ] && ! grep -q '^restored' "$T/ctl"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list -c "$T/evil@nym.test" >/dev/null 2>&1
check "finding 14: nymctl list -c FILE: usage (exit 2)" [ $? = 2 ]

# --- remail, nymfingerd, nympolicyd take no operands: a stray operand
# with options after it is a usage error, whatever follows ---
clear_all
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" -p remailer-key x "-c$T/evil@nym.test" \
    <"$D/help-normal.eml" >"$T/out" 2>&1
check "finding 14: remail with an operand: usage (exit 75), nothing sent" \
    [ $? = 75 -a "$(captured)" = 0 -a "$(evil)" = 0 ]
as_user "$NYM_BIN/nymfingerd" -c "$T/nymserv.conf" x -v </dev/null >/dev/null 2>&1
check "finding 14: nymfingerd with an operand: usage" [ $? != 0 ]
as_user "$NYM_BIN/nympolicyd" -c "$T/nymserv.conf" -s x -v </dev/null >/dev/null 2>&1
check "finding 14: nympolicyd with an operand: usage (exit 2)" [ $? = 2 ]
as_user "$NYM_BIN/mail2news" -c "$T/nymserv.conf" x "-c$T/evil@nym.test" -q \
    </dev/null >"$T/out" 2>&1
check "finding 14: mail2news with an operand: usage (exit 75), no queue run" \
    [ $? = 75 ] && grep -q '^mail2news: usage:' "$T/out"

# --- every sample puts -- before the MTA-supplied arguments ---
check "finding 14: Postfix master.cf sample: -- before \${recipient}" \
    grep -q -- '-f ${sender} -- ${recipient}$' "$REPO/etc/postfix/master.cf"
check "finding 14: sendmail sample: -- before \$u@\$h" \
    grep -q -- '-f $g -- $u@$h$' "$REPO/etc/sendmail/nymserv.mc"
check "finding 14: qmail sample passes no address on the command line" \
    bash -c "! grep -v '^#' '$REPO/etc/qmail/dot-qmail-default' | grep -q '\\\$'"
check "finding 14: the test Postfix (pflib) and the Postfix bench use -- too" \
    bash -c "grep -q -- '-- \\\\\${recipient}' '$REPO/tests/pflib.sh' && grep -q -- '-- \\\\\${recipient}' '$REPO/bench/postfix.sh'"
check "finding 14: no test or bench passes \${recipient} without -- before it" \
    bash -c "! grep -rn -e '\\\${recipient}' '$REPO/tests' '$REPO/bench' | grep -v -e '-- \\\\\\?\\\${recipient}' -e '^$REPO/tests/e2e/options.sh:'"

# --- the envelope from the environment, no addresses in argv ---
# envrun VAR=VALUE... < message: nymserv without arguments but -c.
envrun() {
	"${RUNAS[@]}" env -i PATH=/usr/bin:/bin LANG=C "$@" \
	    "$NYM_BIN/nymserv" -v -c "$T/nymserv.conf" >"$T/out" 2>&1
	RC=$?
}
clear_cap
# OpenSMTPD (mda_unpriv.c): ORIGINAL_RECIPIENT is the address as sent,
# RECIPIENT the mapped destination user, LOCAL the local part.
envrun ORIGINAL_RECIPIENT=help@nym.test RECIPIENT=nymserv@localhost \
    LOCAL=help DOMAIN=nym.test SENDER=bob@example.org <"$D/help-normal.eml"
check "OpenSMTPD environment: help@ answered, envelope from the environment" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
clear_cap
envrun ORIGINAL_RECIPIENT=nobody@nym.test RECIPIENT=help@localhost \
    LOCAL=nobody SENDER=bob@example.org <"$D/help-normal.eml"
check "OpenSMTPD environment: the address as sent, not the mapped RECIPIENT (nobody@ discards)" \
    [ "$RC" = 0 -a "$(captured)" = 0 ] && grep -q 'nobody: discarded' "$T/out"
envrun ORIGINAL_RECIPIENT='x;touch${IFS}/tmp/pwn`id`@nym.test' LOCAL=x \
    SENDER='a$(id)@example.org' <"$D/help-normal.eml"
check "OpenSMTPD environment: shell metacharacters are only text (5.1.1)" \
    [ "$RC" = 67 ]
# Exim: RECIPIENT is the full address, LOCAL_PART/DOMAIN beside it.
clear_cap
envrun RECIPIENT=help@nym.test LOCAL_PART=help DOMAIN=nym.test \
    SENDER=carol@example.org <"$D/help-normal.eml"
check "Exim environment: help@ answered" [ "$RC" = 0 -a "$(captured)" = 1 ]
# qmail-local: DEFAULT is the part after the .qmail-default prefix.
clear_cap
envrun DEFAULT=help LOCAL=nymserv-help RECIPIENT=nymserv-help@nym.test \
    SENDER= <"$D/help-normal.eml"
check "qmail environment: DEFAULT names the recipient; a null SENDER is not answered" \
    [ "$RC" = 0 -a "$(captured)" = 0 ] && grep -q 'null sender' "$T/out"
