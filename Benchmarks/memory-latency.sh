#!/usr/bin/env bash
# What bounds single locate on this machine (issue 3, docs/benchmarks.md): the latency of one
# dependent load at growing working sets (Benchmarks/latency/chase.c), then `cordon bench` on
# the shared 1 M queries three ways: as given (random order), the same points in Z order
# (neighbours share the index's cache lines), and the first 1,000 points repeated 1,000 times
# (the index's working set in cache).
#   bash Benchmarks/memory-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
build_cordon
ensure_bench_db
unpack queries.csv
cc -O2 -Wall -o "$WORK/chase" Benchmarks/latency/chase.c
echo "== one dependent load (random cache lines, 2 MiB pages)"
for mb in 1 8 16 32 64 128; do "$WORK/chase" "$mb"; done
python3 - "$WORK/queries.csv" "$WORK" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
header, body = rows[0], rows[1:]
lat, lon = header.index('lat'), header.index('lon')
def z(row):  # Morton code of 16-bit lon and lat
    x = int((float(row[lon]) + 180) / 360 * 65535)
    y = int((float(row[lat]) + 90) / 180 * 65535)
    return sum(((x >> b) & 1) << (2 * b) | ((y >> b) & 1) << (2 * b + 1) for b in range(16))
def write(name, data):
    with open(f"{sys.argv[2]}/{name}", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(data)
write("queries-zorder.csv", sorted(body, key=z))
write("queries-cached.csv", body[:1000] * 1000)
PY
for points in queries queries-zorder queries-cached; do
  echo "== cordon bench --cordon-only on $points.csv"
  "$CORDON" bench --db "$WORK/bench.db" --points "$WORK/$points.csv" --cordon-only --repeats 3
done
