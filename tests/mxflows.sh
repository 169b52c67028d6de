# tests/mxflows.sh - the end-to-end flows every private MTA runs (sourced
# by tests/e2e/exim.sh and tests/e2e/opensmtpd.sh after the MTA's
# library, which provides mx_setup, mx_start, mx_stop, mx_queue_count,
# mx_flush and mx_seen_defer/signal/bounce).  The same story as
# tests/e2e/postfix.sh, over SMTP, through the shipped samples, plus what
# differs between MTAs: a nymserv killed by a signal, envelope values that
# are hostile on a command line, and postmaster@ kept for a person.

# mx_tail: the end of the MTA's log, for a failure's context.
mx_tail() { grep -v 'queue run' "$MX_LOG" 2>/dev/null | tail -n "${1:-20}" | sed 's/^/# /'; }

mx_flows() {
	local f n_alice i cookie ev hostile weird

	mx_setup || { notok "private $MTA configured"; return 1; }
	if mx_start; then
		ok "private $MX_NAME started on 127.0.0.1:$MX_PORT"
	else
		notok "private $MTA started"; mx_tail; return 1
	fi

	# help@: answered through the MTA into the sender's maildir.
	cat >"$T/help.eml" <<'MAIL'
From: Alice <alice@user.test>
To: help@nym.test
Subject: how do I get a nym?
Message-ID: <mx-help-1@user.test>

Hello.
MAIL
	check "help@ accepted over SMTP" mx_submit alice@user.test help@nym.test <"$T/help.eml"
	if mx_wait_mail alice 1 60; then
		f=$(mx_mails_to alice | head -1)
		ok "help@ answer delivered"
		check "answer quotes the request header" grep -q 'mx-help-1@user.test' "$f"
		check "answer is auto-replied" grep -qi '^Auto-Submitted: auto-replied' "$f"
	else
		notok "help@ answer delivered"; mx_tail
	fi

	# Mail to an unknown nym bounces; the MTA's DSN reaches the sender
	# with nymserv's reason in it.
	cat >"$T/unk.eml" <<'MAIL'
From: Bob <bob@user.test>
To: nosuchnym@nym.test
Subject: hello

Are you there?
MAIL
	check "unknown nym accepted over SMTP" mx_submit bob@user.test nosuchnym@nym.test <"$T/unk.eml"
	if mx_wait_mail bob 1 60; then
		f=$(mx_mails_to bob | head -1)
		check "the MTA's DSN for the unknown nym reaches the sender" \
		    grep -q 'nosuchnym@nym.test' "$f"
		check "the DSN carries nymserv's 5.1.1 reason" \
		    grep -q '5\.1\.1 no such user here' "$f"
	else
		notok "DSN for the unknown nym reaches the sender"; mx_tail
	fi

	# A recipient that reads as an option: -cFILE@nym.test, with FILE a
	# configuration whose sendmail would leave a mark.  The sample passes
	# no envelope value on the command line, so it is an unknown nym.
	ev=/tmp/nymev.$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	mkdir -m 755 "$ev" && MX_EV=$ev
	cat >"$ev/mark" <<EOF
#!/bin/sh
echo run >>$ev/marks/ran
EOF
	mkdir -m 777 "$ev/marks"
	chmod 755 "$ev/mark"
	hostile="-c$ev/evil.conf"
	printf 'hostname = nym.test\nstatedir = %s\nsendmail = %s\n' \
	    "$T/s" "$ev/mark" >"$ev/evil.conf@nym.test"
	check "a recipient like an option ($hostile@nym.test) accepted over SMTP" \
	    mx_submit bob@user.test "$hostile@nym.test" <"$T/unk.eml"
	if mx_wait_mail bob 2 60; then
		f=$(mx_mails_to bob | tail -1)
		check "it is refused as an unknown nym (5.1.1 DSN)" \
		    grep -q '5\.1\.1 no such user here' "$f"
	else
		notok "the option-like recipient bounces as an unknown nym"; mx_tail
	fi
	check "the configuration named in the recipient was never used" \
	    test ! -e "$ev/marks/ran"

	# An envelope sender with characters a shell treats specially reaches
	# nymserv unchanged: help@ without From/Reply-To answers it there.
	weird="o'hara{\$x}\`id\`@user.test"
	printf 'To: help@nym.test\nSubject: help\nMessage-ID: <mx-help-2@user.test>\n\nHi.\n' \
	    >"$T/help2.eml"
	check "help@ from $weird accepted over SMTP" \
	    mx_submit "$weird" help@nym.test <"$T/help2.eml"
	if mx_wait_mail other 1 60; then
		f=$(mx_mails_to other | head -1)
		check "the answer goes to exactly that envelope sender" \
		    grep -qxF "To: <$weird>" "$f"
	else
		notok "help@ answer to $weird delivered"; mx_tail
	fi

	# postmaster@ of the nym domain is a person's, not nymserv's.
	printf 'From: bob@user.test\nSubject: abuse report\n\nA report.\n' |
	    mx_submit bob@user.test postmaster@nym.test
	if mx_wait_mail postmaster 1 60; then
		ok "postmaster@nym.test reaches a person's mailbox"
	else
		notok "postmaster@nym.test reaches a person's mailbox"; mx_tail
	fi

	check "queue empty after the refusals" mx_wait_queue 60

	if [ -z "$HAVE_REMAIL" ]; then
		skip "nym scenarios: bin/remail is not built"
		return 0
	fi

	# --- A nym, created over config@ with a two-hop reply block. ---
	mkkey shadow
	bash "$REPO/contrib/nymblock" -g "$T/c" alice@user.test \
	    remailer@hopa.test=passA remailer@hopb.test=passB >"$T/block"
	nymcfg -n shadow -u shadow -k -c 'create name="Shadow Writer"' -b "$T/block" >"$T/create"
	check "config@ create accepted over SMTP" mx_submit alice@user.test config@nym.test <"$T/create"
	if mx_wait_mail alice 2 120; then
		f=$(mx_mails_to alice | tail -1)
		mx_nymread <"$f" >"$T/notice1" 2>/dev/null
		cookie=$(grep -o 'confirm+[0-9a-f]*@' "$T/notice1" | head -1 | sed 's/confirm+//; s/@//')
		check "confirmation request arrives through both hops and decrypts" test -n "$cookie"
	else
		notok "confirmation request arrives through both hops"; mx_tail 40
		return 1
	fi
	check "each hop got exactly one input" \
	    test "$(ls "$T"/seen-a/*.in | grep -c .)" = 1 -a "$(ls "$T"/seen-b/*.in | grep -c .)" = 1
	check "hop A saw neither the final address nor hop B's directives in clear" \
	    sh -c "! grep -q 'alice@user.test\|Anon-To: remailer@hopb' $T/seen-a/*.in"
	check "hop B saw no final address in clear" \
	    sh -c "! grep -q 'alice@user.test' $T/seen-b/*.in"

	printf 'From: alice@user.test\nSubject: confirm\n\nyes\n' |
	    mx_submit alice@user.test "confirm+$cookie@nym.test"
	if mx_wait_mail alice 3 120; then
		mx_nymread <"$(mx_mails_to alice | tail -1)" >"$T/notice2" 2>/dev/null
		check "success notice arrives after the confirmation" \
		    grep -qi 'completed successfully\|confirmed' "$T/notice2"
	else
		notok "success notice arrives after the confirmation"; mx_tail 40
	fi

	# --- Bob writes to the nym; alice reads it through the hops. ---
	cat >"$T/tonym.eml" <<'MAIL'
From: Bob <bob@user.test>
To: shadow@nym.test
Subject: a question
Message-ID: <bob-1@user.test>

The quick brown fox asks the nym a question.
MAIL
	check "mail to the nym accepted over SMTP" mx_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
	if mx_wait_mail alice 4 120; then
		f=$(mx_mails_to alice | tail -1)
		check "delivered mail carries no body in clear" \
		    sh -c "! grep -q 'quick brown fox' '$f'"
		mx_nymread <"$f" >"$T/read1" 2>/dev/null
		check "delivered mail decrypts (contrib/nymread) to the original body" \
		    grep -q 'quick brown fox asks' "$T/read1"
		check "the hops never saw the body in clear" \
		    sh -c "! grep -q 'fox asks' $T/seen-a/*.in $T/seen-b/*.in"
	else
		notok "mail to the nym delivered through both hops"; mx_tail 40
	fi

	# --- The nym answers through send@. ---
	cat >"$T/answer.txt" <<'MAIL'
From: shadow
To: bob@user.test
Subject: Re: a question
In-Reply-To: <bob-1@user.test>

The nym answers the fox.
MAIL
	nymsend -u shadow <"$T/answer.txt" >"$T/answer.eml"
	check "send@ accepted over SMTP" mx_submit alice@user.test send@nym.test <"$T/answer.eml"
	if mx_wait_mail bob 3 120; then
		f=$(mx_mails_to bob | tail -1)
		check "bob gets the answer from the nym address" \
		    grep -q '^From: Shadow Writer <shadow@nym.test>' "$f"
		check "its envelope sender is the nym (Return-Path)" \
		    grep -qi "^Return-Path: <shadow@nym.test>" "$f"
		check "the answer carries no trace of alice" sh -c "! grep -qi 'alice' '$f'"
		check "the answer's body arrived" grep -q 'The nym answers the fox' "$f"
	else
		notok "send@ answer delivered"; mx_tail 40
	fi
	check "queue empty before the failures" mx_wait_queue 60

	# --- A temporary failure: the MTA defers, then delivers. ---
	n_alice=$(mx_count alice)
	chmod 000 "$T/s"
	check "mail accepted while the state is unwritable" \
	    mx_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
	check "$MTA defers the delivery (nymserv exit 75)" \
	    mx_wait 120 mx_seen_defer shadow@nym.test
	check "the deferred message waits in the queue" test "$(mx_queue_count)" -ge 1
	chmod 700 "$T/s"
	mx_flush
	if mx_wait_mail alice $((n_alice + 1)) 120; then
		ok "the deferred message is delivered after the retry"
	else
		notok "the deferred message is delivered after the retry"; mx_tail 40
	fi
	check "queue empty after the retry" mx_wait_queue 60

	# --- nymserv killed by a signal: the MTA retries, never bounces. ---
	n_alice=$(mx_count alice)
	touch "$T/kill/on"
	check "mail accepted for a nymserv that will be killed" \
	    mx_submit bob@user.test shadow@nym.test <"$T/tonym.eml"
	check "$MTA saw the nymserv it started killed by SIGKILL" \
	    mx_wait 120 mx_seen_signal shadow@nym.test
	check "nymserv was killed (counted by the kill switch)" \
	    test "$(grep -c . "$T/kill/count" 2>/dev/null)" -ge 1
	check "the killed delivery waits in the queue" test "$(mx_queue_count)" -ge 1
	rm -f "$T/kill/on"
	mx_flush
	if mx_wait_mail alice $((n_alice + 1)) 180; then
		ok "the killed delivery is retried and delivered"
	else
		notok "the killed delivery is retried and delivered"; mx_tail 40
	fi
	if mx_seen_bounce 'shadow@nym\.test'; then
		notok "no delivery to the nym bounced"; mx_tail 40
	else
		ok "no delivery to the nym bounced"
	fi

	check "queue empty at the end" mx_wait_queue 60
	# Nothing lost, nothing doubled: alice has the help answer, the
	# confirmation request, the success notice and three deliveries;
	# bob two DSNs and the answer; the odd sender its help answer.
	check "alice received exactly 6 messages" test "$(mx_count alice)" -eq 6
	check "bob received exactly 3 messages" test "$(mx_count bob)" -eq 3
	check "the odd sender received exactly 1 message" test "$(mx_count other)" -eq 1
	check "postmaster received exactly 1 message" test "$(mx_count postmaster)" -eq 1
}

# mx_nymread < mail: what alice reads (contrib/nymread, both hops' keys).
mx_nymread() { bash "$REPO/contrib/nymread" -g "$T/c" passB passA; }
