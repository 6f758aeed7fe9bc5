"""Per-key rate limits (per client address for anonymous reads).

Limit strings and storage URIs are those of ``limits``, the engine Flask-Limiter runs on
("6000 per minute;200 per second"; "memory://", "redis://host:6379"). Flask-Limiter's own
per-request bookkeeping cost about 150 µs a call, a third of a screening request, so the
service counts directly: with a shared storage through ``limits``, and for ``memory://``
(each worker counting alone) with a plain fixed-window counter, as ``limits`` would, minus
its expiry thread.
"""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


class RateLimiter:
    def __init__(self, spec: str, storage_uri: str = "memory://") -> None:
        self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        self._shared = (
            None if storage_uri.startswith("memory://")
            else FixedWindowRateLimiter(storage_from_string(storage_uri))
        )
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}  # (key, item, window) -> hits
        self._window_of: dict[int, int] = {}  # item -> the window now counted

    def retry_after(self, key: str) -> int | None:
        """Count a request for `key`; None when allowed, else seconds until it would be."""
        for index, item in enumerate(self.items):
            if self._shared is not None:
                if not self._shared.hit(item, key):
                    reset = self._shared.get_window_stats(item, key).reset_time
                    return max(1, math.ceil(reset - time.time()))
                continue
            wait = self._hit_locally(index, item, key)
            if wait is not None:
                return wait
        return None

    def _hit_locally(self, index: int, item: RateLimitItem, key: str) -> int | None:
        length = item.get_expiry()
        now = time.time()
        window = int(now // length)
        with self._lock:
            if self._window_of.get(index) != window:
                self._window_of[index] = window
                self._counts = {k: v for k, v in self._counts.items() if k[1] != index}
            counted = (key, index, window)
            hits = self._counts.get(counted, 0)
            if hits >= item.amount:
                return max(1, math.ceil((window + 1) * length - now))
            self._counts[counted] = hits + 1
        return None
