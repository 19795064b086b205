# Fuzz targets (libFuzzer, clang) and their replay with the normal build.
# Included from the main Makefile, which provides BUILD, CC, CFLAGS,
# LDFLAGS, WARN, LDLIBS_CORE, LIBCORE and PLUGINS; usable before that as
#   make -f Makefile -f tests/fuzz/fuzz.mk fuzz
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="chain path"] [FUZZ_JOBS=2]
#       builds every target with clang -fsanitize=fuzzer,address,undefined
#       into $(BUILD)/fuzz/bin (the core and the plugins instrumented too)
#       and runs each for FUZZ_SECONDS on a copy of its seed corpus; a
#       crash fails the target and says where the input is.
#   make fuzz-replay
#       builds each target with $(CC) $(CFLAGS) and a plain main
#       (tests/fuzz/replay_main.c) and replays every file of
#       tests/fuzz/corpus/<t>/ and tests/fuzz/regressions/<t>/; this is
#       what tests/blackbox/test_fuzz_regressions.sh runs in `make test`.
#   make fuzz-replay-bins
#       only builds the replay binaries.

ifndef INF_FUZZ_MK
INF_FUZZ_MK := 1

FUZZ_TARGETS ?= chain path cond policy event range json list steps cut
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
# extra libFuzzer options, e.g. FUZZ_FLAGS=-jobs=2 or -max_len=65536
FUZZ_FLAGS   ?=
FUZZ_DIR     := $(BUILD)/fuzz

FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
# INF_VERIFY_COMMIT: every commit's relocated tokens are checked against
# a fresh parse (core/commit.c)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DINF_VERIFY_COMMIT -fPIC -g -O1 $(WARN) -Icore -Icore/include \
	-Iruntime -Itests/fuzz $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_SRC_DEF = -DFZ_SRC_DIR='"$(CURDIR)/tests/fuzz"'

FUZZ_CORE_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard core/*.c) runtime/range.c)
FUZZ_PLUGINS  := $(PLUGIN_SRC:plugins/%.c=$(FUZZ_DIR)/plugins/%.so)
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/bin/fuzz_%)
FUZZ_REPLAYS  := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay/fuzz_%)
FUZZ_HDRS     := $(wildcard tests/fuzz/*.h tests/*ref.h)

.PHONY: fuzz fuzz-deps fuzz-bins fuzz-replay fuzz-replay-bins
# built through pattern rules only: keep them between runs
FUZZ_LIST_OBJ := runtime/listfilter.o runtime/listmarker.o runtime/xml.o
.SECONDARY: $(FUZZ_CORE_OBJ) $(FUZZ_PLUGINS) $(BUILD)/obj/runtime/range.o \
	$(FUZZ_LIST_OBJ:%=$(FUZZ_DIR)/obj/%) $(FUZZ_LIST_OBJ:%=$(BUILD)/obj/%)

# A target links the core, runtime/range.c and any runtime objects listed
# as its extra prerequisites below ($(filter %.o,$^)).
$(FUZZ_DIR)/bin/fuzz_list: $(FUZZ_LIST_OBJ:%=$(FUZZ_DIR)/obj/%)
$(FUZZ_DIR)/replay/fuzz_list: $(FUZZ_LIST_OBJ:%=$(BUILD)/obj/%)

$(FUZZ_DIR)/obj/%.o: %.c | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/plugins/%.so: plugins/%.c core/include/inflight/plugin.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iplugins -fvisibility=hidden -shared -o $@ $< \
		$(PLUGIN_EXTRA_$*) $(if $(filter mask_fields,$*),-lcrypto)
$(FUZZ_DIR)/plugins/mask_fields.so: plugins/lib/decimal.c plugins/lib/decimal.h

$(FUZZ_DIR)/bin/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_OBJ) $(FUZZ_HDRS) | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SRC_DEF) \
		-DFZ_PLUGIN_DIR='"$(abspath $(FUZZ_DIR)/plugins)"' -fsanitize=fuzzer \
		-o $@ $< $(filter %.o,$^) $(LDLIBS_CORE)

# clang and its libFuzzer runtime, installed like the other packages
fuzz-deps:
	@tools/deps.sh clang libclang-rt-14-dev

fuzz-bins: $(FUZZ_BINS) $(FUZZ_PLUGINS)

# tests/fuzz/run.sh runs the targets, FUZZ_JOBS at once (one per CPU).
fuzz:
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-bins
	@FUZZ_FLAGS='$(FUZZ_FLAGS)' tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(FUZZ_DIR)/replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(FUZZ_HDRS) \
		$(LIBCORE) $(BUILD)/obj/runtime/range.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/fuzz $(FUZZ_SRC_DEF) \
		-DFZ_PLUGIN_DIR='"$(abspath $(BUILD)/plugins)"' $(LDFLAGS) -o $@ \
		$< tests/fuzz/replay_main.c $(filter %.o,$^) $(LIBCORE) $(LDLIBS_CORE)

fuzz-replay-bins: $(FUZZ_REPLAYS) $(PLUGINS)

fuzz-replay: fuzz-replay-bins
	@INFLIGHT_FUZZ_NO_BUILD=1 INFLIGHT_SAN=$(SAN) \
		bash tests/blackbox/test_fuzz_regressions.sh $(BUILD)

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_LIST_OBJ:%.o=$(FUZZ_DIR)/obj/%.d)

endif
