#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The sanitizer pass of make test: build everything with ASan + UBSan (gcc)
# in its own build directory and run the C unit and emulation tests (meson)
# and the pytest suites of the emulation (tests/integration,
# tests/xenstored) against that build. Any sanitizer report, in any process
# of the run, fails it.
#
# usage: test-asan.sh ASAN_BUILD_DIR DPDK_SDK_DIR [PYTEST_ARG...]
#
# What runs instrumented: the plugin, xenemu's libraries and xenstored,
# pktcheck, hpecho and l2peer, the examples, DPDK's l3fwd-power and l2fwd
# (built here from the SDK's examples). Debian's dpdk-testpmd is not: tests that drive it preload gcc's
# libasan into it (XNIT_TESTPMD_ENV, app/xennet-demo/testpmd.py), so the
# plugin inside it is checked for memory errors too, but not for leaks:
# testpmd's own allocations are not instrumented, and LeakSanitizer's scan
# of its threads dies on a bogus dynamic-TLS range there (gcc 12's libasan;
# LSan works in pktcheck and hpecho, which run the same driver code with
# leak checking). Debian's ovs-vswitchd has no such hook:
# tests/integration/test_ovs.py is left to the normal pass.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 ASAN_BUILD_DIR DPDK_SDK_DIR [ARG...]" >&2; exit 2; }
build=$1 sdk=$2
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
case $build in /*) ;; *) build=$repo/$build ;; esac
case $sdk in /*) ;; *) sdk=$repo/$sdk ;; esac

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=undefined -Ddpdk_sdk="$sdk"
fi
ninja -C "$build"
CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -g" \
LDFLAGS="-fsanitize=address,undefined" DPDK_SDK="$sdk" \
	buildtools/build-dpdk-examples.sh "$build/dpdk-examples" l3fwd-power l2fwd

logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
# Reports go to files (one per process), so that none is lost in a log a
# test does not look at; abort: the process dies where the error is.
# verify_asan_link_order=0: tests start l3fwd-power through stdbuf, whose
# LD_PRELOAD (libstdbuf.so, a setvbuf() at load) comes before libasan.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:verify_asan_link_order=0:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
libasan=$(gcc -print-file-name=libasan.so.8)
[ -f "$libasan" ] || { echo "test-asan: gcc's libasan.so.8 not found" >&2; exit 1; }
export XNIT_TESTPMD_ENV="LD_PRELOAD='$libasan' ASAN_OPTIONS='$ASAN_OPTIONS:detect_leaks=0'"

rc=0
start=$(date +%s)
meson test -C "$build" --no-rebuild --print-errorlogs || rc=1
XENNET_BUILD=$build /usr/bin/python3 -m pytest -v \
	--ignore=tests/integration/test_ovs.py \
	tests/integration tests/xenstored "$@" || rc=1

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
	for f in $reports; do
		echo "==== sanitizer report $f"
		cat "$f"
	done
	echo "test-asan: $(echo "$reports" | wc -l) sanitizer report(s), above"
	rc=1
fi
echo "test-asan: $( [ $rc -eq 0 ] && echo passed || echo FAILED ) in $(( $(date +%s) - start )) s"
exit $rc
