#!/bin/sh
# Install every Debian package xennet needs and fetch the DPDK driver SDK
# headers that Debian does not ship. Idempotent: skips what is already there.
set -eu

# libclang-rt-dev: clang's libFuzzer and sanitizer runtimes (make fuzz;
# clang only recommends it). python3-sphinx: make docs; debhelper and
# lintian: make deb. tcpdump reads the captures of
# tests/integration/test_secondary.py.
PKGS="build-essential pkg-config meson ninja-build libdpdk-dev dpdk dpdk-dev
libxen-dev xenstore-utils python3 python3-pytest python3-pyelftools
qemu-system-x86 busybox-static cpio gzip xz-utils bc dpkg-dev clang
libclang-rt-dev python3-sphinx debhelper lintian tcpdump
openvswitch-switch-dpdk"

OVS_DPDK=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
# Whether a system OVS was there before: one this script brings in is kept
# from running (below); one that was there is left alone.
system_ovs=no
dpkg-query -W -f='${Status}' openvswitch-switch 2>/dev/null |
	grep -q "ok installed" && system_ovs=yes
if [ -n "$missing" ]; then
	echo "xennet deps: installing$missing"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi

# openvswitch-switch's postinst starts the system OVS (through systemd where
# it runs, else through invoke-rc.d where policy-rc.d allows it). The tests
# (tests/integration/test_ovs.py) run their own ovsdb-server and
# ovs-vswitchd with their own run directories, so the one that came with the
# package is stopped and disabled, and ovs-vswitchd is the DPDK-enabled one,
# as doc/guides/howto/ovs-dpdk.rst says.
if [ "$system_ovs" = no ] && [ -x "$OVS_DPDK" ]; then
	echo "xennet deps: stopping and disabling the system openvswitch-switch"
	if [ -d /run/systemd/system ]; then
		$SUDO systemctl disable --now openvswitch-switch.service \
			ovs-vswitchd.service ovsdb-server.service || true
	elif [ -x /etc/init.d/openvswitch-switch ]; then
		$SUDO /etc/init.d/openvswitch-switch stop || true
		$SUDO update-rc.d openvswitch-switch disable >/dev/null 2>&1 || true
	fi
	$SUDO update-alternatives --set ovs-vswitchd "$OVS_DPDK"
fi

exec "$(dirname "$0")/fetch-dpdk-sdk.sh" "${1:-build/dpdk-sdk}"
