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
rm -rf "$WORK/callgrind-replay"
TOTAL=$(callgrind_instructions '^\$s12CordonEngine14VehicleTrackerO5apply_2to5zones13configuration7scratch4into' engine \
  replay --db "$WORK/bench.db" --set bench "$WORK/trips_sample.csv" --out "$WORK/callgrind-replay" --quiet --threads 1)
FIXES=$(($(wc -l < "$WORK/trips_sample.csv") - 1))
echo "VehicleTracker.apply: $TOTAL instructions for $FIXES fixes: $((TOTAL / FIXES)) per fix"
