#!/usr/bin/env bash
# tests/e2e/install.sh - make install into a staging DESTDIR: every
# program, a man page for each, the samples; an existing configuration
# is kept; the binaries are hardened (PIE, full RELRO, stack protector).
. "$(dirname "$0")/../lib.sh"
# Run by `make check SANITIZE=1`, the make below would inherit SANITIZE=1
# through MAKEFLAGS and build (or compare) the sanitizer tree: this test
# is about the release build, as an operator makes it.
unset MAKEFLAGS MFLAGS MAKELEVEL SANITIZE
D=$T/stage
out=$(make -s -C "$REPO" install PREFIX=/usr/local DESTDIR="$D" 2>&1)
check "make install exits 0 ($out)" test $? = 0
progs=$(make -s -C "$REPO" -f Makefile -f - print-progs <<<'print-progs: ; @echo $(PROGS)')
check "the Makefile lists programs" test -n "$progs"
for p in $progs; do
	f=
	for d in usr/local/sbin usr/local/lib/nymserv; do
		[ -x "$D/$d/$p" ] && f=$D/$d/$p
	done
	check "$p installed and executable" test -n "$f"
	check "$p has a man page" test -f "$D/usr/local/share/man/man8/$p.8"
	[ -n "$f" ] || continue
	hdr=$(readelf -h -d -l "$f" 2>/dev/null)
	check "$p is PIE" grep -q 'Type:.*DYN' <<<"$hdr"
	check "$p has full RELRO" sh -c 'printf "%s" "$1" | grep -q GNU_RELRO &&
	    printf "%s" "$1" | grep -q "BIND_NOW"' _ "$hdr"
	check "$p has the stack protector" sh -c "nm -D '$f' | grep -q __stack_chk_fail"
done
check "nymserv.conf(5) installed" test -f "$D/usr/local/share/man/man5/nymserv.conf.5"
check "configuration installed" test -f "$D/etc/nymserv/nymserv.conf"
for s in postfix/master.cf postfix/main.cf postfix/transport exim/nymserv.conf \
    sendmail/nymserv.mc qmail/dot-qmail-default opensmtpd/smtpd.conf \
    nymserv-expire.timer nymserv-queue.timer nympolicyd.service \
    nymserv-news.timer nymserv-news.service pgbouncer.ini \
    pgbouncer-userlist.txt nymserv-postgresql.conf postgresql-nymserv.conf; do
	check "sample $s installed" test -f "$D/usr/local/share/nymserv/examples/$s"
done
check "the PostgreSQL sample names the installed store module" \
    grep -qx '#store_module = /usr/local/lib/nymserv/nymstore-pg.so' "$D/usr/local/share/nymserv/examples/nymserv-postgresql.conf"
check "client helpers installed" sh -c "test -x '$D/usr/local/share/nymserv/contrib/nymblock' && test -x '$D/usr/local/share/nymserv/contrib/nymaam'"
echo "hostname = mine.example" >"$D/etc/nymserv/nymserv.conf"
make -s -C "$REPO" install PREFIX=/usr/local DESTDIR="$D" >/dev/null 2>&1
check "a second install keeps the operator's configuration" \
    grep -qx 'hostname = mine.example' "$D/etc/nymserv/nymserv.conf"

# Stumble 11: the compiled-in paths follow PREFIX.  A copy of the built
# tree (same objects, same times): a second PREFIX rebuilds what names
# the paths, the same PREFIX rebuilds nothing.
mkdir -p "$T/tree"
cp -a "$REPO/Makefile" "$REPO/src" "$REPO/include" "$T/tree/"
mkdir -p "$T/tree/build" && cp -a "$REPO/build/rel" "$T/tree/build/"
n_same=$(make -n -C "$T/tree" all 2>/dev/null | grep -c -- ' -c -o ')
n_usr=$(make -n -C "$T/tree" PREFIX=/usr all 2>/dev/null | grep -c -- ' -c -o .*conf\.o')
check "make all with the built PREFIX compiles nothing ($n_same)" test "$n_same" = 0
check "make with PREFIX=/usr after a default build recompiles the paths' users" \
    test "$n_usr" -ge 1
check "installed samples name the installed programs" \
    grep -q "argv=/usr/local/lib/nymserv/nymserv " "$D/usr/local/share/nymserv/examples/postfix/master.cf"
