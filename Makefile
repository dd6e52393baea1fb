# SPDX-License-Identifier: BSD-3-Clause
# The front door: make deps | build | demo | test | test-xen | install

BUILD ?= build
PYTHON := /usr/bin/python3
export XENNET_BUILD := $(abspath $(BUILD))

.PHONY: all deps build demo test test-unit test-emu test-xen install clean

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

# C unit and emulation tests (meson), then every pytest suite, real Xen too.
test: build
	buildtools/hugepages.sh
	meson test -C $(BUILD) --print-errorlogs
	$(PYTHON) -m pytest -v tests

test-xen: build
	$(PYTHON) -m pytest -v -m xen tests/xen

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD)
