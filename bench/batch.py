"""A 10,000-holding portfolio screened in one POST over HTTP, and the workers' memory after.

Serves the project under gunicorn (2 sync workers, bundled watchlist on SQLite), posts a
portfolio mixing watchlist names and identifiers with unknown companies and bad items,
and prints the end-to-end time of each POST (target: 1.5 s or less for 10,000 items) and
each worker's resident memory afterwards (target: under 150 MB).

    python bench/batch.py [--items 10000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import gunicorn, prepared_database, rss_mb, worker_pids

KNOWN = [
    {"name": "NSO Group Technologies Ltd"}, {"isin": "IL0011794802"}, {"cik": "0001854587"},
    {"ticker": "6736", "exchange": "XTKS"}, {"name": "Hikvision"}, {"q": "Cognyte"},
    {"ticker": "002415.SZ"}, {"domain": "https://www.cellebrite.com/en/home"},
    {"name": "Francisco Partners"}, {"name": "Sun Corporation"},
]
WORDS = ["Global", "Nordic", "Pacific", "Alpine", "Harbor", "Summit", "Orchid", "Granite",
         "Vertex", "Lumen", "Cobalt", "Meridian", "Aurora", "Beacon", "Cedar", "Delta"]
FORMS = ["Inc", "Ltd", "AG", "GmbH", "S.A.", "PLC", "Corp", "AB", "N.V.", "S.p.A."]


def portfolio(size: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    items = []
    for n in range(size):
        roll = rng.random()
        if roll < 0.05:
            item = dict(rng.choice(KNOWN))
        elif roll < 0.06:
            item = {"isin": "US0378331006"}  # a bad check digit: an error row
        else:
            coined = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou")
                             for _ in range(rng.randint(2, 4))).capitalize()
            item = {"name": f"{coined} {rng.choice(WORDS)} {rng.choice(FORMS)}"}
        items.append({"ref": f"h{n}", **item, "weight": round(rng.random(), 6)})
    return items


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    body = json.dumps({"items": portfolio(args.items)})
    env = {"ESGSCREEN_DATABASE_URL": prepared_database(), "ESGSCREEN_PUBLIC_READ": "true",
           "ESGSCREEN_LOG_LEVEL": "WARNING"}
    with gunicorn("wsgi:app", env=env, ready_path="/readyz") as (base, process):
        session = requests.Session()
        timings = []
        for number in range(1, args.rounds + 1):
            started = time.perf_counter()
            response = session.post(base + "/api/v1/screen", data=body,
                                    headers={"Content-Type": "application/json"}, timeout=120)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            summary = response.json()["summary"]
            timings.append(elapsed)
            print(f"round {number}: {args.items} items in {elapsed:.3f} s "
                  f"({len(response.content) / 1e6:.1f} MB answer); "
                  f"by status {summary['by_status']}")
        memory = {pid: rss_mb(pid) for pid in worker_pids(process.pid)}
    print(f"median end to end    : {statistics.median(timings):.3f} s (target <= 1.5 s)")
    for pid, mb in sorted(memory.items()):
        print(f"worker {pid} resident: {mb:.1f} MB (target < 150 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
