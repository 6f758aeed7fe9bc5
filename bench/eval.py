"""Score a server of the bundled watchlist on a labelled evaluation set (``make eval``).

Serves a fresh SQLite copy of the bundled watchlist with gunicorn (``wsgi:app``), runs the
shared scorer against it (its usage: ``run_eval.py BASE_URL CASES.jsonl [--verbose]``) and
stops the server. The scorer prints precision, recall, F1 and the review load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from servers import REPO, gunicorn, prepared_database

EVAL_DIR = REPO.parent / "shared" / "eval"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="?", type=Path, default=EVAL_DIR / "dev.jsonl",
                        help="the labelled cases, one JSON object a line (default: %(default)s)")
    parser.add_argument("--scorer", type=Path, default=EVAL_DIR / "run_eval.py",
                        help="the scoring script (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="the scorer lists each miss")
    args = parser.parse_args()
    env = {"ESGSCREEN_DATABASE_URL": prepared_database(), "ESGSCREEN_PUBLIC_READ": "true"}
    with gunicorn("wsgi:app", env=env, ready_path="/readyz") as (base, _):
        command = [sys.executable, str(args.scorer), base, str(args.cases)]
        return subprocess.run(command + (["--verbose"] if args.verbose else []),
                              check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
