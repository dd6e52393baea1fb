#!/bin/sh
# Build DPDK's own, unmodified examples (from the Debian source package of
# exactly the installed DPDK, kept by fetch-dpdk-sdk.sh) against the installed
# libdpdk, with each example's Makefile ("make shared": pkg-config libdpdk).
#
# usage: build-dpdk-examples.sh DEST_DIR [EXAMPLE...]
#   EXAMPLE defaults to: l3fwd-power l2fwd; binary: DEST_DIR/dpdk-EXAMPLE
#   DPDK_SDK=dir  the SDK dir fetch-dpdk-sdk.sh fills (default build/dpdk-sdk)
# Idempotent: make rebuilds only what changed; a new DPDK version starts over.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 DEST_DIR [EXAMPLE...]" >&2; exit 2; }
dest=$1
shift
[ $# -gt 0 ] || set -- l3fwd-power l2fwd
sdk=${DPDK_SDK:-build/dpdk-sdk}

"$(dirname "$0")/fetch-dpdk-sdk.sh" "$sdk"
ver=$(cat "$sdk/.version")

# Build in a copy under DEST_DIR (the examples' Makefiles write into their own
# directory), keeping the layout so "../common" includes still resolve.
work="$dest/.examples"
if [ "$(cat "$work/.version" 2>/dev/null)" != "$ver" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	cp -a "$sdk/examples/common" "$work/"
fi
for ex in "$@"; do
	[ -f "$sdk/examples/$ex/Makefile" ] ||
		{ echo "no DPDK example '$ex' in $sdk/examples" >&2; exit 1; }
	[ -d "$work/$ex" ] || {
		rm -rf "$work/$ex.tmp"
		cp -a "$sdk/examples/$ex" "$work/$ex.tmp"
		mv "$work/$ex.tmp" "$work/$ex"
	}
done
echo "$ver" > "$work/.version"

for ex in "$@"; do
	make -s -C "$work/$ex" shared
	bin="$work/$ex/build/$ex-shared"
	cmp -s "$bin" "$dest/dpdk-$ex" 2>/dev/null || {
		cp "$bin" "$dest/dpdk-$ex.tmp"
		mv -f "$dest/dpdk-$ex.tmp" "$dest/dpdk-$ex"
		echo "xennet: built $dest/dpdk-$ex (DPDK $ver)"
	}
done
