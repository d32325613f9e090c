# bench.mk — included by the top Makefile. `make bench` prints ratios against plain python and the
# peers, measured in one run (bench/README.md). BENCH_ARGS passes options, e.g. BENCH_ARGS="--runs 5".
.PHONY: bench-memlens
bench: bench-memlens
bench-memlens: all
	/usr/bin/python3 bench/run.py $(BENCH_ARGS)
