"""Prometheus metrics, through ``prometheus_client``.

Requests only append to the screening log's buffer; its background thread turns what was
buffered into counts and latency observations (so /metrics lags by up to one flush interval).
Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set (``esgscreen serve`` and gunicorn.conf.py
set it), each worker writes its values to files there and a scrape adds them up.

``prometheus_client`` is imported on first use, not at import: it reads
``PROMETHEUS_MULTIPROC_DIR`` when imported, and ``serve`` sets it only after the app exists.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)
BATCH_BUCKETS = (1, 10, 50, 100, 500, 1000, 2500, 5000, 10000)

_lock = threading.Lock()
_metrics: Metrics | None = None


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.screens = Counter("esgscreen_screens", "Screens answered, by endpoint and status",
                               ["endpoint", "status"])
        self.latency = Histogram("esgscreen_screen_seconds",
                                 "Time to answer a screen, by endpoint", ["endpoint"],
                                 buckets=LATENCY_BUCKETS)
        self.batch_items = Histogram("esgscreen_batch_items", "Items in a batch screen",
                                     ["endpoint"], buckets=BATCH_BUCKETS)
        self.cache_hits = Counter("esgscreen_answer_cache_hits", "Single screens answered "
                                  "from a worker's answer cache")
        self.cache_misses = Counter("esgscreen_answer_cache_misses", "Single screens matched "
                                    "and encoded")
        self.version = Gauge("esgscreen_watchlist_version", "The watchlist version served",
                             multiprocess_mode="max")
        self.reload = Gauge("esgscreen_snapshot_reload_seconds",
                            "Time the last snapshot took to build", multiprocess_mode="mostrecent")
        self.refusals = Counter("esgscreen_rate_limit_refusals", "Requests refused with 429")
        self.log_written = Counter("esgscreen_screening_log_records",
                                   "Screening records written to the database")
        self.log_failures = Counter("esgscreen_screening_log_failures",
                                    "Screening log writes that failed (records then dropped)")


def metrics() -> Metrics:
    """This process's metrics (made once, on first use)."""
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = Metrics()
    return _metrics


def snapshot_built(version: int, seconds: float) -> None:
    m = metrics()
    m.version.set(version)
    m.reload.set(seconds)


def rate_limited() -> None:
    metrics().refusals.inc()


class StateCounts:
    """A collector asked at scrape time: rows by state (proposals by status, …)."""

    def __init__(self, name: str, documentation: str, label: str,
                 read: Callable[[], Iterable[tuple[str, float]]]) -> None:
        self.name, self.documentation, self.label, self.read = name, documentation, label, read

    def collect(self) -> Iterable[Any]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        for state, count in self.read():
            family.add_metric([state], count)
        yield family


def exposition(extra: Iterable[Any] = ()) -> tuple[bytes, str]:
    """The text a scrape gets, and its content type: every worker's values under
    multiprocess mode, else this process's; plus ``extra`` collectors."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, multiprocess
    from prometheus_client import generate_latest as generate

    metrics()  # the families exist even before the first screen
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return generate(registry), CONTENT_TYPE_LATEST


class _Forward:
    """The process's default registry, inside a registry of one scrape."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Any]:
        return self.registry.collect()


def prepare_multiprocess_dir() -> str:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before gunicorn forks its
    workers (a fresh one unless it is set; a set one is emptied of a previous run's files)."""
    import tempfile
    from pathlib import Path

    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        path = tempfile.mkdtemp(prefix="esgscreen-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    else:
        Path(path).mkdir(parents=True, exist_ok=True)
        for old in Path(path).glob("*.db"):
            old.unlink()
    return path


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit hook: drop the live gauges of a dead worker."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
