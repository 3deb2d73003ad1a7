#!/usr/bin/env bash
# HTTP load test (issue 6 targets): batch evaluation throughput (fixes/s) and single-fix
# POST /v1/evaluate latency at 2,000 requests/s, with wrk on the same 2-core machine.
#   bash Benchmarks/http-load.sh [SECONDS]      (default 20 s per phase)
# Uses the shared zone set (the benchmark database of Benchmarks/import.sh, made when missing)
# and the shared sample trips; a release build of `cordon serve` on 127.0.0.1:8099.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_PHASE=${1:-20}
. Benchmarks/common.sh
mkdir -p "$WORK/http"
apt_install wrk wrk
build_cordon
ensure_bench_db
unpack trips_sample.csv
python3 Benchmarks/http/make_bodies.py "$WORK/trips_sample.csv" "$WORK/http"

DB="$WORK/http/load.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$WORK/bench.db" "$DB"
TOKEN=$("$CORDON" token create --db "$DB" --role vehicle --name load 2>/dev/null)
"$CORDON" serve --db "$DB" --set bench --port 8099 --rate-limit 0 --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:8099/readyz >/dev/null; do sleep 0.2; done

export CORDON_TOKEN=$TOKEN
echo "== batch: 1,000 fixes per request, 4 connections, ${SECONDS_PER_PHASE} s"
CORDON_BODIES="$WORK/http/batch.txt" wrk -t4 -c4 -d"${SECONDS_PER_PHASE}s" -s Benchmarks/http/evaluate.lua \
  http://127.0.0.1:8099/ | tee "$WORK/http/batch.out"
awk '/^rate/ { printf "batch evaluation: %.0f fixes/s\n", $2 * 1000 }' "$WORK/http/batch.out"

echo "== single fix per request, paced to ~2,000 requests/s (22 connections, 10 ms apart), ${SECONDS_PER_PHASE} s"
CORDON_BODIES="$WORK/http/single.txt" CORDON_SINGLE=1 CORDON_DELAY_MS=10 \
  wrk -t2 -c22 -d"${SECONDS_PER_PHASE}s" -s Benchmarks/http/evaluate.lua http://127.0.0.1:8099/ | tee "$WORK/http/single.out"
grep -E "^rate|^latency p99 " "$WORK/http/single.out"
