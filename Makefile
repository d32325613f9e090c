# memlens and logagg — build, test, benchmark.
#
#   make            build everything into build/ (installs missing Debian packages first)
#   make demo       trace the bundled example and print its summary
#   make test       unit tests, end-to-end tests under every CPython found, sanitizers, fuzz smoke
#   make bench      benchmarks against plain python and the peers (see bench/README.md)
#
# SAN=1 builds with ASan+UBSan (into build-san/ unless BUILD is given).

CC      ?= cc
SAN     ?=
BUILD   ?= $(if $(SAN),build-san,build)
OPT     ?= -O2
WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANFLAGS := $(if $(SAN),$(SANITIZE))
CFLAGS  := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(SANFLAGS) -Isrc $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
PYTHONS ?= $(shell scripts/pythons.sh)

CORE_SRC     := $(wildcard src/core/*.c)
ANALYSIS_SRC := $(wildcard src/analysis/*.c)
REPORT_SRC   := $(wildcard src/report/*.c)
CLI_SRC      := $(wildcard src/cli/*.c)
MEMLENS_SRC  := $(CORE_SRC) $(ANALYSIS_SRC) $(REPORT_SRC) $(CLI_SRC)
MEMLENS_OBJ  := $(MEMLENS_SRC:%.c=$(BUILD)/obj/%.o)
TRACKER_SRC  := $(wildcard src/tracker/*.c src/pymod/*.c src/prof/*.c src/objects/*.c) $(CORE_SRC)

.PHONY: all deps memlens pyext demo test test-unit test-e2e test-san fuzz-smoke bench clean install
all: deps memlens pyext

deps:
	@scripts/deps.sh

memlens: $(BUILD)/memlens

$(BUILD)/memlens: $(MEMLENS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(MEMLENS_OBJ:.o=.d)

# The tracker extension, once per interpreter ABI: Python picks the file whose suffix matches its own.
pyext: $(TRACKER_SRC) $(wildcard src/tracker/*.h src/pymod/*.h src/prof/*.h src/objects/*.h src/core/*.h python/memlens/*.py python/boot/*.py)
	@mkdir -p $(BUILD)/lib/memlens $(BUILD)/lib/boot
	@cp python/memlens/*.py $(BUILD)/lib/memlens/
	@cp python/boot/*.py $(BUILD)/lib/boot/
	@for py in $(PYTHONS); do \
		CC="$(CC)" CFLAGS="$(OPT) $(SANFLAGS) $(EXTRA_CFLAGS)" \
			scripts/build-pyext.sh "$$py" $(BUILD)/lib/memlens $(TRACKER_SRC) || exit 1; \
	done

demo: all
	$(BUILD)/memlens run -o $(BUILD)/demo.mlens examples/report_builder.py
	$(BUILD)/memlens summary $(BUILD)/demo.mlens

-include src/report/report.mk
-include src/logagg/logagg.mk
-include tests/tests.mk
-include bench/bench.mk

clean:
	rm -rf build build-san build-fuzz

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/memlens/memlens $(DESTDIR)$(PREFIX)/lib/memlens/boot
	install -m 755 $(BUILD)/memlens $(DESTDIR)$(PREFIX)/bin/memlens
	install -m 644 $(BUILD)/lib/memlens/* $(DESTDIR)$(PREFIX)/lib/memlens/memlens/
	install -m 644 $(BUILD)/lib/boot/* $(DESTDIR)$(PREFIX)/lib/memlens/boot/
