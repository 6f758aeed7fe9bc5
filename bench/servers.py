"""Start and stop gunicorn servers for the HTTP benchmarks (loopback only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepared_database() -> str:
    """A SQLite file holding the bundled watchlist."""
    from esgscreen.service.loading import ensure_ready
    from esgscreen.settings import BUNDLED_WATCHLIST_DIR
    from esgscreen.store.db import Store

    path = Path(tempfile.mkdtemp(prefix="esgscreen-bench-")) / "bench.sqlite3"
    store = Store(f"sqlite:///{path}")
    ensure_ready(store, BUNDLED_WATCHLIST_DIR)
    store.dispose()
    return f"sqlite:///{path}"


@contextmanager
def gunicorn(app: str, *, workers: int = 2, env: dict[str, str] | None = None,
             ready_path: str = "/") -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class",
               "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app]
    base = f"http://127.0.0.1:{port}"
    # Its log goes to a file, not a pipe: a full pipe would stall the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **(env or {})},
                                   stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(base + ready_path, timeout=10).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{app} did not start: {log.read().decode()[-2000:]}")
                time.sleep(0.2)
            yield base, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
