#!/usr/bin/env bash
# Instructions per point of the batch point query (the stable figure beside wall time), with
# callgrind, collection toggled on ZoneIndex.locate(batch:...) only.
#   bash Benchmarks/callgrind.sh [POINTS]     (default 100,000 of the shared queries)
# Uses the benchmark database of Benchmarks/import.sh (made when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
. Benchmarks/common.sh
apt_install valgrind valgrind
build_cordon
ensure_bench_db
(gunzip -c ../shared/data/queries.csv.gz || true) | head -n $((N + 1)) > "$WORK/callgrind-points.csv"
TOTAL=$(callgrind_instructions 'CordonIndex04ZoneB0C6locate5batch' callgrind \
  bench --db "$WORK/bench.db" --points "$WORK/callgrind-points.csv" --repeats 1 --cordon-only)
echo "batch locate: $TOTAL instructions for $N points: $((TOTAL / N)) per point"
