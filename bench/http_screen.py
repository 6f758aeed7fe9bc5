"""Single-screen throughput over HTTP, against a bare Flask app under the same gunicorn settings.

Both run under gunicorn with 2 sync workers on loopback, side by side, and are loaded in turn
(one at a time) in the same run with `wrk -t2 -c16` on a mix of name and identifier queries,
for several rounds. Prints each round, the median requests per second of each, and the ratio
of the medians (target: at least 0.70). Run it on an otherwise idle machine.

    python bench/http_screen.py [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import gunicorn, prepared_database  # noqa: E402

QUERIES = [
    "q=Cellebrite", "name=NSO%20Group%20Technologies", "isin=IL0011794802", "cik=0001854587",
    "ticker=6736&exchange=XTKS", "name=Microsoft%20Corporation", "q=US5949181045",
    "name=Sun%20Pharmaceutical%20Industries", "domain=cellebrite.com", "name=Hikvision",
    "ticker=CLBT%20US", "name=Paragon%20Real%20Estate%20Equity", "lei=5493001KJTIIGC8Y1R12",
    "name=Intellexa", "q=Positive%20Technologies", "name=Acme%20Widgets%20Inc",
]

LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def run_wrk(url: str, seconds: int, paths: list[str]) -> float:
    script = Path(tempfile.mkdtemp()) / "mix.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in paths))
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} failed responses from {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 1
    env = {
        "ESGSCREEN_DATABASE_URL": prepared_database(),
        "ESGSCREEN_PUBLIC_READ": "true",
        # A limit the load cannot reach, so the limiter's cost is still measured.
        "ESGSCREEN_RATE_LIMIT": "100000000 per minute",
        "ESGSCREEN_LOG_LEVEL": "WARNING",
    }
    paths = [f"/api/v1/screen?{q}" for q in QUERIES]
    with gunicorn("bench.bare_app:app", ready_path="/hello") as (bare, _), \
            gunicorn("wsgi:app", env=env, ready_path="/readyz") as (project, _):
        run_wrk(bare, 2, ["/hello"])  # warm up both
        run_wrk(project, 2, paths)
        bare_rounds, project_rounds = [], []
        for number in range(1, args.rounds + 1):
            bare_rounds.append(run_wrk(bare, args.seconds, ["/hello"]))
            project_rounds.append(run_wrk(project, args.seconds, paths))
            print(f"round {number}: bare {bare_rounds[-1]:7.0f} req/s, "
                  f"esgscreen {project_rounds[-1]:7.0f} req/s, "
                  f"ratio {project_rounds[-1] / bare_rounds[-1]:.2f}")
    bare_rps, project_rps = statistics.median(bare_rounds), statistics.median(project_rounds)
    print(f"bare Flask JSON      : {bare_rps:9.0f} req/s (median)")
    print(f"esgscreen /screen mix: {project_rps:9.0f} req/s (median)")
    print(f"ratio                : {project_rps / bare_rps:9.2f}  (target >= 0.70)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
