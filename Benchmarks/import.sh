#!/usr/bin/env bash
# Import and point-index benchmarks on ../shared/data (10,020 zones, 1,160,910 vertices;
# 1,000,000 query points): the import end to end with hyperfine, `cordon bench` (Cordon vs
# GEOS vs naive in one run), then stage by stage with ordo-one/benchmark.
# Usage: bash Benchmarks/import.sh [--quick]   (--quick skips the harness run)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
ZONES_GZ=${ZONES_GZ:-../shared/data/zones.geojson.gz}
[ -f "$WORK/zones.geojson" ] || gunzip -c "$ZONES_GZ" > "$WORK/zones.geojson"
apt_install hyperfine hyperfine

build_cordon
echo "== end to end: parse + validate + buffer + store ($(nproc) cores)"
hyperfine --runs 3 --prepare "rm -f $WORK/bench.db*" \
  "$CORDON zones import $WORK/zones.geojson --db $WORK/bench.db --set bench --activate"
[ -f "$WORK/queries.csv" ] || gunzip -c "${QUERIES_GZ:-../shared/data/queries.csv.gz}" > "$WORK/queries.csv"
echo "== point index: Cordon vs GEOS vs naive (one run, one core)"
"$CORDON" bench --zones "$WORK/zones.geojson" --points "$WORK/queries.csv"
if [ "${1:-}" != "--quick" ]; then
  echo "== stage by stage (ordo-one/benchmark)"
  (cd Benchmarks && CORDON_BENCH_ZONES=$WORK/zones.geojson swift package --disable-sandbox benchmark --target ImportBenchmark)
  (cd Benchmarks && CORDON_BENCH_DB=$WORK/bench.db CORDON_BENCH_POINTS=$WORK/queries.csv swift package --disable-sandbox benchmark --target IndexBenchmark)
fi
