# wipe.sh - deleted means gone from disk: after a signed delete, nymctl
# wipe and an idle wipe, none of the nym's name, full name, key,
# fingerprint or reply-block contents is readable anywhere under the state
# directory (grep -a over every file: LMDB's data.mdb, the public view,
# the remailer spool, tmp/), while deliveries to another nym run during
# each of the three scrubs (queue-run's, nymctl wipe's, nymctl expire's).
# The real remail is in the loop, so a delayed (Latent-Time) notice sits
# in the spool, tagged, until the scrub removes it; what a killed run left
# in tmp/ goes with the scrub, a running one's file stays.
. "$(dirname "$0")/../lib.sh"
lmdb_only "greps the LMDB file for deleted records (SECURITY.md: on PostgreSQL the WAL keeps them)"
setup_state "remail = $NYM_BIN/remail -c $T/nymserv.conf" "confirm = no"
mkdir -p "$T/rem"
client_init

# mk NAME FULLNAME [LATENT]: create nym NAME whose block goes to
# NAME-dest@real.example (after LATENT, e.g. +2:00, if given).
mk() {
	[ -n "$(fpr_of "$1")" ] || mkkey "$1"
	{
		printf '::\nAnon-To: %s-dest@real.example\n' "$1"
		[ -n "${3:-}" ] && printf 'Latent-Time: %s\n' "$3"
	} >"$T/blk-$1"
	nymcfg -n "$1" -u "$1" -k -c "create +fingerkey name=\"$2\"" \
	    -b "$T/blk-$1" >"$T/create-$1"
	nymserv -f someone@example.org config <"$T/create-$1"
	[ "$RC" = 0 ]
}
# markers NAME: the strings of nym NAME that must go, one a line: name,
# full name, fingerprint, a piece of the armored key, the block's address.
markers() {
	printf '%s\n' "$1" "$(cat "$T/full-$1")" "$(fpr_of "$1")" \
	    "$(cgpg --armor --export "$(fpr_of "$1")" | sed -n 5p | cut -c1-40)" \
	    "$1-dest@real.example"
}
# hits NAME: how many of NAME's markers occur anywhere under the state
# directory (each file read as bytes).
hits() {
	local m n=0
	while IFS= read -r m; do
		[ -z "$m" ] && continue
		# Exact bytes; the fingerprint in either case.
		grep -raqF -e "$m" -e "${m,,}" "$T/s" && n=$((n + 1))
	done < <(markers "$1")
	echo "$n"
}
# spooled: files in the remailer's spool.
spooled() { ls "$T/s/spool" 2>/dev/null | grep -vc '^\.' ; }
# deliver_loop ID COUNT: COUNT messages to beabystand, each retried while it
# exits 75 (at most 20 times); one result line per message.
deliver_loop() {
	local i try rc
	for i in $(seq "$2"); do
		for try in $(seq 20); do
			printf 'From: x@example.org\nTo: beabystand@nym.test\nSubject: m%s-%s\n\nhello\n' "$1" "$i" |
			    as_user "$NYM_BIN/nymserv" -c "$T/nymserv.conf" -f x@example.org beabystand >/dev/null 2>&1
			rc=$?
			echo "$1-$i $try $rc" >>"$T/deliv"
			[ "$rc" = 75 ] || break
		done
	done
}
# handed_on: messages the capture stand-in took for beabystand's block.
handed_on() { grep -lx beabystand-dest@real.example "$T"/cap/*.args 2>/dev/null | wc -l; }
# deliveries_start: three loops of 8 deliveries to beabystand in the
# background; returns once the first has run.
deliveries_start() {
	: >"$T/deliv"
	H0=$(handed_on)
	for w in 1 2 3; do deliver_loop "$w" 8 & done
	wait_until test -s "$T/deliv"
}
# deliveries_done WHAT: wait for the loops; all 24 done (exit 0, after
# retries of 75 only) and each handed on exactly once.
deliveries_done() {
	local r75 d0 other
	echo "# $(wc -l <"$T/deliv") delivery runs had ended when $1 returned"
	wait
	r75=$(awk '$3 == 75' "$T/deliv" | wc -l)
	d0=$(awk '$3 == 0' "$T/deliv" | wc -l)
	other=$(awk '$3 != 0 && $3 != 75' "$T/deliv" | wc -l)
	check "24 deliveries to beabystand during $1: all done (exit 0), $r75 retried after 75, none failed otherwise" \
	    [ "$d0" = 24 -a "$other" = 0 ]
	check "... 24 messages handed on for beabystand, none lost or doubled ($H0 -> $(handed_on))" \
	    [ $(( $(handed_on) - H0 )) = 24 ]
}

for n in doradel:"Dora Deletable" wadewipe:"Wade Wipeable" idaidle:"Ida Idleperson" \
    beabystand:"Bea Bystander"; do
	echo "${n#*:}" >"$T/full-${n%%:*}"
done
if mk doradel "Dora Deletable" +2:00 && mk wadewipe "Wade Wipeable" +2:00 &&
    mk idaidle "Ida Idleperson" +2:00 && mk beabystand "Bea Bystander"; then
	ok "four nyms created (doradel, wadewipe and idaidle with delayed blocks)"
else
	notok "a nym could not be created ($(cat "$T/out"))"
	exit 1
fi
for n in doradel wadewipe idaidle; do
	check "$n: all 5 markers are on disk while the nym lives" [ "$(hits $n)" = 5 ]
done
S0=$(spooled)
check "the creation notices of doradel, wadewipe, idaidle wait in the spool ($S0 files)" [ "$S0" -ge 3 ]

# --- 1. a signed delete, with a pending change hanging on the nym ---
echo 'confirm = yes' >>"$T/nymserv.conf"
printf '::\nAnon-To: doradel-pending@real.example\nLatent-Time: +2:00\n' >"$T/blk-dora2"
nymcfg -n doradel -u doradel -c "create?" -b "$T/blk-dora2" >"$T/mod-doradel"
nymserv -f someone@example.org config <"$T/mod-doradel"
sed -i '$d' "$T/nymserv.conf"
check "doradel: a reply-block change is pending (its confirmation record on disk)" \
    grep -raqF doradel-pending@real.example "$T/s/db"
nymcfg -n doradel -u doradel -c delete >"$T/del-doradel"
nymserv -f someone@example.org config <"$T/del-doradel"
check "doradel: the signed delete is done" [ "$RC" = 0 ]
echo "# doradel right after the delete, before the scrub: $(hits doradel) of 5 markers still on disk (LMDB keeps freed pages)"
# What a killed run leaves in tmp/ (a nym's key for --recipient-file, a
# throw-away GnuPG home), older than the run's time limit (timeout = 300,
# so 6 minutes), and a fresh file of a run that may still be going.
as_user mkdir -p "$T/s/tmp/gpg-killed"
cgpg --armor --export "$(fpr_of doradel)" | as_user tee "$T/s/tmp/key-killed" >/dev/null
cgpg --armor --export "$(fpr_of doradel)" | as_user tee "$T/s/tmp/gpg-killed/pubring.asc" >/dev/null
echo fresh | as_user tee "$T/s/tmp/key-running" >/dev/null
touch -d '-1 hour' "$T/s/tmp/key-killed" "$T/s/tmp/gpg-killed"
check "tmp/ holds a killed run's key file and GnuPG home (an hour old) and a fresh file" \
    bash -c "[ \$(find '$T/s/tmp' -mindepth 1 -maxdepth 1 -mmin +30 | wc -l) = 2 ] && [ -s '$T/s/tmp/key-running' ]"
# The bound: the next nymctl queue-run (every minute in the samples),
# with deliveries to beabystand running meanwhile.
deliveries_start
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" queue-run >"$T/q.out" 2>&1
QRC=$?
deliveries_done "queue-run's scrub"
check "queue-run ran the scrub the delete asked for (exit $QRC)" \
    bash -c "[ $QRC = 0 ] && grep -q 'state compacted' '$T/q.out'"
check "... and swept the two stale tmp/ entries, the fresh one kept" \
    bash -c "grep -q ' 2 temporary files removed' '$T/q.out' && [ ! -e '$T/s/tmp/key-killed' ] && [ ! -e '$T/s/tmp/gpg-killed' ] && [ \"\$(cat '$T/s/tmp/key-running')\" = fresh ]"
check "doradel: none of the 5 markers anywhere under the state directory" [ "$(hits doradel) " = "0 " ]
check "... nor the pending block's address" bash -c "! grep -raqF doradel-pending@real.example '$T/s'"
S1=$(spooled)
check "... doradel's queued mail removed from the spool, the others' kept ($S0 -> $S1)" \
    [ "$S1" -lt "$S0" -a "$S1" -ge 2 ]
check "wadewipe and idaidle untouched (5 markers each)" [ "$(hits wadewipe)$(hits idaidle)" = 55 ]

# --- 2. nymctl wipe, with deliveries to beabystand running meanwhile ---
deliveries_start
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" wipe wadewipe >"$T/w.out" 2>&1
WRC=$?
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" scrub >>"$T/w.out" 2>&1
deliveries_done "nymctl wipe and two scrubs"
check "nymctl wipe wadewipe: done, and the scrub ran at once" \
    bash -c "[ $WRC = 0 ] && grep -q 'wadewipe: wiped' '$T/w.out' && grep -c 'state compacted' '$T/w.out' | grep -qx 2"
check "wadewipe: none of the 5 markers anywhere under the state directory" [ "$(hits wadewipe) " = "0 " ]
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "beabystand's record survived the scrubs" grep -q '^beabystand active' "$T/list"

# --- 3. the idle wipe (nymctl expire, 121 days on) ---
# beabystand stays in use: a request it signs dated 100 days on (accepted
# with future_days = 365) makes it 21 days idle then.
echo 'future_days = 365' >>"$T/nymserv.conf"
nymcfg -n beabystand -u beabystand -c '+acksend' -t $(( $(date +%s) + 100 * 86400 )) >"$T/use-bea" 2>/dev/null
nymserv -f someone@example.org config <"$T/use-bea"
sed -i '$d' "$T/nymserv.conf"
check "beabystand signs a request dated 100 days on (exit $RC)" [ "$RC" = 0 ]
deliveries_start
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" expire -t $(( $(date +%s) + 121 * 86400 )) >"$T/e.out" 2>&1
ERC=$?
deliveries_done "the idle wipe's scrub"
check "expire 121 days on: idaidle wiped (one nym), the scrub ran (exit $ERC)" \
    bash -c "[ $ERC = 0 ] && grep -q 'wiped 1\\b' '$T/e.out' && grep -q 'state compacted' '$T/e.out'"
as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" list >"$T/list"
check "... beabystand (21 days idle then) kept, idaidle gone" \
    bash -c "grep -q '^beabystand active' '$T/list' && ! grep -q '^idaidle ' '$T/list'"
check "idaidle: none of the 5 markers anywhere under the state directory" [ "$(hits idaidle) " = "0 " ]
check "no queued mail of a wiped nym is left in the spool" [ "$(spooled)" = 0 ]
check "the state is sound after three scrubs (nymctl check)" \
    as_user "$NYM_BIN/nymctl" -c "$T/nymserv.conf" check
