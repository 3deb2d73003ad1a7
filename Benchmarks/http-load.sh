#!/usr/bin/env bash
# HTTP load test (issue 6 targets): batch evaluation throughput (fixes/s, wrk closed loop) and
# single-fix POST /v1/evaluate latency at 2,000 requests/s (an open-loop generator,
# Benchmarks/http/pace.c, latency counted from each request's due time), load generators on the
# same 2-core machine; then nginx under the same open loop as the machine's floor, if installed.
#   bash Benchmarks/http-load.sh [SECONDS [ROUNDS]]   (default 20 s per phase, 3 single-fix rounds,
#   then one round from a fleet of 2,000 tokens)
# Uses the shared zone set (the benchmark database of Benchmarks/import.sh, made when missing)
# and the shared sample trips; a release build of `cordon serve` on 127.0.0.1:8099.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_PHASE=${1:-20}
ROUNDS=${2:-3}
. Benchmarks/common.sh
mkdir -p "$WORK/http"
apt_install wrk wrk
build_cordon
apt_install cc gcc
PACE="$WORK/http/pace"
cc -O2 -Wall -o "$PACE" Benchmarks/http/pace.c
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

# The machine's own floor, measured in the same minutes: nginx answering `return 200` to the same
# requests (when nginx is installed: Debian's nginx-light). It does no work, so its tail is the
# machine's (scheduling, the hypervisor's steal); rounds alternate between the two servers.
NGINX=""
if command -v nginx >/dev/null; then
  cat > "$WORK/http/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/http/nginx.pid;
error_log $WORK/http/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 300s; server { listen 127.0.0.1:8100; location / { return 200 "ok"; } } }
CONF
  nginx -c "$WORK/http/nginx.conf" -s stop 2>/dev/null && sleep 0.5 || true  # one left by a killed run
  nginx -c "$WORK/http/nginx.conf" 2>/dev/null
  NGINX=1
  trap 'kill $SERVER 2>/dev/null || true; nginx -c "$WORK/http/nginx.conf" -s stop 2>/dev/null || true' EXIT
fi

: > "$WORK/http/single.out"
for round in $(seq "$ROUNDS"); do
  echo "== round $round: single fix per request, open loop at 2,000 requests/s (Benchmarks/http/pace.c, 16 connections), ${SECONDS_PER_PHASE} s"
  "$PACE" 127.0.0.1 8099 2000 "$SECONDS_PER_PHASE" 16 "$WORK/http/single.txt" "$TOKEN" "r$round" | tee "$WORK/http/single-$round.out"
  p99=$(awk '/^latency p99 / { print $3 }' "$WORK/http/single-$round.out")
  sent=$(awk '/^latency from send p99 / { print $5 }' "$WORK/http/single-$round.out")
  line="round $round: cordon p99 $p99 ms (from send $sent ms)"
  if [ -n "$NGINX" ]; then
    echo "== round $round: control, nginx (return 200) under the same load, ${SECONDS_PER_PHASE} s"
    "$PACE" 127.0.0.1 8100 2000 "$SECONDS_PER_PHASE" 16 "$WORK/http/single.txt" "$TOKEN" "r$round" | tee "$WORK/http/nginx-$round.out"
    line="$line; nginx p99 $(awk '/^latency p99 / { print $3 }' "$WORK/http/nginx-$round.out") ms (from send $(awk '/^latency from send p99 / { print $5 }' "$WORK/http/nginx-$round.out") ms)"
  fi
  echo "$line" >> "$WORK/http/single.out"
done

# A fleet whose vehicles each have their own token: 2,000 tokens, each sending once a second
# (the single-token rounds above keep one token's cache entry warm; here every entry is used
# about once per token-cache lifetime).
python3 Benchmarks/http/make_tokens.py "$DB" 2000 "$WORK/http/fleet-tokens.txt"
fast() { curl -s http://127.0.0.1:8099/metrics | awk '/^cordon_http_fast_path_responses_total/ { print $2 }'; }
FAST0=$(fast)
echo "== fleet: 2,000 vehicle tokens, each once a second, open loop at 2,000 requests/s, ${SECONDS_PER_PHASE} s"
"$PACE" 127.0.0.1 8099 2000 "$SECONDS_PER_PHASE" 16 "$WORK/http/single.txt" "@$WORK/http/fleet-tokens.txt" fleet | tee "$WORK/http/fleet.out"
FAST=$(( $(fast) - FAST0 ))

echo "== summary"
awk '/^rate/ { printf "batch evaluation: %.0f fixes/s (target >= 200,000)\n", $2 * 1000 }' "$WORK/http/batch.out"
echo "single fix at 2,000 requests/s, p99 from the due time (target < 2 ms):"
cat "$WORK/http/single.out"
echo "fleet of 2,000 tokens at 2,000 requests/s: p99 $(awk '/^latency p99 / { print $3 }' "$WORK/http/fleet.out") ms (from send $(awk '/^latency from send p99 / { print $5 }' "$WORK/http/fleet.out") ms); $FAST of $(awk '/^requests / { print $2 }' "$WORK/http/fleet.out" | tr -d ,) requests answered on the event loop"
