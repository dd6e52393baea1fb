#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one libFuzzer target on its corpus for a while and say how much it did.
#
# usage: run-fuzz.sh FUZZER SECONDS WORKDIR [LIBFUZZER_ARG...]   (0 s: corpus only)
#
# The seeds (make-corpus.py beside this script) go to WORKDIR/seeds/TARGET
# and are all run first; new inputs are kept in WORKDIR/corpus/TARGET, so the
# corpus grows from run to run in the build dir and the sources keep only the
# generator; a crash's reproducer is saved as WORKDIR/crashes/TARGET/crash-*
# (run it again with: FUZZER that-file). Exits non-zero on a crash, a leak,
# a sanitizer report or an invariant violation (abort()).
set -eu

[ $# -ge 3 ] || { echo "usage: $0 FUZZER SECONDS WORKDIR [ARG...]" >&2; exit 2; }
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
secs=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
target=$(basename "$exe")

seeds=$work/seeds/$target
corpus=$work/corpus/$target
crashes=$work/crashes/$target
mkdir -p "$seeds" "$corpus" "$crashes"
/usr/bin/python3 "$here/make-corpus.py" "$work/seeds" "$target"

case $target in
fuzz_csum) max_len=12000 ;;
*) max_len=4200 ;;
esac
dict=""
[ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"

# Sanitizer reports are fatal; libFuzzer checks leaks after each input.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

# 0 s: only the corpus (libFuzzer's -max_total_time=0 means no limit)
if [ "$secs" -eq 0 ]; then
	limit=-runs=0
else
	limit=-max_total_time=$secs
fi
log=$work/$target.log
stamp=$work/.$target.start
touch "$stamp"
start=$(date +%s)
rc=0
# shellcheck disable=SC2086
"$exe" "$limit" -max_len="$max_len" -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$crashes/" $dict "$@" \
	"$corpus" "$seeds" >"$log" 2>&1 || rc=$?
end=$(date +%s)

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
inputs=$(ls "$corpus" | wc -l)
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$log"
	echo "$target: FAILED (rc $rc) after $((end - start)) s; log $log"
	find "$crashes" -type f -newer "$stamp" | while read -r f; do
		echo "$target: reproducer $f (run: $exe $f)"
	done
	exit 1
fi
echo "$target: ${execs:-?} executions in $((end - start)) s (${rate:-?}/s), corpus $inputs inputs"
