#!/bin/sh
# Reserve 2 MiB hugepages and mount hugetlbfs when running as root, so the
# demo and tests can use hugepage-backed mempools; without root or pages
# they fall back to --no-huge and say so.
want=${1:-1024}
[ "$(id -u)" -eq 0 ] || exit 0
cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
[ "$cur" -ge "$want" ] || echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null
grep -qs ' hugetlbfs ' /proc/mounts || {
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
}
exit 0
