# privilege.sh - the privilege table of SECURITY.md section 2, row by row:
# what the internet-facing programs link, which files they open (strace),
# and that they work as users who cannot read the state.
. "$(dirname "$0")/../lib.sh"

# --- what they link ---
# links BIN LIB SYMBOL: BIN has LIB, shared (ldd) or linked in from its
# static archive (the library's SYMBOL defined in BIN; the Makefile links
# gpgme, lmdb and libgcrypt statically).
links() {
	ldd "$1" 2>/dev/null | grep -q "$2" ||
	    nm "$1" 2>/dev/null | grep -q " [TtWw] $3\$"
}
nolink() { ! links "$@"; }
for p in nymfingerd nymreg nympolicyd; do
	check "$p links no libgpgme" nolink "$NYM_BIN/$p" libgpgme gpgme_new
done
for p in nymreg nymfingerd nympolicyd; do
	check "$p links no liblmdb" nolink "$NYM_BIN/$p" liblmdb mdb_env_open
done
check "nymserv links libgpgme (so the checks above can fail)" \
    links "$NYM_BIN/nymserv" libgpgme gpgme_new
check "nymserv links liblmdb (so the checks above can fail)" \
    links "$NYM_BIN/nymserv" liblmdb mdb_env_open

if [ "$(id -u)" != 0 ]; then
	skip "privilege: the strace and other-user rows need root"
	exit 0
fi
if ! command -v strace >/dev/null; then
	notok "privilege: strace is not installed (apt-get install strace)"
	exit 1
fi

# --- a state with a published nym, owned by nobody; the view's group ---
getent group nympub >/dev/null || groupadd --system nympub
id nymfinger >/dev/null 2>&1 || useradd --system --no-create-home \
    --shell /usr/sbin/nologin --gid nympub nymfinger
id www-data >/dev/null 2>&1 || useradd --system --no-create-home \
    --shell /usr/sbin/nologin www-data
setup_nyms
# As README says for an existing state: the state directory and pub/ get
# group nympub, set-group-ID, so that entries written later inherit it.
chgrp nympub "$T/s" && chmod 2710 "$T/s"
chgrp -R nympub "$T/s/pub" && chmod 2750 "$T/s/pub" "$T/s/pub/n"
make_nym alice '+fingerkey name="Alice Nym"'
check "nym alice created" [ "$RC" = 0 ]
PUBGID=$(getent group nympub | cut -d: -f3)
READER=(setpriv --reuid="$(id -u nymfinger)" --regid="$PUBGID" --clear-groups --)
WEB=(setpriv --reuid="$(id -u www-data)" --regid="$(id -g www-data)" --clear-groups --)
check "the state directory: 0710, group nympub (pass-through only)" \
    [ "$(stat -c '%a %G' "$T/s")" = "2710 nympub" ]
check "pub/ is group nympub, the entries group-readable" \
    bash -c "[ \"\$(stat -c %G '$T/s/pub')\" = nympub ] && [ \"\$(stat -c %a '$T/s/pub/n/'\$(ls '$T/s/pub/n' | head -1))\" = 640 ]"
check "the view's reader cannot read db/ nor gnupg/" \
    bash -c "! ${READER[*]} cat '$T/s/db/data.mdb' >/dev/null 2>&1 && ! ${READER[*]} ls '$T/s/gnupg' >/dev/null 2>&1"

