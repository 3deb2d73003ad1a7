#!/usr/bin/env bash
# State-machine benchmark: the shared sample trips (175k fixes, 50 vehicles, speed and
# heading) through VehicleTracker.apply on the shared zone set with approach polygons.
# Needs the benchmark database from Benchmarks/import.sh (made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
if [ ! -f "$WORK/bench.db" ]; then
  build_cordon
  ensure_bench_db
fi
unpack trips_sample.csv
cd Benchmarks
CORDON_BENCH_DB=$WORK/bench.db CORDON_BENCH_TRIPS=$WORK/trips_sample.csv \
  swift package --disable-sandbox benchmark --target EngineBenchmark
