#!/bin/sh
# Install every Debian package xennet needs and fetch the DPDK driver SDK
# headers that Debian does not ship. Idempotent: skips what is already there.
set -eu

PKGS="build-essential pkg-config meson ninja-build libdpdk-dev dpdk dpdk-dev
libxen-dev xenstore-utils python3 python3-pytest python3-pyelftools
qemu-system-x86 busybox-static cpio gzip xz-utils bc dpkg-dev clang"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "xennet deps: installing$missing"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi

exec "$(dirname "$0")/fetch-dpdk-sdk.sh" "${1:-build/dpdk-sdk}"
