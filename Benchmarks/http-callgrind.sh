#!/usr/bin/env bash
# Instructions per single-fix POST /v1/evaluate request (the stable figure beside the load
# test's latencies), with callgrind over the whole server: the release `cordon serve` on the
# shared zone set runs under callgrind with instrumentation off during start-up; it is switched
# on for N requests (default 2,000) sent at 100 requests/s by Benchmarks/http/pace.c on 4
# connections, after 300 warm-up requests, then the server is stopped.
#   bash Benchmarks/http-callgrind.sh [REQUESTS]
# Uses the benchmark database of Benchmarks/import.sh (made when missing) and the shared sample
# trips.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
. Benchmarks/common.sh
apt_install valgrind valgrind
apt_install cc gcc
build_cordon
ensure_bench_db
unpack trips_sample.csv
mkdir -p "$WORK/http"
cc -O2 -Wall -o "$WORK/http/pace" Benchmarks/http/pace.c
python3 Benchmarks/http/make_bodies.py "$WORK/trips_sample.csv" "$WORK/http"
DB="$WORK/http/callgrind.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$WORK/bench.db" "$DB"
TOKEN=$("$CORDON" token create --db "$DB" --role vehicle --name callgrind 2>/dev/null)
strip --strip-debug -o "$WORK/cordon-nodebug" "$CORDON"
OUT="$WORK/http-requests.callgrind"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" "$WORK/cordon-nodebug" \
  serve --db "$DB" --set bench --port 8098 --rate-limit 0 --log-level warning > "$WORK/http-callgrind.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf http://127.0.0.1:8098/readyz >/dev/null; do sleep 1; done
"$WORK/http/pace" 127.0.0.1 8098 100 3 4 "$WORK/http/single.txt" "$TOKEN" warm > /dev/null
callgrind_control -i on "$SERVER" > /dev/null 2>&1
"$WORK/http/pace" 127.0.0.1 8098 100 $((N / 100)) 4 "$WORK/http/single.txt" "$TOKEN" measured | head -2
callgrind_control -i off "$SERVER" > /dev/null 2>&1
kill -TERM $SERVER
wait $SERVER || true
awk -v n=$((N / 100 * 100)) '/^totals:/ { printf "single-fix evaluate: %.0f instructions per request (%d requests, the whole server)\n", $2 / n, n; exit }' "$OUT"
