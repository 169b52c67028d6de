#!/usr/bin/env bash
# tests/e2e/postfix.sh - nymserv under a real, private Postfix instance.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/pflib.sh"
pf_namespace "$@" || exit 0
trap pf_cleanup EXIT

setup_state "sendmail = /usr/sbin/sendmail"
PF_TRANSPORTS="nym.test nymserv"
PF_SERVICES="nymserv unix - n n - - pipe user=nobody null_sender= argv=$NYM_BIN/nymserv -c $T/nymserv.conf -f \${sender} \${recipient}"
pf_setup || { notok "private Postfix configured"; exit 1; }
if pf_start; then ok "private Postfix started on 127.0.0.1:$PF_PORT"; else
	notok "private Postfix started"; tail "$PF/log/maillog"; exit 1
fi

# help@: answered through Postfix into the sender's maildir.
cat >"$T/help.eml" <<'MAIL'
From: Alice <alice@user.test>
To: help@nym.test
Subject: how do I get a nym?
Message-ID: <pf-help-1@user.test>

Hello.
MAIL
check "help@ accepted over SMTP" pf_submit alice@user.test help@nym.test <"$T/help.eml"
if pf_wait_mail alice 1 60; then
	f=$(pf_mails_to alice | head -1)
	ok "help@ answer delivered"
	check "answer quotes the request header" grep -q 'pf-help-1@user.test' "$f"
	check "answer is auto-replied" grep -qi '^Auto-Submitted: auto-replied' "$f"
else
	notok "help@ answer delivered"; tail -20 "$PF/log/maillog"
fi

# Mail to an unknown nym bounces; the DSN reaches the sender.
cat >"$T/unk.eml" <<'MAIL'
From: Bob <bob@user.test>
To: nosuchnym@nym.test
Subject: hello

Are you there?
MAIL
check "unknown nym accepted over SMTP" pf_submit bob@user.test nosuchnym@nym.test <"$T/unk.eml"
if pf_wait_mail bob 1 60; then
	f=$(pf_mails_to bob | head -1)
	check "DSN for the unknown nym reaches the sender" grep -q 'Status: 5.1.1' "$f"
else
	notok "DSN for the unknown nym reaches the sender"; tail -20 "$PF/log/maillog"
fi

check "queue empty at the end" pf_wait_queue 30
