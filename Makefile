# pam_mysql in Swift. `make` builds build/pam_mysql.so; `make test` and `make demo` also install
# the Debian packages they need (as root) and start their own throwaway MariaDB on loopback.

SWIFT        ?= swift
SWIFT_FLAGS  := -c release --disable-local-rpath
BUILD        := build
MODULE       := $(BUILD)/pam_mysql.so
TOOL         := $(BUILD)/pam-mysql
AUTHD        := $(BUILD)/pam-mysql-authd
HELPERS      := $(BUILD)/test-helpers
# The benchmark's C tools (bench/): defined here, before any rule names them.
BENCH_TOOLS := $(BUILD)/bench/authload $(BUILD)/bench/crypt_loop $(BUILD)/bench/select_loop
MULTIARCH    := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
PAMDIR       ?= /lib/$(MULTIARCH)/security
MODULE_NAME  ?= pam_mysql.so
# The python3 that has pytest (pyenv's on these machines, else Debian's python3-pytest).
PYTHON       ?= $(shell python3 -c 'import pytest' 2>/dev/null && echo python3 || echo /usr/bin/python3)
SOURCES      := Package.swift $(shell find Sources -type f 2>/dev/null)

.PHONY: all authd deps build helpers install test unit-test asan-test asan-authd integration-test demo bench bench-tools soak galera clean fuzz fuzz-smoke deb format format-check

all: $(MODULE) $(TOOL) $(AUTHD)

# Build once; every test reuses this module and these object files.
# libstdc++ (which the Swift runtime needs) is linked statically: loading the shared one cost
# more instructions at dlopen than the rest of the module (see BENCHMARKS.md). The driver asks
# for -lstdc++ before any flag of ours can come, so the archive is offered under that name in
# the products folder, which the linker searches before the compiler's own.
$(MODULE): $(SOURCES)
	mkdir -p "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)"
	ln -sf "$$(gcc -print-file-name=libstdc++.a)" "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/libstdc++.a"
	$(SWIFT) build $(SWIFT_FLAGS) --product pam_mysql
	mkdir -p $(BUILD)
	strip --strip-unneeded -o $(MODULE).tmp "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/libpam_mysql.so"
	mv -f $(MODULE).tmp $(MODULE)

build: $(MODULE) $(TOOL) $(AUTHD)

# The administrator's tool, with the Swift runtime linked in (Package.swift's staticRuntime; the
# module keeps its own link flags there). Every swift build here uses the same parameters, so the
# module, the tests, the tool and the daemon share one set of object files.
$(TOOL): $(SOURCES) $(MODULE)
	$(SWIFT) build $(SWIFT_FLAGS) --product pam-mysql
	mkdir -p $(BUILD)
	strip -o $(TOOL).tmp "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/pam-mysql"
	mv -f $(TOOL).tmp $(TOOL)

# The auth daemon (SwiftNIO; no libpam), built like the tool. After the module only so that two
# swift builds never run at once on the same build folder.
authd: $(AUTHD)

$(AUTHD): $(SOURCES) $(MODULE)
	$(SWIFT) build $(SWIFT_FLAGS) --product pam-mysql-authd
	mkdir -p $(BUILD)
	strip -o $(AUTHD).tmp "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/pam-mysql-authd"
	mv -f $(AUTHD).tmp $(AUTHD)

# FORCE=1: replace an installed mail or database server anyway; DRY_RUN=1: say what would happen.
deps:
	FORCE="$(FORCE)" DRY_RUN="$(DRY_RUN)" scripts/install-deps.sh

$(HELPERS)/pam_loop: Tests/integration/helpers/pam_loop.c
	mkdir -p $(HELPERS)
	cc -O2 -Wall -Wextra -o $@ $< -lpam

$(HELPERS)/libsyslog_capture.so: Tests/integration/helpers/syslog_capture.c
	mkdir -p $(HELPERS)
	cc -O2 -Wall -Wextra -shared -fPIC -o $@ $<

