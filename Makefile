# nymserv - top-level Makefile.  Edit the settings block; everything else
# follows from it.  `make`, `make check`, `make check SANITIZE=1`,
# `make fuzz`, `make install PREFIX=... DESTDIR=...`.

# ---- settings ---------------------------------------------------------
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/nymserv
MANDIR     ?= $(PREFIX)/share/man
SHAREDIR   ?= $(PREFIX)/share/nymserv
EXAMPLESDIR ?= $(SHAREDIR)/examples
UNITDIR    ?= /lib/systemd/system
SYSCONFDIR ?= /etc/nymserv
DESTDIR    ?=

CC         ?= cc
OPT        ?= -O2 -g
SANITIZE   ?=
FUZZ_SECONDS ?= 60
# ------------------------------------------------------------------------

PKGS     = gpgme lmdb libarchive
WARN     = -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla -Wnull-dereference \
           -Werror
DEFS     = -D_GNU_SOURCE -DSYSCONFDIR='"$(SYSCONFDIR)"' \
           -DLIBEXECDIR='"$(LIBEXECDIR)"'
HARDEN   = -fstack-protector-strong -fPIE -fstack-clash-protection
LDHARDEN = -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# The libraries are linked statically from Debian's .a files (PIC, so the
# programs stay PIE with full RELRO): a delivery starts nymserv and remail,
# and each shared library costs every start its loading and the binding of
# its symbols (bench/breakdown.sh measures it).  libc stays shared.
STATIC_LIBS = -lgpgme -lassuan -llmdb -lgcrypt -lgpg-error -lz -lbz2
# libarchive (nymctl's backup only) stays shared: --as-needed keeps it out
# of every other program.
LIBS     = -Wl,-Bstatic $(STATIC_LIBS) -Wl,-Bdynamic -larchive -lresolv -lm \
           -lpthread -ldl

ifeq ($(SANITIZE),1)
  OUT      = build/san
  OPT      = -O1 -g -fno-omit-frame-pointer
  HARDEN  += -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDHARDEN += -fsanitize=address,undefined
else
  OUT      = build/rel
  HARDEN  += -D_FORTIFY_SOURCE=2
endif
BIN      = $(if $(filter 1,$(SANITIZE)),$(OUT)/bin,bin)

CFLAGS   = $(OPT) $(WARN) $(HARDEN) $(DEFS) -Iinclude \
           $(shell pkg-config --cflags $(PKGS))

LIBSRC   = buf die conf msg addr store storelmdb storemod pubview pubwrite wipe gpg gpgkey gpgsign outbound util req respond names pgp nym cfgreq mime sigreq deliver nymkey unread account accountdb confirm expire nymmail outcome replay send sendmsg block dstblk admin backup ctlstore finger stamp purge
LIBOBJ   = $(LIBSRC:%=$(OUT)/%.o)
PROGS    = nymserv nymctl
UNITS    = test_buf test_msg test_addr test_conf test_store test_cfgreq \
           test_pgp test_mime test_mimetext test_pgpids test_nym test_confirm \
           test_storepg
FUZZERS  = fuzz_msg fuzz_addr fuzz_cfgreq fuzz_pgp fuzz_mime

# remail, the type-1 remailer
LIBSRC  += type1 t1crypt spool remailer
PROGS   += remail
UNITS   += test_type1
FUZZERS += fuzz_type1

# administration: nymfingerd, destination blocking
PROGS   += nymfingerd
UNITS   += test_block test_finger test_stamp
FUZZERS += fuzz_finger

# the alias service: alias delivery, the nymreg CGI
LIBSRC  += alias aliasdb aliasaddr authres cgi
PROGS   += nymreg
UNITS   += test_cgi test_alias test_authres
FUZZERS += fuzz_cgi fuzz_alias fuzz_authres

# news: the mail-to-news gateway, the news spool, pool delivery
LIBSRC  += hsub nntp article news
PROGS   += mail2news
UNITS   += test_hsub test_nntp test_article
FUZZERS += fuzz_nntp fuzz_article