# traced FILE CMD...: run CMD under strace, the file calls in FILE.
# (LeakSanitizer cannot run under ptrace: the sanitizer pass sets LSAN.)
LSAN=ASAN_OPTIONS=detect_leaks=0
traced() {
	local f=$1; shift
	strace -f -qq -e trace=open,openat,openat2,creat,mkdir,unlink,unlinkat,rename,renameat,renameat2 \
	    -o "$f" "$@"
}
# opened FILE: the paths under the state directory that FILE's calls name.
under_state() { grep -o "\"$T/s[^\"]*\"" "$1" | tr -d '"' | sort -u; }
# writes FILE: calls under the state directory that could change it.
writes_under_state() {
	grep "\"$T/s" "$1" | grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\(|mkdir|unlink|rename'
}

# --- nymfingerd, as nymfinger:nympub ---
for q in alice config remailer-key list; do

	printf '%s\r\n' "$q" | traced "$T/st-f-$q" "${READER[@]}" env -i "$LSAN" \
	    "$NYM_BIN/nymfingerd" -c "$T/nymserv.conf" >"$T/f-$q" 2>&1
done
check "nymfingerd as another user: alice's name and key" \
    bash -c "grep -q 'Name: Alice Nym' '$T/f-alice' && grep -q 'BEGIN PGP PUBLIC KEY BLOCK' '$T/f-alice'"
check "... the server key (config@) and the remailer key" \
    bash -c "grep -q 'BEGIN PGP PUBLIC KEY BLOCK' '$T/f-config' && grep -q 'BEGIN PGP PUBLIC KEY BLOCK' '$T/f-remailer-key'"
check "... list@ names alice" grep -q '^  alice' "$T/f-list"
cat "$T"/st-f-* >"$T/st-f"
n=$(under_state "$T/st-f" | grep -c "^$T/s/pub/")
check "strace: nymfingerd opened the public view ($n paths)" [ "$n" -ge 4 ]
check "strace: nymfingerd named nothing under db/ or gnupg/" \
    bash -c "! grep -qE '\"$T/s/(db|gnupg)' '$T/st-f'"
check "strace: nymfingerd wrote, created, removed nothing under the state" \
    bash -c "[ -z \"\$(grep '\"$T/s' '$T/st-f' | grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\\(|mkdir|unlink|rename')\" ]"

# --- nympolicyd (one process per connection, -s), as nymfinger:nympub ---
req() { printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nsender=s@x.example\nrecipient=%s\nclient_address=192.0.2.1\ninstance=i%s\n\n' "$1" "$RANDOM"; }
{ req alice@nym.test; req nobody-here@nym.test; } |
    traced "$T/st-p" "${READER[@]}" env -i "$LSAN" "$NYM_BIN/nympolicyd" \
    -c "$T/nymserv.conf" -s >"$T/p.out" 2>"$T/p.err"
check "nympolicyd as another user: alice known (dunno), an unknown name 5.1.1" \
    bash -c "[ \"\$(grep -c '^action=' '$T/p.out')\" = 2 ] && sed -n 1p '$T/p.out' | grep -qx action=dunno && grep -q '^action=reject 5.1.1' '$T/p.out'"
n=$(grep -c "\"$T/s/pub/" "$T/st-p")
check "strace: nympolicyd read the public view ($n calls)" [ "$n" -ge 1 ]
check "strace: nympolicyd named nothing under db/ or gnupg/" \
    bash -c "! grep -qE '\"$T/s/(db|gnupg)' '$T/st-p'"
check "strace: nympolicyd wrote, created, removed nothing under the state" \
    bash -c "[ -z \"\$(grep '\"$T/s' '$T/st-p' | grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\\(|mkdir|unlink|rename')\" ]"

# --- nymreg, as www-data: no access to the state at all ---
mkdir -p "$T/outbox"
chown www-data "$T/outbox"
sed "s|^sendmail = .*|sendmail = $T/capture-sendmail $T/outbox|" \
    "$T/nymserv.conf" >"$T/nymreg.conf"
chmod 644 "$T/nymreg.conf"
body='alias=zoe&email=zoe%40example.com&action=register'
printf '%s' "$body" | traced "$T/st-r" "${WEB[@]}" env -i "$LSAN" REQUEST_METHOD=POST \
    CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#body} \
    NYMREG_CONF="$T/nymreg.conf" "$NYM_BIN/nymreg" >"$T/r.out" 2>&1
check "nymreg as www-data: 200, 'check your mail', the request handed on" \
    bash -c "grep -q '^Status: 200' '$T/r.out' && grep -q 'check your mail' '$T/r.out' && [ \"\$(tail -1 '$T/outbox/1.args')\" = register@nym.test ]"
check "strace: nymreg named nothing under the state directory" \
    bash -c "! grep -q '\"$T/s' '$T/st-r'"
pass_cgi_1() {
	nymserv -f "$(sed -n 2p "$T/outbox/1.args")" "$(sed -n 5p "$T/outbox/1.args")" <"$T/outbox/1.msg"
}
clear_cap
pass_cgi_1
check "... and nymserv (the state's owner) answers it: a confirmation to zoe" \
    bash -c "[ '$RC' = 0 ] && [ \"\$(tail -1 '$T/cap/1.args')\" = zoe@example.com ]"