$(HELPERS)/pam_preset_authtok.so: Tests/integration/helpers/pam_preset_authtok.c
	mkdir -p $(HELPERS)
	cc -O2 -Wall -Wextra -shared -fPIC -o $@ $< -lpam

$(HELPERS)/pam_concurrency: Tests/integration/helpers/pam_concurrency.c
	mkdir -p $(HELPERS)
	cc -O2 -Wall -Wextra -pthread -o $@ $< -lpam

$(HELPERS)/pam_exec_probe: Tests/integration/helpers/pam_exec_probe.c
	mkdir -p $(HELPERS)
	cc -O2 -Wall -Wextra -o $@ $< -lpam

helpers: $(HELPERS)/pam_loop $(HELPERS)/libsyslog_capture.so $(HELPERS)/pam_preset_authtok.so $(HELPERS)/pam_concurrency $(HELPERS)/pam_exec_probe

unit-test: $(MODULE)
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests
	$(SWIFT) test $(SWIFT_FLAGS) --skip-build

# The unit tests built with AddressSanitizer (invalid reads and writes, use after free, overflows).
# Only the test product is built: the module product links with -z defs, which the
# sanitizer runtime's symbols (resolved by the executable) cannot satisfy in a shared object.
# Leak detection is off here: swift-corelibs-xctest leaks the weak box of every async test
# together with the test objects it keeps reachable (hundreds of indirect reports, none from
# our code). Leaks in the module itself are checked with valgrind over real PAM transactions
# (Tests/integration/test_memory_concurrency.py).
asan-test:
	$(SWIFT) build --scratch-path .build-asan -c debug --sanitize=address --product pam-mysql-swiftPackageTests
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 $(SWIFT) test --scratch-path .build-asan --sanitize=address --skip-build

integration-test: $(MODULE) $(TOOL) $(AUTHD) helpers $(BENCH_TOOLS)
	cd Tests/integration && $(PYTHON) -m pytest -q -rfEs .

test: deps
	$(MAKE) format-check
	$(MAKE) unit-test
	$(MAKE) asan-test
	$(MAKE) fuzz-smoke
	$(MAKE) integration-test

# libFuzzer (swiftc -sanitize=fuzzer,address) over the argument parser, the config file parser,
# every stored-hash parser and the auth daemon's saslauthd and Dovecot protocol parsers; see
# Fuzz/run.sh. Seed corpora in Fuzz/corpus/, never written to.
FUZZ_TARGETS := fuzz-arguments fuzz-config fuzz-schemes fuzz-dovecot fuzz-saslauthd fuzz-dovecot-auth
FUZZ_SECONDS ?= 300

fuzz:
	@for t in $(FUZZ_TARGETS); do echo "== $$t ($(FUZZ_SECONDS) s)"; Fuzz/run.sh $$t $(FUZZ_SECONDS) || exit 1; done

fuzz-smoke:
	@for t in $(FUZZ_TARGETS); do echo "== $$t (10 s)"; Fuzz/run.sh $$t 10 || exit 1; done

demo: deps $(MODULE) $(TOOL) $(AUTHD)
	scripts/demo.sh

# The daemon built with AddressSanitizer in its own scratch folder, then the daemon's
# integration tests and the short soak run against it (authdharness takes $AUTHD). Not part of
# `make test`: a second SwiftNIO build would push it past its budget. The valgrind test is left
# out (valgrind cannot run an ASan binary). Leak detection is off: at exit the Swift runtime's
# and SwiftNIO's one-time allocations are reported with no frame of ours; leaks that grow
# with the logins are what test_authd_valgrind.py and `make soak` look for. AUTHD_MEMORY_CHECKS=0:
# the resident-memory limits are not judged (ASan's shadow memory and quarantine are in it).
ASAN_AUTHD_FLAGS := --scratch-path .build-asan-authd -c release --sanitize=address
ASAN_AUTHD_TESTS ?= test_authd_control.py test_authd_differential.py test_authd_dovecot.py test_authd_postfix.py \
	test_authd_saslauthd.py test_authd_units.py test_authd_overload.py test_authd_soak.py

