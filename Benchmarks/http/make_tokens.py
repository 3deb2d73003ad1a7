"""Adds N vehicle tokens to a Cordon database, as `cordon token create --role vehicle` does
(only the SHA-256 of each secret is stored), and writes their secrets to OUT, one per line:
a fleet whose vehicles each have their own token, for Benchmarks/http/pace.c's "@FILE".
(One `cordon token create` per token would take minutes for thousands.)

    python3 make_tokens.py DB N OUT
"""
import datetime
import hashlib
import secrets
import sqlite3
import sys

db, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
connection = sqlite3.connect(db)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
with open(out, "w") as f:
    for i in range(n):
        secret = "cordon_" + secrets.token_hex(32)
        connection.execute(
            "INSERT INTO api_token(id, name, role, vehicle_id, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("tok_f%011x" % i, "fleet-%d" % i, "vehicle", None, hashlib.sha256(secret.encode()).hexdigest(), now),
        )
        f.write(secret + "\n")
connection.commit()
