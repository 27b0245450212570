# groundcrew — the two commands a newcomer needs: `make demo` and `make test`.
# Every target installs missing Debian packages first (scripts/bootstrap; needs root or sudo).

BUILD      ?= build/release
ASAN_BUILD ?= build/asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja

.PHONY: all bootstrap build demo test test-fast test-asan bench format clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)

# The main job: the rule validator, the registration file checker and the name previewer on
# the Contoso examples.
demo: build
	@scripts/demo $(BUILD)

# Every test, once in an optimised build and once under AddressSanitizer + UBSan.
test: test-fast test-asan

test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: bootstrap
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	  -DGROUNDCREW_SANITIZE=ON -DGROUNDCREW_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# Microbenchmarks (DESIGN.md §5); see docs/performance.md.
bench: build
	@$(BUILD)/bench/gc_core_bench --benchmark_counters_tabular=true

format:
	@find src apps bench tests -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build