asan-authd: $(MODULE) $(TOOL) helpers
	$(SWIFT) build $(ASAN_AUTHD_FLAGS) --product pam-mysql-authd
	cd Tests/integration && AUTHD="$$(cd ../.. && $(SWIFT) build $(ASAN_AUTHD_FLAGS) --show-bin-path)/pam-mysql-authd" \
		ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0 AUTHD_MEMORY_CHECKS=0 $(PYTHON) -m pytest -q -rfEs $(ASAN_AUTHD_TESTS)

# Not part of `make test` (test_authd_soak.py runs 20,000): 1,000,000 logins through the
# daemon, its VmRSS and descriptors after 100,000 and at the end (bench/soak.py), the figures
# in build/soak.json. About 10 minutes.
SOAK_LOGINS ?= 1000000
soak: $(MODULE) $(AUTHD)
	$(PYTHON) bench/soak.py --logins $(SOAK_LOGINS) --checkpoint $$(( $(SOAK_LOGINS) / 10 )) --json $(BUILD)/soak.json

# The benchmark's C tools: the load client (Dovecot's and saslauthd's protocols, and the trivial
# servers that measure its own ceiling), the crypt limit and the database's own limit.

$(BUILD)/bench/authload: bench/authload.c
	mkdir -p $(BUILD)/bench
	cc -O2 -Wall -Wextra -pthread -o $@ $<

$(BUILD)/bench/crypt_loop: bench/crypt_loop.c
	mkdir -p $(BUILD)/bench
	cc -O2 -Wall -Wextra -pthread -o $@ $< -lcrypt

$(BUILD)/bench/select_loop: bench/select_loop.c
	mkdir -p $(BUILD)/bench
	cc -O2 -Wall -Wextra -pthread -o $@ $< -lmariadb

bench-tools: $(BENCH_TOOLS)

# Not part of `make test` (a smoke run of it is): the C module and ours side by side, and the
# daemon against Dovecot's auth, saslauthd and the crypt, database and client limits, in one run
# (about 12 minutes), written to BENCHMARKS.md. BENCH_ARGS: e.g. --rounds 5 --seconds 3.
bench: deps $(MODULE) $(AUTHD) helpers $(BENCH_TOOLS)
	$(PYTHON) bench/bench.py $(BENCH_ARGS)

# Not part of `make test` (its 2-node case, test_galera_nonprimary.py, is): a 3-node MariaDB
# Galera cluster on loopback under load through the daemon, the module in long-lived PAM hosts
# and saslauthd, with a node killed, rejoined and cut off the primary component. Takes about
# two minutes; the figures are written to build/galera-results.txt.
galera: deps $(MODULE) $(TOOL) $(AUTHD) helpers
	cd Tests/integration && $(PYTHON) -m pytest -q -rfEs -p no:cacheprovider galera_under_load.py
	cat $(BUILD)/galera-results.txt

# The toolchain's swift-format with .swift-format (4 spaces, 140 columns). `make format` rewrites
# in place; `make format-check` lints and fails on any finding (--strict). FORMAT_FILES picks
# files or folders (default: every Swift source, test and fuzz target).
SWIFT_FORMAT ?= $(SWIFT) format
FORMAT_FILES ?= Package.swift Sources Tests Fuzz

format:
	$(SWIFT_FORMAT) format --in-place --recursive --parallel $(FORMAT_FILES)

format-check:
	$(SWIFT_FORMAT) lint --strict --recursive --parallel $(FORMAT_FILES)

# Atomic install (install to a temporary name, then rename): a running daemon keeps the old
# code mapped (the module is NODELETE) and never sees a half-written file.
install: $(MODULE) $(TOOL)
	scripts/install-module.sh "$(MODULE)" "$(DESTDIR)$(PAMDIR)" "$(MODULE_NAME)"

# A .deb (dpkg-deb) with the module, the tool, the man pages, examples and /etc/pam-mysql.conf;
# libpam-mysql's files are diverted while it is installed. See packaging/build-deb.sh.
deb: $(MODULE) $(TOOL) $(AUTHD)
	packaging/build-deb.sh

clean:
	rm -rf $(BUILD) .build .build-asan .build-asan-authd
