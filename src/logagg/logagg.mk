# logagg.mk — included by the top Makefile: the logagg binary, its tests, fuzz targets and benchmark.
#
# make logagg          $(BUILD)/logagg
# make test-logagg     cmocka unit tests + end-to-end tests (pytest) on generated and real logs
# make fuzz-logagg     libFuzzer on the line parser and the state-file reader, $(FUZZ_SECONDS) s each
# make bench-logagg    bench/logagg/bench.py (LOGAGG_BENCH_GB=10 for the full-size goal)

FUZZ_SECONDS ?= 45
LOGAGG_SRC  := $(wildcard src/logagg/*.c)
LOGAGG_OBJ  := $(LOGAGG_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/src/core/crc32.o $(BUILD)/obj/src/core/buf.o \
             $(BUILD)/obj/src/core/hugemem.o
LOGAGG_LIB  := $(filter-out $(BUILD)/obj/src/logagg/main.o,$(LOGAGG_OBJ))
LOGAGG_LIBS := -lz -lm -lpthread
LOGAGG_UNIT := $(patsubst tests/logagg/%.c,$(BUILD)/tests/logagg/%,$(wildcard tests/logagg/test_*.c))
LOGAGG_FUZZ := $(patsubst tests/logagg/%.c,build-fuzz/logagg-%,$(wildcard tests/logagg/fuzz_*.c))
LOGAGG_BENCH_BIN := $(BUILD)/bench/loggen $(BUILD)/bench/baseline

.PHONY: logagg test-logagg fuzz-logagg bench-logagg
all: logagg
test: test-logagg
fuzz-smoke: fuzz-logagg
bench: bench-logagg

logagg: $(BUILD)/logagg

$(BUILD)/logagg: $(LOGAGG_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LOGAGG_LIBS)

-include $(LOGAGG_OBJ:.o=.d)

$(BUILD)/tests/logagg/%: tests/logagg/%.c $(LOGAGG_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LOGAGG_LIB) -lcmocka $(LOGAGG_LIBS)

$(BUILD)/bench/%: bench/logagg/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) -lm

test-logagg: $(BUILD)/logagg $(LOGAGG_UNIT) $(BUILD)/bench/loggen
	@for t in $(LOGAGG_UNIT); do echo "== $$t"; $$t || exit 1; done
	LOGAGG=$(abspath $(BUILD)/logagg) LOGGEN=$(abspath $(BUILD)/bench/loggen) \
		/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/logagg

build-fuzz/logagg-%: tests/logagg/%.c $(filter-out src/logagg/main.c,$(LOGAGG_SRC)) src/core/crc32.c src/core/buf.c \
		src/core/hugemem.c
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o $@ $^ -lz -lm -lpthread

fuzz-logagg: $(LOGAGG_FUZZ)
	@for f in $(LOGAGG_FUZZ); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		seeds=tests/logagg/seeds/$${n#logagg-}; [ -d $$seeds ] || seeds=; \
		echo "== $$n for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -print_final_stats=1 \
			build-fuzz/corpus-$$n $$seeds 2>build-fuzz/$$n.log || { tail -40 build-fuzz/$$n.log; exit 1; }; \
		grep -E "stat::number_of_executed_units" build-fuzz/$$n.log; \
	done

bench-logagg: $(BUILD)/logagg $(LOGAGG_BENCH_BIN)
	@scripts/deps.sh --bench
	/usr/bin/python3 bench/logagg/bench.py --logagg $(BUILD)/logagg --bin $(BUILD)/bench
