#!/usr/bin/env bash
# Instructions per fix through the state machine (the stable figure beside EngineBenchmark's
# wall times): `cordon replay` of the shared sample trips on one thread under callgrind,
# collection toggled on VehicleTracker.apply (index queries included, parsing and output not).
#   bash Benchmarks/engine-callgrind.sh
# Uses the benchmark database of Benchmarks/import.sh (made when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
apt_install valgrind valgrind
build_cordon
ensure_bench_db
unpack trips_sample.csv
# valgrind cannot read Swift's DWARF: a copy without debug info (symbols kept).
strip --strip-debug -o "$WORK/cordon-nodebug" "$CORDON"
SYMBOL=$(nm "$WORK/cordon-nodebug" | awk '/ T \$s12CordonEngine14VehicleTrackerO5apply_2to5zones13configuration7scratch4into/ { if (!s) s = $3 } END { print s }')
rm -rf "$WORK/callgrind-replay"
valgrind --tool=callgrind --callgrind-out-file="$WORK/engine.callgrind" --toggle-collect="$SYMBOL" \
  "$WORK/cordon-nodebug" replay --db "$WORK/bench.db" --set bench "$WORK/trips_sample.csv" \
  --out "$WORK/callgrind-replay" --quiet --threads 1 > /dev/null 2> "$WORK/engine-callgrind.log"
TOTAL=$(awk '/^summary:|^totals:/ { print $2; exit }' "$WORK/engine.callgrind")
FIXES=$(($(wc -l < "$WORK/trips_sample.csv") - 1))
echo "VehicleTracker.apply: $TOTAL instructions for $FIXES fixes: $((TOTAL / FIXES)) per fix"
