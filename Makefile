# Thin front for CMake. `make test` and `make demo` work on a fresh Debian 12.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 30
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local

.PHONY: all deps build test unit demo install bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=asan >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The whole suite in the sanitizer build, then every fuzzer briefly.
test: deps asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(FUZZ_TIME)

unit: asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

demo: deps build
	bash templates/demo/run-demo.sh $(BUILD)

install: build
	cmake --install $(BUILD)

bench: deps build
	bash bench/run-bench.sh $(BUILD)

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	    -DPOSTERN_FUZZ=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	bash scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_TIME)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
