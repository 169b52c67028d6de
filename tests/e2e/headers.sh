# headers.sh - the header fields the server writes, with real gpg and
# LMDB: finding 5 (send@ passed on what identifies the sender's machine:
# now an allow-list, a fresh Date in UTC and a fresh Message-ID) and
# finding 13 (a bare CR or another control in a value went out unchanged,
# so receivers that end lines at CR saw forged fields), for send@ and the
# alias rewrite.
. "$(dirname "$0")/../lib.sh"
setup_nyms
make_nym alice '-acksend name="Alice Nym"'
snd() { nymserv -f someone@client.example send <"$1"; }
hdr_of() { sed '/^$/q' "$1"; }
names_of() { sed '/^$/q' "$1" | grep -o '^[^ 	:]*:' | tr -d : | sort -u; }
lastrem() { ls "$T/rem" | grep '\.msg$' | sort -n | tail -1; }

# --- finding 5: only the allow-list leaves ---
cat >"$T/m5" <<'MSG'
From: alice
To: Bob <bob@example.org>
Cc: carol@example.org
Reply-To: replies@example.net
Subject: what a mail client says about its machine
Date: Mon, 23 Nov 2026 11:00:00 +0100
Message-ID: <1234.5678@laptop.realhost.example>
In-Reply-To: <earlier@example.org>
References: <first@example.org> <earlier@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8; format=flowed
Content-Transfer-Encoding: 8bit
Content-Language: de-CH
Accept-Language: de-CH, en-US
Thread-Index: AdkXyZrealhost
Thread-Topic: realhost
X-MS-Exchange-Organization-SCL: -1
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: realhost
X-Google-Smtp-Source: realhost
X-Mozilla-Draft-Info: internal/draft; vcard=0; realhost
X-Identity-Key: id1realhost
X-Account-Key: account2realhost
Importance: high
X-Priority: 1 (realhost)
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Thunderbird/102.3.0
Organization: Realhost Inc.
Content-ID: <part0.realhost@laptop.realhost.example>
X-Field-Nobody-Knows-Yet: realhost

The body stays as it is.
MSG
nymsend -u alice <"$T/m5" >"$T/r5"
clear_cap
n0=$(count_in "$T/rem")
snd "$T/r5"
check "finding 5: send@ with a chatty client's header: exit 0, one message" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
M=$T/cap/1.msg
hdr_of "$M" >"$T/h5"
allowed="Cc Content-Transfer-Encoding Content-Type Date From In-Reply-To MIME-Version Message-ID References Reply-To Subject To X-Nym-Server"
extra=$(comm -23 <(names_of "$M") <(printf '%s\n' $allowed | sort -u) | tr '\n' ' ')
check "finding 5: only allow-listed fields leave (extra: '${extra}')" [ -z "$extra" ]
check "finding 5: nothing of the client's machine, language or program is left" \
    bash -c "! grep -qiE 'realhost|de-CH|thunderbird|mozilla|account2|id1' '$T/h5'"
check "finding 5: a fresh Date in UTC, not the client's" \
    bash -c "grep -q '^Date: .* +0000\$' '$T/h5' && ! grep -q '11:00:00 +0100' '$T/h5' && [ \$(grep -c '^Date:' '$T/h5') = 1 ]"
check "finding 5: a fresh Message-ID of the server, not the client's" \
    bash -c "grep -qE '^Message-ID: <[0-9a-f]{24}@nym.test>\$' '$T/h5' && [ \$(grep -c '^Message-ID:' '$T/h5') = 1 ]"
for f in 'To: Bob <bob@example.org>' 'Cc: carol@example.org' \
    'Reply-To: replies@example.net' \
    'Subject: what a mail client says about its machine' \
    'In-Reply-To: <earlier@example.org>' \
    'References: <first@example.org> <earlier@example.org>' \
    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=utf-8; format=flowed' \
    'Content-Transfer-Encoding: 8bit' 'From: Alice Nym <alice@nym.test>'; do
	check "finding 5: kept: $f" grep -qxF "$f" "$T/h5"
done
check "finding 5: the body is untouched" grep -qx 'The body stays as it is.' "$M"
check "finding 5: the dropped fields alone ask for no acknowledgement" \
    [ "$(count_in "$T/rem")" = "$n0" ]

# strip_headers: further drops among the allowed fields.
echo 'strip_headers = Reply-To In-*' >>"$T/nymserv.conf"
sed 's/^Subject: .*/Subject: second/' "$T/m5" | nymsend -u alice >"$T/r5b"
clear_cap
snd "$T/r5b"
hdr_of "$T/cap/1.msg" >"$T/h5b"
check "strip_headers drops allowed fields too (Reply-To, In-Reply-To)" \
    bash -c "! grep -qiE '^(Reply-To|In-Reply-To):' '$T/h5b' && grep -q '^References:' '$T/h5b'"
