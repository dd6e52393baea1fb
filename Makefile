# SPDX-License-Identifier: BSD-3-Clause
# The front door: make deps | build | demo | test | test-xen | install
# Also: make fuzz [FUZZ_SECONDS=N] (doc/guides/fuzzing.rst), test-fuzz,
# test-asan, docs (HTML guides in $(BUILD)/doc/html), deb (the Debian
# package in $(BUILD)/deb).

BUILD ?= build
PYTHON := /usr/bin/python3
export XENNET_BUILD := $(abspath $(BUILD))
# The fuzz targets (clang, libFuzzer) and the sanitizer pass (gcc, ASan +
# UBSan) have build directories of their own.
FUZZ_BUILD ?= build-fuzz
ASAN_BUILD ?= build-asan
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_tx_ring fuzz_rx_ring fuzz_tx_reap fuzz_csum

.PHONY: all deps build demo test test-unit test-emu test-xen install clean \
	fuzz-build fuzz test-fuzz test-asan docs deb

all: build

deps:
	buildtools/install-deps.sh $(BUILD)/dpdk-sdk

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	DPDK_SDK=$(BUILD)/dpdk-sdk buildtools/build-dpdk-examples.sh $(BUILD)/dpdk-examples

demo: build
	buildtools/hugepages.sh
	app/xennet-demo/xennet-demo

# C unit and emulation tests (meson), then every pytest suite, real Xen too;
# then each fuzz target on its seeds and for a few seconds, and the unit and
# emulation tests again under ASan + UBSan.
test: build
	buildtools/hugepages.sh
	meson test -C $(BUILD) --print-errorlogs
	$(PYTHON) -m pytest -v tests
	$(MAKE) --no-print-directory test-fuzz
	$(MAKE) --no-print-directory test-asan

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Ddpdk_sdk=$(abspath $(BUILD))/dpdk-sdk

fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzz

# Every fuzz target for FUZZ_SECONDS on its corpus (kept in
# $(FUZZ_BUILD)/tests/fuzz/corpus), at the lowest priority.
fuzz: fuzz-build
	@rc=0; for t in $(FUZZ_TARGETS); do \
		nice -n 19 tests/fuzz/run-fuzz.sh $(FUZZ_BUILD)/tests/fuzz/$$t \
			$(FUZZ_SECONDS) $(FUZZ_BUILD)/tests/fuzz || rc=1; \
	done; exit $$rc

# The short mode: seeds plus 5 s of fuzzing per target (meson suite 'fuzz').
test-fuzz: fuzz-build
	meson test -C $(FUZZ_BUILD) --no-rebuild --suite fuzz --print-errorlogs

test-asan: deps
	buildtools/hugepages.sh
	buildtools/test-asan.sh $(ASAN_BUILD) $(BUILD)/dpdk-sdk

test-xen: build
	$(PYTHON) -m pytest -v -m xen tests/xen

install: build
	meson install -C $(BUILD)

# -W: a warning (a broken reference, a guide in no toctree) fails the build.
docs: deps
	sphinx-build -b html -W --keep-going -n -q -d $(BUILD)/doc/doctrees \
		doc/guides $(BUILD)/doc/html

# dpkg-buildpackage on a copy of the sources (it writes next to the source
# directory, and must not see the build trees), with the driver SDK headers
# of $(BUILD); the packages land in $(BUILD)/deb, the source copy is removed.
# A lintian warning fails it.
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/xennet-src
deb: deps
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -c --exclude-vcs --exclude=./build --exclude='./build-*' \
		--exclude=./$(BUILD) --exclude=__pycache__ \
		--exclude=.pytest_cache . | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && DPDK_SDK=$(abspath $(BUILD))/dpdk-sdk \
		DEB_BUILD_OPTIONS="parallel=$$(nproc) $$DEB_BUILD_OPTIONS" \
		dpkg-buildpackage -b -us -uc
	rm -rf $(DEB_SRC)
	lintian --info --fail-on error,warning $(DEB_DIR)/*.changes

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(ASAN_BUILD)