# nympolicyd, the Postfix policy service
LIBSRC  += policy ratetab dnscheck
PROGS   += nympolicyd
UNITS   += test_ratetab test_policy test_dnscheck
FUZZERS += fuzz_policy

# where modern mail looks: WKD, Autocrypt, DNS records for DKIM/DMARC
LIBSRC  += keymin wkd autocrypt dnsrec
UNITS   += test_keymin test_wkd
FUZZERS += fuzz_keymin

# The PostgreSQL store backend (issue 18): a module the programs dlopen
# only when nymserv.conf says store = postgresql, so that only it links
# libpq (and its ~25 shared libraries); nothing of libnym is in it.
.DEFAULT_GOAL := all
STOREMOD = nymstore-pg.so
PGFLAGS  = $(shell pkg-config --cflags libpq)
PGLIBS   = $(shell pkg-config --libs libpq)
$(BIN)/$(STOREMOD): src/storepg/storepg.c include/store.h include/storebe.h \
    include/buf.h | $(BIN)
	$(CC) $(OPT) $(WARN) -fPIC -shared -fvisibility=hidden \
	  -fstack-protector-strong -fstack-clash-protection $(DEFS) \
	  -Iinclude $(PGFLAGS) -Wl,-z,relro,-z,now -Wl,--as-needed \
	  -Wl,-z,defs -o $@ $< $(PGLIBS)

all: $(PROGS:%=$(BIN)/%) $(BIN)/$(STOREMOD)

$(OUT) $(BIN) $(OUT)/tests:
	mkdir -p $@

# The compiled-in paths: rewritten only when they change, so that
# `make install PREFIX=/usr` after a default build rebuilds what names
# them instead of installing the old /usr/local paths.
PATHSTAMP = $(OUT)/paths.stamp
$(shell mkdir -p $(OUT) && { echo '$(DEFS)' | cmp -s - $(PATHSTAMP) || \
  echo '$(DEFS)' >$(PATHSTAMP); })

# The sources are grouped by program as Postfix does (README, Layout):
# src/util (no nymserv knowledge), src/global (nymserv's shared modules)
# and one directory per program.
SRCDIRS = src/util src/global src/nymserv src/nymctl src/remail \
          src/nymfingerd src/nymreg src/mail2news src/nympolicyd
vpath %.c $(SRCDIRS)
srcpath = $(foreach m,$(1),$(firstword $(wildcard $(SRCDIRS:%=%/$(m).c))))

