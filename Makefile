# nnseg: the everyday entry points. Every target installs missing system packages first (scripts/install-deps.sh).
BUILD ?= build/release
JOBS ?= $(shell nproc)
CTEST_TIMEOUT ?= 1200

.PHONY: deps build test test-unit test-asan demo bench format clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DNNSEG_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The full suite (unit + slow) on the release build.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L 'unit|slow' --timeout $(CTEST_TIMEOUT)

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# Unit tests under AddressSanitizer + UBSan (Debug).
test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@cd build/asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/sanitizers/lsan.supp \
	  ctest --output-on-failure -j $(JOBS) -L unit

demo: build
	@$(BUILD)/nnseg demo --out out/demo

bench: build
	@scripts/bench.sh $(BUILD)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf build
