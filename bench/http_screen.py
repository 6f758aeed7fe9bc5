"""Single-screen throughput over HTTP, against a bare Flask app under the same gunicorn settings.

Both run under gunicorn with 2 sync workers on loopback, side by side, and are loaded in turn
(one at a time) in the same run with `wrk -t2 -c16` on a mix of name and identifier queries,
for several rounds. The project runs twice: as deployed (its per-version answer cache on, so
a repeated query skips matching) and with that cache off (every request matched and encoded).
Prints each round, the medians and the ratios to the bare app (target: at least 0.70). Run it
on an otherwise idle machine. ``--log-off`` adds the project with its screening log off (the
log's cost is the difference between the two in the same run).

    python bench/http_screen.py [--seconds 10] [--rounds 3] [--log-off]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import gunicorn, prepared_database

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
    parser.add_argument("--log-off", action="store_true",
                        help="also run the project with its screening log off")
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
    uncached = {**env, "ESGSCREEN_ANSWER_CACHE_SIZE": "0"}
    unlogged = {**env, "ESGSCREEN_SCREENING_LOG": "false"}
    with ExitStack() as servers:
        bare, _ = servers.enter_context(gunicorn("bench.bare_app:app", ready_path="/hello"))
        project, _ = servers.enter_context(gunicorn("wsgi:app", env=env, ready_path="/readyz"))
        cold, _ = servers.enter_context(gunicorn("wsgi:app", env=uncached, ready_path="/readyz"))
        targets = {"bare": (bare, ["/hello"]), "esgscreen": (project, paths),
                   "esgscreen, no answer cache": (cold, paths)}
        if args.log_off:
            quiet, _ = servers.enter_context(gunicorn("wsgi:app", env=unlogged,
                                                      ready_path="/readyz"))
            targets["esgscreen, log off"] = (quiet, paths)
        for url, target_paths in targets.values():
            run_wrk(url, 2, target_paths)  # warm up
        rounds: dict[str, list[float]] = {name: [] for name in targets}
        for number in range(1, args.rounds + 1):
            # Every other round in reverse order, so a drift in the machine's speed during
            # the run does not favour whichever target comes first.
            order = list(targets) if number % 2 else list(reversed(targets))
            for name in order:
                url, target_paths = targets[name]
                rounds[name].append(run_wrk(url, args.seconds, target_paths))
            print(f"round {number}: " + ", ".join(
                f"{name} {values[-1]:.0f} req/s" for name, values in rounds.items()))
    medians = {name: statistics.median(values) for name, values in rounds.items()}
    for name, value in medians.items():
        print(f"{name:28}: {value:7.0f} req/s (median)")
    for name in [n for n in medians if n != "bare"]:
        print(f"ratio, {name:21}: {medians[name] / medians['bare']:7.2f}  (target >= 0.70)")
    if args.log_off:
        # Paired within each round (the two ran one after the other), then the median: the
        # machine's drift between rounds is larger than the cost measured.
        paired = statistics.median(
            on / off for on, off in zip(rounds["esgscreen"], rounds["esgscreen, log off"],
                                        strict=True))
        print(f"screening log's cost: {1 - paired:6.1%} of the throughput without it "
              f"(median of {args.rounds} paired rounds; target <= 5%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
