#!/usr/bin/env bash
# tests/e2e/exim.sh - nymserv under a real, private Exim 4.96 (Debian's
# exim4-daemon-light, extracted, never installed), through the shipped
# etc/exim/nymserv.conf: the flows of tests/mxflows.sh.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/mxlib.sh"
mx_namespace exim "$@" || exit 0
. "$REPO/tests/eximlib.sh"
. "$REPO/tests/mxflows.sh"
trap mx_cleanup EXIT
MTA=Exim
mx_flows
