# bench.mk — included by the top Makefile. `make bench` prints ratios against plain python and the
# peers, measured in one run (bench/README.md). BENCH_ARGS passes options, e.g. BENCH_ARGS="--runs 5".
.PHONY: bench-memlens bench-api
bench: bench-memlens bench-api
bench-memlens: all
	/usr/bin/python3 bench/run.py $(BENCH_ARGS)

# the in-process API: snapshot + statistics against tracemalloc (1 M live blocks)
bench-api: all
	/usr/bin/python3 bench/api.py $(BENCH_ARGS)

# the speed tools: memlens profile / lineprof / timeit against cProfile, kernprof -l, memory_profiler,
# scalene and python -m timeit (bench/prof/run.py; needs scripts/deps.sh --bench)
.PHONY: bench-prof
bench: bench-prof
bench-prof: all
	@scripts/deps.sh --bench
	/usr/bin/python3 bench/prof/run.py $(BENCH_ARGS)

# the object graph: memlens.objects census + chain against objgraph on 1 M objects (bench/objects/run.py;
# needs scripts/deps.sh --bench for python3-objgraph)
.PHONY: bench-objects
bench: bench-objects
bench-objects: all
	@scripts/deps.sh --bench
	/usr/bin/python3 bench/objects/run.py $(BENCH_ARGS)
