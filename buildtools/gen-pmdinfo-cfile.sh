#!/bin/sh
# Embed PMD_INFO_STRING as DPDK's own build does: run pmdinfogen.py over
# every object of the driver's static archive (meson makes thin archives,
# whose members are paths relative to the archive).
# usage: gen-pmdinfo-cfile.sh <python3> <pmdinfogen.py> <archive> <output.c>
set -eu
py=$1 gen=$2 archive=$3 out=$4
dir=$(dirname "$archive")
objs=$(ar t "$archive" | while read -r o; do
	case "$o" in /*) echo "$o" ;; *) echo "$dir/$o" ;; esac
done)
# shellcheck disable=SC2086 # object paths carry no spaces (meson)
"$py" "$gen" elf $objs "$out"
