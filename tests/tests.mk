# tests.mk — included by the top Makefile.
#
# test-unit   every tests/unit/test_*.c is one cmocka program linked with the memlens objects
# test-e2e    pytest end-to-end tests driving build/memlens on real Python programs, every CPython found
# test-san    unit + a subset of end-to-end tests with ASan/UBSan (the tracker runs inside python)
# fuzz-smoke  every tests/fuzz/fuzz_*.c for FUZZ_SECONDS each (libFuzzer, clang)

FUZZ_SECONDS ?= 45
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# the tracker's and the profilers' Python-free parts are unit-tested outside the interpreter
TRACKER_PURE_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,src/tracker/livetable.c src/tracker/ptrmap.c \
	src/tracker/stacktrie.c src/tracker/stackstats.c src/prof/keymap.c src/prof/calltree.c)
LIB_OBJ  := $(filter-out $(BUILD)/obj/src/cli/main.o,$(MEMLENS_OBJ)) $(TRACKER_PURE_OBJ)
.SECONDARY: $(TRACKER_PURE_OBJ)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
PYTEST   := /usr/bin/python3 -m pytest

.PHONY: test-unit test-e2e test-san fuzz-smoke test

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJ) -lcmocka -lm -lpthread

test-unit: deps $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "== $$t"; $$t || exit 1; done

test-e2e: all
	MEMLENS=$(abspath $(BUILD)/memlens) MEMLENS_PYTHONS="$(PYTHONS)" $(PYTEST) -q -p no:cacheprovider tests/e2e

test-san:
	$(MAKE) SAN=1 test-unit
	$(MAKE) SAN=1 PYTHONS=/usr/bin/python3 all
	MEMLENS=$(abspath build-san/memlens) MEMLENS_SAN=1 MEMLENS_PYTHONS=/usr/bin/python3 \
		$(PYTEST) -q -p no:cacheprovider -m "not slow" tests/e2e

build-fuzz/%: tests/fuzz/%.c $(filter-out src/cli/%,$(MEMLENS_SRC))
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(filter-out src/cli/%,$(MEMLENS_SRC)) -lm

fuzz-smoke: deps $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		seeds=tests/fuzz/seeds/$$n; [ -d $$seeds ] || seeds=; \
		echo "== $$n for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -print_final_stats=1 \
			build-fuzz/corpus-$$n $$seeds 2>build-fuzz/$$n.log || { tail -40 build-fuzz/$$n.log; exit 1; }; \
		grep -E "stat::number_of_executed_units" build-fuzz/$$n.log; \
	done

test: test-unit test-e2e test-san fuzz-smoke