$(OUT)/%.o: %.c include/*.h $(PATHSTAMP) | $(OUT)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OUT)/libnym.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(BIN)/%: $(OUT)/%.o $(OUT)/libnym.a | $(BIN)
	$(CC) $(LDHARDEN) -o $@ $< $(OUT)/libnym.a $(LIBS)

$(OUT)/tests/%: tests/unit/%.c tests/unit/t.h $(OUT)/libnym.a | $(OUT)/tests
	$(CC) $(CFLAGS) -Itests/unit $(LDHARDEN) -o $@ $< $(OUT)/libnym.a $(LIBS)

units: $(UNITS:%=$(OUT)/tests/%)

# The whole test suite; the runner ends with "N passed, N failed".
check: all units
	NYM_BIN=$(abspath $(BIN)) NYM_UNITS=$(abspath $(OUT)/tests) \
	  bash tests/run.sh

# libFuzzer harnesses, each run for FUZZ_SECONDS.
FUZZCC    = clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined $(DEFS) \
            -Iinclude $(shell pkg-config --cflags $(PKGS))
build/fuzz/%: fuzz/%.c $(call srcpath,$(LIBSRC)) include/*.h
	mkdir -p build/fuzz
	$(FUZZCC) $(FUZZFLAGS) -o $@ $< $(call srcpath,$(LIBSRC)) $(LIBS)

fuzz: $(FUZZERS:%=build/fuzz/%)
	@for f in $(FUZZERS); do \
	  mkdir -p build/fuzz/corpus-$$f; \
	  cp -n fuzz/seeds/$$f/* build/fuzz/corpus-$$f/ 2>/dev/null; \
	  echo "== $$f ($(FUZZ_SECONDS) s)"; \
	  build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/$$f- \
	    build/fuzz/corpus-$$f 2>build/fuzz/$$f.log \
	    || { tail -50 build/fuzz/$$f.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' \
	    build/fuzz/$$f.log; \
	  grep -a ' DONE ' build/fuzz/$$f.log | tail -1; \
	done

# Helper for the benchmarks in bench/ (not installed, not in PROGS).
bench: $(OUT)/bench/nymbench $(OUT)/bench/outbox
$(OUT)/bench/%: bench/%.c $(OUT)/libnym.a
	mkdir -p $(OUT)/bench
	$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $< $(OUT)/libnym.a $(LIBS)
.PHONY: bench

# Samples name the installed paths: /usr/local/... in etc/ becomes the
# PREFIX, SBINDIR and LIBEXECDIR of this install.
SUBST = sed -e 's|/usr/local/lib/nymserv|$(LIBEXECDIR)|g' \
	    -e 's|/usr/local/sbin|$(SBINDIR)|g' \
	    -e 's|/usr/local/share/nymserv|$(SHAREDIR)|g'

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(EXAMPLESDIR) $(DESTDIR)$(SYSCONFDIR)
	install -m 755 bin/nymctl $(DESTDIR)$(SBINDIR)/
	install -m 755 bin/nymserv $(DESTDIR)$(LIBEXECDIR)/
	install -m 755 bin/remail $(DESTDIR)$(LIBEXECDIR)/
	install -m 755 bin/nymfingerd $(DESTDIR)$(SBINDIR)/
	install -m 755 bin/nymreg $(DESTDIR)$(LIBEXECDIR)/
	install -m 755 bin/nympolicyd $(DESTDIR)$(LIBEXECDIR)/
	install -m 755 bin/mail2news $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 bin/$(STOREMOD) $(DESTDIR)$(LIBEXECDIR)/
	for f in man/*.[58]; do \
	  $(SUBST) "$$f" >"$(DESTDIR)$(MANDIR)/man$${f##*.}/$${f#man/}" && \
	  chmod 644 "$(DESTDIR)$(MANDIR)/man$${f##*.}/$${f#man/}" || exit 1; done
	cd etc && for f in $$(find . -type f | sort); do \
	  install -d "$(DESTDIR)$(EXAMPLESDIR)/$${f%/*}" && \
	  $(SUBST) "$$f" >"$(DESTDIR)$(EXAMPLESDIR)/$$f" && \
	  chmod 644 "$(DESTDIR)$(EXAMPLESDIR)/$$f" || exit 1; done
	install -d $(DESTDIR)$(SHAREDIR)/contrib
	install -m 755 contrib/nymcfg contrib/nymwrap contrib/nymblock \
	  contrib/nymread contrib/nymaam $(DESTDIR)$(SHAREDIR)/contrib/
	test -e $(DESTDIR)$(SYSCONFDIR)/nymserv.conf || \
	  { $(SUBST) etc/nymserv.conf >$(DESTDIR)$(SYSCONFDIR)/nymserv.conf && \
	    chmod 644 $(DESTDIR)$(SYSCONFDIR)/nymserv.conf; }
	test -e $(DESTDIR)$(SYSCONFDIR)/help.txt || \
	  install -m 644 etc/help.txt $(DESTDIR)$(SYSCONFDIR)/help.txt

# The systemd units and timers (etc/*.service, *.timer, *.socket), naming
# the installed programs.  `systemctl daemon-reload` afterwards.
UNITS_SYSTEMD = nymserv-expire.service nymserv-expire.timer \
	nymserv-queue.service nymserv-queue.timer nymserv-backup.service \
	nymserv-backup.timer nymserv-news.service nymserv-news.timer \
	nympolicyd.service nymfingerd.socket nymfingerd@.service
install-units:
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS_SYSTEMD); do \
	  $(SUBST) "etc/$$u" >"$(DESTDIR)$(UNITDIR)/$$u" && \
	  chmod 644 "$(DESTDIR)$(UNITDIR)/$$u" || exit 1; done

clean:
	rm -rf build bin

.PHONY: all units check fuzz install install-units clean
.SECONDARY:
