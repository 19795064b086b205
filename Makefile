# inflight — see README.md. `make demo` and `make test` do all the set-up.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
SAN     ?=
# compiles at once in the builds the demo and test targets start (one
# per CPU); the suites themselves run in order, never beside each other
JOBS    ?= $(shell nproc 2>/dev/null || echo 1)

# what building needs (and so `make demo`); the tests need the rest
BUILD_PKGS  := build-essential pkg-config libjsmn-dev libcurl4-openssl-dev \
	libssl-dev libconfig-dev
DEBIAN_PKGS := $(BUILD_PKGS) check python3 python3-botocore python3-boto3 curl \
	openssl zip unzip time valgrind faketime cppcheck shellcheck
# Node.js runs s3rver and the template check in the tests: Debian's,
# unless node and npm are on PATH already (a NodeSource nodejs conflicts
# with Debian's npm package)
NODE_PKGS := $(if $(shell command -v node 2>/dev/null),$(if $(shell command -v npm 2>/dev/null),,npm),nodejs npm)

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -fPIC $(WARN) -Icore -Icore/include -Iruntime
# The checkout's path stays out of the objects (debug info, and so the
# linker's build id): the same tree gives the same binaries and Lambda
# zips wherever it is checked out. Debuggers resolve sources from the top.
CFLAGS  += -ffile-prefix-map=$(CURDIR)=.
LDLIBS_CORE := -ldl -lconfig -lcrypto -lm -lpthread
# the runtime loads libcurl when a mode needs it (runtime/curlapi.h); the
# producer links it
LDLIBS_CURL := -lcurl

ifeq ($(SAN),1)
# sanitizer builds also check every commit's relocated tokens against a
# fresh parse (core/commit.c)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -DINF_VERIFY_COMMIT
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SAN),scalar)
# the SSE2 paths compiled out: what builds for CPUs without SSE2 (arm64
# Lambda) run instead of them
CFLAGS  += -U__SSE2__
endif
ifeq ($(SAN),thread)
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

# Everything compiled depends on this stamp, rewritten only when the
# compiler or its flags change, so that a changed flag rebuilds the
# objects instead of leaving ones made with the old flags.
FLAGS_STAMP := $(BUILD)/flags.stamp
FLAGS_TEXT  := $(CC) $(CFLAGS) $(LDFLAGS)
$(shell mkdir -p $(BUILD) && { printf '%s\n' '$(FLAGS_TEXT)' | cmp -s - $(FLAGS_STAMP) || \
	printf '%s\n' '$(FLAGS_TEXT)' > $(FLAGS_STAMP); })

CORE_SRC    := $(wildcard core/*.c)
CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
RUNTIME_SRC := $(wildcard runtime/*.c)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)
PRODUCER_SRC := $(wildcard tools/producer/*.c)
PRODUCER_OBJ := $(PRODUCER_SRC:%.c=$(BUILD)/obj/%.o)
PLUGIN_SRC  := $(wildcard plugins/*.c)
PLUGINS     := $(PLUGIN_SRC:plugins/%.c=$(BUILD)/plugins/%.so)
CHECK_SRC   := $(wildcard tests/check_*.c)
CHECKS      := $(CHECK_SRC:tests/%.c=$(BUILD)/tests/%)
LIBCORE     := $(BUILD)/lib/libinflight.a

.PHONY: all deps demo test check build-tests blackbox asan tsan scalar valgrind install lint clean bench package fuzz

all: $(BUILD)/bin/runtime $(BUILD)/bin/producer $(PLUGINS)

$(BUILD)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# made afresh: `ar r` on an old archive appends a new member at its end,
# and a different member order links a different (not reproducible) binary
$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/runtime: $(RUNTIME_OBJ) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(RUNTIME_OBJ) $(LIBCORE) $(LDLIBS_CORE)

$(BUILD)/bin/producer: $(PRODUCER_OBJ) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(PRODUCER_OBJ) $(LIBCORE) $(LDLIBS_CORE) $(LDLIBS_CURL)

# Plugins link nothing of the core: the host table is all they use. Code
# split out of a plugin lives in plugins/lib/ and is compiled into the .so
# whose PLUGIN_EXTRA_<name> lists it.
PLUGIN_EXTRA_mask_fields := plugins/lib/decimal.c plugins/lib/digest.c
$(BUILD)/plugins/%.so: plugins/%.c core/include/inflight/plugin.h $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iplugins -fvisibility=hidden -shared $(LDFLAGS) -o $@ $< \
		$(PLUGIN_EXTRA_$*) $(if $(filter mask_fields,$*),-lcrypto)
$(BUILD)/plugins/mask_fields.so: $(PLUGIN_EXTRA_mask_fields) plugins/lib/decimal.h plugins/lib/digest.h

# A suite links the core library, any objects listed as its extra
# prerequisites below ($(filter %.o,$^)) and its CHECK_LDFLAGS.
$(BUILD)/tests/check_%: tests/check_%.c $(LIBCORE) $(wildcard tests/*.h) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(CHECK_LDFLAGS) -Itests -o $@ $< $(filter %.o,$^) \
		$(LIBCORE) $(LDLIBS_CORE) $$(pkg-config --libs check)

# Suites of runtime modules: runtime/*.c is not in the core library, so
# each names the runtime objects it tests (built with this BUILD's flags,
# so `make asan` and `make valgrind` test them too).
$(BUILD)/tests/check_range: $(BUILD)/obj/runtime/range.o
$(BUILD)/tests/check_spool: $(BUILD)/obj/runtime/spool.o
$(BUILD)/tests/check_sigv4: $(BUILD)/obj/runtime/sigv4.o $(BUILD)/obj/runtime/forward.o
$(BUILD)/tests/check_listfilter: $(BUILD)/obj/runtime/listfilter.o \
	$(BUILD)/obj/runtime/listmarker.o $(BUILD)/obj/runtime/xml.o

# check_buf makes realloc fail on demand to test what a failed growth
# leaves (tests/check_buf.c); check_host, to fail a host service;
# check_chain, a host service under a plugin's step; check_cond, regexec
# out of memory; check_inserts, calloc for the table's growth; check_policy, strdup for one option value;
# check_parallel, pthread_create.
$(BUILD)/tests/check_buf: CHECK_LDFLAGS = -Wl,--wrap=realloc
$(BUILD)/tests/check_chain: CHECK_LDFLAGS = -Wl,--wrap=realloc
$(BUILD)/tests/check_cond: CHECK_LDFLAGS = -Wl,--wrap=regexec
$(BUILD)/tests/check_inserts: CHECK_LDFLAGS = -Wl,--wrap=calloc
$(BUILD)/tests/check_policy: CHECK_LDFLAGS = -Wl,--wrap=strdup
$(BUILD)/tests/check_host: CHECK_LDFLAGS = -Wl,--wrap=realloc
$(BUILD)/tests/check_parallel: CHECK_LDFLAGS = -Wl,--wrap=pthread_create

# Installs missing Debian packages when root; otherwise says what to run.
deps:
	@tools/deps.sh $(DEBIAN_PKGS) $(NODE_PKGS)

demo:
	@tools/deps.sh $(BUILD_PKGS)
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@tools/demo.sh $(BUILD)

include tests/fixtures.mk
include tests/fuzz/fuzz.mk

check: all $(CHECKS) $(FIXTURE_PLUGINS)
	@tools/run-checks.sh $(BUILD) $(CHECKS)

# What `make check` runs, built and not run: tools/lint.sh builds it with
# -Werror under each compiler installed.
build-tests: all $(CHECKS) $(FIXTURE_PLUGINS)

blackbox: all
	@INFLIGHT_SAN=$(SAN) tools/run-blackbox.sh $(BUILD)

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) build-tests
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory blackbox

# The black-box scripts valgrind runs: those of the runtime's own code
# (its CLI, event mode, the Lambda loop, sources, hostile input) and the
# fuzz regressions. The rest drive code the Check suites run under
# valgrind (plugins, chains, framing) or tools; `make asan` runs them all.
VALGRIND_BLACKBOX := $(patsubst %,tests/blackbox/test_%.sh,cli event fuzz_regressions hostile \
	lambda source)

# The suite under valgrind memcheck: every Check suite and the black-box
# scripts above.
valgrind:
	@$(MAKE) --no-print-directory -j$(JOBS) build-tests
	@VALGRIND=1 tools/run-checks.sh $(BUILD) $(CHECKS)
	@INFLIGHT_VALGRIND=1 tools/run-blackbox.sh $(BUILD) $(VALGRIND_BLACKBOX)

# detect_stack_use_after_return: a pointer into a returned frame (the
# Lambda log once read an error code from one) is not caught by default
ASAN_ENV := ASAN_OPTIONS=detect_stack_use_after_return=1$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}
asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan SAN=1 build-tests
	@$(ASAN_ENV) $(MAKE) --no-print-directory BUILD=build/asan SAN=1 check
	@$(ASAN_ENV) $(MAKE) --no-print-directory BUILD=build/asan SAN=1 blackbox

# The Check suites on the scalar code that replaces each SSE2 loop
# (string scans, array scanning, quoting, hex digits) where there is no
# SSE2, as in an arm64 package: x86 builds never run it otherwise.
scalar: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/scalar SAN=scalar build-tests
	@$(MAKE) --no-print-directory BUILD=build/scalar SAN=scalar check

# The threaded parts under ThreadSanitizer: the chain suite (parallel
# runs and their counts), the table suite (tables shared between worker
# instances, loaded and freed from several threads) and the black-box
# test of parallel ndjson and arrays, where a reported race makes the runtime exit 66
# and the test fail.
tsan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/tsan SAN=thread all build/tsan/tests/check_chain \
		build/tsan/tests/check_table $(FIXTURE_PLUGINS:$(BUILD)/%=build/tsan/%)
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66" tools/run-checks.sh build/tsan \
		build/tsan/tests/check_chain build/tsan/tests/check_table
	@TSAN_OPTIONS="halt_on_error=1 exitcode=66" INFLIGHT_SAN=thread \
		bash tests/blackbox/test_parallel.sh build/tsan

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/inflight/plugins \
		$(DESTDIR)$(PREFIX)/include/inflight $(DESTDIR)$(PREFIX)/share/inflight/policies
	install -m 755 $(BUILD)/bin/runtime $(BUILD)/bin/producer $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/inflight/plugins/
	install -m 644 core/include/inflight/plugin.h $(DESTDIR)$(PREFIX)/include/inflight/
	install -m 644 policies/* $(DESTDIR)$(PREFIX)/share/inflight/policies/

# clang comes as make fuzz installs it: lint's clang build is no option
lint: deps fuzz-deps
	@tools/lint.sh

# Throughput and memory beside the tools users would otherwise pick.
bench: all
	@tools/bench/run.sh $(BUILD)

# Lambda packages: build/dist/function.zip and build/dist/layer.zip.
package: all
	@tools/deps.sh zip
	@tools/package.sh $(BUILD)

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(RUNTIME_OBJ:.o=.d) $(PRODUCER_OBJ:.o=.d)
