#!/usr/bin/env bash
# State-machine benchmark: the shared sample trips (175k fixes, 50 vehicles, speed and
# heading) through VehicleTracker.apply on the shared zone set with approach polygons.
# Needs the benchmark database from Benchmarks/import.sh (made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=/tmp/cordon-bench
mkdir -p "$WORK"
if [ ! -f "$WORK/bench.db" ]; then
  [ -f "$WORK/zones.geojson" ] || gunzip -c ../shared/data/zones.geojson.gz > "$WORK/zones.geojson"
  swift build -c release --product cordon
  "$(swift build -c release --show-bin-path)/cordon" zones import "$WORK/zones.geojson" --db "$WORK/bench.db" --set bench --activate
fi
[ -f "$WORK/trips_sample.csv" ] || gunzip -c ../shared/data/trips_sample.csv.gz > "$WORK/trips_sample.csv"
cd Benchmarks
CORDON_BENCH_DB=$WORK/bench.db CORDON_BENCH_TRIPS=$WORK/trips_sample.csv \
  swift package --disable-sandbox benchmark --target EngineBenchmark
