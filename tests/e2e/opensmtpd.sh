#!/usr/bin/env bash
# tests/e2e/opensmtpd.sh - nymserv under a real, private OpenSMTPD 6.8
# (Debian's opensmtpd, extracted, never installed), through the shipped
# etc/opensmtpd/smtpd.conf: the flows of tests/mxflows.sh.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/mxlib.sh"
mx_namespace opensmtpd "$@" || exit 0
. "$REPO/tests/smtpdlib.sh"
. "$REPO/tests/mxflows.sh"
trap mx_cleanup EXIT
MTA=OpenSMTPD
mx_flows
