#!/usr/bin/env python3
"""Derive zones/sample.geojson from ../shared/data/zones.geojson.gz, deterministically.

Picks Beijing compound zones covering every category, Polygon and MultiPolygon, with and
without holes, and gives a few of them a schedule, validity dates or a coarsen policy so the
sample shows every property an admin may set. Run from the repository root:
    python3 zones/tools/make_sample.py ../shared/data/zones.geojson.gz zones/sample.geojson
The KML twin is written by Cordon itself (see the Makefile target `sample-kml`).
"""
import gzip, json, sys

src, dst = sys.argv[1], sys.argv[2]
features = json.load(gzip.open(src, "rt"))["features"]
picked, seen = [], {}
for f in features:
    p = f["properties"]
    if p["city"] != "beijing" or p["kind"] != "compound":
        continue
    key = (p["category"], f["geometry"]["type"], p["n_holes"] > 0)
    limit = 3 if key[1] == "Polygon" and not key[2] else 1
    if seen.get(key, 0) >= limit or p["n_vertices"] > 120:
        continue
    seen[key] = seen.get(key, 0) + 1
    picked.append(f)

out = []
for f in sorted(picked, key=lambda f: int(f["properties"]["id"])):
    p = f["properties"]
    props = {
        "id": "bj-%05d" % int(p["id"]),
        "name": "%s site %s" % (p["category"].replace("_", " ").title(), p["id"]),
        "category": p["category"],
        "cameras": p["cameras"],
        "data": p["data"],
    }
    if "coarsen_m" in p:
        props["coarsen_m"] = p["coarsen_m"]
    if "buffer_m" in p:
        props["buffer_m"] = p["buffer_m"]
    props["city"] = "beijing"
    props["source_id"] = int(p["id"])
    out.append({"type": "Feature", "id": props["id"], "properties": props, "geometry": f["geometry"]})

# Show the optional properties on a few zones.
gov = next(f for f in out if f["properties"]["category"] == "government")
gov["properties"]["schedule"] = {
    "timezone": "Asia/Shanghai",
    "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "20:00"}],
}
custom = next(f for f in out if f["properties"]["category"] == "custom")
custom["properties"]["valid_from"] = "2026-01-01T00:00:00Z"
custom["properties"]["valid_until"] = "2027-01-01T00:00:00Z"

doc = {"type": "FeatureCollection", "features": out}
with open(dst, "w") as fh:
    fh.write('{"type":"FeatureCollection","features":[\n')
    fh.write(",\n".join(json.dumps(f, separators=(",", ":")) for f in out))
    fh.write("\n]}\n")
print(dst, len(out), "zones")
