"""Under gunicorn: /metrics adds up every worker, and a normal stop writes every buffered record."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from esgscreen.service.loading import load_directory
from esgscreen.store.db import Store
from esgscreen.store.models import Screening
from tests.conftest import WATCHLIST_DIR

REPO = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _screens(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples
               if s.name == "esgscreen_screens_total" and s.labels.get("endpoint") == "screen")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_metrics_add_up_workers_and_a_stop_flushes(backend: str, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    from tests.conftest import fresh_database

    url = fresh_database(request, backend)
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    port = _port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ESGSCREEN_DATABASE_URL": url, "ESGSCREEN_PUBLIC_READ": "true",
           "ESGSCREEN_METRICS_PUBLIC": "true", "ESGSCREEN_LOG_LEVEL": "WARNING",
           # A worker writes its buffer (and counts) each second; a scrape also writes its own.
           "ESGSCREEN_SCREENING_LOG_FLUSH_SECONDS": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "wsgi:app"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        for _ in range(40):
            assert requests.get(f"{base}/api/v1/screen?q=Cellebrite", timeout=10).ok
        # Which worker answers a scrape is up to gunicorn; within a flush interval both have
        # written their counts.
        seen = 0.0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            seen = _screens(base)
            if seen == 40:
                break
            time.sleep(0.2)
        assert seen == 40  # both workers' counts, from the multiprocess files
        for _ in range(10):  # still buffered when the stop comes right after
            assert requests.get(f"{base}/api/v1/screen?q=Hikvision", timeout=10).ok
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    with store.read() as session:
        assert session.scalar(select(func.count(Screening.id))) == 50
    store.dispose()
