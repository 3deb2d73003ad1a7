#!/usr/bin/env bash
# Import benchmark of ../shared/data/zones.geojson.gz (10,020 zones, 1,160,910 vertices):
# end to end with hyperfine on the release CLI, then stage by stage with ordo-one/benchmark.
# Usage: bash Benchmarks/import.sh [--quick]   (--quick skips the harness run)
set -euo pipefail
cd "$(dirname "$0")/.."
ZONES_GZ=${ZONES_GZ:-../shared/data/zones.geojson.gz}
WORK=/tmp/cordon-bench
mkdir -p "$WORK"
[ -f "$WORK/zones.geojson" ] || gunzip -c "$ZONES_GZ" > "$WORK/zones.geojson"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }

swift build -c release --product cordon
CORDON=$(swift build -c release --show-bin-path)/cordon
echo "== end to end: parse + validate + buffer + store ($(nproc) cores)"
hyperfine --runs 3 --prepare "rm -f $WORK/bench.db*" \
  "$CORDON zones import $WORK/zones.geojson --db $WORK/bench.db --set bench --activate"
if [ "${1:-}" != "--quick" ]; then
  echo "== stage by stage (ordo-one/benchmark)"
  (cd Benchmarks && CORDON_BENCH_ZONES=$WORK/zones.geojson swift package --disable-sandbox benchmark --target ImportBenchmark)
fi
