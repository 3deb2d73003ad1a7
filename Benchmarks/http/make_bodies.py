#!/usr/bin/env python3
"""Request templates for the HTTP load test from the shared sample trips.

batch.txt:  one `POST /v1/evaluate` body per line, 1,000 fixes each, in time order.
single.txt: one fix object per line, in time order.
The placeholder {P} in each vehicle id is filled per request by the Lua script: a prefix naming
the wrk thread and the pass over the templates, so each pass drives new vehicles."""
import csv, sys

src, out = sys.argv[1], sys.argv[2]
fixes = []
with open(src) as f:
    for row in csv.DictReader(f):
        t = row["timestamp"]  # 2026-03-02T00:MM:SSZ
        if not t.startswith("2026-03-02T00:"):
            continue
        fixes.append('{"vehicle_id":"{P}%s","time":"%s","lat":%s,"lon":%s,"speed":%s,"heading":%s}'
                     % (row["vehicle_id"], t, row["lat"], row["lon"], row["speed"], row["heading"]))
with open(out + "/batch.txt", "w") as f:
    for i in range(0, len(fixes) - 999, 1000):
        f.write('{"fixes":[' + ",".join(fixes[i:i + 1000]) + "]}\n")
with open(out + "/single.txt", "w") as f:
    for fix in fixes:
        f.write(fix + "\n")
print(len(fixes), "fixes")