sed -i '/^strip_headers/d' "$T/nymserv.conf"

# --- finding 13: controls in values, send@ ---
printf 'From: alice\nTo: bob@example.org\nSubject: x\rFrom: "CEO" <ceo@bank.example>\nReferences: <a@b>\r\x1b[2J\x7f\nNym-Commands: +acksend\n\nbody\n' >"$T/m13"
check "the request really holds a bare CR and ESC" grep -q $'\r' "$T/m13"
nymsend -u alice <"$T/m13" >"$T/r13"
clear_cap
snd "$T/r13"
check "finding 13: send@ with a CR in Subject: exit 0, one message" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
hdr_of "$T/cap/1.msg" >"$T/h13"
check "finding 13: no CR, ESC or DEL in the header sent" \
    bash -c "! LC_ALL=C grep -q \$'[\\r\\x1b\\x7f]' '$T/h13'"
check "finding 13: even split at CR, the header holds one From: ours" \
    bash -c "[ \"\$(tr '\\r' '\\n' <'$T/h13' | grep -c '^From:')\" = 1 ] && grep -qx 'From: Alice Nym <alice@nym.test>' '$T/h13'"
check "finding 13: the forged text stays inside Subject" \
    grep -qxF 'Subject: x From: "CEO" <ceo@bank.example>' "$T/h13"
decrypt_notice "$T/rem/$(lastrem)" >"$T/ack13"
check "finding 13: the acknowledgement says control characters were replaced" \
    grep -q 'control characters replaced by spaces in Subject:' "$T/ack13"

# --- finding 13: controls in values, the alias rewrite ---
add_aliases() {
	printf 'ally\nalice@example.org\nbobby\nbob@example.net\n' |
	    state_load aliases &&
	    printf 'alice@example.org\nally\nbob@example.net\nbobby\n' |
	    state_load addrs
}
check "aliases ally and bobby in the state" add_aliases
# (The Authentication-Results our MTA adds: alias mail needs it since
# issue 16, SECURITY.md 2.2.)
printf 'Authentication-Results: nym.test; spf=pass smtp.mailfrom=alice@example.org\nFrom: alice@example.org\nTo: bobby@nym.test\nSubject: hi\rFrom: "CEO" <ceo@bank.example>\nX-Note: a\0b\x01c\nKeywords: one\r\n two\n\nbody\r\n' >"$T/a13"
clear_cap
nymserv -f alice@example.org bobby <"$T/a13"
check "finding 13: alias mail with CR and NUL in the header: exit 0, one message" \
    [ "$RC" = 0 -a "$(captured)" = 1 ]
hdr_of "$T/cap/1.msg" >"$T/ha13"
check "finding 13: alias rewrite: no CR, NUL or other control in the header" \
    bash -c "! LC_ALL=C grep -qaP '[\\x00-\\x08\\x0b-\\x1f\\x7f]' '$T/ha13'"
check "finding 13: alias rewrite: one From:, the sender's alias" \
    bash -c "[ \"\$(tr '\\r' '\\n' <'$T/ha13' | grep -c '^From:')\" = 1 ] && grep -qx 'From: <ally@nym.test>' '$T/ha13'"
check "finding 13: alias rewrite: folding kept (a CRLF fold is a fold)" \
    bash -c "grep -qx 'Keywords: one' '$T/ha13' && grep -qx ' two' '$T/ha13'"

# --- finding 13: remail's pasted (##) headers ---
printf '::\nAnon-To: dest@example.org\n\n##\nSubject: pasted\rFrom: "CEO" <ceo@bank.example>\nReferences: <a@b>\x1b[2J\n\nthe payload\n' >"$T/p13"
clear_cap
as_user "$NYM_BIN/remail" -c "$T/nymserv.conf" <"$T/p13" >"$T/out" 2>&1
check "finding 13: remail with a CR in a pasted Subject: exit 0, one message" \
    [ $? = 0 -a "$(captured)" = 1 ]
hdr_of "$T/cap/1.msg" >"$T/hp13"
check "finding 13: remail: no CR or ESC in the header, one From: (the remailer's)" \
    bash -c "! LC_ALL=C grep -q \$'[\\r\\x1b]' '$T/hp13' && [ \"\$(tr '\\r' '\\n' <'$T/hp13' | grep -c '^From:')\" = 1 ]"
check "finding 13: remail: the pasted Subject kept, its CR a space" \
    grep -qxF 'Subject: pasted From: "CEO" <ceo@bank.example>' "$T/hp13"
