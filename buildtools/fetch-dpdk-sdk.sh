#!/bin/sh
# Debian's libdpdk-dev lacks the driver SDK headers a PMD needs, and the
# pmdinfogen/pmdinfo scripts. Take them from the source package of exactly
# the installed DPDK version. Nothing from DPDK is committed to this tree.
# DPDK's examples/ are kept too (for build-dpdk-examples.sh).
set -eu

out=${1:-build/dpdk-sdk}
ver=$(dpkg-query -W -f='${Version}' libdpdk-dev)
stamp="$out/.version"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ] && [ -d "$out/examples" ] &&
	exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
src=/etc/apt/sources.list.d/xennet-deb-src.sources
if ! apt-get indextargets --format '$(CREATED_BY)' 2>/dev/null | grep -q Sources; then
	echo "xennet deps: adding deb-src entries ($src)"
	# Same URIs/Suites/Components as the binary entries; apt wants Signed-By.
	$SUDO sh -c "cat > $src" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO apt-get update -q
fi

dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
(cd "$dl" && apt-get source -q --download-only "dpdk=$ver" >/dev/null 2>&1 ||
	{ echo "cannot download the dpdk $ver source package" >&2; exit 1; })
tarball=$(ls "$dl"/dpdk_*.orig.tar.xz)

mkdir -p "$out/include" "$out/scripts"
tar -C "$dl" -xf "$tarball" --wildcards \
	'*/lib/ethdev/ethdev_driver.h' '*/lib/ethdev/ethdev_vdev.h' \
	'*/lib/ethdev/ethdev_pci.h' '*/drivers/bus/vdev/bus_vdev_driver.h' \
	'*/lib/eal/include/bus_driver.h' '*/lib/eal/include/dev_driver.h' \
	'*/buildtools/pmdinfogen.py' '*/buildtools/coff.py' \
	'*/usertools/dpdk-pmdinfo.py'
find "$dl" -name '*.h' -exec cp {} "$out/include/" \;
find "$dl" -name '*.py' -exec cp {} "$out/scripts/" \;
rm -f "$stamp"  # an interrupted examples/ extraction must not look complete
rm -rf "$out/examples"
tar -C "$out" -xf "$tarball" --strip-components=1 --wildcards '*/examples/*'
echo "$ver" > "$stamp"
echo "xennet deps: DPDK $ver SDK headers in $out"
