#!/usr/bin/env bash
# make.sh - how the committed fixtures in this directory were made (once,
# with GnuPG 2.2.40); test_pgp reads the files, it never runs gpg.
# Signer and recipient: nym1 from /work/shared/data/nymkeys-secret-1-20.pgp.
#   bash tests/data/pgp/make.sh [SECRET-KEYS]
set -eu
cd "$(dirname "$0")"
keys=${1:-/work/shared/data/nymkeys-secret-1-20.pgp}
G=$(mktemp -d /tmp/gp.XXXXXX)
trap 'gpgconf --homedir "$G" --kill all; rm -rf "$G"' EXIT
g() { gpg --homedir "$G" --batch --quiet --no-tty --trust-model always \
    --faked-system-time 20261123T070000! -u nym1@nym.example.org "$@"; }
g --import "$keys" 2>/dev/null
exec 2>/dev/null		# the faked-time warnings
text='Config:
From: nym1
Nym-Commands: create? +acksend
- a line with a leading dash
'
# Signed only, ZIP compression: an old-format compressed packet of
# indeterminate length holding a partial-length literal (from a pipe).
printf '%s' "$text" | g --compress-algo zip --sign >signed-zip.pgp
printf '%s' "$text" | g --compress-algo bzip2 --sign >signed-bzip2.pgp
printf '%s' "$text" | g --compress-algo zip --armor --sign >signed-zip.asc
# 9000 bytes from a pipe: the literal gets new-format partial lengths.
yes 'filler line for partial lengths' | head -c 9000 |
    g --compress-algo zip --sign >signed-partial.pgp
# Signed and encrypted with ZLIB, then unwrapped (decrypted, not verified):
# what nymserv gets from gpg_unwrap.
printf '%s' "$text" | g --compress-algo zlib --sign --encrypt \
    -r nym1@nym.example.org >signed-enc-zlib.pgp
g --unwrap --decrypt signed-enc-zlib.pgp >signed-enc-zlib-unwrapped.pgp 2>/dev/null
# Uncompressed signed message: the literal and signature are top level.
printf '%s' "$text" | g --compress-algo none --sign >signed-none.pgp
printf '%s' "$text" | g --clearsign >clearsigned.asc
printf '%s' "$text" | g --armor --detach-sign >detached.asc
g --armor --export-options export-minimal --export nym1@nym.example.org \
    >pubkey.asc
