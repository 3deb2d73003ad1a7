#!/usr/bin/env bash
# The main job on the embedded default: ./cordon.db, the bundled sample zone set.
set -euo pipefail
cd "$(dirname "$0")/.."
CORDON=${CORDON:-.build/debug/cordon}
DB=./cordon.db

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

printf 'Cordon demo: zone sets in %s (starting fresh)\n' "$DB"
rm -f "$DB" "$DB-wal" "$DB-shm"
rm -rf "$DB.index-cache"
mkdir -p out

step "Validate the sample zone set, GeoJSON and its KML twin" "cordon zones validate zones/sample.geojson; cordon zones validate zones/sample.kml"
$CORDON zones validate zones/sample.geojson
$CORDON zones validate zones/sample.kml

step "Import it as zone set 'sample' and activate it" "cordon zones import zones/sample.geojson --set sample --activate"
$CORDON zones import zones/sample.geojson --db "$DB" --set sample --activate --actor demo

step "List zone sets" "cordon zones list"
$CORDON zones list --db "$DB"

step "Show one zone" "cordon zones show --set sample bj-00045"
$CORDON zones show --db "$DB" --set sample bj-00045

step "Export the active version as GeoJSON and KML" "cordon zones export --set sample --out out/sample-export.geojson (and --format kml)"
$CORDON zones export --db "$DB" --set sample --out out/sample-export.geojson
$CORDON zones export --db "$DB" --set sample --format kml --out out/sample-export.kml
head -c 400 out/sample-export.geojson; printf '…\n'

step "Check named positions against the active version" "cordon check LAT LON"
echo "# inside Government site 45:";              $CORDON check --db "$DB" 39.916 116.3764
echo "# exactly on its first vertex (boundary counts as inside):"; $CORDON check --db "$DB" 39.9154563 116.375986
echo "# 200 m north of it, in its 300 m approach:"; $CORDON check --db "$DB" 39.918 116.3764
echo "# outside every zone:";                      $CORDON check --db "$DB" 39.95 116.2

step "Locate a CSV of points, counting approach areas too" "cordon locate --points zones/sample-points.csv --approach"
$CORDON locate --db "$DB" --points zones/sample-points.csv --approach

step "Replay the bundled sample trip (3 vehicles, 7 minutes, one malformed row)" "cordon replay trips/sample.csv --out out/replay"
$CORDON replay --db "$DB" trips/sample.csv --out out/replay --quiet
echo "# the report (out/replay/report.txt), first lines:"
head -16 out/replay/report.txt
echo "# the first directives (out/replay/directives.ndjson):"
head -3 out/replay/directives.ndjson
echo "# report: out/replay/report.json and out/replay/report.txt; map: out/replay/map.svg"

step "A bad file is refused with its reason and location (exit code 1)" "cordon zones validate zones/invalid/self-intersection.geojson"
$CORDON zones validate zones/invalid/self-intersection.geojson || echo "(exit code $?: nothing stored)"

step "Real data: Natural Earth countries, one invalid polygon (Sudan)" "cordon zones import ne110_countries.geojson --set countries (then --repair)"
NE=../shared/data/ne110_countries.geojson
if [ -f "$NE" ]; then
  $CORDON zones import "$NE" --db "$DB" --set countries 2>&1 | grep -v missing_category || true
  $CORDON zones import "$NE" --db "$DB" --set countries --repair 2>&1 | grep -v missing_category
else
  echo "(skipped: $NE not found)"
fi

step "The HTTP service: a vehicle token, cordon serve, one evaluation with curl" "cordon token create --role vehicle --name demo-car; cordon serve --set sample"
PORT=${CORDON_DEMO_PORT:-8080}
TOKEN=$($CORDON token create --db "$DB" --role vehicle --name demo-car 2>/dev/null)
echo "token (printed once, only its SHA-256 is stored): ${TOKEN:0:14}…"
$CORDON serve --db "$DB" --set sample --port "$PORT" --log-level warning &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "\$ curl -s http://127.0.0.1:$PORT/readyz"
curl -s "http://127.0.0.1:$PORT/readyz"; echo
BODY='{"fixes": [
  {"vehicle_id": "V0001", "time": "2026-03-02T08:00:00Z", "lat": 39.9100, "lon": 116.3764, "speed": 10, "heading": 0},
  {"vehicle_id": "V0001", "time": "2026-03-02T08:00:01Z", "lat": 39.9154, "lon": 116.3764, "accuracy": 8}]}'
echo "\$ curl -s http://127.0.0.1:$PORT/v1/evaluate -H 'Authorization: Bearer …' -d '$BODY'"
curl -s "http://127.0.0.1:$PORT/v1/evaluate" -H "Authorization: Bearer $TOKEN" -d "$BODY"; echo
echo "\$ curl -s 'http://127.0.0.1:$PORT/v1/zones/at?lat=39.916&lon=116.3764' -H 'Authorization: Bearer …'"
curl -s "http://127.0.0.1:$PORT/v1/zones/at?lat=39.916&lon=116.3764" -H "Authorization: Bearer $TOKEN"; echo
echo "# without a token:"
curl -s "http://127.0.0.1:$PORT/v1/zones/at?lat=39.916&lon=116.3764"; echo
kill -TERM $SERVER; wait $SERVER || true
trap - EXIT
echo "(server stopped with SIGTERM; API guide: docs/http-api.md)"

step "Audit log" "cordon zones audit"
$CORDON zones audit --db "$DB"
printf '\nDone. Database: %s; exports in out/.\n' "$DB"
