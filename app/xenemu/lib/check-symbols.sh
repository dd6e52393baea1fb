#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Usage: check-symbols.sh REAL.so REPLACEMENT.so
# The replacement must export exactly the real library's symbol@version set
# and have the same soname, or ld.so rejects (or half-binds) it.
set -e
syms() {
	objdump -T "$1" | awk '$2 == "g" && $4 != "*UND*" { print $NF "@" $(NF-1) }' |
		sort
}
soname() {
	objdump -p "$1" | awk '$1 == "SONAME" { print $2 }'
}
real=$(mktemp) ours=$(mktemp)
trap 'rm -f "$real" "$ours"' EXIT
syms "$1" >"$real"
syms "$2" >"$ours"
[ -s "$real" ] || { echo "no symbols read from $1"; exit 1; }
diff -u "$real" "$ours"
[ "$(soname "$1")" = "$(soname "$2")" ] ||
	{ echo "soname differs: $(soname "$1") vs $(soname "$2")"; exit 1; }
# must not drag in the real Xen tool libraries
if objdump -p "$2" | grep -E 'NEEDED.*libxentool'; then
	echo "$2 depends on libxentool*"
	exit 1
fi
echo "$(wc -l <"$ours") symbols match"
