#!/usr/bin/env bash
# Replay benchmark: the shared full fleet CSV (about 3.5 M fixes, 1,000 vehicles, interleaved as
# a fleet stream arrives) end to end through `cordon replay` (release build, both cores), with
# the parse-only floor beside it, and the peak memory of each run. The trips are generated with
# the shared generator when missing (~40 s); the zone database is made as in engine.sh.
#   bash Benchmarks/replay.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
. Benchmarks/common.sh
TRIPS=/tmp/geofence-dev/trips.csv
build_cordon
ensure_bench_db
if [ ! -f "$TRIPS" ]; then
  (cd ../shared/data && python3 gen_synthetic.py --seed 20260302 --out /tmp/geofence-dev --trips-sample 50)
fi
ROWS=$(($(wc -l < "$TRIPS") - 1))
echo "input: $TRIPS ($ROWS rows, $(du -h "$TRIPS" | cut -f1)); zones: $WORK/bench.db set bench; $(nproc) cores"
run() {  # label, then the command; prints the best wall time, rate and peak RSS
  local label=$1; shift
  local best=""
  local rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > /dev/null
    read -r secs kb < "$WORK/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  awk -v l="$label" -v s="$best" -v n="$ROWS" -v m="$rss" \
    'BEGIN{printf "%-34s %7.2f s  %10.0f fixes/s  peak RSS %4.0f MB\n", l, s, n/s, m/1024}'
}
run "parse only (CSV floor, 2 threads)" "$CORDON" replay --db "$WORK/bench.db" --set bench "$TRIPS" --out "$WORK/replay" --parse-only --quiet
run "replay end to end, 2 threads" "$CORDON" replay --db "$WORK/bench.db" --set bench "$TRIPS" --out "$WORK/replay" --quiet
run "replay end to end, 1 thread" "$CORDON" replay --db "$WORK/bench.db" --set bench "$TRIPS" --out "$WORK/replay" --quiet --threads 1
echo "(the parse-only floor reads no zones; the end-to-end times include loading the zone set from SQLite and"
echo " reading its index from bench.db.index-cache, or building it when missing; one more run's own account:)"
"$CORDON" replay --db "$WORK/bench.db" --set bench "$TRIPS" --out "$WORK/replay" | tail -1
