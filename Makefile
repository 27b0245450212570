# groundcrew — the two commands a newcomer needs: `make demo` and `make test`.
# Every target installs missing Debian packages first (scripts/bootstrap; needs root or sudo).

BUILD      ?= build/release
ASAN_BUILD ?= build/asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja

.PHONY: all bootstrap configure build demo test test-fast test-asan bench fuzz format format-check clean debian-root

all: build

bootstrap:
	@scripts/bootstrap

# The real Debian 12 root the device tests and the demo run on (mmdebstrap, about a minute the
# first time; kept in build/debian-root/ and remade only when scripts/debian-root changes).
debian-root: bootstrap
	@scripts/debian-root build/debian-root/bookworm.tar

# Optimised, with line tables only (file:line in backtraces and sanitizer reports): full debug
# info (-g) takes half as long again to compile. RELEASE_FLAGS="-O2 -g -DNDEBUG" for a
# debugger's view of variables.
RELEASE_FLAGS ?= -O2 -g1 -DNDEBUG

configure: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(RELEASE_FLAGS)" >/dev/null

build: configure
	@cmake --build $(BUILD)

# The main job: a Contoso device from the depot to the desktop on the embedded database
# (scripts/demo): technician flow, reseal, a new app, the user flow with MFA, the report.
# Builds only the three binaries the demo runs (no test, no benchmark).
DEMO_TARGETS := groundcrew groundcrewd groundcrew-agent
demo: configure debian-root
	@cmake --build $(BUILD) --target $(DEMO_TARGETS)
	@scripts/demo $(BUILD)

# groundcrew's own Debian packages from the optimised build (cmake/Packaging.cmake): builds the
# three binaries if needed, then CPack writes $(BUILD)/packages/groundcrewd_<version>_<arch>.deb
# and groundcrew-agent_<version>_<arch>.deb (docs/security.md, "Installing from the Debian
# packages").
.PHONY: packages
packages: configure
	@cmake --build $(BUILD) --target packages

# Every test, once in an optimised build and once under AddressSanitizer + UBSan.
test: test-fast test-asan

test-fast: configure debian-root
	@cmake --build $(BUILD) --target gc_tests
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: bootstrap
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
	  -DGROUNDCREW_SANITIZE=ON -DGROUNDCREW_BENCH=OFF >/dev/null
	@cmake --build $(ASAN_BUILD) --target gc_tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# Microbenchmarks (DESIGN.md §5); see docs/performance.md.
bench: build
	@$(BUILD)/bench/gc_core_bench --benchmark_counters_tabular=true
	@$(BUILD)/bench/gc_identity_bench

# Service-level benchmarks (import end to end, plan latency, admin API throughput against a bare
# Beast endpoint; about 2 minutes); see docs/performance.md, "Service". Extra flags, e.g.
# SERVICE_BENCH_ARGS="--runs 5 --json service.json".
SERVICE_BENCH_ARGS ?=
.PHONY: bench-service
bench-service: build
	@$(BUILD)/bench/gc_service_bench $(SERVICE_BENCH_ARGS)

# Admin latency while one device floods sign-ins (about 1 minute); see docs/performance.md,
# "A sign-in flood from one device". E.g. SIGN_IN_FLOOD_BENCH_ARGS="--baseline OLD/groundcrewd".
SIGN_IN_FLOOD_BENCH_ARGS ?=
.PHONY: bench-sign-in-flood
bench-sign-in-flood: build
	@$(BUILD)/bench/gc_sign_in_flood_bench $(SIGN_IN_FLOOD_BENCH_ARGS)

# Device status events per second and their p99 over SQLite, in-process and on groundcrewd
# (about 3 minutes), and groundcrewd's memory with 10,000 to 1,000,000 registered devices
# (about 3 minutes); see docs/performance.md, "Service". Extra flags through EVENTS_BENCH_ARGS
# and MEMORY_BENCH_ARGS, e.g. "--runs 1 --json events.json".
EVENTS_BENCH_ARGS ?=
MEMORY_BENCH_ARGS ?=
.PHONY: bench-events bench-memory
bench-events: build
	@$(BUILD)/bench/gc_events_bench $(EVENTS_BENCH_ARGS)

bench-memory: build
	@$(BUILD)/bench/gc_memory_bench $(MEMORY_BENCH_ARGS)

# The console's device list on 1,000,000 devices (about 15 minutes on 2 busy cores, most of it
# storing the devices); see docs/performance.md, "The console's device list".
DEVICE_LIST_BENCH_ARGS ?=
.PHONY: bench-device-list
bench-device-list: build
	@$(BUILD)/bench/gc_device_list_bench $(DEVICE_LIST_BENCH_ARGS)

# The fleet simulator (docs/fleet.md) against a groundcrewd of its own, e.g.
# FLEET_ARGS="--devices 10000 --json fleet.json".
FLEET_ARGS ?= --devices 1000
.PHONY: bench-fleet
bench-fleet: build
	@$(BUILD)/bin/groundcrew-fleet --spawn $(FLEET_ARGS)

# SQLite, PostgreSQL with one instance and with two, side by side in one run: the service
# benchmarks against groundcrewd and a fleet of DEVICES (default 10,000) through both flows,
# on a throwaway PostgreSQL cluster the script starts (docs/performance.md, "Several instances").
.PHONY: bench-scale-out
bench-scale-out: build
	@scripts/bench-scale-out $(BUILD)

# Coverage-guided fuzzing of the parsers (clang + libFuzzer, ASan + UBSan), FUZZ_SECONDS each.
FUZZ_BUILD   ?= build/fuzz
FUZZ_SECONDS ?= 60
.PHONY: bootstrap-fuzz
bootstrap-fuzz:
	@scripts/bootstrap --fuzz

fuzz: bootstrap-fuzz
	@cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DGROUNDCREW_FUZZ=ON -DGROUNDCREW_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) --target gc_fuzz_rule_parser gc_fuzz_registration_csv gc_fuzz_name_template gc_fuzz_api_json \
	  gc_fuzz_http_head gc_fuzz_graph_json gc_fuzz_tenant_yaml gc_fuzz_answers gc_fuzz_journal gc_fuzz_deb_control
	@for t in rule_parser registration_csv name_template api_json http_head graph_json tenant_yaml answers journal deb_control; do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  $(FUZZ_BUILD)/fuzz/gc_fuzz_$$t $(FUZZ_BUILD)/corpus/$$t $$(test -d fuzz/seeds/$$t && echo fuzz/seeds/$$t) \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done

# clang-format (.clang-format: Google style, 100 columns) over every C++ file git knows.
FORMAT_FILES = git ls-files -z '*.cpp' '*.hpp'
format:
	@$(FORMAT_FILES) | xargs -0 clang-format -i

# Fails naming each file clang-format would change (CI runs it before the tests).
format-check:
	@$(FORMAT_FILES) | xargs -0 clang-format --dry-run --Werror

clean:
	@rm -rf build
