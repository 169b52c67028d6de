#!/usr/bin/env bash
# make-keys.sh - how the committed key fixtures for test_keymin were made
# (once, with GnuPG 2.2.40); the unit test reads them, it never runs gpg.
#   bash tests/data/pgp/make-keys.sh
set -eu
cd "$(dirname "$0")"
G=$(mktemp -d /tmp/gk.XXXXXX)
trap 'gpgconf --homedir "$G" --kill all; rm -rf "$G"' EXIT
g() { gpg --homedir "$G" --batch --quiet --no-tty --trust-model always \
    --passphrase '' --pinentry-mode loopback "$@"; }
fpr() { g --with-colons --list-keys "$1" | awk -F: '/^fpr/{print $10; exit}'; }
exec 2>/dev/null
# One UID, the nym's address, an encryption subkey: what WKD publishes.
g --quick-gen-key 'Alice Nym <alice@nym.test>' ed25519 sign 0
g --quick-add-key "$(fpr alice@nym.test)" cv25519 encr 0
# Someone else's certification on it: never published.
g --quick-gen-key 'Other <other@else.test>' ed25519 sign 0
g -u other@else.test --quick-sign-key "$(fpr alice@nym.test)" 'Alice Nym <alice@nym.test>'
g --export alice@nym.test >key-one.pgp
g --armor --export-options export-minimal --export alice@nym.test >key-one.asc
# A second UID carrying a real name (the nym's address is not the first).
g --quick-gen-key 'bob@nym.test' ed25519 sign 0
g --quick-add-uid bob@nym.test 'Robert Realname <robert@home.example>'
g --quick-add-key "$(fpr bob@nym.test)" cv25519 encr 0
g --export-options export-minimal --export bob@nym.test >key-two.pgp
# Sign-only: no encryption subkey.
g --quick-gen-key 'carol@nym.test' ed25519 sign 0
g --export-options export-minimal --export carol@nym.test >key-signonly.pgp
# Expired: made in 2020, valid for a day (gpg adds no subkey to it).
g --faked-system-time 20200101T000000! --quick-gen-key 'dave@nym.test' ed25519 sign 1d
g --faked-system-time 20200101T000000! --quick-add-key "$(fpr dave@nym.test)" cv25519 encr 1d
g --export-options export-minimal --export dave@nym.test >key-expired.pgp
# RSA, two encryption subkeys: an old one and a newer one, the newer
# revoked.  The old one is the usable one.
g --faked-system-time 20240101T000000! --quick-gen-key 'erin@nym.test' rsa2048 sign 0
g --faked-system-time 20240101T000000! --quick-add-key "$(fpr erin@nym.test)" rsa2048 encr 0
g --faked-system-time 20240201T000000! --quick-add-key "$(fpr erin@nym.test)" rsa2048 encr 0
printf 'key %s\nrevkey\ny\n0\n\ny\nsave\n' 2 |
    g --command-fd 0 --edit-key erin@nym.test >/dev/null
g --export-options export-minimal --export erin@nym.test >key-subkeys.pgp
